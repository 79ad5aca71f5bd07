"""Tests for the synthetic sequence tasks in lstm_ref.tasks."""

import numpy as np
import pytest

from lstm_ref.tasks import IGNORE_INDEX, adding_problem, cue_recall, first_symbol, recent_sum


# ---------------------------------------------------------------- recent_sum
def test_recent_sum_shapes_and_dtypes():
    x, y = recent_sum(5, 7, 3, seed=0)
    assert x.shape == (7, 5, 3) and x.dtype == np.float64
    assert y.shape == (7, 5) and y.dtype == np.int64


def test_recent_sum_inputs_are_one_hot():
    x, _ = recent_sum(8, 10, seed=1)
    assert set(np.unique(x)) <= {0.0, 1.0}
    np.testing.assert_array_equal(x.sum(axis=-1), 1.0)


def test_recent_sum_rule_holds():
    K = 5
    x, y = recent_sum(16, 12, K, seed=2)
    s = x.argmax(axis=-1)
    assert np.all(y[0] == IGNORE_INDEX)
    np.testing.assert_array_equal(y[1:], (s[1:] + s[:-1]) % K)


def test_recent_sum_uses_every_symbol():
    x, y = recent_sum(200, 10, 4, seed=3)
    assert set(np.unique(x.argmax(-1))) == {0, 1, 2, 3}
    assert set(np.unique(y[1:])) == {0, 1, 2, 3}


def test_recent_sum_deterministic_under_seed():
    a = recent_sum(4, 6, seed=11)
    b = recent_sum(4, 6, seed=11)
    c = recent_sum(4, 6, seed=12)
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)
    assert not np.array_equal(a[0], c[0])


def test_recent_sum_accepts_numpy_integers():
    x, y = recent_sum(np.int64(2), np.int32(3), np.int16(2), seed=0)
    assert x.shape == (3, 2, 2)


@pytest.mark.parametrize(
    "args, exc",
    [
        ((0, 5), ValueError),
        ((3, 1), ValueError),
        ((3, 5, 1), ValueError),
        ((2.0, 5), TypeError),
        ((2, "5"), TypeError),
        ((True, 5), TypeError),
    ],
)
def test_recent_sum_bad_arguments(args, exc):
    with pytest.raises(exc):
        recent_sum(*args, seed=0)


def test_error_message_names_expectation_and_value():
    with pytest.raises(ValueError, match=r"T must be an integer >= 2, got 1"):
        recent_sum(3, 1)
    with pytest.raises(TypeError, match=r"n_seq must be an integer, got float 2\.5"):
        recent_sum(2.5, 4)


# -------------------------------------------------------------- first_symbol
def test_first_symbol_shapes_and_dtypes():
    x, y = first_symbol(6, 9, n_classes=3, n_distractors=5, seed=0)
    assert x.shape == (10, 6, 8) and x.dtype == np.float64
    assert y.shape == (10, 6) and y.dtype == np.int64


def test_first_symbol_rule_holds():
    C, M, lag = 3, 4, 15
    x, y = first_symbol(64, lag, C, M, seed=4)
    s = x.argmax(axis=-1)
    np.testing.assert_array_equal(x.sum(axis=-1), 1.0)
    # the class symbol comes first, distractors fill the rest
    assert np.all(s[0] < C)
    assert np.all((s[1:] >= C) & (s[1:] < C + M))
    # only the last step is scored, and its target is the first symbol
    assert np.all(y[:-1] == IGNORE_INDEX)
    np.testing.assert_array_equal(y[-1], s[0])


def test_first_symbol_classes_roughly_balanced():
    _, y = first_symbol(4000, 1, n_classes=2, seed=5)
    frac = np.mean(y[-1] == 1)
    assert abs(frac - 0.5) < 0.05


def test_first_symbol_distractors_carry_no_class_information():
    # with a single distractor symbol, every sequence is identical after step 0
    x, _ = first_symbol(10, 6, n_classes=2, n_distractors=1, seed=6)
    assert np.all(x[1:] == x[1:, :1])


def test_first_symbol_deterministic_under_seed():
    a = first_symbol(5, 8, seed=21)
    b = first_symbol(5, 8, seed=21)
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)


@pytest.mark.parametrize(
    "args, exc",
    [
        ((4, 0), ValueError),
        ((0, 3), ValueError),
        ((4, 3, 1), ValueError),
        ((4, 3, 2, 0), ValueError),
        ((4, 3.5), TypeError),
        ((4, None), TypeError),
    ],
)
def test_first_symbol_bad_arguments(args, exc):
    with pytest.raises(exc):
        first_symbol(*args, seed=0)


# ------------------------------------------------------------ adding_problem
def test_adding_problem_shapes_and_dtypes():
    x, y = adding_problem(7, 20, seed=0)
    assert x.shape == (20, 7, 2) and x.dtype == np.float64
    assert y.shape == (7,) and y.dtype == np.float64


@pytest.mark.parametrize("T", [2, 3, 10, 51])
def test_adding_problem_markers(T):
    x, _ = adding_problem(300, T, seed=T)
    marker = x[..., 1]
    assert set(np.unique(marker)) <= {0.0, 1.0}
    np.testing.assert_array_equal(marker.sum(axis=0), 2.0)
    half = T // 2
    np.testing.assert_array_equal(marker[:half].sum(axis=0), 1.0)
    np.testing.assert_array_equal(marker[half:].sum(axis=0), 1.0)


def test_adding_problem_rule_and_ranges():
    x, y = adding_problem(100, 30, seed=7)
    values = x[..., 0]
    assert np.all((values >= 0.0) & (values < 1.0))
    np.testing.assert_allclose(y, (values * x[..., 1]).sum(axis=0))
    assert np.all((y >= 0.0) & (y < 2.0))


def test_adding_problem_baseline_mse_is_about_one_sixth():
    _, y = adding_problem(20000, 10, seed=8)
    assert abs(np.mean((y - 1.0) ** 2) - 1 / 6) < 0.01


def test_adding_problem_deterministic_under_seed():
    a = adding_problem(3, 9, seed=31)
    b = adding_problem(3, 9, seed=31)
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)


@pytest.mark.parametrize(
    "args, exc",
    [((0, 10), ValueError), ((3, 1), ValueError), ((3, 10.0), TypeError)],
)
def test_adding_problem_bad_arguments(args, exc):
    with pytest.raises(exc):
        adding_problem(*args, seed=0)


# ------------------------------------------------- adding_problem, original form
def test_adding_problem_unknown_variant():
    with pytest.raises(ValueError, match="variant must be one of"):
        adding_problem(3, 20, variant="classic", seed=0)


def test_adding_problem_original_needs_ten_steps():
    with pytest.raises(ValueError, match=r"T must be an integer >= 10, got 9"):
        adding_problem(3, 9, variant="original", seed=0)
    adding_problem(3, 10, variant="original", seed=0)


@pytest.mark.parametrize("T", [10, 11, 40, 101])
def test_adding_problem_original_markers(T):
    x, y = adding_problem(2000, T, variant="original", seed=T)
    values, marker = x[..., 0], x[..., 1]
    assert set(np.unique(marker)) <= {-1.0, 0.0, 1.0}
    np.testing.assert_array_equal((marker == 1).sum(axis=0), 2)
    pos = np.argwhere(marker.T == 1)[:, 1].reshape(-1, 2)
    m = T // 2 - 1
    # one marker among the first ten steps, the other among the first m + 1 steps
    a, b = pos[:, 0], pos[:, 1]
    assert np.all(((a < 10) & (b <= m)) | ((b < 10) & (a <= m)))
    # -1 at both ends unless that end is marked, 0 elsewhere
    for end in (0, T - 1):
        np.testing.assert_array_equal(marker[end] == -1, marker[end] != 1)
    assert np.all(marker[1:T - 1] >= 0)
    assert np.all((values >= -1) & (values < 1))
    # the target is 0.5 + (X1 + X2) / 4 of the marked values
    np.testing.assert_allclose(y, 0.5 + (values * (marker == 1)).sum(axis=0) / 4)
    assert np.all((y >= 0.0) & (y <= 1.0))


def test_adding_problem_original_second_marker_is_uniform_over_unmarked_steps():
    T = 24                                          # T//2 - 1 = 11 candidate steps
    x, _ = adding_problem(60000, T, variant="original", seed=3)
    marker = x[..., 1]
    counts = (marker[: T // 2] == 1).sum(axis=1)    # steps 0 .. 11
    # step s < 10 is marked as first (1/10) or as second; the second marker never
    # goes past T//2 - 1 = 11, and step 11 is reached only when first < 11 (always)
    assert counts[11] > 0 and (marker[T // 2:] == 1).sum() == 0
    # expected frequency of step 11 being marked: P(second = 11) = 1/11
    assert abs(counts[11] / 60000 - 1 / 11) < 0.01


def test_adding_problem_original_x1_is_zero_when_step_0_is_marked():
    # step 0 is marked as the first marker with probability 1/10 (then its value is
    # set to 0) and as the second with probability 9/10 * 1/m (value kept)
    n, T = 100000, 30
    x, _ = adding_problem(n, T, variant="original", seed=4)
    marked0, value0 = x[0, :, 1] == 1, x[0, :, 0]
    assert np.all(value0[~marked0] != 0.0)
    m = T // 2 - 1
    assert abs(np.mean(marked0 & (value0 == 0.0)) - 0.1) < 0.005
    assert abs(np.mean(marked0 & (value0 != 0.0)) - 0.9 / m) < 0.005


def test_adding_problem_original_baseline_is_a_trap():
    # always answering 0.5 has MSE (0.9/3 + 1/3)/16 = 19/480 < 0.04
    _, y = adding_problem(200000, 100, variant="original", seed=5)
    mse = np.mean((y - 0.5) ** 2)
    assert abs(mse - 19 / 480) < 5e-4 and mse < 0.04


# ------------------------------------------------------------------ cue_recall
def test_cue_recall_shapes_and_rule():
    K, F, T = 3, 5, 20
    x, y = cue_recall(400, T, K, n_decoys=3, n_fillers=F, cue_window=4, seed=0)
    assert x.shape == (T, 400, K + 3 + F) and x.dtype == np.float64
    assert y.shape == (T, 400) and y.dtype == np.int64
    np.testing.assert_array_equal(x.sum(axis=-1), 1.0)
    s = x.argmax(-1)
    cue, decoy, query = K, K + 1, K + 2
    assert np.all(y[:-1] == IGNORE_INDEX) and np.all(s[-1] == query)
    assert np.all((s[:-1] != query))
    for b in range(400):
        p = np.flatnonzero(s[:, b] == cue)
        assert len(p) == 1 and p[0] < 4
        assert y[-1, b] == s[p[0] + 1, b] < K
        d = np.flatnonzero(s[:, b] == decoy)
        assert len(d) == 3 and np.all(d > p[0] + 1) and np.all(d <= T - 3)
        assert np.all(s[d + 1, b] < K)               # every decoy marker is followed by a key
        keys = np.flatnonzero(s[:, b] < K)
        np.testing.assert_array_equal(np.sort(keys), np.sort(np.r_[p + 1, d + 1]))
    assert set(np.unique(y[-1])) == set(range(K))


def test_cue_recall_last_key_seen_is_a_poor_guess():
    K = 4
    x, y = cue_recall(20000, 30, K, seed=1)
    s = x.argmax(-1)
    last_key = np.array([s[:, b][s[:, b] < K][-1] for b in range(s.shape[1])])
    acc = np.mean(last_key == y[-1])
    assert abs(acc - 1 / K) < 0.02                  # the decoys' keys are independent of it


def test_cue_recall_deterministic_and_bad_arguments():
    a, b = cue_recall(4, 15, seed=2), cue_recall(4, 15, seed=2)
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)
    with pytest.raises(ValueError, match=r"T must be an integer >= 12, got 11"):
        cue_recall(4, 11, seed=0)                    # 5 + 2*2 + 3 = 12
    with pytest.raises(ValueError):
        cue_recall(4, 20, 1, seed=0)
    with pytest.raises(TypeError):
        cue_recall(4, 20.0, seed=0)
    x, _ = cue_recall(4, 8, n_decoys=0, cue_window=5, seed=0)
    assert x.shape[0] == 8
