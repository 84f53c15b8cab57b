"""``nn.Linear``, ``F.linear``, ``Identity``, ``Flatten`` and ``Unflatten``."""

from __future__ import annotations

import math

import numpy as np
import pytest

import nanotorch as nt
import nanotorch.nn.functional as F
from nanotorch import nn
from nanotorch.testing import assert_close


def test_linear_parameters_follow_pytorch_layout(device):
    lin = nn.Linear(3, 5, device=device)
    assert lin.weight.shape == (5, 3) and lin.bias.shape == (5,)
    assert isinstance(lin.weight, nn.Parameter)
    assert str(lin.weight.device) == str(device) and lin.weight.dtype is nt.float32
    assert repr(lin) == "Linear(in_features=3, out_features=5, bias=True)"


def test_linear_default_init_is_uniform_within_one_over_sqrt_fan_in():
    # kaiming_uniform_(a=sqrt(5)) gives bound sqrt(6 / ((1 + 5) fan_in)) = 1 / sqrt(fan_in).
    lin = nn.Linear(64, 256)
    bound = 1 / math.sqrt(64)
    w = lin.weight.detach().numpy()
    b = lin.bias.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.98 * bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.02 * bound
    assert np.abs(b).max() <= bound and np.abs(b).max() > 0.9 * bound


def test_linear_init_is_reproducible_and_seeded():
    nt.manual_seed(3)
    a = nn.Linear(4, 4)
    nt.manual_seed(3)
    b = nn.Linear(4, 4)
    nt.manual_seed(4)
    c = nn.Linear(4, 4)
    assert_close(a.weight, b.weight, rtol=0, atol=0)
    assert not np.allclose(a.weight.detach().numpy(), c.weight.detach().numpy())


def test_linear_without_bias():
    lin = nn.Linear(3, 2, bias=False)
    assert lin.bias is None
    assert list(lin.state_dict()) == ["weight"]
    assert repr(lin) == "Linear(in_features=3, out_features=2, bias=False)"
    x = nt.randn(4, 3)
    assert_close(lin(x), x @ lin.weight.T)


def test_linear_forward_and_gradients_match_numpy(device):
    lin = nn.Linear(3, 2, device=device, dtype=nt.float64)
    x_np = np.random.default_rng(0).standard_normal((2, 4, 3))
    x = nt.tensor(x_np, device=device, requires_grad=True)
    out = lin(x)
    w, b = lin.weight.detach().cpu().numpy(), lin.bias.detach().cpu().numpy()
    assert out.shape == (2, 4, 2)
    assert_close(out, x_np @ w.T + b)
    g = np.random.default_rng(1).standard_normal((2, 4, 2))
    out.backward(nt.tensor(g, device=device))
    assert_close(x.grad, g @ w)
    assert_close(lin.weight.grad, g.reshape(-1, 2).T @ x_np.reshape(-1, 3))
    assert_close(lin.bias.grad, g.reshape(-1, 2).sum(0))


def test_linear_functional_on_one_sample(device):
    w = nt.randn(2, 3, device=device)
    x = nt.randn(3, device=device)
    assert F.linear(x, w).shape == (2,)
    assert_close(F.linear(x, w), w @ x)


def test_linear_bad_shapes_and_dtypes_are_named(device):
    lin = nn.Linear(3, 2, device=device)
    with pytest.raises(
        nt.ShapeError,
        match=r"linear: input of shape \(4, 5\).*weight of shape \(2, 3\).*in_features=3",
    ):
        lin(nt.randn(4, 5, device=device))
    with pytest.raises(nt.ShapeError, match=r"linear: bias of shape \(3,\).*\(2,\)"):
        F.linear(nt.randn(4, 3, device=device), lin.weight, nt.zeros(3, device=device))
    with pytest.raises(TypeError, match=r"linear: input is float64 but weight is float32.*\.to\("):
        lin(nt.randn(4, 3, dtype=nt.float64, device=device))
    with pytest.raises(nt.ShapeError, match="linear: weight must be 2-D"):
        F.linear(nt.randn(3, device=device), nt.randn(3, device=device))


def test_identity_flatten_unflatten(device):
    x = nt.randn(2, 3, 4, 5, device=device)
    assert nn.Identity(54, unused="ok")(x) is x
    assert nn.Flatten()(x).shape == (2, 60)
    assert nn.Flatten(0, 2)(x).shape == (24, 5)
    assert repr(nn.Flatten()) == "Flatten(start_dim=1, end_dim=-1)"
    u = nn.Unflatten(1, (3, 1))
    assert u(nt.randn(2, 3, device=device)).shape == (2, 3, 1)
    assert repr(u) == "Unflatten(dim=1, unflattened_size=(3, 1))"
    assert_close(nn.Flatten()(x).reshape(2, 3, 4, 5), x)
