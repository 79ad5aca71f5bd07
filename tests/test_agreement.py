"""lstm_ref.agreement.torch_agreement: small where the two sides agree, large where they do not."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

import lstm_ref  # noqa: E402
import lstm_ref.torch as lt  # noqa: E402
from lstm_ref.agreement import torch_agreement  # noqa: E402


@pytest.mark.parametrize("cell,module", [
    (lambda: lstm_ref.LSTM(3, 4, seed=0), lambda: torch.nn.LSTM(3, 4)),
    (lambda: lstm_ref.GRU(3, 4, seed=0), lambda: torch.nn.GRU(3, 4)),
    (lambda: lstm_ref.RNN(3, 4, seed=0), lambda: torch.nn.RNN(3, 4)),
    (lambda: lstm_ref.PeepholeLSTM(3, 4, seed=0), lambda: lt.PeepholeLSTM(3, 4)),
    (lambda: lstm_ref.GRU(3, 4, seed=0, reset_after=False), lambda: lt.GRU(3, 4, reset_after=False)),
])
def test_agreeing_pairs(cell, module):
    d = torch_agreement(cell(), module())
    assert {"outputs", "final_state", "x", "state0", "weight_ih", "bias_hh"} <= set(d)
    assert max(d.values()) < 1e-12


def test_a_different_cell_is_detected():
    # the numpy GRU in Cho's form against PyTorch's form: not the same function
    d = torch_agreement(lstm_ref.GRU(3, 4, seed=0, reset_after=False), torch.nn.GRU(3, 4))
    assert d["outputs"] > 1e-3


def test_errors():
    with pytest.raises(TypeError, match="float64"):
        torch_agreement(lstm_ref.LSTM(3, 4, seed=0, dtype=np.float32), torch.nn.LSTM(3, 4))
    with pytest.raises(ValueError, match="no counterpart"):
        torch_agreement(lstm_ref.LSTM(3, 4, seed=0), lt.PeepholeLSTM(3, 4))
