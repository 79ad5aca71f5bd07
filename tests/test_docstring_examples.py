"""Every `>>>` example in lstm_ref's docstrings runs and prints what it says."""
import doctest
import importlib
import pkgutil

import pytest

import lstm_ref

MODULES = sorted(m.name for m in pkgutil.iter_modules(lstm_ref.__path__, "lstm_ref."))


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{name}: {result.failed} of {result.attempted} doctest examples failed"


def test_there_are_docstring_examples():
    attempted = sum(
        doctest.testmod(importlib.import_module(name), report=False).attempted for name in MODULES
    )
    assert attempted >= 5, f"only {attempted} docstring examples in lstm_ref"
