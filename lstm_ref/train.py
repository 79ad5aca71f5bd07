"""Training ``torch.nn.RNN`` and ``torch.nn.LSTM`` on the synthetic tasks of :mod:`lstm_ref.tasks`.

The numpy cells of ``lstm_ref`` are the reference the book checks derivations against; for
experiments with hundreds of training runs the book trains PyTorch's own layers, which compute
the same functions (the chapters check that) and are much faster.  This module holds the one
training loop those experiments share, so every chapter trains the same way; Part III's
comparison (:mod:`lstm_ref.compare`) trains the modules of :mod:`lstm_ref.torch` with it too,
passing the layer in as a callable.

The model is a recurrent layer followed by a linear read-out of its **last** hidden state,
``s = V h_T + b_y``; all tasks of Parts I and II score only the last step (:func:`fit` can
also read out every step, for a continual stream).  Training uses Adam on fresh
batches drawn from a task generator, with the global gradient norm clipped, in float32 on the
CPU.  With ``torch.set_num_threads(1)`` and fixed seeds a run is bit-for-bit reproducible on
the same machine and library versions.

torch is imported when a function here is called, never when the module is imported, so
``import lstm_ref`` (and this module) works without torch.
"""
from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field

import numpy as np

from .tasks import IGNORE_INDEX, adding_problem, cue_recall, first_symbol

__all__ = [
    "CELL_KINDS", "READOUTS", "INITS", "LOSSES", "TrainResult", "build_model", "set_forget_bias",
    "spectral_radius", "predict", "fit", "evaluate", "gate_trace", "first_symbol_run",
    "adding_run", "cue_recall_run",
]

#: The recurrent layers :func:`build_model` makes by name (``torch.nn.RNN``, ``torch.nn.LSTM``);
#: any other layer is passed in as a callable, ``kind(input_size, hidden_size)``.
CELL_KINDS = ("rnn", "lstm")
#: What :func:`fit` reads out: the last hidden state only, or every step's.
READOUTS = ("last", "every")
#: The initialisations :func:`build_model` knows: PyTorch's default, or an orthogonal ``W_hh``.
INITS = ("default", "orthogonal")
#: The losses :func:`fit` knows: cross-entropy on class indices, mean squared error on reals.
LOSSES = ("cross_entropy", "mse")


def _torch():
    import torch   # imported lazily: lstm_ref itself never needs torch
    return torch


def _check_kind(kind):
    if callable(kind) and not isinstance(kind, str):
        return
    if kind not in CELL_KINDS:
        raise ValueError(f"kind must be one of {CELL_KINDS}, got {kind!r}")


def _check_positive_int(name, value, minimum=1):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def _forget_block(core):
    """Index of the forget block among the gate blocks of ``core``."""
    torch = _torch()
    if isinstance(core, torch.nn.LSTM):
        return 1                                   # gate order i, f, g, o
    gates = getattr(core, "gates", None)
    if gates is None:
        raise TypeError("set_forget_bias needs a torch.nn.LSTM or an lstm_ref.torch module, "
                        f"got {type(core).__name__}")
    if "f" not in gates:
        raise ValueError(f"{type(core).__name__} has no forget gate (gates {gates})")
    return gates.index("f")


def set_forget_bias(lstm, value):
    """Set the forget-gate bias of every layer of an LSTM-like layer to ``value``.

    ``lstm`` is a ``torch.nn.LSTM`` or a module of :mod:`lstm_ref.torch` whose ``gates`` name
    a forget block ``"f"`` (``LSTM``, ``PeepholeLSTM``, ``CoupledLSTM``).  PyTorch adds two
    bias vectors, ``b_f = b_{if} + b_{hf}``; this sets the forget block's rows (the second
    quarter for gate order i, f, g, o) to ``b_{if} = value`` and ``b_{hf} = 0``, so the
    effective forget bias is exactly ``value`` in every unit.  A layer of another kind raises
    ``TypeError``; an :mod:`lstm_ref.torch` module without a forget gate, ``ValueError``.
    """
    torch = _torch()
    k = _forget_block(lstm)
    if not np.isfinite(value):
        raise ValueError(f"forget bias must be finite, got {value!r}")
    H = lstm.hidden_size
    with torch.no_grad():
        for layer in range(lstm.num_layers):
            getattr(lstm, f"bias_ih_l{layer}")[k * H:(k + 1) * H] = float(value)
            getattr(lstm, f"bias_hh_l{layer}")[k * H:(k + 1) * H] = 0.0
    return lstm


def spectral_radius(rnn):
    """The spectral radius ``rho(W_hh) = max |eigenvalue|`` of a one-layer ``torch.nn.RNN``.

    Computed by ``numpy.linalg.eigvals`` on the float32 weights, returned as a Python float.
    """
    torch = _torch()
    if not isinstance(rnn, torch.nn.RNN) or rnn.num_layers != 1:
        raise TypeError(f"spectral_radius needs a one-layer torch.nn.RNN, got {rnn!r}")
    return float(np.abs(np.linalg.eigvals(rnn.weight_hh_l0.detach().numpy())).max())


def build_model(kind, input_size, hidden_size, output_size, *, seed, forget_bias=None,
                init="default"):
    """A recurrent layer and a linear read-out, initialised from ``torch.manual_seed(seed)``.

    Parameters
    ----------
    kind : {"rnn", "lstm"} or callable
        ``torch.nn.RNN`` (tanh) or ``torch.nn.LSTM``, one layer, time-major; or a callable
        that makes the recurrent layer as ``kind(input_size, hidden_size)``, e.g. a module
        class of :mod:`lstm_ref.torch` (this is how :mod:`lstm_ref.compare` builds its cells).
    input_size, hidden_size, output_size : int
        ``D``, ``H`` and the number of outputs ``K`` of the read-out ``V`` (``K x H``).
    seed : int
        Seeds torch's generator before the layers are created (the recurrent layer first),
        so the initial weights are PyTorch's defaults, reproducibly.
    forget_bias : float or None
        For an LSTM (or a layer passed in that has a forget gate), set the forget-gate bias
        to this value (:func:`set_forget_bias`);
        ``None`` keeps PyTorch's default, uniform in ``±1/sqrt(H)`` for each of the two biases.
    init : {"default", "orthogonal"}
        ``"default"`` keeps PyTorch's initialisation.  ``"orthogonal"`` (RNN only) then sets
        ``W_hh`` to a random orthogonal matrix (``torch.nn.init.orthogonal_``, drawn after the
        read-out is made) and both biases to zero, so ``W_hh`` starts with spectral radius 1.

    Returns
    -------
    (core, head) : (torch.nn.RNN, torch.nn.LSTM or what ``kind`` made, torch.nn.Linear)
    """
    _check_kind(kind)
    input_size = _check_positive_int("input_size", input_size)
    hidden_size = _check_positive_int("hidden_size", hidden_size)
    output_size = _check_positive_int("output_size", output_size)
    if forget_bias is not None and kind == "rnn":
        raise ValueError(f"forget_bias applies to an LSTM only, got kind={kind!r}")
    if init not in INITS:
        raise ValueError(f"init must be one of {INITS}, got {init!r}")
    if init == "orthogonal" and kind != "rnn":
        raise ValueError(f"init='orthogonal' applies to an RNN only, got kind={kind!r}")
    torch = _torch()
    torch.manual_seed(seed)
    layer = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM}.get(kind, kind) \
        if isinstance(kind, str) else kind
    core = layer(input_size, hidden_size)
    head = torch.nn.Linear(hidden_size, output_size)
    if forget_bias is not None:
        set_forget_bias(core, forget_bias)
    if init == "orthogonal":
        with torch.no_grad():
            torch.nn.init.orthogonal_(core.weight_hh_l0)
            core.bias_ih_l0.zero_()
            core.bias_hh_l0.zero_()
    return core, head


def _as_input(x):
    torch = _torch()
    if isinstance(x, torch.Tensor):
        return x
    x = np.asarray(x)
    if x.ndim != 3:
        raise ValueError(f"inputs must have shape (T, B, D), got shape {x.shape}")
    return torch.tensor(x, dtype=torch.float32)


def predict(core, head, x):
    """Read-out of the last hidden state: ``V h_T + b_y`` for inputs ``x`` of shape ``(T, B, D)``.

    Returns a tensor of shape ``(B, K)``.
    """
    out, _ = core(_as_input(x))
    return head(out[-1])


def _last_target(y, loss):
    """The target of the last step as a tensor: class indices (B,) or reals (B, 1)."""
    torch = _torch()
    y = np.asarray(y)
    if y.ndim == 2:               # (T, B) with IGNORE_INDEX before the last step
        y = y[-1]
    if loss == "cross_entropy":
        return torch.tensor(y)
    return torch.tensor(y, dtype=torch.float32)[:, None]


def _loss(loss, out, target):
    torch = _torch()
    if loss == "cross_entropy":
        return torch.nn.functional.cross_entropy(out, target)
    return torch.nn.functional.mse_loss(out, target)


def evaluate(core, head, x, y, loss, *, tolerance=None):
    """Scores of a trained model on one batch, without gradients.

    For ``loss="cross_entropy"`` returns ``{"loss", "accuracy"}``; for ``loss="mse"`` returns
    ``{"mse"}`` and, if ``tolerance`` is given, ``"solved"``: the fraction of sequences whose
    absolute error is below ``tolerance``.  All values are Python floats.
    """
    if loss not in LOSSES:
        raise ValueError(f"loss must be one of {LOSSES}, got {loss!r}")
    torch = _torch()
    with torch.no_grad():
        out = predict(core, head, x)
        target = _last_target(y, loss)
        value = float(_loss(loss, out, target))
        if loss == "cross_entropy":
            return {"loss": value,
                    "accuracy": float((out.argmax(-1) == target).double().mean())}
        scores = {"mse": value}
        if tolerance is not None:
            scores["solved"] = float(((out - target).abs() < tolerance).double().mean())
        return scores


@dataclass
class TrainResult:
    """What :func:`fit` returns.

    Attributes
    ----------
    core, head : the trained torch modules.
    losses : list of float, the training loss of every update.
    evals : list of (int, dict), :func:`evaluate`'s scores after the given number of updates.
    diverged : bool, True if training stopped at a non-finite loss (``stop_if_nonfinite``).
    """
    core: object
    head: object
    losses: list = field(default_factory=list)
    evals: list = field(default_factory=list)
    diverged: bool = False


def _detached(state):
    """The state ``h`` or ``(h, c)`` cut off from the graph of the chunk that made it."""
    if isinstance(state, tuple):
        return tuple(s.detach() for s in state)
    return state.detach()


def _every_step_loss(logits, y):
    """Cross-entropy over the steps with a target: ``logits`` (T, B, K), ``y`` (T, B)."""
    torch = _torch()
    y = y if isinstance(y, torch.Tensor) else torch.tensor(np.asarray(y))
    return torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]),
                                             y.reshape(-1), ignore_index=IGNORE_INDEX)


def fit(kind, make_batch, input_size, output_size, *, seed, loss="cross_entropy", hidden=32,
        steps=300, lr=3e-3, clip=1.0, forget_bias=None, init="default", eval_data=None,
        eval_every=None, tolerance=None, readout="last", carry_state=False,
        stop_if_nonfinite=False):
    """Train a recurrent layer and read-out with Adam on batches ``make_batch(step)``.

    Each update: draw ``x, y = make_batch(step)`` (numpy, ``x`` of shape ``(T, B, D)``, ``y``
    either last-step targets ``(B,)`` or per-step targets ``(T, B)`` of which the last row
    is used), compute the loss of the read-out of ``h_T``, backpropagate through time, clip
    the global gradient norm to ``clip`` (``None``: no clipping), and take an Adam step of
    learning rate ``lr``.  If ``eval_data = (x, y)`` and ``eval_every`` are given, the model
    is scored on that batch every ``eval_every`` updates (and before the first, at step 0);
    ``tolerance`` is passed on to :func:`evaluate`.  ``seed``, ``forget_bias`` and ``init`` go
    to :func:`build_model`, ``hidden`` is its ``hidden_size``; ``kind`` is a name of
    :data:`CELL_KINDS` or a callable making the layer.  Returns a :class:`TrainResult`.

    Two options serve a continual stream, where ``make_batch(step)`` returns the next chunk:
    ``readout="every"`` reads out every step, ``s_t = V h_t + b_y``, and takes the
    cross-entropy over the steps whose target is not ``IGNORE_INDEX`` (``y`` of shape
    ``(T, B)``); ``carry_state=True`` starts each chunk from the final state of the one
    before (detached: truncated backpropagation through time) instead of from zero.  With
    ``stop_if_nonfinite=True`` training stops at the first non-finite loss, before its
    update (the loss is still recorded), and ``diverged`` is set.
    """
    if loss not in LOSSES:
        raise ValueError(f"loss must be one of {LOSSES}, got {loss!r}")
    if readout not in READOUTS:
        raise ValueError(f"readout must be one of {READOUTS}, got {readout!r}")
    if readout == "every" and loss != "cross_entropy":
        raise ValueError(f"readout='every' needs loss='cross_entropy', got {loss!r}")
    steps = _check_positive_int("steps", steps)
    torch = _torch()
    core, head = build_model(kind, input_size, hidden, output_size, seed=seed,
                             forget_bias=forget_bias, init=init)
    params = list(core.parameters()) + list(head.parameters())
    opt = torch.optim.Adam(params, lr=lr)
    result = TrainResult(core, head)

    def score(step):
        if eval_data is not None and eval_every:
            result.evals.append((step, evaluate(core, head, *eval_data, loss,
                                                tolerance=tolerance)))

    score(0)
    state = None
    for step in range(steps):
        x, y = make_batch(step)
        out, last = core(_as_input(x), state)
        if carry_state:
            state = _detached(last)
        if readout == "last":
            value = _loss(loss, head(out[-1]), _last_target(y, loss))
        else:
            value = _every_step_loss(head(out), y)
        result.losses.append(value.item())
        if stop_if_nonfinite and not math.isfinite(result.losses[-1]):
            result.diverged = True
            break
        opt.zero_grad()
        value.backward()
        if clip is not None:
            torch.nn.utils.clip_grad_norm_(params, clip)
        opt.step()
        if eval_every and (step + 1) % eval_every == 0:
            score(step + 1)
    return result


def gate_trace(lstm, x):
    """Gate activations and states of a one-layer ``torch.nn.LSTM`` over one sequence.

    Runs the step equations by hand on PyTorch's weights (float64),
    ``a_t = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh`` split into ``i, f, g, o`` blocks,
    ``c_t = f_t * c_{t-1} + i_t * g_t``, ``h_t = o_t * tanh(c_t)``, from ``h_0 = c_0 = 0``,
    and checks that the hidden states match the layer's own output.

    Parameters
    ----------
    lstm : torch.nn.LSTM with one layer.
    x : array of shape ``(T, D)``, one sequence.

    Returns
    -------
    dict of numpy arrays of shape ``(T, H)``: ``"i", "f", "g", "o", "c", "h"``.
    """
    torch = _torch()
    if not isinstance(lstm, torch.nn.LSTM) or lstm.num_layers != 1:
        raise TypeError("gate_trace needs a one-layer torch.nn.LSTM")
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2 or x.shape[1] != lstm.input_size:
        raise ValueError(f"x must have shape (T, {lstm.input_size}), got {x.shape}")
    W_ih, W_hh, b_ih, b_hh = (getattr(lstm, n).detach().double().numpy()
                              for n in ("weight_ih_l0", "weight_hh_l0",
                                        "bias_ih_l0", "bias_hh_l0"))
    H = lstm.hidden_size
    h, c = np.zeros(H), np.zeros(H)
    trace = {k: [] for k in "ifgoch"}
    for x_t in x:
        a = W_ih @ x_t + b_ih + W_hh @ h + b_hh
        i, f, o = (1.0 / (1.0 + np.exp(-a[k * H:(k + 1) * H])) for k in (0, 1, 3))
        g = np.tanh(a[2 * H:3 * H])
        c = f * c + i * g
        h = o * np.tanh(c)
        for k, v in zip("ifgoch", (i, f, g, o, c, h)):
            trace[k].append(v)
    trace = {k: np.array(v) for k, v in trace.items()}
    with torch.no_grad():
        out, _ = lstm(torch.tensor(x[:, None, :], dtype=torch.float32))
    if not np.allclose(trace["h"], out[:, 0].double().numpy(), atol=1e-5):
        raise RuntimeError("hand-computed hidden states disagree with torch.nn.LSTM")
    return trace


# ---------------------------------------------------------------- the book's experiments
def _add_noise(x, noise, seed):
    """``x`` with Gaussian noise of standard deviation ``noise`` added from the second step on.

    The first step (index 0 of the time axis, step 1 in the book) keeps its symbol; the noise
    is drawn from ``np.random.default_rng(seed)``.  ``noise == 0`` returns ``x`` unchanged.
    """
    if not noise:
        return x
    x = x.copy()
    x[1:] += noise * np.random.default_rng(seed).normal(size=x[1:].shape)
    return x


def first_symbol_run(kind, lag, seed, *, hidden=32, steps=300, batch=32, lr=3e-3, clip=1.0,
                     n_test=1000, forget_bias=None, init="default", noise=0.0):
    """One training run on :func:`~lstm_ref.tasks.first_symbol` with Part I's protocol.

    Two classes, four distractors; ``steps`` Adam updates on fresh batches of ``batch``
    sequences (batch ``step`` drawn with seed ``(seed, lag, step)``), gradients clipped to
    norm ``clip``; then the accuracy on ``n_test`` held-out sequences (seed
    ``(10**6, seed, lag)``).  ``init`` goes to :func:`build_model`.  ``noise > 0`` adds
    Gaussian noise of that standard deviation to every distractor input (all steps after the
    first: time indices ``1 .. lag``, steps 2 .. T in the book), in training (seed
    ``(seed, lag, step, 1)``) and test (seed ``(10**6, seed, lag, 1)``) alike.  Returns the
    :class:`TrainResult` with one evaluation, at the end; for an RNN,
    ``spectral_radius(result.core)`` is ``rho(W_hh)`` after training.
    """
    lag = _check_positive_int("lag", lag)
    if isinstance(noise, bool) or not isinstance(noise, numbers.Real) or not (
            np.isfinite(noise) and noise >= 0):
        raise ValueError(f"noise must be a finite number >= 0, got {noise!r}")
    x_test, y_test = first_symbol(n_test, lag, seed=(10**6, seed, lag))
    x_test = _add_noise(x_test, noise, (10**6, seed, lag, 1))

    def make_batch(step):
        x, y = first_symbol(batch, lag, seed=(seed, lag, step))
        return _add_noise(x, noise, (seed, lag, step, 1)), y

    result = fit(kind, make_batch, 6, 2, seed=seed, hidden=hidden, steps=steps, lr=lr,
                 clip=clip, forget_bias=forget_bias, init=init)
    result.evals.append((steps, evaluate(result.core, result.head, x_test, y_test,
                                         "cross_entropy")))
    return result


def adding_run(kind, T, seed, *, variant="modern", hidden=32, steps=2000, batch=64, lr=3e-3,
               clip=1.0, n_test=1000, eval_every=100, forget_bias=None):
    """One training run on :func:`~lstm_ref.tasks.adding_problem` (mean squared error).

    Batch ``step`` is drawn with seed ``(seed, T, step)``; the model is scored every
    ``eval_every`` updates on ``n_test`` held-out sequences (seed ``(10**6, seed, T)``),
    including the fraction solved to within 0.04.
    """
    T = _check_positive_int("T", T, 2)
    test = adding_problem(n_test, T, variant=variant, seed=(10**6, seed, T))
    return fit(kind, lambda step: adding_problem(batch, T, variant=variant,
                                                 seed=(seed, T, step)),
               2, 1, seed=seed, loss="mse", hidden=hidden, steps=steps, lr=lr, clip=clip,
               forget_bias=forget_bias, eval_data=test, eval_every=eval_every,
               tolerance=0.04)


def cue_recall_run(kind, T, seed, *, n_keys=4, hidden=32, steps=600, batch=32, lr=3e-3,
                   clip=1.0, n_test=1000, eval_every=None, forget_bias=None):
    """One training run on :func:`~lstm_ref.tasks.cue_recall` with default task settings.

    Batch ``step`` is drawn with seed ``(seed, T, step)``; the accuracy on ``n_test``
    held-out sequences (seed ``(10**6, seed, T)``) is scored every ``eval_every`` updates
    (if given) and always at the end.
    """
    T = _check_positive_int("T", T, 2)
    test = cue_recall(n_test, T, n_keys, seed=(10**6, seed, T))
    D = test[0].shape[2]
    result = fit(kind, lambda step: cue_recall(batch, T, n_keys, seed=(seed, T, step)),
                 D, n_keys, seed=seed, hidden=hidden, steps=steps, lr=lr, clip=clip,
                 forget_bias=forget_bias, eval_data=test, eval_every=eval_every)
    if not result.evals or result.evals[-1][0] != steps:
        result.evals.append((steps, evaluate(result.core, result.head, *test,
                                             "cross_entropy")))
    return result
