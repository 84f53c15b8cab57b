"""``F.max_pool{1,2,3}d_with_indices`` and ``F.adaptive_max_pool{1,2,3}d_with_indices``:
PyTorch's functional names for the max pools that always return ``(values, indices)``.

They are the pools of ``nanotorch.ops`` (ops/pool.py, ops/pool_extra.py) called with
``return_indices=True``; the ``return_indices`` argument PyTorch's signatures carry is accepted
and, as there, changes nothing. Gradients flow to the values; the indices are integers.

Like the rest of the engine, this module imports no array library.
"""

from __future__ import annotations

from collections.abc import Sequence

from nanotorch.ops.pool import max_pool2d
from nanotorch.ops.pool_extra import (
    adaptive_max_pool1d,
    adaptive_max_pool2d,
    adaptive_max_pool3d,
    max_pool1d,
    max_pool3d,
)
from nanotorch.tensor import Tensor

OPS = (
    "max_pool1d_with_indices",
    "max_pool2d_with_indices",
    "max_pool3d_with_indices",
    "adaptive_max_pool1d_with_indices",
    "adaptive_max_pool2d_with_indices",
    "adaptive_max_pool3d_with_indices",
)

Size = int | Sequence[int]


def max_pool1d_with_indices(
    input: Tensor,  # noqa: A002
    kernel_size: Size,
    stride: Size | None = None,
    padding: Size = 0,
    dilation: Size = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> tuple[Tensor, Tensor]:
    """``max_pool1d`` returning ``(values, indices)``."""
    return max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, True)  # type: ignore[return-value]


def max_pool2d_with_indices(
    input: Tensor,  # noqa: A002
    kernel_size: Size,
    stride: Size | None = None,
    padding: Size = 0,
    dilation: Size = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> tuple[Tensor, Tensor]:
    """``max_pool2d`` returning ``(values, indices)`` (flat positions in each H x W plane).

    >>> import nanotorch
    >>> x = nanotorch.arange(16.0).reshape(1, 1, 4, 4)
    >>> v, i = nanotorch.nn.functional.max_pool2d_with_indices(x, 2)
    >>> v.tolist(), i.tolist()
    ([[[[5.0, 7.0], [13.0, 15.0]]]], [[[[5, 7], [13, 15]]]])
    """
    return max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, True)  # type: ignore[return-value]


def max_pool3d_with_indices(
    input: Tensor,  # noqa: A002
    kernel_size: Size,
    stride: Size | None = None,
    padding: Size = 0,
    dilation: Size = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> tuple[Tensor, Tensor]:
    """``max_pool3d`` returning ``(values, indices)``."""
    return max_pool3d(input, kernel_size, stride, padding, dilation, ceil_mode, True)  # type: ignore[return-value]


def adaptive_max_pool1d_with_indices(
    input: Tensor,  # noqa: A002
    output_size: Size,
    return_indices: bool = False,
) -> tuple[Tensor, Tensor]:
    """``adaptive_max_pool1d`` returning ``(values, indices)``."""
    return adaptive_max_pool1d(input, output_size, True)  # type: ignore[return-value]


def adaptive_max_pool2d_with_indices(
    input: Tensor,  # noqa: A002
    output_size: int | None | Sequence[int | None],
    return_indices: bool = False,
) -> tuple[Tensor, Tensor]:
    """``adaptive_max_pool2d`` returning ``(values, indices)``."""
    return adaptive_max_pool2d(input, output_size, True)  # type: ignore[return-value]


def adaptive_max_pool3d_with_indices(
    input: Tensor,  # noqa: A002
    output_size: int | None | Sequence[int | None],
    return_indices: bool = False,
) -> tuple[Tensor, Tensor]:
    """``adaptive_max_pool3d`` returning ``(values, indices)``."""
    return adaptive_max_pool3d(input, output_size, True)  # type: ignore[return-value]
