"""Bad input against PyTorch: where PyTorch raises, nanotorch raises an instance of the same
built-in class (RuntimeError, ValueError, TypeError, IndexError). One row per misuse."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from ._harness import B, Case, I, R, params, run_case  # noqa: E402 - after the skip


def _err(ident: str, fn, *inputs) -> Case:  # noqa: ANN001
    return Case(ident, fn, list(inputs), error=True, dtypes=("float64",))


ERRORS = [
    _err("matmul-shapes", lambda L, a, b: L.matmul(a, b), R(2, 3), R(2, 3)),
    _err("matmul-dtypes", lambda L, a, b: L.matmul(a, b), I(2, 3), R(3, 2)),
    _err("mm-dtypes", lambda L, a, b: L.mm(a, b), R(2, 3), I(3, 2)),
    _err("reshape-negative", lambda L, x: x.reshape(-2, 6), R(3, 4)),
    _err("permute-too-few", lambda L, x: x.permute(1, 0), R(2, 3, 4)),
    _err("transpose-dim", lambda L, x: x.transpose(0, 3), R(2, 3)),
    _err("squeeze-dim", lambda L, x: x.squeeze(2), R(2, 3)),
    _err("unsqueeze-dim", lambda L, x: x.unsqueeze(-4), R(2, 3)),
    _err("flatten-dim", lambda L, x: x.flatten(0, 5), R(2, 3)),
    _err("movedim-dim", lambda L, x: L.movedim(x, 0, 4), R(2, 3)),
    _err("narrow-start", lambda L, x: x.narrow(0, 5, 1), R(2, 3)),
    _err("roll-dims-mismatch", lambda L, x: L.roll(x, (1, 2), (0,)), R(2, 3)),
    _err("flip-dim", lambda L, x: L.flip(x, (3,)), R(2, 3)),
    _err("expand-fewer-dims", lambda L, x: x.expand(4), R(2, 3)),
    _err("stack-empty", lambda L: L.stack([])),
    _err("split-zero", lambda L, x: L.split(x, 0), R(4)),
    _err("chunk-zero", lambda L, x: L.chunk(x, 0), R(4)),
    _err("gather-dim", lambda L, x, i: L.gather(x, 2, i), R(2, 2), I(2, 2, low=0, high=2)),
    _err("gather-rank", lambda L, x, i: L.gather(x, 0, i), R(2, 2), I(2, low=0, high=2)),
    _err("gather-float-index", lambda L, x, i: L.gather(x, 0, i), R(2, 2), R(2, 2)),
    _err("index_select-2d", lambda L, x, i: L.index_select(x, 0, i), R(3), I(2, 2, low=0, high=3)),
    _err("index_select-oob", lambda L, x, i: L.index_select(x, 0, i), R(3), np.array([3])),
    _err("scatter-oob", lambda L, x, i, s: L.scatter(x, 0, i, s), R(3), np.array([5]), R(1)),
    _err(
        "scatter_add-dtype", lambda L, x, i, s: L.scatter_add(x, 0, i, s), R(3), np.array([0]), I(1)
    ),
    _err(
        "index_add-shape",
        lambda L, x, i, s: L.index_add(x, 0, i, s),
        R(3, 2),
        np.array([0]),
        R(1, 3),
    ),
    _err("masked_fill-shape", lambda L, x, m: L.masked_fill(x, m, 0.0), R(3, 2), B(3)),
    _err("masked_select-shape", lambda L, x, m: L.masked_select(x, m), R(3, 2), B(3)),
    _err("take-oob", lambda L, x, i: L.take(x, i), R(3), np.array([3])),
    _err("cumsum-dim", lambda L, x: L.cumsum(x, 3), R(3)),
    _err("sort-dim", lambda L, x: L.sort(x, 2), R(3)),
    _err("topk-dim", lambda L, x: L.topk(x, 1, 2), R(3)),
    _err("argsort-dim", lambda L, x: L.argsort(x, 2), R(3)),
    _err("kthvalue-zero", lambda L, x: L.kthvalue(x, 0), R(3)),
    _err("unique-dim", lambda L, x: L.unique(x, dim=2), R(3)),
    _err("mean-dim", lambda L, x: L.mean(x, 5), R(3)),
    _err("var-dim", lambda L, x: L.var(x, 5), R(3)),
    _err("std-int", lambda L, x: L.std(x), I(3)),
    _err("logsumexp-dim", lambda L, x: L.logsumexp(x, 3), R(3)),
    _err("softmax-dim", lambda L, x: L.softmax(x, 2), R(3)),
    _err("einsum-bad-char", lambda L, x: L.einsum("i1->i", x), R(3)),
    _err("einsum-rank", lambda L, x: L.einsum("ij->i", x), R(3)),
    _err("where-shapes", lambda L, c, a, b: L.where(c, a, b), B(3), R(2), R(3)),
    _err("clamp-shapes", lambda L, x, lo: L.clamp(x, min=lo), R(3), R(2)),
    _err("lerp-shapes", lambda L, a, b: L.lerp(a, b, 0.5), R(3), R(2)),
    _err("cross-size", lambda L, a, b: L.cross(a, b, dim=0), R(4), R(4)),
    _err("diag-3d", lambda L, x: L.diag(x), R(2, 2, 2)),
    _err("trace-1d", lambda L, x: L.trace(x), R(3)),
    _err("tril-1d", lambda L, x: L.tril(x), R(3)),
    _err("repeat_interleave-neg", lambda L, x: L.repeat_interleave(x, -1), R(3)),
    _err("tile-bad", lambda L, x: L.tile(x, (-1,)), R(3)),
    _err("eye-neg", lambda L: L.eye(-1)),
    _err("full-bad-size", lambda L: L.full((-1,), 1.0)),
    _err("arange-nan", lambda L: L.arange(0, float("nan"))),
    _err("tensor-bad-type", lambda L: L.tensor("abc")),
    _err("ones-float-size", lambda L: L.ones(2.5)),
    _err("item-many", lambda L, x: x.item(), R(3)),
    _err("bool-many", lambda L, x: bool(x), R(3)),
    _err("float-many", lambda L, x: float(x), R(3)),
    _err("int-index-float", lambda L, x: x[1.5], R(3)),
    _err("backward-non-scalar", lambda L, x: (x * 2).backward(), R(3)),
    _err("det-nonsquare", lambda L, x: L.linalg.det(x), R(2, 3)),
    _err("cholesky-not-pd", lambda L, x: L.linalg.cholesky(x), -np.eye(3)),
    _err("inv-singular", lambda L, x: L.linalg.inv(x), np.zeros((2, 2))),
    _err("solve-singular", lambda L, a, b: L.linalg.solve(a, b), np.zeros((2, 2)), R(2)),
    _err("vector_norm-dim", lambda L, x: L.linalg.vector_norm(x, dim=3), R(3)),
    _err("one_hot-negative", lambda L, x: L.nn.functional.one_hot(x), np.array([-1, 0])),
    _err("one_hot-float", lambda L, x: L.nn.functional.one_hot(x), R(3)),
    _err("bitwise-shift-float", lambda L, x: L.bitwise_left_shift(x, 1), R(3)),
    _err("floor_divide-int-zero", lambda L, x: L.floor_divide(x, 0), I(3)),
    _err("remainder-int-zero", lambda L, x: L.remainder(x, 0), I(3)),
    _err("logical-shape", lambda L, a, b: L.logical_and(a, b), B(3), B(2)),
]


@pytest.mark.parametrize(("case", "dtype"), params(ERRORS))
def test_error_class_matches_torch(case: Case, dtype: str) -> None:
    run_case(case, dtype)
