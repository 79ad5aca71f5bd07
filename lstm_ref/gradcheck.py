"""Finite-difference gradient checking for any cell, Stack or function.

The idea: perturb one number at a time by ``+eps`` and ``-eps``, and compare
the central difference ``(L(p+eps) - L(p-eps)) / (2 eps)`` with the analytic
gradient. For a cell the scalar loss is a fixed random projection of all
outputs and of the final state, so every output and every state path is
exercised.

The error reported per array is a relative error with an absolute floor,

    max_k |analytic_k - numeric_k| / max(max_k |analytic_k|, max_k |numeric_k|, floor)

i.e. the largest disagreement measured against the size of that array's
gradient, or against ``floor`` (default ``FLOOR = 1e-3``) when the gradient is
smaller than that. The floor plays the part of ``atol`` in
``numpy.testing.assert_allclose`` and ``torch.autograd.gradcheck``: a central
difference carries rounding noise of about ``1e-16 * |loss| / eps`` (around
``1e-10`` here) whatever the size of the gradient, so a gradient of ``3e-8``
measured purely relatively would look wrong in the 4th digit although it is
right. With the floor, ``ok(tol)`` asks for relative agreement ``tol`` where
the gradient is at least ``floor`` and absolute agreement ``tol * floor``
(``1e-9`` for the default ``tol=1e-6``) below it. Use float64: in float32
finite differences are accurate to only about ``1e-3``.
"""
import numbers

import numpy as np

from .cell import Cell
from .checks import as_float_array, check_number, check_sequence, check_size, describe
from .unroll import Stack, backward, forward

__all__ = ["gradcheck", "gradcheck_function", "numerical_gradient", "GradcheckResult"]

FLOOR = 1e-3
"""float: default absolute floor of the error measure (see the module docstring)."""


class GradcheckResult:
    """Outcome of a gradient check.

    The error of an array with analytic gradient ``a`` and finite-difference
    gradient ``n`` is ``max|a - n| / max(max|a|, max|n|, floor)``: relative
    where the gradient is at least ``floor``, absolute (divided by ``floor``)
    below it, so that the rounding noise of finite differences (about
    ``1e-10``) cannot make a tiny correct gradient look wrong.

    Parameters
    ----------
    analytic, numeric : dict
        name -> gradient array.
    floor : float, optional
        Absolute floor of the error measure (default ``FLOOR = 1e-3``).

    Attributes
    ----------
    errors : dict
        name -> error (relative, with the absolute floor; see the module
        docstring) for every parameter, for ``"x"`` and for the initial
        state (``"h0"``, ``"c0"``; ``"<layer>.h0"`` for a Stack).
    analytic : dict
        name -> analytic gradient.
    numeric : dict
        name -> finite-difference gradient.
    """

    def __init__(self, analytic, numeric, floor=FLOOR):
        self.analytic, self.numeric, self.floor = analytic, numeric, floor
        self.errors = {k: relative_error(analytic[k], numeric[k], floor) for k in numeric}

    @property
    def max_error(self):
        """float: the largest error over all arrays."""
        return max(self.errors.values())

    def ok(self, tol=1e-6):
        """True when every error is at most ``tol``.

        Parameters
        ----------
        tol : float, optional
            Tolerance (default 1e-6).

        Returns
        -------
        bool
            Whether the check passed.
        """
        return self.max_error <= tol

    def __getitem__(self, name):
        return self.errors[name]

    def __str__(self):
        w = max(map(len, self.errors))
        rows = [f"{'array':<{w}}  error (relative, floor {self.floor:g})"]
        rows += [f"{k:<{w}}  {e:.3e}" for k, e in self.errors.items()]
        return "\n".join(rows)

    __repr__ = __str__


def relative_error(a, n, floor=FLOOR):
    """``max|a - n| / max(max|a|, max|n|, floor)``: the error measure of this module.

    Parameters
    ----------
    a, n : ndarray
        Two gradients of the same shape (analytic and numeric).
    floor : float, optional
        Absolute floor (default ``FLOOR``); 0 gives the purely relative error.

    Returns
    -------
    float
        The error; 0 when both arrays are all-zero.
    """
    a, n = np.asarray(a, np.float64), np.asarray(n, np.float64)
    if a.shape != n.shape:
        raise ValueError(f"cannot compare gradients of shapes {a.shape} and {n.shape}")
    scale = max(np.max(np.abs(a), initial=0.0), np.max(np.abs(n), initial=0.0), floor)
    return 0.0 if scale == 0 else float(np.max(np.abs(a - n), initial=0.0) / scale)


def numerical_gradient(f, arrays, eps=1e-6):
    """Central finite differences of a scalar function of some arrays.

    Parameters
    ----------
    f : callable
        ``f()`` returns a float computed from the current contents of
        ``arrays`` (they are perturbed in place and restored).
    arrays : dict
        name -> writeable float64 ndarray. Other dtypes are refused
        (``TypeError``): an integer array cannot hold ``p + eps``, and a
        float32 one rounds it to a different step and the loss to 7 digits,
        which would give a wrong gradient without a word.
    eps : float, optional
        Step size (default 1e-6).

    Returns
    -------
    dict
        name -> gradient array of the same shape.

    Raises
    ------
    TypeError
        When ``arrays`` is not a dict of float64 arrays, or ``f()`` does not
        return a real number.
    ValueError
        For a read-only or non-contiguous array, or a NaN/inf loss. Every
        array is restored exactly, even when ``f`` raises.
    """
    eps = check_number(eps, "eps", low=0.0, low_open=True)
    _check_perturbable(arrays)
    grads = {}
    for name, a in arrays.items():
        g = np.zeros(a.shape, np.float64)
        flat, gflat = a.reshape(-1), g.reshape(-1)
        for k in range(flat.size):
            old = flat[k]
            try:
                flat[k] = old + eps
                up = _loss_value(f)
                flat[k] = old - eps
                down = _loss_value(f)
            finally:
                flat[k] = old
            gflat[k] = (up - down) / (2 * eps)
        grads[name] = g
    return grads


def _check_perturbable(arrays):
    """Arrays that central differences can perturb in place: float64, writeable, contiguous."""
    if not isinstance(arrays, dict):
        raise TypeError(f"arrays must be a dict name -> float64 ndarray, got {describe(arrays)}")
    for name, a in arrays.items():
        if not isinstance(a, np.ndarray) or a.dtype != np.float64:
            got = f"dtype {a.dtype}" if isinstance(a, np.ndarray) else describe(a)
            raise TypeError(f"array {name!r} must be a float64 ndarray (finite differences "
                            f"need float64 precision), got {got}")
        if not a.flags.writeable:
            raise ValueError(f"array {name!r} is read-only; it must be perturbed in place")
        if not np.shares_memory(a.reshape(-1), a):
            raise ValueError(f"array {name!r} must be contiguous to be perturbed in place")


def _loss_value(f):
    """``f()`` as a finite float (TypeError / ValueError otherwise)."""
    v = f()
    if isinstance(v, np.ndarray) and v.size == 1:
        v = v.reshape(())[()]
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, numbers.Real):
        raise TypeError(f"the loss function must return a real number, got {describe(v)}")
    v = float(v)
    if not np.isfinite(v):
        raise ValueError(f"the loss function returned {v} at a perturbed point; finite "
                         "differences need a finite loss")
    return v


def gradcheck_function(loss_fn, params, grads, eps=1e-6, floor=FLOOR):
    """Check analytic gradients of any scalar function of a params dict.

    Parameters
    ----------
    loss_fn : callable
        ``loss_fn()`` returns the loss (float) for the current contents of
        ``params``.
    params : dict
        name -> float64 ndarray, perturbed in place and restored (see
        :func:`numerical_gradient`).
    grads : dict
        name -> analytic gradient, same keys and shapes as ``params``
        (a missing key is a ``ValueError``).
    eps : float, optional
        Step size (default 1e-6).
    floor : float, optional
        Absolute floor of the error measure (default ``FLOOR = 1e-3``).

    Returns
    -------
    GradcheckResult
        Error per array.

    Examples
    --------
    >>> import numpy as np, lstm_ref
    >>> model = lstm_ref.SequenceModel(lstm_ref.GRU(2, 3, seed=0), lstm_ref.Linear(3, 2, seed=1))
    >>> x, y = np.ones((2, 1, 2)), np.array([[0], [1]])
    >>> _, g = model.loss_and_grads(x, y)
    >>> res = lstm_ref.gradcheck_function(lambda: model.loss_and_grads(x, y)[0], model.params(), g)
    >>> res.ok(1e-6)
    True
    """
    if not callable(loss_fn):
        raise TypeError(f"loss_fn must be a function, got {describe(loss_fn)}")
    floor = check_number(floor, "floor", low=0.0)
    if not isinstance(grads, dict):
        raise TypeError(f"grads must be a dict name -> ndarray, got {describe(grads)}")
    missing = [k for k in params if k not in grads] if isinstance(params, dict) else []
    if missing:
        raise ValueError(f"grads must have a gradient for every array of params; missing "
                         f"{missing}")
    numeric = numerical_gradient(loss_fn, params, eps)
    return GradcheckResult({k: grads[k] for k in numeric}, numeric, floor)


def _state_arrays(cell, state):
    """Name the arrays of a (public) state: {"h0": h, "c0": c} or per layer."""
    if isinstance(cell, Stack):
        out = {}
        for k, (c, s) in enumerate(zip(cell.cells, state)):
            out.update({f"{k}.{n}": a for n, a in _state_arrays(c, s).items()})
        return out
    if cell.has_cell_state:
        return {"h0": state[0], "c0": state[1]}
    return {"h0": state}


def _random_state(cell, B, rng):
    if isinstance(cell, Stack):
        return [_random_state(c, B, rng) for c in cell.cells]
    shape = (B, cell.hidden_size)
    if cell.has_cell_state:
        return (rng.normal(size=shape), rng.normal(size=shape))
    return rng.normal(size=shape)


def _random_like(state, rng):
    if isinstance(state, list):
        return [_random_like(s, rng) for s in state]
    if isinstance(state, tuple):
        return tuple(rng.normal(size=s.shape) for s in state)
    return rng.normal(size=state.shape)


def gradcheck(cell, x=None, state=None, *, T=3, B=2, seed=0, eps=1e-6, floor=FLOOR):
    """Compare :func:`lstm_ref.backward` with central finite differences.

    The loss is ``sum(R * outputs) + sum(S * final_state)`` with fixed random
    ``R`` and ``S``; its gradient is checked w.r.t. every parameter, ``x`` and
    the initial state.

    Parameters
    ----------
    cell : Cell or Stack or list
        Any float64 cell, a Stack, or a list of cells (a float32 cell is a
        ``TypeError``: its finite differences are too coarse to judge).
    x : ndarray, optional
        Input ``(T, B, D)``; default standard-normal with the given ``T``, ``B``.
    state : ndarray or tuple or list, optional
        Initial state; default standard-normal (so every state path matters).
    T, B : int, optional
        Sizes of the random input when ``x`` is None (default 3 and 2).
    seed : int, optional
        Seed of the random input, state and projections.
    eps : float, optional
        Finite-difference step (default 1e-6).
    floor : float, optional
        Absolute floor of the error measure (default ``FLOOR = 1e-3``).

    Returns
    -------
    GradcheckResult
        ``.errors`` maps each parameter, ``"x"``, ``"h0"`` (and ``"c0"``) to
        its error; ``.ok(tol)`` and ``print(result)`` summarise.

    Examples
    --------
    >>> import lstm_ref
    >>> res = lstm_ref.gradcheck(lstm_ref.PeepholeLSTM(3, 4, seed=0))
    >>> res.ok(1e-6)
    True
    """
    if isinstance(cell, (list, tuple)):
        cell = Stack(cell)
    if not isinstance(cell, (Cell, Stack)):
        raise TypeError("cell must be an lstm_ref cell, a Stack or a list of cells, "
                        f"got {describe(cell)}")
    T, B = check_size(T, "T"), check_size(B, "B")
    floor = check_number(floor, "floor", low=0.0)
    if cell.dtype != np.float64:
        raise TypeError(f"gradcheck needs a float64 cell, got {cell.dtype}: central differences "
                        "in float32 are accurate to about 1e-3, so a correct gradient would look "
                        "wrong; check a float64 copy, e.g. type(cell).from_state_dict("
                        "cell.state_dict(), dtype=numpy.float64)")
    rng = np.random.default_rng(seed)
    x = (rng.normal(size=(T, B, cell.input_size)) if x is None
         else np.array(check_sequence(x, cell.input_size, np.float64)))
    B = x.shape[1]
    state = _random_state(cell, B, rng) if state is None else state
    state = _copy_state(state)
    out, final, cache = forward(cell, x, state)
    R, S = rng.normal(size=out.shape), _random_like(final, rng)
    grads, dx, d_state0 = backward(cell, cache, R, S)

    def loss():
        o, f, _ = forward(cell, x, state)
        return float(np.sum(R * o)) + _state_dot(S, f)

    arrays = dict(cell.params(), x=x, **_state_arrays(cell, state))
    analytic = dict(grads, x=dx, **_state_arrays(cell, d_state0))
    return GradcheckResult(analytic, numerical_gradient(loss, arrays, eps), floor)


def _copy_state(state):
    if isinstance(state, list):
        return [_copy_state(s) for s in state]
    if isinstance(state, tuple):
        return tuple(_copy_state(s) for s in state)
    return np.array(as_float_array(state, "state", np.float64))    # a writeable copy


def _state_dot(a, b):
    if isinstance(a, (list, tuple)):
        return sum(_state_dot(u, v) for u, v in zip(a, b))
    return float(np.sum(a * b))
