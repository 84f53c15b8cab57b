"""Specs for the sorting and selection family (nanotorch/ops/sorting.py): sort, argsort,
topk, kthvalue, unique, searchsorted and bucketize. The values returned by sort, topk and
kthvalue are differentiable (their gradients scatter back through the indices)."""

from __future__ import annotations

import numpy as np

import nanotorch as nt
from nanotorch.testing import Case, OpSpec
from specs import distinct, ints, randn

_ties = np.array([[2.0, 1.0, 2.0, 0.5, 1.0], [3.0, 3.0, -1.0, 3.0, 0.0]])


def _np_argsort(x, dim=-1, descending=False, stable=False):
    if x.ndim == 0:
        return np.array(0)
    if descending:
        # Stable descending: sort the negated keys (ties keep their order).
        return np.argsort(-x, axis=dim, kind="stable")
    return np.argsort(x, axis=dim, kind="stable")


def _np_sort(x, dim=-1, descending=False, stable=False):
    idx = _np_argsort(x, dim, descending)
    if x.ndim == 0:
        return x, idx
    return np.take_along_axis(x, idx, axis=dim), idx


def _np_topk(x, k, dim=-1, largest=True, sorted=True):  # noqa: A002
    if x.ndim == 0:
        return x, np.array(0)
    idx = np.take(_np_argsort(x, dim, descending=largest), np.arange(k), axis=dim)
    return np.take_along_axis(x, idx, axis=dim), idx


def _np_kthvalue(x, k, dim=-1, keepdim=False):
    if x.ndim == 0:
        return x, np.array(0)
    idx = np.take(_np_argsort(x, dim), [k - 1], axis=dim)
    values = np.take_along_axis(x, idx, axis=dim)
    if not keepdim:
        values, idx = values.squeeze(dim), idx.squeeze(dim)
    return values, idx


def _np_unique(x, sorted=True, return_inverse=False, return_counts=False):  # noqa: A002
    values, inverse, counts = np.unique(x, return_inverse=True, return_counts=True)
    out = [values]
    if return_inverse:
        out.append(inverse.reshape(x.shape))
    if return_counts:
        out.append(counts)
    return out[0] if len(out) == 1 else tuple(out)


def _np_unique_dim(x, dim, sorted=True, return_inverse=False, return_counts=False):  # noqa: A002
    values, inverse, counts = np.unique(x, axis=dim, return_inverse=True, return_counts=True)
    out = [values]
    if return_inverse:
        out.append(inverse.reshape(-1))
    if return_counts:
        out.append(counts)
    return out[0] if len(out) == 1 else tuple(out)


_rows = np.array([[1, 2, 0], [0, 5, 1], [1, 2, 0], [0, 1, 9], [0, 5, 1]])


def _np_searchsorted(seq, values, right=False, side=None, out_int32=False, sorter=None):
    side = side or ("right" if right else "left")
    values = np.asarray(values)
    if seq.ndim == 1:
        return np.searchsorted(seq, values, side=side, sorter=sorter)
    lines = zip(seq.reshape(-1, seq.shape[-1]), values.reshape(-1, values.shape[-1]))
    rows = [np.searchsorted(s, v, side=side) for s, v in lines]
    return np.stack(rows).reshape(values.shape)


_seq = np.array([-1.0, 0.0, 0.5, 0.5, 2.0])
_vals = np.array([[-2.0, 0.5, 0.7], [2.0, 3.0, 0.0]])

SPECS = [
    OpSpec(
        "sort",
        _np_sort,
        [
            Case(distinct(3, 5)),
            Case(distinct(3, 5), dim=0, descending=True, id="dim0-desc"),
            Case(distinct(2, 3, 4), dim=1, id="3d"),
            Case(randn(), id="0d"),
            Case(randn(0, 3), id="empty"),
            Case(distinct(5, 3), dim=-1, transposed=(0,), id="transposed"),
        ],
        gradgrad=True,  # through gather and its scatter-add backward
    ),
    OpSpec(
        "sort",
        _np_sort,
        [
            Case(_ties, stable=True, id="stable-ties"),
            Case(_ties, descending=True, stable=True, id="stable-desc-ties"),
            Case(ints(0, 4, 3, 6), dim=1, stable=True, id="ints"),
        ],
        grad=False,
    ),
    OpSpec(
        "argsort",
        _np_argsort,
        [
            Case(_ties, stable=True, id="stable-ties"),
            Case(_ties, dim=0, descending=True, stable=True, id="stable-desc"),
            Case(randn(), id="0d"),
            Case(randn(0, 3), dim=0, id="empty"),
            Case(distinct(5, 3), transposed=(0,), id="transposed"),
        ],
        grad=False,
    ),
    OpSpec(
        "topk",
        _np_topk,
        [
            Case(distinct(3, 6), k=2),
            Case(distinct(3, 6), k=3, largest=False, id="smallest"),
            Case(distinct(4, 3), k=2, dim=0, id="dim0"),
            Case(randn(), k=1, id="0d"),
            Case(randn(0, 4), k=2, id="empty-rows"),
            Case(randn(3, 4), k=0, id="k0"),
            Case(distinct(6, 3), k=2, transposed=(0,), id="transposed"),
        ],
        gradgrad=True,
    ),
    OpSpec(
        "kthvalue",
        _np_kthvalue,
        [
            Case(distinct(3, 6), k=2),
            Case(distinct(4, 3), k=4, dim=0, keepdim=True, id="dim0-keep"),
            Case(np.array(1.5), k=1, id="0d"),
            Case(distinct(6, 3), k=3, transposed=(0,), id="transposed"),
        ],
        gradgrad=True,
    ),
    OpSpec(
        "unique",
        _np_unique,
        [
            Case(ints(0, 5, 4, 3), id="ints"),
            Case(ints(0, 5, 4, 3), return_inverse=True, return_counts=True, id="inverse-counts"),
            Case(np.round(randn(10)), return_counts=True, id="floats-counts"),
            Case(np.array(3.0), return_inverse=True, id="0d"),
            Case(randn(0), id="empty"),
            Case(ints(0, 3, 3, 4), return_inverse=True, transposed=(0,), id="transposed"),
        ],
        grad=False,
    ),
    OpSpec(
        "unique",
        _np_unique_dim,
        [
            Case(_rows, dim=0, return_inverse=True, return_counts=True, id="rows"),
            Case(_rows.T.copy(), dim=1, return_inverse=True, id="columns"),
            Case(ints(0, 2, 2, 3, 2), dim=1, return_counts=True, id="3d"),
            Case(np.round(randn(4, 2)), dim=0, id="floats"),
            Case(_rows.T.copy(), dim=0, return_inverse=True, transposed=(0,), id="dim-transposed"),
        ],
        grad=False,
    ),
    OpSpec(
        "searchsorted",
        _np_searchsorted,
        [
            Case(_seq, _vals, id="left"),
            Case(_seq, _vals, right=True, id="right"),
            Case(_seq, _vals, side="right", id="side"),
            Case(np.sort(randn(3, 5), axis=1), randn(3, 2), id="batched"),
            Case(_seq, np.array(0.5), id="0d-values"),
            Case(_seq, np.zeros((0,)), id="empty"),
        ],
        grad=False,
    ),
    OpSpec(
        "searchsorted",
        lambda seq, values, sorter: np.searchsorted(seq, values, sorter=sorter),
        [Case(np.array([3.0, 0.0, 1.0]), _vals, np.array([1, 2, 0]), id="sorter")],
        fn=lambda seq, values, sorter: nt.searchsorted(seq, values, sorter=sorter),
        grad=False,
    ),
    OpSpec(
        "bucketize",
        lambda x, boundaries, right=False, out_int32=False: np.searchsorted(
            boundaries, x, side="right" if right else "left"
        ),
        [
            Case(_vals, _seq, id="left"),
            Case(_vals, _seq, right=True, id="right"),
            Case(np.array(0.5), _seq, id="0d"),
            Case(_vals.T.copy(), _seq, transposed=(0,), id="transposed"),
        ],
        grad=False,
    ),
]
