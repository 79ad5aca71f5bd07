"""Training any cell of :mod:`lstm_ref.torch` on the comparison tasks, and summarising a sweep.

Part III compares the LSTM variants the way Greff et al. (2017) did, at a much smaller scale:
every cell is trained on every task at several learning rates and seeds, and each cell is
judged at *its own* best learning rate.  This module holds what the comparison chapter and the
sweep script ``experiments/variant_sweep.py`` share:

* :data:`CELL_SPECS` -- the cells compared, each a module of :mod:`lstm_ref.torch` plus the
  forget-gate bias it starts from;
* :data:`TASK_SPECS` and :func:`task_data` -- four small tasks with different demands;
* :func:`run` -- one training run (seeded, float32, CPU) with :func:`lstm_ref.train.fit`, the
  book's one training loop, and its validation and test scores;
* :func:`summarize` -- per task and cell: the best learning rate on the validation score, then
  mean, spread and success count of the test score over seeds at that learning rate.

The model is a recurrent layer and a linear read-out ``s_t = V h_t + b_y``.  Tasks scored at
the last step train on fresh batches with the state reset to zero for every sequence; the
continual task trains with truncated backpropagation through time on chunks of one long stream,
carrying the state (detached) from chunk to chunk and never resetting it.  Adam, gradient norm
clipped to 1.  With ``torch.set_num_threads(1)`` a run is bit-for-bit reproducible on the same
machine and library versions.

torch is imported when a function is called, never when the module is imported.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .tasks import IGNORE_INDEX, adding_problem, cue_recall
from .train import build_model, fit, set_forget_bias
from .variant_tasks import continual_recall, spike_timing

__all__ = ["CELL_SPECS", "TASK_SPECS", "TaskSpec", "build", "set_forget_bias", "task_data",
           "run", "stream_scores", "summarize", "load_sweep", "dedupe",
           "permutation_test"]

#: name -> (class name in :mod:`lstm_ref.torch`, constructor keywords, forget-gate bias or None).
#: The three LSTM variants start from forget bias 0, like ``lstm_b0``, so that each differs
#: from it in one thing only; ``None`` keeps the default uniform initialisation.
CELL_SPECS = {
    "rnn": ("RNN", {}, None),
    "lstm_b0": ("LSTM", {}, 0.0),
    "lstm_b1": ("LSTM", {}, 1.0),
    "peephole": ("PeepholeLSTM", {}, 0.0),
    "coupled": ("CoupledLSTM", {}, 0.0),
    "noforget": ("NoForgetLSTM", {}, None),
    "gru": ("GRU", {}, None),
}


@dataclass(frozen=True)
class TaskSpec:
    """A comparison task: how it is drawn, scored, and when a run counts as a success.

    Attributes
    ----------
    name : str
    kind : {"last", "stream"}
        ``"last"``: one target per sequence at the last step, state reset per sequence.
        ``"stream"``: targets at many steps of one continual stream (truncated BPTT).
    loss : {"cross_entropy", "mse"}
    higher_is_better : bool
        True for accuracy, False for mean squared error.
    success : float
        Threshold on the test score: accuracy >= success, or MSE <= success.
    steps : int
        Adam updates per run.
    batch : int
        Sequences (or parallel streams) per update.
    demand : str
        What the task asks of a cell, in words.
    """

    name: str
    kind: str
    loss: str
    higher_is_better: bool
    success: float
    steps: int
    batch: int
    demand: str


TASK_SPECS = {
    "adding": TaskSpec("adding", "last", "mse", False, 0.01, 300, 32,
                       "store two real values over 12 steps and add them"),
    "cue_recall": TaskSpec("cue_recall", "last", "cross_entropy", True, 0.9, 300, 32,
                           "store one key over 20 steps and ignore decoy keys"),
    "timing": TaskSpec("timing", "last", "cross_entropy", True, 0.9, 300, 32,
                       "tell ten spike spacings (12 to 21 steps) apart"),
    "continual": TaskSpec("continual", "stream", "cross_entropy", True, 0.9, 300, 32,
                          "recall the current key in an endless stream: store and overwrite"),
}

_ADDING_T, _CUE_T, _CUE_KEYS = 12, 20, 4
_STREAM_CHUNK, _STREAM_EVAL_T = 25, 1000
_SPACINGS, _STREAM_LENGTHS = tuple(range(12, 22)), (6, 20)
_N_EVAL = {"val": 500, "test": 1000}
_SPLIT_SEED = {"val": 10**6, "test": 2 * 10**6}


def _torch():
    import torch   # lazily: lstm_ref never needs torch to be imported
    return torch


def _spec(task):
    if task not in TASK_SPECS:
        raise ValueError(f"task must be one of {sorted(TASK_SPECS)}, got {task!r}")
    return TASK_SPECS[task]


def task_data(task, n, seed):
    """``(x, y)`` for ``task``: ``n`` sequences (or ``n`` streams) drawn with ``seed``.

    For the continual task, ``seed`` may carry a length: ``task_data("continual", n,
    (seed, T))`` draws streams of ``T`` steps; a plain seed draws evaluation streams of 1000.
    """
    _spec(task)
    if task == "adding":
        return adding_problem(n, _ADDING_T, seed=seed)
    if task == "cue_recall":
        return cue_recall(n, _CUE_T, _CUE_KEYS, seed=seed)
    if task == "timing":
        return spike_timing(n, _SPACINGS, onset_window=10, seed=seed)
    T = seed[1] if isinstance(seed, tuple) and len(seed) == 2 else _STREAM_EVAL_T
    return continual_recall(n, T, min_len=_STREAM_LENGTHS[0], max_len=_STREAM_LENGTHS[1],
                            seed=seed)


_N_CLASSES = {"adding": 1, "cue_recall": _CUE_KEYS, "timing": len(_SPACINGS), "continual": 4}


def _sizes(task):
    """Input size ``D`` and number of outputs ``K`` of ``task``."""
    return task_data(task, 1, 0)[0].shape[2], _N_CLASSES[task]


def _layer(cell):
    """What makes the recurrent layer of ``cell``, and its forget bias (or None)."""
    if cell not in CELL_SPECS:
        raise ValueError(f"cell must be one of {list(CELL_SPECS)}, got {cell!r}")
    from functools import partial
    import lstm_ref.torch as lt
    cls_name, kwargs, bias = CELL_SPECS[cell]
    return partial(getattr(lt, cls_name), **kwargs), bias


def build(cell, input_size, hidden_size, output_size, *, seed):
    """The recurrent layer of ``cell`` (a key of :data:`CELL_SPECS`) and a linear read-out.

    Made by :func:`lstm_ref.train.build_model`: ``torch.manual_seed(seed)`` is set first;
    the layer is created before the read-out, and the forget bias of the spec (if any) is
    applied with :func:`~lstm_ref.train.set_forget_bias`.  Returns ``(core, head)``.
    """
    layer, bias = _layer(cell)
    return build_model(layer, input_size, hidden_size, output_size, seed=seed,
                       forget_bias=bias)


def _tensors(spec, x, y):
    torch = _torch()
    x = torch.tensor(x, dtype=torch.float32)
    if spec.loss == "mse":
        return x, torch.tensor(y, dtype=torch.float32)
    return x, torch.tensor(y[-1] if spec.kind == "last" else y)


def stream_scores(core, head, x, y, *, chunk=_STREAM_CHUNK):
    """Accuracy on the scored steps of streams ``(x, y)``, run in chunks from a zero state.

    The state is carried across chunks, as in training.  Returns ``{"accuracy": float}``.
    """
    torch = _torch()
    xt, yt = torch.tensor(x, dtype=torch.float32), torch.tensor(y)
    state, correct, count = None, 0, 0
    with torch.no_grad():
        for s in range(0, xt.shape[0], chunk):
            out, state = core(xt[s:s + chunk], state)
            pred = head(out).argmax(-1)
            mask = yt[s:s + chunk] != IGNORE_INDEX
            correct += int((pred[mask] == yt[s:s + chunk][mask]).sum())
            count += int(mask.sum())
    return {"accuracy": correct / max(count, 1)}


def _score(spec, core, head, x, y):
    torch = _torch()
    if spec.kind == "stream":
        return stream_scores(core, head, x, y)["accuracy"]
    xt, yt = _tensors(spec, x, y)
    with torch.no_grad():
        out, _ = core(xt)
        logits = head(out[-1])
        if spec.loss == "mse":
            value = float(((logits[:, 0] - yt) ** 2).mean())
            return value if math.isfinite(value) else None
        return float((logits.argmax(-1) == yt).double().mean())


def run(task, cell, lr, seed, *, hidden=24, steps=None, return_model=False):
    """One training run of ``cell`` on ``task`` with Adam at learning rate ``lr``.

    Trained by :func:`lstm_ref.train.fit`; the model is the one :func:`build` makes (seed
    ``seed``); batch ``k`` is drawn with seed ``(seed, k)`` (the continual task: one
    training stream of ``steps * 25`` steps drawn with seed ``(seed, steps * 25)``, cut into
    consecutive chunks of 25, read out at every step, the state carried from chunk to
    chunk); gradients are clipped to norm 1; training stops at the first non-finite loss.
    After training, the score (accuracy, or MSE for the adding problem) is taken on a
    validation set (seed ``10**6``, 500 sequences) and a test set (seed ``2 * 10**6``, 1000
    sequences); these sets are the same for every run.

    Returns
    -------
    dict
        ``task, cell, lr, seed, hidden, steps, val, test, success, final_loss, diverged``
        (``val``/``test`` are ``None`` when training diverged to non-finite values); with
        ``return_model=True``, also ``core`` and ``head``.
    """
    spec = _spec(task)
    layer, bias = _layer(cell)
    steps = spec.steps if steps is None else int(steps)
    D, K = _sizes(task)
    stream = spec.kind == "stream"
    if stream:
        xs, ys = task_data(task, spec.batch, (seed, steps * _STREAM_CHUNK))

        def make_batch(k):
            return xs[k * _STREAM_CHUNK:(k + 1) * _STREAM_CHUNK], \
                ys[k * _STREAM_CHUNK:(k + 1) * _STREAM_CHUNK]
    else:
        def make_batch(k):
            return task_data(task, spec.batch, (seed, k))
    trained = fit(layer, make_batch, D, K, seed=seed, loss=spec.loss, hidden=hidden,
                  steps=steps, lr=lr, clip=1.0, forget_bias=bias,
                  readout="every" if stream else "last", carry_state=stream,
                  stop_if_nonfinite=True)
    core, head, diverged = trained.core, trained.head, trained.diverged
    value = trained.losses[-1]
    scores = {}
    for split in ("val", "test"):
        scores[split] = None if diverged else _score(
            spec, core, head, *task_data(task, _N_EVAL[split] if spec.kind == "last" else 100,
                                         _SPLIT_SEED[split]))
    test = scores["test"]
    success = test is not None and (test >= spec.success if spec.higher_is_better
                                    else test <= spec.success)
    result = {"task": task, "cell": cell, "lr": lr, "seed": seed, "hidden": hidden,
              "steps": steps, "val": scores["val"], "test": test, "success": bool(success),
              "final_loss": value if math.isfinite(value) else None, "diverged": diverged}
    if return_model:
        result.update(core=core, head=head)
    return result


def summarize(records):
    """Per (task, cell): each cell at its best learning rate, chosen on the validation score.

    The best learning rate is the one with the best mean validation score over the seeds
    (a diverged run counts as the worst possible score: accuracy 0, MSE infinite).  At that
    learning rate the *test* scores over the seeds are summarised.

    Returns
    -------
    dict
        ``(task, cell) -> {"best_lr", "n", "mean", "std", "min", "max", "successes",
        "test"}``, where ``test`` lists the per-seed test scores (``None`` if diverged) and
        ``std`` is the sample standard deviation (ddof 1).
    """
    groups = {}
    for r in records:
        groups.setdefault((r["task"], r["cell"]), {}).setdefault(r["lr"], []).append(r)
    out = {}
    for (task, cell), by_lr in groups.items():
        spec = _spec(task)
        worst = 0.0 if spec.higher_is_better else math.inf

        def val_mean(rs):
            v = np.mean([worst if r["val"] is None else r["val"] for r in rs])
            return v if spec.higher_is_better else -v

        best_lr = max(sorted(by_lr), key=lambda lr: val_mean(by_lr[lr]))
        rs = sorted(by_lr[best_lr], key=lambda r: r["seed"])
        test = [r["test"] for r in rs]
        finite = np.array([worst if t is None else t for t in test], dtype=float)
        out[(task, cell)] = {
            "best_lr": best_lr, "n": len(rs), "mean": float(finite.mean()),
            "std": float(finite.std(ddof=1)) if len(rs) > 1 else 0.0,
            "min": float(finite.min()), "max": float(finite.max()),
            "successes": int(sum(r["success"] for r in rs)), "test": test}
    return out


def load_sweep(directory, pattern="variant_sweep_*.json"):
    """Read every results file of the sweep script in ``directory``.

    A configuration (task, cell, learning rate, seed) that appears in more than one file
    (two processes ran it) is kept once, after checking that the copies agree exactly in
    ``val``, ``test`` and ``final_loss``; a disagreement raises ``ValueError``.

    Returns
    -------
    (records, files) : (list of dict, dict)
        The distinct runs of all files (each as :func:`run` returned it, plus
        ``"seconds"``), and file name -> the file's provenance (everything but its runs)
        with ``"n_runs"``, how many runs the file holds.
    """
    import json
    from pathlib import Path
    records, files = [], {}
    paths = sorted(Path(directory).glob(pattern))
    if not paths:
        raise FileNotFoundError(f"no files matching {pattern} in {directory}")
    for path in paths:
        info = json.loads(path.read_text())
        records += info.pop("runs")
        files[path.name] = info
        info["n_runs"] = len(records) - sum(f["n_runs"] for f in files.values() if f is not info)
    return dedupe(records), files


def dedupe(records):
    """``records`` with each (task, cell, lr, seed) once; copies must agree exactly.

    Raises ``ValueError`` naming the configuration if two copies differ in ``val``,
    ``test`` or ``final_loss``.
    """
    unique = {}
    for r in records:
        key = (r["task"], r["cell"], r["lr"], r["seed"])
        if key in unique:
            old = unique[key]
            if any(old[f] != r[f] for f in ("val", "test", "final_loss")):
                raise ValueError(f"two runs of {key} disagree: {old} vs {r}")
        else:
            unique[key] = r
    return list(unique.values())


def permutation_test(a, b):
    """Exact two-sided permutation test of a difference in means between two small samples.

    Every way of splitting the pooled values into groups of ``len(a)`` and ``len(b)`` is
    enumerated; the p-value is the fraction of splits whose absolute difference in means is
    at least the observed one (with a relative tolerance of 1e-12 for ties).  With five runs
    per group there are 252 splits, and the smallest possible p-value is 2/252, about 0.008.

    Parameters
    ----------
    a, b : sequences of float (finite), each of length >= 1, at most 20 values together.

    Returns
    -------
    (difference, p) : mean(a) - mean(b) and the p-value, as floats.
    """
    from itertools import combinations
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.ndim != 1 or b.ndim != 1 or len(a) < 1 or len(b) < 1:
        raise ValueError(f"a and b must be non-empty 1-d samples, got shapes {a.shape}, {b.shape}")
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
        raise ValueError("a and b must be finite")
    if len(a) + len(b) > 20:
        raise ValueError(f"at most 20 values together (exact enumeration), got {len(a) + len(b)}")
    pooled, n = np.concatenate([a, b]), len(a)
    observed = a.mean() - b.mean()
    total = pooled.sum()
    extreme = count = 0
    for idx in combinations(range(len(pooled)), n):
        s = pooled[list(idx)].sum()
        diff = s / n - (total - s) / len(b)
        extreme += abs(diff) >= abs(observed) * (1 - 1e-12) - 1e-300
        count += 1
    return float(observed), float(extreme / count)
