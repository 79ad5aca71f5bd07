"""Issue 8, one error style (a property-based attack): junk of every kind given to
an argument of the public API either works or raises TypeError or ValueError --
never AttributeError, IndexError, KeyError, another exception, or a warning."""
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import lstm_ref

def _cell():
    return lstm_ref.LSTM(2, 3, seed=0)

def _cache():
    c = _cell()
    y, _, cache = lstm_ref.forward(c, np.ones((2, 1, 2)))
    return c, cache

ARR = hnp.arrays(dtype=st.sampled_from([np.float64, np.float32, np.int64, np.bool_, np.complex128]),
                 shape=hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=3),
                 elements=None)
JUNK = st.one_of(st.none(), st.booleans(), st.integers(-3, 5), st.floats(allow_nan=True),
                 st.text(max_size=3), st.lists(st.floats(allow_nan=False), max_size=3),
                 st.dictionaries(st.text(max_size=2), st.integers(), max_size=2),
                 st.tuples(st.floats(allow_nan=False), st.floats(allow_nan=False)), ARR,
                 st.just(object()), st.just(np.float64), st.just(lstm_ref.LSTM))

CALLS = {
    "LSTM-in": lambda v: lstm_ref.LSTM(v, 2),
    "LSTM-seed": lambda v: lstm_ref.LSTM(2, 2, seed=v),
    "LSTM-dtype": lambda v: lstm_ref.LSTM(2, 2, dtype=v),
    "RNN-nl": lambda v: lstm_ref.RNN(2, 2, nonlinearity=v),
    "GRU-ra": lambda v: lstm_ref.GRU(2, 2, reset_after=v),
    "fwd-x": lambda v: lstm_ref.forward(_cell(), v),
    "fwd-state": lambda v: lstm_ref.forward(_cell(), np.ones((2, 1, 2)), v),
    "fwd-cell": lambda v: lstm_ref.forward(v, np.ones((2, 1, 2))),
    "bwd-dy": lambda v: lstm_ref.backward(*_cache(), v),
    "bwd-dfinal": lambda v: lstm_ref.backward(*_cache(), None, v),
    "bwd-cache": lambda v: lstm_ref.backward(_cell(), v, None),
    "Linear": lambda v: lstm_ref.Linear(v, 2),
    "Linear-fwd": lambda v: lstm_ref.Linear(3, 2).forward(v),
    "Linear-bwd": lambda v: (lambda L: L.backward(L.forward(np.ones((2, 3)))[1], v))(lstm_ref.Linear(3, 2)),
    "Linear-load": lambda v: lstm_ref.Linear(3, 2).load_state_dict(v),
    "SGD-lr": lambda v: lstm_ref.SGD({"w": np.zeros(2)}, lr=v),
    "SGD-params": lambda v: lstm_ref.SGD(v, lr=0.1),
    "SGD-step": lambda v: lstm_ref.SGD({"w": np.zeros(2)}, lr=0.1).step(v),
    "SGD-step-arr": lambda v: lstm_ref.SGD({"w": np.zeros(2)}, lr=0.1, momentum=0.5).step({"w": v}),
    "Adam-betas": lambda v: lstm_ref.Adam({"w": np.zeros(2)}, betas=v),
    "Adam-eps": lambda v: lstm_ref.Adam({"w": np.zeros(2)}, eps=v),
    "Adam-step-arr": lambda v: lstm_ref.Adam({"w": np.zeros(2)}).step({"w": v}),
    "clip-g": lambda v: lstm_ref.clip_grad_norm(v, 1.0),
    "clip-g-arr": lambda v: lstm_ref.clip_grad_norm({"a": v}, 1.0),
    "clip-max": lambda v: lstm_ref.clip_grad_norm({"a": np.ones(2)}, v),
    "gnorm": lambda v: lstm_ref.global_norm(v),
    "ce-logits": lambda v: lstm_ref.softmax_cross_entropy(v, np.zeros((2,), int)),
    "ce-targets": lambda v: lstm_ref.softmax_cross_entropy(np.zeros((2, 3)), v),
    "softmax": lambda v: lstm_ref.softmax(v),
    "log_softmax": lambda v: lstm_ref.log_softmax(v),
    "model-cell": lambda v: lstm_ref.SequenceModel(v, lstm_ref.Linear(3, 2)),
    "model-head": lambda v: lstm_ref.SequenceModel(_cell(), v),
    "model-loss-x": lambda v: lstm_ref.SequenceModel(_cell(), lstm_ref.Linear(3, 2)).loss_and_grads(v, np.zeros((2, 1), int)),
    "model-loss-y": lambda v: lstm_ref.SequenceModel(_cell(), lstm_ref.Linear(3, 2)).loss_and_grads(np.ones((2, 1, 2)), v),
    "model-bwd": lambda v: lstm_ref.SequenceModel(_cell(), lstm_ref.Linear(3, 2)).backward(v, np.ones((2, 1, 2))),
    "Stack": lambda v: lstm_ref.Stack(v),
    "Stack-fwd-state": lambda v: lstm_ref.forward([_cell(), lstm_ref.GRU(3, 3)], np.ones((2, 1, 2)), v),
    "Stack-load": lambda v: lstm_ref.Stack([_cell()]).load_state_dict(v),
    "load": lambda v: _cell().load_state_dict(v),
    "load-arr": lambda v: _cell().load_state_dict(dict(_cell().state_dict(), bias_ih=v)),
    "from_sd": lambda v: lstm_ref.LSTM.from_state_dict(v),
    "zero_state": lambda v: _cell().zero_state(v),
    "param-attr": lambda v: (lambda c: (setattr(c, "weight_hh", v), lstm_ref.forward(c, np.ones((2, 1, 2)))))(_cell()),
    "gradcheck-cell": lambda v: lstm_ref.gradcheck(v),
    "gradcheck-x": lambda v: lstm_ref.gradcheck(lstm_ref.RNN(2, 2), v),
    "gradcheck-eps": lambda v: lstm_ref.gradcheck(lstm_ref.RNN(2, 2), eps=v, T=1, B=1),
    "check_step-fn": lambda v: lstm_ref.testing.check_step(v),
    "check_step-cell": lambda v: lstm_ref.testing.check_step(lambda x, s, p: s, cell=v),
    "check_step-ret": lambda v: lstm_ref.testing.check_step(lambda x, s, p: v),
    "sigmoid": lambda v: lstm_ref.sigmoid(v),
}

@pytest.mark.parametrize("name", list(CALLS))
@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
@given(v=JUNK)
def test_junk_argument_gives_type_or_value_error_and_no_warning(name, v):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            CALLS[name](v)
        except (TypeError, ValueError):
            pass
