"""Second independent attack on lstm_ref (issue 8): each test is one case that
failed (silently, with a warning, or with a bare error) before its fix, named
for what it proves, plus a few adversarial cases that held and guard them."""
import copy
import pickle
import warnings

import numpy as np
import pytest

import lstm_ref
from lstm_ref.truncated import truncated_backward


@pytest.fixture(autouse=True)
def _warnings_are_errors():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


# ------------------------------------------------------------ load_state_dict

def test_cell_load_state_dict_swapping_its_own_biases_swaps_them():
    cell = lstm_ref.RNN(2, 3, seed=0)
    bi, bh = cell.bias_ih.copy(), cell.bias_hh.copy()
    d = cell.state_dict()
    d["bias_ih"], d["bias_hh"] = cell.bias_hh, cell.bias_ih      # the live arrays, swapped
    cell.load_state_dict(d)
    np.testing.assert_array_equal(cell.bias_ih, bh)
    np.testing.assert_array_equal(cell.bias_hh, bi)


def test_stack_load_state_dict_swapping_layer_weights_swaps_them():
    net = lstm_ref.Stack([lstm_ref.LSTM(3, 3, seed=0), lstm_ref.LSTM(3, 3, seed=1)])
    old = net.state_dict()
    d = dict(net.params())
    d["0.weight_hh"], d["1.weight_hh"] = d["1.weight_hh"], d["0.weight_hh"]
    net.load_state_dict(d)
    np.testing.assert_array_equal(net.cells[0].weight_hh, old["1.weight_hh"])
    np.testing.assert_array_equal(net.cells[1].weight_hh, old["0.weight_hh"])


def test_sequence_model_state_dict_round_trips_and_is_atomic():
    model = lstm_ref.SequenceModel(lstm_ref.LSTM(2, 3, seed=0), lstm_ref.Linear(3, 4, seed=1))
    other = lstm_ref.SequenceModel(lstm_ref.LSTM(2, 3, seed=5), lstm_ref.Linear(3, 4, seed=6))
    other.load_state_dict(model.state_dict())
    for k, v in model.params().items():
        np.testing.assert_array_equal(other.params()[k], v)
    before = other.state_dict()
    bad = dict(model.state_dict(), **{"head.bias": np.full(4, np.nan)})
    with pytest.raises(ValueError, match="finite"):
        other.load_state_dict(bad)
    for k, v in before.items():                       # the cell was not half-loaded
        np.testing.assert_array_equal(other.params()[k], v)
    with pytest.raises(ValueError, match="unexpected"):
        other.load_state_dict(dict(model.state_dict(), extra=np.ones(1)))


# ------------------------------------------------------------------ optimisers

@pytest.mark.parametrize("make, g", [(lambda p: lstm_ref.SGD(p, lr=1.0), -1e38),
                                     (lambda p: lstm_ref.SGD(p, lr=1.0, momentum=0.5), -1e38),
                                     (lambda p: lstm_ref.Adam(p, lr=1e38), -1.0)])
def test_float32_parameter_update_beyond_float32_range_is_refused(make, g):
    p = {"w": np.full(3, 3e38, np.float32)}
    opt = make(p)
    with pytest.raises(ValueError, match="not finite"):   # was an overflow warning, then inf
        opt.step({"w": np.full(3, g)})            # float64 gradient, float32 parameter
    np.testing.assert_array_equal(p["w"], np.full(3, 3e38, np.float32))


def test_optimiser_buffers_keep_the_parameter_dtype_like_torch():
    p = {"w": np.ones(3, np.float32)}
    sgd = lstm_ref.SGD(p, lr=0.1, momentum=0.9)
    sgd.step({"w": np.ones(3)})
    sgd.step({"w": np.ones(3)})
    assert sgd.velocity["w"].dtype == np.float32
    adam = lstm_ref.Adam({"w": np.ones(3, np.float32)})
    adam.step({"w": np.ones(3)})
    assert adam.m["w"].dtype == adam.v["w"].dtype == np.float32


def test_optimiser_ignores_later_changes_to_the_callers_params_dict():
    p = {"w": np.ones(3)}
    adam = lstm_ref.Adam(p)
    p["v"] = np.ones(2)                               # was a bare KeyError in step
    with pytest.raises(ValueError, match="keys of params"):
        adam.step({"w": np.ones(3), "v": np.ones(2)})
    q = {"w": np.ones(3)}
    sgd = lstm_ref.SGD(q, lr=0.1)
    q["alias"] = q["w"]                                # would be stepped twice
    with pytest.raises(ValueError, match="keys of params"):
        sgd.step({"w": np.ones(3), "alias": np.ones(3)})
    sgd.step({"w": np.ones(3)})
    np.testing.assert_allclose(q["w"], 0.9)


def test_clip_grad_norm_clips_finite_gradients_whose_norm_exceeds_the_largest_float():
    g = {"a": np.full(4, 1e308)}
    norm = lstm_ref.clip_grad_norm(g, 1.0)
    assert norm == np.inf
    np.testing.assert_allclose(g["a"], 0.5, rtol=1e-15)
    with pytest.raises(ValueError, match=r"NaN/inf entries in \['b'\]"):
        lstm_ref.clip_grad_norm({"a": np.ones(2), "b": np.array([np.inf])}, 1.0)


# ---------------------------------------------------------------- gradcheck

def test_numerical_gradient_refuses_integer_arrays_instead_of_a_zero_gradient():
    p = {"a": np.ones(3, int)}
    with pytest.raises(TypeError, match="float64"):
        lstm_ref.gradcheck_function(lambda: float(np.sum(p["a"] ** 2)), p, {"a": 2.0 * p["a"]})


def test_numerical_gradient_refuses_float32_arrays_instead_of_a_wrong_gradient():
    p = {"a": np.ones(3, np.float32)}        # gave 1.907 for d(a^2)/da = 2
    with pytest.raises(TypeError, match="float64"):
        lstm_ref.numerical_gradient(lambda: float(np.sum(p["a"] ** 2)), p)


def test_gradcheck_refuses_a_float32_cell_instead_of_a_false_alarm():
    with pytest.raises(TypeError, match="float64 cell"):
        lstm_ref.gradcheck(lstm_ref.LSTM(2, 3, seed=0, dtype=np.float32))


def test_numerical_gradient_errors_are_clear():
    with pytest.raises(TypeError, match="dict"):
        lstm_ref.numerical_gradient(lambda: 1.0, [np.ones(3)])
    ro = np.ones(3)
    ro.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        lstm_ref.numerical_gradient(lambda: 1.0, {"a": ro})
    with pytest.raises(TypeError, match="real number"):
        lstm_ref.numerical_gradient(lambda: np.ones(3), {"a": np.ones(3)})
    with pytest.raises(ValueError, match="finite loss"):
        lstm_ref.numerical_gradient(lambda: float("nan"), {"a": np.ones(3)})


def test_numerical_gradient_restores_the_array_when_the_loss_raises():
    a = np.array([1.0, 2.0])

    def loss():
        if a[0] != 1.0:
            raise RuntimeError("boom")
        return 0.0
    with pytest.raises(RuntimeError):
        lstm_ref.numerical_gradient(loss, {"a": a})
    np.testing.assert_array_equal(a, [1.0, 2.0])


def test_gradcheck_function_missing_gradient_is_a_value_error_not_key_error():
    p = {"a": np.ones(3)}
    with pytest.raises(ValueError, match="missing"):
        lstm_ref.gradcheck_function(lambda: 1.0, p, {})


@pytest.mark.parametrize("floor", [-1.0, float("nan")])
def test_gradcheck_floor_must_be_a_finite_nonnegative_number(floor):
    with pytest.raises(ValueError, match="floor"):
        lstm_ref.gradcheck(lstm_ref.GRU(2, 3, seed=0), floor=floor)
    p = {"a": np.ones(2)}
    with pytest.raises(ValueError, match="floor"):
        lstm_ref.gradcheck_function(lambda: float(np.sum(p["a"])), p, {"a": np.ones(2)},
                                    floor=floor)


def test_gradcheck_of_a_read_only_parameter_says_so():
    cell = lstm_ref.LSTM(2, 3, seed=0)
    cell.weight_hh.flags.writeable = False
    with pytest.raises(ValueError, match="'weight_hh' is read-only"):
        lstm_ref.gradcheck(cell)


@pytest.mark.parametrize("kw", [{"atol": "1e-8"}, {"rtol": float("nan")}, {"atol": -1.0},
                                {"eps": 0.0}])
def test_check_step_tolerances_are_validated(kw):
    def step(x, state, p):
        return state
    with pytest.raises((TypeError, ValueError), match=next(iter(kw))):
        lstm_ref.testing.check_step(step, "GRU", **kw)


# ------------------------------------------------------------ truncated BPTT

def test_truncated_backward_uses_the_cached_weights_not_the_live_ones():
    cell = lstm_ref.LSTM(2, 3, seed=0)
    x, d = np.ones((3, 2, 2)), np.ones((3, 2, 3))
    _, _, cache = lstm_ref.forward(cell, x)
    g0, dx0, _ = truncated_backward(cell, cache, d)
    cell.weight_hh = None                             # was a bare numpy matmul error
    g1, dx1, _ = truncated_backward(cell, cache, d)
    for k in g0:
        np.testing.assert_array_equal(g0[k], g1[k])
    np.testing.assert_array_equal(dx0, dx1)


def test_truncated_backward_cache_errors_follow_the_package_style():
    cell = lstm_ref.LSTM(2, 3, seed=0)
    _, _, cache = lstm_ref.forward(cell, np.ones((2, 1, 2)))
    with pytest.raises(TypeError, match="a list of length 1"):
        truncated_backward(cell, [cache], None)
    with pytest.raises(ValueError, match="another cell"):
        truncated_backward(lstm_ref.LSTM(2, 3, seed=0), cache, None)


# ------------------------------------------------------------ inputs and types

def test_masked_array_with_masked_entries_is_refused_not_silently_unmasked():
    x = np.ma.masked_array(np.ones((2, 1, 3)), mask=np.zeros((2, 1, 3), bool))
    x.mask[0, 0, 0] = True
    with pytest.raises(ValueError, match="masked"):
        lstm_ref.forward(lstm_ref.LSTM(3, 2, seed=0), x)
    y, _, _ = lstm_ref.forward(lstm_ref.LSTM(3, 2, seed=0), np.ma.masked_array(np.ones((2, 1, 3))))
    assert y.shape == (2, 1, 2)                       # nothing masked: accepted


@pytest.mark.parametrize("f", [lstm_ref.softmax, lstm_ref.log_softmax])
def test_softmax_of_a_scalar_is_a_value_error(f):
    with pytest.raises(ValueError, match="scalar"):
        f(np.float64(3.0))


def test_rnn_nonlinearity_of_the_wrong_type_is_a_type_error():
    with pytest.raises(TypeError, match="nonlinearity"):
        lstm_ref.RNN(2, 3, nonlinearity=None)
    with pytest.raises(ValueError, match="nonlinearity"):
        lstm_ref.RNN(2, 3, nonlinearity="sigmoid")


def test_stack_of_none_is_a_type_error_with_a_message():
    with pytest.raises(TypeError, match="list of cells"):
        lstm_ref.Stack(None)


def test_linear_repr_names_its_dtype_like_the_cells():
    assert "dtype=float32" in repr(lstm_ref.Linear(2, 3, dtype=np.float32))


def test_bfloat16_torch_tensor_input_is_accepted():
    torch = pytest.importorskip("torch")
    cell = lstm_ref.LSTM(2, 3, seed=0)
    x = torch.linspace(-1, 1, 8, dtype=torch.float64).reshape(2, 2, 2)
    y_bf, _, _ = lstm_ref.forward(cell, x.to(torch.bfloat16))
    y, _, _ = lstm_ref.forward(cell, x.to(torch.bfloat16).double())
    np.testing.assert_array_equal(y_bf, y)


# ------------------------------------------------------------ pickle and copy

@pytest.mark.parametrize("dup", [copy.deepcopy, lambda o: pickle.loads(pickle.dumps(o))])
def test_copied_cache_is_read_only_and_gives_the_same_gradients(dup):
    cell = lstm_ref.GRU(2, 3, seed=0)
    x, d = np.ones((3, 2, 2)), np.ones((3, 2, 3))
    _, _, cache = lstm_ref.forward(cell, x)
    cell2, cache2 = dup((cell, cache))
    for a in (cache2.x, cache2.h0, cache2.outputs, *cache2.params.values(), *cache2.steps[0]):
        assert not a.flags.writeable
    g, dx, _ = lstm_ref.backward(cell, cache, d)
    g2, dx2, _ = lstm_ref.backward(cell2, cache2, d)
    np.testing.assert_array_equal(dx, dx2)
    for k in g:
        np.testing.assert_array_equal(g[k], g2[k])


# ------------------------------------------------------- cases that held up

def _torch_grads(cell, x, dout):
    torch = pytest.importorskip("torch")
    m = lstm_ref.to_torch(cell).double()
    xt = torch.tensor(np.array(x), requires_grad=True)
    y = m(xt)[0]
    (y * torch.tensor(dout)).sum().backward()
    return {k.replace("_l0", ""): p.grad.numpy() for k, p in m.named_parameters()}, \
        xt.grad.numpy()


@pytest.mark.parametrize("layout", ["strided view", "fortran", "broadcast", "read-only",
                                    "memmap"])
@pytest.mark.parametrize("make", [lstm_ref.LSTM, lstm_ref.GRU, lstm_ref.RNN])
def test_unusual_input_layouts_agree_with_torch(make, layout, tmp_path):
    cell = make(3, 3, seed=1)
    rng = np.random.default_rng(0)
    base = rng.normal(size=(4, 4, 6))[:, ::2, ::2]
    x = {"strided view": base, "fortran": np.asfortranarray(base),
         "broadcast": np.broadcast_to(base[:1, :1], (4, 2, 3)),
         "read-only": np.array(base)}.get(layout)
    if layout == "read-only":
        x.flags.writeable = False
    if layout == "memmap":
        x = np.memmap(tmp_path / "x.dat", dtype=np.float64, mode="w+", shape=(4, 2, 3))
        x[:] = base
    dout = rng.normal(size=(4, 2, 3))
    _, _, cache = lstm_ref.forward(cell, x)
    g, dx, _ = lstm_ref.backward(cell, cache, dout)
    tg, tdx = _torch_grads(cell, x, dout)
    np.testing.assert_allclose(dx, tdx, rtol=0, atol=1e-10)
    for k in tg:
        np.testing.assert_allclose(g[k], tg[k], rtol=0, atol=1e-10)


def test_same_array_as_x_and_d_outputs_and_outputs_fed_back_hold():
    cell = lstm_ref.RNN(3, 3, seed=0)
    x = np.random.default_rng(0).normal(size=(3, 2, 3))
    y, h, cache = lstm_ref.forward(cell, x)
    g1, dx1, _ = lstm_ref.backward(cell, cache, x)
    g2, dx2, _ = lstm_ref.backward(cell, cache, x.copy())
    np.testing.assert_array_equal(dx1, dx2)
    y2, _, cache2 = lstm_ref.forward(cell, y, h)            # read-only outputs as input
    assert lstm_ref.gradcheck(cell, x=np.array(y), state=np.array(h)).ok(1e-6)


def test_sigmoid_of_a_0d_array_works_like_numpy():
    s = lstm_ref.sigmoid(np.array(10.0))         # was a bare "return arrays must be of ArrayType"
    np.testing.assert_allclose(s, 1.0 / (1.0 + np.exp(-10.0)), rtol=1e-15)
    assert lstm_ref.sigmoid(-30.0) == pytest.approx(9.357622968840175e-14, rel=1e-15)


# ------------------------------------------------------------ check_step, jacobian

def _identity_step(x, state, p):
    return state


def test_check_step_refuses_options_it_would_ignore_for_a_cell_instance():
    with pytest.raises(TypeError, match="reset_after"):
        lstm_ref.testing.check_step(_identity_step, lstm_ref.GRU(3, 4), reset_after=False)
    with pytest.raises(ValueError, match="input_size=3 contradicts"):
        lstm_ref.testing.check_step(_identity_step, lstm_ref.GRU(5, 6), input_size=3)


def test_check_step_backward_fn_returning_no_dict_is_a_type_error():
    with pytest.raises(TypeError, match="backward_fn must return a dict"):
        lstm_ref.testing.check_step(_identity_step, "GRU", backward_fn=lambda *a: None)


def test_check_step_names_a_nan_output_of_the_users_step():
    with pytest.raises(ValueError, match="NaN or inf in h'"):
        lstm_ref.testing.check_step(lambda x, s, p: s * np.nan, "GRU")


def test_check_step_catches_a_tiny_leak_in_h():
    def leaky(x, state, p):
        h, c = state
        z = x @ p["weight_ih"].T + p["bias_ih"] + h @ p["weight_hh"].T + p["bias_hh"]
        zi, zf, zg, zo = np.split(z, 4, axis=1)
        i, f, g, o = (lstm_ref.sigmoid(zi), lstm_ref.sigmoid(zf), np.tanh(zg),
                      lstm_ref.sigmoid(zo))
        c = f * c + i * g
        return o * np.tanh(c) + 1e-7 * h, c
    assert "h'" in lstm_ref.testing.check_step(leaky, "LSTM").failures()


def test_step_jacobians_use_the_cached_weights_and_name_a_foreign_cache():
    from lstm_ref.jacobian import step_jacobians
    cell = lstm_ref.LSTM(2, 3, seed=0)
    _, _, cache = lstm_ref.forward(cell, np.ones((3, 1, 2)))
    J = step_jacobians(cell, cache)
    cell.weight_hh += 1.0                          # was read live (and None an AttributeError)
    np.testing.assert_array_equal(step_jacobians(cell, cache), J)
    with pytest.raises(TypeError, match="got NoneType"):
        step_jacobians(cell, None)
    with pytest.raises(ValueError, match="the cache of another cell"):
        step_jacobians(lstm_ref.LSTM(2, 3), cache)


# ------------------------------------------------------------ property-based

from hypothesis import given, settings, strategies as st   # noqa: E402


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), which=st.sampled_from(["LSTM", "NoForgetLSTM", "CoupledLSTM"]),
       edit=st.sampled_from(["weight_ih", "weight_hh", "bias_ih", "bias_hh", "x", "load"]))
def test_inplace_edits_never_change_truncated_gradients_or_jacobians(seed, which, edit):
    from lstm_ref.jacobian import direct_path
    rng = np.random.default_rng(seed)
    cell = getattr(lstm_ref, which)(2, 3, seed=seed)
    x, d = rng.normal(size=(3, 2, 2)), rng.normal(size=(3, 2, 3))
    _, _, cache = lstm_ref.forward(cell, x)
    g0, dx0, _ = truncated_backward(cell, cache, d)
    P0 = direct_path(cell, cache) if which != "CoupledLSTM" else None   # no Jacobian for it
    if edit == "x":
        x += 1.0
    elif edit == "load":
        cell.load_state_dict({k: v + 1.0 for k, v in cell.state_dict().items()})
    else:
        getattr(cell, edit)[...] = rng.normal(size=getattr(cell, edit).shape)
    g1, dx1, _ = truncated_backward(cell, cache, d)
    np.testing.assert_array_equal(dx0, dx1)
    for k in g0:
        np.testing.assert_array_equal(g0[k], g1[k])
    if P0 is not None:
        np.testing.assert_array_equal(direct_path(cell, cache), P0)


@settings(max_examples=40, deadline=None)
@given(p_dtype=st.sampled_from([np.float32, np.float64]),
       g_dtype=st.sampled_from([np.float16, np.float32, np.float64]),
       scale=st.sampled_from([1e-3, 1.0, 1e30, 1e38, 1e300]),
       which=st.sampled_from(["sgd", "momentum", "adam"]))
def test_optimiser_steps_never_write_non_finite_values(p_dtype, g_dtype, scale, which):
    p = {"w": np.linspace(-1, 1, 4).astype(p_dtype)}
    opt = {"sgd": lambda: lstm_ref.SGD(p, lr=1.0),
           "momentum": lambda: lstm_ref.SGD(p, lr=1.0, momentum=0.9),
           "adam": lambda: lstm_ref.Adam(p, lr=1.0)}[which]()
    with np.errstate(over="ignore"):
        g = {"w": (np.array([1.0, -2.0, 3.0, -4.0]) * scale).astype(g_dtype)}
    for _ in range(2):
        before = p["w"].copy()
        try:
            opt.step(g)
        except ValueError:
            np.testing.assert_array_equal(p["w"], before)   # refused: untouched
        assert np.all(np.isfinite(p["w"])) and p["w"].dtype == p_dtype


def test_cache_floats_of_something_else_is_a_type_error_not_zero():
    for bad in (None, "abc", [], [None]):
        with pytest.raises(TypeError, match="SequenceCache"):
            lstm_ref.cache_floats(bad)


def test_to_torch_validates_the_parameters_like_forward():
    pytest.importorskip("torch")
    cell = lstm_ref.LSTM(2, 3, seed=0)
    cell.weight_hh[0, 0] = np.nan                   # was a torch module full of NaN
    with pytest.raises(ValueError, match="LSTM.weight_hh must be finite"):
        lstm_ref.to_torch(cell)
    cell = lstm_ref.LSTM(2, 3, seed=0)
    cell.bias_hh = np.ones(1)                       # was torch's own RuntimeError
    with pytest.raises(ValueError, match=r"LSTM.bias_hh must have shape \(12,\)"):
        lstm_ref.to_torch(cell)


def test_clip_grad_norm_refuses_a_gradient_listed_twice():
    g = np.full(4, 10.0)
    with pytest.raises(ValueError, match="share memory"):   # was scaled twice, silently
        lstm_ref.clip_grad_norm({"a": g, "b": g}, 1.0)
    np.testing.assert_array_equal(g, 10.0)


def test_disjoint_slices_of_one_buffer_are_accepted_as_parameters():
    buf = np.zeros(12)
    p = {"w": buf[:6].reshape(2, 3), "b": buf[6:]}         # a flat parameter vector
    opt = lstm_ref.SGD(p, lr=1.0)
    opt.step({"w": np.ones((2, 3)), "b": np.full(6, 2.0)})
    np.testing.assert_array_equal(buf, [-1.0] * 6 + [-2.0] * 6)
    with pytest.raises(ValueError, match="share memory"):
        lstm_ref.SGD({"w": buf[:6], "b": buf[5:]}, lr=1.0)


def test_load_state_dict_into_tied_live_arrays_loads_both_values():
    cell = lstm_ref.RNN(2, 3, seed=0)
    cell.bias_hh = cell.bias_ih                        # one array under two names
    d = cell.state_dict()
    d["bias_ih"], d["bias_hh"] = np.full(3, 1.0), np.full(3, 2.0)
    cell.load_state_dict(d)                            # both were left at 2.0
    np.testing.assert_array_equal(cell.bias_ih, 1.0)
    np.testing.assert_array_equal(cell.bias_hh, 2.0)


@pytest.mark.parametrize("make", [lstm_ref.GRU, lstm_ref.RNN, lstm_ref.LSTM])
def test_forcing_the_returned_outputs_writeable_through_base_cannot_reach_the_cache(make):
    cell = make(2, 3, seed=0)
    x, d = np.random.default_rng(0).normal(size=(3, 2, 2)), np.ones((3, 2, 3))
    y, final, cache = lstm_ref.forward(cell, x)
    g0, dx0, _ = lstm_ref.backward(cell, cache, d)
    for a in (y, *(final if isinstance(final, tuple) else (final,))):
        a.base.flags.writeable = True               # the owner of the data could be flipped
        a.base[...] = 0.5                           # and changed GRU's/RNN's gradients
    g1, dx1, _ = lstm_ref.backward(cell, cache, d)
    np.testing.assert_array_equal(dx0, dx1)
    for k in g0:
        np.testing.assert_array_equal(g0[k], g1[k])


@pytest.mark.parametrize("make", [lstm_ref.GRU, lstm_ref.RNN, lstm_ref.LSTM])
def test_forcing_gate_values_writeable_through_base_cannot_reach_the_cache(make):
    cell = make(2, 3, seed=0)
    x, d = np.random.default_rng(1).normal(size=(3, 2, 2)), np.ones((3, 2, 3))
    _, _, cache = lstm_ref.forward(cell, x)
    g0, dx0, _ = lstm_ref.backward(cell, cache, d)
    for step in cache.steps:
        for a in cell.gate_values(step).values():
            with pytest.raises(ValueError):
                a[...] = 0.0
            a.base.flags.writeable = True           # was the cache's own array
            a.base[...] = 0.25
    g1, dx1, _ = lstm_ref.backward(cell, cache, d)
    np.testing.assert_array_equal(dx0, dx1)
    for k in g0:
        np.testing.assert_array_equal(g0[k], g1[k])


def test_sequence_model_of_a_stack_round_trips_its_state_dict():
    def make(s):
        return lstm_ref.SequenceModel([lstm_ref.LSTM(2, 3, seed=s), lstm_ref.GRU(3, 3, seed=s + 1)],
                                      lstm_ref.Linear(3, 2, seed=s + 2))
    a, b = make(0), make(5)
    b.load_state_dict(a.state_dict())
    x, y = np.random.default_rng(0).normal(size=(4, 2, 2)), np.zeros((4, 2), int)
    assert a.loss_and_grads(x, y)[0] == b.loss_and_grads(x, y)[0]
    with pytest.raises(ValueError, match="unexpected keys"):
        b.load_state_dict({**a.state_dict(), "cell.2.bias_hh": np.ones(9)})


def test_memory_sequence_sizes_and_values_follow_the_error_style():
    from lstm_ref.memory import memory_sequence
    with pytest.raises(TypeError, match="T must be an int"):
        memory_sequence([0.5], 3.0)                  # was a ValueError
    with pytest.raises(ValueError, match=">= 2"):
        memory_sequence([0.5], 1)
    with pytest.raises(TypeError, match="values"):
        memory_sequence(["a"], 3)                    # was numpy's own ValueError
