"""The book's notebooks are committed clean and the table of contents matches the files."""
import json
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
BOOK = ROOT / "book"
SKIP_DIRS = {"_build", ".ipynb_checkpoints", ".jupyter_cache", "_ext"}


def book_files(pattern):
    return sorted(
        p for p in BOOK.rglob(pattern) if not SKIP_DIRS.intersection(p.relative_to(ROOT).parts)
    )


def toc_entries():
    """Every `file:` in _toc.yml (and the root), as paths relative to the repository, no suffix."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    found = [toc["root"]]

    def walk(node):
        if isinstance(node, dict):
            if "file" in node:
                found.append(node["file"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(toc.get("parts", []))
    walk(toc.get("chapters", []))
    return found


def resolve(entry):
    """The file a toc entry names: the entry may omit its suffix."""
    for suffix in ("", ".ipynb", ".md"):
        candidate = ROOT / (entry + suffix)
        if candidate.is_file():
            return candidate
    return None


NOTEBOOKS = book_files("*.ipynb")


def test_there_are_notebooks():
    assert NOTEBOOKS, "expected chapter notebooks under book/, found none"


@pytest.mark.parametrize("nb_path", NOTEBOOKS, ids=lambda p: str(p.relative_to(ROOT)))
def test_notebook_committed_without_outputs(nb_path):
    nb = json.loads(nb_path.read_text())
    dirty = [
        index
        for index, cell in enumerate(nb["cells"])
        if cell["cell_type"] == "code" and (cell.get("outputs") or cell.get("execution_count"))
    ]
    assert not dirty, f"{nb_path.name}: code cells {dirty} carry outputs or execution counts; clear them"


@pytest.mark.parametrize("nb_path", NOTEBOOKS, ids=lambda p: str(p.relative_to(ROOT)))
def test_notebook_uses_python3_kernel(nb_path):
    nb = json.loads(nb_path.read_text())
    assert nb["metadata"].get("kernelspec", {}).get("name") == "python3", nb_path.name


def test_every_toc_entry_exists():
    missing = [entry for entry in toc_entries() if resolve(entry) is None]
    assert not missing, f"_toc.yml names files that do not exist: {missing}"


def test_every_book_page_is_in_the_toc():
    listed = {resolve(entry) for entry in toc_entries()}
    pages = set(NOTEBOOKS) | set(book_files("*.md"))
    orphans = sorted(str(p.relative_to(ROOT)) for p in pages - listed)
    assert not orphans, f"pages under book/ missing from _toc.yml: {orphans}"


def test_no_toc_entry_listed_twice():
    entries = [str(resolve(entry)) for entry in toc_entries()]
    assert len(entries) == len(set(entries)), entries
