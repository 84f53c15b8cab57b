"""``nn.init``: in place, under no_grad, reproducible with ``generator=``, PyTorch's scales."""

from __future__ import annotations

import math

import numpy as np
import pytest

import nanotorch as nt
from nanotorch import nn
from nanotorch.nn import init


def _host(t):
    return t.detach()._to_host_uncounted()


def test_calculate_gain_table():
    assert init.calculate_gain("linear") == 1.0
    assert init.calculate_gain("conv2d") == 1.0
    assert init.calculate_gain("sigmoid") == 1.0
    assert init.calculate_gain("tanh") == pytest.approx(5 / 3)
    assert init.calculate_gain("relu") == pytest.approx(math.sqrt(2))
    assert init.calculate_gain("leaky_relu") == pytest.approx(math.sqrt(2 / (1 + 0.01**2)))
    assert init.calculate_gain("leaky_relu", 0.2) == pytest.approx(math.sqrt(2 / 1.04))
    assert init.calculate_gain("leaky_relu", math.sqrt(5)) == pytest.approx(math.sqrt(1 / 3))
    assert init.calculate_gain("selu") == 0.75
    with pytest.raises(ValueError, match="unsupported nonlinearity 'swish'"):
        init.calculate_gain("swish")


def test_fan_in_and_fan_out_follow_the_weight_layout():
    assert init._calculate_fan_in_and_fan_out(nt.empty(5, 3)) == (3, 5)
    assert init._calculate_fan_in_and_fan_out(nt.empty(8, 4, 3, 3)) == (36, 72)
    with pytest.raises(ValueError, match=r"fewer than 2 dimensions \(got shape \(4,\)\)"):
        init._calculate_fan_in_and_fan_out(nt.empty(4))


def test_init_works_in_place_on_parameters_under_grad_mode(device):
    p = nn.Parameter(nt.zeros(3, 4, device=device))
    assert init.uniform_(p, -1, 1) is p
    assert p.requires_grad and p.is_leaf and str(p.device) == str(device)
    assert np.all(_host(p) != 0)
    assert init.ones_(p) is p and np.all(_host(p) == 1)
    assert init.zeros_(p) is p and np.all(_host(p) == 0)
    assert init.constant_(p, 0.25) is p and np.all(_host(p) == 0.25)


def test_init_generator_makes_draws_repeat(device):
    for fn in (
        init.uniform_,
        init.normal_,
        init.xavier_uniform_,
        init.xavier_normal_,
        init.kaiming_uniform_,
        init.kaiming_normal_,
    ):
        a = fn(nt.empty(6, 5, device=device), generator=nt.Generator(device).manual_seed(11))
        b = fn(nt.empty(6, 5, device=device), generator=nt.Generator(device).manual_seed(11))
        c = fn(nt.empty(6, 5, device=device), generator=nt.Generator(device).manual_seed(12))
        assert np.array_equal(_host(a), _host(b)), fn.__name__
        assert not np.array_equal(_host(b), _host(c)), fn.__name__


# 256 x 128 = 32768 samples: the sample std is within about 1% of the true one.
SHAPE = (256, 128)
FAN_IN, FAN_OUT = 128, 256


def test_uniform_and_normal_moments():
    u = _host(init.uniform_(nt.empty(*SHAPE), -2.0, 3.0))
    assert u.min() >= -2.0 and u.max() < 3.0 and abs(u.mean() - 0.5) < 0.05
    n = _host(init.normal_(nt.empty(*SHAPE), 1.0, 0.5))
    assert abs(n.mean() - 1.0) < 0.01 and abs(n.std() - 0.5) < 0.01


def test_xavier_init_scale_follows_fan_in_and_fan_out():
    a = math.sqrt(6 / (FAN_IN + FAN_OUT))
    w = _host(init.xavier_uniform_(nt.empty(*SHAPE), gain=2.0))
    assert np.abs(w).max() <= 2 * a and np.abs(w).max() > 0.99 * 2 * a
    std = math.sqrt(2 / (FAN_IN + FAN_OUT))
    w = _host(init.xavier_normal_(nt.empty(*SHAPE)))
    assert abs(w.std() / std - 1) < 0.03


def test_kaiming_scales_and_modes():
    gain = math.sqrt(2)
    w = _host(init.kaiming_uniform_(nt.empty(*SHAPE), nonlinearity="relu"))
    bound = gain * math.sqrt(3 / FAN_IN)
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.99 * bound
    w = _host(init.kaiming_uniform_(nt.empty(*SHAPE), mode="fan_out", nonlinearity="relu"))
    assert np.abs(w).max() <= gain * math.sqrt(3 / FAN_OUT)
    w = _host(init.kaiming_normal_(nt.empty(*SHAPE), nonlinearity="relu"))
    assert abs(w.std() / (gain / math.sqrt(FAN_IN)) - 1) < 0.03
    w = _host(init.kaiming_normal_(nt.empty(*SHAPE), mode="fan_out"))  # leaky_relu, a=0
    assert abs(w.std() / (gain / math.sqrt(FAN_OUT)) - 1) < 0.03
    with pytest.raises(ValueError, match="mode must be 'fan_in' or 'fan_out', got 'fan'"):
        init.kaiming_uniform_(nt.empty(2, 2), mode="fan")


def test_init_refuses_integer_tensors_and_skips_empty_ones():
    with pytest.raises(TypeError, match=r"nn.init.normal_: needs a floating tensor.*int64"):
        init.normal_(nt.zeros(3, dtype=nt.int64))
    empty = nt.empty(0, 3)
    assert init.kaiming_uniform_(empty) is empty and init.xavier_normal_(empty) is empty


@pytest.mark.parametrize("shape", [(4, 6), (6, 2, 2)], ids=str)
def test_orthogonal_and_sparse_on_every_device(device, shape):
    """Both run on the device of the tensor, in place on a Parameter, and repeat with a
    seeded generator: orthogonal_ gives orthonormal rows or columns times the gain, sparse_
    the same zero pattern as on the cpu for the same seed."""
    w = nn.Parameter(nt.empty(shape, dtype=nt.float64, device=device))
    out = init.orthogonal_(w, gain=2.0, generator=nt.Generator(device).manual_seed(1))
    assert out is w and w.device == device and w.requires_grad
    flat = _host(w).reshape(shape[0], -1)
    gram = flat @ flat.T if flat.shape[0] <= flat.shape[1] else flat.T @ flat
    np.testing.assert_allclose(gram, 4.0 * np.eye(min(flat.shape)), atol=1e-12)
    s = nt.empty(6, 5, dtype=nt.float64, device=device)
    init.sparse_(s, 0.5, generator=nt.Generator(device).manual_seed(2))
    assert ((_host(s) == 0).sum(axis=0) == 3).all()
