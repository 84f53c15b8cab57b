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
