"""Parameter updates: SGD (with momentum), Adam, and global gradient clipping.

The idea: parameters are a dict ``name -> ndarray`` of the model's *live*
arrays, so ``step`` updates them in place and the model sees the change. The
update rules follow ``torch.optim`` exactly (no weight decay).
"""
import numpy as np

__all__ = ["SGD", "Adam", "clip_grad_norm", "global_norm"]


def _check_grads(params, grads):
    if set(grads) != set(params):
        missing, extra = sorted(set(params) - set(grads)), sorted(set(grads) - set(params))
        raise ValueError(f"grads must have the keys of params; missing {missing}, extra {extra}")
    for k, p in params.items():
        if np.shape(grads[k]) != p.shape:
            raise ValueError(f"grads[{k!r}] must have shape {p.shape}, got {np.shape(grads[k])}")


def _check_params(params):
    if not isinstance(params, dict) or not params:
        raise TypeError(f"params must be a non-empty dict name -> ndarray, got {type(params).__name__}")
    for k, p in params.items():
        if not isinstance(p, np.ndarray) or not np.issubdtype(p.dtype, np.floating):
            raise TypeError(f"params[{k!r}] must be a floating ndarray (updated in place), "
                            f"got {type(p).__name__}")
    return params


class SGD:
    """Stochastic gradient descent, ``torch.optim.SGD`` semantics.

    Update: ``v = momentum * v + g`` (``v = g`` at the first step), then
    ``p -= lr * v``; with ``momentum=0`` simply ``p -= lr * g``.

    Parameters
    ----------
    params : dict
        name -> ndarray, updated in place.
    lr : float
        Learning rate.
    momentum : float, optional
        Momentum factor (default 0).
    """

    def __init__(self, params, lr, momentum=0.0):
        if lr < 0 or momentum < 0:
            raise ValueError(f"lr and momentum must be >= 0, got lr={lr}, momentum={momentum}")
        self.params, self.lr, self.momentum = _check_params(params), lr, momentum
        self.velocity = {}

    def step(self, grads):
        """Apply one update.

        Parameters
        ----------
        grads : dict
            name -> ndarray, same keys and shapes as ``params``.
        """
        _check_grads(self.params, grads)
        for k, p in self.params.items():
            g = grads[k]
            if self.momentum:
                v = self.velocity.get(k)
                v = np.array(g, dtype=p.dtype) if v is None else self.momentum * v + g
                self.velocity[k] = g = v
            p -= self.lr * g


class Adam:
    """Adam, ``torch.optim.Adam`` semantics (bias-corrected moments).

    Update at step ``t``: ``m = b1 m + (1-b1) g``, ``v = b2 v + (1-b2) g^2``,
    ``p -= lr * (m / (1-b1^t)) / (sqrt(v / (1-b2^t)) + eps)``.

    Parameters
    ----------
    params : dict
        name -> ndarray, updated in place.
    lr : float, optional
        Learning rate (default 1e-3).
    betas : tuple, optional
        ``(b1, b2)``, default ``(0.9, 0.999)``.
    eps : float, optional
        Default 1e-8.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
        if lr < 0 or eps < 0 or len(betas) != 2 or not all(0 <= b < 1 for b in betas):
            raise ValueError(f"need lr >= 0, eps >= 0, two betas in [0, 1); got lr={lr}, "
                             f"betas={betas}, eps={eps}")
        self.params, self.lr, self.betas, self.eps = _check_params(params), lr, betas, eps
        self.m = {k: np.zeros_like(p) for k, p in params.items()}
        self.v = {k: np.zeros_like(p) for k, p in params.items()}
        self.t = 0

    def step(self, grads):
        """Apply one update.

        Parameters
        ----------
        grads : dict
            name -> ndarray, same keys and shapes as ``params``.
        """
        _check_grads(self.params, grads)
        self.t += 1
        b1, b2 = self.betas
        c1, c2 = 1.0 - b1 ** self.t, 1.0 - b2 ** self.t
        for k, p in self.params.items():
            g = grads[k]
            self.m[k] = m = b1 * self.m[k] + (1.0 - b1) * g
            self.v[k] = v = b2 * self.v[k] + (1.0 - b2) * g * g
            p -= (self.lr / c1) * m / (np.sqrt(v) / np.sqrt(c2) + self.eps)


def global_norm(grads):
    """Euclidean norm of all gradient arrays taken together.

    Parameters
    ----------
    grads : dict
        name -> ndarray.

    Returns
    -------
    float
        ``sqrt(sum of squares of every entry)``.
    """
    return float(np.sqrt(sum(float(np.sum(np.square(g, dtype=np.float64))) for g in grads.values())))


def clip_grad_norm(grads, max_norm):
    """Rescale all gradients together when their global norm exceeds ``max_norm``.

    Like ``torch.nn.utils.clip_grad_norm_``: with ``N`` the global L2 norm,
    every array is multiplied by ``max_norm / (N + 1e-6)`` when that factor is
    below 1 (the ``1e-6`` is PyTorch's guard against division by zero).

    Parameters
    ----------
    grads : dict
        name -> ndarray, scaled in place.
    max_norm : float
        Largest allowed global norm.

    Returns
    -------
    float
        The global norm before clipping.
    """
    if not max_norm > 0:
        raise ValueError(f"max_norm must be > 0, got {max_norm}")
    norm = global_norm(grads)
    coef = max_norm / (norm + 1e-6)
    if coef < 1.0:
        for g in grads.values():
            g *= coef
    return norm
