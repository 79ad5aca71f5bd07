"""Time lstm_ref's LSTM forward+backward against torch CPU autograd (float64).

Both sides do the same work: run an LSTM over a time-major batch from a given
(h0, c0), then backpropagate a given gradient of the outputs to every
parameter, the input and the initial state. The two are interleaved in one
process (A, B, A, B, ...), each timed several times, and medians compared.

Run: ``python benchmarks/bench_lstm.py [--repeats N] [--threads N]``.
"""
import argparse
import pathlib
import sys
import time

import numpy as np
import torch

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))   # the repo's lstm_ref
import lstm_ref  # noqa: E402

SIZES = [(100, 32, 64, 128), (200, 64, 128, 256)]   # (T, B, D, H)


def make_problem(T, B, D, H, seed=0):
    rng = np.random.default_rng(seed)
    cell = lstm_ref.LSTM(D, H, seed=seed)
    x, dy = rng.normal(size=(T, B, D)), rng.normal(size=(T, B, H))
    state = (rng.normal(size=(B, H)), rng.normal(size=(B, H)))
    return cell, x, state, dy


def run_numpy(cell, x, state, dy):
    _, _, cache = lstm_ref.forward(cell, x, state)
    return lstm_ref.backward(cell, cache, dy)


def torch_runner(cell, x, state, dy):
    module = lstm_ref.to_torch(cell)
    xt = torch.tensor(x, requires_grad=True)
    h0 = torch.tensor(state[0][None], requires_grad=True)
    c0 = torch.tensor(state[1][None], requires_grad=True)
    dyt = torch.tensor(dy)

    def run():
        module.zero_grad()
        for t in (xt, h0, c0):
            t.grad = None
        y, _ = module(xt, (h0, c0))
        y.backward(dyt)
    return run


def timed(fn):
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--threads", type=int, default=None,
                        help="torch.set_num_threads (default: torch's choice)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, numpy {np.__version__}, "
          f"torch threads {torch.get_num_threads()}, float64, medians of {args.repeats}")
    for T, B, D, H in SIZES:
        problem = make_problem(T, B, D, H)
        ours = lambda: run_numpy(*problem)
        theirs = torch_runner(*problem)
        ours(), theirs()                                 # warm-up
        t_ours, t_torch = [], []
        for _ in range(args.repeats):
            t_ours.append(timed(ours))
            t_torch.append(timed(theirs))
        a, b = np.median(t_ours), np.median(t_torch)
        print(f"T={T} B={B} D={D} H={H}: lstm_ref {a * 1e3:8.1f} ms   "
              f"torch {b * 1e3:8.1f} ms   ratio lstm_ref/torch {a / b:5.2f}")


if __name__ == "__main__":
    main()
