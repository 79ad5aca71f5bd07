"""``from_numpy`` and ``to_numpy``: lstm_ref.torch modules <-> numpy cells and Stacks.

Both go through :mod:`lstm_ref.convert`, the one place that copies arrays
between numpy and torch under the shared parameter names.
"""
import numpy as np
import torch

import lstm_ref
from lstm_ref.convert import layer_arrays, layer_tensors

__all__ = ["module_from_numpy", "module_to_numpy"]


def _numpy_class(cls):
    return getattr(lstm_ref, cls.numpy_cell)


def _options(cell):
    if isinstance(cell, lstm_ref.RNN):
        return {"nonlinearity": cell.nonlinearity}
    if isinstance(cell, lstm_ref.GRU):
        return {"reset_after": cell.reset_after}
    return {}


def module_from_numpy(cls, cell_or_stack, *, bias=True, batch_first=False, device=None):
    """See :meth:`lstm_ref.torch.layers.RecurrentModule.from_numpy`."""
    want = _numpy_class(cls)
    if isinstance(cell_or_stack, lstm_ref.Stack):
        cells = cell_or_stack.cells
    elif isinstance(cell_or_stack, lstm_ref.Cell):
        cells = [cell_or_stack]
    else:
        raise TypeError(f"{cls.__name__}.from_numpy needs an lstm_ref.{want.__name__} or an "
                        f"lstm_ref.Stack of them, got {type(cell_or_stack).__name__}")
    for k, cell in enumerate(cells):
        if type(cell) is not want:
            raise TypeError(f"{cls.__name__}.from_numpy needs lstm_ref.{want.__name__} cells, "
                            f"got {type(cell).__name__} (layer {k})")
        if cell.hidden_size != cells[0].hidden_size or _options(cell) != _options(cells[0]):
            raise ValueError(f"every layer must have the hidden size and options of layer 0 "
                             f"({cells[0]!r}), got {cell!r} (layer {k})")
    dtype = torch.float32 if cells[0].dtype == np.float32 else torch.float64
    module = cls(cells[0].input_size, cells[0].hidden_size, len(cells), bias=bias,
                 batch_first=batch_first, device=device, dtype=dtype, **_options(cells[0]))
    state = {}
    for k, cell in enumerate(cells):
        state.update(layer_tensors(cell, f"_l{k}", bias=bias, device=device))
    module.load_state_dict(state, strict=True)
    return module


def module_to_numpy(module):
    """See :meth:`lstm_ref.torch.layers.RecurrentModule.to_numpy`."""
    if module.bidirectional:
        raise ValueError(f"{type(module).__name__} has bidirectional=True; the numpy reference "
                         "is unidirectional (expected bidirectional=False)")
    dtype = module.weight_ih_l0.dtype
    if dtype not in (torch.float32, torch.float64):
        raise TypeError(f"to_numpy needs a float32 or float64 module (numpy has no {dtype}); "
                        f"convert first, e.g. module.to(torch.float32)")
    want = _numpy_class(type(module))
    options = {}
    if hasattr(module, "nonlinearity"):
        options["nonlinearity"] = module.nonlinearity
    if hasattr(module, "reset_after"):
        options["reset_after"] = module.reset_after
    state = module.state_dict()
    cells = [want.from_state_dict(layer_arrays(state, f"_l{k}", want.vectors), **options)
             for k in range(module.num_layers)]
    return cells[0] if len(cells) == 1 else lstm_ref.Stack(cells)
