"""Losses: what the specs cannot say (tests/specs/nn_ops.py checks values and gradients):
errors that name shapes and values, edge values, the fused cross-entropy gradient, and the
loss modules."""

from __future__ import annotations

import numpy as np
import pytest

import nanotorch as nt
import nanotorch.nn.functional as F
from nanotorch import nn
from nanotorch.testing import assert_close


def _host(t):
    return t.detach()._to_host_uncounted()


# ----------------------------------------------------------------------------- errors
@pytest.mark.parametrize(
    "fn",
    [
        F.mse_loss,
        F.l1_loss,
        F.smooth_l1_loss,
        F.huber_loss,
        F.binary_cross_entropy_with_logits,
        F.kl_div,
    ],
)
def test_elementwise_losses_refuse_mismatched_shapes(fn, device):
    x, y = nt.rand(3, 4, device=device), nt.rand(4, device=device)
    name = fn.__name__
    with pytest.raises(
        nt.ShapeError,
        match=rf"{name}: input of shape \(3, 4\) and target of "
        r"shape \(4,\) differ",
    ):
        fn(x, y)


def test_losses_refuse_unknown_reductions(device):
    x = nt.rand(3, device=device)
    with pytest.raises(
        ValueError, match="mse_loss: reduction must be 'none', 'mean' or 'sum', got 'avg'"
    ):
        F.mse_loss(x, x, reduction="avg")
    with pytest.raises(ValueError, match="kl_div: reduction must be.*'batchmean'"):
        F.kl_div(x, x, reduction="avg")
    with pytest.raises(ValueError, match="cross_entropy: reduction must be"):
        F.cross_entropy(
            nt.rand(2, 3, device=device), nt.tensor([0, 1], device=device), reduction="max"
        )


def test_losses_refuse_mixed_devices_and_dtypes(device):
    x = nt.rand(3, device=device)
    other = "cpu" if str(device) != "cpu" else "strict:0"
    with pytest.raises(
        nt.DeviceMismatchError,
        match=rf"mse_loss: input is on {device} but "
        rf"target is on {other}",
    ):
        F.mse_loss(x, nt.rand(3, device=other))
    # Most losses promote a target of another dtype, as PyTorch does (Note [Loss target
    # dtypes] in nn/loss.py); binary_cross_entropy wants one dtype, as PyTorch's does.
    assert F.l1_loss(x, nt.rand(3, dtype=nt.float64, device=device)).dtype == nt.float64
    with pytest.raises(
        RuntimeError, match="binary_cross_entropy: input is float32 but target is float64"
    ):
        F.binary_cross_entropy(x, nt.rand(3, dtype=nt.float64, device=device))
    with pytest.raises(nt.DeviceMismatchError, match="cross_entropy: input is on"):
        F.cross_entropy(nt.rand(2, 3, device=device), nt.tensor([0, 1], device=other))


def test_cross_entropy_target_out_of_range_names_the_values(device):
    x = nt.randn(4, 5, device=device)
    with pytest.raises(
        IndexError,
        match=r"cross_entropy: target values must be in \[0, 5\) or "
        r"equal ignore_index=-100; got values from 0 to 7",
    ):
        F.cross_entropy(x, nt.tensor([0, 7, 1, 2], device=device))
    with pytest.raises(IndexError, match=r"got values from -1 to 2"):
        F.cross_entropy(x, nt.tensor([-1, -100, 1, 2], device=device))
    with pytest.raises(IndexError, match=r"nll_loss: target values must be in \[0, 5\)"):
        F.nll_loss(x, nt.tensor([0, 5, 1, 2], device=device))


def test_cross_entropy_shape_and_dtype_errors(device):
    x = nt.randn(4, 3, device=device)
    with pytest.raises(
        nt.ShapeError,
        match=r"cross_entropy: class-index target of shape "
        r"\(5,\) does not match input of shape \(4, 3\).*"
        r"expected \(4,\)",
    ):
        F.cross_entropy(x, nt.tensor([0, 1, 2, 0, 1], device=device))
    with pytest.raises(
        nt.ShapeError,
        match=r"cross_entropy: probability target of shape "
        r"\(4, 2\) does not match input of shape \(4, 3\)",
    ):
        F.cross_entropy(x, nt.rand(4, 2, device=device))
    with pytest.raises(
        TypeError,
        match=r"cross_entropy: target must hold class indices .* or "
        r"probabilities.*got bool",
    ):
        F.cross_entropy(x, nt.tensor([True, False, True, True], device=device))
    with pytest.raises(
        nt.ShapeError,
        match=r"cross_entropy: weight of shape \(4,\) must have "
        r"one entry per class \(3,\)",
    ):
        F.cross_entropy(x, nt.tensor([0, 1, 2, 0], device=device), nt.ones(4, device=device))
    with pytest.raises(ValueError, match="label_smoothing must be in \\[0, 1\\], got 1.5"):
        F.cross_entropy(x, nt.tensor([0, 1, 2, 0], device=device), label_smoothing=1.5)
    with pytest.raises(nt.ShapeError, match="cross_entropy: input must have at least 1 dim"):
        F.cross_entropy(nt.tensor(1.0, device=device), nt.tensor(0, device=device))


def test_binary_cross_entropy_refuses_inputs_outside_zero_one(device):
    with pytest.raises(
        ValueError,
        match=r"binary_cross_entropy: input values must be between 0 "
        r"and 1 \(probabilities\), got values from -0.5 to 1.*"
        r"binary_cross_entropy_with_logits",
    ):
        F.binary_cross_entropy(
            nt.tensor([-0.5, 1.0], device=device), nt.tensor([0.0, 1.0], device=device)
        )


def test_smooth_l1_and_huber_parameters_are_checked(device):
    x = nt.rand(3, device=device)
    with pytest.raises(ValueError, match="smooth_l1_loss: beta must be non-negative, got -1"):
        F.smooth_l1_loss(x, x, beta=-1.0)
    with pytest.raises(ValueError, match="huber_loss: delta must be positive, got 0"):
        F.huber_loss(x, x, delta=0.0)


# ----------------------------------------------------------------------------- values
def test_cross_entropy_gradient_is_softmax_minus_one_hot_over_n(device):
    rng = np.random.default_rng(0)
    z = rng.standard_normal((6, 4))
    t = np.array([0, 3, 1, 1, 2, 0])
    x = nt.tensor(z, dtype=nt.float64, device=device, requires_grad=True)
    F.cross_entropy(x, nt.tensor(t, device=device)).backward()
    p = np.exp(z) / np.exp(z).sum(1, keepdims=True)
    assert_close(x.grad, (p - np.eye(4)[t]) / 6)


@pytest.mark.filterwarnings("ignore:invalid value encountered in divide")
def test_cross_entropy_all_ignored_mean_is_nan_like_pytorch(device):
    x = nt.randn(2, 3, device=device)
    out = F.cross_entropy(x, nt.tensor([-100, -100], device=device))
    assert np.isnan(out.item())
    assert F.cross_entropy(x, nt.tensor([-100, -100], device=device), reduction="sum").item() == 0


def test_cross_entropy_int32_targets_work(device):
    x = nt.randn(3, 4, device=device)
    t64 = nt.tensor([0, 3, 2], device=device)
    assert_close(F.cross_entropy(x, t64.int()), F.cross_entropy(x, t64))


def test_cross_entropy_large_logits_stay_finite_in_float32(device):
    x = nt.tensor([[1e4, -1e4, 0.0], [-1e4, 1e4, 0.0]], device=device, requires_grad=True)
    loss = F.cross_entropy(x, nt.tensor([0, 0], device=device), reduction="none")
    assert_close(loss, np.array([0.0, 2e4], np.float32))
    loss.sum().backward()
    assert_close(x.grad, np.array([[0.0, 0.0, 0.0], [-1.0, 1.0, 0.0]], np.float32))


def test_binary_cross_entropy_at_zero_and_one_is_finite(device):
    x = nt.tensor([0.0, 1.0, 0.0, 1.0], device=device, requires_grad=True)
    y = nt.tensor([0.0, 1.0, 1.0, 0.0], device=device)
    loss = F.binary_cross_entropy(x, y, reduction="none")
    assert_close(loss, np.array([0.0, 0.0, 100.0, 100.0], np.float32))  # log clamped at -100
    loss.sum().backward()
    assert np.all(np.isfinite(_host(x.grad)))


def test_bce_with_logits_large_logits_are_finite(device):
    x = nt.tensor([1e4, -1e4, 50.0, -50.0], device=device, requires_grad=True)
    y = nt.tensor([1.0, 0.0, 0.0, 1.0], device=device)
    loss = F.binary_cross_entropy_with_logits(x, y, reduction="none")
    assert_close(loss, np.array([0.0, 0.0, 50.0, 50.0], np.float32))
    loss.sum().backward()
    assert_close(x.grad, np.array([0.0, 0.0, 1.0, -1.0], np.float32))


def test_kl_div_zero_targets_contribute_nothing(device):
    logq = nt.tensor([[-1.0, -2.0, -0.5]], dtype=nt.float64, device=device, requires_grad=True)
    t = nt.tensor([[0.0, 0.25, 0.75]], dtype=nt.float64, device=device)
    loss = F.kl_div(logq, t, reduction="sum")
    expected = 0.25 * (np.log(0.25) + 2.0) + 0.75 * (np.log(0.75) + 0.5)
    assert_close(loss, np.array(expected))
    loss.backward()
    assert_close(logq.grad, np.array([[0.0, -0.25, -0.75]]))


# ----------------------------------------------------------------------------- modules
def test_loss_modules_match_functional(device):
    x, y = nt.randn(4, 3, device=device), nt.randn(4, 3, device=device)
    p = nt.rand(4, 3, device=device) * 0.9 + 0.05
    t = nt.tensor([0, 2, 1, 1], device=device)
    w = nt.rand(3, device=device) + 0.5
    pairs = [
        (nn.MSELoss(reduction="sum")(x, y), F.mse_loss(x, y, reduction="sum")),
        (nn.L1Loss()(x, y), F.l1_loss(x, y)),
        (nn.SmoothL1Loss(beta=0.5)(x, y), F.smooth_l1_loss(x, y, beta=0.5)),
        (nn.HuberLoss(delta=2.0)(x, y), F.huber_loss(x, y, delta=2.0)),
        (
            nn.CrossEntropyLoss(w, ignore_index=2, label_smoothing=0.1)(x, t),
            F.cross_entropy(x, t, w, ignore_index=2, label_smoothing=0.1),
        ),
        (nn.NLLLoss(w)(x.log_softmax(1), t), F.nll_loss(x.log_softmax(1), t, w)),
        (nn.BCELoss(w)(p, p), F.binary_cross_entropy(p, p, w)),
        (
            nn.BCEWithLogitsLoss(pos_weight=w)(x, p),
            F.binary_cross_entropy_with_logits(x, p, pos_weight=w),
        ),
        (
            nn.KLDivLoss(reduction="batchmean", log_target=True)(x, y),
            F.kl_div(x, y, reduction="batchmean", log_target=True),
        ),
    ]
    for got, expected in pairs:
        assert_close(got, expected)


def test_loss_module_weights_are_buffers_that_move(device):
    loss = nn.CrossEntropyLoss(weight=nt.ones(3))
    assert [n for n, _ in loss.named_buffers()] == ["weight"]
    assert list(loss.parameters()) == []
    loss.to(device)
    assert str(loss.weight.device) == str(device)
    bce = nn.BCEWithLogitsLoss(pos_weight=nt.ones(2))
    assert [n for n, _ in bce.named_buffers()] == ["pos_weight"]  # a None buffer is skipped
    assert bce.weight is None
    assert repr(nn.CrossEntropyLoss()) == "CrossEntropyLoss()"
    assert nn.CrossEntropyLoss().reduction == "mean"
    assert nn.CrossEntropyLoss().ignore_index == -100


def test_losses_honour_pytorchs_deprecated_reduction_flags(device):
    x, y = nt.randn(3, 2, device=device), nt.randn(3, 2, device=device)
    assert_close(F.mse_loss(x, y, reduce=False), F.mse_loss(x, y, reduction="none"))
    assert_close(F.mse_loss(x, y, size_average=False), F.mse_loss(x, y, reduction="sum"))
    assert nn.MSELoss(size_average=False).reduction == "sum"
    assert nn.CrossEntropyLoss(reduce=False).reduction == "none"
    assert nn.L1Loss(size_average=True).reduction == "mean"
