"""The library refuses bad input with a clear error, never a silent wrong answer.

Table-driven: each row is one bad call, the error class PyTorch raises for it, and a pattern
the message must match (the function's name and the bad value). discovery/failure-modes.md
lists the promises these tests pin.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import nanotorch as nt

# ---------------------------------------------------------------------------- seeds


@pytest.mark.parametrize(
    "seed, stored",
    [(0, 0), (-1, 2**64 - 1), (-(2**63), 2**63), (2**64 - 1, 2**64 - 1), (5, 5)],
)
def test_manual_seed_accepts_pytorchs_range(seed, stored):
    nt.manual_seed(seed)
    try:
        assert nt.initial_seed() == stored
        assert nt.random.default_generator("cpu").initial_seed() == stored
        a = nt.rand(3).tolist()
        nt.manual_seed(stored)  # a negative seed is the same stream as its unsigned twin
        assert nt.rand(3).tolist() == a
        assert nt.Generator().manual_seed(seed).initial_seed() == stored
        assert nt.Generator(seed=seed).initial_seed() == stored
    finally:
        nt.manual_seed(0)


@pytest.mark.parametrize(
    "seed, error, match",
    [
        (2**64, RuntimeError, r"manual_seed: seed 18446744073709551616 is out of range"),
        (-(2**63) - 1, RuntimeError, r"manual_seed: seed -9223372036854775809 is out of range"),
        (1.5, TypeError, r"manual_seed: seed must be an int, got 1\.5"),
        ("3", TypeError, r"manual_seed: seed must be an int, got '3'"),
        (True, TypeError, r"manual_seed: seed must be an int, got True"),
        (None, TypeError, r"manual_seed: seed must be an int, got None"),
    ],
)
def test_manual_seed_refuses_bad_seeds(seed, error, match):
    before = nt.initial_seed()
    with pytest.raises(error, match=match):
        nt.manual_seed(seed)
    with pytest.raises(error, match=match):
        nt.Generator().manual_seed(seed)
    if seed is not None:  # Generator(seed=None) means the default seed
        with pytest.raises(error, match=match.replace("manual_seed", "Generator")):
            nt.Generator(seed=seed)
    assert nt.initial_seed() == before


# ---------------------------------------------------------------------------- integer range

INT64_MAX, INT64_MIN = 2**63 - 1, -(2**63)


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: nt.tensor(2**64 - 1), r"tensor: value 18446744073709551615 is out of range"),
        (lambda: nt.tensor([2**63]), r"tensor: value 9223372036854775808 is out of range"),
        (lambda: nt.tensor([1, -(2**63) - 1]), r"value -9223372036854775809 is out of range"),
        (lambda: nt.tensor([2**70]), r"tensor: value 1180591620717411303424 is out of range"),
        (lambda: nt.tensor([[1], [2**70]]), r"tensor: value \d+ is out of range for int64"),
        (lambda: nt.tensor(2**31, dtype=nt.int32), r"value 2147483648 is out of range for int32"),
        (lambda: nt.tensor([-(2**31) - 1], dtype=nt.int32), r"out of range for int32"),
        (lambda: nt.tensor(np.array([2**40]), dtype=nt.int32), r"out of range for int32"),
        (lambda: nt.tensor(np.array([2**64 - 1], dtype=np.uint64)), r"out of range for int64"),
        (lambda: nt.as_tensor(np.array([2**63], dtype=np.uint64)), r"out of range for int64"),
        (lambda: nt.tensor(1e10, dtype=nt.int32), r"10000000000\.0 is out of range"),
        (lambda: nt.tensor([1e300], dtype=nt.int64), r"out of range for int64"),
        (lambda: nt.full((2,), 2**63), r"full: value 9223372036854775808 is out of range"),
        (lambda: nt.full((2,), 2**64), r"full: value 18446744073709551616 is out of range"),
        (lambda: nt.full((2,), 2**31, dtype=nt.int32), r"full: value 2147483648 is out of"),
        (lambda: nt.full_like(nt.zeros(2, dtype=nt.int32), 2**40), r"full: value \d+ is out of"),
    ],
)
def test_integer_overflow_raises_not_wraps(make, match):
    with pytest.raises(RuntimeError, match=match) as info:
        make()
    assert isinstance(info.value, OverflowError)  # catchable as either, like PyTorch's


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: nt.tensor(math.nan, dtype=nt.int64), r"tensor: cannot convert nan to int64"),
        (lambda: nt.tensor([1.0, math.inf], dtype=nt.int32), r"cannot convert inf to int32"),
        (lambda: nt.full((2,), math.nan, dtype=nt.int64), r"full: cannot convert nan to int64"),
        (lambda: nt.full((2,), -math.inf, dtype=nt.int32), r"cannot convert -inf to int32"),
        (lambda: nt.full_like(nt.arange(3), math.nan), r"full: cannot convert nan to int64"),
    ],
)
def test_non_finite_to_integer_raises(make, match):
    with pytest.raises(RuntimeError, match=match):
        make()


def test_uint64_arrays_in_int64_range_become_int64():
    # nanotorch has no uint64 (PyTorch barely supports it): values that fit become int64.
    a = np.array([0, 5, 2**63 - 1], dtype=np.uint64)
    for make in (nt.tensor, nt.as_tensor):
        t = make(a)
        assert t.dtype is nt.int64 and t.tolist() == [0, 5, 2**63 - 1]
    for small in (np.uint8, np.uint16, np.uint32, np.int16):
        assert nt.tensor(np.array([1, 255], dtype=small)).tolist() == [1, 255]


@pytest.mark.parametrize(
    "data, dtype, expected",
    [
        ([0.5, 2**63], None, [0.5, 2.0**63]),  # a float makes the tensor floating
        ([2**70], nt.float64, [2.0**70]),
        ([0, 2**63], nt.float32, [0.0, 2.0**63]),
        ([-(2**63), 2**63 - 1], None, [-(2**63), 2**63 - 1]),
    ],
)
def test_wide_ints_are_fine_where_the_dtype_holds_them(data, dtype, expected):
    assert nt.tensor(data, dtype=dtype).tolist() == expected


def test_from_numpy_refuses_uint64_with_a_fix():
    with pytest.raises(TypeError, match=r"from_numpy: unsupported dtype uint64.*nanotorch\.tensor"):
        nt.from_numpy(np.array([1], dtype=np.uint64))


@given(st.integers(min_value=INT64_MIN, max_value=INT64_MAX))
def test_int64_values_round_trip_exactly(v):
    assert nt.tensor(v).item() == v
    assert nt.tensor([v, 0]).tolist() == [v, 0]
    assert nt.full((1,), v).item() == v


@given(st.one_of(st.integers(min_value=INT64_MAX + 1), st.integers(max_value=INT64_MIN - 1)))
def test_int64_values_out_of_range_always_raise(v):
    with pytest.raises(OverflowError, match="out of range for int64"):
        nt.tensor(v)
    with pytest.raises(OverflowError, match="out of range for int64"):
        nt.tensor([0, v])
    with pytest.raises(OverflowError, match="out of range for int64"):
        nt.full((1,), v)


@given(st.integers(min_value=-(2**31), max_value=2**31 - 1))
def test_int32_values_round_trip_exactly(v):
    assert nt.tensor(v, dtype=nt.int32).item() == v


# ---------------------------------------------------------------------------- integer // and %


@pytest.mark.parametrize(
    "op, name", [(lambda a, b: a // b, "floor_divide"), (lambda a, b: a % b, "remainder")]
)
@pytest.mark.parametrize(
    "divisor",
    [
        lambda d: 0,
        lambda d: nt.tensor([1, 0, 2], device=d),
        lambda d: nt.tensor(0, dtype=nt.int32, device=d),
    ],
)
def test_integer_division_by_zero_raises(device, op, name, divisor):
    a = nt.tensor([7, 8, 9], device=device)
    with pytest.raises(RuntimeError, match=rf"{name}: integer division by zero") as info:
        op(a, divisor(device))
    assert isinstance(info.value, ZeroDivisionError)


def test_integer_division_without_zero_and_float_division_by_zero_work(device):
    a = nt.tensor([7, -8, 9], device=device)
    assert (a // 2).tolist() == [3, -4, 4] and (a % 2).tolist() == [1, 0, 1]
    assert (a // nt.tensor([2, 3, -4], device=device)).tolist() == [3, -3, -3]
    # floats follow IEEE: inf and nan, no error (as in PyTorch)
    f = nt.tensor([1.0, -1.0], device=device) // 0.0
    assert f.tolist() == [math.inf, -math.inf]
    assert math.isnan((nt.tensor([1.0], device=device) % 0.0).item())


@pytest.mark.parametrize(
    "op, name", [(lambda a, b: a // b, "floor_divide"), (lambda a, b: a % b, "remainder")]
)
def test_integer_division_of_bools_is_refused(op, name):
    with pytest.raises(TypeError, match=rf"{name}: not defined for bool tensors"):
        op(nt.tensor([True, False]), nt.tensor([True, True]))
