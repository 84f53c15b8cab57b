"""Assorted PyTorch functions: small elementwise helpers (sgn, logit, xlogy, nan_to_num,
heaviside, sinc, float_power, addcmul, gcd, ...), nan-aware reductions, the stacking and
splitting conveniences of NumPy's naming (hstack, vstack, tensor_split, ...), argwhere, numel
and the function form of detach.

Every op is a composite of ops that already have a backward (where, log, mul, cat, reshape,
getitem, ...), so none needs a Function of its own and every gradient is the one its parts
give; the spec's gradcheck checks each against finite differences. Integer-only ops (gcd,
lcm) and predicates carry no gradient.

Like the rest of the engine, this module imports no array library.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import nanotorch.creation as _c
import nanotorch.ops as _o
from nanotorch import dtypes as _dt
from nanotorch.autograd.function import PROMOTE, Function
from nanotorch.errors import UnsupportedDtypeError
from nanotorch.ops._util import broadcast_shapes
from nanotorch.tensor import Tensor

# What this family exports; nanotorch.<name> and the op-spec tests derive from it
# (Note [Op registry] in ops/__init__.py).
OPS = (
    "sgn",
    "logit",
    "xlogy",
    "nan_to_num",
    "clamp_min",
    "clamp_max",
    "heaviside",
    "positive",
    "sinc",
    "deg2rad",
    "rad2deg",
    "float_power",
    "addcmul",
    "addcdiv",
    "gcd",
    "lcm",
    "isposinf",
    "isneginf",
    "signbit",
    "nansum",
    "nanmean",
    "fmax",
    "fmin",
    "ldexp",
    "broadcast_tensors",
    "atleast_1d",
    "atleast_2d",
    "atleast_3d",
    "hstack",
    "vstack",
    "dstack",
    "column_stack",
    "tensor_split",
    "hsplit",
    "vsplit",
    "argwhere",
    "numel",
    "detach",
)
ALIASES = {"row_stack": "vstack"}


def _tensor(op: str, a: Any, name: str = "input") -> Tensor:
    if not isinstance(a, Tensor):
        raise TypeError(f"{op}: {name} must be a Tensor, got {type(a).__name__}")
    return a


def _float(op: str, a: Tensor) -> Tensor:
    """``a`` in a floating dtype: integers go to the default float, as PyTorch's float ops."""
    return a if a.dtype.is_floating_point else a.to(_dt.get_default_dtype())


# ----------------------------------------------------------------------------- elementwise
def sgn(input: Tensor) -> Tensor:  # noqa: A002 - PyTorch's name
    """The sign; for the real dtypes nanotorch has, the same as ``sign``."""
    return _o.sign(_tensor("sgn", input))


def logit(input: Tensor, eps: float | None = None) -> Tensor:  # noqa: A002
    """log(p / (1 - p)), with p clamped to [eps, 1 - eps] first when ``eps`` is given."""
    p = _float("logit", _tensor("logit", input))
    if eps is not None:
        if isinstance(eps, bool) or not isinstance(eps, (int, float)):
            raise TypeError(f"logit: eps must be a number or None, got {type(eps).__name__}")
        p = _o.clamp(p, float(eps), 1.0 - float(eps))
    return _o.log(p / (1 - p))


class Xlogy(Function):
    """out = x log(y), and 0 where x == 0 (unless y is nan; the log reads a safe 1 there).

    dx = xlogy(g, y), g log(y) also where x == 0, except 0 where x == 0 and y <= 0 (no
    log there); dy = g x / y everywhere, so nan at x = y = 0. Both are PyTorch's formulas,
    kinks included. Saves both inputs."""

    promotion = PROMOTE

    @staticmethod
    def forward(ctx, xp, x, y):
        ctx.save_for_backward(x, y)
        zero = xp.logical_and(x == 0, xp.logical_not(xp.isnan(y)))
        safe_y = xp.where(zero, xp.ones_like(y), y)
        return xp.where(zero, xp.zeros_like(x), x * xp.log(safe_y))

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        gx = None
        if ctx.needs_input_grad[0]:
            no_log = _o.logical_and(_o.eq(x, 0), _o.le(y, 0))
            gx = _o.where(no_log, 0.0, xlogy(g, y))
        gy = g * x / y if ctx.needs_input_grad[1] else None
        return gx, gy


def xlogy(input: Any, other: Any) -> Tensor:  # noqa: A002
    """x * log(y), and 0 where x == 0 (unless y is nan); gradients as ``Xlogy`` says."""
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        raise TypeError("xlogy: at least one of input and other must be a Tensor")
    x = input if isinstance(input, Tensor) else _c.full_like(other, float(input))
    y = other if isinstance(other, Tensor) else _c.full_like(x, float(other))
    x, y = _float("xlogy", x), _float("xlogy", y)
    if x.shape != y.shape:
        broadcast_shapes("xlogy", tuple(x.shape), tuple(y.shape))
    return Xlogy.apply(x, y)


def nan_to_num(
    input: Tensor,  # noqa: A002
    nan: float = 0.0,
    posinf: float | None = None,
    neginf: float | None = None,
) -> Tensor:
    """nan, +inf and -inf replaced (infinities by the dtype's largest/lowest finite value by
    default). An integer tensor has none of them and comes back as a copy."""
    a = _tensor("nan_to_num", input)
    if not a.dtype.is_floating_point:
        return a.clone()
    big = float(a._backend.xp.finfo(a._data.dtype).max)  # the array API's finfo
    posinf = big if posinf is None else posinf
    neginf = -big if neginf is None else neginf
    out = _o.where(_o.isnan(a), float(nan), a)
    out = _o.where(isposinf(a), float(posinf), out)
    return _o.where(isneginf(a), float(neginf), out)


def clamp_min(input: Tensor, min: Any) -> Tensor:  # noqa: A002
    return _o.clamp(_tensor("clamp_min", input), min=min)


def clamp_max(input: Tensor, max: Any) -> Tensor:  # noqa: A002
    return _o.clamp(_tensor("clamp_max", input), max=max)


def heaviside(input: Tensor, values: Tensor) -> Tensor:  # noqa: A002
    """0 where input < 0, ``values`` where input == 0, 1 where input > 0."""
    a = _tensor("heaviside", input)
    _tensor("heaviside", values, "values")
    if a.dtype != values.dtype:
        raise RuntimeError(
            f"heaviside: input ({a.dtype.name}) and values ({values.dtype.name}) must have the "
            "same dtype; convert one with .to()"
        )
    out = _o.where(_o.gt(a, 0), _c.ones_like(a), _c.zeros_like(a))
    return _o.where(_o.eq(a, 0), values, out)


def positive(input: Tensor) -> Tensor:  # noqa: A002
    """The input itself (PyTorch returns it, not a copy); refused for bool as in PyTorch."""
    a = _tensor("positive", input)
    if a.dtype == _dt.bool_:
        raise UnsupportedDtypeError("positive: not supported for bool tensors")
    return a


def sinc(input: Tensor) -> Tensor:  # noqa: A002
    """sin(pi x) / (pi x), and 1 at x == 0 (the division reads a safe 1 there)."""
    x = _float("sinc", _tensor("sinc", input))
    zero = _o.eq(x, 0)
    px = _o.where(zero, 1.0, x) * math.pi
    return _o.where(zero, 1.0, _o.sin(px) / px)


def deg2rad(input: Tensor) -> Tensor:  # noqa: A002
    return _float("deg2rad", _tensor("deg2rad", input)) * (math.pi / 180.0)


def rad2deg(input: Tensor) -> Tensor:  # noqa: A002
    return _float("rad2deg", _tensor("rad2deg", input)) * (180.0 / math.pi)


def float_power(input: Any, exponent: Any) -> Tensor:  # noqa: A002
    """input ** exponent computed in float64, as PyTorch's float_power."""
    if not isinstance(input, Tensor) and not isinstance(exponent, Tensor):
        raise TypeError("float_power: at least one of input and exponent must be a Tensor")
    a = input.to(_dt.float64) if isinstance(input, Tensor) else float(input)
    b = exponent.to(_dt.float64) if isinstance(exponent, Tensor) else float(exponent)
    if not isinstance(a, Tensor):
        a = _c.full_like(b, a)
    return _o.pow(a, b)


def addcmul(input: Tensor, tensor1: Tensor, tensor2: Tensor, *, value: float = 1) -> Tensor:  # noqa: A002
    """input + value * tensor1 * tensor2."""
    _tensor("addcmul", input)
    prod = tensor1 * tensor2
    return input + (prod * value if value != 1 else prod)


def addcdiv(input: Tensor, tensor1: Tensor, tensor2: Tensor, *, value: float = 1) -> Tensor:  # noqa: A002
    """input + value * tensor1 / tensor2; integer operands are refused, as in PyTorch."""
    _tensor("addcdiv", input)
    for name, t in (("tensor1", tensor1), ("tensor2", tensor2)):
        if isinstance(t, Tensor) and not t.dtype.is_floating_point:
            raise RuntimeError(
                f"addcdiv: integer division of tensors is not supported ({name} is "
                f"{t.dtype.name}); convert it with .float()"
            )
    q = tensor1 / tensor2
    return input + (q * value if value != 1 else q)


def _integers(op: str, a: Any, b: Any) -> tuple[Tensor, Tensor]:
    if not isinstance(a, Tensor) or not isinstance(b, Tensor):
        raise UnsupportedDtypeError(f"{op}: input and other must be Tensors")
    for t in (a, b):
        if t.dtype.is_floating_point or t.dtype == _dt.bool_:
            raise RuntimeError(
                f"{op}: only integer tensors are supported, got {a.dtype.name} and {b.dtype.name}"
            )
    return a, b


def gcd(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    """Greatest common divisor, elementwise, by Euclid's algorithm run on whole tensors until
    every remainder is 0 (at most ~log_phi(max) rounds); gcd(0, 0) = 0."""
    a, b = _integers("gcd", input, other)
    a, b = broadcast_tensors(_o.abs(a), _o.abs(b))
    while bool(_o.any(_o.ne(b, 0))):
        nz = _o.ne(b, 0)
        r = _o.remainder(a, _o.where(nz, b, _c.ones_like(b)))
        a, b = _o.where(nz, b, a), _o.where(nz, r, _c.zeros_like(b))
    return a


def lcm(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    """Least common multiple, elementwise: |a / gcd(a, b) * b|, and 0 when either is 0."""
    a, b = _integers("lcm", input, other)
    g = gcd(a, b)
    safe = _o.where(_o.eq(g, 0), _c.ones_like(g), g)
    return _o.abs(_o.floor_divide(a, safe) * b)


def isposinf(input: Tensor) -> Tensor:  # noqa: A002
    a = _tensor("isposinf", input)
    return _o.logical_and(_o.isinf(a), _o.gt(a, 0))


def isneginf(input: Tensor) -> Tensor:  # noqa: A002
    a = _tensor("isneginf", input)
    return _o.logical_and(_o.isinf(a), _o.lt(a, 0))


def signbit(input: Tensor) -> Tensor:  # noqa: A002
    """True where the sign bit is set: x < 0, -0.0 and a negative nan (read by copysign)."""
    a = _tensor("signbit", input)
    if not a.dtype.is_floating_point:
        return _o.lt(a, 0)
    return _o.lt(_o.copysign(_c.ones_like(a), a.detach()), 0)


def fmax(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    """maximum that ignores nan: the other operand where one is nan (nan only if both)."""
    a, b = _tensor("fmax", input), other
    if isinstance(b, Tensor):
        # Chosen by where, so the gradient is PyTorch's: a tie goes to ``input``.
        return _o.where(_o.logical_or(_o.ge(a, b), _o.isnan(b)), a, b)
    m = _o.maximum(a, b)
    return _o.where(_o.isnan(a), b, m)


def fmin(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    """minimum that ignores nan: the other operand where one is nan (nan only if both)."""
    a, b = _tensor("fmin", input), other
    if isinstance(b, Tensor):
        return _o.where(_o.logical_or(_o.le(a, b), _o.isnan(b)), a, b)
    m = _o.minimum(a, b)
    return _o.where(_o.isnan(a), b, m)


def ldexp(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    """input * 2 ** other, in floating point."""
    a = _float("ldexp", _tensor("ldexp", input))
    e = other.to(a.dtype) if isinstance(other, Tensor) else float(other)
    return a * _o.exp2(e) if isinstance(e, Tensor) else a * (2.0**e)


# ----------------------------------------------------------------------------- reductions
def nansum(input: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:  # noqa: A002
    """sum treating nan as 0."""
    a = _tensor("nansum", input)
    if a.dtype.is_floating_point:
        a = _o.where(_o.isnan(a), 0.0, a)
    return _o.sum(a, dim, keepdim, dtype=dtype)


def nanmean(input: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:  # noqa: A002
    """mean over the non-nan elements (nan where there are none)."""
    a = _tensor("nanmean", input)
    if not a.dtype.is_floating_point:
        raise RuntimeError(
            f"nanmean: expected a floating point tensor as input, got {a.dtype.name}; "
            "convert it with .float()"
        )
    if dtype is not None:
        a = a.to(dtype)
    keep = _o.logical_not(_o.isnan(a))
    total = _o.sum(_o.where(keep, a, 0.0), dim, keepdim)
    count = _o.sum(keep.to(a.dtype), dim, keepdim)
    return total / count


# ----------------------------------------------------------------------------- shapes
def _tensors(op: str, tensors: Any) -> list[Tensor]:
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tensors[0]
    out = list(tensors)
    for i, t in enumerate(out):
        if not isinstance(t, Tensor):
            raise TypeError(f"{op}: expected Tensors, got {type(t).__name__} at position {i}")
    return out


def broadcast_tensors(*tensors: Tensor) -> tuple[Tensor, ...]:
    """The tensors broadcast to their common shape."""
    ts = _tensors("broadcast_tensors", tensors)
    from nanotorch.ops._util import broadcast_shapes

    shape: tuple[int, ...] = ()
    for t in ts:
        shape = broadcast_shapes("broadcast_tensors", shape, t.shape)
    return tuple(t if t.shape == shape else _o.broadcast_to(t, shape) for t in ts)


def _atleast(op: str, n: int, tensors: Any) -> Any:
    ts = _tensors(op, tensors)
    out = []
    for t in ts:
        if t.ndim < n:
            # PyTorch's placement: 0-d -> (1,)*n; 1-d (k,) -> (1, k) / (1, k, 1); 2-d -> (r, c, 1)
            shape = {
                0: (1,) * n,
                1: (1, *t.shape) if n == 2 else (1, *t.shape, 1),
                2: (*t.shape, 1),
            }[t.ndim]
            t = _o.reshape(t, shape)
        out.append(t)
    single = len(tensors) == 1 and isinstance(tensors[0], Tensor)
    return out[0] if single else tuple(out)


def atleast_1d(*tensors: Tensor) -> Any:
    return _atleast("atleast_1d", 1, tensors)


def atleast_2d(*tensors: Tensor) -> Any:
    return _atleast("atleast_2d", 2, tensors)


def atleast_3d(*tensors: Tensor) -> Any:
    return _atleast("atleast_3d", 3, tensors)


def hstack(tensors: Sequence[Tensor]) -> Tensor:
    """cat along dim 1, or dim 0 when the tensors are 1-d (0-d ones become 1-d first)."""
    ts = list(atleast_1d(*_tensors("hstack", (tensors,))))
    return _o.cat(ts, 0 if ts[0].ndim == 1 else 1)


def vstack(tensors: Sequence[Tensor]) -> Tensor:
    """cat along dim 0 of the tensors made at least 2-d."""
    return _o.cat(list(_as_tuple(atleast_2d(*_tensors("vstack", (tensors,))))), 0)


def dstack(tensors: Sequence[Tensor]) -> Tensor:
    """cat along dim 2 of the tensors made at least 3-d."""
    return _o.cat(list(_as_tuple(atleast_3d(*_tensors("dstack", (tensors,))))), 2)


def column_stack(tensors: Sequence[Tensor]) -> Tensor:
    """0-d and 1-d tensors become columns (n, 1); then cat along dim 1."""
    ts = [
        _o.reshape(t, (t.numel(), 1)) if t.ndim <= 1 else t
        for t in _tensors("column_stack", (tensors,))
    ]
    return _o.cat(ts, 1)


def _as_tuple(x: Any) -> tuple[Tensor, ...]:
    return (x,) if isinstance(x, Tensor) else tuple(x)


def tensor_split(input: Tensor, indices_or_sections: Any, dim: int = 0) -> tuple[Tensor, ...]:  # noqa: A002
    """Split into ``n`` nearly equal parts (the first ``size % n`` one longer) or at the given
    indices along ``dim``, as NumPy's array_split; every part is a slice of ``input``."""
    a = _tensor("tensor_split", input)
    if a.ndim == 0:
        raise RuntimeError("tensor_split: expected at least a 1-dimensional tensor")
    from nanotorch.ops._util import normalize_dim

    d = normalize_dim(dim, a.ndim, "tensor_split")
    size = a.shape[d]
    if isinstance(indices_or_sections, Tensor):
        indices_or_sections = [int(v) for v in indices_or_sections.tolist()]
    if isinstance(indices_or_sections, int) and not isinstance(indices_or_sections, bool):
        n = indices_or_sections
        if n <= 0:
            raise RuntimeError(f"tensor_split: number of sections must be > 0, got {n}")
        q, r = divmod(size, n)
        bounds = [i * q + min(i, r) for i in range(n + 1)]
    else:
        idx = [int(i) for i in indices_or_sections]
        bounds = [0, *idx, size]
    parts = []
    for lo, hi in zip(bounds[:-1], bounds[1:], strict=True):
        lo_c, hi_c = min(max(lo, 0), size), min(max(hi, 0), size)
        key = (slice(None),) * d + (slice(lo_c, max(lo_c, hi_c)),)
        parts.append(a[key])
    return tuple(parts)


def _split_checked(op: str, a: Tensor, sections: Any, dim: int) -> tuple[Tensor, ...]:
    if isinstance(sections, int) and a.shape[dim] % sections != 0:
        raise RuntimeError(
            f"{op}: dimension {dim} of size {a.shape[dim]} is not divisible by the split "
            f"size {sections}; use tensor_split for unequal parts"
        )
    return tensor_split(a, sections, dim)


def hsplit(input: Tensor, indices_or_sections: Any) -> tuple[Tensor, ...]:  # noqa: A002
    a = _tensor("hsplit", input)
    if a.ndim == 0:
        raise RuntimeError("hsplit: expected at least a 1-dimensional tensor, got a 0-d one")
    return _split_checked("hsplit", a, indices_or_sections, 0 if a.ndim == 1 else 1)


def vsplit(input: Tensor, indices_or_sections: Any) -> tuple[Tensor, ...]:  # noqa: A002
    a = _tensor("vsplit", input)
    if a.ndim < 2:
        raise RuntimeError(
            f"vsplit: expected at least a 2-dimensional tensor, got {a.ndim} dimension(s)"
        )
    return _split_checked("vsplit", a, indices_or_sections, 0)


def argwhere(input: Tensor) -> Tensor:  # noqa: A002
    """The indices of the nonzero elements, one row each: ``nonzero(input)``. An empty input
    answers (0, ndim) itself (nonzero's index arithmetic divides by the zero-length dims)."""
    a = _tensor("argwhere", input)
    if a.numel() == 0:
        return _c.zeros((0, a.ndim), dtype=_dt.int64, device=a.device)
    return _o.nonzero(a)


def numel(input: Tensor) -> int:  # noqa: A002
    return _tensor("numel", input).numel()


def detach(input: Tensor) -> Tensor:  # noqa: A002
    return _tensor("detach", input).detach()
