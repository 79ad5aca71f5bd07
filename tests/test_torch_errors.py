"""Bad input to lstm_ref.torch raises TypeError/ValueError naming what was expected and what came."""
import pytest
import torch
from torch.nn.utils.rnn import pack_padded_sequence

import lstm_ref.torch as lt


@pytest.fixture
def lstm():
    torch.manual_seed(0)
    return lt.LSTM(4, 5, num_layers=2)


def test_wrong_feature_size(lstm):
    with pytest.raises(ValueError, match=r"must have 4 features .* got shape \(6, 2, 3\)"):
        lstm(torch.randn(6, 2, 3))


@pytest.mark.parametrize("shape", [(4,), (1, 6, 2, 4)])
def test_wrong_rank(lstm, shape):
    with pytest.raises(ValueError, match=rf"3-D .* 2-D .* got a {len(shape)}-D tensor"):
        lstm(torch.randn(*shape))


def test_empty_sequence(lstm):
    with pytest.raises(ValueError, match="at least one step"):
        lstm(torch.randn(0, 2, 4))


def test_not_a_tensor(lstm):
    with pytest.raises(TypeError, match="must be a torch.Tensor, got list"):
        lstm([[1.0, 2.0, 3.0, 4.0]])


def test_wrong_dtype(lstm):
    with pytest.raises(TypeError, match="dtype torch.float32, got torch.float64"):
        lstm(torch.randn(6, 2, 4, dtype=torch.float64))


def test_wrong_device(lstm):
    with pytest.raises(ValueError, match="device cpu, got meta"):
        lstm(torch.randn(6, 2, 4, device="meta"))


def test_state_of_the_wrong_shape(lstm):
    h, c = torch.zeros(2, 2, 5), torch.zeros(2, 3, 5)
    with pytest.raises(ValueError, match=r"c_0 must have shape \(2, 2, 5\) .* got \(2, 3, 5\)"):
        lstm(torch.randn(6, 2, 4), (h, c))


def test_state_of_the_wrong_kind(lstm):
    with pytest.raises(TypeError, match=r"tuple \(h_0, c_0\) of two tensors, got Tensor"):
        lstm(torch.randn(6, 2, 4), torch.zeros(2, 2, 5))
    with pytest.raises(TypeError, match="one tensor h_0, got a tuple of length 2"):
        lt.GRU(4, 5)(torch.randn(6, 2, 4), (torch.zeros(1, 2, 5), torch.zeros(1, 2, 5)))
    with pytest.raises(TypeError, match="c_0 must be a torch.Tensor, got ndarray"):
        lstm(torch.randn(6, 2, 4), (torch.zeros(2, 2, 5), torch.zeros(2, 2, 5).numpy()))


def test_state_dtype_and_unbatched_shape(lstm):
    with pytest.raises(TypeError, match="h_0 must have the module's dtype torch.float32, got torch.float64"):
        lstm(torch.randn(6, 2, 4), (torch.zeros(2, 2, 5, dtype=torch.float64), torch.zeros(2, 2, 5)))
    with pytest.raises(ValueError, match=r"h_0 must have shape \(2, 5\)"):
        lstm(torch.randn(6, 4), (torch.zeros(2, 1, 5), torch.zeros(2, 1, 5)))


def test_packed_sequence_says_what_to_do_instead(lstm):
    packed = pack_padded_sequence(torch.randn(6, 2, 4), [6, 3])
    with pytest.raises(TypeError, match="does not take a PackedSequence; pass the padded tensor"):
        lstm(packed)


def test_proj_size_is_not_offered():
    with pytest.raises(ValueError, match="has no projection: proj_size must be 0, got 3"):
        lt.LSTM(4, 5, proj_size=3)
    assert lt.LSTM(4, 5, proj_size=0).hidden_size == 5


@pytest.mark.parametrize("kwargs,err,msg", [
    (dict(input_size=4.0, hidden_size=5), TypeError, "input_size must be an int, got float"),
    (dict(input_size=4, hidden_size=True), TypeError, "hidden_size must be an int, got bool"),
    (dict(input_size=4, hidden_size=0), ValueError, "hidden_size must be >= 1, got 0"),
    (dict(input_size=4, hidden_size=5, num_layers=0), ValueError, "num_layers must be >= 1"),
    (dict(input_size=4, hidden_size=5, dropout=1.5), ValueError, r"dropout must be in \[0, 1\]"),
    (dict(input_size=4, hidden_size=5, bidirectional="yes"), TypeError, "bidirectional must be a bool"),
    (dict(input_size=4, hidden_size=5, dtype=torch.int32), TypeError,
     r"dtype must be torch.float32, torch.float64 or torch.bfloat16 \(on CUDA\), got torch.int32"),
    (dict(input_size=4, hidden_size=5, dtype=torch.float16), TypeError,
     "dtype must be .* got torch.float16"),
])
def test_constructor_arguments(kwargs, err, msg):
    with pytest.raises(err, match=msg):
        lt.LSTM(**kwargs)


def test_cell_options():
    with pytest.raises(ValueError, match="nonlinearity must be 'tanh' or 'relu', got 'sigmoid'"):
        lt.RNN(4, 5, nonlinearity="sigmoid")
    with pytest.raises(TypeError, match="reset_after must be a bool, got str"):
        lt.GRU(4, 5, reset_after="False")


def test_constructor_signature_is_torch_nn_lstms():
    import inspect
    params = list(inspect.signature(lt.LSTM).parameters)
    assert params[:9] == ["input_size", "hidden_size", "num_layers", "bias", "batch_first",
                          "dropout", "bidirectional", "device", "dtype"]
    m = lt.LSTM(4, 5, 2, False, True, 0.0, True)
    assert (m.num_layers, m.bias, m.batch_first, m.bidirectional) == (2, False, True, True)


@pytest.mark.parametrize("cls,extra", [(lt.RNN, "nonlinearity"), (lt.GRU, "reset_after")])
def test_rnn_and_gru_signatures_add_their_option(cls, extra):
    import inspect
    params = inspect.signature(cls).parameters
    assert list(params)[:9] == list(inspect.signature(lt.LSTM).parameters)[:9]
    assert params[extra].kind is inspect.Parameter.KEYWORD_ONLY


@pytest.mark.parametrize("cls", lt.MODULES, ids=lambda c: c.__name__)
def test_bfloat16_on_the_cpu_says_where_it_runs(cls):
    """bfloat16 runs only through the Triton kernels on CUDA: on the CPU a clear TypeError."""
    m = cls(3, 4, dtype=torch.bfloat16)
    with pytest.raises(TypeError, match="bfloat16 only with its Triton kernels on a CUDA device "
                                        r"\(found cpu.*use float32 on the CPU"):
        m(torch.zeros(2, 1, 3, dtype=torch.bfloat16))


def test_to_numpy_of_a_bfloat16_module_says_what_to_do():
    with pytest.raises(TypeError, match=r"to_numpy needs a float32 or float64 module \(numpy has "
                                        r"no torch.bfloat16\); convert first"):
        lt.LSTM(3, 4, dtype=torch.bfloat16).to_numpy()
