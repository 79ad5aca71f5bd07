"""Jacobians between states: how a change of an earlier state reaches a later one.

The idea: one step of a cell maps its state ``s_{t-1}`` to ``s_t``; the error
signal that BPTT carries from step ``T`` back to step ``k`` is multiplied by
the transposed product of the step Jacobians in between::

    ds_T/ds_k = J_T J_{t-1} ... J_{k+1},      J_t = ds_t / ds_{t-1}

For the tanh RNN the state is ``h`` and ``J_t = diag(1 - h_t^2) W_hh``. For the
LSTM family the state is ``s = [h; c]`` (length ``2H``) and, with the gate
values of step ``t`` and ``a_t = W_ih x_t + W_hh h_{t-1} + b``::

    dc_t/dc_{t-1} = diag(f_t)                                 (the direct path)
    dc_t/dh_{t-1} = diag(c_{t-1} f'(.)) W_hf + diag(g i'(.)) W_hi + diag(i g'(.)) W_hg
    dh_t/dc_{t-1} = diag(o_t (1 - tanh^2 c_t)) dc_t/dc_{t-1}
    dh_t/dh_{t-1} = diag(tanh(c_t) o'(.)) W_ho + diag(o_t (1 - tanh^2 c_t)) dc_t/dh_{t-1}

where ``f'(.) = f(1-f)`` and so on. The *direct path* keeps only the first
line: ``prod_t diag(f_t)`` (the identity for the cell without a forget gate),
the path Hochreiter & Schmidhuber's truncated gradient keeps.

Everything here reads the gate values, and the weights, from the cache of
:func:`lstm_ref.forward` (an in-place edit of the cell since then changes
nothing); nothing is differentiated automatically.
"""
import numpy as np

from .cell import split
from .lstm import LSTM
from .noforget import NoForgetLSTM
from .rnn import RNN
from .unroll import _check_cache

__all__ = ["step_jacobians", "jacobian_products", "direct_path", "cell_state_jacobians",
           "spectral_norms"]


def _check(cell, cache):
    if type(cell) not in (RNN, LSTM, NoForgetLSTM):
        raise TypeError("step_jacobians supports lstm_ref.RNN (tanh), LSTM and NoForgetLSTM, "
                        f"got {type(cell).__name__}")
    if isinstance(cell, RNN) and cell.nonlinearity != "tanh":
        raise ValueError(f"step_jacobians needs a tanh RNN, got nonlinearity={cell.nonlinearity!r}")
    _check_cache(cell, cache)     # TypeError for another type, ValueError for another cell


def step_jacobians(cell, cache):
    """The Jacobian of every step's state with respect to the previous state.

    Parameters
    ----------
    cell : lstm_ref.RNN or lstm_ref.LSTM or lstm_ref.NoForgetLSTM
        The cell that ran the sequence (a tanh :class:`~lstm_ref.RNN`, an
        :class:`~lstm_ref.LSTM` or a :class:`~lstm_ref.NoForgetLSTM`).
    cache : SequenceCache
        What :func:`lstm_ref.forward` returned for it.

    Returns
    -------
    ndarray
        ``J`` of shape ``(T, B, S, S)`` with ``J[t-1] = ds_t/ds_{t-1}`` for
        ``t = 1..T``; ``S = H`` for the RNN (state ``h``) and ``S = 2H`` for
        the LSTMs (state ``[h; c]``, ``h`` first).
    """
    _check(cell, cache)
    H = cell.hidden_size
    if isinstance(cell, RNN):
        return np.stack([(1.0 - h * h)[:, :, None] * cache.params["weight_hh"]
                         for h in cache.steps])
    W = cache.params["weight_hh"]                # the weights forward used, not the live ones
    out = []
    for step in cache.steps:
        if isinstance(cell, LSTM):
            a, c_prev, tc = step
            i, f, g, o = split(a, 4)
            W_i, W_f, W_g, W_o = split(W.T, 4)            # columns -> (H, H) blocks, transposed
            dc_dh = ((c_prev * f * (1 - f))[:, :, None] * W_f.T
                     + (g * i * (1 - i))[:, :, None] * W_i.T
                     + (i * (1 - g * g))[:, :, None] * W_g.T)
        else:
            a, tc = step
            i, g, o = split(a, 3)
            f = np.ones_like(i)
            W_i, W_g, W_o = split(W.T, 3)
            dc_dh = ((g * i * (1 - i))[:, :, None] * W_i.T
                     + (i * (1 - g * g))[:, :, None] * W_g.T)
        dc_dc = np.zeros(dc_dh.shape)
        idx = np.arange(H)
        dc_dc[:, idx, idx] = f
        k = (o * (1 - tc * tc))[:, :, None]               # dh_t/dc_t, diagonal
        dh_dh = (tc * o * (1 - o))[:, :, None] * W_o.T + k * dc_dh
        dh_dc = k * dc_dc
        out.append(np.block([[dh_dh, dh_dc], [dc_dh, dc_dc]]))
    return np.stack(out)


def jacobian_products(J):
    """Products of step Jacobians from the last step back: ``P[m] = ds_T/ds_{T-m}``.

    Parameters
    ----------
    J : ndarray
        ``(T, B, S, S)`` from :func:`step_jacobians`.

    Returns
    -------
    ndarray
        ``(T+1, B, S, S)``; ``P[0]`` is the identity and
        ``P[m] = J_T J_{T-1} ... J_{T-m+1}`` (latest factor on the left).
    """
    J = np.asarray(J)
    if J.ndim != 4 or J.shape[-1] != J.shape[-2]:
        raise ValueError(f"J must have shape (T, B, S, S), got {J.shape}")
    P = [np.broadcast_to(np.eye(J.shape[-1]), J.shape[1:]).copy()]
    for Jt in J[::-1]:
        P.append(P[-1] @ Jt)
    return np.stack(P)


def direct_path(cell, cache):
    """The direct path ``c_{T-m} -> c_T`` alone: the products of the forget gates.

    Parameters
    ----------
    cell : lstm_ref.LSTM or lstm_ref.NoForgetLSTM
        The cell that ran the sequence.
    cache : SequenceCache
        What :func:`lstm_ref.forward` returned for it.

    Returns
    -------
    ndarray
        ``(T+1, B, H)``: entry ``m`` is the diagonal of
        ``prod_{t=T-m+1}^{T} diag(f_t)`` (all ones for ``m = 0`` and, exactly,
        for every ``m`` when the cell has no forget gate).
    """
    _check(cell, cache)
    if isinstance(cell, RNN):
        raise TypeError("direct_path needs a cell with a cell state (LSTM or NoForgetLSTM)")
    T, B, H = cache.outputs.shape
    if isinstance(cell, NoForgetLSTM):
        f = np.ones((T, B, H))
    else:
        f = np.stack([cell.gate_values(step)["f"] for step in cache.steps])
    ones = np.ones((1, B, H))
    return np.concatenate([ones, np.cumprod(f[::-1], axis=0)])


def cell_state_jacobians(cell, cache, P=None):
    """The full ``dc_T/dc_k`` for ``k = T, T-1, ..., 1``, every path included.

    Changing ``c_k`` changes ``c_{k+1}`` directly (times ``f_{k+1}``) and also
    changes ``h_k = o_k tanh(c_k)``, which reaches every gate of step ``k+1``.
    With ``P[m] = ds_T/ds_k`` (``m = T - k``) from :func:`jacobian_products`::

        dc_T/dc_k = P[m]_cc + P[m]_ch diag(o_k (1 - tanh^2 c_k))

    Parameters
    ----------
    cell : lstm_ref.LSTM or lstm_ref.NoForgetLSTM
        The cell that ran the sequence.
    cache : SequenceCache
        What :func:`lstm_ref.forward` returned for it.
    P : ndarray, optional
        ``jacobian_products(step_jacobians(cell, cache))`` if already computed.

    Returns
    -------
    ndarray
        ``(T, B, H, H)``; entry ``m`` is ``dc_T/dc_{T-m}`` (``m = 0`` is the
        identity).
    """
    _check(cell, cache)
    if isinstance(cell, RNN):
        raise TypeError("cell_state_jacobians needs a cell with a cell state (LSTM or NoForgetLSTM)")
    if P is None:
        P = jacobian_products(step_jacobians(cell, cache))
    H, T = cell.hidden_size, len(cache.steps)
    out = []
    for m in range(T):
        step = cache.steps[T - m - 1]                       # the step that made c_k, k = T - m
        dh_dc = cell.gate_values(step)["o"] * (1.0 - step[-1] ** 2)
        out.append(P[m][:, H:, H:] + P[m][:, H:, :H] * dh_dc[:, None, :])
    return np.stack(out)


def spectral_norms(P):
    """Largest singular value of each matrix in a stack ``(..., S, S)``.

    Parameters
    ----------
    P : ndarray
        Matrices stacked along the leading axes.

    Returns
    -------
    ndarray
        ``P.shape[:-2]`` spectral norms.
    """
    P = np.asarray(P)
    if P.ndim < 2:
        raise ValueError(f"P must be a stack of matrices (..., S, S), got shape {P.shape}")
    return np.linalg.norm(P, ord=2, axis=(-2, -1))
