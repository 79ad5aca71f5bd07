"""Tests for the synthetic sequence tasks in lstm_ref.tasks."""

import numpy as np
import pytest

from lstm_ref.tasks import IGNORE_INDEX, adding_problem, first_symbol, recent_sum


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
