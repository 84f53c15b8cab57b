"""Behaviours of the scan family and the reduction arguments that the op specs do not cover:
NumPy's ``axis``/``keepdims`` names, Tensor methods, errors, and the gradients of the ops
that pick elements."""

from __future__ import annotations

import math

import numpy as np
import pytest

import nanotorch as nt
from nanotorch.testing import assert_close

REDUCTIONS_WITH_KEEPDIM = [
    "sum", "mean", "prod", "amax", "amin", "argmax", "argmin", "std", "var", "logsumexp",
    "all", "any", "median",
]  # fmt: skip


@pytest.mark.parametrize("name", REDUCTIONS_WITH_KEEPDIM)
def test_reduction_accepts_numpy_axis_and_keepdims(name, device):
    x = nt.tensor([[3.0, 1.0, 2.0], [0.5, 4.0, 6.0]], device=device)
    for call in (getattr(nt, name), lambda t, **kw: getattr(t, name)(**kw)):
        numpy_style = call(x, axis=1, keepdims=True)
        torch_style = call(x, dim=1, keepdim=True)
        if isinstance(torch_style, tuple):
            numpy_style, torch_style = numpy_style[0], torch_style[0]
        assert numpy_style.shape == torch_style.shape == (2, 1)
        assert_close(numpy_style, torch_style)


@pytest.mark.parametrize(
    "name", ["max", "min", "cumsum", "cumprod", "cummax", "cummin", "logcumsumexp", "mode"]
)
def test_dim_op_accepts_numpy_axis(name, device):
    x = nt.tensor([[3.0, 1.0, 2.0], [0.5, 4.0, 6.0]], device=device)
    a, b = getattr(x, name)(axis=0), getattr(nt, name)(x, dim=0)
    a, b = (a[0], b[0]) if isinstance(b, tuple) else (a, b)
    assert_close(a, b)


def test_shape_and_indexing_ops_accept_numpy_axis(device):
    x = nt.tensor([[1.0, 2.0], [3.0, 4.0]], device=device)
    idx = nt.tensor([[1], [0]], device=device)
    pairs = [
        (nt.cat([x, x], axis=1), nt.cat([x, x], dim=1)),
        (nt.stack([x, x], axis=2), nt.stack([x, x], dim=2)),
        (x.unsqueeze(axis=0), x.unsqueeze(0)),
        (x.unsqueeze(0).squeeze(axis=0), x),
        (x.split(1, axis=1)[0], x.split(1, dim=1)[0]),
        (x.chunk(2, axis=1)[1], x.chunk(2, 1)[1]),
        (x.unbind(axis=1)[0], x.unbind(1)[0]),
        (x.gather(axis=1, index=idx), x.gather(1, idx)),
        (nt.index_select(x, axis=0, index=idx[:, 0]), x.index_select(0, idx[:, 0])),
    ]
    for a, b in pairs:
        assert_close(a, b)


def test_reduction_rejects_dim_and_axis_together(device):
    x = nt.ones(2, 3, device=device)
    with pytest.raises(TypeError, match=r"sum\(\): got both dim= and its alias axis="):
        x.sum(dim=0, axis=1)
    with pytest.raises(TypeError, match="keepdim= and its alias keepdims="):
        nt.mean(x, 0, keepdim=True, keepdims=True)


def test_max_with_dim_returns_named_values_and_indices(device):
    x = nt.tensor([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]], device=device)
    out = x.max(dim=1)
    assert out.values.tolist() == [5.0, 7.0] and out.indices.tolist() == [1, 0]
    low = nt.min(x, 0, keepdim=True)
    assert low.values.tolist() == [[1.0, 0.0, 2.0]] and low.indices.tolist() == [[0, 1, 0]]


def test_prod_of_0d_tensor_over_dim_0_backward(device):
    x = nt.tensor(2.5, dtype=nt.float64, device=device, requires_grad=True)
    y = x.prod(0)
    assert y.shape == () and y.item() == 2.5
    y.backward()
    assert x.grad.item() == 1.0


def test_nonzero_of_0d_tensor_has_shape_count_by_0(device):
    assert nt.tensor(2.5, device=device).nonzero().shape == (1, 0)
    assert nt.tensor(0.0, device=device).nonzero().shape == (0, 0)


def test_cumsum_of_ints_and_bools_is_int64(device):
    assert nt.tensor([1, 2, 3], dtype=nt.int32, device=device).cumsum(0).dtype is nt.int64
    flags = nt.tensor([True, False, True], device=device)
    assert flags.cumsum(0).tolist() == [1, 1, 2]
    assert nt.cumsum(flags, 0, dtype=nt.float64).dtype is nt.float64


def test_cumprod_gradient_with_zeros_matches_the_product_rule(device):
    x = nt.tensor([2.0, 0.0, 3.0, 0.0, 5.0], dtype=nt.float64, device=device, requires_grad=True)
    x.cumprod(0).sum().backward()
    # d/dx_i sum_k prod_{j<=k} x_j, written out: a term survives only if x_i is the one
    # zero factor in it. d/dx_0 = 1 (k=0); d/dx_1 = 2 (k=1) + 2*3 (k=2) = 8; later ones hold
    # the zero x_1 (and x_3) as a factor.
    assert x.grad.tolist() == [1.0, 8.0, 0.0, 0.0, 0.0]


def test_cummax_gradient_accumulates_where_a_maximum_is_held(device):
    x = nt.tensor([1.0, 3.0, 2.0, 0.0], dtype=nt.float64, device=device, requires_grad=True)
    values, indices = x.cummax(0)
    assert indices.tolist() == [0, 1, 1, 1]
    values.sum().backward()
    assert x.grad.tolist() == [1.0, 3.0, 0.0, 0.0]


def test_cummax_propagates_nan_like_pytorch(device):
    x = nt.tensor([1.0, math.nan, 5.0, math.nan, 7.0], device=device)
    values, indices = x.cummax(0)
    assert indices.tolist() == [0, 1, 1, 3, 3]
    assert np.isnan(values.tolist()[1:]).all()


def test_median_is_the_lower_median_and_its_gradient_picks_one_element(device):
    x = nt.tensor([[4.0, 1.0, 3.0, 2.0]], dtype=nt.float64, device=device, requires_grad=True)
    m = x.median()
    assert m.item() == 2.0
    m.backward()
    assert x.grad.tolist() == [[0.0, 0.0, 0.0, 1.0]]
    values, indices = x.median(dim=1)
    assert values.tolist() == [2.0] and indices.tolist() == [3]


def test_median_of_a_line_with_nan_is_nan(device):
    x = nt.tensor([[1.0, math.nan, 0.0], [3.0, 1.0, 2.0]], device=device)
    values, indices = x.median(1)
    assert math.isnan(values.tolist()[0]) and indices.tolist() == [1, 2]
    assert math.isnan(x.median().item())


def test_median_and_mode_of_empty_dims_raise(device):
    # median() of no elements at all is nan, as PyTorch's; along an empty dim it raises.
    assert math.isnan(nt.zeros(0, device=device).median().item())
    with pytest.raises(IndexError, match=r"median: .*empty dimension \(shape \(0, 2\)\)"):
        nt.zeros(0, 2, device=device).median(0)
    with pytest.raises(IndexError, match="mode: .*empty dimension"):
        nt.zeros(2, 0, device=device).mode(1)


def test_mode_gradient_reaches_the_reported_index(device):
    x = nt.tensor([[2.0, 1.0, 2.0, 3.0]], dtype=nt.float64, device=device, requires_grad=True)
    values, indices = x.mode()
    assert values.tolist() == [2.0] and indices.tolist() == [2]
    values.sum().backward()
    assert x.grad.tolist() == [[0.0, 0.0, 1.0, 0.0]]


def test_mode_of_ints(device):
    x = nt.tensor([[0, 2, 1, 1, 1, 3, 3]], device=device)
    values, indices = nt.mode(x, 1)
    assert values.tolist() == [1] and indices.tolist() == [4]


def test_all_any_count_nonzero_dtypes(device):
    x = nt.tensor([[0, 1], [2, 3]], device=device)
    assert x.all().dtype is nt.bool and not x.all().item()
    assert x.any(1).tolist() == [True, True]
    assert nt.count_nonzero(x).dtype is nt.int64 and nt.count_nonzero(x, dim=0).tolist() == [1, 2]


def test_var_mean_and_std_mean_return_two_tensors(device):
    x = nt.tensor([1.0, 2.0, 4.0], device=device)
    v, m = nt.var_mean(x)
    s, m2 = nt.std_mean(x, correction=0)
    assert_close(v, nt.tensor(np.var([1, 2, 4], ddof=1), dtype=nt.float32, device=device))
    assert m.item() == m2.item() == pytest.approx(7 / 3)
    assert s.item() == pytest.approx(np.std([1, 2, 4]))


def test_vector_norm_gradient_at_zero_is_zero(device):
    x = nt.zeros(3, dtype=nt.float64, device=device, requires_grad=True)
    nt.linalg.vector_norm(x).backward()
    assert x.grad.tolist() == [0.0, 0.0, 0.0]


def test_norm_method_and_linalg_agree(device):
    x = nt.tensor([[3.0, -4.0], [0.0, 12.0]], device=device)
    assert x.norm().item() == pytest.approx(13.0)
    assert nt.norm(x, 1, dim=1).tolist() == [7.0, 12.0]
    assert nt.linalg.matrix_norm(x, ord=math.inf).item() == pytest.approx(12.0)


def test_linalg_norm_picks_vector_or_matrix_norm_like_pytorch(device):
    a = nt.tensor([[3.0, -4.0], [0.0, 12.0]], device=device)
    assert nt.linalg.norm(a).item() == pytest.approx(13.0)  # flattened 2-norm
    # ord with a 2-D input and no dim: a matrix norm (max column sum), not sum(|a|).
    assert nt.linalg.norm(a, 1).item() == pytest.approx(16.0)
    assert nt.linalg.norm(a, math.inf).item() == pytest.approx(12.0)
    assert nt.linalg.norm(a, 1, dim=1).tolist() == [7.0, 12.0]
    assert nt.linalg.norm(a, "fro", dim=(0, 1)).item() == pytest.approx(13.0)
    assert nt.linalg.norm(a[0], 1).item() == pytest.approx(7.0)
    with pytest.raises(RuntimeError, match=r"linalg.norm: ord=1 without dim needs a 1-D or 2-D"):
        nt.linalg.norm(nt.ones(2, 2, 2, device=device), 1)
    with pytest.raises(RuntimeError, match="linalg.norm: ord='fro' is a matrix norm"):
        nt.linalg.norm(a[0], "fro")


def test_all_any_of_uint8_stay_uint8_like_pytorch(device):
    x = nt.tensor([[0, 3], [1, 2]], dtype=nt.uint8, device=device)
    assert x.all(1).dtype is nt.uint8 and x.all(1).tolist() == [0, 1]
    assert x.any().dtype is nt.uint8 and x.any().item() == 1


def test_prod_and_mean_take_dtype(device):
    x = nt.tensor([[1, 2], [3, 4]], dtype=nt.int32, device=device)
    assert x.prod().dtype is nt.int64 and x.prod().item() == 24
    assert nt.prod(x, 1, dtype=nt.float64).tolist() == [2.0, 12.0]
    assert nt.mean(x, dtype=nt.float64).item() == 2.5
    assert x.float().mean(0, dtype=nt.float64).dtype is nt.float64


def test_norm_bad_arguments(device):
    x = nt.ones(2, 2, device=device)
    with pytest.raises(RuntimeError, match=r"ord=2 of an empty matrix \(shape \(0, 2\)\)"):
        nt.linalg.matrix_norm(nt.ones(0, 2, device=device), ord=2)
    with pytest.raises(RuntimeError, match="linalg.matrix_norm: unknown ord 3"):
        nt.linalg.matrix_norm(x, ord=3)
    with pytest.raises(RuntimeError, match=r"norm: p='nuc' needs a 2-D input or two dims"):
        nt.norm(nt.ones(2, 2, 2, device=device), "nuc")
    with pytest.raises(RuntimeError, match=r"at least 2 dims, got shape \(2,\)"):
        nt.linalg.matrix_norm(nt.ones(2, device=device))
    with pytest.raises(
        TypeError, match="vector_norm: needs a floating tensor, got nanotorch.int64"
    ):
        nt.linalg.vector_norm(nt.tensor([1, 2], device=device))
    with pytest.raises(TypeError, match="ord must be a number.*matrix_norm"):
        nt.linalg.vector_norm(x, ord="fro")
    with pytest.raises(RuntimeError, match="ord=inf over an empty dimension"):
        nt.linalg.vector_norm(nt.ones(0, device=device), ord=math.inf)


def test_logcumsumexp_keeps_tiny_prefixes(device):
    x = nt.tensor([-1000.0, 0.0], dtype=nt.float64, device=device)
    assert x.logcumsumexp(0).tolist() == [-1000.0, 0.0]
    with pytest.raises(TypeError, match="logcumsumexp: needs a floating tensor"):
        nt.tensor([1, 2], device=device).logcumsumexp(0)


@pytest.mark.parametrize("name", ["argmax", "argmin", "max", "min"])
def test_arg_and_value_reductions_of_a_0d_tensor_over_dim_0(name, device):
    x = nt.tensor(2.5, dtype=nt.float64, device=device, requires_grad=True)
    out = getattr(x, name)(0)
    if name.startswith("arg"):
        assert out.shape == () and out.item() == 0
        return
    assert out.values.shape == out.indices.shape == ()
    assert out.values.item() == 2.5 and out.indices.item() == 0
    out.values.backward()
    assert x.grad.item() == 1.0
