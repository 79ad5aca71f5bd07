"""Two tasks that show what the LSTM variants are for (numpy only).

:func:`spike_timing`
    tell apart the spacings between two input spikes: a test of precise timing, in the spirit
    of the "measure spike delay" task of Gers, Schraudolph and Schmidhuber (2002), which
    peephole connections were introduced for.
:func:`continual_recall`
    one long stream without resets, made of segments "key, fillers ..., query"; at every query
    the target is the key of the current segment.  A cell must *overwrite* its memory at each
    new key, the situation in which Gers, Schmidhuber and Cummins (2000) found that an LSTM
    without a forget gate breaks down.

Layout as in :mod:`lstm_ref.tasks`: inputs ``(T, B, D)`` time-major, float64, one-hot where the
input is symbolic; class targets ``int64`` of shape ``(T, B)`` with
:data:`~lstm_ref.tasks.IGNORE_INDEX` at the steps that are not scored.  Every generator draws
from ``np.random.default_rng(seed)``, so a seed reproduces a batch bit for bit.
"""
from __future__ import annotations

import numpy as np

from .tasks import IGNORE_INDEX, _check_int, _one_hot

__all__ = ["spike_timing", "continual_recall", "segment_lengths"]


def spike_timing(n_seq, spacings=(6, 7, 8, 9, 10, 11), *, onset_window=5, tail=3, seed=None):
    """Two spikes ``d`` steps apart; the class is the index of ``d`` in ``spacings``.

    Input channel 0 is 1 at the two spike steps ``p`` and ``p + d`` and 0 elsewhere; ``p`` is
    uniform in ``{0, ..., onset_window - 1}`` and ``d`` uniform over ``spacings``.  Input
    channel 1 is a constant 1 (a "clock" the cell may integrate).  The sequences all have
    length ``T = onset_window + max(spacings) + tail``, so neither the length nor the
    position of the last step gives ``d`` away; only the time *between* the spikes does.
    The target, scored at the last step only, is the index of ``d``.

    Parameters
    ----------
    n_seq : int
        Number of sequences ``B`` (>= 1).
    spacings : sequence of int
        The distinct spike spacings to tell apart (each >= 1, at least two).
    onset_window : int, default 5
        The first spike falls in the first ``onset_window`` steps (>= 1).
    tail : int, default 3
        Steps after the latest possible second spike (>= 1).
    seed : int or None, optional
        Seed for ``np.random.default_rng``.

    Returns
    -------
    x : numpy.ndarray
        Inputs, shape ``(T, B, 2)``, float64.
    y : numpy.ndarray
        Targets, shape ``(T, B)``, int64: ``-100`` except ``y[T-1]``, the class of ``d``.
    """
    n_seq = _check_int("n_seq", n_seq, 1)
    W = _check_int("onset_window", onset_window, 1)
    tail = _check_int("tail", tail, 1)
    spacings = [_check_int("spacing", d, 1) for d in spacings]
    if len(spacings) < 2 or len(set(spacings)) != len(spacings):
        raise ValueError(f"spacings must hold at least two distinct integers, got {spacings}")
    T = W + max(spacings) + tail
    rng = np.random.default_rng(seed)
    p = rng.integers(0, W, size=n_seq)
    k = rng.integers(0, len(spacings), size=n_seq)
    d = np.asarray(spacings)[k]
    cols = np.arange(n_seq)
    x = np.zeros((T, n_seq, 2))
    x[p, cols, 0] = 1.0
    x[p + d, cols, 0] = 1.0
    x[:, :, 1] = 1.0
    y = np.full((T, n_seq), IGNORE_INDEX, dtype=np.int64)
    y[T - 1] = k
    return x, y


def segment_lengths(total, min_len, max_len, rng):
    """Lengths, uniform in ``[min_len, max_len]``, of segments that cover ``total`` steps.

    The last segment is cut at ``total``, so the lengths sum to exactly ``total``.
    """
    lengths = []
    while sum(lengths) < total:
        lengths.append(int(rng.integers(min_len, max_len + 1)))
    lengths[-1] -= sum(lengths) - total
    return lengths


def continual_recall(n_streams, T, n_keys=4, *, n_fillers=4, min_len=4, max_len=12,
                     seed=None):
    """A continual stream of segments "key, fillers ..., query", with no resets between them.

    The alphabet has ``n_keys + 1 + n_fillers`` symbols, one-hot encoded: keys ``0 ... K-1``,
    the query ``K``, fillers ``K+1 ...``.  Each stream is a concatenation of segments of
    length ``L`` uniform in ``[min_len, max_len]``: a random key, ``L - 2`` random fillers,
    the query.  The target at a query step is the key of its segment; every other step is
    :data:`~lstm_ref.tasks.IGNORE_INDEX`.  Streams are cut at ``T`` steps (the last segment
    may be incomplete).  Nothing marks a boundary except the query and the key that follows
    it, so a network that runs over the whole stream must replace the stored key at every
    segment.  Slice a long stream into chunks to train with truncated backpropagation while
    carrying the state across chunks.

    Parameters
    ----------
    n_streams : int
        Number of parallel streams ``B`` (>= 1).
    T : int
        Stream length (>= 1).
    n_keys : int, default 4
        Number of keys ``K`` (>= 2), also the number of classes.
    n_fillers : int, default 4
        Number of filler symbols (>= 1).
    min_len, max_len : int, default 4 and 12
        Segment lengths (``2 <= min_len <= max_len``).
    seed : int or None, optional
        Seed for ``np.random.default_rng``.

    Returns
    -------
    x : numpy.ndarray
        One-hot inputs, shape ``(T, B, n_keys + 1 + n_fillers)``, float64.
    y : numpy.ndarray
        Targets, shape ``(T, B)``, int64.
    """
    B = _check_int("n_streams", n_streams, 1)
    T = _check_int("T", T, 1)
    K = _check_int("n_keys", n_keys, 2)
    F = _check_int("n_fillers", n_fillers, 1)
    min_len = _check_int("min_len", min_len, 2)
    max_len = _check_int("max_len", max_len, min_len)
    rng = np.random.default_rng(seed)
    s = rng.integers(K + 1, K + 1 + F, size=(T, B))
    y = np.full((T, B), IGNORE_INDEX, dtype=np.int64)
    for b in range(B):
        start = 0
        for L in segment_lengths(T, min_len, max_len, rng):
            key = int(rng.integers(0, K))
            s[start, b] = key
            if L >= 2:                       # a cut last segment of length 1 has no query
                s[start + L - 1, b] = K
                y[start + L - 1, b] = key
            start += L
    return _one_hot(s, K + 1 + F), y
