"""Indexing against PyTorch: basic, advanced and bool-mask getitem, setitem, and the
gather/scatter/index_*/masked_*/take families."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from ._harness import B, Case, I, R, params, run_case  # noqa: E402 - after the skip


def _set(index, value_from_input: bool = False):  # noqa: ANN001, ANN202
    def f(L, x, v=None):  # noqa: ANN001, ANN202, N803
        y = x.clone()
        y[index] = v if value_from_input else 7.0
        return y

    return f


GETITEM = [
    Case("int", lambda L, x: x[1], [R(3, 4)]),
    Case("neg-int", lambda L, x: x[-1, -2], [R(3, 4)]),
    Case("slice", lambda L, x: x[1:, ::2], [R(3, 4)]),
    Case("slice-neg-step-free", lambda L, x: x[-2:], [R(3, 4)]),
    Case("slice-out-of-range", lambda L, x: x[5:10], [R(3, 4)]),
    Case("ellipsis", lambda L, x: x[..., 1], [R(2, 3, 4)]),
    Case("none", lambda L, x: x[None, :, None], [R(3, 4)]),
    Case("0d-none", lambda L, x: x[None], [R()]),
    Case("0d-ellipsis", lambda L, x: x[...], [R()]),
    Case("list", lambda L, x: x[[0, 2, 0]], [R(3, 4)]),
    Case("tensor-index", lambda L, x, i: x[i], [R(3, 4), np.array([2, 0, 2, -1])]),
    Case("tensor-index-2d", lambda L, x, i: x[:, i], [R(3, 4), np.array([[0, 1], [3, 3]])]),
    Case("two-tensors", lambda L, x, i, j: x[i, j], [R(3, 4), np.array([0, 2]), np.array([1, 3])]),
    Case(
        "two-tensors-broadcast",
        lambda L, x, i, j: x[i, j],
        [R(3, 4), np.array([[0], [2]]), np.array([1, 3])],
    ),
    Case(
        "adv-separated",
        lambda L, x, i, j: x[i, :, j],
        [R(3, 4, 5), np.array([0, 2]), np.array([1, 3])],
    ),
    Case(
        "adv-adjacent-middle",
        lambda L, x, i, j: x[:, i, j],
        [R(3, 4, 5), np.array([0, 2]), np.array([1, 3])],
    ),
    Case("bool-mask", lambda L, x, m: x[m], [R(3, 4), B(3, 4)]),
    Case("bool-mask-rows", lambda L, x, m: x[m], [R(3, 4), np.array([True, False, True])]),
    Case("bool-mask-cols", lambda L, x, m: x[:, m], [R(3, 4), np.array([1, 0, 1, 1], bool)]),
    Case("bool-mask-0d", lambda L, x: x[True], [R(3)]),
    Case("bool-mask-0d-false", lambda L, x: x[False], [R(3)]),
    Case("int-tensor-0d", lambda L, x, i: x[i], [R(3, 4), np.array(1)]),
    Case("slice-and-list", lambda L, x: x[1:, [0, 3]], [R(3, 4)]),
    Case("index-out-of-range", lambda L, x: x[3], [R(3, 4)], error=True),
    Case("tensor-out-of-range", lambda L, x, i: x[i], [R(3), np.array([3])], error=True),
    Case("too-many-indices", lambda L, x: x[0, 0, 0], [R(3, 4)], error=True),
    Case("bool-mask-shape-error", lambda L, x, m: x[m], [R(3, 4), B(4)], error=True),
    Case("float-index-error", lambda L, x, i: x[i], [R(3), np.array([0.0])], error=True),
    Case("transposed", lambda L, x: x.t()[1:, [0, 2]], [R(3, 4)]),
    Case("int-input", lambda L, x, m: x[m], [I(3, 4), B(3, 4)]),
    Case("setitem-int", _set(1), [R(3, 4)]),
    Case(
        "setitem-slice-tensor",
        _set((slice(None), slice(1, 3)), True),
        [R(3, 4), R(3, 2)],
    ),
    Case("setitem-broadcast", _set((slice(None), 0), True), [R(3, 4), R(1)]),
    Case("setitem-mask", _set(np.array([[1, 0, 1, 0]] * 3, bool)), [R(3, 4)]),
    Case("setitem-list", _set([0, 2], True), [R(3, 4), R(4)]),
    Case("setitem-ellipsis", _set(Ellipsis, True), [R(3, 4), R(4)]),
    Case("setitem-shape-error", _set(0, True), [R(3, 4), R(3)], error=True),
    Case("setitem-out-of-range", _set(5), [R(3, 4)], error=True),
    Case(
        "setitem-grad",
        _set((slice(None), slice(1, 3)), True),
        [R(3, 4), R(3, 2)],
    ),
    Case("index_put", lambda L, x, i, v: L.index_put(x, (i,), v), [R(5), np.array([0, 2]), R(2)]),
    Case(
        "index_put-accumulate",
        lambda L, x, i, v: L.index_put(x, (i,), v, accumulate=True),
        [R(5), np.array([0, 2, 0]), R(3)],
    ),
]


@pytest.mark.parametrize(("case", "dtype"), params(GETITEM))
def test_indexing_matches_torch(case: Case, dtype: str) -> None:
    run_case(case, dtype)


IDX = np.array([[0, 1, 0], [2, 0, 1]])
SCATTER = [
    Case("gather", lambda L, x, i: L.gather(x, 1, i), [R(2, 4), IDX.copy()]),
    Case("gather-dim0", lambda L, x, i: L.gather(x, 0, i), [R(3, 3), IDX.copy()]),
    Case("gather-neg-dim", lambda L, x, i: x.gather(-1, i), [R(2, 4), IDX.copy()]),
    Case("gather-smaller-index", lambda L, x, i: L.gather(x, 1, i), [R(3, 4), IDX.copy()]),
    Case(
        "gather-out-of-range", lambda L, x, i: L.gather(x, 1, i), [R(2, 2), IDX.copy()], error=True
    ),
    Case("gather-int32-index", lambda L, x, i: L.gather(x, 1, i), [R(2, 4), IDX.astype("int32")]),
    Case("scatter", lambda L, x, i, s: L.scatter(x, 1, i, s), [R(2, 4), IDX.copy(), R(2, 3)]),
    Case("scatter-value", lambda L, x, i: L.scatter(x, 1, i, 2.5), [R(2, 4), IDX.copy()]),
    Case(
        "scatter_add", lambda L, x, i, s: L.scatter_add(x, 1, i, s), [R(2, 4), IDX.copy(), R(2, 3)]
    ),
    Case(
        "scatter_add-dim0",
        lambda L, x, i, s: L.scatter_add(x, 0, i, s),
        [R(3, 3), IDX.copy(), R(2, 3)],
    ),
    Case(
        "scatter-reduce-add",
        lambda L, x, i, s: L.scatter(x, 1, i, s, reduce="add"),
        [R(2, 4), IDX.copy(), R(2, 3)],
        grad=False,
    ),
    *[
        Case(
            f"scatter_reduce-{r}-{inc}",
            lambda L, x, i, s, r=r, inc=inc: L.scatter_reduce(x, 1, i, s, r, include_self=inc),
            [R(2, 4), IDX.copy(), R(2, 3)],
            grad=r in ("sum", "mean"),
        )
        for r in ("sum", "prod", "mean", "amax", "amin")
        for inc in (True, False)
    ],
    Case(
        "scatter_reduce-amax-grad",
        lambda L, x, i, s: L.scatter_reduce(x, 0, i, s, "amax"),
        [R(4), np.array([0, 0, 2]), R(3)],
    ),
    Case(
        "scatter_reduce-int",
        lambda L, x, i, s: L.scatter_reduce(x, 0, i, s, "mean"),
        [I(4), np.array([0, 0, 2]), I(3)],
    ),
    Case("index_select", lambda L, x, i: L.index_select(x, 1, i), [R(3, 4), np.array([3, 0, 0])]),
    Case("index_select-0d-index", lambda L, x, i: L.index_select(x, 0, i), [R(3), np.array(1)]),
    Case(
        "index_select-neg-error",
        lambda L, x, i: L.index_select(x, 0, i),
        [R(3), np.array([-1])],
        error=True,
    ),
    Case(
        "index_add",
        lambda L, x, i, s: L.index_add(x, 0, i, s),
        [R(3, 2), np.array([0, 2, 0]), R(3, 2)],
    ),
    Case(
        "index_add-alpha",
        lambda L, x, i, s: x.index_add(1, i, s, alpha=2),
        [R(3, 2), np.array([1, 1]), R(3, 2)],
    ),
    Case(
        "index_copy",
        lambda L, x, i, s: L.index_copy(x, 0, i, s),
        [R(3, 2), np.array([2, 0]), R(2, 2)],
    ),
    Case("index_fill", lambda L, x, i: L.index_fill(x, 1, i, -1.0), [R(3, 4), np.array([0, 3])]),
    # Negative indices count from the end in index_fill and take_along_dim (with a dim), as
    # in PyTorch; index_select, index_add, index_copy, gather and scatter refuse them.
    Case(
        "index_fill-negative",
        lambda L, x, i: L.index_fill(x, 1, i, -1.0),
        [R(3, 4), np.array([-1, 0, -4])],
    ),
    Case(
        "index_fill-negative-oob",
        lambda L, x, i: L.index_fill(x, 1, i, -1.0),
        [R(3, 4), np.array([-5])],
        error=True,
    ),
    Case(
        "take_along_dim-negative",
        lambda L, x, i: L.take_along_dim(x, i, 1),
        [R(2, 4), np.array([[-1, 0], [-4, 2]])],
    ),
    Case("masked_fill", lambda L, x, m: L.masked_fill(x, m, 0.5), [R(3, 4), B(4)]),
    Case(
        "masked_fill-tensor-value", lambda L, x, m, v: x.masked_fill(m, v), [R(3, 4), B(3, 4), R()]
    ),
    Case(
        "masked_fill-int-mask-error",
        lambda L, x, m: L.masked_fill(x, m, 0.5),
        [R(3, 4), I(4)],
        error=True,
    ),
    Case("masked_select", lambda L, x, m: L.masked_select(x, m), [R(3, 4), B(3, 1)]),
    Case("masked_scatter", lambda L, x, m, s: L.masked_scatter(x, m, s), [R(3, 4), B(3, 4), R(12)]),
    Case("take", lambda L, x, i: L.take(x, i), [R(3, 4), np.array([[0, 11], [-1, 5]])]),
    Case("take_along_dim", lambda L, x, i: L.take_along_dim(x, i, 1), [R(2, 4), IDX.copy()]),
    Case(
        "take_along_dim-flat", lambda L, x, i: L.take_along_dim(x, i), [R(2, 4), np.array([7, 0])]
    ),
    Case("nonzero", lambda L, x: L.nonzero(x), [I(3, 4, low=0, high=2)]),
    Case("nonzero-tuple", lambda L, x: L.nonzero(x, as_tuple=True), [I(3, 4, low=0, high=2)]),
    Case("nonzero-0d", lambda L, x: L.nonzero(x), [np.array(2.0)]),
    Case("argwhere", lambda L, x: L.argwhere(x), [B(3, 4)]),
    Case("one_hot", lambda L, x: L.nn.functional.one_hot(x, 5), [I(4, low=0, high=5)]),
    Case("one_hot-infer", lambda L, x: L.nn.functional.one_hot(x), [I(2, 3, low=0, high=5)]),
    Case(
        "searchsorted",
        lambda L, s, v: L.searchsorted(s, v),
        [np.array([1.0, 2.0, 2.0, 5.0]), np.array([2.0, 0.0, 6.0, 3.0])],
    ),
    Case(
        "searchsorted-right",
        lambda L, s, v: L.searchsorted(s, v, right=True),
        [np.array([1.0, 2.0, 2.0, 5.0]), np.array([2.0, 0.0, 6.0, 3.0])],
    ),
    Case(
        "bucketize",
        lambda L, v, b: L.bucketize(v, b),
        [np.array([2.0, 0.0, 6.0, 3.0]), np.array([1.0, 2.0, 5.0])],
    ),
    Case("bincount", lambda L, x: L.bincount(x), [I(8, low=0, high=4)]),
    Case(
        "bincount-weights",
        lambda L, x, w: L.bincount(x, w, minlength=6),
        [I(8, low=0, high=4), R(8)],
        grad=False,
    ),
    Case("histc", lambda L, x: L.histc(x, bins=4, min=-2, max=2), [R(20)], grad=False),
]


@pytest.mark.parametrize(("case", "dtype"), params(SCATTER))
def test_scatter_gather_matches_torch(case: Case, dtype: str) -> None:
    run_case(case, dtype)


_IDX = np.array([2, 0, 2, 1])
_TIES = np.array([[1.0, 2.0], [1.0, 5.0], [3.0, 2.0], [1.0, 2.0]])  # ties with each other

# The scatter ops of nanotorch/ops/shape_breadth.py: select/slice/diagonal_scatter,
# index_reduce and put.
SCATTER_BREADTH = [
    Case("select_scatter", lambda L, x, s: L.select_scatter(x, s, 0, 1), [R(3, 4), R(4)]),
    Case(
        "select_scatter-neg",
        lambda L, x, s: x.select_scatter(s, -1, -2),
        [R(2, 3, 4), R(2, 3)],
    ),
    Case("select_scatter-0d-src", lambda L, x, s: L.select_scatter(x, s, 0, 2), [R(3), R()]),
    Case(
        "select_scatter-shape-error",
        lambda L, x, s: L.select_scatter(x, s, 0, 1),
        [R(3, 4), R(3)],
        error=True,
    ),
    Case(
        "select_scatter-index-error",
        lambda L, x, s: L.select_scatter(x, s, 0, 3),
        [R(3, 4), R(4)],
        error=True,
    ),
    Case("slice_scatter", lambda L, x, s: L.slice_scatter(x, s, start=3), [R(5, 3), R(2, 3)]),
    Case(
        "slice_scatter-step",
        lambda L, x, s: x.slice_scatter(s, 1, 1, 5, 2),
        [R(3, 6), R(3, 2)],
    ),
    Case(
        "slice_scatter-neg",
        lambda L, x, s: L.slice_scatter(x, s, -1, -2),
        [R(3, 6), R(3, 2)],
    ),
    Case(
        "slice_scatter-end-past",
        lambda L, x, s: L.slice_scatter(x, s, 0, 1, 10),
        [R(3, 2), R(2, 2)],
    ),
    Case(
        "slice_scatter-shape-error",
        lambda L, x, s: L.slice_scatter(x, s, 0, 1, 3),
        [R(5, 3), R(3, 3)],
        error=True,
    ),
    Case("diagonal_scatter", lambda L, x, s: L.diagonal_scatter(x, s), [R(3, 4), R(3)]),
    Case("diagonal_scatter-above", lambda L, x, s: x.diagonal_scatter(s, 2), [R(3, 4), R(2)]),
    Case("diagonal_scatter-below", lambda L, x, s: L.diagonal_scatter(x, s, -1), [R(3, 4), R(2)]),
    Case(
        "diagonal_scatter-dims",
        lambda L, x, s: L.diagonal_scatter(x, s, 1, 2, 0),
        [R(3, 2, 4), R(2, 2)],
    ),
    Case(
        "diagonal_scatter-shape-error",
        lambda L, x, s: L.diagonal_scatter(x, s),
        [R(3, 4), R(4)],
        error=True,
    ),
    Case(
        "index_reduce-prod",
        lambda L, x, i, s: L.index_reduce(x, 0, i, s, "prod"),
        [R(3, 2), _IDX, R(4, 2)],
    ),
    Case(
        "index_reduce-mean",
        lambda L, x, i, s: x.index_reduce(1, i, s, "mean"),
        [R(2, 3), _IDX, R(2, 4)],
    ),
    Case(
        "index_reduce-mean-exclude",
        lambda L, x, i, s: x.index_reduce(1, i, s, "mean", include_self=False),
        [R(2, 3), _IDX, R(2, 4)],
    ),
    Case(
        "index_reduce-amax",
        lambda L, x, i, s: L.index_reduce(x, 0, i, s, "amax"),
        [R(3, 2), _IDX, R(4, 2)],
    ),
    Case(
        "index_reduce-amin-exclude",
        lambda L, x, i, s: L.index_reduce(x, 0, i, s, "amin", include_self=False),
        [R(3, 2), _IDX, R(4, 2)],
    ),
    Case(
        "index_reduce-amax-ties",
        lambda L, x, i, s: L.index_reduce(x, 0, i, s, "amax"),
        [np.ones((3, 2)), np.array([0, 0, 0, 1]), _TIES],
    ),
    Case(
        "index_reduce-prod-zeros",
        lambda L, x, i, s: L.index_reduce(x, 0, i, s, "prod", include_self=False),
        [R(3, 2), _IDX, np.array([[0.0, 2.0], [1.0, 0.0], [0.0, 0.0], [2.0, 3.0]])],
    ),
    Case(
        "index_reduce-int-mean",
        lambda L, x, i, s: L.index_reduce(x, 0, i, s, "mean"),
        [I(3, 2), _IDX, I(4, 2)],
    ),
    Case(
        "index_reduce-reduce-error",
        lambda L, x, i, s: L.index_reduce(x, 0, i, s, "sum"),
        [R(3, 2), _IDX, R(4, 2)],
        error=True,
    ),
    Case(
        "index_reduce-index-error",
        lambda L, x, i, s: L.index_reduce(x, 0, i, s, "amax"),
        [R(2, 2), _IDX, R(4, 2)],
        error=True,
    ),
    Case(
        "index_reduce-shape-error",
        lambda L, x, i, s: L.index_reduce(x, 0, i, s, "amax"),
        [R(3, 2), _IDX, R(3, 2)],
        error=True,
    ),
    Case("put", lambda L, x, i, s: L.put(x, i, s), [R(3, 4), np.array([1, -1, 5]), R(3)]),
    Case(
        "put-accumulate",
        lambda L, x, i, s: x.put(i, s, accumulate=True),
        [R(3, 4), np.array([[1, 1], [0, 11]]), R(2, 2)],
    ),
    Case("put-0d", lambda L, x, i, s: L.put(x, i, s), [R(), np.array([0]), R(1)]),
    Case(
        "put-oob-error",
        lambda L, x, i, s: L.put(x, i, s),
        [R(3, 4), np.array([12]), R(1)],
        error=True,
    ),
    Case(
        "put-count-error",
        lambda L, x, i, s: L.put(x, i, s),
        [R(3, 4), np.array([1, 2]), R(3)],
        error=True,
    ),
    Case(
        "put-int-index-error",
        lambda L, x, i, s: L.put(x, i, s),
        [R(3, 4), np.array([1, 2], dtype=np.int32), R(2)],
        error=True,
    ),
    *[
        Case(
            f"segment_reduce-{r}",
            lambda L, x, n, r=r: L.segment_reduce(x, r, lengths=n),
            [R(6), np.array([2, 0, 3, 1])],
            grad=r not in ("max", "min", "amax", "amin"),  # -inf/inf of the empty segment
        )
        for r in ("sum", "mean", "prod", "max", "amin")
    ],
    *[
        Case(
            f"segment_reduce-{r}-grad",
            lambda L, x, n, r=r: L.segment_reduce(x, r, lengths=n),
            [R(6, 2), np.array([2, 3, 1])],
        )
        for r in ("amax", "min", "prod")
    ],
    Case(
        "segment_reduce-initial",
        lambda L, x, n: L.segment_reduce(x, "mean", lengths=n, initial=0.5),
        [R(6), np.array([2, 0, 4])],
    ),
    Case(
        "segment_reduce-offsets",
        lambda L, x, o: L.segment_reduce(x, "sum", offsets=o, initial=1.0),
        [R(6, 2), np.array([0, 2, 2, 6])],
    ),
    Case(
        "segment_reduce-axis1",
        lambda L, x, n: L.segment_reduce(x, "max", lengths=n, axis=1, initial=-0.5),
        [R(2, 5), np.array([[2, 3], [1, 4]])],
    ),
    Case(
        "segment_reduce-sum-error",
        lambda L, x, n: L.segment_reduce(x, "sum", lengths=n),
        [R(6), np.array([2, 3])],
        error=True,
    ),
    Case(
        "segment_reduce-negative-error",
        lambda L, x, n: L.segment_reduce(x, "sum", lengths=n),
        [R(6), np.array([7, -1])],
        error=True,
    ),
    Case(
        "segment_reduce-reduce-error",
        lambda L, x, n: L.segment_reduce(x, "foo", lengths=n),
        [R(6), np.array([6])],
        error=True,
    ),
    Case(
        "segment_reduce-indices-error",
        lambda L, x, n: L.segment_reduce(x, "sum", indices=n),
        [R(6), np.array([6])],
        error=True,
    ),
    Case(
        "segment_reduce-int-error",
        lambda L, x, n: L.segment_reduce(x, "sum", lengths=n),
        [I(6), np.array([6])],
        error=True,
    ),
    Case("isin", lambda L, a, b: L.isin(a, b), [I(3, 4), I(3)]),
    Case(
        "isin-nan-invert",
        lambda L, a, b: L.isin(a, b, invert=True),
        [np.array([1.0, np.nan, 2.5]), np.array([np.nan, 1.0])],
    ),
    Case("isin-scalar-elements", lambda L, b: L.isin(3, b), [np.array([1, 3])]),
    Case("isin-scalar-test", lambda L, a: L.isin(a, 2), [I(4)]),
    Case("isin-mixed", lambda L, a, b: L.isin(a, b), [np.array([1.5, 2.0]), np.array([2])]),
    Case("isin-empty-test", lambda L, a, b: L.isin(a, b), [R(3), R(0)]),
    Case("isin-bool-error", lambda L, a, b: L.isin(a, b), [B(3), I(2)], error=True),
    Case(
        "index_put",
        lambda L, x, i, v: L.index_put(x, (i,), v, accumulate=True),
        [R(4, 3), np.array([3, 0, 3]), R(3, 3)],
    ),
]


@pytest.mark.parametrize(("case", "dtype"), params(SCATTER_BREADTH))
def test_scatter_breadth_matches_torch(case: Case, dtype: str) -> None:
    run_case(case, dtype)
