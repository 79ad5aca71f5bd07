"""lstm_ref.notebook.glue: stores a value for the book with MyST-NB, prints it without."""
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from lstm_ref import notebook


def run_python(code):
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=120
    )


def test_without_myst_nb_the_value_is_printed():
    result = run_python(
        """
        import sys
        sys.modules["myst_nb"] = None          # as on Colab: `import myst_nb` raises ImportError
        import numpy as np
        from lstm_ref.notebook import glue
        value = glue("rate", np.float64(0.25))
        assert type(value) is float and value == 0.25
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "rate = 0.25\n"


def test_with_myst_nb_the_value_goes_to_myst_glue(monkeypatch):
    calls = []
    monkeypatch.setattr(notebook, "_myst_glue", lambda *args, **kw: calls.append((args, kw)))
    assert notebook.glue("n", np.array(3)) == 3
    assert calls == [(("n", 3), {"display": False})]
    assert type(calls[0][0][1]) is int


@pytest.mark.parametrize("name", ["", None, 3])
def test_bad_name_is_a_type_error(name):
    with pytest.raises(TypeError, match="non-empty str"):
        notebook.glue(name, 1.0)
