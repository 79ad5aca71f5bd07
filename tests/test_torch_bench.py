"""lstm_ref.torch.bench and benchmarks/bench_torch.py: what is timed, not how fast it is.

The floor ``mm`` (:func:`lstm_ref.torch.bench.matmuls`) is meant to be exactly the matrix
arithmetic of ``ours``: counted with torch's FLOP counter, both must do the same number of
floating-point operations in matrix products, the number the chapter computes by hand.
"""
import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch
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


@pytest.mark.parametrize("name", NAMES)
def test_matmuls_do_the_matrix_arithmetic_of_ours(name):
    G = len(getattr(lt, name).gates)
    by_hand = 2 * (2 * T * B * D * G * H + 3 * T * B * H * G * H)  # P, δW_ih; fwd, bwd, δW_hh
    module, x, hx, dy = bench.make_problem(name, T, B, D, H, torch.float32, "cpu")
    assert matmul_flops(bench.runner(module, module, x, hx, dy)) == by_hand
    assert matmul_flops(bench.matmuls(name, T, B, D, H, torch.float32, "cpu")) == by_hand


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
