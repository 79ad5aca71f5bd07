"""Check YOUR OWN cell step function against lstm_ref, gate by gate.

The idea: a reader who writes an LSTM (or GRU, ...) step from the equations
wants to know *where* it goes wrong. :func:`check_step` runs the reader's step
and lstm_ref's on the same random input, state and torch-layout weights and
reports

* the forward outputs (``h'``, and ``c'`` for the LSTM family), and each gate
  if the reader's function also returns its gates;
* the gradients: the reader's step is differentiated *numerically* (central
  differences, so the reader needs no backward pass) and compared with
  lstm_ref's analytic backward, separately for every gate block of every
  weight and bias (``weight_hh[f]``, ``bias_ih[o]``, ...), for ``x`` and for
  the old state;
* optionally the reader's own hand-derived backward step, block by block
  against lstm_ref's.

Where a bug shows up: a wrong forget gate (a sign, or tanh for sigmoid) makes
the *forward* gate row ``f`` the only gate that disagrees, which points
straight at the faulty line. The gradient rows are less selective: ``f``
feeds ``c'``, and ``c'`` feeds ``h'`` through ``o`` and ``tanh``, so the
gradients of several gate blocks (and of ``x`` and the state) change
together. Read the gate rows first; the gradient rows confirm that something
downstream is wrong. Gradients are compared with the error measure of
:func:`lstm_ref.gradcheck` (relative, with an absolute floor), so a tiny
gradient block does not raise a false alarm.
"""
import numpy as np

from .cell import Cell
from .checks import check_number, check_size, describe
from .gradcheck import FLOOR, numerical_gradient, relative_error
from .unroll import backward, forward

__all__ = ["check_step", "StepReport"]


class StepReport:
    """Result of :func:`check_step`.

    Attributes
    ----------
    rows : list
        ``(what, error, ok)`` tuples: ``what`` names an output, gate or
        gradient block, ``error`` is its max abs difference (forward) or
        relative error with an absolute floor (gradients; see
        :func:`lstm_ref.gradcheck`).
    ok : bool
        True when every row passed.
    """

    def __init__(self, cell, rows):
        self.cell, self.rows = cell, rows
        self.ok = all(r[2] for r in rows)

    def failures(self):
        """Names of the rows that did not pass.

        Returns
        -------
        list
            Row names, e.g. ``["h'", "weight_ih[f]"]``.
        """
        return [r[0] for r in self.rows if not r[2]]

    def __str__(self):
        head = f"check_step against lstm_ref.{self.cell!r}: " + (
            "everything agrees" if self.ok else f"{len(self.failures())} mismatches")
        w = max(len(r[0]) for r in self.rows)
        lines = [head, f"  {'quantity':<{w}}  {'error':>10}  verdict"]
        lines += [f"  {n:<{w}}  {e:10.2e}  {'ok' if good else 'MISMATCH'}" for n, e, good in self.rows]
        return "\n".join(lines)

    __repr__ = __str__


def _make_cell(cell, input_size, hidden_size, seed, kwargs):
    if isinstance(cell, Cell):
        if kwargs:
            raise TypeError(f"cell options {sorted(kwargs)} apply only when cell is a name or a "
                            f"class; the instance {cell!r} already has its own")
        for name, v in (("input_size", input_size), ("hidden_size", hidden_size)):
            if v is not None and v != getattr(cell, name):
                raise ValueError(f"{name}={v} contradicts the cell instance {cell!r}; leave "
                                 f"{name} out to use the instance's")
        return cell
    input_size = 3 if input_size is None else input_size
    hidden_size = 4 if hidden_size is None else hidden_size
    if isinstance(cell, str):
        from . import CELLS
        names = {c.__name__: c for c in CELLS}
        if cell not in names:
            raise ValueError(f"cell must be one of {sorted(names)}, got {cell!r}")
        cell = names[cell]
    if not (isinstance(cell, type) and issubclass(cell, Cell)):
        raise TypeError(f"cell must be an lstm_ref cell class, instance or name, got {cell!r}")
    return cell(input_size, hidden_size, seed=seed, **kwargs)


def _split_user_output(out, cell):
    gates = None
    if isinstance(out, tuple) and len(out) == 2 and isinstance(out[1], dict):
        out, gates = out
    expect = 2 if cell.has_cell_state else 1
    if cell.has_cell_state and not isinstance(out, (tuple, list)):
        raise TypeError(f"step_fn must return (h, c) (optionally with a dict of gates), "
                        f"got {describe(out)}")
    parts = tuple(out) if cell.has_cell_state else (out,)
    if len(parts) != expect:
        raise ValueError(f"step_fn must return {'(h, c)' if expect == 2 else 'h'} "
                         f"(optionally with a dict of gates), got {len(parts)} arrays")
    return tuple(np.asarray(p, np.float64) for p in parts), gates


def check_step(step_fn, cell="LSTM", *, backward_fn=None, input_size=None, hidden_size=None,
               batch_size=2, seed=0,
               atol=1e-8, rtol=1e-6, eps=1e-6, **cell_kwargs):
    """Compare a user-written single step with lstm_ref, output by output and gate by gate.

    Parameters
    ----------
    step_fn : callable
        ``step_fn(x, state, params)`` with ``x`` of shape ``(B, D)``,
        ``state`` = ``(h, c)`` (LSTM family) or ``h`` (GRU, RNN), each
        ``(B, H)``, and ``params`` a dict of float64 arrays in torch layout
        (``weight_ih`` ``(G*H, D)``, ``weight_hh`` ``(G*H, H)``, ``bias_ih``,
        ``bias_hh``, plus peepholes for PeepholeLSTM). It returns the new
        state in the same form, optionally as ``(new_state, gates)`` with
        ``gates`` a dict like ``{"i": ..., "f": ..., "g": ..., "o": ...}``
        of ``(B, H)`` arrays so that the gates are compared too.
    cell : str or type or Cell, optional
        Which lstm_ref cell is the reference: a name (``"LSTM"``), a class,
        or an instance whose weights are used. Default ``"LSTM"``.
    backward_fn : callable, optional
        The user's hand-derived backward step,
        ``backward_fn(x, state, params, d_state)`` where ``d_state`` is the
        gradient w.r.t. the new state (same form as the state). It returns a
        dict with the gradient of every parameter name and of ``"x"``,
        ``"h"`` (and ``"c"``) -- the old state. Each is compared with
        lstm_ref's backward, gate block by gate block (rows ``"user d ..."``).
    input_size, hidden_size, batch_size : int, optional
        ``D``, ``H``, ``B`` of the random test problem (default 3, 4, 2;
        with a cell instance, its own sizes, and a size that contradicts
        them is a ``ValueError``).
    seed : int, optional
        Seed of the weights, input and state.
    atol : float, optional
        Forward tolerance on the max abs difference (default 1e-8); this,
        ``rtol`` and ``eps`` must be finite real numbers (``TypeError`` /
        ``ValueError`` otherwise, never a comparison that silently fails).
    rtol : float, optional
        Gradient tolerance on the error, relative with the absolute floor
        of :func:`lstm_ref.gradcheck` (default 1e-6).
    eps : float, optional
        Finite-difference step for differentiating ``step_fn``.
    **cell_kwargs
        Passed to the cell class (``nonlinearity=``, ``reset_after=``); with
        a cell instance they are a ``TypeError`` (they would be ignored).

    Returns
    -------
    StepReport
        ``print(report)`` shows a table; ``report.ok`` is True if all agree;
        ``report.failures()`` lists the mismatching rows.

    Examples
    --------
    A step with a bug in the forget gate (tanh instead of sigmoid):

    >>> import numpy as np, lstm_ref
    >>> def my_lstm_step(x, state, p):
    ...     h, c = state
    ...     z = x @ p["weight_ih"].T + p["bias_ih"] + h @ p["weight_hh"].T + p["bias_hh"]
    ...     zi, zf, zg, zo = np.split(z, 4, axis=1)
    ...     i, f, g, o = lstm_ref.sigmoid(zi), np.tanh(zf), np.tanh(zg), lstm_ref.sigmoid(zo)
    ...     c = f * c + i * g
    ...     return (o * np.tanh(c), c), {"i": i, "f": f, "g": g, "o": o}
    >>> report = lstm_ref.testing.check_step(my_lstm_step, "LSTM")
    >>> report.ok
    False
    >>> "f" in report.failures() and "i" not in report.failures()
    True
    >>> print(report)  # doctest: +SKIP
    """
    if not callable(step_fn):
        raise TypeError(f"step_fn must be a function, got {describe(step_fn)}")
    if backward_fn is not None and not callable(backward_fn):
        raise TypeError(f"backward_fn must be a function or None, got {describe(backward_fn)}")
    input_size = None if input_size is None else check_size(input_size, "input_size")
    hidden_size = None if hidden_size is None else check_size(hidden_size, "hidden_size")
    batch_size = check_size(batch_size, "batch_size")
    atol, rtol = check_number(atol, "atol", low=0.0), check_number(rtol, "rtol", low=0.0)
    eps = check_number(eps, "eps", low=0.0, low_open=True)
    cell = _make_cell(cell, input_size, hidden_size, seed, cell_kwargs)
    rng = np.random.default_rng(seed)
    B, D, H = batch_size, cell.input_size, cell.hidden_size
    x = rng.normal(size=(B, D))
    state = tuple(rng.normal(size=(B, H)) for _ in range(2 if cell.has_cell_state else 1))
    params = {k: np.array(v, np.float64) for k, v in cell.params().items()}

    def user(xx, ss):
        out = step_fn(xx.copy(), cell.public_state(tuple(s.copy() for s in ss)),
                      {k: v.copy() for k, v in params.items()})
        return _split_user_output(out, cell)

    ref_cell = type(cell).from_state_dict(params, **_ctor_kwargs(cell))
    _, final, cache = forward(ref_cell, x[None], cell.public_state(state))
    ref_state = (final if cell.has_cell_state else (final,))
    user_state, user_gates = user(x, state)
    rows = _forward_rows(cell, ref_state, user_state, ref_cell.gate_values(cache.steps[0]),
                         user_gates, atol)
    rows += _gradient_rows(cell, ref_cell, cache, x, state, params, step_fn, backward_fn,
                           rng, eps, rtol)
    return StepReport(cell, rows)


def _ctor_kwargs(cell):
    kw = {"dtype": np.float64}
    for name in ("nonlinearity", "reset_after"):
        if hasattr(cell, name):
            kw[name] = getattr(cell, name)
    return kw


def _forward_rows(cell, ref_state, user_state, ref_gates, user_gates, atol):
    rows = []
    for name, a, b in zip(("h'", "c'"), ref_state, user_state):
        if a.shape != b.shape:
            raise ValueError(f"step_fn returned {name} of shape {b.shape}, expected {a.shape}")
        if not np.all(np.isfinite(b)):
            raise ValueError(f"step_fn returned NaN or inf in {name} for finite inputs and "
                             "weights (the reference's are finite)")
        err = float(np.max(np.abs(a - b)))
        rows.append((name, err, err <= atol))
    for name, g in (user_gates or {}).items():
        if name not in ref_gates:
            raise ValueError(f"unknown gate {name!r}; {type(cell).__name__} has {list(ref_gates)}")
        g = np.asarray(g, np.float64)
        if g.shape != ref_gates[name].shape:
            raise ValueError(f"step_fn returned gate {name!r} of shape {g.shape}, expected "
                             f"{ref_gates[name].shape} (B, H); it is not broadcast")
        err = float(np.max(np.abs(ref_gates[name] - g)))
        rows.append((name, err, err <= atol))
    return rows


def _gradient_rows(cell, ref_cell, cache, x, state, params, step_fn, backward_fn, rng, eps,
                   rtol):
    R = [rng.normal(size=s.shape) for s in state]
    d_final = cell.public_state(tuple(R))
    grads, dx, d_state0 = backward(ref_cell, cache, None, d_final)
    d_state0 = d_state0 if cell.has_cell_state else (d_state0,)
    xs, ss = x.copy(), [s.copy() for s in state]

    def loss():
        out = step_fn(xs.copy(), cell.public_state(tuple(s.copy() for s in ss)),
                      {k: v.copy() for k, v in params.items()})
        new, _ = _split_user_output(out, cell)
        return float(sum(np.sum(r * s) for r, s in zip(R, new)))

    arrays = dict(params, x=xs, **{n: s for n, s in zip(("h", "c"), ss)})
    numeric = numerical_gradient(loss, arrays, eps)
    analytic = dict(grads, x=dx[0], **{n: s for n, s in zip(("h", "c"), d_state0)})
    rows = _compare_blocks(cell, analytic, numeric, "d ", rtol)
    if backward_fn is not None:
        theirs = backward_fn(x.copy(), cell.public_state(tuple(s.copy() for s in state)),
                             {k: v.copy() for k, v in params.items()}, d_final)
        if not isinstance(theirs, dict):
            raise TypeError(f"backward_fn must return a dict name -> gradient, got "
                            f"{describe(theirs)}")
        missing = [k for k in analytic if k not in theirs]
        if missing:
            raise ValueError(f"backward_fn must return gradients for {list(analytic)}; "
                             f"missing {missing}")
        theirs = {k: np.asarray(theirs[k], np.float64) for k in analytic}
        rows += _compare_blocks(cell, analytic, theirs, "user d ", rtol)
    return rows


def _compare_blocks(cell, ref, other, prefix, rtol):
    rows, H = [], cell.hidden_size
    for name in ref:
        a, n = ref[name], other[name]
        if a.shape != n.shape:
            raise ValueError(f"gradient {name!r} has shape {n.shape}, expected {a.shape}")
        if name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            for k, gate in enumerate(cell.gates):
                err = relative_error(a[k * H:(k + 1) * H], n[k * H:(k + 1) * H], FLOOR)
                rows.append((f"{prefix}{name}[{gate}]", err, err <= rtol))
        else:
            err = relative_error(a, n, FLOOR)
            rows.append((f"{prefix}{name}", err, err <= rtol))
    return rows
