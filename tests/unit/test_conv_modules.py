"""``nn.Conv1d``, ``nn.Conv2d``, ``nn.ConvTranspose2d``, ``nn.MaxPool2d``, ``nn.AvgPool2d``,
``nn.AdaptiveAvgPool2d``: PyTorch's layouts, defaults, initialisation and reprs, and that
each module is its functional form with its own parameters."""

from __future__ import annotations

import math

import numpy as np
import pytest

import nanotorch as nt
import nanotorch.nn.functional as F
from nanotorch import nn
from nanotorch.testing import assert_close


@pytest.mark.parametrize(
    "make,w_shape,b_shape",
    [
        (lambda d: nn.Conv2d(4, 6, 3, groups=2, device=d), (6, 2, 3, 3), (6,)),
        (lambda d: nn.Conv2d(1, 6, (5, 3), bias=False, device=d), (6, 1, 5, 3), None),
        (lambda d: nn.Conv1d(3, 5, 4, device=d), (5, 3, 4), (5,)),
        # transposed: (in_channels, out_channels / groups, kH, kW)
        (lambda d: nn.ConvTranspose2d(4, 6, 3, groups=2, device=d), (4, 3, 3, 3), (6,)),
    ],
    ids=["conv2d", "conv2d-nobias", "conv1d", "conv_transpose2d"],
)
def test_conv_modules_follow_pytorch_weight_layout(make, w_shape, b_shape, device):
    m = make(device)
    assert isinstance(m.weight, nn.Parameter) and m.weight.shape == w_shape
    assert str(m.weight.device) == str(device) and m.weight.dtype is nt.float32
    if b_shape is None:
        assert m.bias is None and list(m.state_dict()) == ["weight"]
    else:
        assert m.bias.shape == b_shape and list(m.state_dict()) == ["weight", "bias"]


def test_conv2d_stores_hyperparameters_as_pytorch_does():
    m = nn.Conv2d(3, 8, 5, stride=2, padding=1, dilation=(1, 2))
    assert m.kernel_size == (5, 5) and m.stride == (2, 2) and m.padding == (1, 1)
    assert m.dilation == (1, 2) and m.groups == 1 and m.padding_mode == "zeros"
    assert m.in_channels == 3 and m.out_channels == 8
    assert nn.Conv2d(3, 8, 3, padding="same").padding == "same"
    assert nn.Conv1d(3, 8, 3).kernel_size == (3,)
    t = nn.ConvTranspose2d(3, 8, 3, stride=2, output_padding=1)
    assert t.output_padding == (1, 1) and t.transposed


def test_conv_module_reprs_match_pytorch():
    assert repr(nn.Conv2d(1, 6, 5)) == "Conv2d(1, 6, kernel_size=(5, 5), stride=(1, 1))"
    assert repr(nn.Conv2d(4, 8, 3, stride=2, padding=1, dilation=2, groups=2, bias=False)) == (
        "Conv2d(4, 8, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), dilation=(2, 2), "
        "groups=2, bias=False)"
    )
    assert repr(nn.Conv1d(2, 3, 3, padding="same")) == (
        "Conv1d(2, 3, kernel_size=(3,), stride=(1,), padding=same)"
    )
    assert repr(nn.ConvTranspose2d(4, 2, 3, stride=2, output_padding=1)) == (
        "ConvTranspose2d(4, 2, kernel_size=(3, 3), stride=(2, 2), output_padding=(1, 1))"
    )
    assert repr(nn.MaxPool2d(2)) == (
        "MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)"
    )
    assert repr(nn.AvgPool2d(3, stride=2, padding=1)) == (
        "AvgPool2d(kernel_size=3, stride=2, padding=1)"
    )
    assert repr(nn.AdaptiveAvgPool2d((1, 1))) == "AdaptiveAvgPool2d(output_size=(1, 1))"


@pytest.mark.parametrize(
    "make,fan_in",
    [
        (lambda: nn.Conv2d(6, 16, 5), 6 * 25),
        (lambda: nn.Conv2d(8, 32, 3, groups=4), 2 * 9),
        (lambda: nn.Conv1d(16, 64, 3), 16 * 3),
        # PyTorch computes the transposed weight's fan_in from its dim 1 (out_channels/groups)
        (lambda: nn.ConvTranspose2d(64, 16, 3), 16 * 9),
    ],
    ids=["conv2d", "conv2d-groups", "conv1d", "conv_transpose2d"],
)
def test_conv_default_init_is_kaiming_uniform_a_sqrt5(make, fan_in):
    # kaiming_uniform_(a=sqrt(5)): bound = sqrt(6 / ((1 + 5) fan_in)) = 1 / sqrt(fan_in); the
    # bias uses the same bound.
    m = make()
    bound = 1 / math.sqrt(fan_in)
    w = m.weight.detach().numpy()
    b = m.bias.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.95 * bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.05 * bound
    assert np.abs(b).max() <= bound and np.abs(b).max() > 0.5 * bound


def test_conv_init_is_reproducible_with_a_generator_or_the_seed():
    a = nn.Conv2d(3, 4, 3, generator=nt.Generator().manual_seed(7))
    b = nn.Conv2d(3, 4, 3, generator=nt.Generator().manual_seed(7))
    c = nn.Conv2d(3, 4, 3, generator=nt.Generator().manual_seed(8))
    assert_close(a.weight, b.weight, rtol=0, atol=0)
    assert_close(a.bias, b.bias, rtol=0, atol=0)
    assert not np.allclose(a.weight.detach().numpy(), c.weight.detach().numpy())
    nt.manual_seed(3)
    d = nn.ConvTranspose2d(3, 4, 3)
    nt.manual_seed(3)
    e = nn.ConvTranspose2d(3, 4, 3)
    assert_close(d.weight, e.weight, rtol=0, atol=0)


def test_conv_modules_call_their_functional_form(device):
    rng = np.random.default_rng(0)
    x2 = nt.tensor(rng.standard_normal((2, 4, 7, 6)), dtype=nt.float32, device=device)
    m = nn.Conv2d(4, 6, 3, stride=2, padding=1, dilation=(1, 2), groups=2, device=device)
    assert_close(m(x2), F.conv2d(x2, m.weight, m.bias, 2, 1, (1, 2), 2))
    t = nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1, device=device)
    assert_close(t(x2), F.conv_transpose2d(x2, t.weight, t.bias, 2, 1, 1))
    x1 = nt.tensor(rng.standard_normal((2, 4, 9)), dtype=nt.float32, device=device)
    c1 = nn.Conv1d(4, 2, 3, padding="same", device=device)
    assert_close(c1(x1), F.conv1d(x1, c1.weight, c1.bias, padding="same"))
    assert_close(
        nn.MaxPool2d(3, 2, 1, ceil_mode=True)(x2), F.max_pool2d(x2, 3, 2, 1, ceil_mode=True)
    )
    assert_close(
        nn.AvgPool2d(2, count_include_pad=False, padding=1)(x2),
        F.avg_pool2d(x2, 2, padding=1, count_include_pad=False),
    )
    assert_close(nn.AdaptiveAvgPool2d((None, 2))(x2), F.adaptive_avg_pool2d(x2, (None, 2)))


def test_conv_transpose2d_output_size_picks_output_padding(device):
    # From 4x4 with stride 2, padding 1, kernel 3: (4 - 1) * 2 - 2 + 3 = 7, or 8 with
    # output_padding 1 -- output_size chooses between them, as in PyTorch's forward.
    t = nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1, device=device)
    x = nt.zeros((1, 2, 4, 4), device=device)
    assert t(x).shape == (1, 3, 7, 7)
    assert t(x, output_size=(8, 7)).shape == (1, 3, 8, 7)
    assert t(x, output_size=(1, 3, 8, 8)).shape == (1, 3, 8, 8)
    with pytest.raises(
        ValueError,
        match=r"ConvTranspose2d: output_size \(10, 10\).*between "
        r"\(7, 7\) and \(8, 8\)",
    ):
        t(x, output_size=(10, 10))


def test_max_pool2d_module_return_indices_and_default_stride():
    m = nn.MaxPool2d(2, return_indices=True)
    assert m.stride == 2
    out, idx = m(nt.arange(16.0).reshape(1, 1, 4, 4))
    assert idx.tolist() == [[[[5, 7], [13, 15]]]]
    assert out.tolist() == [[[[5.0, 7.0], [13.0, 15.0]]]]


@pytest.mark.parametrize(
    "make,error,pattern",
    [
        (
            lambda: nn.Conv2d(3, 4, 3, groups=2),
            ValueError,
            r"Conv2d: in_channels=3 must be divisible by groups=2",
        ),
        (
            lambda: nn.Conv2d(4, 3, 3, groups=2),
            ValueError,
            r"Conv2d: out_channels=3 must be divisible by groups=2",
        ),
        (
            lambda: nn.Conv2d(4, 4, 3, stride=2, padding="same"),
            ValueError,
            r"Conv2d: padding='same' needs stride 1, got stride \(2, 2\)",
        ),
        (
            lambda: nn.Conv2d(4, 4, 3, padding_mode="mirror"),
            ValueError,
            r"Conv2d: padding_mode must be one of .*'reflect'.*got padding_mode='mirror'",
        ),
        (
            lambda: nn.ConvTranspose2d(4, 4, 3, padding_mode="reflect"),
            ValueError,
            r"ConvTranspose2d: only 'zeros' padding mode is supported",
        ),
        (lambda: nn.Conv2d(4, 4, 0), ValueError, r"Conv2d: kernel_size must be positive"),
        (
            lambda: nn.Conv1d(4, 4, 3, padding="middle"),
            ValueError,
            r"Conv1d: padding='middle' is not supported",
        ),
        (
            lambda: nn.ConvTranspose2d(4, 4, 3, stride=2, output_padding=2),
            ValueError,
            r"ConvTranspose2d: output_padding \(2, 2\) must be smaller than stride",
        ),
        (
            lambda: nn.MaxPool2d(3, padding=2),
            ValueError,
            r"MaxPool2d: padding \(2, 2\) must be at most half of kernel_size \(3, 3\)",
        ),
        (
            lambda: nn.AdaptiveAvgPool2d(0),
            ValueError,
            r"AdaptiveAvgPool2d: output_size must be a positive int",
        ),
    ],
)
def test_conv_modules_reject_bad_hyperparameters_at_construction(make, error, pattern):
    with pytest.raises(error, match=pattern):
        make()


def test_conv2d_module_errors_name_the_op_and_shapes(device):
    m = nn.Conv2d(3, 4, 3, device=device)
    with pytest.raises(nt.ShapeError, match=r"conv2d: input has 2 channels.*\(1, 2, 5, 5\)"):
        m(nt.zeros((1, 2, 5, 5), device=device))


def test_conv2d_module_trains_on_its_device(device):
    m = nn.Conv2d(2, 3, 3, padding=1, device=device)
    x = nt.randn(2, 2, 5, 5, device=device)
    m(x).square().mean().backward()
    assert m.weight.grad.shape == m.weight.shape and m.bias.grad.shape == (3,)
    assert str(m.weight.grad.device) == str(device)
