"""Conversion from PyTorch modules; torch is imported only inside functions.

The idea: lstm_ref uses PyTorch's parameter names and layouts, so converting
is copying ``weight_ih_l0`` to ``weight_ih`` etc. Only what lstm_ref can
represent exactly is accepted: one layer per cell, one direction, no LSTM
projection. ``bias=False`` modules become cells with zero biases.
"""
import numpy as np

__all__ = ["from_torch", "stack_from_torch", "to_torch"]

_KINDS = {"LSTM": "LSTM", "LSTMCell": "LSTM", "GRU": "GRU", "GRUCell": "GRU",
          "RNN": "RNN", "RNNCell": "RNN"}


def _kind(module):
    name = type(module).__name__
    if name not in _KINDS:
        raise TypeError("module must be a torch nn.LSTM, nn.LSTMCell, nn.GRU, nn.GRUCell, "
                        f"nn.RNN or nn.RNNCell, got {name}")
    return _KINDS[name]


def _check_layout(module, allow_layers):
    name = type(module).__name__
    if getattr(module, "bidirectional", False):
        raise ValueError(f"{name} has bidirectional=True; lstm_ref supports only "
                         "unidirectional modules")
    if getattr(module, "proj_size", 0):
        raise ValueError(f"{name} has proj_size={module.proj_size}; lstm_ref has no LSTM projection")
    layers = getattr(module, "num_layers", 1)
    if layers != 1 and not allow_layers:
        raise ValueError(f"{name} has num_layers={layers}; from_torch converts a single layer "
                         "(expected num_layers=1); use lstm_ref.Stack.from_torch for several")
    return layers


def _layer_dict(module, suffix):
    params = dict(module.named_parameters())
    out = {}
    for key in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
        p = params.get(key + suffix)
        if p is not None:
            out[key] = p.detach().cpu().numpy().copy()
    if "bias_ih" not in out:                      # bias=False
        rows = out["weight_ih"].shape[0]
        out["bias_ih"] = np.zeros(rows, out["weight_ih"].dtype)
        out["bias_hh"] = np.zeros(rows, out["weight_ih"].dtype)
    return out


def _make(kind, module, d):
    from . import gru, lstm, rnn
    if kind == "LSTM":
        return lstm.LSTM.from_state_dict(d)
    if kind == "GRU":
        return gru.GRU.from_state_dict(d)
    nonlin = getattr(module, "nonlinearity", "tanh")
    return rnn.RNN.from_state_dict(d, nonlinearity=nonlin)


def from_torch(module):
    """Build an lstm_ref cell holding a copy of a PyTorch module's weights.

    Parameters
    ----------
    module : torch.nn.Module
        ``nn.LSTM``/``nn.LSTMCell`` -> :class:`lstm_ref.LSTM`,
        ``nn.GRU``/``nn.GRUCell`` -> :class:`lstm_ref.GRU`,
        ``nn.RNN``/``nn.RNNCell`` -> :class:`lstm_ref.RNN` (same nonlinearity).
        Must be single-layer and unidirectional (else ``ValueError``).
        ``bias=False`` gives zero biases. ``batch_first`` is ignored: lstm_ref
        is always time-major.

    Returns
    -------
    Cell
        The cell, float32 if the module is float32, float64 otherwise.
    """
    kind = _kind(module)
    _check_layout(module, allow_layers=False)
    suffix = "" if type(module).__name__.endswith("Cell") else "_l0"
    return _make(kind, module, _layer_dict(module, suffix))


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
    from .unroll import Stack
    kind = _kind(module)
    if type(module).__name__.endswith("Cell"):
        return Stack([from_torch(module)])
    layers = _check_layout(module, allow_layers=True)
    return Stack([_make(kind, module, _layer_dict(module, f"_l{k}")) for k in range(layers)])


def to_torch(cell):
    """Build the equivalent single-layer PyTorch module (``nn.LSTM``, ``nn.GRU``, ``nn.RNN``).

    Parameters
    ----------
    cell : Cell
        An :class:`lstm_ref.LSTM`, :class:`lstm_ref.GRU` (``reset_after=True``)
        or :class:`lstm_ref.RNN`.

    Returns
    -------
    torch.nn.Module
        Time-major module (``batch_first=False``) with copies of the weights,
        in the cell's dtype.
    """
    import torch
    from .gru import GRU
    from .lstm import LSTM
    from .rnn import RNN
    if type(cell) is LSTM:
        m = torch.nn.LSTM(cell.input_size, cell.hidden_size)
    elif type(cell) is GRU and cell.reset_after:
        m = torch.nn.GRU(cell.input_size, cell.hidden_size)
    elif type(cell) is RNN:
        m = torch.nn.RNN(cell.input_size, cell.hidden_size, nonlinearity=cell.nonlinearity)
    else:
        raise TypeError(f"PyTorch has no module for {cell!r}")
    m = m.to(torch.float32 if cell.dtype == np.float32 else torch.float64)
    with torch.no_grad():
        for name, a in cell.params().items():
            getattr(m, name + "_l0").copy_(torch.from_numpy(a))
    return m
