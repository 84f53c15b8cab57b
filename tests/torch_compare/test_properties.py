"""Property sweeps against PyTorch (Hypothesis): broadcasting shape pairs for binary ops,
reductions over any dim set with keepdim, and type promotion over every dtype pair. Each
example is a ``Case`` run by the same harness as the tables."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

torch = pytest.importorskip("torch")

from ._harness import Case, Fixed, run_case  # noqa: E402 - after the skip

SWEEP = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
BINARY = ["add", "sub", "mul", "div", "maximum", "minimum", "atan2", "hypot", "fmod", "pow"]
DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float32", "float64"]


@SWEEP
@given(
    shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=3),
    name=st.sampled_from(BINARY),
    seed=st.integers(0, 2**16),
)
def test_binary_broadcasting_matches_torch(shapes, name: str, seed: int) -> None:
    rng = np.random.default_rng(seed)
    a = rng.uniform(0.5, 2.0, shapes.input_shapes[0])
    b = rng.uniform(0.5, 2.0, shapes.input_shapes[1])
    run_case(Case(name, lambda L, x, y: getattr(L, name)(x, y), [a, b]), "float64")


@SWEEP
@given(
    shape=hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=3),
    name=st.sampled_from(["sum", "mean", "amax", "amin", "logsumexp", "var", "std"]),
    keepdim=st.booleans(),
    data=st.data(),
)
def test_reduction_dims_match_torch(shape, name: str, keepdim: bool, data) -> None:
    dims = data.draw(st.sets(st.integers(-len(shape), len(shape) - 1), min_size=1))
    if len({d % len(shape) for d in dims}) != len(dims):
        return  # the same dim twice: an error, covered by the tables
    x = np.random.default_rng(len(shape)).standard_normal(shape)
    case = Case(name, lambda L, t: getattr(L, name)(t, tuple(dims), keepdim=keepdim), [x])
    if name in ("var", "std") and all(shape[d] == 1 for d in dims):
        case.grad = False  # one element: 0/0, the gradient is nan in both
    run_case(case, "float64")


@SWEEP
@given(
    left=st.sampled_from(DTYPES),
    right=st.sampled_from([*DTYPES, "int", "float", "bool-scalar"]),
    op=st.sampled_from(["add", "mul", "maximum", "eq", "where"]),
)
def test_promotion_matches_torch(left: str, right: str, op: str) -> None:
    scalars = {"int": 2, "float": 1.5, "bool-scalar": True}
    if right in scalars and op == "maximum":
        return  # maximum takes two tensors
    a = Fixed(np.arange(1, 4).astype(left), grad=False)
    b = scalars[right] if right in scalars else Fixed(np.arange(2, 5).astype(right), grad=False)
    if op == "where":
        case = Case(op, lambda L, x, y: L.where(L.tensor([True, False, True]), x, y), [a, b])
    else:
        case = Case(op, lambda L, x, y: getattr(L, op)(x, y), [a, b])
    run_case(case, "-")
