"""Squashing functions, written so that no pre-activation can overflow.

The idea of this module: every nonlinearity used by the cells is computed in a
form that cannot overflow or underflow for any finite input (the book feeds
pre-activations as large as ``1e4`` through them), and every derivative is
written in terms of the function's *output*, which is what a cell keeps in its
cache.

* ``sigmoid(z) = (1 + tanh(z / 2)) / 2`` never evaluates ``exp`` at all, so it
  cannot overflow; it saturates to exactly 0 or 1 for ``|z| > ~37`` (float64).
* ``softmax`` and ``log_softmax`` subtract the row maximum first; entries more
  than ``_EXP_FLOOR`` below the maximum get probability exactly 0 (their true
  value is below ``1e-130``), which keeps later products free of underflow.
  In float32 (whose ``exp`` underflows below about ``-87``) the floor is half
  the log of the smallest normal number, about ``-43.7``.
"""
import numpy as np

__all__ = ["sigmoid", "tanh", "relu", "softmax", "log_softmax",
           "sigmoid_grad", "tanh_grad", "relu_grad"]

_EXP_FLOOR = -300.0


def _as_float(z):
    z = np.asarray(z)
    if not np.issubdtype(z.dtype, np.floating):
        z = z.astype(np.float64)
    return z


def sigmoid(z):
    """Logistic function ``1 / (1 + exp(-z))``, elementwise, overflow-free.

    Parameters
    ----------
    z : ndarray
        Pre-activations of any shape.

    Returns
    -------
    ndarray
        ``sigmoid(z)``, same shape as ``z``, values in ``[0, 1]``.
    """
    s = np.tanh(0.5 * _as_float(z))
    s *= 0.5
    s += 0.5
    return s


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


def _shifted(z, axis):
    z = _as_float(z)
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
    e = _safe_exp(_shifted(z, axis))
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
    s = _shifted(z, axis)
    return s - np.log(_safe_exp(s).sum(axis=axis, keepdims=True))
