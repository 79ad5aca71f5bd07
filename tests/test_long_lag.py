"""lstm_ref.long_lag: the chapter's long-lag training run is deterministic and checks its input."""
import pytest

torch = pytest.importorskip("torch")

from lstm_ref.long_lag import train_first_symbol  # noqa: E402


def test_run_is_deterministic_and_returns_accuracy_and_radius():
    torch.set_num_threads(1)
    a = train_first_symbol(3, 0, steps=5, hidden=4, batch=4, n_test=50)
    b = train_first_symbol(3, 0, steps=5, hidden=4, batch=4, n_test=50)
    assert a == b
    accuracy, radius = a
    assert 0.0 <= accuracy <= 1.0 and radius > 0.0


def test_orthogonal_init_starts_on_the_unit_circle():
    accuracy, radius = train_first_symbol(3, 1, init="orthogonal", steps=0, hidden=6, n_test=10)
    assert radius == pytest.approx(1.0, abs=1e-5)


def test_noise_changes_the_run():
    clean = train_first_symbol(3, 0, steps=3, hidden=4, batch=4, n_test=200)
    noisy = train_first_symbol(3, 0, steps=3, hidden=4, batch=4, n_test=200, noise=1.0)
    assert clean != noisy


@pytest.mark.parametrize("kwargs", [dict(init="identity"), dict(noise=-1.0),
                                    dict(noise=float("nan")), dict(hidden=0), dict(steps=-1)])
def test_bad_arguments_raise(kwargs):
    with pytest.raises(ValueError):
        train_first_symbol(3, 0, **kwargs)
