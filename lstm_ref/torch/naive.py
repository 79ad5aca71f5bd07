"""The same equations as a plain per-step loop, differentiated by autograd.

The idea: the textbook way to write a recurrent cell in PyTorch -- one
function per step, built from ``torch`` operations, unrolled in a Python loop
-- with autograd recording a graph at every step and deriving the backward
pass itself. It is the baseline :mod:`lstm_ref.torch` is measured against
(``benchmarks/bench_torch.py``) and an independent check of its hand-written
backward for the cells ``torch.nn`` lacks. Like ``torch.nn``'s fastrnns
"custom LSTM" it projects the input inside each step.

Each step function takes ``x_t`` ``(B, D)``, the state ``(h,)`` or ``(h, c)``
and the parameters of one layer (``weight_ih``, ``weight_hh``, ``bias_ih``,
``bias_hh``, vectors) and returns the new state.
"""
import torch
from torch.nn import functional as F

__all__ = ["STEPS", "unroll"]


def _pre(x, h, p):
    return (F.linear(x, p["weight_ih"], p.get("bias_ih"))
            + F.linear(h, p["weight_hh"], p.get("bias_hh")))


def rnn_step(x, state, p, nonlinearity="tanh"):
    """``h_t = act(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)``."""
    a = _pre(x, state[0], p)
    return (torch.relu(a) if nonlinearity == "relu" else torch.tanh(a),)


def lstm_step(x, state, p):
    """``c_t = f c_{t-1} + i g``, ``h_t = o tanh(c_t)``."""
    h, c = state
    i, f, g, o = _pre(x, h, p).chunk(4, 1)
    c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
    return torch.sigmoid(o) * torch.tanh(c), c


def peephole_step(x, state, p):
    """Peepholes: ``i``, ``f`` see ``c_{t-1}``, ``o`` sees ``c_t``."""
    h, c = state
    i, f, g, o = _pre(x, h, p).chunk(4, 1)
    i = torch.sigmoid(i + p["weight_ci"] * c)
    f = torch.sigmoid(f + p["weight_cf"] * c)
    c = f * c + i * torch.tanh(g)
    o = torch.sigmoid(o + p["weight_co"] * c)
    return o * torch.tanh(c), c


def coupled_step(x, state, p):
    """``c_t = f c_{t-1} + (1 - f) g``."""
    h, c = state
    f, g, o = _pre(x, h, p).chunk(3, 1)
    f = torch.sigmoid(f)
    c = f * c + (1 - f) * torch.tanh(g)
    return torch.sigmoid(o) * torch.tanh(c), c


def noforget_step(x, state, p):
    """``c_t = c_{t-1} + i g``."""
    h, c = state
    i, g, o = _pre(x, h, p).chunk(3, 1)
    c = c + torch.sigmoid(i) * torch.tanh(g)
    return torch.sigmoid(o) * torch.tanh(c), c


def gru_step(x, state, p, reset_after=True):
    """``h_t = (1 - z) n + z h_{t-1}``, reset after (PyTorch) or before (Cho) the product."""
    h = state[0]
    H = h.shape[1]
    xr, xz, xn = F.linear(x, p["weight_ih"], p.get("bias_ih")).chunk(3, 1)
    w, b = p["weight_hh"], p.get("bias_hh")
    hr, hz = F.linear(h, w[:2 * H], None if b is None else b[:2 * H]).chunk(2, 1)
    r, z = torch.sigmoid(xr + hr), torch.sigmoid(xz + hz)
    bn = None if b is None else b[2 * H:]
    if reset_after:
        n = torch.tanh(xn + r * F.linear(h, w[2 * H:], bn))
    else:
        n = torch.tanh(xn + F.linear(r * h, w[2 * H:], bn))
    return ((1 - z) * n + z * h,)


STEPS = {"RNN": rnn_step, "LSTM": lstm_step, "PeepholeLSTM": peephole_step,
         "CoupledLSTM": coupled_step, "NoForgetLSTM": noforget_step, "GRU": gru_step}
"""dict: cell name -> step function."""


def unroll(module, x, hx=None):
    """Run a unidirectional ``lstm_ref.torch`` module's equations step by step with autograd.

    Parameters
    ----------
    module : RecurrentModule
        Any of the six, ``bidirectional=False``, ``batch_first=False``; its
        parameters are used directly (gradients flow into them). Dropout is
        not applied.
    x : Tensor
        ``(T, B, D)``.
    hx : Tensor or tuple or None
        As for the module: ``(num_layers, B, H)`` per state part.

    Returns
    -------
    tuple
        What the module returns: ``(output, h_n)`` or ``(output, (h_n, c_n))``.
    """
    if module.bidirectional or module.batch_first:
        raise ValueError("unroll takes a unidirectional, time-major module "
                         "(expected bidirectional=False, batch_first=False)")
    name = type(module).__name__
    step, kw = STEPS[name], {}
    if name == "RNN":
        kw["nonlinearity"] = module.nonlinearity
    if name == "GRU":
        kw["reset_after"] = module.reset_after
    n = 2 if module.has_cell_state else 1
    L, B, H = module.num_layers, x.shape[1], module.hidden_size
    if hx is None:
        hx = tuple(x.new_zeros(L, B, H) for _ in range(n))
    elif n == 1:
        hx = (hx,)
    finals = []
    for k in range(L):
        p = {name: getattr(module, name + f"_l{k}")
             for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh") + module.vectors
             if hasattr(module, name + f"_l{k}")}
        state, ys = tuple(s[k] for s in hx), []
        for t in range(x.shape[0]):
            state = step(x[t], state, p, **kw)
            ys.append(state[0])
        x = torch.stack(ys)
        finals.append(state)
    parts = tuple(torch.stack([f[j] for f in finals]) for j in range(n))
    return x, (parts if n == 2 else parts[0])
