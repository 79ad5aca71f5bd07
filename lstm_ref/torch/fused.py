r"""Fused pointwise steps in Triton: one kernel launch per time step instead of a handful of ops.

Inside the time loop of :mod:`lstm_ref.torch.functions`, every step is one matrix product
(cuBLAS or MKL) followed by a few pointwise operations (the gates, the cell update, the output,
and in the backward pass the gate gradients and the carry of ``δc``). Each pointwise operation
is a kernel launch that reads and writes a ``(B, H)`` block of memory. On a GPU, where a launch
costs a few microseconds and the blocks are small, those launches and memory trips dominate the
step. The kernels below do all the pointwise work of one step in one launch: each program loads
the gate pre-activations of a run of ``(b, j)`` positions, computes every equation of the step in
registers, and stores the results the backward pass needs.

The equations are those of :mod:`lstm_ref.torch.functions` (and of the numpy reference); the
backward kernels compute the factors (``o(1-o) tanh c``, ``i(1-g^2)``, ...) on the fly from the
saved gates instead of precomputing them for all ``T`` steps.

When they run: for CUDA tensors when Triton can be imported (it ships with CUDA builds of
PyTorch) and :data:`ENABLED` is true. On the CPU the plain-torch steps run, except under
Triton's interpreter (``TRITON_INTERPRET=1`` set before this module is imported), which
executes the same kernels with numpy; the tests use it to check the kernels against the
plain-torch path on machines without a GPU. The RNN needs no kernel: its step is already one
pointwise operation after the matrix product.

What the interpreter does not check: the kernels have not been run on a GPU. Compiled for an
NVIDIA GPU, Triton computes a float32 ``tl.exp`` as the approximate ``ex2.approx.f32`` of
``x log2 e`` and a float32 ``/`` as the approximate ``div.full.f32`` (float64 uses libdevice's
``exp`` and correctly rounded division), and it rounds float32 to bfloat16 to nearest, where the
interpreter truncates. The interpreter computes exp and division with numpy. So the float32
precision the interpreter measures for :func:`activations` is that of the formulas, not of the
GPU's instructions, and the bfloat16 results on a GPU round differently.
"""
import contextlib
import os

import torch

INTERPRET = os.environ.get("TRITON_INTERPRET", "0") == "1"
"""bool: Triton's interpreter runs the kernels on CPU tensors (set before import; for tests)."""

try:
    import triton
    import triton.language as tl
except ImportError:                              # CPU builds of PyTorch do not ship Triton
    triton = None

__all__ = ["ENABLED", "INTERPRET", "available", "enabled", "state_dtype", "activations", "LSTM",
           "PEEPHOLE", "COUPLED", "NOFORGET", "lstm_forward_step", "lstm_backward_loop", "gru_forward_step",
           "gru_backward_step", "gru_reset_before_step", "gru_candidate_step",
           "gru_reset_before_backward_step", "gru_reset_grad_step"]

ENABLED = True
"""bool: set to False to run the plain-torch steps everywhere (e.g. to compare speeds)."""

LSTM, PEEPHOLE, COUPLED, NOFORGET = 0, 1, 2, 3
"""int: which LSTM-family cell a kernel computes (gate blocks ifgo, ifgo, fgo, igo)."""

BLOCK = 256
"""int: ``(b, j)`` positions handled by one Triton program."""


def available():
    """True when Triton can be imported (the kernels are defined; :func:`enabled` says whether
    they run)."""
    return triton is not None


def enabled(t):
    """True when the fused kernels run for tensors like ``t`` (see the module docstring)."""
    if triton is None or not ENABLED:
        return False
    return t.device.type == "cuda" or (INTERPRET and t.device.type == "cpu")


def _grid(n):
    return (triton.cdiv(n, BLOCK),)


def _on(t):
    """Make ``t``'s GPU the current CUDA device for a launch.

    Triton launches a kernel on the *current* CUDA device, not on the device of its tensor
    arguments (PyTorch's own operations follow their tensors). Without this guard a module on
    ``cuda:1`` would launch its kernels on ``cuda:0`` with pointers into ``cuda:1``'s memory.
    """
    return torch.cuda.device(t.device) if t.device.type == "cuda" else contextlib.nullcontext()


def state_dtype(dtype):
    """The dtype a cell's state is carried in: float32 for bfloat16 data, else ``dtype``."""
    return torch.float32 if dtype == torch.bfloat16 else dtype


def _acc(t):
    """The dtype a kernel computes in for data like ``t``: float64 for float64, else float32."""
    return tl.float64 if t.dtype == torch.float64 else tl.float32


if triton is not None:

    @triton.jit
    def _sigmoid(x):
        """``σ(x)`` as ``1/(1+e)`` for ``x ≥ 0`` and ``e/(1+e)`` for ``x < 0``, ``e = e^{-|x|}``:
        ``e`` never overflows, and with an exact ``exp`` both tails keep their relative precision
        (on a GPU in float32 ``tl.exp`` is approximate: see the module docstring)."""
        e = tl.exp(-tl.abs(x))
        return tl.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))

    @triton.jit
    def _tanh(x):
        """``tanh x``, relatively precise everywhere.

        For ``|x| ≥ 0.55``: ``(1 - e^{-2|x|}) / (1 + e^{-2|x|})`` with the sign of ``x`` (no
        cancellation: the numerator is at least 0.66). Below, where that numerator would cancel,
        Lambert's continued fraction ``x / (1 + x²/(3 + x²/(5 + ...)))`` cut after the term
        ``x²/17``, whose truncation error there is far below float64's rounding. (Measured in the
        interpreter; on a GPU in float32, ``tl.exp`` and ``/`` are approximate instructions.)
        """
        ax = tl.abs(x)
        e = tl.exp(-2.0 * ax)
        big = (1.0 - e) / (1.0 + e)
        x2 = x * x
        q = x2 / 17.0
        q = x2 / (15.0 + q)
        q = x2 / (13.0 + q)
        q = x2 / (11.0 + q)
        q = x2 / (9.0 + q)
        q = x2 / (7.0 + q)
        q = x2 / (5.0 + q)
        q = x2 / (3.0 + q)
        r = tl.where(ax < 0.55, ax / (1.0 + q), big)
        return tl.where(x < 0, -r, r)

    # ------------------------------------------------------------ LSTM family
    @triton.jit
    def _lstm_forward_kernel(a_ptr, cp_ptr, cp_sb, cp_sj, c_ptr, tc_ptr, y_ptr,
                             wci_ptr, wcf_ptr, wco_ptr, n, H,
                             KIND: tl.constexpr, ACC: tl.constexpr,
                             BLOCK: tl.constexpr):
        k = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
        mask = k < n
        b = k // H
        j = k % H
        cp = tl.load(cp_ptr + b * cp_sb + j * cp_sj, mask=mask).to(ACC)          # c_{t-1}
        if KIND == 2:                                                     # coupled: f, g, o
            row = a_ptr + b * (3 * H) + j
            f = _sigmoid(tl.load(row, mask=mask).to(ACC))
            g = _tanh(tl.load(row + H, mask=mask).to(ACC))
            c = g + f * (cp - g)                                          # f c + (1-f) g
            tl.store(row, f, mask=mask)
            tl.store(row + H, g, mask=mask)
            o_row = row + 2 * H
        elif KIND == 3:                                                   # no forget: i, g, o
            row = a_ptr + b * (3 * H) + j
            i = _sigmoid(tl.load(row, mask=mask).to(ACC))
            g = _tanh(tl.load(row + H, mask=mask).to(ACC))
            c = cp + i * g
            tl.store(row, i, mask=mask)
            tl.store(row + H, g, mask=mask)
            o_row = row + 2 * H
        else:                                                             # LSTM, peephole: ifgo
            row = a_ptr + b * (4 * H) + j
            a_i = tl.load(row, mask=mask).to(ACC)
            a_f = tl.load(row + H, mask=mask).to(ACC)
            if KIND == 1:
                a_i += cp * tl.load(wci_ptr + j, mask=mask).to(ACC)
                a_f += cp * tl.load(wcf_ptr + j, mask=mask).to(ACC)
            i = _sigmoid(a_i)
            f = _sigmoid(a_f)
            g = _tanh(tl.load(row + 2 * H, mask=mask).to(ACC))
            c = f * cp + i * g
            tl.store(row, i, mask=mask)
            tl.store(row + H, f, mask=mask)
            tl.store(row + 2 * H, g, mask=mask)
            o_row = row + 3 * H
        a_o = tl.load(o_row, mask=mask).to(ACC)
        if KIND == 1:
            a_o += c * tl.load(wco_ptr + j, mask=mask).to(ACC)                    # o sees c_t
        o = _sigmoid(a_o)
        tc = _tanh(c)
        tl.store(o_row, o, mask=mask)
        tl.store(c_ptr + k, c, mask=mask)
        tl.store(tc_ptr + k, tc, mask=mask)
        tl.store(y_ptr + k, o * tc, mask=mask)                            # h_t = o tanh c_t

    # The backward step: δa_t and the carry of δc, with the factors computed from the gates.
    @triton.jit
    def _lstm_backward_kernel(dh_ptr, gate_ptr, cp_ptr, cp_sb, cp_sj, tc_ptr, dc_ptr, da_ptr,
                              wci_ptr, wcf_ptr, wco_ptr, n, H,
                              KIND: tl.constexpr, ACC: tl.constexpr,
                             BLOCK: tl.constexpr):
        k = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
        mask = k < n
        b = k // H
        j = k % H
        G = 4 if KIND < 2 else 3
        row = gate_ptr + b * (G * H) + j
        d_row = da_ptr + b * (G * H) + j
        dh = tl.load(dh_ptr + k, mask=mask).to(ACC)                               # δh_t
        tc = tl.load(tc_ptr + k, mask=mask).to(ACC)
        o = tl.load(row + (G - 1) * H, mask=mask).to(ACC)
        da_o = dh * (tc * (o - o * o))                                    # δa^o_t
        dc = tl.load(dc_ptr + k, mask=mask).to(ACC) + dh * (o * (1.0 - tc * tc))  # δc_t
        if KIND == 1:
            dc += da_o * tl.load(wco_ptr + j, mask=mask).to(ACC)
        tl.store(d_row + (G - 1) * H, da_o, mask=mask)
        if KIND == 2:                                                     # coupled: i = 1 - f
            cp = tl.load(cp_ptr + b * cp_sb + j * cp_sj, mask=mask).to(ACC)
            f = tl.load(row, mask=mask).to(ACC)
            g = tl.load(row + H, mask=mask).to(ACC)
            tl.store(d_row, dc * ((cp - g) * (f - f * f)), mask=mask)     # δa^f
            tl.store(d_row + H, dc * ((1.0 - g * g) * (1.0 - f)), mask=mask)   # δa^g
            dc = dc * f
        else:
            i = tl.load(row, mask=mask).to(ACC)
            g_off = H if KIND == 3 else 2 * H
            g = tl.load(row + g_off, mask=mask).to(ACC)
            da_i = dc * (g * (i - i * i))                                 # δa^i
            tl.store(d_row, da_i, mask=mask)
            tl.store(d_row + g_off, dc * (i * (1.0 - g * g)), mask=mask)  # δa^g
            if KIND != 3:
                cp = tl.load(cp_ptr + b * cp_sb + j * cp_sj, mask=mask).to(ACC)
                f = tl.load(row + H, mask=mask).to(ACC)
                da_f = dc * (cp * (f - f * f))                            # δa^f
                tl.store(d_row + H, da_f, mask=mask)
                dc = dc * f                                               # carry δc_t f_t
                if KIND == 1:
                    dc += da_i * tl.load(wci_ptr + j, mask=mask).to(ACC) + da_f * tl.load(wcf_ptr + j,
                                                                                  mask=mask).to(ACC)
        tl.store(dc_ptr + k, dc, mask=mask)

    # -------------------------------------------------------------------- GRU
    @triton.jit
    def _gru_forward_kernel(x_ptr, hz_ptr, hp_ptr, hp_sb, hp_sj, rz_ptr, n_ptr, hn_ptr, y_ptr,
                            hs_ptr, n, H, SHADOW: tl.constexpr, ACC: tl.constexpr,
                            BLOCK: tl.constexpr):
        k = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
        mask = k < n
        b = k // H
        j = k % H
        x_row = x_ptr + b * (3 * H) + j
        h_row = hz_ptr + b * (3 * H) + j
        r = _sigmoid(tl.load(x_row, mask=mask).to(ACC) + tl.load(h_row, mask=mask).to(ACC))
        z = _sigmoid(tl.load(x_row + H, mask=mask).to(ACC) + tl.load(h_row + H, mask=mask).to(ACC))
        hn = tl.load(h_row + 2 * H, mask=mask).to(ACC)                            # W_hn h + b_hn
        nn = _tanh(tl.load(x_row + 2 * H, mask=mask).to(ACC) + r * hn)
        hp = tl.load(hp_ptr + b * hp_sb + j * hp_sj, mask=mask).to(ACC)
        tl.store(rz_ptr + b * (2 * H) + j, r, mask=mask)
        tl.store(rz_ptr + b * (2 * H) + H + j, z, mask=mask)
        tl.store(hn_ptr + k, hn, mask=mask)
        tl.store(n_ptr + k, nn, mask=mask)
        h = nn + z * (hp - nn)                                            # (1-z) n + z h
        tl.store(y_ptr + k, h, mask=mask)
        if SHADOW:                                                        # the float32 state
            tl.store(hs_ptr + k, h, mask=mask)

    @triton.jit
    def _gru_backward_kernel(dh_ptr, rz_ptr, n_ptr, hn_ptr, hp_ptr, hp_sb, hp_sj, dx_ptr, dhz_ptr,
                             n, H, ACC: tl.constexpr, BLOCK: tl.constexpr):
        k = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
        mask = k < n
        b = k // H
        j = k % H
        dh = tl.load(dh_ptr + k, mask=mask).to(ACC)
        r = tl.load(rz_ptr + b * (2 * H) + j, mask=mask).to(ACC)
        z = tl.load(rz_ptr + b * (2 * H) + H + j, mask=mask).to(ACC)
        nn = tl.load(n_ptr + k, mask=mask).to(ACC)
        hn = tl.load(hn_ptr + k, mask=mask).to(ACC)
        hp = tl.load(hp_ptr + b * hp_sb + j * hp_sj, mask=mask).to(ACC)
        da_n = dh * ((1.0 - nn * nn) * (1.0 - z))                         # δa^n
        da_z = dh * ((hp - nn) * (z - z * z))                             # δa^z
        da_r = da_n * (hn * (r - r * r))                                  # δa^r
        x_row = dx_ptr + b * (3 * H) + j
        h_row = dhz_ptr + b * (3 * H) + j
        tl.store(x_row, da_r, mask=mask)
        tl.store(x_row + H, da_z, mask=mask)
        tl.store(x_row + 2 * H, da_n, mask=mask)
        tl.store(h_row, da_r, mask=mask)
        tl.store(h_row + H, da_z, mask=mask)
        tl.store(h_row + 2 * H, da_n * r, mask=mask)                      # into W_hn h + b_hn

    @triton.jit
    def _gru_gates_kernel(x_ptr, hz_ptr, hp_ptr, hp_sb, hp_sj, rz_ptr, rh_ptr, n, H,
                          ACC: tl.constexpr, BLOCK: tl.constexpr):
        k = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
        mask = k < n
        b = k // H
        j = k % H
        x_row = x_ptr + b * (3 * H) + j
        h_row = hz_ptr + b * (2 * H) + j
        r = _sigmoid(tl.load(x_row, mask=mask).to(ACC) + tl.load(h_row, mask=mask).to(ACC))
        z = _sigmoid(tl.load(x_row + H, mask=mask).to(ACC) + tl.load(h_row + H, mask=mask).to(ACC))
        hp = tl.load(hp_ptr + b * hp_sb + j * hp_sj, mask=mask).to(ACC)
        tl.store(rz_ptr + b * (2 * H) + j, r, mask=mask)
        tl.store(rz_ptr + b * (2 * H) + H + j, z, mask=mask)
        tl.store(rh_ptr + k, r * hp, mask=mask)                           # r h_{t-1}

    @triton.jit
    def _gru_candidate_kernel(x_ptr, hn_ptr, rz_ptr, hp_ptr, hp_sb, hp_sj, n_ptr, y_ptr, hs_ptr,
                              n, H, SHADOW: tl.constexpr, ACC: tl.constexpr,
                              BLOCK: tl.constexpr):
        k = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
        mask = k < n
        b = k // H
        j = k % H
        nn = _tanh(tl.load(x_ptr + b * (3 * H) + 2 * H + j, mask=mask).to(ACC) + tl.load(hn_ptr + k, mask=mask).to(ACC))
        z = tl.load(rz_ptr + b * (2 * H) + H + j, mask=mask).to(ACC)
        hp = tl.load(hp_ptr + b * hp_sb + j * hp_sj, mask=mask).to(ACC)
        tl.store(n_ptr + k, nn, mask=mask)
        h = nn + z * (hp - nn)
        tl.store(y_ptr + k, h, mask=mask)
        if SHADOW:
            tl.store(hs_ptr + k, h, mask=mask)

    @triton.jit
    def _gru_cho_backward_kernel(dh_ptr, rz_ptr, n_ptr, hp_ptr, hp_sb, hp_sj, da_ptr, n, H,
                                 ACC: tl.constexpr, BLOCK: tl.constexpr):
        k = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
        mask = k < n
        b = k // H
        j = k % H
        dh = tl.load(dh_ptr + k, mask=mask).to(ACC)
        z = tl.load(rz_ptr + b * (2 * H) + H + j, mask=mask).to(ACC)
        nn = tl.load(n_ptr + k, mask=mask).to(ACC)
        hp = tl.load(hp_ptr + b * hp_sb + j * hp_sj, mask=mask).to(ACC)
        row = da_ptr + b * (3 * H) + j
        tl.store(row + H, dh * ((hp - nn) * (z - z * z)), mask=mask)      # δa^z
        tl.store(row + 2 * H, dh * ((1.0 - nn * nn) * (1.0 - z)), mask=mask)   # δa^n

    @triton.jit
    def _gru_reset_grad_kernel(drh_ptr, rz_ptr, hp_ptr, hp_sb, hp_sj, da_ptr, n, H,
                               ACC: tl.constexpr, BLOCK: tl.constexpr):
        k = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
        mask = k < n
        b = k // H
        j = k % H
        r = tl.load(rz_ptr + b * (2 * H) + j, mask=mask).to(ACC)
        hp = tl.load(hp_ptr + b * hp_sb + j * hp_sj, mask=mask).to(ACC)
        d = tl.load(drh_ptr + k, mask=mask).to(ACC)
        tl.store(da_ptr + b * (3 * H) + j, d * (hp * (r - r * r)), mask=mask)   # δa^r


    @triton.jit
    def _activations_kernel(x_ptr, t_ptr, s_ptr, n, ACC: tl.constexpr, BLOCK: tl.constexpr):
        k = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
        mask = k < n
        x = tl.load(x_ptr + k, mask=mask).to(ACC)
        tl.store(t_ptr + k, _tanh(x), mask=mask)
        tl.store(s_ptr + k, _sigmoid(x), mask=mask)


# ------------------------------------------------------------------ launchers
def activations(x):
    """``(tanh x, σ(x))`` computed by the kernels' own activation functions (to check them).

    ``x`` is a contiguous tensor on a device the kernels run on (see :func:`enabled`).
    """
    x = x.contiguous()
    t, s = torch.empty_like(x), torch.empty_like(x)
    with _on(x):
        _activations_kernel[_grid(x.numel())](x, t, s, x.numel(), ACC=_acc(x), BLOCK=BLOCK)
    return t, s


def _peep(peep, like):
    """The peephole vectors, or ``like`` three times (the kernel does not read them)."""
    return (like, like, like) if peep is None else tuple(w.contiguous() for w in peep)


def lstm_forward_step(kind, a, c_prev, c, tc, y, peep=None):
    """One forward step of an LSTM-family cell after ``a_t = xz_t + h_{t-1} W_hh^T``.

    Parameters
    ----------
    kind : int
        :data:`LSTM`, :data:`PEEPHOLE`, :data:`COUPLED` or :data:`NOFORGET`.
    a : Tensor
        ``(B, G*H)`` contiguous: the pre-activations on entry, the gates on return.
    c_prev : Tensor
        ``c_{t-1}``, ``(B, H)`` (any strides).
    c, tc, y : Tensor
        ``(B, H)`` contiguous outputs: ``c_t``, ``tanh(c_t)``, ``h_t``.
    peep : tuple or None
        ``(w_ci, w_cf, w_co)`` for the peephole LSTM.
    """
    B, H = c.shape
    wci, wcf, wco = _peep(peep, c)
    with _on(a):
        _lstm_forward_kernel[_grid(B * H)](a, c_prev, c_prev.stride(0), c_prev.stride(1), c, tc, y,
                                           wci, wcf, wco, B * H, H, KIND=kind, ACC=_acc(a),
                                           BLOCK=BLOCK)
    return y


def lstm_backward_loop(kind, ws, dy, dh_T, dc_T, w_hh, gates, c0, c, tc, peep=None):
    """The BPTT loop of an LSTM-family cell with one fused kernel per step.

    Each step: ``δh_t = dY_t + δa_{t+1} W_hh`` (one ``addmm``), then one kernel computes
    ``δa_t`` (every block) and the carry ``δc`` for step ``t-1`` from the saved gates,
    ``tanh(c_t)`` and ``c_{t-1}``. ``c0``/``c`` may be None for the no-forget cell (unused).

    Returns
    -------
    tuple
        ``(δa (T, B, G*H), δc_0 (B, H))``.
    """
    T, B, H = tc.shape
    da = ws.take(*gates.shape)
    dc = dc_T.to(state_dtype(dc_T.dtype), copy=True).contiguous()      # float32 for bfloat16
    wci, wcf, wco = _peep(peep, dc)
    grid = _grid(B * H)
    for t in range(T - 1, -1, -1):
        if t == T - 1:
            dh = (dh_T + dy[t]).contiguous()
        else:
            dh = torch.addmm(dy[t], da[t + 1], w_hh)                     # δh_t
        c_prev = tc[t] if c is None else (c0 if t == 0 else c[t - 1])
        with _on(dc):
            _lstm_backward_kernel[grid](dh, gates[t], c_prev, c_prev.stride(0), c_prev.stride(1),
                                        tc[t], dc, da[t], wci, wcf, wco, B * H, H,
                                        KIND=kind, ACC=_acc(gates), BLOCK=BLOCK)
    return da, dc


def gru_forward_step(xz, hz, h_prev, rz, n, hn, y, hs=None):
    """GRU step (``reset_after=True``) after ``hz = W_hh h_{t-1} + b_hh`` ``(B, 3H)``.

    Writes ``r, z`` into ``rz`` ``(B, 2H)``, ``W_hn h + b_hn`` into ``hn``, ``n`` and ``h_t``
    into ``n`` and ``y`` (all contiguous); ``xz`` is the step's input projection ``(B, 3H)``.
    ``h_prev`` is the state ``h_{t-1}``; with bfloat16 data, ``hs`` receives ``h_t`` in float32
    (the state the next step reads), ``y`` its bfloat16 rounding.
    """
    B, H = y.shape
    with _on(y):
        _gru_forward_kernel[_grid(B * H)](xz, hz, h_prev, h_prev.stride(0), h_prev.stride(1), rz, n,
                                          hn, y, y if hs is None else hs, B * H, H,
                                          SHADOW=hs is not None, ACC=_acc(y), BLOCK=BLOCK)
    return y


def gru_backward_step(dh, rz, n, hn, h_prev, dx, dhz):
    """GRU backward step (``reset_after=True``): ``δxz_t`` into ``dx`` and ``δhz_t`` into ``dhz``
    (both ``(B, 3H)``) from the total ``δh_t`` ``(B, H)``, contiguous."""
    B, H = n.shape
    with _on(n):
        _gru_backward_kernel[_grid(B * H)](dh, rz, n, hn, h_prev, h_prev.stride(0),
                                           h_prev.stride(1), dx, dhz, B * H, H, ACC=_acc(n),
                                           BLOCK=BLOCK)


def gru_reset_before_step(xz, hz, h_prev, rz, rh):
    """Cho's GRU, first half of a step: ``r, z = σ(xz^{r,z} + hz)`` into ``rz``, ``r h_{t-1}``
    into ``rh``; ``hz = W_h{r,z} h_{t-1} + b_h{r,z}`` is ``(B, 2H)``."""
    B, H = rh.shape
    with _on(rh):
        _gru_gates_kernel[_grid(B * H)](xz, hz, h_prev, h_prev.stride(0), h_prev.stride(1), rz, rh,
                                        B * H, H, ACC=_acc(rh), BLOCK=BLOCK)


def gru_candidate_step(xz, hn, rz, h_prev, n, y, hs=None):
    """Cho's GRU, second half: ``n = tanh(xz^n + hn)`` and ``h_t = (1-z) n + z h_{t-1}``
    (``hs`` as in :func:`gru_forward_step`)."""
    B, H = y.shape
    with _on(y):
        _gru_candidate_kernel[_grid(B * H)](xz, hn, rz, h_prev, h_prev.stride(0), h_prev.stride(1),
                                            n, y, y if hs is None else hs, B * H, H,
                                            SHADOW=hs is not None, ACC=_acc(y), BLOCK=BLOCK)
    return y


def gru_reset_before_backward_step(dh, rz, n, h_prev, da):
    """Cho's GRU backward: ``δa^z_t`` and ``δa^n_t`` into blocks z and n of ``da`` ``(B, 3H)``."""
    B, H = n.shape
    with _on(n):
        _gru_cho_backward_kernel[_grid(B * H)](dh, rz, n, h_prev, h_prev.stride(0),
                                               h_prev.stride(1), da, B * H, H, ACC=_acc(n),
                                               BLOCK=BLOCK)


def gru_reset_grad_step(d_rh, rz, h_prev, da):
    """Cho's GRU backward: ``δa^r_t = δ(r h_{t-1}) h_{t-1} r(1-r)`` into block r of ``da``."""
    B, H = d_rh.shape
    with _on(d_rh):
        _gru_reset_grad_kernel[_grid(B * H)](d_rh, rz, h_prev, h_prev.stride(0), h_prev.stride(1),
                                             da, B * H, H, ACC=_acc(d_rh), BLOCK=BLOCK)
