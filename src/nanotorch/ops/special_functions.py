"""Special functions PyTorch has at top level beyond the gamma family of ops/math.py: the
modified Bessel function ``i0``, ``polygamma`` of any order, the multivariate log-gamma
``mvlgamma``, and the regularized incomplete gamma functions ``igamma`` / ``igammac``.

Their kernels work on raw float64 arrays through ``xp`` with what the array API standard
has (elementwise arithmetic, exp, log, where), as ops/_special.py does for erf and lgamma,
and round to the input's dtype at the end.

Note [Series for Bessel, zeta and incomplete gamma]
~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
- I0 and I1: the power series sum_k (x^2/4)^k / (k! (k+nu)!) (x/2)^nu for |x| <= 30 (90
  terms: the terms peak near k = |x|/2 and are below 1e-17 of the sum by k = 90), and the
  asymptotic series e^x / sqrt(2 pi x) sum_k (-1)^k a_k(nu) / x^k beyond (40 terms, whose
  smallest term at |x| = 30 is below 1e-23). I0 is even and I1 odd.
- polygamma(n, x) for n >= 2 is (-1)^(n+1) n! zeta(n + 1, x), with the Hurwitz zeta computed
  as Cephes (and so PyTorch) does: the first terms summed directly until q + i > 9, then the
  Euler-Maclaurin tail with 12 Bernoulli terms. n = 0 and 1 use digamma and trigamma of
  ops/_special.py. The derivative of polygamma(n) is polygamma(n + 1), so every order of
  gradient is available.
- P(a, x) (``igamma``) and Q(a, x) = 1 - P (``igammac``): the power series for P where
  x <= max(a, 1.1), and the continued fraction for Q (modified Lentz) elsewhere. Each runs
  until every element has converged, checked every 20 iterations (one read of a flag from
  the device; typical arguments need 20 to 60), and at most 300 iterations, which reach
  float64 accuracy for a up to a few thousand. d/dx P = x^(a-1) e^-x / Gamma(a); as in
  PyTorch, the derivative with respect to a is not implemented and asking for it raises.

Like the rest of the engine, this module imports no array library.
"""

from __future__ import annotations

import math
from typing import Any

from nanotorch.autograd.function import PROMOTE, Function
from nanotorch.dtypes import get_default_dtype
from nanotorch.errors import InvalidArgumentError, UnsupportedDtypeError
from nanotorch.ops import _special
from nanotorch.ops._util import broadcast_shapes
from nanotorch.ops.elementwise import exp, log, where
from nanotorch.ops.math import lgamma
from nanotorch.tensor import Tensor

# What this family exports; nanotorch.<name> and the op-spec tests derive from it
# (Note [Op registry] in ops/__init__.py).
OPS = ("i0", "polygamma", "mvlgamma", "igamma", "igammac")
ALIASES: dict[str, str] = {}

_SERIES_LIMIT = 30.0
_SERIES_TERMS = 90
_ASYMPTOTIC_TERMS = 40


def _as_float(op: str, a: Any) -> Tensor:
    if not isinstance(a, Tensor):
        raise TypeError(f"{op}: expected a Tensor, got {type(a).__name__}")
    return a if a.dtype.is_floating_point else a.to(get_default_dtype())


# ----------------------------------------------------------------------------- Bessel I0, I1
def _bessel_i(xp: Any, x: Any, nu: int) -> Any:
    """I_nu(x) for nu in (0, 1) (Note [Series for Bessel, zeta and incomplete gamma])."""
    dtype = x.dtype
    x = xp.astype(x, xp.float64)
    ax = xp.abs(x)
    small = ax <= _SERIES_LIMIT
    xs = xp.where(small, ax, xp.zeros_like(ax))
    q = xs * xs / 4.0
    term = (xs / 2.0) ** nu / math.factorial(nu)
    total = term
    for k in range(1, _SERIES_TERMS):
        term = term * q / (k * (k + nu))
        total = total + term
    xl = xp.where(small, xp.full_like(ax, 2 * _SERIES_LIMIT), ax)
    mu = 4.0 * nu * nu
    term = xp.ones_like(xl)
    acc = term
    for k in range(1, _ASYMPTOTIC_TERMS):
        term = -term * (mu - (2 * k - 1) ** 2) / (8.0 * k * xl)
        acc = acc + term
    # e^x / sqrt(2 pi x) as one exp, so it overflows only where the value itself does.
    big = xp.exp(xl - 0.5 * xp.log(2.0 * math.pi * xl)) * acc
    out = xp.where(small, total, big)
    if nu == 1:
        out = xp.where(x < 0, -out, out)
    return xp.astype(out, dtype)


class I1(Function):
    """out = I1(a);  da = g (I0(a) - I1(a) / a), 1/2 at a = 0. Saves the input and output.
    Internal: i0's derivative, not an exported op."""

    @staticmethod
    def forward(ctx, xp, a):
        out = _bessel_i(xp, a, 1)
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, g):
        a, out = ctx.saved_tensors
        zero = a == 0
        safe = where(zero, 1.0, a)
        return g * where(zero, 0.5, I0.apply(a) - out / safe)


class I0(Function):
    """out = I0(a), the modified Bessel function of the first kind of order 0;  da = g I1(a).
    Saves the input."""

    @staticmethod
    def forward(ctx, xp, a):
        ctx.save_for_backward(a)
        return _bessel_i(xp, a, 0)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return g * I1.apply(a)


def i0(input: Tensor) -> Tensor:  # noqa: A002
    """The modified Bessel function of the first kind of order zero, elementwise (integer
    inputs become the default float dtype).

    >>> import nanotorch
    >>> print(f"{nanotorch.i0(nanotorch.tensor(1.0)).item():.6f}")
    1.266066
    """
    return I0.apply(_as_float("i0", input))


# ------------------------------------------------------------------------------- polygamma
# (2k)! / B_2k for k = 1..12: the Euler-Maclaurin coefficients Cephes' zeta uses.
_ZETA_A = (
    12.0,
    -720.0,
    30240.0,
    -1209600.0,
    47900160.0,
    -1.8924375803183791606e9,
    7.47242496e10,
    -2.950130727918164224e12,
    1.1646782814350067249e14,
    -4.5979787224074726105e15,
    1.8152105401943546773e17,
    -7.1661652561756670113e18,
)


def _hurwitz_zeta(xp: Any, s: float, q: Any) -> Any:
    """zeta(s, q) = sum_i (q + i)^-s for s > 1 on float64 q; inf at q = 0, -1, -2, ..."""
    pole = (q <= 0) & (xp.floor(q) == q)
    q = xp.where(pole, xp.ones_like(q), q)
    a = q
    total = a**-s
    for _ in range(9):
        a = a + 1.0
        total = total + a**-s
    for _ in range(40):  # negative q: keep going until q + i > 9, as Cephes does
        more = a <= 9.0
        a = xp.where(more, a + 1.0, a)
        total = total + xp.where(more, a**-s, xp.zeros_like(a))
    b = a**-s
    total = total + b * a / (s - 1.0) - 0.5 * b
    fac = 1.0
    k = 0.0
    for coeff in _ZETA_A:
        fac = fac * (s + k)
        b = b / a
        total = total + fac * b / coeff
        k += 1.0
        fac = fac * (s + k)
        b = b / a
        k += 1.0
    return xp.where(pole, xp.full_like(total, math.inf), total)


def _polygamma_kernel(xp: Any, x: Any, n: int) -> Any:
    if n == 0:
        return _special.digamma(xp, x)
    if n == 1:
        return _special.trigamma(xp, x)
    dtype = x.dtype
    z = _hurwitz_zeta(xp, float(n + 1), xp.astype(x, xp.float64))
    sign = 1.0 if n % 2 else -1.0
    return xp.astype(sign * math.factorial(n) * z, dtype)


class Polygamma(Function):
    """out = psi^(n)(a), the n-th derivative of digamma;  da = g psi^(n+1)(a). Saves the
    input."""

    @staticmethod
    def forward(ctx, xp, a, n):
        ctx.save_for_backward(a)
        ctx.n = n
        return _polygamma_kernel(xp, a, n)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return g * Polygamma.apply(a, n=ctx.n + 1)


def polygamma(n: int, input: Tensor) -> Tensor:  # noqa: A002
    """The n-th derivative of the digamma function, elementwise (n = 0 is digamma).

    >>> import nanotorch
    >>> print(f"{nanotorch.polygamma(1, nanotorch.tensor(1.0)).item():.6f}")  # pi^2 / 6
    1.644934
    """
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"polygamma: n must be an int, got {type(n).__name__} {n!r}")
    if n < 0:
        raise InvalidArgumentError(f"polygamma: polygamma(n, x) does not support negative n ({n})")
    return Polygamma.apply(_as_float("polygamma", input), n=n)


def mvlgamma(input: Tensor, p: int) -> Tensor:  # noqa: A002
    """The multivariate log-gamma function of dimension p, elementwise:
    p (p - 1) / 4 log(pi) + sum_{i<p} lgamma(input - i / 2). It is defined for elements
    above (p - 1) / 2; like PyTorch, nanotorch does not check that (lgamma's log |Gamma|
    continues it, with inf at the poles). Composite of lgamma, so its gradient is a sum of
    digammas.

    >>> import nanotorch
    >>> print(f"{nanotorch.mvlgamma(nanotorch.tensor(2.5), 1).item():.6f}")  # lgamma(2.5)
    0.284683
    """
    x = _as_float("mvlgamma", input)
    if isinstance(p, bool) or not isinstance(p, int):
        raise TypeError(f"mvlgamma: p must be an int, got {type(p).__name__} {p!r}")
    if p < 1:
        raise InvalidArgumentError(f"mvlgamma: p has to be greater than or equal to 1, got {p}")
    out = lgamma(x)
    for i in range(1, p):
        out = out + lgamma(x - i / 2)
    return out + p * (p - 1) / 4 * math.log(math.pi)


# ------------------------------------------------------------------------ incomplete gamma
_GAMMA_ITERS = 300
_CHECK_EVERY = 20  # iterations between convergence checks (each one reads a flag)
_EPS = 1e-17
_ULP = 2.220446049250313e-16  # float64's machine epsilon
_TINY = 1e-300


def _igamma_parts(xp: Any, a: Any, x: Any) -> tuple[Any, Any, Any]:
    """(P, Q, where the continued fraction was used) for float64 a > 0, x > 0 finite; other
    arguments get placeholders that the caller replaces."""
    ok = (a > 0) & (x > 0) & xp.isfinite(a) & xp.isfinite(x)
    a = xp.where(ok, a, xp.ones_like(a))
    x = xp.where(ok, x, xp.ones_like(x))
    use_cf = (x > 1.1) & (x > a)
    log_front = a * xp.log(x) - x - _special.lgamma(xp, a)
    # Series for P (where not use_cf).
    xs = xp.where(use_cf, xp.zeros_like(x), x)
    ap = a
    term = 1.0 / a
    total = term
    for i in range(1, _GAMMA_ITERS + 1):
        ap = ap + 1.0
        term = term * xs / ap
        total = total + term
        if i % _CHECK_EVERY == 0 and bool(xp.all(xp.abs(term) <= _EPS * xp.abs(total))):
            break
    p_series = total * xp.exp(log_front)
    # Continued fraction for Q (where use_cf), modified Lentz.
    xc = xp.where(use_cf, x, a + 2.0)
    b = xc + 1.0 - a
    c = xp.full_like(b, 1.0 / _TINY)
    d = 1.0 / b
    h = d
    for i in range(1, _GAMMA_ITERS + 1):
        an = -i * (i - a)
        b = b + 2.0
        d = an * d + b
        d = xp.where(xp.abs(d) < _TINY, xp.full_like(d, _TINY), d)
        c = b + an / c
        c = xp.where(xp.abs(c) < _TINY, xp.full_like(c, _TINY), c)
        d = 1.0 / d
        step = d * c
        h = h * step
        if i % _CHECK_EVERY == 0 and bool(xp.all(xp.abs(step - 1.0) <= 4 * _ULP)):
            break
    q_cf = xp.exp(log_front) * h
    p = xp.where(use_cf, 1.0 - q_cf, p_series)
    q = xp.where(use_cf, q_cf, 1.0 - p_series)
    return p, q, ok


def _igamma_kernel(xp: Any, a: Any, x: Any, upper: bool) -> Any:
    """P(a, x) or Q(a, x) with PyTorch's values at the edges: nan for a < 0 or x < 0; for
    a = 0, P = 1 where x > 0 (nan at x = 0); P = 0 at x = 0; P = 1 at x = inf."""
    dtype = a.dtype
    a = xp.astype(a, xp.float64)
    x = xp.astype(x, xp.float64)
    p, q, _ = _igamma_parts(xp, a, x)
    out = q if upper else p
    one, zero = (0.0, 1.0) if upper else (1.0, 0.0)  # values of the result where P = 1, 0
    nan = xp.full_like(out, math.nan)
    out = xp.where(xp.isinf(x) & (x > 0) & xp.isfinite(a), xp.full_like(out, one), out)
    out = xp.where(xp.isinf(a) & xp.isfinite(x), xp.full_like(out, zero), out)
    out = xp.where(x == 0, xp.full_like(out, zero), out)
    out = xp.where((a == 0) & (x > 0), xp.full_like(out, one), out)
    bad = (a < 0) | (x < 0) | ((a == 0) & (x == 0)) | (xp.isinf(a) & xp.isinf(x))
    out = xp.where(bad | xp.isnan(a) | xp.isnan(x), nan, out)
    return xp.astype(out, dtype)


def _igamma_grad_x(a: Tensor, x: Tensor) -> Tensor:
    """d P(a, x) / dx = x^(a-1) e^-x / Gamma(a)."""
    return exp((a - 1) * log(x) - x - lgamma(a))


class Igamma(Function):
    """out = P(a, x) (``upper``: Q(a, x) = 1 - P);  dx = +-g x^(a-1) e^-x / Gamma(a); the
    derivative with respect to a is not implemented, as in PyTorch. Saves a and x."""

    promotion = PROMOTE

    @staticmethod
    def forward(ctx, xp, a, x, upper):
        ctx.save_for_backward(a, x)
        ctx.upper = upper
        return _igamma_kernel(xp, a, x, upper)

    @staticmethod
    def backward(ctx, g):
        a, x = ctx.saved_tensors
        name = "igammac" if ctx.upper else "igamma"
        if ctx.needs_input_grad[0]:
            raise NotImplementedError(
                f"{name}: the derivative with respect to input (the shape a) is not "
                "implemented, as in PyTorch; pass input.detach() to differentiate with "
                "respect to other only"
            )
        gx = g * _igamma_grad_x(a.detach(), x)
        return None, (-gx if ctx.upper else gx)


def _igamma(op: str, input: Any, other: Any, upper: bool) -> Tensor:  # noqa: A002
    for name, t in (("input", input), ("other", other)):
        if not isinstance(t, Tensor):
            raise TypeError(f"{op}: {name} must be a Tensor, got {type(t).__name__}")
        if not t.dtype.is_floating_point:
            raise UnsupportedDtypeError(
                f"{op}: not implemented for {t.dtype!r} ({name}); call .float() first"
            )
    broadcast_shapes(op, tuple(input.shape), tuple(other.shape))
    return Igamma.apply(input, other, upper=upper)


def igamma(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    """The regularized lower incomplete gamma function P(input, other), elementwise with
    broadcasting (Note [Series for Bessel, zeta and incomplete gamma]).

    >>> import nanotorch
    >>> print(f"{nanotorch.igamma(nanotorch.tensor(1.0), nanotorch.tensor(1.0)).item():.6f}")
    0.632121
    """
    return _igamma("igamma", input, other, upper=False)


def igammac(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    """The regularized upper incomplete gamma function Q(input, other) = 1 - P.

    >>> import nanotorch
    >>> print(f"{nanotorch.igammac(nanotorch.tensor(1.0), nanotorch.tensor(1.0)).item():.6f}")
    0.367879
    """
    return _igamma("igammac", input, other, upper=True)
