r"""One ``torch.autograd.Function`` per cell: a whole sequence, one layer, one direction.

The idea: the same equations and the same hand-derived BPTT as the numpy
reference (``lstm_ref/lstm.py``, ``lstm_ref/gru.py``, ...), arranged so that
as little work as possible sits inside the time loop.

Forward, for inputs ``x`` ``(T, B, D)`` and ``G`` gate blocks of size ``H``:

1. the input projection of all ``T`` steps is ONE matrix product,
   ``xz = x W_ih^T + b`` ``(T, B, G*H)``;
2. each step is one ``addmm`` (``a_t = xz_t + h_{t-1} W_hh^T``) and a few
   vectorised pointwise operations writing into preallocated ``(T, B, .)``
   buffers (the gates, ``c_t``, ``tanh(c_t)``, the outputs);
3. no autograd graph is recorded inside the loop: the Function saves the
   buffers and ``backward`` runs the hand-written BPTT.

Backward:

1. every factor of ``δa_t`` that does not depend on the gradient flowing
   back (``g_t i_t(1-i_t)``, ``tanh(c_t) o_t(1-o_t)``, ...) is computed for
   all ``T`` steps at once, before the loop;
2. each step is then one ``addmm`` (``δh_t = dY_t + δa_{t+1} W_hh``) and a
   handful of multiplications that fill ``δa_t`` in a ``(T, B, G*H)``
   buffer;
3. after the loop the weight gradients are one matrix product each:
   ``δW_ih = Σ_t δa_t^T x_t``, ``δW_hh = Σ_t δa_t^T h_{t-1}``, the biases
   are sums, and ``δx = δa W_ih``.

On CUDA, when Triton is installed, the pointwise work of each step (forward and backward) is
one Triton kernel (:mod:`lstm_ref.torch.fused`; two for Cho's GRU, none for the RNN) instead of a
handful of torch operations, and the backward factors are computed inside that kernel rather
than before the loop; on the CPU it is the plain torch operations below. The kernels have been
checked only in Triton's interpreter on the CPU, not run on a GPU.
Double backward is not supported: every backward is wrapped by ``first_order``, which
raises when autograd asks for a differentiable gradient (``create_graph=True``).
"""
import functools
import threading

import torch
from torch.autograd.function import once_differentiable

from . import fused

__all__ = ["RNNFunction", "LSTMFunction", "PeepholeLSTMFunction", "CoupledLSTMFunction",
           "NoForgetLSTMFunction", "GRUFunction"]


# ----------------------------------------------------------- shared pieces

def first_order(backward):
    """Mark a hand-written ``backward`` as differentiable once, and say so when asked twice.

    ``once_differentiable`` alone raises on a second derivative only when the incoming gradient
    itself requires grad; with a constant one (``y.sum()``) the returned gradient would silently
    be a constant and a gradient penalty built on it would lose its second-order term. Autograd
    runs a backward with grad mode on exactly when ``create_graph=True``: that is refused here.

    The backward runs with autocast off, as the modules run the forward: called inside a
    ``torch.autocast`` region, its matrix products would otherwise be recast to a lower precision.
    """
    inner = once_differentiable(backward)

    @functools.wraps(backward)
    def wrapper(ctx, *grads):
        if torch.is_grad_enabled():
            raise RuntimeError(
                "lstm_ref.torch's hand-written backward passes are first-order only: "
                "create_graph=True (a second derivative, e.g. a gradient penalty) is not supported; "
                "use torch.nn.LSTM/GRU/RNN for that")
        device = next(g.device.type for g in grads if g is not None)
        if not torch.amp.is_autocast_available(device):       # e.g. the meta device
            return inner(ctx, *grads)
        with torch.autocast(device, enabled=False):
            return inner(ctx, *grads)
    return wrapper

def project(x, w_ih, bias):
    """Input projection of every step with one matrix product.

    Parameters
    ----------
    x : Tensor
        ``(T, B, D)``, contiguous.
    w_ih : Tensor
        ``(G*H, D)``.
    bias : Tensor or None
        ``(G*H,)`` added to every row.

    Returns
    -------
    Tensor
        ``x W_ih^T + bias``, ``(T, B, G*H)``.
    """
    T, B, D = x.shape
    x2 = x.reshape(T * B, D)
    xz = torch.mm(x2, w_ih.t()) if bias is None else torch.addmm(bias, x2, w_ih.t())
    return xz.view(T, B, -1)


def h_prev_of(h0, y, ws):
    """The states ``h_0 .. h_{T-1}`` that multiplied ``W_hh``, ``(T, B, H)``, in the workspace."""
    out = ws.take(*y.shape)
    out[0] = h0
    out[1:] = y[:-1]
    return out


def weight_grads(need, dxz, dhz, x, h_prev, w_ih, n_first):
    """Gradients of ``x``, ``W_ih``, ``W_hh`` and the biases after the loop.

    Parameters
    ----------
    need : tuple
        The Function's ``ctx.needs_input_grad`` (unneeded products are skipped).
    dxz, dhz : Tensor
        ``δ`` of the input projection and of the recurrent product, ``(T, B, G*H)``
        (the same tensor for every cell but the GRU).
    x : Tensor
        ``(T, B, D)``.
    h_prev : Tensor
        ``(T, B, H)``, what ``W_hh`` multiplied (for Cho's GRU, rows of block n
        are handled by the caller).
    w_ih : Tensor
        ``(G*H, D)``.
    n_first : int
        Position of ``x`` in the Function's inputs (``w_ih``, ``w_hh``,
        ``b_ih``, ``b_hh`` follow after the states).

    Returns
    -------
    tuple
        ``(dx, dW_ih, dW_hh, db_ih, db_hh)``, None where not needed.
    """
    T, B, D = x.shape
    k = n_first
    dxz2, dhz2 = dxz.view(T * B, -1), dhz.view(T * B, -1)
    dx = torch.mm(dxz2, w_ih).view(T, B, D) if need[0] else None
    dw_ih = torch.mm(dxz2.t(), x.reshape(T * B, D)) if need[k] else None
    dw_hh = torch.mm(dhz2.t(), h_prev.reshape(T * B, -1)) if need[k + 1] else None
    db_ih = dxz2.sum(0) if need[k + 2] else None
    db_hh = None
    if need[k + 3]:
        db_hh = dhz2.sum(0) if dhz is not dxz or db_ih is None else db_ih.clone()
    return dx, dw_ih, dw_hh, db_ih, db_hh


def folded_bias(b_ih, b_hh):
    """``b_ih + b_hh`` (both added once to the input projection), or None."""
    return None if b_ih is None else b_ih + b_hh


class Workspace:
    """Memory for a backward pass's temporaries (the factors, ``δa``, ``h_{t-1}``), carved in order.

    On the CPU the memory is one flat buffer kept per thread and dtype and reused by the next
    backward pass: freshly allocated large arrays are handed out by the operating system page by
    page, and touching those pages again on every call costs as much as the arithmetic at the
    sizes of the benchmark. Nothing a backward pass returns is a view of the workspace. Buffers
    above ``MAX_CACHED`` elements are not kept; on CUDA, PyTorch's caching allocator already reuses
    memory, so every request is a plain ``torch.empty``.

    Parameters
    ----------
    like : Tensor
        Gives the dtype and device.
    numel : int
        Total number of elements the backward pass will take.
    """

    MAX_CACHED = 1 << 24
    _local = threading.local()

    def __init__(self, like, numel):
        kw = {"dtype": like.dtype, "device": like.device}
        if like.device.type != "cpu" or numel > self.MAX_CACHED:
            self.buf = torch.empty(numel, **kw)
        else:
            cache = self._local.__dict__.setdefault("buffers", {})
            buf = cache.get(like.dtype)
            if buf is None or buf.numel() < numel:
                buf = cache[like.dtype] = torch.empty(numel, **kw)
            self.buf = buf
        self.used = 0

    def take(self, *shape):
        """The next ``shape`` worth of the buffer, as a contiguous tensor (uninitialised)."""
        n = 1
        for d in shape:
            n *= d
        out = self.buf[self.used:self.used + n].view(*shape)
        self.used += n
        return out


# --------------------------------------------------------------------- RNN
class RNNFunction(torch.autograd.Function):
    r"""Elman RNN over a sequence: ``h_t = act(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)``.

    ``apply(x, h0, w_ih, w_hh, b_ih, b_hh, relu)`` with ``x`` ``(T, B, D)``,
    ``h0`` ``(B, H)``, biases ``(H,)`` or None, ``relu`` a bool (False: tanh).
    Returns ``(y (T, B, H), h_T (B, H))``.

    Backward: ``δa_t = δh_t act'(a_t)`` with ``act' = 1 - h_t^2`` (tanh) or
    ``[h_t > 0]`` (relu); ``δh_{t-1} = δa_t W_hh``.
    """

    @staticmethod
    def forward(ctx, x, h0, w_ih, w_hh, b_ih, b_hh, relu):
        T, B, _ = x.shape
        xz = project(x, w_ih, folded_bias(b_ih, b_hh)).unbind(0)
        y = torch.empty(T, B, w_hh.shape[1], dtype=x.dtype, device=x.device)
        ys = y.unbind(0)
        h, w_hh_t = h0, w_hh.t()
        for t in range(T):
            a = xz[t].addmm_(h, w_hh_t)                          # a_t
            h = torch.clamp(a, min=0.0, out=ys[t]) if relu else torch.tanh(a, out=ys[t])
        ctx.relu = relu
        ctx.save_for_backward(x, h0, w_ih, w_hh, y)
        return y, y[-1].clone()

    @staticmethod
    @first_order
    def backward(ctx, dy, dh_T):
        x, h0, w_ih, w_hh, y = ctx.saved_tensors
        T = x.shape[0]
        ws = Workspace(y, 3 * y.numel())
        act_grad = ws.take(*y.shape)                      # act'(a_t), all T at once
        if ctx.relu:
            torch.gt(y, 0, out=act_grad)
        else:
            torch.mul(y, y, out=act_grad).neg_().add_(1.0)
        dz = ws.take(*y.shape)
        dzs, dys, gs = dz.unbind(0), dy.unbind(0), act_grad.unbind(0)
        dh = dh_T + dys[T - 1]
        for t in range(T - 1, -1, -1):
            if t < T - 1:
                dh = torch.addmm(dys[t], dzs[t + 1], w_hh)        # δh_t = dY_t + δa_{t+1} W_hh
            torch.mul(dh, gs[t], out=dzs[t])                     # δa_t = δh_t act'(a_t)
        dh0 = torch.mm(dz[0], w_hh)
        h_prev = h_prev_of(h0, y, ws)
        dx, dw_ih, dw_hh, db_ih, db_hh = weight_grads(ctx.needs_input_grad, dz, dz, x, h_prev,
                                                      w_ih, 2)
        return dx, dh0, dw_ih, dw_hh, db_ih, db_hh, None


# -------------------------------------------------------------------- LSTM
def _lstm_like_backward_loop(ws, dy, dh_T, dc_T, w_hh, k_c, k_o, m, f, G, H, w_co=None,
                             w_cif=None):
    """The BPTT loop shared by the LSTM family (equations in each Function's docstring).

    ``k_c``, ``k_o`` ``(T, B, H)`` and ``m`` ``(T, B, n*H)`` hold the factors of
    every step, computed before the loop; ``m`` covers the first ``n`` gate
    blocks and ``k_o`` the last (the output gate). Returns ``(δa, δc_0)``.
    """
    T, B, _ = dy.shape
    n = m.shape[2] // H
    da = ws.take(T, B, G * H)
    da_t, dys = da.unbind(0), dy.unbind(0)
    da_o = da[:, :, (G - 1) * H:].unbind(0)
    da_m = da[:, :, :n * H].view(T, B, n, H).unbind(0)
    m_t, k_ct, k_ot = m.view(T, B, n, H).unbind(0), k_c.unbind(0), k_o.unbind(0)
    f_t = None if f is None else f.unbind(0)
    da_if = None if w_cif is None else da[:, :, :2 * H].view(T, B, 2, H).unbind(0)
    dc, dh = dc_T, dh_T + dys[T - 1]
    for t in range(T - 1, -1, -1):
        if t < T - 1:
            dh = torch.addmm(dys[t], da_t[t + 1], w_hh)                 # δh_t
        torch.mul(dh, k_ot[t], out=da_o[t])                             # δa^o_t
        dc = torch.addcmul(dc, dh, k_ct[t])                             # δc_t
        if w_co is not None:
            dc.addcmul_(da_o[t], w_co)                                  # + δa^o_t w_co
        torch.mul(dc.unsqueeze(1), m_t[t], out=da_m[t])                 # other blocks
        if w_cif is not None:                                           # carry, peephole
            dc = torch.addcmul(dc * f_t[t], da_if[t][:, 0], w_cif[0]).addcmul_(
                da_if[t][:, 1], w_cif[1])
        elif f_t is not None:
            dc = dc * f_t[t]                                            # carry δc_t f_t
    return da, dc


def _lstm_like_factors(ws, o, tc):
    """``k_c = o (1 - tanh^2 c)`` and ``k_o = tanh(c) o(1-o)`` for all steps, in the workspace."""
    k_c, k_o = ws.take(*tc.shape), ws.take(*tc.shape)
    torch.mul(tc, tc, out=k_c).neg_().add_(1.0).mul_(o)
    torch.mul(o, o, out=k_o).neg_().add_(o).mul_(tc)
    return k_c, k_o


def _sig_grad_into(out, s):
    """``out = s (1 - s)`` for sigmoid outputs ``s``."""
    return torch.mul(s, s, out=out).neg_().add_(s)


def _tanh_grad_into(out, v):
    """``out = 1 - v^2`` for tanh outputs ``v``."""
    return torch.mul(v, v, out=out).neg_().add_(1.0)


def _times_c_prev(out, c0, c):
    """``out_t *= c_{t-1}`` for every step (``c_0`` first)."""
    out[0].mul_(c0)
    out[1:].mul_(c[:-1])
    return out


def _lstm_backward(ctx, ws, dy, dh_T, dc_T, x, h0, c0, w_ih, w_hh, gates, c, tc, y, names,
                   w_co=None, w_cif=None):
    """The backward pass of an LSTM-family Function, given its gates by name.

    Fills the factors ``m`` of the blocks other than ``o`` (see each Function), runs the
    shared loop, and returns ``(dx, dh0, dc0, dW_ih, dW_hh, db_ih, db_hh, δa)``.
    """
    T, B, H = tc.shape
    if fused.enabled(y):                           # factors and loop step in one kernel per step
        kind = {"fgo": fused.COUPLED, "igo": fused.NOFORGET}.get(
            names, fused.LSTM if w_co is None else fused.PEEPHOLE)
        peep = None if w_co is None else (w_cif[0], w_cif[1], w_co)
        da, dc = fused.lstm_backward_loop(kind, ws, dy, dh_T, dc_T, w_hh, gates, c0, c, tc, peep)
        return _lstm_backward_tail(ctx, ws, x, h0, w_ih, w_hh, y, da, dc)
    blocks = dict(zip(names, gates.split(H, dim=2)))
    i, f, g, o = (blocks.get(k) for k in "ifgo")
    k_c, k_o = _lstm_like_factors(ws, o, tc)
    m = ws.take(T, B, (len(names) - 1) * H)
    ms = dict(zip(names[:-1], m.split(H, dim=2)))
    if names == "ifgo":                            # LSTM, peephole LSTM
        _sig_grad_into(ms["i"], i).mul_(g)                       # g i(1-i)
        _times_c_prev(_sig_grad_into(ms["f"], f), c0, c)         # c_{t-1} f(1-f)
        _tanh_grad_into(ms["g"], g).mul_(i)                      # i (1-g^2)
    elif names == "fgo":                           # coupled: i = 1 - f
        m_f = ms["f"]
        torch.sub(c0, g[0], out=m_f[0])
        torch.sub(c[:-1], g[1:], out=m_f[1:])                    # c_{t-1} - g
        m_f.mul_(f).addcmul_(m_f, f, value=-1.0)                 # (c_{t-1} - g) f(1-f)
        _tanh_grad_into(ms["g"], g).addcmul_(ms["g"], f, value=-1.0)   # (1-f)(1-g^2)
    else:                                          # no forget gate: "igo"
        _sig_grad_into(ms["i"], i).mul_(g)
        _tanh_grad_into(ms["g"], g).mul_(i)
    da, dc = _lstm_like_backward_loop(ws, dy, dh_T, dc_T, w_hh, k_c, k_o, m, f, len(names), H,
                                      w_co=w_co, w_cif=w_cif)
    return _lstm_backward_tail(ctx, ws, x, h0, w_ih, w_hh, y, da, dc)


def _lstm_backward_tail(ctx, ws, x, h0, w_ih, w_hh, y, da, dc):
    """After the loop: ``δh_0 = δa_1 W_hh`` and the weight gradients (see :func:`weight_grads`)."""
    dh0 = torch.mm(da[0], w_hh)
    grads = weight_grads(ctx.needs_input_grad, da, da, x, h_prev_of(h0, y, ws), w_ih, 3)
    dx, dw_ih, dw_hh, db_ih, db_hh = grads
    return dx, dh0, dc, dw_ih, dw_hh, db_ih, db_hh, da


def _buffers(x, T, B, H):
    """Preallocated ``c``, ``tanh(c)`` and ``y``, each ``(T, B, H)``; ``c`` is float32 for
    bfloat16 data (the cell state accumulates over the steps)."""
    c = torch.empty(T, B, H, dtype=fused.state_dtype(x.dtype), device=x.device)
    return (c, *(torch.empty(T, B, H, dtype=x.dtype, device=x.device) for _ in range(2)))


def _blocks(gates, H):
    """Per-step views of every gate block: a list (one per block) of ``T`` ``(B, H)`` views."""
    return [b.unbind(0) for b in gates.split(H, dim=2)]


def _lstm_family_forward(x, h0, c0, w_ih, w_hh, b_ih, b_hh, kind, cell_step, peep=None):
    """The forward loop shared by the LSTM family.

    Each step: ``a_t = xz_t + h_{t-1} W_hh^T`` (one ``addmm`` into the step's rows of the
    projection), then the cell's own equations, then ``h_t = o tanh(c_t)``. On the CPU the cell's
    equations are ``step = cell_step(gates, H)``, called as ``step(t, c_prev, c_t)``: it turns the
    pre-activations of step ``t`` into the gates in place and writes ``c_t``. Where the Triton
    kernels run, one kernel of ``kind`` does all the pointwise work of the step instead.

    Returns
    -------
    tuple
        ``(gates, c, tanh(c), y)``, each ``(T, B, .)``.
    """
    T, B, _ = x.shape
    H = w_hh.shape[1]
    gates = project(x, w_ih, folded_bias(b_ih, b_hh))           # x_t W_ih^T + b, then a_t, then gates
    c, tc, y = _buffers(x, T, B, H)
    gs, cs, tcs, ys = gates.unbind(0), c.unbind(0), tc.unbind(0), y.unbind(0)
    o = gates[..., gates.shape[2] - H:].unbind(0)
    step = cell_step(gates, H)
    h, c_prev, w_hh_t, fuse = h0, c0, w_hh.t(), fused.enabled(x)
    for t in range(T):
        gs[t].addmm_(h, w_hh_t)                                 # a_t = xz_t + h_{t-1} W_hh^T
        if fuse:                                                # all of the below, one kernel
            h = fused.lstm_forward_step(kind, gs[t], c_prev, cs[t], tcs[t], ys[t], peep)
        else:
            step(t, c_prev, cs[t])
            torch.tanh(cs[t], out=tcs[t])
            h = torch.mul(o[t], tcs[t], out=ys[t])              # h_t = o tanh(c_t)
        c_prev = cs[t]
    return gates, c, tc, y


class LSTMFunction(torch.autograd.Function):
    r"""LSTM over a sequence, gate blocks (i, f, g, o) as in ``torch.nn.LSTM``.

    ``apply(x, h0, c0, w_ih, w_hh, b_ih, b_hh)``; biases may be None.
    Returns ``(y (T, B, H), h_T, c_T)``.

    Forward step: ``a_t = xz_t + h_{t-1} W_hh^T``; ``i, f, o = σ(a^i, a^f, a^o)``,
    ``g = tanh(a^g)``; ``c_t = f c_{t-1} + i g``; ``h_t = o tanh(c_t)``.

    Backward step, with the factors computed for all ``t`` before the loop:
    ``δh_t = dY_t + δa_{t+1} W_hh``;
    ``δa^o_t = δh_t · tanh(c_t) o(1-o)``;
    ``δc_t = δc_{t+1} f_{t+1} + δh_t · o(1 - tanh^2 c_t)``;
    ``δa^i_t = δc_t · g i(1-i)``, ``δa^f_t = δc_t · c_{t-1} f(1-f)``,
    ``δa^g_t = δc_t · i(1-g^2)``.
    """

    @staticmethod
    def cell_step(gates, H):
        """The LSTM's equations of one step (called by ``_lstm_family_forward``)."""
        i, f, g, o = _blocks(gates, H)
        ifs = gates[..., :2 * H].unbind(0)

        def step(t, c_prev, c_t):
            ifs[t].sigmoid_()                                   # i, f
            g[t].tanh_()                                        # g
            o[t].sigmoid_()                                     # o
            torch.mul(f[t], c_prev, out=c_t).addcmul_(i[t], g[t])    # c_t = f c_{t-1} + i g
        return step

    @staticmethod
    def forward(ctx, x, h0, c0, w_ih, w_hh, b_ih, b_hh):
        gates, c, tc, y = _lstm_family_forward(x, h0, c0, w_ih, w_hh, b_ih, b_hh, fused.LSTM,
                                               LSTMFunction.cell_step)
        ctx.save_for_backward(x, h0, c0, w_ih, w_hh, gates, c, tc, y)
        return y, y[-1].clone(), c[-1].to(x.dtype, copy=True)

    @staticmethod
    @first_order
    def backward(ctx, dy, dh_T, dc_T):
        x, h0, c0, w_ih, w_hh, gates, c, tc, y = ctx.saved_tensors
        ws = Workspace(y, 10 * y.numel())
        return _lstm_backward(ctx, ws, dy, dh_T, dc_T, x, h0, c0, w_ih, w_hh, gates, c, tc, y,
                              "ifgo")[:7]


class PeepholeLSTMFunction(torch.autograd.Function):
    r"""Peephole LSTM over a sequence (blocks i, f, g, o; vectors ``w_ci, w_cf, w_co``).

    ``apply(x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_ci, w_cf, w_co)``; biases may be None.
    Returns ``(y, h_T, c_T)``.

    Forward step: ``i = σ(a^i + w_ci c_{t-1})``, ``f = σ(a^f + w_cf c_{t-1})``,
    ``g = tanh(a^g)``, ``c_t = f c_{t-1} + i g``, ``o = σ(a^o + w_co c_t)``,
    ``h_t = o tanh(c_t)``.

    Backward step: ``δa^o_t = δh_t · tanh(c_t) o(1-o)``;
    ``δc_t = δc_{t+1}^{carry} + δh_t · o(1-tanh^2 c_t) + δa^o_t w_co``;
    ``δa^i, δa^f, δa^g`` as for the LSTM; the carry to ``t-1`` is
    ``δc_t f + δa^i_t w_ci + δa^f_t w_cf``. After the loop
    ``δw_ci = Σ δa^i c_{t-1}``, ``δw_cf = Σ δa^f c_{t-1}``, ``δw_co = Σ δa^o c_t``.
    """

    @staticmethod
    def forward(ctx, x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_ci, w_cf, w_co):
        w_cif = torch.stack([w_ci, w_cf])                      # (2, H)

        def cell_step(gates, H):
            i, f, g, o = _blocks(gates, H)
            ifs = gates[..., :2 * H].unbind(0)

            def step(t, c_prev, c_t):
                ifs[t].view(-1, 2, H).addcmul_(c_prev.unsqueeze(1), w_cif).sigmoid_()  # i, f
                g[t].tanh_()
                torch.mul(f[t], c_prev, out=c_t).addcmul_(i[t], g[t])
                o[t].addcmul_(w_co, c_t).sigmoid_()             # o = σ(a^o + w_co c_t)
            return step

        gates, c, tc, y = _lstm_family_forward(x, h0, c0, w_ih, w_hh, b_ih, b_hh, fused.PEEPHOLE,
                                               cell_step, (w_ci, w_cf, w_co))
        ctx.save_for_backward(x, h0, c0, w_ih, w_hh, w_ci, w_cf, w_co, gates, c, tc, y)
        return y, y[-1].clone(), c[-1].to(x.dtype, copy=True)

    @staticmethod
    @first_order
    def backward(ctx, dy, dh_T, dc_T):
        x, h0, c0, w_ih, w_hh, w_ci, w_cf, w_co, gates, c, tc, y = ctx.saved_tensors
        H = w_hh.shape[1]
        ws = Workspace(y, 11 * y.numel())
        *grads, da = _lstm_backward(ctx, ws, dy, dh_T, dc_T, x, h0, c0, w_ih, w_hh, gates, c, tc,
                                    y, "ifgo", w_co=w_co, w_cif=torch.stack([w_ci, w_cf]))
        dx, dh0, dc, dw_ih, dw_hh, db_ih, db_hh = grads
        c_prev = ws.take(*c.shape)
        c_prev[0], c_prev[1:] = c0, c[:-1]
        need = ctx.needs_input_grad
        dw_ci = (da[..., :H] * c_prev).sum((0, 1)) if need[7] else None
        dw_cf = (da[..., H:2 * H] * c_prev).sum((0, 1)) if need[8] else None
        dw_co = (da[..., 3 * H:] * c).sum((0, 1)) if need[9] else None
        return dx, dh0, dc, dw_ih, dw_hh, db_ih, db_hh, dw_ci, dw_cf, dw_co


class CoupledLSTMFunction(torch.autograd.Function):
    r"""Coupled input-forget LSTM over a sequence (blocks f, g, o; ``i = 1 - f``).

    ``apply(x, h0, c0, w_ih, w_hh, b_ih, b_hh)``; returns ``(y, h_T, c_T)``.

    Forward step: ``c_t = f c_{t-1} + (1-f) g`` (computed as ``lerp(g, c_{t-1}, f)``),
    ``h_t = o tanh(c_t)``.

    Backward step: ``δa^f_t = δc_t (c_{t-1} - g) f(1-f)``,
    ``δa^g_t = δc_t (1-f)(1-g^2)``, ``δa^o_t = δh_t tanh(c_t) o(1-o)``,
    carry ``δc_t f``.
    """

    @staticmethod
    def cell_step(gates, H):
        """The coupled cell's equations of one step (called by ``_lstm_family_forward``)."""
        f, g, o = _blocks(gates, H)

        def step(t, c_prev, c_t):
            f[t].sigmoid_()
            g[t].tanh_()
            o[t].sigmoid_()
            torch.lerp(g[t], c_prev, f[t], out=c_t)             # g + f (c_{t-1} - g)
        return step

    @staticmethod
    def forward(ctx, x, h0, c0, w_ih, w_hh, b_ih, b_hh):
        gates, c, tc, y = _lstm_family_forward(x, h0, c0, w_ih, w_hh, b_ih, b_hh, fused.COUPLED,
                                               CoupledLSTMFunction.cell_step)
        ctx.save_for_backward(x, h0, c0, w_ih, w_hh, gates, c, tc, y)
        return y, y[-1].clone(), c[-1].to(x.dtype, copy=True)

    @staticmethod
    @first_order
    def backward(ctx, dy, dh_T, dc_T):
        x, h0, c0, w_ih, w_hh, gates, c, tc, y = ctx.saved_tensors
        ws = Workspace(y, 8 * y.numel())
        return _lstm_backward(ctx, ws, dy, dh_T, dc_T, x, h0, c0, w_ih, w_hh, gates, c, tc, y,
                              "fgo")[:7]


class NoForgetLSTMFunction(torch.autograd.Function):
    r"""LSTM without a forget gate over a sequence (blocks i, g, o).

    ``apply(x, h0, c0, w_ih, w_hh, b_ih, b_hh)``; returns ``(y, h_T, c_T)``.

    Forward step: ``c_t = c_{t-1} + i g``, ``h_t = o tanh(c_t)``.
    Backward step: ``δa^i_t = δc_t g i(1-i)``, ``δa^g_t = δc_t i(1-g^2)``,
    ``δa^o_t = δh_t tanh(c_t) o(1-o)``; the carry ``δc_t`` passes unchanged.
    """

    @staticmethod
    def cell_step(gates, H):
        """The no-forget cell's equations of one step (called by ``_lstm_family_forward``)."""
        i, g, o = _blocks(gates, H)

        def step(t, c_prev, c_t):
            i[t].sigmoid_()
            g[t].tanh_()
            o[t].sigmoid_()
            torch.addcmul(c_prev, i[t], g[t], out=c_t)          # c_t = c_{t-1} + i g
        return step

    @staticmethod
    def forward(ctx, x, h0, c0, w_ih, w_hh, b_ih, b_hh):
        gates, c, tc, y = _lstm_family_forward(x, h0, c0, w_ih, w_hh, b_ih, b_hh, fused.NOFORGET,
                                               NoForgetLSTMFunction.cell_step)
        ctx.save_for_backward(x, h0, w_ih, w_hh, gates, tc, y)
        return y, y[-1].clone(), c[-1].to(x.dtype, copy=True)

    @staticmethod
    @first_order
    def backward(ctx, dy, dh_T, dc_T):
        x, h0, w_ih, w_hh, gates, tc, y = ctx.saved_tensors
        ws = Workspace(y, 8 * y.numel())
        return _lstm_backward(ctx, ws, dy, dh_T, dc_T, x, h0, None, w_ih, w_hh, gates, None, tc,
                              y, "igo")[:7]


# --------------------------------------------------------------------- GRU
class GRUFunction(torch.autograd.Function):
    r"""GRU over a sequence, blocks (r, z, n) as in ``torch.nn.GRU``.

    ``apply(x, h0, w_ih, w_hh, b_ih, b_hh, reset_after)``; biases may be None.
    Returns ``(y, h_T)``.

    Forward step: ``r, z = σ(xz^{r,z}_t + W_h{r,z} h_{t-1} + b_h{r,z})``;
    ``n = tanh(xz^n_t + r (W_hn h_{t-1} + b_hn))`` (``reset_after=True``) or
    ``n = tanh(xz^n_t + W_hn (r h_{t-1}) + b_hn)`` (Cho et al.);
    ``h_t = (1-z) n + z h_{t-1}`` (computed as ``lerp(n, h_{t-1}, z)``).

    Backward step: ``δa^n_t = δh_t (1-z)(1-n^2)``, ``δa^z_t = δh_t (h_{t-1}-n) z(1-z)``,
    ``δa^r_t = δa^n_t (W_hn h_{t-1} + b_hn) r(1-r)`` (reset after) or
    ``(δa^n_t W_hn) h_{t-1} r(1-r)`` (Cho); the recurrent product of block n
    receives ``δa^n_t r`` (reset after); ``δh_{t-1} = δh_t z + (...) W_hh``.
    """

    @staticmethod
    def forward(ctx, x, h0, w_ih, w_hh, b_ih, b_hh, reset_after):
        T, B, _ = x.shape
        H = w_hh.shape[1]
        kw = {"dtype": x.dtype, "device": x.device}
        xz = project(x, w_ih, b_ih)
        xrz, xn = xz[..., :2 * H].unbind(0), xz[..., 2 * H:].unbind(0)
        rz, n, hn, y = (torch.empty(T, B, 2 * H, **kw), torch.empty(T, B, H, **kw),
                        torch.empty(T, B, H, **kw), torch.empty(T, B, H, **kw))
        rzs, ns, hns, ys = rz.unbind(0), n.unbind(0), hn.unbind(0), y.unbind(0)
        r, z = rz[..., :H].unbind(0), rz[..., H:].unbind(0)
        hz = torch.empty(B, 3 * H if reset_after else 2 * H, **kw)
        hz_rz, hz_n = hz[:, :2 * H], hz[:, 2 * H:]
        w_t, w_rz_t, w_n_t = w_hh.t(), w_hh[:2 * H].t(), w_hh[2 * H:].t()
        if b_hh is None:
            b_hh = torch.zeros(3 * H, **kw)
        b_rz, b_n = b_hh[:2 * H], b_hh[2 * H:]
        h, fuse, xzs = h0, fused.enabled(x), xz.unbind(0)
        rh = torch.empty(B, H, **kw) if fuse and not reset_after else None
        # bfloat16: the state h_t is carried in float32 (hs), its rounding y feeds the GEMMs
        hs = None
        if x.dtype != fused.state_dtype(x.dtype):
            hs = torch.empty(T, B, H, dtype=fused.state_dtype(x.dtype), device=x.device)
        for t in range(T):
            s_prev = h0 if t == 0 else (ys if hs is None else hs)[t - 1]     # h_{t-1}
            if fuse and reset_after:                                  # one kernel after the GEMM
                torch.addmm(b_hh, h, w_t, out=hz)
                h = fused.gru_forward_step(xzs[t], hz, s_prev, rzs[t], ns[t], hns[t], ys[t],
                                           None if hs is None else hs[t])
            elif fuse:                                                # a kernel after each GEMM
                torch.addmm(b_rz, h, w_rz_t, out=hz)
                fused.gru_reset_before_step(xzs[t], hz, s_prev, rzs[t], rh)
                torch.addmm(b_n, rh, w_n_t, out=hns[t])
                h = fused.gru_candidate_step(xzs[t], hns[t], rzs[t], s_prev, ns[t], ys[t],
                                             None if hs is None else hs[t])
            elif reset_after:
                torch.addmm(b_hh, h, w_t, out=hz)                     # W_hh h + b_hh
                hns[t].copy_(hz_n)                                    # W_hn h + b_hn
                torch.sigmoid(hz_rz.add_(xrz[t]), out=rzs[t])         # r, z
                torch.tanh(torch.addcmul(xn[t], r[t], hns[t]), out=ns[t])
                h = torch.lerp(ns[t], h, z[t], out=ys[t])             # (1-z) n + z h
            else:
                torch.addmm(b_rz, h, w_rz_t, out=hz)
                torch.sigmoid(hz.add_(xrz[t]), out=rzs[t])
                torch.addmm(b_n, r[t] * h, w_n_t, out=hns[t])         # W_hn (r h) + b_hn
                torch.tanh(torch.add(xn[t], hns[t]), out=ns[t])
                h = torch.lerp(ns[t], h, z[t], out=ys[t])
        ctx.reset_after = reset_after
        ctx.save_for_backward(x, h0, w_ih, w_hh, rz, n, hn, y, hs)
        return y, y[-1].clone()

    @staticmethod
    @first_order
    def backward(ctx, dy, dh_T):
        x, h0, w_ih, w_hh, rz, n, hn, y, hs = ctx.saved_tensors
        T, B, H = y.shape
        r, z = rz.split(H, dim=2)
        ws = Workspace(y, 15 * y.numel())
        h_prev = h_prev_of(h0, y, ws)
        dxz = ws.take(T, B, 3 * H)
        if fused.enabled(y):
            return _gru_fused_backward(ctx, ws, dy, dh_T, x, h0, w_ih, w_hh, rz, n, hn, h_prev,
                                       hs, dxz)
        if ctx.reset_after:
            k_x = ws.take(T, B, 3 * H)                 # δxz = δh k_x, blocks r, z, n
            k_r, k_z, k_n = k_x.split(H, dim=2)
        else:
            k_r, k_z, k_n = (ws.take(T, B, H) for _ in range(3))
        _tanh_grad_into(k_n, n).addcmul_(k_n, z, value=-1.0)            # (1-z)(1-n^2)
        torch.sub(h_prev, n, out=k_z).mul_(z).addcmul_(k_z, z, value=-1.0)   # (h-n) z(1-z)
        dys, zs = dy.unbind(0), z.unbind(0)
        dxs = dxz.view(T, B, 3, H).unbind(0)
        hp2 = h_prev.view(T * B, H)
        dh = dh_T + dys[T - 1]
        if ctx.reset_after:
            _sig_grad_into(k_r, r).mul_(hn).mul_(k_n)                   # k_n hn r(1-r)
            k_h = ws.take(T, B, 3 * H)                                   # δhz = δh k_h
            k_h[..., :2 * H] = k_x[..., :2 * H]
            torch.mul(k_n, r, out=k_h[..., 2 * H:])
            kxs, khs = k_x.view(T, B, 3, H).unbind(0), k_h.view(T, B, 3, H).unbind(0)
            dhz = ws.take(T, B, 3 * H)
            dhs, dhz_t = dhz.view(T, B, 3, H).unbind(0), dhz.unbind(0)
            for t in range(T - 1, -1, -1):
                if t < T - 1:            # δh_t = dY_t + δh_{t+1} z_{t+1} + δhz_{t+1} W_hh
                    dh = torch.addmm(torch.addcmul(dys[t], dh, zs[t + 1]), dhz_t[t + 1], w_hh)
                dh1 = dh.unsqueeze(1)
                torch.mul(dh1, kxs[t], out=dxs[t])
                torch.mul(dh1, khs[t], out=dhs[t])
            dh0 = torch.addmm(dh * zs[0], dhz_t[0], w_hh)
            dx, dw_ih, dw_hh, db_ih, db_hh = weight_grads(ctx.needs_input_grad, dxz, dhz, x, hp2,
                                                          w_ih, 2)
        else:
            _sig_grad_into(k_r, r).mul_(h_prev)        # δa^r = (δa^n W_hn) k_r
            w_rz, w_n = w_hh[:2 * H], w_hh[2 * H:]
            krs, kns, kzs, rs = k_r.unbind(0), k_n.unbind(0), k_z.unbind(0), r.unbind(0)
            da_rz, da_n = dxz[..., :2 * H].unbind(0), dxz[..., 2 * H:].unbind(0)
            da_r, da_z = dxz[..., :H].unbind(0), dxz[..., H:2 * H].unbind(0)
            for t in range(T - 1, -1, -1):
                if t < T - 1:
                    dh = torch.addmm(torch.addcmul(dys[t], dh, zs[t + 1]), da_rz[t + 1], w_rz)
                    dh.addcmul_(d_rh, rs[t + 1])
                torch.mul(dh, kns[t], out=da_n[t])
                d_rh = torch.mm(da_n[t], w_n)                         # δ(r h_{t-1})
                torch.mul(d_rh, krs[t], out=da_r[t])
                torch.mul(dh, kzs[t], out=da_z[t])
            dh0 = torch.addmm(dh * zs[0], da_rz[0], w_rz).addcmul_(d_rh, rs[0])
            dx, dw_ih, dw_hh, db_ih, db_hh = _cho_weight_grads(ctx, ws, dxz, x, r, h_prev, w_ih)
        return dx, dh0, dw_ih, dw_hh, db_ih, db_hh, None


def _cho_weight_grads(ctx, ws, dxz, x, r, h_prev, w_ih):
    """Weight gradients of Cho's GRU: block n of ``W_hh`` multiplied ``r h_{t-1}``, not ``h_{t-1}``.

    Returns ``(dx, dW_ih, dW_hh, db_ih, db_hh)`` as :func:`weight_grads`.
    """
    T, B, H = h_prev.shape
    hp2 = h_prev.view(T * B, H)
    need = list(ctx.needs_input_grad)
    need_w_hh, need[3] = need[3], False                               # block n differs: below
    dx, dw_ih, _, db_ih, db_hh = weight_grads(need, dxz, dxz, x, hp2, w_ih, 2)
    dw_hh = None
    if need_w_hh:
        d2 = dxz.view(T * B, 3 * H)
        rh = torch.mul(r, h_prev, out=ws.take(T, B, H)).view(T * B, H)
        dw_hh = torch.cat([d2[:, :2 * H].t() @ hp2, d2[:, 2 * H:].t() @ rh])
    return dx, dw_ih, dw_hh, db_ih, db_hh


def _gru_fused_backward(ctx, ws, dy, dh_T, x, h0, w_ih, w_hh, rz, n, hn, h_prev, hs, dxz):
    """:class:`GRUFunction`'s backward with the pointwise work of each step in Triton kernels.

    The same recursion as the plain-torch branch: ``δh_t = dY_t + δh_{t+1} z_{t+1} + (...) W_hh``
    by torch operations, then the kernels of :mod:`lstm_ref.torch.fused` fill ``δa_t``. The
    kernels read the states ``h_{t-1}`` in the precision they were carried in (``hs``, float32,
    for bfloat16 data); the weight gradients use ``h_prev``, what the GEMMs multiplied. Like the
    state, the gradient ``δh_t``, carried back through ``δh_{t+1} z_{t+1}``, is kept in float32
    for bfloat16 data (as the LSTM's kernel keeps ``δc``): each step adds the bfloat16 product
    ``(...) W_hh`` to it in float32.
    """
    T, B, H = n.shape
    sdt = fused.state_dtype(n.dtype)
    s_prev = h_prev
    if hs is not None:
        s_prev = torch.empty_like(hs)
        s_prev[0], s_prev[1:] = h0, hs[:-1]
    z = rz[..., H:]
    dys = dy.unbind(0)
    dh = dh_T.to(sdt, copy=True).add_(dys[T - 1]).contiguous()
    hp2 = h_prev.view(T * B, H)
    if ctx.reset_after:
        dhz = ws.take(T, B, 3 * H)
        for t in range(T - 1, -1, -1):
            if t < T - 1:       # δh_t = δhz_{t+1} W_hh + dY_t + δh_{t+1} z_{t+1}, in sdt
                dh = torch.mm(dhz[t + 1], w_hh).to(sdt).add_(dys[t]).addcmul_(dh, z[t + 1])
            fused.gru_backward_step(dh, rz[t], n[t], hn[t], s_prev[t], dxz[t], dhz[t])
        dh0 = torch.mm(dhz[0], w_hh).to(sdt).addcmul_(dh, z[0])
        dx, dw_ih, dw_hh, db_ih, db_hh = weight_grads(ctx.needs_input_grad, dxz, dhz, x, hp2,
                                                      w_ih, 2)
        return dx, dh0, dw_ih, dw_hh, db_ih, db_hh, None
    r = rz[..., :H]
    w_rz, w_n = w_hh[:2 * H], w_hh[2 * H:]
    for t in range(T - 1, -1, -1):
        if t < T - 1:
            dh = torch.mm(dxz[t + 1, :, :2 * H], w_rz).to(sdt).add_(dys[t])
            dh.addcmul_(dh_next, z[t + 1]).addcmul_(d_rh, r[t + 1])
        dh_next = dh
        fused.gru_reset_before_backward_step(dh, rz[t], n[t], s_prev[t], dxz[t])    # δa^z, δa^n
        d_rh = torch.mm(dxz[t, :, 2 * H:], w_n)                                     # δ(r h_{t-1})
        fused.gru_reset_grad_step(d_rh, rz[t], s_prev[t], dxz[t])                   # δa^r
    dh0 = torch.mm(dxz[0, :, :2 * H], w_rz).to(sdt).addcmul_(dh, z[0]).addcmul_(d_rh, r[0])
    dx, dw_ih, dw_hh, db_ih, db_hh = _cho_weight_grads(ctx, ws, dxz, x, r, h_prev, w_ih)
    return dx, dh0, dw_ih, dw_hh, db_ih, db_hh, None
