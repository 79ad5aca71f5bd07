"""Synthetic sequence tasks for training and probing recurrent networks.

Every generator returns numpy arrays laid out time-major, like ``torch.nn.RNN``
with ``batch_first=False``: inputs have shape ``(T, B, D)`` for ``T`` time steps,
``B`` sequences and ``D`` input features.  Classification targets are ``int64``
class indices of shape ``(T, B)``; a target equal to :data:`IGNORE_INDEX`
(``-100``, the default ``ignore_index`` of ``torch.nn.CrossEntropyLoss``) marks a
step that is not scored.

Each generator draws from its own ``np.random.default_rng(seed)``, so a fixed
``seed`` reproduces the same batch bit for bit, and ``seed=None`` draws fresh
entropy.  The module depends on numpy only.

Tasks
-----
:func:`recent_sum`
    a short dependency: the target at step ``t`` needs the symbols at ``t`` and ``t-1``.
:func:`first_symbol`
    a long dependency: the first symbol decides the target after ``lag`` noisy steps.
:func:`adding_problem`
    a regression over a long sequence: add the two marked values, in the modern
    form or in the original form of Hochreiter and Schmidhuber (1997).
:func:`cue_recall`
    an early cue decides a late answer, among decoys that look like cues: a
    synthetic version of "I grew up in France ... I speak fluent ___".
"""

from __future__ import annotations

import numbers

import numpy as np

__all__ = ["IGNORE_INDEX", "recent_sum", "first_symbol", "adding_problem",
           "ADDING_VARIANTS", "cue_recall"]

#: Target value for a step that the loss must skip (``torch``'s ``ignore_index``).
IGNORE_INDEX = -100


def _check_int(name, value, minimum):
    """Return ``value`` as an ``int`` after checking it is an integer >= ``minimum``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(
            f"{name} must be an integer, got {type(value).__name__} {value!r}"
        )
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def _one_hot(symbols, depth):
    """One-hot encode an integer array along a new last axis, as float64."""
    return np.eye(depth, dtype=np.float64)[symbols]


def recent_sum(n_seq, T, n_symbols=4, *, seed=None):
    """Sum of the current and the previous symbol, modulo the alphabet size.

    Symbols ``s_t`` are drawn independently and uniformly from
    ``{0, ..., K-1}`` with ``K = n_symbols``.  The target is
    ``y_t = (s_t + s_{t-1}) mod K`` for ``t >= 1``; step 0 has no previous
    symbol and is not scored (``y_0 = -100``).  The dependency reaches back one
    step only, so a recurrent network needs a memory of a single symbol.

    Parameters
    ----------
    n_seq : int
        Number of sequences ``B`` (>= 1).
    T : int
        Sequence length (>= 2, so that at least one step is scored).
    n_symbols : int, default 4
        Alphabet size ``K`` (>= 2).
    seed : int or None, optional
        Seed for ``np.random.default_rng``.

    Returns
    -------
    x : numpy.ndarray
        One-hot inputs, shape ``(T, B, K)``, dtype float64.
    y : numpy.ndarray
        Targets, shape ``(T, B)``, dtype int64, values in ``{0, ..., K-1}``
        except ``y[0] == -100``.
    """
    n_seq = _check_int("n_seq", n_seq, 1)
    T = _check_int("T", T, 2)
    K = _check_int("n_symbols", n_symbols, 2)
    rng = np.random.default_rng(seed)
    s = rng.integers(0, K, size=(T, n_seq))
    y = np.full((T, n_seq), IGNORE_INDEX, dtype=np.int64)
    y[1:] = (s[1:] + s[:-1]) % K
    return _one_hot(s, K), y


def first_symbol(n_seq, lag, n_classes=2, n_distractors=4, *, seed=None):
    """Recall the first symbol of a sequence after ``lag`` distracting steps.

    The input alphabet has ``n_classes + n_distractors`` symbols.  Step 0 shows a
    class symbol ``c`` drawn uniformly from ``{0, ..., n_classes-1}``; steps
    ``1, ..., lag`` show distractor symbols drawn uniformly from
    ``{n_classes, ..., n_classes + n_distractors - 1}``, which carry no
    information about ``c``.  Only the last step is scored, and its target is
    ``c``.  The classes are balanced, so a model that ignores the first step
    scores chance accuracy ``1 / n_classes`` in expectation.

    Parameters
    ----------
    n_seq : int
        Number of sequences ``B`` (>= 1).
    lag : int
        Number of steps between the class symbol and the scored step (>= 1);
        the sequences have length ``lag + 1``.
    n_classes : int, default 2
        Number of classes (>= 2).
    n_distractors : int, default 4
        Number of distractor symbols (>= 1).
    seed : int or None, optional
        Seed for ``np.random.default_rng``.

    Returns
    -------
    x : numpy.ndarray
        One-hot inputs, shape ``(lag + 1, B, n_classes + n_distractors)``,
        dtype float64.
    y : numpy.ndarray
        Targets, shape ``(lag + 1, B)``, dtype int64: ``-100`` everywhere
        except ``y[lag] == c``, the class shown at step 0.
    """
    n_seq = _check_int("n_seq", n_seq, 1)
    lag = _check_int("lag", lag, 1)
    C = _check_int("n_classes", n_classes, 2)
    M = _check_int("n_distractors", n_distractors, 1)
    rng = np.random.default_rng(seed)
    cls = rng.integers(0, C, size=n_seq)
    s = np.empty((lag + 1, n_seq), dtype=np.int64)
    s[0] = cls
    s[1:] = rng.integers(C, C + M, size=(lag, n_seq))
    y = np.full((lag + 1, n_seq), IGNORE_INDEX, dtype=np.int64)
    y[lag] = cls
    return _one_hot(s, C + M), y


#: The two forms of :func:`adding_problem`.
ADDING_VARIANTS = ("modern", "original")


def adding_problem(n_seq, T, *, variant="modern", seed=None):
    """The adding problem: output (a function of) the sum of the two marked values.

    Every step carries two channels: a value (channel 0) and a marker (channel 1).
    Exactly two steps are marked with 1; the target, given after the last step,
    depends only on the two marked values ``X1`` and ``X2``.

    ``variant="modern"`` (the default), the form used by most later papers:
        values uniform in ``[0, 1)``; one marked step drawn uniformly from the
        first half ``{0, ..., T//2 - 1}``, the other from the second half
        ``{T//2, ..., T-1}``; target ``X1 + X2`` in ``[0, 2)``.  Always answering
        1 gives a mean squared error of 1/6.
    ``variant="original"``, Experiment 4 of Hochreiter and Schmidhuber (1997),
    with a fixed length ``T`` (the paper draws the length from ``[T, T + T/10]``):
        values uniform in ``[-1, 1)``; the first marked step is one of the first
        ten steps ``{0, ..., 9}``, the second one of the first ``T//2 - 1`` steps
        that are not yet marked (so it lies in ``{0, ..., T//2 - 1}``); the
        marker channel is -1 at the first and at the last step unless that step is
        marked; if step 0 is marked, its value ``X1`` counts as 0 (and is stored
        as 0 in channel 0).  Target ``0.5 + (X1 + X2) / 4`` in ``[0, 1]``; a
        sequence counts as solved when the absolute error is below 0.04.
        Always answering 0.5 gives a mean squared error of
        ``(0.9 / 3 + 1 / 3) / 16 = 19/480``, about 0.0396 (1/24 without the
        rule that sets ``X1`` to 0).

    Parameters
    ----------
    n_seq : int
        Number of sequences ``B`` (>= 1).
    T : int
        Sequence length: >= 2 for ``"modern"``; >= 10 for ``"original"``, so that
        the first ten steps fit.
    variant : {"modern", "original"}, default "modern"
    seed : int or None, optional
        Seed for ``np.random.default_rng``.

    Returns
    -------
    x : numpy.ndarray
        Inputs, shape ``(T, B, 2)``, dtype float64.
    y : numpy.ndarray
        Targets, shape ``(B,)``, dtype float64.
    """
    n_seq = _check_int("n_seq", n_seq, 1)
    if variant not in ADDING_VARIANTS:
        raise ValueError(f"variant must be one of {ADDING_VARIANTS}, got {variant!r}")
    T = _check_int("T", T, 2 if variant == "modern" else 10)
    rng = np.random.default_rng(seed)
    cols = np.arange(n_seq)
    marker = np.zeros((T, n_seq))
    if variant == "modern":
        half = T // 2
        values = rng.random((T, n_seq))
        first = rng.integers(0, half, size=n_seq)
        second = rng.integers(half, T, size=n_seq)
        marker[first, cols] = 1.0
        marker[second, cols] = 1.0
        x = np.stack([values, marker], axis=-1)
        return x, values[first, cols] + values[second, cols]
    values = rng.uniform(-1.0, 1.0, size=(T, n_seq))
    first = rng.integers(0, 10, size=n_seq)
    # the second marker: uniform over the first m = T//2 - 1 steps that are not
    # marked yet; the r-th unmarked step is r, or r + 1 once r has reached `first`
    r = rng.integers(0, T // 2 - 1, size=n_seq)
    second = r + (r >= first)
    values[0, first == 0] = 0.0                  # X1 = 0 when step 0 is marked
    marker[0] = -1.0
    marker[T - 1] = -1.0
    marker[first, cols] = 1.0
    marker[second, cols] = 1.0
    x = np.stack([values, marker], axis=-1)
    y = 0.5 + (values[first, cols] + values[second, cols]) / 4.0
    return x, y


def cue_recall(n_seq, T, n_keys=4, *, n_decoys=2, n_fillers=8, cue_window=5, seed=None):
    """An early cue decides a late answer; decoys in between look like cues.

    A synthetic version of "I grew up in *France* ... (I visited *Spain*) ... I
    speak fluent ___ (*French*)".  The alphabet has ``n_keys + 3 + n_fillers``
    symbols, one-hot encoded:

    * ``0, ..., K-1`` (``K = n_keys``): the keys ("countries");
    * ``K``: the cue marker ("I grew up in");
    * ``K + 1``: the decoy marker ("I visited");
    * ``K + 2``: the query ("I speak fluent");
    * ``K + 3, ...``: filler words, which carry no information.

    The cue marker appears at a step ``p`` drawn uniformly from
    ``{0, ..., cue_window - 1}``, followed at step ``p + 1`` by the key ``k``.
    Then ``n_decoys`` pairs (decoy marker, random key) are placed at random,
    non-overlapping steps between ``p + 2`` and ``T - 2``; all other steps before
    the last hold random fillers.  The last step ``T - 1`` holds the query, and
    its target is ``k``.  A network must store the key that follows the cue
    marker, ignore the keys that follow decoy markers, and answer at the query.
    Remembering the last key seen instead scores about ``1/K`` plus the chance
    that the decoys repeat the true key.

    Parameters
    ----------
    n_seq : int
        Number of sequences ``B`` (>= 1).
    T : int
        Sequence length; at least ``cue_window + 2 * n_decoys + 3``.
    n_keys : int, default 4
        Number of keys ``K`` (>= 2), which is also the number of classes.
    n_decoys : int, default 2
        Number of decoy pairs (>= 0).
    n_fillers : int, default 8
        Number of filler symbols (>= 1).
    cue_window : int, default 5
        The cue marker appears among the first ``cue_window`` steps (>= 1).
    seed : int or None, optional
        Seed for ``np.random.default_rng``.

    Returns
    -------
    x : numpy.ndarray
        One-hot inputs, shape ``(T, B, n_keys + 3 + n_fillers)``, dtype float64.
    y : numpy.ndarray
        Targets, shape ``(T, B)``, dtype int64: ``-100`` everywhere except
        ``y[T - 1] == k``, the key that follows the cue marker.
    """
    n_seq = _check_int("n_seq", n_seq, 1)
    K = _check_int("n_keys", n_keys, 2)
    n_decoys = _check_int("n_decoys", n_decoys, 0)
    F = _check_int("n_fillers", n_fillers, 1)
    W = _check_int("cue_window", cue_window, 1)
    T = _check_int("T", T, W + 2 * n_decoys + 3)
    rng = np.random.default_rng(seed)
    cue, decoy, query = K, K + 1, K + 2
    s = rng.integers(K + 3, K + 3 + F, size=(T, n_seq))
    p = rng.integers(0, W, size=n_seq)
    key = rng.integers(0, K, size=n_seq)
    cols = np.arange(n_seq)
    s[p, cols] = cue
    s[p + 1, cols] = key
    s[T - 1] = query
    for b in range(n_seq):
        # decoy pairs fill S = T - p - 4 free steps p+2 ... T-3 (the key of a pair
        # may sit at T-2): sorted distinct u_j in [0, S - n), pair j starts at u_j + j
        start = p[b] + 2
        free = T - 2 - start
        u = np.sort(rng.choice(free - n_decoys, size=n_decoys, replace=False))
        at = start + u + np.arange(n_decoys)
        s[at, b] = decoy
        s[at + 1, b] = rng.integers(0, K, size=n_decoys)
    y = np.full((T, n_seq), IGNORE_INDEX, dtype=np.int64)
    y[T - 1] = key
    return _one_hot(s, K + 3 + F), y
