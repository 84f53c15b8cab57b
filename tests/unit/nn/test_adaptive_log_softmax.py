"""``nn.AdaptiveLogSoftmaxWithLoss`` on every device: the same output, loss and gradients as
on the cpu, and log_prob is a distribution whose entries at the targets are the output."""

from __future__ import annotations

import numpy as np

import nanotorch as nt
from nanotorch import nn


def _run(device):
    nt.manual_seed(0)
    m = nn.AdaptiveLogSoftmaxWithLoss(6, 9, cutoffs=[3, 6], head_bias=True).double()
    m.to(device)
    x = nt.tensor(np.linspace(-1, 1, 24).reshape(4, 6), device=device, requires_grad=True)
    target = nt.tensor([0, 4, 8, 2], device=device)
    out, loss = m(x, target)
    loss.backward()
    full = m.log_prob(x.detach())
    return out, loss, x.grad, m.tail[1][0].weight.grad, full, target


def test_adaptive_log_softmax_agrees_across_devices(device):
    ours = _run(device)
    ref = _run("cpu")
    for a, b in zip(ours[:5], ref[:5]):
        assert str(a.device) == str(device)
        np.testing.assert_allclose(a.detach().cpu().numpy(), b.detach().numpy(), 1e-12, 1e-12)
    out, full, target = (t.detach().cpu().numpy() for t in (ours[0], ours[4], ours[5]))
    np.testing.assert_allclose(np.exp(full).sum(1), 1.0, rtol=1e-12)
    np.testing.assert_allclose(full[np.arange(4), target], out, rtol=1e-12)
