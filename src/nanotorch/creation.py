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
from nanotorch.backend.device import DEFAULT as _DEVICE_DEFAULT
from nanotorch.backend.host import as_host_array, check_integer_value, is_host_array
from nanotorch.backend.registry import from_dlpack as _backend_from_dlpack
from nanotorch.dtypes import DType
from nanotorch.errors import InvalidArgumentError, UnsupportedDtypeError
from nanotorch.ops._util import int_arg, shape_arg
from nanotorch.promotion import result_type
from nanotorch.random import Generator, resolve_generator
from nanotorch.tensor import Tensor

DeviceLike = str | Device | None


def _as_dtype(dtype: DType | str | None, op: str) -> DType | None:
    """``dtype`` resolved, with the op named in the error for a bad one."""
    try:
        return _dt.as_dtype(dtype)
    except (TypeError, ValueError) as exc:
        raise type(exc)(f"{op}: {exc}") from None


# Note [Default device]
# ~~~~~~~~~~~~~~~~~~~~~
# Factories (tensor, zeros, randn, arange, the windows...) put a tensor on the cpu when no
# ``device=`` is given, unless ``set_default_device`` chose another device, as
# ``torch.set_default_device`` does. Layers build their parameters with these factories, so
# ``nn.Linear(2, 3)`` lands there too. It is the user's explicit choice, made once; nothing
# already made moves, and ``from_numpy`` stays the cpu's (it shares the array's memory).
# ``with device:`` sets it too (backend/device.py, where the value lives).
_DEFAULT_DEVICE = _DEVICE_DEFAULT  # [None]: the cpu


def set_default_device(device: DeviceLike) -> None:
    """Where factory functions put tensors when no ``device=`` is given; None for the cpu.

    >>> import nanotorch
    >>> nanotorch.set_default_device("cpu"); nanotorch.zeros(1).device
    device('cpu')
    >>> nanotorch.set_default_device(None)
    """
    if device is None:
        _DEFAULT_DEVICE[0] = None
        return
    dev = _device(device)
    try:
        get_backend(dev)  # an unavailable device fails here, not at the first tensor
    except RuntimeError as exc:
        raise RuntimeError(f"set_default_device: {exc}") from None
    _DEFAULT_DEVICE[0] = dev


def get_default_device() -> Device:
    """The device factories use without ``device=`` (the cpu unless set)."""
    return _DEFAULT_DEVICE[0] or _device("cpu")


def _resolve(
    device: DeviceLike, dtype: DType | str | None, default: DType | None, op: str = "tensor"
):
    dt = _as_dtype(dtype, op) or default or _dt.get_default_dtype()
    dev = _device(device if device is not None else (_DEFAULT_DEVICE[0] or "cpu"))
    backend = get_backend(dev)
    backend.native_dtype(dt)  # a dtype the device lacks fails here, naming both
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
    dev = _device(device if device is not None else (_DEFAULT_DEVICE[0] or "cpu"))
    backend = get_backend(dev)
    if dt is not None:
        backend.native_dtype(dt)  # fail before converting, naming device and dtype
    if isinstance(data, (list, tuple)) and any(isinstance(x, Tensor) for x in data):
        # A list of one-element tensors, as PyTorch accepts: their values, their dtype.
        data = _unwrap_tensors(data)
        if dt is None:
            dt = result_type(*[x for x in data if isinstance(x, Tensor)])
        data = [x.tolist() if isinstance(x, Tensor) else x for x in data]
    host, dt = as_host_array(data, dt)
    backend.native_dtype(dt)
    # from_host copies, so the tensor never aliases the caller's data.
    return _finish(from_host_counted(host, backend), dev, backend, requires_grad, "tensor")


def _unwrap_tensors(data: Sequence[Any]) -> list[Any]:
    for x in data:
        if isinstance(x, Tensor) and x.numel() != 1:
            raise InvalidArgumentError(
                f"tensor: only one-element tensors can be list items, got one of shape "
                f"{tuple(x.shape)}; use nanotorch.stack to join tensors"
            )
    return list(data)


def logspace(
    start: float,
    end: float,
    steps: int,
    base: float = 10.0,
    *,
    dtype=None,
    device: DeviceLike = None,
    requires_grad: bool = False,
) -> Tensor:
    """``steps`` values base ** t for t evenly spaced from ``start`` to ``end``, as PyTorch's
    ``logspace`` (computed in float64, then cast to ``dtype``).

    >>> import nanotorch
    >>> nanotorch.logspace(0, 2, 3).tolist()
    [1.0, 10.0, 100.0]
    """
    _number("logspace", "base", base)
    exponents = linspace(start, end, steps, dtype=_dt.float64, device=device)
    out = (float(base) ** exponents).to(_as_dtype(dtype, "logspace") or _dt.get_default_dtype())
    return out.requires_grad_(requires_grad) if requires_grad else out


def as_tensor(data: Any, dtype: DType | str | None = None, device: DeviceLike = None) -> Tensor:
    """Like ``tensor`` but shares memory with a cpu NumPy array or Tensor when it can."""
    if isinstance(data, Tensor):
        return data.to(device=device, dtype=dtype) if (device or dtype) else data
    target = device if device is not None else _DEFAULT_DEVICE[0]
    if is_host_array(data) and (target is None or _device(target).type == "cpu"):
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


def scalar_tensor(
    s: float | int | bool,
    *,
    dtype=None,
    device: DeviceLike = None,
    requires_grad: bool = False,
) -> Tensor:
    """A 0-d tensor holding ``s``, of the default float dtype unless ``dtype`` is given
    (also for an int or bool ``s``, as PyTorch's ``scalar_tensor``).

    >>> import nanotorch
    >>> nanotorch.scalar_tensor(3).dtype
    nanotorch.float32
    """
    _number("scalar_tensor", "s", s)
    return _filled("scalar_tensor", (), s, dtype, device, requires_grad, _dt.get_default_dtype())


def _like(t: Tensor, dtype, device, op: str):
    if not isinstance(t, Tensor):
        raise TypeError(
            f"{op}: expected a Tensor, got {type(t).__name__}; for a size use "
            f"{op.removesuffix('_like')}(...)"
        )
    return (t.dtype if dtype is None else dtype), (t.device if device is None else device)


def zeros_like(input: Tensor, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:  # noqa: A002
    dt, dev = _like(input, dtype, device, "zeros_like")
    return zeros(input.shape, dtype=dt, device=dev, requires_grad=requires_grad)


def ones_like(input: Tensor, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:  # noqa: A002
    dt, dev = _like(input, dtype, device, "ones_like")
    return ones(input.shape, dtype=dt, device=dev, requires_grad=requires_grad)


def empty_like(input: Tensor, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:  # noqa: A002
    dt, dev = _like(input, dtype, device, "empty_like")
    return empty(input.shape, dtype=dt, device=dev, requires_grad=requires_grad)


def full_like(
    input: Tensor,
    fill_value,
    *,
    dtype=None,
    device=None,
    requires_grad: bool = False,  # noqa: A002
) -> Tensor:
    dt, dev = _like(input, dtype, device, "full_like")
    return full(input.shape, fill_value, dtype=dt, device=dev, requires_grad=requires_grad)


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
    if dt is _dt.bool_:
        from nanotorch.errors import UnsupportedDtypeError

        raise UnsupportedDtypeError(
            "linspace: not defined for dtype bool; use an int or float dtype"
        )
    xp = backend.xp
    with backend.context():
        if dt.is_floating_point:
            data = xp.linspace(
                start, end, steps, dtype=backend.native_dtype(dt), device=backend.native_device
            )
        else:
            # PyTorch computes integer steps in floating point and truncates toward zero;
            # NumPy's integer linspace floors, which differs for negative values.
            exact = xp.linspace(start, end, steps, dtype=xp.float64, device=backend.native_device)
            data = xp.astype(xp.trunc(exact), backend.native_dtype(dt))
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
        raise UnsupportedDtypeError(f"{op}: needs a floating dtype, got {dt!r}")
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
    low: int = 0,
    high: int | Sequence[int] | None = None,
    size: Sequence[int] | None = None,
    *,
    generator: Generator | None = None,
    dtype=None,
    device: DeviceLike = None,
    requires_grad: bool = False,
) -> Tensor:
    """Integers uniform in [low, high): ``randint(low, high, size)`` or ``randint(high, size)``
    (int64 unless ``dtype`` says otherwise). ``requires_grad=True`` needs a floating
    ``dtype``, as in PyTorch.

    >>> import nanotorch
    >>> nanotorch.randint(10, (2, 3)).shape
    (2, 3)
    """
    if size is None:
        if isinstance(high, (tuple, list)):
            low, high, size = 0, low, high
        else:
            size = ()
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
    out = out if draw is dt else out.to(dt)
    if requires_grad:
        out.requires_grad_(True)  # refused for an integer dtype, as in PyTorch
    return out


def rand_like(
    input: Tensor,  # noqa: A002
    *,
    generator: Generator | None = None,
    dtype=None,
    device=None,
    requires_grad: bool = False,
) -> Tensor:
    dt, dev = _like(input, dtype, device, "rand_like")
    return rand(input.shape, generator=generator, dtype=dt, device=dev, requires_grad=requires_grad)


def randn_like(
    input: Tensor,  # noqa: A002
    *,
    generator: Generator | None = None,
    dtype=None,
    device=None,
    requires_grad: bool = False,
) -> Tensor:
    dt, dev = _like(input, dtype, device, "randn_like")
    return randn(
        input.shape, generator=generator, dtype=dt, device=dev, requires_grad=requires_grad
    )


def randint_like(
    input: Tensor,  # noqa: A002
    low: int = 0,
    high: int | None = None,
    *,
    generator: Generator | None = None,
    dtype=None,
    device=None,
    requires_grad: bool = False,
) -> Tensor:
    """Integers uniform in [low, high) shaped like ``input`` (and of its dtype and device);
    ``randint_like(t, high)`` draws from [0, high)."""
    if high is None:
        low, high = 0, low
    dt, dev = _like(input, dtype, device, "randint_like")
    return randint(
        low,
        high,
        input.shape,
        generator=generator,
        dtype=dt,
        device=dev,
        requires_grad=requires_grad,
    )


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


# --------------------------------------------------------------------------- sampling
# Note [Sampling through generators]
# ~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
# Every sampler below turns uniform or normal draws of a ``nanotorch.Generator`` (its
# backend's source) into its distribution with array-API arithmetic: a Bernoulli draw is
# u < p, an exponential one -log(1 - u) / lambda (1 - u lies in (0, 1], so the log is
# finite), a categorical one the insertion point of u into the cumulative weights, and k
# categorical draws without replacement the k smallest -log(1 - u_i) / w_i (an exponential
# race: the category whose clock rings first is drawn first, with probability proportional
# to its weight, and so on for the rest). One seed therefore repeats a run on every device,
# and no sampler touches a library's global random state. Samples carry no gradient.
def bernoulli(
    input: Tensor,  # noqa: A002 - PyTorch's name
    p: float | None = None,
    *,
    generator: Generator | None = None,
) -> Tensor:
    """0/1 samples shaped like ``input``: 1 with probability ``input`` (elementwise), or with
    probability ``p`` when it is given. The result has ``input``'s dtype.

    >>> import nanotorch
    >>> nanotorch.bernoulli(nanotorch.tensor([0.0, 1.0])).tolist()
    [0.0, 1.0]
    """
    from nanotorch.autograd.grad_mode import no_grad

    probs = input if p is None else p
    _check_probability("bernoulli", probs)
    dt = input.dtype if input.dtype.is_floating_point else _dt.get_default_dtype()
    u = rand(input.shape, generator=generator, dtype=dt, device=input.device)
    with no_grad():
        hit = u < (probs.detach().to(dt) if isinstance(probs, Tensor) else probs)
        return hit.to(input.dtype)


def _check_probability(op: str, p: Any) -> None:
    if isinstance(p, Tensor):
        if p.numel() == 0:
            return
        lo, hi = float(p.detach().amin()), float(p.detach().amax())  # a sync, as in PyTorch
    else:
        lo = hi = float(p)
    if not (0.0 <= lo and hi <= 1.0):
        got = p if not isinstance(p, Tensor) else f"values in [{lo:g}, {hi:g}]"
        raise RuntimeError(f"{op}: p must be in [0, 1], got {got}")


def multinomial(
    input: Tensor,  # noqa: A002 - PyTorch's name
    num_samples: int,
    replacement: bool = False,
    *,
    generator: Generator | None = None,
) -> Tensor:
    """Category indices drawn from the weights in the last dim of ``input`` (1-D, or one
    distribution per row of a 2-D tensor; weights need not sum to 1). Without replacement
    each row's samples are distinct. Returns int64 of shape (num_samples,) or (rows,
    num_samples). See Note [Sampling through generators].

    >>> import nanotorch
    >>> nanotorch.multinomial(nanotorch.tensor([0.0, 1.0, 0.0]), 2, replacement=True).tolist()
    [1, 1]
    """
    from nanotorch.autograd.grad_mode import no_grad
    from nanotorch.ops import isfinite, searchsorted, topk, where

    if input.ndim not in (1, 2):
        raise RuntimeError(
            f"multinomial: input must be 1-D or 2-D (one distribution per row), got shape "
            f"{input.shape}"
        )
    if isinstance(num_samples, bool) or not isinstance(num_samples, int) or num_samples <= 0:
        raise RuntimeError(f"multinomial: num_samples must be positive, got {num_samples!r}")
    n = input.shape[-1]
    if not replacement and num_samples > n:
        raise RuntimeError(
            f"multinomial: cannot draw {num_samples} samples without replacement from {n} "
            "categories; use replacement=True or fewer samples"
        )
    with no_grad():
        w = input.detach()
        w = w if w.dtype.is_floating_point else w.double()
        w2 = w.reshape(-1, n)
        # Validation reads the weights (a sync), as PyTorch's does.
        if not bool(((w2 >= 0) & isfinite(w2)).all()):
            raise RuntimeError(
                "multinomial: probabilities must be finite and non-negative; check input for "
                "negative, inf or nan values"
            )
        total = w2.sum(1, keepdim=True)
        if bool((total == 0).any()):
            raise RuntimeError(
                "multinomial: the sum of probabilities is 0 in some row; every row needs a "
                "positive weight"
            )
        positive = int((w2 > 0).sum(1).amin())
        if not replacement and positive < num_samples:
            raise RuntimeError(
                f"multinomial: only {positive} categories have non-zero probability in some "
                f"row, fewer than num_samples={num_samples} without replacement"
            )
        rows = w2.shape[0]
        u = rand((rows, num_samples if replacement else n), generator=generator,
                 dtype=w.dtype, device=w.device)  # fmt: skip
        if replacement:
            cdf = (w2 / total).cumsum(1)
            idx = searchsorted(cdf, u, right=True)
            idx = idx.clamp(max=n - 1)  # u just below 1 against a rounded cdf below 1
        else:
            live = w2 > 0  # a zero weight gets an infinite clock: never drawn
            clocks = where(live, -(1.0 - u).log() / where(live, w2, 1.0), math.inf)
            idx = topk(clocks, num_samples, dim=1, largest=False).indices
        return idx.reshape(num_samples) if input.ndim == 1 else idx


def normal(
    mean: Tensor | float,
    std: Tensor | float = 1.0,
    size: Sequence[int] | None = None,
    *,
    generator: Generator | None = None,
    dtype=None,
    device: DeviceLike = None,
    requires_grad: bool = False,
) -> Tensor:
    """Normal samples with the given ``mean`` and ``std``: tensors (broadcast together) or
    numbers; with two numbers ``size`` gives the shape.

    >>> import nanotorch
    >>> nanotorch.normal(0.0, 1.0, (2, 3)).shape
    (2, 3)
    """
    from nanotorch.autograd.grad_mode import no_grad
    from nanotorch.ops._util import broadcast_shapes

    tensors = [t for t in (mean, std) if isinstance(t, Tensor)]
    if isinstance(std, Tensor):
        if std.numel() and float(std.detach().amin()) < 0:
            raise RuntimeError("normal: std must be >= 0, got a negative value in std")
    elif std < 0:
        raise RuntimeError(f"normal: std must be >= 0, got {float(std)}")
    if not tensors:
        if size is None:
            raise TypeError("normal: give size= when mean and std are numbers")
        out = randn(size, generator=generator, dtype=dtype, device=device)
    else:
        shape = broadcast_shapes("normal", *(tuple(t.shape) for t in tensors))
        floats = [t.dtype for t in tensors if t.dtype.is_floating_point]
        dt = _dt.as_dtype(dtype) or (floats[0] if floats else _dt.get_default_dtype())
        out = randn(shape, generator=generator, dtype=dt, device=tensors[0].device)
    with no_grad():
        m = mean.detach().to(out.dtype) if isinstance(mean, Tensor) else mean
        s = std.detach().to(out.dtype) if isinstance(std, Tensor) else std
        out = out * s + m
    if requires_grad:
        out.requires_grad_(True)
    return out


__all__ = [
    "arange",
    "as_tensor",
    "bernoulli",
    "empty",
    "empty_like",
    "eye",
    "from_dlpack",
    "from_numpy",
    "full",
    "full_like",
    "linspace",
    "multinomial",
    "normal",
    "ones",
    "ones_like",
    "rand",
    "rand_like",
    "randint",
    "randint_like",
    "randn",
    "randn_like",
    "randperm",
    "tensor",
    "zeros",
    "zeros_like",
]
