"""Run the command line from Python: one process, or several under ``torchrun``.

The book's chapters and experiment scripts call :func:`run` instead of a shell, so that the exact
command a reader would type is what runs. Each child process gets one thread
(``OMP_NUM_THREADS=1``: small models on a shared CPU gain nothing from more) and this source tree
on its path.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def argv(*args: str, processes: int = 1) -> list[str]:
    """The command line: ``python -m lstm_ref.charlm ARGS``, or torchrun's form for ``processes > 1``."""
    if processes < 1:
        raise ValueError(f"processes must be at least 1, got {processes}")
    if processes == 1:
        return [sys.executable, "-m", "lstm_ref.charlm", *map(str, args)]
    return [sys.executable, "-m", "torch.distributed.run", "--standalone",
            f"--nproc_per_node={processes}", "-m", "lstm_ref.charlm", *map(str, args)]


def run(*args: str, processes: int = 1, timeout: float = 600) -> str:
    """Run the command and return what it printed on stdout; a failure raises with its stderr."""
    env = {**os.environ, "OMP_NUM_THREADS": "1",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    cmd = argv(*args, processes=processes)
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
    if done.returncode:
        tail = "\n".join(done.stderr.strip().splitlines()[-15:])
        raise RuntimeError(f"{' '.join(cmd[1:])} exited with status {done.returncode}:\n{tail}")
    return done.stdout
