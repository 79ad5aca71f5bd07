"""lstm_ref.torch.bench and benchmarks/bench_torch.py: what is timed, not how fast it is.

The floor ``mm`` (:func:`lstm_ref.torch.bench.matmuls`) is meant to be exactly the matrix
products of ``ours``: recorded at PyTorch's dispatch, both must call the same sequence of
products with the same operand shapes and layouts. Counted with torch's FLOP counter, they and
the plain loop do the number of multiply-adds the chapter computes by hand.
"""
import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils.flop_counter import FlopCounterMode

import lstm_ref.torch as lt
from lstm_ref.torch import bench

ROOT = Path(__file__).resolve().parents[1]
NAMES = [m.__name__ for m in lt.MODULES]
T, B, D, H = 6, 3, 5, 4


def addmm_flops(self_shape, a_shape, b_shape, **_):
    """``addmm_``, which the counter does not know, counted as it counts ``addmm``."""
    return 2 * a_shape[0] * a_shape[1] * b_shape[1]


def matmul_flops(fn):
    """FLOPs of the matrix products ``fn()`` runs (the in-place ``addmm_`` counted too)."""
    with FlopCounterMode(display=False, custom_mapping={torch.ops.aten.addmm_: addmm_flops}) as fc:
        fn()
    return fc.get_total_flops()


class Products(TorchDispatchMode):
    """Records every matrix product dispatched: the shapes and strides of its two factors."""

    def __init__(self):
        super().__init__()
        self.seen = []

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        name = func.overloadpacket.__name__
        if name in ("mm", "addmm", "addmm_"):
            a, b = args[:2] if name == "mm" else args[1:3]
            self.seen.append((tuple(a.shape), a.stride(), tuple(b.shape), b.stride()))
        return func(*args, **(kwargs or {}))


def products(fn):
    with Products() as rec:
        fn()
    return rec.seen


@pytest.mark.parametrize("name", NAMES)
def test_matmuls_are_the_products_of_ours(name):
    module, x, hx, dy = bench.make_problem(name, T, B, D, H, torch.float32, "cpu")
    ours = products(bench.runner(module, module, x, hx, dy))
    assert len(ours) == 2 * T + 3                          # P, T forward, T - 1 + 1 back, δW x 2
    assert products(bench.matmuls(module, x, hx, dy)) == ours


@pytest.mark.parametrize("name", NAMES)
def test_ours_floor_and_loop_do_the_same_multiply_adds(name):
    G = len(getattr(lt, name).gates)
    by_hand = 2 * (2 * T * B * D * G * H + 3 * T * B * H * G * H)  # P, δW_ih; fwd, bwd, δW_hh
    runs = bench.contenders(name, T, B, D, H, torch.float32, "cpu", with_matmuls=True)
    assert {k: matmul_flops(runs[k]) for k in ("ours", "mm", "loop")} == dict.fromkeys(
        ("ours", "mm", "loop"), by_hand)


def test_matmuls_refuses_cho_gru():
    module = lt.GRU(D, H, reset_after=False)
    with pytest.raises(ValueError, match="reset_after=True"):
        bench.matmuls(module, torch.randn(T, B, D), (torch.zeros(1, B, H),),
                      torch.randn(T, B, H))


def test_measure_with_matmuls_and_floor_table():
    med = bench.measure("LSTM", (T, B, D, H), repeats=1, warmup=0, with_matmuls=True)
    assert set(med) == {"ours", "nn", "loop", "mm"} and all(v > 0 for v in med.values())
    assert set(bench.measure("CoupledLSTM", (T, B, D, H), repeats=1, warmup=0)) == {"ours", "loop"}
    lines = bench.floor_table({"LSTM": {"ours": 0.004, "mm": 0.001, "loop": 0.006}}).splitlines()
    assert lines[0] == bench.FLOOR_HEADER
    assert lines[1].split() == ["LSTM", "4.00", "1.00", "6.00", "0.25", "6.00"]


def test_bench_torch_script_prints_both_tables_and_writes_json(tmp_path):
    out = tmp_path / "bench.json"
    cells = ["LSTM", "NoForgetLSTM"]
    done = subprocess.run([sys.executable, "benchmarks/bench_torch.py", "--repeats", "1",
                           "--size", "4", "2", "3", "5", "--cells", *cells, "--matmuls",
                           "--json", str(out)], cwd=ROOT, capture_output=True, text=True,
                          timeout=300, check=True)
    lines = done.stdout.splitlines()
    first, second = lines.index(bench.HEADER), lines.index(bench.FLOOR_HEADER)
    assert [ln.split()[0] for ln in lines[first + 1:first + 3]] == cells
    assert [ln.split()[0] for ln in lines[second + 1:second + 3]] == cells
    record = json.loads(out.read_text())
    assert [r["cell"] for r in record["results"]] == cells
    assert all(r["mm_s"] > 0 and r["ours_s"] > 0 for r in record["results"])
    assert "--matmuls" in record["command"]
