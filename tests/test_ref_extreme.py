"""Pre-activations up to |z| = 1e4: no floating-point warnings, no NaN or inf."""
import warnings

import numpy as np
import pytest

import lstm_ref

VARIANTS = [(lstm_ref.RNN, {}), (lstm_ref.RNN, {"nonlinearity": "relu"}), (lstm_ref.LSTM, {}),
            (lstm_ref.PeepholeLSTM, {}), (lstm_ref.CoupledLSTM, {}), (lstm_ref.NoForgetLSTM, {}),
            (lstm_ref.GRU, {}), (lstm_ref.GRU, {"reset_after": False})]


def test_activations_survive_huge_inputs():
    z = np.array([-1e4, -800.0, -40.0, 0.0, 40.0, 800.0, 1e4])
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        s = lstm_ref.sigmoid(z)
        assert s[0] == 0 and s[-1] == 1 and s[3] == 0.5
        p = lstm_ref.softmax(np.stack([z, -z]), axis=-1)
        lp = lstm_ref.log_softmax(np.stack([z, -z]), axis=-1)
        loss, d = lstm_ref.softmax_cross_entropy(np.stack([z, -z]), np.array([0, 6]))
    assert np.allclose(p.sum(-1), 1)
    assert np.all(np.isfinite(lp)) and lp[0, -1] == 0 and lp[0, 0] == -2e4
    assert loss == pytest.approx(2e4) and np.all(np.isfinite(d))


@pytest.mark.parametrize("cls,kw", VARIANTS)
def test_cells_with_huge_preactivations(cls, kw):
    # Gradual underflow is allowed (numpy's default): since issue 8 the sigmoid is
    # relatively exact for negative z, so shut gates are tiny numbers like 1e-82
    # (as in torch) rather than exact zeros, and their products may underflow.
    # Inside their time loops forward/backward silence overflow/invalid and raise
    # ValueError on any non-finite result instead, so "no overflow" is checked by
    # these calls succeeding with finite results.
    rng = np.random.default_rng(0)
    cell = cls(3, 5, seed=0, **kw)
    for a in cell.params().values():
        a *= 2e3                                   # |z| of order 1e4
    x = rng.normal(size=(12, 4, 3)) * 3
    state = cell.zero_state(4)
    with warnings.catch_warnings(), np.errstate(over="raise", divide="raise", invalid="raise"):
        warnings.simplefilter("error")
        y, final, cache = lstm_ref.forward(cell, x, state)
        grads, dx, d0 = lstm_ref.backward(cell, cache, np.ones_like(y), None)
    pre = cell.project(x)
    assert np.abs(pre).max() > 1e3
    for arr in [y, dx, *grads.values(), *np.atleast_1d(d0)]:
        assert np.all(np.isfinite(arr))
