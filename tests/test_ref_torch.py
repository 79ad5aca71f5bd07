"""lstm_ref against torch autograd in float64: outputs, states, every gradient."""
import numpy as np
import pytest
import torch

import lstm_ref

TOL = 1e-10
SHAPES = [(1, 1, 3, 5), (4, 3, 5, 2), (7, 2, 1, 6), (200, 2, 3, 4)]   # (T, B, D, H)
KINDS = [("LSTM", {}), ("GRU", {}), ("RNN", {"nonlinearity": "tanh"}),
         ("RNN", {"nonlinearity": "relu"})]


def torch_module(kind, D, H, kw):
    return getattr(torch.nn, kind)(D, H, **kw).double()


def run_torch(module, x, state, dy, d_final, lstm):
    xt = torch.tensor(x, requires_grad=True)
    parts = state if lstm else (state,)
    st = [torch.tensor(s[None], requires_grad=True) for s in parts]
    y, fin = module(xt, tuple(st) if lstm else st[0])
    fins = fin if lstm else (fin,)
    dfs = d_final if lstm else (d_final,)
    loss = (y * torch.tensor(dy)).sum() + sum((f[0] * torch.tensor(d)).sum()
                                               for f, d in zip(fins, dfs))
    module.zero_grad()
    loss.backward()
    grads = {n[:-3]: p.grad.numpy() for n, p in module.named_parameters()}
    return (y.detach().numpy(), [f[0].detach().numpy() for f in fins], grads,
            xt.grad.numpy(), [s.grad[0].numpy() for s in st])


def as_list(s):
    return list(s) if isinstance(s, tuple) else [s]


@pytest.mark.parametrize("kind,kw", KINDS)
@pytest.mark.parametrize("T,B,D,H", SHAPES)
def test_agrees_with_torch(kind, kw, T, B, D, H):
    torch.manual_seed(T * 100 + H)
    module = torch_module(kind, D, H, kw)
    cell = lstm_ref.from_torch(module)
    rng = np.random.default_rng(T + B)
    lstm = kind == "LSTM"
    x = rng.normal(size=(T, B, D))
    state = tuple(rng.normal(size=(B, H)) for _ in range(2)) if lstm else rng.normal(size=(B, H))
    dy = rng.normal(size=(T, B, H))
    d_final = tuple(rng.normal(size=(B, H)) for _ in range(2)) if lstm else rng.normal(size=(B, H))

    y, final, cache = lstm_ref.forward(cell, x, state)
    grads, dx, d_state0 = lstm_ref.backward(cell, cache, dy, d_final)
    ty, tfinal, tgrads, tdx, td_state0 = run_torch(module, x, state, dy, d_final, lstm)

    np.testing.assert_allclose(y, ty, rtol=0, atol=TOL)
    for a, b in zip(as_list(final), tfinal):
        np.testing.assert_allclose(a, b, rtol=0, atol=TOL)
    assert list(grads) == list(cell.state_dict())
    for name, g in tgrads.items():
        np.testing.assert_allclose(grads[name], g, rtol=TOL, atol=TOL, err_msg=name)
    np.testing.assert_allclose(dx, tdx, rtol=TOL, atol=TOL)
    for a, b in zip(as_list(d_state0), td_state0):
        np.testing.assert_allclose(a, b, rtol=TOL, atol=TOL)


@pytest.mark.parametrize("name", ["LSTMCell", "GRUCell", "RNNCell"])
def test_from_torch_cell_modules_round_trip(name):
    torch.manual_seed(0)
    kw = {"nonlinearity": "relu"} if name == "RNNCell" else {}
    module = getattr(torch.nn, name)(3, 5, **kw).double()
    cell = lstm_ref.from_torch(module)
    assert cell.nonlinearity == "relu" if name == "RNNCell" else True
    for k, p in module.named_parameters():
        np.testing.assert_array_equal(getattr(cell, k), p.detach().numpy())
    rng = np.random.default_rng(1)
    x, h = rng.normal(size=(1, 2, 3)), rng.normal(size=(2, 5))
    state = (h, rng.normal(size=(2, 5))) if name == "LSTMCell" else h
    y, final, _ = lstm_ref.forward(cell, x, state)
    targ = tuple(torch.tensor(s) for s in state) if name == "LSTMCell" else torch.tensor(h)
    out = module(torch.tensor(x[0]), targ)
    out = out[0] if name == "LSTMCell" else out
    np.testing.assert_allclose(y[0], out.detach().numpy(), atol=TOL)
    back = lstm_ref.to_torch(cell) if name != "RNNCell" else None
    if back is not None:
        np.testing.assert_array_equal(back.weight_hh_l0.detach().numpy(), cell.weight_hh)


def test_state_dict_round_trip_with_torch_names():
    torch.manual_seed(0)
    module = torch.nn.LSTM(4, 3).double()
    cell = lstm_ref.LSTM.from_state_dict(module.state_dict())
    again = lstm_ref.LSTM.from_state_dict(cell.state_dict())
    for k, v in cell.state_dict().items():
        np.testing.assert_array_equal(v, again.state_dict()[k])
        np.testing.assert_array_equal(v, module.state_dict()[k + "_l0"].numpy())


def test_from_torch_float32_and_no_bias():
    module = torch.nn.GRU(3, 4, bias=False)
    cell = lstm_ref.from_torch(module)
    assert cell.dtype == np.float32
    assert not cell.bias_ih.any() and not cell.bias_hh.any()
    x = np.random.default_rng(0).normal(size=(5, 2, 3)).astype(np.float32)
    y, _, _ = lstm_ref.forward(cell, x)
    ty, _ = module(torch.tensor(x))
    assert y.dtype == np.float32
    np.testing.assert_allclose(y, ty.detach().numpy(), atol=1e-5)


def test_stack_of_two_lstms_matches_two_layer_torch_lstm():
    torch.manual_seed(3)
    module = torch.nn.LSTM(3, 5, num_layers=2).double()
    net = lstm_ref.Stack.from_torch(module)
    rng = np.random.default_rng(0)
    T, B = 6, 2
    x, dy = rng.normal(size=(T, B, 3)), rng.normal(size=(T, B, 5))
    h0, c0 = rng.normal(size=(2, B, 5)), rng.normal(size=(2, B, 5))
    y, finals, cache = lstm_ref.forward(net, x, [(h0[0], c0[0]), (h0[1], c0[1])])
    grads, dx, d0 = lstm_ref.backward(net, cache, dy)
    xt = torch.tensor(x, requires_grad=True)
    ht, ct = torch.tensor(h0, requires_grad=True), torch.tensor(c0, requires_grad=True)
    ty, (thn, tcn) = module(xt, (ht, ct))
    (ty * torch.tensor(dy)).sum().backward()
    np.testing.assert_allclose(y, ty.detach().numpy(), atol=TOL)
    for k in range(2):
        np.testing.assert_allclose(finals[k][0], thn[k].detach().numpy(), atol=TOL)
        np.testing.assert_allclose(finals[k][1], tcn[k].detach().numpy(), atol=TOL)
        np.testing.assert_allclose(d0[k][0], ht.grad[k].numpy(), atol=TOL)
        np.testing.assert_allclose(d0[k][1], ct.grad[k].numpy(), atol=TOL)
    for name, p in module.named_parameters():
        layer, base = name[-1], name[:-3]
        np.testing.assert_allclose(grads[f"{layer}.{base}"], p.grad.numpy(), atol=TOL)
    np.testing.assert_allclose(dx, xt.grad.numpy(), atol=TOL)


def test_stack_as_list_gives_same_result():
    cells = [lstm_ref.GRU(2, 3, seed=0), lstm_ref.LSTM(3, 4, seed=1)]
    x = np.random.default_rng(0).normal(size=(3, 2, 2))
    y1, _, _ = lstm_ref.forward(cells, x)
    y2, _, _ = lstm_ref.forward(lstm_ref.Stack(cells), x)
    np.testing.assert_array_equal(y1, y2)
