"""Does a PyTorch module compute the same forward pass and gradients as a numpy cell?

The variants chapter checks each hand-derived backward pass three ways: against SymPy, against
finite differences (:func:`lstm_ref.gradcheck`) and against PyTorch, where autograd (for
``torch.nn.LSTM``/``GRU``/``RNN``) or the hand-written Functions of :mod:`lstm_ref.torch`
produce the gradients.  :func:`torch_agreement` is the third check, written once.

torch is imported when the function is called, never when the module is imported.
"""
from __future__ import annotations

import numpy as np

from .unroll import backward, forward

__all__ = ["torch_agreement"]


def _strip(name):
    return name[:-3] if name.endswith("_l0") else name


def torch_agreement(cell, module, *, T=4, B=3, seed=0):
    """Largest absolute differences between ``cell`` (numpy) and ``module`` (torch), float64.

    Both get the same weights (the module's are copied from the cell), the same random input
    ``x`` ``(T, B, D)`` and initial state, and the same loss
    ``sum(R * outputs) + sum(S * final_state)`` with random ``R``, ``S``.  The numpy side
    uses :func:`lstm_ref.forward` and :func:`lstm_ref.backward`; the torch side calls the
    module and ``loss.backward()``.

    Parameters
    ----------
    cell : lstm_ref.Cell
        A one-layer numpy cell in float64.
    module : torch.nn.Module
        A one-layer, unidirectional, time-major module with the same parameter names
        (``weight_ih_l0`` ...), e.g. ``torch.nn.LSTM`` or an :mod:`lstm_ref.torch` module.
        Its parameters are overwritten with the cell's and it is switched to float64.
    T, B, seed : int
        Sequence length, batch size and seed of the random data.

    Returns
    -------
    dict
        ``"outputs"``, ``"final_state"``, ``"x"``, ``"state0"`` and every parameter name ->
        max absolute difference (a Python float).
    """
    import torch
    if cell.dtype != np.float64:
        raise TypeError(f"cell must be float64 for this check, got {cell.dtype}")
    module = module.double()
    with torch.no_grad():
        for name, p in module.named_parameters():
            key = _strip(name)
            if key not in cell.params():
                raise ValueError(f"module parameter {name!r} has no counterpart in "
                                 f"{type(cell).__name__} ({list(cell.params())})")
            p.copy_(torch.from_numpy(cell.params()[key]))
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(T, B, cell.input_size))
    n_state = 2 if cell.has_cell_state else 1
    state = tuple(rng.normal(size=(B, cell.hidden_size)) for _ in range(n_state))
    out, final, cache = forward(cell, x, state if n_state == 2 else state[0])
    final = final if n_state == 2 else (final,)
    R = rng.normal(size=out.shape)
    S = tuple(rng.normal(size=s.shape) for s in final)
    grads, dx, d0 = backward(cell, cache, R, S if n_state == 2 else S[0])
    d0 = d0 if n_state == 2 else (d0,)

    xt = torch.tensor(x, requires_grad=True)
    st = tuple(torch.tensor(s[None], requires_grad=True) for s in state)
    out_t, final_t = module(xt, st if n_state == 2 else st[0])
    final_t = final_t if n_state == 2 else (final_t,)
    loss = (out_t * torch.from_numpy(R)).sum() + sum(
        (f[0] * torch.from_numpy(s)).sum() for f, s in zip(final_t, S))
    loss.backward()

    diff = {"outputs": np.abs(out - out_t.detach().numpy()).max(),
            "final_state": max(np.abs(a - b[0].detach().numpy()).max()
                               for a, b in zip(final, final_t)),
            "x": np.abs(dx - xt.grad.numpy()).max(),
            "state0": max(np.abs(a - b.grad[0].numpy()).max() for a, b in zip(d0, st))}
    for name, p in module.named_parameters():
        diff[_strip(name)] = np.abs(grads[_strip(name)] - p.grad.numpy()).max()
    return {k: float(v) for k, v in diff.items()}
