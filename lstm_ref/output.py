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
from .checks import as_float_array, check_finite, check_shape

__all__ = ["Linear", "softmax_cross_entropy"]


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
    """

    def __init__(self, in_features, out_features, *, seed=None, dtype=np.float64):
        for name, v in (("in_features", in_features), ("out_features", out_features)):
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
                raise ValueError(f"{name} must be a positive int, got {v!r}")
        dtype = np.dtype(dtype)
        if dtype not in (np.float64, np.float32):
            raise TypeError(f"dtype must be float64 or float32, got {dtype}")
        self.in_features, self.out_features, self.dtype = int(in_features), int(out_features), dtype
        rng = np.random.default_rng(seed)
        k = 1.0 / np.sqrt(in_features)
        self.weight = rng.uniform(-k, k, (out_features, in_features)).astype(dtype)
        self.bias = rng.uniform(-k, k, out_features).astype(dtype)

    def __repr__(self):
        return f"Linear(in_features={self.in_features}, out_features={self.out_features})"

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
            mis-shaped or non-finite arrays raise ``ValueError``.
        """
        extra = sorted((k for k in d if k not in ("weight", "bias")), key=str)
        if extra:
            raise ValueError(f"state_dict for Linear has unexpected keys {extra}; "
                             "expected keys ['weight', 'bias']")
        for name, a in self.params().items():
            if name not in d:
                raise ValueError(f"state_dict for Linear is missing {name!r}; got keys {sorted(d)}")
            v = as_float_array(d[name], f"state_dict[{name!r}]", self.dtype)
            check_shape(v, a.shape, f"state_dict[{name!r}]")
            check_finite(v, f"state_dict[{name!r}]")
            a[...] = v

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
        cache : ndarray
            The input ``h`` (all the backward pass needs).
        """
        h = as_float_array(h, "h", self.dtype)
        if h.ndim < 1 or h.shape[-1] != self.in_features:
            raise ValueError(f"Linear input must have shape (..., {self.in_features}), "
                             f"got {tuple(h.shape)}")
        return h @ self.weight.T + self.bias, h

    def backward(self, cache, dy):
        """Gradients of the layer.

        Parameters
        ----------
        cache : ndarray
            The input ``h`` returned as cache by :meth:`forward`.
        dy : ndarray
            Gradient w.r.t. the output, ``(..., K)``.

        Returns
        -------
        grads : dict
            ``{"weight": (K, H), "bias": (K,)}``.
        dh : ndarray
            Gradient w.r.t. the input, ``(..., H)``.
        """
        h = cache
        dy = as_float_array(dy, "dy", self.dtype)
        if dy.shape != h.shape[:-1] + (self.out_features,):
            raise ValueError(f"dy must have shape {h.shape[:-1] + (self.out_features,)}, "
                             f"got {tuple(dy.shape)}")
        dy2, h2 = dy.reshape(-1, self.out_features), h.reshape(-1, self.in_features)
        grads = {"weight": dy2.T @ h2, "bias": dy2.sum(axis=0)}
        return grads, dy @ self.weight


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
