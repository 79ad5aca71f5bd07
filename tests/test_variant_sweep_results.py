"""The stored results of experiments/variant_sweep.py: provenance and a complete, balanced grid."""
from pathlib import Path

import pytest

from lstm_ref import compare

RESULTS = Path(__file__).resolve().parent.parent / "experiments" / "results"


def test_results_cover_the_grid_with_provenance():
    if not list(RESULTS.glob("variant_sweep_*.json")):
        pytest.skip("no stored sweep results")
    records, files = compare.load_sweep(RESULTS)       # also checks duplicate runs agree
    for name, info in files.items():
        for key in ("command", "git_commit", "git_dirty", "device", "versions", "date", "grid"):
            assert key in info, (name, key)
        assert info["command"].startswith("python experiments/variant_sweep.py")
        assert len(info["git_commit"]) == 40 and isinstance(info["git_dirty"], bool)
        assert {"python", "torch", "numpy"} <= set(info["versions"])
    lrs = files[next(iter(files))]["grid"]["lrs"]
    seen = {(r["task"], r["cell"], r["lr"], r["seed"]) for r in records}
    expected = {(t, c, lr, s) for t in compare.TASK_SPECS for c in compare.CELL_SPECS
                for lr in lrs for s in range(5)}
    assert seen == expected
