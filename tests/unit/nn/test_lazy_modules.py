"""Lazy modules on every device (Note [Lazy modules] in nn/lazy.py): placeholders made on a
device or moved there before the first forward materialise there; a state_dict materialises
them; uses of a placeholder raise as PyTorch's do."""

from __future__ import annotations

import numpy as np
import pytest

import nanotorch as nt
from nanotorch import nn


def test_lazy_linear_materialises_on_its_device(device):
    m = nn.LazyLinear(3, device=device, dtype=nt.float64)
    out = m(nt.ones(2, 4, device=device, dtype=nt.float64))
    assert type(m) is nn.Linear
    assert str(m.weight.device) == str(device) and m.weight.dtype is nt.float64
    assert m.weight.shape == (3, 4) and out.shape == (2, 3)
    expected = m.weight.sum(1) + m.bias
    np.testing.assert_allclose(
        out.detach().cpu().numpy()[0], expected.detach().cpu().numpy(), 1e-12
    )


def test_lazy_modules_moved_before_forward_materialise_where_moved(device):
    seq = nn.Sequential(nn.LazyConv2d(4, 3), nn.LazyBatchNorm2d(), nn.Flatten(), nn.LazyLinear(2))
    seq.to(device).double()
    out = seq(nt.zeros(2, 3, 5, 5, device=device, dtype=nt.float64))
    assert out.shape == (2, 2)
    assert [type(m).__name__ for m in seq] == ["Conv2d", "BatchNorm2d", "Flatten", "Linear"]
    for name, t in seq.state_dict().items():
        assert str(t.device) == str(device), name
        if t.dtype.is_floating_point:
            assert t.dtype is nt.float64, name
    assert seq[3].weight.shape == (2, 4 * 3 * 3)
    assert seq[1].running_mean.shape == (4,) and int(seq[1].num_batches_tracked.item()) == 1


def test_lazy_module_loads_a_state_dict_from_another_module(device):
    eager = nn.Linear(5, 2)
    lazy = nn.LazyLinear(2, device=device)
    lazy.load_state_dict(eager.state_dict())
    assert type(lazy) is nn.LazyLinear and not lazy.has_uninitialized_params()
    x = nt.ones(1, 5)
    np.testing.assert_allclose(
        lazy(x.to(device)).detach().cpu().numpy(), eager(x).detach().numpy(), 1e-6
    )
    assert type(lazy) is nn.Linear and lazy.in_features == 5


def test_lazy_placeholder_uses_raise():
    m = nn.LazyLinear(3)
    with pytest.raises(RuntimeError, match="uninitialized parameter or buffer"):
        m.weight.size()
    with pytest.raises(ValueError, match="uninitialized parameter in __add__"):
        m.weight + 1  # noqa: B018
    with pytest.raises(ValueError, match="uninitialized parameter in Tensor.sum"):
        m.weight.sum()
    with pytest.raises(RuntimeError, match="uninitialized parameter or buffer"):
        nn.functional.linear(nt.zeros(2, 4), m.weight)
    assert m.weight.dtype is nt.float32 and m.weight.requires_grad
    assert repr(m.state_dict()["weight"]) == "<UninitializedParameter>"


def test_lazy_uninitialized_buffer_materialises_as_a_plain_tensor(device):
    b = nn.UninitializedBuffer(device=device, dtype=nt.float64)
    b.materialize((2, 3))
    assert type(b) is nt.Tensor and b.shape == (2, 3) and str(b.device) == str(device)
    assert b.dtype is nt.float64 and not b.requires_grad
