"""lstm_ref.torch inside torch.autocast on the CPU: it computes in float32, exactly as outside.

(Where the Triton kernels run, a float32 module under bfloat16 autocast computes in bfloat16
instead: ``tests/test_torch_fused.py`` checks that in Triton's interpreter, ``tests/test_torch_cuda.py``
on a GPU.)
"""
import pytest
import torch

import lstm_ref.torch as lt
from lstm_ref.torch import fused
from lstm_ref.torch.fused_check import run      # outputs, states and every gradient of a fixed loss

pytestmark = pytest.mark.skipif(fused.enabled(torch.zeros(1)),
                                reason="the kernels run on the CPU here (TRITON_INTERPRET=1)")


def problem(cls, dtype=torch.float32):
    torch.manual_seed(0)
    m = cls(3, 5, num_layers=2, bidirectional=True, dtype=dtype)
    x = torch.randn(6, 2, 3, dtype=dtype).bfloat16().to(dtype)
    n = 2 if m.has_cell_state else 1
    hx = tuple(torch.randn(4, 2, 5, dtype=dtype).bfloat16().to(dtype) for _ in range(n))
    return m, x, hx


@pytest.mark.parametrize("cls", lt.MODULES, ids=lambda c: c.__name__)
def test_cpu_autocast_changes_nothing(cls):
    m, x, hx = problem(cls)
    want = run(m, x, hx)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        assert m.autocast_dtype() == torch.float32
        got = run(m, x, hx)
    assert all(a.dtype == torch.float32 and torch.equal(a, b) for a, b in zip(got, want))
    assert m.autocast_dtype() is None                       # outside autocast


def test_bfloat16_input_and_state_are_accepted_under_autocast():
    m, x, (h, c) = problem(lt.LSTM)
    want_y, (want_h, want_c) = m(x, (h, c))
    with torch.autocast("cpu", dtype=torch.bfloat16):     # x, h, c hold bfloat16 values exactly
        y, (hn, cn) = m(x.bfloat16(), (h.bfloat16(), c.bfloat16()))
    assert torch.equal(y, want_y) and torch.equal(hn, want_h) and torch.equal(cn, want_c)
    with pytest.raises(TypeError, match="input must have the module's dtype torch.float32"):
        m(x.bfloat16())                                     # outside autocast: no conversion


def test_float64_module_ignores_autocast():
    m, x, hx = problem(lt.GRU, torch.float64)
    want = run(m, x, hx)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        assert m.autocast_dtype() is None
        got = run(m, x, hx)
        assert all(a.dtype == torch.float64 and torch.equal(a, b) for a, b in zip(got, want))
        with pytest.raises(TypeError, match="input must have the module's dtype torch.float64, "
                                            "got torch.float32"):
            m(x.float())


def test_float64_input_to_a_float32_module_is_still_an_error_under_autocast():
    m, x, hx = problem(lt.LSTM)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        with pytest.raises(TypeError, match="input must have the module's dtype torch.float32, "
                                            "got torch.float64"):
            m(x.double())
        with pytest.raises(TypeError, match="c_0 must have the module's dtype torch.float32, "
                                            "got torch.float64"):
            m(x, (hx[0], hx[1].double()))
