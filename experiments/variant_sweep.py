"""The variant comparison of the chapter "Which variant?" (book/part3/08_comparison.ipynb).

Trains every cell of lstm_ref.compare.CELL_SPECS on the given tasks of
lstm_ref.compare.TASK_SPECS at every learning rate of LRS and every seed of SEEDS (one run:
lstm_ref.compare.run), and writes experiments/results/variant_sweep_<part>.json with the exact
command, git commit, device, library versions and date.  CPU only, one thread, float32, seeded:
a rerun on the same machine and versions gives the same numbers bit for bit; the chapter
re-runs a few configurations live and asserts exactly that.

    nice -n 10 python experiments/variant_sweep.py --part adding_a --tasks adding --seeds 0,1,2
    nice -n 10 python experiments/variant_sweep.py --part adding_b --tasks adding --seeds 3,4
    nice -n 10 python experiments/variant_sweep.py --part timing_a --tasks timing --seeds 0,1,2
    nice -n 10 python experiments/variant_sweep.py --part timing_b --tasks timing --seeds 3,4
    nice -n 10 python experiments/variant_sweep.py --part cue_a --tasks cue_recall --seeds 0,1,2
    nice -n 10 python experiments/variant_sweep.py --part cue_b --tasks cue_recall --seeds 3,4
    nice -n 10 python experiments/variant_sweep.py --part continual_a --tasks continual --seeds 0,1,2
    nice -n 10 python experiments/variant_sweep.py --part continual_b --tasks continual --seeds 3,4

The eight parts are independent and ran side by side.
The seed is the outermost loop and the file is rewritten after every run (with
"complete": false until the end), so a sweep stopped early leaves a smaller grid that is still
balanced: every cell, task and learning rate with the same seeds.
"""
import argparse
import datetime
import json
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from lstm_ref.compare import CELL_SPECS, TASK_SPECS, run  # noqa: E402

sys.path.insert(0, str(ROOT / "experiments"))
from provenance import record  # noqa: E402  (experiments/provenance.py)

RESULTS = ROOT / "experiments" / "results"
LRS = [0.003, 0.01, 0.03, 0.1]
SEEDS = [0, 1, 2, 3, 4]
HIDDEN = 24


def provenance():
    return record("experiments/variant_sweep.py")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", required=True, help="name of this part of the sweep")
    parser.add_argument("--tasks", required=True, help="comma-separated task names")
    parser.add_argument("--seeds", default=",".join(map(str, SEEDS)),
                        help="comma-separated seeds (default: all of SEEDS)")
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    tasks = args.tasks.split(",")
    for t in tasks:
        if t not in TASK_SPECS:
            parser.error(f"unknown task {t!r}; choose from {sorted(TASK_SPECS)}")
    torch.set_num_threads(1)
    info = provenance()
    info.update(grid={"tasks": tasks, "cells": list(CELL_SPECS), "lrs": LRS, "seeds": seeds,
                      "hidden": HIDDEN},
                tasks={t: {**TASK_SPECS[t].__dict__} for t in tasks},
                complete=False, runs=[])
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"variant_sweep_{args.part}.json"
    start = time.perf_counter()
    for seed in seeds:
        for task in tasks:
            for cell in CELL_SPECS:
                for lr in LRS:
                    t0 = time.perf_counter()
                    r = run(task, cell, lr, seed, hidden=HIDDEN)
                    r["seconds"] = round(time.perf_counter() - t0, 2)
                    info["runs"].append(r)
                    info["wall_seconds"] = round(time.perf_counter() - start, 1)
                    path.write_text(json.dumps(info, indent=1) + "\n")
                    print(f"{seed} {task:10s} {cell:8s} {lr:<6} test={r['test']} "
                          f"{r['seconds']}s", flush=True)
    info["complete"] = True
    info["finished"] = datetime.datetime.now(datetime.timezone.utc).isoformat(
        timespec="seconds")
    path.write_text(json.dumps(info, indent=1) + "\n")
    print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
