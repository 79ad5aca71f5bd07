"""Unrolling a cell over time, backpropagation through time, stacked layers.

The idea: this is the only place with a time loop. A cell contributes its
``step`` and ``step_backward``; this module

* computes the input projection of all ``T`` steps as ONE matrix product,
* runs the steps, keeping each step's small cache,
* runs the steps backward (BPTT), storing every step's pre-activation
  gradient in one ``(T, B, G*H)`` array, and after the loop gets ``dW_ih``,
  ``dW_hh``, both biases and ``dx`` from a handful of big matrix products.

:class:`Stack` chains cells into layers (like ``nn.LSTM(num_layers=L)``);
:func:`forward` and :func:`backward` accept a cell, a :class:`Stack`, or a list
of cells (turned into a :class:`Stack`).

What the cache holds cannot change behind its back: :func:`forward` copies
the caller's ``x`` and initial state, takes validated read-only copies of the
parameters (:meth:`lstm_ref.Cell.checked_params`), and makes everything it keeps
read-only. So an in-place edit of ``x``, of the state, or of a weight (an
optimiser step, ``load_state_dict``) between :func:`forward` and
:func:`backward` cannot change the gradients: :func:`backward` always returns
the gradients of the function :func:`forward` computed, at the weights it used.
"""
import numpy as np

from .cell import Cell
from .checks import (as_float_array, check_finite, check_no_shared_arrays, check_sequence,
                     describe, frozen_copy, store_params)

__all__ = ["forward", "backward", "Stack", "SequenceCache", "cache_floats"]


def _freeze(obj):
    """Make the arrays of one step's cache read-only (an array or a tuple of them)."""
    for a in (obj if isinstance(obj, tuple) else (obj,)):
        a.flags.writeable = False


class SequenceCache:
    """What :func:`forward` keeps for :func:`backward` (one layer); every array read-only.

    Attributes
    ----------
    cell : Cell
        The cell that produced it.
    params : dict
        Read-only copies of the cell's parameters taken when :func:`forward`
        ran; :func:`backward` differentiates with these, not the live arrays.
    x : ndarray
        Inputs ``(T, B, D)`` (a copy of the caller's).
    h0 : ndarray
        Initial hidden state ``(B, H)`` (a copy), which multiplies
        ``weight_hh`` at the first step. An initial cell state ``c_0`` is
        kept, when backward needs it, in the first step's cache.
    outputs : ndarray
        Hidden states ``h_1 .. h_T``, ``(T, B, H)``.
    steps : tuple
        The ``T`` per-step caches of the cell.
    """

    __slots__ = ("cell", "params", "x", "h0", "outputs", "steps")

    def __init__(self, cell, params, x, h0, outputs, steps):
        self.cell, self.params, self.x, self.h0 = cell, params, x, h0
        self.outputs, self.steps = outputs, steps

    def __getstate__(self):
        return {name: getattr(self, name) for name in self.__slots__}

    def __setstate__(self, state):
        """Unpickling or ``copy.deepcopy`` gives writeable arrays: make them read-only again."""
        for name, value in state.items():
            setattr(self, name, value)
        for a in (self.x, self.h0, self.outputs, *self.params.values()):
            a.flags.writeable = False
        for step in self.steps:
            _freeze(step)


def forward(cell, x, state=None):
    """Run a cell (or a :class:`Stack`, or a list of cells) over a sequence.

    Parameters
    ----------
    cell : Cell or Stack or list
        The recurrent cell; a list of cells is run as a :class:`Stack`.
    x : ndarray
        Inputs, time-major, ``(T, B, D)``.
    state : ndarray or tuple or None, optional
        Initial state: ``(h, c)`` for the LSTM family, ``h`` for GRU and RNN,
        each ``(B, H)``; None means zeros. For a Stack, a list with one such
        state (or None) per layer.

    Returns
    -------
    outputs : ndarray
        ``h_1 .. h_T``, ``(T, B, H)``. Read-only, and a copy of what the
        cache keeps: an in-place edit raises, and even one forced through
        ``y.base`` cannot reach the cache (copy it to change it).
    final_state : ndarray or tuple
        State after the last step, same structure as ``state``; read-only too.
    cache : SequenceCache
        Everything :func:`backward` needs, read-only. It holds exactly
        ``T*B*D + T*B*H + B*H + T * cell.cache_floats_per_step(B) + P`` floats:
        the copy of ``x``, the outputs, ``h_0``, the per-step caches
        (``6*B*H`` per step for LSTM and PeepholeLSTM, ``5*B*H`` for
        CoupledLSTM, ``4*B*H`` for NoForgetLSTM and GRU, ``B*H`` for RNN) and
        the copy of the ``P`` parameters. :func:`cache_floats` counts it.

    Raises
    ------
    TypeError, ValueError
        For a wrong input, state or parameter: shape, dtype, NaN or inf (the
        parameters are checked once per call, before the time loop).
    """
    if isinstance(cell, (list, tuple)):
        cell = Stack(cell)
    if isinstance(cell, Stack):
        return cell.forward(x, state)
    return _forward(cell, x, state, owned=False)


def _forward(cell, x, state, owned):
    """:func:`forward` for one cell; ``owned``: ``x`` is a read-only array of ours
    (the outputs of the layer below in a Stack), kept without a copy."""
    _check_cell(cell)
    p = cell.checked_params()
    x = check_sequence(x, cell.input_size, cell.dtype)
    x = x if owned else frozen_copy(x)
    T, B, _ = x.shape
    state = tuple(frozen_copy(s) for s in cell.check_state(state, B))
    h0 = state[0]
    outputs = np.empty((T, B, cell.hidden_size), cell.dtype)
    steps = []
    with np.errstate(over="ignore", invalid="ignore"):    # an overflow is reported below
        xz = cell.project(x, p)
        for t in range(T):
            state, step_cache = cell.step(xz[t], state, p)
            _freeze(step_cache)
            outputs[t] = state[0]
            state = (outputs[t],) + state[1:]  # later caches refer to the outputs array
            steps.append(step_cache)
    _check_finite_result(outputs, "forward", "the outputs")
    _check_finite_result(state[-1], "forward", "the final state")
    outputs.flags.writeable = False
    _freeze(state)                             # views of outputs, and c_T
    cache = SequenceCache(cell, p, x, h0, outputs, tuple(steps))
    return _handed_out(outputs), cell.public_state(tuple(_handed_out(a) for a in state)), cache


def _handed_out(a):
    """What the caller gets of an array the cache keeps: a read-only view of a
    private copy. Its flag cannot be set back to writeable, and making the
    copy it views writeable (``y.base.flags.writeable = True``) changes the
    caller's copy, never the cache."""
    return frozen_copy(a).view()


def backward(cell, cache, d_outputs, d_final_state=None):
    """Backpropagation through time for :func:`forward`.

    Parameters
    ----------
    cell : Cell or Stack or list
        The cell given to :func:`forward`.
    cache : SequenceCache
        The cache :func:`forward` returned.
    d_outputs : ndarray or None
        Gradient of the loss w.r.t. the outputs, ``(T, B, H)``; None = zeros.
    d_final_state : ndarray or tuple or None, optional
        Gradient w.r.t. the final state (same structure as the state).

    Returns
    -------
    grads : dict
        Parameter gradients keyed like ``cell.state_dict()``.
    dx : ndarray
        Gradient w.r.t. ``x``, ``(T, B, D)``.
    d_state0 : ndarray or tuple
        Gradient w.r.t. the initial state, same structure as the state.

    Notes
    -----
    The live parameters are not read: the gradients are those at the
    parameters :func:`forward` validated and copied into the cache, even if
    the cell's arrays were changed in place in between (as the optimiser's
    ``step`` does). The gradient arrays are new arrays the caller may change.
    """
    if isinstance(cell, (list, tuple)):
        cell = Stack(cell)
    if isinstance(cell, Stack):
        return cell.backward(cache, d_outputs, d_final_state)
    _check_cell(cell)
    _check_cache(cell, cache)
    T, B, H = cache.outputs.shape
    d_outputs = _check_d_outputs(d_outputs, (T, B, H), cell.dtype)
    d_state = cell.check_state(d_final_state, B, name="d_final_state")  # None -> zeros
    GH = cell.num_gates * H
    dxz = np.empty((T, B, GH), cell.dtype)
    dhz = None
    grads = {v: np.zeros(H, cell.dtype) for v in cell.vectors}
    p = cache.params
    with np.errstate(over="ignore", invalid="ignore"):    # an overflow is reported below
        for t in range(T - 1, -1, -1):
            d_state = (d_state[0] + d_outputs[t],) + tuple(d_state[1:])
            dxz_t, dhz_t, d_state = cell.step_backward(d_state, cache.steps[t], grads, p)
            dxz[t] = dxz_t
            if dhz_t is not dxz_t:
                if dhz is None:
                    dhz = np.empty_like(dxz)
                dhz[t] = dhz_t
        return _weight_grads(cell, cache, dxz, dxz if dhz is None else dhz, grads, d_state)


def _weight_grads(cell, cache, dxz, dhz, vector_grads, d_state0):
    T, B, D = cache.x.shape
    H = cell.hidden_size
    dxz2, dhz2 = dxz.reshape(T * B, -1), dhz.reshape(T * B, -1)
    h_prev = np.concatenate([cache.h0[None], cache.outputs[:-1]]).reshape(T * B, H)
    grads = {
        "weight_ih": dxz2.T @ cache.x.reshape(T * B, D),
        "weight_hh": cell.grad_weight_hh(dhz2, h_prev, cache.steps),
        "bias_ih": dxz2.sum(axis=0),
        "bias_hh": dhz2.sum(axis=0),
    }
    grads.update(vector_grads)
    dx = (dxz2 @ cache.params["weight_ih"]).reshape(T, B, D)
    for name, g in grads.items():
        _check_finite_result(g, "backward", f"the gradient of {name}")
    _check_finite_result(dx, "backward", "dx")
    for g in d_state0:
        _check_finite_result(g, "backward", "the gradient of the initial state")
    return grads, dx, cell.public_state(d_state0)


def _check_finite_result(a, where, what):
    """Finite inputs and weights can still overflow (a relu RNN whose state
    grows without bound): say so instead of returning inf or NaN."""
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{where} overflowed: {what} are not finite although the inputs and "
                         f"weights are (values beyond {float(np.finfo(a.dtype).max):.3g}); "
                         "scale down the inputs or weights")


def _check_cell(cell):
    if not isinstance(cell, Cell):
        raise TypeError("cell must be an lstm_ref cell (RNN, LSTM, GRU, ...), a Stack or a "
                        f"list of cells, got {type(cell).__name__}")


def _check_cache(cell, cache):
    """A cache of another type is a TypeError; the cache of another cell a ValueError."""
    if isinstance(cache, SequenceCache) and cache.cell is cell:
        return
    want = f"cache must be the SequenceCache that forward() returned for this cell, {cell!r}"
    if isinstance(cache, SequenceCache):
        got = f"the cache of another cell, {cache.cell!r}"
        if type(cache.cell) is type(cell):
            got += " (a different object of the same class)"
        raise ValueError(f"{want}; got {got}")
    if isinstance(cache, list):
        raise TypeError(f"{want}; got a list of length {len(cache)} (what Stack.forward returns)")
    raise TypeError(f"{want}; got {describe(cache)}")


def _check_d_outputs(d_outputs, shape, dtype):
    if d_outputs is None:
        return np.zeros(shape, dtype)
    d = as_float_array(d_outputs, "d_outputs", dtype)
    if d.shape != shape:
        raise ValueError(f"d_outputs must have the shape of the outputs (T, B, H)={shape}, "
                         f"got {tuple(d.shape)}")
    check_finite(d, "d_outputs")
    return d


def cache_floats(cache):
    """Count the floats held by a cache (each array counted once).

    Parameters
    ----------
    cache : SequenceCache or list
        A cache from :func:`forward` (a list of them for a Stack).

    Returns
    -------
    int
        Number of array elements the cache keeps alive: for one cell exactly
        ``T*B*D + T*B*H + B*H + T * cell.cache_floats_per_step(B) + P``
        (see :func:`forward`); for a Stack the sum over layers, less each
        upper layer's input, which is the outputs of the layer below.

    Raises
    ------
    TypeError
        For anything else (it would count 0 floats).
    """
    ok = isinstance(cache, SequenceCache) or (
        isinstance(cache, list) and cache and all(isinstance(c, SequenceCache) for c in cache))
    if not ok:
        raise TypeError("cache must be a SequenceCache from forward() (or the list of them "
                        f"that Stack.forward returns), got {describe(cache)}")
    seen, total = set(), 0
    stack = [cache]
    while stack:
        obj = stack.pop()
        if isinstance(obj, np.ndarray):
            base = obj if obj.base is None else obj.base
            if id(base) not in seen:
                seen.add(id(base))
                total += base.size
        elif isinstance(obj, SequenceCache):
            stack.extend([obj.x, obj.h0, obj.outputs, obj.steps, list(obj.params.values())])
        elif isinstance(obj, (list, tuple)):
            stack.extend(obj)
    return total


class Stack:
    """Cells stacked in layers: layer ``k+1`` reads the outputs of layer ``k``.

    This is what ``torch.nn.LSTM(num_layers=L)`` computes (without dropout).
    It has the same interface as a cell for :func:`forward`, :func:`backward`
    and :class:`lstm_ref.SequenceModel`.

    Parameters
    ----------
    cells : list
        The cells, bottom layer first. ``cells[k+1].input_size`` must equal
        ``cells[k].hidden_size``; all must share one dtype.

    Notes
    -----
    The state of a Stack is a list with one state per layer (``(h, c)`` or
    ``h``, each ``(B, H_k)``); ``None`` for the whole list or for one layer
    means zeros. A cell may appear only once, and no two layers may share a
    parameter array (``ValueError``): an optimiser would step it twice. Parameters, ``params()``, ``state_dict()`` and gradients are
    keyed ``"<layer>.<name>"``, e.g. ``"0.weight_ih"``, ``"1.bias_hh"``.

    Examples
    --------
    >>> import numpy as np, lstm_ref
    >>> net = lstm_ref.Stack([lstm_ref.LSTM(3, 5, seed=0), lstm_ref.LSTM(5, 5, seed=1)])
    >>> y, states, cache = lstm_ref.forward(net, np.zeros((4, 2, 3)))
    >>> y.shape, len(states)
    ((4, 2, 5), 2)
    """

    def __init__(self, cells):
        if isinstance(cells, (str, bytes, dict)) or not hasattr(cells, "__iter__"):
            raise TypeError(f"Stack needs a list of cells, got {describe(cells)}")
        cells = list(cells)
        if not cells:
            raise ValueError("Stack needs at least one cell, got an empty list")
        for k, c in enumerate(cells):
            if not isinstance(c, Cell):
                raise TypeError(f"Stack entry {k} must be an lstm_ref cell, got {type(c).__name__}")
            if k and c.input_size != cells[k - 1].hidden_size:
                raise ValueError(f"layer {k} has input_size {c.input_size} but layer {k - 1} "
                                 f"has hidden_size {cells[k - 1].hidden_size}; they must match")
            if c.dtype != cells[0].dtype:
                raise TypeError(f"all layers must share one dtype: layer 0 is {cells[0].dtype}, "
                                f"layer {k} is {c.dtype}")
            for j in range(k):
                if cells[j] is c:
                    raise ValueError(f"Stack layers {j} and {k} are the same cell object; "
                                     "give every layer its own cell")
        self.cells = cells
        check_no_shared_arrays(self.params(), "Stack")

    input_size = property(lambda self: self.cells[0].input_size,
                          doc="int: input size ``D`` of the bottom layer.")
    hidden_size = property(lambda self: self.cells[-1].hidden_size,
                           doc="int: hidden size ``H`` of the top layer.")
    dtype = property(lambda self: self.cells[0].dtype, doc="numpy dtype of all layers.")

    def __len__(self):
        return len(self.cells)

    def __repr__(self):
        return "Stack([" + ", ".join(map(repr, self.cells)) + "])"

    def params(self):
        """Live parameter arrays, keyed ``"<layer>.<name>"``.

        Returns
        -------
        dict
            name -> ndarray (not copies).
        """
        return {f"{k}.{n}": a for k, c in enumerate(self.cells) for n, a in c.params().items()}

    def state_dict(self):
        """Copies of all parameters, keyed ``"<layer>.<name>"``.

        Returns
        -------
        dict
            name -> ndarray copy.
        """
        return {k: a.copy() for k, a in self.params().items()}

    def load_state_dict(self, d):
        """Load ``"<layer>.<name>"`` arrays into the layers.

        Parameters
        ----------
        d : dict
            name -> ndarray, keyed like :meth:`state_dict`. Keys that belong
            to no layer raise ``ValueError``; nothing is changed unless every
            layer's arrays are valid.
        """
        store_params([(c, name, a) for c, arrays in zip(self.cells, self._checked_state_dict(d))
                      for name, a in arrays.items()])

    def _checked_state_dict(self, d):
        """One dict of validated copies per layer, ready to store (see load_state_dict)."""
        if not isinstance(d, dict):
            raise TypeError(f"state_dict must be a dict of arrays, got {type(d).__name__}")
        layers = {f"{k}." for k in range(len(self.cells))}
        extra = sorted((n for n in d
                        if not (isinstance(n, str) and n[:n.find(".") + 1] in layers)), key=str)
        if extra:
            raise ValueError(f"state_dict for a Stack of {len(self.cells)} layers has unexpected "
                             f"keys {extra}; expected keys like '0.weight_ih'")
        return [c._checked_state_dict({n[len(f"{k}."):]: a for n, a in d.items()
                                       if n.startswith(f"{k}.")})
                for k, c in enumerate(self.cells)]

    def zero_state(self, batch_size):
        """Zero state for every layer.

        Parameters
        ----------
        batch_size : int
            ``B``.

        Returns
        -------
        list
            One zero state per layer.
        """
        return [c.zero_state(batch_size) for c in self.cells]

    def _layer_states(self, state, name):
        if state is None:
            return [None] * len(self.cells)
        if not isinstance(state, list) or len(state) != len(self.cells):
            raise TypeError(f"{name} for a Stack of {len(self.cells)} layers must be a list "
                            f"with one state per layer, got {type(state).__name__}"
                            + (f" of length {len(state)}" if isinstance(state, (list, tuple)) else ""))
        return state

    def forward(self, x, state=None):
        """Run all layers; see :func:`lstm_ref.forward`.

        Parameters
        ----------
        x : ndarray
            ``(T, B, D)``.
        state : list or None, optional
            One initial state per layer.

        Returns
        -------
        tuple
            ``(outputs (T, B, H), final_states list, cache list)``.
        """
        finals, caches = [], []
        for k, (cell, s) in enumerate(zip(self.cells, self._layer_states(state, "state"))):
            y, final, cache = _forward(cell, x, s, owned=k > 0)
            x = cache.outputs                  # the next layer keeps it without a copy
            finals.append(final)
            caches.append(cache)
        return y, finals, caches

    def backward(self, cache, d_outputs, d_final_state=None):
        """Backpropagate through all layers; see :func:`lstm_ref.backward`.

        Parameters
        ----------
        cache : list
            The cache list from :meth:`forward`.
        d_outputs : ndarray or None
            ``(T, B, H)`` gradient w.r.t. the top layer's outputs.
        d_final_state : list or None, optional
            One final-state gradient per layer.

        Returns
        -------
        tuple
            ``(grads dict keyed "<layer>.<name>", dx (T, B, D), d_state0 list)``.
        """
        if not isinstance(cache, list):
            raise TypeError(f"cache must be the list returned by Stack.forward "
                            f"({len(self.cells)} layers), got {describe(cache)}")
        if len(cache) != len(self.cells):
            raise ValueError(f"cache must be the list returned by Stack.forward "
                             f"({len(self.cells)} layers), got {describe(cache)}")
        d_finals = self._layer_states(d_final_state, "d_final_state")
        grads, d_states = {}, [None] * len(self.cells)
        dy = d_outputs
        for k in range(len(self.cells) - 1, -1, -1):
            g, dy, d_states[k] = backward(self.cells[k], cache[k], dy, d_finals[k])
            grads.update({f"{k}.{n}": a for n, a in g.items()})
        order = self.params()
        return {n: grads[n] for n in order}, dy, d_states

    @classmethod
    def from_torch(cls, module):
        """Build a Stack from a multi-layer unidirectional ``nn.LSTM``/``nn.GRU``/``nn.RNN``.

        Parameters
        ----------
        module : torch.nn.Module
            The module; ``bidirectional=True`` or ``proj_size > 0`` is refused.

        Returns
        -------
        Stack
            One lstm_ref cell per layer.
        """
        from .convert import torch_layers            # imports no cell: no import cycle
        from .gru import GRU
        from .lstm import LSTM
        from .rnn import RNN
        kind, layers, options = torch_layers(module)
        make = {"LSTM": LSTM, "GRU": GRU, "RNN": RNN}[kind]
        return cls([make.from_state_dict(d, **options) for d in layers])
