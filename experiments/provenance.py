"""Where a stored result came from: the part every experiment script records the same way.

A results file names the exact command, the git commit and whether the code it depends on had
uncommitted changes, the device, the library versions and the date. The scripts in this folder
import this module (it sits next to them on ``sys.path`` when one is run as
``python experiments/NAME.py``).
"""
from __future__ import annotations

import datetime
import platform
import subprocess
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent


def cpu_name() -> str:
    """The CPU's model name (from /proc/cpuinfo), else what ``platform`` knows."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def git(*args: str) -> str:
    """Output of ``git ARGS`` in the repository, stripped."""
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True).stdout.strip()


def record(script: str) -> dict:
    """Command, commit, dirty flag (of lstm_ref/ and ``script``), CPU device, versions and date.

    ``script`` is the path of the calling script relative to the repository root
    (``experiments/long_lags.py``); the command is that script with this process's arguments.
    """
    import torch

    return {
        "command": "python " + " ".join([script] + sys.argv[1:]),
        "git_commit": git("rev-parse", "HEAD"),
        "git_dirty": bool(git("status", "--porcelain", "lstm_ref", script)),
        "device": f"CPU ({cpu_name()}), torch threads = {torch.get_num_threads()}, float32",
        "versions": {"python": platform.python_version(), "torch": torch.__version__,
                     "numpy": np.__version__},
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }
