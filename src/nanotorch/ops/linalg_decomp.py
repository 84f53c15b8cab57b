"""Matrix functions and decompositions under PyTorch's names: ``det``, ``slogdet``, ``inv``,
``solve``, ``cholesky``, ``qr``, ``svd`` / ``svdvals``, ``eigh`` / ``eigvalsh``, ``pinv`` and
``matrix_rank``, on the last two dims (leading dims are a batch).

The forwards are the standard's ``linalg`` extension, so every backend computes them with its
own LAPACK (or cuSOLVER). The derivatives are written on Tensors, so they are themselves
differentiable where the formula is:

- det: d det = det tr(A^-1 dA), so gA = g det A^-T.  slogdet's log|det| likewise gives
  g A^-T; the sign carries no gradient.
- inv: d A^-1 = -A^-1 dA A^-1, so gA = -A^-T g A^-T.
- solve: X = A^-1 B, so gB = A^-T g and gA = -gB X^T.
- cholesky (A = L L^T): gA = sym(L^-T Phi(L^T gL) L^-1), Phi taking the lower triangle with
  its diagonal halved, sym(M) = (M + M^T) / 2.
- qr (reduced, rows >= cols): with M = R gR^T - gQ^T Q and copyltu(M) = tril(M) +
  tril(M, -1)^T, gA = (gQ + Q copyltu(M)) R^-T. For rows < cols, A = [X Y] with X square
  and R = [R1 R2]: gY = Q gR2, and X takes the square formula with gQ + Y gR2^T and gR1.
- singular values: gA = U diag(g) V^T; eigenvalues of a symmetric A: gA = V diag(g) V^T.
  The singular vectors and eigenvectors are returned without a gradient: their derivatives
  depend on a choice of sign (and fail for repeated values), which nanotorch does not take.
- pinv: A^T (A A^T)^-1 or (A^T A)^-1 A^T, whichever inverts the smaller Gram matrix, so its
  gradient comes from inv's; exact for matrices of full rank.

Like the rest of the engine, this module imports no array library.
"""

from __future__ import annotations

from collections import namedtuple
from typing import Any

from nanotorch.autograd.function import Function
from nanotorch.autograd.grad_mode import no_grad
from nanotorch.errors import (
    InvalidArgumentError,
    LinAlgError,
    ShapeError,
    UnsupportedDtypeError,
)
from nanotorch.ops.matmul import matmul
from nanotorch.ops.shape import unsqueeze
from nanotorch.tensor import Tensor

OPS = ("det", "inverse", "slogdet", "logdet")

SlogdetResult = namedtuple("SlogdetResult", ["sign", "logabsdet"])
QRResult = namedtuple("QRResult", ["Q", "R"])
SVDResult = namedtuple("SVDResult", ["U", "S", "Vh"])
EighResult = namedtuple("EighResult", ["eigenvalues", "eigenvectors"])


def _lapack(op: str, fn: Any, *arrays: Any) -> Any:
    """``fn(*arrays)``, with the array library's own LinAlgError (NumPy's is a ValueError
    naming no op) turned into nanotorch's, which is also a RuntimeError as in PyTorch."""
    try:
        return fn(*arrays)
    except Exception as exc:
        if type(exc).__name__ != "LinAlgError":
            raise
        raise LinAlgError(
            f"{op}: {exc} (a singular matrix has no inverse or solution; Cholesky needs a "
            "positive-definite matrix)"
        ) from None


def _check_matrix(op: str, a: Tensor, square: bool = True) -> None:
    if not isinstance(a, Tensor):
        raise TypeError(f"{op}: expected a Tensor, got {type(a).__name__}")
    if not a.dtype.is_floating_point:
        raise UnsupportedDtypeError(
            f"{op}: needs a floating tensor, got {a.dtype!r}; call .double() or .float() first"
        )
    if a.ndim < 2:
        raise ShapeError(f"{op}: needs a matrix (at least 2 dims), got shape {tuple(a.shape)}")
    if square and a.shape[-1] != a.shape[-2]:
        raise ShapeError(
            f"{op}: needs square matrices, got shape {tuple(a.shape)} (the last two dims "
            "must be equal)"
        )


def _mT(a: Tensor) -> Tensor:
    return a.transpose(-2, -1)


class _Raw(Function):
    """A result with no gradient, computed by ``fn(xp, a)`` (signs, vectors, ranks)."""

    differentiable = False

    @staticmethod
    def forward(ctx, xp, a, fn):
        return fn(xp, a)


def _raw(a: Tensor, fn: Any) -> Tensor:
    return _Raw.apply(a.detach(), fn=fn)


class Det(Function):
    """out = det A;  gA = g det(A) A^-T. Saves A and det A."""

    @staticmethod
    def forward(ctx, xp, a):
        out = _lapack("det", xp.linalg.det, a)
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, g):
        a, out = ctx.saved_tensors
        scale = unsqueeze(unsqueeze(g * out, -1), -1)
        return scale * _mT(inv(a))


def det(input: Tensor) -> Tensor:  # noqa: A002
    """The determinant of each matrix in the last two dims.

    >>> import nanotorch
    >>> nanotorch.det(nanotorch.tensor([[2.0, 1.0], [1.0, 3.0]])).item()
    5.0
    """
    _check_matrix("det", input)
    return Det.apply(input)


class LogAbsDet(Function):
    """out = log |det A|;  gA = g A^-T. Saves A."""

    @staticmethod
    def forward(ctx, xp, a):
        ctx.save_for_backward(a)
        return xp.linalg.slogdet(a)[1]

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return unsqueeze(unsqueeze(g, -1), -1) * _mT(inv(a))


def slogdet(input: Tensor) -> SlogdetResult:  # noqa: A002
    """``(sign, logabsdet)`` of det A, as ``torch.linalg.slogdet``."""
    _check_matrix("slogdet", input)
    return SlogdetResult(_DetSign.apply(input), LogAbsDet.apply(input))


class _DetSign(Function):
    """The sign of det A: piecewise constant, so gA = 0 (PyTorch's sign output also takes
    part in the graph, with a zero gradient)."""

    @staticmethod
    def forward(ctx, xp, a):
        ctx.save_for_backward(a)
        return xp.linalg.slogdet(a)[0]

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return a.detach() * 0


def logdet(input: Tensor) -> Tensor:  # noqa: A002
    """log det A: nan where det A < 0 and -inf where it is 0, as ``torch.logdet``."""
    sign, logabs = slogdet(input)
    from nanotorch.ops.elementwise import where

    nan = logabs.detach() * float("nan")  # detached: 0 * nan would poison the gradient
    return where(sign < 0, nan, logabs)


class Inv(Function):
    """out = A^-1;  gA = -out^T g out^T. Saves the output."""

    @staticmethod
    def forward(ctx, xp, a):
        out = _lapack("linalg.inv", xp.linalg.inv, a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        t = _mT(out)
        return -matmul(matmul(t, g), t)


def inv(a: Tensor) -> Tensor:
    """The inverse of each square matrix (``torch.linalg.inv``; ``nanotorch.inverse``)."""
    _check_matrix("linalg.inv", a)
    return Inv.apply(a)


def inverse(input: Tensor) -> Tensor:  # noqa: A002
    """``torch.inverse``: the same as ``nanotorch.linalg.inv``."""
    return inv(input)


class Solve(Function):
    """X = A^-1 B (B a batch of matrices);  gB = A^-T g,  gA = -gB X^T. Saves A and X."""

    @staticmethod
    def forward(ctx, xp, a, b):
        out = _lapack("linalg.solve", xp.linalg.solve, a, b)
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, g):
        a, x = ctx.saved_tensors
        gb = Solve.apply(_mT(a), g)
        ga = -matmul(gb, _mT(x)) if ctx.needs_input_grad[0] else None
        return ga, gb


def solve(a: Tensor, b: Tensor) -> Tensor:
    """X with A X = B. A 1-D B (or one with a dim fewer than A) is a vector, as in PyTorch."""
    _check_matrix("linalg.solve", a)
    if not isinstance(b, Tensor):
        raise TypeError(f"linalg.solve: B must be a Tensor, got {type(b).__name__}")
    vector = b.ndim == 1 or b.ndim == a.ndim - 1
    rhs = unsqueeze(b, -1) if vector else b
    if rhs.shape[-2] != a.shape[-1]:
        raise ShapeError(
            f"linalg.solve: A of shape {tuple(a.shape)} and B of shape {tuple(b.shape)} do "
            "not fit (B needs as many rows as A has columns)"
        )
    out = Solve.apply(a, rhs)
    return out.squeeze(-1) if vector else out


class Cholesky(Function):
    """L with A = L L^T (lower);  gA = sym(L^-T Phi(L^T gL) L^-1) (module docstring)."""

    @staticmethod
    def forward(ctx, xp, a):
        out = _lapack("linalg.cholesky", xp.linalg.cholesky, a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (low,) = ctx.saved_tensors
        from nanotorch.ops.shape_extra import diag_embed, diagonal, tril

        phi = tril(matmul(_mT(low), g))
        phi = phi - diag_embed(diagonal(phi, 0, -2, -1)) * 0.5
        li = inv(low)
        ga = matmul(matmul(_mT(li), phi), li)
        return (ga + _mT(ga)) * 0.5


def cholesky(a: Tensor, upper: bool = False) -> Tensor:
    """The Cholesky factor of each symmetric positive-definite matrix (lower by default)."""
    _check_matrix("linalg.cholesky", a)
    out = Cholesky.apply(a)
    return _mT(out) if upper else out


class _QRPart(Function):
    """Both factors of the QR of A, stacked as [Q; R^T] so that one node computes them; the
    backward takes both factors' upstream gradients (module docstring), and refuses the
    modes PyTorch cannot differentiate either."""

    @staticmethod
    def forward(ctx, xp, a, mode):
        q, r = xp.linalg.qr(a, mode="complete" if mode == "complete" else "reduced")
        ctx.save_for_backward(a)
        ctx.mode = mode
        return xp.concat([q, xp.matrix_transpose(r)], axis=-2)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        m, n = a.shape[-2], a.shape[-1]
        if ctx.mode == "r":
            raise InvalidArgumentError(
                "linalg.qr: the derivative depends on Q, which is not computed when mode='r'; "
                "use mode='reduced' to differentiate through qr"
            )
        if ctx.mode == "complete" and m > n:
            raise InvalidArgumentError(
                f"linalg.qr: mode='complete' is not differentiable when rows > cols (A of "
                f"shape {tuple(a.shape)}: the extra columns of Q are not unique); use "
                "mode='reduced'"
            )
        with no_grad():
            both = _QRPart.apply(a, mode="reduced")
        q, r = both[..., :m, :], _mT(both[..., m:, :])
        gq, gr = g[..., :m, :], _mT(g[..., m:, :])
        if m >= n:
            return _qr_grad_tall(q, r, gq, gr)
        # Wide A = [X Y] with X square: X = Q R1 and Y = Q R2, so Y's gradient is Q gR2,
        # and X sees Q's gradient plus the part that reaches Q through Y = Q R2.
        from nanotorch.ops.shape import cat

        y = a[..., :, m:]
        gr1, gr2 = gr[..., :, :m], gr[..., :, m:]
        gx = _qr_grad_tall(q, r[..., :, :m], gq + matmul(y, _mT(gr2)), gr1)
        return cat([gx, matmul(q, gr2)], -1)


def _qr_grad_tall(q: Tensor, r: Tensor, gq: Tensor, gr: Tensor) -> Tensor:
    """gA for the reduced QR of A with rows >= cols (module docstring)."""
    from nanotorch.ops.shape_extra import tril

    mm = matmul(r, _mT(gr)) - matmul(_mT(gq), q)
    copyltu = tril(mm) + _mT(tril(mm, -1))
    return _mT(solve(r, _mT(gq + matmul(q, copyltu))))


_QR_MODES = ("reduced", "complete", "r")


def qr(a: Tensor, mode: str = "reduced") -> QRResult:
    """The QR decomposition A = Q R (Q with orthonormal columns, R upper triangular):
    ``reduced`` (Q is m x k, R is k x n, k = min(m, n)), ``complete`` (Q is m x m) or ``r``
    (R only; Q comes back empty). Differentiable for every shape in reduced mode, as in
    PyTorch; a complete Q with rows > cols and mode 'r' are not."""
    _check_matrix("linalg.qr", a, square=False)
    if mode not in _QR_MODES:
        raise InvalidArgumentError(
            f"linalg.qr: unrecognized mode {mode!r}; expected one of 'reduced' (default), 'r' "
            "or 'complete'"
        )
    both = _QRPart.apply(a, mode=mode)
    m = a.shape[-2]
    r = _mT(both[..., m:, :])
    if mode == "r":
        return QRResult(a.reshape(-1)[:0], r)
    return QRResult(both[..., :m, :], r)


class _SingularValues(Function):
    """s = the singular values (descending);  gA = U diag(g) V^T. Saves U and V^T."""

    @staticmethod
    def forward(ctx, xp, a):
        u, s, vh = xp.linalg.svd(a, full_matrices=False)
        ctx.save_for_backward(u, vh)
        return s

    @staticmethod
    def backward(ctx, g):
        u, vh = ctx.saved_tensors
        return matmul(u * unsqueeze(g, -2), vh)


def svdvals(a: Tensor) -> Tensor:
    """The singular values of each matrix, in descending order."""
    _check_matrix("linalg.svdvals", a, square=False)
    return _SingularValues.apply(a)


def svd(a: Tensor, full_matrices: bool = True) -> SVDResult:
    """``(U, S, Vh)`` with A = U diag(S) Vh. S carries a gradient; U and Vh do not (module
    docstring)."""
    _check_matrix("linalg.svd", a, square=False)
    u = _raw(a, lambda xp, x: xp.linalg.svd(x, full_matrices=full_matrices)[0])
    vh = _raw(a, lambda xp, x: xp.linalg.svd(x, full_matrices=full_matrices)[2])
    return SVDResult(u, svdvals(a), vh)


class _Eigenvalues(Function):
    """w = the eigenvalues of symmetric A (ascending);  gA = V diag(g) V^T."""

    @staticmethod
    def forward(ctx, xp, a, upper):
        # Only one triangle is read: mirror it (the diagonal is a minus both off-triangles).
        half = xp.triu(a, k=1) if upper else xp.tril(a, k=-1)
        diag = a - xp.tril(a, k=-1) - xp.triu(a, k=1)
        w, v = xp.linalg.eigh(half + xp.matrix_transpose(half) + diag)
        ctx.save_for_backward(v)
        return w

    @staticmethod
    def backward(ctx, g):
        (v,) = ctx.saved_tensors
        return matmul(v * unsqueeze(g, -2), _mT(v))


def eigvalsh(a: Tensor, UPLO: str = "L") -> Tensor:  # noqa: N803 - PyTorch's name
    """The eigenvalues of each symmetric matrix, ascending (only the UPLO triangle is read)."""
    _check_matrix("linalg.eigvalsh", a)
    return _Eigenvalues.apply(a, upper=_upper("linalg.eigvalsh", UPLO))


def _upper(op: str, uplo: str) -> bool:
    if uplo not in ("L", "U"):
        raise InvalidArgumentError(f"{op}: UPLO must be 'L' or 'U', got {uplo!r}")
    return uplo == "U"


def eigh(a: Tensor, UPLO: str = "L") -> EighResult:  # noqa: N803 - PyTorch's name
    """``(eigenvalues, eigenvectors)`` of each symmetric matrix; the eigenvalues carry a
    gradient, the eigenvectors do not (module docstring)."""
    _check_matrix("linalg.eigh", a)
    upper = _upper("linalg.eigh", UPLO)
    mirrored = _mT(a) if upper else a  # eigh of the standard reads the lower triangle
    vectors = _raw(mirrored, lambda xp, x: xp.linalg.eigh(_mirror_lower(xp, x))[1])
    return EighResult(_Eigenvalues.apply(a, upper=upper), vectors)


def _mirror_lower(xp: Any, x: Any) -> Any:
    half = xp.tril(x, k=-1)
    return half + xp.matrix_transpose(half) + (x - half - xp.triu(x, k=1))


def pinv(a: Tensor) -> Tensor:
    """The Moore-Penrose pseudo-inverse, through the smaller Gram matrix (module docstring);
    for matrices of full rank."""
    _check_matrix("linalg.pinv", a, square=False)
    t = _mT(a)
    if a.shape[-2] >= a.shape[-1]:
        return matmul(inv(matmul(t, a)), t)
    return matmul(t, inv(matmul(a, t)))


def matrix_rank(a: Tensor) -> Tensor:
    """The numerical rank of each matrix (int64), with the standard's default tolerance."""
    _check_matrix("linalg.matrix_rank", a, square=False)
    return _raw(a, lambda xp, x: xp.astype(xp.linalg.matrix_rank(x), xp.int64))
