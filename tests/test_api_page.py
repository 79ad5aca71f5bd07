"""The book's API reference page documents every public name of lstm_ref."""
import importlib
import re
import types
from pathlib import Path

import lstm_ref

API_PAGE = Path(__file__).resolve().parent.parent / "book" / "api.md"
DIRECTIVE = re.compile(r"^\.\. auto(?:class|function|data|module):: (lstm_ref(?:\.\w+)*)", re.M)


def documented():
    return set(DIRECTIVE.findall(API_PAGE.read_text()))


def test_every_public_name_is_on_the_api_page():
    names = documented()
    missing = []
    for name in lstm_ref.__all__:
        obj = getattr(lstm_ref, name)
        target = obj.__name__ if isinstance(obj, types.ModuleType) else f"lstm_ref.{name}"
        if target not in names:
            missing.append(name)
    assert not missing, f"public names of lstm_ref missing from book/api.md: {missing}"


def test_api_page_names_only_what_exists():
    stale = []
    for dotted in documented():
        module, _, attr = dotted.rpartition(".")
        try:
            importlib.import_module(dotted)        # a module (lstm_ref.tasks)
        except ImportError:
            if not hasattr(importlib.import_module(module), attr):
                stale.append(dotted)
    assert not stale, f"book/api.md documents names lstm_ref does not have: {stale}"


def test_every_public_name_has_a_docstring():
    undocumented = [
        name for name in lstm_ref.__all__
        if not isinstance(getattr(lstm_ref, name), (tuple, dict)) and not (getattr(lstm_ref, name).__doc__ or "").strip()
    ]
    assert not undocumented, f"public names without a docstring: {undocumented}"
