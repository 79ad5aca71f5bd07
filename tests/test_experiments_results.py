"""The committed results of experiments/long_lags.py are complete and carry their provenance."""
import importlib.util
import json
from pathlib import Path

import pytest

pytest.importorskip("torch")
ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "experiments" / "results"


def script():
    spec = importlib.util.spec_from_file_location("long_lags", ROOT / "experiments" / "long_lags.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


L = script()


def load(part):
    return json.loads((RESULTS / f"long_lags_{part}.json").read_text())


@pytest.mark.parametrize("part", sorted(L.PARTS))
def test_every_part_has_a_results_file_with_provenance(part):
    p = load(part)["provenance"]
    assert p["command"] == f"python experiments/long_lags.py {part}"
    assert len(p["git_commit"]) == 40 and p["git_dirty"] is False
    assert {"python", "torch", "numpy"} <= set(p["versions"])
    assert p["device"].startswith("CPU") and p["date"].startswith("20")


def test_first_symbol_grid_is_complete():
    expected = set()
    for part, lags in L.FS_LAGS.items():
        expected |= {(lag, c, s) for lag in lags for c in L.CELLS for s in L.FS_SEEDS}
    expected |= {(lag, c, s) for lag in L.FS_LONG["lags"] for c in L.FS_LONG["cells"]
                 for s in L.FS_SEEDS}
    expected |= {(lag, c, s) for lag in L.FS_EXTRA_SEEDS["lags"]
                 for c in L.FS_EXTRA_SEEDS["cells"] for s in L.FS_EXTRA_SEEDS["seeds"]}
    parts = [*L.FS_LAGS, "first_symbol_long", "first_symbol_bias"]
    found = [(r["lag"], r["cell"], r["seed"]) for part in parts for r in load(part)["runs"]]
    assert len(found) == len(set(found)) and set(found) == expected
    for part in parts:
        assert load(part)["protocol"] == L.FS_PROTOCOL
        assert load(part)["threshold"] == L.FS_THRESHOLD


def test_adding_and_cue_runs_match_the_script():
    add = load("adding")
    assert add["protocol"] == L.ADD_PROTOCOL
    assert [(r["variant"], r["T"], r["cell"], r["seed"]) for r in add["runs"]] == \
        [tuple(x) for x in L.ADD_RUNS]
    steps = list(range(0, L.ADD_PROTOCOL["steps"] + 1, L.ADD_PROTOCOL["eval_every"]))
    assert all(r["eval_steps"] == steps for r in add["runs"])
    cue = load("cue")
    assert cue["protocol"] == L.CUE_PROTOCOL
    assert [(r["T"], r["cell"], r["seed"]) for r in cue["runs"]] == [tuple(x) for x in L.CUE_RUNS]
    bias = load("adding_bias")
    assert bias["protocol"] == L.ADD_PROTOCOL
    assert [(r["variant"], r["T"], r["cell"], r["seed"]) for r in bias["runs"]] == \
        [tuple(x) for x in L.ADD_BIAS_RUNS]
    cell = load("adding_cell")
    first = add["runs"][0]
    assert (first["variant"], first["cell"], first["seed"]) == (cell["variant"], cell["cell"],
                                                               cell["seed"])
    assert cell["final_test_mse"] == first["test_mse"][-1]
