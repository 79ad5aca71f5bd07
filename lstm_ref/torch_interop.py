"""Exchanging weights with ``torch.nn``: :func:`from_torch`, :func:`to_torch`.

Thin functions over :mod:`lstm_ref.convert` (the one place that converts);
torch is imported only when they are called. ``bias=False`` modules become
cells with zero biases, and ``to_torch(cell, bias=False)`` turns zero biases
back into a module without biases.
"""
from .convert import layer_tensors, torch_layers
from .gru import GRU
from .lstm import LSTM
from .rnn import RNN
from .unroll import Stack

__all__ = ["from_torch", "stack_from_torch", "to_torch"]


def from_torch(module):
    """Build an lstm_ref cell holding a copy of a PyTorch module's weights.

    Parameters
    ----------
    module : torch.nn.Module
        ``nn.LSTM``/``nn.LSTMCell`` -> :class:`lstm_ref.LSTM`,
        ``nn.GRU``/``nn.GRUCell`` -> :class:`lstm_ref.GRU`,
        ``nn.RNN``/``nn.RNNCell`` -> :class:`lstm_ref.RNN` (same nonlinearity);
        subclasses of these too. Must be single-layer and unidirectional
        (else ``ValueError``). ``bias=False`` gives zero biases, ordinary
        trainable arrays of the cell (``to_torch(cell, bias=False)`` drops them
        again). ``batch_first`` is ignored: lstm_ref is always time-major.

    Returns
    -------
    Cell
        The cell, float32 if the module is float32, float64 otherwise.
    """
    kind, layers, _ = torch_layers(module)
    if len(layers) != 1:
        raise ValueError(f"{type(module).__name__} has num_layers={len(layers)}; from_torch "
                         "converts a single layer (expected num_layers=1); use "
                         "lstm_ref.Stack.from_torch for several")
    return Stack.from_torch(module).cells[0]


def stack_from_torch(module):
    """Build a :class:`lstm_ref.Stack` from a (multi-layer) unidirectional module.

    Parameters
    ----------
    module : torch.nn.Module
        ``nn.LSTM``, ``nn.GRU`` or ``nn.RNN`` with any ``num_layers``
        (``dropout`` between layers is not modelled).

    Returns
    -------
    Stack
        One cell per layer.
    """
    return Stack.from_torch(module)


def to_torch(cell, bias=True):
    """Build the equivalent single-layer PyTorch module (``nn.LSTM``, ``nn.GRU``, ``nn.RNN``).

    Parameters
    ----------
    cell : Cell
        An :class:`lstm_ref.LSTM`, :class:`lstm_ref.GRU` (``reset_after=True``)
        or :class:`lstm_ref.RNN`. For the variants torch lacks use
        ``lstm_ref.torch.PeepholeLSTM.from_numpy(cell)`` and its siblings.
    bias : bool, optional
        False builds a module without biases; the cell's biases must be zero
        (``ValueError`` otherwise).

    Returns
    -------
    torch.nn.Module
        Time-major module (``batch_first=False``) with copies of the weights,
        in the cell's dtype.
    """
    import torch
    if type(cell) is LSTM:
        make = torch.nn.LSTM
    elif type(cell) is GRU and cell.reset_after:
        make = torch.nn.GRU
    elif type(cell) is RNN:
        make = lambda *a, **k: torch.nn.RNN(*a, nonlinearity=cell.nonlinearity, **k)  # noqa: E731
    else:
        raise TypeError(f"PyTorch has no module for {cell!r}; use the matching module of "
                        "lstm_ref.torch (from_numpy)")
    dtype = torch.float32 if cell.dtype == "float32" else torch.float64
    m = make(cell.input_size, cell.hidden_size, bias=bias, dtype=dtype)
    m.load_state_dict(layer_tensors(cell, "_l0", bias=bias), strict=True)
    return m
