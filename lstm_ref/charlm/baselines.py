"""Two models without memory to beat: unigram and add-one (Laplace) bigram, in bits per character.

Both are fitted on the training ids and scored on the validation ids over the same vocabulary of
``K`` characters. The unigram model predicts every character with its training frequency; the
bigram model predicts character ``b`` after ``a`` with

    p(b | a) = (n(a, b) + 1) / (n(a) + K),

where ``n(a, b)`` counts the pair in the training text and ``n(a)`` the pairs that start with ``a``.
The unigram frequencies are add-one smoothed too, so a character that never occurs in training has
a finite cost. The cost is the mean of ``-log2 p`` over the scored characters.
"""
from __future__ import annotations

import numpy as np


def _check(train, val, vocab_size):
    train, val = np.asarray(train, dtype=np.int64), np.asarray(val, dtype=np.int64)
    if train.ndim != 1 or val.ndim != 1 or len(train) < 2 or len(val) < 2:
        raise ValueError("expected 1-D id sequences of at least 2 characters each")
    if min(train.min(), val.min()) < 0 or max(train.max(), val.max()) >= vocab_size:
        raise ValueError(f"ids must lie in [0, {vocab_size})")
    return train, val


def unigram_bits(train, val, vocab_size: int) -> float:
    """Validation bits/char of the add-one unigram model fitted on ``train``."""
    train, val = _check(train, val, vocab_size)
    counts = np.bincount(train, minlength=vocab_size) + 1.0
    log2p = np.log2(counts / counts.sum())
    return float(-log2p[val].mean())


def bigram_bits(train, val, vocab_size: int) -> float:
    """Validation bits/char of the add-one bigram model (each validation character after its predecessor)."""
    train, val = _check(train, val, vocab_size)
    pairs = np.zeros((vocab_size, vocab_size))
    np.add.at(pairs, (train[:-1], train[1:]), 1.0)
    pairs += 1.0
    log2p = np.log2(pairs / pairs.sum(axis=1, keepdims=True))
    return float(-log2p[val[:-1], val[1:]].mean())
