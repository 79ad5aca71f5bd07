"""lstm_ref.charlm training: a few steps, resume equality, kill -9 then resume, bad checkpoints, sampling."""
from __future__ import annotations

import csv
import math
import signal
import subprocess
import sys
import time

import pytest

torch = pytest.importorskip("torch")

from charlm_helpers import ROOT, TINY, charlm, env, parameters, write_text  # noqa: E402
from lstm_ref.charlm import checkpoint  # noqa: E402
from lstm_ref.charlm.cli import main  # noqa: E402

torch.set_num_threads(1)


def train_args(out, text, steps, *extra):
    return ["train", "--out", str(out), "--text", str(text), "--steps", str(steps), *TINY, *extra]


@pytest.fixture(scope="module")
def text(tmp_path_factory):
    return write_text(tmp_path_factory.mktemp("charlm") / "tiny.txt")


@pytest.fixture(scope="module")
def straight(tmp_path_factory, text):
    """An uninterrupted 100-step run (crosses one pass over the stream)."""
    out = tmp_path_factory.mktemp("straight")
    assert main(train_args(out, text, 100, "--eval-every", "20", "--save-every", "1000")) == 0
    return out


def test_a_few_steps_learn_and_write_metrics_checkpoint_and_final_line(tmp_path, text, capsys):
    assert main(train_args(tmp_path, text, 60, "--eval-every", "20", "--save-every", "20")) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert "bits/char" in lines[-1] and lines[-1].startswith("final validation loss at step 60")
    with open(tmp_path / "metrics.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [int(r["step"]) for r in rows] == [20, 40, 60]
    val = [float(r["val_loss_nats"]) for r in rows]
    assert val[-1] < val[0] < math.log(42)           # learning, starting near uniform over the vocabulary
    for r in rows:
        assert float(r["val_bits_per_char"]) == pytest.approx(float(r["val_loss_nats"]) / math.log(2), rel=1e-5)
        assert float(r["chars_per_s"]) > 0
    assert f"{float(rows[-1]['val_bits_per_char']):.3f} bits/char" in lines[-1]
    payload = checkpoint.load(tmp_path / "checkpoint.pt")
    for key in ("model", "optimizer", "step", "position", "state", "ranks", "config", "vocab"):
        assert key in payload
    assert payload["step"] == 60 and payload["position"] == {"window": 60, "epoch": 0}
    assert not (tmp_path / "checkpoint.pt.tmp").exists()


def test_resumed_run_equals_uninterrupted_run(tmp_path, text, straight):
    # Stop at 30 (mid-pass), resume to 90 (after the end of the pass), resume to 100.
    for steps in (30, 90, 100):
        assert main(train_args(tmp_path, text, steps, "--eval-every", "20", "--save-every", "1000")) == 0
    a, b = parameters(straight), parameters(tmp_path)
    assert a.keys() == b.keys()
    for k in a:
        assert torch.equal(a[k], b[k]), k
    assert checkpoint.load(tmp_path / "checkpoint.pt")["position"]["epoch"] == 1
    opt_a = checkpoint.load(straight / "checkpoint.pt")["optimizer"]["state"]
    opt_b = checkpoint.load(tmp_path / "checkpoint.pt")["optimizer"]["state"]
    assert all(torch.equal(opt_a[i]["exp_avg_sq"], opt_b[i]["exp_avg_sq"]) for i in opt_a)


def test_learning_rate_is_constant_then_a_straight_line_down():
    from lstm_ref.charlm.train import TrainConfig, learning_rate
    flat = TrainConfig(out="unused", steps=10, lr=0.5)
    assert [learning_rate(flat, s) for s in range(10)] == [0.5] * 10
    cfg = TrainConfig(out="unused", steps=10, lr=0.5, lr_decay_steps=4)
    assert [learning_rate(cfg, s) for s in range(10)] == [0.5] * 6 + [0.5, 0.375, 0.25, 0.125]
    whole = TrainConfig(out="unused", steps=4, lr=1.0, lr_decay_steps=4)
    assert [learning_rate(whole, s) for s in range(4)] == [1.0, 0.75, 0.5, 0.25]


@pytest.fixture(scope="module")
def decayed(tmp_path_factory, text):
    """The straight run's options with the rate decayed over the last 40 of the 100 steps."""
    out = tmp_path_factory.mktemp("decayed")
    assert main(train_args(out, text, 100, "--lr-decay-steps", "40", "--eval-every", "20",
                           "--save-every", "1000")) == 0
    return out


def test_decay_changes_the_run_and_ends_at_lr_over_k(decayed, straight):
    a, b = parameters(straight), parameters(decayed)
    assert not torch.equal(a["out.weight"], b["out.weight"])
    groups = checkpoint.load(decayed / "checkpoint.pt")["optimizer"]["param_groups"]
    assert all(g["lr"] == pytest.approx(0.01 / 40, rel=1e-15) for g in groups)


class Crash(Exception):
    """Stands for the process dying just after a checkpoint was written."""


SAVE = checkpoint.save


def crash_after(monkeypatch, step):
    """Make the next run die (raise Crash) right after it writes its checkpoint at ``step``."""
    def save_then_crash(payload, path):
        SAVE(payload, path)
        if payload["step"] == step:
            raise Crash
    monkeypatch.setattr(checkpoint, "save", save_then_crash)


def test_resume_inside_the_decay_equals_uninterrupted_run(tmp_path, text, decayed, monkeypatch):
    args = train_args(tmp_path, text, 100, "--lr-decay-steps", "40", "--eval-every", "20",
                      "--save-every", "15")
    for step in (30, 75):              # before the decay starts (at 60), then inside it
        crash_after(monkeypatch, step)
        with pytest.raises(Crash):
            main(args)
        assert checkpoint.load(tmp_path / "checkpoint.pt")["step"] == step
    monkeypatch.setattr(checkpoint, "save", SAVE)
    assert main(args) == 0
    a, b = parameters(decayed), parameters(tmp_path)
    for k in a:
        assert torch.equal(a[k], b[k]), k


def test_other_steps_inside_the_decay_are_refused(tmp_path, text, decayed, capsys):
    (tmp_path / "checkpoint.pt").write_bytes((decayed / "checkpoint.pt").read_bytes())
    opts = ["--lr-decay-steps", "40", "--eval-every", "20", "--save-every", "1000"]
    assert main(train_args(tmp_path, text, 150, *opts)) == 1
    err = capsys.readouterr().err
    assert "inside the learning-rate decay of its --steps 100" in err and "resume with --steps 100" in err
    assert main(train_args(tmp_path, text, 50, *opts)) == 0          # nothing left to train: allowed
    assert "nothing to train" in capsys.readouterr().out


def test_other_steps_before_the_decay_began_are_allowed(tmp_path, text, monkeypatch, capsys):
    opts = ["--lr-decay-steps", "40", "--eval-every", "20", "--save-every", "15"]
    crash_after(monkeypatch, 30)
    with pytest.raises(Crash):
        main(train_args(tmp_path / "a", text, 100, *opts))   # stopped at 30, before its decay (60)
    monkeypatch.setattr(checkpoint, "save", SAVE)
    assert main(train_args(tmp_path / "a", text, 80, *opts)) == 0   # decay from 40 instead: allowed
    assert main(train_args(tmp_path / "b", text, 80, *opts)) == 0
    a, b = parameters(tmp_path / "a"), parameters(tmp_path / "b")
    for k in a:
        assert torch.equal(a[k], b[k]), k
    other = [o if o != "40" else "10" for o in opts]
    assert main(train_args(tmp_path / "a", text, 90, *other)) == 1   # another --lr-decay-steps
    assert "--lr-decay-steps 40 (checkpoint) vs 10 (now)" in capsys.readouterr().err


def test_kill_9_then_resume_equals_uninterrupted_run(tmp_path, text, straight):
    args = train_args(tmp_path, text, 100, "--eval-every", "20", "--save-every", "7")
    proc = subprocess.Popen([sys.executable, "-m", "lstm_ref.charlm", *args], cwd=ROOT, env=env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ckpt = tmp_path / "checkpoint.pt"
    deadline = time.time() + 60
    while not ckpt.exists() and proc.poll() is None and time.time() < deadline:
        time.sleep(0.002)
    proc.send_signal(signal.SIGKILL)
    assert proc.wait() == -signal.SIGKILL, "the run ended before it could be killed"
    killed_at = checkpoint.load(ckpt)["step"]
    assert 0 < killed_at < 100
    done = charlm(*args)
    assert f"resuming {ckpt} at step {killed_at}" in done.stdout
    a, b = parameters(straight), parameters(tmp_path)
    for k in a:
        assert torch.equal(a[k], b[k]), k
    with open(tmp_path / "metrics.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    with open(straight / "metrics.csv", newline="") as f:
        expected = list(csv.DictReader(f))
    drop = "chars_per_s"
    assert [{k: v for k, v in r.items() if k != drop} for r in rows] == \
           [{k: v for k, v in r.items() if k != drop} for r in expected]


def test_rerun_with_fewer_steps_says_there_is_nothing_to_train(tmp_path, text, straight, capsys):
    (tmp_path / "checkpoint.pt").write_bytes((straight / "checkpoint.pt").read_bytes())
    assert main(train_args(tmp_path, text, 50)) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert "already at step 100 (--steps 50): nothing to train" in "\n".join(lines)
    assert lines[-1].startswith("final validation loss at step 100")
    assert torch.equal(checkpoint.load(tmp_path / "checkpoint.pt")["model"]["out.bias"],
                       parameters(straight)["out.bias"])


def test_corrupt_checkpoint_is_a_clear_error_not_a_restart(tmp_path, text, capsys):
    (tmp_path / "checkpoint.pt").write_bytes(b"not a checkpoint at all")
    assert main(train_args(tmp_path, text, 5)) == 1
    err = capsys.readouterr().err
    assert "corrupt or not a checkpoint" in err and len(err.strip().splitlines()) == 1
    assert (tmp_path / "checkpoint.pt").read_bytes() == b"not a checkpoint at all"


def test_truncated_checkpoint_is_a_clear_error(tmp_path, text, straight, capsys):
    data = (straight / "checkpoint.pt").read_bytes()
    (tmp_path / "checkpoint.pt").write_bytes(data[: len(data) // 2])
    assert main(train_args(tmp_path, text, 5)) == 1
    assert "corrupt or not a checkpoint" in capsys.readouterr().err


def test_mismatched_checkpoint_names_the_difference(tmp_path, text, straight, capsys):
    (tmp_path / "checkpoint.pt").write_bytes((straight / "checkpoint.pt").read_bytes())
    args = train_args(tmp_path, text, 120)
    args[args.index("--hidden") + 1] = "24"
    assert main(args) == 1
    err = capsys.readouterr().err
    assert "different run" in err and "--hidden 16 (checkpoint) vs 24 (now)" in err


def test_checkpoint_from_another_text_is_refused(tmp_path, straight, capsys):
    (tmp_path / "checkpoint.pt").write_bytes((straight / "checkpoint.pt").read_bytes())
    other = write_text(tmp_path / "other.txt", seed=1)
    assert main(train_args(tmp_path, other, 120)) == 1
    assert "different text" in capsys.readouterr().err


def test_sample_prints_prompt_and_length_characters_deterministically(straight, capsys):
    args = ["sample", "--checkpoint", str(straight), "--prompt", "BOB\n", "--length", "50",
            "--temperature", "0.8", "--seed", "5"]
    assert main(args) == 0
    first = capsys.readouterr().out
    assert main(args) == 0
    assert capsys.readouterr().out == first
    assert first.startswith("BOB\n") and len(first) == len("BOB\n") + 50 + 1   # + print's newline


def test_sample_rejects_characters_outside_the_vocabulary(straight, capsys):
    assert main(["sample", "--checkpoint", str(straight), "--prompt", "Zebra", "--length", "5"]) == 2
    assert "'Z' is not in the model's vocabulary" in capsys.readouterr().err


GATE_BLOCKS = {"lstm": 4, "peephole": 4, "coupled": 3, "noforget": 3, "gru": 3}


@pytest.mark.parametrize("cell", list(GATE_BLOCKS))
def test_every_cell_trains_and_samples(tmp_path, text, cell, capsys):
    args = train_args(tmp_path, text, 3, "--eval-every", "3")
    args[args.index("--hidden") + 1] = "8"
    assert main([*args, "--cell", cell]) == 0
    assert "bits/char" in capsys.readouterr().out.strip().splitlines()[-1]
    model = checkpoint.load(tmp_path / "checkpoint.pt")["model"]
    assert ("rnn.weight_ci_l1" in model) == (cell == "peephole")
    assert model["rnn.weight_hh_l1"].shape == (GATE_BLOCKS[cell] * 8, 8)
    assert main(["sample", "--checkpoint", str(tmp_path), "--prompt", "BOB", "--length", "10"]) == 0
    assert capsys.readouterr().out.startswith("BOB")


def test_cells_come_from_lstm_ref_torch():
    from lstm_ref.charlm.model import CELL_NAMES, cell_class
    import lstm_ref.torch as lt
    assert [cell_class(c) for c in CELL_NAMES] == [lt.LSTM, lt.PeepholeLSTM, lt.CoupledLSTM,
                                                   lt.NoForgetLSTM, lt.GRU]
