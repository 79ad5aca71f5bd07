"""The shared driver: layers, directions, batch_first, unbatched input, dropout.

The idea: a module is its parameters (named exactly like ``torch.nn``'s) plus
one loop over layers and directions. Each (layer, direction) calls the cell's
``autograd.Function`` (:mod:`lstm_ref.torch.functions`) on a time-major,
contiguous sequence; the backward direction runs the same Function on the
time-reversed sequence. Everything here is ordinary differentiable torch
(transpose, flip, concatenation, dropout), so autograd connects the pieces.
"""
import math
import numbers

import torch
from torch import nn
from torch.nn import functional as F

from . import fused

__all__ = ["RecurrentModule"]


def _check_size(name, v):
    if isinstance(v, bool) or not isinstance(v, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {type(v).__name__} {v!r}")
    if v < 1:
        raise ValueError(f"{name} must be >= 1, got {v}")
    return int(v)


def _check_bool(name, v):
    if not isinstance(v, bool):
        raise TypeError(f"{name} must be a bool (True or False), got {type(v).__name__} {v!r}")
    return v


def _cast(t, dtype):
    """``t`` (a tensor, a tuple or list of them, or None) with its float32 and bfloat16 tensors
    converted to ``dtype`` (differentiably); anything else is returned as it is, for the checks."""
    if type(t) in (tuple, list):                 # hx = (h_0, c_0); not a PackedSequence
        return type(t)(_cast(s, dtype) for s in t)
    if isinstance(t, torch.Tensor) and t.dtype in (torch.float32, torch.bfloat16) and t.dtype != dtype:
        return t.to(dtype)
    return t


def _dtype_words(w, dtype):
    """How an error names the dtype expected: the module's, or the one autocast computes in."""
    if dtype == w.dtype:
        return f"the module's dtype {dtype}"
    return f"dtype {dtype} (what this {w.dtype} module computes in under torch.autocast)"


class RecurrentModule(nn.Module):
    """Base class of the modules; not used directly.

    Parameters are registered per layer ``k`` and direction (suffix ``""`` or
    ``"_reverse"``) as ``weight_ih_l{k}`` ``(G*H, D_k)``, ``weight_hh_l{k}``
    ``(G*H, H)``, ``bias_ih_l{k}``, ``bias_hh_l{k}`` ``(G*H,)`` (when ``bias``)
    and the cell's vectors (``weight_ci_l{k}``, ... ``(H,)``), with
    ``D_0 = input_size`` and ``D_k = num_directions * H`` above. Every
    parameter starts ``U(-1/sqrt(H), 1/sqrt(H))``, as in ``torch.nn``.
    """

    gates = ()                 # names of the G stacked blocks, storage order
    vectors = ()               # extra (H,) parameters of each layer
    has_cell_state = False     # state (h, c) instead of h
    numpy_cell = None          # name of the lstm_ref cell class with these equations

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, device=None, dtype=None, *, proj_size=0):
        super().__init__()
        name = type(self).__name__
        if proj_size != 0:
            raise ValueError(f"lstm_ref.torch.{name} has no projection: proj_size must be 0, "
                             f"got {proj_size!r}; use torch.nn.LSTM(proj_size=...) for that")
        self.input_size = _check_size("input_size", input_size)
        self.hidden_size = _check_size("hidden_size", hidden_size)
        self.num_layers = _check_size("num_layers", num_layers)
        self.bias = _check_bool("bias", bias)
        self.batch_first = _check_bool("batch_first", batch_first)
        self.bidirectional = _check_bool("bidirectional", bidirectional)
        if isinstance(dropout, bool) or not isinstance(dropout, numbers.Real):
            raise TypeError(f"dropout must be a number in [0, 1], got {type(dropout).__name__}")
        if not 0.0 <= dropout <= 1.0:
            raise ValueError(f"dropout must be in [0, 1], got {dropout}")
        self.dropout = float(dropout)
        dtype = torch.get_default_dtype() if dtype is None else dtype
        if dtype not in (torch.float32, torch.float64, torch.bfloat16):
            raise TypeError(f"dtype must be torch.float32, torch.float64 or torch.bfloat16 (on "
                            f"CUDA), got {dtype}")
        kw = {"device": device, "dtype": dtype}
        G, H = len(self.gates), self.hidden_size
        for k in range(self.num_layers):
            d_in = self.input_size if k == 0 else H * self.num_directions
            for sfx in self.suffixes(k):
                new = lambda *shape: nn.Parameter(torch.empty(*shape, **kw))   # noqa: E731
                self.register_parameter("weight_ih" + sfx, new(G * H, d_in))
                self.register_parameter("weight_hh" + sfx, new(G * H, H))
                if bias:
                    self.register_parameter("bias_ih" + sfx, new(G * H))
                    self.register_parameter("bias_hh" + sfx, new(G * H))
                for v in self.vectors:
                    self.register_parameter(v + sfx, new(H))
        self.reset_parameters()

    # ------------------------------------------------------------ parameters
    @property
    def num_directions(self):
        """int: 2 when bidirectional, else 1."""
        return 2 if self.bidirectional else 1

    def suffixes(self, layer):
        """Parameter-name suffixes of ``layer``: ``["_l0"]`` or ``["_l0", "_l0_reverse"]``."""
        return [f"_l{layer}", f"_l{layer}_reverse"][:self.num_directions]

    def layer_params(self, suffix):
        """The parameters of one (layer, direction), in the Function's order.

        Parameters
        ----------
        suffix : str
            ``"_l{k}"`` or ``"_l{k}_reverse"``.

        Returns
        -------
        list
            ``[weight_ih, weight_hh, bias_ih, bias_hh, *vectors]`` (biases None
            when ``bias=False``).
        """
        get = lambda n: getattr(self, n + suffix, None)             # noqa: E731
        return [get("weight_ih"), get("weight_hh"), get("bias_ih"), get("bias_hh")] + \
            [get(v) for v in self.vectors]

    def reset_parameters(self):
        """Draw every parameter from ``U(-1/sqrt(H), 1/sqrt(H))``, like ``torch.nn``."""
        k = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            nn.init.uniform_(p, -k, k)

    def flatten_parameters(self):
        """Do nothing (the parameters are used as they are); kept so that code written for
        ``torch.nn.LSTM``, which calls this to pack weights for cuDNN, runs unchanged."""

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        for name, default in (("num_layers", 1), ("bias", True), ("batch_first", False),
                              ("dropout", 0.0), ("bidirectional", False)):
            if getattr(self, name) != default:
                s += f", {name}={getattr(self, name)}"
        return s

    # ----------------------------------------------------------------- state
    def _check_input(self, x, dtype):
        name = type(self).__name__
        if isinstance(x, nn.utils.rnn.PackedSequence):
            raise TypeError(f"lstm_ref.torch.{name} does not take a PackedSequence; pass the "
                            "padded tensor instead (torch.nn.utils.rnn.pad_packed_sequence or "
                            "pad_sequence) and mask the steps past each sequence's length, "
                            "or use torch.nn for packed input")
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"input must be a torch.Tensor, got {type(x).__name__}")
        w = self.weight_ih_l0
        if x.dtype != dtype:
            raise TypeError(f"input must have {_dtype_words(w, dtype)}, got {x.dtype} "
                            "(convert one of them with .to(dtype))")
        if x.device != w.device:
            raise ValueError(f"input must be on the module's device {w.device}, got {x.device}")
        if dtype == torch.bfloat16 and not fused.enabled(w):
            why = (", and no Triton" if not fused.available() else
                   ", with lstm_ref.torch.fused.ENABLED = False" if not fused.ENABLED else "")
            raise TypeError(f"lstm_ref.torch.{name} computes bfloat16 only with its Triton kernels "
                            f"on a CUDA device (found {w.device}{why}); "
                            "use float32 on the CPU")
        if x.dim() not in (2, 3):
            raise ValueError(f"input must be 3-D (T, B, D) or (B, T, D) with batch_first, or "
                             f"2-D (T, D) unbatched, got a {x.dim()}-D tensor of shape "
                             f"{tuple(x.shape)}")
        if x.shape[-1] != self.input_size:
            raise ValueError(f"input must have {self.input_size} features in its last "
                             f"dimension (input_size), got shape {tuple(x.shape)}")
        if x.numel() == 0:
            raise ValueError(f"input must have at least one step and one sequence, got shape "
                             f"{tuple(x.shape)}")

    def _check_hx(self, hx, batch, unbatched, dtype):
        """Validate ``hx`` and return a list of ``(L*dirs, B, H)`` tensors (zeros for None)."""
        n = 2 if self.has_cell_state else 1
        LD, H = self.num_layers * self.num_directions, self.hidden_size
        w = self.weight_ih_l0
        if hx is None:
            return [torch.zeros(LD, batch, H, dtype=dtype, device=w.device) for _ in range(n)]
        kind = "a tuple (h_0, c_0) of two tensors" if n == 2 else "one tensor h_0"
        if (n == 2) != isinstance(hx, (tuple, list)) or (n == 2 and len(hx) != 2):
            got = (f"a {type(hx).__name__} of length {len(hx)}"
                   if isinstance(hx, (tuple, list)) else type(hx).__name__)
            raise TypeError(f"hx for {type(self).__name__} must be {kind}, got {got}")
        parts = list(hx) if n == 2 else [hx]
        names = ["h_0", "c_0"][:n]
        expected = (LD, H) if unbatched else (LD, batch, H)
        out = []
        for s, nm in zip(parts, names):
            if not isinstance(s, torch.Tensor):
                raise TypeError(f"{nm} must be a torch.Tensor, got {type(s).__name__}")
            if s.dtype != dtype:
                raise TypeError(f"{nm} must have {_dtype_words(w, dtype)}, got {s.dtype}")
            if s.device != w.device:
                raise ValueError(f"{nm} must be on the module's device {w.device}, got {s.device}")
            if tuple(s.shape) != expected:
                raise ValueError(f"{nm} must have shape {expected} (num_layers*num_directions, "
                                 f"{'' if unbatched else 'batch, '}hidden_size), got "
                                 f"{tuple(s.shape)}")
            out.append(s.unsqueeze(1) if unbatched else s)
        return out

    # --------------------------------------------------------------- forward
    function = None
    """The cell's ``torch.autograd.Function`` (each module class names its own)."""

    def function_options(self):
        """Arguments the Function takes after the parameters (the RNN's relu flag, the GRU's
        ``reset_after``); none for the LSTM family."""
        return ()

    def run_layer(self, x, state, params):
        """Run the cell's Function over one time-major sequence (one layer, one direction).

        Parameters
        ----------
        x : Tensor
            ``(T, B, D_k)``, contiguous.
        state : list
            ``[h0]`` or ``[h0, c0]``, each ``(B, H)``.
        params : list
            From :meth:`~lstm_ref.torch.layers.RecurrentModule.layer_params`.

        Returns
        -------
        tuple
            ``(y (T, B, H), [h_T] or [h_T, c_T])``.
        """
        y, *final = self.function.apply(x, *state, *params, *self.function_options())
        return y, final

    def forward(self, input, hx=None):
        """Run every layer and direction, as ``torch.nn.LSTM``/``GRU``/``RNN`` do.

        Parameters
        ----------
        input : Tensor
            ``(T, B, D)``, or ``(B, T, D)`` when ``batch_first``, or ``(T, D)``
            for one unbatched sequence. A ``PackedSequence`` raises ``TypeError``.
        hx : Tensor or tuple or None
            ``h_0`` (GRU, RNN) or ``(h_0, c_0)`` (LSTM family), each
            ``(num_layers*num_directions, B, H)`` (``(num_layers*num_directions, H)``
            unbatched); None means zeros.

        Returns
        -------
        tuple
            ``(output, h_n)`` or ``(output, (h_n, c_n))``: ``output`` is
            ``(T, B, num_directions*H)`` (batch-first or unbatched like the
            input), ``h_n`` and ``c_n`` like ``h_0``.
        """
        dtype = self.autocast_dtype()
        if dtype is None:
            return self._forward(input, hx, self.weight_ih_l0.dtype)
        with torch.autocast(self.weight_ih_l0.device.type, enabled=False):
            return self._forward(_cast(input, dtype), _cast(hx, dtype), dtype)

    def autocast_dtype(self):
        """The dtype the module computes in inside ``torch.autocast``; None outside it.

        Inside an enabled autocast region of the module's device, a float32 module computes in
        bfloat16 when autocast asks for bfloat16 and the Triton kernels run (on CUDA): the
        parameters are cast for the call (their gradients come back float32), and the input,
        the initial state and the outputs are bfloat16, the cell state accumulating in float32
        inside. Otherwise (float16, or no kernels, as on the CPU) it computes in float32, like
        the operations autocast keeps in float32; float32 or bfloat16 input is accepted either
        way. A float64 or bfloat16 module ignores autocast.
        """
        w = self.weight_ih_l0
        dev = w.device.type
        if (w.dtype != torch.float32 or not torch.amp.is_autocast_available(dev)
                or not torch.is_autocast_enabled(dev)):
            return None
        wanted = torch.get_autocast_dtype(dev)
        return wanted if wanted == torch.bfloat16 and fused.enabled(w) else torch.float32

    def _forward(self, input, hx, dtype):
        """:meth:`forward`, computing in ``dtype`` (the parameters are cast to it)."""
        self._check_input(input, dtype)
        unbatched = input.dim() == 2
        x = input.unsqueeze(1) if unbatched else (input.transpose(0, 1) if self.batch_first
                                                   else input)
        states = self._check_hx(hx, x.shape[1], unbatched, dtype)
        finals = [[] for _ in states]
        for k in range(self.num_layers):
            if k and self.dropout and self.training:
                x = F.dropout(x, self.dropout, training=True)
            outs = []
            for d, sfx in enumerate(self.suffixes(k)):
                j = k * self.num_directions + d
                seq = x if d == 0 else x.flip(0)
                params = [_cast(p, dtype) for p in self.layer_params(sfx)]
                y, last = self.run_layer(seq.contiguous(), [s[j] for s in states], params)
                outs.append(y if d == 0 else y.flip(0))
                for lst, s in zip(finals, last):
                    lst.append(s)
            x = outs[0] if len(outs) == 1 else torch.cat(outs, dim=2)
        finals = [torch.stack(f) for f in finals]
        if unbatched:
            x, finals = x.squeeze(1), [f.squeeze(1) for f in finals]
        elif self.batch_first:
            x = x.transpose(0, 1)
        return x, (tuple(finals) if self.has_cell_state else finals[0])

    # ------------------------------------------------------------ conversion
    @classmethod
    def from_numpy(cls, cell_or_stack, *, bias=True, batch_first=False, device=None):
        """Build a module holding copies of a numpy cell's (or Stack's) parameters.

        Parameters
        ----------
        cell_or_stack : lstm_ref.Cell or lstm_ref.Stack
            A cell of the matching class (``lstm_ref.LSTM`` for
            ``lstm_ref.torch.LSTM``, ...) or a Stack of them, one layer each;
            every layer must have the same hidden size. Same dtype as the cell.
        bias : bool, optional
            False builds a module without biases; the cell's biases must then
            be zero (``ValueError`` otherwise).
        batch_first : bool, optional
            Passed to the constructor.
        device : torch.device, optional
            Where the parameters live.

        Returns
        -------
        RecurrentModule
            A unidirectional module with ``num_layers = len(stack)``.
        """
        from .convert import module_from_numpy
        return module_from_numpy(cls, cell_or_stack, bias=bias, batch_first=batch_first,
                                 device=device)

    def to_numpy(self):
        """The numpy reference cell (one layer) or ``lstm_ref.Stack`` (several).

        Returns
        -------
        lstm_ref.Cell or lstm_ref.Stack
            Copies of the parameters in the module's dtype. ``bias=False``
            gives zero biases (ordinary parameters of the numpy cell;
            ``from_numpy(..., bias=False)`` turns them back into no biases).
            A bidirectional module raises ``ValueError`` (the reference is
            unidirectional).
        """
        from .convert import module_to_numpy
        return module_to_numpy(self)
