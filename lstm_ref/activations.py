"""Squashing functions, written so that no pre-activation can give NaN, inf or a warning.

The idea of this module: every nonlinearity used by the cells is computed in a
form that returns a correct finite value, without a floating-point warning, for
any finite input (the book feeds
pre-activations as large as ``1e4`` through them), and every derivative is
written in terms of the function's *output*, which is what a cell keeps in its
cache.

* ``sigmoid(z) = 1 / (1 + e^{-z})`` is accurate to a few ulps *relative to
  itself* for every ``z``: for negative ``z``, ``e^{-z}`` is large and each of
  the exp, the sum and the reciprocal costs one rounding, with no
  cancellation, so ``sigmoid(-30)`` is ``9.36e-14`` and ``sigmoid(-700)`` is
  ``9.86e-305`` to full precision. Below ``z = -709.78`` the exponential
  overflows to ``inf`` and the result is exactly 0 (the true value is below
  ``1e-308``, the edge of the subnormal numbers), as in ``torch.sigmoid``;
  that overflow is expected and raises no warning. (The form
  ``(1 + tanh(z/2)) / 2`` never overflows but cancels for negative ``z``: it
  is wrong in the 8th digit at ``z = -20`` and exactly 0 below ``-37``.) Its
  derivative ``s (1 - s)`` is computed from the output and keeps the relative
  precision of ``s`` where the gate is nearly shut; where it is nearly open
  (large positive ``z``) ``1 - s`` is as imprecise as torch's own, which uses
  the same formula.
* ``softmax`` and ``log_softmax`` subtract the row maximum first; entries more
  than ``_EXP_FLOOR`` below the maximum get probability exactly 0 (their true
  value is below ``1e-130``), which keeps later products free of underflow.
  In float32 (whose ``exp`` underflows below about ``-87``) the floor is half
  the log of the smallest normal number, about ``-43.7``. They refuse NaN and
  infinite logits, and ``log_softmax`` refuses logits whose spread exceeds the
  largest float (``z_max - z_min`` overflows): both raise ``ValueError``
  instead of returning NaN or ``-inf`` with a warning. A scalar (0-d) input
  has no class axis: ``ValueError``.
"""
import numpy as np

__all__ = ["sigmoid", "tanh", "relu", "softmax", "log_softmax",
           "sigmoid_grad", "tanh_grad", "relu_grad"]

_EXP_FLOOR = -300.0


def _as_float(z):
    """``z`` as a floating array; bools and integers become float64, anything
    else that is not a real number (complex, strings, objects) is a TypeError."""
    try:
        z = np.asarray(z)
    except ValueError as err:                         # ragged nested lists
        raise TypeError(f"expected an array of real numbers, got {type(z).__name__} ({err})") \
            from None
    if np.issubdtype(z.dtype, np.floating):
        return z
    if z.dtype == np.bool_ or np.issubdtype(z.dtype, np.integer):
        return z.astype(np.float64)
    raise TypeError(f"expected an array of real numbers, got dtype {z.dtype}")


def sigmoid(z):
    """Logistic function ``1 / (1 + exp(-z))``, elementwise, overflow-free.

    Computed as ``1 / (1 + exp(-z))``, which is relatively exact for every
    ``z`` (no cancellation for negative ``z``, unlike ``(1 + tanh(z/2))/2``).
    For ``z < -709.78`` (float64) the exponential overflows to ``inf`` and the
    result is 0, the correctly rounded value up to subnormals, without a
    warning; NaN stays NaN.

    Parameters
    ----------
    z : ndarray
        Pre-activations of any shape.

    Returns
    -------
    ndarray
        ``sigmoid(z)``, same shape as ``z``, values in ``[0, 1]``.
    """
    z = _as_float(z)
    s = np.negative(z, out=np.empty_like(z))            # an array even for a 0-d z
    with np.errstate(over="ignore", under="ignore"):   # exp(-z) = inf for z < -709.78: s = 0
        np.exp(s, out=s)
        s += 1.0
        np.reciprocal(s, out=s)
    return s if s.ndim else s[()]                       # a scalar in, a scalar out


def tanh(z):
    """Hyperbolic tangent, elementwise (``numpy.tanh``; it never overflows).

    Parameters
    ----------
    z : ndarray
        Pre-activations of any shape.

    Returns
    -------
    ndarray
        ``tanh(z)``, same shape as ``z``.
    """
    return np.tanh(_as_float(z))


def relu(z):
    """Rectifier ``max(z, 0)``, elementwise.

    Parameters
    ----------
    z : ndarray
        Pre-activations of any shape.

    Returns
    -------
    ndarray
        ``max(z, 0)``, same shape as ``z``.
    """
    return np.maximum(_as_float(z), 0.0)


def sigmoid_grad(s):
    """Derivative of the sigmoid written in terms of its output ``s``: ``s (1 - s)``.

    Parameters
    ----------
    s : ndarray
        Outputs of :func:`sigmoid`.

    Returns
    -------
    ndarray
        ``s * (1 - s)``, same shape as ``s``.
    """
    return s * (1.0 - s)


def tanh_grad(t):
    """Derivative of tanh written in terms of its output ``t``: ``1 - t**2``.

    Parameters
    ----------
    t : ndarray
        Outputs of :func:`tanh`.

    Returns
    -------
    ndarray
        ``1 - t * t``, same shape as ``t``.
    """
    return 1.0 - t * t


def relu_grad(a):
    """Derivative of the rectifier written in terms of its output ``a``.

    Parameters
    ----------
    a : ndarray
        Outputs of :func:`relu`.

    Returns
    -------
    ndarray
        1 where ``a > 0`` and 0 elsewhere, in the dtype of ``a``.
    """
    return (a > 0).astype(a.dtype)


def _shifted(z, axis, name):
    z = _as_float(z)
    if z.ndim == 0:
        raise ValueError(f"{name} needs an array with at least one axis (the classes), "
                         "got a scalar")
    if not np.all(np.isfinite(z)):
        bad = int(z.size - np.count_nonzero(np.isfinite(z)))
        raise ValueError(f"{name} needs finite logits, got {bad} NaN/inf entries")
    if z.size == 0:
        return z
    with np.errstate(over="ignore"):           # an overflow shows up as -inf, checked below
        return z - np.max(z, axis=axis, keepdims=True)


def _exp_floor(dtype):
    # float32: half of log(smallest normal float32), about -43.7; else -300
    if dtype == np.float32:
        return 0.5 * float(np.log(np.finfo(np.float32).tiny))
    return _EXP_FLOOR


def _safe_exp(shifted):
    # shifted <= 0; entries below the floor become exactly 0 instead of
    # passing through exp (which would flag an underflow).
    floor = _exp_floor(shifted.dtype)
    e = np.exp(np.maximum(shifted, floor))
    e[shifted < floor] = 0.0
    return e


def softmax(z, axis=-1):
    """Softmax ``exp(z) / sum(exp(z))`` along ``axis``, computed stably.

    Parameters
    ----------
    z : ndarray
        Logits, for example of shape ``(T, B, K)``.
    axis : int, optional
        Axis to normalise over (default the last one).

    Returns
    -------
    ndarray
        Probabilities, same shape as ``z``, summing to 1 along ``axis``.
    """
    e = _safe_exp(_shifted(z, axis, "softmax"))   # -inf (an overflowed gap) gives exactly 0
    return e / e.sum(axis=axis, keepdims=True)


def log_softmax(z, axis=-1):
    """Logarithm of :func:`softmax`, ``z - logsumexp(z)``, computed stably.

    Parameters
    ----------
    z : ndarray
        Logits, for example of shape ``(T, B, K)``.
    axis : int, optional
        Axis to normalise over (default the last one).

    Returns
    -------
    ndarray
        Log-probabilities, same shape as ``z`` (finite for finite ``z``).
    """
    s = _shifted(z, axis, "log_softmax")
    if s.size == 0:
        return s
    if np.isinf(s).any():
        raise ValueError("log_softmax: the logits span more than the largest float "
                         f"({float(np.finfo(s.dtype).max):.3g}), so some log-probabilities "
                         "are below -max and cannot be represented; rescale the logits")
    return s - np.log(_safe_exp(s).sum(axis=axis, keepdims=True))
