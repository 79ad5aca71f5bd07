"""Issue 8: lstm_ref attacked as an adversarial user would. Each test is one
case of the issue; its name says what it proves."""
import re
import warnings

import numpy as np
import pytest

import lstm_ref
from lstm_ref.gradcheck import FLOOR, relative_error

D, H = 3, 4


@pytest.fixture(autouse=True)
def warnings_are_errors():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def lstm(**kw):
    return lstm_ref.LSTM(D, H, seed=0, **kw)


X = np.random.default_rng(0).normal(size=(5, 2, D))


# ---------------------------------------------------------- 3. parameter validation
@pytest.mark.parametrize("cls", lstm_ref.CELLS)
def test_nan_or_inf_in_any_parameter_is_refused_by_forward(cls):
    for name in cls(D, H).params():
        for bad in (np.nan, np.inf):
            cell = cls(D, H, seed=0)
            getattr(cell, name).flat[-1] = bad
            with pytest.raises(ValueError, match=f"{cls.__name__}.{name} must be finite"):
                lstm_ref.forward(cell, X)


@pytest.mark.parametrize("cls", lstm_ref.CELLS)
def test_parameter_of_wrong_shape_is_refused_instead_of_broadcast(cls):
    for name, shape in cls(D, H).param_shapes().items():
        for wrong in [(1,), shape[:-1] + (shape[-1] + 1,), (2,) + shape]:
            cell = cls(D, H, seed=0)
            setattr(cell, name, np.zeros(wrong))
            with pytest.raises(ValueError, match=re.escape(f"{name} must have shape {shape}")):
                lstm_ref.forward(cell, X)


@pytest.mark.parametrize("cls", lstm_ref.CELLS)
def test_parameter_of_other_dtype_or_type_is_a_type_error(cls):
    for name in cls(D, H).params():
        cell = cls(D, H, seed=0)
        setattr(cell, name, getattr(cell, name).astype(np.float32))
        with pytest.raises(TypeError, match="dtype of the module, float64, got float32"):
            lstm_ref.forward(cell, X)
        for junk in (0.5, getattr(cell, name).astype(np.float64).tolist(), None):
            setattr(cell, name, junk)
            with pytest.raises(TypeError, match=f"{name} must be a numpy array"):
                lstm_ref.forward(cell, X)


def test_linear_parameters_are_validated_on_forward():
    layer = lstm_ref.Linear(H, 2, seed=0)
    layer.weight[0, 0] = np.nan
    with pytest.raises(ValueError, match="Linear.weight must be finite"):
        layer.forward(np.ones((3, H)))
    layer = lstm_ref.Linear(H, 2, seed=0)
    layer.bias = np.zeros(1)
    with pytest.raises(ValueError, match=r"Linear.bias must have shape \(2,\)"):
        layer.forward(np.ones((3, H)))
    layer.bias = np.zeros(2, np.float32)
    with pytest.raises(TypeError, match="float32"):
        layer.forward(np.ones((3, H)))


def test_load_state_dict_repairs_a_parameter_attribute_that_was_replaced():
    cell = lstm()
    good = cell.state_dict()
    cell.bias_hh = np.zeros(1)
    cell.load_state_dict(good)
    lstm_ref.forward(cell, X)                       # valid again
    np.testing.assert_array_equal(cell.bias_hh, good["bias_hh"])


def test_failed_load_state_dict_changes_nothing():
    net = lstm_ref.Stack([lstm_ref.LSTM(D, H, seed=0), lstm_ref.LSTM(H, H, seed=1)])
    before = net.state_dict()
    bad = {k: v + 1.0 for k, v in before.items()}
    bad["1.bias_hh"] = np.full(4 * H, np.nan)       # the last layer is invalid
    with pytest.raises(ValueError, match="finite"):
        net.load_state_dict(bad)
    for k, v in net.state_dict().items():
        np.testing.assert_array_equal(v, before[k])


# --------------------------------------------------------------- 4. optimisers
@pytest.mark.parametrize("kwargs,name", [({"lr": np.nan}, "lr"), ({"lr": np.inf}, "lr"),
                                         ({"lr": 0.1, "momentum": np.nan}, "momentum"),
                                         ({"lr": 0.1, "momentum": -np.inf}, "momentum")])
def test_sgd_refuses_nan_or_inf_hyper_parameters(kwargs, name):
    with pytest.raises(ValueError, match=name):
        lstm_ref.SGD({"w": np.zeros(3)}, **kwargs)


@pytest.mark.parametrize("kwargs,name", [({"lr": np.nan}, "lr"), ({"eps": np.inf}, "eps"),
                                         ({"betas": (np.nan, 0.9)}, r"betas\[0\]"),
                                         ({"betas": (0.9, np.inf)}, r"betas\[1\]"),
                                         ({"betas": (0.9, 1.0)}, r"betas\[1\]")])
def test_adam_refuses_nan_inf_or_out_of_range_hyper_parameters(kwargs, name):
    with pytest.raises(ValueError, match=name):
        lstm_ref.Adam({"w": np.zeros(3)}, **kwargs)


@pytest.mark.parametrize("make", [lambda p: lstm_ref.SGD(p, lr=0.1),
                                  lambda p: lstm_ref.SGD(p, lr=0.1, momentum=0.9),
                                  lambda p: lstm_ref.Adam(p, lr=0.1)],
                         ids=["sgd", "sgd-momentum", "adam"])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_optimizer_step_with_a_nonfinite_gradient_is_refused_and_changes_nothing(make, bad):
    p = {"a": np.ones(3), "b": np.ones((2, 2))}
    opt = make(p)
    opt.step({"a": np.full(3, 0.5), "b": np.full((2, 2), 0.5)})   # some optimiser state
    saved = {k: v.copy() for k, v in p.items()}
    state = {k: {n: a.copy() for n, a in getattr(opt, k).items()}
             for k in ("velocity", "m", "v") if hasattr(opt, k)}
    t = getattr(opt, "t", None)
    grads = {"a": np.full(3, 0.5), "b": np.array([[1.0, bad], [0.0, 0.0]])}
    with pytest.raises(ValueError, match=r"grads\['b'\] has 1 NaN/inf"):
        opt.step(grads)
    for k, v in p.items():                          # "a" came first and was not stepped either
        np.testing.assert_array_equal(v, saved[k])
    for k, d in state.items():
        for n, a in d.items():
            np.testing.assert_array_equal(getattr(opt, k)[n], a)
    assert getattr(opt, "t", None) == t


def test_adam_gradient_whose_square_overflows_is_refused_and_changes_nothing():
    w = np.zeros(3)
    opt = lstm_ref.Adam({"w": w}, lr=0.1)
    with pytest.raises(ValueError, match="second moment"):
        opt.step({"w": np.array([1.0, 1e200, 1.0])})
    assert opt.t == 0 and np.all(w == 0) and np.all(opt.v["w"] == 0)


def test_sgd_update_that_overflows_is_refused_and_changes_nothing():
    w = np.full(2, 1e308)
    with pytest.raises(ValueError, match="overflows"):
        lstm_ref.SGD({"w": w}, lr=1e10).step({"w": np.full(2, -1e300)})
    assert np.all(w == 1e308)


def test_optimizer_refuses_the_same_array_listed_twice():
    w = np.zeros(3)
    for make in (lambda p: lstm_ref.SGD(p, lr=0.1), lambda p: lstm_ref.Adam(p)):
        with pytest.raises(ValueError, match="same array"):
            make({"a": w, "b": w})
        with pytest.raises(ValueError, match="same array"):
            make({"a": w, "b": w[1:]})


# ------------------------------------------------------------------ 5. clipping
def test_global_norm_of_huge_gradients_does_not_overflow():
    g = {"a": np.full(3, 1e200), "b": np.full(1, -1e200)}
    assert lstm_ref.global_norm(g) == pytest.approx(2e200, rel=1e-15, abs=0)
    norm = lstm_ref.clip_grad_norm(g, 1.0)
    assert norm == pytest.approx(2e200, rel=1e-15)
    assert lstm_ref.global_norm(g) == pytest.approx(1.0, rel=1e-12)


def test_global_norm_of_tiny_gradients_does_not_underflow():
    assert lstm_ref.global_norm({"a": np.full(4, 1e-200)}) == pytest.approx(2e-200, rel=1e-15, abs=0)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_clip_grad_norm_raises_on_a_nonfinite_norm_and_scales_nothing(bad):
    g = {"a": np.full(3, 10.0), "b": np.array([1.0, bad])}
    with pytest.raises(ValueError, match=r"NaN/inf entries in \['b'\]"):
        lstm_ref.clip_grad_norm(g, 1.0)
    assert np.all(g["a"] == 10.0)


@pytest.mark.parametrize("max_norm,err", [(np.nan, ValueError), (0.0, ValueError),
                                          (-1.0, ValueError), ("1", TypeError),
                                          (True, TypeError)])
def test_clip_grad_norm_checks_max_norm(max_norm, err):
    with pytest.raises(err, match="max_norm"):
        lstm_ref.clip_grad_norm({"a": np.ones(2)}, max_norm)


# ---------------------------------------------- 6. Linear and softmax: no warnings
def test_linear_refuses_nonfinite_input_and_gradient():
    layer = lstm_ref.Linear(H, 2, seed=0)
    with pytest.raises(ValueError, match="Linear input h must be finite"):
        layer.forward(np.full((3, H), np.inf))
    _, cache = layer.forward(np.ones((3, H)))
    with pytest.raises(ValueError, match="dy must be finite"):
        layer.backward(cache, np.full((3, 2), np.nan))


def test_linear_overflow_is_an_error_not_a_warning_or_inf():
    layer = lstm_ref.Linear(2, 1, seed=0)
    layer.weight[...] = 1e308
    with pytest.raises(ValueError, match="overflows"):
        layer.forward(np.full((1, 2), 1e308))


def test_log_softmax_of_logits_near_the_float_limit_raises_instead_of_warning():
    z = np.array([[1e308, -1e308]])
    with pytest.raises(ValueError, match="span more than the largest float"):
        lstm_ref.log_softmax(z)
    with pytest.raises(ValueError, match="span more than the largest float"):
        lstm_ref.softmax_cross_entropy(z, np.array([1]))
    np.testing.assert_array_equal(lstm_ref.softmax(z), [[1.0, 0.0]])   # representable: no error


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_softmax_and_log_softmax_refuse_nonfinite_logits(bad):
    for f in (lstm_ref.softmax, lstm_ref.log_softmax):
        with pytest.raises(ValueError, match="finite logits"):
            f(np.array([0.0, bad]))


# ------------------------------------------------------- 7. listed twice: raise
def test_stack_of_the_same_cell_twice_raises():
    c = lstm_ref.LSTM(H, H)
    with pytest.raises(ValueError, match="same cell"):
        lstm_ref.Stack([c, c])


def test_stack_of_two_cells_sharing_an_array_raises():
    a, b = lstm_ref.LSTM(H, H), lstm_ref.LSTM(H, H)
    b.weight_hh = a.weight_hh
    with pytest.raises(ValueError, match="same array"):
        lstm_ref.Stack([a, b])


def test_sequence_model_whose_head_shares_an_array_with_the_cell_raises():
    cell, head = lstm_ref.RNN(2, 2), lstm_ref.Linear(2, 2)
    head.weight = cell.weight_hh
    with pytest.raises(ValueError, match="same array"):
        lstm_ref.SequenceModel(cell, head)


def test_load_state_dict_with_a_name_given_with_and_without_l0_raises():
    cell = lstm()
    d = cell.state_dict()
    d["weight_ih_l0"] = d["weight_ih"] + 1.0
    with pytest.raises(ValueError, match="'weight_ih' twice"):
        cell.load_state_dict(d)
    with pytest.raises(ValueError, match="twice"):
        lstm_ref.LSTM.from_state_dict(d)


# ------------------------------------------------------------- one error style
@pytest.mark.parametrize("bad", [4.0, True, "4", None, np.float64(4.0)])
@pytest.mark.parametrize("make", [lambda v: lstm_ref.Linear(v, 2), lambda v: lstm_ref.Linear(2, v),
                                  lambda v: lstm_ref.LSTM(v, 2), lambda v: lstm_ref.GRU(2, v),
                                  lambda v: lstm().zero_state(v),
                                  lambda v: lstm_ref.gradcheck(lstm_ref.RNN(2, 2), T=v)],
                         ids=["linear-in", "linear-out", "cell-in", "cell-hidden", "zero_state",
                              "gradcheck-T"])
def test_sizes_that_are_not_ints_are_type_errors_everywhere(make, bad):
    with pytest.raises(TypeError, match="must be an int"):
        make(bad)


@pytest.mark.parametrize("bad", [0, -1])
@pytest.mark.parametrize("make", [lambda v: lstm_ref.Linear(v, 2), lambda v: lstm_ref.LSTM(2, v),
                                  lambda v: lstm().zero_state(v),
                                  lambda v: lstm_ref.Stack([lstm()]).zero_state(v)],
                         ids=["linear", "cell", "zero_state", "stack-zero_state"])
def test_sizes_below_one_are_value_errors_everywhere(make, bad):
    with pytest.raises(ValueError, match=">= 1"):
        make(bad)


@pytest.mark.parametrize("call,match", [
    (lambda: lstm_ref.SequenceModel(lstm(), None), "head must be an lstm_ref.Linear"),
    (lambda: lstm_ref.SequenceModel(None, lstm_ref.Linear(H, 2)), "cell must be an lstm_ref cell"),
    (lambda: lstm_ref.Linear(H, 2).backward(None, np.ones((1, 2))), "cache must be what forward"),
    (lambda: lstm_ref.clip_grad_norm([np.ones(2)], 1), "grads must be a dict"),
    (lambda: lstm_ref.clip_grad_norm({"a": [1.0, 2.0]}, 1), r"grads\['a'\] must be a floating"),
    (lambda: lstm_ref.global_norm([np.ones(2)]), "grads must be a dict"),
    (lambda: lstm_ref.Adam({"w": np.zeros(2)}, betas=0.9), "betas must be a pair"),
    (lambda: lstm_ref.SGD({"w": np.zeros(2)}, lr="0.1"), "lr must be a real number"),
    (lambda: lstm_ref.SGD({"w": np.zeros(2)}, lr=True), "lr must be a real number"),
    (lambda: lstm_ref.SGD({"w": np.zeros(2)}, lr=0.1).step([np.zeros(2)]), "grads must be a dict"),
    (lambda: lstm_ref.SGD({"w": np.zeros(2)}, lr=0.1).step({"w": [0.0, 0.0]}),
     r"grads\['w'\] must be a floating"),
    (lambda: lstm_ref.Linear(H, 2).load_state_dict([1]), "state_dict must be a dict"),
    (lambda: lstm_ref.LSTM(2, 2, dtype="int32"), "dtype must be float64 or float32"),
    (lambda: lstm_ref.SequenceModel(lstm(), lstm_ref.Linear(H, 2, dtype=np.float32)),
     "dtype"),
    (lambda: lstm_ref.testing.check_step(None), "step_fn must be a function"),
    (lambda: lstm_ref.softmax_cross_entropy(np.zeros((2, 3)), np.zeros(2, int), ignore_index=None),
     "ignore_index must be an int"),
], ids=lambda v: "" if callable(v) else v[:30])
def test_arguments_of_the_wrong_type_are_type_errors_with_a_message(call, match):
    with pytest.raises(TypeError, match=match):
        call()


@pytest.mark.parametrize("bad", ["False", "yes", 0, 1, None])
def test_gru_reset_after_must_be_a_bool(bad):
    with pytest.raises(TypeError, match="reset_after must be True or False"):
        lstm_ref.GRU(2, 2, reset_after=bad)


def test_empty_batches_are_refused_by_forward_zero_state_and_linear_alike():
    cell = lstm()
    for call in (lambda: lstm_ref.forward(cell, np.zeros((3, 0, D))),
                 lambda: cell.zero_state(0),
                 lambda: lstm_ref.Linear(H, 2).forward(np.zeros((3, 0, H)))):
        with pytest.raises(ValueError):
            call()


def test_foreign_cache_error_names_what_was_expected_and_what_came():
    """A cache of the wrong type is a TypeError; the cache of another cell or layer
    (the right type, the wrong value) a ValueError; both say what came."""
    a, b = lstm(), lstm_ref.GRU(D, H)
    _, _, cache = lstm_ref.forward(a, X)
    with pytest.raises(ValueError, match=r"forward\(\) returned for this cell, GRU.*got the cache "
                                         r"of another cell, LSTM"):
        lstm_ref.backward(b, cache, None)
    with pytest.raises(TypeError, match="got a list of length 2"):
        lstm_ref.backward(a, [cache, cache], None)
    with pytest.raises(TypeError, match="got NoneType"):
        lstm_ref.backward(a, None, None)
    with pytest.raises(TypeError, match="list returned by Stack.forward"):
        lstm_ref.backward([a], cache, None)
    other = lstm_ref.Linear(H, 2)
    _, lin_cache = lstm_ref.Linear(H, 2).forward(np.ones((1, H)))
    with pytest.raises(ValueError, match="cache of another Linear layer"):
        other.backward(lin_cache, np.ones((1, 2)))


def test_float32_cell_given_float64_values_beyond_float32_range_says_so():
    cell = lstm(dtype=np.float32)
    x = np.full((2, 1, D), 1e39)
    with pytest.raises(ValueError, match="beyond the range of float32"):
        lstm_ref.forward(cell, x)
    with pytest.raises(ValueError, match="beyond the range of float32"):
        lstm_ref.forward(cell, np.ones((2, 1, D)), (np.full((1, H), -1e40), np.zeros((1, H))))
    with pytest.raises(ValueError, match="beyond the range of float32"):
        cell.load_state_dict({k: np.full(v.shape, 1e39) for k, v in cell.params().items()})


def test_check_step_rejects_gates_of_the_wrong_shape_instead_of_broadcasting():
    def step(x, state, p):
        h, c = state
        ref_cell = lstm_ref.LSTM.from_state_dict(p)
        _, (h2, c2), cache = lstm_ref.forward(ref_cell, x[None], (h, c))
        gates = ref_cell.gate_values(cache.steps[0])
        return (h2, c2), {"f": gates["f"][0]}         # one row: (H,) would broadcast
    with pytest.raises(ValueError, match=r"gate 'f' of shape \(4,\), expected \(2, 4\)"):
        lstm_ref.testing.check_step(step)


def test_finite_inputs_that_overflow_in_a_relu_rnn_raise_instead_of_returning_inf():
    cell = lstm_ref.RNN(1, 1, nonlinearity="relu", seed=0)
    cell.weight_hh[...] = 1e30
    cell.weight_ih[...] = 1.0
    cell.bias_ih[...] = cell.bias_hh[...] = 0.0
    with pytest.raises(ValueError, match="forward overflowed"):      # and no RuntimeWarning
        lstm_ref.forward(cell, np.ones((20, 1, 1)))


def test_finite_gradients_that_overflow_in_backward_raise_instead_of_returning_inf():
    cell = lstm_ref.RNN(1, 1, nonlinearity="relu", seed=0)
    cell.weight_hh[...] = 1e20
    cell.weight_ih[...] = cell.bias_ih[...] = cell.bias_hh[...] = 1.0
    y, _, cache = lstm_ref.forward(cell, np.ones((3, 1, 1)) * 1e-100)
    with pytest.raises(ValueError, match="backward overflowed"):     # and no RuntimeWarning
        lstm_ref.backward(cell, cache, np.full(y.shape, 1e300))


def test_adam_with_eps_zero_and_a_zero_gradient_refuses_the_0_over_0_step():
    w = np.ones(2)
    with pytest.raises(ValueError, match="0/0"):
        lstm_ref.Adam({"w": w}, eps=0.0).step({"w": np.zeros(2)})
    assert np.all(w == 1.0)


# ----------------------------------------------------------------- smaller defects
def test_gradcheck_has_no_false_alarm_for_a_tiny_correct_gradient():
    res = lstm_ref.gradcheck(lstm_ref.PeepholeLSTM(1, 1, seed=109), T=1, B=1, seed=109)
    tiny = "weight_cf"
    assert np.max(np.abs(res.analytic[tiny])) < 1e-7           # 2.7e-8: the case of the issue
    assert relative_error(res.analytic[tiny], res.numeric[tiny], floor=0.0) > 1e-6  # old measure
    assert res.ok(1e-6), res


def test_gradcheck_floor_still_catches_a_wrong_tiny_gradient():
    a, n = np.array([2.7e-8, 1e-9]), np.array([-2.7e-8, 1e-9])    # sign error in a tiny gradient
    assert relative_error(a, n) == pytest.approx(5.4e-8 / FLOOR)
    assert relative_error(a, n) > 1e-6
    assert relative_error(np.array([2.0]), np.array([2.0 + 2e-6])) == pytest.approx(1e-6, rel=1e-5)


@pytest.mark.parametrize("cls", lstm_ref.CELLS)
def test_cache_floats_is_exact_for_every_cell_and_a_stack(cls):
    T, B = 4, 3
    cell = cls(D, H, seed=0)
    _, _, cache = lstm_ref.forward(cell, np.ones((T, B, D)))
    P = sum(p.size for p in cell.params().values())
    assert lstm_ref.cache_floats(cache) == (T * B * D + T * B * H + B * H
                                            + T * cell.cache_floats_per_step(B) + P)
    top = cls(H, H, seed=1)
    _, _, caches = lstm_ref.forward([cls(D, H, seed=0), top], np.ones((T, B, D)))
    P2 = P + sum(p.size for p in top.params().values())
    assert lstm_ref.cache_floats(caches) == (T * B * D + 2 * T * B * H + 2 * B * H
                                             + T * (cell.cache_floats_per_step(B)
                                                    + top.cache_floats_per_step(B)) + P2)


def test_noforget_lstm_cache_does_not_keep_c0():
    cell = lstm_ref.NoForgetLSTM(D, H, seed=0)
    c0 = np.full((2, H), 3.0)
    _, _, cache = lstm_ref.forward(cell, X, (np.zeros((2, H)), c0))
    arrays = [cache.h0, cache.x, cache.outputs, *cache.params.values(),
              *(a for step in cache.steps for a in step)]
    assert not any(np.array_equal(a, c0) for a in arrays)


def test_testing_module_docstring_no_longer_claims_gradient_rows_isolate_the_forget_gate():
    doc = lstm_ref.testing.__doc__
    assert "in the rows of ``f``\nonly" not in doc and "rows of ``f`` only" not in doc
    assert "forward* gate row ``f``" in doc


def test_check_step_forget_gate_bug_shows_in_forward_gate_f_only_and_in_several_gradient_blocks():
    def buggy(x, state, p):                           # tanh instead of sigmoid for f
        h, c = state
        a = x @ p["weight_ih"].T + p["bias_ih"] + h @ p["weight_hh"].T + p["bias_hh"]
        ai, af, ag, ao = np.split(a, 4, axis=1)
        i, f, g, o = lstm_ref.sigmoid(ai), np.tanh(af), np.tanh(ag), lstm_ref.sigmoid(ao)
        c = f * c + i * g
        return (o * np.tanh(c), c), {"i": i, "f": f, "g": g, "o": o}
    report = lstm_ref.testing.check_step(buggy)
    fails = report.failures()
    assert [n for n in fails if n in ("i", "f", "g", "o")] == ["f"]
    assert len({n.split("[")[-1] for n in fails if n.startswith("d weight")}) > 1
