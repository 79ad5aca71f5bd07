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
    a regression over a long sequence: add the two marked values.
"""

from __future__ import annotations

import numbers

import numpy as np

__all__ = ["IGNORE_INDEX", "recent_sum", "first_symbol", "adding_problem"]

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


def adding_problem(n_seq, T, *, seed=None):
    """The adding problem: output the sum of the two marked values.

    Channel 0 holds values drawn independently and uniformly from ``[0, 1)``.
    Channel 1 is a marker that is 1 at exactly two positions and 0 elsewhere:
    one position drawn uniformly from the first half ``{0, ..., T//2 - 1}`` and
    one from the second half ``{T//2, ..., T-1}``.  The target is the sum of the
    two marked values, so it lies in ``[0, 2)``; always answering 1 gives a
    mean squared error of about 1/6.  This is the variant of the task of
    Hochreiter and Schmidhuber (1997) in which the markers are split between
    the two halves.

    Parameters
    ----------
    n_seq : int
        Number of sequences ``B`` (>= 1).
    T : int
        Sequence length (>= 2, so that each half holds a position).
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
    T = _check_int("T", T, 2)
    rng = np.random.default_rng(seed)
    half = T // 2
    values = rng.random((T, n_seq))
    first = rng.integers(0, half, size=n_seq)
    second = rng.integers(half, T, size=n_seq)
    cols = np.arange(n_seq)
    marker = np.zeros((T, n_seq))
    marker[first, cols] = 1.0
    marker[second, cols] = 1.0
    x = np.stack([values, marker], axis=-1)
    y = values[first, cols] + values[second, cols]
    return x, y
