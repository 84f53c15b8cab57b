"""Normalisation layers: ``LayerNorm``, ``BatchNorm1d``/``BatchNorm2d`` (one ``_BatchNorm``
base) and ``GroupNorm``: parameters and buffers as in PyTorch, train vs eval, running
statistics, errors. Values and gradients of the functions are in tests/specs/nn_ops.py."""

from __future__ import annotations

import numpy as np
import pytest

import nanotorch as nt
import nanotorch.nn.functional as F
from nanotorch import nn
from nanotorch.testing import assert_close


def _host(t):
    return t.detach()._to_host_uncounted()


def _data(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape) * 2 + 1


# ----------------------------------------------------------------------------- LayerNorm
def test_layer_norm_module_parameters_and_output(device):
    ln = nn.LayerNorm(4, device=device)
    assert ln.normalized_shape == (4,)
    assert [n for n, _ in ln.named_parameters()] == ["weight", "bias"]
    assert_close(ln.weight, np.ones(4, np.float32))
    assert_close(ln.bias, np.zeros(4, np.float32))
    assert repr(ln) == "LayerNorm((4,), eps=1e-05, elementwise_affine=True, bias=True)"
    out = _host(ln(nt.tensor(_data(3, 4), dtype=nt.float32, device=device)))
    assert_close(out.mean(axis=1), np.zeros(3), atol=1e-6)
    assert_close(out.var(axis=1), np.ones(3), rtol=1e-4, atol=1e-4)


def test_layer_norm_without_affine_or_bias():
    assert list(nn.LayerNorm((2, 3), elementwise_affine=False).parameters()) == []
    ln = nn.LayerNorm(3, bias=False)
    assert [n for n, _ in ln.named_parameters()] == ["weight"] and ln.bias is None


def test_layer_norm_shape_errors(device):
    with pytest.raises(
        nt.ShapeError,
        match=r"layer_norm: input of shape \(3, 5\) does not end "
        r"with normalized_shape \(4,\)",
    ):
        nn.LayerNorm(4, device=device)(nt.randn(3, 5, device=device))
    with pytest.raises(
        nt.ShapeError,
        match=r"layer_norm: weight of shape \(3,\) must equal "
        r"normalized_shape \(4,\)",
    ):
        F.layer_norm(nt.randn(2, 4, device=device), (4,), nt.ones(3, device=device))


# ----------------------------------------------------------------------------- BatchNorm
def test_batch_norm_parameters_buffers_and_state_dict_follow_pytorch(device):
    bn = nn.BatchNorm1d(3, device=device)
    assert [n for n, _ in bn.named_parameters()] == ["weight", "bias"]
    assert list(bn.state_dict()) == [
        "weight",
        "bias",
        "running_mean",
        "running_var",
        "num_batches_tracked",
    ]
    assert_close(bn.running_mean, np.zeros(3, np.float32))
    assert_close(bn.running_var, np.ones(3, np.float32))
    assert bn.num_batches_tracked.dtype is nt.int64 and bn.num_batches_tracked.item() == 0
    assert all(str(b.device) == str(device) for b in bn.buffers())
    assert repr(bn) == (
        "BatchNorm1d(3, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)"
    )
    from nanotorch.nn.normalization import _BatchNorm

    assert isinstance(bn, _BatchNorm) and issubclass(nn.BatchNorm2d, _BatchNorm)


def test_batch_norm_training_uses_batch_stats_and_updates_running_stats(device):
    x = _data(8, 3)
    bn = nn.BatchNorm1d(3, device=device)
    out = bn(nt.tensor(x, dtype=nt.float32, device=device))
    assert_close(
        out, ((x - x.mean(0)) / np.sqrt(x.var(0) + 1e-5)).astype(np.float32), rtol=1e-4, atol=1e-5
    )
    # running = (1 - momentum) running + momentum * batch statistic (variance unbiased).
    assert_close(bn.running_mean, (0.1 * x.mean(0)).astype(np.float32), rtol=1e-5, atol=1e-6)
    assert_close(bn.running_var, (0.9 + 0.1 * x.var(0, ddof=1)).astype(np.float32), rtol=1e-5)
    assert bn.num_batches_tracked.item() == 1
    assert not bn.running_mean.requires_grad and bn.running_mean.grad_fn is None


def test_batch_norm_eval_uses_running_stats_and_does_not_update(device):
    bn = nn.BatchNorm1d(3, device=device)
    with nt.no_grad():
        bn.running_mean.copy_(nt.tensor([1.0, 2.0, 3.0], device=device))
        bn.running_var.copy_(nt.tensor([4.0, 1.0, 0.25], device=device))
        bn.weight.fill_(2.0)
        bn.bias.fill_(0.5)
    bn.eval()
    x = _data(5, 3)
    out = bn(nt.tensor(x, dtype=nt.float32, device=device))
    expected = (x - [1, 2, 3]) / np.sqrt(np.array([4, 1, 0.25]) + 1e-5) * 2 + 0.5
    assert_close(out, expected.astype(np.float32), rtol=1e-5, atol=1e-5)
    assert_close(bn.running_mean, np.array([1, 2, 3], np.float32))
    assert bn.num_batches_tracked.item() == 0
    # A single sample works in eval mode (it would not in training mode).
    assert bn(nt.randn(1, 3, device=device)).shape == (1, 3)


def test_batch_norm_2d_normalizes_per_channel_over_batch_and_space(device):
    x = _data(4, 2, 3, 3)
    bn = nn.BatchNorm2d(2, device=device)
    out = _host(bn(nt.tensor(x, dtype=nt.float32, device=device)))
    assert_close(out.mean(axis=(0, 2, 3)), np.zeros(2), atol=1e-5)
    assert_close(out.var(axis=(0, 2, 3)), np.ones(2), rtol=1e-3)
    assert_close(
        bn.running_mean, (0.1 * x.mean(axis=(0, 2, 3))).astype(np.float32), rtol=1e-5, atol=1e-6
    )
    n = 4 * 3 * 3
    assert_close(
        bn.running_var,
        (0.9 + 0.1 * x.var(axis=(0, 2, 3)) * n / (n - 1)).astype(np.float32),
        rtol=1e-5,
    )


def test_batch_norm_momentum_none_is_a_cumulative_average(device):
    bn = nn.BatchNorm1d(2, momentum=None, device=device)
    a, b = _data(6, 2, seed=1), _data(6, 2, seed=2)
    bn(nt.tensor(a, dtype=nt.float32, device=device))
    bn(nt.tensor(b, dtype=nt.float32, device=device))
    assert bn.num_batches_tracked.item() == 2
    assert_close(bn.running_mean, ((a.mean(0) + b.mean(0)) / 2).astype(np.float32), rtol=1e-5)


def test_batch_norm_without_running_stats_always_uses_the_batch(device):
    bn = nn.BatchNorm1d(3, track_running_stats=False, affine=False, device=device)
    assert list(bn.buffers()) == [] and list(bn.parameters()) == []
    assert bn.running_mean is None
    x = _data(5, 3)
    bn.eval()
    out = bn(nt.tensor(x, dtype=nt.float32, device=device))
    assert_close(
        out, ((x - x.mean(0)) / np.sqrt(x.var(0) + 1e-5)).astype(np.float32), rtol=1e-4, atol=1e-5
    )


def test_batch_norm_errors_name_shapes(device):
    with pytest.raises(
        ValueError,
        match=r"BatchNorm1d: expected 2D or 3D input \(got 4D input "
        r"of shape \(2, 3, 4, 4\)\)",
    ):
        nn.BatchNorm1d(3, device=device)(nt.randn(2, 3, 4, 4, device=device))
    with pytest.raises(ValueError, match=r"BatchNorm2d: expected 4D input \(got 2D input"):
        nn.BatchNorm2d(3, device=device)(nt.randn(2, 3, device=device))
    with pytest.raises(
        nt.ShapeError,
        match=r"batch_norm: input has 5 channels \(dim 1 of shape "
        r"\(4, 5\)\) but running_mean has shape \(3,\)",
    ):
        nn.BatchNorm1d(3, device=device)(nt.randn(4, 5, device=device))
    with pytest.raises(
        ValueError,
        match=r"batch_norm: expected more than 1 value per channel "
        r"when training, got input of shape \(1, 3\)",
    ):
        nn.BatchNorm1d(3, device=device)(nt.randn(1, 3, device=device))
    with pytest.raises(ValueError, match="running_mean and running_var are needed"):
        F.batch_norm(nt.randn(4, 3, device=device), None, None, training=False)


def test_batch_norm_trains_on_the_accelerator_without_transfers(device):
    bn = nn.BatchNorm1d(3, device=device)
    x = nt.randn(8, 3, device=device)
    nt.reset_transfer_stats()
    for _ in range(3):
        bn(x).sum().backward()
    assert nt.transfer_stats().count == 0
    assert bn.weight.grad is not None and str(bn.weight.grad.device) == str(device)


def test_batch_norm_loads_a_pytorch_layout_state_dict(device):
    arrays = {
        "weight": np.full(2, 2.0),
        "bias": np.zeros(2),
        "running_mean": np.array([1.0, -1]),
        "running_var": np.array([4.0, 9.0]),
        "num_batches_tracked": np.array(10),
    }
    bn = nn.BatchNorm2d(2, device=device)
    bn.load_state_dict(arrays)
    assert bn.num_batches_tracked.item() == 10
    bn.eval()
    out = bn(nt.ones(1, 2, 1, 1, device=device))
    assert_close(out.reshape(2), np.array([0.0, 2 * 2 / np.sqrt(9 + 1e-5)], np.float32))


# ----------------------------------------------------------------------------- GroupNorm
def test_group_norm_module(device):
    gn = nn.GroupNorm(2, 4, device=device)
    assert repr(gn) == "GroupNorm(2, 4, eps=1e-05, affine=True, bias=True)"
    assert gn.weight.shape == (4,) and gn.bias.shape == (4,)
    x = _data(3, 4, 5)
    out = _host(gn(nt.tensor(x, dtype=nt.float32, device=device))).reshape(3, 2, 10)
    assert_close(out.mean(axis=2), np.zeros((3, 2)), atol=1e-5)
    assert_close(out.var(axis=2), np.ones((3, 2)), rtol=1e-3)
    assert list(nn.GroupNorm(1, 4, affine=False).parameters()) == []
    with pytest.raises(
        ValueError,
        match=r"GroupNorm: num_channels \(5\) must be divisible by "
        r"num_groups \(2\)",
    ):
        nn.GroupNorm(2, 5)
    with pytest.raises(
        nt.ShapeError,
        match=r"group_norm: input has 6 channels \(dim 1 of shape "
        r"\(2, 6, 3\)\), not divisible by num_groups=4",
    ):
        F.group_norm(nt.randn(2, 6, 3, device=device), 4)
