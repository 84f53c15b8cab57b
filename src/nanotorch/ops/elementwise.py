"""Elementwise ops: arithmetic, unary math and activations.

Each op is a ``Function`` with ``forward`` on raw arrays and ``backward`` on Tensors, and a
lowercase wrapper below it. Broadcasting is checked up front (``_binary``) so a mismatch names
the op and both shapes; gradients of broadcast inputs are summed back by the engine
(Note [Central un-broadcasting] in autograd/engine.py), so no op here does it.
"""

from __future__ import annotations

import math
from typing import Any

from nanotorch.autograd.function import _NUMBERS, PROMOTE, TENSORS_ONLY, TO_FLOAT, Function
from nanotorch.autograd.grad_mode import is_grad_enabled
from nanotorch.errors import InvalidArgumentError, UnsupportedDtypeError
from nanotorch.ops._special import erf
from nanotorch.ops._util import broadcast_shapes, finish_inplace
from nanotorch.promotion import result_type
from nanotorch.tensor import Tensor

# What this family exports; nanotorch.<name> and the op-spec tests derive from it
# (Note [Op registry] in ops/__init__.py).
OPS = (
    # arithmetic
    "add",
    "sub",
    "mul",
    "div",
    "neg",
    "pow",
    "square",
    # unary math
    "exp",
    "log",
    "log1p",
    "expm1",
    "sqrt",
    "rsqrt",
    "abs",
    "sign",
    "sin",
    "cos",
    "tanh",
    "sigmoid",
    # activations
    "relu",
    "relu_",
    "leaky_relu",
    "gelu",
    "silu",
    "softplus",
    # selection
    "clamp",
    "maximum",
    "minimum",
    "where",
    # no gradient: comparisons, logic, predicates, integer division
    "eq",
    "ne",
    "lt",
    "le",
    "gt",
    "ge",
    "logical_and",
    "logical_or",
    "logical_xor",
    "logical_not",
    "isnan",
    "isinf",
    "isfinite",
    "floor_divide",
    "remainder",
)
ALIASES = {
    "absolute": "abs",
    "subtract": "sub",
    "multiply": "mul",
    "divide": "div",
    "true_divide": "div",
    "negative": "neg",
    "clip": "clamp",
    "not_equal": "ne",
    "less": "lt",
    "less_equal": "le",
    "greater": "gt",
    "greater_equal": "ge",
}


Scalar = int | float | bool
TensorLike = Tensor | Scalar


def _binary(cls: type[Function], a: TensorLike, b: TensorLike, op: str | None = None) -> Tensor:
    """Check the operands of a binary op and apply ``cls``; ``op`` names the op (and is passed
    on) when one Function serves several, as MaximumMinimum does."""
    # Each operand is classified once: this runs on every arithmetic operator
    # (Note [Dispatch cost] in autograd/function.py).
    a_is_tensor = isinstance(a, Tensor)
    b_is_tensor = isinstance(b, Tensor)
    if a_is_tensor and b_is_tensor:
        sa, sb = a._data.shape, b._data.shape
        if sa != sb:
            broadcast_shapes(op or cls.__name__.lower(), tuple(sa), tuple(sb))
    elif a_is_tensor or b_is_tensor:
        other = b if a_is_tensor else a
        if not isinstance(other, (int, float, bool)):
            raise TypeError(
                f"{op or cls.__name__.lower()}: unsupported operand type "
                f"{type(other).__name__}; wrap data with nanotorch.tensor(...) first"
            )
    else:
        raise TypeError(f"{op or cls.__name__.lower()}: needs at least one Tensor operand")
    return cls.apply(a, b) if op is None else cls.apply(a, b, op=op)


# ----------------------------------------------------------------------------- arithmetic
class Add(Function):
    """out = a + b;  da = g,  db = g.  Nothing saved."""

    promotion = PROMOTE
    quiet = TENSORS_ONLY  # Note [Quiet floating point]

    @staticmethod
    def forward(ctx, xp, a, b):
        # Through the backend: a residual add's result comes from the cpu pool.
        return ctx.backend.add(a, b)

    @staticmethod
    def backward(ctx, g):
        return g, g


class Sub(Function):
    """out = a - b;  da = g,  db = -g."""

    promotion = PROMOTE
    quiet = TENSORS_ONLY  # Note [Quiet floating point]

    @staticmethod
    def forward(ctx, xp, a, b):
        return a - b

    @staticmethod
    def backward(ctx, g):
        return g, (-g if ctx.needs_input_grad[1] else None)

    @staticmethod
    def raw_backward(ctx, xp, g):  # Note [Raw backward] in autograd/function.py
        return g, (-g if ctx.needs_input_grad[1] else None)


# Note [A number operand is not saved]
# ~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
# ``x * 0.5`` and ``x / 4`` need only the number for x's gradient (g * 0.5, g / 4), and a
# number cannot change in place, so Mul and Div keep it as ``ctx.scale`` and save nothing:
# no saved input to resolve in forward, none to check in backward (W3's chain of such ops:
# about 850 -> 745 us a step, process time, one thread). It is also PyTorch's rule: its
# MulBackward saves ``self`` only when ``other`` needs a gradient, so ``y = x * 2``,
# then ``x.add_(1)``, then ``y.sum().backward()`` works in both. The number sits in the
# ctx's attribute dict, read with ``dict.get`` (any ctx with attributes works, the
# walkthrough's cut-down one too: discovery/build-the-engine.md); the engine's freed-graph
# check runs before any backward, so a second backward still fails clearly.
def _number_scale(ctx: Any, a: Any, b: Any) -> bool:
    """Keep a Python number operand as ``ctx.scale``; True if there was one."""
    if type(b) in _NUMBERS:
        ctx.scale = b
        return True
    if type(a) in _NUMBERS:
        ctx.scale = a
        return True
    return False


def _kept_number(ctx: Any) -> Any:
    """The number ``_number_scale`` kept, or None when both operands were saved."""
    return ctx.__dict__.get("scale")


class Mul(Function):
    """out = a * b;  da = g * b,  db = g * a.  Saves both inputs, or a number operand alone
    (Note [A number operand is not saved])."""

    promotion = PROMOTE
    quiet = TENSORS_ONLY  # Note [Quiet floating point]

    @staticmethod
    def forward(ctx, xp, a, b):
        if not _number_scale(ctx, a, b):
            ctx.save_for_backward(a, b)
        return a * b

    @staticmethod
    def backward(ctx, g):
        if (scale := _kept_number(ctx)) is not None:
            return (g * scale, None) if ctx.needs_input_grad[0] else (None, g * scale)
        a, b = ctx.saved_tensors
        ga = g * b if ctx.needs_input_grad[0] else None
        gb = g * a if ctx.needs_input_grad[1] else None
        return ga, gb

    @staticmethod
    def raw_backward(ctx, xp, g):  # Note [Raw backward] in autograd/function.py
        if (scale := _kept_number(ctx)) is not None:
            return (g * scale, None) if ctx.needs_input_grad[0] else (None, g * scale)
        a, b = ctx.saved_arrays
        ga = g * b if ctx.needs_input_grad[0] else None
        gb = g * a if ctx.needs_input_grad[1] else None
        return ga, gb


class Div(Function):
    """out = a / b;  da = g / b,  db = -g * a / b^2.  Saves both inputs."""

    promotion = TO_FLOAT

    @staticmethod
    def forward(ctx, xp, a, b):
        # A number divisor is kept alone (Note [A number operand is not saved]); a number
        # dividend is not: db needs both.
        if type(b) in _NUMBERS:
            ctx.scale = b
        else:
            ctx.save_for_backward(a, b)
        return a / b

    @staticmethod
    def backward(ctx, g):
        if (scale := _kept_number(ctx)) is not None:
            return g / scale, None
        a, b = ctx.saved_tensors
        ga = g / b if ctx.needs_input_grad[0] else None
        gb = -g * a / (b * b) if ctx.needs_input_grad[1] else None
        return ga, gb

    @staticmethod
    def raw_backward(ctx, xp, g):  # Note [Raw backward] in autograd/function.py
        if (scale := _kept_number(ctx)) is not None:
            return g / scale, None
        a, b = ctx.saved_arrays
        ga = g / b if ctx.needs_input_grad[0] else None
        gb = -g * a / (b * b) if ctx.needs_input_grad[1] else None
        return ga, gb


class Neg(Function):
    """out = -a;  da = -g."""

    @staticmethod
    def forward(ctx, xp, a):
        return -a

    @staticmethod
    def backward(ctx, g):
        return -g

    @staticmethod
    def raw_backward(ctx, xp, g):  # Note [Raw backward] in autograd/function.py
        return (-g,)


class Pow(Function):
    """out = a ** b;  da = g * b * a^(b-1),  db = g * out * log(a).

    Either side may be a Python number. Saves the inputs and the output.
    """

    promotion = PROMOTE

    @staticmethod
    def forward(ctx, xp, a, b):
        if isinstance(b, (int, float)) or not xp.isdtype(b.dtype, "signed integer"):
            out = a**b
        else:
            out = _int_pow(xp, a, b)
        ctx.save_for_backward(a, b, out)
        return out

    @staticmethod
    def backward(ctx, g):
        # At a == 0 the formulas meet 0 * inf. PyTorch takes the limits instead, and so do
        # we: da = 0 wherever b == 0 (a ** b is the constant 1 there), and db = 0 where
        # a == 0 and b >= 0 (a ** b * log(a) -> 0), leaving -inf where b < 0. A negative
        # Python-number base has no real log: db is nan, as in PyTorch, not a raise.
        a, b, out = ctx.saved_tensors
        ga = gb = None
        if ctx.needs_input_grad[0]:
            if isinstance(b, Tensor):
                ga = where(eq(b, 0), 0.0, g * b * a ** (b - 1))
            elif b == 0:
                ga = g * 0
            else:
                ga = g * b * a ** (b - 1) if b != 1 else g
        if ctx.needs_input_grad[1]:
            if isinstance(a, Tensor):
                zero_base = logical_and(eq(a, 0), ge(b, 0))
                gb = g * where(zero_base, 0.0, out * log(a))
            elif a > 0:
                gb = g * out * math.log(a)
            elif a == 0:
                gb = g * where(ge(b, 0), 0.0, out * -math.inf)
            else:
                gb = g * out * math.nan
        return ga, gb


def _int_pow(xp: Any, a: Any, b: Any) -> Any:
    """a ** b for a tensor of signed integer exponents, some perhaps negative (NumPy refuses
    those): PyTorch's integer kernel gives 1 ** b = 1, (-1) ** b = +-1 by the parity of b,
    and 0 for every other base (1 / a truncated; 0 ** -n included)."""
    neg = b < 0
    out = a ** xp.where(neg, xp.zeros_like(b), b)
    base = xp.asarray(a, dtype=out.dtype, device=out.device) if isinstance(a, int) else a
    one, zero = xp.ones_like(out), xp.zeros_like(out)
    odd = (b % 2) != 0
    inverse = xp.where(base == 1, one, xp.where(base == -1, xp.where(odd, -one, one), zero))
    return xp.where(neg, inverse, out)


def add(input: TensorLike, other: TensorLike, *, alpha: Scalar = 1) -> Tensor:  # noqa: A002
    """a + alpha * b, broadcasting.

    >>> import nanotorch
    >>> nanotorch.add(nanotorch.tensor([1.0, 2.0]), 1.0).tolist()
    [2.0, 3.0]
    """
    a, b = input, other
    return _binary(Add, a, b if alpha == 1 else mul(b, alpha))


def sub(input: TensorLike, other: TensorLike, *, alpha: Scalar = 1) -> Tensor:  # noqa: A002
    a, b = input, other
    if all(
        isinstance(x, bool) or (isinstance(x, Tensor) and x.dtype.name == "bool") for x in (a, b)
    ):
        raise UnsupportedDtypeError(
            "sub: subtracting two bool tensors is not supported; use a ^ b or logical_xor"
        )
    return _binary(Sub, a, b if alpha == 1 else mul(b, alpha))


def mul(input: TensorLike, other: TensorLike) -> Tensor:  # noqa: A002
    a, b = input, other
    return _binary(Mul, a, b)


def div(
    input: TensorLike,  # noqa: A002 - PyTorch's name
    other: TensorLike,
    *,
    rounding_mode: str | None = None,
) -> Tensor:
    """a / b. ``rounding_mode`` None is true division (integers give the default float);
    'trunc' rounds toward zero and 'floor' down, keeping an integer dtype (PyTorch's ``div``).
    Rounded quotients are piecewise constant: their gradient is zeros, and, as in PyTorch,
    the result is still recorded (it requires grad when an input does)."""
    a, b = input, other
    if rounding_mode is None:
        return _binary(Div, a, b)
    if rounding_mode not in ("trunc", "floor"):
        raise InvalidArgumentError(
            f"div: rounding_mode must be None, 'trunc' or 'floor', got {rounding_mode!r}"
        )
    q = floor_divide(a, b) if rounding_mode == "floor" else _trunc_divide(a, b)
    if is_grad_enabled() and any(isinstance(x, Tensor) and x.requires_grad for x in (a, b)):
        return ZeroGradThrough.apply(q, a, b)
    return q


class ZeroGradThrough(Function):
    """out = q, a value computed from ``inputs`` without a graph;  d inputs = 0. For results
    that are piecewise constant in their inputs but recorded by PyTorch (div with a
    rounding_mode), so ``requires_grad`` and the (zero) gradients match."""

    promotion = PROMOTE

    @staticmethod
    def forward(ctx, xp, q, *inputs):
        return xp.asarray(q, copy=True)

    @staticmethod
    def backward(ctx, g):
        zeros = g.new_zeros(tuple(g.shape))
        return (None, *(zeros if need else None for need in ctx.needs_input_grad[1:]))


def _trunc_divide(a: TensorLike, b: TensorLike) -> Tensor:
    q = floor_divide(a, b)
    # trunc differs from floor where the exact quotient is negative and not whole: there
    # floor went one below. a - q b != 0 detects "not whole" exactly, also for integers, and
    # the quotient is negative where a and b differ in sign.
    r = sub(a, mul(q, b))
    a_neg = lt(a, 0) if isinstance(a, Tensor) else a < 0
    b_neg = lt(b, 0) if isinstance(b, Tensor) else b < 0
    fix = logical_and(ne(r, 0), ne(a_neg, b_neg) if isinstance(a_neg, Tensor) else ne(b_neg, a_neg))
    return where(fix, add(q, 1), q)


def neg(input: Tensor) -> Tensor:  # noqa: A002
    if isinstance(input, Tensor) and input.dtype.name == "bool":
        raise UnsupportedDtypeError(
            "neg: negating a bool tensor is not supported; to invert a mask use ~mask or "
            "logical_not(mask)"
        )
    return Neg.apply(input)


def pow(input: TensorLike, exponent: TensorLike) -> Tensor:  # noqa: A001, A002
    """a ** b (Note [Type promotion] decides the dtype). An integer tensor to a negative
    Python-int power is refused, as in PyTorch (NumPy's own ValueError names no op); a tensor
    of integer exponents computes as PyTorch's integer kernel does (``_int_pow``)."""
    a, b = input, exponent
    _check_integer_exponent(a, b)
    return _binary(Pow, a, b)


def _check_integer_exponent(a: TensorLike, b: TensorLike) -> None:
    # Only when both sides are integers; a tensor exponent costs one reduction and a device
    # read, the same price as the integer-division check below.
    def integral(x: TensorLike) -> bool:
        if isinstance(x, Tensor):
            return not x.dtype.is_floating_point and x.dtype.name != "bool"
        return isinstance(x, int) and not isinstance(x, bool)

    # Only a Python-number exponent is checked, as PyTorch checks: a tensor of exponents
    # computes in integers (Pow's ``_int_pow``), with no device read here.
    if isinstance(b, Tensor) or not (integral(a) and integral(b)):
        return
    if b < 0:
        from nanotorch.errors import InvalidArgumentError

        raise InvalidArgumentError(
            "pow: integers to negative integer powers are not allowed; use a float base or "
            "exponent, e.g. x.float() ** -2"
        )


def square(input: Tensor) -> Tensor:  # noqa: A002
    """a * a; a bool tensor squares in int64, as PyTorch's (pow(a, 2) promotes bools)."""
    if isinstance(input, Tensor) and input.dtype.name == "bool":
        input = input.long()
    return mul(input, input)


# ----------------------------------------------------------------------------- unary math
class Exp(Function):
    """out = e^a;  da = g * out.  Saves the output."""

    promotion = TO_FLOAT

    @staticmethod
    def forward(ctx, xp, a):
        out = xp.exp(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g * out


class Log(Function):
    """out = ln a;  da = g / a.  Saves the input."""

    promotion = TO_FLOAT

    @staticmethod
    def forward(ctx, xp, a):
        ctx.save_for_backward(a)
        return xp.log(a)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return g / a


class Log1p(Function):
    """out = ln(1 + a), accurate for small a;  da = g / (1 + a)."""

    promotion = TO_FLOAT

    @staticmethod
    def forward(ctx, xp, a):
        ctx.save_for_backward(a)
        return xp.log1p(a)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return g / (a + 1)


class Expm1(Function):
    """out = e^a - 1, accurate for small a;  da = g * (out + 1)."""

    promotion = TO_FLOAT

    @staticmethod
    def forward(ctx, xp, a):
        out = xp.expm1(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g * (out + 1)


class Sqrt(Function):
    """out = sqrt(a);  da = g / (2 out).  Saves the output."""

    promotion = TO_FLOAT

    @staticmethod
    def forward(ctx, xp, a):
        out = xp.sqrt(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g / (out * 2)


class Abs(Function):
    """out = |a|;  da = g * sign(a) (0 at a = 0, as in PyTorch)."""

    @staticmethod
    def forward(ctx, xp, a):
        ctx.save_for_backward(a)
        return xp.abs(a)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return g * sign(a)


class Sign(Function):
    """out = sign(a) in {-1, 0, 1}, and 0 for NaN (PyTorch's rule; NumPy gives NaN); a bool
    tensor is its own sign.  da = 0 everywhere (a step function)."""

    @staticmethod
    def forward(ctx, xp, a):
        if a.dtype == xp.bool:
            return xp.asarray(a, copy=True)
        out = xp.sign(a)
        if xp.isdtype(a.dtype, "real floating"):
            out = xp.where(xp.isnan(a), xp.zeros_like(out), out)
        return out

    @staticmethod
    def backward(ctx, g):
        return g * 0


class Sin(Function):
    """out = sin a;  da = g cos a."""

    promotion = TO_FLOAT

    @staticmethod
    def forward(ctx, xp, a):
        ctx.save_for_backward(a)
        return xp.sin(a)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return g * cos(a)


class Cos(Function):
    """out = cos a;  da = -g sin a."""

    promotion = TO_FLOAT

    @staticmethod
    def forward(ctx, xp, a):
        ctx.save_for_backward(a)
        return xp.cos(a)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return -g * sin(a)


class Tanh(Function):
    """out = tanh a;  da = g (1 - out^2).  Saves the output."""

    promotion = TO_FLOAT

    @staticmethod
    def forward(ctx, xp, a):
        out = xp.tanh(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g * (1 - out * out)


def stable_sigmoid(xp: Any, a: Any) -> Any:
    """1 / (1 + e^-a) on raw arrays, without overflow for large |a| (Sigmoid and Silu)."""
    # e^-|a| never overflows; pick the form that divides by a number >= 1.
    e = xp.exp(-xp.abs(a))
    return xp.where(a >= 0, 1 / (1 + e), e / (1 + e))


class Sigmoid(Function):
    """out = 1 / (1 + e^-a), computed without overflow for large |a|;
    da = g out (1 - out).  Saves the output."""

    promotion = TO_FLOAT

    @staticmethod
    def forward(ctx, xp, a):
        out = stable_sigmoid(xp, a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g * out * (1 - out)


def exp(input: Tensor) -> Tensor:  # noqa: A002
    return Exp.apply(input)


def log(input: Tensor) -> Tensor:  # noqa: A002
    return Log.apply(input)


def log1p(input: Tensor) -> Tensor:  # noqa: A002
    return Log1p.apply(input)


def expm1(input: Tensor) -> Tensor:  # noqa: A002
    return Expm1.apply(input)


def sqrt(input: Tensor) -> Tensor:  # noqa: A002
    return Sqrt.apply(input)


def rsqrt(input: Tensor) -> Tensor:  # noqa: A002
    return 1 / sqrt(input)


def abs(input: Tensor) -> Tensor:  # noqa: A002, A001 - PyTorch's name
    if isinstance(input, Tensor) and input.dtype.name == "bool":
        raise UnsupportedDtypeError(
            "abs: not defined for bool tensors (as in PyTorch); convert first, e.g. a.long()"
        )
    return Abs.apply(input)


def sign(input: Tensor) -> Tensor:  # noqa: A002
    return Sign.apply(input)


def sin(input: Tensor) -> Tensor:  # noqa: A002
    return Sin.apply(input)


def cos(input: Tensor) -> Tensor:  # noqa: A002
    return Cos.apply(input)


def tanh(input: Tensor) -> Tensor:  # noqa: A002
    return Tanh.apply(input)


def sigmoid(input: Tensor) -> Tensor:  # noqa: A002
    return Sigmoid.apply(input)


# ----------------------------------------------------------------------------- activations
class Relu(Function):
    """out = max(a, 0);  da = g * [a > 0].  Saves the output (its sign is a's)."""

    @staticmethod
    def forward(ctx, xp, a):
        out = ctx.backend.relu(a)  # into a kept buffer on the cpu (Note [Buffer pool])
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return ReluGrad.apply(g, out)

    @staticmethod
    def raw_backward(ctx, xp, g):  # Note [Raw backward] in autograd/function.py
        (out,) = ctx.saved_arrays
        # ReluGrad's formula through the backend's hook (pooled on the cpu, Note [Buffer
        # pool]; the float * bool multiply there skips the cast to g's dtype).
        return (ctx.backend.relu_grad(g, out),)


class ReluGrad(Function):
    """out = g where ``mask_src`` > 0, else 0: ReLU's backward as one op.

    Written with Tensor ops it would be three (compare, cast, multiply) with two temporaries,
    on every ReLU of every step. It is linear in ``g``, so its own gradient is the same op
    applied to the incoming gradient; ``mask_src`` (ReLU's output) gets none (the mask is
    piecewise constant). Saves ``mask_src``. A backward that records nothing computes the
    same formula on arrays instead (``Relu.raw_backward``, Note [Raw backward]).
    """

    @staticmethod
    def forward(ctx, xp, g, mask_src):
        ctx.save_for_backward(mask_src)
        # A multiply by the 0/1 mask, not ``where`` (``ArrayBackend.relu_grad`` says why);
        # the one difference: an infinite g where the mask is 0 gives nan, not 0.
        return ctx.backend.relu_grad(g, mask_src)

    @staticmethod
    def backward(ctx, gg):
        (mask_src,) = ctx.saved_tensors
        return ReluGrad.apply(gg, mask_src.detach()), None


class LeakyRelu(Function):
    """out = a if a > 0 else slope * a;  da = g if a > 0 else slope * g."""

    @staticmethod
    def forward(ctx, xp, a, negative_slope):
        ctx.save_for_backward(a)
        ctx.slope = negative_slope
        return xp.where(a > 0, a, a * negative_slope)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return where(a > 0, g, g * ctx.slope), None


_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_INV_SQRT_2 = 1.0 / math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


_GELU_K = 0.044715


class Gelu(Function):
    """GELU(a) = a * Phi(a), Phi the standard normal CDF (``approximate="none"``), or
    0.5 a (1 + tanh(u)), u = sqrt(2/pi) (a + 0.044715 a^3) (``approximate="tanh"``).
    da = g (Phi(a) + a phi(a)) for the exact form, and
    da = g (0.5 (1 + t) + 0.5 a (1 - t^2) du/da), t = tanh(u), for the tanh form.
    Saves the input, and for the tanh form also s = (1 + t) / 2 (Note [GELU's sigmoid
    form]). Phi uses the shared erf kernel (Note [erf without the standard] in
    ops/_special.py)."""

    @staticmethod
    def forward(ctx, xp, a, approximate):
        ctx.approximate = approximate
        if approximate == "tanh":
            out, s = ctx.backend.gelu_tanh(a)
            ctx.save_for_backward(a, s)
            return out
        ctx.save_for_backward(a)
        return 0.5 * a * (1 + erf(xp, a * _INV_SQRT_2))

    @staticmethod
    def backward(ctx, g):
        if ctx.approximate == "tanh":
            a, s = ctx.saved_tensors
            # Grad mode on means create_graph: Note [Grad mode in backward] (engine.py).
            if not is_grad_enabled():
                return GeluTanhGrad.apply(g, a, s), None
            inner = _SQRT_2_OVER_PI * (a + _GELU_K * a * a * a)
            t = tanh(inner)  # rebuilt from a, so that the composite is differentiable in a
            d_inner = _SQRT_2_OVER_PI * (1 + 3 * _GELU_K * a * a)
            return g * (0.5 * (1 + t) + 0.5 * a * (1 - t * t) * d_inner), None
        (a,) = ctx.saved_tensors
        cdf = _phi_cdf(a)
        pdf = exp(a * a * -0.5) * _INV_SQRT_2PI
        return g * (cdf + a * pdf), None


# Note [GELU's sigmoid form]
# ~~~~~~~~~~~~~~~~~~~~~~~~~~
# The tanh GELU (a GPT's MLP activation) spent most of its time in tanh, NumPy's slowest
# float32 loop here (about twice exp's cost). Since 1 + tanh(u) = 2 sigmoid(2u),
#
#     0.5 a (1 + tanh u) = a s,   s = 1 / (1 + exp(-2u)),
#
# one exp and a divide instead: 35% less time at one thread, and the same values to
# rounding. The derivative needs s again (0.5 (1 + t) = s, 0.5 (1 - t^2) = 2 s (1 - s)), so
# forward keeps s (one more array the size of the input), and a plain backward (nothing
# recorded, the training case) computes the whole derivative from a and s in one op,
# ``GeluTanhGrad``, instead of recomputing it inside about fifteen Tensor ops. Both kernels
# are backend hooks (``gelu_tanh``, ``gelu_tanh_grad``): the cpu runs each as one body over
# slices of its operands, split across the intra-op threads (Note [Intra-op threads] in
# backend/threads.py); the portable versions run the same operations in the same order, so
# every device gives the same values. exp(-2u) overflows to inf for inputs below about
# -10, which gives s = 0 and the right limit; the warning NumPy would print is silenced,
# and a = -inf gives nan as in PyTorch. Under
# ``create_graph`` the derivative stays the composite of Tensor ops, rebuilt from a, so
# second derivatives hold. tests/unit/test_gpt_fast_paths.py compares the two and counts
# the ops.


class GeluTanhGrad(Function):
    """da = g (s + 2 a s (1 - s) c (1 + 3 k a^2)) from g, the input a and
    s = 1 / (1 + exp(-2 c (a + k a^3))) (Note [GELU's sigmoid form]). Not differentiable.
    Saves nothing."""

    differentiable = False

    @staticmethod
    def forward(ctx, xp, g, a, s):
        return ctx.backend.gelu_tanh_grad(g, a, s)


class _NormalCdf(Function):
    """out = Phi(a) = (1 + erf(a / sqrt 2)) / 2;  da = g phi(a)."""

    @staticmethod
    def forward(ctx, xp, a):
        ctx.save_for_backward(a)
        return 0.5 * (1 + erf(xp, a * _INV_SQRT_2))

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return g * exp(a * a * -0.5) * _INV_SQRT_2PI


def _phi_cdf(a: Tensor) -> Tensor:
    return _NormalCdf.apply(a)


class Silu(Function):
    """SiLU(a) = a * sigmoid(a);  da = g s (1 + a (1 - s)), s = sigmoid(a)."""

    @staticmethod
    def forward(ctx, xp, a):
        ctx.save_for_backward(a)
        return a * stable_sigmoid(xp, a)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        s = sigmoid(a)
        return g * s * (1 + a * (1 - s))


class Softplus(Function):
    """softplus(a) = log(1 + e^(beta a)) / beta, and a itself where beta a > threshold
    (PyTorch's linear region, which also avoids overflow);  da = g sigmoid(beta a)."""

    @staticmethod
    def forward(ctx, xp, a, beta, threshold):
        ctx.save_for_backward(a)
        ctx.beta, ctx.threshold = beta, threshold
        ba = a * beta
        # log(1 + e^x) = max(x, 0) + log1p(e^-|x|): stable for any x.
        soft = (xp.maximum(ba, xp.zeros_like(ba)) + xp.log1p(xp.exp(-xp.abs(ba)))) / beta
        return xp.where(ba > threshold, a, soft)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        ba = a * ctx.beta
        return where(ba > ctx.threshold, g, g * sigmoid(ba)), None, None


def relu(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    """max(a, 0); ``inplace`` as Note [inplace activations] (nn/activation.py) says. Integer
    tensors keep their dtype; bool ones raise, as in PyTorch."""
    if isinstance(input, Tensor) and input.dtype.name == "bool":
        raise UnsupportedDtypeError(
            "relu: not implemented for bool tensors (as in PyTorch); convert the input with "
            ".float() or .long() first"
        )
    return finish_inplace(input, Relu.apply, inplace, "relu_")


def _floating_activation(op: str, a: Any) -> None:
    # PyTorch has floating kernels only for these ("not implemented for 'Long'"): an integer
    # or bool input raises rather than being promoted.
    if isinstance(a, Tensor) and not a.dtype.is_floating_point:
        raise UnsupportedDtypeError(
            f"{op}: not implemented for {a.dtype.name} tensors (as in PyTorch); convert the "
            "input with .float() first"
        )


def relu_(input: Tensor) -> Tensor:  # noqa: A002
    """``relu(a, inplace=True)``: ``input`` set to max(a, 0) in place (Note [In-place autograd]
    in _inplace.py) and returned."""
    return relu(input, inplace=True)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:  # noqa: A002
    _floating_activation("leaky_relu", input)
    return finish_inplace(
        input, lambda x: LeakyRelu.apply(x, negative_slope=negative_slope), inplace, "leaky_relu_"
    )


def gelu(input: Tensor, approximate: str = "none") -> Tensor:  # noqa: A002
    if approximate not in ("none", "tanh"):
        raise InvalidArgumentError(
            f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}"
        )
    _floating_activation("gelu", input)
    return Gelu.apply(input, approximate=approximate)


def silu(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    _floating_activation("silu", input)
    return finish_inplace(input, Silu.apply, inplace, "silu_")


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:  # noqa: A002
    _floating_activation("softplus", input)
    return Softplus.apply(input, beta=beta, threshold=threshold)


# ----------------------------------------------------------------------------- selection
class Clamp(Function):
    """out = min(max(a, lo), hi);  da = g where lo <= a <= hi, else 0."""

    @staticmethod
    def forward(ctx, xp, a, lo, hi):
        ctx.save_for_backward(a)
        ctx.lo, ctx.hi = lo, hi
        out = a
        if lo is not None:
            out = xp.maximum(out, xp.asarray(lo, dtype=a.dtype, device=a.device))
        if hi is not None:
            out = xp.minimum(out, xp.asarray(hi, dtype=a.dtype, device=a.device))
        return out

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        keep = None
        if ctx.lo is not None:
            keep = a >= ctx.lo
        if ctx.hi is not None:
            upper = a <= ctx.hi
            keep = upper if keep is None else logical_and(keep, upper)
        return g * keep.to(g.dtype)


class ClampTensor(Function):
    """out = min(max(a, lo), hi) with tensor bounds (either may be absent; NaNs propagate).

    PyTorch's rule at the kinks: da = g where lo <= a <= hi (so a tie goes to ``a``);
    dlo = g where a < lo and lo < hi; dhi = g where a > hi or hi < lo (a min above the max
    gives the max, which then takes the gradient). With one bound, dlo = g where a < lo,
    dhi = g where a > hi. Saves the input and the bounds."""

    promotion = PROMOTE

    @staticmethod
    def forward(ctx, xp, a, *bounds, has_min, has_max):
        ctx.save_for_backward(a, *bounds)
        ctx.has_min, ctx.has_max = has_min, has_max
        out = a
        lo = bounds[0] if has_min else None
        hi = bounds[-1] if has_max else None
        if lo is not None:
            out = xp.maximum(out, lo)
        if hi is not None:
            out = xp.minimum(out, hi)
        return out

    @staticmethod
    def backward(ctx, g):
        a, *bounds = ctx.saved_tensors
        lo = bounds[0] if ctx.has_min else None
        hi = bounds[-1] if ctx.has_max else None
        keep = None
        if lo is not None:
            keep = ge(a, lo)
        if hi is not None:
            upper = le(a, hi)
            keep = upper if keep is None else logical_and(keep, upper)
        grads = [where(keep, g, 0.0) if ctx.needs_input_grad[0] else None]
        if lo is not None:
            takes = lt(a, lo) if hi is None else logical_and(lt(a, lo), lt(lo, hi))
            grads.append(where(takes, g, 0.0) if ctx.needs_input_grad[1] else None)
        if hi is not None:
            takes = gt(a, hi) if lo is None else logical_or(gt(a, hi), lt(hi, lo))
            grads.append(where(takes, g, 0.0) if ctx.needs_input_grad[-1] else None)
        return tuple(grads)


class MaximumMinimum(Function):
    """out = max(a, b) (``op="maximum"``) or min(a, b) (``op="minimum"``);  the gradient goes
    to the input that wins, split evenly on ties. Where either is NaN (the result is NaN)
    neither loses, so both get the full gradient: PyTorch's formula, which masks only the
    strict loser."""

    promotion = PROMOTE

    @staticmethod
    def forward(ctx, xp, a, b, op):
        ctx.save_for_backward(a, b)
        ctx.op = op
        return getattr(xp, op)(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        a_loses, b_loses = (a < b, a > b) if ctx.op == "maximum" else (a > b, a < b)
        half = where(a == b, g * 0.5, g)
        ga = where(a_loses, 0.0, half) if ctx.needs_input_grad[0] else None
        gb = where(b_loses, 0.0, half) if ctx.needs_input_grad[1] else None
        return ga, gb


class Where(Function):
    """out = a where cond else b;  da = g where cond, db = g elsewhere."""

    promotion = PROMOTE

    dtype_exempt = (0,)

    @staticmethod
    def forward(ctx, xp, cond, a, b):
        ctx.save_for_backward(cond)
        return xp.where(cond, a, b)

    @staticmethod
    def backward(ctx, g):
        (cond,) = ctx.saved_tensors
        zero = g * 0
        ga = where(cond, g, zero) if ctx.needs_input_grad[1] else None
        gb = where(cond, zero, g) if ctx.needs_input_grad[2] else None
        return None, ga, gb


def clamp(input: Tensor, min: float | None = None, max: float | None = None) -> Tensor:  # noqa: A002
    if min is None and max is None:
        from nanotorch.errors import InvalidArgumentError

        raise InvalidArgumentError("clamp: at least one of min and max must be given")
    for name, bound in (("min", min), ("max", max)):
        if bound is not None and (
            isinstance(bound, bool) or not isinstance(bound, (int, float, Tensor))
        ):
            raise TypeError(
                f"clamp: {name} must be a number or a Tensor, got {type(bound).__name__} {bound!r}"
            )
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        bounds = [x for x in (min, max) if x is not None]
        for x in bounds:
            if isinstance(x, Tensor):
                broadcast_shapes("clamp", tuple(input.shape), tuple(x.shape))
        return ClampTensor.apply(input, *bounds, has_min=min is not None, has_max=max is not None)
    if (type(min) is float or type(max) is float) and not input.dtype.is_floating_point:
        # Float bounds on an integer tensor: compute in the promoted dtype, as PyTorch does,
        # rather than truncating the bounds (Note [Type promotion] in promotion.py).
        bounds = [b for b in (min, max) if b is not None]
        input = input.to(result_type(input, *bounds))
    return Clamp.apply(input, lo=min, hi=max)


def maximum(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    a, b = input, other
    return _binary(MaximumMinimum, a, b, op="maximum")


def minimum(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    a, b = input, other
    return _binary(MaximumMinimum, a, b, op="minimum")


def where(cond: Tensor, a: TensorLike | None = None, b: TensorLike | None = None) -> Any:
    """Elementwise choice: ``a`` where ``cond`` is true, else ``b`` (broadcasting).
    ``where(cond)`` alone is ``nonzero(cond, as_tuple=True)``, as in PyTorch."""
    if a is None and b is None and isinstance(cond, Tensor):
        from nanotorch.ops.indexing import nonzero

        return nonzero(cond, as_tuple=True)
    if a is None or b is None:
        raise TypeError("where: pass both a and b, or neither (where(cond) is nonzero)")
    if not isinstance(cond, Tensor) or cond.dtype.name != "bool":
        raise UnsupportedDtypeError(
            f"where: condition must be a bool tensor, got "
            f"{cond.dtype if isinstance(cond, Tensor) else type(cond).__name__}"
        )
    shapes = [tuple(x.shape) for x in (cond, a, b) if isinstance(x, Tensor)]
    broadcast_shapes("where", *shapes)
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        # Two numbers: the result takes PyTorch's dtype for them (bool, int64 or the
        # default float), made on the condition's device.
        a = _scalar_tensor("where", a, b, cond)
    return Where.apply(cond, a, b)


def _scalar_tensor(op: str, value: Any, other: Any, like: Tensor) -> Tensor:
    """``value`` as a 0-d tensor on ``like``'s device, of the dtype PyTorch gives the pair
    of Python numbers ``value`` and ``other``."""
    from nanotorch import dtypes
    from nanotorch.creation import full

    pair = (value, other)
    for v in pair:
        if not isinstance(v, (bool, int, float)):
            raise TypeError(f"{op}: expected a Tensor or a number, got {type(v).__name__}")
    if any(isinstance(v, float) for v in pair):
        dtype = dtypes.get_default_dtype()
    elif all(isinstance(v, bool) for v in pair):
        dtype = dtypes.bool_
    else:
        dtype = dtypes.int64
    return full((), value, dtype=dtype, device=like.device)


# ----------------------------------------------------------------------------- no gradient
class NoGradBinary(Function):
    """Comparisons, logical ops, floor division and remainder: results that carry no
    gradient (piecewise constant, or boolean)."""

    promotion = PROMOTE

    differentiable = False

    @staticmethod
    def forward(ctx, xp, a, b, op):
        return getattr(xp, op)(a, b)


class UnaryPredicate(Function):
    differentiable = False

    @staticmethod
    def forward(ctx, xp, a, op):
        return getattr(xp, op)(a)


def _compare(op: str, a: TensorLike, b: TensorLike) -> Tensor:
    if isinstance(a, Tensor) and isinstance(b, Tensor) and a._data.shape != b._data.shape:
        broadcast_shapes(op, tuple(a.shape), tuple(b.shape))
    if not isinstance(a, Tensor):
        # The standard wants the array on the left; flip the comparison instead.
        flipped = {
            "less": "greater",
            "greater": "less",
            "less_equal": "greater_equal",
            "greater_equal": "less_equal",
        }.get(op, op)
        return NoGradBinary.apply(b, a, op=flipped)
    return NoGradBinary.apply(a, b, op=op)


def eq(input: TensorLike, other: TensorLike) -> Tensor:  # noqa: A002
    a, b = input, other
    return _compare("equal", a, b)


def ne(input: TensorLike, other: TensorLike) -> Tensor:  # noqa: A002
    a, b = input, other
    return _compare("not_equal", a, b)


def lt(input: TensorLike, other: TensorLike) -> Tensor:  # noqa: A002
    a, b = input, other
    return _compare("less", a, b)


def le(input: TensorLike, other: TensorLike) -> Tensor:  # noqa: A002
    a, b = input, other
    return _compare("less_equal", a, b)


def gt(input: TensorLike, other: TensorLike) -> Tensor:  # noqa: A002
    a, b = input, other
    return _compare("greater", a, b)


def ge(input: TensorLike, other: TensorLike) -> Tensor:  # noqa: A002
    a, b = input, other
    return _compare("greater_equal", a, b)


def _truth(x: Any) -> Any:
    """A tensor's truth values as a bool tensor: non-zero (NaN included) is True, as PyTorch's
    logical ops read numbers."""
    if isinstance(x, Tensor) and x.dtype.name != "bool":
        return _compare("not_equal", x.detach(), 0)
    return x


def logical_and(input: Tensor, b: Tensor) -> Tensor:  # noqa: A002
    return _compare("logical_and", _truth(input), _truth(b))


def logical_or(input: Tensor, b: Tensor) -> Tensor:  # noqa: A002
    return _compare("logical_or", _truth(input), _truth(b))


def logical_xor(input: Tensor, b: Tensor) -> Tensor:  # noqa: A002
    return _compare("logical_xor", _truth(input), _truth(b))


def logical_not(input: Tensor) -> Tensor:  # noqa: A002
    return UnaryPredicate.apply(_truth(input), op="logical_not")


def isnan(input: Tensor) -> Tensor:  # noqa: A002
    return UnaryPredicate.apply(input, op="isnan")


def isinf(input: Tensor) -> Tensor:  # noqa: A002
    return UnaryPredicate.apply(input, op="isinf")


def isfinite(input: Tensor) -> Tensor:  # noqa: A002
    return UnaryPredicate.apply(input, op="isfinite")


def _check_integer_divisor(op: str, a: TensorLike, b: TensorLike) -> None:
    """Refuse integer ``//`` and ``%`` by zero, and bool operands.

    NumPy returns 0 for an integer division by zero (with a warning), a silent wrong answer;
    PyTorch raises. Knowing whether a divisor tensor holds a 0 needs its values on the host:
    one reduction and a device read (a sync on an accelerator, counted like ``item()``). It is
    paid only when both operands are integers, where there is no inf or nan to return instead;
    float division by zero follows IEEE and costs nothing extra.
    """
    dtypes = [x.dtype for x in (a, b) if isinstance(x, Tensor)]
    if any(d.name == "bool" for d in dtypes):
        raise UnsupportedDtypeError(
            f"{op}: not defined for bool tensors; convert them first, e.g. a.long()"
        )
    if any(d.is_floating_point for d in dtypes) or any(
        isinstance(x, float) for x in (a, b) if not isinstance(x, Tensor)
    ):
        return
    if isinstance(b, Tensor):
        has_zero = bool(eq(b, 0).sum().item())
    else:
        has_zero = b == 0
    if has_zero:
        from nanotorch.errors import IntegerDivisionByZeroError

        raise IntegerDivisionByZeroError(
            f"{op}: integer division by zero (the divisor holds a 0); integers have no inf "
            "or nan to give, so mask the zeros out or divide float tensors instead"
        )


def floor_divide(input: TensorLike, other: TensorLike) -> Tensor:  # noqa: A002
    """floor(a / b); piecewise constant, so no gradient flows through it. Integer division by
    zero raises, as in PyTorch."""
    a, b = input, other
    _check_integer_divisor("floor_divide", a, b)
    return (
        _compare("floor_divide", a, b)
        if isinstance(a, Tensor)
        else NoGradBinary.apply(a, b, op="floor_divide")
    )


def remainder(input: TensorLike, other: TensorLike) -> Tensor:  # noqa: A002
    """a - floor(a / b) * b, with the sign of b (Python's %). Integer remainder by zero
    raises, as in PyTorch."""
    a, b = input, other
    _check_integer_divisor("remainder", a, b)
    return _binary(Remainder, a, b)


class Remainder(Function):
    """out = a - floor(a / b) b, with the sign of b;  da = g,  db = -g floor(a / b)
    (PyTorch's rule; the jumps where a / b is whole carry no gradient). Saves both inputs."""

    promotion = PROMOTE

    @staticmethod
    def forward(ctx, xp, a, b):
        ctx.save_for_backward(a, b)
        return xp.remainder(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        ga = g if ctx.needs_input_grad[0] else None
        gb = -g * floor_divide(a, b) if ctx.needs_input_grad[1] else None
        return ga, gb
