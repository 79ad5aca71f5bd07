"""The code examples in the README and the book's Markdown pages run as written."""
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "book").glob("*.md"))]
FENCE = re.compile(r"^```python\n(.*?)^```", re.M | re.S)

EXAMPLES = [
    pytest.param(code, id=f"{doc.relative_to(ROOT)}#{k}")
    for doc in DOCS
    for k, code in enumerate(FENCE.findall(doc.read_text()))
]


def test_the_docs_have_examples():
    assert len(EXAMPLES) >= 3


@pytest.mark.parametrize("code", EXAMPLES)
def test_example_runs(code):
    exec(compile(code, "<doc example>", "exec"), {"__name__": "__doc_example__"})
