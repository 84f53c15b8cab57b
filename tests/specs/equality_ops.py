"""Specs for ``equal`` (nanotorch/ops/elementwise.py): like ``torch.equal``, one Python bool,
True iff both tensors have the same shape and equal elements (nan equals nothing), against
NumPy's ``array_equal``."""

from __future__ import annotations

import numpy as np

import nanotorch as nt
from nanotorch.testing import Case, OpSpec
from specs import ints, randn

_a = randn(3, 4)
_nan = _a.copy()
_nan[0, 0] = np.nan

SPECS = [
    OpSpec(
        "equal",
        lambda a, b: np.array_equal(a, b),
        [
            Case(_a, _a.copy(), id="same"),
            Case(_a, _a + 1.0, id="different"),
            Case(_a[:1], _a, id="bcast-shape-differs"),
            Case(np.asarray(2.5), np.asarray(2.5), id="0d"),
            Case(randn(0, 3), randn(0, 3), id="empty"),
            Case(randn(0, 3), randn(3, 0), id="empty-shapes-differ"),
            Case(_a, _a.copy(), transposed=(0,), id="transposed"),
            Case(_nan, _nan.copy(), id="nan"),
            Case(ints(-3, 3, 4), ints(-3, 3, 4), id="int"),
        ],
        # equal returns a Python bool; the harness compares tensors, so wrap it.
        fn=lambda a, b: nt.tensor(nt.equal(a, b), device=a.device),
        grad=False,
    ),
]
