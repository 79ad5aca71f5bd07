"""Property-based tests (hypothesis) over shapes, seeds and cells."""
import numpy as np
import torch
from hypothesis import given, settings, strategies as st

import lstm_ref

CELL_KWARGS = [(lstm_ref.RNN, {}), (lstm_ref.RNN, {"nonlinearity": "relu"}), (lstm_ref.LSTM, {}),
               (lstm_ref.PeepholeLSTM, {}), (lstm_ref.CoupledLSTM, {}),
               (lstm_ref.NoForgetLSTM, {}), (lstm_ref.GRU, {}),
               (lstm_ref.GRU, {"reset_after": False})]
sizes = st.integers(1, 4)
FAST = settings(max_examples=25, deadline=None)


@FAST
@given(which=st.sampled_from(CELL_KWARGS), T=sizes, B=sizes, D=sizes, H=sizes,
       seed=st.integers(0, 2**31 - 1))
def test_backward_matches_finite_differences(which, T, B, D, H, seed):
    cls, kw = which
    res = lstm_ref.gradcheck(cls(D, H, seed=seed, **kw), T=T, B=B, seed=seed)
    assert res.ok(1e-6), str(res)


@FAST
@given(kind=st.sampled_from(["LSTM", "GRU", "RNN"]), T=st.integers(1, 12), B=sizes, D=sizes,
       H=sizes, seed=st.integers(0, 2**31 - 1))
def test_forward_and_backward_match_torch(kind, T, B, D, H, seed):
    torch.manual_seed(seed)
    module = getattr(torch.nn, kind)(D, H).double()
    cell = lstm_ref.from_torch(module)
    rng = np.random.default_rng(seed)
    x, dy = rng.normal(size=(T, B, D)), rng.normal(size=(T, B, H))
    y, _, cache = lstm_ref.forward(cell, x)
    grads, dx, _ = lstm_ref.backward(cell, cache, dy)
    xt = torch.tensor(x, requires_grad=True)
    yt, _ = module(xt)
    (yt * torch.tensor(dy)).sum().backward()
    np.testing.assert_allclose(y, yt.detach().numpy(), atol=1e-10)
    np.testing.assert_allclose(dx, xt.grad.numpy(), atol=1e-10)
    for name, p in module.named_parameters():
        np.testing.assert_allclose(grads[name[:-3]], p.grad.numpy(), atol=1e-10)


@FAST
@given(which=st.sampled_from(CELL_KWARGS), T=st.integers(2, 6), B=sizes, seed=st.integers(0, 999))
def test_running_in_two_chunks_equals_one_run(which, T, B, seed):
    cls, kw = which
    cell = cls(2, 3, seed=seed, **kw)
    x = np.random.default_rng(seed).normal(size=(T, B, 2))
    y, final, _ = lstm_ref.forward(cell, x)
    y1, mid, _ = lstm_ref.forward(cell, x[:1])
    y2, final2, _ = lstm_ref.forward(cell, x[1:], mid)
    np.testing.assert_allclose(np.concatenate([y1, y2]), y, atol=1e-14)
    for a, b in zip(np.atleast_1d(final), np.atleast_1d(final2)):
        np.testing.assert_allclose(a, b, atol=1e-14)


@FAST
@given(T=sizes, B=sizes, K=st.integers(2, 5), seed=st.integers(0, 999))
def test_cross_entropy_gradient_sums_to_zero_and_is_bounded(T, B, K, seed):
    rng = np.random.default_rng(seed)
    logits = rng.normal(size=(T, B, K)) * 5
    targets = rng.integers(-1, K, size=(T, B))
    targets[targets < 0] = -100
    loss, d = lstm_ref.softmax_cross_entropy(logits, targets)
    assert loss >= 0
    np.testing.assert_allclose(d.sum(-1), 0, atol=1e-14)
    assert np.all(np.abs(d) <= 1.0 / B + 1e-15)
