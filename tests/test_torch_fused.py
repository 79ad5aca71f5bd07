"""The Triton kernels of :mod:`lstm_ref.torch.fused`, checked on the CPU in Triton's interpreter.

On a GPU the fused kernels replace the plain-torch pointwise steps. CI has no GPU, so a fresh
process runs ``python -m lstm_ref.torch.fused_check`` with ``TRITON_INTERPRET=1``: the same kernels,
executed by Triton's interpreter on CPU tensors, against the plain-torch path of the same
Functions. (``tests/test_torch_cuda.py`` checks the compiled kernels when a GPU is present.)
"""
import pytest

pytest.importorskip("triton")

from lstm_ref.torch import fused_check  # noqa: E402

CELLS = fused_check.CELLS


@pytest.fixture(scope="module")
def report():
    return fused_check.run_interpreted(timeout=300)


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("bias", [True, False])
def test_fused_float64_agrees_with_plain_torch(report, cell, bias):
    r = report["cells"][f"{cell} float64 bias={bias}"]
    assert r["launches"] > 0                       # the fused path really ran
    assert r["max_rel_diff"] <= 1e-12              # outputs, states, every gradient


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("bias", [True, False])
def test_fused_float32_agrees_with_plain_torch(report, cell, bias):
    r = report["cells"][f"{cell} float32 bias={bias}"]
    assert r["launches"] > 0
    assert r["max_rel_diff"] <= 1e-5


def test_every_cell_was_checked(report):
    assert len(report["cells"]) == len(CELLS) * 2 * 2


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_kernel_activations_are_relatively_precise(report, dtype):
    """tanh and sigmoid within 2 units of rounding of torch's (float64) over |x| in 1e-30..1e3."""
    a = report["activations"][dtype]
    assert a["tanh_rel"] <= 2 * a["eps"]
    assert a["sigmoid_rel"] <= 2 * a["eps"]
    assert a["special_ok"]                         # ±inf saturate, nan propagates
