"""``Dropout`` and ``Dropout2d``: active only in training mode, masks drawn from a generator
(so runs reproduce), kept values scaled by 1 / (1 - p)."""

from __future__ import annotations

import numpy as np
import pytest

import nanotorch as nt
import nanotorch.nn.functional as F
from nanotorch import nn
from nanotorch.testing import assert_close, gradcheck


def _host(t):
    return t.detach()._to_host_uncounted()


def test_dropout_mask_is_the_generators_uniform_draw(device):
    """The reference: keep element i when u_i >= p, u ~ U[0, 1) drawn from the same
    generator in the same order, and scale kept values by 1 / (1 - p)."""
    x = nt.randn(4, 6, device=device)
    out = F.dropout(x, 0.3, generator=nt.Generator(device).manual_seed(7))
    u = nt.rand(4, 6, generator=nt.Generator(device).manual_seed(7), device=device)
    expected = np.where(_host(u) >= 0.3, _host(x) / 0.7, 0.0)
    assert_close(out, expected.astype(np.float32))


def test_dropout_default_generator_reproduces_under_manual_seed(device):
    x = nt.ones(50, device=device)
    nt.manual_seed(5)
    a = _host(F.dropout(x, 0.5))
    nt.manual_seed(5)
    b = _host(F.dropout(x, 0.5))
    c = _host(F.dropout(x, 0.5))
    assert np.array_equal(a, b) and not np.array_equal(b, c)


def test_dropout_drops_about_p_and_keeps_the_mean(device):
    x = nt.ones(20000, device=device)
    out = _host(F.dropout(x, 0.3))
    values = np.unique(out)
    assert len(values) == 2 and values[0] == 0.0 and np.isclose(values[1], 1 / 0.7)
    assert abs((out == 0).mean() - 0.3) < 0.02
    assert abs(out.mean() - 1.0) < 0.03


def test_dropout_gradient_is_the_scaled_mask(device):
    x = nt.randn(5, 4, dtype=nt.float64, device=device, requires_grad=True)
    out = F.dropout(x, 0.5, generator=nt.Generator(device).manual_seed(1))
    out.sum().backward()
    kept = _host(out) != 0
    assert_close(x.grad, kept / 0.5)
    gen_seeded = lambda t: F.dropout(t, 0.4, generator=nt.Generator(device).manual_seed(2))  # noqa: E731
    assert gradcheck(gen_seeded, [x])


def test_dropout_eval_mode_and_p_zero_are_identity(device):
    x = nt.randn(3, 4, device=device)
    assert F.dropout(x, 0.5, training=False) is x
    assert F.dropout(x, 0.0) is x
    m = nn.Dropout(0.5)
    m.eval()
    assert m(x) is x
    m.train()
    assert (_host(m(x)) == 0).any()


def test_dropout_p_one_zeroes_everything_and_its_gradient(device):
    x = nt.randn(3, 4, device=device, requires_grad=True)
    out = F.dropout(x, 1.0)
    assert_close(out, np.zeros((3, 4), np.float32))
    out.sum().backward()
    assert_close(x.grad, np.zeros((3, 4), np.float32))


def test_dropout_bad_arguments_are_named(device):
    x = nt.randn(3, device=device)
    with pytest.raises(
        ValueError, match="dropout: probability has to be between 0 and 1, but got 1.5"
    ):
        F.dropout(x, 1.5)
    with pytest.raises(ValueError, match="Dropout: probability has to be between 0 and 1"):
        nn.Dropout(-0.1)
    with pytest.raises(TypeError, match="dropout: needs a floating tensor, got.*int64"):
        F.dropout(nt.tensor([1, 2], device=device), 0.5)
    other = "cpu" if str(device) != "cpu" else "strict:0"
    with pytest.raises(nt.DeviceMismatchError, match="generator is on"):
        F.dropout(x, 0.5, generator=nt.Generator(other))


def test_dropout_module_repr_and_generator():
    assert repr(nn.Dropout()) == "Dropout(p=0.5, inplace=False)"
    assert repr(nn.Dropout2d(0.1)) == "Dropout2d(p=0.1, inplace=False)"
    x = nt.ones(30)
    a = nn.Dropout(0.5, generator=nt.Generator().manual_seed(3))(x)
    b = nn.Dropout(0.5, generator=nt.Generator().manual_seed(3))(x)
    assert_close(a, b, rtol=0, atol=0)


@pytest.mark.parametrize("shape", [(3, 8, 5, 5), (3, 8, 7)], ids=["NCHW", "NCL"])
def test_dropout2d_zeroes_whole_channels(shape, device):
    x = nt.rand(*shape, device=device) + 1.0  # strictly positive, so zeros are drops
    out = _host(F.dropout2d(x, 0.5, generator=nt.Generator(device).manual_seed(4)))
    per_channel = out.reshape(shape[0], shape[1], -1)
    dropped = (per_channel == 0).all(axis=2)
    kept = (per_channel != 0).all(axis=2)
    assert np.array_equal(dropped | kept, np.ones(shape[:2], bool))
    assert dropped.any() and kept.any()
    u = _host(
        nt.rand(shape[0], shape[1], generator=nt.Generator(device).manual_seed(4), device=device)
    )
    assert np.array_equal(kept, u >= 0.5)
    assert_close(per_channel[kept], (_host(x).reshape(per_channel.shape) / 0.5)[kept])


def test_dropout2d_eval_and_bad_rank(device):
    x = nt.randn(2, 3, 4, 4, device=device)
    m = nn.Dropout2d()
    assert m.eval()(x) is x
    with pytest.raises(
        ValueError,
        match=r"dropout2d: expected a 3-D \(N, C, L\) or 4-D \(N, C, H, W\) input, "
        r"got shape \(2, 3\)",
    ):
        F.dropout2d(nt.randn(2, 3, device=device))
