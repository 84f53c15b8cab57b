"""Convolutions composed from the 2-D ones of ops/conv.py: ``conv3d`` and
``conv_transpose1d``.

``conv_transpose1d`` is conv_transpose2d over an image of height 1 (as conv1d is conv2d's),
with its arguments checked in 1-D terms.

Note [conv3d as depth-sliced conv2d]
~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
For kernel depth position kd, every output depth od reads input depth
od * sD + kd * dD, so the input depths kd sees form one strided slice of the padded input
(the 1-D case of Note [im2col by kernel position] in ops/conv.py). Folding those output
depths into the batch turns the slice into a stack of images, and conv2d with the kernel's
kd-th plane gives kd's share of every output:

    out[n, :, od] = sum_kd conv2d(x_pad[n, :, od * sD + kd * dD], w[:, :, kd])

So conv3d is kD conv2d calls on reshaped slices, summed: conv2d's im2col machinery does the
work, and the gradients (input, weight, bias) follow from conv2d, slicing, reshaping and
padding without a Function of its own. Padding (int, triple, 'same' or 'valid') is applied
once, up front, with ``pad``.

This module imports no array library.
"""

from __future__ import annotations

from collections.abc import Sequence

from nanotorch.errors import ShapeError
from nanotorch.ops.conv import (
    check_groups,
    check_output_padding,
    check_rank,
    check_tensor,
    check_weight_and_bias,
    conv2d,
    conv_padding,
    conv_transpose2d,
    non_negative,
    positive,
)
from nanotorch.ops.padding import pad
from nanotorch.tensor import Tensor

# What this family exports; nanotorch.<name> and the op-spec tests derive from it
# (Note [Op registry] in ops/__init__.py).
OPS = ("conv3d", "conv_transpose1d")


def _check(op: str, x: Tensor, weight: Tensor, bias: Tensor | None, groups: int) -> bool:
    """Shapes and channels; True when ``x`` is unbatched (C, D, H, W)."""
    check_tensor(op, "input", x)
    unbatched = check_rank(op, x, 3)
    check_weight_and_bias(op, x, weight, bias, 3, transposed=False)
    c_in, c_out = x.shape[-4], weight.shape[0]
    if c_in % groups or c_out % groups:
        raise ValueError(
            f"{op}: groups={groups} must divide the {c_in} input channels (input shape "
            f"{tuple(x.shape)}) and the {c_out} output channels (weight shape "
            f"{tuple(weight.shape)}); choose groups dividing both channel counts"
        )
    if weight.shape[1] * groups != c_in:
        raise ShapeError(
            f"{op}: input has {c_in} channels (input shape {tuple(x.shape)}) but weight of "
            f"shape {tuple(weight.shape)} expects {weight.shape[1]} * groups = "
            f"{weight.shape[1] * groups}; check in_channels (and that the input is "
            "channels-first, N C D H W)"
        )
    return unbatched


def conv3d(
    input: Tensor,  # noqa: A002 - PyTorch's name
    weight: Tensor,
    bias: Tensor | None = None,
    stride: int | Sequence[int] = 1,
    padding: int | Sequence[int] | str = 0,
    dilation: int | Sequence[int] = 1,
    groups: int = 1,
) -> Tensor:
    """3-D cross-correlation over (N, C_in, D, H, W) or (C_in, D, H, W) with weight
    (C_out, C_in / groups, kD, kH, kW), PyTorch's signature; ``padding`` as in conv2d
    (an int, a triple, ``'same'`` or ``'valid'``). Note [conv3d as depth-sliced conv2d].

    >>> import nanotorch
    >>> x = nanotorch.ones(1, 2, 4, 5, 5)
    >>> nanotorch.conv3d(x, nanotorch.ones(3, 2, 3, 3, 3), padding=1).shape
    (1, 3, 4, 5, 5)
    """
    op = "conv3d"
    groups = check_groups(op, groups)
    unbatched = _check(op, input, weight, bias, groups)
    x = input.unsqueeze(0) if unbatched else input
    where = f" (input shape {tuple(input.shape)})"
    s = positive(op, "stride", stride, 3, where)
    d = positive(op, "dilation", dilation, 3, where)
    kernel = tuple(weight.shape[2:])
    pads = conv_padding(op, padding, kernel, s, d, where)
    padded = tuple(n + lo + hi for n, (lo, hi) in zip(x.shape[2:], pads))
    span = tuple(dd * (k - 1) + 1 for k, dd in zip(kernel, d))
    if any(sp > p for sp, p in zip(span, padded)):
        raise ShapeError(
            f"{op}: kernel {kernel} (spanning {span} with dilation {d}) is larger than the "
            f"padded input {padded}{where}; use a smaller kernel or dilation, or pad more"
        )
    if any(lo or hi for lo, hi in pads):
        (dl, dh), (hl, hh), (wl, wh) = pads
        x = pad(x, (wl, wh, hl, hh, dl, dh))
    n, c = x.shape[:2]
    od = (padded[0] - span[0]) // s[0] + 1
    out = None
    for kd in range(kernel[0]):
        start = kd * d[0]
        depth = x[:, :, start : start + s[0] * (od - 1) + 1 : s[0]]  # (N, C, OD, H', W')
        images = depth.permute(0, 2, 1, 3, 4).reshape(n * od, c, padded[1], padded[2])
        part = conv2d(images, weight[:, :, kd], None, s[1:], 0, d[1:], groups)
        out = part if out is None else out + part
    assert out is not None  # kernel depth >= 1
    out = out.reshape(n, od, *out.shape[1:]).permute(0, 2, 1, 3, 4)
    if bias is not None:
        out = out + bias.reshape(1, -1, 1, 1, 1)
    return out.squeeze(0) if unbatched else out


def conv_transpose1d(
    input: Tensor,  # noqa: A002 - PyTorch's name
    weight: Tensor,
    bias: Tensor | None = None,
    stride: int | Sequence[int] = 1,
    padding: int | Sequence[int] = 0,
    output_padding: int | Sequence[int] = 0,
    groups: int = 1,
    dilation: int | Sequence[int] = 1,
) -> Tensor:
    """Transposed 1-D convolution over (N, C_in, L) or (C_in, L) with weight (C_in,
    C_out / groups, k), PyTorch's signature; output length (L - 1) * stride - 2 * padding +
    dilation * (k - 1) + output_padding + 1. conv_transpose2d over an image of height 1.

    >>> import nanotorch
    >>> x = nanotorch.ones(1, 2, 4)
    >>> nanotorch.conv_transpose1d(x, nanotorch.ones(2, 3, 3), stride=2, padding=1).shape
    (1, 3, 7)
    """
    op = "conv_transpose1d"
    check_tensor(op, "input", input)
    unbatched = check_rank(op, input, 1)
    check_weight_and_bias(op, input, weight, None, 1, transposed=True)  # bias: by 2-d
    where = f" (input shape {tuple(input.shape)})"
    if isinstance(padding, str):
        raise ValueError(f"{op}: padding must be an int or a 1-tuple of ints, got {padding!r}")
    (s,) = positive(op, "stride", stride, 1, where)
    (d,) = positive(op, "dilation", dilation, 1, where)
    (p,) = non_negative(op, "padding", padding, 1, where)
    (o,) = check_output_padding(op, output_padding, (s,), (d,), where)
    x = (input.unsqueeze(0) if unbatched else input).unsqueeze(2)
    out = conv_transpose2d(
        x, weight.unsqueeze(2), bias, (1, s), (0, p), (0, o), groups, (1, d)
    ).squeeze(2)
    return out.squeeze(0) if unbatched else out
