"""A sequence classifier: recurrent cell (or Stack) + Linear head + softmax CE.

The idea: the five-line training loop of the book::

    model = lstm_ref.SequenceModel(lstm_ref.LSTM(D, H, seed=0), lstm_ref.Linear(H, K, seed=1))
    opt = lstm_ref.Adam(model.params(), lr=1e-2)
    for step in range(n_steps):
        loss, g = model.loss_and_grads(x, y)
        lstm_ref.clip_grad_norm(g, 1.0)
        opt.step(g)
"""
import numpy as np

from .cell import Cell
from .checks import check_no_shared_arrays, describe, store_params
from .output import Linear, softmax_cross_entropy
from .unroll import Stack, backward, forward

__all__ = ["SequenceModel"]


class SequenceModel:
    """Recurrent cell followed by a Linear layer applied at every time step.

    Parameters
    ----------
    cell : Cell or Stack
        The recurrent part (a list of cells is turned into a Stack).
    head : Linear
        Maps each hidden state ``(H,)`` to ``K`` logits.

    Examples
    --------
    >>> import numpy as np, lstm_ref
    >>> model = lstm_ref.SequenceModel(lstm_ref.LSTM(3, 8, seed=0), lstm_ref.Linear(8, 2, seed=1))
    >>> x, y = np.random.default_rng(0).normal(size=(5, 4, 3)), np.zeros((5, 4), dtype=int)
    >>> opt = lstm_ref.Adam(model.params(), lr=1e-2)
    >>> loss, g = model.loss_and_grads(x, y)
    >>> norm = lstm_ref.clip_grad_norm(g, 1.0)
    >>> opt.step(g)
    """

    def __init__(self, cell, head):
        if isinstance(cell, (list, tuple)):
            cell = Stack(cell)
        if not isinstance(cell, (Cell, Stack)):
            raise TypeError("cell must be an lstm_ref cell, a Stack or a list of cells, "
                            f"got {describe(cell)}")
        if not isinstance(head, Linear):
            raise TypeError(f"head must be an lstm_ref.Linear, got {describe(head)}")
        if head.dtype != cell.dtype:
            raise TypeError(f"head has dtype {head.dtype} but the cell has {cell.dtype}; "
                            "they must match")
        if head.in_features != cell.hidden_size:
            raise ValueError(f"head.in_features ({head.in_features}) must equal the cell's "
                             f"hidden_size ({cell.hidden_size})")
        self.cell, self.head = cell, head
        check_no_shared_arrays(self.params(), "SequenceModel")

    def __repr__(self):
        return f"SequenceModel({self.cell!r}, {self.head!r})"

    def params(self):
        """Live parameter arrays, keys prefixed ``"cell."`` and ``"head."``.

        Returns
        -------
        dict
            name -> ndarray (the arrays optimizers update in place).
        """
        p = {f"cell.{k}": v for k, v in self.cell.params().items()}
        p.update({f"head.{k}": v for k, v in self.head.params().items()})
        return p

    def state_dict(self):
        """Copies of :meth:`params`.

        Returns
        -------
        dict
            name -> ndarray copy.
        """
        return {k: v.copy() for k, v in self.params().items()}

    def load_state_dict(self, d):
        """Load ``"cell.<name>"`` and ``"head.<name>"`` arrays, as :meth:`state_dict` gives them.

        Parameters
        ----------
        d : dict
            name -> ndarray or torch tensor. Keys outside ``"cell."`` and
            ``"head."`` raise ``ValueError``, like missing, mis-shaped or
            non-finite arrays; nothing is changed unless every array is valid.
        """
        if not isinstance(d, dict):
            raise TypeError(f"state_dict must be a dict of arrays, got {describe(d)}")
        extra = sorted((k for k in d if not (isinstance(k, str)
                                             and k.startswith(("cell.", "head.")))), key=str)
        if extra:
            raise ValueError(f"state_dict for SequenceModel has unexpected keys {extra}; "
                             "expected keys like 'cell.weight_ih' and 'head.weight'")
        parts = {part: {k[len(part) + 1:]: v for k, v in d.items() if k.startswith(part + ".")}
                 for part in ("cell", "head")}
        new_cell = self.cell._checked_state_dict(parts["cell"])
        new_head = self.head._checked_state_dict(parts["head"])
        layers = new_cell if isinstance(self.cell, Stack) else [new_cell]
        cells = self.cell.cells if isinstance(self.cell, Stack) else [self.cell]
        store_params([(owner, name, a)
                      for owner, arrays in (*zip(cells, layers), (self.head, new_head))
                      for name, a in arrays.items()])

    def forward(self, x, state=None):
        """Logits for every time step.

        Parameters
        ----------
        x : ndarray
            ``(T, B, D)``.
        state : ndarray or tuple or list or None, optional
            Initial state of the cell (None = zeros).

        Returns
        -------
        logits : ndarray
            ``(T, B, K)``.
        cache : tuple
            ``(cell_cache, head_cache, final_state)``.
        """
        h, final_state, cell_cache = forward(self.cell, x, state)
        logits, head_cache = self.head.forward(h)
        return logits, (cell_cache, head_cache, final_state)

    def backward(self, cache, d_logits):
        """Gradients of all parameters given the gradient of the logits.

        Parameters
        ----------
        cache : tuple
            From :meth:`forward`.
        d_logits : ndarray
            ``(T, B, K)``.

        Returns
        -------
        grads : dict
            Keyed like :meth:`params`.
        dx : ndarray
            ``(T, B, D)``.
        """
        if not isinstance(cache, tuple) or len(cache) != 3:
            raise TypeError("cache must be the tuple (cell_cache, head_cache, final_state) "
                            f"that SequenceModel.forward returned, got {describe(cache)}")
        cell_cache, head_cache, _ = cache
        head_grads, dh = self.head.backward(head_cache, d_logits)
        cell_grads, dx, _ = backward(self.cell, cell_cache, dh)
        grads = {f"cell.{k}": v for k, v in cell_grads.items()}
        grads.update({f"head.{k}": v for k, v in head_grads.items()})
        return grads, dx

    def loss_and_grads(self, x, targets, ignore_index=-100, state=None):
        """Loss (summed over time, averaged over the batch) and its gradients.

        Parameters
        ----------
        x : ndarray
            ``(T, B, D)``.
        targets : ndarray
            Integer classes ``(T, B)``; ``ignore_index`` entries are skipped
            (set all but the last step to it to score only the last step).
        ignore_index : int, optional
            Default -100.
        state : ndarray or tuple or list or None, optional
            Initial state (None = zeros).

        Returns
        -------
        loss : float
            See :func:`lstm_ref.softmax_cross_entropy`.
        grads : dict
            Keyed like :meth:`params`.
        """
        logits, cache = self.forward(x, state)
        loss, d_logits = softmax_cross_entropy(logits, targets, ignore_index)
        grads, _ = self.backward(cache, d_logits)
        return loss, grads

    def predict(self, x, state=None):
        """Most likely class at every time step.

        Parameters
        ----------
        x : ndarray
            ``(T, B, D)``.
        state : ndarray or tuple or list or None, optional
            Initial state (None = zeros).

        Returns
        -------
        ndarray
            Integer classes, ``(T, B)``.
        """
        logits, _ = self.forward(x, state)
        return np.argmax(logits, axis=-1)
