"""Gradient checks and semantic checks for the cells PyTorch does not have."""
import numpy as np
import pytest

import lstm_ref
from lstm_ref.activations import sigmoid

VARIANTS = [
    (lstm_ref.PeepholeLSTM, {}), (lstm_ref.CoupledLSTM, {}), (lstm_ref.NoForgetLSTM, {}),
    (lstm_ref.GRU, {"reset_after": False}), (lstm_ref.GRU, {}), (lstm_ref.LSTM, {}),
    (lstm_ref.RNN, {"nonlinearity": "relu"}), (lstm_ref.RNN, {}),
]


@pytest.mark.parametrize("cls,kw", VARIANTS)
@pytest.mark.parametrize("T,B,D,H", [(1, 1, 2, 3), (5, 2, 3, 4)])
def test_gradients_match_finite_differences(cls, kw, T, B, D, H):
    res = lstm_ref.gradcheck(cls(D, H, seed=T + H, **kw), T=T, B=B, seed=D)
    expected = set(cls(D, H, **kw).state_dict()) | {"x", "h0"}
    expected |= {"c0"} if cls(1, 1).has_cell_state else set()
    assert set(res.errors) == expected
    assert res.ok(1e-6), str(res)


def test_gradcheck_on_a_stack_and_a_model():
    res = lstm_ref.gradcheck([lstm_ref.PeepholeLSTM(2, 3, seed=0), lstm_ref.GRU(3, 2, seed=1)])
    assert res.ok(1e-6), str(res)
    assert "1.weight_hh" in res.errors and "0.c0" in res.errors


def test_peephole_with_zero_peepholes_is_lstm():
    lstm = lstm_ref.LSTM(3, 4, seed=0)
    peep = lstm_ref.PeepholeLSTM.from_state_dict(
        dict(lstm.state_dict(), weight_ci=np.zeros(4), weight_cf=np.zeros(4), weight_co=np.zeros(4)))
    x = np.random.default_rng(0).normal(size=(6, 2, 3))
    y1, (h1, c1), cache1 = lstm_ref.forward(lstm, x)
    y2, (h2, c2), cache2 = lstm_ref.forward(peep, x)
    np.testing.assert_allclose(y1, y2, atol=1e-15)
    np.testing.assert_allclose(c1, c2, atol=1e-15)
    g1, dx1, _ = lstm_ref.backward(lstm, cache1, np.ones_like(y1))
    g2, dx2, _ = lstm_ref.backward(peep, cache2, np.ones_like(y2))
    for k in g1:
        np.testing.assert_allclose(g1[k], g2[k], atol=1e-14)


def test_peephole_gates_see_old_and_new_cell_state():
    cell = lstm_ref.PeepholeLSTM(2, 3, seed=1)
    rng = np.random.default_rng(0)
    x, h, c = rng.normal(size=(2, 2)), rng.normal(size=(2, 3)), rng.normal(size=(2, 3))
    z = x @ cell.weight_ih.T + cell.bias_ih + h @ cell.weight_hh.T + cell.bias_hh
    zi, zf, zg, zo = np.split(z, 4, axis=1)
    i, f = sigmoid(zi + cell.weight_ci * c), sigmoid(zf + cell.weight_cf * c)
    c_new = f * c + i * np.tanh(zg)
    h_new = sigmoid(zo + cell.weight_co * c_new) * np.tanh(c_new)
    _, (h1, c1), _ = lstm_ref.forward(cell, x[None], (h, c))
    np.testing.assert_allclose(c1, c_new, atol=1e-14)
    np.testing.assert_allclose(h1, h_new, atol=1e-14)


def test_coupled_is_lstm_with_input_gate_one_minus_forget():
    cell = lstm_ref.CoupledLSTM(3, 4, seed=2)
    rng = np.random.default_rng(1)
    x = rng.normal(size=(5, 2, 3))
    h, c = rng.normal(size=(2, 4)), rng.normal(size=(2, 4))
    y, (hT, cT), _ = lstm_ref.forward(cell, x, (h, c))
    for t in range(5):
        z = x[t] @ cell.weight_ih.T + cell.bias_ih + h @ cell.weight_hh.T + cell.bias_hh
        zf, zg, zo = np.split(z, 3, axis=1)
        f = sigmoid(zf)
        c = f * c + (1 - f) * np.tanh(zg)
        h = sigmoid(zo) * np.tanh(c)
        np.testing.assert_allclose(y[t], h, atol=1e-14)
    np.testing.assert_allclose(cT, c, atol=1e-14)


def test_noforget_cell_state_is_a_sum_of_writes():
    cell = lstm_ref.NoForgetLSTM(3, 4, seed=3)
    rng = np.random.default_rng(2)
    x, c0 = rng.normal(size=(8, 2, 3)), rng.normal(size=(2, 4))
    _, (_, cT), cache = lstm_ref.forward(cell, x, (np.zeros((2, 4)), c0))
    writes = sum(cell.gate_values(s)["i"] * cell.gate_values(s)["g"] for s in cache.steps)
    np.testing.assert_allclose(cT - c0, writes, atol=1e-13)
    # the carousel: without recurrent weights c_T = c_0 + (terms free of c_0),
    # so the error reaching c_0 is exactly the error at c_T, however long T is
    cell.weight_hh[...] = 0
    _, _, cache = lstm_ref.forward(cell, x, (np.zeros((2, 4)), c0))
    _, _, (dh0, dc0) = lstm_ref.backward(cell, cache, None, (np.zeros((2, 4)), np.ones((2, 4))))
    np.testing.assert_allclose(dc0, 1.0, atol=0)


def test_noforget_docstring_names_the_1997_differences():
    doc = lstm_ref.NoForgetLSTM.__doc__
    for phrase in ("[-2, 2]", "[-1, 1]", "truncated", "peephole", "memory blocks"):
        assert phrase in doc


def test_gru_original_form_puts_reset_before_the_product():
    cell = lstm_ref.GRU(2, 3, reset_after=False, seed=4)
    rng = np.random.default_rng(3)
    x, h = rng.normal(size=(2, 2)), rng.normal(size=(2, 3))
    Wr, Wz, Wn = np.split(cell.weight_hh, 3)
    bxr, bxz, bxn = np.split(x @ cell.weight_ih.T + cell.bias_ih, 3, axis=1)
    br, bz, bn = np.split(cell.bias_hh, 3)
    r, z = sigmoid(bxr + h @ Wr.T + br), sigmoid(bxz + h @ Wz.T + bz)
    n = np.tanh(bxn + (r * h) @ Wn.T + bn)
    _, h1, _ = lstm_ref.forward(cell, x[None], h)
    np.testing.assert_allclose(h1, (1 - z) * n + z * h, atol=1e-14)
    y_after, _, _ = lstm_ref.forward(lstm_ref.GRU.from_state_dict(cell.state_dict()), x[None], h)
    assert not np.allclose(h1, y_after)


@pytest.mark.parametrize("cls", lstm_ref.CELLS)
def test_init_is_torch_like_uniform(cls):
    cell = cls(5, 16, seed=0)
    bound = 1 / np.sqrt(16)
    for name, a in cell.params().items():
        assert np.all(np.abs(a) <= bound), name
        assert a.dtype == np.float64
    assert cell.weight_ih.shape == (len(cls.gates) * 16, 5)
    assert cell.weight_hh.shape == (len(cls.gates) * 16, 16)
    same = cls(5, 16, seed=0)
    assert all(np.array_equal(a, b) for a, b in zip(cell.params().values(), same.params().values()))


def test_gate_counts_and_peephole_shapes():
    counts = {lstm_ref.LSTM: 4, lstm_ref.PeepholeLSTM: 4, lstm_ref.NoForgetLSTM: 3,
              lstm_ref.CoupledLSTM: 3, lstm_ref.GRU: 3, lstm_ref.RNN: 1}
    assert set(counts) == set(lstm_ref.CELLS)
    for cls, G in counts.items():
        assert cls(2, 3).num_gates == G
    p = lstm_ref.PeepholeLSTM(2, 3).state_dict()
    assert [p[k].shape for k in ("weight_ci", "weight_cf", "weight_co")] == [(3,)] * 3


@pytest.mark.parametrize("cls", lstm_ref.CELLS)
def test_float32_runs_and_stays_float32(cls):
    cell = cls(3, 4, seed=0, dtype=np.float32)
    x = np.random.default_rng(0).normal(size=(4, 2, 3)).astype(np.float32)
    y, final, cache = lstm_ref.forward(cell, x)
    grads, dx, d0 = lstm_ref.backward(cell, cache, np.ones_like(y))
    assert y.dtype == dx.dtype == np.float32
    assert all(g.dtype == np.float32 for g in grads.values())
    ref = cls.from_state_dict({k: v.astype(np.float64) for k, v in cell.state_dict().items()},
                              **({"nonlinearity": cell.nonlinearity} if cls is lstm_ref.RNN else {}))
    y64, _, _ = lstm_ref.forward(ref, x.astype(np.float64))
    np.testing.assert_allclose(y, y64, atol=1e-5)


@pytest.mark.parametrize("cls", lstm_ref.CELLS)
def test_cache_size_matches_documented_formula(cls):
    # issue 8 made the formula exact: x, outputs, h_0, the step caches and the
    # parameter copy forward keeps (c_0 is part of the first step's cache)
    T, B, D, H = 5, 3, 2, 4
    cell = cls(D, H, seed=0)
    _, _, cache = lstm_ref.forward(cell, np.zeros((T, B, D)))
    per_step = cell.cache_floats_per_step(B)
    P = sum(a.size for a in cell.params().values())
    expected = T * B * D + T * B * H + B * H + T * per_step + P
    assert lstm_ref.cache_floats(cache) == expected
