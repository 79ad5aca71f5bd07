"""Between numpy and PyTorch: the one place that converts arrays and parameter layouts.

The idea: ``lstm_ref``'s cells, ``torch.nn``'s recurrent modules and
``lstm_ref.torch``'s modules all name their parameters the same way
(``weight_ih``, ``weight_hh``, ``bias_ih``, ``bias_hh``, peephole vectors),
the torch modules with a suffix ``_l{k}`` per layer (and ``_reverse`` for the
backward direction). Converting is therefore copying arrays under the right
names; this module does exactly that and nothing else. It imports no other
part of ``lstm_ref`` but the checks, and torch only inside its functions, so
``import lstm_ref`` never imports torch.

``bias=False`` modules have no bias parameters; the numpy cells always have
them. Reading such a module gives **zero biases** (ordinary, trainable arrays
of the cell); writing a cell into a ``bias=False`` module requires its biases
to be zero and drops them (``ValueError`` otherwise), so the round trip
module -> cell -> module is exact.
"""
import numpy as np

__all__ = ["to_array", "to_tensor", "torch_kind", "layer_arrays", "layer_tensors",
           "torch_layers", "BASE_NAMES"]

BASE_NAMES = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
"""tuple: the parameter names every cell has (peephole vectors come after)."""


def to_array(tensor):
    """A numpy copy of a tensor (detached, on the CPU, same dtype)."""
    return tensor.detach().cpu().numpy().copy()


def to_tensor(array, device=None):
    """A torch copy of a numpy array (same dtype) on ``device``."""
    import torch
    return torch.tensor(np.asarray(array), device=device)


def torch_kind(module):
    """Which recurrence a ``torch.nn`` module computes (subclasses included).

    Parameters
    ----------
    module : torch.nn.Module
        An ``nn.LSTM``, ``nn.GRU``, ``nn.RNN`` or their ``...Cell`` versions,
        or a subclass of one of them.

    Returns
    -------
    tuple
        ``(kind, is_cell)``: ``kind`` is ``"LSTM"``, ``"GRU"`` or ``"RNN"``.
    """
    from torch import nn
    for kind in ("LSTM", "GRU", "RNN"):
        if isinstance(module, getattr(nn, kind)):
            return kind, False
        if isinstance(module, getattr(nn, kind + "Cell")):
            return kind, True
    raise TypeError("module must be a torch nn.LSTM, nn.LSTMCell, nn.GRU, nn.GRUCell, nn.RNN "
                    f"or nn.RNNCell (or a subclass), got {type(module).__name__}")


def layer_arrays(state_dict, suffix, vectors=()):
    """One layer's parameters as numpy copies, keyed without the suffix.

    Parameters
    ----------
    state_dict : dict
        name -> tensor, e.g. ``module.state_dict()``.
    suffix : str
        ``""`` (cell modules), ``"_l0"``, ``"_l1_reverse"``, ...
    vectors : tuple, optional
        Names of extra ``(H,)`` parameters (peepholes).

    Returns
    -------
    dict
        ``weight_ih``, ``weight_hh``, ``bias_ih``, ``bias_hh`` and the vectors;
        zero biases when the module has none.
    """
    out = {}
    for name in BASE_NAMES + tuple(vectors):
        if name + suffix in state_dict:
            out[name] = to_array(state_dict[name + suffix])
    if "bias_ih" not in out:                                   # bias=False
        for name in ("bias_ih", "bias_hh"):
            out[name] = np.zeros(out["weight_ih"].shape[0], out["weight_ih"].dtype)
    return out


def layer_tensors(cell, suffix, bias=True, device=None):
    """A numpy cell's parameters as torch tensors, keyed with ``suffix``.

    Parameters
    ----------
    cell : lstm_ref.Cell
        The cell.
    suffix : str
        ``"_l0"``, ...
    bias : bool, optional
        False drops the biases, which must then be zero (else ``ValueError``).
    device : torch.device, optional
        Where the tensors go.

    Returns
    -------
    dict
        name + suffix -> tensor copy.

    Raises
    ------
    TypeError, ValueError
        When a parameter of the cell is not what :func:`lstm_ref.forward`
        accepts (a list, a wrong shape or dtype, NaN or inf): the module
        would not compute what the cell computes.
    """
    params = cell.checked_params()
    if not bias:
        for name in ("bias_ih", "bias_hh"):
            if np.any(params[name] != 0):
                raise ValueError(f"bias=False needs the cell's {name} to be zero (it would be "
                                 f"dropped), got max |{name}| = {np.abs(params[name]).max():.3g}")
        params = {n: a for n, a in params.items() if n not in ("bias_ih", "bias_hh")}
    return {name + suffix: to_tensor(a, device) for name, a in params.items()}


def torch_layers(module):
    """Read a unidirectional ``torch.nn`` recurrent module, layer by layer.

    Parameters
    ----------
    module : torch.nn.Module
        See :func:`torch_kind`; ``bidirectional=True`` and ``proj_size > 0``
        raise ``ValueError`` (the numpy reference has neither).

    Returns
    -------
    tuple
        ``(kind, layers, options)``: ``layers`` a list of dicts from
        :func:`layer_arrays`, ``options`` the constructor options of the numpy
        cell (``nonlinearity`` for RNN).
    """
    kind, is_cell = torch_kind(module)
    name = type(module).__name__
    if getattr(module, "bidirectional", False):
        raise ValueError(f"{name} has bidirectional=True; the numpy reference is unidirectional "
                         "(expected bidirectional=False)")
    if getattr(module, "proj_size", 0):
        raise ValueError(f"{name} has proj_size={module.proj_size}; lstm_ref has no LSTM "
                         "projection (expected proj_size=0)")
    state = module.state_dict()
    suffixes = [""] if is_cell else [f"_l{k}" for k in range(module.num_layers)]
    options = {"nonlinearity": module.nonlinearity} if kind == "RNN" else {}
    return kind, [layer_arrays(state, s) for s in suffixes], options
