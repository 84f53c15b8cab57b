"""Specs for the assorted ops of nanotorch/ops/misc.py. References are NumPy float64."""

from __future__ import annotations

import numpy as np

import nanotorch as nt
from nanotorch.testing import Case, OpSpec
from specs import ints, positive, randn

_rng = np.random.default_rng(1616)


def _unary(make=randn):
    return [
        Case(make()),
        Case(make(0)),
        Case(make(3, 4)),
        Case(make(4, 3), transposed=(0,), id="transposed"),
    ]


def _binary(a=randn, b=randn):
    return [
        Case(a(3, 4), b(3, 4)),
        Case(a(3, 1), b(1, 4), id="bcast-both"),
        Case(a(), b(2, 3), id="bcast-0d"),
        Case(a(0, 3), b(3), id="empty"),
        Case(a(3, 4), b(3, 4), transposed=(0,), id="transposed"),
    ]


def unit(*shape: int) -> np.ndarray:
    """Values in (0.1, 0.9): inside logit's domain, away from its poles."""
    return _rng.uniform(0.1, 0.9, shape)


def nonzero_randn(*shape: int) -> np.ndarray:
    x = _rng.standard_normal(shape)
    return np.where(np.abs(x) < 0.2, 0.5, x)


_special = np.array([[0.0, -0.0, 1.5, -2.0], [np.nan, np.inf, -np.inf, 3.0]])
_with_nan = np.array([[1.0, np.nan, 2.0], [np.nan, np.nan, 3.0]])


def np_xlogy(x, y):
    zero = (x == 0) & ~np.isnan(y)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = x * np.log(np.where(zero, 1.0, y))
    return np.where(zero, 0.0, out)


def np_logit(p, eps=None):
    if eps is not None:
        p = np.clip(p, eps, 1 - eps)
    return np.log(p / (1 - p))


def np_sinc(x):
    return np.sinc(x)


def np_nan_to_num(x, nan=0.0, posinf=None, neginf=None):
    return np.nan_to_num(x, nan=nan, posinf=posinf, neginf=neginf)


def np_tensor_split(x, indices_or_sections, dim=0):
    return np.array_split(x, indices_or_sections, axis=dim)


def np_atleast(n):
    f = {1: np.atleast_1d, 2: np.atleast_2d, 3: np.atleast_3d}[n]
    return f


SPECS = [
    OpSpec("sgn", np.sign, _unary(nonzero_randn)),
    OpSpec("logit", np_logit, [*_unary(unit), Case(randn(3, 4) * 0.7 + 0.5, eps=0.05)]),
    OpSpec(
        "xlogy",
        np_xlogy,
        [
            *_binary(randn, positive),
        ],
    ),
    # At x == 0 xlogy is 0 whatever y is, a kink finite differences cannot check; the
    # gradient there (0 for x, as PyTorch's) is pinned in tests/unit/test_misc_ops.py.
    OpSpec(
        "xlogy",
        np_xlogy,
        [
            Case(np.array([0.0, 1.5, 0.0, 2.0]), positive(4), id="zeros-x"),
            Case(np.array([0.0, 0.0, 1.0]), np.array([0.0, np.nan, 0.5]), id="zero-y-nan"),
        ],
        grad=False,
    ),
    OpSpec(
        "nan_to_num",
        lambda x, **kw: np_nan_to_num(x, **kw).astype(x.dtype),
        [Case(_special), Case(_special, nan=1.0, posinf=9.0, neginf=-9.0, id="given")],
        grad=False,
    ),
    *[
        OpSpec(
            name,
            ref,
            [
                Case(randn(3, 4), bound),
                Case(randn(), bound, id="0d"),
                Case(randn(0, 3), bound, id="empty"),
                Case(randn(4, 3), bound, transposed=(0,), id="transposed"),
                Case(randn(3, 4), randn(4) + 0.05, id="tensor-bound"),
            ],
        )
        for name, ref, bound in (
            ("clamp_min", np.maximum, 0.1),
            ("clamp_max", np.minimum, -0.1),
        )
    ],
    OpSpec(
        "heaviside",
        np.heaviside,
        [
            Case(np.array([-1.5, 0.0, 2.0, 0.0]), np.array([0.5, 0.25, 0.7, 0.9])),
            Case(np.array([[0.0], [-1.0], [3.0]]), np.array([0.5, 0.25]), id="bcast"),
            Case(randn(0, 2), randn(2), id="empty"),
        ],
        grad=False,
    ),
    OpSpec("positive", lambda x: x, _unary()),
    OpSpec("sinc", np_sinc, [*_unary(), Case(np.array([0.0, 0.5, -1.25]), id="with-zero")]),
    OpSpec("deg2rad", np.deg2rad, _unary()),
    OpSpec("rad2deg", np.rad2deg, _unary()),
    OpSpec(
        "float_power",
        lambda a, b: np.power(np.asarray(a, np.float64), b),
        [*_binary(positive, randn), Case(positive(3, 4), 2.0, id="scalar")],
    ),
    OpSpec(
        "addcmul",
        lambda x, a, b, value=1: x + value * a * b,
        [
            Case(randn(3, 4), randn(3, 4), randn(3, 4)),
            Case(randn(3, 1), randn(1, 4), randn(4), value=0.5, id="bcast-value"),
            Case(randn(), randn(0, 2), randn(2), id="empty"),
        ],
    ),
    OpSpec(
        "addcdiv",
        lambda x, a, b, value=1: x + value * a / b,
        [
            Case(randn(3, 4), randn(3, 4), positive(3, 4)),
            Case(randn(3, 1), randn(1, 4), positive(4), value=-2.0, id="bcast-value"),
            Case(randn(), randn(0, 2), positive(2), id="empty"),
            Case(randn(3, 4), randn(3, 4), positive(4), transposed=(0,), id="transposed"),
        ],
    ),
    OpSpec(
        "gcd",
        np.gcd,
        [
            Case(ints(-30, 30, 3, 4), ints(-30, 30, 3, 4)),
            Case(ints(0, 50, 3, 1), ints(1, 9, 4)),
            Case(ints(0, 9, 0), ints(0, 9, 0), id="empty"),
            Case(np.array(0), np.array(0), id="0d-zeros"),
        ],
        grad=False,
    ),
    OpSpec(
        "lcm",
        np.lcm,
        [Case(ints(-12, 12, 3, 4), ints(-12, 12, 3, 4)), Case(ints(0, 20, 3, 1), ints(1, 9, 4))],
        grad=False,
    ),
    OpSpec("isposinf", np.isposinf, [Case(_special)], grad=False),
    OpSpec("isneginf", np.isneginf, [Case(_special)], grad=False),
    OpSpec(
        "signbit",
        np.signbit,
        [Case(_special), Case(ints(-3, 3, 5), id="int")],
        grad=False,
    ),
    OpSpec(
        "nansum",
        lambda x, dim=None, keepdim=False: np.nansum(x, axis=dim, keepdims=keepdim),
        [Case(_with_nan), Case(_with_nan, dim=1, keepdim=True), Case(randn(3, 4), dim=0)],
        grad=False,
    ),
    OpSpec(
        "nanmean",
        lambda x, dim=None, keepdim=False: np.nanmean(x, axis=dim, keepdims=keepdim),
        [Case(_with_nan), Case(_with_nan, dim=1), Case(randn(3, 4), dim=0)],
        grad=False,
    ),
    # Without nan, nansum/nanmean/fmax/fmin are sum/mean/maximum/minimum, gradients included.
    OpSpec("nansum", np.sum, [Case(randn(3, 4)), Case(randn(), id="0d"), Case(randn(0, 2))]),
    OpSpec(
        "nanmean",
        lambda x, dim=None: np.mean(x, axis=dim),
        [Case(randn(3, 4)), Case(randn(4, 3), dim=1, transposed=(0,), id="transposed")],
    ),
    OpSpec("fmax", np.fmax, [Case(randn(3, 4), randn(3, 4) + 3, id="grad")]),
    OpSpec("fmin", np.fmin, [Case(randn(3, 4), randn(3, 4) + 3, id="grad")]),
    OpSpec(
        "fmax",
        np.fmax,
        [*_binary(), Case(_with_nan, np.array([0.5, np.nan, 5.0]), id="nan")],
        grad=False,
    ),
    OpSpec(
        "fmin",
        np.fmin,
        [*_binary(), Case(_with_nan, np.array([0.5, np.nan, 5.0]), id="nan")],
        grad=False,
    ),
    OpSpec(
        "ldexp",
        lambda x, e: np.ldexp(x, e),
        [
            Case(randn(3, 4), ints(-3, 4, 3, 4)),
            Case(randn(3, 1), ints(-2, 3, 4), id="bcast"),
            Case(randn(), ints(-2, 3, 0), id="empty"),
            Case(randn(3, 4), ints(-2, 3, 3, 4), transposed=(0,), id="transposed"),
        ],
    ),
    OpSpec(
        "broadcast_tensors",
        lambda *xs: np.broadcast_arrays(*xs),
        [Case(randn(3, 1), randn(4)), Case(randn(), randn(2, 3), randn(3), id="three")],
    ),
    *[
        OpSpec(
            f"atleast_{n}d",
            np_atleast(n),
            [Case(randn()), Case(randn(3)), Case(randn(2, 3)), Case(randn(2, 3, 2))],
        )
        for n in (1, 2, 3)
    ],
    OpSpec(
        "hstack",
        lambda *xs: np.hstack(xs),
        [Case(randn(2), randn(3)), Case(randn(2, 1), randn(2, 3), id="2d")],
        fn=lambda *xs: nt.hstack(xs),
    ),
    OpSpec(
        "vstack",
        lambda *xs: np.vstack(xs),
        [Case(randn(3), randn(3)), Case(randn(1, 3), randn(2, 3), id="2d")],
        fn=lambda *xs: nt.vstack(xs),
    ),
    OpSpec(
        "dstack",
        lambda *xs: np.dstack(xs),
        [Case(randn(3), randn(3)), Case(randn(2, 3), randn(2, 3), id="2d")],
        fn=lambda *xs: nt.dstack(xs),
    ),
    OpSpec(
        "column_stack",
        lambda *xs: np.column_stack(xs),
        [Case(randn(3), randn(3, 2)), Case(randn(2, 3), randn(2), id="2d")],
        fn=lambda *xs: nt.column_stack(xs),
    ),
    OpSpec(
        "tensor_split",
        np_tensor_split,
        [
            Case(randn(7, 2), 3),
            Case(randn(2, 7), [1, 5], dim=1, id="indices"),
            Case(randn(2, 3), [0, 5], dim=1, id="out-of-range"),
        ],
    ),
    OpSpec("hsplit", np.hsplit, [Case(randn(2, 6), 3), Case(randn(6), [2, 3], id="1d")]),
    OpSpec("vsplit", np.vsplit, [Case(randn(4, 3), 2), Case(randn(5, 2), [1], id="indices")]),
    OpSpec(
        "argwhere",
        np.argwhere,
        [Case(np.array([[1.0, 0.0], [0.0, 2.0]])), Case(np.zeros((0, 2)), id="empty")],
        grad=False,
    ),
    OpSpec(
        "numel",
        lambda x: np.asarray(x.size),
        [Case(randn(3, 4)), Case(randn()), Case(randn(0, 3))],
        fn=lambda x: nt.tensor(nt.numel(x), device=x.device),
        grad=False,
    ),
    OpSpec("detach", lambda x: x, [Case(randn(3, 4))], grad=False),
]
