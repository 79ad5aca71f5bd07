"""Output layer, loss, model, optimizers and clipping against torch / finite differences."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

import lstm_ref


@pytest.mark.parametrize("shape", [(4, 3, 5), (3, 5), (1, 1, 2)])
def test_softmax_cross_entropy_matches_torch(shape):
    rng = np.random.default_rng(0)
    logits = rng.normal(size=shape) * 3
    targets = rng.integers(0, shape[-1], size=shape[:-1])
    targets.reshape(-1)[0] = -100
    B = shape[-2]
    loss, d = lstm_ref.softmax_cross_entropy(logits, targets)
    lt = torch.tensor(logits, requires_grad=True)
    tl = F.cross_entropy(lt.reshape(-1, shape[-1]), torch.tensor(targets).reshape(-1),
                         ignore_index=-100, reduction="sum") / B
    tl.backward()
    assert abs(loss - tl.item()) < 1e-12
    np.testing.assert_allclose(d, lt.grad.numpy(), atol=1e-14)
    assert np.all(d.reshape(-1, shape[-1])[0] == 0)


def test_only_last_step_scored_with_ignore_index():
    rng = np.random.default_rng(1)
    logits = rng.normal(size=(5, 2, 3))
    y = np.full((5, 2), -100)
    y[-1] = [0, 2]
    loss, d = lstm_ref.softmax_cross_entropy(logits, y)
    loss_last, d_last = lstm_ref.softmax_cross_entropy(logits[-1], y[-1])
    assert loss == pytest.approx(loss_last, abs=1e-14)
    np.testing.assert_array_equal(d[:-1], 0)
    np.testing.assert_allclose(d[-1], d_last)


def test_softmax_helpers_against_torch():
    z = np.random.default_rng(2).normal(size=(3, 4)) * 10
    np.testing.assert_allclose(lstm_ref.softmax(z), torch.softmax(torch.tensor(z), -1).numpy(), atol=1e-15)
    np.testing.assert_allclose(lstm_ref.log_softmax(z, axis=0),
                               torch.log_softmax(torch.tensor(z), 0).numpy(), atol=1e-13)
    np.testing.assert_allclose(lstm_ref.sigmoid(z), torch.sigmoid(torch.tensor(z)).numpy(), atol=1e-15)


def test_linear_matches_torch():
    torch.manual_seed(0)
    lin = torch.nn.Linear(4, 3).double()
    ours = lstm_ref.Linear.from_state_dict(lin.state_dict())
    h = np.random.default_rng(0).normal(size=(5, 2, 4))
    dy = np.random.default_rng(1).normal(size=(5, 2, 3))
    y, cache = ours.forward(h)
    grads, dh = ours.backward(cache, dy)
    ht = torch.tensor(h, requires_grad=True)
    yt = lin(ht)
    (yt * torch.tensor(dy)).sum().backward()
    np.testing.assert_allclose(y, yt.detach().numpy(), atol=1e-14)
    np.testing.assert_allclose(dh, ht.grad.numpy(), atol=1e-14)
    np.testing.assert_allclose(grads["weight"], lin.weight.grad.numpy(), atol=1e-13)
    np.testing.assert_allclose(grads["bias"], lin.bias.grad.numpy(), atol=1e-13)
    fresh = lstm_ref.Linear(64, 10, seed=0)
    assert fresh.weight.shape == (10, 64) and np.abs(fresh.weight).max() <= 1 / 8


@pytest.mark.parametrize("cell", [lstm_ref.LSTM(3, 4, seed=0), lstm_ref.GRU(3, 4, seed=0),
                                  lstm_ref.Stack([lstm_ref.RNN(3, 5, seed=1),
                                                  lstm_ref.CoupledLSTM(5, 4, seed=2)])])
def test_sequence_model_gradients_match_finite_differences(cell):
    model = lstm_ref.SequenceModel(cell, lstm_ref.Linear(4, 3, seed=5))
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(4, 2, 3)), rng.integers(0, 3, size=(4, 2))
    y[0, 1] = -100
    loss, grads = model.loss_and_grads(x, y)
    assert list(grads) == list(model.params())
    assert all(k.startswith(("cell.", "head.")) for k in grads)
    res = lstm_ref.gradcheck_function(lambda: model.loss_and_grads(x, y)[0], model.params(), grads)
    assert res.ok(1e-6), str(res)
    logits, _ = model.forward(x)
    assert logits.shape == (4, 2, 3)
    np.testing.assert_array_equal(model.predict(x), logits.argmax(-1))


def test_five_line_training_loop_learns():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(6, 16, 2))
    y = np.full((6, 16), -100)
    y[-1] = (x[:, :, 0].sum(0) > 0).astype(int)       # sign of a running sum
    model = lstm_ref.SequenceModel(lstm_ref.LSTM(2, 8, seed=0), lstm_ref.Linear(8, 2, seed=1))
    opt = lstm_ref.Adam(model.params(), lr=5e-2)
    first = model.loss_and_grads(x, y)[0]
    for _ in range(60):
        loss, g = model.loss_and_grads(x, y)
        lstm_ref.clip_grad_norm(g, 1.0)
        opt.step(g)
    assert loss < 0.3 * first


def _torch_params(params):
    return {k: torch.tensor(v.copy(), requires_grad=True) for k, v in params.items()}


@pytest.mark.parametrize("make", [
    lambda p: (lstm_ref.SGD(p, lr=0.1), lambda t: torch.optim.SGD(t, lr=0.1)),
    lambda p: (lstm_ref.SGD(p, lr=0.1, momentum=0.9),
               lambda t: torch.optim.SGD(t, lr=0.1, momentum=0.9)),
    lambda p: (lstm_ref.Adam(p, lr=1e-2), lambda t: torch.optim.Adam(t, lr=1e-2)),
    lambda p: (lstm_ref.Adam(p, lr=3e-3, betas=(0.8, 0.99), eps=1e-6),
               lambda t: torch.optim.Adam(t, lr=3e-3, betas=(0.8, 0.99), eps=1e-6)),
])
def test_optimizers_match_torch(make):
    rng = np.random.default_rng(0)
    params = {"a": rng.normal(size=(3, 4)), "b": rng.normal(size=5)}
    tparams = _torch_params(params)
    ours, theirs_factory = make(params)
    theirs = theirs_factory(list(tparams.values()))
    live = params["a"]
    for step in range(5):
        grads = {k: rng.normal(size=v.shape) for k, v in params.items()}
        ours.step(grads)
        for k, t in tparams.items():
            t.grad = torch.tensor(grads[k])
        theirs.step()
    assert params["a"] is live
    for k in params:
        np.testing.assert_allclose(params[k], tparams[k].detach().numpy(), rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("max_norm", [0.5, 1e3])
def test_clip_grad_norm_matches_torch(max_norm):
    rng = np.random.default_rng(0)
    grads = {"a": rng.normal(size=(3, 4)), "b": rng.normal(size=5)}
    ts = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in grads.values()]
    for t, g in zip(ts, grads.values()):
        t.grad = torch.tensor(g.copy())
    tnorm = torch.nn.utils.clip_grad_norm_(ts, max_norm)
    norm = lstm_ref.clip_grad_norm(grads, max_norm)
    assert norm == pytest.approx(tnorm.item(), rel=1e-14)
    for t, g in zip(ts, grads.values()):
        np.testing.assert_allclose(g, t.grad.numpy(), rtol=1e-14)
    assert lstm_ref.global_norm(grads) <= max_norm + 1e-9
