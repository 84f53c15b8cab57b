"""Specs for the bitwise family (nanotorch/ops/bitwise.py): and, or, xor, not and the shifts
on integer and bool tensors, against NumPy. They carry no gradient."""

from __future__ import annotations

import numpy as np

from nanotorch.testing import Case, OpSpec
from specs import binary_cases, ints, randn


def _bools(*shape: int) -> np.ndarray:
    return np.asarray(randn(*shape) > 0)


def _int(*shape: int) -> np.ndarray:
    return np.asarray(ints(-50, 50, *shape))


def _cases(a=_int, b=_int, scalar=7):
    return binary_cases(a, b, scalar)


def _shift_amounts(*shape: int) -> np.ndarray:
    return np.asarray(ints(0, 6, *shape))


SPECS = []
for _name, _ref in [
    ("bitwise_and", np.bitwise_and),
    ("bitwise_or", np.bitwise_or),
    ("bitwise_xor", np.bitwise_xor),
]:
    SPECS.append(
        OpSpec(
            _name,
            _ref,
            [
                *_cases(),
                Case(_int(3, 4).astype(np.int32), -3, id="int32"),
                *[
                    Case(c.inputs[0], c.inputs[1], transposed=c.transposed, id="bool-" + c.id)
                    for c in _cases(_bools, _bools, True)
                ],
            ],
            grad=False,
        )
    )

SPECS += [
    OpSpec(
        "bitwise_not",
        np.invert,
        [
            Case(_int()),
            Case(_int(0)),
            Case(_int(3, 4)),
            Case(_int(4, 3), transposed=(0,), id="transposed"),
            Case(_bools(3, 4), id="bool"),
        ],
        grad=False,
    ),
    OpSpec("bitwise_left_shift", np.left_shift, _cases(_int, _shift_amounts, 3), grad=False),
    OpSpec("bitwise_right_shift", np.right_shift, _cases(_int, _shift_amounts, 2), grad=False),
]
