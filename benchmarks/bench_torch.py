"""Time lstm_ref.torch's modules against torch.nn and a plain per-step autograd loop.

The measuring code is :mod:`lstm_ref.torch.bench` (the chapter uses it too).
For every cell, forward + backward of one layer over a time-major batch
(T, B, D) -> H, from a given (h0, c0), backpropagating a fixed gradient of
the outputs into every parameter and the initial state (the input does not
require a gradient, as in training). Three contenders:

* ``ours``: the ``lstm_ref.torch`` module (hand-written BPTT in an autograd.Function);
* ``nn``: ``torch.nn.LSTM``/``GRU``/``RNN`` with the same weights (cells torch has);
* ``loop``: the same equations as a plain per-step autograd loop
  (:func:`lstm_ref.torch.naive.unroll`).

On CUDA, ``ours`` runs each step's pointwise work as one Triton kernel
(:mod:`lstm_ref.torch.fused`); ``--plain`` times the plain-torch steps instead.

``--matmuls`` adds a fourth contender to the interleaving, ``mm``: the matrix products of
``ours`` alone (:func:`lstm_ref.torch.bench.matmuls`), and prints a second table after the
first: ``mm/ours`` is the share of ``ours``'s time spent in them, ``loop/mm`` what ``ours``
would gain over the loop if everything else took no time and the products kept the speed they
have alone.

The contenders are interleaved (ours, nn, loop, ours, nn, loop, ...; mm after loop with
``--matmuls``) after a warm-up, each timed ``--repeats`` times; the medians and their ratios
are printed.

Run: ``python benchmarks/bench_torch.py [--repeats N] [--threads N] [--dtype float32]
[--device cpu|cuda] [--size T B D H] [--plain] [--matmuls] [--json PATH]``.
"""
import argparse
import datetime
import json
import pathlib
import platform
import subprocess
import sys

import numpy as np
import torch

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))                               # the repo's lstm_ref
import lstm_ref.torch as lt  # noqa: E402
from lstm_ref.torch import fused  # noqa: E402
from lstm_ref.torch.bench import (HEADER, checksum, device_name, floor_table, measure,  # noqa: E402
                                  row)

def git_commit():
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True,
                             text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                               capture_output=True, text=True).stdout.strip()
        return out + ("+dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def load_average():
    try:
        return [round(v, 2) for v in __import__("os").getloadavg()]
    except OSError:
        return None


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=11)
    parser.add_argument("--threads", type=int, default=1, help="torch.set_num_threads (CPU)")
    parser.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--size", type=int, nargs=4, default=[100, 32, 64, 128],
                        metavar=("T", "B", "D", "H"))
    parser.add_argument("--cells", nargs="+", default=[m.__name__ for m in lt.MODULES])
    parser.add_argument("--plain", action="store_true",
                        help="no Triton kernels: the plain-torch pointwise steps also on CUDA")
    parser.add_argument("--matmuls", action="store_true",
                        help="also time ours's matrix products alone, and print a second table")
    parser.add_argument("--json", type=pathlib.Path, help="also write the results to this file")
    args = parser.parse_args(argv)
    fused.ENABLED = not args.plain
    if args.device == "cuda" and not torch.cuda.is_available():
        parser.error("--device cuda needs a GPU; none is available")
    torch.set_num_threads(args.threads)
    dtype = getattr(torch, args.dtype)
    T, B, D, H = args.size
    load0 = load_average()
    pointwise = ("Triton kernels" if fused.enabled(torch.empty(0, device=args.device))
                 else "torch ops")
    print(f"bench_torch: forward+backward, {args.dtype}, {device_name(args.device)}, "
          f"T={T} B={B} D={D} H={H}, median of {args.repeats} interleaved runs")
    print(f"torch {torch.__version__}, numpy {np.__version__}, load average {load0}, "
          f"pointwise steps: {pointwise}")
    print(HEADER)
    results, medians = [], {}
    for name in args.cells:
        med = medians[name] = measure(name, args.size, dtype, args.device, args.repeats,
                                      with_matmuls=args.matmuls)
        print(row(name, med), flush=True)
        results.append({"cell": name, **{k + "_s": v for k, v in med.items()},
                        **checksum(name, args.size, dtype, args.device)})
    if args.matmuls:
        print()
        print(floor_table(medians))
    if args.json:
        record = {
            "command": " ".join(["python", "benchmarks/bench_torch.py"] + list(
                argv if argv is not None else sys.argv[1:])),
            "git_commit": git_commit(),
            "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "device": device_name(args.device),
            "device_kind": args.device,
            "dtype": args.dtype,
            "size": {"T": T, "B": B, "D": D, "H": H},
            "repeats": args.repeats,
            "threads": args.threads,
            "pointwise_steps": pointwise,
            "versions": {"torch": torch.__version__, "numpy": np.__version__,
                         "python": platform.python_version()},
            "load_average": {"before": load0, "after": load_average()},
            "results": results,
        }
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(record, indent=1) + "\n")
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
