"""lstm_ref imports and runs without torch, and exports its public names."""
import subprocess
import sys

import lstm_ref

CODE = """
import sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name == "torch" or name.startswith("torch."):
            raise ImportError("torch is blocked in this test")
sys.meta_path.insert(0, Block())
import numpy as np, lstm_ref
cell = lstm_ref.LSTM(2, 3, seed=0)
y, s, cache = lstm_ref.forward(cell, np.ones((2, 1, 2)))
lstm_ref.backward(cell, cache, y)
assert "torch" not in sys.modules
print("ok")
"""


def test_import_without_torch():
    out = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True,
                         cwd=str(__import__("pathlib").Path(lstm_ref.__file__).parents[1]))
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


def test_public_names_exist_and_are_documented():
    for name in lstm_ref.__all__:
        obj = getattr(lstm_ref, name)
        assert obj.__doc__, name
    assert lstm_ref.CELLS == (lstm_ref.RNN, lstm_ref.LSTM, lstm_ref.PeepholeLSTM,
                              lstm_ref.CoupledLSTM, lstm_ref.NoForgetLSTM, lstm_ref.GRU)
