"""Generate text from a trained checkpoint, one character at a time.

The prompt is fed through the model to set its state; then, repeatedly, the next character is
drawn from ``softmax(s_t / temperature)`` and fed back in. A temperature below 1 sharpens the
distribution (safer, more repetitive text), above 1 flattens it (more surprising, more misspelt).
"""
from __future__ import annotations

import torch

from . import checkpoint
from .data import Vocabulary
from .model import CharModel


def load_model(path) -> tuple[CharModel, Vocabulary, dict]:
    """The model, vocabulary and checkpoint dict stored in ``path`` (a run directory or file)."""
    path = checkpoint.path_in(path)
    payload = checkpoint.load(path)
    cfg, vocab = payload["config"], Vocabulary(payload["vocab"])
    model = CharModel(len(vocab), cfg["cell"], cfg["hidden"], cfg["layers"], cfg["dropout"])
    try:
        model.load_state_dict(payload["model"])
    except RuntimeError as err:
        raise checkpoint.CheckpointError(f"{path}: its parameters do not fit its own configuration "
                                         f"({str(err).splitlines()[0]})") from None
    return model.eval(), vocab, payload


@torch.no_grad()
def generate(model: CharModel, vocab: Vocabulary, prompt: str, length: int,
             temperature: float = 1.0, seed: int = 0) -> str:
    """``prompt`` followed by ``length`` sampled characters (deterministic for a given ``seed``)."""
    if not prompt:
        raise ValueError("the prompt must contain at least one character")
    if temperature <= 0:
        raise ValueError(f"temperature must be positive, got {temperature}")
    generator = torch.Generator().manual_seed(seed)
    ids = vocab.encode(prompt).view(1, -1)
    logits, state = model(ids, model.initial_state(1))
    out = []
    for _ in range(length):
        probs = torch.softmax(logits[0, -1].double() / temperature, dim=-1)
        nxt = torch.multinomial(probs, 1, generator=generator)
        out.append(int(nxt))
        logits, state = model(nxt.view(1, 1), state)
    return prompt + vocab.decode(out)
