"""Timing lstm_ref.torch against torch.nn and a plain per-step autograd loop.

Shared by ``benchmarks/bench_torch.py`` (which writes the stored results) and the
book's chapter (which measures live where it runs). For one cell, one layer,
a time-major batch ``(T, B, D) -> H`` from a given initial state, each contender
does a forward pass and backpropagates a fixed output gradient into every
parameter and the initial state (the input needs no gradient, as in training):

* ``ours``: the ``lstm_ref.torch`` module (hand-written BPTT in an ``autograd.Function``);
* ``nn``: ``torch.nn.LSTM``/``GRU``/``RNN`` with the same weights (cells torch has);
* ``loop``: the same equations as a plain per-step autograd loop
  (:func:`lstm_ref.torch.naive.unroll`);
* ``mm`` (when asked for): only the matrix products of ``ours``, with nothing run between them
  (:func:`matmuls`), a floor under its time.

Runs are interleaved (ours, nn, loop, ours, ...) after a warm-up; medians are compared.
"""
import os
import platform
import statistics
import time

import torch


from . import functions
from . import modules as lt
from .naive import unroll

__all__ = ["measure", "checksum", "make_problem", "matmuls", "table", "floor_row", "floor_table",
           "device_name", "HEADER", "FLOOR_HEADER"]

NN = {"LSTM": torch.nn.LSTM, "GRU": torch.nn.GRU, "RNN": torch.nn.RNN}
HEADER = f"{'cell':<14}{'ours ms':>10}{'nn ms':>10}{'loop ms':>10}{'ours/nn':>10}{'loop/ours':>11}"
FLOOR_HEADER = (f"{'cell':<14}{'ours ms':>10}{'mm ms':>10}{'loop ms':>10}{'mm/ours':>10}"
                f"{'loop/mm':>11}")


def make_problem(name, T, B, D, H, dtype, device, seed=0):
    """Module, inputs and output gradient for one cell (seeded).

    Returns
    -------
    tuple
        ``(module, x, hx, dy)``: a one-layer ``lstm_ref.torch`` module of class ``name``, the
        input ``x`` ``(T, B, D)`` (no gradient needed), the initial state ``hx`` (a tuple of one
        or two ``(1, B, H)`` leaves that need gradients) and the output gradient ``dy``
        ``(T, B, H)``.
    """
    torch.manual_seed(seed)
    module = getattr(lt, name)(D, H, dtype=dtype, device=device)
    kw = {"dtype": dtype, "device": device}
    x = torch.randn(T, B, D, **kw)
    n = 2 if module.has_cell_state else 1
    hx = tuple(torch.randn(1, B, H, **kw).requires_grad_() for _ in range(n))
    dy = torch.randn(T, B, H, **kw)
    return module, x, hx, dy


def runner(fn, module, x, hx, dy):
    """A closure doing one forward + backward of ``fn(module-like, x, hx)``."""
    params = list(module.parameters()) + list(hx)
    state = hx if len(hx) == 2 else hx[0]

    def run():
        for p in params:
            p.grad = None
        y, _ = fn(x, state)
        y.backward(dy)
        if x.is_cuda:
            torch.cuda.synchronize()
    return run


def matmuls(module, x, hx, dy):
    """A closure doing only the matrix products of one forward + backward pass of ``ours``.

    For a one-layer module and a problem of :func:`make_problem`: the products that the cell's
    Function (:mod:`lstm_ref.torch.functions`) computes, with the same shapes and layouts, in
    the same order, and the big ones by the same code: the input projection
    ``P = X W_ih^T + b`` (``functions.project``), ``T`` recurrent products
    ``P_t += h_{t-1} W_hh^T`` forward, ``T - 1`` products ``δa_{t+1} W_hh`` (added to ``dY_t``)
    backward and ``δa_1 W_hh`` for the initial state, then ``δW_ih`` and ``δW_hh``
    (``functions.weight_grads``). Nothing runs between these calls: no pointwise work, no
    autograd, no checks. The operands are the module's weights, its outputs as ``h_{t-1}`` and a
    random ``δa``, prepared before timing. Cho's GRU (``reset_after=False``) splits its
    recurrent product in two and is refused.
    """
    if getattr(module, "reset_after", True) is False:
        raise ValueError("matmuls covers GRU(reset_after=True) only, got reset_after=False")
    T, B, _ = x.shape
    with torch.no_grad():
        y = module(x, hx if len(hx) == 2 else hx[0])[0]
    w_ih, w_hh, b = (getattr(module, k).detach() for k in ("weight_ih_l0", "weight_hh_l0",
                                                           "bias_ih_l0"))
    h_prev = torch.cat([hx[0].detach(), y[:-1]])                     # h_0 .. h_{T-1}
    da = torch.randn(T, B, w_hh.shape[0], dtype=x.dtype, device=x.device)
    hs, dys, das, w_hh_t = h_prev.unbind(0), dy.unbind(0), da.unbind(0), w_hh.t()
    # what needs a gradient among (x, h0, W_ih, W_hh, b_ih, b_hh): the two weight matrices only
    need = (False, False, True, True, False, False)

    def run():
        with torch.no_grad():
            p = functions.project(x, w_ih, b).unbind(0)
            for t in range(T):
                p[t].addmm_(hs[t], w_hh_t)
            for t in range(T - 2, -1, -1):
                torch.addmm(dys[t], das[t + 1], w_hh)
            torch.mm(das[0], w_hh)
            functions.weight_grads(need, da, da, x, h_prev, w_ih, n_first=2)
        if x.is_cuda:
            torch.cuda.synchronize()
    return run


def contenders(name, T, B, D, H, dtype, device, with_matmuls=False):
    """name -> closure for ours, nn (if torch has the cell), loop, and mm if asked for."""
    module, x, hx, dy = make_problem(name, T, B, D, H, dtype, device)
    out = {"ours": runner(module, module, x, hx, dy)}
    if name in NN:
        ref = NN[name](D, H, dtype=dtype, device=device)
        ref.load_state_dict(module.state_dict(), strict=True)
        out["nn"] = runner(ref, ref, x, hx, dy)
    out["loop"] = runner(lambda x, s: unroll(module, x, s), module, x, hx, dy)
    if with_matmuls:
        out["mm"] = matmuls(module, x, hx, dy)
    return out


def timed(fn):
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def measure(name, size, dtype=torch.float32, device="cpu", repeats=11, warmup=2,
            with_matmuls=False):
    """Median seconds per contender for one cell, interleaved runs.

    ``with_matmuls=True`` adds the contender ``mm`` (:func:`matmuls`) to the interleaving.

    Returns
    -------
    dict
        contender -> median seconds.
    """
    runs = contenders(name, *size, dtype, device, with_matmuls)
    for _ in range(warmup):
        for fn in runs.values():
            fn()
    times = {k: [] for k in runs}
    for _ in range(repeats):
        for k, fn in runs.items():
            times[k].append(timed(fn))
    return {k: statistics.median(v) for k, v in times.items()}


def checksum(name, size, dtype=torch.float32, device="cpu"):
    """Deterministic numbers of one forward+backward of ``ours`` on the benchmark problem.

    Stored next to the timings so a reader can re-run the configuration and check it computes
    the same thing: the sum of the outputs and the norm of all gradients, as floats.
    """
    module, x, hx, dy = make_problem(name, *size, dtype, device)
    y, _ = module(x, hx if len(hx) == 2 else hx[0])
    y.backward(dy)
    grads = [p.grad for p in module.parameters()] + [h.grad for h in hx]
    return {"output_sum": float(y.detach().double().sum()),
            "grad_norm": float(torch.cat([g.double().flatten() for g in grads]).norm())}


def row(name, med):
    """One line of the table (stable format)."""
    ours, nn, loop = med["ours"], med.get("nn"), med["loop"]
    ms = lambda s: f"{s * 1e3:10.2f}" if s is not None else f"{'-':>10}"   # noqa: E731
    ratio = f"{ours / nn:10.2f}" if nn is not None else f"{'-':>10}"
    return f"{name:<14}{ms(ours)}{ms(nn)}{ms(loop)}{ratio}{loop / ours:11.2f}"


def floor_row(name, med):
    """One line of the floor table: ours, its matrix products alone, the loop (stable format)."""
    ours, mm, loop = med["ours"], med["mm"], med["loop"]
    return (f"{name:<14}{ours * 1e3:10.2f}{mm * 1e3:10.2f}{loop * 1e3:10.2f}{mm / ours:10.2f}"
            f"{loop / mm:11.2f}")


def device_name(device):
    """The device in words: the GPU's name, or the CPU model, core count, ATen's vector ISA
    (``torch.backends.cpu.get_cpu_capability``) and torch's thread count."""
    if device == "cuda":
        return torch.cuda.get_device_name()
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            model = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return (f"{model} ({os.cpu_count()} cores, {torch.backends.cpu.get_cpu_capability()}), "
            f"{torch.get_num_threads()} torch thread(s)")


def table(results):
    """The printed table for ``{cell: medians}`` (stable format: header then one row per cell)."""
    return "\n".join([HEADER] + [row(name, med) for name, med in results.items()])


def floor_table(results):
    """The table of :func:`floor_row` for ``{cell: medians}`` measured ``with_matmuls``.

    ``loop/mm`` is what ``ours`` would gain over the loop if everything but its matrix products
    took no time and the products ran as fast as they do alone: a bound on ``loop/ours`` as long
    as ``mm <= ours``, as measured.
    """
    return "\n".join([FLOOR_HEADER] + [floor_row(name, med) for name, med in results.items()])
