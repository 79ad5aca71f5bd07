"""Two processes under torchrun (gloo, CPU) train the same model as one process on the whole batch."""
from __future__ import annotations

import csv
import subprocess
import sys

import pytest

torch = pytest.importorskip("torch")
import torch.distributed  # noqa: E402

from charlm_helpers import ROOT, env, parameters, write_text  # noqa: E402
from lstm_ref.charlm.cli import main  # noqa: E402
from lstm_ref.charlm.data import rank_rows  # noqa: E402

pytestmark = pytest.mark.skipif(not torch.distributed.is_available() or
                                not torch.distributed.is_gloo_available(), reason="no gloo backend")

# No dropout: with it, each process would draw its own masks and the runs would differ by design.
OPTIONS = ["--hidden", "16", "--layers", "2", "--seq-len", "16", "--batch", "16", "--lr", "0.01",
           "--dropout", "0", "--device", "cpu", "--seed", "1", "--steps", "30", "--eval-every", "10",
           "--save-every", "10"]


def test_rank_rows_are_disjoint_and_cover_the_batch():
    parts = [rank_rows(12, r, 3) for r in range(3)]
    assert [(p.start, p.stop) for p in parts] == [(0, 4), (4, 8), (8, 12)]
    with pytest.raises(ValueError, match="--batch 12 must be divisible by the number of processes"):
        rank_rows(12, 0, 5)


def test_two_process_ddp_equals_one_process_on_the_full_batch(tmp_path):
    text = write_text(tmp_path / "tiny.txt")
    ddp, single = tmp_path / "ddp", tmp_path / "single"
    done = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
         "-m", "lstm_ref.charlm", "train", "--out", str(ddp), "--text", str(text), *OPTIONS],
        cwd=ROOT, env=env(), capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    assert "2 process(es)" in done.stdout
    assert done.stdout.count("final validation loss") == 1            # rank 0 alone prints
    assert main(["train", "--out", str(single), "--text", str(text), *OPTIONS]) == 0

    a, b = parameters(single), parameters(ddp)
    diff = max(float((a[k] - b[k]).abs().max()) for k in a)
    assert diff < 1e-5, diff                                         # float order of the all-reduce only
    from lstm_ref.charlm import checkpoint
    ckpt = checkpoint.load(ddp / "checkpoint.pt")
    assert ckpt["world_size"] == 2 and len(ckpt["ranks"]) == 2
    assert ckpt["state"][0].shape == (2, 16, 16)                     # both processes' rows gathered
    start = checkpoint.load(single / "checkpoint.pt")["state"][0]
    assert torch.allclose(ckpt["state"][0], start, atol=1e-5)
    with open(ddp / "metrics.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [int(r["step"]) for r in rows] == [10, 20, 30]                # one writer
    assert float(rows[-1]["val_loss_nats"]) < float(rows[0]["val_loss_nats"])   # it trained
