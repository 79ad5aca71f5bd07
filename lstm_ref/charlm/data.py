"""Characters as integers, and the training stream cut into stateful batches.

Truncated backpropagation through time over a *continuous* stream: the training text (``N``
characters) is laid out as ``B`` rows of ``L = N // B`` consecutive characters, row ``r`` starting at
character ``r·L``. Window ``k`` is the column block ``[k·T, (k+1)·T)`` of every row (inputs) and the
block one character later (targets). Consecutive windows continue each row where the previous one
stopped, so the recurrent state at the end of window ``k`` is the right initial state for window
``k + 1``: the trainer carries it over (detached, so gradients stop at the window boundary).

Data parallelism splits the **rows**: with ``W`` processes of rank ``r``, each one reads rows
``[r·B/W, (r+1)·B/W)`` of every window, a disjoint part of the same batch.
"""
from __future__ import annotations

import torch


class Vocabulary:
    """The sorted set of characters of a text; ``encode`` maps characters to ids 0..K-1."""

    def __init__(self, chars: str):
        if len(set(chars)) != len(chars) or list(chars) != sorted(chars):
            raise ValueError("a vocabulary is a string of distinct characters in sorted order")
        self.chars = chars
        self.index = {c: k for k, c in enumerate(chars)}

    @classmethod
    def of(cls, text: str) -> "Vocabulary":
        return cls("".join(sorted(set(text))))

    def __len__(self) -> int:
        return len(self.chars)

    def encode(self, text: str) -> torch.Tensor:
        """The ids of ``text`` as a 1-D int64 tensor (an unknown character is a ValueError)."""
        try:
            return torch.tensor([self.index[c] for c in text], dtype=torch.long)
        except KeyError as err:
            raise ValueError(f"character {err.args[0]!r} is not in the model's vocabulary "
                             f"of {len(self)} characters") from None

    def decode(self, ids) -> str:
        return "".join(self.chars[int(k)] for k in ids)


class StreamBatches:
    """Windows of ``seq_len`` characters from ``batch`` parallel rows of one id stream.

    ``window(k, rows)`` returns ``(x, y)`` of shape ``(len(rows), seq_len)``: inputs and next-
    character targets. ``len(self)`` is the number of windows in one pass over the stream.
    """

    def __init__(self, ids: torch.Tensor, batch: int, seq_len: int):
        row_len = len(ids) // batch
        if row_len < seq_len + 1:
            raise ValueError(f"the training text is too short for --batch {batch} --seq-len {seq_len}: "
                             f"each of the {batch} rows needs at least {seq_len + 1} characters, "
                             f"but {len(ids)} characters give {row_len}")
        self.rows = ids[: batch * row_len].view(batch, row_len)
        self.batch, self.seq_len = batch, seq_len

    def __len__(self) -> int:
        return (self.rows.shape[1] - 1) // self.seq_len

    def window(self, k: int, rows: slice = slice(None)) -> tuple[torch.Tensor, torch.Tensor]:
        start = k * self.seq_len
        part = self.rows[rows, start: start + self.seq_len + 1]
        return part[:, :-1], part[:, 1:]


def rank_rows(batch: int, rank: int, world_size: int) -> slice:
    """The rows of a batch that process ``rank`` of ``world_size`` reads (disjoint, equal parts)."""
    if batch % world_size:
        raise ValueError(f"--batch {batch} must be divisible by the number of processes ({world_size})")
    part = batch // world_size
    return slice(rank * part, (rank + 1) * part)
