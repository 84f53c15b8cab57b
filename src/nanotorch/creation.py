"""Functions that make new tensors: from data, filled, ranges, and random.

Each takes ``dtype=`` and ``device=`` (default: float32 for floats, ``cpu``), and
``requires_grad=`` where PyTorch has it. Data given from the host and placed on another device
is a counted host-to-device copy.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any

from nanotorch import dtypes as _dt
from nanotorch.backend import Device, from_host_counted, get_backend
from nanotorch.backend import device as _device
from nanotorch.backend.host import as_host_array, check_integer_value, is_host_array
from nanotorch.backend.registry import from_dlpack as _backend_from_dlpack
from nanotorch.dtypes import DType
from nanotorch.errors import InvalidArgumentError
from nanotorch.ops._util import int_arg, shape_arg
from nanotorch.random import Generator, resolve_generator
from nanotorch.tensor import Tensor

DeviceLike = str | Device | None


def _as_dtype(dtype: DType | str | None, op: str) -> DType | None:
    """``dtype`` resolved, with the op named in the error for a bad one."""
    try:
        return _dt.as_dtype(dtype)
    except (TypeError, ValueError) as exc:
        raise type(exc)(f"{op}: {exc}") from None


def _resolve(
    device: DeviceLike, dtype: DType | str | None, default: DType | None, op: str = "tensor"
):
    dt = _as_dtype(dtype, op) or default or _dt.get_default_dtype()
    dev = _device(device if device is not None else "cpu")
    backend = get_backend(dev)
    return dev, backend, dt


def _finish(data: Any, dev: Device, backend: Any, requires_grad: bool, op: str = "") -> Tensor:
    t = Tensor._make(data, dev, backend, False, None)
    if op and not isinstance(requires_grad, bool):
        raise TypeError(
            f"{op}: requires_grad must be a bool, got {type(requires_grad).__name__} "
            f"{requires_grad!r}"
        )
    if requires_grad:
        if op and not t.dtype.is_floating_point:
            raise RuntimeError(
                f"{op}: only floating-point tensors can require gradients, got {t.dtype!r}; "
                "pass a floating dtype such as nanotorch.float32"
            )
        t.requires_grad_(True)
    return t


def _number(op: str, name: str, value: Any) -> None:
    """A real number (bool counts, as in Python); TypeError naming the op otherwise."""
    if isinstance(value, Tensor) or not isinstance(value, numbers.Real):
        raise TypeError(f"{op}: {name} must be a number, got {type(value).__name__} {value!r}")


def tensor(
    data: Any,
    dtype: DType | str | None = None,
    device: DeviceLike = None,
    requires_grad: bool = False,
) -> Tensor:
    """A new tensor holding a copy of ``data`` (numbers, nested lists, NumPy arrays, or a
    Tensor, whose device is kept unless ``device`` says otherwise).

    >>> import nanotorch
    >>> nanotorch.tensor([1, 2]).dtype, nanotorch.tensor([1.5]).dtype
    (nanotorch.int64, nanotorch.float32)
    """
    if isinstance(data, Tensor):
        out = data.detach().clone()
        out = out.to(device=device if device is not None else data.device, dtype=dtype)
        return _finish(out._data, out.device, out._backend, requires_grad)
    dt = _as_dtype(dtype, "tensor")
    dev = _device(device if device is not None else "cpu")
    backend = get_backend(dev)
    host, dt = as_host_array(data, dt)
    # from_host copies, so the tensor never aliases the caller's data.
    return _finish(from_host_counted(host, backend), dev, backend, requires_grad, "tensor")


def as_tensor(data: Any, dtype: DType | str | None = None, device: DeviceLike = None) -> Tensor:
    """Like ``tensor`` but shares memory with a cpu NumPy array or Tensor when it can."""
    if isinstance(data, Tensor):
        return data.to(device=device, dtype=dtype) if (device or dtype) else data
    if is_host_array(data) and (device is None or _device(device).type == "cpu"):
        host, dt = as_host_array(data, _as_dtype(dtype, "as_tensor"), "as_tensor")
        return _finish(host, _device("cpu"), get_backend(_device("cpu")), False)
    return tensor(data, dtype, device)


def from_numpy(array: Any) -> Tensor:
    """A cpu tensor sharing memory with a NumPy array (its dtype must be supported)."""
    if not is_host_array(array):
        raise TypeError(f"from_numpy: expected a numpy.ndarray, got {type(array).__name__}")
    host, _ = as_host_array(array, None)
    if host is not array and host.base is not array:
        raise TypeError(
            f"from_numpy: unsupported dtype {array.dtype}; a shared-memory tensor needs "
            "float32, float64, int32, int64 or bool (nanotorch has no unsigned dtypes), so "
            "convert first or use nanotorch.tensor(array), which copies into int64"
        )
    cpu = _device("cpu")
    return _finish(host, cpu, get_backend(cpu), False)


def from_dlpack(obj: Any) -> Tensor:
    """A tensor sharing memory with any DLPack producer (NumPy, CuPy, PyTorch...)."""
    # The backend that claims the producer's DLPack device type imports it (registry.py).
    array, backend = _backend_from_dlpack(obj)
    backend.dtype_of(array)  # refuse unsupported dtypes now rather than later
    return _finish(array, backend.device, backend, False)


def _filled(op, shape, fill, dtype, device, requires_grad, default=None):
    dev, backend, dt = _resolve(device, dtype, default, op)
    if fill is not None:
        check_integer_value(fill, dt, op)  # Note [No silent integer overflow] in host.py
    xp = backend.xp
    with backend.context():
        if fill is None:
            data = xp.empty(shape, dtype=backend.native_dtype(dt), device=backend.native_device)
        else:
            data = xp.full(
                shape, fill, dtype=backend.native_dtype(dt), device=backend.native_device
            )
    return _finish(data, dev, backend, requires_grad, op)


def zeros(*size: Any, dtype=None, device: DeviceLike = None, requires_grad: bool = False):
    """A tensor of zeros: ``zeros(2, 3)`` or ``zeros((2, 3))``."""
    return _filled("zeros", shape_arg("zeros", size), 0, dtype, device, requires_grad)


def ones(*size: Any, dtype=None, device: DeviceLike = None, requires_grad: bool = False):
    return _filled("ones", shape_arg("ones", size), 1, dtype, device, requires_grad)


def empty(*size: Any, dtype=None, device: DeviceLike = None, requires_grad: bool = False):
    return _filled("empty", shape_arg("empty", size), None, dtype, device, requires_grad)


def full(
    size: Sequence[int],
    fill_value: float | int | bool,
    *,
    dtype=None,
    device: DeviceLike = None,
    requires_grad: bool = False,
) -> Tensor:
    """A tensor filled with ``fill_value``; its dtype follows the value like PyTorch's."""
    if isinstance(fill_value, Tensor) and fill_value.numel() == 1:
        fill_value = fill_value.item()
    _number("full", "fill_value", fill_value)
    default = (
        _dt.bool_
        if isinstance(fill_value, bool)
        else _dt.int64
        if isinstance(fill_value, int)
        else None
    )
    return _filled(
        "full", shape_arg("full", (size,)), fill_value, dtype, device, requires_grad, default
    )


def _like(t: Tensor, dtype, device, op: str):
    if not isinstance(t, Tensor):
        raise TypeError(
            f"{op}: expected a Tensor, got {type(t).__name__}; for a size use "
            f"{op.removesuffix('_like')}(...)"
        )
    return (t.dtype if dtype is None else dtype), (t.device if device is None else device)


def zeros_like(t: Tensor, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    dt, dev = _like(t, dtype, device, "zeros_like")
    return zeros(t.shape, dtype=dt, device=dev, requires_grad=requires_grad)


def ones_like(t: Tensor, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    dt, dev = _like(t, dtype, device, "ones_like")
    return ones(t.shape, dtype=dt, device=dev, requires_grad=requires_grad)


def empty_like(t: Tensor, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    dt, dev = _like(t, dtype, device, "empty_like")
    return empty(t.shape, dtype=dt, device=dev, requires_grad=requires_grad)


def full_like(
    t: Tensor, fill_value, *, dtype=None, device=None, requires_grad: bool = False
) -> Tensor:
    dt, dev = _like(t, dtype, device, "full_like")
    return full(t.shape, fill_value, dtype=dt, device=dev, requires_grad=requires_grad)


def arange(
    start: float,
    end: float | None = None,
    step: float = 1,
    *,
    dtype=None,
    device: DeviceLike = None,
    requires_grad: bool = False,
) -> Tensor:
    """Values from ``start`` to ``end`` (exclusive) by ``step``; int64 for integer
    arguments, the default float dtype otherwise (as in PyTorch)."""
    if end is None:
        start, end = 0, start
    for name, value in (("start", start), ("end", end), ("step", step)):
        _number("arange", name, value)
        if not math.isfinite(value):
            raise InvalidArgumentError(
                f"arange: start, end and step must be finite, got start={start}, end={end}, "
                f"step={step}"
            )
    if step == 0:
        raise InvalidArgumentError("arange: step must be non-zero")
    if (end - start) * step < 0:
        raise InvalidArgumentError(
            f"arange: start={start} and end={end} are inconsistent with step={step}: the "
            "range runs the other way; flip the sign of step"
        )
    integral = all(isinstance(v, int) for v in (start, end, step))
    dev, backend, dt = _resolve(device, dtype, _dt.int64 if integral else None, "arange")
    with backend.context():
        data = backend.xp.arange(
            start, end, step, dtype=backend.native_dtype(dt), device=backend.native_device
        )
    return _finish(data, dev, backend, requires_grad, "arange")


def linspace(
    start: float,
    end: float,
    steps: int,
    *,
    dtype=None,
    device: DeviceLike = None,
    requires_grad: bool = False,
) -> Tensor:
    _number("linspace", "start", start)
    _number("linspace", "end", end)
    steps = int_arg("linspace", "steps", steps)
    dev, backend, dt = _resolve(device, dtype, None, "linspace")
    with backend.context():
        data = backend.xp.linspace(
            start, end, steps, dtype=backend.native_dtype(dt), device=backend.native_device
        )
    return _finish(data, dev, backend, requires_grad, "linspace")


def eye(
    n: int,
    m: int | None = None,
    *,
    dtype=None,
    device: DeviceLike = None,
    requires_grad: bool = False,
) -> Tensor:
    n = int_arg("eye", "n", n)
    m = None if m is None else int_arg("eye", "m", m)
    dev, backend, dt = _resolve(device, dtype, None, "eye")
    with backend.context():
        data = backend.xp.eye(n, m, dtype=backend.native_dtype(dt), device=backend.native_device)
    return _finish(data, dev, backend, requires_grad, "eye")


def _random(op: str, draw: str, size, generator, dtype, device, requires_grad, *args):
    shape = shape_arg(op, size)
    dev, backend, dt = _resolve(device, dtype, None, op)
    if draw != "integers" and not dt.is_floating_point:
        raise TypeError(f"{op}: needs a floating dtype, got {dt!r}")
    gen = resolve_generator(generator, dev, op)
    with backend.context():
        data = getattr(gen.source, draw)(*args, shape, dt)
    return _finish(data, dev, backend, requires_grad, op)


def rand(
    *size: Any,
    generator: Generator | None = None,
    dtype=None,
    device: DeviceLike = None,
    requires_grad: bool = False,
) -> Tensor:
    """Uniform samples in [0, 1)."""
    return _random("rand", "random", size, generator, dtype, device, requires_grad)


def randn(
    *size: Any,
    generator: Generator | None = None,
    dtype=None,
    device: DeviceLike = None,
    requires_grad: bool = False,
) -> Tensor:
    """Standard normal samples."""
    return _random("randn", "normal", size, generator, dtype, device, requires_grad)


def randint(
    low: int,
    high: int | None = None,
    size: Sequence[int] = (),
    *,
    generator: Generator | None = None,
    dtype=None,
    device: DeviceLike = None,
) -> Tensor:
    """Integers uniform in [low, high) (int64 by default); ``randint(high, size)`` too."""
    if high is None:
        low, high = 0, low
    low = int_arg("randint", "low", low, None)
    high = int_arg("randint", "high", high, None)
    if high <= low:
        raise InvalidArgumentError(f"randint: need low < high, got low={low}, high={high}")
    if not isinstance(size, (tuple, list)):
        raise TypeError(
            f"randint: size must be a tuple of ints, got {type(size).__name__} {size!r}; "
            f"write size=({size!r},)"
        )
    dt = _as_dtype(dtype, "randint") or _dt.int64
    # Integers are drawn in the requested integer dtype (the range must fit it); for a float
    # or bool dtype, which PyTorch also allows, in int64 and then converted.
    draw = dt if dt in (_dt.int32, _dt.int64) else _dt.int64
    check_integer_value(low, draw, "randint")
    check_integer_value(high - 1, draw, "randint")
    out = _random("randint", "integers", (tuple(size),), generator, draw, device, False, low, high)
    return out if draw is dt else out.to(dt)


def rand_like(t: Tensor, *, generator: Generator | None = None, dtype=None, device=None):
    dt, dev = _like(t, dtype, device, "rand_like")
    return rand(t.shape, generator=generator, dtype=dt, device=dev)


def randn_like(t: Tensor, *, generator: Generator | None = None, dtype=None, device=None):
    dt, dev = _like(t, dtype, device, "randn_like")
    return randn(t.shape, generator=generator, dtype=dt, device=dev)


def randperm(
    n: int, *, generator: Generator | None = None, device: DeviceLike = None, dtype=None
) -> Tensor:
    """A random permutation of 0..n-1 (int64)."""
    n = int_arg("randperm", "n", n)
    dev, backend, _ = _resolve(device, None, None, "randperm")
    gen = resolve_generator(generator, dev, "randperm")
    with backend.context():
        data = gen.source.permutation(n)
    out = _finish(data, dev, backend, False)
    return out if dtype is None else out.to(_dt.as_dtype(dtype))


__all__ = [
    "arange",
    "as_tensor",
    "empty",
    "empty_like",
    "eye",
    "from_dlpack",
    "from_numpy",
    "full",
    "full_like",
    "linspace",
    "ones",
    "ones_like",
    "rand",
    "rand_like",
    "randint",
    "randn",
    "randn_like",
    "randperm",
    "tensor",
    "zeros",
    "zeros_like",
]
