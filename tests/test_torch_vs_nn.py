"""lstm_ref.torch against torch.nn in float64: outputs, states and every gradient agree to 1e-10."""
import itertools

import pytest
import torch

import lstm_ref.torch as lt

TOL = 1e-10
KINDS = [("LSTM", {}), ("GRU", {}), ("RNN", {}), ("RNN", {"nonlinearity": "relu"})]


def pair(kind, kw, seed=0, **config):
    """Our module and the torch.nn one with the same (our) weights, float64."""
    torch.manual_seed(seed)
    ours = getattr(lt, kind)(4, 5, dtype=torch.float64, **config, **kw)
    theirs = getattr(torch.nn, kind)(4, 5, dtype=torch.float64, **config, **kw)
    theirs.load_state_dict(ours.state_dict(), strict=True)
    return ours, theirs


def inputs(ours, T=6, B=3, unbatched=False, seed=1):
    g = torch.Generator().manual_seed(seed)
    shape = (T, 4) if unbatched else ((B, T, 4) if ours.batch_first else (T, B, 4))
    x = torch.randn(*shape, generator=g, dtype=torch.float64, requires_grad=True)
    LD = ours.num_layers * ours.num_directions
    sshape = (LD, 5) if unbatched else (LD, B, 5)
    n = 2 if ours.has_cell_state else 1
    hx = [torch.randn(*sshape, generator=g, dtype=torch.float64, requires_grad=True)
          for _ in range(n)]
    return x, hx


def loss_and_grads(module, x, hx, weights):
    out, state = module(x, tuple(hx) if len(hx) == 2 else hx[0])
    states = state if isinstance(state, tuple) else (state,)
    loss = (out * weights[0]).sum() + sum((s * w).sum() for s, w in zip(states, weights[1:]))
    names = [n for n, _ in module.named_parameters()]
    grads = torch.autograd.grad(loss, [x, *hx, *module.parameters()])
    return out, states, dict(zip(["x"] + [f"hx{j}" for j in range(len(hx))] + names, grads))


def check_agreement(ours, theirs, unbatched=False):
    x, hx = inputs(ours, unbatched=unbatched)
    out_a, st_a, g_a = loss_and_grads(ours, x, hx, _weights(ours, x, hx))
    out_b, st_b, g_b = loss_and_grads(theirs, x, hx, _weights(ours, x, hx))
    assert out_a.shape == out_b.shape and out_a.dtype == torch.float64
    assert (out_a - out_b).abs().max() <= TOL
    for a, b in zip(st_a, st_b):
        assert a.shape == b.shape and (a - b).abs().max() <= TOL
    assert g_a.keys() == g_b.keys()
    for name in g_a:
        assert (g_a[name] - g_b[name]).abs().max() <= TOL, name


def _weights(ours, x, hx):
    g = torch.Generator().manual_seed(7)
    with torch.no_grad():
        out, state = ours(x, tuple(hx) if len(hx) == 2 else hx[0])
    states = state if isinstance(state, tuple) else (state,)
    return [torch.randn(out.shape, generator=g, dtype=torch.float64)] + \
        [torch.randn(s.shape, generator=g, dtype=torch.float64) for s in states]


CONFIGS = list(itertools.product([1, 3], [False, True], [False, True], [True, False]))


@pytest.mark.parametrize("kind,kw", KINDS, ids=lambda v: str(v))
@pytest.mark.parametrize("layers,bidirectional,batch_first,bias", CONFIGS)
def test_agrees_with_torch_nn(kind, kw, layers, bidirectional, batch_first, bias):
    ours, theirs = pair(kind, kw, num_layers=layers, bidirectional=bidirectional,
                        batch_first=batch_first, bias=bias)
    check_agreement(ours, theirs)


@pytest.mark.parametrize("kind,kw", KINDS, ids=lambda v: str(v))
@pytest.mark.parametrize("layers,bidirectional", [(1, False), (2, True)])
def test_unbatched_input_agrees_with_torch_nn(kind, kw, layers, bidirectional):
    ours, theirs = pair(kind, kw, num_layers=layers, bidirectional=bidirectional)
    check_agreement(ours, theirs, unbatched=True)


@pytest.mark.parametrize("kind", ["LSTM", "GRU", "RNN"])
def test_default_state_and_return_structure_match_torch_nn(kind):
    ours, theirs = pair(kind, {}, num_layers=2, bidirectional=True)
    x = torch.randn(5, 3, 4, dtype=torch.float64)
    (ya, sa), (yb, sb) = ours(x), theirs(x)
    assert type(sa) is type(sb)
    if kind == "LSTM":
        assert len(sa) == 2 and all((a - b).abs().max() <= TOL for a, b in zip(sa, sb))
    else:
        assert isinstance(sa, torch.Tensor) and (sa - sb).abs().max() <= TOL
    assert ya.shape == (5, 3, 10) and (ya - yb).abs().max() <= TOL


@pytest.mark.parametrize("kind", ["LSTM", "GRU", "RNN"])
@pytest.mark.parametrize("config", [dict(num_layers=3, bidirectional=True), dict(bias=False)])
def test_state_dicts_load_both_ways_strictly(kind, config):
    torch.manual_seed(3)
    ours = getattr(lt, kind)(4, 5, **config)
    theirs = getattr(torch.nn, kind)(4, 5, **config)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    theirs.load_state_dict(ours.state_dict(), strict=True)
    ours2 = getattr(lt, kind)(4, 5, **config)
    ours2.load_state_dict(theirs.state_dict(), strict=True)
    for (n, a), (m, b) in zip(ours.state_dict().items(), ours2.state_dict().items()):
        assert n == m and torch.equal(a, b)


@pytest.mark.parametrize("kind", ["LSTM", "GRU", "RNN"])
def test_float32_agrees_with_torch_nn(kind):
    torch.manual_seed(4)
    ours = getattr(lt, kind)(4, 16, num_layers=2, bidirectional=True)
    theirs = getattr(torch.nn, kind)(4, 16, num_layers=2, bidirectional=True)
    theirs.load_state_dict(ours.state_dict())
    x = torch.randn(20, 3, 4, requires_grad=True)
    (ya, _), (yb, _) = ours(x), theirs(x)
    assert ya.dtype == torch.float32
    torch.testing.assert_close(ya, yb, rtol=1e-5, atol=1e-6)
    ga = torch.autograd.grad(ya.square().sum(), [x, *ours.parameters()])
    gb = torch.autograd.grad(yb.square().sum(), [x, *theirs.parameters()])
    for a, b in zip(ga, gb):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)


def test_inter_layer_dropout_only_in_training_and_only_between_layers():
    torch.manual_seed(5)
    m = lt.LSTM(4, 5, num_layers=2, dropout=1.0)        # p = 1 zeroes every inter-layer value
    x = torch.randn(6, 3, 4)
    y_train, _ = m(x)
    top = lt.LSTM(5, 5)
    top.load_state_dict({k.replace("_l1", "_l0"): v for k, v in m.state_dict().items()
                         if "_l1" in k})
    y_zero_input, _ = top(torch.zeros(6, 3, 5))
    torch.testing.assert_close(y_train, y_zero_input, rtol=0, atol=0)
    m.eval()
    theirs = torch.nn.LSTM(4, 5, num_layers=2, dropout=1.0).eval()
    theirs.load_state_dict(m.state_dict())
    torch.testing.assert_close(m(x)[0], theirs(x)[0])
    assert not torch.allclose(m(x)[0], y_train)
