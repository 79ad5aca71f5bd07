"""Every chapter notebook follows CONTRIBUTING.md's conventions for readers outside the book.

* The first cell is the Colab cell, exactly as CONTRIBUTING.md gives it, tagged `remove-cell`
  (hidden in the book; tests/test_site.py checks it is absent from the built page). Its pip
  requirement names this repository (the URL in _config.yml) and this package (pyproject.toml).
* No code cell imports MyST-NB (absent on Colab): `glue` comes from `lstm_ref.notebook`.
* A notebook that draws with matplotlib asks for SVG figures.
* Every figure cell (`mystnb.figure` metadata) has a caption, a name and alt text that describes
  the picture (`mystnb.image.alt`), not a file name.

The checks are plain functions, tested first on notebooks built here in memory: one that
conforms and several that each break one rule.
"""
import ast
import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import nbformat
import pytest
import yaml
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted(
    p for p in (ROOT / "book").rglob("*.ipynb")
    if not {"_build", ".ipynb_checkpoints", "_ext"}.intersection(p.relative_to(ROOT).parts)
)
SVG_CONFIG = '%config InlineBackend.figure_formats = ["svg"]'
# A file name or path, not words: one token with a slash, an image suffix, _images/, a hash.
PATH_LIKE = re.compile(r"^\S*[/\\]\S*$|\.(png|svg|jpe?g|gif|pdf)$|_images/|^[0-9a-f]{16,}$", re.I)


def canonical_colab_cell() -> str:
    """The Colab cell's source, from the one ```python block of CONTRIBUTING.md that has it."""
    blocks = re.findall(r"^```python\n(.*?)^```", (ROOT / "CONTRIBUTING.md").read_text(), re.M | re.S)
    matches = [block.rstrip("\n") for block in blocks if "google.colab" in block]
    assert len(matches) == 1, f"CONTRIBUTING.md should give the Colab cell once, found {len(matches)}"
    return matches[0]


COLAB_CELL = canonical_colab_cell()


def _source(cell) -> str:
    return cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])


def _code_lines(source: str):
    """The source's lines with IPython magics (`%...`, `!...`) kept as they are written."""
    return [line.strip() for line in source.splitlines()]


def colab_cell_problems(nb) -> list[str]:
    cells = nb["cells"]
    if not cells:
        return ["the notebook has no cells"]
    first = cells[0]
    problems = []
    if first["cell_type"] != "code":
        problems.append(f"the first cell is {first['cell_type']}, not the Colab code cell")
    elif _source(first).rstrip("\n") != COLAB_CELL:
        problems.append("the first cell is not CONTRIBUTING.md's Colab cell, character for character")
    if "remove-cell" not in first.get("metadata", {}).get("tags", []):
        problems.append("the first cell is not tagged remove-cell")
    return problems


def import_problems(nb) -> list[str]:
    problems = []
    for index, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "code":
            continue
        for line in _code_lines(_source(cell)):
            if re.match(r"(from\s+myst_nb(\.\w+)*\s+import|import\s+myst_nb)\b", line):
                problems.append(f"cell {index} imports MyST-NB ({line!r}): use `from lstm_ref.notebook import glue`")
    return problems


def figure_format_problems(nb) -> list[str]:
    sources = [_source(c) for c in nb["cells"] if c["cell_type"] == "code"]
    uses_matplotlib = any(re.search(r"^\s*(import matplotlib|from matplotlib)", s, re.M) for s in sources)
    asks_svg = any(SVG_CONFIG in _code_lines(s) for s in sources)
    if uses_matplotlib and not asks_svg:
        return [f"draws with matplotlib but no code cell runs `{SVG_CONFIG}`"]
    return []


def figure_metadata_problems(nb) -> list[str]:
    problems = []
    for index, cell in enumerate(nb["cells"]):
        mystnb = cell.get("metadata", {}).get("mystnb", {})
        if cell["cell_type"] != "code" or "figure" not in mystnb:
            continue
        figure, image = mystnb["figure"], mystnb.get("image", {})
        name = figure.get("name", f"cell {index}")
        if not str(figure.get("caption", "")).strip():
            problems.append(f"{name}: no caption")
        if not figure.get("name"):
            problems.append(f"cell {index}: figure has no name to reference it by")
        alt = str(image.get("alt", "")).strip()
        if len(alt) < 20:
            problems.append(f"{name}: alt text {alt!r} is missing or too short to describe the figure")
        elif PATH_LIKE.search(alt):
            problems.append(f"{name}: alt text {alt!r} looks like a file name")
    return problems


CHECKS = (colab_cell_problems, import_problems, figure_format_problems, figure_metadata_problems)


# --- the checks themselves, on notebooks made here ---------------------------------------------

def conforming_notebook():
    nb = nbformat.v4.new_notebook()
    colab = nbformat.v4.new_code_cell(COLAB_CELL, metadata={"tags": ["remove-cell"]})
    setup = nbformat.v4.new_code_cell(
        f"import matplotlib.pyplot as plt\nfrom lstm_ref.notebook import glue\n\n{SVG_CONFIG}\n"
    )
    figure = nbformat.v4.new_code_cell("fig, ax = plt.subplots()\nax.plot([1, 2])", metadata={"mystnb": {
        "figure": {"caption": "A rising line.", "name": "fig-test-line"},
        "image": {"alt": "A straight line rising from 1 to 2 over one step."},
    }})
    nb.cells = [colab, nbformat.v4.new_markdown_cell("# Title"), setup, figure]
    return nb


def test_a_conforming_notebook_passes_every_check():
    nb = conforming_notebook()
    assert [problem for check in CHECKS for problem in check(nb)] == []


def _broken(edit):
    nb = conforming_notebook()
    edit(nb)
    return [problem for check in CHECKS for problem in check(nb)]


@pytest.mark.parametrize("edit, expected", [
    (lambda nb: nb.cells.pop(0), "not the Colab code cell"),
    (lambda nb: nb.cells[0].metadata.update(tags=["hide-input"]), "not tagged remove-cell"),
    (lambda nb: setattr(nb.cells[0], "source", COLAB_CELL.replace("--quiet", "-q")), "character for character"),
    (lambda nb: setattr(nb.cells[2], "source", "from myst_nb import glue\n" + SVG_CONFIG), "imports MyST-NB"),
    (lambda nb: setattr(nb.cells[2], "source", "import myst_nb\n" + SVG_CONFIG), "imports MyST-NB"),
    (lambda nb: setattr(nb.cells[2], "source", "import matplotlib.pyplot as plt"), "figure_formats"),
    (lambda nb: nb.cells[3].metadata["mystnb"].pop("image"), "alt text"),
    (lambda nb: nb.cells[3].metadata["mystnb"]["image"].update(alt="../../_images/3f2a.png"), "file name"),
    (lambda nb: nb.cells[3].metadata["mystnb"]["image"].update(alt="figure"), "too short"),
    (lambda nb: nb.cells[3].metadata["mystnb"]["image"].update(alt="fig-test-line-final.svg"), "file name"),
    (lambda nb: nb.cells[3].metadata["mystnb"]["figure"].pop("caption"), "no caption"),
])
def test_each_rule_catches_its_breach(edit, expected):
    problems = _broken(edit)
    assert any(expected in problem for problem in problems), problems


# --- the Colab cell itself ---------------------------------------------------------------------

def _pip_requirement() -> str:
    """The requirement string the Colab cell passes to pip (the last argument of subprocess.run)."""
    tree = ast.parse(COLAB_CELL)
    calls = [node for node in ast.walk(tree) if isinstance(node, ast.Call) and ast.unparse(node.func) == "subprocess.run"]
    assert len(calls) == 1, "the Colab cell should make exactly one subprocess.run call"
    args = ast.literal_eval(ast.unparse(calls[0].args[0]).replace("sys.executable", "'python'"))
    assert args[:4] == ["python", "-m", "pip", "install"], args
    return args[-1]


def test_colab_cell_installs_this_package_from_this_repository():
    requirement = Requirement(_pip_requirement())            # raises if pip could not parse it
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["name"]
    repository = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]
    assert requirement.name == project
    assert requirement.url == f"git+{repository['url']}", (requirement.url, repository["url"])


def test_colab_cell_does_nothing_outside_colab_and_installs_on_colab():
    probe = f"""
import subprocess, sys, json
calls = []
subprocess.run = lambda *args, **kwargs: calls.append(args[0])
exec(compile({COLAB_CELL!r}, "<colab cell>", "exec"), {{}})
outside = list(calls)
sys.modules["google.colab"] = type(sys)("google.colab")
exec(compile({COLAB_CELL!r}, "<colab cell>", "exec"), {{}})
print(json.dumps([outside, calls, sys.executable]))
"""
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    outside, on_colab, python = json.loads(result.stdout)
    assert outside == []
    assert on_colab == [[python, "-m", "pip", "install", "--quiet", _pip_requirement()]]


# --- the book's notebooks ----------------------------------------------------------------------

def test_there_are_notebooks():
    assert NOTEBOOKS


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: str(p.relative_to(ROOT)))
def test_notebook_follows_the_conventions(path, check):
    nb = json.loads(path.read_text())
    problems = check(nb)
    assert not problems, f"{path.relative_to(ROOT)}: " + "; ".join(problems)
