"""The training loop: truncated BPTT over a stream, Adam, clipping, evaluation, checkpoints.

One step takes the next window of ``T`` characters from every row of the batch
(:class:`~lstm_ref.charlm.data.StreamBatches`), starts the recurrent layers from the state the
previous window ended in (detached: the gradient of this window's loss stops at its first step),
computes the mean cross-entropy over the ``B·T`` predictions in nats, backpropagates, clips the
global gradient norm to ``--clip`` and takes an Adam step (at the rate :func:`learning_rate` gives:
``--lr``, or a straight line down toward zero over the last ``--lr-decay-steps`` steps). Every
``--eval-every`` steps the model is scored on the whole validation split; every ``--save-every``
steps and at the end the checkpoint is written. Under ``torchrun`` the model is wrapped in DistributedDataParallel and each process reads
its own rows of every batch.
"""
from __future__ import annotations

import csv
import hashlib
import json
import math
import time
from contextlib import nullcontext
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from . import baselines, checkpoint, corpus, distributed
from .data import StreamBatches, Vocabulary, rank_rows
from .model import CharModel

RUN_KEYS = ("cell", "hidden", "layers", "seq_len", "batch", "lr", "lr_decay_steps", "clip", "dropout",
            "dtype", "seed")
"""tuple: the options that define a run; a checkpoint made with other values is refused."""

METRICS = "metrics.csv"
METRIC_FIELDS = ("step", "epoch", "train_loss_nats", "train_bits_per_char", "val_loss_nats",
                 "val_bits_per_char", "chars_per_s")
EVAL_ROWS = 64
"""int: the validation text is scored as this many parallel rows, each carrying its state."""
LOG2E = 1.0 / math.log(2.0)


@dataclass
class TrainConfig:
    """The options of ``python -m lstm_ref.charlm train`` (see ``--help``)."""
    out: str
    steps: int = 2000
    cell: str = "lstm"
    hidden: int = 256
    layers: int = 2
    seq_len: int = 100
    batch: int = 32
    lr: float = 2e-3
    lr_decay_steps: int = 0
    clip: float = 1.0
    dropout: float = 0.0
    device: str = "auto"
    dtype: str = "float32"
    seed: int = 0
    eval_every: int = 200
    save_every: int = 200
    text: str | None = None

    def run_options(self) -> dict:
        return {k: getattr(self, k) for k in RUN_KEYS}


def learning_rate(cfg: TrainConfig, step: int) -> float:
    """The Adam rate of the update that follows ``step`` updates (``step`` counts from 0).

    ``--lr`` throughout when ``K = --lr-decay-steps`` is 0. Otherwise ``--lr`` for the first
    ``steps − K`` updates, then ``lr · (steps − step) / K``: a straight line that would reach zero one
    update after the last (the last update is taken at ``lr / K``).
    """
    k = cfg.lr_decay_steps
    if k == 0 or step < cfg.steps - k:
        return cfg.lr
    return cfg.lr * (cfg.steps - step) / k


def check_schedule(cfg: TrainConfig, saved_steps: int, step: int, path) -> None:
    """Refuse to resume with another ``--steps`` once the decay has begun: the rates would jump."""
    k = cfg.lr_decay_steps
    if k and saved_steps != cfg.steps and step < cfg.steps and step > min(saved_steps, cfg.steps) - k:
        raise checkpoint.CheckpointError(
            f"{path} is at step {step}, inside the learning-rate decay of its --steps {saved_steps} "
            f"(--lr-decay-steps {k}); --steps {cfg.steps} would change the rates already used: "
            f"resume with --steps {saved_steps} or use another --out")


def resolve_device(name: str) -> torch.device:
    """``auto`` is CUDA when present, else the CPU; ``cuda`` without CUDA is a ValueError."""
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cuda" and not torch.cuda.is_available():
        raise ValueError("--device cuda: CUDA is not available on this machine; use --device cpu")
    if name not in ("cpu", "cuda"):
        raise ValueError(f"--device must be auto, cpu or cuda, got {name!r}")
    return torch.device(name)


def encode(vocab: Vocabulary, text: str) -> torch.Tensor:
    """Fast :meth:`Vocabulary.encode` for long texts (code points looked up with numpy)."""
    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    table = np.array([ord(c) for c in vocab.chars], dtype=np.uint32)
    ids = np.searchsorted(table, codes)
    if len(codes) and (ids.max() >= len(table) or np.any(table[np.minimum(ids, len(table) - 1)] != codes)):
        return vocab.encode(text)            # raises, naming the unknown character
    return torch.from_numpy(ids.astype(np.int64))


def evaluate(model: CharModel, val_ids: torch.Tensor, world, device, autocast, chunk: int = 512):
    """Mean validation cross-entropy in nats/char, every process scoring its share of the rows."""
    n = len(val_ids) - 1
    rows = max(1, min(EVAL_ROWS, n // 2))
    length = n // rows
    x_all = val_ids[: rows * length].view(rows, length)
    y_all = val_ids[1: rows * length + 1].view(rows, length)
    mine = list(range(world.rank, rows, world.size))
    total = torch.zeros(2, dtype=torch.float64, device=device)
    model.eval()
    with torch.no_grad(), autocast:
        if mine:
            state = model.initial_state(len(mine), device)
            for start in range(0, length, chunk):
                x = x_all[mine, start: start + chunk].to(device)
                y = y_all[mine, start: start + chunk].to(device)
                logits, state = model(x, state)
                total[0] += F.cross_entropy(logits.float().reshape(-1, logits.shape[-1]),
                                            y.reshape(-1), reduction="sum").double()
                total[1] += y.numel()
    model.train()
    total = distributed.sum_all(world, total)
    return float(total[0] / total[1])


class MetricsFile:
    """``DIR/metrics.csv``, one row per evaluation; on resume, rows after the checkpoint are dropped."""

    def __init__(self, path: Path, keep_until_step: int):
        self.path = path
        kept = []
        if keep_until_step > 0 and path.is_file():
            with open(path, newline="") as f:
                kept = [r for r in csv.DictReader(f) if int(r["step"]) <= keep_until_step]
        with open(path, "w", newline="") as f:
            w = csv.DictWriter(f, METRIC_FIELDS)
            w.writeheader()
            w.writerows(kept)

    def append(self, row: dict) -> None:
        with open(self.path, "a", newline="") as f:
            csv.DictWriter(f, METRIC_FIELDS).writerow(row)


def check_dtype(dtype: str, device: torch.device) -> None:
    """bfloat16 autocast is offered on CUDA only (lstm_ref.torch computes bfloat16 on CUDA)."""
    if dtype == "bfloat16" and device.type != "cuda":
        raise ValueError("--dtype bfloat16 needs --device cuda (on the CPU, train in float32)")


def train(cfg: TrainConfig) -> dict:
    """Run (or resume) training as ``cfg`` says; returns the final step and validation loss."""
    if cfg.lr_decay_steps > cfg.steps:
        raise ValueError(f"--lr-decay-steps must be at most --steps ({cfg.steps}), "
                         f"got {cfg.lr_decay_steps}")
    device = resolve_device(cfg.device)
    check_dtype(cfg.dtype, device)
    world = distributed.setup(device.type)
    try:
        if device.type == "cuda":
            device = torch.device("cuda", world.local_rank)
        return _train(cfg, device, world)
    finally:
        distributed.teardown()


def _train(cfg: TrainConfig, device: torch.device, world) -> dict:
    say = tqdm.write if world.main else (lambda *a, **k: None)
    text = corpus.load_text(cfg.text)
    train_text, val_text = corpus.split(text)
    vocab = Vocabulary.of(text)
    train_ids, val_ids = encode(vocab, train_text), encode(vocab, val_text)
    if len(val_ids) < 2:
        raise ValueError("the validation split (last 10 % of the text) needs at least 2 characters")
    sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
    stream = StreamBatches(train_ids, cfg.batch, cfg.seq_len)
    rows = rank_rows(cfg.batch, world.rank, world.size)

    torch.manual_seed(cfg.seed)
    model = CharModel(len(vocab), cfg.cell, cfg.hidden, cfg.layers, cfg.dropout).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    out = Path(cfg.out)
    ckpt_path = out / checkpoint.FILENAME
    if world.main:
        out.mkdir(parents=True, exist_ok=True)

    if ckpt_path.exists():
        payload = checkpoint.load(ckpt_path)
        payload["config"].setdefault("lr_decay_steps", 0)       # written before the option existed
        checkpoint.check_matches(payload, cfg.run_options(), sha, ckpt_path)
        check_schedule(cfg, payload.get("steps_asked", cfg.steps), payload["step"], ckpt_path)
        try:
            model.load_state_dict(payload["model"])
            optimizer.load_state_dict(payload["optimizer"])
        except (RuntimeError, ValueError, KeyError) as err:
            raise checkpoint.CheckpointError(f"{ckpt_path} does not fit this model: "
                                             f"{str(err).splitlines()[0]}") from None
        step, window, epoch = payload["step"], payload["position"]["window"], payload["position"]["epoch"]
        state = tuple(s[:, rows].to(device) for s in payload["state"])
        last_eval = payload["last_eval"]
        ranks = payload["ranks"]
        if len(ranks) == world.size:
            torch.set_rng_state(ranks[world.rank]["torch_rng"])
            if device.type == "cuda" and ranks[world.rank]["cuda_rng"] is not None:
                torch.cuda.set_rng_state(ranks[world.rank]["cuda_rng"], device)
            loss_sum = ranks[world.rank]["loss_sum"]
        else:                                    # a different number of processes: new RNG streams
            torch.manual_seed(cfg.seed + 7919 * (world.rank + 1) + step)
            loss_sum = sum(r["loss_sum"] for r in ranks) / world.size
        say(f"resuming {ckpt_path} at step {step}")
        if step >= cfg.steps:
            say(f"the checkpoint is already at step {step} (--steps {cfg.steps}): nothing to train; "
                "raise --steps to train further")
    else:
        step, window, epoch, last_eval = 0, 0, 0, None
        state = model.initial_state(rows.stop - rows.start, device)
        torch.manual_seed(cfg.seed + 7919 * (world.rank + 1))   # dropout randomness, per process
        loss_sum = 0.0
    eval_step = last_eval["step"] if last_eval else 0

    metrics = MetricsFile(out / METRICS, step) if world.main else None
    if world.main:
        bl = {"unigram_bits_per_char": baselines.unigram_bits(train_ids, val_ids, len(vocab)),
              "bigram_bits_per_char": baselines.bigram_bits(train_ids, val_ids, len(vocab)),
              "train_chars": len(train_ids), "val_chars": len(val_ids), "vocab_size": len(vocab)}
        (out / "baselines.json").write_text(json.dumps(bl, indent=1) + "\n")
        n_params = sum(p.numel() for p in model.parameters())
        say(f"{len(train_ids)} training and {len(val_ids)} validation characters, vocabulary {len(vocab)}; "
            f"{cfg.cell} model with {n_params} parameters on {device.type}, {world.size} process(es)")
        say(f"baselines on the validation split: unigram {bl['unigram_bits_per_char']:.3f} bits/char, "
            f"add-one bigram {bl['bigram_bits_per_char']:.3f} bits/char")

    net = model
    if world.distributed:
        from torch.nn.parallel import DistributedDataParallel
        net = DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None)
    autocast = (torch.autocast(device.type, dtype=torch.bfloat16) if cfg.dtype == "bfloat16"
                else nullcontext())

    def save():
        full_state = [distributed.gather_rows(world, s).cpu() for s in state]
        per_rank = distributed.gather_objects(world, {
            "torch_rng": torch.get_rng_state(),
            "cuda_rng": torch.cuda.get_rng_state(device) if device.type == "cuda" else None,
            "loss_sum": loss_sum})
        if world.main:
            checkpoint.save({"config": cfg.run_options(), "vocab": vocab.chars, "text_sha256": sha,
                             "model": model.state_dict(), "optimizer": optimizer.state_dict(),
                             "step": step, "steps_asked": cfg.steps,
                             "position": {"window": window, "epoch": epoch},
                             "state": full_state, "ranks": per_rank, "last_eval": last_eval,
                             "world_size": world.size}, ckpt_path)

    bar = tqdm(total=cfg.steps, initial=min(step, cfg.steps), disable=not world.main, unit="step",
               desc="train", mininterval=2.0, dynamic_ncols=True)
    train_time, t0 = 0.0, time.perf_counter()
    while step < cfg.steps:
        if window >= len(stream):                # one pass done: the rows jump back to their starts
            window, epoch = 0, epoch + 1
            state = model.initial_state(rows.stop - rows.start, device)
        x, y = (t.to(device) for t in stream.window(window, rows))
        with autocast:
            logits, state = net(x, state)
            loss = F.cross_entropy(logits.float().reshape(-1, logits.shape[-1]), y.reshape(-1))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if cfg.clip > 0:
            torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.clip)
        if cfg.lr_decay_steps:
            for group in optimizer.param_groups:
                group["lr"] = learning_rate(cfg, step)
        optimizer.step()
        state = tuple(s.detach().float() for s in state)
        step, window = step + 1, window + 1
        loss_sum += loss.item()
        bar.update(1)
        bar.set_postfix(loss=f"{loss.item():.3f}", refresh=False)

        if step % cfg.eval_every == 0 or step == cfg.steps:
            train_time += time.perf_counter() - t0
            val = evaluate(model, val_ids, world, device, autocast)
            mean_train = float(distributed.sum_all(world, torch.tensor([loss_sum], dtype=torch.float64))
                               [0]) / world.size / (step - eval_step)
            last_eval = {"step": step, "val_loss_nats": val}
            row = {"step": step, "epoch": epoch, "train_loss_nats": f"{mean_train:.6f}",
                   "train_bits_per_char": f"{mean_train * LOG2E:.6f}", "val_loss_nats": f"{val:.6f}",
                   "val_bits_per_char": f"{val * LOG2E:.6f}",
                   "chars_per_s": f"{(step - eval_step) * cfg.batch * cfg.seq_len / max(train_time, 1e-9):.1f}"}
            if world.main:
                metrics.append(row)
                say(f"step {step}: train {mean_train:.4f} nats/char, validation {val:.4f} nats/char "
                    f"= {val * LOG2E:.3f} bits/char")
            loss_sum, eval_step, train_time = 0.0, step, 0.0
            t0 = time.perf_counter()
        if step % cfg.save_every == 0 or step == cfg.steps:
            save()
    bar.close()

    if last_eval is None:                        # only when --steps is 0: score the initial model
        last_eval = {"step": step, "val_loss_nats": evaluate(model, val_ids, world, device, autocast)}
    val = last_eval["val_loss_nats"]
    if world.main:
        print(f"final validation loss at step {last_eval['step']}: {val:.4f} nats/char, "
              f"perplexity {math.exp(val):.3f}, {val * LOG2E:.3f} bits/char", flush=True)
    return {"step": last_eval["step"], "val_loss_nats": val, "val_bits_per_char": val * LOG2E}
