"""Elementwise math beyond the core arithmetic: trigonometric and hyperbolic functions and
their inverses, rounding, logarithms and exponentials in bases 2 and 10, the error function
and its inverse, and binary helpers (atan2, copysign, logaddexp, lerp, fmod, hypot) with the
comparisons isclose and allclose.

Note [Unary math table]
~~~~~~~~~~~~~~~~~~~~~~~
Most ops here are "out = f(a), da = g f'(a)". Each is one row of ``_UNARY`` below: the
forward on raw arrays beside the derivative on Tensors, as autodidax declares a rule beside
its primitive. ``_unary_function`` turns a row into a ``Function`` subclass named after the op
(so graphs and errors say ``TanBackward``). Every row saves the input and the output; the
derivative uses whichever is cheaper (tan's is 1 + out^2, asin's needs the input). Because
derivatives are Tensor expressions, second derivatives come for free.

Rounding ops (floor, ceil, round, trunc) are piecewise constant: their gradient is zero, as
in PyTorch, not missing. On integer tensors they return a copy of the values in the same
dtype; every other op here computes in floating point and gives integer inputs the default
float dtype first, as PyTorch does (``nanotorch.tan(int tensor)`` is float32).

The standard has no erf, erfinv, fmod, exp2 or isclose; they are built from what it has
(erf: Note [erf without the standard] in ops/_special.py; fmod from ``remainder`` of the
magnitudes, which is exact). Broadcasting and operand checks reuse elementwise's ``_binary``;
the engine sums gradients back to broadcast shapes (Note [Central un-broadcasting]).

Like the rest of the engine, this module imports no array library.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from nanotorch.autograd.function import PROMOTE, TO_FLOAT, Function
from nanotorch.dtypes import get_default_dtype
from nanotorch.errors import UnsupportedDtypeError
from nanotorch.ops import _special
from nanotorch.ops._util import broadcast_shapes
from nanotorch.ops.elementwise import (
    TensorLike,
    _binary,
    exp,
    logical_and,
    logical_or,
    sigmoid,
    sqrt,
    where,
)
from nanotorch.ops.elementwise import abs as _abs
from nanotorch.ops.elementwise import eq as _eq
from nanotorch.ops.elementwise import isfinite as _isfinite
from nanotorch.ops.elementwise import isnan as _isnan
from nanotorch.tensor import Tensor

# What this family exports; nanotorch.<name> and the op-spec tests derive from it
# (Note [Op registry] in ops/__init__.py).
OPS = (
    "tan",
    "asin",
    "acos",
    "atan",
    "atan2",
    "sinh",
    "cosh",
    "asinh",
    "acosh",
    "atanh",
    "floor",
    "ceil",
    "round",
    "trunc",
    "frac",
    "log2",
    "log10",
    "exp2",
    "erf",
    "erfc",
    "erfinv",
    "lgamma",
    "digamma",
    "copysign",
    "logaddexp",
    "lerp",
    "fmod",
    "reciprocal",
    "hypot",
    "isclose",
    "allclose",
    "equal",
)
# NumPy's names, which PyTorch also accepts.
ALIASES = {
    "arcsin": "asin",
    "arccos": "acos",
    "arctan": "atan",
    "arctan2": "atan2",
    "arcsinh": "asinh",
    "arccosh": "acosh",
    "arctanh": "atanh",
    "fix": "trunc",
}

_LN2 = math.log(2.0)
_LN10 = math.log(10.0)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_SQRT_PI_OVER_2 = math.sqrt(math.pi) / 2.0


def _as_float(op: str, a: Tensor) -> Tensor:
    """Integer and bool inputs of a floating-point function become the default float dtype
    (PyTorch's rule for unary float ops); floating inputs pass through untouched."""
    if not isinstance(a, Tensor):
        raise UnsupportedDtypeError(f"{op}: expected a Tensor, got {type(a).__name__}")
    return a if a.dtype.is_floating_point else a.to(get_default_dtype())


# ----------------------------------------------------------------------------- unary table
ArrayFn = Callable[[Any, Any], Any]
Derivative = Callable[[Tensor, Tensor, Tensor], Tensor]


def _unary_function(name: str, forward: ArrayFn, derivative: Derivative, doc: str) -> type:
    """A Function subclass for one row of the table (Note [Unary math table])."""

    def fwd(ctx: Any, xp: Any, a: Any) -> Any:
        out = forward(xp, a)
        ctx.save_for_backward(a, out)
        return out

    def bwd(ctx: Any, g: Tensor) -> Tensor:
        a, out = ctx.saved_tensors
        return derivative(a, out, g)

    return type(
        name,
        (Function,),
        {
            "__doc__": doc,
            "__module__": __name__,
            "forward": staticmethod(fwd),
            "backward": staticmethod(bwd),
        },
    )


def _zero_grad(a: Tensor, out: Tensor, g: Tensor) -> Tensor:
    return g * 0


def _keep_integers(fn: ArrayFn) -> ArrayFn:
    """Rounding leaves integers as they are; a copy, so the output never aliases the input."""

    def rounded(xp: Any, a: Any) -> Any:
        if xp.isdtype(a.dtype, "integral"):
            return xp.asarray(a, copy=True)
        return fn(xp, a)

    return rounded


# name: (forward on arrays, derivative on Tensors (a, out, g) -> grad, docstring)
_UNARY: dict[str, tuple[ArrayFn, Derivative, str]] = {
    "tan": (lambda xp, a: xp.tan(a), lambda a, out, g: g * (1 + out * out), "da = g (1 + tan^2 a)"),
    "asin": (
        lambda xp, a: xp.asin(a),
        lambda a, out, g: g / sqrt(1 - a * a),
        "da = g / sqrt(1 - a^2)",
    ),
    "acos": (
        lambda xp, a: xp.acos(a),
        lambda a, out, g: -g / sqrt(1 - a * a),
        "da = -g / sqrt(1 - a^2)",
    ),
    "atan": (lambda xp, a: xp.atan(a), lambda a, out, g: g / (1 + a * a), "da = g / (1 + a^2)"),
    "sinh": (lambda xp, a: xp.sinh(a), lambda a, out, g: g * cosh(a), "da = g cosh a"),
    "cosh": (lambda xp, a: xp.cosh(a), lambda a, out, g: g * sinh(a), "da = g sinh a"),
    "asinh": (
        lambda xp, a: xp.asinh(a),
        lambda a, out, g: g / sqrt(a * a + 1),
        "da = g / sqrt(a^2 + 1)",
    ),
    "acosh": (
        # (a - 1)(a + 1) rather than a^2 - 1: no cancellation near a = 1 (PyTorch's form).
        lambda xp, a: xp.acosh(a),
        lambda a, out, g: g / sqrt((a - 1) * (a + 1)),
        "da = g / sqrt((a - 1)(a + 1))",
    ),
    "atanh": (lambda xp, a: xp.atanh(a), lambda a, out, g: g / (1 - a * a), "da = g / (1 - a^2)"),
    "floor": (_keep_integers(lambda xp, a: xp.floor(a)), _zero_grad, "da = 0 (a step function)"),
    "ceil": (_keep_integers(lambda xp, a: xp.ceil(a)), _zero_grad, "da = 0 (a step function)"),
    "trunc": (_keep_integers(lambda xp, a: xp.trunc(a)), _zero_grad, "da = 0 (a step function)"),
    "frac": (lambda xp, a: a - xp.trunc(a), lambda a, out, g: g, "out = a - trunc(a); da = g"),
    "log2": (lambda xp, a: xp.log2(a), lambda a, out, g: g / (a * _LN2), "da = g / (a ln 2)"),
    "log10": (lambda xp, a: xp.log10(a), lambda a, out, g: g / (a * _LN10), "da = g / (a ln 10)"),
    # The standard has no exp2; a power of the scalar 2 is what it offers instead.
    "exp2": (lambda xp, a: 2.0**a, lambda a, out, g: g * out * _LN2, "da = g 2^a ln 2"),
    "erf": (
        _special.erf,
        lambda a, out, g: g * exp(-(a * a)) * _TWO_OVER_SQRT_PI,
        "da = g 2/sqrt(pi) exp(-a^2)",
    ),
    "erfc": (
        _special.erfc,
        lambda a, out, g: g * exp(-(a * a)) * -_TWO_OVER_SQRT_PI,
        "da = -g 2/sqrt(pi) exp(-a^2)",
    ),
    "erfinv": (
        _special.erfinv,
        lambda a, out, g: g * exp(out * out) * _SQRT_PI_OVER_2,
        "da = g sqrt(pi)/2 exp(erfinv(a)^2)",
    ),
    "lgamma": (_special.lgamma, lambda a, out, g: g * digamma(a), "da = g digamma(a)"),
    "digamma": (
        _special.digamma,
        lambda a, out, g: g * _trigamma(a),
        "da = g trigamma(a) (Note [Gamma functions without the standard] in ops/_special.py)",
    ),
    "trigamma": (
        _special.trigamma,
        lambda a, out, g: _no_higher("digamma", g),
        "first derivatives only: trigamma's own derivative is not implemented",
    ),
    "reciprocal": (
        lambda xp, a: 1.0 / a,
        lambda a, out, g: -g * out * out,
        "out = 1 / a; da = -g / a^2",
    ),
}

_FUNCTIONS: dict[str, type] = {
    name: _unary_function(
        name.capitalize(), fwd, deriv, f"out = {name}(a); {doc}. Saves the input and output."
    )
    for name, (fwd, deriv, doc) in _UNARY.items()
}
Tan, Asin, Acos, Atan = (_FUNCTIONS[n] for n in ("tan", "asin", "acos", "atan"))
Sinh, Cosh, Asinh, Acosh, Atanh = (
    _FUNCTIONS[n] for n in ("sinh", "cosh", "asinh", "acosh", "atanh")
)
Floor, Ceil, Trunc, Frac = (_FUNCTIONS[n] for n in ("floor", "ceil", "trunc", "frac"))
Log2, Log10, Exp2 = (_FUNCTIONS[n] for n in ("log2", "log10", "exp2"))
Erf, Erfc, Erfinv, Reciprocal = (_FUNCTIONS[n] for n in ("erf", "erfc", "erfinv", "reciprocal"))
Lgamma, Digamma, Trigamma = (_FUNCTIONS[n] for n in ("lgamma", "digamma", "trigamma"))


def lgamma(input: Tensor) -> Tensor:  # noqa: A002
    """log |Gamma(a)|: +inf at 0 and the negative integers, as PyTorch.

    >>> import nanotorch
    >>> print(f"{nanotorch.lgamma(nanotorch.tensor(5.0)).item():.4f}")  # log(4!)
    3.1781
    """
    return Lgamma.apply(_as_float("lgamma", input))


def digamma(input: Tensor) -> Tensor:  # noqa: A002
    """psi(a) = d/da lgamma(a); -inf at +0, nan at the negative integers, as PyTorch."""
    return Digamma.apply(_as_float("digamma", input))


def _trigamma(a: Tensor) -> Tensor:
    return Trigamma.apply(a)


def _no_higher(op: str, g: Tensor) -> Tensor:
    raise NotImplementedError(
        f"{op}: the second derivative (polygamma of order 2) is not implemented; "
        "differentiate digamma once only"
    )


def tan(input: Tensor) -> Tensor:  # noqa: A002
    """tan(a), elementwise.

    >>> import nanotorch
    >>> print(f"{nanotorch.tan(nanotorch.tensor(0.5)).item():.4f}")
    0.5463
    """
    return Tan.apply(_as_float("tan", input))


def asin(input: Tensor) -> Tensor:  # noqa: A002
    return Asin.apply(_as_float("asin", input))


def acos(input: Tensor) -> Tensor:  # noqa: A002
    return Acos.apply(_as_float("acos", input))


def atan(input: Tensor) -> Tensor:  # noqa: A002
    return Atan.apply(_as_float("atan", input))


def sinh(input: Tensor) -> Tensor:  # noqa: A002
    return Sinh.apply(_as_float("sinh", input))


def cosh(input: Tensor) -> Tensor:  # noqa: A002
    return Cosh.apply(_as_float("cosh", input))


def asinh(input: Tensor) -> Tensor:  # noqa: A002
    return Asinh.apply(_as_float("asinh", input))


def acosh(input: Tensor) -> Tensor:  # noqa: A002
    return Acosh.apply(_as_float("acosh", input))


def atanh(input: Tensor) -> Tensor:  # noqa: A002
    return Atanh.apply(_as_float("atanh", input))


def floor(input: Tensor) -> Tensor:  # noqa: A002
    return Floor.apply(input)


def ceil(input: Tensor) -> Tensor:  # noqa: A002
    return Ceil.apply(input)


def trunc(input: Tensor) -> Tensor:  # noqa: A002
    return Trunc.apply(input)


def frac(input: Tensor) -> Tensor:  # noqa: A002
    """a - trunc(a): the fractional part, with a's sign (PyTorch's ``frac``)."""
    if isinstance(input, Tensor) and not input.dtype.is_floating_point:
        raise UnsupportedDtypeError(
            f"frac: expects a floating-point tensor, got {input.dtype!r}; call .float()"
        )
    return Frac.apply(input)


def log2(input: Tensor) -> Tensor:  # noqa: A002
    return Log2.apply(_as_float("log2", input))


def log10(input: Tensor) -> Tensor:  # noqa: A002
    return Log10.apply(_as_float("log10", input))


def exp2(input: Tensor) -> Tensor:  # noqa: A002
    return Exp2.apply(_as_float("exp2", input))


def erf(input: Tensor) -> Tensor:  # noqa: A002
    """The error function 2/sqrt(pi) int_0^a exp(-t^2) dt (Note [erf without the standard]).

    >>> import nanotorch
    >>> print(f"{nanotorch.erf(nanotorch.tensor(1.0, dtype=nanotorch.float64)).item():.12f}")
    0.842700792950
    """
    return Erf.apply(_as_float("erf", input))


def erfc(input: Tensor) -> Tensor:  # noqa: A002
    """1 - erf(a), accurate where it is tiny."""
    return Erfc.apply(_as_float("erfc", input))


def erfinv(input: Tensor) -> Tensor:  # noqa: A002
    """The inverse of erf on [-1, 1]: +-inf at +-1, nan outside."""
    return Erfinv.apply(_as_float("erfinv", input))


def reciprocal(input: Tensor) -> Tensor:  # noqa: A002
    return Reciprocal.apply(_as_float("reciprocal", input))


# ----------------------------------------------------------------------------- round
class Round(Function):
    """out = a rounded to ``decimals`` places, halves to even;  da = 0 (a step function).

    With decimals d > 0 it rounds a * 10^d and divides back; with d < 0 it rounds a / 10^-d
    and multiplies back (PyTorch's and NumPy's formulation, so results agree bit for bit)."""

    @staticmethod
    def forward(ctx, xp, a, decimals):
        if xp.isdtype(a.dtype, "integral"):
            return xp.asarray(a, copy=True)
        if decimals == 0:
            return xp.round(a)
        if decimals > 0:
            scale = 10.0**decimals
            return xp.round(a * scale) / scale
        scale = 10.0 ** (-decimals)
        return xp.round(a / scale) * scale

    @staticmethod
    def backward(ctx, g):
        return g * 0, None


def round(input: Tensor, *, decimals: int = 0) -> Tensor:  # noqa: A002, A001 - PyTorch's name
    """Round half to even, to ``decimals`` decimal places (negative: to tens, hundreds...).

    >>> import nanotorch
    >>> x = nanotorch.tensor([0.5, 1.5, 2.567], dtype=nanotorch.float64)
    >>> nanotorch.round(x).tolist(), nanotorch.round(x, decimals=1).tolist()
    ([0.0, 2.0, 3.0], [0.5, 1.5, 2.6])
    """
    if not isinstance(decimals, int) or isinstance(decimals, bool):
        raise UnsupportedDtypeError(f"round: decimals must be an int, got {decimals!r}")
    if isinstance(input, Tensor) and not input.dtype.is_floating_point and decimals != 0:
        raise UnsupportedDtypeError(
            f"round: decimals={decimals} needs a floating-point tensor, got {input.dtype!r}; "
            "call .double() first"
        )
    return Round.apply(input, decimals=decimals)


# ----------------------------------------------------------------------------- binary
class Atan2(Function):
    """out = atan2(a, b), the angle of the point (b, a);
    da = g b / (a^2 + b^2),  db = -g a / (a^2 + b^2).  Saves both inputs."""

    promotion = TO_FLOAT

    @staticmethod
    def forward(ctx, xp, a, b):
        ctx.save_for_backward(a, b)
        return xp.atan2(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        scale = g / (a * a + b * b)
        ga = scale * b if ctx.needs_input_grad[0] else None
        gb = -scale * a if ctx.needs_input_grad[1] else None
        return ga, gb


class Hypot(Function):
    """out = sqrt(a^2 + b^2) without overflow;  da = g a / out,  db = g b / out."""

    promotion = TO_FLOAT

    @staticmethod
    def forward(ctx, xp, a, b):
        out = xp.hypot(a, b)
        ctx.save_for_backward(a, b, out)
        return out

    @staticmethod
    def backward(ctx, g):
        a, b, out = ctx.saved_tensors
        ga = g * a / out if ctx.needs_input_grad[0] else None
        gb = g * b / out if ctx.needs_input_grad[1] else None
        return ga, gb


class Logaddexp(Function):
    """out = log(e^a + e^b) without overflow;  da = g sigmoid(a - b),  db = g sigmoid(b - a)
    (PyTorch's g / (1 + e^(b - a)), in the form that cannot overflow)."""

    promotion = TO_FLOAT

    @staticmethod
    def forward(ctx, xp, a, b):
        ctx.save_for_backward(a, b)
        return xp.logaddexp(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        ga = g * sigmoid(a - b) if ctx.needs_input_grad[0] else None
        gb = g * sigmoid(b - a) if ctx.needs_input_grad[1] else None
        return ga, gb


class Copysign(Function):
    """out = |a| with the sign of b (the sign bit, so b = -0.0 counts as negative);
    da = g out / a (+-1), and 0 where a = 0, as PyTorch;  db = 0 (only b's sign matters; a
    zero gradient, not None, as PyTorch gives b a .grad of zeros)."""

    promotion = PROMOTE

    @staticmethod
    def forward(ctx, xp, a, b):
        out = xp.copysign(a, b)
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, g):
        a, out = ctx.saved_tensors
        gb = g * 0 if ctx.needs_input_grad[1] else None
        if not ctx.needs_input_grad[0]:
            return None, gb
        at_zero = _eq(a, 0.0)
        ratio = out / where(at_zero, 1.0, a)
        return g * where(at_zero, 0.0, ratio), gb


class Fmod(Function):
    """out = a - trunc(a / b) b, with the sign of a (C's fmod; ``remainder`` follows b);
    da = g,  db = -g trunc(a / b) (PyTorch's rule; the jumps where a / b is an integer
    carry no gradient). Saves both inputs.

    Computed as remainder(|a|, |b|) with a's sign: for non-negative operands the two agree,
    and ``remainder`` is exact, whereas a - trunc(a / b) b would round a / b first."""

    promotion = PROMOTE

    @staticmethod
    def forward(ctx, xp, a, b):
        ctx.save_for_backward(a, b)
        r = xp.remainder(_magnitude(xp, a), _magnitude(xp, b))
        if xp.isdtype(r.dtype, "integral"):
            # Integers have no sign bit to copy; a Python int a is one number.
            return xp.where(a < 0, -r, r) if not isinstance(a, int) else (-r if a < 0 else r)
        return xp.copysign(r, a)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        ga = g if ctx.needs_input_grad[0] else None
        gb = -g * trunc(a / b) if ctx.needs_input_grad[1] else None
        return ga, gb


def _magnitude(xp: Any, x: Any) -> Any:
    return abs(x) if isinstance(x, (int, float)) else xp.abs(x)


def _float_operands(op: str, a: TensorLike, b: TensorLike) -> tuple[TensorLike, TensorLike]:
    """Integer tensors of a floating-point binary op become the default float dtype."""
    if isinstance(a, Tensor) and not a.dtype.is_floating_point:
        a = a.to(get_default_dtype())
    if isinstance(b, Tensor) and not b.dtype.is_floating_point:
        b = b.to(get_default_dtype())
    return a, b


def atan2(input: TensorLike, other: TensorLike) -> Tensor:  # noqa: A002
    """The angle of the point (other, input) in (-pi, pi], elementwise, broadcasting.

    >>> import nanotorch
    >>> print(f"{nanotorch.atan2(nanotorch.tensor(1.0), nanotorch.tensor(-1.0)).item():.4f}")
    2.3562
    """
    return _binary(Atan2, *_float_operands("atan2", input, other))


def hypot(input: TensorLike, other: TensorLike) -> Tensor:  # noqa: A002
    return _binary(Hypot, *_float_operands("hypot", input, other))


def logaddexp(input: TensorLike, other: TensorLike) -> Tensor:  # noqa: A002
    return _binary(Logaddexp, *_float_operands("logaddexp", input, other))


def copysign(input: TensorLike, other: TensorLike) -> Tensor:  # noqa: A002
    return _binary(Copysign, *_float_operands("copysign", input, other))


def fmod(input: TensorLike, other: TensorLike) -> Tensor:  # noqa: A002
    """The remainder of input / other with the sign of input (C's fmod, PyTorch's
    ``torch.fmod``); ``remainder`` (``%``) takes the sign of other instead.

    >>> import nanotorch
    >>> nanotorch.fmod(nanotorch.tensor([-3, 3]), 2).tolist()
    [-1, 1]
    """
    return _binary(Fmod, input, other)


def lerp(input: Tensor, end: Tensor, weight: TensorLike) -> Tensor:  # noqa: A002
    """input + weight (end - input): linear interpolation, with a scalar or tensor weight.

    Composite: its gradients (1 - weight, weight and end - input) come from the ops.

    >>> import nanotorch
    >>> nanotorch.lerp(nanotorch.tensor([0.0, 10.0]), nanotorch.tensor([1.0, 20.0]), 0.5).tolist()
    [0.5, 15.0]
    """
    if not isinstance(input, Tensor) or not isinstance(end, Tensor):
        raise TypeError(
            f"lerp: input and end must be Tensors, got {type(input).__name__} and "
            f"{type(end).__name__}"
        )
    shapes = [tuple(input.shape), tuple(end.shape)]
    if isinstance(weight, Tensor):
        shapes.append(tuple(weight.shape))
    elif not isinstance(weight, (int, float)) or isinstance(weight, bool):
        raise TypeError(f"lerp: weight must be a float or a Tensor, got {type(weight).__name__}")
    broadcast_shapes("lerp", *shapes)
    return input + weight * (end - input)


# ----------------------------------------------------------------------------- closeness
class _All(Function):
    """out = whether every element of a bool array is true (a 0-d bool); no gradient."""

    differentiable = False

    @staticmethod
    def forward(ctx, xp, a):
        return xp.all(a)


def isclose(
    input: TensorLike,  # noqa: A002
    other: TensorLike,
    rtol: float = 1e-05,
    atol: float = 1e-08,
    equal_nan: bool = False,
) -> Tensor:
    """|input - other| <= atol + rtol |other| elementwise (a bool tensor), with PyTorch's
    and NumPy's rules for the rest: equal infinities are close, an infinity is close to
    nothing else, and nan is close to nan only with ``equal_nan=True``.

    >>> import nanotorch
    >>> a, b = nanotorch.tensor([1.0, 1.1]), nanotorch.tensor([1.0 + 1e-7, 1.0])
    >>> nanotorch.isclose(a, b).tolist()
    [True, False]
    """
    if rtol < 0 or atol < 0:
        raise RuntimeError(
            f"isclose: rtol and atol must be non-negative, got rtol={rtol}, atol={atol}"
        )
    if not isinstance(input, Tensor):
        raise TypeError(f"isclose: input must be a Tensor, got {type(input).__name__}")
    if input.requires_grad:
        input = input.detach()
    if isinstance(other, Tensor) and other.requires_grad:
        other = other.detach()
    same = _eq(input, other)
    if input.dtype.name == "bool":
        return same
    # Integers are compared through floats: the tolerance is a float (as PyTorch computes it).
    if not input.dtype.is_floating_point:
        input = input.double()
        other = other.double() if isinstance(other, Tensor) else float(other)
    # Only finite pairs are compared by tolerance (equal infinities are caught by ``same``);
    # zeroing the others first keeps inf - inf from computing a nan.
    finite = _isfinite(input)
    a = where(finite, input, 0.0)
    if isinstance(other, Tensor):
        other_finite = _isfinite(other)
        finite = logical_and(finite, other_finite)
        b: TensorLike = where(other_finite, other, 0.0)
        tol = _abs(b) * rtol + atol
    else:
        b = other if math.isfinite(other) else 0.0
        tol = atol + rtol * abs(b)
        if not math.isfinite(other):
            finite = logical_and(finite, _eq(input, math.nan))  # nothing is close to it
    close = logical_or(same, logical_and(finite, _abs(a - b) <= tol))
    if equal_nan:
        if isinstance(other, Tensor):
            close = logical_or(close, logical_and(_isnan(input), _isnan(other)))
        elif math.isnan(other):
            close = logical_or(close, _isnan(input))
    return close


def allclose(
    input: TensorLike,  # noqa: A002
    other: TensorLike,
    rtol: float = 1e-05,
    atol: float = 1e-08,
    equal_nan: bool = False,
) -> bool:
    """Whether ``isclose`` holds everywhere, as a Python bool (reading it is a sync point).

    >>> import nanotorch
    >>> nanotorch.allclose(nanotorch.tensor([1.0, 2.0]), nanotorch.tensor([1.0, 2.0 + 1e-7]))
    True
    """
    close = isclose(input, other, rtol=rtol, atol=atol, equal_nan=equal_nan)
    return bool(_All.apply(close).item())


def equal(input: Tensor, other: Tensor) -> bool:  # noqa: A002
    """Whether both tensors have the same shape and equal elements, as one Python bool
    (``torch.equal``; a sync point). Unlike ``eq`` nothing broadcasts: a shape difference
    is simply False. Dtypes are promoted before comparing, and nan equals nothing.

    >>> import nanotorch
    >>> nanotorch.equal(nanotorch.tensor([1, 2]), nanotorch.tensor([1.0, 2.0]))
    True
    >>> nanotorch.equal(nanotorch.tensor([1.0]), nanotorch.tensor([1.0, 1.0]))
    False
    """
    if not isinstance(input, Tensor) or not isinstance(other, Tensor):
        raise TypeError(
            f"equal: expects two Tensors, got {type(input).__name__} and "
            f"{type(other).__name__}; wrap data with nanotorch.tensor(...) first"
        )
    if input._data.shape != other._data.shape:
        return False
    return bool(_All.apply(_eq(input, other)).item())
