"""Behaviour of the 1-D and adaptive pools, max unpooling and conv3d that the op specs do not
pin: tie rules, duplicate indices, gradients worked out by hand, errors, and the layers."""

from __future__ import annotations

import numpy as np
import pytest

import nanotorch as nt
from nanotorch import nn
from nanotorch.errors import ShapeError
from nanotorch.nn import functional as F


def _t(a, device, requires_grad=False):
    return nt.tensor(
        np.asarray(a, dtype=np.float64),
        dtype=nt.float64,
        device=device,
        requires_grad=requires_grad,
    )


def test_max_unpool2d_inverts_max_pool2d_at_the_maxima(device):
    x = _t(np.arange(16.0).reshape(1, 1, 4, 4), device)
    out, idx = F.max_pool2d(x, 2, return_indices=True)
    back = F.max_unpool2d(out, idx, 2)
    expected = np.zeros((4, 4))
    expected[1::2, 1::2] = [[5.0, 7.0], [13.0, 15.0]]
    np.testing.assert_array_equal(back.cpu().numpy()[0, 0], expected)


def test_max_unpool2d_overlapping_windows_write_a_shared_maximum_once(device):
    # Stride 1: the centre 9 is the maximum of all four 2x2 windows, so all four indices
    # point at it; the unpooled value is 9, not 36, and its gradient is the mean of the four.
    x = _t([[[[0.0, 1.0, 2.0], [3.0, 9.0, 4.0], [5.0, 6.0, 7.0]]]], device)
    out, idx = F.max_pool2d(x, 2, stride=1, return_indices=True)
    assert idx.tolist() == [[[[4, 4], [4, 4]]]]
    vals = out.detach().requires_grad_(True)
    back = F.max_unpool2d(vals, idx, 2, stride=1)
    assert back.tolist() == [[[[0.0, 0.0, 0.0], [0.0, 9.0, 0.0], [0.0, 0.0, 0.0]]]]
    (back * _t(np.full((1, 1, 3, 3), 4.0), device)).sum().backward()
    assert vals.grad.tolist() == [[[[1.0, 1.0], [1.0, 1.0]]]]


def test_max_unpool2d_gradient_reads_the_output_gradient_at_each_index(device):
    vals = _t([[[[1.0, 2.0]]]], device, requires_grad=True)
    idx = nt.tensor([[[[3, 0]]]], device=device)
    back = F.max_unpool2d(vals, idx, 2)  # output (2, 4): value 1 at flat 3, value 2 at 0
    weights = _t(np.arange(8.0).reshape(1, 1, 2, 4), device)
    (back * weights).sum().backward()
    assert vals.grad.tolist() == [[[[3.0, 0.0]]]]


@pytest.mark.parametrize(
    "kwargs,indices,error,pattern",
    [
        ({}, [[[[9, 0]]]], RuntimeError, r"max_unpool2d: found an invalid max index 9"),
        ({"output_size": (5, 9)}, [[[[1, 0]]]], ValueError, r"invalid output_size \(5, 9\)"),
        ({"output_size": (1, 2, 3)}, [[[[1, 0]]]], ValueError, r"2 or 4 elements"),
        ({}, [[[1, 0]]], ShapeError, r"indices of shape \(1, 1, 2\) must have the shape"),
    ],
)
def test_max_unpool2d_rejects_bad_indices_and_sizes(kwargs, indices, error, pattern, device):
    vals = _t([[[[1.0, 2.0]]]], device)
    with pytest.raises(error, match=pattern):
        F.max_unpool2d(vals, nt.tensor(indices, device=device), 2, **kwargs)


def test_adaptive_max_pool2d_ties_send_the_gradient_to_the_first_maximum(device):
    # 4 -> 3 along the row: bins [0, 2), [1, 3), [2, 4). All equal, so each bin's first
    # element wins: positions 0, 1, 2 get one unit each.
    x = _t(np.ones((1, 1, 1, 4)), device, requires_grad=True)
    out, idx = F.adaptive_max_pool2d(x, (1, 3), return_indices=True)
    assert idx.tolist() == [[[[0, 1, 2]]]]
    out.sum().backward()
    assert x.grad.tolist() == [[[[1.0, 1.0, 1.0, 0.0]]]]


def test_adaptive_max_pool2d_indices_are_flat_input_positions(device):
    # 3x5 -> 2x2: row bins [0, 2), [1, 3); column bins [0, 3), [2, 5). On arange the max of a
    # bin is its bottom-right element and equals its flat index.
    x = _t(np.arange(15.0).reshape(1, 3, 5), device)
    out, idx = F.adaptive_max_pool2d(x, 2, return_indices=True)
    assert idx.tolist() == [[[7, 9], [12, 14]]]
    assert out.tolist() == [[[7.0, 9.0], [12.0, 14.0]]]


def test_max_pool1d_ceil_mode_and_indices(device):
    # Length 5, kernel 2: floor gives 2 windows, ceil 3 (the last one overhangs).
    x = _t([[[1.0, 3.0, 2.0, 5.0, 4.0]]], device)
    assert F.max_pool1d(x, 2).tolist() == [[[3.0, 5.0]]]
    out, idx = F.max_pool1d(x, 2, ceil_mode=True, return_indices=True)
    assert out.tolist() == [[[3.0, 5.0, 4.0]]] and idx.tolist() == [[[1, 3, 4]]]


def test_avg_pool1d_count_include_pad(device):
    # Kernel 3, stride 3, padding 1: the windows are [pad, 1, 2] and [3, 4, pad]; with the
    # pad counted the means are 3 / 3 and 7 / 3, without it 3 / 2 and 7 / 2.
    x = _t([[[1.0, 2.0, 3.0, 4.0]]], device)
    incl = F.avg_pool1d(x, 3, stride=3, padding=1)
    np.testing.assert_allclose(incl.cpu().numpy(), [[[1.0, 7.0 / 3.0]]], rtol=1e-15)
    excl = F.avg_pool1d(x, 3, stride=3, padding=1, count_include_pad=False)
    assert excl.tolist() == [[[1.5, 3.5]]]


@pytest.mark.parametrize(
    "shape,call,error,pattern",
    [
        ((1, 2, 4), lambda x: F.max_pool1d(x, 2, padding=2), ValueError, r"max_pool1d: padding 2"),
        ((1, 2, 4), lambda x: F.avg_pool1d(x, 0), ValueError, r"avg_pool1d: kernel_size must"),
        ((1, 2, 4), lambda x: F.max_pool1d(x, 9), ShapeError, r"max_pool1d: kernel"),
        ((2, 4), lambda x: F.adaptive_avg_pool1d(x, 0), ValueError, r"adaptive_avg_pool1d: outp"),
        ((2, 4), lambda x: F.adaptive_max_pool2d(x, 2), ShapeError, r"adaptive_max_pool2d: input"),
        ((4,), lambda x: F.max_pool1d(x, 2), ShapeError, r"max_pool1d: input must be 2-D"),
    ],
)
def test_pool_errors_name_the_op(shape, call, error, pattern, device):
    with pytest.raises(error, match=pattern):
        call(nt.zeros(shape, device=device))


def test_conv3d_rejects_mismatched_channels(device):
    x = nt.zeros((1, 3, 4, 4, 4), device=device)
    with pytest.raises(ShapeError, match=r"conv3d: input has 3 channels.*expects 2"):
        F.conv3d(x, nt.zeros((2, 2, 2, 2, 2), device=device))
    with pytest.raises(ShapeError, match=r"conv3d: kernel \(5, 2, 2\)"):
        F.conv3d(x, nt.zeros((2, 3, 5, 2, 2), device=device))


def test_conv3d_layer_matches_functional_and_pytorch_layout(device):
    nt.manual_seed(0)
    conv = nn.Conv3d(2, 4, (2, 3, 1), stride=(1, 2, 1), padding=(1, 0, 0), dtype=nt.float64)
    conv.to(device)
    assert conv.weight.shape == (4, 2, 2, 3, 1) and conv.bias.shape == (4,)
    x = _t(np.random.default_rng(0).standard_normal((2, 2, 3, 5, 4)), device)
    expected = F.conv3d(x, conv.weight, conv.bias, (1, 2, 1), (1, 0, 0))
    np.testing.assert_array_equal(conv(x).detach().cpu().numpy(), expected.detach().cpu().numpy())


@pytest.mark.parametrize(
    "module,fn",
    [
        (nn.MaxPool1d(2, ceil_mode=True), lambda x: F.max_pool1d(x, 2, ceil_mode=True)),
        (nn.AvgPool1d(3, 1, 1), lambda x: F.avg_pool1d(x, 3, 1, 1)),
        (nn.AdaptiveAvgPool1d(2), lambda x: F.adaptive_avg_pool1d(x, 2)),
        (nn.AdaptiveMaxPool1d(3), lambda x: F.adaptive_max_pool1d(x, 3)),
    ],
)
def test_1d_pool_layers_call_their_functions(module, fn, device):
    x = _t(np.random.default_rng(1).standard_normal((2, 3, 7)), device)
    np.testing.assert_array_equal(module(x).cpu().numpy(), fn(x).cpu().numpy())


def test_adaptive_max_and_unpool_layers(device):
    x = _t(np.random.default_rng(2).standard_normal((1, 2, 6, 6)), device)
    out, idx = nn.AdaptiveMaxPool2d(3, return_indices=True)(x)
    ref, ref_idx = F.adaptive_max_pool2d(x, 3, return_indices=True)
    assert out.tolist() == ref.tolist() and idx.tolist() == ref_idx.tolist()
    pooled, where = nn.MaxPool2d(2, return_indices=True)(x)
    back = nn.MaxUnpool2d(2)(pooled, where, output_size=x.shape)
    np.testing.assert_array_equal(
        back.cpu().numpy(), F.max_unpool2d(pooled, where, 2).cpu().numpy()
    )


def test_conv_transpose1d_layer_output_size_and_errors(device):
    nt.manual_seed(0)
    layer = nn.ConvTranspose1d(2, 3, 3, stride=2, padding=1, dtype=nt.float64).to(device)
    assert layer.weight.shape == (2, 3, 3)
    assert repr(layer) == "ConvTranspose1d(2, 3, kernel_size=(3,), stride=(2,), padding=(1,))"
    x = _t(np.random.default_rng(3).standard_normal((1, 2, 4)), device)
    assert layer(x).shape == (1, 3, 7)  # (4 - 1) * 2 - 2 + 2 + 1
    assert layer(x, output_size=[8]).shape == (1, 3, 8)  # output_padding 1 picked
    with pytest.raises(ValueError, match=r"ConvTranspose1d: output_size \(10,\) cannot come"):
        layer(x, output_size=[10])
    with pytest.raises(ShapeError, match=r"conv_transpose1d: input must be 2-D \(C, L\)"):
        F.conv_transpose1d(nt.zeros((1, 1, 2, 4), device=device), layer.weight)


def test_max_pool3d_ties_pick_the_first_in_depth_height_width_order(device):
    # All equal in a 2x2x2 window: the first element (0, 0, 0) wins and gets the gradient.
    x = _t(np.ones((1, 1, 2, 2, 2)), device, requires_grad=True)
    out, idx = F.max_pool3d(x, 2, return_indices=True)
    assert idx.tolist() == [[[[[0]]]]]
    out.sum().backward()
    expected = np.zeros((2, 2, 2))
    expected[0, 0, 0] = 1.0
    np.testing.assert_array_equal(x.grad.cpu().numpy()[0, 0], expected)


def test_3d_pool_layers_call_their_functions(device):
    x = _t(np.random.default_rng(4).standard_normal((1, 2, 4, 5, 4)), device)
    pairs = [
        (nn.MaxPool3d(2, ceil_mode=True), lambda t: F.max_pool3d(t, 2, ceil_mode=True)),
        (nn.AvgPool3d(3, 2, 1), lambda t: F.avg_pool3d(t, 3, 2, 1)),
        (nn.AdaptiveAvgPool3d((2, None, 1)), lambda t: F.adaptive_avg_pool3d(t, (2, None, 1))),
    ]
    for module, fn in pairs:
        np.testing.assert_array_equal(module(x).cpu().numpy(), fn(x).cpu().numpy())
    assert repr(nn.AvgPool3d(2)) == "AvgPool3d(kernel_size=2, stride=2, padding=0)"
    with pytest.raises(ShapeError, match=r"max_pool3d: input must be 4-D \(C, D, H, W\)"):
        F.max_pool3d(x[0, 0], 2)
    with pytest.raises(ValueError, match=r"avg_pool3d: padding \(2, 2, 2\) must be at most"):
        F.avg_pool3d(x, 3, padding=2)


def test_adaptive_max_pool3d_layer_and_indices(device):
    # 2x2x2 arange, one bin: the maximum 7 sits at flat position 7.
    x = _t(np.arange(8.0).reshape(1, 1, 2, 2, 2), device)
    out, idx = nn.AdaptiveMaxPool3d(1, return_indices=True)(x)
    assert out.tolist() == [[[[[7.0]]]]] and idx.tolist() == [[[[[7]]]]]
    with pytest.raises(ShapeError, match=r"adaptive_max_pool3d: input must be 4-D"):
        F.adaptive_max_pool3d(x[0, 0, 0], 1)
