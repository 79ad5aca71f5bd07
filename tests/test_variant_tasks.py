"""lstm_ref.variant_tasks: shapes, the structure each task promises, seeds, bad input."""
import numpy as np
import pytest

from lstm_ref.tasks import IGNORE_INDEX
from lstm_ref.variant_tasks import continual_recall, segment_lengths, spike_timing


def test_spike_timing_structure():
    spacings = (3, 5, 9)
    x, y = spike_timing(200, spacings, onset_window=4, tail=2, seed=1)
    T = 4 + 9 + 2
    assert x.shape == (T, 200, 2) and y.shape == (T, 200)
    assert np.all(y[:-1] == IGNORE_INDEX)
    assert np.all(x[:, :, 1] == 1.0)
    for b in range(200):
        at = np.flatnonzero(x[:, b, 0])
        assert len(at) == 2 and at[0] < 4
        assert at[1] - at[0] == spacings[y[-1, b]]
    assert set(y[-1]) == {0, 1, 2}


def test_spike_timing_seeded():
    a, b = spike_timing(5, seed=3), spike_timing(5, seed=3)
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])


@pytest.mark.parametrize("kw", [{"spacings": (4,)}, {"spacings": (4, 4)}, {"spacings": (0, 2)},
                                {"onset_window": 0}, {"tail": 0}])
def test_spike_timing_bad_input(kw):
    with pytest.raises(ValueError):
        spike_timing(3, **kw)


def test_segment_lengths_cover_exactly():
    rng = np.random.default_rng(0)
    for total in (1, 7, 50, 333):
        lengths = segment_lengths(total, 3, 6, rng)
        assert sum(lengths) == total
        assert all(3 <= L <= 6 for L in lengths[:-1]) and 1 <= lengths[-1] <= 6


def test_continual_recall_targets_are_the_current_key():
    K, F = 3, 2
    x, y = continual_recall(20, 300, K, n_fillers=F, min_len=3, max_len=8, seed=2)
    assert x.shape == (300, 20, K + 1 + F) and y.shape == (300, 20)
    s = x.argmax(-1)
    assert np.all(x.sum(-1) == 1.0)
    for b in range(20):
        key = None
        for t in range(300):
            if s[t, b] < K:
                assert t == 0 or s[t - 1, b] == K     # a key always follows a query
                key = s[t, b]
            if s[t, b] == K:
                assert y[t, b] == key
            else:
                assert y[t, b] == IGNORE_INDEX
    queries = (s == K).sum(0)
    assert np.all(queries >= 300 // 8 - 1)


def test_continual_recall_bad_input():
    with pytest.raises(ValueError):
        continual_recall(2, 10, min_len=5, max_len=4)
    with pytest.raises(ValueError):
        continual_recall(2, 10, n_keys=1)
    with pytest.raises(TypeError):
        continual_recall(2, 10.0)
