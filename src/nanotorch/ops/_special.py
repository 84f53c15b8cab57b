"""The error function, its complement and its inverse on raw arrays, for every backend.

The array API standard has no ``erf``, so nanotorch computes it from operations it does
have. Every user of erf (``nanotorch.erf``, ``erfc``, ``erfinv`` in ops/math.py, exact GELU
and the normal CDF in ops/elementwise.py) calls these kernels, so there is one
approximation, with one error bound, in the code base. This module is private (no ``OPS``):
it holds array kernels, not ops. It imports no array library; ``xp`` is passed in.

Note [erf without the standard]
~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
Two pieces, each accurate where the other is not:

- ``|x| < 0.5``: the Taylor series erf(x) = 2/sqrt(pi) sum_n (-1)^n x^(2n+1) / (n! (2n+1)).
  With x^2 <= 1/4 the 13 terms kept leave a remainder below 1e-17 relative, and the
  alternating terms shrink fast enough that cancellation costs nothing.
- ``x >= 0.5``: erfc(x) = t exp(-x^2 + P(t)) with t = 2 / (2 + x). Factoring out the
  Gaussian leaves P smooth and bounded on (0, 1], so a short Chebyshev series fits it;
  erf = 1 - erfc there loses nothing because erf >= 0.52. The 25 coefficients are the
  Chebyshev interpolant of P(t) = log(erfc(x) / t) + x^2 on t in [1/14, 1] (x in [0, 26]),
  computed in float64 from Python's ``math.erfc`` (``scripts/fit_erfc.py`` recomputes them).
  Beyond x = 26 the argument of P is held at t = 1/14; erfc(26) is 6e-296, so only values in
  the last few hundred orders of magnitude above underflow lose relative accuracy.

Measured against ``math.erf`` / ``math.erfc`` in float64 (tests/unit/test_math_ops.py):
erf's relative error is below 1e-15 everywhere, erfc's below 1e-14 for x <= 6 and 1e-12 up
to x = 26. That is far below what float64 gradchecks resolve. float32 inputs use a shorter
series (``_FLOAT32_TERMS``): erf within 4e-7 relative, erfc within 6e-6 (float32's own
rounding of x^2 dominates there). The price of accuracy is speed: exact GELU's forward on a
(256, 1024) float32 input takes about 1.5x as long as with the old 1.5e-7 approximation.

erfinv starts from Winitzki's closed form (relative error about 2e-3) and takes four Newton
steps on erf (on erfc in the tails, where 1 - |y| is exact and erfc keeps relative
accuracy). Newton roughly squares the error each step, so four steps reach the accuracy of
erf itself: the measured error of erfinv is below 1e-14 relative for |y| <= 1 - 1e-15.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)

# Taylor coefficients of erf(x) / (x * 2/sqrt(pi)) in powers of x^2: (-1)^n / (n! (2n+1)).
_SERIES = tuple((-1) ** n / (math.factorial(n) * (2 * n + 1)) for n in range(13))

# Chebyshev coefficients of P on t in [_T_MIN, 1], mapped to u in [-1, 1]
# (Note [erf without the standard]).
_T_MIN = 2.0 / (2.0 + 26.0)
_CHEB = (
    -0.6092679598644094,
    0.6040158823276675,
    0.013711483828851593,
    -0.008217478410726854,
    -0.0005296465789306334,
    0.00028572970814587205,
    1.4928076148786726e-05,
    -1.3583334861185256e-05,
    3.004956791182236e-08,
    6.984316824200702e-07,
    -5.8473427534397604e-08,
    -3.306831852155662e-08,
    6.6623053203082825e-09,
    1.1390065376886415e-09,
    -5.181277180071838e-10,
    7.193067739425301e-13,
    2.962931775290396e-11,
    -4.260686918435284e-12,
    -1.0355565400601532e-12,
    3.960579242350034e-13,
    -5.273146100801615e-15,
    -2.262956120003261e-14,
    6.536140994842054e-15,
    -1.5857762218451869e-15,
    1.1881241773021993e-15,
)

# Winitzki's constant for the starting guess of erfinv.
_WINITZKI_A = 0.147


# float32 needs a relative error of about 1e-8 only: the first 8 Taylor terms and 13
# Chebyshev coefficients reach it (the dropped terms sum to below 1e-8), at half the cost.
_FLOAT32_TERMS = (8, 13)


def _terms(xp: Any, x: Any) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """The Taylor and Chebyshev coefficients ``x``'s precision needs."""
    if x.dtype == xp.float32:
        return _SERIES[: _FLOAT32_TERMS[0]], _CHEB[: _FLOAT32_TERMS[1]]
    return _SERIES, _CHEB


def _erf_small(xp: Any, x: Any) -> Any:
    """erf(x) for |x| <= 0.5 (callers clip x there), by the Taylor series in x^2."""
    series = _terms(xp, x)[0]
    y = x * x
    acc = xp.zeros_like(x) + series[-1]
    for c in series[-2::-1]:
        acc = acc * y + c
    return x * acc * _TWO_OVER_SQRT_PI


def _erfc_nonneg(xp: Any, ax: Any) -> Any:
    """erfc(x) for x >= 0 (nan stays nan, inf gives 0), by the Chebyshev fit."""
    cheb = _terms(xp, ax)[1]
    t = 2.0 / (2.0 + ax)
    u = (xp.clip(t, _T_MIN, 1.0) - _T_MIN) * (2.0 / (1.0 - _T_MIN)) - 1.0
    # Clenshaw's recurrence sums the series without forming the Chebyshev polynomials.
    b1 = xp.zeros_like(u)
    b2 = xp.zeros_like(u)
    for c in cheb[:0:-1]:
        b1, b2 = 2.0 * u * b1 - b2 + c, b1
    p = u * b1 - b2 + cheb[0]
    return t * xp.exp(p - ax * ax)


def erf(xp: Any, x: Any) -> Any:
    """erf(x) elementwise on a floating array (Note [erf without the standard])."""
    ax = xp.abs(x)
    small = _erf_small(xp, xp.clip(x, -0.5, 0.5))
    large = xp.copysign(1.0 - _erfc_nonneg(xp, ax), x)
    return xp.where(ax < 0.5, small, large)


def erfc(xp: Any, x: Any) -> Any:
    """erfc(x) = 1 - erf(x), accurate also where it is tiny (large positive x)."""
    ax = xp.abs(x)
    tail = _erfc_nonneg(xp, ax)
    small = 1.0 - _erf_small(xp, xp.clip(x, -0.5, 0.5))
    return xp.where(ax < 0.5, small, xp.where(x < 0, 2.0 - tail, tail))


def erfinv(xp: Any, y: Any) -> Any:
    """The x with erf(x) = y, for y in [-1, 1]: +-inf at +-1, nan outside and for nan."""
    ay = xp.abs(y)
    tiny = xp.finfo(y.dtype).smallest_normal
    # 1 - |y| is exact for |y| >= 0.5 (Sterbenz), which is where the tail residual uses it.
    tail = xp.clip(1.0 - ay, tiny, 1.0)
    log_term = xp.log(tail * (1.0 + xp.clip(ay, 0.0, 1.0)))
    b = 2.0 / (math.pi * _WINITZKI_A) + 0.5 * log_term
    x = xp.sqrt(xp.sqrt(b * b - log_term / _WINITZKI_A) - b)
    centre = ay < 0.5
    for _ in range(4):
        residual = xp.where(
            centre, _erf_small(xp, xp.clip(x, 0.0, 0.5)) - ay, tail - _erfc_nonneg(xp, x)
        )
        x = x - residual / (_TWO_OVER_SQRT_PI * xp.exp(-x * x))
    out = xp.copysign(x, y)
    out = xp.where(ay == 1.0, xp.copysign(xp.full_like(y, math.inf), y), out)
    return xp.where(ay > 1.0, xp.full_like(y, math.nan), out)


# --------------------------------------------------------------------------- gamma family
# Note [Gamma functions without the standard]
# ~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
# lgamma, digamma and trigamma (digamma's derivative) are built from what the standard has.
# All three work in float64 whatever the input dtype (the Lanczos sum cancels terms of size
# 1e3, which float32 cannot afford) and reflect x < 0.5 onto 1 - x, where the series work:
#
# - lgamma: Lanczos' approximation (g = 7, nine coefficients), about 1e-15 relative in
#   Gamma, so an absolute error near 1e-15 in lgamma even at its zeros x = 1, 2.
#   Reflection: lgamma(x) = log(pi / |sin(pi x)|) - lgamma(1 - x).
# - digamma and trigamma: the recurrences psi(x) = psi(x + 1) - 1/x and
#   psi1(x) = psi1(x + 1) + 1/x^2 lift x to at least 10, where the asymptotic series (to
#   x^-12) is accurate to float64 rounding. Reflection: psi(x) = psi(1 - x) - pi / tan(pi x),
#   psi1(x) = pi^2 / sin^2(pi x) - psi1(1 - x).
#
# The poles follow PyTorch: lgamma is +inf at 0 and the negative integers (and at +-inf);
# digamma(+0) = -inf, digamma(-0) = +inf, nan at the negative integers and -inf.
_LANCZOS = (
    0.99999999999980993,
    676.5203681218851,
    -1259.1392167224028,
    771.32342877765313,
    -176.61502916214059,
    12.507343278686905,
    -0.13857109526572012,
    9.9843695780195716e-6,
    1.5056327351493116e-7,
)


def _to64(xp: Any, x: Any) -> Any:
    return xp.astype(x, xp.float64)


def _lgamma_right(xp: Any, y: Any) -> Any:
    """lgamma for y >= 0.5 (Lanczos)."""
    z = y - 1.0
    s = xp.full_like(z, _LANCZOS[0])
    for i, c in enumerate(_LANCZOS[1:], start=1):
        s = s + c / (z + float(i))
    t = z + 7.5
    return 0.5 * math.log(2 * math.pi) + (z + 0.5) * xp.log(t) - t + xp.log(s)


def lgamma(xp: Any, x: Any) -> Any:
    dtype = x.dtype
    x = _to64(xp, x)
    left = x < 0.5
    y = xp.where(left, 1.0 - x, x)
    y = xp.where(xp.isinf(y), xp.ones_like(y), y)  # kept finite; the infinities are set below
    right = _lgamma_right(xp, y)
    sin_pix = xp.abs(xp.sin(math.pi * (x - xp.floor(x))))
    out = xp.where(left, math.log(math.pi) - xp.log(sin_pix) - right, right)
    pole = (x <= 0.0) & (xp.floor(x) == x)
    out = xp.where(pole | xp.isinf(x), xp.full_like(out, math.inf), out)
    return xp.astype(out, dtype)


def _lift(xp: Any, x: Any, step: Callable[[Any], Any]) -> tuple[Any, Any]:
    """Raise x to at least 10 by the recurrence, returning (x', the accumulated terms)."""
    acc = xp.zeros_like(x)
    for _ in range(10):
        small = x < 10.0
        acc = acc + xp.where(small, step(x), xp.zeros_like(x))
        x = xp.where(small, x + 1.0, x)
    return x, acc


def _digamma_right(xp: Any, x: Any) -> Any:
    x, acc = _lift(xp, x, lambda v: -1.0 / v)
    r = 1.0 / (x * x)
    series = r * (
        1 / 12 - r * (1 / 120 - r * (1 / 252 - r * (1 / 240 - r * (1 / 132 - r * 691 / 32760))))
    )
    return acc + xp.log(x) - 0.5 / x - series


def digamma(xp: Any, x: Any) -> Any:
    dtype = x.dtype
    x = _to64(xp, x)
    left = x < 0.5
    y = xp.where(left, 1.0 - x, x)
    y = xp.where(xp.isinf(y), xp.ones_like(y), y)
    right = _digamma_right(xp, y)
    out = xp.where(left, right - math.pi / xp.tan(math.pi * (x - xp.floor(x))), right)
    out = xp.where(x == math.inf, xp.full_like(out, math.inf), out)
    bad = ((x < 0.0) & (xp.floor(x) == x)) | (x == -math.inf)
    out = xp.where(bad, xp.full_like(out, math.nan), out)
    zero = x == 0.0
    signed = xp.where(xp.signbit(x), xp.full_like(out, math.inf), xp.full_like(out, -math.inf))
    out = xp.where(zero, signed, out)
    return xp.astype(out, dtype)


def trigamma(xp: Any, x: Any) -> Any:
    dtype = x.dtype
    x = _to64(xp, x)
    left = x < 0.5
    y = xp.where(left, 1.0 - x, x)
    y = xp.where(xp.isinf(y), xp.ones_like(y), y)
    y, acc = _lift(xp, y, lambda v: 1.0 / (v * v))
    r = 1.0 / (y * y)
    series = (1.0 / y) * (1 + r * (1 / 6 - r * (1 / 30 - r * (1 / 42 - r * (1 / 30 - r * 5 / 66)))))
    right = acc + series + 0.5 * r
    sin_pix = xp.sin(math.pi * (x - xp.floor(x)))
    out = xp.where(left, math.pi**2 / (sin_pix * sin_pix) - right, right)
    out = xp.where(x == math.inf, xp.zeros_like(out), out)
    out = xp.where(x == -math.inf, xp.full_like(out, math.nan), out)
    return xp.astype(out, dtype)
