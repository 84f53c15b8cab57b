"""Activation functions of ``nanotorch.nn.functional`` beyond the core ones (relu, gelu,
silu, ... live in ops/elementwise.py): elu, selu, celu, hardtanh, relu6, hardsigmoid,
hardswish, mish, logsigmoid, softsign, softmin, prelu, glu, normalize, threshold,
tanhshrink, softshrink and hardshrink, with PyTorch's
names, arguments, defaults and derivatives. Their modules (``nn.ELU``, ``nn.PReLU``...) are
in nn/activation.py.

Most are composites of differentiable ops, so their gradients and second derivatives come
from those ops. A few get a Function of their own because PyTorch's derivative differs from
what the composite would give at the kinks: hardtanh (and so relu6 and hardsigmoid) passes
no gradient at its bounds, hardswish has PyTorch's one-sided slopes at -3 and 3; logsigmoid
is one stable formula; normalize's norm has a gradient of 0, not nan, at a zero vector.

Note [inplace activations] (in nn/activation.py) says what ``inplace=True`` does.

Like the rest of the engine, this module imports no array library.
"""

from __future__ import annotations

import math
from typing import Any

from nanotorch.autograd.function import Function
from nanotorch.dtypes import DType
from nanotorch.errors import ShapeError, UnsupportedDtypeError
from nanotorch.nn.linear import check_same_place
from nanotorch.ops._util import finish_inplace, normalize_dim, normalize_dims
from nanotorch.ops.elementwise import abs as _abs
from nanotorch.ops.elementwise import (
    clamp,
    expm1,
    logical_and,
    sigmoid,
    sign,
    softplus,
    tanh,
    where,
)
from nanotorch.ops.reduction import log_softmax, softmax
from nanotorch.ops.shape import chunk, reshape
from nanotorch.tensor import Tensor

# The functional ops this family exports through nanotorch.nn.functional; the op-spec
# tests derive from it (Note [Op registry] in ops/__init__.py).
OPS = (
    "elu",
    "selu",
    "celu",
    "hardtanh",
    "relu6",
    "hardsigmoid",
    "hardswish",
    "mish",
    "logsigmoid",
    "softsign",
    "softmin",
    "prelu",
    "glu",
    "normalize",
    "threshold",
    "tanhshrink",
    "softshrink",
    "hardshrink",
    "rrelu",
    # The in-place forms PyTorch's functional namespace names with a trailing underscore
    # (Note [In-place autograd] in _inplace.py).
    "elu_",
    "selu_",
    "celu_",
    "hardtanh_",
    "threshold_",
    "rrelu_",
    "leaky_relu_",
)

# SELU's constants (Klambauer et al., 2017), to the precision PyTorch uses.
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def _check_input(op: str, input: Any) -> None:  # noqa: A002
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}: input must be a Tensor, got {type(input).__name__}")


def _check_floating(op: str, input: Any) -> None:  # noqa: A002
    """A Tensor of a floating dtype: PyTorch's kernels for these activations exist for
    floating dtypes only ("not implemented for 'Long'"), so an integer or bool input raises
    rather than being promoted."""
    _check_input(op, input)
    if not input.dtype.is_floating_point:
        raise UnsupportedDtypeError(
            f"{op}: not implemented for {input.dtype.name} tensors (as in PyTorch); convert "
            "the input with .float() first"
        )


def _check_not_bool(op: str, input: Any) -> None:  # noqa: A002
    """A Tensor that is not bool: these activations keep an integer dtype, as PyTorch's do,
    but have no bool kernel there."""
    _check_input(op, input)
    if input.dtype.name == "bool":
        raise UnsupportedDtypeError(
            f"{op}: not implemented for bool tensors (as in PyTorch); convert the input with "
            ".float() or .long() first"
        )


# ----------------------------------------------------------------------------- exponential
def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:  # noqa: A002
    """x if x > 0 else alpha (e^x - 1);  dx = g if x > 0 else g alpha e^x.

    The exponential sees min(x, 0) only: the branch where() discards would otherwise
    overflow for large x and turn the gradient into nan (inf * 0).

    >>> import nanotorch
    >>> import nanotorch.nn.functional as F
    >>> F.elu(nanotorch.tensor([-1.0, 2.0]), alpha=2.0).tolist()
    [-1.26424..., 2.0]
    """
    _check_floating("elu", input)
    return finish_inplace(
        input, lambda x: where(x > 0, x, expm1(clamp(x, max=0.0)) * alpha), inplace, "elu_"
    )


def selu(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    """scale * elu(x, alpha) with the self-normalising constants SELU_SCALE, SELU_ALPHA."""
    _check_floating("selu", input)
    return finish_inplace(input, lambda x: elu(x, SELU_ALPHA) * SELU_SCALE, inplace, "selu_")


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:  # noqa: A002
    """x if x > 0 else alpha (e^(x / alpha) - 1): elu made continuously differentiable."""
    _check_floating("celu", input)
    if alpha == 0:
        raise ValueError("celu: alpha must not be 0 (it divides the input)")
    return finish_inplace(
        input,
        lambda x: where(x > 0, x, expm1(clamp(x, max=0.0) / alpha) * alpha),
        inplace,
        "celu_",
    )


# ----------------------------------------------------------------------------- piecewise
class Hardtanh(Function):
    """out = clip(a, lo, hi);  da = g where lo < a < hi (strictly, as PyTorch), else 0."""

    @staticmethod
    def forward(ctx, xp, a, lo, hi):
        ctx.save_for_backward(a)
        ctx.lo, ctx.hi = lo, hi
        return xp.clip(a, lo, hi)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return where(logical_and(a > ctx.lo, a < ctx.hi), g, 0.0), None, None


def hardtanh(
    input: Tensor,  # noqa: A002
    min_val: float = -1.0,
    max_val: float = 1.0,
    inplace: bool = False,
) -> Tensor:
    """x clipped to [min_val, max_val]; the gradient is 1 strictly inside, else 0.

    >>> import nanotorch
    >>> import nanotorch.nn.functional as F
    >>> F.hardtanh(nanotorch.tensor([-3.0, 0.5, 3.0])).tolist()
    [-1.0, 0.5, 1.0]
    """
    _check_not_bool("hardtanh", input)
    if min_val > max_val:
        raise ValueError(
            f"hardtanh: min_val ({min_val}) cannot be greater than max_val ({max_val})"
        )
    lo, hi = float(min_val), float(max_val)
    return finish_inplace(input, lambda x: Hardtanh.apply(x, lo=lo, hi=hi), inplace, "hardtanh_")


def relu6(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    """min(max(x, 0), 6) = hardtanh(x, 0, 6)."""
    _check_not_bool("relu6", input)
    return hardtanh(input, 0.0, 6.0, inplace)


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    """relu6(x + 3) / 6: 0 below -3, 1 above 3, linear between (gradient 1/6 strictly inside)."""
    _check_floating("hardsigmoid", input)
    return finish_inplace(
        input, lambda x: hardtanh(x + 3.0, 0.0, 6.0) / 6.0, inplace, "hardsigmoid_"
    )


class Hardswish(Function):
    """out = a relu6(a + 3) / 6;  da = 0 for a <= -3, g (a / 3 + 1/2) for -3 < a < 3, g from
    3 up (PyTorch's slopes, including at the two kinks). Saves the input."""

    @staticmethod
    def forward(ctx, xp, a):
        ctx.save_for_backward(a)
        return a * xp.clip(a + 3.0, 0.0, 6.0) / 6.0

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        middle = g * (a / 3.0 + 0.5)
        return where(a <= -3.0, 0.0, where(a < 3.0, middle, g))


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    _check_floating("hardswish", input)
    return finish_inplace(input, Hardswish.apply, inplace, "hardswish_")


# ----------------------------------------------------------------------------- smooth
def mish(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    """x tanh(softplus(x))."""
    _check_floating("mish", input)
    return finish_inplace(input, lambda x: x * tanh(softplus(x)), inplace, "mish_")


class LogSigmoid(Function):
    """out = log(sigmoid(a)) = min(a, 0) - log1p(e^-|a|), exact and finite for any a;
    da = g sigmoid(-a). Saves the input."""

    @staticmethod
    def forward(ctx, xp, a):
        ctx.save_for_backward(a)
        return xp.minimum(a, xp.zeros_like(a)) - xp.log1p(xp.exp(-xp.abs(a)))

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return g * sigmoid(-a)


def logsigmoid(input: Tensor) -> Tensor:  # noqa: A002
    _check_floating("logsigmoid", input)
    return LogSigmoid.apply(input)


def softsign(input: Tensor) -> Tensor:  # noqa: A002
    """x / (1 + |x|)."""
    _check_not_bool("softsign", input)
    return input / (_abs(input) + 1.0)


def legacy_softmax_dim(ndim: int) -> int:
    """PyTorch's dim when softmax, softmin or log_softmax gets none: 0 for 0-, 1- and 3-d
    inputs, else 1."""
    return 0 if ndim in (0, 1, 3) else 1


def softmin(
    input: Tensor,  # noqa: A002
    dim: int | None = None,
    _stacklevel: int = 3,
    dtype: DType | None = None,
) -> Tensor:
    """softmax(-x) along ``dim``: weights that favour the smallest entries."""
    _check_input("softmin", input)
    if dtype is not None:
        input = input.to(dtype)
    return softmax(-input, legacy_softmax_dim(input.ndim) if dim is None else dim)


# ----------------------------------------------------------------------------- parametric
# ----------------------------------------------------------------------------- shrinkage
def threshold(
    input: Tensor,  # noqa: A002
    threshold: float,
    value: float,
    inplace: bool = False,
) -> Tensor:
    """x where x > threshold, else ``value``; the gradient is 1 above the threshold, else 0."""
    _check_not_bool("threshold", input)
    # An integer input keeps its dtype, as in PyTorch: the value is taken in that dtype.
    fill = float(value) if input.dtype.is_floating_point else int(value)
    return finish_inplace(input, lambda x: where(x > threshold, x, fill), inplace, "threshold_")


def tanhshrink(input: Tensor) -> Tensor:  # noqa: A002
    """x - tanh(x); derivative tanh(x)^2."""
    _check_not_bool("tanhshrink", input)
    return input - tanh(input)


def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:  # noqa: A002
    """x - lambd above lambd, x + lambd below -lambd, 0 between: x - clamp(x, -lambd, lambd),
    so the gradient is 1 outside [-lambd, lambd] and 0 inside."""
    _check_floating("softshrink", input)
    if not lambd >= 0:
        raise ValueError(f"softshrink: lambd must be >= 0, got {lambd}")
    return input - clamp(input, -lambd, lambd)


def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:  # noqa: A002
    """x where |x| > lambd, else 0."""
    _check_floating("hardshrink", input)
    return where(logical_and(input >= -lambd, input <= lambd), 0.0, input)


def rrelu(
    input: Tensor,  # noqa: A002
    lower: float = 1.0 / 8,
    upper: float = 1.0 / 3,
    training: bool = False,
    inplace: bool = False,
    *,
    generator: Any = None,
) -> Tensor:
    """Randomized leaky ReLU (Xu et al., 2015): x if x >= 0 else a x, with a slope a drawn
    from U(lower, upper) per element in training and the mean (lower + upper) / 2 otherwise."""
    _check_floating("rrelu", input)
    if not lower <= upper:
        raise ValueError(f"rrelu: lower ({lower}) must not exceed upper ({upper})")
    if training:
        from nanotorch.creation import rand

        u = rand(tuple(input.shape), generator=generator, dtype=input.dtype, device=input.device)
        slope: Tensor | float = u * (upper - lower) + lower
    else:
        slope = (lower + upper) / 2
    # x > 0, not >= 0: the values agree at 0, and the gradient there is the slope, as in
    # PyTorch (whose eval form is leaky_relu).
    return finish_inplace(input, lambda x: where(x > 0, x, x * slope), inplace, "rrelu_")


# Note [Functional softmax signature]
# ~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
# ``nanotorch.softmax(a, dim)`` is the core op. ``F.softmax`` and ``F.log_softmax`` take
# PyTorch's functional signature on top of it: the tensor is called ``input``, ``dim=None``
# picks the legacy dim, and ``dtype`` casts the input first (so a float32 input gives a float64
# result, computed in float64, and the gradient flows back to float32 through the cast).
# They are not new ops (no entry in OPS): the core op's spec covers the arithmetic.
def functional_softmax(
    input: Tensor,  # noqa: A002
    dim: int | None = None,
    _stacklevel: int = 3,
    dtype: DType | None = None,
) -> Tensor:
    """``F.softmax``: exp(x_i) / sum_j exp(x_j) along ``dim``, in ``dtype`` if given.

    >>> import nanotorch
    >>> import nanotorch.nn.functional as F
    >>> F.softmax(nanotorch.tensor([0.0, 0.0]), dim=0, dtype=nanotorch.float64).tolist()
    [0.5, 0.5]
    """
    _check_input("softmax", input)
    if dtype is not None:
        input = input.to(dtype)
    return softmax(input, legacy_softmax_dim(input.ndim) if dim is None else dim)


def functional_log_softmax(
    input: Tensor,  # noqa: A002
    dim: int | None = None,
    _stacklevel: int = 3,
    dtype: DType | None = None,
) -> Tensor:
    """``F.log_softmax``: x_i - log sum_j exp(x_j) along ``dim``, in ``dtype`` if given."""
    _check_input("log_softmax", input)
    if dtype is not None:
        input = input.to(dtype)
    return log_softmax(input, legacy_softmax_dim(input.ndim) if dim is None else dim)


def prelu(input: Tensor, weight: Tensor) -> Tensor:  # noqa: A002
    """x if x > 0 else w x, with one learnt slope per channel (dim 1) or one shared slope.

    Composite: dx = g (x > 0 ? 1 : w), dw = sum of g x where x <= 0 (the engine sums over
    the broadcast dims)."""
    _check_input("prelu", input)
    check_same_place("prelu", input, weight=weight)
    channels = input.shape[1] if input.ndim >= 2 else 1
    n = weight.numel()
    if weight.ndim > 1 or (n != 1 and n != channels):
        raise ShapeError(
            f"prelu: weight of shape {tuple(weight.shape)} does not fit input of shape "
            f"{tuple(input.shape)}: it needs 1 element or one per channel ({channels}, "
            "the size of dim 1)"
        )
    w = reshape(weight, (n,) + (1,) * (input.ndim - 2)) if input.ndim >= 2 else reshape(weight, ())
    return where(input > 0, input, w * input)


def glu(input: Tensor, dim: int = -1) -> Tensor:  # noqa: A002
    """a * sigmoid(b), where a and b are the two halves of ``input`` along ``dim``."""
    _check_floating("glu", input)
    if input.ndim == 0:
        raise RuntimeError("glu: does not support 0-d tensors (there is no dim to halve)")
    d = normalize_dim(dim, input.ndim, "glu")
    if input.shape[d] % 2:
        raise ShapeError(
            f"glu: halving dimension must be even, but dim {dim} of shape "
            f"{tuple(input.shape)} has size {input.shape[d]}"
        )
    a, b = chunk(input, 2, d) if input.shape[d] else (input, input)
    return a * sigmoid(b)


# ----------------------------------------------------------------------------- normalize
class VectorNorm(Function):
    """out = (sum |a|^p)^(1/p) over ``dims`` (kept), or max |a| for p = inf;
    da = g sign(a) |a|^(p-1) / out^(p-1) (g a / out for p = 2, g sign(a) for p = 1, shared
    evenly by the maxima for p = inf), and 0 where out = 0: a zero vector has no direction,
    and PyTorch's norm backward gives 0 there rather than nan. Saves the input and output."""

    @staticmethod
    def forward(ctx, xp, a, p, dims):
        ctx.p, ctx.dims = p, dims
        if p == 2:
            out = xp.sqrt(xp.sum(a * a, axis=dims, keepdims=True))
        elif p == 1:
            out = xp.sum(xp.abs(a), axis=dims, keepdims=True)
        elif p == math.inf:
            out = xp.max(xp.abs(a), axis=dims, keepdims=True)
        else:
            out = xp.sum(xp.abs(a) ** p, axis=dims, keepdims=True) ** (1.0 / p)
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, g):
        a, out = ctx.saved_tensors
        p = ctx.p
        if p == 1:
            return g * sign(a), None, None
        if p == math.inf:
            top = (_abs(a) == out).to(a.dtype)
            share = top / top.sum(ctx.dims, keepdim=True)
            return g * sign(a) * share, None, None
        safe = where(out == 0, 1.0, out)  # where out is 0 so is every |a|: the result is 0
        if p == 2:
            return g * a / safe, None, None
        return g * sign(a) * (_abs(a) / safe) ** (p - 1), None, None


def normalize(
    input: Tensor,  # noqa: A002
    p: float = 2.0,
    dim: int | tuple[int, ...] = 1,
    eps: float = 1e-12,
    out: Tensor | None = None,
) -> Tensor:
    """input / max(||input||_p, eps) along ``dim``: unit vectors, and zero vectors stay zero.

    >>> import nanotorch
    >>> import nanotorch.nn.functional as F
    >>> x = nanotorch.tensor([[3.0, 4.0], [0.0, 0.0]], dtype=nanotorch.float64)
    >>> F.normalize(x).tolist()
    [[0.6, 0.8], [0.0, 0.0]]
    """
    _check_input("normalize", input)
    if out is not None:
        raise TypeError("normalize: out= is not supported; use the returned tensor")
    if not (p > 0):
        raise ValueError(f"normalize: p must be positive, got {p}")
    dims = normalize_dims(dim, input.ndim, "normalize")
    norm = VectorNorm.apply(input, p=float(p), dims=dims)
    return input / clamp(norm, min=eps)


# ------------------------------------------------------------------------------ in place
def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:  # noqa: A002
    """``elu(input, alpha, inplace=True)``."""
    return elu(input, alpha, True)


def selu_(input: Tensor) -> Tensor:  # noqa: A002
    """``selu(input, inplace=True)``."""
    return selu(input, True)


def celu_(input: Tensor, alpha: float = 1.0) -> Tensor:  # noqa: A002
    """``celu(input, alpha, inplace=True)``."""
    return celu(input, alpha, True)


def hardtanh_(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:  # noqa: A002
    """``hardtanh(input, min_val, max_val, inplace=True)``."""
    return hardtanh(input, min_val, max_val, True)


def threshold_(input: Tensor, threshold: float, value: float) -> Tensor:  # noqa: A002
    """``threshold(input, threshold, value, inplace=True)``."""
    return _threshold(input, threshold, value, True)


_threshold = threshold


def rrelu_(
    input: Tensor,  # noqa: A002
    lower: float = 1.0 / 8,
    upper: float = 1.0 / 3,
    training: bool = False,
    *,
    generator: Any = None,
) -> Tensor:
    """``rrelu(input, lower, upper, training, inplace=True)``."""
    return rrelu(input, lower, upper, training, True, generator=generator)


def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:  # noqa: A002
    """``leaky_relu(input, negative_slope, inplace=True)``."""
    from nanotorch.ops.elementwise import leaky_relu

    return leaky_relu(input, negative_slope, True)
