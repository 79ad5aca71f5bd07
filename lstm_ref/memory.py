"""A memory cell set by hand: one LSTM unit that stores a number and reads it out later.

No training: the weights are chosen so that the gates do what the chapter on the
LSTM cell says they do. The input ``x_t`` has three channels::

    x_t = [write_t, v_t, read_t]

``write_t = 1`` opens the input gate, ``v_t`` is the value to store (the
candidate is ``g_t = tanh(gain * v_t)``), and ``read_t = 1`` opens the output
gate. With ``W_hh = 0`` the gates see only the input::

    i_t = sigmoid(k write_t - k/2)     open (~1) when writing, ~e^{-k/2} otherwise
    f_t = sigmoid(b_keep)              ~1: keep
    g_t = tanh(gain v_t)
    o_t = sigmoid(k read_t - k/2)      open only when reading

so ``c_t`` holds ``i_1 g_1`` (times ``f^(t-1)``) and ``h_T = o_T tanh(c_T)``
shows it at the read step.
"""
import numpy as np

from .checks import check_size
from .lstm import LSTM

__all__ = ["memory_cell", "memory_sequence"]


def _number(name, v):
    """``v`` as a float; a clear error unless it is a finite real number."""
    if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a real number, got {type(v).__name__}")
    if not np.isfinite(v):
        raise ValueError(f"{name} must be a finite number, got {v!r}")
    return float(v)


def memory_cell(*, gate_gain=20.0, keep_bias=20.0, value_gain=1.0, dtype=np.float64):
    """An LSTM with one unit whose weights make it a write/hold/read memory.

    Parameters
    ----------
    gate_gain : float, optional
        ``k``: weight of the write and read flags on the input and output gates;
        the gates' biases are ``-k/2``, so a flag of 1 gives ``sigmoid(k/2)`` and
        a flag of 0 gives ``sigmoid(-k/2)``.
    keep_bias : float, optional
        Bias of the forget gate, ``f = sigmoid(keep_bias)`` at every step.
    value_gain : float, optional
        Weight of the value channel on the candidate, ``g = tanh(value_gain v)``.
    dtype : numpy dtype, optional
        ``numpy.float64`` (default) or ``numpy.float32``.

    Returns
    -------
    lstm_ref.LSTM
        ``input_size=3`` (write, value, read), ``hidden_size=1``, ``weight_hh = 0``,
        ``bias_hh = 0``; blocks i, f, g, o as in PyTorch.
    """
    k = _number("gate_gain", gate_gain)
    keep_bias = _number("keep_bias", keep_bias)
    value_gain = _number("value_gain", value_gain)
    cell = LSTM(3, 1, seed=0, dtype=dtype)
    for p in cell.params().values():
        p[...] = 0.0
    cell.weight_ih[0, 0] = k            # input gate <- write flag
    cell.bias_ih[0] = -k / 2
    cell.bias_ih[1] = keep_bias         # forget gate: constant
    cell.weight_ih[2, 1] = value_gain   # candidate <- value
    cell.weight_ih[3, 2] = k            # output gate <- read flag
    cell.bias_ih[3] = -k / 2
    return cell


def memory_sequence(values, T, *, noise=0.0, seed=None):
    """Inputs for :func:`memory_cell`: write ``values`` at step 1, read at step ``T``.

    Parameters
    ----------
    values : array_like
        ``(B,)`` numbers to store, one per sequence (e.g. bits coded as +-1).
    T : int
        Sequence length, ``>= 2``.
    noise : float, optional
        Standard deviation of Gaussian distractors on the value channel at
        steps ``2..T`` (the write flag is 0 there).
    seed : int, optional
        Seed of the distractors.

    Returns
    -------
    ndarray
        ``x`` of shape ``(T, B, 3)``: channels (write, value, read).
    """
    try:
        values = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"values must be a 1-d array of numbers, got {type(values).__name__}") \
            from None
    if values.ndim != 1 or values.size == 0:
        raise ValueError(f"values must be a non-empty 1-d array (B,), got shape {values.shape}")
    if check_size(T, "T") < 2:                  # TypeError for a float or bool T
        raise ValueError(f"T must be an int >= 2, got {T!r}")
    if not np.all(np.isfinite(values)):
        raise ValueError("values must be finite numbers")
    if _number("noise", noise) < 0:
        raise ValueError(f"noise must be a finite number >= 0, got {noise!r}")
    B = values.size
    x = np.zeros((T, B, 3))
    x[1:, :, 1] = noise * np.random.default_rng(seed).standard_normal((T - 1, B))
    x[0, :, 0] = 1.0
    x[0, :, 1] = values
    x[-1, :, 2] = 1.0
    return x
