"""Convolution layers: ``Conv1d``, ``Conv2d``, ``Conv3d``, ``ConvTranspose1d``,
``ConvTranspose2d`` and ``ConvTranspose3d`` (with its functional form ``conv_transpose3d``).

Each module owns a weight (and optional bias) and calls its functional form in
``nanotorch.ops.conv`` (re-exported as ``nanotorch.nn.functional.conv2d`` and friends).
Arguments, defaults, weight layouts, initialisation and reprs follow PyTorch, so model code
and checkpoints carry over:

- ``Conv{1,2,3}d`` weight: (out_channels, in_channels / groups, *kernel_size);
- ``ConvTranspose{1,2,3}d`` weight: (in_channels, out_channels / groups, *kernel_size);
- weight ~ ``kaiming_uniform_(a=sqrt(5))``, bias ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)), with
  fan_in computed from the weight as PyTorch does (dim 1 times the kernel size).

Hyperparameters are checked at construction, so a bad layer fails where it is built, with the
module's name in the message. Like the rest of the engine, this module imports no array
library.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from nanotorch.creation import empty, zeros
from nanotorch.dtypes import DType
from nanotorch.errors import ShapeError
from nanotorch.nn import init
from nanotorch.nn.linear import check_same_place
from nanotorch.nn.module import Module
from nanotorch.nn.parameter import Parameter
from nanotorch.ops.conv import (
    check_groups,
    check_output_padding,
    conv1d,
    conv2d,
    conv_padding,
    conv_transpose2d,
    non_negative,
    positive,
)
from nanotorch.ops.conv_extra import conv3d, conv_transpose1d
from nanotorch.ops.padding import pad
from nanotorch.ops.shape import cat
from nanotorch.random import Generator
from nanotorch.tensor import Tensor

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")

# The functional op this family defines itself (the other convolutions are core ops);
# Note [Op registry] in ops/__init__.py.
OPS = ("conv_transpose3d",)


def conv_transpose3d(
    input: Tensor,  # noqa: A002 - PyTorch's name
    weight: Tensor,
    bias: Tensor | None = None,
    stride: int | Sequence[int] = 1,
    padding: int | Sequence[int] = 0,
    output_padding: int | Sequence[int] = 0,
    groups: int = 1,
    dilation: int | Sequence[int] = 1,
) -> Tensor:
    """Transposed 3-D convolution over (N, C_in, D, H, W) or (C_in, D, H, W) with weight
    (C_in, C_out / groups, kD, kH, kW), PyTorch's signature; each output size is
    (in - 1) * stride - 2 * padding + dilation * (k - 1) + output_padding + 1.

    Composite, by depth: every input depth slice goes through ``conv_transpose2d`` with every
    depth tap kd of the kernel, and the result lands at depth i * stride + kd * dilation of
    the uncropped output; the depth padding is then cropped off both ends. The gradients come
    from those ops.

    >>> import nanotorch
    >>> import nanotorch.nn.functional as F
    >>> F.conv_transpose3d(nanotorch.ones(1, 2, 2, 3, 3), nanotorch.ones(2, 4, 2, 2, 2),
    ...                    stride=2).shape
    (1, 4, 4, 6, 6)
    """
    op = "conv_transpose3d"
    check_same_place(op, input, weight=weight, bias=bias)
    if input.ndim not in (4, 5) or weight.ndim != 5:
        raise ShapeError(
            f"{op}: expected input (N, C_in, D, H, W) or (C_in, D, H, W) and weight (C_in, "
            f"C_out / groups, kD, kH, kW), got input {tuple(input.shape)} and weight "
            f"{tuple(weight.shape)}"
        )
    unbatched = input.ndim == 4
    x = input.unsqueeze(0) if unbatched else input
    groups = check_groups(op, groups)
    where = f" (input shape {tuple(input.shape)})"
    s = positive(op, "stride", stride, 3, where)
    d = positive(op, "dilation", dilation, 3, where)
    p = non_negative(op, "padding", padding, 3, where)
    o = check_output_padding(op, output_padding, s, d, where)
    n, c_in, depth, h, w = x.shape
    if weight.shape[0] != c_in or c_in % groups:
        raise ShapeError(
            f"{op}: input has {c_in} channels (input shape {tuple(input.shape)}) but weight "
            f"{tuple(weight.shape)} expects {weight.shape[0]}, with groups={groups} dividing it"
        )
    k_d = weight.shape[2]
    full = (depth - 1) * s[0] + d[0] * (k_d - 1) + 1 + o[0]
    if full - 2 * p[0] <= 0:
        raise ShapeError(f"{op}: padding {p} leaves no output depth{where}")
    slices = x.permute(0, 2, 1, 3, 4).reshape(n * depth, c_in, h, w)
    out: Tensor | None = None
    for kd in range(k_d):
        y = conv_transpose2d(slices, weight[:, :, kd], None, s[1:], p[1:], o[1:], groups, d[1:])
        y = y.reshape(n, depth, *y.shape[1:])  # (N, D, C_out, H', W')
        if s[0] > 1:  # slice i goes to depth i * stride: zeros between the slices
            gap = zeros((n, depth, s[0] - 1, *y.shape[2:]), dtype=y.dtype, device=y.device)
            spread = cat([y.unsqueeze(2), gap], dim=2).reshape(n, depth * s[0], *y.shape[2:])
            y = spread[:, : (depth - 1) * s[0] + 1]
        start = kd * d[0]
        y = pad(y, (0, 0, 0, 0, 0, 0, start, full - start - y.shape[1]))
        out = y if out is None else out + y
    assert out is not None  # k_d >= 1
    result = out[:, p[0] : full - p[0]].permute(0, 2, 1, 3, 4)
    if bias is not None:
        result = result + bias.reshape(1, -1, 1, 1, 1)
    return result.squeeze(0) if unbatched else result


class _ConvNd(Module):
    """What the convolution layers share: argument checks, parameters, init and repr."""

    _nd = 2
    transposed = False

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | Sequence[int],
        stride: int | Sequence[int],
        padding: int | Sequence[int] | str,
        dilation: int | Sequence[int],
        groups: int,
        bias: bool,
        padding_mode: str,
        output_padding: int | Sequence[int],
        device: Any,
        dtype: DType | None,
        generator: Generator | None,
    ) -> None:
        super().__init__()
        name, nd = type(self).__name__, self._nd
        for arg, value in (("in_channels", in_channels), ("out_channels", out_channels)):
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ValueError(f"{name}: {arg} must be a positive int, got {value!r}")
        check_groups(name, groups)
        for arg, value in (("in_channels", in_channels), ("out_channels", out_channels)):
            if value % groups:
                raise ValueError(
                    f"{name}: {arg}={value} must be divisible by groups={groups}; choose "
                    "groups dividing both channel counts"
                )
        self.kernel_size = positive(name, "kernel_size", kernel_size, nd)
        self.stride = positive(name, "stride", stride, nd)
        self.dilation = positive(name, "dilation", dilation, nd)
        if self.transposed and isinstance(padding, str):
            raise ValueError(f"{name}: padding must be an int or a pair of ints, got {padding!r}")
        conv_padding(name, padding, self.kernel_size, self.stride, self.dilation)
        self.padding = (
            padding if isinstance(padding, str) else non_negative(name, "padding", padding, nd)
        )
        self.output_padding = check_output_padding(name, output_padding, self.stride, self.dilation)
        if padding_mode not in _PADDING_MODES:
            raise ValueError(
                f"{name}: padding_mode must be one of {_PADDING_MODES}, but got "
                f"padding_mode={padding_mode!r}"
            )
        if self.transposed and padding_mode != "zeros":
            raise ValueError(
                f"{name}: only 'zeros' padding mode is supported, got "
                f"padding_mode={padding_mode!r}; pad the input with F.pad first"
            )
        self.in_channels, self.out_channels = in_channels, out_channels
        self.groups, self.padding_mode = groups, padding_mode
        if self.transposed:
            shape = (in_channels, out_channels // groups, *self.kernel_size)
        else:
            shape = (out_channels, in_channels // groups, *self.kernel_size)
        self.weight = Parameter(empty(shape, device=device, dtype=dtype))
        if bias:
            self.bias = Parameter(empty(out_channels, device=device, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters(generator)

    def reset_parameters(self, generator: Generator | None = None) -> None:
        """PyTorch's init: weight ~ kaiming_uniform_(a=sqrt(5)), i.e. U(+-1/sqrt(fan_in)),
        and bias ~ U(+-1/sqrt(fan_in)); ``generator`` makes the draw reproducible."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5), generator=generator)
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0.0
            init.uniform_(self.bias, -bound, bound, generator=generator)

    def extra_repr(self) -> str:
        nd = self._nd
        s = (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}"
        )
        if self.padding != (0,) * nd:
            s += f", padding={self.padding}"
        if self.dilation != (1,) * nd:
            s += f", dilation={self.dilation}"
        if self.output_padding != (0,) * nd:
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


class _Conv(_ConvNd):
    """``Conv1d`` and ``Conv2d``: PyTorch's constructor, and a forward that calls ``_conv``
    (``F.conv1d`` or ``F.conv2d``) with this layer's weight and bias."""

    _conv: Callable[..., Tensor]

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | Sequence[int],
        stride: int | Sequence[int] = 1,
        padding: int | Sequence[int] | str = 0,
        dilation: int | Sequence[int] = 1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        device: Any = None,
        dtype: DType | None = None,
        *,
        generator: Generator | None = None,
    ) -> None:
        super().__init__(
            in_channels,
            out_channels,
            kernel_size,
            stride,
            padding,
            dilation,
            groups,
            bias,
            padding_mode,
            0,
            device,
            dtype,
            generator,
        )

    def _mode_widths(self) -> tuple[int, ...]:
        """F.pad widths (last dim first) for a non-zeros ``padding_mode``: the layer's
        padding on both sides, or for ``'same'`` the odd extra pixel after, as in PyTorch."""
        widths: list[int] = []
        for d in reversed(range(self._nd)):
            if self.padding == "valid":
                lo = hi = 0
            elif self.padding == "same":
                total = self.dilation[d] * (self.kernel_size[d] - 1)
                lo, hi = total // 2, total - total // 2
            else:
                lo = hi = self.padding[d]  # type: ignore[index]
            widths += [lo, hi]
        return tuple(widths)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - PyTorch's name
        conv = type(self)._conv
        # Read the weight once: a parametrized weight (spectral norm) is computed, and its
        # power iteration advanced, at every read (nn/utils/parametrize.py).
        weight = self.weight
        check_same_place(conv.__name__, input, weight=weight, bias=self.bias)
        if self.padding_mode != "zeros":
            # Pad in the chosen mode, then convolve without padding (PyTorch's recipe).
            x = pad(input, self._mode_widths(), mode=self.padding_mode)
            return conv(x, weight, self.bias, self.stride, 0, self.dilation, self.groups)
        return conv(input, weight, self.bias, self.stride, self.padding, self.dilation, self.groups)


class Conv1d(_Conv):
    """1-D convolution over (N, C_in, L) or (C_in, L): ``F.conv1d`` with this layer's
    weight (out_channels, in_channels / groups, k) and bias.

    >>> from nanotorch import nn
    >>> nn.Conv1d(16, 33, 3, stride=2)
    Conv1d(16, 33, kernel_size=(3,), stride=(2,))
    """

    _nd = 1
    _conv = staticmethod(conv1d)


class Conv2d(_Conv):
    """2-D convolution over (N, C_in, H, W) or (C_in, H, W): ``F.conv2d`` with this layer's
    weight (out_channels, in_channels / groups, kH, kW) and bias.

    >>> from nanotorch import nn
    >>> nn.Conv2d(1, 6, 5)
    Conv2d(1, 6, kernel_size=(5, 5), stride=(1, 1))
    """

    _conv = staticmethod(conv2d)


class Conv3d(_Conv):
    """3-D convolution over (N, C_in, D, H, W) or (C_in, D, H, W): ``F.conv3d`` with this
    layer's weight (out_channels, in_channels / groups, kD, kH, kW) and bias.

    >>> from nanotorch import nn
    >>> nn.Conv3d(2, 4, 3, padding=1)
    Conv3d(2, 4, kernel_size=(3, 3, 3), stride=(1, 1, 1), padding=(1, 1, 1))
    """

    _nd = 3
    _conv = staticmethod(conv3d)


class ConvTranspose2d(_ConvNd):
    """Transposed 2-D convolution: ``F.conv_transpose2d`` with this layer's weight
    (in_channels, out_channels / groups, kH, kW) and bias. ``forward(x, output_size)`` picks
    the output_padding that yields ``output_size``, as in PyTorch.

    >>> from nanotorch import nn
    >>> nn.ConvTranspose2d(16, 8, 3, stride=2, output_padding=1)
    ConvTranspose2d(16, 8, kernel_size=(3, 3), stride=(2, 2), output_padding=(1, 1))
    """

    transposed = True
    _conv_t = staticmethod(conv_transpose2d)

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | Sequence[int],
        stride: int | Sequence[int] = 1,
        padding: int | Sequence[int] = 0,
        output_padding: int | Sequence[int] = 0,
        groups: int = 1,
        bias: bool = True,
        dilation: int | Sequence[int] = 1,
        padding_mode: str = "zeros",
        device: Any = None,
        dtype: DType | None = None,
        *,
        generator: Generator | None = None,
    ) -> None:
        super().__init__(
            in_channels,
            out_channels,
            kernel_size,
            stride,
            padding,
            dilation,
            groups,
            bias,
            padding_mode,
            output_padding,
            device,
            dtype,
            generator,
        )

    def _output_padding(self, input: Tensor, output_size: Sequence[int]) -> tuple[int, ...]:  # noqa: A002
        """The output_padding giving ``output_size`` (the spatial sizes or the full shape);
        each size must lie in [smallest, smallest + stride - 1], as in PyTorch."""
        nd = self._nd
        size = tuple(int(v) for v in output_size)[-nd:]
        spatial = tuple(input.shape[-nd:])
        smallest = tuple(
            (n - 1) * s - 2 * p + d * (k - 1) + 1
            for n, s, p, d, k in zip(
                spatial, self.stride, self.padding, self.dilation, self.kernel_size
            )
        )
        largest = tuple(m + s - 1 for m, s in zip(smallest, self.stride))
        if len(size) != nd or any(not lo <= v <= hi for v, lo, hi in zip(size, smallest, largest)):
            raise ValueError(
                f"{type(self).__name__}: output_size {size} cannot come from input shape "
                f"{tuple(input.shape)}: each size must lie between {smallest} and {largest}"
            )
        return tuple(v - lo for v, lo in zip(size, smallest))

    def forward(
        self,
        input: Tensor,  # noqa: A002 - PyTorch's name
        output_size: Sequence[int] | None = None,
    ) -> Tensor:
        conv_t = type(self)._conv_t
        weight = self.weight  # read once, as in _Conv.forward
        check_same_place(conv_t.__name__, input, weight=weight, bias=self.bias)
        output_padding = (
            self.output_padding if output_size is None else self._output_padding(input, output_size)
        )
        return conv_t(
            input,
            weight,
            self.bias,
            self.stride,
            self.padding,
            output_padding,
            self.groups,
            self.dilation,
        )


class ConvTranspose1d(ConvTranspose2d):
    """Transposed 1-D convolution: ``F.conv_transpose1d`` with this layer's weight
    (in_channels, out_channels / groups, k) and bias.

    >>> from nanotorch import nn
    >>> nn.ConvTranspose1d(4, 2, 3, stride=2)
    ConvTranspose1d(4, 2, kernel_size=(3,), stride=(2,))
    """

    _nd = 1
    _conv_t = staticmethod(conv_transpose1d)


class ConvTranspose3d(ConvTranspose2d):
    """Transposed 3-D convolution: ``F.conv_transpose3d`` with this layer's weight
    (in_channels, out_channels / groups, kD, kH, kW) and bias.

    >>> from nanotorch import nn
    >>> nn.ConvTranspose3d(4, 2, 3, stride=2)
    ConvTranspose3d(4, 2, kernel_size=(3, 3, 3), stride=(2, 2, 2))
    """

    _nd = 3
    _conv_t = staticmethod(conv_transpose3d)


__all__ = [
    "Conv1d",
    "Conv2d",
    "Conv3d",
    "ConvTranspose1d",
    "ConvTranspose2d",
    "ConvTranspose3d",
]
