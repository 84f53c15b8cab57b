"""Window functions for spectral analysis under PyTorch's names: ``bartlett_window``,
``blackman_window``, ``hamming_window``, ``hann_window`` and ``kaiser_window``.

Each is a creation function (no tensor input): it builds the window on the asked device in
float64 with the backend's array namespace, then rounds to the asked floating dtype (the
default float unless ``dtype`` says otherwise).

Note [Periodic windows]
~~~~~~~~~~~~~~~~~~~~~~~
A symmetric window of length N is w(n) for n = 0 .. N-1 with the formula's period N - 1,
so both ends match (what a filter design wants). With ``periodic=True`` (the default, for
spectral analysis) the window is the symmetric one of length N + 1 with its last point
dropped, so that repeating it tiles without a doubled point. A window of length 1 is
[1.0] and of length 0 is empty, whatever the flag.

This module sits beside ``creation.py``: it imports no array library and reaches arrays
through a backend's ``xp``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from nanotorch.backend import device as _device
from nanotorch.backend import get_backend
from nanotorch.creation import get_default_device
from nanotorch.dtypes import DType, get_default_dtype
from nanotorch.errors import InvalidArgumentError, UnsupportedDtypeError
from nanotorch.tensor import Tensor

__all__ = [
    "bartlett_window",
    "blackman_window",
    "hamming_window",
    "hann_window",
    "kaiser_window",
]


def _window(
    op: str,
    window_length: int,
    periodic: bool,
    formula: Callable[[Any, Any, int], Any],
    dtype: DType | None,
    device: Any,
    requires_grad: bool,
) -> Tensor:
    """The window ``formula(xp, n, N)`` (float64 n = 0 .. N-1, symmetric length N) with
    Note [Periodic windows] applied."""
    if isinstance(window_length, bool) or not isinstance(window_length, int):
        raise TypeError(f"{op}: window_length must be an int, got {type(window_length).__name__}")
    if window_length < 0:
        raise InvalidArgumentError(f"{op}: window_length must be non-negative, got {window_length}")
    if not isinstance(periodic, bool):
        raise TypeError(f"{op}: periodic must be a bool, got {type(periodic).__name__}")
    dt = dtype or get_default_dtype()
    if not isinstance(dt, DType) or not dt.is_floating_point:
        raise UnsupportedDtypeError(
            f"{op}: expected a floating point dtype, got {dt!r}; pass dtype=nanotorch.float32 "
            "or nanotorch.float64"
        )
    dev = device if device is not None else get_default_device()
    dev = _device(dev)
    backend = get_backend(dev)
    native = backend.native_dtype(dt)
    xp = backend.xp
    with backend.context():
        if window_length <= 1:
            data = xp.ones((window_length,), dtype=native, device=backend.native_device)
        else:
            n_sym = window_length + 1 if periodic else window_length
            n = xp.arange(n_sym, dtype=xp.float64, device=backend.native_device)
            values = formula(xp, n, n_sym)[:window_length]
            data = xp.astype(values, native)
    out = Tensor._make(data, dev, backend, False, None)
    if requires_grad:
        out.requires_grad_(True)
    return out


def _cosine_sum(*coeffs: float) -> Callable[[Any, Any, int], Any]:
    """sum_k (-1)^k a_k cos(2 pi k n / (N - 1)): Hann, Hamming and Blackman."""

    def formula(xp: Any, n: Any, size: int) -> Any:
        phase = 2.0 * math.pi * n / (size - 1)
        out = xp.zeros_like(n) + coeffs[0]
        for k, a in enumerate(coeffs[1:], start=1):
            out = out + (-1) ** k * a * xp.cos(k * phase)
        return out

    return formula


def hann_window(
    window_length: int,
    periodic: bool = True,
    *,
    dtype: DType | None = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """The Hann window 1/2 - 1/2 cos(2 pi n / (N - 1)) (Note [Periodic windows]).

    >>> import nanotorch
    >>> nanotorch.hann_window(4, periodic=False).tolist()
    [0.0, 0.75, 0.75, 0.0]
    """
    return _window(
        "hann_window",
        window_length,
        periodic,
        _cosine_sum(0.5, 0.5),
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
    dtype: DType | None = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """The Hamming window alpha - beta cos(2 pi n / (N - 1)) (Note [Periodic windows]).

    >>> import nanotorch
    >>> [round(v, 2) for v in nanotorch.hamming_window(3, periodic=False).tolist()]
    [0.08, 1.0, 0.08]
    """
    return _window(
        "hamming_window",
        window_length,
        periodic,
        _cosine_sum(alpha, beta),
        dtype,
        device,
        requires_grad,
    )


def blackman_window(
    window_length: int,
    periodic: bool = True,
    *,
    dtype: DType | None = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """The Blackman window 0.42 - 0.5 cos(2 pi n / (N - 1)) + 0.08 cos(4 pi n / (N - 1))
    (Note [Periodic windows]).

    >>> import nanotorch
    >>> [round(v, 6) for v in nanotorch.blackman_window(3, periodic=False).tolist()]
    [-0.0, 1.0, -0.0]
    """
    return _window(
        "blackman_window",
        window_length,
        periodic,
        _cosine_sum(0.42, 0.5, 0.08),
        dtype,
        device,
        requires_grad,
    )


def _bartlett(xp: Any, n: Any, size: int) -> Any:
    return 1.0 - xp.abs(2.0 * n / (size - 1) - 1.0)


def bartlett_window(
    window_length: int,
    periodic: bool = True,
    *,
    dtype: DType | None = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """The Bartlett (triangular) window 1 - |2 n / (N - 1) - 1| (Note [Periodic windows]).

    >>> import nanotorch
    >>> nanotorch.bartlett_window(5, periodic=False).tolist()
    [0.0, 0.5, 1.0, 0.5, 0.0]
    """
    return _window(
        "bartlett_window", window_length, periodic, _bartlett, dtype, device, requires_grad
    )


def kaiser_window(
    window_length: int,
    periodic: bool = True,
    beta: float = 12.0,
    *,
    dtype: DType | None = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """The Kaiser window I0(beta sqrt(1 - ((n - a) / a)^2)) / I0(beta), a = (N - 1) / 2,
    with I0 the modified Bessel function of order 0 (``nanotorch.i0``'s kernel;
    Note [Periodic windows]).

    >>> import nanotorch
    >>> nanotorch.kaiser_window(3, periodic=False, beta=0.0).tolist()
    [1.0, 1.0, 1.0]
    """
    from nanotorch.ops.special_functions import _bessel_i

    if isinstance(beta, bool) or not isinstance(beta, (int, float)):
        raise TypeError(f"kaiser_window: beta must be a number, got {type(beta).__name__}")

    def formula(xp: Any, n: Any, size: int) -> Any:
        half = (size - 1) / 2.0
        ratio = (n - half) / half
        arg = float(beta) * xp.sqrt(xp.clip(1.0 - ratio * ratio, 0.0, None))
        return _bessel_i(xp, arg, 0) / _bessel_i(xp, xp.full_like(n[:1], float(beta)), 0)

    return _window("kaiser_window", window_length, periodic, formula, dtype, device, requires_grad)
