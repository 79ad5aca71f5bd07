"""Tests for the modules Part II adds: state Jacobians, the truncated gradient, the hand-set memory cell."""
import numpy as np
import pytest

import lstm_ref
from lstm_ref.jacobian import cell_state_jacobians, direct_path, jacobian_products, spectral_norms, step_jacobians
from lstm_ref.memory import memory_cell, memory_sequence
from lstm_ref.truncated import truncated_backward

CELLS = [lstm_ref.RNN, lstm_ref.LSTM, lstm_ref.NoForgetLSTM]


def run(cls, T=6, B=3, D=2, H=4, seed=0):
    rng = np.random.default_rng(seed)
    cell = cls(D, H, seed=seed + 1)
    x = rng.normal(size=(T, B, D))
    state = None if cls is lstm_ref.RNN else (rng.normal(size=(B, H)), rng.normal(size=(B, H)))
    out, _, cache = lstm_ref.forward(cell, x, state)
    return cell, x, state, cache


@pytest.mark.parametrize("cls", CELLS)
def test_jacobian_product_matches_backward(cls):
    cell, x, state, cache = run(cls)
    P = jacobian_products(step_jacobians(cell, cache))
    assert P.shape[0] == len(x) + 1
    np.testing.assert_array_equal(P[0], np.broadcast_to(np.eye(P.shape[-1]), P.shape[1:]))
    v = np.random.default_rng(9).normal(size=P.shape[1:3])
    H = cell.hidden_size
    if cls is lstm_ref.RNN:
        _, _, d0 = lstm_ref.backward(cell, cache, None, v)
    else:
        _, _, d0 = lstm_ref.backward(cell, cache, None, (v[:, :H], v[:, H:]))
        d0 = np.concatenate(d0, axis=1)
    np.testing.assert_allclose(np.einsum("bs,bst->bt", v, P[-1]), d0, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("cls", CELLS)
def test_one_step_jacobian_matches_finite_differences(cls):
    cell, x, state, cache = run(cls, T=1, B=1, H=3)
    J = step_jacobians(cell, cache)[0, 0]
    s0 = np.zeros(J.shape[0]) if state is None else np.concatenate([state[0][0], state[1][0]])

    def f(s):
        st = s[None] if cls is lstm_ref.RNN else (s[None, :3], s[None, 3:])
        _, fin, _ = lstm_ref.forward(cell, x, st)
        return fin[0] if cls is lstm_ref.RNN else np.concatenate([fin[0][0], fin[1][0]])

    eps = 1e-6
    num = np.stack([(f(s0 + eps * e) - f(s0 - eps * e)) / (2 * eps) for e in np.eye(len(s0))], 1)
    np.testing.assert_allclose(J, num, atol=1e-8)


def test_direct_path_is_the_product_of_forget_gates():
    cell, x, state, cache = run(lstm_ref.LSTM, T=5)
    f = np.stack([cell.gate_values(s)["f"] for s in cache.steps])
    D = direct_path(cell, cache)
    np.testing.assert_allclose(D[-1], np.prod(f, axis=0), rtol=1e-14)
    np.testing.assert_array_equal(D[0], 1.0)
    assert np.all(np.diff(D, axis=0) < 0)            # 0 < f < 1: strictly shrinking


def test_direct_path_is_the_full_path_without_recurrent_weights():
    for cls in (lstm_ref.LSTM, lstm_ref.NoForgetLSTM):
        cell = cls(2, 3, seed=4)
        cell.weight_hh[...] = 0.0
        _, _, cache = lstm_ref.forward(cell, np.random.default_rng(4).normal(size=(5, 2, 2)))
        P = jacobian_products(step_jacobians(cell, cache))
        D = direct_path(cell, cache)
        cc = P[..., 3:, 3:]
        np.testing.assert_allclose(np.diagonal(cc, axis1=-2, axis2=-1), D, rtol=1e-14)
        assert np.all(cc * (1 - np.eye(3)) == 0)


def test_no_forget_direct_path_is_exactly_one():
    cell, x, state, cache = run(lstm_ref.NoForgetLSTM, T=50)
    assert np.all(direct_path(cell, cache) == 1.0)


def test_spectral_norms():
    A = np.stack([np.diag([3.0, -5.0]), np.eye(2)])
    np.testing.assert_allclose(spectral_norms(A), [5.0, 1.0])
    with pytest.raises(ValueError, match="stack of matrices"):
        spectral_norms(np.ones(3))


def test_jacobian_bad_input():
    cell, x, state, cache = run(lstm_ref.LSTM)
    with pytest.raises(TypeError, match="supports"):
        step_jacobians(lstm_ref.GRU(2, 4), cache)
    with pytest.raises(ValueError, match="tanh RNN"):
        step_jacobians(lstm_ref.RNN(2, 4, nonlinearity="relu"), cache)
    with pytest.raises(ValueError, match="SequenceCache"):
        step_jacobians(lstm_ref.LSTM(2, 4), cache)
    with pytest.raises(ValueError, match=r"\(T, B, S, S\)"):
        jacobian_products(np.ones((2, 3, 3)))
    rnn, _, _, rcache = run(lstm_ref.RNN)
    with pytest.raises(TypeError, match="cell state"):
        direct_path(rnn, rcache)


@pytest.mark.parametrize("cls", [lstm_ref.LSTM, lstm_ref.NoForgetLSTM, lstm_ref.CoupledLSTM])
def test_truncated_equals_full_without_recurrent_weights(cls):
    cell = cls(3, 4, seed=2)
    cell.weight_hh[...] = 0.0
    x = np.random.default_rng(2).normal(size=(7, 2, 3))
    out, _, cache = lstm_ref.forward(cell, x)
    d = np.random.default_rng(3).normal(size=out.shape)
    g, dx, (dh0, dc0) = lstm_ref.backward(cell, cache, d)
    gt, dxt, (dht, dct) = truncated_backward(cell, cache, d)
    for k in g:
        np.testing.assert_allclose(gt[k], g[k], rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(dxt, dx, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(dct, dc0, rtol=1e-13, atol=1e-15)


def test_truncated_matches_detached_torch_loop():
    torch = pytest.importorskip("torch")
    cell = lstm_ref.LSTM(3, 4, seed=5)
    x = np.random.default_rng(5).normal(size=(6, 2, 3))
    out, _, cache = lstm_ref.forward(cell, x)
    d = np.random.default_rng(6).normal(size=out.shape)
    g, dx, (dh0, dc0) = truncated_backward(cell, cache, d)
    assert np.all(dh0 == 0)
    m = torch.nn.LSTMCell(3, 4, dtype=torch.float64)
    m.load_state_dict({k: torch.tensor(v) for k, v in cell.state_dict().items()})
    xt = torch.tensor(x, requires_grad=True)
    h = torch.zeros(2, 4, dtype=torch.float64)
    c = torch.zeros(2, 4, dtype=torch.float64, requires_grad=True)
    c0, hs = c, []
    for t in range(6):
        h, c = m(xt[t], (h.detach(), c))       # no error through h_{t-1} -> a_t
        hs.append(h)
    (torch.stack(hs) * torch.tensor(d)).sum().backward()
    for k in g:
        np.testing.assert_allclose(g[k], getattr(m, k).grad.numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(dc0, c0.grad.numpy(), rtol=1e-12, atol=1e-14)


def test_truncated_bad_input():
    rnn, _, _, cache = run(lstm_ref.RNN)
    with pytest.raises(TypeError, match="cell state"):
        truncated_backward(rnn, cache, None)
    cell, _, _, cache = run(lstm_ref.LSTM)
    with pytest.raises(ValueError, match="SequenceCache"):
        truncated_backward(lstm_ref.LSTM(2, 4), cache, None)
    peep = lstm_ref.PeepholeLSTM(2, 4, seed=0)
    _, _, pcache = lstm_ref.forward(peep, np.zeros((3, 1, 2)))
    with pytest.raises(TypeError, match="PeepholeLSTM"):
        truncated_backward(peep, pcache, None)


def test_memory_cell_holds_values_for_1000_steps():
    values = np.array([1.0, -1.0, 0.3, -0.05])
    cell = memory_cell()
    out, (h, c), cache = lstm_ref.forward(cell, memory_sequence(values, 1000))
    c1 = np.tanh(values) * lstm_ref.sigmoid(np.array(10.0))
    np.testing.assert_allclose(c[:, 0], c1, rtol=1e-5)           # held, nothing added
    np.testing.assert_array_equal(np.sign(h[:, 0]), np.sign(values))
    assert np.abs(out[:-1]).max() < 1e-4                           # closed output gate
    f = np.stack([cell.gate_values(s)["f"] for s in cache.steps])
    assert f.min() > 1 - 1e-8


def test_memory_sequence_layout_and_errors():
    x = memory_sequence([1.0, -1.0], 5, noise=0.5, seed=0)
    assert x.shape == (5, 2, 3)
    np.testing.assert_array_equal(x[0], [[1, 1, 0], [1, -1, 0]])
    np.testing.assert_array_equal(x[:, :, 2].T, [[0, 0, 0, 0, 1]] * 2)
    assert np.all(x[1:, :, 0] == 0) and np.all(x[1:, :, 1] != 0)
    np.testing.assert_array_equal(x, memory_sequence([1.0, -1.0], 5, noise=0.5, seed=0))
    with pytest.raises(ValueError, match="values"):
        memory_sequence(np.ones((2, 2)), 5)
    with pytest.raises(ValueError, match="T must"):
        memory_sequence([1.0], 1)
    with pytest.raises(ValueError, match="noise"):
        memory_sequence([1.0], 5, noise=-1.0)
    with pytest.raises(ValueError, match="keep_bias"):
        memory_cell(keep_bias=np.inf)
    with pytest.raises(TypeError, match="gate_gain must be a real number"):
        memory_cell(gate_gain="20")
    with pytest.raises(TypeError, match="noise must be a real number"):
        memory_sequence([1.0], 5, noise=None)
    with pytest.raises(ValueError, match="values must be finite"):
        memory_sequence([np.nan], 5)


@pytest.mark.parametrize("cls", [lstm_ref.LSTM, lstm_ref.NoForgetLSTM])
def test_cell_state_jacobians_match_finite_differences(cls):
    T, H, k = 5, 3, 2
    cell = cls(2, H, seed=7)
    x = np.random.default_rng(7).normal(size=(T, 1, 2))
    out, _, cache = lstm_ref.forward(cell, x)
    C = cell_state_jacobians(cell, cache)
    assert C.shape == (T, 1, H, H)
    np.testing.assert_allclose(C[0, 0], np.eye(H), atol=0)
    step_k = cache.steps[k - 1]                            # step k made c_k and h_k
    o_k = cell.gate_values(step_k)["o"][0]
    c_k = cache.steps[k][1][0] if cls is lstm_ref.LSTM else np.arctanh(step_k[-1][0])

    def c_T(c):                                            # h_k responds to c_k
        _, (_, c_fin), _ = lstm_ref.forward(cell, x[k:], ((o_k * np.tanh(c))[None], c[None]))
        return c_fin[0]

    eps = 1e-6
    num = np.stack([(c_T(c_k + eps * e) - c_T(c_k - eps * e)) / (2 * eps) for e in np.eye(H)], 1)
    np.testing.assert_allclose(C[T - k, 0], num, atol=1e-8)
    rnn, _, _, rcache = run(lstm_ref.RNN)
    with pytest.raises(TypeError, match="cell state"):
        cell_state_jacobians(rnn, rcache)
