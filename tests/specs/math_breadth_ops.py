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


# --------------------------------------------------- numeric helpers (ops/numeric.py)
def _np_cov(x, *, correction=1, fweights=None, aweights=None):
    out = np.cov(x, ddof=correction, fweights=fweights, aweights=aweights)
    return np.asarray(out, dtype=np.result_type(x, aweights if aweights is not None else x))


def _np_gradient(x, *, spacing=1, dim=None, edge_order=1):
    dims = tuple(range(x.ndim)) if dim is None else (dim,) if isinstance(dim, int) else dim
    steps = spacing if isinstance(spacing, (list, tuple)) else [spacing] * len(dims)
    out = np.gradient(x, *steps, axis=dims, edge_order=edge_order)
    return tuple(out) if isinstance(out, (list, tuple)) else (out,)


def _np_pdist(x, p=2.0):
    i, j = np.triu_indices(x.shape[0], 1)
    d = np.abs(x[i] - x[j])
    if np.isinf(p):
        return d.max(-1) if d.size else np.zeros(0, x.dtype)
    return (d**p).sum(-1) ** (1.0 / p)


def _np_combinations(x, r=2, with_replacement=False):
    import itertools

    if r == 0:
        return x[:0]
    pick = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    rows = list(pick(range(x.shape[0]), r))
    return x[np.asarray(rows, dtype=np.int64).reshape(-1, r)]


def _np_unravel(idx, shape):
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    out, stride = [], 1
    for s in reversed(shape):
        out.append((idx // stride) % s)
        stride *= s
    return tuple(reversed(out))


def _np_histogram(x, bins, *, range=None, weight=None, density=False):  # noqa: A002
    lo, hi = range if range is not None else (x.min(), x.max())
    if lo == hi:
        lo, hi = lo - 0.5, hi + 0.5
    hist, edges = np.histogram(x, bins, range=(lo, hi), weights=weight, density=density)
    return hist.astype(x.dtype), edges.astype(x.dtype)


_fw = np.array([1, 3, 2, 1], dtype=np.int64)

SPECS += [
    OpSpec(
        "cov",
        _np_cov,
        [
            Case(randn(3, 5), id="rows"),
            Case(randn(6), id="1d"),
            Case(randn(2, 4), correction=0, id="correction0"),
            Case(randn(3, 2), transposed=(0,), id="transposed"),
        ],
    ),
    OpSpec(
        "cov",
        lambda x, fw, aw, correction=1: _np_cov(x, correction=correction, fweights=fw, aweights=aw),
        [
            Case(randn(2, 4), _fw, np.abs(randn(4)) + 0.5, id="both"),
            Case(randn(2, 4), _fw, np.abs(randn(4)) + 0.5, correction=0, id="both-corr0"),
            Case(randn(2, 4), _fw, np.abs(randn(4)) + 0.5, correction=2, id="both-corr2"),
        ],
        fn=lambda x, fw, aw, correction=1: nt.cov(
            x, correction=correction, fweights=fw, aweights=aw
        ),
    ),
    OpSpec(
        "cov",
        lambda x, fw: _np_cov(x, fweights=fw),
        [Case(randn(2, 4), _fw, id="fweights")],
        fn=lambda x, fw: nt.cov(x, fweights=fw),
    ),
    OpSpec(
        "corrcoef",
        lambda x: np.asarray(np.corrcoef(x)),
        [Case(randn(3, 5)), Case(randn(2, 4), transposed=(0,), id="transposed")],
    ),
    OpSpec("corrcoef", lambda x: np.asarray(np.corrcoef(x)), [Case(randn(5), id="1d")], grad=False),
    OpSpec(
        "gradient",
        _np_gradient,
        [
            Case(randn(6), id="1d"),
            Case(randn(3, 4), spacing=0.5, id="2d-scalar-step"),
            Case(randn(3, 4), spacing=[2.0], dim=1, edge_order=2, id="edge2"),
            Case(randn(4, 3), spacing=[1.5, 0.5], dim=[1, 0], id="dims"),
            Case(randn(3, 4), transposed=(0,), id="transposed"),
        ],
    ),
    OpSpec(
        "gradient",
        lambda x, c, edge_order=1: _np_gradient(x, spacing=[c], dim=0, edge_order=edge_order),
        [
            Case(randn(5, 2), np.array([0.0, 0.5, 1.5, 2.0, 3.5]), id="coords"),
            Case(randn(5), np.array([0.0, 1.0, 1.5, 3.0, 3.2]), edge_order=2, id="coords-edge2"),
        ],
        fn=lambda x, c, edge_order=1: nt.gradient(x, spacing=[c], dim=0, edge_order=edge_order),
    ),
    OpSpec(
        "vander",
        lambda x, N=None, increasing=False: np.vander(x, N, increasing),
        [
            Case(randn(4)),
            Case(randn(3), 5, id="wide"),
            Case(randn(3), 2, True, id="increasing"),
            Case(randn(0), id="empty"),
            Case(np.array([0.0, 1.5, -2.0]), id="zero"),
        ],
    ),
    OpSpec(
        "pdist",
        _np_pdist,
        [
            Case(randn(4, 3), id="p2"),
            Case(randn(4, 3), 1.0, id="p1"),
            Case(randn(3, 2), 3.0, id="p3"),
            Case(distinct(3, 4), float("inf"), id="pinf"),
            Case(randn(1, 3), id="one-row"),
            Case(randn(3, 4), transposed=(0,), id="transposed"),
        ],
    ),
    OpSpec(
        "histogram",
        _np_histogram,
        [
            Case(randn(20), 5, id="count"),
            Case(randn(4, 5), 4, range=(-1.0, 1.0), id="range"),
            Case(randn(10), 3, density=True, id="density"),
            Case(np.ones(3), 2, id="one-value"),
        ],
        grad=False,
    ),
    OpSpec(
        "histogram",
        lambda x, w: _np_histogram(x, 3, weight=w),
        [Case(randn(10), np.abs(randn(10)), id="weight")],
        fn=lambda x, w: nt.histogram(x, 3, weight=w),
        grad=False,
    ),
    OpSpec(
        "histogram",
        lambda x, edges: _np_histogram(x, edges),
        [Case(randn(12), np.array([-2.0, -0.5, 0.0, 1.0, 3.0]), id="edges")],
        grad=False,
    ),
    OpSpec(
        "isin",
        lambda a, b, invert=False: np.isin(a, b, invert=invert),
        [
            Case(np.array([[1, 2], [3, 4]]), np.array([2, 4, 7]), id="ints"),
            Case(np.array([1.5, 2.0, np.nan]), np.array([2.0, np.nan]), id="floats-nan"),
            Case(np.array([1, 2, 3]), np.array([2]), invert=True, id="invert"),
            Case(np.zeros(0, dtype=np.int64), np.array([1]), id="empty"),
        ],
        grad=False,
    ),
    OpSpec(
        "isreal",
        np.isreal,
        [Case(randn(2, 3)), Case(np.array([1, 2])), Case(randn(0), id="empty")],
        grad=False,
    ),
    OpSpec(
        "combinations",
        _np_combinations,
        [
            Case(randn(4), id="r2"),
            Case(randn(4), 3, id="r3"),
            Case(randn(3), 2, True, id="replacement"),
            Case(randn(2), 3, id="r-too-big"),
            Case(randn(3), 0, id="r0"),
        ],
    ),
    OpSpec(
        "unravel_index",
        _np_unravel,
        [
            Case(np.array([0, 5, 11, 7]), (3, 4), id="2d"),
            Case(np.array([[3, -1], [24, 9]]), (2, 3, 4), id="wrap"),
            Case(np.array(4), 6, id="0d"),
        ],
        grad=False,
    ),
    OpSpec(
        "frexp",
        np.frexp,
        [Case(randn(3, 4) * 100), Case(randn(), id="0d"), Case(randn(0), id="empty")],
    ),
    OpSpec(
        "frexp",
        np.frexp,
        [Case(np.array([0.0, -0.0, np.inf, -np.inf, 1.0, 0.5, -4.0]), id="special")],
        grad=False,
    ),
    OpSpec(
        "nextafter",
        np.nextafter,
        [
            Case(randn(3, 4), randn(3, 4)),
            Case(randn(3, 1), randn(1, 4), id="bcast"),
            Case(randn(0, 3), randn(3), id="empty"),
            Case(randn(3, 4), randn(3, 4), transposed=(0,), id="transposed"),
        ],
    ),
]


# ------------------------------------------- special functions (ops/special_functions.py)
def _np_bessel_i0(x):
    # The power series, summed far past convergence for |x| < 20 (the spec's range).
    x = np.asarray(x, dtype=np.float64)
    q, term, total = x * x / 4.0, np.ones_like(x), np.ones_like(x)
    for k in range(1, 120):
        term = term * q / (k * k)
        total = total + term
    return total


def _np_polygamma(n, x):
    # psi^(n)(x) = (-1)^(n+1) n! sum_k (x + k)^-(n+1): the sum to 20000 terms plus the
    # integral of the rest (accurate to about 1e-12 for n >= 1, x > 0).
    import math

    x = np.asarray(x, dtype=np.float64)
    k = np.arange(20000, dtype=np.float64)
    s = ((x[..., None] + k) ** -(n + 1.0)).sum(-1)
    tail_at = x + 20000.0
    s = s + tail_at ** (-float(n)) / n - 0.5 * tail_at ** (-(n + 1.0))
    return (-1) ** (n + 1) * math.factorial(n) * s


def _np_mvlgamma(x, p):
    import math

    lg = np.vectorize(math.lgamma, otypes=[np.float64])
    return sum(lg(x - i / 2) for i in range(p)) + p * (p - 1) / 4 * math.log(math.pi)


def _np_igamma(a, x, upper=False):
    import math

    def one(a_, x_):
        # Series for P; 1 - P for Q (the spec's arguments keep Q well away from 0).
        term = total = 1.0 / a_
        for n in range(1, 400):
            term *= x_ / (a_ + n)
            total += term
        p = total * math.exp(a_ * math.log(x_) - x_ - math.lgamma(a_))
        return 1.0 - p if upper else p

    return np.vectorize(one, otypes=[np.float64])(a, x)


def _pos(*shape: int) -> np.ndarray:
    return np.asarray(_rng.uniform(0.5, 3.0, shape))


SPECS += [
    OpSpec(
        "i0",
        _np_bessel_i0,
        [
            Case(randn(3, 4) * 3),
            Case(randn(), id="0d"),
            Case(randn(0), id="empty"),
            Case(randn(3, 4), transposed=(0,), id="transposed"),
        ],
        gradgrad=True,
    ),
    # Values from 0 to 19 (where both series meet their limits); forward only, since the
    # finite differences of a sum dominated by I0(19) ~ 1.6e7 cannot resolve the small slopes.
    OpSpec(
        "i0",
        _np_bessel_i0,
        [Case(np.array([0.0, 1e-3, -7.5, 12.0, 19.0]), id="range")],
        grad=False,
    ),
    OpSpec(
        "polygamma",
        _np_polygamma,
        [
            Case(1, _pos(3, 4), id="n1"),
            Case(2, _pos(5), id="n2"),
            Case(3, _pos(2, 3), transposed=(1,), id="n3-transposed"),
            Case(4, np.array([0.7, 1.0, 12.5, 40.0]), id="n4-range"),
            Case(2, _pos(), id="0d"),
            Case(2, _pos(0), id="empty"),
        ],
        gradgrad=True,
        rtol=1e-4,
    ),
    OpSpec(
        "mvlgamma",
        _np_mvlgamma,
        [
            Case(_pos(3, 4) + 1.5, 3, id="p3"),
            Case(_pos(4) + 0.1, 1, id="p1"),
            Case(_pos(), 2, id="0d"),
            Case(_pos(0), 4, id="empty"),
            Case(_pos(3, 4) + 2.0, 4, transposed=(0,), id="transposed"),
        ],
    ),
    # The shape a is a constant (a list, made a tensor on the case's device): PyTorch has no
    # derivative with respect to it, so gradcheck must not perturb it.
    *[
        OpSpec(
            name,
            lambda x, a, name=name: _np_igamma(np.asarray(a), x, upper=name == "igammac"),
            [
                Case(_pos(3, 4), _pos(3, 4).tolist(), id="series"),
                Case(_pos(1, 4) + 3.0, _pos(3, 1).tolist(), id="bcast-fraction"),
                Case(_pos(2, 3), float(_pos()), id="0d-a"),
                Case(_pos(0, 3), _pos(3).tolist(), id="empty"),
                Case(_pos(3, 4), _pos(3, 4).tolist(), transposed=(0,), id="transposed"),
            ],
            fn=lambda x, a, name=name: getattr(nt, name)(
                nt.tensor(a, dtype=x.dtype, device=x.device), x
            ),
        )
        for name in ("igamma", "igammac")
    ],
]


# ------------------------------------------------- solvers (ops/linalg_solvers.py)
def _spd(n: int, *batch: int) -> np.ndarray:
    a = randn(*batch, n, n)
    return a @ np.swapaxes(a, -1, -2) + n * np.eye(n)


def _lower(n: int, *batch: int) -> np.ndarray:
    return np.tril(randn(*batch, n, n)) + 3 * np.eye(n)


def _np_tri(a, upper, unit=False):
    t = np.triu(a) if upper else np.tril(a)
    if unit:
        t = t - np.eye(a.shape[-1]) * np.diagonal(a, 0, -2, -1)[..., None, :] + np.eye(a.shape[-1])
    return t


def _np_solve(a, b):
    return np.linalg.solve(a, b)


def _np_lu(a):
    """Packed LU with partial pivoting (the textbook loop, one matrix at a time)."""
    a = np.array(a, dtype=np.float64)
    out = np.empty_like(a)
    pivs = np.empty(a.shape[:-2] + (min(a.shape[-2:]),), dtype=np.int32)
    for idx in np.ndindex(a.shape[:-2]):
        m = a[idx].copy()
        for j in range(min(m.shape)):
            p = j + int(np.argmax(np.abs(m[j:, j])))
            m[[j, p]] = m[[p, j]]
            pivs[idx + (j,)] = p + 1
            if m[j, j] != 0:
                m[j + 1 :, j] /= m[j, j]
                m[j + 1 :, j + 1 :] -= np.outer(m[j + 1 :, j], m[j, j + 1 :])
        out[idx] = m
    return out, pivs


def _np_expm(a):
    # Eigen-decomposition of a symmetric matrix: exact for the spec's symmetric inputs.
    w, v = np.linalg.eigh(a)
    return (v * np.exp(w)[..., None, :]) @ np.swapaxes(v, -1, -2)


def _np_lstsq(a, b):
    return np.linalg.pinv(a) @ b


SPECS += [
    OpSpec(
        "triangular_solve",
        lambda b, a, upper=True, transpose=False, unitriangular=False: (
            _np_solve(
                np.swapaxes(_np_tri(a, upper, unitriangular), -1, -2)
                if transpose
                else _np_tri(a, upper, unitriangular),
                b,
            ),
            a,
        ),
        [
            Case(randn(3, 2), _lower(3).T.copy(), id="upper"),
            Case(randn(3, 2), _lower(3), upper=False, id="lower"),
            Case(randn(3, 1), _lower(3), upper=False, transpose=True, id="transpose"),
            Case(randn(3, 2), randn(3, 3), unitriangular=True, id="unit"),
            Case(randn(2, 3, 2), _lower(3), upper=False, id="bcast"),
            Case(randn(3, 0), _lower(3), upper=False, id="empty"),
            Case(randn(3, 2), _lower(3), upper=False, transposed=(1,), id="transposed"),
        ],
    ),
    OpSpec(
        "triangular_solve",
        lambda a, b, upper, left=True, unitriangular=False: (
            _np_solve(_np_tri(a, upper, unitriangular), b)
            if left
            else np.swapaxes(
                _np_solve(
                    np.swapaxes(_np_tri(a, upper, unitriangular), -1, -2), np.swapaxes(b, -1, -2)
                ),
                -1,
                -2,
            )
        ),
        [
            Case(_lower(3), randn(3, 2), upper=False, id="linalg-lower"),
            Case(_lower(3).T.copy(), randn(2, 3), upper=True, left=False, id="linalg-right"),
            Case(randn(2, 3, 3), randn(3, 2), upper=True, unitriangular=True, id="linalg-unit"),
        ],
        fn=lambda a, b, **kw: nt.linalg.solve_triangular(a, b, **kw),
    ),
    OpSpec(
        "cholesky_solve",
        lambda b, low, upper=False: _np_solve(
            np.swapaxes(low, -1, -2) @ low if upper else low @ np.swapaxes(low, -1, -2), b
        ),
        [
            Case(randn(3, 2), _lower(3), id="lower"),
            Case(randn(3, 2), _lower(3).T.copy(), upper=True, id="upper"),
            Case(randn(2, 3, 1), _lower(3, 2), id="batched"),
            Case(randn(3, 2), _lower(3), transposed=(0,), id="transposed"),
        ],
    ),
    OpSpec(
        "cholesky_inverse",
        lambda low, upper=False: np.linalg.inv(
            np.swapaxes(low, -1, -2) @ low if upper else low @ np.swapaxes(low, -1, -2)
        ),
        [
            Case(_lower(3), id="lower"),
            Case(_lower(3).T.copy(), upper=True, id="upper"),
            Case(_lower(2, 2), id="batched"),
            Case(_lower(3), transposed=(0,), id="transposed"),
        ],
    ),
    OpSpec(
        "matrix_exp",
        _np_expm,
        [
            Case(_spd(3) / 4, id="small-norm"),
            Case(_spd(3), id="scaled"),
            Case(_spd(2, 2) / 3, id="batched"),
            Case(np.zeros((3, 3)), id="zero"),
            Case(randn(0, 2, 2), id="empty"),
            Case(_spd(3) / 2, transposed=(0,), id="transposed"),
        ],
        gradgrad=True,
        rtol=1e-4,
    ),
    OpSpec(
        "matrix_exp",
        lambda a: np.array([[np.exp(a[0, 0]), 0.0], [0.0, np.exp(a[1, 1])]]),
        [Case(np.diag([1.5, -2.0]), id="diagonal")],
        fn=lambda a: nt.linalg.matrix_exp(a),
    ),
    OpSpec(
        "lu",
        _np_lu,
        [
            Case(randn(4, 4), id="square"),
            Case(randn(2, 3, 3), id="batched"),
            Case(randn(3, 3), transposed=(0,), id="transposed"),
        ],
        gradgrad=True,
    ),
    OpSpec(
        "lu",
        _np_lu,
        [
            Case(randn(4, 3), id="tall"),
            Case(randn(2, 4), id="wide"),
            Case(np.array([[1.0, 2.0], [2.0, 4.0]]), id="singular"),
            Case(randn(0, 3, 3), id="empty"),
        ],
        grad=False,
    ),
    OpSpec(
        "lu_unpack",
        lambda lu_, piv: _np_unpack(lu_, piv),
        [
            Case(*_np_lu(randn(3, 3)), id="square"),
            Case(*_np_lu(randn(2, 4, 3)), id="tall-batched"),
            Case(*_np_lu(randn(2, 4)), id="wide"),
        ],
        fn=lambda lu_, piv: nt.lu_unpack(lu_, piv.int()),
    ),
    OpSpec(
        "lu_solve",
        lambda b, lu_, piv: _np_solve(_np_recompose(lu_, piv), b),
        [
            Case(randn(3, 2), *_np_lu(randn(3, 3) + 2 * np.eye(3)), id="square"),
            Case(randn(2, 3, 1), *_np_lu(randn(2, 3, 3) + 2 * np.eye(3)), id="batched"),
        ],
        fn=lambda b, lu_, piv: nt.lu_solve(b, lu_, piv.int()),
    ),
    OpSpec(
        "lu_solve",
        lambda a, b, left=True, adjoint=False: _np_lu_solve_ref(a, b, left, adjoint),
        [
            Case(randn(3, 3) + 2 * np.eye(3), randn(3, 2), id="linalg-left"),
            Case(randn(3, 3) + 2 * np.eye(3), randn(3, 2), adjoint=True, id="linalg-adjoint"),
            Case(randn(3, 3) + 2 * np.eye(3), randn(2, 3), left=False, id="linalg-right"),
            Case(
                randn(3, 3) + 2 * np.eye(3),
                randn(2, 3),
                left=False,
                adjoint=True,
                id="linalg-right-adjoint",
            ),
        ],
        fn=lambda a, b, **kw: nt.linalg.lu_solve(*nt.linalg.lu_factor(a), b, **kw),
    ),
    OpSpec(
        "lu",
        lambda a: _np_unpack(*_np_lu(a)),
        [Case(randn(3, 3), id="linalg-lu"), Case(randn(2, 3, 3), id="linalg-lu-batched")],
        fn=lambda a: nt.linalg.lu(a),
    ),
    OpSpec(
        "lu",
        lambda a, b: _np_lstsq(a, b),
        [
            Case(randn(5, 3), randn(5, 2), id="lstsq-tall"),
            Case(randn(2, 4), randn(2, 3), id="lstsq-wide"),
            Case(randn(2, 4, 3), randn(2, 4, 1), id="lstsq-batched"),
        ],
        fn=lambda a, b: nt.linalg.lstsq(a, b).solution,
        rtol=1e-4,
    ),
]


def _np_perm(piv, m):
    perm = np.arange(m)
    for j, p in enumerate(piv):
        perm[[j, p - 1]] = perm[[p - 1, j]]
    out = np.zeros((m, m))
    out[perm, np.arange(m)] = 1.0
    return out


def _np_unpack(lu_, piv):
    m, n = lu_.shape[-2:]
    k = min(m, n)
    ps = np.empty(lu_.shape[:-2] + (m, m))
    for idx in np.ndindex(lu_.shape[:-2]):
        ps[idx] = _np_perm(piv[idx], m)
    low = np.tril(lu_[..., :, :k], -1) + np.eye(m, k)
    return ps, low, np.triu(lu_[..., :k, :])


def _np_recompose(lu_, piv):
    p, low, up = _np_unpack(lu_, piv)
    return p @ low @ up


def _np_lu_solve_ref(a, b, left, adjoint):
    m = np.swapaxes(a, -1, -2) if adjoint else a
    if left:
        return np.linalg.solve(m, b)
    return np.swapaxes(np.linalg.solve(np.swapaxes(m, -1, -2), np.swapaxes(b, -1, -2)), -1, -2)


def _np_qr(a, some=True):
    q, r = np.linalg.qr(a, mode="reduced" if some else "complete")
    # LAPACK's signs: R's diagonal may be negative; nanotorch and NumPy share LAPACK's choice.
    return q, r


SPECS += [
    OpSpec(
        "qr",
        _np_qr,
        [
            Case(randn(4, 3), id="tall"),
            Case(randn(3, 3), id="square"),
            Case(randn(2, 4), id="wide"),
            Case(randn(2, 3, 5), id="wide-batched"),
            Case(randn(2, 4), transposed=(0,), id="transposed"),
        ],
    ),
    OpSpec(
        "qr",
        _np_qr,
        [Case(randn(4, 2), False, id="complete"), Case(randn(0, 3), id="empty")],
        grad=False,
    ),
    OpSpec(
        "qr",
        lambda a: np.linalg.qr(a, mode="complete"),
        [Case(randn(2, 4), id="linalg-complete-wide")],
        fn=lambda a: nt.linalg.qr(a, mode="complete"),
    ),
]


def _np_svd(a, some=True, compute_uv=True):
    # torch.svd's (U, S, V); NumPy and nanotorch share LAPACK's signs for U and V.
    if not compute_uv:
        m, n = a.shape[-2:]
        batch = a.shape[:-2]
        s = np.linalg.svd(a, compute_uv=False)
        return np.zeros(batch + (m, m)), s, np.zeros(batch + (n, n))
    u, s, vh = np.linalg.svd(a, full_matrices=not some)
    return u, s, np.swapaxes(vh, -1, -2)


SPECS += [
    OpSpec(
        "svd",
        _np_svd,
        [
            Case(randn(4, 3), id="tall"),
            Case(randn(2, 3, 4), id="wide-batched"),
            Case(randn(4, 3), False, id="complete"),
            Case(randn(3, 4), True, False, id="no-uv"),
            Case(randn(4, 3), transposed=(0,), id="transposed"),
        ],
        grad=False,
    ),
    OpSpec(
        "svd",
        lambda a: np.linalg.svd(a, compute_uv=False),
        [Case(randn(4, 3), id="values"), Case(randn(2, 2, 3), id="values-batched")],
        fn=lambda a: nt.svd(a).S,
    ),
    OpSpec(
        "pinverse",
        np.linalg.pinv,
        [
            Case(randn(4, 3), id="tall"),
            Case(randn(2, 3), id="wide"),
            Case(randn(2, 4, 3), id="batched"),
            Case(randn(4, 3), transposed=(0,), id="transposed"),
        ],
    ),
]


SPECS += [
    OpSpec(
        "cholesky",
        lambda a, upper=False: (
            np.swapaxes(np.linalg.cholesky(a), -1, -2) if upper else np.linalg.cholesky(a)
        ),
        [
            Case(_spd(3), id="lower"),
            Case(_spd(3), True, id="upper"),
            Case(_spd(2, 2), id="batched"),
            Case(_spd(3), transposed=(0,), id="transposed"),
        ],
        fn=lambda a, upper=False: nt.cholesky((a + a.mT) / 2, upper),
    ),
]


SPECS += [
    OpSpec(
        "rsub",
        lambda a, b, alpha=1: b - alpha * a,
        [
            Case(randn(3, 4), randn(3, 4)),
            Case(randn(3, 1), randn(1, 4), alpha=2.0, id="bcast-alpha"),
            Case(randn(), randn(2, 3), id="bcast-0d"),
            Case(randn(0, 3), randn(3), id="empty"),
            Case(randn(3, 4), randn(3, 4), transposed=(0,), id="transposed"),
            Case(randn(3, 4), 1.5, id="scalar"),
        ],
        gradgrad=True,
    ),
    OpSpec(
        "angle",
        lambda x: np.angle(x).astype(x.dtype),
        [
            Case(randn(3, 4)),
            Case(randn(), id="0d"),
            Case(randn(0), id="empty"),
            Case(randn(4, 3), transposed=(0,), id="transposed"),
        ],
    ),
    OpSpec(
        "angle",
        lambda x: np.angle(x).astype(np.float32),
        [Case(np.array([-2, 0, 3]), id="int"), Case(np.array([np.nan, -1.0]), id="nan")],
        grad=False,
    ),
]


def _np_cond(a, p=None):
    if p in (None, 2, -2):
        sv = np.linalg.svd(a, compute_uv=False)
        return sv[..., 0] / sv[..., -1] if p != -2 else sv[..., -1] / sv[..., 0]
    return np.linalg.cond(a, p)


# nanotorch.linalg's cond, tensorinv and tensorsolve have no top-level op; their specs sit
# under the nearest one (as linalg.vector_norm's sits under norm).
SPECS += [
    OpSpec(
        "matrix_power",
        _np_cond,
        [
            Case(_wellcond(3, 3), id="cond-2"),
            Case(_wellcond(2, 3, 3), -2, id="cond-neg2-batched"),
            Case(randn(4, 3), id="cond-rect"),
            Case(_wellcond(3, 3), "fro", id="cond-fro"),
            Case(distinct(3, 3) + 9 * np.eye(3), 1, id="cond-1"),
            Case(distinct(3, 3) + 9 * np.eye(3), np.inf, id="cond-inf"),
        ],
        fn=lambda a, p=None: nt.linalg.cond(a, p),
        rtol=1e-4,
    ),
    OpSpec(
        "matrix_power",
        lambda a, ind=2: np.linalg.tensorinv(a, ind),
        [
            Case((randn(6, 6) + 3 * np.eye(6)).reshape(2, 3, 6), id="tensorinv"),
            Case((randn(4, 4) + 3 * np.eye(4)).reshape(4, 2, 2), ind=1, id="tensorinv-ind1"),
        ],
        fn=lambda a, ind=2: nt.linalg.tensorinv(a, ind),
        rtol=1e-4,
    ),
    OpSpec(
        "lu_solve",
        lambda a, b: np.linalg.tensorsolve(a, b),
        [Case((randn(6, 6) + 3 * np.eye(6)).reshape(2, 3, 6), randn(2, 3), id="tensorsolve")],
        fn=lambda a, b: nt.linalg.tensorsolve(a, b),
        rtol=1e-4,
    ),
]


SPECS += [
    OpSpec(
        "lu",
        lambda a: (*_np_lu(a), np.zeros(a.shape[:-2], dtype=np.int32)),
        [Case(randn(3, 3), id="lu_factor_ex"), Case(randn(2, 3, 3), id="lu_factor_ex-batched")],
        fn=lambda a: nt.linalg.lu_factor_ex(a),
    ),
]
