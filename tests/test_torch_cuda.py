"""lstm_ref.torch off the CPU: on CUDA every cell agrees with the CPU float64 result (skips
without a GPU); the device-generic code path also runs shape-wise on the meta device."""
import pytest
import torch

import lstm_ref.torch as lt
from lstm_ref.torch import fused

needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA GPU available")
needs_triton = pytest.mark.skipif(not fused.available(), reason="Triton is not installed")


def out_and_grads(module, x):
    """``[y, dL/dx, dL/dθ...]`` for ``L = Σ y²``: the outputs and every gradient, to compare."""
    y, _ = module(x)
    return [y, *torch.autograd.grad(y.square().sum(), [x, *module.parameters()])]


@pytest.mark.parametrize("cls", lt.MODULES, ids=lambda c: c.__name__)
def test_the_non_cpu_code_path_runs_shape_wise_on_the_meta_device(cls):
    """Runs everywhere: the device-generic path (no CPU workspace) computes shapes on 'meta'."""
    m = cls(3, 4, num_layers=2, bidirectional=True, device="meta")
    x = torch.empty(5, 2, 3, device="meta", requires_grad=True)
    y, _ = m(x)
    y.sum().backward()
    assert y.shape == (5, 2, 8) and x.grad.shape == x.shape
    assert all(p.grad is not None and p.grad.device.type == "meta" for p in m.parameters())


@needs_cuda
@pytest.mark.parametrize("cls", lt.MODULES, ids=lambda c: c.__name__)
def test_cuda_float32_agrees_with_cpu_float64(cls):
    torch.manual_seed(0)
    cpu = cls(8, 16, num_layers=2, bidirectional=True, dtype=torch.float64)
    gpu = cls(8, 16, num_layers=2, bidirectional=True, device="cuda", dtype=torch.float32)
    gpu.load_state_dict(cpu.state_dict())
    x = torch.randn(12, 4, 8, dtype=torch.float64, requires_grad=True)
    xg = x.detach().to("cuda", torch.float32).requires_grad_()
    (y, *g), (yg, *gg) = out_and_grads(cpu, x), out_and_grads(gpu, xg)
    torch.testing.assert_close(yg.double().cpu(), y, rtol=1e-5, atol=1e-5)
    for a, b in zip(g, gg):
        torch.testing.assert_close(b.double().cpu(), a, rtol=1e-4, atol=1e-4)


@needs_cuda
@needs_triton
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32], ids=str)
@pytest.mark.parametrize("cls", lt.MODULES, ids=lambda c: c.__name__)
def test_cuda_triton_kernels_agree_with_the_plain_torch_steps(cls, dtype, monkeypatch):
    """The compiled Triton kernels (tests/test_torch_fused.py checks them interpreted on the CPU)."""
    torch.manual_seed(0)
    m = cls(8, 16, num_layers=2, bidirectional=True, device="cuda", dtype=dtype)
    x = torch.randn(12, 4, 8, device="cuda", dtype=dtype)
    runs = []
    for on in (False, True):
        monkeypatch.setattr(fused, "ENABLED", on)
        assert fused.enabled(x) == on
        runs.append(out_and_grads(m, x.clone().requires_grad_()))
    tol = 1e-12 if dtype == torch.float64 else 1e-5
    for a, b in zip(*runs):
        torch.testing.assert_close(b, a, rtol=tol, atol=tol)


@needs_cuda
@needs_triton
@pytest.mark.parametrize("cls", lt.MODULES, ids=lambda c: c.__name__)
def test_cuda_bfloat16_agrees_with_cpu_float64_within_its_precision(cls):
    torch.manual_seed(0)
    gpu = cls(8, 16, num_layers=2, bidirectional=True, device="cuda", dtype=torch.bfloat16)
    cpu = cls(8, 16, num_layers=2, bidirectional=True, dtype=torch.float64)
    cpu.load_state_dict({k: v.double().cpu() for k, v in gpu.state_dict().items()})
    x = torch.randn(12, 4, 8, dtype=torch.float64).bfloat16().double().requires_grad_()
    xg = x.detach().to("cuda", torch.bfloat16).requires_grad_()
    for a, b in zip(out_and_grads(cpu, x), out_and_grads(gpu, xg)):
        assert (b.double().cpu() - a).abs().max() <= 6 * 2.0 ** -7 * a.abs().max()


@needs_cuda
@needs_triton
@pytest.mark.parametrize("cls", lt.MODULES, ids=lambda c: c.__name__)
def test_cuda_float32_module_under_bfloat16_autocast_computes_in_bfloat16(cls):
    import copy
    torch.manual_seed(0)
    m = cls(8, 16, num_layers=2, device="cuda")
    low = copy.deepcopy(m).to(torch.bfloat16)
    x = torch.randn(12, 4, 8, device="cuda").bfloat16()
    with torch.autocast("cuda", dtype=torch.bfloat16):
        y, _ = m(x.float())
        y.float().square().sum().backward()
    y_low, _ = low(x)
    y_low.float().square().sum().backward()
    assert y.dtype == torch.bfloat16 and torch.equal(y, y_low)
    for p, q in zip(m.parameters(), low.parameters()):
        assert p.grad.dtype == torch.float32 and torch.equal(p.grad, q.grad.float())


@needs_cuda
def test_charlm_trains_in_bfloat16_on_cuda(tmp_path):
    from charlm_helpers import TINY, write_text
    from lstm_ref.charlm.cli import main
    text = write_text(tmp_path / "t.txt")
    args = [a if a != "cpu" else "cuda" for a in TINY]
    assert main(["train", "--out", str(tmp_path / "r"), "--text", str(text), "--steps", "20",
                 "--eval-every", "10", *args, "--dtype", "bfloat16"]) == 0
