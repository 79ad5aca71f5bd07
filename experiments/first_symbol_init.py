"""Long-lag experiment of the vanishing-gradient chapter: the full grid of training runs.

A plain tanh RNN is trained on ``first_symbol`` with a fixed budget (lstm_ref.train), from
PyTorch's default initialisation at five lags, from an orthogonal W_hh at three lags, and from an
orthogonal W_hh with noisy distractors. Every run is one (lag, seed) pair; the script stores its
test accuracy and the spectral radius of W_hh after training, with the command, git commit,
machine, library versions and date. The chapter loads the file and repeats a few runs live,
asserting that they reproduce the stored numbers exactly (deterministic CPU runs, one thread).

Run from the repository root:
    PYTHONPATH=$PWD .venv/bin/python experiments/first_symbol_init.py
"""
import datetime
import json
import platform
import subprocess
import sys
from pathlib import Path

import numpy as np
import torch

from lstm_ref.train import first_symbol_run, spectral_radius

OUT = Path(__file__).resolve().parent / "results" / "first_symbol_init.json"
N_SEEDS = 4
GRID = [  # (name, init, noise, lags)
    ("default", "default", 0.0, [5, 10, 20, 50, 100]),
    ("orthogonal", "orthogonal", 0.0, [50, 100, 200]),
    ("orthogonal_noise1", "orthogonal", 1.0, [50]),
]


def git_commit():
    try:
        return subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True,
                              check=True, cwd=Path(__file__).parent).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def one_run(lag, seed, init, noise):
    """Test accuracy and spectral radius of W_hh after one run with the chapter's budget."""
    result = first_symbol_run("rnn", lag, seed, init=init, noise=noise)
    return result.evals[-1][1]["accuracy"], spectral_radius(result.core)


def main():
    torch.set_num_threads(1)
    results = {}
    for name, init, noise, lags in GRID:
        results[name] = {"init": init, "noise": noise, "lags": lags, "runs": []}
        for lag in lags:
            row = [one_run(lag, seed, init, noise) for seed in range(N_SEEDS)]
            results[name]["runs"].append([{"seed": s, "accuracy": a, "radius": r}
                                          for s, (a, r) in enumerate(row)])
            print(name, lag, [round(a, 3) for a, _ in row], flush=True)
    record = {
        "command": "PYTHONPATH=$PWD .venv/bin/python experiments/first_symbol_init.py",
        "git_commit": git_commit(),
        "date_utc": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "device": f"CPU ({platform.machine()}, {platform.processor() or 'unknown'}), torch threads: 1",
        "versions": {"python": sys.version.split()[0], "numpy": np.__version__,
                     "torch": torch.__version__},
        "budget": {"hidden": 32, "batch": 32, "lr": 3e-3, "steps": 300, "max_norm": 1.0,
                   "n_test": 1000, "success_threshold": 0.9},
        "n_seeds": N_SEEDS,
        "results": results,
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(record, indent=1) + "\n")
    print("wrote", OUT)


if __name__ == "__main__":
    main()
