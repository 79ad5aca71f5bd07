"""lstm_ref.torch: every cell of the reference as a fast ``torch.nn.Module``.

``RNN``, ``LSTM``, ``PeepholeLSTM``, ``CoupledLSTM``, ``NoForgetLSTM`` and
``GRU`` take ``torch.nn.LSTM``'s constructor arguments, return what
``torch.nn.LSTM``/``GRU``/``RNN`` return, and have the same parameter names,
so ``load_state_dict`` works both ways. Their backward passes are the
hand-derived BPTT of the numpy reference, written as one
``torch.autograd.Function`` per cell (:mod:`lstm_ref.torch.functions`).

Layout of the subpackage:

* :mod:`lstm_ref.torch.functions` -- the Functions (forward loop, hand-written backward);
* :mod:`lstm_ref.torch.fused` -- each step's pointwise work as one Triton kernel (CUDA);
* :mod:`lstm_ref.torch.layers` -- the shared driver (parameters, layers, directions, checks);
* :mod:`lstm_ref.torch.modules` -- the six modules;
* :mod:`lstm_ref.torch.convert` -- ``from_numpy``/``to_numpy`` over :mod:`lstm_ref.convert`.

Importing this subpackage imports torch; ``import lstm_ref`` does not.
"""
from .modules import GRU, LSTM, RNN, CoupledLSTM, NoForgetLSTM, PeepholeLSTM

MODULES = (RNN, LSTM, PeepholeLSTM, CoupledLSTM, NoForgetLSTM, GRU)
"""tuple: every module class, in the order of :data:`lstm_ref.CELLS`."""

__all__ = ["RNN", "LSTM", "PeepholeLSTM", "CoupledLSTM", "NoForgetLSTM", "GRU", "MODULES"]
