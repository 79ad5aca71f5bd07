"""Serve MathJax 3 from the built site, never from a CDN.

MathJax's static files come from the PyPI package ``django-static-mathjax``
(pinned in ``requirements.txt``; despite the name it is only MathJax's files
and needs no Django). This extension points Sphinx's ``mathjax_path`` at
``_static/mathjax/tex-chtml.js`` and, once the HTML is written, copies
MathJax's ``es5`` bundle there, so a reader needs no network to see the math.
"""
from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

from sphinx.errors import ExtensionError

TARGET = "mathjax"  # folder under the built site's _static/
ENTRY = "tex-chtml.js"


def mathjax_bundle() -> Path:
    """Return the folder that holds MathJax 3's ``es5`` files."""
    spec = importlib.util.find_spec("mathjax")
    if spec is None or not spec.submodule_search_locations:
        raise ExtensionError(
            "offline_mathjax: the 'mathjax' package is missing; "
            "install requirements.txt (django-static-mathjax)"
        )
    es5 = Path(list(spec.submodule_search_locations)[0]) / "static" / "mathjax" / "es5"
    if not (es5 / ENTRY).is_file():
        raise ExtensionError(f"offline_mathjax: expected {es5 / ENTRY}, found nothing there")
    return es5


def _point_sphinx_at_local_copy(app, config) -> None:
    mathjax_bundle()  # fail early, before any page is written
    config.mathjax_path = f"{TARGET}/{ENTRY}"


def _copy_bundle(app, exception) -> None:
    if exception is not None or app.builder.format != "html":
        return
    dest = Path(app.outdir) / "_static" / TARGET
    shutil.copytree(mathjax_bundle(), dest, dirs_exist_ok=True)


def setup(app):
    # run after every other config-inited handler so that ours wins
    app.connect("config-inited", _point_sphinx_at_local_copy, priority=900)
    app.connect("build-finished", _copy_bundle)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
