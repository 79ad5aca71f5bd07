"""Small fixes to the built site that Jupyter Book's configuration cannot express.

* **One copy of each inline script.** Extensions that add an inline script while the
  documents are read (sphinx-thebe's ``const THEBE_JS_URL = ...``, sphinx-togglebutton's
  selector) end up in a page twice; a repeated ``const`` is a ``SyntaxError`` in every
  page's console. ``_drop_duplicate_scripts`` keeps the first copy.
* **Executed notebooks to download.** The theme's download menu offers the committed
  ``.ipynb``, which has no outputs. ``_copy_executed_notebooks`` writes each notebook as the
  build ran it (from the jupyter-cache) into the site under ``executed/``, and
  ``_offer_executed_notebook`` adds an entry to the download menu.
* **Reproducible SVG figures.** Matplotlib writes a random salt into the ids of an SVG
  and the current date into its metadata, so every build would produce new figure files.
  While the notebooks execute, the kernel inherits ``SOURCE_DATE_EPOCH`` (the SVG date)
  and ``MATPLOTLIBRC`` pointing at ``book/_ext/matplotlibrc`` (a fixed ``svg.hashsalt``).
  Both are removed again before Sphinx writes pages (Sphinx would put the epoch's year
  into dates it formats).
* **A front page with the icon.** The site's ``index.html`` only redirects to the first
  page; written by sphinx-external-toc it has no ``<link rel="icon">``, so browsers ask for
  ``/favicon.ico`` and get a 404. ``_write_front_page`` writes the redirect first, with the icon.
* **Styles and one script**: ``book/_static/book.css`` and ``book.js`` (equations that
  scroll in their own box, with a faded edge where part of one is hidden).
"""
from __future__ import annotations

import os
from pathlib import Path

HERE = Path(__file__).resolve().parent
STATIC = HERE.parent / "_static"
EXECUTED = "executed"   # folder of the built site holding executed notebooks
REPRODUCIBLE_ENV = {
    "SOURCE_DATE_EPOCH": "0",
    "MATPLOTLIBRC": str(HERE / "matplotlibrc"),
}
_saved_env: dict[str, str | None] = {}


def _script_key(script):
    filename = getattr(script, "filename", script) or ""
    attributes = getattr(script, "attributes", {}) or {}
    return str(filename), tuple(sorted(attributes.items()))


def _drop_duplicate_scripts(app, pagename, templatename, context, doctree) -> None:
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, kept = set(), []
    for script in scripts:
        key = _script_key(script)
        if key not in seen:
            seen.add(key)
            kept.append(script)
    context["script_files"] = kept


def executed_notebook(app, docname: str):
    """The executed notebook ``docname`` as the build ran it (an nbformat node), or None.

    With ``execute_notebooks: cache`` the outputs live in the jupyter-cache, merged into the
    committed notebook exactly as MyST-NB renders them (the copy MyST-NB writes to
    ``_build/jupyter_execute`` lacks the outputs when they came from the cache). Otherwise,
    that written copy is the executed notebook.
    """
    import nbformat

    source = Path(app.env.doc2path(docname))
    if source.suffix != ".ipynb":
        return None
    config = getattr(app.env, "mystnb_config", None)
    if config is not None and config.execution_mode == "cache":
        from jupyter_cache import get_cache

        try:
            _, merged = get_cache(config.execution_cache_path).merge_match_into_notebook(
                nbformat.read(source, as_version=4)
            )
        except KeyError:     # not executed (excluded from execution, or the cache was cleared)
            return None
        return merged
    written = Path(app.outdir).parent / "jupyter_execute" / f"{docname}.ipynb"
    return nbformat.read(written, as_version=4) if written.is_file() else None


def notebook_docnames(app) -> list[str]:
    """The documents that are notebooks."""
    return sorted(name for name in app.env.found_docs if str(app.env.doc2path(name)).endswith(".ipynb"))


def _offer_executed_notebook(app, pagename, templatename, context, doctree) -> None:
    """Add "with outputs" to the download menu of a notebook page."""
    if pagename not in notebook_docnames(app):
        return
    for group in context.get("header_buttons", []):
        if group.get("label") != "download-buttons":
            continue
        url = f"{context['pathto'](EXECUTED, 1)}/{pagename}.ipynb"
        group["buttons"].insert(1, {
            "type": "link",
            "url": url,
            "text": ".ipynb (with outputs)",
            "tooltip": "Download the notebook as the book ran it, with its figures and results",
            "icon": "fas fa-chart-line",
            "label": "download-executed-notebook-button",
        })


def _copy_executed_notebooks(app, exception) -> None:
    if exception is not None or app.builder.format != "html":
        return
    import nbformat

    for docname in notebook_docnames(app):
        notebook = executed_notebook(app, docname)
        if notebook is None:
            continue
        target = Path(app.outdir) / EXECUTED / f"{docname}.ipynb"
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(notebook, target)


def _reproducible_kernel_env(app, env, docnames) -> None:
    for name, value in REPRODUCIBLE_ENV.items():
        _saved_env.setdefault(name, os.environ.get(name))
        if name == "SOURCE_DATE_EPOCH" and os.environ.get(name):
            continue   # a reproducible-builds caller chose the date already
        os.environ[name] = value


def _restore_env(app, env) -> None:
    for name, value in _saved_env.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    _saved_env.clear()


def _write_front_page(app, exception) -> None:
    index = Path(app.outdir) / "index.html"
    if exception is not None or app.builder.format != "html" or index.exists():
        return
    first_page = app.builder.get_target_uri(app.config.root_doc)
    icon = Path(app.config.html_favicon or "").name
    link = f'<link rel="icon" href="_static/{icon}">' if icon else ""
    index.write_text(
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Refresh" content="0; url={first_page}">{link}'
        f"<title>{app.config.html_title or app.config.project}</title></head></html>\n",
        encoding="utf8",
    )


def _add_static(app, config) -> None:
    config.html_static_path.append(str(STATIC))


def setup(app):
    app.connect("config-inited", _add_static)
    app.add_css_file("book.css")
    app.add_js_file("book.js", defer="defer")
    app.connect("env-before-read-docs", _reproducible_kernel_env)
    app.connect("env-updated", _restore_env)
    app.connect("html-page-context", _drop_duplicate_scripts, priority=950)
    # after sphinx-book-theme has built its header buttons (priority 501)
    app.connect("html-page-context", _offer_executed_notebook, priority=600)
    app.connect("build-finished", _copy_executed_notebooks)
    # before sphinx-external-toc's own redirect (default priority 500), which then leaves it be
    app.connect("build-finished", _write_front_page, priority=400)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
