"""lstm_ref.torch against the numpy reference: every cell, through from_numpy; exact round trips."""
import numpy as np
import pytest
import torch

import lstm_ref
import lstm_ref.torch as lt

TOL = 1e-10
CELLS = [("RNN", {}), ("RNN", {"nonlinearity": "relu"}), ("LSTM", {}), ("PeepholeLSTM", {}),
         ("CoupledLSTM", {}), ("NoForgetLSTM", {}), ("GRU", {}), ("GRU", {"reset_after": False})]
IDS = [name + "".join(f"-{v}" for v in kw.values()) for name, kw in CELLS]


def numpy_net(name, kw, layers, dtype=np.float64):
    cells = [getattr(lstm_ref, name)(3 if k == 0 else 5, 5, seed=10 + k, dtype=dtype, **kw)
             for k in range(layers)]
    return cells[0] if layers == 1 else lstm_ref.Stack(cells)


@pytest.mark.parametrize("name,kw", CELLS, ids=IDS)
@pytest.mark.parametrize("layers", [1, 2])
def test_every_cell_agrees_with_the_numpy_reference(name, kw, layers):
    net = numpy_net(name, kw, layers)
    module = getattr(lt, name).from_numpy(net)
    assert module.num_layers == layers and module.weight_ih_l0.dtype == torch.float64
    rng = np.random.default_rng(0)
    T, B, H = 7, 2, 5
    x = rng.standard_normal((T, B, 3))
    has_c = net.cells[0].has_cell_state if layers > 1 else net.has_cell_state
    def one_state():
        return (rng.standard_normal((B, H)), rng.standard_normal((B, H))) if has_c \
            else rng.standard_normal((B, H))
    states = [one_state() for _ in range(layers)]
    dy = rng.standard_normal((T, B, H))
    d_final = [one_state() for _ in range(layers)]
    y, final, cache = lstm_ref.forward(net, x, states if layers > 1 else states[0])
    grads, dx, d0 = lstm_ref.backward(net, cache, dy, d_final if layers > 1 else d_final[0])
    if layers == 1:
        final, d0 = [final], [d0]

    parts = lambda ss, j: torch.tensor(np.stack([s[j] if has_c else s for s in ss]))  # noqa: E731
    n = 2 if has_c else 1
    xt = torch.tensor(x, requires_grad=True)
    hx = [parts(states, j).requires_grad_() for j in range(n)]
    yt, st = module(xt, tuple(hx) if n == 2 else hx[0])
    st = st if n == 2 else (st,)
    loss = (yt * torch.tensor(dy)).sum() + sum((s * parts(d_final, j)).sum()
                                               for j, s in enumerate(st))
    names = [k for k, _ in module.named_parameters()]
    g = dict(zip(["x"] + [f"s{j}" for j in range(n)] + names,
                 torch.autograd.grad(loss, [xt, *hx, *module.parameters()])))

    assert np.abs(yt.detach().numpy() - y).max() <= TOL
    for j in range(n):
        assert np.abs(st[j].detach().numpy() - parts(final, j).numpy()).max() <= TOL
        assert np.abs(g[f"s{j}"].numpy() - parts(d0, j).numpy()).max() <= TOL
    assert np.abs(g["x"].numpy() - dx).max() <= TOL
    for key, ref in grads.items():
        layer, pname = key.split(".") if layers > 1 else ("0", key)
        assert np.abs(g[f"{pname}_l{layer}"].numpy() - ref).max() <= TOL, key


@pytest.mark.parametrize("name,kw", CELLS, ids=IDS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("layers", [1, 3])
def test_to_numpy_round_trips_exactly(name, kw, dtype, layers):
    net = numpy_net(name, kw, layers, dtype)
    back = getattr(lt, name).from_numpy(net).to_numpy()
    assert type(back) is type(net) and repr(back) == repr(net)
    a, b = net.state_dict(), back.state_dict()
    assert a.keys() == b.keys()
    for k in a:
        assert a[k].dtype == b[k].dtype and np.array_equal(a[k], b[k]), k


@pytest.mark.parametrize("name,kw", CELLS, ids=IDS)
def test_module_to_numpy_to_module_is_exact(name, kw):
    torch.manual_seed(0)
    m = getattr(lt, name)(3, 4, num_layers=2, **kw)
    m2 = getattr(lt, name).from_numpy(m.to_numpy())
    for (k, a), (k2, b) in zip(m.state_dict().items(), m2.state_dict().items()):
        assert k == k2 and torch.equal(a, b)


def test_bias_false_round_trip_through_numpy():
    torch.manual_seed(0)
    m = lt.PeepholeLSTM(3, 4, num_layers=2, bias=False)
    net = m.to_numpy()
    assert all(np.all(c.bias_ih == 0) and np.all(c.bias_hh == 0) for c in net.cells)
    m2 = lt.PeepholeLSTM.from_numpy(net, bias=False)
    assert list(m2.state_dict()) == list(m.state_dict())
    assert all(torch.equal(a, b) for a, b in zip(m.state_dict().values(), m2.state_dict().values()))
    with pytest.raises(ValueError, match="bias=False needs the cell's bias_ih to be zero"):
        lt.LSTM.from_numpy(lstm_ref.LSTM(3, 4, seed=0), bias=False)


def test_from_numpy_rejects_other_cells_and_bidirectional_to_numpy():
    with pytest.raises(TypeError, match="needs lstm_ref.LSTM cells, got PeepholeLSTM"):
        lt.LSTM.from_numpy(lstm_ref.PeepholeLSTM(3, 4))
    with pytest.raises(TypeError, match="got ndarray"):
        lt.GRU.from_numpy(np.zeros(3))
    with pytest.raises(ValueError, match="bidirectional=True"):
        lt.GRU(3, 4, bidirectional=True).to_numpy()
    with pytest.raises(ValueError, match="hidden size and options of layer 0"):
        lt.GRU.from_numpy(lstm_ref.Stack([lstm_ref.GRU(3, 4), lstm_ref.GRU(4, 4, reset_after=False)]))
