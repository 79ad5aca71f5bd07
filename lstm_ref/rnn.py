"""The Elman recurrent network: one affine map and one squashing function.

Forward (PyTorch ``nn.RNN`` semantics, ``G = 1``)::

    h' = act(W_ih x + b_ih + W_hh h + b_hh)          act = tanh or relu

Backward: with ``a = h'`` and ``dz = dh' * act'(a)``, the old state receives
``dh = dz W_hh``.
"""
import numpy as np

from .activations import relu, relu_grad, tanh_grad
from .cell import Cell, read_only_copies

__all__ = ["RNN"]


class RNN(Cell):
    r"""Elman RNN cell, equations and parameter layout of ``torch.nn.RNN``.

    .. math::

        h_t = \mathrm{act}(W_{ih} x_t + b_{ih} + W_{hh} h_{t-1} + b_{hh})

    Shapes: ``x_t`` ``(B, D)``, ``h_t`` ``(B, H)``, ``weight_ih`` ``(H, D)``,
    ``weight_hh`` ``(H, H)``, ``bias_ih`` and ``bias_hh`` ``(H,)``. The state is
    the single array ``h``.

    Backward step: ``dz = dh_t * act'(h_t)``; ``dh_{t-1} = dz W_hh``; the
    weight gradients are sums over time of ``dz^T x_t`` and ``dz^T h_{t-1}``.

    Parameters
    ----------
    input_size : int
        ``D``.
    hidden_size : int
        ``H``.
    nonlinearity : str, optional
        ``"tanh"`` (default) or ``"relu"``, as in PyTorch.
    seed : int, optional
        Seed for the torch-style uniform initialisation.
    dtype : numpy dtype, optional
        ``numpy.float64`` (default) or ``numpy.float32``.
    """

    gates = ("h",)

    def __init__(self, input_size, hidden_size, *, nonlinearity="tanh", seed=None,
                 dtype=np.float64):
        if not isinstance(nonlinearity, str):
            raise TypeError(f"nonlinearity must be the string 'tanh' or 'relu', "
                            f"got {type(nonlinearity).__name__}")
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        self.nonlinearity = nonlinearity
        super().__init__(input_size, hidden_size, seed=seed, dtype=dtype)

    def __repr__(self):
        return super().__repr__()[:-1] + f", nonlinearity={self.nonlinearity!r})"

    def step(self, xz, state, p=None):
        """Forward step ``h' = act(xz + h W_hh^T)``; see :meth:`Cell.step`."""
        p = self.params() if p is None else p
        z = xz + state[0] @ p["weight_hh"].T
        h = np.tanh(z) if self.nonlinearity == "tanh" else relu(z)
        return (h,), h

    def step_backward(self, d_state, cache, grads, p=None):
        """Backward step; see :meth:`Cell.step_backward`."""
        p = self.params() if p is None else p
        h = cache
        act_grad = tanh_grad if self.nonlinearity == "tanh" else relu_grad
        dz = d_state[0] * act_grad(h)
        return dz, dz, (dz @ p["weight_hh"],)

    def gate_values(self, cache):
        """The only "gate" of an Elman cell is its new state: ``{"h": (B, H)}``."""
        return read_only_copies({"h": cache})

    def cache_floats_per_step(self, batch_size):
        """Floats per step: ``B*H`` (the new ``h``; the outputs array holds its own copy)."""
        return batch_size * self.hidden_size
