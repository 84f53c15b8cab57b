"""Sorting ops against PyTorch: sort/argsort (stable, descending, ties, NaN), topk, unique
(sorted, return_inverse, return_counts, dim) and unique_consecutive."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from ._harness import B, Case, I, R, params, run_case  # noqa: E402 - after the skip

TIES = np.array([[1.0, 3.0, 3.0, 0.0, 3.0], [2.0, 2.0, -1.0, 2.0, -1.0]])
NANS = np.array([3.0, np.nan, 1.0, -np.inf, np.nan, np.inf, 1.0])

SORTING = [
    Case("sort", lambda L, x: L.sort(x), [R(3, 4)]),
    Case("sort-dim0", lambda L, x: L.sort(x, 0), [R(3, 4)]),
    Case("sort-descending", lambda L, x: L.sort(x, 1, descending=True), [R(3, 4)]),
    Case("sort-stable-ties", lambda L, x: L.sort(x, stable=True), [TIES.copy()]),
    Case(
        "sort-stable-ties-desc", lambda L, x: L.sort(x, descending=True, stable=True), [TIES.copy()]
    ),
    Case("sort-nan", lambda L, x: L.sort(x, stable=True), [NANS.copy()], grad=False),
    Case(
        "sort-nan-desc",
        lambda L, x: L.sort(x, descending=True, stable=True),
        [NANS.copy()],
        grad=False,
    ),
    Case("sort-0d", lambda L, x: L.sort(x), [R()]),
    Case("sort-empty", lambda L, x: L.sort(x), [R(0)]),
    Case("sort-int", lambda L, x: L.sort(x, stable=True), [I(8)]),
    Case("sort-bool", lambda L, x: L.sort(x, stable=True), [B(8)]),
    Case("sort-method", lambda L, x: x.sort(dim=-1, descending=True, stable=True), [R(3, 4)]),
    Case("sort-transposed", lambda L, x: L.sort(x.t(), 1), [R(3, 4)]),
    Case("argsort", lambda L, x: L.argsort(x, 1), [R(3, 4)]),
    Case("argsort-stable", lambda L, x: L.argsort(x, stable=True), [TIES.copy()]),
    Case(
        "argsort-stable-desc",
        lambda L, x: L.argsort(x, descending=True, stable=True),
        [TIES.copy()],
    ),
    Case("argsort-int", lambda L, x: L.argsort(x, stable=True), [I(9, low=0, high=3)]),
    Case("msort-like", lambda L, x: L.sort(x, dim=0, stable=True).values, [TIES.copy()]),
    Case("topk", lambda L, x: L.topk(x, 2), [R(3, 5)]),
    Case("topk-smallest", lambda L, x: L.topk(x, 2, largest=False), [R(3, 5)]),
    Case("topk-dim0", lambda L, x: L.topk(x, 2, 0), [R(3, 5)]),
    # Which tied element topk reports (and so where the gradient goes) is unspecified.
    Case("topk-ties-values", lambda L, x: L.topk(x, 3).values, [TIES.copy()], grad=False),
    Case("topk-k0", lambda L, x: L.topk(x, 0), [R(3, 5)]),
    Case("topk-0d", lambda L, x: L.topk(x, 1), [R()]),
    Case("topk-int", lambda L, x: L.topk(x, 2), [I(6)]),
    Case("topk-k-error", lambda L, x: L.topk(x, 6), [R(3, 5)], error=True),
    Case("topk-method", lambda L, x: x.topk(2, dim=-1, largest=False), [R(3, 5)]),
    Case("unique", lambda L, x: L.unique(x), [np.array([3.0, 1.0, 2.0, 3.0, 1.0])], grad=False),
    Case(
        "unique-inverse-counts",
        lambda L, x: L.unique(x, return_inverse=True, return_counts=True),
        [np.array([[3.0, 1.0], [2.0, 3.0]])],
        grad=False,
    ),
    Case(
        "unique-int",
        lambda L, x: L.unique(x, return_counts=True),
        [I(10, low=0, high=4)],
        grad=False,
    ),
    Case("unique-bool", lambda L, x: L.unique(x), [B(6)], grad=False),
    Case(
        "unique-dim0",
        lambda L, x: L.unique(x, dim=0, return_inverse=True, return_counts=True),
        [np.array([[1, 2], [0, 5], [1, 2], [0, 1]])],
    ),
    Case(
        "unique-dim1",
        lambda L, x: L.unique(x, dim=1),
        [np.array([[1, 2, 1], [0, 5, 0]])],
        grad=False,
    ),
    Case("unique-empty", lambda L, x: L.unique(x), [R(0)], grad=False),
    Case(
        "unique-method",
        lambda L, x: x.unique(return_inverse=True),
        [I(6, low=0, high=3)],
        grad=False,
    ),
    Case(
        "unique_consecutive",
        lambda L, x: L.unique_consecutive(x, return_counts=True, return_inverse=True),
        [np.array([1, 1, 2, 2, 3, 1, 1, 2])],
    ),
    Case(
        "unique_consecutive-dim1",
        lambda L, x: L.unique_consecutive(x, return_counts=True, return_inverse=True, dim=1),
        [np.array([[1, 1, 2, 2, 1], [3, 3, 4, 5, 3]])],
    ),
    Case(
        "unique_consecutive-dim0",
        lambda L, x: x.unique_consecutive(return_inverse=True, dim=0),
        [np.array([[1, 1], [1, 1], [2, 2], [1, 1]])],
    ),
    Case(
        "unique_consecutive-dim-neg-float",
        lambda L, x: L.unique_consecutive(x, return_counts=True, dim=-2),
        [np.array([[1.0, np.nan], [1.0, np.nan], [2.0, 0.5], [2.0, 0.5]])],
        grad=False,
    ),
    Case(
        "unique_consecutive-dim-1d",
        lambda L, x: L.unique_consecutive(x, return_counts=True, dim=0),
        [np.array([1, 1, 2, 1])],
    ),
    Case(
        "unique_consecutive-dim-empty",
        lambda L, x: L.unique_consecutive(x, return_inverse=True, return_counts=True, dim=0),
        [R(0, 3)],
        grad=False,
    ),
    Case(
        "unique_consecutive-dim-zero-other-error",
        lambda L, x: L.unique_consecutive(x, dim=0),
        [R(2, 0)],
        error=True,
    ),
    Case(
        "unique_consecutive-dim-0d-error",
        lambda L, x: L.unique_consecutive(x, dim=0),
        [R()],
        error=True,
    ),
    Case("kthvalue-ties-values", lambda L, x: L.kthvalue(x, 2, 1).values, [TIES.copy()]),
    Case("msort", lambda L, x: L.msort(x), [R(3, 4)]),
]


@pytest.mark.parametrize(("case", "dtype"), params(SORTING))
def test_sorting_matches_torch(case: Case, dtype: str) -> None:
    run_case(case, dtype)
