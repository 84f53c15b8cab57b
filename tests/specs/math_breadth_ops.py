"""Specs for the breadth of math ops in nanotorch/ops/math_breadth.py (quantiles, products and
contractions, distances, matrix powers), each against a NumPy float64 reference.

The inputs come from this module's own random stream, so adding a case here never changes
the inputs of another spec module."""

from __future__ import annotations

import numpy as np

import nanotorch as nt
from nanotorch.testing import Case, OpSpec

_rng = np.random.default_rng(4242)


def randn(*shape: int) -> np.ndarray:
    return np.asarray(_rng.standard_normal(shape))


def distinct(*shape: int) -> np.ndarray:
    """No ties, and gaps between neighbours well above a finite-difference step."""
    n = int(np.prod(shape)) if shape else 1
    values = _rng.permutation(n).astype(np.float64) + 0.3 * _rng.uniform(size=n)
    return values.reshape(shape) if shape else np.asarray(values[0])


def _wellcond(*shape: int) -> np.ndarray:
    n = shape[-1]
    return randn(*shape) / np.sqrt(n) + 2 * np.eye(n)


# ----------------------------------------------------------------------------- quantiles
def _np_quantile(x, q, dim=None, keepdim=False, *, interpolation="linear", nan=False):
    q = np.asarray(q, dtype=np.float64)
    fn = np.nanquantile if nan else np.quantile
    with np.errstate(invalid="ignore"):
        out = fn(x, q, axis=dim, keepdims=keepdim, method=interpolation)
    if keepdim and dim is None:  # NumPy keeps every dim too, as size 1
        out = out.reshape(q.shape + (1,) * x.ndim)
    return np.asarray(out, dtype=x.dtype)


def _q_tensor(x: nt.Tensor, q: list[float]) -> nt.Tensor:
    return nt.tensor(q, dtype=x.dtype, device=x.device)


def _quantile_specs(name: str, nan: bool) -> list[OpSpec]:
    op = getattr(nt, name)

    def ref(x, q, dim=None, keepdim=False, interpolation="linear"):
        return _np_quantile(x, q, dim, keepdim, interpolation=interpolation, nan=nan)

    def with_q_tensor(x, q, **kw):
        return op(x, _q_tensor(x, q), **kw)

    cases = [
        Case(distinct(7), 0.3, id="all"),
        Case(distinct(3, 5), 0.6, dim=1, id="dim"),
        Case(distinct(3, 5), 0.6, dim=0, keepdim=True, id="dim0-keepdim"),
        Case(distinct(2, 3), 0.25, keepdim=True, id="all-keepdim"),
        Case(distinct(), 0.4, id="0d"),
        Case(distinct(3, 4), 0.35, dim=1, id="transposed", transposed=(0,)),
        *[
            Case(distinct(3, 6), 0.3, dim=-1, interpolation=mode, id=mode)
            for mode in ("lower", "higher", "midpoint", "nearest")
        ],
    ]
    tensor_q = [
        Case(distinct(3, 6), [0.1, 0.5, 0.85], dim=1, id="q-tensor"),
        Case(distinct(3, 6), [0.1, 0.85], dim=0, keepdim=True, id="q-tensor-keepdim"),
        Case(distinct(5), [0.0, 1.0], interpolation="midpoint", id="q-tensor-ends"),
    ]
    specs = [
        OpSpec(name, ref, cases),
        OpSpec(name, ref, tensor_q, fn=with_q_tensor),
    ]
    if nan:
        x = distinct(3, 5)
        x[0, 1] = x[2, 0] = x[2, 4] = np.nan
        specs.append(OpSpec(name, ref, [Case(x, 0.4, dim=1, id="nan-rows")], grad=False))
    return specs


# ---------------------------------------------------------------------- products and dots
def _np_dist(a, b, p=2.0):
    d = np.abs(a - b).reshape(-1)
    if p == 0:
        return np.asarray(np.count_nonzero(d), dtype=a.dtype)
    if np.isinf(p):
        return np.asarray(d.max() if p > 0 else d.min(), dtype=a.dtype)
    return np.asarray((d**p).sum() ** (1.0 / p), dtype=a.dtype)


def _np_addmv(inp, mat, vec, *, beta=1, alpha=1):
    prod = alpha * (mat @ vec)
    return prod if beta == 0 else beta * inp + prod


def _np_addr(inp, v1, v2, *, beta=1, alpha=1):
    prod = alpha * np.outer(v1, v2)
    return prod if beta == 0 else beta * inp + prod


def _np_inner(a, b):
    return np.asarray(np.inner(a, b))


def _np_tensordot(a, b, dims=2):
    return np.tensordot(a, b, axes=dims)


SPECS = [
    *_quantile_specs("quantile", nan=False),
    *_quantile_specs("nanquantile", nan=True),
    OpSpec(
        "logaddexp2",
        np.logaddexp2,
        [
            Case(randn(3, 4), randn(3, 4)),
            Case(randn(3, 1), randn(1, 4), id="bcast-both"),
            Case(randn(), randn(2, 3), id="bcast-0d"),
            Case(randn(0, 3), randn(3), id="empty"),
            Case(randn(3, 4), randn(3, 4), transposed=(0,), id="transposed"),
            Case(randn(3, 4) * 40, randn(3, 4) * 40, id="wide-range"),
        ],
        gradgrad=True,
    ),
    OpSpec(
        "dist",
        _np_dist,
        [
            Case(randn(3, 4), randn(3, 4), id="p2"),
            Case(randn(3, 4), randn(4), 1.0, id="p1-bcast"),
            Case(randn(3, 4), randn(3, 4), 3.0, id="p3"),
            Case(distinct(2, 3), distinct(2, 3) * 0.5, float("inf"), id="pinf"),
            Case(distinct(2, 3), distinct(2, 3) * 0.5, float("-inf"), id="pneginf"),
            Case(randn(), randn(3), id="0d"),
            Case(randn(0, 3), randn(3), id="empty"),
            Case(randn(3, 4), randn(3, 4), transposed=(0,), id="transposed"),
        ],
    ),
    OpSpec(
        "dist",
        _np_dist,
        [Case(np.array([1.0, 2.0, 3.0]), np.array([1.0, 0.0, 0.5]), 0.0, id="p0")],
        grad=False,
    ),
    OpSpec(
        "vdot",
        lambda a, b: np.asarray(np.vdot(a, b)),
        [Case(randn(5), randn(5)), Case(randn(0), randn(0), id="empty")],
    ),
    OpSpec(
        "inner",
        _np_inner,
        [
            Case(randn(4), randn(4), id="vectors"),
            Case(randn(2, 3, 4), randn(5, 4), id="batched"),
            Case(randn(), randn(2, 3), id="0d"),
            Case(randn(2, 0), randn(3, 0), id="empty"),
            Case(randn(2, 4), randn(3, 4), transposed=(0,), id="transposed"),
        ],
    ),
    OpSpec(
        "addmv",
        _np_addmv,
        [
            Case(randn(3), randn(3, 4), randn(4), id="full"),
            Case(randn(1), randn(3, 4), randn(4), beta=0.5, alpha=2.0, id="bcast-scaled"),
            Case(randn(), randn(3, 4), randn(4), id="0d-input"),
            Case(randn(0), randn(0, 4), randn(4), id="empty"),
            Case(randn(3), randn(3, 4), randn(4), transposed=(1,), id="transposed"),
        ],
    ),
    OpSpec(
        "addmv",
        _np_addmv,
        [Case(np.full(3, np.nan), randn(3, 4), randn(4), beta=0, id="beta0-nan")],
        grad=False,
    ),
    OpSpec(
        "addr",
        _np_addr,
        [
            Case(randn(3, 4), randn(3), randn(4), id="full"),
            Case(randn(4), randn(3), randn(4), beta=2.0, alpha=0.5, id="bcast-scaled"),
            Case(randn(), randn(3), randn(4), id="0d-input"),
            Case(randn(3, 0), randn(3), randn(0), id="empty"),
            Case(randn(3, 4), randn(3), randn(4), transposed=(0,), id="transposed"),
        ],
    ),
    OpSpec(
        "chain_matmul",
        lambda *ms: np.linalg.multi_dot(ms) if len(ms) > 1 else ms[0],
        [
            Case(randn(2, 3), randn(3, 4), randn(4, 2), id="three"),
            Case(randn(2, 3), randn(3, 5), id="two"),
            Case(randn(2, 3), id="one"),
            Case(randn(2, 0), randn(0, 3), randn(3, 2), id="empty"),
            Case(randn(2, 3), randn(3, 4), transposed=(0,), id="transposed"),
        ],
    ),
    OpSpec(
        "matrix_power",
        np.linalg.matrix_power,
        [
            Case(randn(3, 3), 3, id="n3"),
            Case(randn(3, 3), 1, id="n1"),
            Case(randn(2, 3, 3), 0, id="n0-batched"),
            Case(randn(3, 3), 6, id="n6"),
            Case(_wellcond(3, 3), -2, id="negative"),
            Case(_wellcond(2, 3, 3), -1, id="negative-batched"),
            Case(randn(0, 2, 2), 2, id="empty"),
            Case(randn(3, 3), 2, transposed=(0,), id="transposed"),
        ],
    ),
    OpSpec(
        "tensordot",
        _np_tensordot,
        [
            Case(randn(2, 3, 4), randn(3, 4, 5), id="dims2"),
            Case(randn(2, 3), randn(3, 4), 1, id="dims1"),
            Case(randn(2, 3), randn(4, 5), 0, id="dims0-outer"),
            Case(randn(2, 3, 4), randn(4, 2, 5), ([0, 2], [1, 0]), id="pairs"),
            Case(randn(2, 0), randn(0, 3), 1, id="empty"),
            Case(randn(4, 3), randn(4, 2), ([0], [0]), transposed=(0,), id="transposed"),
        ],
    ),
]
