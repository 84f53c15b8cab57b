"""Lazy modules: layers whose input size is read from the first input they see.

``LazyLinear(out_features)`` is a ``Linear`` without ``in_features``; likewise the lazy
convolutions (no ``in_channels``) and norms (no ``num_features``), with PyTorch's names and
arguments. Until the first forward their weights (and running statistics) are
``UninitializedParameter`` / ``UninitializedBuffer`` objects (Note [Uninitialized
parameters] in nn/parameter.py).

Note [Lazy modules]
~~~~~~~~~~~~~~~~~~~
The first call runs ``initialize_parameters(input)``: it reads the size from the input,
materialises each placeholder in place to the eager shape (on the device and in the dtype the
module was built with or moved to), runs the eager class's ``reset_parameters``, and changes
the module's class to the eager one (``cls_to_become``: ``LazyLinear`` becomes ``Linear``).
From then on the module is that class in every respect, state_dict included. Because the
placeholders are the very objects an optimizer built earlier holds, such an optimizer steps
the materialised weights (its per-parameter state is created on the first step anyway).
``load_state_dict`` into a lazy module materialises each placeholder to the loaded shape
instead (nn/module.py); its first forward then only sets the inferred size and changes class.

Each lazy class subclasses its eager class, so the eager ``__init__`` does the argument
checks; it is given a size that passes them (0 features, or ``groups`` channels), and the
placeholders then replace the parameters it made.

Like the rest of the engine, this module imports no array library.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from nanotorch.dtypes import DType
from nanotorch.errors import ShapeError
from nanotorch.nn.conv import (
    Conv1d,
    Conv2d,
    Conv3d,
    ConvTranspose1d,
    ConvTranspose2d,
    ConvTranspose3d,
)
from nanotorch.nn.linear import Linear
from nanotorch.nn.normalization import (
    BatchNorm1d,
    BatchNorm2d,
    BatchNorm3d,
    InstanceNorm1d,
    InstanceNorm2d,
    InstanceNorm3d,
)
from nanotorch.nn.parameter import UninitializedBuffer, UninitializedParameter, is_lazy
from nanotorch.ops._util import int_arg
from nanotorch.tensor import Tensor


class LazyModuleMixin:
    """The first-forward machinery every lazy module shares (Note [Lazy modules])."""

    cls_to_become: type | None = None
    _parameters: dict[str, Any]
    _buffers: dict[str, Any]

    def has_uninitialized_params(self) -> bool:
        """Whether any parameter or buffer of this module is still a placeholder."""
        return any(is_lazy(t) for t in (*self._parameters.values(), *self._buffers.values()))

    def initialize_parameters(self, *args: Any, **kwargs: Any) -> None:
        raise NotImplementedError

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        self.initialize_parameters(*args, **kwargs)
        if self.cls_to_become is not None:
            self.__class__ = self.cls_to_become
        return self.forward(*args, **kwargs)  # the eager class's forward now


def _need_tensor(owner: str, input: Any) -> Tensor:  # noqa: A002
    if not isinstance(input, Tensor):
        raise TypeError(f"{owner}: expected a Tensor input, got {type(input).__name__}")
    return input


class LazyLinear(LazyModuleMixin, Linear):
    """``Linear`` whose ``in_features`` is the last dim of the first input.

    >>> import nanotorch
    >>> from nanotorch import nn
    >>> m = nn.LazyLinear(2)
    >>> m
    LazyLinear(in_features=0, out_features=2, bias=True)
    >>> m(nanotorch.zeros(4, 3)).shape, type(m).__name__, m.weight.shape
    ((4, 2), 'Linear', (2, 3))
    """

    cls_to_become = Linear

    def __init__(
        self,
        out_features: int,
        bias: bool = True,
        device: Any = None,
        dtype: DType | None = None,
    ) -> None:
        super().__init__(0, 0, False, device=device, dtype=dtype)
        self.out_features = int_arg("LazyLinear", "out_features", out_features)
        self.weight = UninitializedParameter(device=device, dtype=dtype)
        if bias:
            self.bias = UninitializedParameter(device=device, dtype=dtype)

    def initialize_parameters(self, input: Tensor, *args: Any, **kwargs: Any) -> None:  # noqa: A002
        input = _need_tensor("LazyLinear", input)
        if input.ndim == 0:
            raise ShapeError("LazyLinear: the input must have at least 1 dim, got a 0-d tensor")
        self.in_features = input.shape[-1]
        if self.has_uninitialized_params():
            self.weight.materialize((self.out_features, self.in_features))
            if self.bias is not None:
                self.bias.materialize((self.out_features,))
            self.reset_parameters()


class _LazyConvMixin(LazyModuleMixin):
    """Lazy convolutions: ``in_channels`` is dim 1 of the first input (dim 0 unbatched)."""

    _nd: int
    transposed: bool
    groups: int
    out_channels: int
    kernel_size: tuple[int, ...]
    bias: Any
    weight: Any

    def _make_lazy(self, out_channels: int, bias: bool, device: Any, dtype: Any) -> None:
        self.in_channels = 0
        self.out_channels = out_channels
        self.weight = UninitializedParameter(device=device, dtype=dtype)
        if bias:
            self.bias = UninitializedParameter(device=device, dtype=dtype)

    def initialize_parameters(self, input: Tensor, *args: Any, **kwargs: Any) -> None:  # noqa: A002
        name = type(self).__name__
        input = _need_tensor(name, input)
        if input.ndim not in (self._nd + 1, self._nd + 2):
            raise ShapeError(
                f"{name}: expected {self._nd + 1}D (unbatched) or {self._nd + 2}D (batched) "
                f"input, got shape {tuple(input.shape)}"
            )
        channels = input.shape[0] if input.ndim == self._nd + 1 else input.shape[1]
        if channels % self.groups:
            raise ValueError(
                f"{name}: in_channels must be divisible by groups; the input of shape "
                f"{tuple(input.shape)} has {channels} channels and groups={self.groups}"
            )
        self.in_channels = channels
        if self.has_uninitialized_params():
            out, g = self.out_channels, self.groups
            if self.transposed:
                shape = (channels, out // g, *self.kernel_size)
            else:
                shape = (out, channels // g, *self.kernel_size)
            self.weight.materialize(shape)
            if self.bias is not None:
                self.bias.materialize((out,))
            self.reset_parameters()


def _lazy_conv_class(eager: type, init: Any) -> type:
    """``Lazy<eager>``: ``eager`` behind ``_LazyConvMixin``, with the constructor ``init``
    (the eager one less ``in_channels``), becoming ``eager`` once its input is seen."""
    doc = (
        f"``{eager.__name__}`` whose ``in_channels`` is read from the first input (dim 1, or "
        "dim 0 unbatched)."
    )
    return type(
        f"Lazy{eager.__name__}",
        (_LazyConvMixin, eager),
        {"__init__": init, "cls_to_become": eager, "__doc__": doc, "__module__": __name__},
    )


def _lazy_conv(eager: type) -> type:
    """The lazy twin of a (non-transposed) convolution class."""

    def __init__(
        self: Any,
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
    ) -> None:
        eager.__init__(
            self,
            groups,
            out_channels,
            kernel_size,
            stride,
            padding,
            dilation,
            groups,
            bias,
            padding_mode,
            device,
            dtype,
        )
        self._make_lazy(out_channels, bias, device, dtype)

    return _lazy_conv_class(eager, __init__)


def _lazy_conv_transpose(eager: type) -> type:
    """The lazy twin of a transposed convolution class."""

    def __init__(
        self: Any,
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
    ) -> None:
        eager.__init__(
            self,
            groups,
            out_channels,
            kernel_size,
            stride,
            padding,
            output_padding,
            groups,
            bias,
            dilation,
            padding_mode,
            device,
            dtype,
        )
        self._make_lazy(out_channels, bias, device, dtype)

    return _lazy_conv_class(eager, __init__)


LazyConv1d = _lazy_conv(Conv1d)
LazyConv2d = _lazy_conv(Conv2d)
LazyConv3d = _lazy_conv(Conv3d)
LazyConvTranspose1d = _lazy_conv_transpose(ConvTranspose1d)
LazyConvTranspose2d = _lazy_conv_transpose(ConvTranspose2d)
LazyConvTranspose3d = _lazy_conv_transpose(ConvTranspose3d)


class _LazyNormMixin(LazyModuleMixin):
    """Lazy batch and instance norms: ``num_features`` is the channel dim of the first input.
    PyTorch's defaults, which for the lazy instance norms are ``affine=True`` and
    ``track_running_stats=True`` (unlike the eager ones)."""

    affine: bool
    track_running_stats: bool
    weight: Any
    bias: Any
    running_mean: Any
    running_var: Any
    _ranks: tuple[int, ...]
    _expected: str

    def __init__(
        self,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        device: Any = None,
        dtype: DType | None = None,
    ) -> None:
        eager: Any = self.cls_to_become
        eager.__init__(self, 0, eps, momentum, affine, track_running_stats, device, dtype)
        if affine:
            self.weight = UninitializedParameter(device=device, dtype=dtype)
            self.bias = UninitializedParameter(device=device, dtype=dtype)
        if track_running_stats:
            self.running_mean = UninitializedBuffer(device=device, dtype=dtype)
            self.running_var = UninitializedBuffer(device=device, dtype=dtype)

    def _channel_dim(self, input: Tensor) -> int:  # noqa: A002
        name = type(self).__name__
        if input.ndim not in self._ranks:
            raise ValueError(
                f"{name}: expected {self._expected} input (got {input.ndim}D input of shape "
                f"{tuple(input.shape)})"
            )
        return 1

    def initialize_parameters(self, input: Tensor, *args: Any, **kwargs: Any) -> None:  # noqa: A002
        input = _need_tensor(type(self).__name__, input)
        self.num_features = input.shape[self._channel_dim(input)]
        if self.has_uninitialized_params():
            for t in (self.weight, self.bias, self.running_mean, self.running_var):
                if t is not None:
                    t.materialize((self.num_features,))
            self.reset_parameters()


class _LazyInstanceNormMixin(_LazyNormMixin):
    _spatial: int

    def _channel_dim(self, input: Tensor) -> int:  # noqa: A002
        rank = self._spatial + 2
        if input.ndim not in (rank - 1, rank):
            raise ValueError(
                f"{type(self).__name__}: expected {rank - 1}D (unbatched) or {rank}D (batched) "
                f"input, got {input.ndim}D of shape {tuple(input.shape)}"
            )
        return 0 if input.ndim == rank - 1 else 1


class LazyBatchNorm1d(_LazyNormMixin, BatchNorm1d):
    """``BatchNorm1d`` whose ``num_features`` is dim 1 of the first input."""

    cls_to_become = BatchNorm1d


class LazyBatchNorm2d(_LazyNormMixin, BatchNorm2d):
    """``BatchNorm2d`` whose ``num_features`` is dim 1 of the first input."""

    cls_to_become = BatchNorm2d


class LazyBatchNorm3d(_LazyNormMixin, BatchNorm3d):
    """``BatchNorm3d`` whose ``num_features`` is dim 1 of the first input."""

    cls_to_become = BatchNorm3d


class LazyInstanceNorm1d(_LazyInstanceNormMixin, InstanceNorm1d):
    """``InstanceNorm1d`` whose ``num_features`` is the channel dim of the first input."""

    cls_to_become = InstanceNorm1d


class LazyInstanceNorm2d(_LazyInstanceNormMixin, InstanceNorm2d):
    """``InstanceNorm2d`` whose ``num_features`` is the channel dim of the first input."""

    cls_to_become = InstanceNorm2d


class LazyInstanceNorm3d(_LazyInstanceNormMixin, InstanceNorm3d):
    """``InstanceNorm3d`` whose ``num_features`` is the channel dim of the first input."""

    cls_to_become = InstanceNorm3d


__all__ = [
    "LazyBatchNorm1d",
    "LazyBatchNorm2d",
    "LazyBatchNorm3d",
    "LazyConv1d",
    "LazyConv2d",
    "LazyConv3d",
    "LazyConvTranspose1d",
    "LazyConvTranspose2d",
    "LazyConvTranspose3d",
    "LazyInstanceNorm1d",
    "LazyInstanceNorm2d",
    "LazyInstanceNorm3d",
    "LazyLinear",
    "LazyModuleMixin",
]
