"""Every lstm_ref cell written again with torch operations, differentiated by
torch autograd: the independent oracle of the precision tests (torch has no
peephole, coupled or forget-gate-free LSTM module, and the GRU with the reset
before the product exists only here)."""
import numpy as np
import torch


def _chunks(a, n):
    return torch.chunk(a, n, dim=-1)


def torch_step(cell, P, x, state):
    """One step of ``cell``'s equations on torch tensors; returns the new state tuple."""
    kind = type(cell).__name__
    h = state[0]
    gi = x @ P["weight_ih"].T + P["bias_ih"]
    gh = h @ P["weight_hh"].T + P["bias_hh"]
    if kind == "RNN":
        a = gi + gh
        return (torch.tanh(a) if cell.nonlinearity == "tanh" else torch.relu(a),)
    if kind == "GRU":
        ir, iz, in_ = _chunks(gi, 3)
        hr, hz, hn = _chunks(gh, 3)
        r, z = torch.sigmoid(ir + hr), torch.sigmoid(iz + hz)
        if cell.reset_after:
            n = torch.tanh(in_ + r * hn)
        else:
            H = cell.hidden_size
            n = torch.tanh(in_ + (r * h) @ P["weight_hh"][2 * H:].T + P["bias_hh"][2 * H:])
        return ((1 - z) * n + z * h,)
    c = state[1]
    a = gi + gh
    if kind in ("LSTM", "PeepholeLSTM"):
        ai, af, ag, ao = _chunks(a, 4)
        if kind == "PeepholeLSTM":
            ai, af = ai + P["weight_ci"] * c, af + P["weight_cf"] * c
        i, f, g = torch.sigmoid(ai), torch.sigmoid(af), torch.tanh(ag)
        c = f * c + i * g
        if kind == "PeepholeLSTM":
            ao = ao + P["weight_co"] * c
    elif kind == "CoupledLSTM":
        af, ag, ao = _chunks(a, 3)
        f, g = torch.sigmoid(af), torch.tanh(ag)
        c = f * c + (1 - f) * g
    elif kind == "NoForgetLSTM":
        ai, ag, ao = _chunks(a, 3)
        c = c + torch.sigmoid(ai) * torch.tanh(ag)
    else:
        raise ValueError(kind)
    return (torch.sigmoid(ao) * torch.tanh(c), c)


def torch_forward_backward(cell, x, state, dy, d_final):
    """Outputs, final state and every gradient of ``sum(y*dy) + sum(final*d_final)``.

    ``state`` and ``d_final`` are tuples ``(h,)`` or ``(h, c)``. Returns
    ``(y, final, grads, dx, d_state0)`` as numpy arrays.
    """
    P = {n: torch.tensor(a, requires_grad=True) for n, a in cell.params().items()}
    xt = torch.tensor(x, requires_grad=True)
    st = [torch.tensor(s, requires_grad=True) for s in state]
    s, ys = tuple(st), []
    for t in range(x.shape[0]):
        s = torch_step(cell, P, xt[t], s)
        ys.append(s[0])
    y = torch.stack(ys)
    loss = (y * torch.tensor(dy)).sum() + sum((a * torch.tensor(d)).sum()
                                             for a, d in zip(s, d_final))
    loss.backward()
    return (y.detach().numpy(), [a.detach().numpy() for a in s],
            {n: p.grad.numpy() for n, p in P.items()}, xt.grad.numpy(),
            [a.grad.numpy() for a in st])


def block_errors(cell, ours, theirs):
    """Relative error per gate block of every stacked parameter, per array otherwise.

    Returns a dict ``"weight_ih[f]" -> max|ours - theirs| / max|theirs|`` over
    the block (0 when both are exactly 0, inf when only theirs is).
    """
    H, out = cell.hidden_size, {}
    for name, b in theirs.items():
        a = ours[name]
        if name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            for k, gate in enumerate(cell.gates):
                out[f"{name}[{gate}]"] = _rel(a[k * H:(k + 1) * H], b[k * H:(k + 1) * H])
        else:
            out[name] = _rel(a, b)
    return out


def _rel(a, b):
    scale = float(np.max(np.abs(b), initial=0.0))
    diff = float(np.max(np.abs(np.asarray(a) - b), initial=0.0))
    if scale == 0.0:
        return 0.0 if diff == 0.0 else float("inf")
    return diff / scale
