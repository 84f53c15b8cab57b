"""More ways to make a tensor, after PyTorch's: ``asarray`` (with its copy rules),
``range`` (the inclusive, deprecated cousin of ``arange``), ``empty_strided`` and
``empty_permuted`` (whose layouts nanotorch does not keep: Note [Strides of a contiguous
reading] in tensor.py). The signal windows are in ``windows.py``.

Kept apart from ``creation.py`` so that the factories every model uses stay short to read.
"""

from __future__ import annotations

import builtins
import math
from collections.abc import Sequence
from typing import Any

from nanotorch import dtypes as _dt
from nanotorch.backend import device as _device
from nanotorch.creation import DeviceLike, _number, arange, as_tensor, empty, tensor
from nanotorch.errors import InvalidArgumentError
from nanotorch.ops._util import shape_arg
from nanotorch.tensor import Tensor

# This module defines ``range`` (PyTorch's), so Python's is reached by this name.
_builtin_range = builtins.range

__all__ = [
    "asarray",
    "empty_permuted",
    "empty_strided",
    "range",
]


def asarray(
    obj: Any,
    *,
    dtype: Any = None,
    device: DeviceLike = None,
    copy: bool | None = None,
    requires_grad: bool = False,
) -> Tensor:
    """``obj`` as a tensor, sharing memory when it can: a Tensor already of ``dtype`` on
    ``device`` comes back itself, a cpu NumPy array is wrapped. ``copy=True`` always copies;
    ``copy=False`` refuses (ValueError) a Tensor that would need a conversion.

    >>> import nanotorch
    >>> x = nanotorch.tensor([1.0, 2.0])
    >>> nanotorch.asarray(x) is x, nanotorch.asarray(x, copy=True) is x
    (True, False)
    """
    if isinstance(obj, Tensor):
        target_dtype = obj.dtype if dtype is None else _dt.as_dtype(dtype)
        target_device = obj.device if device is None else _device(device)
        converts = target_dtype is not obj.dtype or target_device != obj.device
        if converts and copy is False:
            raise InvalidArgumentError(
                f"asarray: copy=False, but the tensor ({obj.dtype!r} on {obj.device}) needs a "
                f"conversion to {target_dtype!r} on {target_device}; pass copy=None or True"
            )
        out = obj.to(device=target_device, dtype=target_dtype) if converts else obj
        if copy and not converts:
            out = out.clone()
    elif copy:
        out = tensor(obj, dtype=dtype, device=device)
    else:
        out = as_tensor(obj, dtype=dtype, device=device)
    if requires_grad:
        out = out if out is not obj else obj.detach()
        out.requires_grad_(True)
    return out


def range(  # noqa: A001 - PyTorch's name
    start: float,
    end: float,
    step: float = 1,
    *,
    dtype: Any = None,
    device: DeviceLike = None,
    requires_grad: bool = False,
) -> Tensor:
    """``start, start + step, ...`` up to and including ``end``, in the default float dtype
    whatever the arguments' types (unlike ``arange``, whose end is excluded); PyTorch has
    deprecated it in favour of ``arange``.

    >>> import nanotorch
    >>> nanotorch.range(1, 2, 0.5).tolist()
    [1.0, 1.5, 2.0]
    """
    for name, value in (("start", start), ("end", end), ("step", step)):
        _number("range", name, value)
    if step == 0 or (end - start) * step < 0:
        raise InvalidArgumentError(
            f"range: end={end} cannot be reached from start={start} by step={step}; "
            "give a step with the sign of end - start"
        )
    dt = _dt.get_default_dtype() if dtype is None else _dt.as_dtype(dtype)
    count = int(math.floor((end - start) / step)) + 1
    steps = arange(count, device=device).to(_dt.float64)
    out = (steps * step + start).to(dt)
    return out.requires_grad_(True) if requires_grad else out


def empty_strided(
    size: Sequence[int],
    stride: Sequence[int],
    *,
    dtype: Any = None,
    device: DeviceLike = None,
    requires_grad: bool = False,
) -> Tensor:
    """``empty(size)``: tensors here have no strides to set (Note [Strides of a contiguous
    reading] in tensor.py); ``stride`` must still give one entry per dim."""
    shape = shape_arg("empty_strided", (size,))
    strides = shape_arg("empty_strided", (stride,))
    if len(strides) != len(shape):
        raise InvalidArgumentError(
            f"empty_strided: size {tuple(shape)} and stride {tuple(strides)} must have the "
            "same length"
        )
    return empty(shape, dtype=dtype, device=device, requires_grad=requires_grad)


def empty_permuted(
    size: Sequence[int],
    physical_layout: Sequence[int],
    *,
    dtype: Any = None,
    device: DeviceLike = None,
    requires_grad: bool = False,
) -> Tensor:
    """``empty(size)``; ``physical_layout`` (the order of dims in memory) must be a
    permutation of the dims, as in PyTorch, and is otherwise not kept."""
    shape = shape_arg("empty_permuted", (size,))
    layout = [int(d) for d in physical_layout]
    if sorted(layout) != list(_builtin_range(len(shape))):
        raise InvalidArgumentError(
            f"empty_permuted: physical_layout {tuple(layout)} must be a permutation of the "
            f"{len(shape)} dims of size {tuple(shape)}"
        )
    return empty(shape, dtype=dtype, device=device, requires_grad=requires_grad)
