"""More ways to make a tensor, after PyTorch's: ``asarray`` (with its copy rules),
``range`` (the inclusive, deprecated cousin of ``arange``), ``empty_strided`` and
``empty_permuted`` (whose layouts nanotorch does not keep: Note [Strides of a contiguous
reading] in tensor.py), and the signal windows ``hann_window``, ``hamming_window``,
``blackman_window`` and ``bartlett_window``.

Kept apart from ``creation.py`` so that the factories every model uses stay short to read.
Window values are a few numbers computed on the host with ``math`` and moved once, as
``tril_indices`` does; no array library is imported here.
"""

from __future__ import annotations

import builtins
import math
from collections.abc import Callable, Sequence
from typing import Any

from nanotorch import dtypes as _dt
from nanotorch.backend import device as _device
from nanotorch.creation import DeviceLike, _number, arange, as_tensor, empty, tensor
from nanotorch.errors import InvalidArgumentError, UnsupportedDtypeError
from nanotorch.ops._util import int_arg, shape_arg
from nanotorch.tensor import Tensor

# This module defines ``range`` (PyTorch's), so Python's is reached by this name.
_builtin_range = builtins.range

__all__ = [
    "asarray",
    "bartlett_window",
    "blackman_window",
    "empty_permuted",
    "empty_strided",
    "hamming_window",
    "hann_window",
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


# ---------------------------------------------------------------------------- windows
def _window(
    op: str,
    window_length: int,
    periodic: bool,
    value: Callable[[int, int], float],
    dtype: Any,
    device: DeviceLike,
    requires_grad: bool,
) -> Tensor:
    """``value(n, N)`` for n < window_length, with N = window_length - 1 for a symmetric
    window; a periodic window is the symmetric one of length + 1 without its last point."""
    length = int_arg(op, "window_length", window_length)
    if length < 0:
        raise InvalidArgumentError(f"{op}: window_length must be non-negative, got {length}")
    dt = _dt.get_default_dtype() if dtype is None else _dt.as_dtype(dtype)
    if not dt.is_floating_point:
        raise UnsupportedDtypeError(f"{op}: expects a floating dtype, got {dt!r}")
    if length <= 1:
        values = [1.0] * length
    else:
        span = length if periodic else length - 1
        values = [value(n, span) for n in _builtin_range(length)]
    out = tensor(values, dtype=dt, device=device).reshape(length)
    return out.requires_grad_(True) if requires_grad else out


def hann_window(
    window_length: int,
    periodic: bool = True,
    *,
    dtype: Any = None,
    device: DeviceLike = None,
    requires_grad: bool = False,
) -> Tensor:
    """0.5 - 0.5 cos(2 pi n / N).

    >>> import nanotorch
    >>> nanotorch.hann_window(4).tolist()
    [0.0, 0.5, 1.0, 0.5]
    """
    return _window(
        "hann_window",
        window_length,
        periodic,
        lambda n, span: 0.5 - 0.5 * math.cos(2 * math.pi * n / span),
        dtype,
        device,
        requires_grad,
    )


def hamming_window(
    window_length: int,
    periodic: bool = True,
    alpha: float = 0.54,
    beta: float = 0.46,
    *,
    dtype: Any = None,
    device: DeviceLike = None,
    requires_grad: bool = False,
) -> Tensor:
    """alpha - beta cos(2 pi n / N)."""
    return _window(
        "hamming_window",
        window_length,
        periodic,
        lambda n, span: alpha - beta * math.cos(2 * math.pi * n / span),
        dtype,
        device,
        requires_grad,
    )


def blackman_window(
    window_length: int,
    periodic: bool = True,
    *,
    dtype: Any = None,
    device: DeviceLike = None,
    requires_grad: bool = False,
) -> Tensor:
    """0.42 - 0.5 cos(2 pi n / N) + 0.08 cos(4 pi n / N)."""
    return _window(
        "blackman_window",
        window_length,
        periodic,
        lambda n, span: (
            0.42 - 0.5 * math.cos(2 * math.pi * n / span) + 0.08 * math.cos(4 * math.pi * n / span)
        ),
        dtype,
        device,
        requires_grad,
    )


def bartlett_window(
    window_length: int,
    periodic: bool = True,
    *,
    dtype: Any = None,
    device: DeviceLike = None,
    requires_grad: bool = False,
) -> Tensor:
    """1 - |2 n / N - 1| (a triangle)."""
    return _window(
        "bartlett_window",
        window_length,
        periodic,
        lambda n, span: 1 - abs(2 * n / span - 1),
        dtype,
        device,
        requires_grad,
    )
