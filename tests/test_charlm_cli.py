"""The charlm command line: --help documents every option; bad options are one-line errors.

(A --batch that the number of processes does not divide is tested in test_charlm_ddp.py.)
"""
from __future__ import annotations

import pytest

from charlm_helpers import charlm
from lstm_ref.charlm.cli import build_parser, main

TRAIN_OPTIONS = ["--out", "--steps", "--cell", "--hidden", "--layers", "--seq-len", "--batch", "--lr",
                 "--lr-decay-steps",
                 "--clip", "--dropout", "--device", "--dtype", "--seed", "--eval-every", "--save-every",
                 "--text"]
SAMPLE_OPTIONS = ["--checkpoint", "--prompt", "--length", "--temperature", "--seed"]


def test_help_documents_every_option():
    sub = build_parser()._subparsers._group_actions[0].choices
    train_help, sample_help = sub["train"].format_help(), sub["sample"].format_help()
    for opt in TRAIN_OPTIONS:
        assert opt in train_help, opt
    for opt in SAMPLE_OPTIONS:
        assert opt in sample_help, opt
    for cell in ("lstm", "peephole", "coupled", "noforget", "gru"):
        assert cell in train_help


def test_help_in_a_child_process_exits_zero():
    done = charlm("train", "--help")
    assert done.returncode == 0 and "--seq-len" in done.stdout


@pytest.mark.parametrize("bad, words", [
    (["--cell", "lsmt"], "invalid choice: 'lsmt'"),
    (["--hidden", "0"], "--hidden: expected a positive integer, got '0'"),
    (["--layers", "-2"], "--layers: expected a positive integer"),
    (["--seq-len", "ten"], "--seq-len: expected a positive integer, got 'ten'"),
    (["--batch", "0"], "--batch: expected a positive integer"),
    (["--steps", "0"], "--steps: expected a positive integer"),
    (["--lr", "0"], "--lr: expected a positive number"),
    (["--lr", "nan"], "--lr: expected a positive number"),
    (["--clip", "-1"], "--clip: expected a non-negative number"),
    (["--lr-decay-steps", "-5"], "--lr-decay-steps: expected a non-negative integer"),
    (["--dropout", "1"], "--dropout: expected a probability in [0, 1)"),
    (["--device", "tpu"], "invalid choice: 'tpu'"),
    (["--dtype", "float16"], "invalid choice: 'float16'"),
    (["--frobnicate"], "unrecognized arguments: --frobnicate"),
])
def test_bad_train_options_are_one_line_errors(bad, words, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["train", "--out", "unused", *bad])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert words in err and len(err.strip().splitlines()) == 1, err


@pytest.mark.parametrize("bad, words", [
    (["--temperature", "0"], "--temperature: expected a positive number"),
    (["--length", "-1"], "--length: expected a non-negative integer"),
])
def test_bad_sample_options_are_one_line_errors(bad, words, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["sample", "--checkpoint", "unused", *bad])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert words in err and len(err.strip().splitlines()) == 1, err


def test_missing_command_and_missing_out_are_errors(capsys):
    for argv in ([], ["train"]):
        with pytest.raises(SystemExit) as exit_:
            main(argv)
        assert exit_.value.code == 2
    assert "--out" in capsys.readouterr().err


def test_cuda_without_cuda_is_a_one_line_error(tmp_path):
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    done = charlm("train", "--out", str(tmp_path), "--device", "cuda", check=False)
    assert done.returncode == 2
    assert done.stderr.strip() == ("charlm: error: --device cuda: CUDA is not available on this "
                                   "machine; use --device cpu")
    assert not any(tmp_path.iterdir())


def test_bfloat16_on_the_cpu_is_a_one_line_error(tmp_path, capsys):
    assert main(["train", "--out", str(tmp_path / "r"), "--device", "cpu", "--dtype", "bfloat16"]) == 2
    err = capsys.readouterr().err
    assert err.strip() == "charlm: error: --dtype bfloat16 needs --device cuda (on the CPU, train in float32)"
    assert not (tmp_path / "r").exists()


def test_missing_text_file_and_missing_checkpoint_are_errors(tmp_path, capsys):
    assert main(["train", "--out", str(tmp_path / "run"), "--text", str(tmp_path / "nope.txt")]) == 1
    assert "nope.txt: no such file" in capsys.readouterr().err
    assert main(["sample", "--checkpoint", str(tmp_path)]) == 1
    assert "no checkpoint at" in capsys.readouterr().err


def test_text_too_short_for_the_batch_is_an_error(tmp_path, capsys):
    from charlm_helpers import write_text
    text = write_text(tmp_path / "t.txt", chars=2000)
    assert main(["train", "--out", str(tmp_path / "r"), "--text", str(text), "--batch", "64",
                 "--seq-len", "100"]) == 2
    assert "too short for --batch 64 --seq-len 100" in capsys.readouterr().err


def test_decay_longer_than_the_run_is_a_one_line_error(tmp_path, capsys):
    assert main(["train", "--out", str(tmp_path / "r"), "--steps", "10", "--lr-decay-steps", "11"]) == 2
    err = capsys.readouterr().err
    assert "--lr-decay-steps must be at most --steps (10), got 11" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "r").exists()
