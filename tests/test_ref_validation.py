"""Bad input fails early with a message naming what was expected and what came."""
import numpy as np
import pytest
import torch

import lstm_ref


@pytest.fixture
def lstm():
    return lstm_ref.LSTM(3, 4, seed=0)


def test_x_of_wrong_rank(lstm):
    with pytest.raises(ValueError, match=r"shape \(T, B, D=3\).*got shape \(2, 3\)"):
        lstm_ref.forward(lstm, np.zeros((2, 3)))


def test_x_with_wrong_feature_size(lstm):
    with pytest.raises(ValueError, match=r"\(T, B, D=3\), got \(2, 1, 5\)"):
        lstm_ref.forward(lstm, np.zeros((2, 1, 5)))


def test_integer_x(lstm):
    with pytest.raises(TypeError, match="floating dtype.*got dtype int64"):
        lstm_ref.forward(lstm, np.zeros((2, 1, 3), dtype=np.int64))


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_nan_or_inf_in_x(lstm, bad):
    x = np.zeros((2, 1, 3))
    x[1, 0, 2] = bad
    with pytest.raises(ValueError, match="x must be finite, got 1 NaN/inf"):
        lstm_ref.forward(lstm, x)


def test_h_where_h_c_is_needed(lstm):
    with pytest.raises(TypeError, match=r"tuple \(h, c\).*got ndarray of shape \(1, 4\)"):
        lstm_ref.forward(lstm, np.zeros((2, 1, 3)), np.zeros((1, 4)))


def test_tuple_where_h_is_needed():
    with pytest.raises(TypeError, match=r"single \(B, H\) array h, got a tuple of length 2"):
        lstm_ref.forward(lstm_ref.GRU(3, 4), np.zeros((2, 1, 3)), (np.zeros((1, 4)),) * 2)


def test_state_with_wrong_hidden_size(lstm):
    with pytest.raises(ValueError, match=r"state\[1\] \(c\) must have shape \(\*, 4\), got \(1, 5\)"):
        lstm_ref.forward(lstm, np.zeros((2, 1, 3)), (np.zeros((1, 4)), np.zeros((1, 5))))


def test_batch_mismatch_between_x_and_state(lstm):
    with pytest.raises(ValueError, match=r"batch size 3 but x has batch size 2"):
        lstm_ref.forward(lstm, np.zeros((2, 2, 3)), (np.zeros((3, 4)), np.zeros((3, 4))))


def test_d_outputs_of_wrong_shape(lstm):
    y, _, cache = lstm_ref.forward(lstm, np.zeros((2, 1, 3)))
    with pytest.raises(ValueError, match=r"d_outputs must have the shape.*\(2, 1, 4\), got \(2, 4\)"):
        lstm_ref.backward(lstm, cache, np.zeros((2, 4)))


def test_cache_from_another_cell(lstm):
    _, _, cache = lstm_ref.forward(lstm_ref.LSTM(3, 4), np.zeros((2, 1, 3)))
    with pytest.raises(ValueError, match="cache must be the SequenceCache"):
        lstm_ref.backward(lstm, cache, None)


def test_state_dict_missing_array(lstm):
    d = lstm.state_dict()
    del d["bias_hh"]
    with pytest.raises(ValueError, match=r"missing \['bias_hh'\]"):
        lstm_ref.LSTM.from_state_dict(d)


def test_state_dict_misshaped_array(lstm):
    d = lstm.state_dict()
    d["weight_hh"] = np.zeros((16, 5))
    with pytest.raises(ValueError, match=r"state_dict\['weight_hh'\] must have shape \(16, 4\), got \(16, 5\)"):
        lstm_ref.LSTM.from_state_dict(d)


def test_state_dict_wrong_gate_count():
    d = lstm_ref.GRU(3, 4).state_dict()
    d["weight_ih"] = np.zeros((10, 3))
    with pytest.raises(ValueError, match=r"\(G\*H, D\) with G=3 for GRU, got \(10, 3\)"):
        lstm_ref.GRU.from_state_dict(d)


def test_state_dict_unexpected_array():
    d = lstm_ref.PeepholeLSTM(3, 4).state_dict()
    with pytest.raises(ValueError, match=r"unexpected keys \['weight_cf', 'weight_ci', 'weight_co'\]"):
        lstm_ref.LSTM.from_state_dict(d)


def test_peephole_state_dict_needs_peepholes(lstm):
    with pytest.raises(ValueError, match="missing.*weight_ci"):
        lstm_ref.PeepholeLSTM.from_state_dict(lstm.state_dict())


def test_from_torch_two_layers():
    with pytest.raises(ValueError, match="num_layers=2.*expected num_layers=1"):
        lstm_ref.from_torch(torch.nn.LSTM(3, 4, num_layers=2))


def test_from_torch_bidirectional():
    with pytest.raises(ValueError, match="bidirectional=True"):
        lstm_ref.from_torch(torch.nn.GRU(3, 4, bidirectional=True))


def test_from_torch_unknown_module_and_wrong_class():
    with pytest.raises(TypeError, match="got Linear"):
        lstm_ref.from_torch(torch.nn.Linear(3, 4))
    with pytest.raises(ValueError, match="converts to GRU, not LSTM"):
        lstm_ref.LSTM.from_torch(torch.nn.GRUCell(3, 4))


def test_constructor_arguments():
    with pytest.raises(ValueError, match="hidden_size must be >= 1, got 0"):
        lstm_ref.LSTM(3, 0)
    with pytest.raises(TypeError, match="input_size must be an int, got float"):
        lstm_ref.GRU(3.0, 4)
    with pytest.raises(TypeError, match="dtype must be float64 or float32, got int32"):
        lstm_ref.RNN(3, 4, dtype=np.int32)
    with pytest.raises(ValueError, match="nonlinearity must be 'tanh' or 'relu', got 'sigmoid'"):
        lstm_ref.RNN(3, 4, nonlinearity="sigmoid")


def test_stack_checks_sizes():
    with pytest.raises(ValueError, match="layer 1 has input_size 3 but layer 0 has hidden_size 4"):
        lstm_ref.Stack([lstm_ref.LSTM(2, 4), lstm_ref.LSTM(3, 4)])
    net = lstm_ref.Stack([lstm_ref.LSTM(2, 4), lstm_ref.GRU(4, 4)])
    with pytest.raises(TypeError, match="list with one state per layer"):
        lstm_ref.forward(net, np.zeros((1, 1, 2)), np.zeros((1, 4)))


def test_loss_and_optimizer_arguments():
    with pytest.raises(ValueError, match=r"targets must have shape.*\(2, 3\), got \(3, 2\)"):
        lstm_ref.softmax_cross_entropy(np.zeros((2, 3, 4)), np.zeros((3, 2), dtype=int))
    with pytest.raises(TypeError, match="targets must be integers, got dtype float64"):
        lstm_ref.softmax_cross_entropy(np.zeros((2, 4)), np.zeros(2))
    with pytest.raises(ValueError, match=r"targets must lie in \[0, 4\).*got 7"):
        lstm_ref.softmax_cross_entropy(np.zeros((2, 4)), np.array([1, 7]))
    p = {"w": np.zeros(3)}
    with pytest.raises(ValueError, match=r"missing \['w'\], extra \['v'\]"):
        lstm_ref.SGD(p, lr=0.1).step({"v": np.zeros(3)})
    with pytest.raises(ValueError, match=r"grads\['w'\] must have shape \(3,\), got \(4,\)"):
        lstm_ref.Adam(p).step({"w": np.zeros(4)})
    with pytest.raises(ValueError, match="in_features"):
        lstm_ref.SequenceModel(lstm_ref.LSTM(2, 4), lstm_ref.Linear(5, 2))
