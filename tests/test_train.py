"""Tests for lstm_ref.train, the torch.nn training loop of the long-lag experiments."""
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from lstm_ref.tasks import adding_problem, first_symbol  # noqa: E402
from lstm_ref.train import (  # noqa: E402
    TrainResult, adding_run, build_model, cue_recall_run, evaluate, first_symbol_run, fit,
    gate_trace, predict, set_forget_bias, spectral_radius,
)

RESULTS = Path(__file__).resolve().parent.parent / "experiments" / "results"


@pytest.fixture(autouse=True)
def one_thread():
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


def test_importing_train_does_not_import_torch():
    code = "import sys, lstm_ref.train; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


def test_build_model_kinds_sizes_and_seed():
    core, head = build_model("lstm", 3, 5, 2, seed=0)
    assert isinstance(core, torch.nn.LSTM) and core.weight_ih_l0.shape == (20, 3)
    assert isinstance(head, torch.nn.Linear) and head.weight.shape == (2, 5)
    core2, _ = build_model("lstm", 3, 5, 2, seed=0)
    core3, _ = build_model("lstm", 3, 5, 2, seed=1)
    assert torch.equal(core.weight_hh_l0, core2.weight_hh_l0)
    assert not torch.equal(core.weight_hh_l0, core3.weight_hh_l0)
    rnn, _ = build_model("rnn", 3, 5, 2, seed=0)
    assert isinstance(rnn, torch.nn.RNN) and rnn.nonlinearity == "tanh"


def test_build_model_rejects_bad_arguments():
    with pytest.raises(ValueError, match="kind must be one of"):
        build_model("gru", 3, 5, 2, seed=0)
    with pytest.raises(ValueError, match="forget_bias applies to an LSTM only"):
        build_model("rnn", 3, 5, 2, seed=0, forget_bias=1.0)
    with pytest.raises(ValueError, match="hidden_size must be an integer >= 1"):
        build_model("lstm", 3, 0, 2, seed=0)


@pytest.mark.parametrize("value", [0.0, 1.0, 5.0])
def test_forget_bias_is_set_exactly_and_only_in_the_forget_block(value):
    core, _ = build_model("lstm", 3, 4, 2, seed=0)
    before = (core.bias_ih_l0 + core.bias_hh_l0).detach().clone()
    set_forget_bias(core, value)
    after = (core.bias_ih_l0 + core.bias_hh_l0).detach()
    H = 4
    assert torch.all(after[H:2 * H] == value)
    keep = torch.ones(4 * H, dtype=torch.bool)
    keep[H:2 * H] = False
    assert torch.equal(after[keep], before[keep])
    # and the forget gate of a zero input and zero state is sigma(value)
    trace = gate_trace(core, np.zeros((1, 3)))
    np.testing.assert_allclose(trace["f"][0], 1 / (1 + np.exp(-value)), rtol=1e-6)


def test_set_forget_bias_checks_its_input():
    with pytest.raises(TypeError):
        set_forget_bias(torch.nn.RNN(2, 3), 1.0)
    with pytest.raises(ValueError):
        set_forget_bias(torch.nn.LSTM(2, 3), float("nan"))


def test_predict_reads_out_the_last_state():
    core, head = build_model("rnn", 2, 3, 1, seed=0)
    x = np.random.default_rng(0).normal(size=(4, 5, 2))
    out, _ = core(torch.tensor(x, dtype=torch.float32))
    assert torch.allclose(predict(core, head, x), head(out[-1]))
    with pytest.raises(ValueError, match=r"shape \(T, B, D\)"):
        predict(core, head, x[0])


def test_evaluate_matches_numpy():
    core, head = build_model("lstm", 2, 3, 1, seed=0)
    x, y = adding_problem(50, 12, seed=1)
    scores = evaluate(core, head, x, y, "mse", tolerance=0.5)
    with torch.no_grad():
        pred = predict(core, head, x).numpy()[:, 0].astype(np.float64)
    assert np.isclose(scores["mse"], np.mean((pred - y) ** 2), rtol=1e-5)
    assert scores["solved"] == np.mean(np.abs(pred - y) < 0.5)
    core, head = build_model("rnn", 6, 3, 2, seed=0)
    x, y = first_symbol(40, 3, seed=2)
    scores = evaluate(core, head, x, y, "cross_entropy")
    with torch.no_grad():
        logits = predict(core, head, x).numpy()
    assert scores["accuracy"] == np.mean(logits.argmax(-1) == y[-1])
    with pytest.raises(ValueError, match="loss must be one of"):
        evaluate(core, head, x, y, "hinge")


def test_fit_is_deterministic_and_learns_a_short_lag():
    runs = [first_symbol_run("lstm", 3, 0, steps=100, n_test=200) for _ in range(2)]
    assert runs[0].losses == runs[1].losses
    assert runs[0].evals == runs[1].evals
    assert runs[0].evals[-1][1]["accuracy"] == 1.0
    assert np.mean(runs[0].losses[-10:]) < 0.1 * np.mean(runs[0].losses[:10])


@pytest.mark.parametrize("init, noise", [("default", 0.0), ("orthogonal", 1.0)])
def test_first_symbol_run_is_part_one_protocol(init, noise):
    """The loop of Part I's long-lag experiment, written out, gives the same numbers."""
    lag, seed, steps = 4, 2, 25
    torch.manual_seed(seed)
    rnn, head = torch.nn.RNN(6, 32), torch.nn.Linear(32, 2)
    if init == "orthogonal":    # W_hh orthogonal, drawn after the read-out; biases zero
        with torch.no_grad():
            torch.nn.init.orthogonal_(rnn.weight_hh_l0)
            rnn.bias_ih_l0.zero_()
            rnn.bias_hh_l0.zero_()
    params = list(rnn.parameters()) + list(head.parameters())
    opt = torch.optim.Adam(params, lr=3e-3)

    def noisy(x, noise_seed):   # noise on every step after the first (time index 0)
        x = x.copy()
        x[1:] += noise * np.random.default_rng(noise_seed).normal(size=x[1:].shape)
        return torch.tensor(x, dtype=torch.float32)

    for step in range(steps):
        x, y = first_symbol(32, lag, seed=(seed, lag, step))
        out, _ = rnn(noisy(x, (seed, lag, step, 1)))
        loss = torch.nn.functional.cross_entropy(head(out[-1]), torch.tensor(y[-1]))
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
    x, y = first_symbol(1000, lag, seed=(10**6, seed, lag))
    with torch.no_grad():
        out, _ = rnn(noisy(x, (10**6, seed, lag, 1)))
        acc = float((head(out[-1]).argmax(-1).numpy() == y[-1]).mean())
    result = first_symbol_run("rnn", lag, seed, steps=steps, init=init, noise=noise)
    assert result.losses[-1] == loss.item()
    assert result.evals[-1] == (steps, result.evals[-1][1])
    assert result.evals[-1][1]["accuracy"] == acc
    assert torch.equal(result.core.weight_hh_l0, rnn.weight_hh_l0)
    assert spectral_radius(result.core) == float(
        np.abs(np.linalg.eigvals(rnn.weight_hh_l0.detach().numpy())).max())


def test_first_symbol_run_reproduces_part_one_stored_run():
    """One run of experiments/results/first_symbol_init.json (default init, lag 5, seed 0)."""
    stored = json.loads((RESULTS / "first_symbol_init.json").read_text())
    part = stored["results"]["default"]
    run = part["runs"][part["lags"].index(5)][0]
    assert run["seed"] == 0 and part["init"] == "default" and part["noise"] == 0.0
    result = first_symbol_run("rnn", 5, 0)
    assert result.evals[-1][1]["accuracy"] == run["accuracy"]
    assert spectral_radius(result.core) == run["radius"]


def test_orthogonal_init_changes_only_w_hh_and_the_biases():
    default_core, default_head = build_model("rnn", 6, 8, 2, seed=1)
    core, head = build_model("rnn", 6, 8, 2, seed=1, init="orthogonal")
    W = core.weight_hh_l0.detach().double()
    assert torch.allclose(W @ W.T, torch.eye(8, dtype=torch.float64), atol=1e-6)
    assert spectral_radius(core) == pytest.approx(1.0, abs=1e-5)
    assert not torch.any(core.bias_ih_l0) and not torch.any(core.bias_hh_l0)
    assert torch.equal(core.weight_ih_l0, default_core.weight_ih_l0)
    assert torch.equal(head.weight, default_head.weight)
    again, _ = build_model("rnn", 6, 8, 2, seed=1, init="orthogonal")
    assert torch.equal(again.weight_hh_l0, core.weight_hh_l0)


def test_init_rejects_unknown_values_and_the_lstm():
    with pytest.raises(ValueError, match="init must be one of"):
        build_model("rnn", 3, 5, 2, seed=0, init="identity")
    with pytest.raises(ValueError, match="applies to an RNN only"):
        build_model("lstm", 3, 5, 2, seed=0, init="orthogonal")


def test_spectral_radius_of_a_known_matrix():
    core, _ = build_model("rnn", 2, 2, 2, seed=0)
    with torch.no_grad():
        core.weight_hh_l0.copy_(torch.tensor([[0.0, -2.0], [2.0, 0.0]]))  # eigenvalues +-2i
    assert spectral_radius(core) == pytest.approx(2.0, rel=1e-6)
    with pytest.raises(TypeError, match="one-layer torch.nn.RNN"):
        spectral_radius(torch.nn.LSTM(2, 2))


def test_noise_changes_the_run_and_zero_noise_does_not():
    clean = first_symbol_run("rnn", 3, 0, steps=3, hidden=4, batch=4, n_test=200)
    zero = first_symbol_run("rnn", 3, 0, steps=3, hidden=4, batch=4, n_test=200, noise=0.0)
    noisy = first_symbol_run("rnn", 3, 0, steps=3, hidden=4, batch=4, n_test=200, noise=1.0)
    assert zero.losses == clean.losses and zero.evals == clean.evals
    assert noisy.losses != clean.losses


@pytest.mark.parametrize("noise", [-1.0, float("nan"), float("inf"), True, "1"])
def test_noise_must_be_finite_and_non_negative(noise):
    with pytest.raises(ValueError, match="noise must be a finite number >= 0"):
        first_symbol_run("rnn", 3, 0, steps=1, noise=noise)


def test_adding_run_records_evaluations():
    result = adding_run("lstm", 10, 0, steps=30, eval_every=10, n_test=64, batch=16)
    assert isinstance(result, TrainResult) and len(result.losses) == 30
    assert [s for s, _ in result.evals] == [0, 10, 20, 30]
    assert all(set(e) == {"mse", "solved"} for _, e in result.evals)
    orig = adding_run("rnn", 20, 0, variant="original", steps=5, eval_every=5, n_test=64)
    assert len(orig.evals) == 2


def test_cue_recall_run_scores_at_the_end():
    result = cue_recall_run("rnn", 14, 0, steps=7, n_test=50, eval_every=5)
    assert [s for s, _ in result.evals] == [0, 5, 7]
    assert 0.0 <= result.evals[-1][1]["accuracy"] <= 1.0


def test_fit_rejects_bad_arguments():
    def batch(step):
        return first_symbol(4, 2, seed=step)
    with pytest.raises(ValueError, match="loss must be one of"):
        fit("rnn", batch, 6, 2, seed=0, loss="l1")
    with pytest.raises(ValueError, match="steps must be an integer >= 1"):
        fit("rnn", batch, 6, 2, seed=0, steps=0)


def test_gate_trace_matches_the_step_equations():
    core, _ = build_model("lstm", 3, 4, 2, seed=0, forget_bias=1.0)
    x = np.random.default_rng(3).normal(size=(6, 3))
    tr = gate_trace(core, x)
    assert all(tr[k].shape == (6, 4) for k in "ifgoch")
    c_prev = np.vstack([np.zeros((1, 4)), tr["c"][:-1]])
    np.testing.assert_allclose(tr["c"], tr["f"] * c_prev + tr["i"] * tr["g"], atol=1e-14)
    np.testing.assert_allclose(tr["h"], tr["o"] * np.tanh(tr["c"]), atol=1e-14)
    with pytest.raises(ValueError):
        gate_trace(core, x[:, :2])
    with pytest.raises(TypeError):
        gate_trace(torch.nn.RNN(3, 4), x)


def test_train_module_runs_from_a_fresh_interpreter():
    code = textwrap.dedent(
        """
        import torch
        torch.set_num_threads(1)
        from lstm_ref.train import first_symbol_run
        r = first_symbol_run("rnn", 2, 0, steps=3, n_test=10)
        print(len(r.losses))
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "3"


def test_fit_trains_a_layer_passed_in():
    import lstm_ref.torch as lt
    core, _ = build_model(lt.CoupledLSTM, 6, 4, 2, seed=0, forget_bias=1.5)
    assert isinstance(core, lt.CoupledLSTM)
    k = core.gates.index("f")
    assert torch.all(core.bias_ih_l0[k * 4:(k + 1) * 4] == 1.5)
    assert torch.all(core.bias_hh_l0[k * 4:(k + 1) * 4] == 0.0)

    def batch(step):
        return first_symbol(8, 3, seed=step)
    result = fit(lt.PeepholeLSTM, batch, 6, 2, seed=1, hidden=4, steps=3, forget_bias=0.0)
    assert isinstance(result.core, lt.PeepholeLSTM) and len(result.losses) == 3
    assert not result.diverged and all(np.isfinite(result.losses))


def test_set_forget_bias_on_lstm_ref_torch_modules():
    import lstm_ref.torch as lt
    with pytest.raises(ValueError, match="no forget gate"):
        set_forget_bias(lt.NoForgetLSTM(2, 3), 1.0)
    with pytest.raises(TypeError, match="torch.nn.LSTM or an lstm_ref.torch module"):
        set_forget_bias(torch.nn.GRU(2, 3), 1.0)
    core = set_forget_bias(lt.LSTM(2, 3), -2.0)
    assert torch.all(core.bias_ih_l0[3:6] == -2.0) and torch.all(core.bias_hh_l0[3:6] == 0.0)


def test_fit_every_step_readout_with_carried_state_matches_a_hand_loop():
    """readout="every" + carry_state: truncated BPTT on the chunks of one stream, by hand."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3 * 5, 2, 3))
    y = rng.integers(0, 2, size=(3 * 5, 2))
    y[::2] = -100                                         # IGNORE_INDEX: steps without a target

    def chunk(step):
        return x[5 * step:5 * (step + 1)], y[5 * step:5 * (step + 1)]
    result = fit("lstm", chunk, 3, 2, seed=4, hidden=4, steps=3, lr=0.05, readout="every",
                 carry_state=True)
    core, head = build_model("lstm", 3, 4, 2, seed=4)
    params = list(core.parameters()) + list(head.parameters())
    opt = torch.optim.Adam(params, lr=0.05)
    state, losses = None, []
    for step in range(3):
        xs, ys = chunk(step)
        out, state = core(torch.tensor(xs, dtype=torch.float32), state)
        state = tuple(s.detach() for s in state)
        logits = head(out)
        mask = torch.tensor(ys) != -100
        loss = torch.nn.functional.cross_entropy(logits[mask], torch.tensor(ys)[mask])
        losses.append(loss.item())
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
    np.testing.assert_allclose(result.losses, losses, rtol=1e-6)
    for p, q in zip(params, list(result.core.parameters()) + list(result.head.parameters())):
        torch.testing.assert_close(p, q, rtol=1e-5, atol=1e-6)
    fresh = fit("lstm", chunk, 3, 2, seed=4, hidden=4, steps=3, lr=0.05, readout="every")
    assert fresh.losses[0] == result.losses[0] and fresh.losses[1:] != result.losses[1:]


def test_fit_stops_at_a_non_finite_loss_only_when_asked():
    def batch(step):
        return adding_problem(8, 6, seed=step)
    stopped = fit("rnn", batch, 2, 1, seed=0, loss="mse", hidden=4, steps=20, lr=1e37,
                  stop_if_nonfinite=True)
    assert stopped.diverged and not np.isfinite(stopped.losses[-1])
    assert all(np.isfinite(stopped.losses[:-1])) and len(stopped.losses) < 20
    goes_on = fit("rnn", batch, 2, 1, seed=0, loss="mse", hidden=4, steps=20, lr=1e37)
    assert not goes_on.diverged and len(goes_on.losses) == 20
    assert goes_on.losses[:len(stopped.losses)] == stopped.losses


def test_fit_rejects_a_bad_readout():
    def batch(step):
        return first_symbol(4, 2, seed=step)
    with pytest.raises(ValueError, match="readout must be one of"):
        fit("rnn", batch, 6, 2, seed=0, readout="first")
    with pytest.raises(ValueError, match="readout='every' needs loss='cross_entropy'"):
        fit("rnn", batch, 6, 2, seed=0, loss="mse", readout="every")
