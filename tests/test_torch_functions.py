"""torch.autograd.gradcheck on every hand-written Function (float64, small sizes)."""
import pytest
import torch
from torch.autograd import gradcheck

from lstm_ref.torch import functions as F

T, B, D, H = 3, 2, 3, 2


def args(G, cell_state, bias=True, vectors=0, seed=0):
    g = torch.Generator().manual_seed(seed)
    r = lambda *s: torch.randn(*s, generator=g, dtype=torch.float64, requires_grad=True)  # noqa: E731
    a = [r(T, B, D), r(B, H)] + ([r(B, H)] if cell_state else [])
    a += [r(G * H, D), r(G * H, H)] + ([r(G * H), r(G * H)] if bias else [None, None])
    return a + [r(H) for _ in range(vectors)]


CASES = [
    ("RNN-tanh", F.RNNFunction, 1, False, 0, (False,)),
    ("RNN-relu", F.RNNFunction, 1, False, 0, (True,)),
    ("LSTM", F.LSTMFunction, 4, True, 0, ()),
    ("PeepholeLSTM", F.PeepholeLSTMFunction, 4, True, 3, ()),
    ("CoupledLSTM", F.CoupledLSTMFunction, 3, True, 0, ()),
    ("NoForgetLSTM", F.NoForgetLSTMFunction, 3, True, 0, ()),
    ("GRU-reset-after", F.GRUFunction, 3, False, 0, (True,)),
    ("GRU-cho", F.GRUFunction, 3, False, 0, (False,)),
]


@pytest.mark.parametrize("name,fn,G,cell_state,vectors,extra", CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("bias", [True, False])
def test_gradcheck(name, fn, G, cell_state, vectors, extra, bias):
    a = args(G, cell_state, bias, vectors)
    if name == "RNN-relu":                 # keep pre-activations away from relu's kink
        with torch.no_grad():
            a[0].mul_(3)
    assert gradcheck(lambda *t: fn.apply(*t, *extra), a, eps=1e-6, atol=1e-8, rtol=1e-6)


def test_gradients_skip_inputs_that_need_none():
    a = args(4, True)
    for t in a[:3]:
        t.requires_grad_(False)
    y, h, c = F.LSTMFunction.apply(*a)
    grads = torch.autograd.grad(y.sum() + c.sum(), a[3:])
    assert all(g is not None and torch.isfinite(g).all() for g in grads)


def test_bias_gradients_are_independent_tensors():
    a = args(4, True)
    y, _, _ = F.LSTMFunction.apply(*a)
    y.sum().backward()
    assert torch.equal(a[5].grad, a[6].grad) and a[5].grad.data_ptr() != a[6].grad.data_ptr()


def test_editing_outputs_in_place_is_caught_by_autograd():
    a = args(4, True)
    y, _, _ = F.LSTMFunction.apply(*a)
    y.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_backward_workspace_is_never_returned():
    """Two backward passes share the per-thread workspace; the first one's gradients must not change."""
    import lstm_ref.torch as lt
    torch.manual_seed(0)
    a, b = lt.GRU(3, 4, num_layers=2), lt.PeepholeLSTM(3, 4)
    x = torch.randn(5, 2, 3, requires_grad=True)
    a(x)[0].square().sum().backward()
    before = [p.grad.clone() for p in a.parameters()] + [x.grad.clone()]
    b(torch.randn(9, 3, 3))[0].sum().backward()
    after = [p.grad for p in a.parameters()] + [x.grad]
    assert all(torch.equal(u, v) for u, v in zip(before, after))
