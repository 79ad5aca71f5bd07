"""Check the Triton kernels of :mod:`lstm_ref.torch.fused` on the CPU, in Triton's interpreter.

    python -m lstm_ref.torch.fused_check          (needs Triton; sets TRITON_INTERPRET=1 itself)

Triton's interpreter executes the kernels with numpy on CPU tensors, so the fused path of every
Function can be compared with the plain-torch path on a machine without a GPU. Prints one JSON
object: per configuration (cell, dtype, bias), the largest relative difference over the outputs,
final states and every gradient, and how many kernel launches the fused run made; and, per dtype,
the largest relative errors of the kernels' tanh and sigmoid against torch's float64 ones; and,
per cell, whether a float32 module inside ``torch.autocast(dtype=torch.bfloat16)`` computes exactly
what a bfloat16 copy of it does.
Used by ``tests/test_torch_fused.py`` and by the chapter "From the reference to a fast
implementation".

The interpreter is not the GPU: it computes ``tl.exp`` and division with numpy, where compiled
float32 kernels use approximate instructions, and it truncates float32 to bfloat16 where the GPU
rounds to nearest (see :mod:`lstm_ref.torch.fused`). A passing check says the kernels compute
the right equations with the right indexing; it says nothing of speed, and the float32 and
bfloat16 figures it reports are the interpreter's.
"""
import functools
import json
import os
import subprocess
import sys
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[2]
CELLS = ("LSTM", "PeepholeLSTM", "CoupledLSTM", "NoForgetLSTM", "GRU", "GRU(reset_after=False)")
"""tuple: the configurations checked, as named in the report."""

LAUNCHES = {"n": 0}


def counted(fn):
    """``fn``, counting its calls in :data:`LAUNCHES` (to show that the fused path ran)."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        LAUNCHES["n"] += 1
        return fn(*args, **kwargs)
    return wrapper


def worst(errors):
    """The largest of some 0-d tensors, NaN if any is NaN.

    Python's ``max`` would drop a NaN that is not first (``nan > x`` is False), so a NaN output
    or gradient of the fused path could pass unnoticed; ``torch.max`` propagates it.
    """
    return torch.stack([e.double() for e in errors]).max().item()


def run(module, x, hx):
    """Outputs, final states and the gradients of a fixed random loss w.r.t. input, states and
    every parameter."""
    x = x.clone().requires_grad_()
    hx = tuple(h.clone().requires_grad_() for h in hx)
    out, hn = module(x, hx if module.has_cell_state else hx[0])
    hs = hn if isinstance(hn, tuple) else (hn,)
    gen = torch.Generator().manual_seed(1)
    weight = lambda t: torch.randn(t.shape, generator=gen, dtype=torch.float64).to(t.dtype)  # noqa: E731
    loss = (out * weight(out)).sum() + sum((h * weight(h)).sum() for h in hs)
    grads = torch.autograd.grad(loss, [x, *hx, *module.parameters()])
    return [out, *hs, *grads]


def compare(cls, options, dtype, bias):
    """Run one configuration with and without the kernels; the largest relative difference."""
    import lstm_ref.torch.fused as fused
    torch.manual_seed(0)
    module = cls(3, 5, num_layers=2, bias=bias, bidirectional=True, dtype=dtype, **options)
    with torch.no_grad():
        for p in module.parameters():
            p.mul_(3.0)                                  # saturate some gates too
    L, B, H = 4, 3, 5
    x = torch.randn(6, B, 3, dtype=dtype)
    # states with a row stride other than H: the kernels must honour strides
    hx = tuple(torch.randn(B, L, H, dtype=dtype).transpose(0, 1)
               for _ in range(2 if module.has_cell_state else 1))
    fused.ENABLED = False
    plain = run(module, x, hx)
    fused.ENABLED = True
    before = LAUNCHES["n"]
    fast = run(module, x, hx)
    err = worst((a - b).abs().max() / b.abs().max() for a, b in zip(fast, plain))
    return {"max_rel_diff": err, "launches": LAUNCHES["n"] - before}


def compare_bfloat16(cls, options, bias):
    """bfloat16 through the kernels against the float64 plain-torch result of the same weights:
    the largest difference relative to each tensor's largest entry."""
    import copy

    import lstm_ref.torch.fused as fused
    torch.manual_seed(0)
    ref = cls(3, 5, num_layers=2, bias=bias, bidirectional=True, dtype=torch.float64, **options)
    L, B, H = 4, 3, 5
    x = torch.randn(6, B, 3, dtype=torch.float64)
    hx = tuple(torch.randn(L, B, H, dtype=torch.float64)
               for _ in range(2 if ref.has_cell_state else 1))
    low = copy.deepcopy(ref).to(torch.bfloat16)
    # the reference starts from the bfloat16-rounded weights and inputs: only the arithmetic differs
    ref.load_state_dict({k: v.double() for k, v in low.state_dict().items()})
    x, hx = x.bfloat16().double(), tuple(h.bfloat16().double() for h in hx)
    fused.ENABLED = False
    want = run(ref, x, hx)
    fused.ENABLED = True
    before = LAUNCHES["n"]
    got = run(low, x.bfloat16(), tuple(h.bfloat16() for h in hx))
    err = worst((a.double() - b).abs().max() / b.abs().max() for a, b in zip(got, want))
    return {"max_rel_diff": err, "launches": LAUNCHES["n"] - before}


def state_accumulation():
    """Whether the bfloat16 kernels carry the state in float32, on two slow accumulations.

    LSTM: ``f = 1``, ``i = 1/2``, ``g = tanh(0.004)``, so ``c`` grows by about 0.002 a step from
    ``c_0 = 1`` for 200 steps. GRU: ``z ≈ 0.99``, ``n = 1/2``, so ``h`` creeps from 0 towards
    1/2 over 300 steps. Rounded to bfloat16 after every step (spacing 2^-7 near 1), either state
    would stall; carried in float32 it follows the float64 result. Returns, per cell, the final
    state in bfloat16 (``got``), the float64 result with the same rounded weights (``want``) and
    the value a bfloat16-rounded state reaches (``stalled``).
    """
    import lstm_ref.torch as lt
    out = {}
    for name in ("LSTM", "GRU"):
        T = 200 if name == "LSTM" else 300
        low = getattr(lt, name)(1, 1, dtype=torch.bfloat16)
        with torch.no_grad():
            for p in low.parameters():
                p.zero_()
            b = low.bias_ih_l0
            if name == "LSTM":
                b[1], b[2] = 30.0, 0.004                          # f = 1, g = tanh(0.004)
            else:
                b[1], b[2] = 4.595, 0.5493                        # z = 0.99, n = 0.5
        ref = getattr(lt, name)(1, 1, dtype=torch.float64)
        ref.load_state_dict({k: v.double() for k, v in low.state_dict().items()})
        x = torch.zeros(T, 1, 1, dtype=torch.float64)
        if name == "LSTM":
            hx = (torch.zeros(1, 1, 1, dtype=torch.float64), torch.ones(1, 1, 1, dtype=torch.float64))
            want = ref(x, hx)[1][1].item()
            got = low(x.bfloat16(), tuple(h.bfloat16() for h in hx))[1][1].item()
            i, g = torch.sigmoid(b[0].float()), torch.tanh(b[2].float())
            c = torch.ones((), dtype=torch.bfloat16)
            for _ in range(T):
                c = (c.float() + i * g).bfloat16()               # a bfloat16 state
            stalled = c.item()
        else:
            want = ref(x)[1].item()
            got = low(x.bfloat16())[1].item()
            z, n = torch.sigmoid(b[1].float()), torch.tanh(b[2].float())
            h = torch.zeros((), dtype=torch.bfloat16)
            for _ in range(T):
                h = (n + z * (h.float() - n)).bfloat16()
            stalled = h.item()
        out[name] = {"got": got, "want": want, "stalled": stalled}
    return out


def autocast_bfloat16(cls, options):
    """A float32 module inside ``torch.autocast(dtype=torch.bfloat16)``, against a bfloat16 copy.

    Where the kernels run, autocast makes the module compute in bfloat16 with its parameters
    cast for the call; so its outputs should equal the copy's exactly, and its float32 gradients
    the copy's bfloat16 ones, converted. Returns whether they do, the output dtype and the
    launches.
    """
    import copy
    torch.manual_seed(0)
    m = cls(3, 5, num_layers=2, bidirectional=True, **options)
    low = copy.deepcopy(m).to(torch.bfloat16)
    x = torch.randn(6, 3, 3).bfloat16()
    hx = tuple(torch.randn(4, 3, 5).bfloat16() for _ in range(2 if m.has_cell_state else 1))
    before = LAUNCHES["n"]
    with torch.autocast(x.device.type, dtype=torch.bfloat16):    # float32 in, the same values
        got = run(m, x.float(), tuple(h.float() for h in hx))
    launches = LAUNCHES["n"] - before
    want = run(low, x, hx)
    n_out = 1 + len(hx)                              # the output and the final states
    same = [torch.equal(a, b.to(a.dtype)) for a, b in zip(got, want)]
    return {"dtype": str(got[0].dtype)[6:], "outputs_equal": all(same[:n_out]),
            "grads_equal": all(same[n_out:]), "launches": launches}


def activations(dtype):
    """Relative errors of the kernels' tanh and sigmoid over ``|x|`` in ``1e-30 .. 1e3``."""
    from lstm_ref.torch.fused import activations as kernel_activations
    mags = torch.logspace(-30, 3, 2000, dtype=torch.float64)
    x = torch.cat([mags, -mags, torch.zeros(1, dtype=torch.float64)]).to(dtype)
    t, s = kernel_activations(x)
    x64 = x.double()
    tiny = torch.finfo(dtype).tiny                   # below it, subnormals lose relative precision

    def rel(got, want):
        keep = want.abs() >= tiny
        return ((got.double() - want) / want)[keep].abs().max().item()

    special = torch.tensor([float("inf"), -float("inf"), float("nan")], dtype=dtype)
    ts, ss = kernel_activations(special)
    return {"tanh_rel": rel(t, torch.tanh(x64)), "sigmoid_rel": rel(s, torch.sigmoid(x64)),
            "special_ok": ts[:2].tolist() == [1.0, -1.0] and ss[:2].tolist() == [1.0, 0.0]
            and bool(ts[2].isnan()) and bool(ss[2].isnan()),
            "eps": torch.finfo(dtype).eps}


def triton_installed():
    """True when Triton can be imported (the check needs it; CPU builds of torch do not ship it)."""
    import importlib.util
    return importlib.util.find_spec("triton") is not None


def report():
    """Compare the fused and plain paths (this process must run under the interpreter)."""
    import lstm_ref.torch as lt
    import lstm_ref.torch.fused as fused
    if not (fused.INTERPRET and fused.available()):
        raise RuntimeError("report() needs Triton and TRITON_INTERPRET=1 set before lstm_ref.torch "
                           "is imported; run python -m lstm_ref.torch.fused_check")
    for name in fused.__all__:
        if name.startswith(("lstm_", "gru_")):
            setattr(fused, name, counted(getattr(fused, name)))
    assert fused.enabled(torch.zeros(1)), "the fused path is not enabled under the interpreter"
    cells = list(zip(CELLS, [lt.LSTM, lt.PeepholeLSTM, lt.CoupledLSTM, lt.NoForgetLSTM, lt.GRU,
                             lt.GRU], [{}, {}, {}, {}, {}, {"reset_after": False}]))
    out = {"cells": {}, "activations": {}, "bfloat16": {}}
    for dtype in (torch.float64, torch.float32):
        for name, cls, options in cells:
            for bias in (True, False):
                key = f"{name} {str(dtype)[6:]} bias={bias}"
                out["cells"][key] = compare(cls, options, dtype, bias)
        out["activations"][str(dtype)[6:]] = activations(dtype)
    out["state_accumulation"] = state_accumulation()
    for name, cls, options in [("RNN", lt.RNN, {}), *cells]:
        for bias in (True, False):
            out["bfloat16"][f"{name} bfloat16 bias={bias}"] = compare_bfloat16(cls, options, bias)
    out["autocast"] = {name: autocast_bfloat16(cls, options) for name, cls, options in cells}
    return out


STATE_ARGS = {"cp_ptr", "c_ptr", "dc_ptr", "hp_ptr", "hs_ptr", "dh_ptr"}
"""set: pointer arguments that hold a state (or its gradient): float32 for bfloat16 data, or the
data's own dtype (the initial state, and the LSTM's ``δh``)."""


def compile_for_gpu(capability=90):
    """Compile every kernel of :mod:`lstm_ref.torch.fused` for an NVIDIA GPU, without one.

    The interpreter runs the kernels' Python, not what Triton compiles for a GPU; this compiles
    each kernel, for every ``KIND``/``SHADOW`` and float32, float64 and bfloat16 data (state
    pointers of bfloat16 data both as float32 and as bfloat16), down to PTX for compute capability
    ``capability`` (Triton ships the compiler). Returns ``{variant: error or None}``.
    """
    import itertools

    import triton
    import triton.language as tl
    from triton.backends.compiler import GPUTarget
    from triton.compiler import ASTSource

    import lstm_ref.torch.fused as fused
    target = GPUTarget("cuda", capability, 32)
    kernels = {name: getattr(fused, name) for name in dir(fused)
               if name.startswith("_") and name.endswith("_kernel")}
    variants = {"KIND": (fused.LSTM, fused.PEEPHOLE, fused.COUPLED, fused.NOFORGET),
                "SHADOW": (False, True)}
    data = [("float32", "*fp32", "*fp32", tl.float32), ("float64", "*fp64", "*fp64", tl.float64),
            ("bfloat16", "*bf16", "*fp32", tl.float32), ("bfloat16", "*bf16", "*bf16", tl.float32)]
    out = {}
    for (name, kernel), (dtype, ptr, state_ptr, acc) in itertools.product(kernels.items(), data):
        own = [a for a in variants if a in kernel.arg_names]
        for values in itertools.product(*(variants[a] for a in own)):
            constexprs = {"ACC": acc, "BLOCK": fused.BLOCK, **dict(zip(own, values))}
            signature = {a: "constexpr" if a in constexprs else
                         (state_ptr if a in STATE_ARGS else ptr) if a.endswith("_ptr") else "i32"
                         for a in kernel.arg_names}
            key = f"{name} {dtype} state {state_ptr[1:]} " + " ".join(
                f"{a}={v}" for a, v in zip(own, values))
            try:
                triton.compile(ASTSource(fn=kernel, signature=signature, constexprs=constexprs),
                               target=target)
                out[key.strip()] = None
            except Exception as err:                       # noqa: BLE001 (reported, asserted)
                out[key.strip()] = f"{type(err).__name__}: {str(err)[:500]}"
    return out


def run_interpreted(timeout=600):
    """Run this check in a fresh process under Triton's interpreter and return its report."""
    env = {**os.environ, "TRITON_INTERPRET": "1", "OMP_NUM_THREADS": "1",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    done = subprocess.run([sys.executable, "-m", "lstm_ref.torch.fused_check"], env=env,
                          capture_output=True, text=True, timeout=timeout)
    if done.returncode:
        raise RuntimeError(f"python -m lstm_ref.torch.fused_check failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout)


if __name__ == "__main__":
    if os.environ.get("TRITON_INTERPRET") != "1":
        json.dump(run_interpreted(), sys.stdout)
    else:
        json.dump(report(), sys.stdout)
