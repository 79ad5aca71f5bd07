"""lstm_ref.compare: the cells, the tasks, one run, the summary and the permutation test."""
import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from lstm_ref import compare  # noqa: E402


@pytest.mark.parametrize("cell", list(compare.CELL_SPECS))
def test_build_forget_bias_and_sizes(cell):
    core, head = compare.build(cell, 5, 6, 3, seed=0)
    assert core.input_size == 5 and core.hidden_size == 6 and head.out_features == 3
    bias = compare.CELL_SPECS[cell][2]
    if bias is not None:
        k = core.gates.index("f")
        b = core.bias_ih_l0.detach()[k * 6:(k + 1) * 6] + core.bias_hh_l0.detach()[k * 6:(k + 1) * 6]
        assert torch.all(b == bias)


def test_set_forget_bias_needs_a_forget_gate():
    core, _ = compare.build("noforget", 2, 3, 1, seed=0)
    with pytest.raises(ValueError, match="no forget gate"):
        compare.set_forget_bias(core, 1.0)
    core, _ = compare.build("lstm_b0", 2, 3, 1, seed=0)
    with pytest.raises(ValueError, match="finite"):
        compare.set_forget_bias(core, float("nan"))


def test_unknown_names():
    with pytest.raises(ValueError, match="cell must be one of"):
        compare.build("lstm2", 2, 3, 1, seed=0)
    with pytest.raises(ValueError, match="task must be one of"):
        compare.run("copy", "lstm_b0", 0.01, 0)


@pytest.mark.parametrize("task", list(compare.TASK_SPECS))
def test_task_data_matches_model_sizes(task):
    x, y = compare.task_data(task, 3, 0)
    D, K = compare._sizes(task)
    assert x.shape[1] == 3 and x.shape[2] == D
    if task != "adding":
        assert y.max() < K


@pytest.mark.parametrize("task", ["adding", "continual"])
def test_run_is_reproducible_and_scored(task):
    torch.set_num_threads(1)
    a = compare.run(task, "gru", 0.01, 1, hidden=4, steps=3)
    b = compare.run(task, "gru", 0.01, 1, hidden=4, steps=3)
    assert a == b
    assert a["steps"] == 3 and not a["diverged"]
    spec = compare.TASK_SPECS[task]
    if spec.higher_is_better:
        assert 0.0 <= a["test"] <= 1.0
        assert a["success"] == (a["test"] >= spec.success)
    else:
        assert a["test"] > 0 and a["success"] == (a["test"] <= spec.success)


def _rec(task, cell, lr, seed, val, test):
    spec = compare.TASK_SPECS[task]
    ok = test is not None and (test >= spec.success if spec.higher_is_better else test <= spec.success)
    return dict(task=task, cell=cell, lr=lr, seed=seed, val=val, test=test, success=ok)


def test_summarize_picks_the_best_validation_lr():
    recs = [_rec("timing", "gru", 0.01, s, 0.5, 0.4) for s in range(3)]
    recs += [_rec("timing", "gru", 0.1, s, 0.9, t) for s, t in enumerate((0.95, 0.85, 0.9))]
    recs += [_rec("adding", "rnn", 0.01, s, 0.2, 0.2) for s in range(3)]
    recs += [_rec("adding", "rnn", 0.1, s, None if s == 0 else 0.001, None if s == 0 else 0.001)
             for s in range(3)]
    out = compare.summarize(recs)
    g = out["timing", "gru"]
    assert g["best_lr"] == 0.1 and g["successes"] == 2 and g["n"] == 3
    assert math.isclose(g["mean"], 0.9) and math.isclose(g["std"], 0.05)
    r = out["adding", "rnn"]            # a diverged run makes 0.1 the worse choice
    assert r["best_lr"] == 0.01 and r["successes"] == 0


def test_permutation_test():
    d, p = compare.permutation_test([1, 2, 3, 4, 5], [6, 7, 8, 9, 10])
    assert d == -5.0 and math.isclose(p, 2 / 252)
    assert compare.permutation_test([1.0, 1.0], [1.0, 1.0]) == (0.0, 1.0)
    d, p = compare.permutation_test([0.0, 1.0, 0.0], [1.0, 0.0, 1.0])
    assert 0.0 < p <= 1.0
    with pytest.raises(ValueError):
        compare.permutation_test([1.0, np.nan], [1.0])
    with pytest.raises(ValueError):
        compare.permutation_test([], [1.0])


def test_dedupe_and_load_sweep(tmp_path):
    import json
    a = _rec("timing", "gru", 0.01, 0, 0.5, 0.4) | {"final_loss": 0.3}
    b = _rec("timing", "gru", 0.01, 1, 0.5, 0.6) | {"final_loss": 0.2}
    for name, runs in (("variant_sweep_x.json", [a, b]), ("variant_sweep_y.json", [dict(b)])):
        (tmp_path / name).write_text(json.dumps({"command": "c", "runs": runs}))
    records, files = compare.load_sweep(tmp_path)
    assert len(records) == 2 and files["variant_sweep_x.json"]["n_runs"] == 2
    assert files["variant_sweep_y.json"]["n_runs"] == 1
    with pytest.raises(ValueError, match="disagree"):
        compare.dedupe([a, dict(a, test=0.41)])
    with pytest.raises(FileNotFoundError):
        compare.load_sweep(tmp_path / "nothing")


def test_compare_shares_the_training_loop_of_lstm_ref_train():
    import lstm_ref.torch as lt
    from lstm_ref import train
    assert compare.set_forget_bias is train.set_forget_bias
    core, head = compare.build("peephole", 3, 4, 2, seed=5)
    ref_core, ref_head = train.build_model(lt.PeepholeLSTM, 3, 4, 2, seed=5,
                                           forget_bias=0.0)
    for p, q in zip(list(core.parameters()) + list(head.parameters()),
                    list(ref_core.parameters()) + list(ref_head.parameters())):
        assert torch.equal(p, q)


def test_run_reports_a_diverged_run():
    r = compare.run("adding", "rnn", 1e37, 0, hidden=4, steps=20)
    assert r["diverged"] and r["val"] is None and r["test"] is None
    assert r["final_loss"] is None and not r["success"]
