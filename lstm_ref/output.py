"""The output layer: an affine map to ``K`` class scores and the softmax
cross-entropy loss, summed over time and averaged over the batch.

Forward::

    y = h W^T + b                       (..., H) -> (..., K)
    loss = -(1/B) * sum_{t,b, target != ignore} log softmax(y[t, b])[target]

Backward::

    dy = (softmax(y) - onehot(target)) / B     (0 where ignored)
    dW = dy^T h    db = sum dy    dh = dy W
"""
import numpy as np

from .activations import log_softmax, softmax
from .checks import (as_float_array, check_dtype, check_finite, check_shape, check_size,
                     checked_params, describe, frozen_copy, store_params)

__all__ = ["Linear", "softmax_cross_entropy"]


class _LinearCache:
    """What :meth:`Linear.forward` keeps: the layer, a copy of ``h`` and of the weight."""

    __slots__ = ("layer", "h", "weight")

    def __init__(self, layer, h, weight):
        self.layer, self.h, self.weight = layer, h, weight


class Linear:
    """Affine layer ``y = h W^T + b`` on the last axis, like ``torch.nn.Linear``.

    Parameters
    ----------
    in_features : int
        ``H``, size of the last axis of the input.
    out_features : int
        ``K``, size of the last axis of the output.
    seed : int, optional
        Seed for ``numpy.random.default_rng``; ``weight`` and ``bias`` are drawn
        from ``U(-1/sqrt(H), 1/sqrt(H))``.
    dtype : numpy dtype, optional
        ``numpy.float64`` (default) or ``numpy.float32``.

    Attributes
    ----------
    weight : ndarray
        ``(K, H)``.
    bias : ndarray
        ``(K,)``.

    Notes
    -----
    Like the cells, :meth:`forward` validates the parameters (shape, dtype,
    finiteness) and keeps a copy of the input and of the weight, so an
    in-place change of either before :meth:`backward` cannot change the
    gradients. Non-finite inputs or gradients, and a product that overflows,
    raise ``ValueError``.
    """

    def __init__(self, in_features, out_features, *, seed=None, dtype=np.float64):
        in_features = check_size(in_features, "in_features")
        out_features = check_size(out_features, "out_features")
        dtype = check_dtype(dtype)
        self.in_features, self.out_features, self.dtype = in_features, out_features, dtype
        rng = np.random.default_rng(seed)
        k = 1.0 / np.sqrt(in_features)
        self.weight = rng.uniform(-k, k, (out_features, in_features)).astype(dtype)
        self.bias = rng.uniform(-k, k, out_features).astype(dtype)

    def __repr__(self):
        return (f"Linear(in_features={self.in_features}, out_features={self.out_features}, "
                f"dtype={self.dtype.name})")

    def params(self):
        """Live parameter arrays.

        Returns
        -------
        dict
            ``{"weight": (K, H), "bias": (K,)}`` (not copies).
        """
        return {"weight": self.weight, "bias": self.bias}

    def state_dict(self):
        """Copies of ``weight`` and ``bias``.

        Returns
        -------
        dict
            name -> ndarray copy.
        """
        return {k: v.copy() for k, v in self.params().items()}

    def load_state_dict(self, d):
        """Copy ``weight`` and ``bias`` from ``d`` (arrays or torch tensors).

        Parameters
        ----------
        d : dict
            ``{"weight": (K, H), "bias": (K,)}``. Missing, unexpected,
            mis-shaped or non-finite arrays raise ``ValueError``; nothing is
            changed unless both arrays are valid.
        """
        store_params([(self, name, v) for name, v in self._checked_state_dict(d).items()])

    def _checked_state_dict(self, d):
        """Validated copies of ``weight`` and ``bias``, ready to store (see load_state_dict)."""
        if not isinstance(d, dict):
            raise TypeError(f"state_dict must be a dict of arrays, got {describe(d)}")
        extra = sorted((k for k in d if k not in ("weight", "bias")), key=str)
        if extra:
            raise ValueError(f"state_dict for Linear has unexpected keys {extra}; "
                             "expected keys ['weight', 'bias']")
        new = {}
        for name, shape in self._shapes().items():
            if name not in d:
                raise ValueError(f"state_dict for Linear is missing {name!r}; got keys {sorted(d)}")
            v = as_float_array(d[name], f"state_dict[{name!r}]", self.dtype)
            check_shape(v, shape, f"state_dict[{name!r}]")
            check_finite(v, f"state_dict[{name!r}]")
            new[name] = np.array(v, copy=True)    # d may alias the live arrays: copy first
        return new

    def _shapes(self):
        return {"weight": (self.out_features, self.in_features), "bias": (self.out_features,)}

    @classmethod
    def from_state_dict(cls, d):
        """Build a Linear layer from ``{"weight": (K, H), "bias": (K,)}``.

        Parameters
        ----------
        d : dict
            Arrays or torch tensors.

        Returns
        -------
        Linear
            New layer holding copies.
        """
        if not isinstance(d, dict):
            raise TypeError(f"state_dict must be a dict of arrays, got {describe(d)}")
        if "weight" not in d:
            raise ValueError(f"state_dict for Linear is missing 'weight'; got keys {sorted(d)}")
        w = as_float_array(d["weight"], "state_dict['weight']")
        if w.ndim != 2:
            raise ValueError(f"state_dict['weight'] must have shape (K, H), got {tuple(w.shape)}")
        layer = cls(w.shape[1], w.shape[0], dtype=w.dtype if w.dtype == np.float32 else np.float64)
        layer.load_state_dict(d)
        return layer

    def forward(self, h):
        """Apply the layer to the last axis.

        Parameters
        ----------
        h : ndarray
            ``(..., H)``, e.g. ``(T, B, H)``.

        Returns
        -------
        y : ndarray
            ``(..., K)``.
        cache : object
            What :meth:`backward` needs: copies of ``h`` and of ``weight``.

        Raises
        ------
        TypeError, ValueError
            For a wrong input or parameter (type, dtype, shape, an empty
            batch, NaN or inf), or when ``h W^T + b`` overflows.
        """
        p = checked_params(self, self._shapes(), self.dtype)
        h = as_float_array(h, "h", self.dtype)
        if h.ndim < 1 or h.shape[-1] != self.in_features:
            raise ValueError(f"Linear input must have shape (..., {self.in_features}), "
                             f"got {tuple(h.shape)}")
        if h.size == 0:
            raise ValueError(f"Linear input must not be empty, got shape {tuple(h.shape)}")
        check_finite(h, "Linear input h")
        h = frozen_copy(h)
        with np.errstate(over="ignore", invalid="ignore"):
            y = h @ p["weight"].T + p["bias"]
        _check_no_overflow(y, "Linear.forward: h W^T + b")
        return y, _LinearCache(self, h, p["weight"])

    def backward(self, cache, dy):
        """Gradients of the layer.

        Parameters
        ----------
        cache : object
            The cache :meth:`forward` of this layer returned.
        dy : ndarray
            Gradient w.r.t. the output, ``(..., K)``.

        Returns
        -------
        grads : dict
            ``{"weight": (K, H), "bias": (K,)}``, at the weight
            :meth:`forward` used.
        dh : ndarray
            Gradient w.r.t. the input, ``(..., H)``.
        """
        want = f"cache must be what forward() of this layer ({self!r}) returned"
        if not isinstance(cache, _LinearCache):
            raise TypeError(f"{want}, got {describe(cache)}")
        if cache.layer is not self:
            raise ValueError(f"{want}, got the cache of another Linear layer, {cache.layer!r}")
        h = cache.h
        dy = as_float_array(dy, "dy", self.dtype)
        if dy.shape != h.shape[:-1] + (self.out_features,):
            raise ValueError(f"dy must have shape {h.shape[:-1] + (self.out_features,)}, "
                             f"got {tuple(dy.shape)}")
        check_finite(dy, "dy")
        dy2, h2 = dy.reshape(-1, self.out_features), h.reshape(-1, self.in_features)
        with np.errstate(over="ignore", invalid="ignore"):
            grads = {"weight": dy2.T @ h2, "bias": dy2.sum(axis=0)}
            dh = dy @ cache.weight
        for name, g in (*grads.items(), ("dh", dh)):
            _check_no_overflow(g, f"Linear.backward: {name}")
        return grads, dh


def _check_no_overflow(a, what):
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{what} overflows {a.dtype} (finite inputs, non-finite result); "
                         "the inputs or weights are too large")


def softmax_cross_entropy(logits, targets, ignore_index=-100):
    """Softmax cross-entropy summed over time and averaged over the batch.

    ``loss = -(1/B) * sum over non-ignored positions of log softmax(logits)[target]``,
    which equals ``F.cross_entropy(logits.reshape(-1, K), targets.reshape(-1),
    ignore_index=ignore_index, reduction="sum") / B`` in PyTorch.

    Parameters
    ----------
    logits : ndarray
        ``(T, B, K)`` or ``(B, K)``.
    targets : ndarray
        Integer classes in ``[0, K)``, shape ``logits.shape[:-1]``; entries
        equal to ``ignore_index`` contribute nothing.
    ignore_index : int, optional
        Target value to skip (default -100, as in PyTorch).

    Returns
    -------
    loss : float
        The loss.
    d_logits : ndarray
        Its gradient w.r.t. ``logits``: ``(softmax - onehot) / B``, 0 at
        ignored positions; same shape as ``logits``.
    """
    logits = as_float_array(logits, "logits")
    if isinstance(ignore_index, (bool, np.bool_)) or not isinstance(ignore_index, (int, np.integer)):
        raise TypeError(f"ignore_index must be an int, got {describe(ignore_index)}")
    if logits.ndim not in (2, 3) or 0 in logits.shape:
        raise ValueError(f"logits must have shape (T, B, K) or (B, K) with every size >= 1, "
                         f"got {tuple(logits.shape)}")
    check_finite(logits, "logits")
    targets = np.asarray(targets)
    if not np.issubdtype(targets.dtype, np.integer):
        raise TypeError(f"targets must be integers, got dtype {targets.dtype}")
    if targets.shape != logits.shape[:-1]:
        raise ValueError(f"targets must have shape logits.shape[:-1]={logits.shape[:-1]}, "
                         f"got {tuple(targets.shape)}")
    K, B = logits.shape[-1], logits.shape[-2]
    keep = targets != ignore_index
    bad = keep & ((targets < 0) | (targets >= K))
    if bad.any():
        raise ValueError(f"targets must lie in [0, {K}) or equal ignore_index={ignore_index}, "
                         f"got {targets[bad].ravel()[0]}")
    safe = np.where(keep, targets, 0)[..., None]
    logp = np.take_along_axis(log_softmax(logits), safe, axis=-1)[..., 0]
    loss = 0.0 - float(logp[keep].sum()) / B      # 0.0 (not -0.0) when all are ignored
    d_logits = softmax(logits)
    np.put_along_axis(d_logits, safe, np.take_along_axis(d_logits, safe, axis=-1) - 1.0, axis=-1)
    d_logits *= keep[..., None] / B
    return loss, d_logits
