"""Shared helpers of the tests/test_charlm_*.py files: a small generated text and run options."""
from __future__ import annotations

import os
import random
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# A tiny model on a small text: a step takes milliseconds. 16 rows of the ~19.5k training
# characters make 76 windows of 16, so 100 steps cross the end of one pass over the stream.
TINY = ["--hidden", "16", "--layers", "2", "--seq-len", "16", "--batch", "16", "--lr", "0.01",
        "--dropout", "0.1", "--device", "cpu", "--seed", "3"]


def write_text(path: Path, chars: int = 20000, seed: int = 0) -> Path:
    """A deterministic play-like text: speaker names and short lines of a small vocabulary."""
    r = random.Random(seed)
    names = ["ALICE", "BOB", "CAROL"]
    words = "the a of to and in my thy lord love night day king good sweet fair come go".split()
    lines, n = [], 0
    while n < chars:
        block = [r.choice(names)] + [
            " ".join(r.choice(words) for _ in range(r.randint(3, 8))).capitalize() + r.choice(".,;!?")
            for _ in range(r.randint(1, 3))] + [""]
        lines += block
        n += sum(len(b) + 1 for b in block)
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def env() -> dict:
    """Environment of a child process: this tree first on the path, one thread."""
    return {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}


def charlm(*args: str, check: bool = True, **kw) -> subprocess.CompletedProcess:
    """Run ``python -m lstm_ref.charlm ARGS`` in a child process."""
    done = subprocess.run([sys.executable, "-m", "lstm_ref.charlm", *args], cwd=ROOT, env=env(),
                          capture_output=True, text=True, timeout=120, **kw)
    if check and done.returncode:
        raise AssertionError(f"charlm {' '.join(args)} exited {done.returncode}:\n{done.stderr}")
    return done


def parameters(directory: Path) -> dict:
    """The model parameters stored in ``directory/checkpoint.pt``."""
    from lstm_ref.charlm import checkpoint
    return checkpoint.load(Path(directory) / "checkpoint.pt")["model"]
