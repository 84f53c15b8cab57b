"""fuse_conv_bn_eval / fuse_linear_bn_eval on every device: the fused layer lives on the
device of the pair it replaces and gives their output."""

from __future__ import annotations

import numpy as np

import nanotorch as nt
from nanotorch import nn


def _host(t):
    return t.detach()._to_host_uncounted()


def test_fused_layers_match_the_pair_on_every_device(device):
    nt.manual_seed(0)
    conv, bn = nn.Conv2d(2, 3, 3), nn.BatchNorm2d(3)
    lin, bn1 = nn.Linear(3, 4), nn.BatchNorm1d(4)
    for m in (bn, bn1):
        m.running_mean.copy_(nt.linspace(-1.0, 1.0, m.num_features))
        m.running_var.copy_(nt.linspace(0.5, 2.0, m.num_features))
    for m in (conv, bn, lin, bn1):
        m.to(nt.float64).to(device).eval()
    x = nt.randn(2, 2, 5, 5, dtype=nt.float64).to(device)
    fused = nn.utils.fuse_conv_bn_eval(conv, bn)
    assert fused.weight.device == device
    np.testing.assert_allclose(_host(fused(x)), _host(bn(conv(x))), rtol=1e-12, atol=1e-12)
    y = nt.randn(5, 3, dtype=nt.float64).to(device)
    fused = nn.utils.fuse_linear_bn_eval(lin, bn1)
    np.testing.assert_allclose(_host(fused(y)), _host(bn1(lin(y))), rtol=1e-12, atol=1e-12)
