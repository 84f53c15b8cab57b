"""Specs for the torch.special functions nanotorch/ops/special_breadth.py adds (the normal
distribution's ndtr / ndtri / log_ndtr, entr, xlog1py, the Bessel i1 and the exponentially
scaled i0e / i1e, erfcx, spherical_bessel_j0), each against a float64 reference built from
Python's ``math`` module."""

from __future__ import annotations

import math

import numpy as np

from nanotorch.testing import Case, OpSpec

_rng = np.random.default_rng(5150)


def randn(*shape: int) -> np.ndarray:
    return np.asarray(_rng.standard_normal(shape))


def _prob(*shape: int) -> np.ndarray:
    return np.asarray(_rng.uniform(0.05, 0.95, shape))


def _pos(*shape: int) -> np.ndarray:
    return np.asarray(_rng.uniform(0.2, 3.0, shape))


def _vec(f):
    return np.vectorize(f, otypes=[np.float64])


_erf = _vec(math.erf)
_erfc = _vec(math.erfc)


def _ndtr(x):
    return 0.5 * _erfc(-np.asarray(x) / math.sqrt(2.0))


def _ndtri(p):
    # Bisection on ndtr to float64 resolution (60 halvings of [-10, 10]).
    p = np.asarray(p, dtype=np.float64)
    lo, hi = np.full_like(p, -10.0), np.full_like(p, 10.0)
    for _ in range(80):
        mid = (lo + hi) / 2
        below = _ndtr(mid) < p
        lo, hi = np.where(below, mid, lo), np.where(below, hi, mid)
    return (lo + hi) / 2


def _bessel_i(x, nu):
    x = np.asarray(x, dtype=np.float64)
    q = x * x / 4.0
    term = (x / 2.0) ** nu
    total = term
    for k in range(1, 120):
        term = term * q / (k * (k + nu))
        total = total + term
    return total


def _entr(x):
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(x > 0, -x * np.log(np.where(x > 0, x, 1.0)), np.where(x == 0, 0.0, -np.inf))


def _xlog1py(x, y):
    x, y = np.broadcast_arrays(np.asarray(x, np.float64), np.asarray(y, np.float64))
    return np.where(x == 0, 0.0, x * np.log1p(y))


def _sph_j0(x):
    x = np.asarray(x, dtype=np.float64)
    safe = np.where(x == 0, 1.0, x)
    return np.where(x == 0, 1.0, np.sin(safe) / safe)


def _unary_cases(scaled):
    def make(*shape):
        return np.asarray(scaled(*shape))

    return [
        Case(make(3, 4)),
        Case(make(), id="0d"),
        Case(make(0), id="empty"),
        Case(make(3, 4), transposed=(0,), id="transposed"),
    ]


SPECS = [
    OpSpec("ndtr", _ndtr, _unary_cases(lambda *s: 2 * randn(*s)), gradgrad=True),
    OpSpec("ndtri", _ndtri, _unary_cases(_prob), gradgrad=True, rtol=1e-4),
    OpSpec(
        "log_ndtr",
        lambda x: np.log(_ndtr(x)),
        [
            *_unary_cases(lambda *s: 2 * randn(*s)),
            Case(np.array([-30.0, -9.0, 0.0, 5.0]), id="tail"),
        ],
        gradgrad=True,
    ),
    OpSpec("entr", _entr, [*_unary_cases(_pos)]),
    OpSpec("entr", _entr, [Case(np.array([-1.0, 0.0, 0.5]), id="edges")], grad=False),
    OpSpec(
        "xlog1py",
        _xlog1py,
        [
            Case(randn(3, 4), _pos(3, 4)),
            Case(randn(3, 1), _pos(4), id="bcast"),
            Case(randn(), _pos(), id="0d"),
            Case(randn(0, 2), _pos(2), id="empty"),
            Case(randn(3, 4), _pos(3, 4), transposed=(0,), id="transposed"),
        ],
    ),
    OpSpec("i1", lambda x: _bessel_i(x, 1), _unary_cases(lambda *s: 3 * randn(*s)), gradgrad=True),
    OpSpec(
        "i0e",
        lambda x: _bessel_i(x, 0) * np.exp(-np.abs(x)),
        _unary_cases(lambda *s: 3 * randn(*s)),
    ),
    OpSpec(
        "i1e",
        lambda x: _bessel_i(x, 1) * np.exp(-np.abs(x)),
        _unary_cases(lambda *s: 3 * randn(*s)),
    ),
    OpSpec(
        "erfcx",
        lambda x: np.exp(np.asarray(x) ** 2) * _erfc(x),  # x <= 25: no overflow
        [*_unary_cases(randn), Case(np.array([-3.0, 0.0, 8.0, 25.0]), id="range")],
        gradgrad=True,
    ),
    OpSpec("spherical_bessel_j0", _sph_j0, _unary_cases(lambda *s: 4 * randn(*s)), gradgrad=True),
]
