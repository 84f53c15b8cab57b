"""Op specs (Note [Op specs] in nanotorch/testing.py), one module per op family.

Each module defines ``SPECS: list[OpSpec]``; ``all_specs()`` gathers them for the generated
tests. A new op family adds a module here and lists it in ``MODULES``.
"""

from __future__ import annotations

import importlib

import numpy as np

from nanotorch.testing import Case

MODULES = [
    "specs.core_ops",
    "specs.nn_ops",
    "specs.conv_ops",
    "specs.math_ops",
    "specs.bitwise_ops",
    "specs.activation_ops",
    "specs.scan_ops",
    "specs.sorting_ops",
    "specs.scatter_ops",
    "specs.shape_extra_ops",
    "specs.einsum_ops",
    "specs.advanced_indexing_ops",
    # Op breadth II families (padding, interpolation, more pooling and convolution).
    "specs.padding_ops",
    "specs.interpolate_ops",
    "specs.pool_extra_ops",
    "specs.attention_ops",
    "specs.equality_ops",
    "specs.linalg_extra_ops",
    "specs.misc_ops",
    # Layers added for PyTorch parity (tests/torch_compare_nn compares them with PyTorch).
    "specs.nn_extra_ops",
    "specs.special_linalg_ops",
    "specs.shape_breadth_ops",
    "specs.nn_breadth_ops",
    "specs.math_breadth_ops",
    "specs.special_ops",
    # In-place functional forms (Note [In-place autograd] in nanotorch/_inplace.py).
    "specs.inplace_ops",
]

_rng = np.random.default_rng(1234)


def randn(*shape: int) -> np.ndarray:
    return _rng.standard_normal(shape)


def positive(*shape: int) -> np.ndarray:
    """Values in [0.5, 2): away from 0, for log, sqrt, division."""
    return _rng.uniform(0.5, 2.0, shape)


def distinct(*shape: int) -> np.ndarray:
    """Values with no ties (max/min gradients are only defined without ties)."""
    n = int(np.prod(shape)) if shape else 1
    return (
        (_rng.permutation(n).astype(np.float64) / n + 0.1 * _rng.standard_normal(n)).reshape(shape)
        if shape
        else np.asarray(_rng.standard_normal())
    )


def ints(low: int, high: int, *shape: int) -> np.ndarray:
    return _rng.integers(low, high, shape).astype(np.int64)


# Shapes every elementwise op is tried on: a 0-d tensor, an empty one, a matrix, and a
# non-contiguous (transposed) view. The makers draw from the shared stream in this order.
def unary_cases(make=randn):
    return [
        Case(make()),
        Case(make(0)),
        Case(make(3, 4)),
        Case(make(4, 3), transposed=(0,), id="transposed"),
    ]


# Broadcasting pairs for binary ops (``scalar`` is the Python number of the last case).
def binary_cases(a=randn, b=randn, scalar=1.5):
    return [
        Case(a(3, 4), b(3, 4)),
        Case(a(3, 1), b(1, 4), id="bcast-both"),
        Case(a(2, 3, 4), b(4), id="bcast-rank"),
        Case(a(), b(2, 3), id="bcast-0d"),
        Case(a(0, 3), b(3), id="empty"),
        Case(a(3, 4), b(3, 4), transposed=(0,), id="transposed"),
        Case(a(3, 4), scalar, id="scalar"),
    ]


def all_specs():
    specs = []
    for name in MODULES:
        specs.extend(importlib.import_module(name).SPECS)
    return specs
