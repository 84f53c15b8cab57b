"""Specs for the activation family of ``nanotorch.nn.functional`` (nn/activation_ops.py):
elu, selu, celu, relu6, hardtanh, hardsigmoid, hardswish, mish, logsigmoid, softsign,
softmin, prelu, glu and normalize, each against a NumPy float64 reference written here from
PyTorch's documented formulas."""

from __future__ import annotations

import numpy as np

from nanotorch.testing import Case, OpSpec
from specs import randn

_rng = np.random.default_rng(1516)

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _spread(*shape: int) -> np.ndarray:
    """Values over [-5, 5] that avoid the kinks of the piecewise ops (0, +-3, +-1, 6) by at
    least 0.05, so finite differences never straddle one."""
    x = _rng.uniform(-5, 5, shape)
    kinks = np.array([-3.0, -1.0, 0.0, 1.0, 3.0, 6.0])
    near = np.abs(x[..., None] - kinks).min(axis=-1) < 0.05
    return np.asarray(np.where(near, x + 0.1, x))


def _unary_cases(make=_spread, **kw):
    return [
        Case(make(), **kw),
        Case(make(0), **kw),
        Case(make(3, 4), **kw),
        Case(make(4, 3), transposed=(0,), id="transposed", **kw),
    ]


# ----------------------------------------------------------------------------- references
def np_elu(x, alpha=1.0, inplace=False):
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))


def np_selu(x, inplace=False):
    return _SELU_SCALE * np_elu(x, _SELU_ALPHA)


def np_celu(x, alpha=1.0, inplace=False):
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0) / alpha))


def np_hardtanh(x, min_val=-1.0, max_val=1.0, inplace=False):
    return np.clip(x, min_val, max_val)


def np_relu6(x, inplace=False):
    return np.clip(x, 0.0, 6.0)


def np_hardsigmoid(x, inplace=False):
    return np.clip(x + 3, 0.0, 6.0) / 6


def np_hardswish(x, inplace=False):
    return x * np.clip(x + 3, 0.0, 6.0) / 6


def _np_softplus(x):
    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))


def np_mish(x, inplace=False):
    return x * np.tanh(_np_softplus(x))


def np_logsigmoid(x):
    return -_np_softplus(-x)


def np_softsign(x):
    return x / (1 + np.abs(x))


def np_softmin(x, dim=None):
    if dim is None:
        dim = 0 if x.ndim in (0, 1, 3) else 1
    e = np.exp(-x - (-x).max(axis=dim, keepdims=True))
    return e / e.sum(axis=dim, keepdims=True)


def np_prelu(x, weight):
    w = weight.reshape((-1,) + (1,) * (x.ndim - 2)) if x.ndim >= 2 else weight.reshape(())
    return np.where(x > 0, x, w * x)


def np_glu(x, dim=-1):
    a, b = np.split(x, 2, axis=dim)
    return a / (1 + np.exp(-b))


def np_normalize(x, p=2.0, dim=1, eps=1e-12):
    if p == np.inf:
        norm = np.abs(x).max(axis=dim, keepdims=True)
    else:
        norm = (np.abs(x) ** p).sum(axis=dim, keepdims=True) ** (1 / p)
    return x / np.maximum(norm, eps)


SPECS = [
    OpSpec(
        "elu",
        np_elu,
        [*_unary_cases(), Case(_spread(3, 4), alpha=0.5, id="alpha")],
        gradgrad=True,
    ),
    OpSpec(
        "elu",
        np_elu,
        # Large inputs: the unused branch must not overflow into a nan gradient.
        [Case(np.array([-800.0, -30.0, 30.0, 800.0]), id="extremes")],
    ),
    OpSpec("selu", np_selu, _unary_cases(), gradgrad=True),
    OpSpec(
        "celu",
        np_celu,
        [*_unary_cases(), Case(_spread(3, 4), alpha=2.0, id="alpha")],
        gradgrad=True,
    ),
    OpSpec(
        "hardtanh",
        np_hardtanh,
        [*_unary_cases(), Case(_spread(3, 4), min_val=-2.0, max_val=0.5, id="bounds")],
    ),
    OpSpec("relu6", np_relu6, _unary_cases(lambda *s: np.asarray(_spread(*s) * 1.5))),
    OpSpec("hardsigmoid", np_hardsigmoid, _unary_cases()),
    OpSpec("hardswish", np_hardswish, _unary_cases()),
    OpSpec("mish", np_mish, _unary_cases(), gradgrad=True),
    OpSpec(
        "logsigmoid",
        np_logsigmoid,
        [*_unary_cases(), Case(np.array([-800.0, -30.0, 0.0, 30.0, 800.0]), id="extremes")],
        gradgrad=True,
    ),
    OpSpec("softsign", np_softsign, _unary_cases(), gradgrad=True),
    OpSpec(
        "softmin",
        np_softmin,
        [
            Case(randn(3, 4), dim=1),
            Case(randn(2, 3, 4), dim=0, id="dim0"),
            Case(randn(3, 4), id="legacy-dim"),
            Case(randn(4, 3), dim=-1, transposed=(0,), id="transposed"),
            Case(np.asarray(randn()), id="0d"),
            Case(randn(0, 3), dim=1, id="empty"),
        ],
        gradgrad=True,
    ),
    OpSpec(
        "prelu",
        np_prelu,
        [
            Case(_spread(2, 3, 4), np.array([0.25, -0.5, 1.5]), id="per-channel"),
            Case(_spread(2, 3, 4, 5), np.array([0.1]), id="shared"),
            Case(_spread(5), np.array([0.3]), id="1d"),
            Case(_spread(), np.array([0.3]), id="0d"),
            Case(_spread(0, 3), np.array([0.1, 0.2, 0.3]), id="empty"),
            Case(_spread(4, 3), np.array([0.1, 0.2, 0.3]), transposed=(0,), id="transposed"),
        ],
    ),
    OpSpec(
        "glu",
        np_glu,
        [
            Case(randn(3, 4)),
            Case(randn(4, 3, 2), dim=0, id="dim0"),
            Case(randn(0, 6), id="empty"),
            Case(randn(4, 6), dim=0, transposed=(0,), id="transposed"),
        ],
        gradgrad=True,
    ),
    OpSpec(
        "normalize",
        np_normalize,
        [
            Case(randn(3, 4)),
            Case(randn(2, 3, 4), dim=-1, id="last-dim"),
            Case(randn(3, 4), p=1.0, dim=0, id="p1"),
            Case(randn(3, 4), p=3.0, id="p3"),
            Case(randn(3, 4), p=np.inf, id="pinf"),
            Case(randn(4), dim=0, id="1d"),
            Case(randn(0, 3), id="empty"),
            Case(randn(4, 3), transposed=(0,), id="transposed"),
        ],
        gradgrad=True,
    ),
    # A zero row: the norm is clamped at eps. Its gradient (g / eps, finite) is pinned in
    # tests/unit/nn/test_nn_activation_ops.py; finite differences cannot see it (a kink).
    OpSpec(
        "normalize",
        np_normalize,
        [Case(np.array([[0.0, 0.0, 0.0], [1.0, -2.0, 2.0]]), id="zero-row")],
        grad=False,
    ),
]
