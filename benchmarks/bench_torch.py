"""Time lstm_ref.torch's modules against torch.nn and a plain per-step autograd loop.

For every cell, forward + backward of one layer over a time-major batch
(T, B, D) -> H, from a given (h0, c0), backpropagating a fixed gradient of
the outputs into every parameter and the initial state (the input does not
require a gradient, as in training). Three contenders:

* ``ours``: the ``lstm_ref.torch`` module (hand-written BPTT in an autograd.Function);
* ``nn``: ``torch.nn.LSTM``/``GRU``/``RNN`` with the same weights (cells torch has);
* ``loop``: the same equations as a plain per-step autograd loop
  (:func:`lstm_ref.torch.naive.unroll`).

The contenders are interleaved (ours, nn, loop, ours, nn, loop, ...) after a
warm-up, each timed ``--repeats`` times; the medians and their ratios are printed.

Run: ``python benchmarks/bench_torch.py [--repeats N] [--threads N] [--dtype float32]
[--device cpu|cuda] [--size T B D H] [--json PATH]``.
"""
import argparse
import datetime
import json
import pathlib
import platform
import statistics
import subprocess
import sys
import time

import numpy as np
import torch

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))                               # the repo's lstm_ref
import lstm_ref.torch as lt  # noqa: E402
from lstm_ref.torch.naive import unroll  # noqa: E402

NN = {"LSTM": torch.nn.LSTM, "GRU": torch.nn.GRU, "RNN": torch.nn.RNN}
HEADER = f"{'cell':<14}{'ours ms':>10}{'nn ms':>10}{'loop ms':>10}{'ours/nn':>10}{'loop/ours':>11}"


def make_problem(name, T, B, D, H, dtype, device, seed=0):
    """Module, inputs and output gradient for one cell (seeded)."""
    torch.manual_seed(seed)
    module = getattr(lt, name)(D, H, dtype=dtype, device=device)
    kw = {"dtype": dtype, "device": device}
    x = torch.randn(T, B, D, **kw)
    n = 2 if module.has_cell_state else 1
    hx = tuple(torch.randn(1, B, H, **kw).requires_grad_() for _ in range(n))
    dy = torch.randn(T, B, H, **kw)
    return module, x, hx, dy


def runner(fn, module, x, hx, dy):
    """A closure doing one forward + backward of ``fn(module-like, x, hx)``."""
    params = list(module.parameters()) + list(hx)
    state = hx if len(hx) == 2 else hx[0]

    def run():
        for p in params:
            p.grad = None
        y, _ = fn(x, state)
        y.backward(dy)
        if x.is_cuda:
            torch.cuda.synchronize()
    return run


def contenders(name, T, B, D, H, dtype, device):
    """name -> closure for ours, nn (if torch has the cell) and loop."""
    module, x, hx, dy = make_problem(name, T, B, D, H, dtype, device)
    out = {"ours": runner(module, module, x, hx, dy)}
    if name in NN:
        ref = NN[name](D, H, dtype=dtype, device=device)
        ref.load_state_dict(module.state_dict(), strict=True)
        out["nn"] = runner(ref, ref, x, hx, dy)
    out["loop"] = runner(lambda x, s: unroll(module, x, s), module, x, hx, dy)
    return out


def timed(fn):
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def measure(name, size, dtype=torch.float32, device="cpu", repeats=11, warmup=2):
    """Median seconds per contender for one cell, interleaved runs.

    Returns
    -------
    dict
        contender -> median seconds.
    """
    runs = contenders(name, *size, dtype, device)
    for _ in range(warmup):
        for fn in runs.values():
            fn()
    times = {k: [] for k in runs}
    for _ in range(repeats):
        for k, fn in runs.items():
            times[k].append(timed(fn))
    return {k: statistics.median(v) for k, v in times.items()}


def checksum(name, size, dtype=torch.float32, device="cpu"):
    """Deterministic numbers of one forward+backward of ``ours`` on the benchmark problem.

    Stored next to the timings so a reader can re-run the configuration and check it computes
    the same thing: the sum of the outputs and the norm of all gradients, as floats.
    """
    module, x, hx, dy = make_problem(name, *size, dtype, device)
    y, _ = module(x, hx if len(hx) == 2 else hx[0])
    y.backward(dy)
    grads = [p.grad for p in module.parameters()] + [h.grad for h in hx]
    return {"output_sum": float(y.detach().double().sum()),
            "grad_norm": float(torch.cat([g.double().flatten() for g in grads]).norm())}


def row(name, med):
    """One line of the table (stable format)."""
    ours, nn, loop = med["ours"], med.get("nn"), med["loop"]
    ms = lambda s: f"{s * 1e3:10.2f}" if s is not None else f"{'-':>10}"   # noqa: E731
    ratio = f"{ours / nn:10.2f}" if nn is not None else f"{'-':>10}"
    return f"{name:<14}{ms(ours)}{ms(nn)}{ms(loop)}{ratio}{loop / ours:11.2f}"


def git_commit():
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True,
                             text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                               capture_output=True, text=True).stdout.strip()
        return out + ("+dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def device_name(device):
    if device == "cuda":
        return torch.cuda.get_device_name()
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            model = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{model} ({__import__('os').cpu_count()} cores), {torch.get_num_threads()} torch thread(s)"


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
    parser.add_argument("--json", type=pathlib.Path, help="also write the results to this file")
    args = parser.parse_args(argv)
    if args.device == "cuda" and not torch.cuda.is_available():
        parser.error("--device cuda needs a GPU; none is available")
    torch.set_num_threads(args.threads)
    dtype = getattr(torch, args.dtype)
    T, B, D, H = args.size
    load0 = load_average()
    print(f"bench_torch: forward+backward, {args.dtype}, {device_name(args.device)}, "
          f"T={T} B={B} D={D} H={H}, median of {args.repeats} interleaved runs")
    print(f"torch {torch.__version__}, numpy {np.__version__}, load average {load0}")
    print(HEADER)
    results = []
    for name in args.cells:
        med = measure(name, args.size, dtype, args.device, args.repeats)
        print(row(name, med), flush=True)
        results.append({"cell": name, **{k + "_s": v for k, v in med.items()},
                        **checksum(name, args.size, dtype, args.device)})
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
