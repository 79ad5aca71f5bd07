"""One place converts numpy <-> torch (lstm_ref.convert); from_torch/to_torch keep working."""
import ast
import pathlib
import subprocess
import sys

import numpy as np
import pytest
import torch

import lstm_ref
import lstm_ref.torch as lt

PKG = pathlib.Path(lstm_ref.__file__).parent


class MyLSTM(torch.nn.LSTM):
    """A user's subclass: conversion must recognise it by isinstance, not by name."""


def test_from_torch_accepts_a_subclass_of_nn_lstm():
    torch.manual_seed(0)
    m = MyLSTM(3, 4, dtype=torch.float64)
    cell = lstm_ref.from_torch(m)
    assert type(cell) is lstm_ref.LSTM
    assert np.array_equal(cell.weight_hh, m.weight_hh_l0.detach().numpy())
    assert type(lstm_ref.LSTM.from_torch(m)) is lstm_ref.LSTM
    assert len(lstm_ref.Stack.from_torch(MyLSTM(3, 4, num_layers=2))) == 2


@pytest.mark.parametrize("kind", ["LSTM", "GRU", "RNN"])
def test_bias_false_module_round_trips_to_bias_false_module(kind):
    torch.manual_seed(0)
    m = getattr(torch.nn, kind)(3, 4, bias=False, dtype=torch.float64)
    cell = lstm_ref.from_torch(m)
    assert np.all(cell.bias_ih == 0) and np.all(cell.bias_hh == 0)
    back = lstm_ref.to_torch(cell, bias=False)
    assert type(back) is type(m) and back.bias is False
    assert list(back.state_dict()) == list(m.state_dict())
    assert all(torch.equal(a, b) for a, b in zip(back.state_dict().values(), m.state_dict().values()))


def test_to_torch_bias_false_refuses_nonzero_biases():
    with pytest.raises(ValueError, match="bias=False needs the cell's bias_ih to be zero"):
        lstm_ref.to_torch(lstm_ref.LSTM(3, 4, seed=0), bias=False)


def test_to_torch_names_the_module_for_variants():
    with pytest.raises(TypeError, match="PyTorch has no module for PeepholeLSTM.*lstm_ref.torch"):
        lstm_ref.to_torch(lstm_ref.PeepholeLSTM(3, 4))


def test_from_torch_and_to_torch_round_trip_float32():
    torch.manual_seed(1)
    m = torch.nn.GRU(3, 4)
    cell = lstm_ref.from_torch(m)
    assert cell.dtype == np.float32
    back = lstm_ref.to_torch(cell)
    assert all(torch.equal(a, b) for a, b in zip(back.state_dict().values(), m.state_dict().values()))


def _imports(path):
    """Every lstm_ref module a file imports, at module level or inside functions."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module:
                out.add(node.module.split(".")[0])
            else:
                out.update(a.name for a in node.names)
    return out


def test_no_import_cycle_in_the_numpy_package():
    graph = {p.stem: _imports(p) & {q.stem for q in PKG.glob("*.py")} for p in PKG.glob("*.py")
             if p.stem != "__init__"}

    def reaches(start, target, seen=()):
        return any(n == target or (n not in seen and reaches(n, target, seen + (n,)))
                   for n in graph.get(start, ()))
    cycles = sorted(m for m in graph if reaches(m, m))
    assert not cycles, f"modules on an import cycle: {cycles}"
    assert _imports(PKG / "convert.py") <= {"checks"}


def test_lstm_ref_torch_imports_torch_and_lstm_ref_does_not():
    code = ("import sys, lstm_ref; a = 'torch' in sys.modules; import lstm_ref.torch; "
            "print(a, 'torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True"]


def test_module_names_match_the_numpy_cells():
    assert [m.__name__ for m in lt.MODULES] == [c.__name__ for c in lstm_ref.CELLS]
    assert all(m.numpy_cell == m.__name__ for m in lt.MODULES)
