"""Linear algebra against PyTorch: norms (vector/matrix ords), det, inv, solve, qr, svd
values, eigh values, cholesky, pinv, and einsum."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from ._harness import Case, R, params, run_case  # noqa: E402 - after the skip


def _spd(n: int, batch: tuple[int, ...] = ()) -> np.ndarray:
    a = R(*batch, n, n)
    return a @ np.swapaxes(a, -1, -2) + n * np.eye(n)


def _wellcond(n: int, batch: tuple[int, ...] = ()) -> np.ndarray:
    return R(*batch, n, n) + 3 * np.eye(n)


LOOSE = {"rtol": 1e-4, "atol": 1e-5}
LINALG = [
    *[
        Case(f"vector_norm-ord{o}", lambda L, x, o=o: L.linalg.vector_norm(x, ord=o), [R(3, 4)])
        for o in (2, 1, 3, float("inf"), float("-inf"), 0, 0.5)
    ],
    Case(
        "vector_norm-dim-keepdim",
        lambda L, x: L.linalg.vector_norm(x, 2, dim=1, keepdim=True),
        [R(3, 4)],
    ),
    Case("vector_norm-dims", lambda L, x: L.linalg.vector_norm(x, dim=(0, 2)), [R(2, 3, 4)]),
    Case("vector_norm-zero-grad", lambda L, x: L.linalg.vector_norm(x), [np.zeros(3)]),
    Case(
        "vector_norm-int-error",
        lambda L, x: L.linalg.vector_norm(x),
        [np.array([1, 2])],
        error=True,
    ),
    *[
        Case(
            f"matrix_norm-{o}", lambda L, x, o=o: L.linalg.matrix_norm(x, ord=o), [R(3, 4)], **LOOSE
        )
        for o in ("fro", "nuc", 2, -2, 1, -1, float("inf"), float("-inf"))
    ],
    Case("matrix_norm-batched", lambda L, x: L.linalg.matrix_norm(x), [R(2, 3, 4)]),
    Case("linalg.norm-vec", lambda L, x: L.linalg.norm(x), [R(5)]),
    Case("linalg.norm-mat", lambda L, x: L.linalg.norm(x), [R(3, 4)]),
    Case("linalg.norm-ord-dim", lambda L, x: L.linalg.norm(x, 1, dim=0), [R(3, 4)]),
    Case("norm-p", lambda L, x: L.norm(x, p=1), [R(3, 4)]),
    Case("norm-dim", lambda L, x: L.norm(x, dim=1, keepdim=True), [R(3, 4)]),
    Case("norm-fro", lambda L, x: L.norm(x, p="fro"), [R(3, 4)]),
    Case("det", lambda L, x: L.linalg.det(x), [_wellcond(3)], **LOOSE),
    Case("det-batched", lambda L, x: L.det(x), [_wellcond(3, (2,))], **LOOSE),
    Case("slogdet", lambda L, x: L.linalg.slogdet(x), [_wellcond(3)], **LOOSE),
    Case("inv", lambda L, x: L.linalg.inv(x), [_wellcond(3)], **LOOSE),
    Case("inv-batched", lambda L, x: L.inverse(x), [_wellcond(2, (2,))], **LOOSE),
    Case("inv-nonsquare-error", lambda L, x: L.linalg.inv(x), [R(2, 3)], error=True),
    Case("solve", lambda L, a, b: L.linalg.solve(a, b), [_wellcond(3), R(3, 2)], **LOOSE),
    Case("solve-vector", lambda L, a, b: L.linalg.solve(a, b), [_wellcond(3), R(3)], **LOOSE),
    Case(
        "solve-batched",
        lambda L, a, b: L.linalg.solve(a, b),
        [_wellcond(3, (2,)), R(2, 3, 1)],
        **LOOSE,
    ),
    Case("cholesky", lambda L, a: L.linalg.cholesky(a), [_spd(3)], **LOOSE),
    Case("cholesky-batched", lambda L, a: L.linalg.cholesky(a), [_spd(2, (2,))], **LOOSE),
    Case("qr", lambda L, a: L.linalg.qr(a), [R(4, 3)], **LOOSE),
    Case("svdvals", lambda L, a: L.linalg.svdvals(a), [R(4, 3)], **LOOSE),
    Case("svd-values", lambda L, a: L.linalg.svd(a, full_matrices=False).S, [R(3, 4)], **LOOSE),
    Case("eigvalsh", lambda L, a: L.linalg.eigvalsh(a), [_spd(3)], **LOOSE),
    Case("eigh-values", lambda L, a: L.linalg.eigh(a).eigenvalues, [_spd(3)], **LOOSE),
    Case("eigvalsh-upper", lambda L, a: L.linalg.eigvalsh(a, UPLO="U"), [R(3, 3)], **LOOSE),
    Case("eigvalsh-lower-nonsym", lambda L, a: L.linalg.eigvalsh(a), [R(3, 3)], **LOOSE),
    Case("cholesky-upper", lambda L, a: L.linalg.cholesky(a, upper=True), [_spd(3)], **LOOSE),
    Case("logdet", lambda L, a: L.logdet(a), [_spd(3)], **LOOSE),
    Case("det-singular", lambda L, a: L.linalg.det(a), [np.ones((3, 3))], grad=False),
    Case("det-int-error", lambda L, a: L.linalg.det(a), [np.eye(2, dtype=np.int64)], error=True),
    Case("solve-shape-error", lambda L, a, b: L.linalg.solve(a, b), [R(3, 3), R(2, 1)], error=True),
    Case("qr-square", lambda L, a: L.linalg.qr(a), [_wellcond(3)], **LOOSE),
    Case("svd-full-values", lambda L, a: L.linalg.svd(a).S, [R(2, 4, 3)], **LOOSE),
    Case("det-method", lambda L, a: a.det(), [_wellcond(2)], **LOOSE),
    # pinv goes through a Gram matrix (module docstring of ops/linalg_decomp.py), which
    # squares the condition number: float32 gradients agree to about 1e-3.
    Case("pinv", lambda L, a: L.linalg.pinv(a), [R(4, 3)], **LOOSE, grad_rtol=2e-3),
    Case("pinv-wide", lambda L, a: L.linalg.pinv(a), [R(2, 3)], **LOOSE, grad_rtol=2e-3),
    Case("matrix_rank", lambda L, a: L.linalg.matrix_rank(a), [R(4, 3)]),
    # The legacy torch.svd: (U, S, V) with V, not Vh, reduced unless some=False. U and V are
    # compared through the product they make (their signs are LAPACK's choice).
    Case("svd-legacy-values", lambda L, a: L.svd(a).S, [R(4, 3)], **LOOSE),
    Case(
        "svd-legacy-product",
        lambda L, a: (lambda r: r.U @ L.diag_embed(r.S) @ r.V.mT)(L.svd(a)),
        [R(2, 4, 3)],
        grad=False,
        **LOOSE,
    ),
    Case(
        "svd-legacy-shapes",
        lambda L, a: [tuple(t.shape) for t in L.svd(a, some=False)],
        [R(4, 3)],
    ),
    Case("svd-legacy-no-uv", lambda L, a: L.svd(a, compute_uv=False), [R(3, 4)], **LOOSE),
    Case("svd-method-values", lambda L, a: a.svd()[1], [R(3, 4)], **LOOSE),
    Case("pinverse", lambda L, a: L.pinverse(a), [R(4, 3)], **LOOSE, grad_rtol=2e-3),
    Case("pinverse-method", lambda L, a: a.pinverse(), [R(2, 3)], **LOOSE, grad_rtol=2e-3),
    Case("cross-linalg", lambda L, a, b: L.linalg.cross(a, b), [R(2, 3), R(2, 3)]),
    Case("addbmm-method", lambda L, m, a, b: m.addbmm(a, b), [R(2, 4), R(3, 2, 3), R(3, 3, 4)]),
    Case(
        "baddbmm-method",
        lambda L, m, a, b: m.baddbmm(a, b, beta=0.5, alpha=2),
        [R(3, 2, 4), R(3, 2, 3), R(3, 3, 4)],
    ),
    Case("trace-rect", lambda L, a: L.trace(a), [R(2, 3)]),
]


@pytest.mark.parametrize(("case", "dtype"), params(LINALG))
def test_linalg_matches_torch(case: Case, dtype: str) -> None:
    run_case(case, dtype)


EINSUM = [
    Case("matmul", lambda L, a, b: L.einsum("ij,jk->ik", a, b), [R(2, 3), R(3, 4)]),
    Case("batched", lambda L, a, b: L.einsum("bij,bjk->bik", a, b), [R(2, 2, 3), R(2, 3, 4)]),
    Case("trace", lambda L, a: L.einsum("ii", a), [R(3, 3)]),
    Case("diag", lambda L, a: L.einsum("ii->i", a), [R(3, 3)]),
    Case("sum-all", lambda L, a: L.einsum("ij->", a), [R(2, 3)]),
    Case("transpose", lambda L, a: L.einsum("ij->ji", a), [R(2, 3)]),
    Case("outer", lambda L, a, b: L.einsum("i,j->ij", a, b), [R(2), R(3)]),
    Case("implicit", lambda L, a, b: L.einsum("ij,jk", a, b), [R(2, 3), R(3, 4)]),
    Case("ellipsis", lambda L, a, b: L.einsum("...ij,...jk->...ik", a, b), [R(2, 2, 3), R(3, 4)]),
    Case("broadcast-1", lambda L, a, b: L.einsum("bi,bi->b", a, b), [R(1, 3), R(4, 3)]),
    Case(
        "three", lambda L, a, b, c: L.einsum("ij,jk,kl->il", a, b, c), [R(2, 3), R(3, 4), R(4, 2)]
    ),
    Case("list-operands", lambda L, a, b: L.einsum("i,i->", [a, b]), [R(3), R(3)]),
    Case("spaces", lambda L, a, b: L.einsum("i j , j k -> i k", a, b), [R(2, 3), R(3, 4)]),
    Case("repeated-out-error", lambda L, a: L.einsum("ij->ii", a), [R(2, 2)], error=True),
    Case(
        "shape-error", lambda L, a, b: L.einsum("ij,jk->ik", a, b), [R(2, 3), R(4, 4)], error=True
    ),
    Case("operand-count-error", lambda L, a: L.einsum("ij,jk->ik", a), [R(2, 3)], error=True),
]


@pytest.mark.parametrize(("case", "dtype"), params(EINSUM))
def test_einsum_matches_torch(case: Case, dtype: str) -> None:
    run_case(case, dtype)
