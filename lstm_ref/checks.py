"""Input validation: every public entry point fails early with a message that
says what was expected and what came.

Errors about values -- shapes, ranks, sizes below 1, NaN or infinity, numbers
beyond the range of the dtype -- are ``ValueError``; errors about types and
dtypes (an integer ``x``, a list where an array was needed, a float where a
size was needed, a string where a bool was needed) are ``TypeError``.
"""
import numbers

import numpy as np

__all__ = ["as_float_array", "check_sequence", "check_finite", "check_shape", "check_size",
           "check_dtype",
           "check_bool", "check_number", "check_no_shared_arrays", "frozen_copy", "store_param", "store_params", "checked_params", "describe"]


def describe(obj):
    """A short description of ``obj`` for error messages: its type, and shape or length."""
    if isinstance(obj, (tuple, list)):
        return f"a {type(obj).__name__} of length {len(obj)}"
    shape = getattr(obj, "shape", None)
    if shape is not None:
        return f"{type(obj).__name__} of shape {tuple(shape)}"
    return f"{type(obj).__name__} {obj!r}" if isinstance(obj, (str, numbers.Number)) \
        else type(obj).__name__


def check_size(v, name):
    """Return ``v`` as an ``int`` after checking it is an integer >= 1.

    Parameters
    ----------
    v : int
        A size (``input_size``, ``hidden_size``, a batch size, ...).
    name : str
        Name used in the error message.

    Returns
    -------
    int
        ``v``.

    Raises
    ------
    TypeError
        For anything but an integer (a bool, float or string included).
    ValueError
        For an integer below 1.
    """
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {describe(v)}")
    if v < 1:
        raise ValueError(f"{name} must be >= 1, got {v}")
    return int(v)


def check_dtype(dtype):
    """Return ``numpy.dtype(dtype)`` after checking it is float64 or float32 (``TypeError``).

    Parameters
    ----------
    dtype : numpy dtype
        The requested dtype.

    Returns
    -------
    numpy.dtype
        ``float64`` or ``float32``.
    """
    try:
        dtype = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"dtype must be float64 or float32, got {dtype!r}") from None
    if dtype not in (np.float64, np.float32):
        raise TypeError(f"dtype must be float64 or float32, got {dtype}")
    return dtype


def check_bool(v, name):
    """Return ``v`` after checking it is a bool (``TypeError`` otherwise).

    Parameters
    ----------
    v : bool
        An option such as ``reset_after``.
    name : str
        Name used in the error message.

    Returns
    -------
    bool
        ``v``.
    """
    if not isinstance(v, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {describe(v)}")
    return bool(v)


def check_number(v, name, low=None, high=None, low_open=False, high_open=False):
    """Return ``v`` as a float after checking it is a finite real number in a range.

    Parameters
    ----------
    v : float
        A hyper-parameter (a learning rate, a momentum, ...).
    name : str
        Name used in the error message.
    low, high : float, optional
        Bounds of the allowed interval (None: unbounded).
    low_open, high_open : bool, optional
        Whether the bound itself is excluded.

    Returns
    -------
    float
        ``v``.

    Raises
    ------
    TypeError
        For anything but a real number (bools and strings included).
    ValueError
        For NaN, infinity, or a value outside the interval.
    """
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {describe(v)}")
    v = float(v)
    if not np.isfinite(v):
        raise ValueError(f"{name} must be finite, got {v}")
    too_low = low is not None and (v <= low if low_open else v < low)
    too_high = high is not None and (v >= high if high_open else v > high)
    if too_low or too_high:
        lo = "(-inf" if low is None else ("(" if low_open else "[") + f"{low:g}"
        hi = "inf)" if high is None else f"{high:g}" + (")" if high_open else "]")
        raise ValueError(f"{name} must lie in {lo}, {hi}, got {v}")
    return v


def check_no_shared_arrays(arrays, what):
    """Raise ``ValueError`` if two of the named arrays share memory.

    A parameter listed twice (``Stack([c, c])``, or one array under two
    names) would be updated twice by an optimiser step and get only one of
    its two gradients; a gradient listed twice would be scaled twice by
    :func:`lstm_ref.clip_grad_norm`. Disjoint slices of one buffer are fine.

    Parameters
    ----------
    arrays : dict
        name -> ndarray.
    what : str
        What holds them, for the message.
    """
    items = list(arrays.items())
    for k, (name, a) in enumerate(items):
        for other, b in items[:k]:
            if _overlap(a, b):
                raise ValueError(f"{what}: {name!r} and {other!r} are the same array (or share "
                                 "memory); every parameter must appear once")


def _overlap(a, b):
    """True when ``a`` and ``b`` share an element. Disjoint slices of one buffer
    (a flat parameter vector cut into weights) do not; the exact test is tried
    only when the cheap bounds test says they might, and counted as shared if
    it is too hard."""
    if not np.may_share_memory(a, b):
        return False
    try:
        return bool(np.shares_memory(a, b, max_work=10_000))
    except np.exceptions.TooHardError:
        return True


def store_params(items):
    """Store validated arrays into the live parameters, for one load_state_dict.

    Each ``(owner, name, a)`` goes through :func:`store_param` (copied into
    the live array, which an optimiser may hold), except that a live array
    sharing memory with another live array of ``items`` (one array assigned
    to two parameters, ``cell.bias_hh = cell.bias_ih``) is replaced by a
    fresh copy: writing both in place would leave both holding the last value.

    Parameters
    ----------
    items : list
        ``(owner, name, a)`` triples with validated arrays ``a``.
    """
    live = [getattr(owner, name, None) for owner, name, _ in items]
    arrays = [(k, a) for k, a in enumerate(live) if isinstance(a, np.ndarray)]
    tied = {k for k, a in arrays for j, b in arrays if j != k and _overlap(a, b)}
    for k, (owner, name, a) in enumerate(items):
        if k in tied:
            setattr(owner, name, np.array(a, copy=True))
        else:
            store_param(owner, name, a)


def store_param(owner, name, a):
    """Copy ``a`` into the live parameter array ``owner.<name>`` (so an optimiser
    holding that array sees the change), or into a fresh array if the attribute
    was replaced by something unusable (wrong type, shape, dtype, read-only).

    Parameters
    ----------
    owner : object
        A cell or a Linear layer.
    name : str
        Parameter name.
    a : ndarray
        Validated new value.
    """
    live = getattr(owner, name, None)
    if (isinstance(live, np.ndarray) and live.shape == a.shape and live.dtype == a.dtype
            and live.flags.writeable):
        live[...] = a
    else:
        setattr(owner, name, np.array(a, copy=True))


def frozen_copy(a):
    """A read-only C-contiguous copy of ``a``: kept in a cache, nobody can change it.

    Parameters
    ----------
    a : ndarray
        Any array.

    Returns
    -------
    ndarray
        A copy that owns its memory, with ``flags.writeable`` False.
    """
    a = np.array(a, order="C", copy=True)
    a.flags.writeable = False
    return a


def checked_params(owner, shapes, dtype):
    """Validate the parameters of ``owner`` and return read-only copies of them.

    This runs once per ``forward`` call: what ``forward`` computes with and
    what ``backward`` differentiates are these copies, so the gradients are
    those of the weights the outputs were computed with, whatever happens to
    the live arrays in between (an optimiser step, ``load_state_dict``, an
    in-place edit).

    Parameters
    ----------
    owner : object
        A cell or a Linear layer; its attributes are the parameters.
    shapes : dict
        name -> expected shape.
    dtype : numpy dtype
        The dtype every parameter must have.

    Returns
    -------
    dict
        name -> read-only copy.

    Raises
    ------
    TypeError
        For an attribute that is not a numpy array, or has another dtype.
    ValueError
        For a wrong shape or a NaN/inf entry.
    """
    out = {}
    for name, shape in shapes.items():
        a = getattr(owner, name, None)
        what = f"{type(owner).__name__}.{name}"
        if not isinstance(a, np.ndarray):
            raise TypeError(f"{what} must be a numpy array of shape {shape} and dtype {dtype}, "
                            f"got {describe(a)}")
        if a.dtype != dtype:
            raise TypeError(f"{what} must have the dtype of the module, {dtype}, got {a.dtype}; "
                            "assign through load_state_dict or a[...] = value to keep the dtype")
        if a.shape != tuple(shape):
            raise ValueError(f"{what} must have shape {tuple(shape)}, got {a.shape}")
        check_finite(a, what)
        out[name] = frozen_copy(a)
    return out


def _to_numpy(a):
    """Turn a torch tensor (duck-typed, torch is never imported) into numpy."""
    if hasattr(a, "detach") and hasattr(a, "numpy"):
        a = a.detach().cpu()
        if str(getattr(a, "dtype", "")) == "torch.bfloat16":     # numpy has no bfloat16
            a = a.float()
        return a.numpy()
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
        A floating-point array (torch tensors, bfloat16 included, become
        numpy arrays).

    Raises
    ------
    TypeError
        For anything that is not an array of floats.
    ValueError
        For a numpy masked array with masked entries (the mask would be
        ignored silently).
    """
    a = _to_numpy(a)
    if np.ma.is_masked(a):
        raise ValueError(f"{name} is a masked array with masked entries; lstm_ref has no "
                         "notion of a mask and would silently use the values underneath: "
                         "pass a.filled(value) or a plain ndarray")
    if isinstance(a, (bool, int, float, str, bytes, dict)) or a is None:
        raise TypeError(f"{name} must be a floating-point ndarray, got {type(a).__name__}")
    try:
        arr = np.asarray(a)
    except ValueError as err:                         # ragged nested lists
        raise TypeError(f"{name} must be a floating-point ndarray, got {describe(a)} "
                        f"that numpy cannot turn into an array ({err})") from None
    if not np.issubdtype(arr.dtype, np.floating):
        raise TypeError(f"{name} must have a floating dtype (float64 or float32), "
                        f"got dtype {arr.dtype}")
    if dtype is not None and arr.dtype != dtype:
        arr = _cast(arr, np.dtype(dtype), name)
    return arr


def _cast(arr, dtype, name):
    """Cast to ``dtype``; a finite value beyond its range is a ValueError, not an inf."""
    with np.errstate(over="ignore"):
        out = arr.astype(dtype)
    if np.finfo(dtype).max < np.finfo(arr.dtype).max:
        big = np.isinf(out) & np.isfinite(arr)
        if big.any():
            raise ValueError(f"{name} has values up to {float(np.max(np.abs(arr[big]))):.3g}, "
                             f"beyond the range of {dtype} (largest finite "
                             f"{float(np.finfo(dtype).max):.3g}) used by this module")
    return out


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
