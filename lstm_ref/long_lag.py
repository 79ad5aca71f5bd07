"""The long-lag experiment of the vanishing-gradient chapter, as one reusable function.

A ``torch.nn.RNN`` with a linear read-out of its last state is trained on
:func:`lstm_ref.tasks.first_symbol` and scored on held-out sequences. Both the chapter and the
script ``experiments/first_symbol_init.py`` call :func:`train_first_symbol`, so the numbers the
script stores and the runs the chapter repeats come from the same code. torch is imported only
when the function is called, so ``lstm_ref`` itself stays importable without it.
"""
from __future__ import annotations

import numpy as np

from .tasks import first_symbol

__all__ = ["train_first_symbol", "INITS"]

INITS = ("default", "orthogonal")


def train_first_symbol(lag, seed, *, init="default", noise=0.0, hidden=32, batch=32,
                       lr=3e-3, steps=300, max_norm=1.0, n_test=1000):
    """Train a tanh RNN on ``first_symbol(lag)`` and return ``(accuracy, radius)``.

    The network is ``torch.nn.RNN(6, hidden)`` (float32, CPU) followed by
    ``torch.nn.Linear(hidden, 2)`` on the last state. Training: ``steps`` Adam updates with
    learning rate ``lr`` on fresh batches of ``batch`` sequences, the gradient norm clipped to
    ``max_norm``. ``init="orthogonal"`` sets ``W_hh`` to a random orthogonal matrix and both
    biases to zero; ``"default"`` keeps PyTorch's initialisation. ``noise > 0`` adds Gaussian
    noise of that standard deviation to every distractor input (steps 2..T), in training and
    test alike. Everything is seeded from ``seed`` and ``lag``.

    Returns the accuracy on ``n_test`` held-out sequences and the spectral radius of ``W_hh``
    after training, both as Python floats.
    """
    import torch

    if init not in INITS:
        raise ValueError(f"init must be one of {INITS}, got {init!r}")
    if not (isinstance(noise, (int, float)) and np.isfinite(noise) and noise >= 0):
        raise ValueError(f"noise must be a finite number >= 0, got {noise!r}")
    for name, value in [("lag", lag), ("seed", seed), ("hidden", hidden), ("batch", batch),
                        ("steps", steps), ("n_test", n_test)]:
        if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < (
                0 if name in ("seed", "steps") else 1):
            raise ValueError(f"{name} must be a non-negative int (positive for sizes), got {value!r}")

    torch.manual_seed(seed)
    rnn, head = torch.nn.RNN(6, hidden), torch.nn.Linear(hidden, 2)
    if init == "orthogonal":
        with torch.no_grad():
            torch.nn.init.orthogonal_(rnn.weight_hh_l0)
            rnn.bias_ih_l0.zero_()
            rnn.bias_hh_l0.zero_()
    params = list(rnn.parameters()) + list(head.parameters())
    opt = torch.optim.Adam(params, lr=lr)

    def inputs(x, noise_seed):
        x = x.copy()
        if noise:
            x[1:] += noise * np.random.default_rng(noise_seed).normal(size=x[1:].shape)
        return torch.tensor(x, dtype=torch.float32)

    for step in range(steps):
        x, y = first_symbol(batch, lag, seed=(seed, lag, step))
        out, _ = rnn(inputs(x, (seed, lag, step, 1)))
        loss = torch.nn.functional.cross_entropy(head(out[-1]), torch.tensor(y[-1]))
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, max_norm)
        opt.step()
    x, y = first_symbol(n_test, lag, seed=(10**6, seed, lag))
    with torch.no_grad():
        out, _ = rnn(inputs(x, (10**6, seed, lag, 1)))
        accuracy = float((head(out[-1]).argmax(-1).numpy() == y[-1]).mean())
    radius = float(np.abs(np.linalg.eigvals(rnn.weight_hh_l0.detach().numpy())).max())
    return accuracy, radius
