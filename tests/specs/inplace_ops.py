"""Specs for the in-place functional forms (``nanotorch.relu_``, ``F.elu_``...): each is
called on ``x * 1.0``, a non-leaf, so the gradient checks go through the in-place mechanism
(Note [In-place autograd] in nanotorch/_inplace.py) and must equal the out-of-place op's.
References are NumPy float64."""

from __future__ import annotations

import numpy as np

import nanotorch as nt
import nanotorch.nn.functional as F
from nanotorch.testing import Case, OpSpec
from specs import randn

_rng = np.random.default_rng(2718)


def away_from_kinks(*shape: int) -> np.ndarray:
    """Values at least 0.2 from 0 and from +-1 (relu's and hardtanh's kinks)."""
    x = _rng.uniform(0.2, 0.8, shape) * _rng.choice([-1.0, 1.0], shape)
    return np.asarray(x + np.sign(x) * _rng.choice([0.0, 1.0], shape))


def _cases():
    return [
        Case(away_from_kinks()),
        Case(away_from_kinks(0)),
        Case(away_from_kinks(3, 4)),
        Case(away_from_kinks(4, 3), transposed=(0,), id="transposed"),
    ]


def _elu(x, alpha=1.0):
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))


SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def np_put(x, index, source, accumulate=False):
    out = np.array(x, dtype=np.float64, copy=True).reshape(-1)
    pos = np.asarray(index).reshape(-1) % max(out.size, 1)
    if accumulate:
        np.add.at(out, pos, np.asarray(source).reshape(-1))
    else:
        out[pos] = np.asarray(source).reshape(-1)
    return out.reshape(np.shape(x))


def _in_place(op):
    """Call ``op`` on a non-leaf copy of the input and return what it returns (itself)."""
    return lambda x, *args, **kwargs: op(x * 1.0, *args, **kwargs)


SPECS = [
    # ``torch.put``: the out-of-place op behind ``Tensor.put_``.
    OpSpec(
        "put",
        np_put,
        [
            Case(randn(3, 4), np.array([0, 5, -1]), randn(3)),
            Case(randn(2, 3), np.array([[1], [4]]), randn(2, 1), accumulate=True, id="accum"),
            Case(randn(2, 3), np.array([1, 1, 4]), randn(3), accumulate=True, id="accum-dup"),
            Case(np.asarray(randn()), np.array(0), np.asarray(randn()), id="0d"),
            Case(randn(3, 4), np.array([], dtype=np.int64), randn(0), id="empty"),
            Case(randn(4, 3), np.array([2, 7]), randn(2), transposed=(0,), id="transposed"),
        ],
    ),
    OpSpec("relu_", lambda x: np.maximum(x, 0), _cases(), fn=_in_place(nt.relu_)),
    OpSpec(
        "elu_",
        _elu,
        [*_cases(), Case(away_from_kinks(3, 4), alpha=0.5, id="alpha")],
        fn=_in_place(F.elu_),
    ),
    OpSpec("selu_", lambda x: SELU_SCALE * _elu(x, SELU_ALPHA), _cases(), fn=_in_place(F.selu_)),
    OpSpec(
        "celu_",
        lambda x, alpha=1.0: np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0) / alpha)),
        [*_cases(), Case(away_from_kinks(3, 4), alpha=2.0, id="alpha")],
        fn=_in_place(F.celu_),
    ),
    OpSpec(
        "hardtanh_",
        lambda x, min_val=-1.0, max_val=1.0: np.clip(x, min_val, max_val),
        [*_cases(), Case(away_from_kinks(3, 4), min_val=-0.5, max_val=2.0, id="bounds")],
        fn=_in_place(F.hardtanh_),
    ),
    OpSpec(
        "threshold_",
        lambda x, threshold, value: np.where(x > threshold, x, value),
        [Case(away_from_kinks(3, 4), 0.1, 20.0), Case(away_from_kinks(0), 0.1, -1.0)],
        fn=_in_place(F.threshold_),
    ),
    OpSpec(
        "rrelu_",
        lambda x, lower=1 / 8, upper=1 / 3: np.where(x >= 0, x, x * (lower + upper) / 2),
        _cases(),
        fn=_in_place(F.rrelu_),
    ),
    OpSpec(
        "leaky_relu_",
        lambda x, negative_slope=0.01: np.where(x > 0, x, x * negative_slope),
        [*_cases(), Case(randn(3, 4), 0.2, id="slope")],
        fn=_in_place(F.leaky_relu_),
    ),
]
