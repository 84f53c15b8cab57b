"""Reductions and scans against PyTorch: dim=None / int / negative / tuples, keepdim, empty
dims, unbiased/correction, tie rules of max/min/argmax/median/mode, NaN propagation, and
cumsum/cumprod/logcumsumexp/cummax/cummin."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from ._harness import B, Case, I, P, R, params, run_case  # noqa: E402 - after the skip

TIES = np.array([[1.0, 3.0, 3.0, 0.0], [2.0, 2.0, -1.0, 2.0], [5.0, 5.0, 5.0, 5.0]])
WITH_NAN = np.array([[1.0, np.nan, 3.0], [2.0, 0.0, -1.0]])


def _red(name: str, make=R, keepdim: bool = True, **kw):  # noqa: ANN001, ANN202
    cases = [
        Case(f"{name}-all", lambda L, x, n=name: getattr(L, n)(x), [make(3, 4)], **kw),
        Case(f"{name}-dim1", lambda L, x, n=name: getattr(L, n)(x, 1), [make(3, 4)], **kw),
        Case(f"{name}-dim-neg", lambda L, x, n=name: getattr(L, n)(x, -2), [make(3, 4, 2)], **kw),
        Case(f"{name}-0d", lambda L, x, n=name: getattr(L, n)(x), [make()], **kw),
        Case(f"{name}-0d-dim0", lambda L, x, n=name: getattr(L, n)(x, 0), [make()], **kw),
        Case(
            f"{name}-transposed", lambda L, x, n=name: getattr(L, n)(x.t(), 1), [make(3, 4)], **kw
        ),
        Case(f"{name}-method", lambda L, x, n=name: getattr(x, n)(dim=0), [make(3, 4)], **kw),
    ]
    if keepdim:
        cases.append(
            Case(
                f"{name}-keepdim",
                lambda L, x, n=name: getattr(L, n)(x, 0, keepdim=True),
                [make(3, 4)],
                **kw,
            )
        )
    return cases


def _tuple_dims(name: str, make=R, **kw):  # noqa: ANN001, ANN202
    return [
        Case(
            f"{name}-dims-tuple",
            lambda L, x, n=name: getattr(L, n)(x, (0, 2)),
            [make(2, 3, 4)],
            **kw,
        ),
        Case(
            f"{name}-dims-tuple-keepdim",
            lambda L, x, n=name: getattr(L, n)(x, (-1, 0), keepdim=True),
            [make(2, 3, 4)],
            **kw,
        ),
        Case(f"{name}-empty-dim", lambda L, x, n=name: getattr(L, n)(x, 1), [make(0, 3)], **kw),
        Case(
            f"{name}-dims-empty-tuple",
            lambda L, x, n=name: getattr(L, n)(x, ()),
            [make(2, 3)],
            **kw,
        ),
    ]


REDUCTIONS = [
    *_red("sum"),
    *_tuple_dims("sum"),
    *_red("mean"),
    *_tuple_dims("mean"),
    *_red("prod"),
    *_red("amax"),
    *_tuple_dims("amax", dtypes=None),
    *_red("amin"),
    *_red("logsumexp"),
    *_tuple_dims("logsumexp"),
    *_red("nansum"),
    *_red("nanmean"),
    *_red("var"),
    *_tuple_dims("var"),
    *_red("std"),
    *_tuple_dims("std"),
    *_red("count_nonzero", keepdim=False, grad=False),
    *_red("all"),
    *_red("any"),
    *_red("norm"),
    Case("sum-int", lambda L, x: L.sum(x), [I(3, 4)]),
    Case("sum-int32", lambda L, x: L.sum(x, 0), [I(3, 4, dtype="int32")]),
    Case("sum-bool", lambda L, x: L.sum(x), [B(3, 4)]),
    Case("sum-dtype", lambda L, x: L.sum(x, dtype=L.float64), [I(3, 4)]),
    Case("sum-empty", lambda L, x: L.sum(x), [R(0, 3)]),
    Case("sum-empty-dim0", lambda L, x: L.sum(x, 0), [R(0, 3)]),
    Case("prod-int", lambda L, x: L.prod(x, 1), [I(3, 4)]),
    Case("prod-bool", lambda L, x: L.prod(x), [B(3, 4)]),
    Case(
        "prod-zeros",
        lambda L, x: L.prod(x, 1),
        [np.array([[0.0, 2.0, 3.0], [0.0, 0.0, 2.0], [1.0, 2.0, 3.0]])],
    ),
    Case("mean-int-error", lambda L, x: L.mean(x), [I(3)], error=True),
    Case("mean-empty", lambda L, x: L.mean(x), [R(0)], grad=False),
    Case("mean-dtype", lambda L, x: L.mean(x, dtype=L.float64), [I(3)]),
    Case("amax-empty-error", lambda L, x: L.amax(x), [R(0)], error=True),
    Case("max-empty-error", lambda L, x: L.max(x), [R(0, 3)], error=True),
    Case("amax-ties", lambda L, x: L.amax(x, 1), [TIES.copy()]),
    Case("amin-ties", lambda L, x: L.amin(x), [TIES.copy()]),
    Case("amax-nan", lambda L, x: L.amax(x, 1), [WITH_NAN.copy()], grad=False),
    Case("sum-nan", lambda L, x: L.sum(x, 1), [WITH_NAN.copy()]),
    Case("nansum-nan", lambda L, x: L.nansum(x, 1), [WITH_NAN.copy()]),
    Case("nanmean-nan", lambda L, x: L.nanmean(x, 1), [WITH_NAN.copy()]),
    Case("var-unbiased-false", lambda L, x: L.var(x, 1, unbiased=False), [R(3, 4)]),
    Case("var-correction-0", lambda L, x: L.var(x, 1, correction=0), [R(3, 4)]),
    Case("var-correction-2", lambda L, x: L.var(x, correction=2), [R(3, 4)]),
    Case("std-unbiased-false-all", lambda L, x: L.std(x, unbiased=False), [R(3, 4)]),
    Case("std-correction-keepdim", lambda L, x: L.std(x, 0, correction=0, keepdim=True), [R(3, 4)]),
    Case("var-single", lambda L, x: L.var(x), [R(1)], grad=False),
    Case("var-int-error", lambda L, x: L.var(x), [I(3)], error=True),
    Case("var_mean", lambda L, x: L.var_mean(x, 1), [R(3, 4)]),
    Case("std_mean-correction", lambda L, x: L.std_mean(x, 0, correction=0), [R(3, 4)]),
    Case("var_mean-all", lambda L, x: L.var_mean(x), [R(3, 4)]),
    Case("sum-dim-out-of-range", lambda L, x: L.sum(x, 2), [R(3, 4)], error=True),
    Case("sum-dim-repeated", lambda L, x: L.sum(x, (0, 0)), [R(3, 4)], error=True),
    Case("all-float", lambda L, x: L.all(x, 1), [np.array([[0.0, 1.0], [2.0, 3.0]])]),
    Case("any-int", lambda L, x: L.any(x), [I(3)]),
    Case("all-empty", lambda L, x: L.all(x), [B(0)]),
    Case("all-uint8", lambda L, x: L.all(x), [I(3, low=0, dtype="uint8")]),
    Case(
        "logsumexp-inf",
        lambda L, x: L.logsumexp(x, 1),
        [np.array([[-np.inf, -np.inf], [np.inf, 1.0]])],
        grad=False,
    ),
    Case("logsumexp-int", lambda L, x: L.logsumexp(x, 0), [I(3)]),
    Case("softmax", lambda L, x: L.softmax(x, 1), [R(3, 4)]),
    Case("softmax-neg", lambda L, x: L.softmax(x, -1), [R(2, 3, 4)]),
    Case("log_softmax", lambda L, x: L.log_softmax(x, 0), [R(3, 4)]),
    Case("softmax-dtype", lambda L, x: L.softmax(x, 0, dtype=L.float64), [R(3)]),
    Case("softmax-method-dtype", lambda L, x: x.softmax(0, dtype=L.float64), [R(3)]),
    Case("log_softmax-method-dtype", lambda L, x: x.log_softmax(dim=0, dtype=L.float64), [R(3)]),
    Case("softmax-int-error", lambda L, x: L.softmax(x, 0), [I(3)], error=True),
    Case("aminmax", lambda L, x: L.aminmax(x, dim=1), [R(3, 4)], grad=False),
    Case("aminmax-all", lambda L, x: L.aminmax(x), [R(3, 4)], grad=False),
    # The full max()/min()/median()/nanmedian() share the gradient among the elements equal
    # to the result, and among the NaNs when the result is NaN (PyTorch's
    # evenly_distribute_backward); NaNs elsewhere must not leak into the gradient.
    Case("max-all-nan", lambda L, x: L.max(x), [WITH_NAN.copy()]),
    Case("min-all-nan", lambda L, x: x.min(), [WITH_NAN.copy()]),
    Case("median-all-nan", lambda L, x: L.median(x), [WITH_NAN.copy()]),
    Case("nanmedian-all-nan", lambda L, x: L.nanmedian(x), [WITH_NAN.copy()]),
    Case(
        "nanmedian-all-ties-nan",
        lambda L, x: L.nanmedian(x),
        [np.array([2.0, np.nan, 2.0, 5.0, np.nan])],
    ),
    Case("max-all-inf", lambda L, x: L.max(x), [np.array([np.inf, 1.0, np.inf])]),
    # std's gradient where the spread is 0 is 0, not 0 / 0 (PyTorch masks it).
    Case("std-zero-spread", lambda L, x: L.std(x, 1), [TIES.copy()]),
    Case("std-zero-spread-all", lambda L, x: L.std(x), [np.ones((2, 3))]),
    # argmax over all elements with keepdim keeps every dim, at size 1.
    Case("argmax-all-keepdim", lambda L, x: L.argmax(x, keepdim=True), [R(3, 4)]),
    Case("argmin-all-keepdim", lambda L, x: x.argmin(keepdim=True), [R(2, 3, 4)]),
]


# torch.logsumexp has no default dim, and its dim=() (like var's and std's) misbehaves.
_TORCH_ODD = (
    "logsumexp-all",
    "logsumexp-0d",
    "logsumexp-dims-empty-tuple",
    "var-dims-empty-tuple",
    "std-dims-empty-tuple",
)
REDUCTIONS = [c for c in REDUCTIONS if c.id not in _TORCH_ODD]


@pytest.mark.parametrize(("case", "dtype"), params(REDUCTIONS))
def test_reduction_matches_torch(case: Case, dtype: str) -> None:
    run_case(case, dtype)


_MODE_NAN_ORDER = (
    "PyTorch's cpu mode sorts with <, which a NaN breaks, so equal values on either side of a "
    "NaN count as two runs and a leading NaN can win; nanotorch counts each NaN once and orders "
    "it after every number (discovery/pytorch-differences.md)"
)


def _vi(name: str) -> list[Case]:
    return [
        Case(f"{name}-dim", lambda L, x, n=name: getattr(L, n)(x, 1), [R(3, 4)]),
        Case(f"{name}-keepdim", lambda L, x, n=name: getattr(L, n)(x, 0, True), [R(3, 4)]),
        Case(f"{name}-ties", lambda L, x, n=name: getattr(L, n)(x, 1), [TIES.copy()]),
        Case(f"{name}-ties-dim0", lambda L, x, n=name: getattr(L, n)(x, 0), [TIES.copy()]),
        Case(
            f"{name}-nan",
            lambda L, x, n=name: getattr(L, n)(x, 1),
            [WITH_NAN.copy()],
            grad=False,
        ),
        Case(f"{name}-0d", lambda L, x, n=name: getattr(L, n)(x, 0), [R()]),
        Case(f"{name}-int", lambda L, x, n=name: getattr(L, n)(x, 1), [I(3, 4, low=0, high=3)]),
        Case(f"{name}-method", lambda L, x, n=name: getattr(x, n)(dim=-1), [R(3, 4)]),
        Case(
            f"{name}-bool",
            lambda L, x, n=name: getattr(L, n)(x, 1),
            [B(3, 4)],
            error=name == "median",
        ),
    ]


INDEX_REDUCTIONS = [
    *_vi("max"),
    *_vi("min"),
    *_vi("median"),
    *_vi("mode"),
    Case("max-all", lambda L, x: L.max(x), [R(3, 4)]),
    Case("max-all-ties", lambda L, x: L.max(x), [TIES.copy()]),
    Case("min-all-ties", lambda L, x: L.min(x), [TIES.copy()]),
    Case("max-binary", lambda L, x, y: L.max(x, y), [R(3, 4), R(4)]),
    Case("median-all", lambda L, x: L.median(x), [R(3, 4)]),
    Case("median-all-even", lambda L, x: L.median(x), [R(2, 3)]),
    Case("median-even-dim", lambda L, x: L.median(x, 1), [R(3, 4)]),
    Case("median-all-ties", lambda L, x: L.median(x), [TIES.copy()]),
    Case("median-empty-nan", lambda L, x: L.median(x), [R(0)], grad=False),
    Case("nanmedian-empty-nan", lambda L, x: L.nanmedian(x), [R(0)], grad=False),
    Case("median-empty-dim-error", lambda L, x: L.median(x, 0), [R(0, 3)], error=True),
    Case("nanmedian", lambda L, x: L.nanmedian(x, 1), [WITH_NAN.copy()]),
    Case("median-nan-all", lambda L, x: L.median(x), [WITH_NAN.copy()], grad=False),
    Case(
        "mode-all-same", lambda L, x: L.mode(x, 0), [np.array([[1.0, 2.0], [1.0, 3.0], [2.0, 2.0]])]
    ),
    Case("mode-all-nan", lambda L, x: L.mode(x, 1), [np.full((2, 3), np.nan)], grad=False),
    Case(
        "mode-nan-between-ties",
        lambda L, x: L.mode(x, 1),
        [np.array([[np.nan, 1.0, 1.0, np.nan, np.nan], [3.0, np.nan, np.inf, 2.0, np.nan]])],
        grad=False,
    ),
    Case(
        "mode-nan-sort-order",
        lambda L, x: L.mode(x, 1),
        [np.array([[np.nan, 3.0], [2.0, np.nan]])],
        grad=False,
        xfail=_MODE_NAN_ORDER,
    ),
    Case("mode-default-dim", lambda L, x: L.mode(x), [np.array([[1.0, 2.0, 2.0, 1.0, 3.0]])]),
    Case("argmax-all", lambda L, x: L.argmax(x), [R(3, 4)]),
    Case("argmax-dim", lambda L, x: L.argmax(x, 1), [R(3, 4)]),
    Case("argmax-keepdim", lambda L, x: L.argmax(x, 0, keepdim=True), [R(3, 4)]),
    Case("argmax-ties", lambda L, x: L.argmax(x, 1), [TIES.copy()]),
    Case("argmax-ties-all", lambda L, x: L.argmax(x), [TIES.copy()]),
    Case("argmin-ties", lambda L, x: L.argmin(x, 0), [TIES.copy()]),
    Case("argmax-nan", lambda L, x: L.argmax(x, 1), [WITH_NAN.copy()]),
    Case("argmin-nan", lambda L, x: L.argmin(x), [WITH_NAN.copy()]),
    Case("argmax-int", lambda L, x: L.argmax(x), [I(3, 4)]),
    Case("argmax-0d", lambda L, x: L.argmax(x), [R()]),
    Case("argmax-empty-error", lambda L, x: L.argmax(x), [R(0)], error=True),
    Case("argmax-bool-error", lambda L, x: L.argmax(x, 0), [B(4, 2)], error=True),
    Case("max-dim-out-of-range", lambda L, x: L.max(x, 3), [R(3, 4)], error=True),
    Case("kthvalue", lambda L, x: L.kthvalue(x, 2, 1), [R(3, 4)]),
    # Which of several tied elements kthvalue reports is unspecified in PyTorch (it comes
    # from its selection algorithm): compare the values only.
    Case("kthvalue-ties", lambda L, x: L.kthvalue(x, 2, 1).values, [TIES.copy()], grad=False),
    Case("kthvalue-keepdim", lambda L, x: L.kthvalue(x, 1, 0, True), [R(3, 4)]),
    Case("kthvalue-default-dim", lambda L, x: L.kthvalue(x, 3), [R(3, 4)]),
    Case("kthvalue-k-error", lambda L, x: L.kthvalue(x, 5, 1), [R(3, 4)], error=True),
]


@pytest.mark.parametrize(("case", "dtype"), params(INDEX_REDUCTIONS))
def test_index_reduction_matches_torch(case: Case, dtype: str) -> None:
    run_case(case, dtype)


def _scan(name: str, make=R) -> list[Case]:  # noqa: ANN001
    return [
        Case(f"{name}", lambda L, x, n=name: getattr(L, n)(x, 1), [make(3, 4)]),
        Case(f"{name}-neg-dim", lambda L, x, n=name: getattr(L, n)(x, -1), [make(2, 3, 4)]),
        Case(f"{name}-0d", lambda L, x, n=name: getattr(L, n)(x, 0), [make()]),
        Case(f"{name}-empty", lambda L, x, n=name: getattr(L, n)(x, 0), [make(0, 2)]),
        Case(f"{name}-transposed", lambda L, x, n=name: getattr(L, n)(x.t(), 0), [make(3, 4)]),
        Case(f"{name}-method", lambda L, x, n=name: getattr(x, n)(0), [make(3, 4)]),
    ]


SCANS = [
    *_scan("cumsum"),
    *_scan("cumprod"),
    *_scan("logcumsumexp"),
    *_scan("cummax"),
    *_scan("cummin"),
    Case("cumsum-int", lambda L, x: L.cumsum(x, 0), [I(5)]),
    Case("cumsum-int32", lambda L, x: L.cumsum(x, 0), [I(5, dtype="int32")]),
    Case("cumsum-bool", lambda L, x: L.cumsum(x, 0), [B(5)]),
    Case("cumsum-dtype", lambda L, x: L.cumsum(x, 0, dtype=L.float64), [I(5)]),
    Case(
        "cumprod-zeros",
        lambda L, x: L.cumprod(x, 1),
        [np.array([[1.0, 0.0, 2.0, 3.0], [0.0, 2.0, 0.0, 1.5]])],
    ),
    Case("cumprod-int", lambda L, x: L.cumprod(x, 0), [I(5)]),
    Case("cummax-ties", lambda L, x: L.cummax(x, 1), [TIES.copy()]),
    Case("cummin-ties", lambda L, x: L.cummin(x, 1), [TIES.copy()]),
    Case("cummax-nan", lambda L, x: L.cummax(x, 1), [WITH_NAN.copy()], grad=False),
    Case("cummax-int", lambda L, x: L.cummax(x, 0), [I(6, low=0, high=3)]),
    Case(
        "logcumsumexp-inf",
        lambda L, x: L.logcumsumexp(x, 0),
        [np.array([-np.inf, 0.0, -np.inf, 1.0])],
        grad=False,
    ),
    Case("cumsum-dim-error", lambda L, x: L.cumsum(x, 2), [R(3, 4)], error=True),
    Case("diff", lambda L, x: L.diff(x), [R(3, 4)]),
    Case("diff-n2-dim0", lambda L, x: L.diff(x, n=2, dim=0), [R(4, 3)]),
    Case("diff-prepend", lambda L, x, p: L.diff(x, dim=1, prepend=p), [R(3, 4), R(3, 1)]),
    Case("diff-bool", lambda L, x: L.diff(x), [B(5)]),
]


@pytest.mark.parametrize(("case", "dtype"), params(SCANS))
def test_scan_matches_torch(case: Case, dtype: str) -> None:
    run_case(case, dtype)


del P
