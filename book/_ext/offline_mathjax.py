"""Serve MathJax 3 from the built site, never from a CDN, and only where a page has math.

MathJax's static files come from the PyPI package ``django-static-mathjax``
(pinned in ``requirements.txt``; despite the name it is only MathJax's files
and needs no Django). This extension points Sphinx's ``mathjax_path`` at
``_static/mathjax/tex-chtml.js`` and, once the HTML is written, copies from
MathJax's ``es5`` bundle only what ``tex-chtml.js`` loads (``NEEDED``): the
combined component itself, the CommonHTML fonts, the TeX extensions that
``autoload`` and ``require`` fetch on demand, and what the right-click menu's
accessibility settings load (the explorer and the English speech rules). The
other 20 MB of the bundle (SVG output, MathML input, other combined
components, speech rules in twelve other languages) are never requested.

Sphinx adds MathJax to a page when it or any page in its table of contents has
math; the root page lists every chapter, so it would load MathJax for nothing.
``_drop_mathjax_without_math`` removes MathJax's scripts from pages whose own
body holds no math.
"""
from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

from sphinx.errors import ExtensionError

TARGET = "mathjax"  # folder under the built site's _static/
ENTRY = "tex-chtml.js"

# Paths inside MathJax's es5 folder that the pages can request: a file or a whole folder.
NEEDED = (
    ENTRY,
    "output/chtml/fonts/woff-v2",     # the fonts CommonHTML output uses
    "input/tex/extensions",           # [tex]/... packages loaded by autoload or \require
    "ui",                             # menu and its lazy/safe helpers
    "a11y",                           # explorer, semantic enrichment, speech (from the menu)
    "input/mml.js",                   # MathML input, which semantic enrichment needs
    "sre/mathmaps/base.json",         # speech rules: shared base ...
    "sre/mathmaps/en.json",           # ... English (the book's language) ...
    "sre/mathmaps/nemeth.json",       # ... and Nemeth braille, offered by the menu
)


def mathjax_bundle() -> Path:
    """Return the folder that holds MathJax 3's ``es5`` files."""
    spec = importlib.util.find_spec("mathjax")
    if spec is None or not spec.submodule_search_locations:
        raise ExtensionError(
            "offline_mathjax: the 'mathjax' package is missing; "
            "install requirements.txt (django-static-mathjax)"
        )
    es5 = Path(list(spec.submodule_search_locations)[0]) / "static" / "mathjax" / "es5"
    missing = [name for name in NEEDED if not (es5 / name).exists()]
    if missing:
        raise ExtensionError(f"offline_mathjax: {es5} lacks {missing}")
    return es5


def copy_needed(source: Path, dest: Path) -> None:
    """Copy the ``NEEDED`` files and folders of MathJax from ``source`` to ``dest``."""
    for name in NEEDED:
        src, out = source / name, dest / name
        out.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, out, dirs_exist_ok=True)
        else:
            shutil.copy2(src, out)


def _point_sphinx_at_local_copy(app, config) -> None:
    mathjax_bundle()  # fail early, before any page is written
    config.mathjax_path = f"{TARGET}/{ENTRY}"


def _is_mathjax_script(app, script) -> bool:
    filename = getattr(script, "filename", script) or ""
    body = (getattr(script, "attributes", None) or {}).get("body", "")
    # the builder stores local scripts as "_static/<mathjax_path>"
    return str(filename).endswith(app.config.mathjax_path) or body.startswith("window.MathJax")


def _drop_mathjax_without_math(app, pagename, templatename, context, doctree) -> None:
    """Leave MathJax out of a page whose own body has no math (``class="math ..."``)."""
    if app.builder.format != "html" or 'class="math' in context.get("body", ""):
        return
    scripts = context.get("script_files")
    if scripts:
        context["script_files"] = [s for s in scripts if not _is_mathjax_script(app, s)]


def _copy_bundle(app, exception) -> None:
    if exception is not None or app.builder.format != "html":
        return
    dest = Path(app.outdir) / "_static" / TARGET
    if dest.exists():
        shutil.rmtree(dest)  # an earlier build may have copied the whole bundle
    copy_needed(mathjax_bundle(), dest)


def setup(app):
    # run after every other config-inited handler so that ours wins
    app.connect("config-inited", _point_sphinx_at_local_copy, priority=900)
    # after sphinx.ext.mathjax has added its scripts (default priority 500)
    app.connect("html-page-context", _drop_mathjax_without_math, priority=900)
    app.connect("build-finished", _copy_bundle)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
