"""Functions that make new tensors: from data, filled, ranges, and random.

Each takes ``dtype=`` and ``device=`` (default: float32 for floats, ``cpu``), and
``requires_grad=`` where PyTorch has it. Data given from the host and placed on another device
is a counted host-to-device copy.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from nanotorch import dtypes as _dt
from nanotorch.backend import Device, from_host_counted, get_backend
from nanotorch.backend import device as _device
from nanotorch.backend.host import as_host_array, is_host_array
from nanotorch.backend.registry import from_dlpack as _backend_from_dlpack
from nanotorch.dtypes import DType
from nanotorch.ops._util import shape_arg
from nanotorch.random import Generator, resolve_generator
from nanotorch.tensor import Tensor

DeviceLike = str | Device | None


def _resolve(device: DeviceLike, dtype: DType | str | None, default: DType | None):
    dev = _device(device if device is not None else "cpu")
    backend = get_backend(dev)
    dt = _dt.as_dtype(dtype) or default or _dt.get_default_dtype()
    return dev, backend, dt


def _finish(data: Any, dev: Device, backend: Any, requires_grad: bool) -> Tensor:
    t = Tensor._make(data, dev, backend, False, None)
    if requires_grad:
        t.requires_grad_(True)
    return t


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
    dev = _device(device if device is not None else "cpu")
    backend = get_backend(dev)
    host, dt = as_host_array(data, _dt.as_dtype(dtype))
    # from_host copies, so the tensor never aliases the caller's data.
    return _finish(from_host_counted(host, backend), dev, backend, requires_grad)


def as_tensor(data: Any, dtype: DType | str | None = None, device: DeviceLike = None) -> Tensor:
    """Like ``tensor`` but shares memory with a cpu NumPy array or Tensor when it can."""
    if isinstance(data, Tensor):
        return data.to(device=device, dtype=dtype) if (device or dtype) else data
    if is_host_array(data) and (device is None or _device(device).type == "cpu"):
        host, dt = as_host_array(data, _dt.as_dtype(dtype))
        return _finish(host, _device("cpu"), get_backend(_device("cpu")), False)
    return tensor(data, dtype, device)


def from_numpy(array: Any) -> Tensor:
    """A cpu tensor sharing memory with a NumPy array (its dtype must be supported)."""
    if not is_host_array(array):
        raise TypeError(f"from_numpy: expected a numpy.ndarray, got {type(array).__name__}")
    host, _ = as_host_array(array, None)
    if host is not array and host.base is not array:
        raise TypeError(f"from_numpy: unsupported dtype {array.dtype}")
    cpu = _device("cpu")
    return _finish(host, cpu, get_backend(cpu), False)


def from_dlpack(obj: Any) -> Tensor:
    """A tensor sharing memory with any DLPack producer (NumPy, CuPy, PyTorch...)."""
    # The backend that claims the producer's DLPack device type imports it (registry.py).
    array, backend = _backend_from_dlpack(obj)
    backend.dtype_of(array)  # refuse unsupported dtypes now rather than later
    return _finish(array, backend.device, backend, False)


def _filled(op, shape, fill, dtype, device, requires_grad, default=None):
    dev, backend, dt = _resolve(device, dtype, default)
    xp = backend.xp
    with backend.context():
        if fill is None:
            data = xp.empty(shape, dtype=backend.native_dtype(dt), device=backend.native_device)
        else:
            data = xp.full(
                shape, fill, dtype=backend.native_dtype(dt), device=backend.native_device
            )
    return _finish(data, dev, backend, requires_grad)


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


def _like(t: Tensor, dtype, device):
    return (t.dtype if dtype is None else dtype), (t.device if device is None else device)


def zeros_like(t: Tensor, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    dt, dev = _like(t, dtype, device)
    return zeros(t.shape, dtype=dt, device=dev, requires_grad=requires_grad)


def ones_like(t: Tensor, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    dt, dev = _like(t, dtype, device)
    return ones(t.shape, dtype=dt, device=dev, requires_grad=requires_grad)


def empty_like(t: Tensor, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    dt, dev = _like(t, dtype, device)
    return empty(t.shape, dtype=dt, device=dev, requires_grad=requires_grad)


def full_like(
    t: Tensor, fill_value, *, dtype=None, device=None, requires_grad: bool = False
) -> Tensor:
    dt, dev = _like(t, dtype, device)
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
    if step == 0:
        raise ValueError("arange: step must be non-zero")
    integral = all(isinstance(v, int) for v in (start, end, step))
    dev, backend, dt = _resolve(device, dtype, _dt.int64 if integral else None)
    with backend.context():
        data = backend.xp.arange(
            start, end, step, dtype=backend.native_dtype(dt), device=backend.native_device
        )
    return _finish(data, dev, backend, requires_grad)


def linspace(
    start: float,
    end: float,
    steps: int,
    *,
    dtype=None,
    device: DeviceLike = None,
    requires_grad: bool = False,
) -> Tensor:
    if steps < 0:
        raise ValueError(f"linspace: steps must be non-negative, got {steps}")
    dev, backend, dt = _resolve(device, dtype, None)
    with backend.context():
        data = backend.xp.linspace(
            start, end, steps, dtype=backend.native_dtype(dt), device=backend.native_device
        )
    return _finish(data, dev, backend, requires_grad)


def eye(
    n: int,
    m: int | None = None,
    *,
    dtype=None,
    device: DeviceLike = None,
    requires_grad: bool = False,
) -> Tensor:
    dev, backend, dt = _resolve(device, dtype, None)
    with backend.context():
        data = backend.xp.eye(n, m, dtype=backend.native_dtype(dt), device=backend.native_device)
    return _finish(data, dev, backend, requires_grad)


def _random(op: str, draw: str, size, generator, dtype, device, requires_grad, *args):
    shape = shape_arg(op, size)
    dev, backend, dt = _resolve(device, dtype, None)
    if draw != "integers" and not dt.is_floating_point:
        raise TypeError(f"{op}: needs a floating dtype, got {dt!r}")
    gen = resolve_generator(generator, dev, op)
    with backend.context():
        data = getattr(gen.source, draw)(*args, shape, dt)
    return _finish(data, dev, backend, requires_grad)


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
    if high <= low:
        raise ValueError(f"randint: need low < high, got low={low}, high={high}")
    dt = _dt.as_dtype(dtype) or _dt.int64
    return _random(
        "randint", "integers", (tuple(size),), generator, dt, device, False, int(low), int(high)
    )


def rand_like(t: Tensor, *, generator: Generator | None = None, dtype=None, device=None):
    dt, dev = _like(t, dtype, device)
    return rand(t.shape, generator=generator, dtype=dt, device=dev)


def randn_like(t: Tensor, *, generator: Generator | None = None, dtype=None, device=None):
    dt, dev = _like(t, dtype, device)
    return randn(t.shape, generator=generator, dtype=dt, device=dev)


def randperm(
    n: int, *, generator: Generator | None = None, device: DeviceLike = None, dtype=None
) -> Tensor:
    """A random permutation of 0..n-1 (int64)."""
    dev, backend, _ = _resolve(device, None, None)
    gen = resolve_generator(generator, dev, "randperm")
    with backend.context():
        data = gen.source.permutation(int(n))
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
