"""The LSTM cell with PyTorch's equations and gate order (i, f, g, o).

Forward::

    z  = W_ih x + b_ih + W_hh h + b_hh          (B, 4H), blocks i, f, g, o
    i = sigmoid(z_i)   f = sigmoid(z_f)   g = tanh(z_g)   o = sigmoid(z_o)
    c' = f * c + i * g
    h' = o * tanh(c')

Backward (given dh', dc' from the future and the loss)::

    do  = dh' * tanh(c')
    dc  = dc' + dh' * o * (1 - tanh(c')^2)       total gradient of c'
    dz_i = dc * g * i (1 - i)      dz_f = dc * c * f (1 - f)
    dz_g = dc * i * (1 - g^2)      dz_o = do * o (1 - o)
    dh  = dz W_hh                  dc_prev = dc * f
"""
import numpy as np

from .activations import sigmoid
from .cell import Cell, split

__all__ = ["LSTM"]


class LSTM(Cell):
    r"""Long short-term memory cell, equations and layout of ``torch.nn.LSTM``.

    .. math::

        z &= W_{ih} x_t + b_{ih} + W_{hh} h_{t-1} + b_{hh} \\
        i &= \sigma(z_i),\; f = \sigma(z_f),\; g = \tanh(z_g),\; o = \sigma(z_o) \\
        c_t &= f \odot c_{t-1} + i \odot g \\
        h_t &= o \odot \tanh(c_t)

    Shapes: ``x_t`` ``(B, D)``; ``h_t``, ``c_t`` and each gate ``(B, H)``;
    ``weight_ih`` ``(4H, D)``, ``weight_hh`` ``(4H, H)``, biases ``(4H,)``,
    blocks stacked in the order i, f, g, o. The state is ``(h, c)``.

    Backward step: with ``dc = dc_t + dh_t o (1 - tanh^2 c_t)``,
    ``dz_i = dc g i(1-i)``, ``dz_f = dc c_{t-1} f(1-f)``,
    ``dz_g = dc i (1-g^2)``, ``dz_o = dh_t tanh(c_t) o(1-o)``;
    ``dh_{t-1} = dz W_hh`` and ``dc_{t-1} = dc f``.

    Parameters
    ----------
    input_size : int
        ``D``.
    hidden_size : int
        ``H``.
    seed : int, optional
        Seed for the torch-style uniform initialisation.
    dtype : numpy dtype, optional
        ``numpy.float64`` (default) or ``numpy.float32``.
    """

    gates = ("i", "f", "g", "o")
    has_cell_state = True

    def step(self, xz, state, p=None):
        """Forward step; see :meth:`Cell.step`. Caches ``(gates, c, tanh(c'))``."""
        p = self.params() if p is None else p
        h, c = state
        H = self.hidden_size
        a = xz + h @ p["weight_hh"].T              # pre-activations, then gates
        a[:, :2 * H] = sigmoid(a[:, :2 * H])
        a[:, 2 * H:3 * H] = np.tanh(a[:, 2 * H:3 * H])
        a[:, 3 * H:] = sigmoid(a[:, 3 * H:])
        i, f, g, o = split(a, 4)
        c_new = f * c + i * g
        tc = np.tanh(c_new)
        return (o * tc, c_new), (a, c, tc)

    def step_backward(self, d_state, cache, grads, p=None):
        """Backward step; see :meth:`Cell.step_backward`."""
        p = self.params() if p is None else p
        dh, dc = d_state
        a, c, tc = cache
        i, f, g, o = split(a, 4)
        dc = dc + dh * o * (1.0 - tc * tc)
        dz = np.empty_like(a)
        dz_i, dz_f, dz_g, dz_o = split(dz, 4)
        np.multiply(dc * g, i * (1.0 - i), out=dz_i)
        np.multiply(dc * c, f * (1.0 - f), out=dz_f)
        np.multiply(dc * i, 1.0 - g * g, out=dz_g)
        np.multiply(dh * tc, o * (1.0 - o), out=dz_o)
        return dz, dz, (dz @ p["weight_hh"], dc * f)

    def cache_floats_per_step(self, batch_size):
        """Floats per step: ``6*B*H`` (4 gates, ``c_{t-1}``, ``tanh(c_t)``)."""
        return 6 * batch_size * self.hidden_size
