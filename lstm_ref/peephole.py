"""The peephole LSTM (Gers & Schmidhuber 2000; Gers, Schraudolph &
Schmidhuber 2002): the gates also look at the cell state.

Forward, blocks (i, f, g, o), diagonal peephole vectors ``w_ci, w_cf, w_co``::

    z  = W_ih x + b_ih + W_hh h + b_hh
    i  = sigmoid(z_i + w_ci * c)      f = sigmoid(z_f + w_cf * c)   (old c)
    g  = tanh(z_g)
    c' = f * c + i * g
    o  = sigmoid(z_o + w_co * c')                                    (new c')
    h' = o * tanh(c')

Backward: the output gate adds a second path into ``c'``
(``da_o * w_co``), and the old cell state receives ``da_i * w_ci`` and
``da_f * w_cf`` besides ``dc * f``.
"""
import numpy as np

from .activations import sigmoid
from .cell import Cell, split

__all__ = ["PeepholeLSTM"]


class PeepholeLSTM(Cell):
    r"""LSTM with diagonal peephole connections (Gers et al. 2000, 2002).

    .. math::

        z &= W_{ih} x_t + b_{ih} + W_{hh} h_{t-1} + b_{hh} \\
        i &= \sigma(z_i + w_{ci} \odot c_{t-1}), \quad
        f = \sigma(z_f + w_{cf} \odot c_{t-1}), \quad g = \tanh(z_g) \\
        c_t &= f \odot c_{t-1} + i \odot g \\
        o &= \sigma(z_o + w_{co} \odot c_t), \quad h_t = o \odot \tanh(c_t)

    Shapes: ``weight_ih`` ``(4H, D)``, ``weight_hh`` ``(4H, H)``, biases
    ``(4H,)`` (blocks i, f, g, o); ``weight_ci``, ``weight_cf``, ``weight_co``
    are ``(H,)``. The state is ``(h, c)``, each ``(B, H)``.

    Backward step: ``da_o = dh_t tanh(c_t) o(1-o)``;
    ``dc = dc_t + dh_t o (1-tanh^2 c_t) + da_o w_co``;
    ``da_i = dc g i(1-i)``, ``da_f = dc c_{t-1} f(1-f)``, ``da_g = dc i (1-g^2)``;
    ``dc_{t-1} = dc f + da_i w_ci + da_f w_cf``; ``dh_{t-1} = da W_hh``;
    ``dw_ci = sum da_i c_{t-1}``, ``dw_cf = sum da_f c_{t-1}``,
    ``dw_co = sum da_o c_t``. With all peepholes zero it is exactly :class:`LSTM`.

    Parameters
    ----------
    input_size : int
        ``D``.
    hidden_size : int
        ``H``.
    seed : int, optional
        Seed; peepholes are drawn from ``U(-1/sqrt(H), 1/sqrt(H))`` too.
    dtype : numpy dtype, optional
        ``numpy.float64`` (default) or ``numpy.float32``.
    """

    gates = ("i", "f", "g", "o")
    has_cell_state = True
    vectors = ("weight_ci", "weight_cf", "weight_co")

    def step(self, xz, state, p=None):
        """Forward step; see :meth:`Cell.step`. Caches ``(gates, c, tanh(c'))``, like
        :class:`LSTM`; backward recomputes ``c' = f c + i g`` (bit for bit) rather
        than keeping a second copy of every cell state."""
        p = self.params() if p is None else p
        h, c = state
        H = self.hidden_size
        a = xz + h @ p["weight_hh"].T
        a[:, :H] += p["weight_ci"] * c
        a[:, H:2 * H] += p["weight_cf"] * c
        a[:, :2 * H] = sigmoid(a[:, :2 * H])
        a[:, 2 * H:3 * H] = np.tanh(a[:, 2 * H:3 * H])
        i, f, g, o = split(a, 4)
        c_new = f * c + i * g
        o[...] = sigmoid(o + p["weight_co"] * c_new)
        tc = np.tanh(c_new)
        return (o * tc, c_new), (a, c, tc)

    def step_backward(self, d_state, cache, grads, p=None):
        """Backward step; see :meth:`Cell.step_backward`."""
        p = self.params() if p is None else p
        dh, dc = d_state
        a, c, tc = cache
        i, f, g, o = split(a, 4)
        c_new = f * c + i * g                      # the same operations as in step
        dz = np.empty_like(a)
        dz_i, dz_f, dz_g, dz_o = split(dz, 4)
        np.multiply(dh * tc, o * (1.0 - o), out=dz_o)
        dc = dc + dh * o * (1.0 - tc * tc) + dz_o * p["weight_co"]
        np.multiply(dc * g, i * (1.0 - i), out=dz_i)
        np.multiply(dc * c, f * (1.0 - f), out=dz_f)
        np.multiply(dc * i, 1.0 - g * g, out=dz_g)
        grads["weight_ci"] += np.einsum("bh,bh->h", dz_i, c)
        grads["weight_cf"] += np.einsum("bh,bh->h", dz_f, c)
        grads["weight_co"] += np.einsum("bh,bh->h", dz_o, c_new)
        dc_prev = dc * f + dz_i * p["weight_ci"] + dz_f * p["weight_cf"]
        return dz, dz, (dz @ p["weight_hh"], dc_prev)

    def cache_floats_per_step(self, batch_size):
        """Floats per step: ``6*B*H`` (4 gates, ``c_{t-1}``, ``tanh(c_t)``)."""
        return 6 * batch_size * self.hidden_size
