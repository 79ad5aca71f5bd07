"""``DIR/checkpoint.pt``: everything a run needs to continue exactly where it stopped.

A checkpoint is a ``torch.save`` dict (loaded with ``weights_only=True``) holding

* ``model`` (the state_dict) and ``optimizer`` (Adam's moments and step counts),
* ``step`` (updates done), ``steps_asked`` (the ``--steps`` of the run that wrote it),
  ``position`` (the window index and pass over the stream) and ``state`` (the recurrent state
  carried into the next window, all rows of the batch),
* ``ranks``: per process, its torch RNG states and its running training-loss sum,
* ``config`` (the options that define the run), ``vocab``, ``text_sha256`` and ``last_eval``.

It is written atomically: to ``checkpoint.pt.tmp`` first, flushed to disk, then renamed over the
old file (:func:`os.replace` is atomic), so a run killed at any moment leaves either the old or the
new checkpoint, never half of one.
"""
from __future__ import annotations

import os
from pathlib import Path

import torch

FORMAT = "lstm_ref.charlm checkpoint 1"
"""str: tag stored in every checkpoint, checked on load."""

FILENAME = "checkpoint.pt"


class CheckpointError(RuntimeError):
    """A checkpoint that cannot be used: unreadable, not ours, or from a different run."""


def path_in(directory: str | Path) -> Path:
    """``directory/checkpoint.pt``, or ``directory`` itself when it names a file."""
    directory = Path(directory)
    return directory if directory.is_file() else directory / FILENAME


def save(payload: dict, path: str | Path) -> None:
    """Write ``payload`` to ``path`` atomically (temporary file, fsync, rename)."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
        torch.save({"format": FORMAT, **payload}, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def load(path: str | Path) -> dict:
    """Read a checkpoint; anything unreadable or foreign is a :class:`CheckpointError`."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"no checkpoint at {path}")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # torch raises many kinds for a damaged file
        raise CheckpointError(f"{path} is corrupt or not a checkpoint ({type(err).__name__}: "
                              f"{str(err).splitlines()[0] if str(err) else 'unreadable'}); "
                              "delete it to start afresh or use another --out") from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise CheckpointError(f"{path} is not an lstm_ref.charlm checkpoint")
    return payload


def check_matches(payload: dict, config: dict, text_sha256: str, path) -> None:
    """Refuse to resume a checkpoint whose run differs from the one asked for."""
    saved = payload["config"]
    diffs = [f"--{k.replace('_', '-')} {saved.get(k)} (checkpoint) vs {config[k]} (now)"
             for k in config if saved.get(k) != config[k]]
    if diffs:
        raise CheckpointError(f"{path} belongs to a different run: " + "; ".join(diffs)
                              + "; use the same options or another --out")
    if payload["text_sha256"] != text_sha256:
        raise CheckpointError(f"{path} was trained on a different text (--text); "
                              "use the same text or another --out")
