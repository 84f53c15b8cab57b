"""The bitwise family (ops/bitwise.py) beyond its specs: the Tensor operators and their
reflected forms, Note [Bitwise on bool], and the errors for floating-point operands."""

from __future__ import annotations

import pytest

import nanotorch as nt


def test_bitwise_operators_on_integers(device):
    t = nt.tensor([12, 5, -1], device=device)
    assert (t & 10).tolist() == [8, 0, 10]
    assert (t | 3).tolist() == [15, 7, -1]
    assert (t ^ 6).tolist() == [10, 3, -7]
    assert (~t).tolist() == [-13, -6, 0]
    assert (t << 2).tolist() == [48, 20, -4]
    assert (t >> 1).tolist() == [6, 2, -1]


def test_bitwise_reflected_operators_take_a_python_int_on_the_left(device):
    t = nt.tensor([1, 2, 3], device=device)
    assert (6 & t).tolist() == [0, 2, 2]
    assert (6 | t).tolist() == [7, 6, 7]
    assert (6 ^ t).tolist() == [7, 4, 5]
    assert (1 << t).tolist() == [2, 4, 8]
    assert (64 >> t).tolist() == [32, 16, 8]


def test_reflected_remainder_and_floor_division(device):
    t = nt.tensor([2, 3, -4], device=device)
    assert (7 % t).tolist() == [1, 1, -1]
    assert (7 // t).tolist() == [3, 2, -2]
    f = nt.tensor([2.0, -4.0], device=device)
    assert (7.5 % f).tolist() == [1.5, -0.5]


def test_invert_is_logical_on_bool_and_bitwise_on_integers(device):
    mask = nt.tensor([True, False], device=device)
    assert (~mask).tolist() == [False, True]
    assert (~mask).dtype is nt.bool
    assert (~nt.tensor([0, 1], device=device)).tolist() == [-1, -2]


def test_bool_operators_stay_logical(device):
    a = nt.tensor([True, True, False], device=device)
    b = nt.tensor([True, False, False], device=device)
    assert (a & b).tolist() == [True, False, False]
    assert (a | b).tolist() == [True, True, False]
    assert (a ^ b).tolist() == [False, True, False]
    assert (a & True).dtype is nt.bool


def test_bool_tensor_with_python_int_gives_int64(device):
    mask = nt.tensor([True, False], device=device)
    out = mask & 3
    assert out.dtype is nt.int64 and out.tolist() == [1, 0]
    assert (nt.tensor([4, 5], device=device) & True).tolist() == [0, 1]


@pytest.mark.parametrize(
    "call, op",
    [
        (lambda x: x & x, "bitwise_and"),
        (lambda x: 1 | x, "bitwise_or"),
        (lambda x: x ^ 2, "bitwise_xor"),
        (lambda x: ~x, "bitwise_not"),
        (lambda x: x << 1, "bitwise_left_shift"),
        (lambda x: 8 >> x, "bitwise_right_shift"),
    ],
)
def test_bitwise_ops_reject_floats_naming_op_and_dtype(call, op, device):
    x = nt.tensor([1.0, 2.0], device=device)
    with pytest.raises(TypeError, match=rf"{op}: expects .*tensors, got float32.*\.long\(\)"):
        call(x)


def test_shifts_reject_bool_tensors():
    with pytest.raises(TypeError, match="bitwise_left_shift: expects integer tensors, got bool"):
        nt.tensor([True]) << 1


def test_bitwise_ops_reject_float_scalars():
    with pytest.raises(TypeError, match="bitwise_and: unsupported operand type float"):
        nt.tensor([1, 2]) & 1.5


def test_bitwise_shape_mismatch_names_op_and_shapes():
    with pytest.raises(RuntimeError, match=r"bitwise_or.*\(2,\).*\(3,\)"):
        nt.tensor([1, 2]) | nt.tensor([1, 2, 3])


def test_bitwise_tensor_methods_match_the_functions(device):
    a = nt.tensor([12, -7], device=device)
    b = nt.tensor([3, 2], device=device)
    for name in ("bitwise_and", "bitwise_or", "bitwise_xor"):
        assert getattr(a, name)(b).tolist() == getattr(nt, name)(a, b).tolist()
    assert a.bitwise_not().tolist() == [-13, 6]
    assert a.bitwise_left_shift(b).tolist() == [96, -28]
    assert a.bitwise_right_shift(b).tolist() == [1, -2]
