"""Regression tests for defects found in review of lstm_ref."""
import warnings

import numpy as np
import pytest

import lstm_ref


def test_stack_load_state_dict_refuses_keys_of_no_layer():
    net = lstm_ref.Stack([lstm_ref.LSTM(3, 4, seed=0), lstm_ref.GRU(4, 2, seed=1)])
    good = net.state_dict()
    with pytest.raises(ValueError, match=r"unexpected keys \['2.weight_ih'\]"):
        net.load_state_dict(dict(good, **{"2.weight_ih": np.zeros((3, 3))}))
    with pytest.raises(ValueError, match=r"unexpected keys \['weight_ih'\]"):
        net.load_state_dict(dict(good, weight_ih=np.zeros((16, 3))))
    with pytest.raises(TypeError, match="must be a dict of arrays, got list"):
        net.load_state_dict([good])
    net.load_state_dict(good)                       # the valid dict still loads


def test_linear_load_state_dict_refuses_extra_keys_and_nonfinite_arrays():
    lin = lstm_ref.Linear(4, 2, seed=0)
    with pytest.raises(ValueError, match=r"unexpected keys \['foo'\]"):
        lin.load_state_dict(dict(lin.state_dict(), foo=np.zeros(1)))
    with pytest.raises(ValueError, match=r"state_dict\['weight'\] must be finite"):
        lin.load_state_dict({"weight": np.full((2, 4), np.nan), "bias": np.zeros(2)})
    assert np.all(np.isfinite(lin.weight))


def test_cross_entropy_with_everything_ignored_is_plus_zero():
    loss, d = lstm_ref.softmax_cross_entropy(np.zeros((2, 3, 4)), np.full((2, 3), -100))
    assert loss == 0.0 and np.copysign(1.0, loss) == 1.0
    assert not d.any()


@pytest.mark.parametrize("shape", [(0, 4), (2, 0, 4), (2, 3, 0)])
def test_cross_entropy_with_empty_logits_is_a_value_error(shape):
    with pytest.raises(ValueError, match=r"every size >= 1, got \(" ):
        lstm_ref.softmax_cross_entropy(np.zeros(shape), np.zeros(shape[:-1], dtype=int))


def test_float32_softmax_and_loss_do_not_underflow():
    z = np.array([-1e4, -800.0, -200.0, -60.0, 0.0, 40.0, 1e4], np.float32)
    logits = np.stack([z, -z])
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        p = lstm_ref.softmax(logits)
        lp = lstm_ref.log_softmax(logits)
        loss, d = lstm_ref.softmax_cross_entropy(logits, np.array([0, 6]))
    assert p.dtype == lp.dtype == d.dtype == np.float32
    np.testing.assert_allclose(p.sum(-1), 1, rtol=1e-6)
    assert np.all(np.isfinite(lp)) and loss == pytest.approx(2e4)
    x = np.array([[0.0, -10.0, -30.0]], np.float32)    # ordinary values are unchanged
    np.testing.assert_allclose(lstm_ref.softmax(x), lstm_ref.softmax(x.astype(np.float64)),
                               rtol=1e-6)


def test_adam_needs_exactly_two_betas():
    p = {"w": np.zeros(3)}
    for betas in [(0.9,), (0.9, 0.99, 0.5)]:
        with pytest.raises(ValueError, match="two betas"):
            lstm_ref.Adam(p, betas=betas)


# --- the cache cannot be changed behind backward's back -------------------------------------

@pytest.mark.parametrize("cell_cls", lstm_ref.CELLS)
def test_editing_inputs_after_forward_does_not_change_the_gradients(cell_cls):
    cell = cell_cls(3, 4, seed=0)
    rng = np.random.default_rng(1)
    x = rng.standard_normal((5, 2, 3))
    state = cell.zero_state(2)
    state = tuple(s + rng.standard_normal(s.shape) for s in state) if isinstance(state, tuple) \
        else state + rng.standard_normal(state.shape)
    out, _, cache = lstm_ref.forward(cell, x, state)
    d_out = rng.standard_normal(out.shape)
    expected, dx_expected, _ = lstm_ref.backward(cell, cache, d_out)

    out2, _, cache2 = lstm_ref.forward(cell, x, state)
    x *= 3.0                                        # the caller reuses its buffers
    for s in (state if isinstance(state, tuple) else (state,)):
        s *= -1.0
    grads, dx, _ = lstm_ref.backward(cell, cache2, d_out)
    for name in expected:
        np.testing.assert_array_equal(grads[name], expected[name], err_msg=name)
    np.testing.assert_array_equal(dx, dx_expected)


@pytest.mark.parametrize("cell_cls", lstm_ref.CELLS)
def test_outputs_and_final_state_are_read_only(cell_cls):
    cell = cell_cls(3, 4, seed=0)
    out, final, _ = lstm_ref.forward(cell, np.ones((2, 1, 3)))
    with pytest.raises(ValueError, match="read-only"):
        out *= 0.5
    for part in (final if isinstance(final, tuple) else (final,)):
        with pytest.raises(ValueError, match="read-only"):
            part += 1.0


def test_stack_does_not_copy_what_it_froze_itself():
    stack = lstm_ref.Stack([lstm_ref.LSTM(3, 4, seed=0), lstm_ref.LSTM(4, 4, seed=1)])
    out, _, caches = lstm_ref.forward(stack, np.ones((2, 1, 3)))
    assert caches[1].x is caches[0].outputs         # layer 2 reads layer 1's outputs in place
