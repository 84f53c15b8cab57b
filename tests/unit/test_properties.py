"""Hypothesis property tests: broadcasting pairs and reductions agree with NumPy, and the
gradients of broadcast operands have their operands' shapes (central un-broadcasting)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import nanotorch as nt
from nanotorch.testing import assert_close

DEVICES = ["cpu", "strict:1"]
finite = st.floats(-10, 10, allow_nan=False, width=64)


@settings(max_examples=60, deadline=None)
@given(
    shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4, max_side=4),
    op=st.sampled_from(["add", "sub", "mul", "maximum"]),
    device=st.sampled_from(DEVICES),
    data=st.data(),
)
def test_property_broadcasting_matches_numpy_and_grads_keep_shapes(shapes, op, device, data):
    sa, sb = shapes.input_shapes
    a = data.draw(hnp.arrays(np.float64, sa, elements=finite))
    b = data.draw(hnp.arrays(np.float64, sb, elements=finite))
    ta = nt.tensor(a, device=device, requires_grad=True)
    tb = nt.tensor(b, device=device, requires_grad=True)
    out = getattr(nt, op)(ta, tb)
    ref = {"add": np.add, "sub": np.subtract, "mul": np.multiply, "maximum": np.maximum}[op]
    assert_close(out, ref(a, b))
    assert out.shape == shapes.result_shape
    out.sum().backward()
    assert ta.grad.shape == sa and tb.grad.shape == sb
    if op != "maximum":
        # d(sum(out))/da is the other factor (or +-1) broadcast, summed back to a's shape.
        full = shapes.result_shape
        da = {"add": np.ones(full), "sub": np.ones(full), "mul": np.broadcast_to(b, full)}[op]
        db = {"add": np.ones(full), "sub": -np.ones(full), "mul": np.broadcast_to(a, full)}[op]
        assert_close(ta.grad, _sum_to(da, sa), rtol=1e-9, atol=1e-9)
        assert_close(tb.grad, _sum_to(db, sb), rtol=1e-9, atol=1e-9)


def _sum_to(x: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    lead = x.ndim - len(shape)
    x = x.sum(axis=tuple(range(lead))) if lead else x
    axes = tuple(i for i, s in enumerate(shape) if s == 1 and x.shape[i] != 1)
    return x.sum(axis=axes, keepdims=True).reshape(shape) if axes else x.reshape(shape)


@settings(max_examples=60, deadline=None)
@given(
    arr=hnp.arrays(
        np.float64, hnp.array_shapes(min_dims=1, max_dims=4, max_side=4), elements=finite
    ),
    reduction=st.sampled_from(["sum", "mean", "amax", "amin", "prod", "logsumexp"]),
    keepdim=st.booleans(),
    device=st.sampled_from(DEVICES),
    data=st.data(),
)
def test_property_reductions_match_numpy(arr, reduction, keepdim, device, data):
    dims = data.draw(
        st.lists(st.integers(0, arr.ndim - 1), min_size=1, max_size=arr.ndim, unique=True)
    )
    dim = tuple(dims)
    t = nt.tensor(arr, device=device)
    if reduction == "prod":
        dim = dims[0]
    out = getattr(nt, reduction)(t, dim, keepdim)
    if reduction == "logsumexp":
        m = arr.max(axis=dim, keepdims=True)
        ref = np.log(np.exp(arr - m).sum(axis=dim, keepdims=True)) + m
        if not keepdim:
            ref = np.squeeze(ref, axis=dim)
    else:
        fn = {"sum": np.sum, "mean": np.mean, "amax": np.max, "amin": np.min, "prod": np.prod}[
            reduction
        ]
        ref = fn(arr, axis=dim, keepdims=keepdim)
    assert_close(out, ref, rtol=1e-9, atol=1e-9)
