"""Specs for the elementwise math family (nanotorch/ops/math.py): trigonometric and
hyperbolic functions and their inverses, rounding, logs and exponentials in other bases, the
error function and its inverse, and the binary helpers (atan2, copysign, logaddexp, lerp,
fmod, hypot, isclose, allclose). References are NumPy float64 (``math.erf`` where NumPy has
no special function)."""

from __future__ import annotations

import math

import numpy as np

import nanotorch as nt
from nanotorch.testing import Case, OpSpec
from specs import binary_cases, ints, positive, randn, unary_cases

_rng = np.random.default_rng(1515)


def uniform(lo: float, hi: float):
    """A maker of values in [lo, hi): keeps inputs inside an op's domain."""

    def make(*shape: int) -> np.ndarray:
        return _rng.uniform(lo, hi, shape)

    return make


# ----------------------------------------------------------------------------- references
def np_erf(x):
    return np.vectorize(math.erf, otypes=[np.float64])(x).astype(np.asarray(x).dtype)


def np_erfc(x):
    return np.vectorize(math.erfc, otypes=[np.float64])(x).astype(np.asarray(x).dtype)


def _erfinv_scalar(y: float) -> float:
    """erfinv by bisection on math.erf / math.erfc: slow but as exact as the library erf."""
    y = float(y)
    if math.isnan(y) or abs(y) > 1:
        return math.nan
    if abs(y) == 1:
        return math.copysign(math.inf, y)
    target = 1 - abs(y)  # exact for |y| >= 0.5; the tail is matched through erfc
    # erfinv(y) < 2|y| for |y| < 0.5 (erfinv(y) / y grows from 0.89 to 0.95 there), so the
    # bracket, and with it the bisection's resolution, scales with y.
    lo, hi = 0.0, (30.0 if abs(y) >= 0.5 else 2 * abs(y))
    for _ in range(200):
        mid = (lo + hi) / 2
        too_small = math.erfc(mid) > target if abs(y) >= 0.5 else math.erf(mid) < abs(y)
        lo, hi = (mid, hi) if too_small else (lo, mid)
    return math.copysign((lo + hi) / 2, y)


def np_erfinv(y):
    y = np.asarray(y)
    flat = [_erfinv_scalar(v) for v in y.reshape(-1).tolist()]
    return np.array(flat, dtype=np.float64).reshape(y.shape).astype(y.dtype)


def np_round(x, decimals=0):
    return np.round(x, decimals)


def np_fmod(a, b):
    return np.fmod(a, b)


def np_lerp(start, end, weight):
    return start + weight * (end - start)


def np_isclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    return np.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan)


# ----------------------------------------------------------------------------- unary
UNARY = [
    # name, reference, inputs, smooth (so gradgradcheck runs)
    ("tan", np.tan, uniform(-1.2, 1.2), True),
    ("asin", np.arcsin, uniform(-0.9, 0.9), True),
    ("acos", np.arccos, uniform(-0.9, 0.9), True),
    ("atan", np.arctan, randn, True),
    ("sinh", np.sinh, randn, True),
    ("cosh", np.cosh, randn, True),
    ("asinh", np.arcsinh, randn, True),
    ("acosh", np.arccosh, uniform(1.2, 3.0), True),
    ("atanh", np.arctanh, uniform(-0.9, 0.9), True),
    ("floor", np.floor, uniform(-5, 5), False),
    ("ceil", np.ceil, uniform(-5, 5), False),
    ("trunc", np.trunc, uniform(-5, 5), False),
    ("frac", lambda x: x - np.trunc(x), uniform(-5, 5), False),
    ("log2", np.log2, positive, True),
    ("log10", np.log10, positive, True),
    ("exp2", np.exp2, randn, True),
    ("erf", np_erf, uniform(-3, 3), True),
    ("erfc", np_erfc, uniform(-3, 3), True),
    ("erfinv", np_erfinv, uniform(-0.95, 0.95), True),
    ("reciprocal", np.reciprocal, positive, True),
]

SPECS = [OpSpec(name, ref, unary_cases(make), gradgrad=smooth) for name, ref, make, smooth in UNARY]

_int_values = ints(-9, 9, 3, 4)
SPECS += [
    # Rounding an integer tensor returns its values, in its dtype, as PyTorch does.
    OpSpec(name, ref, [Case(_int_values, id="int")], grad=False)
    for name, ref in [("floor", np.floor), ("ceil", np.ceil), ("trunc", np.trunc)]
]

SPECS += [
    OpSpec(
        "round",
        np_round,
        [
            *unary_cases(uniform(-5, 5)),
            Case(uniform(-5, 5)(3, 4), decimals=2, id="decimals"),
            Case(uniform(-500, 500)(3, 4), decimals=-1, id="neg-decimals"),
        ],
    ),
    # Halves sit on round's jumps, where finite differences mean nothing, and integers have no
    # gradient: values only.
    OpSpec(
        "round",
        np_round,
        [
            Case(np.array([0.5, 1.5, 2.5, -0.5, -2.5, 3.49]), id="half-to-even"),
            Case(_int_values, id="int"),
        ],
        grad=False,
    ),
    OpSpec(
        "erf",
        np_erf,
        [
            Case(np.array([-40.0, -6.0, -0.4999, 1e-12, 0.0, 0.5, 2.5, 6.0, np.inf, -np.inf])),
        ],
        grad=False,
        rtol=1e-6,
        atol=1e-7,
    ),
    OpSpec(
        "erfc",
        np_erfc,
        [Case(np.array([-40.0, -3.0, 0.0, 0.3, 0.6, 3.0, 9.0, 26.0, 40.0, np.inf]))],
        grad=False,
        rtol=1e-5,
        atol=0.0,
    ),
    OpSpec(
        "erfinv",
        np_erfinv,
        [
            Case(np.array([-1.0, -0.999999, -0.5, 0.0, 1e-9, 0.3, 0.9999, 1.0, 1.5, np.nan])),
        ],
        grad=False,
    ),
    OpSpec("erfinv", np_erfinv, [Case(np.array([0.99, -0.999, 0.6, -0.2]), id="tails")]),
]

# ----------------------------------------------------------------------------- binary
_nonzero = uniform(0.5, 2.0)


def _signed_nonzero(*shape: int) -> np.ndarray:
    return np.asarray(_nonzero(*shape) * np.where(_rng.random(shape) < 0.5, -1.0, 1.0))


SPECS += [
    OpSpec("atan2", np.arctan2, binary_cases(), gradgrad=True),
    OpSpec("hypot", np.hypot, binary_cases(), gradgrad=True),
    OpSpec("logaddexp", np.logaddexp, binary_cases(), gradgrad=True),
    OpSpec(
        "copysign",
        np.copysign,
        [*binary_cases(_signed_nonzero, randn), Case(_signed_nonzero(4), -0.0, id="neg-zero")],
        gradgrad=True,
    ),
    OpSpec(
        "fmod",
        np_fmod,
        [
            *binary_cases(uniform(-6, 6), _signed_nonzero),
        ],
    ),
    # Integer fmod: exact, and nothing to differentiate.
    OpSpec(
        "fmod",
        np_fmod,
        [Case(ints(-9, 9, 3, 4), ints(1, 5, 3, 4) * np.array([1, -1, 1, -1]), id="int")],
        grad=False,
    ),
    # Exact, as NumPy's fmod is (no rounding of a / b); these sit next to fmod's jumps, where
    # finite differences are meaningless, so they check values only.
    OpSpec("fmod", np_fmod, [Case(np.array([5.3, -5.3, 0.3, -0.0]), 0.1, id="exact")], grad=False),
    OpSpec(
        "lerp",
        np_lerp,
        [
            Case(randn(3, 4), randn(3, 4), 0.3),
            Case(randn(3, 4), randn(3, 4), randn(3, 4), id="tensor-weight"),
            Case(randn(3, 1), randn(1, 4), randn(4), id="bcast"),
            Case(randn(), randn(2, 3), 0.75, id="bcast-0d"),
            Case(randn(0, 3), randn(3), 0.5, id="empty"),
            Case(randn(3, 4), randn(3, 4), randn(3, 4), transposed=(0, 2), id="transposed"),
        ],
        gradgrad=True,
    ),
]

_close_a = np.array([1.0, 1.0, np.nan, np.inf, -np.inf, 0.0, 1e-9, 100.0])
_close_b = np.array([1.0 + 1e-6, 1.1, np.nan, np.inf, np.inf, 1e-9, 0.0, 100.001])
SPECS += [
    OpSpec(
        "isclose",
        np_isclose,
        [
            Case(_close_a, _close_b),
            Case(_close_a, _close_b, equal_nan=True, id="equal-nan"),
            Case(_close_a, _close_b, rtol=0.2, atol=0.0, id="rtol"),
            Case(randn(3, 1), randn(4), id="bcast"),
            Case(_close_a, 1.0, id="scalar"),
            Case(ints(0, 3, 3, 4), ints(0, 3, 4), id="int"),
            Case(np.asarray(1.0), np.array([1.0, 1.0 + 1e-9, 2.0]), id="0d"),
            Case(randn(0, 3), randn(3), id="empty"),
            Case(
                _close_a.reshape(2, 4), _close_b.reshape(2, 4), transposed=(0, 1), id="transposed"
            ),
        ],
        grad=False,
    ),
    OpSpec(
        "allclose",
        lambda a, b, **kw: np.allclose(a, b, **kw),
        [
            Case(_close_a, _close_b),
            Case(_close_a, _close_b, equal_nan=True, rtol=0.2, id="close"),
            Case(randn(3, 4), randn(3, 4), id="far"),
            Case(randn(3, 4) * 0 + 1.0, randn(4) * 0 + 1.0, id="bcast-equal"),
            Case(np.asarray(2.0), np.asarray(2.0 + 1e-6), id="0d"),
            Case(randn(0, 3), randn(3), id="empty"),
            Case(randn(4, 3), randn(4, 3), transposed=(0,), id="transposed"),
        ],
        # allclose returns a Python bool; the harness compares tensors, so wrap it.
        fn=lambda a, b, **kw: nt.tensor(nt.allclose(a, b, **kw), device=a.device),
        grad=False,
    ),
]
