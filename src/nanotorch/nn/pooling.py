"""Pooling layers: ``MaxPool{1,2,3}d``, ``AvgPool{1,2,3}d``, ``AdaptiveAvgPool{1,2,3}d``,
``AdaptiveMaxPool{1,2,3}d`` and ``MaxUnpool{1,2}d``.

Parameter-free modules that hold their hyperparameters and call the functional forms in
``nanotorch.ops.pool`` and ``nanotorch.ops.pool_extra`` (re-exported from
``nanotorch.nn.functional``). Arguments, defaults
(``stride`` defaults to ``kernel_size``) and reprs follow PyTorch; hyperparameters are checked
at construction. Like the rest of the engine, this module imports no array library.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from nanotorch.errors import InvalidArgumentError
from nanotorch.nn.module import Module
from nanotorch.ops.conv import non_negative, positive
from nanotorch.ops.pool import (
    adaptive_avg_pool2d,
    avg_pool2d,
    check_output_size,
    check_pool_args,
    max_pool2d,
)
from nanotorch.ops.pool_extra import (
    adaptive_avg_pool1d,
    adaptive_avg_pool3d,
    adaptive_max_pool1d,
    adaptive_max_pool2d,
    adaptive_max_pool3d,
    avg_pool1d,
    avg_pool3d,
    max_pool1d,
    max_pool3d,
    max_unpool1d,
    max_unpool2d,
)
from nanotorch.tensor import Tensor

# The functional ops this family defines itself (the other pools are core ops re-exported
# by nanotorch.nn.functional); Note [Op registry] in ops/__init__.py.
OPS = ("lp_pool1d", "lp_pool2d", "lp_pool3d", "max_unpool3d")


def max_unpool3d(
    input: Tensor,  # noqa: A002
    indices: Tensor,
    kernel_size: int | Sequence[int],
    stride: int | Sequence[int] | None = None,
    padding: int | Sequence[int] = 0,
    output_size: Sequence[int] | None = None,
) -> Tensor:
    """The partial inverse of ``max_pool3d``: each value goes back to the flat position
    ``indices`` names in its (D, H, W) plane, zeros elsewhere (a scatter; its gradient
    gathers from the same positions). The output size is (in - 1) * stride - 2 * padding +
    kernel_size per dim, or ``output_size``."""
    from nanotorch.creation import zeros
    from nanotorch.ops import scatter

    op = "max_unpool3d"
    if not isinstance(input, Tensor) or not isinstance(indices, Tensor):
        raise TypeError(f"{op}: input and indices must be Tensors")
    if input.ndim not in (4, 5) or tuple(indices.shape) != tuple(input.shape):
        raise ValueError(
            f"{op}: expected input (N, C, D, H, W) or (C, D, H, W) and indices of the same "
            f"shape, got {tuple(input.shape)} and {tuple(indices.shape)}"
        )
    k = positive(op, "kernel_size", kernel_size, 3)
    s = k if stride is None else positive(op, "stride", stride, 3)
    p = non_negative(op, "padding", padding, 3)
    if output_size is None:
        size = tuple((n - 1) * si - 2 * pi + ki for n, si, pi, ki in zip(input.shape[-3:], s, p, k))
    else:
        size = tuple(int(v) for v in output_size)[-3:]
    lead = tuple(input.shape[:-3])
    flat_in = input.reshape(*lead, -1)
    base = zeros((*lead, size[0] * size[1] * size[2]), dtype=input.dtype, device=input.device)
    out = scatter(base, input.ndim - 3, indices.reshape(*lead, -1), flat_in)
    return out.reshape(*lead, *size)


def _lp_pool(
    fn: Any,
    n: int,
    input: Tensor,
    p: float,
    kernel_size: Any,
    stride: Any,  # noqa: A002
    ceil_mode: bool,
) -> Tensor:
    """(sum over each window of x^p)^(1/p): an average pool of x^p times the window size."""
    if isinstance(p, bool) or not isinstance(p, (int, float)) or not p > 0:
        raise ValueError(f"lp_pool{n}d: norm_type must be a positive number, got {p!r}")
    k = (kernel_size,) * n if isinstance(kernel_size, int) else tuple(kernel_size)
    size = 1
    for v in k:
        size *= v
    return (fn(input**p, k, stride, 0, ceil_mode) * size) ** (1.0 / p)


def lp_pool1d(
    input: Tensor,  # noqa: A002
    norm_type: float,
    kernel_size: int,
    stride: int | None = None,
    ceil_mode: bool = False,
) -> Tensor:
    """Power-average pooling over windows of ``kernel_size``: (sum x^p)^(1/p)."""
    return _lp_pool(avg_pool1d, 1, input, norm_type, kernel_size, stride, ceil_mode)


def lp_pool2d(
    input: Tensor,  # noqa: A002
    norm_type: float,
    kernel_size: int | Sequence[int],
    stride: int | Sequence[int] | None = None,
    ceil_mode: bool = False,
) -> Tensor:
    """``lp_pool1d`` over (kH, kW) windows."""
    return _lp_pool(avg_pool2d, 2, input, norm_type, kernel_size, stride, ceil_mode)


def lp_pool3d(
    input: Tensor,  # noqa: A002
    norm_type: float,
    kernel_size: int | Sequence[int],
    stride: int | Sequence[int] | None = None,
    ceil_mode: bool = False,
) -> Tensor:
    """``lp_pool1d`` over (kD, kH, kW) windows."""
    return _lp_pool(avg_pool3d, 3, input, norm_type, kernel_size, stride, ceil_mode)


# Note [Pooling module bases]
# ~~~~~~~~~~~~~~~~~~~~~~~~~~~~
# As in PyTorch, each public pooling module is a docstring plus two class attributes on a
# small base that holds the constructor, ``forward`` and ``extra_repr`` once: ``_fn`` is the
# functional form it calls and ``_check`` validates the hyperparameters at construction (each
# dimensionality checks them its own way, with the error messages its tests pin).
def _single(op: str, name: str, value: Any) -> tuple[int, ...]:
    return positive(op, name, value, 1)


def _check_1d(name: str, kernel_size: Any, stride: Any, padding: Any, dilation: Any) -> None:
    k = _single(name, "kernel_size", kernel_size)
    p = non_negative(name, "padding", padding, 1)
    _single(name, "dilation", dilation)
    if stride is not None:
        _single(name, "stride", stride)
    if p[0] > k[0] // 2:
        raise InvalidArgumentError(  # a RuntimeError too, as PyTorch raises
            f"{name}: padding {padding} must be at most half of kernel_size {kernel_size}"
        )


def _check_3d(name: str, kernel_size: Any, stride: Any, padding: Any, dilation: Any) -> None:
    positive(name, "kernel_size", kernel_size, 3)
    non_negative(name, "padding", padding, 3)
    positive(name, "dilation", dilation, 3)
    if stride is not None:
        positive(name, "stride", stride, 3)


def _check_output_1d(name: str, output_size: Any) -> None:
    _single(name, "output_size", output_size)


def _no_check(name: str, output_size: Any) -> None:
    """Adaptive 3-d pools leave ``output_size`` to the functional form."""


class _MaxPoolNd(Module):
    _fn: Any
    _check: Any

    def __init__(
        self,
        kernel_size: int | Sequence[int],
        stride: int | Sequence[int] | None = None,
        padding: int | Sequence[int] = 0,
        dilation: int | Sequence[int] = 1,
        return_indices: bool = False,
        ceil_mode: bool = False,
    ) -> None:
        super().__init__()
        type(self)._check(type(self).__name__, kernel_size, stride, padding, dilation)
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.dilation = padding, dilation
        self.return_indices, self.ceil_mode = return_indices, ceil_mode

    def forward(self, input: Tensor) -> Any:  # noqa: A002 - PyTorch's name
        return type(self)._fn(
            input,
            self.kernel_size,
            self.stride,
            self.padding,
            self.dilation,
            self.ceil_mode,
            self.return_indices,
        )

    def extra_repr(self) -> str:
        return (
            f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
            f"dilation={self.dilation}, ceil_mode={self.ceil_mode}"
        )


class _AvgPoolNd(Module):
    _fn: Any
    _check: Any

    def __init__(
        self,
        kernel_size: int | Sequence[int],
        stride: int | Sequence[int] | None = None,
        padding: int | Sequence[int] = 0,
        ceil_mode: bool = False,
        count_include_pad: bool = True,
        divisor_override: int | None = None,
    ) -> None:
        super().__init__()
        type(self)._check(type(self).__name__, kernel_size, stride, padding, 1)
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.ceil_mode = padding, ceil_mode
        self.count_include_pad, self.divisor_override = count_include_pad, divisor_override

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - PyTorch's name
        return type(self)._fn(
            input,
            self.kernel_size,
            self.stride,
            self.padding,
            self.ceil_mode,
            self.count_include_pad,
            self.divisor_override,
        )

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class _AdaptiveAvgPoolNd(Module):
    _fn: Any
    _check: Any = staticmethod(_no_check)

    def __init__(self, output_size: int | None | Sequence[int | None]) -> None:
        super().__init__()
        type(self)._check(type(self).__name__, output_size)
        self.output_size = output_size

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - PyTorch's name
        return type(self)._fn(input, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class _AdaptiveMaxPoolNd(_AdaptiveAvgPoolNd):
    def __init__(
        self, output_size: int | None | Sequence[int | None], return_indices: bool = False
    ) -> None:
        super().__init__(output_size)
        self.return_indices = return_indices

    def forward(self, input: Tensor) -> Any:  # noqa: A002 - PyTorch's name
        return type(self)._fn(input, self.output_size, self.return_indices)


class MaxPool2d(_MaxPoolNd):
    """Max over kernel_size windows: ``F.max_pool2d`` with these hyperparameters.

    >>> from nanotorch import nn
    >>> nn.MaxPool2d(2)
    MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)
    """

    _fn = staticmethod(max_pool2d)
    _check = staticmethod(check_pool_args)


class AvgPool2d(_AvgPoolNd):
    """Mean over kernel_size windows: ``F.avg_pool2d`` with these hyperparameters.

    >>> from nanotorch import nn
    >>> nn.AvgPool2d(2)
    AvgPool2d(kernel_size=2, stride=2, padding=0)
    """

    _fn = staticmethod(avg_pool2d)
    _check = staticmethod(check_pool_args)


class AdaptiveAvgPool2d(_AdaptiveAvgPoolNd):
    """Average over adaptive bins to a fixed ``output_size`` (None keeps that input size):
    ``F.adaptive_avg_pool2d``. ``AdaptiveAvgPool2d(1)`` is global average pooling.

    >>> from nanotorch import nn
    >>> nn.AdaptiveAvgPool2d((1, 1))
    AdaptiveAvgPool2d(output_size=(1, 1))
    """

    _fn = staticmethod(adaptive_avg_pool2d)
    _check = staticmethod(check_output_size)


# ---------------------------------------------------------------------------- 1-D, 3-D,
# adaptive max, unpooling (their functional forms live in nanotorch.ops.pool_extra)
class MaxPool1d(_MaxPoolNd):
    """Max over windows of length kernel_size: ``F.max_pool1d`` with these hyperparameters.

    >>> from nanotorch import nn
    >>> nn.MaxPool1d(3, stride=2)
    MaxPool1d(kernel_size=3, stride=2, padding=0, dilation=1, ceil_mode=False)
    """

    _fn = staticmethod(max_pool1d)
    _check = staticmethod(_check_1d)


class AvgPool1d(_AvgPoolNd):
    """Mean over windows of length kernel_size: ``F.avg_pool1d``. Sizes are kept as 1-tuples,
    as PyTorch keeps them, and there is no ``divisor_override`` (PyTorch has none here).

    >>> from nanotorch import nn
    >>> nn.AvgPool1d(3, stride=2)
    AvgPool1d(kernel_size=(3,), stride=(2,), padding=(0,))
    """

    def __init__(
        self,
        kernel_size: int | Sequence[int],
        stride: int | Sequence[int] | None = None,
        padding: int | Sequence[int] = 0,
        ceil_mode: bool = False,
        count_include_pad: bool = True,
    ) -> None:
        Module.__init__(self)
        name = type(self).__name__
        self.kernel_size = _single(name, "kernel_size", kernel_size)
        self.stride = self.kernel_size if stride is None else _single(name, "stride", stride)
        self.padding = non_negative(name, "padding", padding, 1)
        if self.padding[0] > self.kernel_size[0] // 2:
            raise InvalidArgumentError(
                f"{name}: padding {self.padding} must be at most half of kernel_size "
                f"{self.kernel_size}"
            )
        self.ceil_mode, self.count_include_pad = ceil_mode, count_include_pad

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - PyTorch's name
        return avg_pool1d(
            input,
            self.kernel_size,
            self.stride,
            self.padding,
            self.ceil_mode,
            self.count_include_pad,
        )


class AdaptiveAvgPool1d(_AdaptiveAvgPoolNd):
    """Average over adaptive bins of the last dim: ``F.adaptive_avg_pool1d``.

    >>> from nanotorch import nn
    >>> nn.AdaptiveAvgPool1d(4)
    AdaptiveAvgPool1d(output_size=4)
    """

    _fn = staticmethod(adaptive_avg_pool1d)
    _check = staticmethod(_check_output_1d)


class AdaptiveMaxPool1d(_AdaptiveMaxPoolNd):
    """Max over adaptive bins of the last dim: ``F.adaptive_max_pool1d``.

    >>> from nanotorch import nn
    >>> nn.AdaptiveMaxPool1d(4)
    AdaptiveMaxPool1d(output_size=4)
    """

    _fn = staticmethod(adaptive_max_pool1d)
    _check = staticmethod(_check_output_1d)


class AdaptiveMaxPool2d(_AdaptiveMaxPoolNd):
    """Max over adaptive bins to a fixed ``output_size`` (None keeps that input size):
    ``F.adaptive_max_pool2d``.

    >>> from nanotorch import nn
    >>> nn.AdaptiveMaxPool2d((5, None))
    AdaptiveMaxPool2d(output_size=(5, None))
    """

    _fn = staticmethod(adaptive_max_pool2d)
    _check = staticmethod(check_output_size)


class MaxPool3d(_MaxPoolNd):
    """Max over kD x kH x kW windows: ``F.max_pool3d`` with these hyperparameters.

    >>> from nanotorch import nn
    >>> nn.MaxPool3d(2)
    MaxPool3d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)
    """

    _fn = staticmethod(max_pool3d)
    _check = staticmethod(_check_3d)


class AvgPool3d(_AvgPoolNd):
    """Mean over kD x kH x kW windows: ``F.avg_pool3d`` with these hyperparameters.

    >>> from nanotorch import nn
    >>> nn.AvgPool3d(2)
    AvgPool3d(kernel_size=2, stride=2, padding=0)
    """

    _fn = staticmethod(avg_pool3d)
    _check = staticmethod(_check_3d)


class AdaptiveAvgPool3d(_AdaptiveAvgPoolNd):
    """Average over adaptive bins of the last three dims: ``F.adaptive_avg_pool3d``.

    >>> from nanotorch import nn
    >>> nn.AdaptiveAvgPool3d((1, 2, None))
    AdaptiveAvgPool3d(output_size=(1, 2, None))
    """

    _fn = staticmethod(adaptive_avg_pool3d)


class AdaptiveMaxPool3d(_AdaptiveMaxPoolNd):
    """Max over adaptive bins of the last three dims: ``F.adaptive_max_pool3d``.

    >>> from nanotorch import nn
    >>> nn.AdaptiveMaxPool3d(2)
    AdaptiveMaxPool3d(output_size=2)
    """

    _fn = staticmethod(adaptive_max_pool3d)


class _MaxUnpoolNd(Module):
    _nd = 2
    _fn: Any

    def __init__(
        self,
        kernel_size: int | Sequence[int],
        stride: int | Sequence[int] | None = None,
        padding: int | Sequence[int] = 0,
    ) -> None:
        super().__init__()
        name, nd = type(self).__name__, self._nd
        self.kernel_size = positive(name, "kernel_size", kernel_size, nd)
        self.stride = self.kernel_size if stride is None else positive(name, "stride", stride, nd)
        self.padding = non_negative(name, "padding", padding, nd)

    def forward(
        self,
        input: Tensor,  # noqa: A002 - PyTorch's name
        indices: Tensor,
        output_size: Sequence[int] | None = None,
    ) -> Tensor:
        return type(self)._fn(
            input, indices, self.kernel_size, self.stride, self.padding, output_size
        )

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxUnpool2d(_MaxUnpoolNd):
    """The partial inverse of ``MaxPool2d``: ``F.max_unpool2d``; ``forward(input, indices,
    output_size=None)``.

    >>> from nanotorch import nn
    >>> nn.MaxUnpool2d(2)
    MaxUnpool2d(kernel_size=(2, 2), stride=(2, 2), padding=(0, 0))
    """

    _fn = staticmethod(max_unpool2d)


class MaxUnpool3d(_MaxUnpoolNd):
    """The partial inverse of ``MaxPool3d``: ``F.max_unpool3d``."""

    _nd = 3
    _fn = staticmethod(max_unpool3d)


class MaxUnpool1d(_MaxUnpoolNd):
    """The partial inverse of ``MaxPool1d``: ``F.max_unpool1d``.

    >>> from nanotorch import nn
    >>> nn.MaxUnpool1d(2)
    MaxUnpool1d(kernel_size=(2,), stride=(2,), padding=(0,))
    """

    _nd = 1
    _fn = staticmethod(max_unpool1d)


class _LPPoolNd(Module):
    _fn: Any

    def __init__(
        self,
        norm_type: float,
        kernel_size: Any,
        stride: Any = None,
        ceil_mode: bool = False,
    ) -> None:
        super().__init__()
        self.norm_type, self.kernel_size = norm_type, kernel_size
        self.stride, self.ceil_mode = stride, ceil_mode

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - PyTorch's name
        return type(self)._fn(input, self.norm_type, self.kernel_size, self.stride, self.ceil_mode)

    def extra_repr(self) -> str:
        return (
            f"norm_type={self.norm_type}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}, ceil_mode={self.ceil_mode}"
        )


class LPPool1d(_LPPoolNd):
    """``F.lp_pool1d``: (sum over each window of x^p)^(1/p)."""

    _fn = staticmethod(lp_pool1d)


class LPPool2d(_LPPoolNd):
    """``F.lp_pool2d``: (sum over each window of x^p)^(1/p)."""

    _fn = staticmethod(lp_pool2d)


class LPPool3d(_LPPoolNd):
    """``F.lp_pool3d``: (sum over each window of x^p)^(1/p)."""

    _fn = staticmethod(lp_pool3d)


__all__ = [
    "MaxUnpool3d",
    "LPPool1d",
    "LPPool2d",
    "LPPool3d",
    "AdaptiveAvgPool1d",
    "AdaptiveAvgPool2d",
    "AdaptiveAvgPool3d",
    "AdaptiveMaxPool1d",
    "AdaptiveMaxPool2d",
    "AdaptiveMaxPool3d",
    "AvgPool1d",
    "AvgPool2d",
    "AvgPool3d",
    "MaxPool1d",
    "MaxPool2d",
    "MaxPool3d",
    "MaxUnpool1d",
    "MaxUnpool2d",
]
