"""The coupled input-forget gate LSTM: the cell writes exactly as much as it
forgets, ``i = 1 - f`` (Greff et al. 2017, "LSTM: A Search Space Odyssey").

Forward, blocks (f, g, o)::

    z  = W_ih x + b_ih + W_hh h + b_hh
    f = sigmoid(z_f)   g = tanh(z_g)   o = sigmoid(z_o)
    c' = f * c + (1 - f) * g           (a convex combination of c and g)
    h' = o * tanh(c')

Backward: ``dz_f = dc (c - g) f (1 - f)``, ``dz_g = dc (1 - f)(1 - g^2)``.
"""
import numpy as np

from .activations import sigmoid
from .cell import Cell, split

__all__ = ["CoupledLSTM"]


class CoupledLSTM(Cell):
    r"""LSTM whose input gate is tied to the forget gate, ``i = 1 - f``.

    .. math::

        z &= W_{ih} x_t + b_{ih} + W_{hh} h_{t-1} + b_{hh} \\
        f &= \sigma(z_f),\; g = \tanh(z_g),\; o = \sigma(z_o) \\
        c_t &= f \odot c_{t-1} + (1 - f) \odot g \\
        h_t &= o \odot \tanh(c_t)

    Shapes: ``weight_ih`` ``(3H, D)``, ``weight_hh`` ``(3H, H)``, biases
    ``(3H,)``, blocks stacked f, g, o. The state is ``(h, c)``, each ``(B, H)``.

    Backward step: ``dc = dc_t + dh_t o (1-tanh^2 c_t)``;
    ``dz_f = dc (c_{t-1} - g) f(1-f)``, ``dz_g = dc (1-f)(1-g^2)``,
    ``dz_o = dh_t tanh(c_t) o(1-o)``; ``dc_{t-1} = dc f``, ``dh_{t-1} = dz W_hh``.

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

    gates = ("f", "g", "o")
    has_cell_state = True

    def step(self, xz, state, p=None):
        """Forward step; see :meth:`Cell.step`. Caches ``(gates, c, tanh(c'))``."""
        p = self.params() if p is None else p
        h, c = state
        H = self.hidden_size
        a = xz + h @ p["weight_hh"].T
        a[:, :H] = sigmoid(a[:, :H])
        a[:, H:2 * H] = np.tanh(a[:, H:2 * H])
        a[:, 2 * H:] = sigmoid(a[:, 2 * H:])
        f, g, o = split(a, 3)
        c_new = g + f * (c - g)
        tc = np.tanh(c_new)
        return (o * tc, c_new), (a, c, tc)

    def step_backward(self, d_state, cache, grads, p=None):
        """Backward step; see :meth:`Cell.step_backward`."""
        p = self.params() if p is None else p
        dh, dc = d_state
        a, c, tc = cache
        f, g, o = split(a, 3)
        dc = dc + dh * o * (1.0 - tc * tc)
        dz = np.empty_like(a)
        dz_f, dz_g, dz_o = split(dz, 3)
        np.multiply(dc * (c - g), f * (1.0 - f), out=dz_f)
        np.multiply(dc * (1.0 - f), 1.0 - g * g, out=dz_g)
        np.multiply(dh * tc, o * (1.0 - o), out=dz_o)
        return dz, dz, (dz @ p["weight_hh"], dc * f)

    def cache_floats_per_step(self, batch_size):
        """Floats per step: ``5*B*H`` (3 gates, ``c_{t-1}``, ``tanh(c_t)``)."""
        return 5 * batch_size * self.hidden_size
