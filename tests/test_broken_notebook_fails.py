"""A notebook with a failing cell must fail both the book build and the test run.

This guards the configuration itself: `raise_on_error` in `_config.yml` and nbval's collection.
A tiny book is built in a temporary folder with this repository's real `_config.yml`.
"""
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
BROKEN = "assert 1 + 1 == 3, 'deliberately broken cell'"


def write_notebook(path, *sources):
    cells = [{"cell_type": "markdown", "metadata": {}, "source": ["# A broken chapter\n"]}]
    cells += [
        {"cell_type": "code", "metadata": {}, "source": [src], "outputs": [], "execution_count": None}
        for src in sources
    ]
    nb = {
        "cells": cells,
        "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path.write_text(json.dumps(nb))


@pytest.fixture
def broken_book(tmp_path):
    book = tmp_path / "book"
    (book / "book").mkdir(parents=True)
    shutil.copy(ROOT / "_config.yml", book / "_config.yml")
    shutil.copy(ROOT / "references.bib", book / "references.bib")
    shutil.copytree(ROOT / "book" / "_ext", book / "book" / "_ext")
    (book / "_toc.yml").write_text("format: jb-book\nroot: book/broken\n")
    write_notebook(book / "book" / "broken.ipynb", "x = 1", BROKEN)
    return book


@pytest.mark.skipif(not (BIN / "jupyter-book").exists(), reason="jupyter-book is not installed")
@pytest.mark.parametrize("flags", [[], ["-W", "-n", "--keep-going"]], ids=["plain", "strict"])
def test_build_fails_on_a_broken_cell(broken_book, flags):
    result = subprocess.run(
        [str(BIN / "jupyter-book"), "build", str(broken_book), *flags],
        capture_output=True, text=True, timeout=600,
    )
    log = result.stdout + result.stderr
    assert result.returncode != 0, "the build exited 0 over a notebook whose cell fails:\n" + log[-3000:]
    assert "CellExecutionError" in log, "the build failed, but not because of the cell:\n" + log[-3000:]


def test_nbval_fails_on_a_broken_cell(tmp_path):
    nb = tmp_path / "broken.ipynb"
    write_notebook(nb, "x = 1", BROKEN)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--nbval-lax", "--nbval-current-env", "-p", "no:cacheprovider",
         "-o", "addopts=", "--rootdir", str(tmp_path), str(nb)],
        capture_output=True, text=True, timeout=300, cwd=tmp_path,
    )
    assert result.returncode == 1, result.stdout[-3000:]
    assert "1 failed" in result.stdout, result.stdout[-3000:]
