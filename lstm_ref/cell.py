"""The base class every recurrent cell derives from.

The idea: a cell is *only* its equations. It owns its parameters (laid out and
initialised like PyTorch), says how many gate blocks ``G`` are stacked in
``weight_ih`` / ``weight_hh``, and implements one forward ``step`` and one
hand-derived ``step_backward``. Everything that is the same for all cells --
unrolling over time, BPTT, the weight-gradient matrix products, stacking
layers -- lives once in :mod:`lstm_ref.unroll`.

Conventions shared by all cells (``B`` batch, ``D`` input size, ``H`` hidden
size, ``G`` number of gate blocks):

* ``weight_ih`` is ``(G*H, D)``, ``weight_hh`` is ``(G*H, H)``, ``bias_ih`` and
  ``bias_hh`` are ``(G*H,)``; block ``k`` occupies rows ``k*H:(k+1)*H``.
* Inside the time loop the state is a tuple: ``(h,)`` or ``(h, c)``, each
  ``(B, H)``. The public API (``forward``/``backward``) uses ``h`` or ``(h, c)``.
* ``step`` receives ``xz``, the input projection ``W_ih x_t + b_ih`` (plus
  ``b_hh`` when ``fold_bias_hh`` is true), precomputed for all time steps with
  one matrix product.
* ``step``, ``step_backward`` and ``project`` take the parameters as a dict
  ``p``: :func:`lstm_ref.forward` passes read-only copies validated once per
  call (:meth:`Cell.checked_params`) and keeps them in the cache, so
  ``backward`` differentiates exactly the weights ``forward`` used. Called
  without ``p`` they use the live arrays (:meth:`Cell.params`).
"""
import numpy as np

from .checks import (as_float_array, check_dtype, check_finite, check_shape, check_size,
                     checked_params, describe, frozen_copy, store_params)

__all__ = ["Cell"]


def split(a, n):
    """Split the last axis of ``a`` into ``n`` equal gate blocks (views)."""
    H = a.shape[-1] // n
    return [a[..., k * H:(k + 1) * H] for k in range(n)]


class Cell:
    """Base class of the recurrent cells; not used directly.

    Parameters
    ----------
    input_size : int
        Size ``D`` of each input vector.
    hidden_size : int
        Size ``H`` of the hidden state.
    seed : int, optional
        Seed for ``numpy.random.default_rng``; every parameter is drawn from
        ``U(-1/sqrt(H), 1/sqrt(H))`` like PyTorch does.
    dtype : numpy dtype, optional
        ``numpy.float64`` (default) or ``numpy.float32``.

    Attributes
    ----------
    gates : tuple
        Names of the ``G`` stacked blocks, in storage order.
    has_cell_state : bool
        True when the state is ``(h, c)``, false when it is ``h``.
    vectors : tuple
        Names of extra ``(H,)`` parameters (peepholes).
    fold_bias_hh : bool
        True when ``bias_hh`` can be added once to the input projection.
    """

    gates = ()
    has_cell_state = False
    vectors = ()
    fold_bias_hh = True

    def __init__(self, input_size, hidden_size, *, seed=None, dtype=np.float64):
        input_size = check_size(input_size, "input_size")
        hidden_size = check_size(hidden_size, "hidden_size")
        dtype = check_dtype(dtype)
        self.input_size, self.hidden_size, self.dtype = input_size, hidden_size, dtype
        rng = np.random.default_rng(seed)
        k = 1.0 / np.sqrt(hidden_size)
        for name, shape in self.param_shapes().items():
            setattr(self, name, rng.uniform(-k, k, size=shape).astype(dtype))

    # ----------------------------------------------------------- parameters
    @property
    def num_gates(self):
        """int: number ``G`` of stacked gate blocks."""
        return len(self.gates)

    def param_shapes(self):
        """Shapes of the parameters, in ``state_dict`` order.

        Returns
        -------
        dict
            name -> shape tuple.
        """
        GH, D, H = self.num_gates * self.hidden_size, self.input_size, self.hidden_size
        shapes = {"weight_ih": (GH, D), "weight_hh": (GH, H), "bias_ih": (GH,), "bias_hh": (GH,)}
        shapes.update({v: (H,) for v in self.vectors})
        return shapes

    def params(self):
        """The live parameter arrays (optimizers update them in place).

        Returns
        -------
        dict
            name -> ndarray, the arrays stored on the cell (not copies).
        """
        return {name: getattr(self, name) for name in self.param_shapes()}

    def checked_params(self):
        """Validated read-only copies of the parameters (once per forward call).

        Returns
        -------
        dict
            name -> read-only copy of the live array.

        Raises
        ------
        TypeError
            When an attribute was replaced by something that is not a numpy
            array of the cell's dtype (a list, a float32 array in a float64
            cell, ...).
        ValueError
            When a parameter has the wrong shape (a ``(1,)`` bias would
            broadcast) or holds NaN or infinity.
        """
        return checked_params(self, self.param_shapes(), self.dtype)

    def state_dict(self):
        """Copies of the parameters, keyed like PyTorch's cell modules.

        Returns
        -------
        dict
            name -> ndarray copy.
        """
        return {name: a.copy() for name, a in self.params().items()}

    def load_state_dict(self, d):
        """Copy parameters from ``d`` into this cell, checking names and shapes.

        Parameters
        ----------
        d : dict
            name -> ndarray or torch tensor; torch's ``_l0`` suffixes
            (``weight_ih_l0``) are accepted. Missing, unexpected,
            mis-shaped or non-finite arrays raise ``ValueError``, and so
            does a name given twice (``weight_ih`` and ``weight_ih_l0``).
            Nothing is changed unless every array is valid. The arrays are
            copied before any is stored, so ``d`` may hold the cell's own
            arrays under other names (a swap of the two biases works).
        """
        store_params([(self, name, a) for name, a in self._checked_state_dict(d).items()])

    def _checked_state_dict(self, d):
        """The arrays of ``d`` validated and cast, ready to copy in (see load_state_dict)."""
        d = _strip_layer_suffix(d)
        shapes = self.param_shapes()
        missing = [n for n in shapes if n not in d]
        if missing:
            raise ValueError(f"state_dict for {type(self).__name__} is missing {missing}; "
                             f"expected keys {list(shapes)}, got {sorted(d)}")
        extra = sorted(n for n in d if n not in shapes)
        if extra:
            raise ValueError(f"state_dict for {type(self).__name__} has unexpected keys {extra}; "
                             f"expected keys {list(shapes)}")
        new = {}
        for name, shape in shapes.items():
            a = as_float_array(d[name], f"state_dict[{name!r}]", self.dtype)
            if a.shape != shape:
                raise ValueError(f"state_dict[{name!r}] must have shape {shape}, "
                                 f"got {tuple(a.shape)}")
            check_finite(a, f"state_dict[{name!r}]")
            new[name] = np.array(a, copy=True)  # d may alias live arrays (a swap): copy first
        return new

    @classmethod
    def from_state_dict(cls, d, **kwargs):
        """Build a cell whose sizes are read off ``d["weight_ih"]``.

        Parameters
        ----------
        d : dict
            name -> ndarray or torch tensor (``_l0`` suffixes accepted).
        **kwargs
            Extra constructor options (``nonlinearity`` for RNN,
            ``reset_after`` for GRU, ``dtype``).

        Returns
        -------
        Cell
            A new cell holding copies of the arrays.
        """
        d = _strip_layer_suffix(d)
        for key in ("weight_ih", "weight_hh"):
            if key not in d:
                raise ValueError(f"state_dict for {cls.__name__} is missing {key!r}; "
                                 f"got keys {sorted(d)}")
        w = as_float_array(d["weight_ih"], "state_dict['weight_ih']")
        G = len(cls.gates)
        if w.ndim != 2 or w.shape[0] % G:
            raise ValueError(f"state_dict['weight_ih'] must have shape (G*H, D) with "
                             f"G={G} for {cls.__name__}, got {tuple(w.shape)}")
        kwargs.setdefault("dtype", w.dtype if w.dtype == np.float32 else np.float64)
        cell = cls(w.shape[1], w.shape[0] // G, **kwargs)
        cell.load_state_dict(d)
        return cell

    @classmethod
    def from_torch(cls, module):
        """Build this cell from a PyTorch module (see :func:`lstm_ref.from_torch`).

        Parameters
        ----------
        module : torch.nn.Module
            A single-layer unidirectional ``nn.LSTM``/``nn.LSTMCell``,
            ``nn.GRU``/``nn.GRUCell`` or ``nn.RNN``/``nn.RNNCell`` (or a
            subclass); ``bias=False`` gives zero biases.

        Returns
        -------
        Cell
            A new cell of this class with the module's weights.
        """
        from .convert import torch_layers          # imports no cell: no import cycle
        kind, layers, options = torch_layers(module)
        if kind not in {k.__name__ for k in cls.__mro__}:
            raise ValueError(f"{type(module).__name__} converts to {kind}, "
                             f"not {cls.__name__}")
        if len(layers) != 1:
            raise ValueError(f"{type(module).__name__} has num_layers={len(layers)}; "
                             "expected num_layers=1; use lstm_ref.Stack.from_torch for several")
        return cls.from_state_dict(layers[0], **options)

    def __repr__(self):
        return (f"{type(self).__name__}(input_size={self.input_size}, "
                f"hidden_size={self.hidden_size}, dtype={self.dtype.name})")

    # ----------------------------------------------------------------- state
    def zero_state(self, batch_size):
        """A zero state for ``batch_size`` sequences, in the public form.

        Parameters
        ----------
        batch_size : int
            ``B``.

        Returns
        -------
        ndarray or tuple
            ``h`` of shape ``(B, H)``, or ``(h, c)`` for the LSTM family.

        Raises
        ------
        TypeError
            When ``batch_size`` is not an int; ``ValueError`` when it is below
            1 (:func:`lstm_ref.forward` refuses empty batches too).
        """
        return self.public_state(self._zeros(check_size(batch_size, "batch_size")))

    def _zeros(self, B):
        n = 2 if self.has_cell_state else 1
        return tuple(np.zeros((B, self.hidden_size), self.dtype) for _ in range(n))

    def public_state(self, state):
        """Turn the internal tuple state into ``h`` or ``(h, c)``.

        Parameters
        ----------
        state : tuple
            ``(h,)`` or ``(h, c)``.

        Returns
        -------
        ndarray or tuple
            ``h`` or ``(h, c)``.
        """
        return tuple(state) if self.has_cell_state else state[0]

    def check_state(self, state, batch_size, name="state"):
        """Validate a public state and return it as an internal tuple.

        Parameters
        ----------
        state : ndarray or tuple or None
            ``h`` (GRU, RNN) or ``(h, c)`` (LSTM family), each ``(B, H)``;
            None means zeros.
        batch_size : int
            ``B`` of the input sequence.
        name : str, optional
            Name used in error messages.

        Returns
        -------
        tuple
            ``(h,)`` or ``(h, c)`` as arrays of the cell's dtype.
        """
        if state is None:
            return self._zeros(batch_size)
        if self.has_cell_state:
            if not isinstance(state, (tuple, list)) or len(state) != 2:
                raise TypeError(f"{name} for {type(self).__name__} must be a tuple (h, c) of "
                                f"two (B, H) arrays, got {describe(state)}")
            parts, names = state, (f"{name}[0] (h)", f"{name}[1] (c)")
        else:
            if isinstance(state, (tuple, list)):
                raise TypeError(f"{name} for {type(self).__name__} must be a single (B, H) "
                                f"array h, got {describe(state)}")
            parts, names = (state,), (name,)
        out = []
        for a, n in zip(parts, names):
            a = as_float_array(a, n, self.dtype)
            check_shape(a, (None, self.hidden_size), n)
            if a.shape[0] != batch_size:
                raise ValueError(f"{n} has batch size {a.shape[0]} but x has batch size "
                                 f"{batch_size} (expected shape ({batch_size}, {self.hidden_size}))")
            check_finite(a, n)
            out.append(a)
        return tuple(out)

    # ------------------------------------------------------------ equations
    def project(self, x, p=None):
        """Input projection for every time step with one matrix product.

        Parameters
        ----------
        x : ndarray
            Inputs, ``(T, B, D)``.
        p : dict, optional
            The parameters to use (default: the live ones, :meth:`params`).

        Returns
        -------
        ndarray
            ``x W_ih^T + b_ih`` (``+ b_hh`` when ``fold_bias_hh``), ``(T, B, G*H)``.
        """
        p = self.params() if p is None else p
        T, B, D = x.shape
        xz = x.reshape(T * B, D) @ p["weight_ih"].T
        xz += p["bias_ih"] + p["bias_hh"] if self.fold_bias_hh else p["bias_ih"]
        return xz.reshape(T, B, -1)

    def step(self, xz, state, p=None):
        """One forward step (implemented by each cell).

        Parameters
        ----------
        xz : ndarray
            Input projection for this step, ``(B, G*H)``.
        state : tuple
            ``(h,)`` or ``(h, c)``, each ``(B, H)``.
        p : dict, optional
            The parameters to use (default: the live ones, :meth:`params`).

        Returns
        -------
        tuple
            ``(new_state, cache)``; ``new_state[0]`` is the output ``h``.
        """
        raise NotImplementedError

    def step_backward(self, d_state, cache, grads, p=None):
        """One backward step (implemented by each cell).

        Parameters
        ----------
        d_state : tuple
            Gradient of the loss w.r.t. the new state, ``(dh,)`` or ``(dh, dc)``.
        cache : tuple
            What ``step`` saved.
        grads : dict
            Accumulators for the ``(H,)`` vector parameters (peepholes).
        p : dict, optional
            The parameters ``step`` used (default: the live ones).

        Returns
        -------
        tuple
            ``(dxz, dhz, d_state_prev)``: gradients w.r.t. the input
            projection ``(B, G*H)``, w.r.t. the recurrent pre-activation whose
            weight is ``weight_hh`` ``(B, G*H)``, and w.r.t. the old state.
        """
        raise NotImplementedError

    def grad_weight_hh(self, dhz, h_prev, caches):
        """Gradient of ``weight_hh`` after the time loop, as one matrix product.

        Parameters
        ----------
        dhz : ndarray
            Recurrent pre-activation gradients of all steps, ``(T*B, G*H)``.
        h_prev : ndarray
            The states ``h_{t-1}`` that multiplied ``weight_hh``, ``(T*B, H)``.
        caches : list
            Per-step caches (used by cells whose ``weight_hh`` multiplies
            something other than ``h_{t-1}``).

        Returns
        -------
        ndarray
            ``dhz^T h_prev``, shape ``(G*H, H)``.
        """
        return dhz.T @ h_prev

    def cache_floats_per_step(self, batch_size):
        """Number of floats ``step`` keeps per time step (beyond ``x`` and ``h``).

        Parameters
        ----------
        batch_size : int
            ``B``.

        Returns
        -------
        int
            Floats held by one step's cache; every array counted once (a
            state that the next step's cache refers to again is counted in
            the step that made it).
        """
        raise NotImplementedError

    def gate_values(self, cache):
        """The gate activations saved in one step's cache, by name.

        Parameters
        ----------
        cache : tuple
            A per-step cache from :meth:`step`.

        Returns
        -------
        dict
            gate name -> ``(B, H)`` activations (for GRU also ``"n"``):
            read-only views of copies, so nothing done to them (not even
            setting the flag of their base) can change the cache.
        """
        return read_only_copies(dict(zip(self.gates, split(cache[0], self.num_gates))))


def read_only_copies(arrays):
    """name -> read-only view of a private copy, for arrays handed out of a cache."""
    return {k: frozen_copy(a).view() for k, a in arrays.items()}


def _strip_layer_suffix(d):
    if not isinstance(d, dict):
        raise TypeError(f"state_dict must be a dict of arrays, got {type(d).__name__}")
    out, given = {}, {}
    for key, value in d.items():
        name = key[:-3] if isinstance(key, str) and key.endswith("_l0") else key
        if name in out:
            raise ValueError(f"state_dict gives {name!r} twice, as {given[name]!r} and {key!r}; "
                             "keep one of them")
        out[name], given[name] = value, key
    return out
