"""The six modules: each is its gate layout plus one call of its Function.

Everything else (parameters, layers, directions, checks, conversion) is in
:class:`lstm_ref.torch.layers.RecurrentModule`.
"""
from . import functions
from .layers import RecurrentModule

__all__ = ["RNN", "LSTM", "PeepholeLSTM", "CoupledLSTM", "NoForgetLSTM", "GRU"]


class RNN(RecurrentModule):
    """Elman RNN, a drop-in for ``torch.nn.RNN``.

    Backward: :class:`~lstm_ref.torch.functions.RNNFunction`.

    Parameters
    ----------
    input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, device, dtype
        As for ``torch.nn.RNN``.
    nonlinearity : str, optional
        ``"tanh"`` (default) or ``"relu"``.
    """

    gates = ("h",)
    numpy_cell = "RNN"
    function = functions.RNNFunction

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, device=None, dtype=None, *, proj_size=0,
                 nonlinearity="tanh"):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        self.nonlinearity = nonlinearity
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, device, dtype, proj_size=proj_size)

    def extra_repr(self):
        s = super().extra_repr()
        return s + (", nonlinearity='relu'" if self.nonlinearity == "relu" else "")

    def function_options(self):
        """The Function's ``relu`` flag."""
        return (self.nonlinearity == "relu",)


class LSTM(RecurrentModule):
    """LSTM, a drop-in for ``torch.nn.LSTM`` (gate blocks i, f, g, o).

    Parameters as for ``torch.nn.LSTM`` except ``proj_size`` (not offered:
    passing a non-zero value raises ``ValueError``). Backward:
    :class:`~lstm_ref.torch.functions.LSTMFunction`.
    """

    gates = ("i", "f", "g", "o")
    has_cell_state = True
    numpy_cell = "LSTM"
    function = functions.LSTMFunction


class PeepholeLSTM(RecurrentModule):
    """Peephole LSTM (Gers et al.), with ``nn.LSTM``'s interface.

    Besides the LSTM's parameters each layer has ``weight_ci_l{k}``,
    ``weight_cf_l{k}``, ``weight_co_l{k}`` ``(H,)``. Backward:
    :class:`~lstm_ref.torch.functions.PeepholeLSTMFunction`.
    """

    gates = ("i", "f", "g", "o")
    vectors = ("weight_ci", "weight_cf", "weight_co")
    has_cell_state = True
    numpy_cell = "PeepholeLSTM"
    function = functions.PeepholeLSTMFunction


class CoupledLSTM(RecurrentModule):
    """Coupled input-forget LSTM (``i = 1 - f``; blocks f, g, o), with ``nn.LSTM``'s interface.

    Backward: :class:`~lstm_ref.torch.functions.CoupledLSTMFunction`.
    """

    gates = ("f", "g", "o")
    has_cell_state = True
    numpy_cell = "CoupledLSTM"
    function = functions.CoupledLSTMFunction


class NoForgetLSTM(RecurrentModule):
    """LSTM without a forget gate (blocks i, g, o), with ``nn.LSTM``'s interface.

    Backward: :class:`~lstm_ref.torch.functions.NoForgetLSTMFunction`.
    """

    gates = ("i", "g", "o")
    has_cell_state = True
    numpy_cell = "NoForgetLSTM"
    function = functions.NoForgetLSTMFunction


class GRU(RecurrentModule):
    """GRU, a drop-in for ``torch.nn.GRU`` (blocks r, z, n).

    Parameters
    ----------
    input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, device, dtype
        As for ``torch.nn.GRU``.
    reset_after : bool, optional
        True (default): PyTorch's form, ``r * (W_hn h + b_hn)``. False: Cho
        et al.'s form, ``W_hn (r * h) + b_hn`` (as the numpy ``GRU``).
    """

    gates = ("r", "z", "n")
    numpy_cell = "GRU"
    function = functions.GRUFunction

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, device=None, dtype=None, *, proj_size=0,
                 reset_after=True):
        if not isinstance(reset_after, bool):
            raise TypeError(f"reset_after must be a bool, got {type(reset_after).__name__}")
        self.reset_after = reset_after
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, device, dtype, proj_size=proj_size)

    def extra_repr(self):
        return super().extra_repr() + ("" if self.reset_after else ", reset_after=False")

    def function_options(self):
        """The Function's ``reset_after`` flag."""
        return (self.reset_after,)
