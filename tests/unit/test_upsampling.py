"""Interpolation behaviour the op specs do not pin: values worked out by hand from PyTorch's
formulas, gradients that accumulate, no host round trips, errors as PyTorch raises them, and
the Upsample layers."""

from __future__ import annotations

import numpy as np
import pytest

import nanotorch as nt
from nanotorch import nn
from nanotorch.nn import functional as F


def _t(a, device, requires_grad=False):
    return nt.tensor(
        np.asarray(a, dtype=np.float64),
        dtype=nt.float64,
        device=device,
        requires_grad=requires_grad,
    )


def test_interpolate_linear_half_pixel_values(device):
    # src = (dst + 0.5) / 2 - 0.5, clamped at 0: -0.25 -> 0, 0.25, 0.75, ..., 3.25 -> the
    # last element (its right neighbour is clamped to itself).
    x = _t([[[1.0, 2.0, 3.0, 4.0]]], device)
    out = F.interpolate(x, size=8, mode="linear")
    assert out.tolist() == [[[1.0, 1.25, 1.75, 2.25, 2.75, 3.25, 3.75, 4.0]]]


def test_interpolate_bicubic_corner_uses_keys_kernel_with_clamped_border(device):
    # Output (0, 0) of a 2x upscale: src = -0.25 in both dims, so t = 0.75 and the taps
    # -2, -1, 0, 1 clamp to 0, 0, 0, 1 with weights k(1.75), k(0.75), k(0.25), k(1.25);
    # only tap 1 is non-zero on arange, weight k(1.25) = -0.10546875 (A = -0.75). With
    # x[r, c] = 4r + c that gives 4 * -0.10546875 - 0.10546875.
    x = _t(np.arange(16.0).reshape(1, 1, 4, 4), device)
    out = F.interpolate(x, scale_factor=2, mode="bicubic")
    assert out.shape == (1, 1, 8, 8)
    assert out[0, 0, 0, 0].item() == pytest.approx(-0.52734375, abs=1e-12)


def test_interpolate_nearest_modes_pick_their_sources(device):
    # 3 -> 5: scale 0.6; nearest floor(0.6 j) = 0 0 1 1 2, nearest-exact
    # floor(0.6 (j + 0.5)) = 0 0 1 2 2.
    x = _t([[[10.0, 20.0, 30.0]]], device)
    assert F.interpolate(x, size=5).tolist() == [[[10.0, 10.0, 20.0, 20.0, 30.0]]]
    exact = F.interpolate(x, size=5, mode="nearest-exact")
    assert exact.tolist() == [[[10.0, 10.0, 20.0, 30.0, 30.0]]]


def test_interpolate_scale_factor_reaches_the_kernel_unless_recomputed(device):
    # 4 * 1.6 -> 6 outputs. The kernel steps by 1 / 1.6 = 0.625 (nearest: 0 0 1 1 2 3)
    # unless recompute_scale_factor, which steps by 4 / 6 (0 0 1 2 2 3).
    x = _t([[[0.0, 1.0, 2.0, 3.0]]], device)
    assert F.interpolate(x, scale_factor=1.6).tolist() == [[[0.0, 0.0, 1.0, 1.0, 2.0, 3.0]]]
    again = F.interpolate(x, scale_factor=1.6, recompute_scale_factor=True)
    assert again.tolist() == [[[0.0, 0.0, 1.0, 2.0, 2.0, 3.0]]]


def test_interpolate_align_corners_maps_corner_to_corner(device):
    x = _t([[[[1.0, 2.0], [3.0, 4.0]]]], device)
    out = F.interpolate(x, size=(3, 3), mode="bilinear", align_corners=True)
    assert out.tolist() == [[[[1.0, 1.5, 2.0], [2.0, 2.5, 3.0], [3.0, 3.5, 4.0]]]]


def test_interpolate_nearest_gradient_accumulates_into_repeated_sources(device):
    x = _t([[[1.0, 2.0]]], device, requires_grad=True)
    F.interpolate(x, size=5).sum().backward()  # sources 0 0 0 1 1 (floor(0.4 j))
    assert x.grad.tolist() == [[[3.0, 2.0]]]


def test_interpolate_keeps_dtype_and_moves_nothing(device):
    x = nt.ones((1, 2, 3, 3), dtype=nt.float32, device=device)
    nt.reset_transfer_stats()
    out = F.interpolate(x, scale_factor=2, mode="bicubic")
    assert nt.transfer_stats().count == 0
    assert out.dtype == nt.float32 and str(out.device) == str(device)


def test_interpolate_nearest_keeps_integer_dtype(device):
    x = nt.tensor([[[1, 2]]], device=device)
    out = F.interpolate(x, scale_factor=2)
    assert out.dtype == nt.int64 and out.tolist() == [[[1, 1, 2, 2]]]


@pytest.mark.parametrize(
    "shape,kwargs,error,pattern",
    [
        ((1, 1, 4), {}, ValueError, r"either size or scale_factor should be defined"),
        ((1, 1, 4), {"size": 2, "scale_factor": 2}, ValueError, r"only one of size or scale"),
        ((1, 1, 4), {"size": (2, 2)}, ValueError, r"same number of spatial dimensions"),
        ((1, 1, 4, 4), {"scale_factor": (2,)}, ValueError, r"scale_factor of shape \[2\]"),
        ((1, 1, 4), {"size": 2, "align_corners": True}, ValueError, r"align_corners option"),
        ((1, 1, 4), {"size": 2, "mode": "bilinear"}, NotImplementedError, r"needs 4D input"),
        ((1, 4), {"size": 2}, NotImplementedError, r"only 3D, 4D and 5D input"),
        ((1, 1, 4), {"size": 2, "mode": "cubic"}, NotImplementedError, r"unknown mode 'cubic'"),
        ((1, 1, 4), {"size": 0}, RuntimeError, r"sizes should be greater than 0"),
        (
            (1, 1, 4, 4),
            {"size": 2, "mode": "bilinear", "antialias": True},
            NotImplementedError,
            r"antialias=True is not supported",
        ),
        (
            (1, 1, 4),
            {"size": 2, "recompute_scale_factor": True},
            ValueError,
            r"recompute_scale_factor is not meaningful with an explicit size",
        ),
    ],
)
def test_interpolate_rejects_bad_arguments_like_pytorch(shape, kwargs, error, pattern, device):
    with pytest.raises(error, match=pattern):
        F.interpolate(nt.zeros(shape, device=device), **kwargs)


def test_interpolate_linear_modes_refuse_integer_input(device):
    with pytest.raises(RuntimeError, match=r"interpolate: mode 'linear' needs a floating input"):
        F.interpolate(nt.tensor([[[1, 2]]], device=device), size=3, mode="linear")


def test_upsample_layers_call_interpolate(device):
    x = _t(np.arange(6.0).reshape(1, 1, 2, 3), device)
    up = nn.Upsample(scale_factor=2, mode="bilinear")
    assert repr(up) == "Upsample(scale_factor=2.0, mode='bilinear')"
    np.testing.assert_array_equal(
        up(x).cpu().numpy(), F.interpolate(x, scale_factor=2.0, mode="bilinear").cpu().numpy()
    )
    near = nn.UpsamplingNearest2d(size=(4, 6))
    assert repr(near) == "UpsamplingNearest2d(size=(4, 6), mode='nearest')"
    np.testing.assert_array_equal(
        near(x).cpu().numpy(), F.interpolate(x, size=(4, 6)).cpu().numpy()
    )
    bil = nn.UpsamplingBilinear2d(scale_factor=2)
    np.testing.assert_array_equal(
        bil(x).cpu().numpy(),
        F.interpolate(x, scale_factor=2.0, mode="bilinear", align_corners=True).cpu().numpy(),
    )


def test_interpolate_accepts_integer_like_sizes(device):
    x = nt.zeros((1, 1, 2, 2), device=device)
    assert F.interpolate(x, size=(np.int64(3), np.int64(4))).shape == (1, 1, 3, 4)
    with pytest.raises(TypeError, match=r"interpolate: size must be an int or a sequence"):
        F.interpolate(x, size=(2.5, 3))
