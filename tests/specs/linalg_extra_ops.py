"""Specs for the linear-algebra extras (nanotorch/ops/linalg_extra.py), each against a
NumPy float64 reference."""

from __future__ import annotations

import numpy as np

import nanotorch as nt
from nanotorch.testing import Case, OpSpec
from specs import distinct, ints, positive, randn


def _np_addmm(inp, m1, m2, beta=1, alpha=1):
    prod = alpha * (m1 @ m2)
    return prod if beta == 0 else beta * inp + prod


def _np_baddbmm(inp, b1, b2, beta=1, alpha=1):
    prod = alpha * np.matmul(b1, b2)
    return prod if beta == 0 else beta * inp + prod


def _np_addbmm(inp, b1, b2, beta=1, alpha=1):
    prod = alpha * np.matmul(b1, b2).sum(0)
    return prod if beta == 0 else beta * inp + prod


def _np_cross(a, b, dim=None):
    shape = np.broadcast_shapes(a.shape, b.shape)
    if dim is None:
        dim = shape.index(3)
    return np.cross(a, b, axis=dim)


def _np_cdist(x1, x2, p=2.0):
    d = np.abs(x1[..., :, None, :] - x2[..., None, :, :])
    if p == 0:
        return (d != 0).sum(-1).astype(x1.dtype)
    if np.isinf(p):
        return d.max(-1)
    return (d**p).sum(-1) ** (1.0 / p)


def _np_kron(a, b):
    return np.kron(a, b)


def _np_diff(x, n=1, dim=-1, prepend=None, append=None):
    kw = {}
    if prepend is not None:
        kw["prepend"] = prepend
    if append is not None:
        kw["append"] = append
    return np.diff(x, n=n, axis=dim, **kw)


def _np_block_diag(*ts):
    mats = [np.atleast_2d(t) for t in ts]
    out = np.zeros((sum(m.shape[0] for m in mats), sum(m.shape[1] for m in mats)))
    r = c = 0
    for m in mats:
        out[r : r + m.shape[0], c : c + m.shape[1]] = m
        r, c = r + m.shape[0], c + m.shape[1]
    return out


def _np_trap_terms(y, x=None, dx=None, dim=-1):
    y = np.moveaxis(y, dim, -1)
    avg = (y[..., 1:] + y[..., :-1]) / 2
    if x is None:
        return avg * (1.0 if dx is None else dx)
    x = np.moveaxis(x, dim, -1) if x.ndim > 1 else x
    return avg * (x[..., 1:] - x[..., :-1])


def _np_trapezoid(y, x=None, *, dx=None, dim=-1):
    return _np_trap_terms(y, x, dx, dim).sum(-1)


def _np_cumulative_trapezoid(y, x=None, *, dx=None, dim=-1):
    return np.moveaxis(np.cumsum(_np_trap_terms(y, x, dx, dim), -1), -1, dim)


def _np_renorm(x, p, dim, maxnorm):
    others = tuple(i for i in range(x.ndim) if i != dim % x.ndim)
    norm = (np.abs(x) ** p).sum(others, keepdims=True) ** (1.0 / p)
    return x * np.where(norm > maxnorm, maxnorm / (norm + 1e-7), 1.0)


def _np_aminmax(x, *, dim=None, keepdim=False):
    return (x.min(axis=dim, keepdims=keepdim), x.max(axis=dim, keepdims=keepdim))


def _np_bincount(x, weights=None, minlength=0):
    out = np.bincount(x, weights=weights, minlength=minlength)
    return out if weights is not None else out.astype(np.int64)


def _np_histc(x, bins=100, min=0, max=0):  # noqa: A002
    lo, hi = float(min), float(max)
    if lo == hi and x.size:
        lo, hi = float(x.min()), float(x.max())
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    return np.histogram(x, bins=bins, range=(lo, hi))[0].astype(x.dtype)


_counts = np.array([0, 3, 1, 3, 3, 5], dtype=np.int64)

SPECS = [
    OpSpec(
        "addmm",
        _np_addmm,
        [
            Case(randn(2, 4), randn(2, 3), randn(3, 4), id="full"),
            Case(randn(4), randn(2, 3), randn(3, 4), beta=0.5, alpha=2.0, id="bcast-scaled"),
            Case(randn(), randn(2, 3), randn(3, 4), id="0d-input"),
            Case(randn(2, 0), randn(2, 3), randn(3, 0), id="empty"),
            Case(randn(2, 4), randn(2, 3), randn(3, 4), transposed=(1,), id="transposed"),
        ],
    ),
    OpSpec(
        "addmm",
        _np_addmm,
        [Case(np.full((2, 4), np.nan), randn(2, 3), randn(3, 4), beta=0, id="beta0-nan")],
        grad=False,
    ),
    OpSpec(
        "baddbmm",
        _np_baddbmm,
        [
            Case(randn(2, 3, 4), randn(2, 3, 5), randn(2, 5, 4), id="full"),
            Case(randn(4), randn(2, 3, 5), randn(2, 5, 4), beta=2.0, alpha=0.5, id="bcast"),
            Case(randn(), randn(2, 3, 5), randn(2, 5, 4), id="0d-input"),
            Case(randn(0, 3, 4), randn(0, 3, 5), randn(0, 5, 4), id="empty"),
        ],
    ),
    OpSpec(
        "addbmm",
        _np_addbmm,
        [
            Case(randn(3, 4), randn(2, 3, 5), randn(2, 5, 4), id="full"),
            Case(randn(1, 4), randn(2, 3, 5), randn(2, 5, 4), beta=2.0, alpha=0.5, id="bcast"),
            Case(randn(), randn(2, 3, 5), randn(2, 5, 4), id="0d-input"),
            Case(randn(3, 4), randn(0, 3, 5), randn(0, 5, 4), id="empty-batch"),
        ],
    ),
    OpSpec(
        "mv",
        lambda m, v: m @ v,
        [
            Case(randn(3, 4), randn(4)),
            Case(randn(0, 4), randn(4), id="empty"),
            Case(randn(3, 4), randn(4), transposed=(0,), id="transposed"),
        ],
    ),
    OpSpec(
        "cross",
        _np_cross,
        [
            Case(randn(4, 3), randn(4, 3), id="default-dim"),
            Case(randn(3, 3), randn(3, 3), id="default-first"),
            Case(randn(3, 2), randn(3, 1), dim=0, id="bcast"),
            Case(randn(2, 3, 4), randn(2, 3, 4), dim=-2, id="neg-dim"),
            Case(randn(0, 3), randn(0, 3), dim=1, id="empty"),
            Case(randn(4, 3), randn(4, 3), transposed=(0,), dim=1, id="transposed"),
        ],
    ),
    OpSpec(
        "cdist",
        _np_cdist,
        [
            Case(randn(3, 2), randn(4, 2), id="p2"),
            Case(randn(3, 2), randn(4, 2), p=1.0, id="p1"),
            Case(randn(3, 2), randn(4, 2), p=3.0, id="p3"),
            Case(distinct(3, 2), distinct(4, 2), p=float("inf"), id="pinf"),
            Case(randn(2, 3, 2), randn(2, 4, 2), id="batched"),
            Case(randn(0, 2), randn(4, 2), id="empty"),
            Case(randn(3, 2), randn(4, 2), transposed=(0,), id="transposed"),
        ],
    ),
    OpSpec(
        "cdist",
        _np_cdist,
        [Case(np.array([[0.0, 1.0]]), np.array([[0.0, 2.0], [1.0, 3.0]]), p=0.0, id="p0")],
        grad=False,
    ),
    OpSpec(
        "trace",
        np.trace,
        [
            Case(randn(3, 3)),
            Case(randn(2, 4), id="wide"),
            Case(randn(0, 2), id="empty"),
            Case(randn(3, 2), transposed=(0,), id="transposed"),
        ],
    ),
    OpSpec(
        "kron",
        _np_kron,
        [
            Case(randn(2, 3), randn(2, 2)),
            Case(randn(3), randn(2, 2), id="ranks"),
            Case(randn(), randn(2), id="0d"),
            Case(randn(0, 2), randn(2, 2), id="empty"),
            Case(randn(3, 2), randn(2), transposed=(0,), id="transposed"),
        ],
    ),
    OpSpec(
        "fliplr",
        np.fliplr,
        [Case(randn(2, 3)), Case(randn(2, 3, 2), id="3d"), Case(randn(0, 2), id="empty")]
        + [Case(randn(3, 2), transposed=(0,), id="transposed")],
    ),
    OpSpec(
        "flipud",
        np.flipud,
        [Case(randn(2, 3)), Case(randn(4), id="1d"), Case(randn(0), id="empty")]
        + [Case(randn(3, 2), transposed=(0,), id="transposed")],
    ),
    OpSpec(
        "rot90",
        lambda x, k=1, dims=(0, 1): np.rot90(x, k, axes=dims),
        [
            Case(randn(2, 3)),
            Case(randn(2, 3), 2, id="k2"),
            Case(randn(2, 3), 3, id="k3"),
            Case(randn(2, 3), -1, id="k-1"),
            Case(randn(2, 3), 0, id="k0"),
            Case(randn(2, 3, 4), 1, (2, 0), id="dims"),
            Case(randn(0, 3), id="empty"),
            Case(randn(3, 2), transposed=(0,), id="transposed"),
        ],
    ),
    OpSpec(
        "diff",
        _np_diff,
        [
            Case(randn(5)),
            Case(randn(3, 5), 2, id="n2"),
            Case(randn(4, 3), 1, 0, id="dim0"),
            Case(randn(3), 5, id="n-too-big"),
            Case(randn(0), id="empty"),
            Case(randn(3, 4), transposed=(0,), id="transposed"),
        ],
    ),
    OpSpec(
        "diff",
        lambda x, pre, app: _np_diff(x, prepend=pre, append=app),
        [Case(randn(3, 4), randn(3, 2), randn(3, 1), id="pre-app")],
        fn=lambda x, pre, app: nt.diff(x, prepend=pre, append=app),
    ),
    OpSpec(
        "block_diag",
        _np_block_diag,
        [
            Case(randn(2, 3), randn(1, 2)),
            Case(randn(), randn(3), randn(2, 2), id="ranks"),
            Case(randn(0, 2), randn(2, 1), id="empty"),
            Case(randn(3, 2), randn(2, 2), transposed=(0,), id="transposed"),
        ],
    ),
    OpSpec(
        "diagflat",
        lambda x, offset=0: np.diagflat(x, offset),
        [
            Case(randn(3)),
            Case(randn(2, 2), 1, id="2d-off"),
            Case(randn(3), -2, id="neg-off"),
            Case(randn(), id="0d"),
            Case(randn(0), id="empty"),
            Case(randn(3, 2), transposed=(0,), id="transposed"),
        ],
    ),
    OpSpec(
        "trapezoid",
        _np_trapezoid,
        [
            Case(randn(5)),
            Case(randn(3, 4), dx=0.5, id="dx"),
            Case(randn(3, 4), np.sort(randn(3)), dim=0, id="x1d"),
            Case(randn(3, 4), np.sort(randn(3, 4), 1), id="x-full"),
            Case(randn(1), id="one-point"),
            Case(randn(0, 3), dim=1, id="empty"),
            Case(randn(4, 3), transposed=(0,), id="transposed"),
        ],
    ),
    OpSpec(
        "cumulative_trapezoid",
        _np_cumulative_trapezoid,
        [
            Case(randn(5)),
            Case(randn(3, 4), dx=0.5, id="dx"),
            Case(randn(3, 4), np.sort(randn(3)), dim=0, id="x1d"),
            Case(randn(3, 4), np.sort(randn(3, 4), 1), id="x-full"),
            Case(randn(0, 3), dim=1, id="empty"),
            Case(randn(4, 3), transposed=(0,), id="transposed"),
        ],
    ),
    OpSpec(
        "renorm",
        _np_renorm,
        [
            Case(randn(3, 4), 2, 0, 1.0),
            Case(randn(3, 4), 1, 1, 1.5, id="p1-dim1"),
            Case(positive(2, 3, 2), 3, -1, 2.0, id="p3"),
            Case(randn(3, 4), 2, 0, 100.0, id="untouched"),
            Case(randn(0, 4), 2, 0, 1.0, id="empty"),
            Case(randn(4, 3), 2, 0, 1.0, transposed=(0,), id="transposed"),
        ],
    ),
    OpSpec(
        "aminmax",
        _np_aminmax,
        [
            Case(distinct(3, 4)),
            Case(distinct(3, 4), dim=1, id="dim"),
            Case(distinct(3, 4), dim=0, keepdim=True, id="keepdim"),
            Case(distinct(), id="0d"),
            Case(distinct(4, 3), dim=1, transposed=(0,), id="transposed"),
        ],
    ),
    OpSpec(
        "bincount",
        _np_bincount,
        [
            Case(_counts),
            Case(_counts, minlength=9, id="minlength"),
            Case(_counts, randn(6), id="weights"),
            Case(np.zeros(0, dtype=np.int64), id="empty"),
            Case(ints(0, 4, 10), minlength=2, id="random"),
        ],
        grad=False,
    ),
    OpSpec(
        "histc",
        _np_histc,
        [
            Case(randn(20), 5),
            Case(randn(4, 5), 4, -1.0, 1.0, id="range"),
            Case(np.array([1.0, 2.0, 1.0]), 4, id="data-range"),
            Case(np.array([2.0, 2.0]), 3, id="flat"),
            Case(randn(0), 3, id="empty"),
            Case(randn(4, 3), 6, transposed=(0,), id="transposed"),
        ],
        grad=False,
    ),
]
