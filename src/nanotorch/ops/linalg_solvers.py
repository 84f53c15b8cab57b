"""Triangular and factored solvers and the matrix exponential: ``triangular_solve``,
``cholesky_solve``, ``cholesky_inverse``, ``matrix_exp``, the LU family (``lu``,
``lu_unpack``, ``lu_solve``), ``qr``, ``cholesky``, ``svd`` and ``pinverse`` at top
level, and for
``nanotorch.linalg``
``solve_triangular``, ``lu_factor``, ``lu``, ``lu_solve``, ``lstsq``, ``matrix_exp`` and
``vecdot``.

Most are composites of ops with a backward (tril/triu, matmul, the general ``Solve`` of
ops/linalg_decomp.py, qr, svdvals), so their gradients come from those:

- A triangular solve is the general solve on the triangle of A (``tril``/``triu``, the unit
  diagonal put in for ``unitriangular``); the gradient with respect to A then lands on that
  triangle only, as PyTorch's does.
- ``cholesky_solve(B, L)`` is solve(L L^T, B) and ``cholesky_inverse(L)`` is inv(L L^T),
  with the whole of L in the product: PyTorch's gradients treat L that way too (they are
  dense, not masked to the triangle), so the two agree for the triangular L these take.
- Note [Matrix exponential by scaling and squaring] below.
- ``lstsq``: for a tall A, R X = Q^T B from the reduced QR; for a wide A, the minimum-norm
  X = Q R^-T B from the QR of A^T. Both are exact for A of full rank (like ``pinv``).

The LU factorization is the one op with its own Function (Note [LU with partial pivoting]).

Note [Matrix exponential by scaling and squaring]
~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
exp(A) = exp(A / 2^s)^(2^s). s is the smallest power that brings the largest 1-norm of the
batch to at most 1/2 (one read from the device), where the Taylor series to degree 18,
evaluated by Horner's rule with matmuls, has a remainder below 0.5^19 / 19! ~ 2e-23 relative;
s squarings then undo the scaling. Being matmuls and sums, the whole evaluation is
differentiable, to any order, with the derivative of the approximant, which agrees with the
exact derivative to the same accuracy.

Note [LU with partial pivoting]
~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
The standard has no LU, so the forward is Doolittle elimination written with ``xp``: for
each column j, the row with the largest |entry| at or below the diagonal is swapped up (its
1-based index is LAPACK's pivot), the multipliers below the pivot are stored in place of the
zeros they make, and the trailing block is updated. Batches are handled together (each
matrix picks its own pivot row through ``take_along_axis``). A zero pivot leaves its column
as it is (LAPACK's behaviour; ``linalg.lu_factor`` then raises, ``lu`` does not).
With A = P L U, the gradient for square A is PyTorch's:
gA = P L^-T (tril(L^T gL, -1) + triu(gU U^T)) U^-T, the two triangular solves being the
composites above (so the gradient is itself differentiable). Rectangular factorizations
have the forward only; their backward raises.

Like the rest of the engine, this module imports no array library.
"""

from __future__ import annotations

import math
from collections import namedtuple
from typing import Any

from nanotorch import dtypes as _dt
from nanotorch.autograd.function import Function
from nanotorch.autograd.grad_mode import no_grad
from nanotorch.errors import (
    InvalidArgumentError,
    LinAlgError,
    ShapeError,
    UnsupportedDtypeError,
)
from nanotorch.ops._util import broadcast_shapes, normalize_dim
from nanotorch.ops.linalg_decomp import Solve, _check_matrix, inv, pinv, svdvals
from nanotorch.ops.linalg_decomp import cholesky as _linalg_cholesky
from nanotorch.ops.linalg_decomp import qr as _linalg_qr
from nanotorch.ops.linalg_decomp import svd as _linalg_svd
from nanotorch.ops.matmul import matmul
from nanotorch.ops.shape_extra import tril, triu
from nanotorch.tensor import Tensor

# What this family exports; nanotorch.<name> and the op-spec tests derive from it
# (Note [Op registry] in ops/__init__.py).
OPS = (
    "triangular_solve",
    "cholesky_solve",
    "cholesky_inverse",
    "matrix_exp",
    "lu",
    "lu_unpack",
    "lu_solve",
    "qr",
    "cholesky",
    "svd",
    "pinverse",
)
ALIASES: dict[str, str] = {}

TriangularSolveResult = namedtuple("TriangularSolveResult", ["solution", "cloned_coefficient"])
LUFactorResult = namedtuple("LUFactorResult", ["LU", "pivots"])
LUFactorExResult = namedtuple("LUFactorExResult", ["LU", "pivots", "info"])
PLUResult = namedtuple("PLUResult", ["P", "L", "U"])
LstsqResult = namedtuple("LstsqResult", ["solution", "residuals", "rank", "singular_values"])


def _mT(a: Tensor) -> Tensor:
    return a.transpose(-2, -1)


def _eye_like(a: Tensor, n: int | None = None, m: int | None = None) -> Tensor:
    from nanotorch.creation import eye

    n = a.shape[-1] if n is None else n
    return eye(n, m, dtype=a.dtype, device=a.device)


def _check_same_dtype(op: str, a: Tensor, b: Tensor) -> None:
    if a.dtype != b.dtype:
        raise UnsupportedDtypeError(
            f"{op}: expected A and B to have the same dtype, got {a.dtype!r} and {b.dtype!r}; "
            "cast one with .to()"
        )


def _check_left_solve(op: str, a: Tensor, a_name: str, b: Tensor, b_name: str) -> None:
    """Validate a left solve a X = b: ``a`` a (batch of) square matrices, ``b`` a Tensor of at
    least 2 dims, of ``a``'s dtype, with ``a.shape[-1]`` rows. The errors call the two by the
    op's own argument names ``a_name`` and ``b_name``."""
    _check_matrix(op, a)
    if not isinstance(b, Tensor):
        raise TypeError(f"{op}: {b_name} must be a Tensor, got {type(b).__name__}")
    if b.ndim < 2:
        raise ShapeError(
            f"{op}: {b_name} must have at least 2 dimensions, got shape {tuple(b.shape)}"
        )
    _check_same_dtype(op, a, b)
    if b.shape[-2] != a.shape[-1]:
        raise ShapeError(
            f"{op}: {a_name} of shape {tuple(a.shape)} and {b_name} of shape {tuple(b.shape)} "
            f"do not fit ({b_name} needs {a.shape[-1]} rows)"
        )


def _solve_batched(a: Tensor, b: Tensor) -> Tensor:
    """A^-1 B for matrices B, the batch dims of A and B broadcast (the engine sums the
    gradients back to each input's shape)."""
    batch = broadcast_shapes("solve", tuple(a.shape[:-2]), tuple(b.shape[:-2]))
    a = a.expand(*batch, *a.shape[-2:]) if tuple(a.shape[:-2]) != batch else a
    b = b.expand(*batch, *b.shape[-2:]) if tuple(b.shape[:-2]) != batch else b
    return Solve.apply(a, b)


def _triangle(a: Tensor, upper: bool, unitriangular: bool) -> Tensor:
    if unitriangular:
        strict = triu(a, 1) if upper else tril(a, -1)
        return strict + _eye_like(a)
    return triu(a) if upper else tril(a)


# ------------------------------------------------------------------------ triangular solves
def solve_triangular(
    A: Tensor,  # noqa: N803 - PyTorch's name
    B: Tensor,  # noqa: N803
    *,
    upper: bool,
    left: bool = True,
    unitriangular: bool = False,
) -> Tensor:
    """``torch.linalg.solve_triangular``: X with A X = B (``left``) or X A = B, reading only
    the ``upper`` or lower triangle of A (and taking its diagonal as ones with
    ``unitriangular``)."""
    op = "linalg.solve_triangular"
    _check_matrix(op, A)
    if not isinstance(B, Tensor):
        raise TypeError(f"{op}: B must be a Tensor, got {type(B).__name__}")
    if B.ndim < 2:
        raise ShapeError(
            f"{op}: the input tensor B must have at least 2 dimensions, got shape "
            f"{tuple(B.shape)} (a vector b is B = b.unsqueeze(-1))"
        )
    _check_same_dtype(op, A, B)
    n = A.shape[-1]
    if (B.shape[-2] if left else B.shape[-1]) != n:
        side = "rows" if left else "columns"
        raise ShapeError(
            f"{op}: A of shape {tuple(A.shape)} and B of shape {tuple(B.shape)} do not fit (B "
            f"needs {n} {side} for left={left})"
        )
    t = _triangle(A, upper, unitriangular)
    if left:
        return _solve_batched(t, B)
    return _mT(_solve_batched(_mT(t), _mT(B)))


def triangular_solve(
    b: Tensor,
    A: Tensor,  # noqa: N803 - PyTorch's name
    upper: bool = True,
    transpose: bool = False,
    unitriangular: bool = False,
) -> TriangularSolveResult:
    """``torch.triangular_solve`` (deprecated there for ``linalg.solve_triangular``): X with
    A X = b, or A^T X = b with ``transpose``; returns ``(solution, cloned_coefficient)``.

    >>> import nanotorch
    >>> a = nanotorch.tensor([[2.0, 1.0], [0.0, 4.0]])
    >>> nanotorch.triangular_solve(nanotorch.tensor([[4.0], [8.0]]), a).solution.tolist()
    [[1.0], [2.0]]
    """
    _check_left_solve("triangular_solve", A, "A", b, "b")
    t = _triangle(A, upper, unitriangular)
    solution = _solve_batched(_mT(t) if transpose else t, b)
    return TriangularSolveResult(solution, A.clone())


def cholesky_solve(B: Tensor, L: Tensor, upper: bool = False) -> Tensor:  # noqa: N803
    """X with A X = B for A = L L^T (or U^T U with ``upper``), given the Cholesky factor.

    >>> import nanotorch
    >>> low = nanotorch.tensor([[2.0, 0.0], [1.0, 1.0]])  # A = [[4, 2], [2, 2]]
    >>> nanotorch.cholesky_solve(nanotorch.tensor([[6.0], [4.0]]), low).tolist()
    [[1.0], [1.0]]
    """
    _check_left_solve("cholesky_solve", L, "L", B, "B")
    a = matmul(_mT(L), L) if upper else matmul(L, _mT(L))
    return _solve_batched(a, B)


def cholesky_inverse(L: Tensor, upper: bool = False) -> Tensor:  # noqa: N803
    """The inverse of A = L L^T (or U^T U with ``upper``) from its Cholesky factor.

    >>> import nanotorch
    >>> nanotorch.cholesky_inverse(nanotorch.tensor([[2.0, 0.0], [0.0, 0.5]])).tolist()
    [[0.25, 0.0], [0.0, 4.0]]
    """
    _check_matrix("cholesky_inverse", L)
    return inv(matmul(_mT(L), L) if upper else matmul(L, _mT(L)))


# --------------------------------------------------------------------------- matrix exp
_TAYLOR_DEGREE = 18


def matrix_exp(A: Tensor) -> Tensor:  # noqa: N803 - PyTorch's name
    """The matrix exponential of each square matrix (Note [Matrix exponential by scaling and
    squaring]).

    >>> import nanotorch
    >>> nanotorch.matrix_exp(nanotorch.tensor([[0.0, 1.0], [0.0, 0.0]])).tolist()
    [[1.0, 1.0], [0.0, 1.0]]
    """
    _check_matrix("linalg.matrix_exp", A)
    if A.numel() == 0:
        return A.clone()
    with no_grad():
        norm = float(A.detach().abs().sum(-2).amax().item())
    if math.isfinite(norm):
        s = max(0, math.ceil(math.log2(norm / 0.5))) if norm > 0.5 else 0
    else:
        s = 0  # inf / nan entries: let them flow through to the result
    x = A / 2.0**s if s else A
    eye = _eye_like(A)
    out = eye + x / _TAYLOR_DEGREE
    for k in range(_TAYLOR_DEGREE - 1, 0, -1):
        out = eye + matmul(x, out) / k
    for _ in range(s):
        out = matmul(out, out)
    return out


def vecdot(x: Tensor, y: Tensor, *, dim: int = -1) -> Tensor:
    """``torch.linalg.vecdot``: sum(x * y) along ``dim`` (broadcasting; real tensors, so no
    conjugation)."""
    for name, t in (("x", x), ("y", y)):
        if not isinstance(t, Tensor):
            raise TypeError(f"linalg.vecdot: {name} must be a Tensor, got {type(t).__name__}")
    _check_same_dtype("linalg.vecdot", x, y)
    shape = broadcast_shapes("linalg.vecdot", tuple(x.shape), tuple(y.shape))
    d = normalize_dim(dim, len(shape), "linalg.vecdot")
    return (x * y).sum(d)


# ------------------------------------------------------------------------------------- LU
def _lu_kernel(xp: Any, a: Any) -> tuple[Any, Any]:
    """(packed LU, 0-based pivot rows (..., k)) of a (Note [LU with partial pivoting])."""
    m, n = a.shape[-2], a.shape[-1]
    k = min(m, n)
    lu = xp.asarray(a, copy=True)
    rows = xp.arange(m, dtype=xp.int64, device=a.device)
    pivots = []
    for j in range(k):
        p = xp.argmax(xp.abs(lu[..., j:, j]), axis=-1) + j
        pivots.append(p)
        p_col = p[..., None]
        order = xp.where(rows == j, p_col, xp.where(rows == p_col, xp.zeros_like(p_col) + j, rows))
        order = xp.broadcast_to(order[..., None], lu.shape)
        lu = xp.take_along_axis(lu, order, axis=-2)
        pivot = lu[..., j, j][..., None]
        zero = pivot == 0
        multipliers = lu[..., j + 1 :, j] / xp.where(zero, xp.ones_like(pivot), pivot)
        multipliers = xp.where(zero, xp.zeros_like(multipliers), multipliers)
        lu[..., j + 1 :, j] = multipliers
        lu[..., j + 1 :, j + 1 :] = (
            lu[..., j + 1 :, j + 1 :] - multipliers[..., :, None] * lu[..., j : j + 1, j + 1 :]
        )
    if pivots:
        piv = xp.stack(pivots, axis=-1)
    else:
        piv = xp.zeros((*a.shape[:-2], 0), dtype=xp.int64, device=a.device)
    return lu, piv


class _Pivots(Function):
    """LAPACK's 1-based pivots (int32) of the LU factorization; no gradient."""

    differentiable = False

    @staticmethod
    def forward(ctx, xp, a):
        return xp.astype(_lu_kernel(xp, a)[1] + 1, xp.int32)


class LUFactor(Function):
    """The packed LU factorization (L's multipliers below the diagonal, U on and above);
    gradient for square A from Note [LU with partial pivoting]. Saves the output and the
    pivots (which give P)."""

    @staticmethod
    def forward(ctx, xp, a):
        lu, piv = _lu_kernel(xp, a)
        ctx.save_for_backward(lu, xp.astype(piv + 1, xp.int32))
        return lu

    @staticmethod
    def backward(ctx, g):
        lu, pivots = ctx.saved_tensors
        m, n = lu.shape[-2], lu.shape[-1]
        if m != n:
            raise NotImplementedError(
                f"lu_factor: the gradient is implemented for square matrices only, got "
                f"shape {tuple(lu.shape)}; factor a square matrix, or use qr / pinv for a "
                "rectangular one"
            )
        perm = _Permutation.apply(pivots.detach(), m=m)
        low = tril(lu, -1) + _eye_like(lu)
        up = triu(lu)
        g_low, g_up = tril(g, -1), triu(g)
        phi = tril(matmul(_mT(low), g_low), -1) + triu(matmul(g_up, _mT(up)))
        y = solve_triangular(_mT(low), phi, upper=True, unitriangular=True)
        z = _mT(solve_triangular(up, _mT(y), upper=True))
        return matmul(perm.to(lu.dtype), z)


class _Permutation(Function):
    """P (as 0/1 of dtype int64) with A = P L U, from 1-based pivots (..., k): replays the
    row swaps on 0..m-1 and places a 1 at (perm[i], i). m is the pivots' length."""

    differentiable = False

    @staticmethod
    def forward(ctx, xp, pivots, m=None):
        k = pivots.shape[-1]
        m = k if m is None else m
        rows = xp.arange(m, dtype=xp.int64, device=pivots.device)
        perm = xp.broadcast_to(rows, (*pivots.shape[:-1], m))
        piv = xp.astype(pivots, xp.int64) - 1
        for j in range(k):
            p = piv[..., j : j + 1]
            at_j = perm[..., j : j + 1]
            at_p = xp.take_along_axis(perm, p, axis=-1)
            perm = xp.where(rows == j, at_p, xp.where(rows == p, at_j, perm))
        return xp.astype(perm[..., None, :] == rows[:, None], xp.int64)


def _check_lu_input(op: str, a: Tensor) -> None:
    if not isinstance(a, Tensor):
        raise TypeError(f"{op}: expected a Tensor, got {type(a).__name__}")
    if not a.dtype.is_floating_point:
        raise UnsupportedDtypeError(
            f"{op}: expected a floating point tensor as input, got {a.dtype!r}; call .double() "
            "or .float() first"
        )
    if a.ndim < 2:
        raise ShapeError(f"{op}: needs a matrix (at least 2 dims), got shape {tuple(a.shape)}")


def _factor(op: str, a: Tensor, pivot: bool) -> tuple[Tensor, Tensor]:
    _check_lu_input(op, a)
    if not pivot:
        raise NotImplementedError(
            f"{op}: LU without pivoting is not implemented (nor is it in PyTorch on the CPU); "
            "pass pivot=True"
        )
    return LUFactor.apply(a), _Pivots.apply(a.detach())


def lu_factor(A: Tensor, *, pivot: bool = True) -> LUFactorResult:  # noqa: N803
    """``torch.linalg.lu_factor``: ``(LU, pivots)`` with the multipliers of L below the
    diagonal of LU and U on and above it; pivots are LAPACK's (1-based, int32). Raises when
    U has a zero on its diagonal (use ``linalg.lu`` then)."""
    lu_packed, pivots = _factor("linalg.lu_factor", A, pivot)
    k = min(A.shape[-2], A.shape[-1])
    if k and A.numel():
        with no_grad():
            diag = lu_packed.detach().diagonal(0, -2, -1)
            zero = (diag == 0).any().item()
        if zero:
            raise LinAlgError(
                "linalg.lu_factor: U has a zero on its diagonal, and using it in lu_solve "
                "would divide by zero; call linalg.lu(A) to factor a singular matrix"
            )
    return LUFactorResult(lu_packed, pivots)


def lu_factor_ex(
    A: Tensor,  # noqa: N803 - PyTorch's name
    *,
    pivot: bool = True,
    check_errors: bool = False,
) -> LUFactorExResult:
    """``torch.linalg.lu_factor_ex``: ``lu_factor`` that reports a zero on U's diagonal in
    ``info`` (int32 per matrix: 0, or the 1-based index of the first zero) instead of
    raising; ``check_errors=True`` raises as ``lu_factor`` does."""
    lu_packed, pivots, info = _lu_with_info("linalg.lu_factor_ex", A, pivot)
    if check_errors and info.numel() and bool((info != 0).any().item()):
        raise LinAlgError(
            "linalg.lu_factor_ex: U has a zero on its diagonal, and using it in lu_solve "
            "would divide by zero; call linalg.lu(A) to factor a singular matrix"
        )
    return LUFactorExResult(lu_packed, pivots, info)


def _lu_with_info(op: str, A: Tensor, pivot: bool) -> tuple[Tensor, Tensor, Tensor]:  # noqa: N803
    """(LU, pivots, info): info is 0, or the 1-based index of U's first zero diagonal entry,
    per matrix (int32)."""
    from nanotorch.creation import arange
    from nanotorch.ops.elementwise import where

    lu_packed, pivots = _factor(op, A, pivot)
    with no_grad():
        k = min(A.shape[-2], A.shape[-1])
        diag = lu_packed.detach().diagonal(0, -2, -1)
        if k:
            positions = arange(1, k + 1, device=A.device)
            first = where(diag == 0, positions, k + 1).amin(-1)
            info = where(first == k + 1, 0, first).to(_dt.int32)
        else:
            info = diag.sum(-1).to(_dt.int32)
    return lu_packed, pivots, info


def lu(A: Tensor, pivot: bool = True, get_infos: bool = False) -> tuple[Tensor, ...]:  # noqa: N803
    """``torch.lu`` (deprecated there for ``linalg.lu_factor``): ``(LU, pivots)``, and with
    ``get_infos`` a third int32 tensor per matrix: 0, or the 1-based index of the first zero
    on U's diagonal (the factorization of a singular matrix still completes).

    >>> import nanotorch
    >>> LU, piv = nanotorch.lu(nanotorch.tensor([[1.0, 2.0], [3.0, 4.0]]))
    >>> piv.tolist()
    [2, 2]
    """
    lu_packed, pivots, info = _lu_with_info("lu", A, pivot)
    return (lu_packed, pivots, info) if get_infos else (lu_packed, pivots)


def lu_unpack(
    LU_data: Tensor,  # noqa: N803 - PyTorch's name
    LU_pivots: Tensor,  # noqa: N803
    unpack_data: bool = True,
    unpack_pivots: bool = True,
) -> PLUResult:
    """``(P, L, U)`` from a packed LU factorization: A = P L U with L unit lower triangular
    (m x k) and U upper triangular (k x n), k = min(m, n). L and U carry LU_data's gradient;
    with ``unpack_data=False`` they (or P with ``unpack_pivots=False``) come back empty.

    >>> import nanotorch
    >>> a = nanotorch.tensor([[1.0, 2.0], [3.0, 4.0]])
    >>> P, L, U = nanotorch.lu_unpack(*nanotorch.linalg.lu_factor(a))
    >>> (P @ L @ U).tolist()
    [[1.0, 2.0], [3.0, 4.0]]
    """
    op = "lu_unpack"
    _check_lu_input(op, LU_data)
    if not isinstance(LU_pivots, Tensor) or LU_pivots.dtype != _dt.int32:
        got = LU_pivots.dtype if isinstance(LU_pivots, Tensor) else type(LU_pivots).__name__
        raise UnsupportedDtypeError(
            f"{op}: LU_pivots must be an int32 tensor (as linalg.lu_factor returns), got {got}"
        )
    m, n = LU_data.shape[-2], LU_data.shape[-1]
    k = min(m, n)
    if tuple(LU_pivots.shape) != (*LU_data.shape[:-2], k):
        raise ShapeError(
            f"{op}: LU_pivots of shape {tuple(LU_pivots.shape)} does not fit LU_data of shape "
            f"{tuple(LU_data.shape)} (expected {(*LU_data.shape[:-2], k)})"
        )
    empty = LU_data.detach()[..., :0, :0].reshape(0)
    if unpack_data:
        low = tril(LU_data[..., :, :k], -1) + _eye_like(LU_data, m, k)
        up = triu(LU_data[..., :k, :])
    else:
        low = up = empty
    if unpack_pivots:
        perm = _Permutation.apply(LU_pivots, m=m).to(LU_data.dtype)
    else:
        perm = empty
    return PLUResult(perm, low, up)


def linalg_lu(A: Tensor, *, pivot: bool = True) -> PLUResult:  # noqa: N803
    """``torch.linalg.lu``: ``(P, L, U)`` with A = P L U (a singular A is factored too)."""
    lu_packed, pivots = _factor("linalg.lu", A, pivot)
    return lu_unpack(lu_packed, pivots)


def linalg_lu_solve(
    LU: Tensor,  # noqa: N803 - PyTorch's name
    pivots: Tensor,
    B: Tensor,  # noqa: N803
    *,
    left: bool = True,
    adjoint: bool = False,
) -> Tensor:
    """``torch.linalg.lu_solve``: X with A X = B (A^T X = B with ``adjoint``; X A = B with
    ``left=False``), A given as ``linalg.lu_factor``'s ``(LU, pivots)``. Composite of two
    triangular solves and the permutation, so it is differentiable in LU and B."""
    op = "linalg.lu_solve"
    _check_matrix(op, LU)
    if not isinstance(B, Tensor) or B.ndim < 2:
        raise ShapeError(
            f"{op}: B must be a tensor of at least 2 dims, got "
            f"{tuple(B.shape) if isinstance(B, Tensor) else type(B).__name__}"
        )
    _check_same_dtype(op, LU, B)
    n = LU.shape[-1]
    if (B.shape[-2] if left else B.shape[-1]) != n:
        raise ShapeError(
            f"{op}: LU of shape {tuple(LU.shape)} and B of shape {tuple(B.shape)} do not fit"
        )
    perm, low, up = lu_unpack(LU, pivots)
    rhs = B if left else _mT(B)
    # A = P L U; A^T = U^T L^T P^T. A right solve X A = B is A^T X^T = B^T.
    transposed = adjoint if left else not adjoint
    if not transposed:
        y = solve_triangular(low, matmul(_mT(perm), rhs), upper=False, unitriangular=True)
        x = solve_triangular(up, y, upper=True)
    else:
        y = solve_triangular(_mT(up), rhs, upper=False)
        x = matmul(perm, solve_triangular(_mT(low), y, upper=True, unitriangular=True))
    return x if left else _mT(x)


def lu_solve(b: Tensor, LU_data: Tensor, LU_pivots: Tensor) -> Tensor:  # noqa: N803
    """``torch.lu_solve`` (deprecated there for ``linalg.lu_solve``): X with A X = b.

    >>> import nanotorch
    >>> a = nanotorch.tensor([[2.0, 1.0], [1.0, 3.0]])
    >>> LU, piv = nanotorch.linalg.lu_factor(a)
    >>> [round(v, 6) for v in nanotorch.lu_solve(nanotorch.tensor([[3.0], [4.0]]), LU, piv)
    ...  .reshape(-1).tolist()]
    [1.0, 1.0]
    """
    return linalg_lu_solve(LU_data, LU_pivots, b)


def qr(input: Tensor, some: bool = True) -> tuple[Tensor, Tensor]:  # noqa: A002
    """``torch.qr`` (deprecated there for ``linalg.qr``): ``(Q, R)``, reduced when ``some``
    (the default) and complete otherwise.

    >>> import nanotorch
    >>> q, r = nanotorch.qr(nanotorch.tensor([[3.0, 1.0], [4.0, 2.0]]))
    >>> [round(v, 6) for v in (q @ r).reshape(-1).tolist()]
    [3.0, 1.0, 4.0, 2.0]
    """
    if not isinstance(some, bool):
        raise TypeError(f"qr: some must be a bool, got {type(some).__name__}")
    return _linalg_qr(input, "reduced" if some else "complete")


def cholesky(input: Tensor, upper: bool = False) -> Tensor:  # noqa: A002
    """``torch.cholesky`` (deprecated there for ``linalg.cholesky``): the lower (or, with
    ``upper``, upper) Cholesky factor of each symmetric positive-definite matrix.

    >>> import nanotorch
    >>> nanotorch.cholesky(nanotorch.tensor([[4.0, 2.0], [2.0, 2.0]])).tolist()
    [[2.0, 0.0], [1.0, 1.0]]
    """
    return _linalg_cholesky(input, upper=upper)


SVDLegacyResult = namedtuple("SVDLegacyResult", ["U", "S", "V"])


def svd(input: Tensor, some: bool = True, compute_uv: bool = True) -> SVDLegacyResult:  # noqa: A002
    """``torch.svd`` (deprecated there for ``linalg.svd``): ``(U, S, V)`` with
    A = U diag(S) V^T, so V, not ``linalg.svd``'s Vh; reduced when ``some`` (the default),
    complete otherwise. With ``compute_uv=False`` U and V are zeros of the complete shapes,
    as in PyTorch. S carries a gradient, U and V do not (as for ``linalg.svd``).

    >>> import nanotorch
    >>> nanotorch.svd(nanotorch.tensor([[3.0, 0.0], [0.0, -2.0]])).S.tolist()
    [3.0, 2.0]
    """
    if not compute_uv:
        _check_matrix("svd", input, square=False)
        m, n = input.shape[-2], input.shape[-1]
        batch = tuple(input.shape[:-2])
        zeros_u = input.detach().new_zeros(batch + (m, m))
        return SVDLegacyResult(zeros_u, svdvals(input), input.detach().new_zeros(batch + (n, n)))
    u, s, vh = _linalg_svd(input, full_matrices=not some)
    return SVDLegacyResult(u, s, vh.transpose(-2, -1))


def pinverse(input: Tensor, rcond: float = 1e-15) -> Tensor:  # noqa: A002
    """``torch.pinverse``: the pseudo-inverse, ``linalg.pinv``'s (exact for matrices of full
    rank, where ``rcond`` drops no singular value; it is accepted for PyTorch's signature)."""
    if isinstance(rcond, bool) or not isinstance(rcond, (int, float)):
        raise TypeError(f"pinverse: rcond must be a number, got {type(rcond).__name__}")
    return pinv(input)


# ---------------------------------------------------------------------------------- lstsq
_DRIVERS = ("gels", "gelsy", "gelsd", "gelss")


def lstsq(
    A: Tensor,  # noqa: N803 - PyTorch's name
    B: Tensor,  # noqa: N803
    rcond: float | None = None,
    *,
    driver: str | None = None,
) -> LstsqResult:
    """``torch.linalg.lstsq``: the X minimising ||A X - B|| (the minimum-norm one for a wide
    A), by QR (module docstring; exact for A of full rank). The other fields follow
    PyTorch's drivers: ``residuals`` (the squared residual norms of each column) for tall A
    with 'gels', 'gelsd' and 'gelss'; ``rank`` for all but 'gels'; ``singular_values`` for
    'gelsd' and 'gelss' (without a gradient, as in PyTorch); empty otherwise. ``rcond``
    sets the rank's cut-off (singular values below rcond * the largest; the dtype's
    eps * max(m, n) by default)."""
    op = "linalg.lstsq"
    _check_matrix(op, A, square=False)
    if not isinstance(B, Tensor):
        raise TypeError(f"{op}: B must be a Tensor, got {type(B).__name__}")
    _check_same_dtype(op, A, B)
    driver = "gelsy" if driver is None else driver
    if driver not in _DRIVERS:
        raise InvalidArgumentError(
            f"{op}: parameter `driver` should be one of {_DRIVERS}, got {driver!r}"
        )
    vector = B.ndim == A.ndim - 1
    rhs = B.unsqueeze(-1) if vector else B
    m, n = A.shape[-2], A.shape[-1]
    if rhs.shape[-2] != m:
        raise ShapeError(
            f"{op}: A of shape {tuple(A.shape)} and B of shape {tuple(B.shape)} do not fit (B "
            f"needs {m} rows)"
        )
    if m >= n:
        q, r = _linalg_qr(A)
        x = solve_triangular(r, matmul(_mT(q), rhs), upper=True)
    else:
        q, r = _linalg_qr(_mT(A))
        x = matmul(q, solve_triangular(_mT(r), rhs, upper=False))
    empty = A.detach().reshape(-1)[:0]
    with no_grad():
        s = svdvals(A.detach())
        cut = (rcond if rcond is not None else _dt_eps(A) * max(m, n)) * s[..., :1]
        numerical_rank = (s > cut).sum(-1).to(_dt.int64)
    rank = empty.to(_dt.int64) if driver == "gels" else numerical_rank
    # As in PyTorch, the singular values carry no gradient, and the residuals are part of
    # the graph even when empty.
    sing = s if driver in ("gelsd", "gelss") else empty
    residuals = A.reshape(-1)[:0]
    if m > n and driver != "gelsy" and bool((numerical_rank == n).all().item()):
        residuals = ((matmul(A, x) - rhs) ** 2).sum(-2)
    return LstsqResult(x.squeeze(-1) if vector else x, residuals, rank, sing)


def _dt_eps(a: Tensor) -> float:
    return 2.220446049250313e-16 if a.dtype == _dt.float64 else 1.1920928955078125e-07


# ------------------------------------------------------- condition numbers, tensor inverses
def cond(A: Tensor, p: Any = None) -> Tensor:  # noqa: N803 - PyTorch's name
    """``torch.linalg.cond``: the condition number of each matrix in the ``p`` norm. For p
    None, 2 or -2 it is the ratio of the largest to the smallest singular value (inverted
    for -2) and takes any shape; for 'fro', 'nuc', inf, -inf, 1 and -1 it is
    ``matrix_norm(A, p) * matrix_norm(inv(A), p)`` on square, invertible A."""
    from nanotorch.ops.scan import matrix_norm

    op = "linalg.cond"
    _check_matrix(op, A, square=p not in (None, 2, -2))
    if p in (None, 2, -2):
        s = svdvals(A)
        big, small = s[..., 0], s[..., -1]
        return big / small if p != -2 else small / big
    if p not in ("fro", "nuc", math.inf, -math.inf, 1, -1):
        raise InvalidArgumentError(
            f"{op}: p must be one of None, 2, -2, 'fro', 'nuc', inf, -inf, 1, -1, got {p!r}"
        )
    return matrix_norm(A, p) * matrix_norm(inv(A), p)


def tensorinv(A: Tensor, ind: int = 2) -> Tensor:  # noqa: N803 - PyTorch's name
    """``torch.linalg.tensorinv``: the X with ``tensordot(X, A, ind)`` the identity, for A
    whose first ``ind`` dims hold as many elements as the rest (the inverse of A seen as a
    square matrix, reshaped to A.shape[ind:] + A.shape[:ind])."""
    op = "linalg.tensorinv"
    if not isinstance(A, Tensor):
        raise TypeError(f"{op}: A must be a Tensor, got {type(A).__name__}")
    if isinstance(ind, bool) or not isinstance(ind, int) or ind <= 0:
        raise InvalidArgumentError(
            f"{op}: expected a strictly positive integer for 'ind', got {ind!r}"
        )
    rows = math.prod(A.shape[:ind])
    cols = math.prod(A.shape[ind:])
    if rows != cols:
        raise ShapeError(
            f"{op}: A of shape {tuple(A.shape)} does not make a square matrix with ind={ind} "
            f"({rows} x {cols}); the first ind dims must hold as many elements as the rest"
        )
    return inv(A.reshape(rows, cols)).reshape(*A.shape[ind:], *A.shape[:ind])


def tensorsolve(A: Tensor, B: Tensor, dims: tuple[int, ...] | None = None) -> Tensor:  # noqa: N803
    """``torch.linalg.tensorsolve``: the X with ``tensordot(A, X, X.ndim) == B``, X of shape
    A.shape[B.ndim:]; ``dims`` first moves those dims of A to the end."""
    op = "linalg.tensorsolve"
    for name, t in (("A", A), ("B", B)):
        if not isinstance(t, Tensor):
            raise TypeError(f"{op}: {name} must be a Tensor, got {type(t).__name__}")
    if dims is not None:
        from nanotorch.ops.shape_extra import movedim

        moved = [normalize_dim(d, A.ndim, op) for d in dims]
        A = movedim(A, moved, list(range(A.ndim - len(moved), A.ndim)))
    if tuple(A.shape[: B.ndim]) != tuple(B.shape):
        raise ShapeError(
            f"{op}: A of shape {tuple(A.shape)} must start with B's shape {tuple(B.shape)}"
        )
    x_shape = tuple(A.shape[B.ndim :])
    rows, cols = B.numel(), math.prod(x_shape)
    if rows != cols:
        raise ShapeError(
            f"{op}: A of shape {tuple(A.shape)} is not square once reshaped ({rows} x {cols}); "
            "prod(A.shape[B.ndim:]) must equal B.numel()"
        )
    _check_same_dtype(op, A, B)
    x = _solve_batched(A.reshape(rows, cols), B.reshape(rows, 1))
    return x.reshape(x_shape)
