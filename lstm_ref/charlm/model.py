"""The character model: embedding → recurrent layers → dropout → linear layer (logits).

For the ids ``τ_1..τ_T`` of a window, ``x_t = E[τ_t]`` (an embedding of size ``H``), the recurrent
layers give ``h_t``, and the logits are ``s_t = V h_t + b_y``; ``softmax(s_t)`` is the predicted
distribution of the next character. ``--cell`` picks the recurrent module through
:func:`cell_class`, the one place that maps names to classes.
"""
from __future__ import annotations

import torch
from torch import nn

CELL_NAMES = ("lstm", "peephole", "coupled", "noforget", "gru")
"""tuple: the values of ``--cell``."""


def cell_class(name: str) -> type[nn.Module]:
    """The recurrent module for ``--cell name``: the one place that maps names to classes.

    All come from :mod:`lstm_ref.torch` (hand-written BPTT backward passes) and take
    ``torch.nn.LSTM``'s constructor and forward; ``lstm`` and ``gru`` have ``torch.nn``'s parameter
    names and initialisation, so their checkpoints also load into ``torch.nn.LSTM`` / ``GRU``.
    """
    if name not in CELL_NAMES:
        raise ValueError(f"unknown cell {name!r}; expected one of {', '.join(CELL_NAMES)}")
    import lstm_ref.torch as lt
    return {"lstm": lt.LSTM, "peephole": lt.PeepholeLSTM, "coupled": lt.CoupledLSTM,
            "noforget": lt.NoForgetLSTM, "gru": lt.GRU}[name]


def has_cell_state(name: str) -> bool:
    """True for the LSTM family (state ``(h, c)``), False for the GRU (state ``h``)."""
    return name != "gru"


class CharModel(nn.Module):
    """``forward(x, state) -> (logits, state)``; x: (B, T) int64 ids, logits: (B, T, K).

    ``state`` is a tuple of ``(layers, B, H)`` tensors: ``(h, c)`` for the LSTM family, ``(h,)``
    for the GRU; :meth:`initial_state` gives zeros.
    """

    def __init__(self, vocab_size: int, cell: str, hidden: int, layers: int, dropout: float):
        super().__init__()
        self.cell, self.hidden, self.layers = cell, hidden, layers
        self.embed = nn.Embedding(vocab_size, hidden)
        self.rnn = cell_class(cell)(hidden, hidden, num_layers=layers, batch_first=True,
                                    dropout=dropout if layers > 1 else 0.0)
        self.drop = nn.Dropout(dropout)
        self.out = nn.Linear(hidden, vocab_size)

    def initial_state(self, batch: int, device=None) -> tuple[torch.Tensor, ...]:
        """Zeros of shape (layers, batch, H), in the dtype of the parameters."""
        shape = (self.layers, batch, self.hidden)
        parts = 2 if has_cell_state(self.cell) else 1
        dtype = self.out.weight.dtype
        return tuple(torch.zeros(shape, device=device, dtype=dtype) for _ in range(parts))

    def forward(self, x: torch.Tensor, state: tuple[torch.Tensor, ...]):
        hx = state if has_cell_state(self.cell) else state[0]
        h, hx = self.rnn(self.embed(x), hx)
        state = tuple(hx) if has_cell_state(self.cell) else (hx,)
        return self.out(self.drop(h)), state
