"""Specs for the scan and extra-reduction family (nanotorch/ops/scan.py): all/any,
cumulative sums, products, maxima and log-sum-exps, std_mean/var_mean, median, mode,
count_nonzero and the norms (``norm`` and ``nanotorch.linalg``)."""

from __future__ import annotations

import numpy as np

import nanotorch as nt
from nanotorch.testing import Case, OpSpec
from specs import distinct, positive, randn

_zeros = np.array([[1.5, 0.0, 2.0, -1.0], [0.5, 3.0, 0.0, 0.0], [2.0, -0.5, 1.5, 0.7]])


def _np_all_any(fn):
    def ref(x, dim=None, keepdim=False):
        return fn(x, axis=dim, keepdims=keepdim)

    return ref


def _np_cum_ext(x, dim, better):
    """Running max/min along ``dim`` with PyTorch's tie rule (a later equal value wins)."""
    if x.ndim == 0:
        return x, np.array(0)
    x = np.moveaxis(x, dim, -1)
    values, indices = np.empty_like(x), np.zeros(x.shape, dtype=np.int64)
    for pos in np.ndindex(x.shape[:-1]):
        best, at = None, 0
        for i, v in enumerate(x[pos]):
            if best is None or better(v, best) or v == best:
                best, at = v, i
            values[pos + (i,)], indices[pos + (i,)] = best, at
    return np.moveaxis(values, -1, dim), np.moveaxis(indices, -1, dim)


def _np_logcumsumexp(x, dim):
    return np.logaddexp.accumulate(np.atleast_1d(x), axis=dim).reshape(x.shape)


def _np_median(x, dim=None, keepdim=False):
    if x.ndim == 0 and dim is not None:
        return x, np.array(0)
    if dim is None:
        flat = np.sort(x.reshape(-1))
        return flat[(flat.size - 1) // 2]
    order = np.argsort(x, axis=dim, kind="stable")
    k = (x.shape[dim] - 1) // 2
    idx = np.take(order, [k], axis=dim)
    values = np.take_along_axis(x, idx, axis=dim)
    if not keepdim:
        values, idx = values.squeeze(dim), idx.squeeze(dim)
    return values, idx


def _np_mode(x, dim=-1, keepdim=False):
    if x.ndim == 0:
        return x, np.array(0)
    x = np.moveaxis(x, dim, -1)
    values = np.empty(x.shape[:-1], dtype=x.dtype)
    indices = np.empty(x.shape[:-1], dtype=np.int64)
    for pos in np.ndindex(x.shape[:-1]):
        row = x[pos]
        # Each NaN counts once and sorts after every number.
        uniq, counts = np.unique(row, return_counts=True, equal_nan=False)
        v = uniq[np.argmax(counts)]  # the smallest of the most frequent values
        where = 0 if np.isnan(v) else np.nonzero(row == v)[0][-1]  # a line of NaNs: 0
        values[pos], indices[pos] = v, where
    if keepdim:
        values, indices = np.expand_dims(values, dim), np.expand_dims(indices, dim)
    return values, indices


def _np_vector_norm(x, ord=2, dim=None, keepdim=False):  # noqa: A002
    a = np.abs(x)
    if ord == np.inf:
        out = np.max(a, axis=dim, keepdims=keepdim)
    elif ord == -np.inf:
        out = np.min(a, axis=dim, keepdims=keepdim)
    elif ord == 0:
        out = np.sum(a != 0, axis=dim, keepdims=keepdim).astype(x.dtype)
    else:
        out = np.sum(a**ord, axis=dim, keepdims=keepdim) ** (1.0 / ord)
    return out


def _np_matrix_norm(x, ord="fro", dim=(-2, -1), keepdim=False):  # noqa: A002
    out = np.linalg.norm(x, ord=ord, axis=dim, keepdims=keepdim)
    return out


def _np_norm(x, p="fro", dim=None, keepdim=False):
    return _np_vector_norm(x, 2 if p == "fro" else p, dim, keepdim)


def _small_ints(*shape):
    return np.random.default_rng(7).integers(0, 3, shape).astype(np.float64)


SPECS = [
    OpSpec(
        "all",
        _np_all_any(np.all),
        [
            Case(randn(3, 4) > -1, id="all-dims"),
            Case(randn(3, 4) > -1, dim=1, id="dim"),
            Case(randn(2, 3, 4) > 0, dim=(0, 2), keepdim=True, id="dims-keep"),
            Case(np.array(randn() > 0), id="0d"),
            Case(randn(0, 3) > 0, dim=0, id="empty"),
            Case(_zeros, dim=0, id="float"),
            Case(randn(4, 3) > -1, dim=0, transposed=(0,), id="transposed"),
        ],
        grad=False,
    ),
    OpSpec(
        "any",
        _np_all_any(np.any),
        [
            Case(randn(3, 4) > 1, id="all-dims"),
            Case(randn(3, 4) > 1, dim=1, id="dim"),
            Case(randn(2, 3, 4) > 1, dim=(0, 2), keepdim=True, id="dims-keep"),
            Case(np.array(randn() > 0), id="0d"),
            Case(randn(0, 3) > 0, dim=0, id="empty"),
            Case(_zeros, dim=1, id="float"),
            Case(randn(4, 3) > 1, dim=0, transposed=(0,), id="transposed"),
        ],
        grad=False,
    ),
    OpSpec(
        "count_nonzero",
        lambda x, dim=None: np.count_nonzero(x, axis=dim),
        [
            Case(_zeros, id="all-dims"),
            Case(_zeros, dim=1, id="dim"),
            Case(_zeros, dim=(0, 1), id="dims"),
            Case(np.array(0.0), id="0d"),
            Case(randn(0, 3), dim=0, id="empty"),
            Case(_zeros.T.copy(), dim=0, transposed=(0,), id="transposed"),
        ],
        grad=False,
    ),
    OpSpec(
        "cumsum",
        lambda x, dim: np.cumsum(x, axis=dim).reshape(x.shape),
        [
            Case(randn(3, 4), dim=1),
            Case(randn(2, 3, 4), dim=0, id="dim0"),
            Case(randn(), dim=0, id="0d"),
            Case(randn(0, 3), dim=1, id="empty"),
            Case(randn(4, 3), dim=-1, transposed=(0,), id="transposed"),
        ],
        gradgrad=True,
    ),
    OpSpec(
        "cumprod",
        lambda x, dim: np.cumprod(x, axis=dim).reshape(x.shape),
        [
            Case(randn(3, 4), dim=1),
            Case(_zeros, dim=1, id="zeros"),
            Case(_zeros.T.copy(), dim=0, id="zeros-dim0"),
            Case(np.array([0.0, 0.0, 2.0, 0.5]), dim=0, id="two-zeros"),
            Case(randn(), dim=0, id="0d"),
            Case(randn(0, 3), dim=1, id="empty"),
            Case(randn(4, 3), dim=-1, transposed=(0,), id="transposed"),
        ],
        gradgrad=True,
    ),
    OpSpec(
        "cummax",
        lambda x, dim: _np_cum_ext(x, dim, np.greater),
        [
            Case(distinct(3, 5), dim=1),
            Case(distinct(2, 3, 4), dim=0, id="dim0"),
            Case(randn(), dim=0, id="0d"),
            Case(randn(0, 3), dim=1, id="empty"),
            Case(distinct(4, 3), dim=-1, transposed=(0,), id="transposed"),
        ],
        gradgrad=True,
    ),
    OpSpec(
        "cummin",
        lambda x, dim: _np_cum_ext(x, dim, np.less),
        [
            Case(distinct(3, 5), dim=1),
            Case(randn(), dim=0, id="0d"),
            Case(randn(0, 3), dim=1, id="empty"),
            Case(distinct(4, 3), dim=-1, transposed=(0,), id="transposed"),
        ],
        gradgrad=True,
    ),
    OpSpec(
        "logcumsumexp",
        _np_logcumsumexp,
        [
            Case(randn(3, 4), dim=1),
            Case(randn(2, 3, 4), dim=0, id="dim0"),
            Case(np.array([-1000.0, 0.0, 1000.0, -5.0]), dim=0, id="wide-range"),
            Case(randn(), dim=0, id="0d"),
            Case(randn(0, 3), dim=1, id="empty"),
            Case(randn(4, 3), dim=-1, transposed=(0,), id="transposed"),
        ],
        gradgrad=True,
        atol=1e-4,
    ),
    OpSpec(
        "var_mean",
        lambda x, dim=None, keepdim=False, correction=1: (
            np.var(x, axis=dim, keepdims=keepdim, ddof=correction),
            np.mean(x, axis=dim, keepdims=keepdim),
        ),
        [
            Case(randn(3, 4), id="all-dims"),
            Case(randn(3, 4), dim=1, id="dim"),
            Case(randn(2, 3, 4), dim=(0, 2), keepdim=True, correction=0, id="dims-keep"),
            Case(randn(4, 3), dim=0, transposed=(0,), id="transposed"),
        ],
        gradgrad=True,
    ),
    OpSpec(
        "std_mean",
        lambda x, dim=None, keepdim=False, correction=1: (
            np.std(x, axis=dim, keepdims=keepdim, ddof=correction),
            np.mean(x, axis=dim, keepdims=keepdim),
        ),
        [
            Case(positive(3, 4), id="all-dims"),
            Case(randn(3, 4), dim=1, id="dim"),
            Case(randn(2, 3, 4), dim=(0, 2), keepdim=True, correction=0, id="dims-keep"),
            Case(randn(4, 3), dim=0, transposed=(0,), id="transposed"),
        ],
        gradgrad=True,
    ),
    OpSpec(
        "median",
        _np_median,
        [
            Case(distinct(3, 4), id="global-even"),
            Case(distinct(5), id="global-odd"),
            Case(distinct(3, 4), dim=1, id="dim-even"),
            Case(distinct(3, 5), dim=1, keepdim=True, id="dim-keep"),
            Case(np.array(2.5), id="0d"),
            Case(distinct(4, 3), dim=0, transposed=(0,), id="transposed"),
        ],
        gradgrad=True,
    ),
    OpSpec(
        "mode",
        _np_mode,
        [
            Case(_small_ints(3, 6), id="last-dim"),
            Case(_small_ints(4, 3), dim=0, keepdim=True, id="dim0-keep"),
            Case(np.array([2.0, 1.0, 2.0, 1.0, 3.0]), id="tie-smallest"),
            Case(np.array(1.5), id="0d"),
            Case(_small_ints(5, 3), dim=-1, transposed=(0,), id="transposed"),
            Case(np.array([[np.nan, 1.0, np.nan, 3.0], [np.nan, 2.0, 2.0, np.nan]]), id="nan"),
            Case(np.full((2, 3), np.nan), id="all-nan"),
        ],
        # The mode of a line is a repeated value, so a small change to one copy changes which
        # value is the mode: finite differences do not apply. test_scan_ops.py checks that the
        # gradient reaches the reported index.
        grad=False,
    ),
    # Ties: which of equal elements is reported. Not differentiable there, so forward only.
    OpSpec(
        "cummax",
        lambda x, dim: _np_cum_ext(x, dim, np.greater),
        [Case(np.array([1.0, 3.0, 3.0, 2.0, 3.0]), dim=0, id="ties")],
        grad=False,
    ),
    OpSpec(
        "cummin",
        lambda x, dim: _np_cum_ext(x, dim, np.less),
        [Case(np.array([3.0, 1.0, 1.0, 2.0, 1.0]), dim=0, id="ties")],
        grad=False,
    ),
    OpSpec(
        "median",
        _np_median,
        [Case(np.array([[2.0, 1.0, 2.0, 1.0]]), dim=1, id="ties")],
        grad=False,
    ),
    OpSpec(
        "norm",
        _np_norm,
        [
            Case(randn(3, 4), id="fro-all"),
            Case(randn(3, 4), p=2, dim=1, id="p2-dim"),
            Case(randn(3, 4), p=1, dim=0, keepdim=True, id="p1-keep"),
            Case(randn(3, 4), p=3, dim=(0, 1), id="p3-dims"),
            Case(distinct(3, 4), p=np.inf, dim=1, id="inf"),
            Case(randn(), id="0d"),
            Case(randn(4, 3), p=2, dim=0, transposed=(0,), id="transposed"),
        ],
    ),
    # nanotorch.linalg's norms share the ``norm`` spec name: the registry lists nanotorch.<op>,
    # and these live in the linalg namespace (as in PyTorch).
    OpSpec(
        "norm",
        _np_vector_norm,
        [
            Case(randn(3, 4), id="vector-2-all"),
            Case(randn(3, 4), ord=1, dim=1, id="vector-1"),
            Case(randn(3, 4), ord=0.5, dim=1, id="vector-half"),
            Case(distinct(3, 4), ord=np.inf, dim=0, keepdim=True, id="vector-inf"),
            Case(distinct(3, 4), ord=-np.inf, dim=1, id="vector-neginf"),
            Case(_zeros, ord=2, dim=1, id="vector-zero-row"),
            Case(randn(2, 3, 4), ord=3, dim=(0, 2), id="vector-3-dims"),
            Case(randn(), id="vector-0d"),
            Case(randn(0, 3), dim=1, id="vector-empty"),
            Case(randn(4, 3), dim=0, transposed=(0,), id="vector-transposed"),
        ],
        fn=lambda x, **kw: nt.linalg.vector_norm(x, **kw),
    ),
    OpSpec(
        "norm",
        _np_matrix_norm,
        [
            Case(randn(3, 4), id="matrix-fro"),
            Case(distinct(3, 4), ord=1, id="matrix-1"),
            Case(distinct(3, 4), ord=-1, id="matrix-neg1"),
            Case(distinct(2, 3, 4), ord=np.inf, id="matrix-inf-batched"),
            Case(distinct(3, 4), ord=-np.inf, keepdim=True, id="matrix-neginf-keep"),
            Case(randn(3, 4, 2), dim=(0, 2), id="matrix-fro-dims"),
            Case(randn(4, 3), transposed=(0,), id="matrix-transposed"),
            # Singular-value norms (the standard's linalg extension has svd).
            Case(randn(3, 4), ord=2, id="matrix-2"),
            Case(randn(2, 4, 3), ord=-2, id="matrix-neg2-batched"),
            Case(randn(3, 3), ord="nuc", keepdim=True, id="matrix-nuc-keep"),
            Case(randn(3, 2, 4), ord="nuc", dim=(2, 0), id="matrix-nuc-dims"),
            Case(randn(4, 3), ord=2, transposed=(0,), id="matrix-2-transposed"),
        ],
        fn=lambda x, **kw: nt.linalg.matrix_norm(x, **kw),
        atol=1e-4,
    ),
    OpSpec(
        "norm",
        lambda x, p, dim=None: np.linalg.norm(x, ord=p, axis=dim),
        [
            Case(randn(3, 4), p="nuc", id="nuc"),
            Case(randn(2, 3, 4), p="nuc", dim=(1, 2), id="nuc-dim"),
        ],
        atol=1e-4,
    ),
]
