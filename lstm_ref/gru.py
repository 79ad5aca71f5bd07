"""The gated recurrent unit, PyTorch form (reset after the product) and the
original Cho et al. (2014) form (reset before the product).

Forward, gate order (r, z, n)::

    r  = sigmoid(W_ir x + b_ir + W_hr h + b_hr)
    z  = sigmoid(W_iz x + b_iz + W_hz h + b_hz)
    n  = tanh(W_in x + b_in + r * (W_hn h + b_hn))      reset_after=True (PyTorch)
    n  = tanh(W_in x + b_in + W_hn (r * h) + b_hn)      reset_after=False (Cho 2014)
    h' = (1 - z) * n + z * h

Backward: ``dn = dh' (1 - z)``, ``dz = dh' (h - n)``, and the old state gets
``dh' z`` directly plus what flows back through the three matrix products.
"""
import numpy as np

from .activations import sigmoid
from .cell import Cell, read_only_copies, split
from .checks import check_bool

__all__ = ["GRU"]


class GRU(Cell):
    r"""Gated recurrent unit, equations and layout of ``torch.nn.GRU``.

    .. math::

        r &= \sigma(W_{ir} x_t + b_{ir} + W_{hr} h_{t-1} + b_{hr}) \\
        z &= \sigma(W_{iz} x_t + b_{iz} + W_{hz} h_{t-1} + b_{hz}) \\
        n &= \tanh(W_{in} x_t + b_{in} + r \odot (W_{hn} h_{t-1} + b_{hn})) \\
        h_t &= (1 - z) \odot n + z \odot h_{t-1}

    With ``reset_after=False`` the candidate is the original form of Cho et
    al. (2014), the reset applied to the state *before* the matrix product:
    ``n = tanh(W_in x_t + b_in + W_hn (r * h_{t-1}) + b_hn)``. PyTorch (and
    cuDNN) implement only the default ``reset_after=True`` form.

    Shapes: ``x_t`` ``(B, D)``, ``h_t`` and each gate ``(B, H)``;
    ``weight_ih`` ``(3H, D)``, ``weight_hh`` ``(3H, H)``, biases ``(3H,)``,
    blocks stacked in the order r, z, n. The state is the single array ``h``.

    Backward step (reset_after=True): ``dn = dh_t (1-z)``,
    ``dz = dh_t (h_{t-1} - n)``, ``da_n = dn (1-n^2)``,
    ``da_r = da_n (W_hn h_{t-1} + b_hn) r(1-r)``, ``da_z = dz z(1-z)``; the
    recurrent pre-activation of block n receives ``da_n r``; and
    ``dh_{t-1} = dh_t z + [da_r, da_z, da_n r] W_hh``.

    Parameters
    ----------
    input_size : int
        ``D``.
    hidden_size : int
        ``H``.
    reset_after : bool, optional
        True (default): PyTorch form. False: original Cho et al. form.
    seed : int, optional
        Seed for the torch-style uniform initialisation.
    dtype : numpy dtype, optional
        ``numpy.float64`` (default) or ``numpy.float32``.
    """

    gates = ("r", "z", "n")
    fold_bias_hh = False

    def __init__(self, input_size, hidden_size, *, reset_after=True, seed=None,
                 dtype=np.float64):
        self.reset_after = check_bool(reset_after, "reset_after")
        super().__init__(input_size, hidden_size, seed=seed, dtype=dtype)

    def __repr__(self):
        return super().__repr__()[:-1] + f", reset_after={self.reset_after})"

    def step(self, xz, state, p=None):
        """Forward step; see :meth:`Cell.step`. Caches ``(h, r, z, n, hn)``."""
        p = self.params() if p is None else p
        W, b = p["weight_hh"], p["bias_hh"]
        h = state[0]
        H = self.hidden_size
        if self.reset_after:
            hz = h @ W.T + b
            hn = hz[:, 2 * H:].copy()                # W_hn h + b_hn
        else:
            hz = h @ W[:2 * H].T + b[:2 * H]
        rz = sigmoid(xz[:, :2 * H] + hz[:, :2 * H])
        r, z = rz[:, :H], rz[:, H:]
        if not self.reset_after:
            hn = (r * h) @ W[2 * H:].T + b[2 * H:]
            n = np.tanh(xz[:, 2 * H:] + hn)
        else:
            n = np.tanh(xz[:, 2 * H:] + r * hn)
        h_new = n + z * (h - n)
        return (h_new,), (h, rz, n, hn)

    def step_backward(self, d_state, cache, grads, p=None):
        """Backward step; see :meth:`Cell.step_backward`."""
        W = (self.params() if p is None else p)["weight_hh"]
        dh = d_state[0]
        h, rz, n, hn = cache
        H = self.hidden_size
        r, z = rz[:, :H], rz[:, H:]
        dxz = np.empty((dh.shape[0], 3 * H), dh.dtype)
        da_r, da_z, da_n = split(dxz, 3)
        np.multiply(dh * (1.0 - z), 1.0 - n * n, out=da_n)
        np.multiply(dh * (h - n), z * (1.0 - z), out=da_z)
        if self.reset_after:
            np.multiply(da_n * hn, r * (1.0 - r), out=da_r)
            dhz = dxz.copy()
            dhz[:, 2 * H:] *= r
            dh_prev = dh * z + dhz @ W
        else:
            d_rh = da_n @ W[2 * H:]                     # gradient of r * h
            np.multiply(d_rh * h, r * (1.0 - r), out=da_r)
            dhz = dxz
            dh_prev = dh * z + d_rh * r + dxz[:, :2 * H] @ W[:2 * H]
        return dxz, dhz, (dh_prev,)

    def gate_values(self, cache):
        """Gate activations of one step: ``{"r", "z", "n"}``, each ``(B, H)``."""
        h, rz, n, hn = cache
        H = self.hidden_size
        return read_only_copies({"r": rz[:, :H], "z": rz[:, H:], "n": n})

    def grad_weight_hh(self, dhz, h_prev, caches):
        """``dW_hh``; for reset_after=False block n multiplies ``r * h_{t-1}``."""
        if self.reset_after:
            return dhz.T @ h_prev
        H = self.hidden_size
        rh = np.concatenate([c[1][:, :H] * c[0] for c in caches])
        return np.concatenate([dhz[:, :2 * H].T @ h_prev, dhz[:, 2 * H:].T @ rh])

    def cache_floats_per_step(self, batch_size):
        """Floats per step: ``4*B*H`` (r, z, n and ``W_hn h + b_hn``; ``h`` shared)."""
        return 4 * batch_size * self.hidden_size
