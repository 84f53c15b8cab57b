"""Bad input raises errors that name the op, the shapes/dims/dtypes and the fix."""

from __future__ import annotations

import pytest

import nanotorch as nt


def test_bad_input_matmul_names_shapes(device):
    with pytest.raises(nt.ShapeError, match=r"matmul: shapes \(2, 3\) and \(4, 5\)"):
        nt.ones(2, 3, device=device) @ nt.ones(4, 5, device=device)


def test_bad_input_broadcast_names_op_and_shapes(device):
    with pytest.raises(nt.ShapeError, match=r"add: shapes \(2, 3\) and \(4,\)"):
        nt.ones(2, 3, device=device) + nt.ones(4, device=device)
    with pytest.raises(RuntimeError):  # ShapeError is also a RuntimeError, like PyTorch's
        nt.ones(2, 3, device=device) * nt.ones(4, device=device)


def test_bad_input_reshape_names_shapes(device):
    with pytest.raises(nt.ShapeError, match=r"reshape: cannot reshape.*\(2, 3\).*\(4, 2\)"):
        nt.ones(2, 3, device=device).reshape(4, 2)


def test_bad_input_cat_names_shapes(device):
    with pytest.raises(nt.ShapeError, match="cat: tensor 1 has shape"):
        nt.cat([nt.ones(2, 3, device=device), nt.ones(2, 4, device=device)])


def test_bad_input_invalid_dim_names_op_dim_and_rank(device):
    with pytest.raises(IndexError, match="sum: dim 3 is out of range for a tensor of rank 2"):
        nt.ones(2, 3, device=device).sum(dim=3)
    with pytest.raises(IndexError, match="softmax: dim -3"):
        nt.ones(2, 3, device=device).softmax(dim=-3)


def test_bad_input_where_needs_bool_condition(device):
    with pytest.raises(TypeError, match="bool"):
        nt.where(nt.ones(2, device=device), nt.ones(2, device=device), 0.0)


def test_bad_input_unsupported_operand():
    with pytest.raises(TypeError, match="unsupported operand"):
        nt.ones(2) + "a"


def test_bad_input_mean_of_integers():
    with pytest.raises(TypeError, match="floating"):
        nt.arange(3).mean()


def test_bad_input_shape_breadth_ops_name_op_shapes_and_fix(device):
    x = nt.ones(3, 4, device=device)
    with pytest.raises(IndexError, match=r"select: index 4 is out of range for dim 1 of size 4"):
        x.select(1, 4)
    with pytest.raises(nt.ShapeError, match=r"select_scatter: src of shape \(3,\) must have the "):
        x.select_scatter(nt.ones(3, device=device), 0, 1)
    with pytest.raises(TypeError, match=r"slice_scatter: src dtype .*int64.*\.to\("):
        x.slice_scatter(nt.ones(3, 4, dtype=nt.int64, device=device))
    with pytest.raises(nt.ShapeError, match=r"diagonal_scatter: src of shape \(4,\).*\(3,\)"):
        x.diagonal_scatter(nt.ones(4, device=device))
    with pytest.raises(RuntimeError, match=r"split_with_sizes: split_sizes \[1, 2\] add up to 3"):
        x.split_with_sizes([1, 2], 1)
    with pytest.raises(nt.ShapeError, match=r"dsplit: .*at least 3 dims, got shape \(3, 4\)"):
        nt.dsplit(x, 2)
    with pytest.raises(RuntimeError, match=r"index_reduce: reduce must be one of"):
        x.index_reduce(0, nt.tensor([0], device=device), nt.ones(1, 4, device=device), "sum")
    with pytest.raises(IndexError, match=r"put: index 12 is out of bounds .* size 12"):
        x.put(nt.tensor([12], device=device), nt.ones(1, device=device))
    with pytest.raises(TypeError, match=r"put: index must be an int64 tensor.*\.long\(\)"):
        x.put(nt.tensor([1], dtype=nt.int32, device=device), nt.ones(1, device=device))
    with pytest.raises(nt.ShapeError, match=r"as_strided: .* reads element 12, past the 12"):
        x.as_strided((2, 2), (6, 6))
    with pytest.raises(nt.ShapeError, match=r"sum_to_size: size \(3, 3\) is not expandable"):
        x.sum_to_size(3, 3)
    with pytest.raises(nt.ShapeError, match=r"broadcast_shapes: shape \(5,\) does not broadcast"):
        nt.broadcast_shapes((3, 4), (5,))
    with pytest.raises(nt.ShapeError, match=r"adjoint: .*got shape \(4,\)"):
        nt.ones(4, device=device).adjoint()
