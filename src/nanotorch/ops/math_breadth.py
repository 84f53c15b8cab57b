"""Math PyTorch has at top level that the other families lack: quantiles (``quantile``,
``nanquantile``), base-2 log-sum-exp (``logaddexp2``), distances and dots (``dist``, ``vdot``,
``inner``, ``tensordot``), fused products (``addmv``, ``addr``) and matrix products and powers
(``chain_matmul``, ``matrix_power``), and the small elementwise ``rsub`` and ``angle``.

All but two are composites of ops that already have a backward (sort, gather, lerp, matmul,
permute, reshape, the norms, inv), so their gradients come from those and are checked by the
specs in tests/specs/math_breadth_ops.py. ``logaddexp2`` is a Function (its derivative has a
closed form that cannot overflow); ``_Identity`` gives ``matrix_power(A, 0)`` a result that
is linked to A with a zero gradient, as PyTorch's is.

Note [Quantile as sort, gather and lerp]
~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
PyTorch defines ``quantile`` by a recipe, and nanotorch follows it step by step so the numbers
and the gradients agree: sort along the reduced dim; the quantile q sits at the fractional
rank r = q (n - 1) (for ``nanquantile``, n counts the non-NaN values and an all-NaN row takes
rank 0, hence NaN; for ``quantile``, a row holding a NaN takes rank n - 1, the NaN that sorting
put last). ``lower``/``higher``/``nearest`` round r down, up or to the nearest even; ``linear``
and ``midpoint`` interpolate between the values at floor(r) and ceil(r) with weight r -
floor(r) or 1/2. The gradient reaches the input through ``gather`` (to the one or two sorted
elements used) and reaches a tensor q through the weight (``linear`` only: the rounded ranks
are piecewise constant), exactly PyTorch's.

Like the rest of the engine, this module imports no array library.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from nanotorch._dim_args import dim_aliases
from nanotorch.autograd.function import Function
from nanotorch.errors import (
    InvalidArgumentError,
    ShapeError,
    UnsupportedDtypeError,
)
from nanotorch.ops._util import normalize_dim
from nanotorch.ops.elementwise import isnan, sigmoid, where
from nanotorch.ops.indexing import gather
from nanotorch.ops.linalg_decomp import inv
from nanotorch.ops.linalg_extra import _scaled_sum
from nanotorch.ops.math import ceil, floor, lerp
from nanotorch.ops.math import round as _round
from nanotorch.ops.matmul import matmul
from nanotorch.ops.scan import any as _any
from nanotorch.ops.scan import vector_norm
from nanotorch.ops.shape import permute, reshape
from nanotorch.ops.shape_extra import movedim
from nanotorch.tensor import Tensor

# What this family exports; nanotorch.<name> and the op-spec tests derive from it
# (Note [Op registry] in ops/__init__.py).
OPS = (
    "quantile",
    "nanquantile",
    "logaddexp2",
    "dist",
    "vdot",
    "inner",
    "tensordot",
    "addmv",
    "addr",
    "chain_matmul",
    "matrix_power",
    "rsub",
    "angle",
)
ALIASES: dict[str, str] = {}

_LN2 = math.log(2.0)


def _need_tensor(op: str, name: str, t: Any) -> None:
    if not isinstance(t, Tensor):
        raise TypeError(f"{op}: {name} must be a Tensor, got {type(t).__name__}")


# ----------------------------------------------------------------------------- quantiles
_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


def _quantile_q(op: str, input: Tensor, q: Any) -> tuple[Tensor, bool]:  # noqa: A002
    """q as a 1-D tensor of input's dtype and device, and whether q was a scalar."""
    from nanotorch.creation import tensor

    if isinstance(q, Tensor):
        if q.ndim > 1:
            raise ShapeError(f"{op}: q must be a scalar or a 1-D tensor, got shape {q.shape}")
        if q.dtype != input.dtype:
            raise UnsupportedDtypeError(
                f"{op}: q tensor must have the input's dtype {input.dtype!r}, got {q.dtype!r}; "
                f"pass q.to({input.dtype!r})"
            )
        if q.numel() and bool(((q < 0) | (q > 1)).any().item()):
            raise InvalidArgumentError(f"{op}: q values must be in the range [0, 1]")
        return (q.reshape(1), True) if q.ndim == 0 else (q, False)
    if isinstance(q, bool) or not isinstance(q, (int, float)):
        raise TypeError(f"{op}: q must be a float or a Tensor, got {type(q).__name__}")
    if not 0 <= q <= 1:
        raise InvalidArgumentError(f"{op}: q must be in the range [0, 1] but got {q}")
    return tensor([float(q)], dtype=input.dtype, device=input.device), True


def _quantile(
    op: str,
    input: Tensor,  # noqa: A002
    q: Any,
    dim: int | None,
    keepdim: bool,
    interpolation: str,
    ignore_nan: bool,
) -> Tensor:
    """Note [Quantile as sort, gather and lerp]."""
    _need_tensor(op, "input", input)
    if input.dtype.name not in ("float32", "float64"):
        raise UnsupportedDtypeError(
            f"{op}: input must be float32 or float64, got {input.dtype!r}; call .float() first"
        )
    if interpolation not in _INTERPOLATIONS:
        raise InvalidArgumentError(
            f"{op}: interpolation must be one of {', '.join(_INTERPOLATIONS)}, "
            f"but got {interpolation!r}"
        )
    if input.numel() == 0:
        raise InvalidArgumentError(f"{op}: input tensor must be non-empty, got shape {input.shape}")
    qs, scalar_q = _quantile_q(op, input, q)
    if dim is None:
        rows = reshape(input, -1)
    else:
        d = normalize_dim(dim, input.ndim, op)
        rows = movedim(input, d, -1) if input.ndim else reshape(input, 1)
    ordered = rows.sort(-1).values  # NaNs last
    n = ordered.shape[-1]
    if ignore_nan:
        count = (~isnan(ordered)).sum(-1, keepdim=True)
        ranks = qs * (count - 1)
        ranks = where(ranks < 0, 0.0, ranks)
    else:
        ranks = where(_any(isnan(ordered), -1, keepdim=True), float(n - 1), qs * (n - 1))
    if interpolation == "lower":
        ranks = floor(ranks)
    elif interpolation == "higher":
        ranks = ceil(ranks)
    elif interpolation == "nearest":
        ranks = _round(ranks)
    below = floor(ranks.detach())
    out = gather(ordered, -1, below.long())
    if interpolation in ("linear", "midpoint"):
        above = gather(ordered, -1, ceil(ranks.detach()).long())
        weight = ranks - below if interpolation == "linear" else 0.5
        out = lerp(out, above, weight)
    # out is (..., len(q)): put the quantiles first, as PyTorch does.
    out = out.squeeze(-1) if scalar_q else movedim(out, -1, 0)
    if keepdim:
        lead = () if scalar_q else (qs.shape[0],)
        if dim is None:
            out = reshape(out, lead + (1,) * input.ndim)
        elif input.ndim:
            out = out.unsqueeze(normalize_dim(dim, input.ndim, op) + len(lead))
    return out


@dim_aliases
def quantile(
    input: Tensor,  # noqa: A002
    q: float | Tensor,
    dim: int | None = None,
    keepdim: bool = False,
    *,
    interpolation: str = "linear",
) -> Tensor:
    """The q-th quantiles of ``input`` along ``dim`` (of all values for ``dim=None``); a 1-D
    q puts its quantiles in a new first dim. A row holding a NaN gives NaN. See
    Note [Quantile as sort, gather and lerp].

    >>> import nanotorch
    >>> nanotorch.quantile(nanotorch.tensor([1.0, 2.0, 3.0, 4.0]), 0.5).item()
    2.5
    """
    return _quantile("quantile", input, q, dim, keepdim, interpolation, ignore_nan=False)


@dim_aliases
def nanquantile(
    input: Tensor,  # noqa: A002
    q: float | Tensor,
    dim: int | None = None,
    keepdim: bool = False,
    *,
    interpolation: str = "linear",
) -> Tensor:
    """``quantile`` ignoring NaNs (a row of NaNs only gives NaN).

    >>> import nanotorch
    >>> nanotorch.nanquantile(nanotorch.tensor([1.0, float("nan"), 3.0]), 0.5).item()
    2.0
    """
    return _quantile("nanquantile", input, q, dim, keepdim, interpolation, ignore_nan=True)


# ------------------------------------------------------------------------------ logaddexp2
class Logaddexp2(Function):
    """out = log2(2^a + 2^b) = logaddexp(a ln2, b ln2) / ln2 (no overflow, infinities as
    logaddexp has them);  da = g sigmoid((a - b) ln2) = g / (1 + 2^(b - a)),  db likewise.
    Saves a and b."""

    @staticmethod
    def forward(ctx, xp, a, b):
        ctx.save_for_backward(a, b)
        return xp.logaddexp(a * _LN2, b * _LN2) / _LN2

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        ga = g * sigmoid((a - b) * _LN2) if ctx.needs_input_grad[0] else None
        gb = g * sigmoid((b - a) * _LN2) if ctx.needs_input_grad[1] else None
        return ga, gb


def logaddexp2(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    """log2(2^input + 2^other), elementwise with broadcasting, for floating tensors.

    >>> import nanotorch
    >>> nanotorch.logaddexp2(nanotorch.tensor(3.0), nanotorch.tensor(3.0)).item()
    4.0
    """
    from nanotorch.ops.elementwise import _binary

    for name, t in (("input", input), ("other", other)):
        if isinstance(t, Tensor) and not t.dtype.is_floating_point:
            raise UnsupportedDtypeError(
                f"logaddexp2: not implemented for {t.dtype!r} ({name}); call .float() first"
            )
    return _binary(Logaddexp2, input, other)


# ------------------------------------------------------------------- distances and dots
def dist(input: Tensor, other: Tensor, p: float = 2) -> Tensor:  # noqa: A002
    """The p-norm of ``input - other`` (broadcast), over all elements: p = 0 counts the
    differing elements, inf / -inf take the largest / smallest absolute difference.

    >>> import nanotorch
    >>> nanotorch.dist(nanotorch.tensor([0.0, 0.0]), nanotorch.tensor([3.0, 4.0])).item()
    5.0
    """
    _need_tensor("dist", "input", input)
    _need_tensor("dist", "other", other)
    if isinstance(p, bool) or not isinstance(p, (int, float)):
        raise TypeError(f"dist: p must be a number, got {type(p).__name__}")
    for name, t in (("input", input), ("other", other)):
        if not t.dtype.is_floating_point:
            raise UnsupportedDtypeError(
                f"dist: {name} must be floating point, got {t.dtype!r}; call .float() first"
            )
    return vector_norm(input - other, float(p))


def vdot(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    """The dot product of two 1-D tensors of one size and dtype (real tensors: no
    conjugation to do).

    >>> import nanotorch
    >>> nanotorch.vdot(nanotorch.tensor([1.0, 2.0]), nanotorch.tensor([3.0, 4.0])).item()
    11.0
    """
    _need_tensor("vdot", "input", input)
    _need_tensor("vdot", "other", other)
    if input.ndim != 1 or other.ndim != 1:
        raise ShapeError(
            f"vdot: expects 1-D tensors, got shapes {tuple(input.shape)} and {tuple(other.shape)}"
        )
    if input.shape[0] != other.shape[0]:
        raise ShapeError(
            f"vdot: inconsistent tensor size: {input.shape[0]} and {other.shape[0]} elements "
            "(both vectors need the same length)"
        )
    if input.dtype != other.dtype:
        raise UnsupportedDtypeError(
            f"vdot: expected both vectors to have the same dtype, got {input.dtype!r} and "
            f"{other.dtype!r}; cast one with .to()"
        )
    return matmul(input, other)


def _dims_list(op: str, dims: Any, ndim: int, which: str) -> list[int]:
    if not isinstance(dims, (list, tuple)):
        raise TypeError(
            f"{op}: dims for {which} must be a list of ints, got {dims!r} (write dims=([1], [0]), "
            "not dims=(1, 0))"
        )
    items = list(dims)
    out = []
    for d in items:
        if isinstance(d, bool) or not isinstance(d, int):
            raise TypeError(f"{op}: dims must be ints, got {d!r}")
        out.append(normalize_dim(d, ndim, f"{op} ({which})"))
    return out


def tensordot(a: Tensor, b: Tensor, dims: int | Sequence[Any] = 2) -> Tensor:
    """Sum the products of ``a`` and ``b`` over the dims ``dims`` names: an int n contracts
    a's last n dims with b's first n; a pair of lists names them (``([1, 0], [0, 2])``).
    The result has a's free dims, then b's. Built as permute, reshape and one matmul.

    >>> import nanotorch
    >>> nanotorch.tensordot(nanotorch.ones(2, 3), nanotorch.ones(3, 4), dims=1).shape
    (2, 4)
    """
    _need_tensor("tensordot", "a", a)
    _need_tensor("tensordot", "b", b)
    if isinstance(dims, int) and not isinstance(dims, bool):
        if dims < 0:
            raise InvalidArgumentError(f"tensordot: expects dims >= 0, but got dims={dims}")
        if dims > min(a.ndim, b.ndim):
            raise ShapeError(
                f"tensordot: dims={dims} is more than the rank of a {tuple(a.shape)} or of b "
                f"{tuple(b.shape)}"
            )
        dims_a = list(range(a.ndim - dims, a.ndim))
        dims_b = list(range(dims))
    elif isinstance(dims, (list, tuple)) and len(dims) == 2:
        dims_a = _dims_list("tensordot", dims[0], a.ndim, "a")
        dims_b = _dims_list("tensordot", dims[1], b.ndim, "b")
    else:
        raise TypeError(f"tensordot: dims must be an int or a pair of lists of dims, got {dims!r}")
    if len(dims_a) != len(dims_b):
        raise InvalidArgumentError(
            f"tensordot: both dims lists need the same length, got {dims_a} and {dims_b}"
        )
    for da, db in zip(dims_a, dims_b, strict=True):
        if a.shape[da] != b.shape[db]:
            raise ShapeError(
                f"tensordot: contracted dimensions need to match, but a has size "
                f"{a.shape[da]} in dim {da} and b has size {b.shape[db]} in dim {db}"
            )
    free_a = [d for d in range(a.ndim) if d not in dims_a]
    free_b = [d for d in range(b.ndim) if d not in dims_b]
    k = math.prod(a.shape[d] for d in dims_a)
    lhs = reshape(permute(a, free_a + dims_a), math.prod(a.shape[d] for d in free_a), k)
    rhs = reshape(permute(b, dims_b + free_b), k, math.prod(b.shape[d] for d in free_b))
    out_shape = tuple(a.shape[d] for d in free_a) + tuple(b.shape[d] for d in free_b)
    return reshape(matmul(lhs, rhs), out_shape)


def inner(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    """The dot product over the last dim of each (a 0-d operand multiplies instead); the
    result has input's leading dims, then other's.

    >>> import nanotorch
    >>> nanotorch.inner(nanotorch.ones(2, 3), nanotorch.ones(4, 3)).shape
    (2, 4)
    """
    _need_tensor("inner", "input", input)
    _need_tensor("inner", "other", other)
    if input.ndim == 0 or other.ndim == 0:
        return input * other
    if input.shape[-1] != other.shape[-1]:
        raise ShapeError(
            f"inner: the last dimension must match on both input tensors but got shapes "
            f"{tuple(input.shape)} and {tuple(other.shape)}"
        )
    return tensordot(input, other, ([-1], [-1]))


# -------------------------------------------------------------------------- fused products
def addmv(
    input: Tensor,  # noqa: A002
    mat: Tensor,
    vec: Tensor,
    *,
    beta: Any = 1,
    alpha: Any = 1,
) -> Tensor:
    """``beta * input + alpha * (mat @ vec)`` for a 2-D ``mat`` and 1-D ``vec``; with
    ``beta == 0`` input is ignored (NaNs in it too).

    >>> import nanotorch
    >>> nanotorch.addmv(nanotorch.ones(2), nanotorch.ones(2, 3), nanotorch.ones(3)).tolist()
    [4.0, 4.0]
    """
    for name, t, nd in (("mat", mat, 2), ("vec", vec, 1)):
        _need_tensor("addmv", name, t)
        if t.ndim != nd:
            raise ShapeError(f"addmv: {name} must be {nd}-D, got shape {tuple(t.shape)}")
    _need_tensor("addmv", "input", input)
    if mat.shape[1] != vec.shape[0]:
        raise ShapeError(
            f"addmv: size mismatch, mat of shape {tuple(mat.shape)} and vec of shape "
            f"{tuple(vec.shape)} (mat.shape[1] must equal vec.shape[0])"
        )
    return _scaled_sum("addmv", input, matmul(mat, vec), beta, alpha)


def addr(
    input: Tensor,  # noqa: A002
    vec1: Tensor,
    vec2: Tensor,
    *,
    beta: Any = 1,
    alpha: Any = 1,
) -> Tensor:
    """``beta * input + alpha * outer(vec1, vec2)`` for 1-D ``vec1``/``vec2``; with
    ``beta == 0`` input is ignored.

    >>> import nanotorch
    >>> nanotorch.addr(nanotorch.zeros(2, 2), nanotorch.ones(2), nanotorch.ones(2)).tolist()
    [[1.0, 1.0], [1.0, 1.0]]
    """
    _need_tensor("addr", "input", input)
    for name, t in (("vec1", vec1), ("vec2", vec2)):
        _need_tensor("addr", name, t)
        if t.ndim != 1:
            raise ShapeError(f"addr: {name} must be 1-D, got shape {tuple(t.shape)}")
    prod = vec1.reshape(-1, 1) * vec2.reshape(1, -1)
    return _scaled_sum("addr", input, prod, beta, alpha)


# ------------------------------------------------------------ matrix products and powers
def chain_matmul(*matrices: Tensor) -> Tensor:
    """The product of 2-D matrices, left to right (``torch.chain_matmul``, which PyTorch
    deprecates for ``linalg.multi_dot``); one matrix comes back as a copy.

    >>> import nanotorch
    >>> nanotorch.chain_matmul(nanotorch.ones(2, 3), nanotorch.ones(3, 1)).tolist()
    [[3.0], [3.0]]
    """
    if not matrices:
        raise InvalidArgumentError("chain_matmul: expected one or more matrices, got none")
    for i, m in enumerate(matrices):
        _need_tensor("chain_matmul", f"matrix {i}", m)
        if m.ndim != 2:
            raise ShapeError(
                f"chain_matmul: matrix {i} has {m.ndim} dims (shape {tuple(m.shape)}); every "
                "argument must be 2-D"
            )
    out = matrices[0]
    if len(matrices) == 1:
        return out.clone()
    for i, m in enumerate(matrices[1:], start=1):
        if out.shape[1] != m.shape[0]:
            raise ShapeError(
                f"chain_matmul: matrix {i - 1} and matrix {i} cannot be multiplied (a product "
                f"of shape {tuple(out.shape)} and {tuple(m.shape)})"
            )
        out = matmul(out, m)
    return out


def multi_dot(tensors: Sequence[Tensor]) -> Tensor:
    """``torch.linalg.multi_dot``: the product of two or more matrices, left to right; the
    first may be 1-D (a row vector) and the last 1-D (a column vector), and those dims are
    dropped from the result. Exported as ``nanotorch.linalg.multi_dot``."""
    ms = list(tensors)
    if len(ms) < 2:
        raise InvalidArgumentError(
            f"multi_dot: expected at least 2 tensors but got {len(ms)}; for one matrix use it "
            "as it is"
        )
    for i, m in enumerate(ms):
        _need_tensor("multi_dot", f"tensor {i}", m)
        ends = i in (0, len(ms) - 1)
        if m.ndim != 2 and not (ends and m.ndim == 1):
            where = "first" if i == 0 else "last" if i == len(ms) - 1 else f"{i}th"
            allowed = "1D or 2D" if ends else "2D"
            raise ShapeError(
                f"multi_dot: the {where} tensor must be {allowed} but got {m.ndim}D "
                f"(shape {tuple(m.shape)})"
            )
    row, col = ms[0].ndim == 1, ms[-1].ndim == 1
    if row:
        ms[0] = ms[0].reshape(1, -1)
    if col:
        ms[-1] = ms[-1].reshape(-1, 1)
    out = ms[0]
    for i, m in enumerate(ms[1:], start=1):
        if out.shape[1] != m.shape[0]:
            raise ShapeError(
                f"multi_dot: tensors {i - 1} and {i} with shapes {tuple(ms[i - 1].shape)} and "
                f"{tuple(m.shape)} cannot be multiplied"
            )
        out = matmul(out, m)
    if row:
        out = out.squeeze(0)
    if col:
        out = out.squeeze(-1)
    return out


class _Identity(Function):
    """out = I (batched like A);  gA = 0: A^0 does not depend on A, but PyTorch's result is
    still part of the graph, so nanotorch's is too."""

    @staticmethod
    def forward(ctx, xp, a):
        n = a.shape[-1]
        eye = xp.eye(n, dtype=a.dtype, device=a.device)
        return xp.broadcast_to(eye, a.shape) * 1  # a fresh array, not a read-only view

    @staticmethod
    def backward(ctx, g):
        return g * 0


def matrix_power(input: Tensor, n: int) -> Tensor:  # noqa: A002
    """A^n for each square matrix in the last two dims, by repeated squaring; n = 0 gives the
    identity and a negative n the power of the inverse (floating A only).

    >>> import nanotorch
    >>> nanotorch.matrix_power(nanotorch.tensor([[1.0, 1.0], [0.0, 1.0]]), 3).tolist()
    [[1.0, 3.0], [0.0, 1.0]]
    """
    _need_tensor("matrix_power", "input", input)
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"matrix_power: n must be an int, got {type(n).__name__} {n!r}")
    if input.ndim < 2 or input.shape[-1] != input.shape[-2]:
        raise ShapeError(
            f"matrix_power: A must be batches of square matrices, got shape {tuple(input.shape)}"
        )
    if n == 0:
        return _Identity.apply(input)
    base = input
    if n < 0:
        if not input.dtype.is_floating_point:
            raise UnsupportedDtypeError(
                f"matrix_power: a negative power inverts A, which needs a floating tensor, "
                f"got {input.dtype!r}; call .double() or .float() first"
            )
        base, n = inv(input), -n
    out: Tensor | None = None
    while True:
        if n & 1:
            out = base if out is None else matmul(out, base)
        n >>= 1
        if not n:
            break
        base = matmul(base, base)
    assert out is not None
    return out


# ----------------------------------------------------------------------- small elementwise
def rsub(input: Tensor, other: Any, *, alpha: Any = 1) -> Tensor:  # noqa: A002
    """other - alpha * input: ``sub`` with its operands swapped (PyTorch's ``torch.rsub``).

    >>> import nanotorch
    >>> nanotorch.rsub(nanotorch.tensor([1.0, 2.0]), 5, alpha=2).tolist()
    [3.0, 1.0]
    """
    _need_tensor("rsub", "input", input)
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float)):
        raise TypeError(f"rsub: alpha must be a number, got {type(alpha).__name__}")
    return other - (input if alpha == 1 else input * alpha)


def angle(input: Tensor) -> Tensor:  # noqa: A002
    """The argument of each element as a complex number: pi for negative values, 0 for the
    others (NaN stays NaN); integers give the default float dtype. Piecewise constant, so
    its gradient is zero, as in PyTorch.

    >>> import nanotorch
    >>> [round(v, 4) for v in nanotorch.angle(nanotorch.tensor([-2.0, 0.0, 3.0])).tolist()]
    [3.1416, 0.0, 0.0]
    """
    from nanotorch.dtypes import get_default_dtype

    _need_tensor("angle", "input", input)
    x = input if input.dtype.is_floating_point else input.to(get_default_dtype())
    # x * 0 keeps NaN, computes pi in x's own dtype, and links the result to x with a zero
    # gradient.
    zero = x * 0
    return where(x < 0, zero + math.pi, zero)
