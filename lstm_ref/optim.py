"""Parameter updates: SGD (with momentum), Adam, and global gradient clipping.

The idea: parameters are a dict ``name -> ndarray`` of the model's *live*
arrays, so ``step`` updates them in place and the model sees the change. The
update rules follow ``torch.optim`` exactly (no weight decay).

Nothing here can poison the parameters silently. Hyper-parameters must be
finite real numbers in their range; every gradient must be a finite array of
the parameter's shape; and a step is computed in full before anything is
written. Updates and buffers (momentum, moments) are computed in each
parameter's own dtype, as in torch, so a float32 parameter whose update
exceeds float32's range is refused too. The optimiser keeps its own copy of
the ``params`` dict (the arrays themselves are shared and updated in place).
If a gradient is NaN or infinite, or the update would overflow, the
step raises ``ValueError`` naming the array and leaves the parameters and the
optimiser's state (momentum, moments, step count) exactly as they were.
"""
import numpy as np

from .checks import check_no_shared_arrays, check_number, describe

__all__ = ["SGD", "Adam", "clip_grad_norm", "global_norm"]


def _check_params(params):
    """Validate a params dict and return a copy of the dict (the arrays are the
    caller's live arrays): adding or replacing an entry of the caller's dict
    later cannot bypass these checks or desynchronise the optimiser's state."""
    if not isinstance(params, dict) or not params:
        raise TypeError(f"params must be a non-empty dict name -> ndarray, got {describe(params)}")
    for k, p in params.items():
        if not isinstance(p, np.ndarray) or not np.issubdtype(p.dtype, np.floating):
            raise TypeError(f"params[{k!r}] must be a floating ndarray (updated in place), "
                            f"got {describe(p)}")
        if not p.flags.writeable:
            raise ValueError(f"params[{k!r}] is read-only; the optimiser updates it in place")
    check_no_shared_arrays(params, "params")
    return dict(params)


def _check_grads(grads, names, shapes=None):
    """Validate a gradient dict: keys, float arrays, shapes, finiteness."""
    if not isinstance(grads, dict):
        raise TypeError(f"grads must be a dict name -> ndarray, got {describe(grads)}")
    if shapes is not None and set(grads) != set(names):
        missing = sorted(set(names) - set(grads), key=str)
        extra = sorted(set(grads) - set(names), key=str)
        raise ValueError(f"grads must have the keys of params; missing {missing}, extra {extra}")
    for k in names:
        g = grads[k]
        if not isinstance(g, np.ndarray) or not np.issubdtype(g.dtype, np.floating):
            raise TypeError(f"grads[{k!r}] must be a floating ndarray, got {describe(g)}")
        if shapes is not None and g.shape != shapes[k]:
            raise ValueError(f"grads[{k!r}] must have shape {shapes[k]}, got {g.shape}")
        if not np.all(np.isfinite(g)):
            bad = int(g.size - np.count_nonzero(np.isfinite(g)))
            raise ValueError(f"grads[{k!r}] has {bad} NaN/inf entries; the step is refused and "
                             "the parameters are left unchanged")


def _as(a, p):
    """``a`` in the dtype of parameter ``p`` (a value beyond its range becomes inf,
    which :func:`_commit` refuses; callers silence the cast warning)."""
    return np.asarray(a).astype(p.dtype, copy=False)


def _commit(params, new, state_updates):
    """Check every new value is finite, then write them all (or nothing)."""
    for k, v in new.items():
        if not np.all(np.isfinite(v)):
            raise ValueError(f"the update of params[{k!r}] is not finite (it overflows, or is "
                             "0/0 with eps=0); the step is refused and the parameters are left "
                             "unchanged")
    for k, v in new.items():
        params[k][...] = v
    for store, k, v in state_updates:
        store[k] = v


class SGD:
    """Stochastic gradient descent, ``torch.optim.SGD`` semantics.

    Update: ``v = momentum * v + g`` (``v = g`` at the first step), then
    ``p -= lr * v``; with ``momentum=0`` simply ``p -= lr * g``.

    Parameters
    ----------
    params : dict
        name -> ndarray, updated in place; no array may appear twice.
    lr : float
        Learning rate, a finite number ``>= 0``.
    momentum : float, optional
        Momentum factor, a finite number ``>= 0`` (default 0).

    Raises
    ------
    TypeError
        For params that are not a dict of float arrays, or hyper-parameters
        that are not real numbers (a string, a bool, a tuple).
    ValueError
        For NaN, infinite or negative hyper-parameters, or an array listed twice.
    """

    def __init__(self, params, lr, momentum=0.0):
        self.params = _check_params(params)
        self.lr = check_number(lr, "lr", low=0.0)
        self.momentum = check_number(momentum, "momentum", low=0.0)
        self.velocity = {}

    def step(self, grads):
        """Apply one update, or refuse it and change nothing.

        Parameters
        ----------
        grads : dict
            name -> finite float ndarray, same keys and shapes as ``params``.

        Raises
        ------
        ValueError
            For a NaN/inf gradient or an update that overflows; parameters
            and momentum buffers are then left untouched.
        """
        _check_grads(grads, self.params, {k: p.shape for k, p in self.params.items()})
        new, state = {}, []
        with np.errstate(over="ignore", invalid="ignore"):
            for k, p in self.params.items():
                g = grads[k]
                if self.momentum:
                    v = self.velocity.get(k)
                    v = np.array(g, dtype=p.dtype) if v is None else _as(self.momentum * v + g, p)
                    state.append((self.velocity, k, v))
                    g = v
                new[k] = _as(p - self.lr * g, p)
        _commit(self.params, new, state)


class Adam:
    """Adam, ``torch.optim.Adam`` semantics (bias-corrected moments).

    Update at step ``t``: ``m = b1 m + (1-b1) g``, ``v = b2 v + (1-b2) g^2``,
    ``p -= lr * (m / (1-b1^t)) / (sqrt(v / (1-b2^t)) + eps)``.

    Parameters
    ----------
    params : dict
        name -> ndarray, updated in place; no array may appear twice.
    lr : float, optional
        Learning rate, finite and ``>= 0`` (default 1e-3).
    betas : tuple, optional
        ``(b1, b2)``, each finite in ``[0, 1)``; default ``(0.9, 0.999)``.
    eps : float, optional
        Finite and ``>= 0`` (default 1e-8).

    Raises
    ------
    TypeError
        For params that are not a dict of float arrays, ``betas`` that is not
        a tuple or list, or hyper-parameters that are not real numbers.
    ValueError
        For NaN, infinite or out-of-range hyper-parameters, or not two betas.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
        self.params = _check_params(params)
        self.lr = check_number(lr, "lr", low=0.0)
        if not isinstance(betas, (tuple, list)):
            raise TypeError(f"betas must be a pair (b1, b2), got {describe(betas)}")
        if len(betas) != 2:
            raise ValueError(f"need two betas (b1, b2), got {describe(betas)}")
        self.betas = tuple(check_number(b, f"betas[{k}]", low=0.0, high=1.0, high_open=True)
                           for k, b in enumerate(betas))
        self.eps = check_number(eps, "eps", low=0.0)
        self.m = {k: np.zeros_like(p) for k, p in params.items()}
        self.v = {k: np.zeros_like(p) for k, p in params.items()}
        self.t = 0

    def step(self, grads):
        """Apply one update, or refuse it and change nothing.

        Parameters
        ----------
        grads : dict
            name -> finite float ndarray, same keys and shapes as ``params``.

        Raises
        ------
        ValueError
            For a NaN/inf gradient, or one so large that ``g^2`` overflows;
            parameters, moments and the step count are then left untouched.
        """
        _check_grads(grads, self.params, {k: p.shape for k, p in self.params.items()})
        t = self.t + 1
        b1, b2 = self.betas
        c1, c2 = 1.0 - b1 ** t, 1.0 - b2 ** t
        new, state = {}, []
        with np.errstate(over="ignore", invalid="ignore"):
            for k, p in self.params.items():
                g = grads[k]
                m = _as(b1 * self.m[k] + (1.0 - b1) * g, p)
                v = _as(b2 * self.v[k] + (1.0 - b2) * g * g, p)
                if not np.all(np.isfinite(v)):
                    raise ValueError(f"grads[{k!r}] is so large that Adam's second moment g^2 "
                                     "overflows; the step is refused and nothing is changed")
                state += [(self.m, k, m), (self.v, k, v)]
                new[k] = _as(p - (self.lr / c1) * m / (np.sqrt(v) / np.sqrt(c2) + self.eps), p)
        _commit(self.params, new, state)
        self.t = t


def global_norm(grads):
    """Euclidean norm of all gradient arrays taken together, without overflow.

    Every array is divided by the largest magnitude ``s`` over all of them
    before squaring, and the result multiplied back:
    ``s * sqrt(sum((g / s)^2))``. So gradients as large as ``1e200`` (whose
    squares overflow) or as small as ``1e-200`` (whose squares underflow)
    give their true norm.

    Parameters
    ----------
    grads : dict
        name -> ndarray.

    Returns
    -------
    float
        ``sqrt(sum of squares of every entry)``; NaN or inf when an entry is
        (:func:`clip_grad_norm` raises instead).
    """
    _check_grad_dict(grads)
    s, r = _scaled_norm(grads)
    return s * r


def _scaled_norm(grads):
    """The global norm as a pair ``(s, r)`` with norm ``= s * r``: ``s`` the largest
    magnitude, ``r = sqrt(sum((g / s)^2))`` in ``[1, sqrt(n)]`` (``r = 1`` when
    ``s`` is 0, NaN or inf). The product can exceed the largest float although
    ``s`` and ``r`` cannot."""
    arrays = [np.asarray(g, np.float64) for g in grads.values()]
    s = max((float(np.max(np.abs(a), initial=0.0)) for a in arrays), default=0.0)
    if s == 0.0 or not np.isfinite(s):
        return (s if not np.isnan(s) else float("nan")), 1.0
    return s, float(np.sqrt(sum(float(np.sum(np.square(a / s))) for a in arrays)))


def _check_grad_dict(grads):
    if not isinstance(grads, dict):
        raise TypeError(f"grads must be a dict name -> ndarray, got {describe(grads)}")
    for k, g in grads.items():
        if not isinstance(g, np.ndarray) or not np.issubdtype(g.dtype, np.floating):
            raise TypeError(f"grads[{k!r}] must be a floating ndarray, got {describe(g)}")


def clip_grad_norm(grads, max_norm):
    """Rescale all gradients together when their global norm exceeds ``max_norm``.

    Like ``torch.nn.utils.clip_grad_norm_(..., error_if_nonfinite=True)``:
    with ``N`` the global L2 norm (computed without overflow, see
    :func:`global_norm`), every array is multiplied by
    ``max_norm / (N + 1e-6)`` when that factor is below 1 (the ``1e-6`` is
    PyTorch's guard against division by zero). A NaN or infinite gradient
    makes the norm non-finite: then it raises ``ValueError`` and scales
    nothing. Finite gradients are always clipped correctly, even when their
    norm exceeds the largest float (four entries of ``1e308``): the factor is
    then computed from the scaled form ``(max_norm / s) / r`` of
    :func:`global_norm`, and the norm returned is ``inf``.

    Parameters
    ----------
    grads : dict
        name -> writeable float ndarray, scaled in place.
    max_norm : float
        Largest allowed global norm, a finite number ``> 0``.

    Returns
    -------
    float
        The global norm before clipping (``inf`` if it exceeds the largest
        float while every entry is finite).

    Raises
    ------
    TypeError
        When ``grads`` is not a dict of float arrays or ``max_norm`` not a number.
    ValueError
        For ``max_norm <= 0``, NaN or inf, a non-finite gradient norm, or two
        entries that share memory (they would be counted and scaled twice).
    """
    max_norm = check_number(max_norm, "max_norm", low=0.0, low_open=True)
    _check_grad_dict(grads)
    check_no_shared_arrays(grads, "grads")          # would be counted and scaled twice
    s, r = _scaled_norm(grads)
    if not (np.isfinite(s) and np.isfinite(r)):
        bad = [k for k, g in grads.items() if not np.all(np.isfinite(g))]
        raise ValueError(f"the gradient norm is {s * r}: NaN/inf entries in {bad}; nothing "
                         "was scaled")
    norm = s * r                                   # inf if beyond the largest float
    coef = max_norm / (norm + 1e-6) if np.isfinite(norm) else (max_norm / s) / r
    if coef < 1.0:
        for k, g in grads.items():
            if not g.flags.writeable:
                raise ValueError(f"grads[{k!r}] is read-only; clip_grad_norm scales in place")
        for g in grads.values():
            g *= coef
    return norm
