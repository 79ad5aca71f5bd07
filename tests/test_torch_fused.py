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


BF16_EPS = 2.0 ** -7


@pytest.mark.parametrize("cell", ("RNN",) + CELLS)
@pytest.mark.parametrize("bias", [True, False])
def test_bfloat16_agrees_with_float64_within_its_precision(report, cell, bias):
    """Outputs, states and gradients within 6 bfloat16 epsilons (relative to each tensor's
    largest entry) of float64 with the same rounded weights, after 2 layers, 2 directions and
    6 steps."""
    r = report["bfloat16"][f"{cell} bfloat16 bias={bias}"]
    assert r["launches"] > 0 or cell == "RNN"     # the RNN has no kernel: torch ops in bfloat16
    assert r["max_rel_diff"] <= 6 * BF16_EPS


@pytest.mark.parametrize("cell", ["LSTM", "GRU"])
def test_bfloat16_state_is_carried_in_float32(report, cell):
    r = report["state_accumulation"][cell]
    assert abs(r["got"] - r["want"]) <= BF16_EPS * r["want"]        # one rounding of the output
    assert abs(r["stalled"] - r["want"]) > 10 * BF16_EPS * r["want"]  # a bfloat16 state would not


@pytest.mark.parametrize("cell", CELLS)
def test_float32_module_under_bfloat16_autocast_computes_in_bfloat16(report, cell):
    """Inside torch.autocast(dtype=torch.bfloat16), where the kernels run: exactly what a
    bfloat16 copy of the module computes, outputs and (converted) gradients."""
    r = report["autocast"][cell]
    assert r["launches"] > 0 and r["dtype"] == "bfloat16"
    assert r["outputs_equal"] and r["grads_equal"]


def test_every_kernel_compiles_for_a_gpu():
    """The interpreter runs the kernels' Python; this compiles them as a GPU would (to PTX for
    compute capability 9.0, no GPU needed): every kernel, constant and dtype."""
    compiled = fused_check.compile_for_gpu()
    assert len(compiled) >= 60
    assert {k: v for k, v in compiled.items() if v is not None} == {}
