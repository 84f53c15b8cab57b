"""Small linear-algebra and numeric helpers PyTorch has at top level: fused multiply-adds
(``addmm``/``baddbmm``/``addbmm``), ``mv``, ``cross``, ``cdist``, ``trace``, ``kron``, flips
and quarter turns, ``diff``, ``block_diag``/``diagflat``, trapezoid rules, ``renorm``,
``aminmax``, and the counting ops ``bincount``/``histc``.

All are composites of ops that already have a backward (matmul, getitem, cat, pad, flip,
reductions, elementwise arithmetic), so none needs a Function or a gradient formula of its
own; the spec's gradcheck checks every gradient. ``bincount`` and ``histc`` count, carry no
gradient, and accumulate with ``index_add`` (its backend hook adds repeated indices).

Like the rest of the engine, this module imports no array library.
"""

from __future__ import annotations

import math
from collections import namedtuple
from collections.abc import Sequence
from typing import Any

from nanotorch import dtypes as _dt
from nanotorch._dim_args import dim_aliases
from nanotorch.autograd.grad_mode import no_grad
from nanotorch.errors import ShapeError
from nanotorch.ops._util import normalize_dim
from nanotorch.ops.elementwise import where
from nanotorch.ops.matmul import matmul
from nanotorch.ops.padding import pad
from nanotorch.ops.reduction import amax, amin
from nanotorch.ops.scan import cumsum
from nanotorch.ops.shape import cat, flip, reshape, stack, transpose
from nanotorch.ops.shape_extra import diag, diagonal
from nanotorch.tensor import Tensor

# What this family exports; nanotorch.<name> and the op-spec tests derive from it
# (Note [Op registry] in ops/__init__.py).
OPS = (
    "addmm",
    "baddbmm",
    "addbmm",
    "mv",
    "cross",
    "cdist",
    "trace",
    "kron",
    "fliplr",
    "flipud",
    "rot90",
    "diff",
    "block_diag",
    "diagflat",
    "trapezoid",
    "cumulative_trapezoid",
    "renorm",
    "aminmax",
    "bincount",
    "histc",
)
ALIASES: dict[str, str] = {"trapz": "trapezoid"}  # PyTorch's older name

MinMax = namedtuple("MinMax", ["min", "max"])


def _need_ndim(op: str, name: str, t: Tensor, ndim: int) -> None:
    if t.ndim != ndim:
        raise ShapeError(f"{op}: {name} must be {ndim}-D, got shape {tuple(t.shape)}")


def _scaled_sum(op: str, input: Tensor, prod: Tensor, beta: Any, alpha: Any) -> Tensor:  # noqa: A002
    """``beta * input + alpha * prod``; ``beta == 0`` ignores ``input`` (NaNs in it too)."""
    try:
        out_shape = _broadcast_shape(tuple(input.shape), tuple(prod.shape))
    except ValueError:
        out_shape = None
    if out_shape != tuple(prod.shape):
        raise ShapeError(
            f"{op}: input of shape {tuple(input.shape)} does not broadcast to the product's "
            f"shape {tuple(prod.shape)}"
        )
    scaled = prod if alpha == 1 else prod * alpha
    if beta == 0:
        return scaled
    return scaled + (input if beta == 1 else input * beta)


def _broadcast_shape(a: tuple[int, ...], b: tuple[int, ...]) -> tuple[int, ...]:
    n = max(len(a), len(b))
    a, b = (1,) * (n - len(a)) + a, (1,) * (n - len(b)) + b
    out = []
    for x, y in zip(a, b, strict=True):
        if x != y and 1 not in (x, y):
            raise ValueError
        out.append(y if x == 1 else x)
    return tuple(out)


# ------------------------------------------------------------------ fused products


def addmm(input: Tensor, mat1: Tensor, mat2: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:  # noqa: A002
    """``beta * input + alpha * (mat1 @ mat2)`` for 2-D ``mat1``/``mat2``."""
    _need_ndim("addmm", "mat1", mat1, 2)
    _need_ndim("addmm", "mat2", mat2, 2)
    if mat1.shape[1] != mat2.shape[0]:
        raise ShapeError(
            f"addmm: mat1 and mat2 shapes cannot be multiplied "
            f"({tuple(mat1.shape)} and {tuple(mat2.shape)})"
        )
    return _scaled_sum("addmm", input, matmul(mat1, mat2), beta, alpha)


def _check_batches(op: str, b1: Tensor, b2: Tensor) -> None:
    _need_ndim(op, "batch1", b1, 3)
    _need_ndim(op, "batch2", b2, 3)
    if b1.shape[0] != b2.shape[0] or b1.shape[2] != b2.shape[1]:
        raise ShapeError(
            f"{op}: batch1 of shape {tuple(b1.shape)} and batch2 of shape {tuple(b2.shape)} "
            "need the same batch size and batch1.shape[2] == batch2.shape[1]"
        )


def baddbmm(
    input: Tensor,  # noqa: A002
    batch1: Tensor,
    batch2: Tensor,
    *,
    beta: Any = 1,
    alpha: Any = 1,
) -> Tensor:
    """``beta * input + alpha * bmm(batch1, batch2)``."""
    _check_batches("baddbmm", batch1, batch2)
    return _scaled_sum("baddbmm", input, matmul(batch1, batch2), beta, alpha)


def addbmm(
    input: Tensor,  # noqa: A002
    batch1: Tensor,
    batch2: Tensor,
    *,
    beta: Any = 1,
    alpha: Any = 1,
) -> Tensor:
    """``beta * input + alpha * sum_b batch1[b] @ batch2[b]``."""
    _check_batches("addbmm", batch1, batch2)
    return _scaled_sum("addbmm", input, matmul(batch1, batch2).sum(0), beta, alpha)


def mv(input: Tensor, vec: Tensor) -> Tensor:  # noqa: A002
    """Matrix (n, m) times vector (m,)."""
    _need_ndim("mv", "input", input, 2)
    _need_ndim("mv", "vec", vec, 1)
    if input.shape[1] != vec.shape[0]:
        raise ShapeError(f"mv: size mismatch, input {tuple(input.shape)}, vec {tuple(vec.shape)}")
    return matmul(input, vec)


# ------------------------------------------------------------------ cross, cdist, trace, kron


def cross(input: Tensor, other: Tensor, dim: int | None = None) -> Tensor:  # noqa: A002
    """3-vector cross product along ``dim``, broadcasting the other dims. Without ``dim`` it
    is the first dim of size 3 of the broadcast shape (PyTorch's ``torch.cross`` default;
    ``torch.linalg.cross`` uses -1)."""
    if input.ndim != other.ndim:
        raise ShapeError(
            f"cross: input {tuple(input.shape)} and other {tuple(other.shape)} must have the "
            "same number of dims"
        )
    try:
        shape = _broadcast_shape(tuple(input.shape), tuple(other.shape))
    except ValueError:
        raise ShapeError(
            f"cross: shapes {tuple(input.shape)} and {tuple(other.shape)} do not broadcast"
        ) from None
    if dim is None:
        sizes3 = [d for d, s in enumerate(shape) if s == 3]
        if not sizes3:
            raise ShapeError(f"cross: no dimension of size 3 in shape {shape}")
        d = sizes3[0]
    else:
        d = normalize_dim(dim, len(shape), "cross")
    if input.shape[d] != 3 or other.shape[d] != 3:
        raise ShapeError(
            f"cross: dim {d} must have size 3 in both inputs, got {tuple(input.shape)} and "
            f"{tuple(other.shape)}"
        )

    def comp(t: Tensor, i: int) -> Tensor:
        return t[(slice(None),) * d + (i,)]

    a = [comp(input, i) for i in range(3)]
    b = [comp(other, i) for i in range(3)]
    parts = [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
    return stack(parts, d)


def _root(s: Tensor, p: float) -> Tensor:
    """``s ** (1/p)`` for sums of powers ``s >= 0``, with gradient 0 where ``s == 0``
    (PyTorch's subgradient for a zero norm) rather than the root's infinite slope, which
    would turn into NaN (``cdist(x, x)`` has a zero diagonal)."""
    nonzero = s > 0
    safe = where(nonzero, s, 1.0)
    return where(nonzero, safe.sqrt() if p == 2 else safe ** (1.0 / p), 0.0)


def cdist(x1: Tensor, x2: Tensor, p: float = 2.0) -> Tensor:
    """p-norm distances between the rows of ``x1`` (..., P, M) and ``x2`` (..., R, M):
    (..., P, R). ``p`` is >= 0 or ``inf``; p = 0 counts differing coordinates."""
    if x1.ndim < 2 or x2.ndim < 2:
        raise ShapeError(
            f"cdist: x1 and x2 must be at least 2-D, got {tuple(x1.shape)} and {tuple(x2.shape)}"
        )
    if x1.shape[-1] != x2.shape[-1]:
        raise ShapeError(
            f"cdist: x1 {tuple(x1.shape)} and x2 {tuple(x2.shape)} must have the same last dim"
        )
    if not isinstance(p, (int, float)) or isinstance(p, bool) or p < 0:
        raise RuntimeError(f"cdist: p must be a non-negative number, got {p!r}")
    diff = x1.unsqueeze(-2) - x2.unsqueeze(-3)  # (..., P, R, M)
    if p == 0:
        return (diff != 0).to(x1.dtype).sum(-1)
    if math.isinf(p):
        if diff.shape[-1] == 0:
            return diff.sum(-1)
        return amax(diff.abs(), -1)
    if p == 1:
        return diff.abs().sum(-1)
    if p == 2:
        return _root((diff * diff).sum(-1), 2)
    return _root((diff.abs() ** p).sum(-1), p)


def trace(input: Tensor) -> Tensor:  # noqa: A002
    """Sum of the main diagonal of a 2-D tensor."""
    _need_ndim("trace", "input", input, 2)
    return diagonal(input).sum()


def kron(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    """Kronecker product: block ``(i, j, ...)`` of the result is ``input[i, j, ...] * other``.
    The shorter shape is padded with leading 1s."""
    n = max(input.ndim, other.ndim)
    sa = (1,) * (n - input.ndim) + tuple(input.shape)
    sb = (1,) * (n - other.ndim) + tuple(other.shape)
    a = reshape(input, tuple(x for s in sa for x in (s, 1)))
    b = reshape(other, tuple(x for s in sb for x in (1, s)))
    return reshape(a * b, tuple(x * y for x, y in zip(sa, sb, strict=True)))


# ------------------------------------------------------------------ flips and turns


def fliplr(input: Tensor) -> Tensor:  # noqa: A002
    """Reverse dim 1 (left/right); needs at least 2 dims."""
    if input.ndim < 2:
        raise ShapeError(f"fliplr: input must be >= 2-D, got shape {tuple(input.shape)}")
    return flip(input, (1,))


def flipud(input: Tensor) -> Tensor:  # noqa: A002
    """Reverse dim 0 (up/down); needs at least 1 dim."""
    if input.ndim < 1:
        raise ShapeError(f"flipud: input must be >= 1-D, got shape {tuple(input.shape)}")
    return flip(input, (0,))


def rot90(input: Tensor, k: int = 1, dims: Sequence[int] = (0, 1)) -> Tensor:  # noqa: A002
    """Rotate by ``k`` quarter turns in the plane ``dims``, from the first dim towards the
    second (NumPy's ``rot90``)."""
    if len(dims) != 2:
        raise RuntimeError(f"rot90: dims must have 2 entries, got {tuple(dims)!r}")
    if input.ndim < 2:
        raise ShapeError(f"rot90: input must be >= 2-D, got shape {tuple(input.shape)}")
    d0 = normalize_dim(dims[0], input.ndim, "rot90")
    d1 = normalize_dim(dims[1], input.ndim, "rot90")
    if d0 == d1:
        raise RuntimeError(f"rot90: dims must differ, got {tuple(dims)!r}")
    k %= 4
    if k == 0:
        return input.clone()
    if k == 2:
        return flip(input, (d0, d1))
    if k == 1:
        return transpose(flip(input, (d1,)), d0, d1)
    return flip(transpose(input, d0, d1), (d1,))


# ------------------------------------------------------------------ differences, blocks


@dim_aliases
def diff(
    input: Tensor,  # noqa: A002
    n: int = 1,
    dim: int = -1,
    prepend: Tensor | None = None,
    append: Tensor | None = None,
) -> Tensor:
    """``n``-th forward difference along ``dim``, after concatenating ``prepend``/``append``
    along it."""
    if input.ndim == 0:
        raise ShapeError("diff: input must be at least 1-D, got a 0-d tensor")
    if not isinstance(n, int) or isinstance(n, bool) or n < 0:
        raise RuntimeError(f"diff: order n must be a non-negative int, got {n!r}")
    d = normalize_dim(dim, input.ndim, "diff")
    parts = [t for t in (prepend, input, append) if t is not None]
    x = cat(parts, d) if len(parts) > 1 else input
    for _ in range(n):
        if x.shape[d] == 0:
            break
        lo = (slice(None),) * d + (slice(1, None),)
        hi = (slice(None),) * d + (slice(None, -1),)
        x = (x[lo] != x[hi]) if x.dtype == _dt.bool_ else x[lo] - x[hi]
    return x


def block_diag(*tensors: Tensor) -> Tensor:
    """The tensors (0-, 1- or 2-D; a 1-D tensor is one row) along the diagonal of a 2-D
    zero matrix."""
    mats = []
    for i, t in enumerate(tensors):
        if t.ndim > 2:
            raise ShapeError(
                f"block_diag: input {i} must have 2 or fewer dims, got shape {tuple(t.shape)}"
            )
        mats.append(
            reshape(t, (1, 1)) if t.ndim == 0 else reshape(t, (1, -1)) if t.ndim == 1 else t
        )
    if not mats:
        from nanotorch.creation import zeros

        return zeros(1, 0)
    width = sum(m.shape[1] for m in mats)
    rows, left = [], 0
    for m in mats:
        rows.append(pad(m, (left, width - left - m.shape[1])))
        left += m.shape[1]
    return cat(rows, 0)


def diagflat(input: Tensor, offset: int = 0) -> Tensor:  # noqa: A002
    """The flattened ``input`` on diagonal ``offset`` of a square 2-D tensor."""
    return diag(reshape(input, (-1,)), offset)


# ------------------------------------------------------------------ trapezoid rules


def _trapezoid_terms(op: str, y: Tensor, x: Tensor | None, dx: Any, dim: int) -> tuple:
    """The per-interval areas ``(y[i] + y[i+1]) / 2 * (x[i+1] - x[i])`` along ``dim``."""
    if y.ndim == 0:
        raise ShapeError(f"{op}: y must be at least 1-D, got a 0-d tensor")
    if x is not None and dx is not None:
        raise TypeError(f"{op}: pass x or dx, not both")
    d = normalize_dim(dim, y.ndim, op)
    lo = (slice(None),) * d + (slice(1, None),)
    hi = (slice(None),) * d + (slice(None, -1),)
    avg = (y[lo] + y[hi]) * 0.5
    if x is None:
        return avg * (1.0 if dx is None else dx), d
    if x.ndim == 1:
        if x.shape[0] != y.shape[d]:
            raise ShapeError(
                f"{op}: 1-D x of length {x.shape[0]} must match y.shape[{d}] = {y.shape[d]} "
                f"(y has shape {tuple(y.shape)})"
            )
        x = reshape(x, (-1,) + (1,) * (y.ndim - d - 1))
        spacing = x[1:] - x[:-1]
    else:
        xd = d - (y.ndim - x.ndim)
        if xd < 0 or x.shape[xd] != y.shape[d]:
            raise ShapeError(
                f"{op}: x of shape {tuple(x.shape)} does not match y of shape "
                f"{tuple(y.shape)} along dim {d}"
            )
        spacing = (
            x[(slice(None),) * xd + (slice(1, None),)] - x[(slice(None),) * xd + (slice(None, -1),)]
        )
    return avg * spacing, d


@dim_aliases
def trapezoid(y: Tensor, x: Tensor | None = None, *, dx: Any = None, dim: int = -1) -> Tensor:
    """Trapezoid-rule integral of ``y`` along ``dim``, at points ``x`` or spacing ``dx``
    (1 by default)."""
    terms, d = _trapezoid_terms("trapezoid", y, x, dx, dim)
    return terms.sum(d)


@dim_aliases
def cumulative_trapezoid(
    y: Tensor, x: Tensor | None = None, *, dx: Any = None, dim: int = -1
) -> Tensor:
    """Running trapezoid-rule integrals along ``dim`` (one fewer than ``y.shape[dim]``)."""
    terms, d = _trapezoid_terms("cumulative_trapezoid", y, x, dx, dim)
    return cumsum(terms, d)


# ------------------------------------------------------------------ renorm, aminmax


def renorm(input: Tensor, p: float, dim: int, maxnorm: float) -> Tensor:  # noqa: A002
    """Each slice ``input.select(dim, i)`` whose ``p``-norm exceeds ``maxnorm`` is scaled
    to norm ``maxnorm`` (divided by ``norm + 1e-7``, as PyTorch does); the others are
    kept."""
    if input.ndim < 1:
        raise ShapeError(f"renorm: input must be at least 1-D, got shape {tuple(input.shape)}")
    if not isinstance(p, (int, float)) or isinstance(p, bool) or p <= 0:
        raise RuntimeError(f"renorm: p must be a positive number, got {p!r}")
    if maxnorm < 0:
        raise RuntimeError(f"renorm: maxnorm must be non-negative, got {maxnorm!r}")
    d = normalize_dim(dim, input.ndim, "renorm")
    others = tuple(i for i in range(input.ndim) if i != d)
    a = input.abs()
    if math.isinf(p):
        norm = amax(a, others, keepdim=True) if others else a
    elif p == 2:
        norm = _root((input * input).sum(others, keepdim=True), 2)
    else:
        norm = _root((a**p).sum(others, keepdim=True), p)
    factor = where(norm > maxnorm, maxnorm / (norm + 1e-7), 1.0)
    return input * factor


@dim_aliases
def aminmax(input: Tensor, *, dim: int | None = None, keepdim: bool = False) -> MinMax:  # noqa: A002
    """``(min, max)`` over ``dim`` (all elements by default), as a named tuple."""
    if dim is None or input.ndim == 0:
        reduced = input.numel()
    else:
        reduced = input.shape[normalize_dim(dim, input.ndim, "aminmax")]
    if reduced == 0:
        raise RuntimeError(
            f"aminmax: cannot reduce over an empty dim {dim} of shape {tuple(input.shape)}; "
            "pass a dim of nonzero size"
        )
    return MinMax(amin(input, dim, keepdim), amax(input, dim, keepdim))


# ------------------------------------------------------------------ counting


def bincount(input: Tensor, weights: Tensor | None = None, minlength: int = 0) -> Tensor:  # noqa: A002
    """Counts of each value of the non-negative 1-D integer ``input`` (or sums of
    ``weights`` at them); length ``max(input.max() + 1, minlength)``. Carries no gradient."""
    from nanotorch.creation import zeros

    if input.ndim != 1 or input.dtype.is_floating_point or input.dtype == _dt.bool_:
        raise RuntimeError(
            f"bincount: input must be a 1-D integer tensor, got shape {tuple(input.shape)} "
            f"and dtype {input.dtype}"
        )
    if minlength < 0:
        raise RuntimeError(f"bincount: minlength must be non-negative, got {minlength}")
    if weights is not None and tuple(weights.shape) != tuple(input.shape):
        raise RuntimeError(
            f"bincount: weights of shape {tuple(weights.shape)} must match input of shape "
            f"{tuple(input.shape)}"
        )
    with no_grad():
        if input.shape[0] and int(amin(input).item()) < 0:
            raise RuntimeError("bincount: input must hold non-negative values only")
        n = max(int(amax(input).item()) + 1 if input.shape[0] else 0, minlength)
        if weights is None:
            src = (input * 0 + 1).to(_dt.int64)
            dtype = _dt.int64
        else:
            # PyTorch keeps float32/float64 weights' dtype and sums any other weights in
            # float64.
            src = weights.detach()
            dtype = weights.dtype if weights.dtype in (_dt.float32, _dt.float64) else _dt.float64
        out = zeros(n, dtype=dtype, device=input.device)
        return out.index_add(0, input.to(_dt.int64), src.to(dtype))


def histc(input: Tensor, bins: int = 100, min: float = 0, max: float = 0) -> Tensor:  # noqa: A001, A002
    """Histogram of ``input`` with ``bins`` equal bins over ``[min, max]`` (the data's range
    when both are 0); values outside are ignored, ``max`` falls in the last bin. Returns the
    input's floating dtype; carries no gradient."""
    from nanotorch.creation import zeros

    if not input.dtype.is_floating_point:
        raise RuntimeError(f"histc: input must be floating point, got dtype {input.dtype}")
    if not isinstance(bins, int) or isinstance(bins, bool) or bins <= 0:
        raise RuntimeError(f"histc: bins must be a positive int, got {bins!r}")
    if min > max:
        raise RuntimeError(f"histc: max must be >= min, got min={min}, max={max}")
    with no_grad():
        flat = reshape(input.detach(), (-1,))
        lo, hi = float(min), float(max)
        if lo == hi and flat.shape[0]:
            lo, hi = float(amin(flat).item()), float(amax(flat).item())
        if lo == hi:
            lo, hi = lo - 1, hi + 1
        inside = (flat >= lo) & (flat <= hi)
        pos = ((flat - lo) * (bins / (hi - lo))).floor()
        idx = where(inside, pos.clamp(0, bins - 1), 0.0).to(_dt.int64)
        ones = inside.to(input.dtype)
        out = zeros(bins, dtype=input.dtype, device=input.device)
        return out.index_add(0, idx, ones)
