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
