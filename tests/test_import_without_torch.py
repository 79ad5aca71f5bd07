"""`import lstm_ref` must work, and compute, on a machine without torch."""
import subprocess
import sys
import textwrap


def run_python(code):
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=120
    )


def test_lstm_ref_imports_and_runs_with_torch_blocked():
    result = run_python(
        """
        import sys
        sys.modules["torch"] = None          # any `import torch` now raises ImportError
        import numpy as np
        import lstm_ref
        cell = lstm_ref.LSTM(3, 4, seed=0)
        x = np.random.default_rng(0).standard_normal((5, 2, 3))
        out, (h, c), cache = lstm_ref.forward(cell, x)
        grads, dx, _ = lstm_ref.backward(cell, cache, np.ones_like(out))
        assert out.shape == (5, 2, 4) and dx.shape == x.shape
        print("ok")
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_importing_lstm_ref_does_not_import_torch():
    result = run_python(
        """
        import sys
        import lstm_ref, lstm_ref.tasks
        print("torch" in sys.modules)
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False", "import lstm_ref pulled in torch; import it lazily"


def test_blocked_torch_gives_a_clear_error_only_where_torch_is_needed():
    result = run_python(
        """
        import sys
        sys.modules["torch"] = None
        import lstm_ref
        try:
            lstm_ref.LSTM.from_torch(object())
        except ImportError as err:
            print("ImportError")
        except (TypeError, ValueError) as err:
            print("checked first")
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() in {"ImportError", "checked first"}
