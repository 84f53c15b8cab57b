"""Padding behaviour the op specs do not pin: gradients that accumulate into mirrored and
repeated elements (worked out by hand), errors as PyTorch raises them, the padding modules,
and ``padding_mode`` on the convolution layers."""

from __future__ import annotations

import numpy as np
import pytest

import nanotorch as nt
from nanotorch import nn
from nanotorch.nn import functional as F
from nanotorch.testing import gradcheck


def _t(a, device, requires_grad=False):
    return nt.tensor(
        np.asarray(a, dtype=np.float64),
        dtype=nt.float64,
        device=device,
        requires_grad=requires_grad,
    )


def test_pad_reflect_gradient_accumulates_into_mirrored_elements(device):
    # [a b c d] reflect-padded by (2, 1) is [c b a b c d c]: b and c appear twice each.
    x = _t([[1.0, 2.0, 3.0, 4.0]], device, requires_grad=True)
    out = F.pad(x, (2, 1), mode="reflect")
    assert out.tolist() == [[3.0, 2.0, 1.0, 2.0, 3.0, 4.0, 3.0]]
    out.sum().backward()
    assert x.grad.tolist() == [[1.0, 2.0, 3.0, 1.0]]


def test_pad_replicate_gradient_accumulates_into_the_edges(device):
    x = _t([[1.0, 2.0, 3.0]], device, requires_grad=True)
    out = F.pad(x, (2, 3), mode="replicate")
    assert out.tolist() == [[1.0, 1.0, 1.0, 2.0, 3.0, 3.0, 3.0, 3.0]]
    out.sum().backward()
    assert x.grad.tolist() == [[3.0, 1.0, 4.0]]


def test_pad_circular_wraps_within_the_cropped_input(device):
    # Crop the first element, then wrap: [b c d] + [b] (PyTorch's circular rule).
    x = _t([[1.0, 2.0, 3.0, 4.0]], device)
    assert F.pad(x, (-1, 1), mode="circular").tolist() == [[2.0, 3.0, 4.0, 2.0]]
    assert F.pad(x, (1, 2), mode="circular").tolist() == [[4.0, 1.0, 2.0, 3.0, 4.0, 1.0, 2.0]]


def test_pad_modes_pass_gradcheck_and_gradgradcheck(device):
    x = _t(np.random.default_rng(0).standard_normal((1, 2, 3, 4)), device, requires_grad=True)
    for mode in ("reflect", "replicate", "circular"):
        gradcheck(lambda t, m=mode: F.pad(t, (2, 1, -1, 2), mode=m), [x])


def test_pad_keeps_dtype_and_device(device):
    x = nt.ones((1, 2, 3), dtype=nt.float32, device=device)
    out = F.pad(x, (1, 1), mode="reflect")
    assert out.dtype == nt.float32 and str(out.device) == str(device)


@pytest.mark.parametrize(
    "shape,pad,kwargs,error,pattern",
    [
        ((1, 2, 3), (1, 2, 3), {}, RuntimeError, r"pad: padding length must be divisible by 2"),
        ((3,), (1, 1, 1, 1), {}, RuntimeError, r"pad: padding length should be less than or"),
        ((1, 1, 3), (3, 0), {"mode": "reflect"}, RuntimeError, r"reflect padding size should be"),
        ((1, 1, 3), (4, 0), {"mode": "circular"}, RuntimeError, r"wrapping around more than"),
        ((1, 1, 3), (-2, -2), {}, RuntimeError, r"negative padding -2 and -2.*negative output"),
        ((1, 3), (1, 1), {"mode": "edge"}, NotImplementedError, r"unrecognised padding mode"),
        ((3,), (1, 1), {"mode": "reflect"}, NotImplementedError, r"Only 2D, 3D, 4D, 5D"),
        ((1, 1, 3, 3), (1, 1), {"mode": "replicate"}, NotImplementedError, r"shape \(1, 1, 3"),
        ((1, 3), (1, 1), {"mode": "reflect", "value": 2.0}, RuntimeError, r"doesn't take in val"),
        ((1, 3), 1, {}, TypeError, r"pad: pad must be a sequence of ints"),
    ],
)
def test_pad_rejects_bad_arguments_like_pytorch(shape, pad, kwargs, error, pattern, device):
    with pytest.raises(error, match=pattern):
        F.pad(nt.zeros(shape, device=device), pad, **kwargs)


@pytest.mark.parametrize(
    "module,mode,pad",
    [
        (nn.ReflectionPad1d(2), "reflect", (2, 2)),
        (nn.ReflectionPad2d((1, 0, 2, 1)), "reflect", (1, 0, 2, 1)),
        (nn.ReplicationPad1d((1, 3)), "replicate", (1, 3)),
        (nn.ReplicationPad2d(1), "replicate", (1, 1, 1, 1)),
        (nn.CircularPad1d(1), "circular", (1, 1)),
        (nn.CircularPad2d((1, 2, 0, 1)), "circular", (1, 2, 0, 1)),
        (nn.ZeroPad1d((1, 2)), "constant", (1, 2)),
        (nn.ZeroPad2d(1), "constant", (1, 1, 1, 1)),
    ],
)
def test_padding_modules_call_pad_with_their_widths(module, mode, pad, device):
    x = _t(np.arange(2 * 3 * 4.0).reshape(1, 2, 3, 4), device)
    if len(pad) == 2:
        x = x[0]
    assert module.padding == pad
    np.testing.assert_array_equal(module(x).cpu().numpy(), F.pad(x, pad, mode=mode).cpu().numpy())


def test_constant_pad_modules_fill_with_their_value(device):
    x = nt.zeros((1, 2), device=device)
    assert nn.ConstantPad1d((1, 0), 3.5)(x).tolist() == [[3.5, 0.0, 0.0]]
    assert nn.ConstantPad2d(1, -1.0)(x).tolist() == [[-1.0] * 4, [-1.0, 0.0, 0.0, -1.0], [-1.0] * 4]
    assert repr(nn.ConstantPad2d(1, -1.0)) == "ConstantPad2d(padding=(1, 1, 1, 1), value=-1.0)"
    assert repr(nn.ReflectionPad2d(2)) == "ReflectionPad2d((2, 2, 2, 2))"


def test_padding_modules_reject_bad_padding():
    with pytest.raises(ValueError, match=r"ReflectionPad2d: padding must be an int or 4 ints"):
        nn.ReflectionPad2d((1, 2))


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize("padding", [1, (2, 1), "same"])
def test_conv2d_padding_mode_pads_the_input_then_convolves(mode, padding, device):
    nt.manual_seed(0)
    conv = nn.Conv2d(2, 3, (3, 2), padding=padding, padding_mode=mode, dtype=nt.float64)
    conv.to(device)
    x = _t(np.random.default_rng(1).standard_normal((2, 2, 5, 6)), device)
    if padding == "same":
        widths = (0, 1, 1, 1)  # kernel (3, 2): total (2, 1), the odd extra after
    else:
        ph, pw = (padding, padding) if isinstance(padding, int) else padding
        widths = (pw, pw, ph, ph)
    expected = F.conv2d(F.pad(x, widths, mode=mode), conv.weight, conv.bias)
    got, want = conv(x).detach().cpu().numpy(), expected.detach().cpu().numpy()
    np.testing.assert_allclose(got, want, rtol=1e-12)
    assert f"padding_mode={mode}" in repr(conv)


def test_conv1d_padding_mode_circular(device):
    nt.manual_seed(0)
    conv = nn.Conv1d(1, 1, 3, padding=1, padding_mode="circular", bias=False, dtype=nt.float64)
    conv.to(device)
    with nt.no_grad():
        conv.weight.copy_(_t([[[1.0, 0.0, 0.0]]], device))
    # The left tap of each window reads the previous element, wrapping around at the start.
    x = _t([[[1.0, 2.0, 3.0, 4.0]]], device)
    assert conv(x).tolist() == [[[4.0, 1.0, 2.0, 3.0]]]


def test_conv3d_padding_mode_replicate(device):
    nt.manual_seed(0)
    conv = nn.Conv3d(1, 2, 3, padding=(1, 0, 2), padding_mode="replicate", dtype=nt.float64)
    conv.to(device)
    x = _t(np.random.default_rng(2).standard_normal((1, 1, 3, 4, 3)), device)
    expected = F.conv3d(F.pad(x, (2, 2, 0, 0, 1, 1), mode="replicate"), conv.weight, conv.bias)
    got, want = conv(x).detach().cpu().numpy(), expected.detach().cpu().numpy()
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_pad_integer_tensors_and_integer_like_widths(device):
    x = nt.tensor([[1, 2, 3]], device=device)
    assert F.pad(x, (1, 1)).tolist() == [[0, 1, 2, 3, 0]]
    assert F.pad(x, (np.int64(2), 0), mode="reflect").tolist() == [[3, 2, 1, 2, 3]]
    assert F.pad(x, (1, 0), value=7).dtype == nt.int64


@pytest.mark.parametrize("value", ["x", [1.0], True])
def test_pad_refuses_a_value_that_is_not_a_number(value):
    with pytest.raises(TypeError, match=r"pad: value must be a number"):
        nt.nn.functional.pad(nt.ones(2, 3), (1, 1), value=value)
