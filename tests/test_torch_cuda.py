"""lstm_ref.torch on CUDA: every cell agrees with the CPU float64 result. Skips without a GPU."""
import pytest
import torch

import lstm_ref.torch as lt

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA GPU available")


@pytest.mark.parametrize("cls", lt.MODULES, ids=lambda c: c.__name__)
def test_cuda_float32_agrees_with_cpu_float64(cls):
    torch.manual_seed(0)
    cpu = cls(8, 16, num_layers=2, bidirectional=True, dtype=torch.float64)
    gpu = cls(8, 16, num_layers=2, bidirectional=True, device="cuda", dtype=torch.float32)
    gpu.load_state_dict(cpu.state_dict())
    x = torch.randn(12, 4, 8, dtype=torch.float64, requires_grad=True)
    xg = x.detach().to("cuda", torch.float32).requires_grad_()
    (y, _), (yg, _) = cpu(x), gpu(xg)
    torch.testing.assert_close(yg.double().cpu(), y, rtol=1e-5, atol=1e-5)
    g = torch.autograd.grad(y.square().sum(), [x, *cpu.parameters()])
    gg = torch.autograd.grad(yg.square().sum(), [xg, *gpu.parameters()])
    for a, b in zip(g, gg):
        torch.testing.assert_close(b.double().cpu(), a, rtol=1e-4, atol=1e-4)
