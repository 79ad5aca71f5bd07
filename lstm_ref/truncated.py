"""The truncated gradient of Hochreiter & Schmidhuber (1997) for the LSTM family.

The original LSTM was not trained with full BPTT. Errors that reach a gate's
pre-activation ``a_t`` update that gate's weights, but are *not* sent further
back through the recurrent weights into ``h_{t-1}``; only the cell state carries
error back in time, through the direct path ``dc_{t-1} = dc_t * f_t`` (the
constant error carousel). In the notation of :func:`lstm_ref.backward`::

    full BPTT:  dh_{t-1} = dl_{t-1}/dh_{t-1} + W_hh^T da_t     dc_{t-1} = dc_t * f_t
    truncated:  dh_{t-1} = dl_{t-1}/dh_{t-1}                   dc_{t-1} = dc_t * f_t

Everything else (the gate gradients of one step, the weight gradients as sums
over time) is unchanged, so the difference between the two is exactly the set
of paths that leave a step through ``h_{t-1} -> a_t``.

The peephole LSTM is not supported: its rule (Gers, Schraudolph & Schmidhuber,
2002) also stops the errors that would flow from the gates back into the cell
state through the peephole weights, a second cut this function does not make.
"""
import numpy as np

from .cell import Cell
from .peephole import PeepholeLSTM
from .unroll import _check_cache, _check_d_outputs, _weight_grads

__all__ = ["truncated_backward"]


def truncated_backward(cell, cache, d_outputs, d_final_state=None):
    """Backward pass that propagates error back in time only through the cell state.

    Parameters
    ----------
    cell : Cell
        A cell with a cell state and no peephole weights: LSTM, NoForgetLSTM
        or CoupledLSTM.
    cache : SequenceCache
        What :func:`lstm_ref.forward` returned for ``cell``.
    d_outputs : ndarray or None
        ``dl_t/dh_t`` from the loss at each step, ``(T, B, H)``; None = zeros.
    d_final_state : tuple or None, optional
        ``(dh_T, dc_T)`` from beyond the sequence; None = zeros.

    Returns
    -------
    grads : dict
        The truncated parameter gradients, keyed like ``cell.state_dict()``.
    dx : ndarray
        The truncated gradient w.r.t. ``x``, ``(T, B, D)``.
    d_state0 : tuple
        ``(dh_0, dc_0)``; ``dh_0`` is zero by construction (no error crosses
        ``h_0 -> a_1``).

    Notes
    -----
    Like :func:`lstm_ref.backward` it differentiates the parameters that
    :func:`lstm_ref.forward` copied into the cache, never the live arrays, and
    reports an overflow as ``ValueError``. A cache of another type is a
    ``TypeError``, the cache of another cell a ``ValueError``.
    """
    if not isinstance(cell, Cell) or not cell.has_cell_state:
        raise TypeError("truncated_backward needs a cell with a cell state (LSTM family), "
                        f"got {type(cell).__name__}")
    if isinstance(cell, PeepholeLSTM):
        raise TypeError("truncated_backward does not support PeepholeLSTM: the original rule also "
                        "cuts the error paths from the gates back through the peephole weights")
    _check_cache(cell, cache)
    T, B, H = cache.outputs.shape
    d_outputs = _check_d_outputs(d_outputs, (T, B, H), cell.dtype)
    dh, dc = cell.check_state(d_final_state, B, name="d_final_state")
    dxz = np.empty((T, B, cell.num_gates * H), cell.dtype)
    dhz = np.empty_like(dxz)
    vector_grads = {v: np.zeros(H, cell.dtype) for v in cell.vectors}
    with np.errstate(over="ignore", invalid="ignore"):    # an overflow is reported below
        for t in range(T - 1, -1, -1):
            dxz[t], dhz[t], (_, dc) = cell.step_backward((dh + d_outputs[t], dc), cache.steps[t],
                                                          vector_grads, cache.params)
            dh = np.zeros_like(dh)               # the cut: nothing flows h_{t-1} <- a_t
        return _weight_grads(cell, cache, dxz, dhz, vector_grads, (dh, dc))
