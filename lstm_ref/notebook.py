"""Small helpers for the book's notebooks, usable with or without the book's tooling.

The chapters publish computed numbers into their prose with MyST-NB's ``glue``. This module
wraps it so that a chapter also runs where MyST-NB is not installed (a plain Jupyter or Colab
session): there, a glued value is printed instead of being stored for the book.
"""
from __future__ import annotations

try:
    from myst_nb import glue as _myst_glue
except ImportError:          # outside the book's environment
    _myst_glue = None

__all__ = ["glue"]


def glue(name: str, value, display: bool = False):
    """Publish ``value`` under ``name`` for the chapter's prose (``{glue:text}`name:.3f```).

    numpy scalars and 0-d arrays become plain Python numbers, which MyST formats with the
    format spec given in the text. With MyST-NB present this calls ``myst_nb.glue``; without it,
    the value is printed as ``name = value`` so the reader still sees it.

    Returns the (converted) value, so ``x = glue("x", compute())`` reads naturally.
    """
    if not isinstance(name, str) or not name:
        raise TypeError(f"glue name must be a non-empty str, got {name!r}")
    if hasattr(value, "item") and getattr(value, "ndim", 0) == 0:
        value = value.item()
    if _myst_glue is not None:
        _myst_glue(name, value, display=display)
    else:
        print(f"{name} = {value}")
    return value
