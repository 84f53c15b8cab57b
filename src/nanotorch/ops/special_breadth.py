"""The functions of ``torch.special`` that have no top-level PyTorch op: the standard normal
distribution's CDF ``ndtr``, its inverse ``ndtri`` and ``log_ndtr``; the entropy term
``entr``; ``xlog1py``; the Bessel function ``i1`` and the exponentially scaled ``i0e`` and
``i1e``; the scaled complementary error function ``erfcx``; and ``spherical_bessel_j0``.
``nanotorch.special`` (src/nanotorch/special.py) gathers them with the aliases of existing ops.

Most are composites of differentiable ops (no Function needed). Two are Functions because a
composite would lose the value where it matters:

Note [erfcx and the normal tail]
~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
erfcx(x) = exp(x^2) erfc(x). For x <= 26 the product of the two kernels is accurate (erfc
keeps relative accuracy there, ops/_special.py); beyond, erfc underflows, so the asymptotic
series 1 / (x sqrt(pi)) (1 - 1/(2x^2) + 3/(4x^4) - 15/(8x^6) + 105/(16x^8)) takes over (its
first omitted term is below 1e-14 relative at x = 26). d/dx erfcx = 2x erfcx(x) - 2/sqrt(pi).
log_ndtr(x) = log(erfcx(t) / 2) - t^2 with t = -x/sqrt(2) for x < 0, so the far left tail
(log_ndtr(-30) = -454.3) does not underflow to log(0); log1p(-erfc(x/sqrt 2) / 2) for x >= 0.
Its derivative, pdf / cdf, is sqrt(2/pi) / erfcx(t) for every x.

The module imports no array library; kernels reach arrays through ``xp``.
"""

from __future__ import annotations

import math
from typing import Any

from nanotorch.autograd.function import Function
from nanotorch.ops import _special
from nanotorch.ops.elementwise import abs as _abs
from nanotorch.ops.elementwise import exp, log, log1p, sin, where
from nanotorch.ops.math import erfc, erfinv
from nanotorch.ops.special_functions import I1, _as_float, i0
from nanotorch.tensor import Tensor

# What this family exports (Note [Op registry] in ops/__init__.py).
OPS = (
    "ndtr",
    "ndtri",
    "log_ndtr",
    "entr",
    "xlog1py",
    "i1",
    "i0e",
    "i1e",
    "erfcx",
    "spherical_bessel_j0",
)

_SQRT2 = math.sqrt(2.0)
_ASYMPTOTIC_FROM = 26.0


def _erfcx_kernel(xp: Any, x: Any) -> Any:
    """Note [erfcx and the normal tail]."""
    dtype = x.dtype
    x = xp.astype(x, xp.float64)
    near = x <= _ASYMPTOTIC_FROM
    xn = xp.where(near, x, xp.zeros_like(x))
    direct = xp.exp(xn * xn) * _special.erfc(xp, xn)
    xf = xp.where(near, xp.full_like(x, 2 * _ASYMPTOTIC_FROM), x)
    r = 1.0 / (2.0 * xf * xf)
    series = 1.0 - r * (1.0 - 3.0 * r * (1.0 - 5.0 * r * (1.0 - 7.0 * r)))
    far = series / (xf * math.sqrt(math.pi))
    return xp.astype(xp.where(near, direct, far), dtype)


class Erfcx(Function):
    """out = exp(a^2) erfc(a);  da = g (2 a out - 2/sqrt(pi)). Saves the input and output."""

    @staticmethod
    def forward(ctx, xp, a):
        out = _erfcx_kernel(xp, a)
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, g):
        a, out = ctx.saved_tensors
        return g * (2.0 * a * out - 2.0 / math.sqrt(math.pi))


def erfcx(input: Tensor) -> Tensor:  # noqa: A002
    """The scaled complementary error function exp(x^2) erfc(x), finite for large x.

    >>> import nanotorch
    >>> x = nanotorch.tensor(30.0, dtype=nanotorch.float64)
    >>> print(f"{nanotorch.special.erfcx(x).item():.6e}")
    1.879589e-02
    """
    return Erfcx.apply(_as_float("erfcx", input))


class LogNdtr(Function):
    """out = log Phi(a);  da = g sqrt(2/pi) / erfcx(-a/sqrt 2). Saves the input
    (Note [erfcx and the normal tail])."""

    @staticmethod
    def forward(ctx, xp, a):
        ctx.save_for_backward(a)
        x = xp.astype(a, xp.float64)
        left = x < 0
        t = -xp.where(left, x, xp.zeros_like(x)) / _SQRT2
        tail = xp.log(_erfcx_kernel(xp, t) / 2.0) - t * t
        xr = xp.where(left, xp.zeros_like(x), x) / _SQRT2
        body = xp.log1p(-_special.erfc(xp, xr) / 2.0)
        return xp.astype(xp.where(left, tail, body), a.dtype)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return g * math.sqrt(2.0 / math.pi) / Erfcx.apply(-a / _SQRT2)


def log_ndtr(input: Tensor) -> Tensor:  # noqa: A002
    """log of the standard normal CDF, accurate in the far left tail."""
    return LogNdtr.apply(_as_float("log_ndtr", input))


def ndtr(input: Tensor) -> Tensor:  # noqa: A002
    """The standard normal CDF Phi(x) = erfc(-x / sqrt 2) / 2."""
    return erfc(-_as_float("ndtr", input) / _SQRT2) / 2.0


def ndtri(input: Tensor) -> Tensor:  # noqa: A002
    """The inverse of ndtr on [0, 1]: sqrt(2) erfinv(2p - 1) (-inf at 0, inf at 1)."""
    return _SQRT2 * erfinv(2.0 * _as_float("ndtri", input) - 1.0)


def entr(input: Tensor) -> Tensor:  # noqa: A002
    """-x log x for x > 0, 0 at 0, -inf for x < 0 (the elementwise entropy term)."""
    x = _as_float("entr", input)
    pos = x > 0
    # log of a safe value, so the masked branch neither warns nor sends nan into the gradient.
    body = -x * log(where(pos, x, 1.0))
    return where(pos, body, where(x == 0, 0.0, -math.inf))


def xlog1py(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    """input * log1p(other), 0 where input is 0 (even where log1p(other) is inf or nan)."""
    x = _as_float("xlog1py", input)
    y = _as_float("xlog1py", other)
    return where(x == 0, 0.0, x * log1p(y))


def i1(input: Tensor) -> Tensor:  # noqa: A002
    """The modified Bessel function of the first kind of order one."""
    return I1.apply(_as_float("i1", input))


def i0e(input: Tensor) -> Tensor:  # noqa: A002
    """I0(x) exp(-|x|), the exponentially scaled Bessel function of order zero."""
    x = _as_float("i0e", input)
    return i0(x) * exp(-_abs(x))


def i1e(input: Tensor) -> Tensor:  # noqa: A002
    """I1(x) exp(-|x|), the exponentially scaled Bessel function of order one."""
    x = _as_float("i1e", input)
    return i1(x) * exp(-_abs(x))


def spherical_bessel_j0(input: Tensor) -> Tensor:  # noqa: A002
    """sin(x) / x, 1 at 0."""
    x = _as_float("spherical_bessel_j0", input)
    zero = x == 0
    safe = where(zero, 1.0, x)
    return where(zero, 1.0, sin(safe) / safe)
