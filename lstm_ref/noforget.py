"""The LSTM without a forget gate: the "constant error carousel" of
Hochreiter & Schmidhuber (1997).

Forward, blocks (i, g, o)::

    z  = W_ih x + b_ih + W_hh h + b_hh
    i = sigmoid(z_i)   g = tanh(z_g)   o = sigmoid(z_o)
    c' = c + i * g                     (f == 1: the carousel)
    h' = o * tanh(c')

Backward: ``dc_prev = dc`` -- the error flows back through the cell state
unchanged, which is the whole point of the carousel (and also why ``c`` can
grow without bound on long inputs; the forget gate of Gers et al. 2000 fixed
that).
"""
import numpy as np

from .activations import sigmoid
from .cell import Cell, split

__all__ = ["NoForgetLSTM"]


class NoForgetLSTM(Cell):
    r"""LSTM with the forget gate fixed to 1 (the 1997 constant error carousel).

    .. math::

        z &= W_{ih} x_t + b_{ih} + W_{hh} h_{t-1} + b_{hh} \\
        i &= \sigma(z_i),\; g = \tanh(z_g),\; o = \sigma(z_o) \\
        c_t &= c_{t-1} + i \odot g \\
        h_t &= o \odot \tanh(c_t)

    so ``c_T - c_0 = sum_t i_t * g_t``. Shapes: ``weight_ih`` ``(3H, D)``,
    ``weight_hh`` ``(3H, H)``, biases ``(3H,)``, blocks stacked i, g, o. The
    state is ``(h, c)``, each ``(B, H)``.

    This is the modern-notation version of the 1997 cell. The original of
    Hochreiter & Schmidhuber (1997) differed in more than the missing forget
    gate: its squashing functions were scaled sigmoids, the cell input
    ``g`` in ``[-2, 2]`` and the cell output ``h`` in ``[-1, 1]`` (here tanh
    for both); it was trained with *truncated* gradients (errors were not
    propagated back through the recurrent connections into earlier steps
    except inside the cell state; here full BPTT); it had no peepholes;
    and cells were grouped in "memory blocks" sharing one input and one
    output gate (here each unit has its own gates).

    Backward step: ``dc = dc_t + dh_t o (1-tanh^2 c_t)``;
    ``dz_i = dc g i(1-i)``, ``dz_g = dc i (1-g^2)``, ``dz_o = dh_t tanh(c_t) o(1-o)``;
    ``dc_{t-1} = dc`` (no forget gate), ``dh_{t-1} = dz W_hh``.

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

    gates = ("i", "g", "o")
    has_cell_state = True

    def step(self, xz, state, p=None):
        """Forward step; see :meth:`Cell.step`. Caches ``(gates, tanh(c'))``: backward
        never needs ``c`` itself, since ``dc_{t-1} = dc_t`` does not involve it."""
        p = self.params() if p is None else p
        h, c = state
        H = self.hidden_size
        a = xz + h @ p["weight_hh"].T
        a[:, :H] = sigmoid(a[:, :H])
        a[:, H:2 * H] = np.tanh(a[:, H:2 * H])
        a[:, 2 * H:] = sigmoid(a[:, 2 * H:])
        i, g, o = split(a, 3)
        c_new = c + i * g
        tc = np.tanh(c_new)
        return (o * tc, c_new), (a, tc)

    def step_backward(self, d_state, cache, grads, p=None):
        """Backward step; see :meth:`Cell.step_backward`."""
        p = self.params() if p is None else p
        dh, dc = d_state
        a, tc = cache
        i, g, o = split(a, 3)
        dc = dc + dh * o * (1.0 - tc * tc)
        dz = np.empty_like(a)
        dz_i, dz_g, dz_o = split(dz, 3)
        np.multiply(dc * g, i * (1.0 - i), out=dz_i)
        np.multiply(dc * i, 1.0 - g * g, out=dz_g)
        np.multiply(dh * tc, o * (1.0 - o), out=dz_o)
        return dz, dz, (dz @ p["weight_hh"], dc)

    def cache_floats_per_step(self, batch_size):
        """Floats per step: ``4*B*H`` (3 gates and ``tanh(c_t)``)."""
        return 4 * batch_size * self.hidden_size
