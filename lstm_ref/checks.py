"""Input validation: every public entry point fails early with a message that
says what was expected and what came.

Errors about shapes and ranks are ``ValueError``; errors about types and
dtypes (an integer ``x``, a list where an array was needed) are ``TypeError``.
"""
import numpy as np

__all__ = ["as_float_array", "check_sequence", "check_finite", "check_shape"]


def _to_numpy(a):
    """Turn a torch tensor (duck-typed, torch is never imported) into numpy."""
    if hasattr(a, "detach") and hasattr(a, "numpy"):
        return a.detach().cpu().numpy()
    return a


def as_float_array(a, name, dtype=None):
    """Return ``a`` as a floating ndarray, or raise ``TypeError``.

    Parameters
    ----------
    a : ndarray
        Array (or torch tensor, or nested list of floats).
    name : str
        Name used in the error message.
    dtype : numpy dtype, optional
        When given, the result is cast to this floating dtype.

    Returns
    -------
    ndarray
        A floating-point array.
    """
    a = _to_numpy(a)
    if isinstance(a, (bool, int, float)) or a is None:
        raise TypeError(f"{name} must be a floating-point ndarray, got {type(a).__name__}")
    arr = np.asarray(a)
    if not np.issubdtype(arr.dtype, np.floating):
        raise TypeError(f"{name} must have a floating dtype (float64 or float32), "
                        f"got dtype {arr.dtype}")
    if dtype is not None and arr.dtype != dtype:
        arr = arr.astype(dtype)
    return arr


def check_shape(a, expected, name):
    """Raise ``ValueError`` unless ``a.shape`` matches ``expected``.

    Parameters
    ----------
    a : ndarray
        Array to check.
    expected : tuple
        Expected shape; an entry ``None`` matches any length.
    name : str
        Name used in the error message, e.g. ``"h"``.
    """
    ok = a.ndim == len(expected) and all(
        e is None or e == s for e, s in zip(expected, a.shape))
    if not ok:
        want = "(" + ", ".join("*" if e is None else str(e) for e in expected) + ")"
        raise ValueError(f"{name} must have shape {want}, got {tuple(a.shape)}")


def check_finite(a, name):
    """Raise ``ValueError`` if ``a`` contains NaN or infinity.

    Parameters
    ----------
    a : ndarray
        Array to check.
    name : str
        Name used in the error message.
    """
    if not np.all(np.isfinite(a)):
        bad = int(np.size(a) - np.count_nonzero(np.isfinite(a)))
        raise ValueError(f"{name} must be finite, got {bad} NaN/inf entries")


def check_sequence(x, input_size, dtype, name="x"):
    """Validate a time-major input sequence.

    Parameters
    ----------
    x : ndarray
        Input of shape ``(T, B, D)``.
    input_size : int
        Expected ``D``.
    dtype : numpy dtype
        The cell's dtype; ``x`` is cast to it.
    name : str, optional
        Name used in error messages.

    Returns
    -------
    ndarray
        ``x`` as a ``(T, B, D)`` array of the cell's dtype.
    """
    x = as_float_array(x, name, dtype)
    if x.ndim != 3:
        raise ValueError(f"{name} must be time-major with shape (T, B, D={input_size}) "
                         f"(rank 3), got shape {tuple(x.shape)} (rank {x.ndim})")
    if x.shape[2] != input_size:
        raise ValueError(f"{name} must have shape (T, B, D={input_size}), "
                         f"got {tuple(x.shape)}: last axis {x.shape[2]} != input_size")
    if x.shape[0] == 0 or x.shape[1] == 0:
        raise ValueError(f"{name} must have T >= 1 and B >= 1, got shape {tuple(x.shape)}")
    check_finite(x, name)
    return x
