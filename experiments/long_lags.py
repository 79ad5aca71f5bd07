"""Long-lag training sweeps for the chapter "Training on long lags" (book/part2/06_long_lags.ipynb).

Trains torch.nn.RNN and torch.nn.LSTM with lstm_ref.train on three tasks and writes one JSON
file per part under experiments/results/, with the exact command, git commit, device, library
versions and date.  CPU only, one thread, float32, seeded: a rerun on the same machine and
versions gives the same numbers bit for bit, and the chapter re-runs a few configurations live
and asserts exactly that.

    nice -n 10 python experiments/long_lags.py first_symbol       # Part I's protocol, lags 5 ... 50
    nice -n 10 python experiments/long_lags.py first_symbol_100   # ... lag 100
    nice -n 10 python experiments/long_lags.py first_symbol_200   # ... lag 200
    nice -n 10 python experiments/long_lags.py first_symbol_long  # LSTM, b_f = 5: lag 500
    nice -n 10 python experiments/long_lags.py first_symbol_bias  # LSTM biases: seeds 4-7
    nice -n 10 python experiments/long_lags.py adding             # adding problem, T = 100
    nice -n 10 python experiments/long_lags.py adding_cell        # weights of one trained LSTM
    nice -n 10 python experiments/long_lags.py adding_bias        # original form, b_f = 5
    nice -n 10 python experiments/long_lags.py cue                # cue_recall, T = 30 and 60

The parts are independent; run them side by side.
"""
import argparse
import json
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from lstm_ref.train import adding_run, cue_recall_run, first_symbol_run  # noqa: E402

sys.path.insert(0, str(ROOT / "experiments"))
from provenance import record  # noqa: E402  (experiments/provenance.py)

RESULTS = ROOT / "experiments" / "results"

# The cells compared: name -> (kind, forget-gate bias; None = PyTorch's default init)
CELLS = {"rnn": ("rnn", None), "lstm": ("lstm", None), "lstm_bf1": ("lstm", 1.0),
         "lstm_bf3": ("lstm", 3.0), "lstm_bf5": ("lstm", 5.0)}

# Part I's protocol for first_symbol (chapter "Vanishing and exploding gradients")
FS_PROTOCOL = dict(hidden=32, steps=300, batch=32, lr=3e-3, clip=1.0, n_test=1000)
FS_THRESHOLD, FS_SEEDS = 0.9, [0, 1, 2, 3]
FS_LAGS = {"first_symbol": [5, 10, 20, 50], "first_symbol_100": [100],
           "first_symbol_200": [200]}                                  # one part each
FS_LONG = {"lags": [500], "cells": ["lstm_bf5"]}                       # the one that may pass
FS_EXTRA_SEEDS = {"seeds": [4, 5, 6, 7], "lags": [50, 100],
                  "cells": ["lstm", "lstm_bf1", "lstm_bf3", "lstm_bf5"]}  # the bias study

ADD_PROTOCOL = dict(hidden=32, steps=3000, batch=64, lr=3e-3, clip=1.0, n_test=1000,
                    eval_every=100)
ADD_RUNS = ([("modern", 100, cell, seed) for cell in ("lstm", "rnn") for seed in (0, 1, 2)]
            + [("original", 100, cell, 0) for cell in ("lstm", "rnn")])

ADD_BIAS_RUNS = [("original", 100, "lstm_bf5", seed) for seed in (0, 1)]

CUE_PROTOCOL = dict(n_keys=4, hidden=32, steps=600, batch=32, lr=3e-3, clip=1.0, n_test=1000,
                    eval_every=100)
CUE_RUNS = [(T, cell, seed) for T in (30, 60) for cell in ("rnn", "lstm", "lstm_bf3")
            for seed in (0, 1, 2)]


def provenance():
    return record("experiments/long_lags.py")


def _first_symbol(jobs):
    runs = []
    for lag, cell, seed in jobs:
        kind, bf = CELLS[cell]
        r = first_symbol_run(kind, lag, seed, forget_bias=bf, **FS_PROTOCOL)
        e = r.evals[-1][1]
        runs.append({"lag": lag, "cell": cell, "seed": seed, "accuracy": e["accuracy"],
                     "test_loss": e["loss"], "final_train_loss": r.losses[-1]})
        print(f"first_symbol lag {lag:4d} {cell:8s} seed {seed}: acc {e['accuracy']:.3f}",
              flush=True)
    return {"task": "first_symbol", "protocol": FS_PROTOCOL, "threshold": FS_THRESHOLD,
            "cells": CELLS, "runs": runs}


def run_first_symbol(part="first_symbol"):
    return _first_symbol([(lag, c, s) for lag in FS_LAGS[part] for c in CELLS
                          for s in FS_SEEDS])


def run_first_symbol_long():
    return _first_symbol([(lag, c, s) for lag in FS_LONG["lags"] for c in FS_LONG["cells"]
                          for s in FS_SEEDS])


def run_first_symbol_bias():
    return _first_symbol([(lag, c, s) for lag in FS_EXTRA_SEEDS["lags"]
                          for c in FS_EXTRA_SEEDS["cells"] for s in FS_EXTRA_SEEDS["seeds"]])


def run_adding(jobs=None):
    runs = []
    for variant, T, cell, seed in (ADD_RUNS if jobs is None else jobs):
        kind, bf = CELLS[cell]
        r = adding_run(kind, T, seed, variant=variant, forget_bias=bf, **ADD_PROTOCOL)
        runs.append({"variant": variant, "T": T, "cell": cell, "seed": seed,
                     "eval_steps": [s for s, _ in r.evals],
                     "test_mse": [e["mse"] for _, e in r.evals],
                     "test_solved": [e["solved"] for _, e in r.evals]})
        print(f"adding {variant} T {T} {cell} seed {seed}: final mse {r.evals[-1][1]['mse']:.4f}",
              flush=True)
    return {"task": "adding_problem", "protocol": ADD_PROTOCOL, "cells": CELLS, "runs": runs}


def run_cue():
    runs = []
    for T, cell, seed in CUE_RUNS:
        kind, bf = CELLS[cell]
        r = cue_recall_run(kind, T, seed, forget_bias=bf, **CUE_PROTOCOL)
        runs.append({"T": T, "cell": cell, "seed": seed,
                     "eval_steps": [s for s, _ in r.evals],
                     "test_accuracy": [e["accuracy"] for _, e in r.evals]})
        print(f"cue T {T} {cell} seed {seed}: acc {r.evals[-1][1]['accuracy']:.3f}", flush=True)
    return {"task": "cue_recall", "protocol": CUE_PROTOCOL, "cells": CELLS, "runs": runs}


def run_adding_cell():
    """The LSTM of the modern adding problem, seed 0, with its trained weights (for a look inside)."""
    variant, T, cell, seed = ADD_RUNS[0]
    kind, bf = CELLS[cell]
    r = adding_run(kind, T, seed, variant=variant, forget_bias=bf, **ADD_PROTOCOL)
    weights = {name: p.detach().numpy().tolist()
               for name, p in list(r.core.named_parameters()) + list(r.head.named_parameters())}
    print(f"adding_cell: final mse {r.evals[-1][1]['mse']:.5f}", flush=True)
    return {"task": "adding_problem", "protocol": ADD_PROTOCOL, "variant": variant, "T": T,
            "cell": cell, "seed": seed, "final_test_mse": r.evals[-1][1]["mse"],
            "weights": weights}


PARTS = {"first_symbol": run_first_symbol,
         "first_symbol_100": lambda: run_first_symbol("first_symbol_100"),
         "first_symbol_200": lambda: run_first_symbol("first_symbol_200"),
         "first_symbol_long": run_first_symbol_long,
         "first_symbol_bias": run_first_symbol_bias, "adding": run_adding,
         "adding_cell": run_adding_cell, "adding_bias": lambda: run_adding(ADD_BIAS_RUNS), "cue": run_cue}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("part", choices=sorted(PARTS))
    args = parser.parse_args()
    torch.set_num_threads(1)
    info = provenance()
    t0, c0 = time.time(), time.process_time()
    data = PARTS[args.part]()
    info.update(wall_seconds=round(time.time() - t0, 1),
                cpu_seconds=round(time.process_time() - c0, 1))
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"long_lags_{args.part}.json"
    path.write_text(json.dumps({"provenance": info, **data}, indent=1) + "\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
