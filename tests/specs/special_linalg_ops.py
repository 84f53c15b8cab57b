"""Specs for the gamma functions (lgamma, digamma in nanotorch/ops/math.py), nanmedian
(nanotorch/ops/scan.py) and the matrix functions exported at the top level (det, inverse,
slogdet, logdet in nanotorch/ops/linalg_decomp.py), msort and unique_consecutive
(nanotorch/ops/sorting.py). References are NumPy float64
(``math.lgamma``; digamma as a central difference of it, accurate to about 1e-9)."""

from __future__ import annotations

import math

import numpy as np

from nanotorch.testing import Case, OpSpec
from specs import positive, unary_cases

_rng = np.random.default_rng(2718)


def np_lgamma(x):
    x = np.asarray(x)
    return np.vectorize(math.lgamma, otypes=[np.float64])(x).astype(x.dtype)


def np_digamma(x):
    x = np.asarray(x, dtype=np.float64)
    h = 1e-5
    return (np_lgamma(x + h) - np_lgamma(x - h)) / (2 * h)


def np_nanmedian(x, dim=None, keepdim=False):
    if dim is None:
        flat = np.sort(x.reshape(-1))  # NaNs last
        n = int(np.sum(~np.isnan(flat)))
        return flat[max(n - 1, 0) // 2]
    order = np.argsort(x, axis=dim, kind="stable")
    n = np.sum(~np.isnan(x), axis=dim, keepdims=True)
    k = np.maximum(n - 1, 0) // 2
    idx = np.take_along_axis(order, k, axis=dim)
    values = np.take_along_axis(x, idx, axis=dim)
    if not keepdim:
        values, idx = values.squeeze(dim), idx.squeeze(dim)
    return values, idx


def _wellcond(*batch: int) -> np.ndarray:
    return _rng.standard_normal((*batch, 3, 3)) + 3 * np.eye(3)


def np_slogdet(a):
    return np.linalg.slogdet(a)


def np_logdet(a):
    sign, logabs = np.linalg.slogdet(a)
    return np.where(sign < 0, np.nan, logabs)


def np_unique_consecutive(x, return_inverse=False, return_counts=False, dim=None):
    if dim is not None:
        n = x.shape[dim]
        rows = np.moveaxis(x, dim, 0).reshape(n, x.size // n if n else 0)
        starts = np.ones(len(rows), dtype=bool)
        starts[1:] = np.any(rows[1:] != rows[:-1], axis=1)
        out = [np.compress(starts, x, axis=dim)]
        if return_inverse:
            out.append(np.cumsum(starts) - 1)
        if return_counts:
            out.append(np.diff(np.concatenate([np.flatnonzero(starts), [len(rows)]])))
        return out[0] if len(out) == 1 else tuple(out)
    flat = x.reshape(-1)
    starts = np.concatenate([[True], flat[1:] != flat[:-1]]) if flat.size else flat != flat
    out = [flat[starts]]
    if return_inverse:
        out.append((np.cumsum(starts) - 1).reshape(x.shape))
    if return_counts:
        begin = np.flatnonzero(starts)
        out.append(np.diff(np.concatenate([begin, [flat.size]])))
    return out[0] if len(out) == 1 else tuple(out)


_RUNS = np.array([[1.0, 1.0, 2.0], [2.0, 3.0, 1.0]])
_NAN_ROWS = np.array([[1.0, np.nan, 3.0, 0.5], [np.nan, np.nan, 2.0, -1.0]])

SPECS = [
    OpSpec("lgamma", np_lgamma, unary_cases(positive), gradgrad=True, grad_rtol=1e-3),
    OpSpec(
        "lgamma",
        np_lgamma,
        [Case(np.array([-2.5, -0.5, 0.25, 3.0, 30.0]), id="negative-and-large")],
    ),
    OpSpec("digamma", np_digamma, unary_cases(positive), atol=1e-6, rtol=1e-6),
    OpSpec(
        "digamma",
        np_digamma,
        [Case(np.array([-2.5, -0.5, 0.25, 3.0, 30.0]), id="negative-and-large")],
        atol=1e-6,
        rtol=1e-6,
    ),
    OpSpec(
        "nanmedian",
        np_nanmedian,
        [
            Case(_rng.permutation(12).reshape(3, 4).astype(float), id="global"),
            Case(_rng.permutation(12).reshape(3, 4).astype(float), dim=1, id="dim"),
            Case(
                _rng.permutation(12).reshape(3, 4).astype(float), dim=0, keepdim=True, id="keepdim"
            ),
            Case(
                _rng.permutation(12).reshape(4, 3).astype(float),
                dim=1,
                transposed=(0,),
                id="transposed",
            ),
        ],
    ),
    OpSpec("nanmedian", np_nanmedian, [Case(_NAN_ROWS, dim=1, id="nan")], grad=False),
    OpSpec(
        "det",
        np.linalg.det,
        [
            Case(_wellcond(), id="3x3"),
            Case(_wellcond(2), id="batched"),
            Case(_wellcond(), transposed=(0,), id="transposed"),
        ],
    ),
    OpSpec("inverse", np.linalg.inv, [Case(_wellcond(), id="3x3"), Case(_wellcond(2), id="batch")]),
    OpSpec("slogdet", np_slogdet, [Case(_wellcond(), id="3x3")], grad=False),
    OpSpec("logdet", np_logdet, [Case(_wellcond(), id="3x3"), Case(_wellcond(2), id="batch")]),
    OpSpec(
        "msort",
        lambda x: np.sort(x, axis=0),
        [Case(_rng.permutation(12).reshape(4, 3).astype(float), id="4x3")],
    ),
    OpSpec(
        "unique_consecutive",
        np_unique_consecutive,
        [
            Case(_RUNS, id="values"),
            Case(_RUNS, return_inverse=True, return_counts=True, id="inverse-counts"),
            Case(np.zeros(0), return_counts=True, id="empty"),
            Case(_RUNS.T, return_inverse=True, return_counts=True, dim=0, id="dim0"),
            Case(np.array([[1.0, 1.0, 2.0, 2.0]] * 2), return_counts=True, dim=-1, id="dim1"),
            Case(np.zeros((0, 2)), return_inverse=True, dim=0, id="dim-empty"),
        ],
        grad=False,
    ),
]
