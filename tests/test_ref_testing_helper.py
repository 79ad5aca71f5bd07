"""lstm_ref.testing.check_step finds bugs in a reader's step, gate by gate."""
import numpy as np

import lstm_ref
from lstm_ref.activations import sigmoid


def lstm_step(x, state, p, forget=sigmoid):
    h, c = state
    z = x @ p["weight_ih"].T + p["bias_ih"] + h @ p["weight_hh"].T + p["bias_hh"]
    zi, zf, zg, zo = np.split(z, 4, axis=1)
    i, f, g, o = sigmoid(zi), forget(zf), np.tanh(zg), sigmoid(zo)
    c = f * c + i * g
    return (o * np.tanh(c), c), {"i": i, "f": f, "g": g, "o": o}


def lstm_backward(x, state, p, d_state, bug=False):
    h, c = state
    dh, dc = d_state
    z = x @ p["weight_ih"].T + p["bias_ih"] + h @ p["weight_hh"].T + p["bias_hh"]
    zi, zf, zg, zo = np.split(z, 4, axis=1)
    i, f, g, o = sigmoid(zi), sigmoid(zf), np.tanh(zg), sigmoid(zo)
    tc = np.tanh(f * c + i * g)
    dc = dc + dh * o * (1 - tc ** 2)
    dz = np.concatenate([dc * g * i * (1 - i), dc * c * f * (1 - f),
                         dc * i * (1 - g ** 2), dh * tc * o * (1 - o) * (2 if bug else 1)], axis=1)
    return {"weight_ih": dz.T @ x, "weight_hh": dz.T @ h, "bias_ih": dz.sum(0),
            "bias_hh": dz.sum(0), "x": dz @ p["weight_ih"], "h": dz @ p["weight_hh"], "c": dc * f}


def test_correct_step_passes():
    report = lstm_ref.testing.check_step(lstm_step, "LSTM", backward_fn=lstm_backward)
    assert report.ok, str(report)
    assert "everything agrees" in str(report)


def test_wrong_forget_gate_is_located():
    report = lstm_ref.testing.check_step(lambda x, s, p: lstm_step(x, s, p, forget=np.tanh))
    assert not report.ok
    assert "f" in report.failures()
    assert not {"i", "g", "o"} & set(report.failures())
    assert "MISMATCH" in str(report)


def test_wrong_backward_is_located_in_the_output_gate_rows():
    report = lstm_ref.testing.check_step(
        lstm_step, lstm_ref.LSTM(3, 5, seed=1),
        backward_fn=lambda *a: lstm_backward(*a, bug=True))
    bad = set(report.failures())
    assert "user d weight_ih[o]" in bad and "user d bias_hh[o]" in bad
    assert "user d weight_ih[i]" not in bad and "user d c" not in bad


def test_gru_step_without_gates():
    def gru_step(x, h, p):
        gi = x @ p["weight_ih"].T + p["bias_ih"]
        gh = h @ p["weight_hh"].T + p["bias_hh"]
        H = h.shape[1]
        r = sigmoid(gi[:, :H] + gh[:, :H])
        z = sigmoid(gi[:, H:2 * H] + gh[:, H:2 * H])
        n = np.tanh(gi[:, 2 * H:] + r * gh[:, 2 * H:])
        return (1 - z) * n + z * h
    assert lstm_ref.testing.check_step(gru_step, "GRU", hidden_size=3).ok
    assert not lstm_ref.testing.check_step(gru_step, "GRU", reset_after=False).ok
