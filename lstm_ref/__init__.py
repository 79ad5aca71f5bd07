"""lstm_ref: a small numpy reference for recurrent cells with hand-derived backward passes.

Every cell (:class:`RNN`, :class:`LSTM`, :class:`PeepholeLSTM`,
:class:`CoupledLSTM`, :class:`NoForgetLSTM`, :class:`GRU`) uses PyTorch's
parameter names, layouts and initialisation; :func:`forward` and
:func:`backward` unroll any of them over a time-major sequence ``(T, B, D)``.
No automatic differentiation is used anywhere, and torch is never imported
unless you call a function that converts to or from PyTorch (all conversion
lives in :mod:`lstm_ref.convert`). The same cells as fast ``torch.nn`` modules
are in the subpackage ``lstm_ref.torch``, which ``import lstm_ref`` does not load.
"""
from .activations import log_softmax, relu, sigmoid, softmax, tanh
from .cell import Cell
from .coupled import CoupledLSTM
from .gradcheck import GradcheckResult, gradcheck, gradcheck_function, numerical_gradient
from .gru import GRU
from .lstm import LSTM
from .model import SequenceModel
from .noforget import NoForgetLSTM
from .optim import SGD, Adam, clip_grad_norm, global_norm
from .output import Linear, softmax_cross_entropy
from .peephole import PeepholeLSTM
from .rnn import RNN
from .torch_interop import from_torch, to_torch
from .unroll import SequenceCache, Stack, backward, cache_floats, forward
from . import testing

CELLS = (RNN, LSTM, PeepholeLSTM, CoupledLSTM, NoForgetLSTM, GRU)
"""tuple: every cell class, in the order the book introduces them."""

__version__ = "0.1.0"

__all__ = [
    "CELLS", "Cell", "RNN", "LSTM", "PeepholeLSTM", "CoupledLSTM", "NoForgetLSTM", "GRU",
    "forward", "backward", "Stack", "SequenceCache", "cache_floats",
    "Linear", "softmax_cross_entropy", "softmax", "log_softmax", "sigmoid", "tanh", "relu",
    "SequenceModel", "SGD", "Adam", "clip_grad_norm", "global_norm",
    "gradcheck", "gradcheck_function", "numerical_gradient", "GradcheckResult",
    "from_torch", "to_torch", "testing",
]
