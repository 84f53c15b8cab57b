"""The library refuses bad input with a clear error, never a silent wrong answer.

Table-driven: each row is one bad call, the error class PyTorch raises for it, and a pattern
the message must match (the function's name and the bad value). discovery/failure-modes.md
lists the promises these tests pin.
"""

from __future__ import annotations

import math
import os
import re

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


# ---------------------------------------------------------------------------- creation functions

# A size argument (an int or a shape) that is not a non-negative int: TypeError for the wrong
# type (PyTorch: "must be tuple of ints"), ShapeError -- a RuntimeError like PyTorch's
# "negative dimension" and a ValueError -- for a negative one.
BAD_SIZES = [
    (2.5, TypeError, r"2\.5"),
    ("3", TypeError, r"'3'"),
    (True, TypeError, r"True"),
    (None, TypeError, r"None"),
    (math.nan, TypeError, r"nan"),
    (-1, RuntimeError, r"negative dimension -1"),
]
SIZED = {
    "zeros": lambda s: nt.zeros(s),
    "ones": lambda s: nt.ones(2, s),
    "empty": lambda s: nt.empty((s, 2)),
    "rand": lambda s: nt.rand(s),
    "randn": lambda s: nt.randn([2, s]),
    "full": lambda s: nt.full((s,), 1.0),
    "randint": lambda s: nt.randint(0, 5, (s,)),
}
CREATION_CASES = [
    pytest.param(lambda f=f, size=size: f(size), error, rf"{name}: .*{match}", id=f"{name}-{size}")
    for name, f in SIZED.items()
    for size, error, match in BAD_SIZES
] + [
    pytest.param(lambda: nt.eye(-1), RuntimeError, r"eye: n must be >= 0, got -1", id="eye-neg"),
    pytest.param(lambda: nt.eye(2, -3), RuntimeError, r"eye: .*m.* -3", id="eye-m-neg"),
    pytest.param(lambda: nt.eye(2.5), TypeError, r"eye: n must be an int, got float 2\.5", id="e"),
    pytest.param(lambda: nt.eye(2, "3"), TypeError, r"eye: m must be an int", id="eye-m-str"),
    pytest.param(lambda: nt.randperm(-1), RuntimeError, r"randperm: n must be >= 0, got -1"),
    pytest.param(lambda: nt.randperm(2.5), TypeError, r"randperm: n must be an int, got float"),
    pytest.param(lambda: nt.randperm(True), TypeError, r"randperm: n must be an int, got bool"),
    pytest.param(lambda: nt.linspace(0, 1, 2.5), TypeError, r"linspace: steps must be an int"),
    pytest.param(lambda: nt.linspace(0, 1, -1), RuntimeError, r"linspace: steps must be >= 0"),
    pytest.param(lambda: nt.linspace(0, "1", 3), TypeError, r"linspace: end must be a number"),
    pytest.param(lambda: nt.linspace(None, 1, 3), TypeError, r"linspace: start must be a num"),
    pytest.param(lambda: nt.arange(0, math.nan), RuntimeError, r"arange: .*finite.*end=nan"),
    pytest.param(lambda: nt.arange(0, math.inf), RuntimeError, r"arange: .*finite.*end=inf"),
    pytest.param(lambda: nt.arange(math.nan), RuntimeError, r"arange: .*end=nan"),
    pytest.param(lambda: nt.arange(0, 1, math.nan), RuntimeError, r"arange: .*step=nan"),
    pytest.param(lambda: nt.arange(0, 5, -1), RuntimeError, r"arange: .*inconsistent with step"),
    pytest.param(lambda: nt.arange(5, 0), RuntimeError, r"arange: .*inconsistent with step"),
    pytest.param(lambda: nt.arange("5"), TypeError, r"arange: end must be a number, got str"),
    pytest.param(lambda: nt.arange(0, 5, None), TypeError, r"arange: step must be a number"),
    pytest.param(lambda: nt.arange(0, 1, 0), RuntimeError, r"arange: step must be non-zero"),
    pytest.param(lambda: nt.randint(5, 2, (3,)), RuntimeError, r"randint: need low < high"),
    pytest.param(lambda: nt.randint(0.5, 2, (3,)), TypeError, r"randint: low must be an int"),
    pytest.param(lambda: nt.randint(0, "9", (3,)), TypeError, r"randint: high must be an int"),
    pytest.param(lambda: nt.randint(0, 9, 3), TypeError, r"randint: size must be a tuple"),
    pytest.param(lambda: nt.full((2,), "x"), TypeError, r"full: fill_value must be a number"),
    pytest.param(lambda: nt.full((2,), None), TypeError, r"full: fill_value must be a number"),
    pytest.param(lambda: nt.zeros_like([1, 2]), TypeError, r"zeros_like: expected a Tensor, got"),
    pytest.param(lambda: nt.ones_like(None), TypeError, r"ones_like: expected a Tensor"),
    pytest.param(lambda: nt.empty_like(3), TypeError, r"empty_like: expected a Tensor"),
    pytest.param(lambda: nt.full_like("a", 1), TypeError, r"full_like: expected a Tensor"),
    pytest.param(lambda: nt.rand_like([1.0]), TypeError, r"rand_like: expected a Tensor"),
    pytest.param(lambda: nt.randn_like(1.0), TypeError, r"randn_like: expected a Tensor"),
    pytest.param(lambda: nt.zeros(2, dtype="complex64"), ValueError, r"zeros: unknown dtype"),
    pytest.param(lambda: nt.ones(2, dtype=5), TypeError, r"ones: expected a nanotorch dtype"),
    pytest.param(lambda: nt.arange(3, dtype="x"), ValueError, r"arange: unknown dtype 'x'"),
    pytest.param(lambda: nt.tensor([1], dtype=int), TypeError, r"tensor: expected a nanotorch"),
    pytest.param(
        lambda: nt.zeros(2, dtype=nt.int64, requires_grad=True),
        RuntimeError,
        r"zeros: only floating-point tensors can require gradients, got nanotorch\.int64",
    ),
    pytest.param(lambda: nt.tensor(None), TypeError, r"tensor: data must be numbers"),
    pytest.param(lambda: nt.tensor("abc"), TypeError, r"tensor: cannot make a tensor from str"),
    pytest.param(lambda: nt.tensor([1, [2, 3]]), ValueError, r"tensor: cannot build an array"),
]


@pytest.mark.parametrize("make, error, match", CREATION_CASES)
def test_creation_functions_refuse_bad_arguments(make, error, match):
    with pytest.raises(error, match=match):
        make()


def test_creation_functions_accept_index_like_sizes():
    # Anything with __index__ is an int (NumPy ints, 0-d integer tensors), as in PyTorch.
    assert nt.zeros(np.int64(2), 3).shape == (2, 3)
    assert nt.ones((nt.tensor(2),)).shape == (2,)
    assert nt.randperm(np.int32(3)).shape == (3,)
    assert nt.eye(np.int64(2)).shape == (2, 2)
    assert nt.zeros(0).shape == (0,) and nt.randperm(0).shape == (0,)


# ---------------------------------------------------------------------------- nn constructors

LAYER_CASES = [
    (lambda: nt.nn.Linear(2.5, 2), TypeError, r"Linear: in_features must be an int, got float"),
    (lambda: nt.nn.Linear(2, "3"), TypeError, r"Linear: out_features must be an int, got str"),
    (lambda: nt.nn.Linear(True, 2), TypeError, r"Linear: in_features must be an int, got bool"),
    (lambda: nt.nn.Linear(-1, 2), RuntimeError, r"Linear: in_features must be >= 0, got -1"),
    (lambda: nt.nn.Linear(2, -5), ValueError, r"Linear: out_features must be >= 0, got -5"),
    (lambda: nt.nn.Embedding(-1, 3), RuntimeError, r"Embedding: num_embeddings must be >= 0"),
    (lambda: nt.nn.Embedding(3.5, 2), TypeError, r"Embedding: num_embeddings must be an int"),
    (lambda: nt.nn.Embedding(3, None), TypeError, r"Embedding: embedding_dim must be an int"),
    (lambda: nt.nn.LayerNorm(-1), RuntimeError, r"LayerNorm: normalized_shape .*-1"),
    (lambda: nt.nn.LayerNorm(2.5), TypeError, r"LayerNorm: normalized_shape must be"),
    (lambda: nt.nn.LayerNorm("x"), TypeError, r"LayerNorm: normalized_shape must be"),
    (lambda: nt.nn.LayerNorm(4, eps=-1.0), ValueError, r"LayerNorm: eps must be > 0"),
    (lambda: nt.nn.LayerNorm(4, eps="x"), TypeError, r"LayerNorm: eps must be a number"),
    (lambda: nt.nn.BatchNorm1d(-1), RuntimeError, r"BatchNorm1d: num_features must be >= 0"),
    (lambda: nt.nn.BatchNorm2d(2.5), TypeError, r"BatchNorm2d: num_features must be an int"),
    (lambda: nt.nn.BatchNorm1d(3, eps=0), ValueError, r"BatchNorm1d: eps must be > 0"),
    (lambda: nt.nn.BatchNorm1d(3, momentum="x"), TypeError, r"BatchNorm1d: momentum must be"),
    (lambda: nt.nn.BatchNorm1d(3, momentum=2.0), ValueError, r"BatchNorm1d: momentum must be"),
    (lambda: nt.nn.GroupNorm(0, 4), ValueError, r"GroupNorm: num_groups must be >= 1, got 0"),
    (lambda: nt.nn.GroupNorm(2.5, 4), TypeError, r"GroupNorm: num_groups must be an int"),
    (lambda: nt.nn.GroupNorm(2, "4"), TypeError, r"GroupNorm: num_channels must be an int"),
    (lambda: nt.nn.GroupNorm(3, 4), ValueError, r"GroupNorm: num_channels \(4\) must be divis"),
    (lambda: nt.nn.Conv2d(2.5, 2, 3), ValueError, r"Conv2d: in_channels must be a positive int"),
    (lambda: nt.nn.Conv2d(-1, 2, 3), ValueError, r"Conv2d: in_channels must be a positive int"),
    (lambda: nt.nn.Conv1d(1, 2, 0), ValueError, r"Conv1d: kernel_size must be positive"),
    (lambda: nt.nn.Conv2d(1, 2, 3, stride=-1), ValueError, r"Conv2d: stride must be positive"),
    (lambda: nt.nn.ConvTranspose2d(1, 0, 3), ValueError, r"ConvTranspose2d: out_channels must"),
    (lambda: nt.nn.ConvTranspose2d(1, 2, 2.5), (TypeError, ValueError), r"ConvTranspose2d: k"),
    (lambda: nt.nn.MaxPool2d(0), ValueError, r"MaxPool2d: kernel_size must be positive"),
    (lambda: nt.nn.MaxPool2d(2.5), (TypeError, ValueError), r"MaxPool2d: kernel_size"),
    (lambda: nt.nn.AvgPool2d(2, stride=0), ValueError, r"AvgPool2d: stride must be positive"),
    (lambda: nt.nn.MaxPool2d(2, padding=2), ValueError, r"MaxPool2d: padding .* at most half"),
    (lambda: nt.nn.AdaptiveAvgPool2d(-1), ValueError, r"AdaptiveAvgPool2d: output_size must"),
    (lambda: nt.nn.Dropout(1.5), ValueError, r"Dropout: probability has to be between 0 and 1"),
    (lambda: nt.nn.Dropout(math.nan), ValueError, r"Dropout: probability .* got nan"),
    (lambda: nt.nn.Dropout("x"), ValueError, r"Dropout: probability .* got x"),
    (lambda: nt.nn.Dropout2d(-0.1), ValueError, r"Dropout2d: probability"),
]


@pytest.mark.parametrize("make, error, match", LAYER_CASES)
def test_layer_constructors_refuse_bad_sizes(make, error, match):
    with pytest.raises(error, match=match):
        make()


def test_layer_constructors_accept_zero_and_index_like_sizes():
    assert nt.nn.Linear(0, 2).weight.shape == (2, 0)  # PyTorch allows empty layers too
    assert nt.nn.Linear(np.int64(3), 2).weight.shape == (2, 3)
    assert nt.nn.Embedding(np.int32(4), 2).weight.shape == (4, 2)
    assert nt.nn.LayerNorm((2, np.int64(3))).weight.shape == (2, 3)


# ---------------------------------------------------------------------------- data


def _ds(n=4):
    return nt.data.TensorDataset(np.arange(n))


@pytest.mark.parametrize(
    "lengths, error, match",
    [
        ([5, -1], ValueError, r"random_split: lengths must be non-negative, got \[5, -1\]"),
        ([3, 2], ValueError, r"random_split: lengths \[3, 2\] sum to 5 but the dataset has 4"),
        ([0.5, 0.6], ValueError, r"random_split: fractions \[0\.5, 0\.6\] must .* sum to 1"),
        ([1.5, -0.5], ValueError, r"random_split: fractions .* must be in \[0, 1\]"),
        ([math.nan, 1.0], ValueError, r"random_split: fractions"),
        (["a", 2], TypeError, r"random_split: lengths must be ints or floats, got 'a'"),
        ([True, 3], TypeError, r"random_split: lengths must be ints or floats, got True"),
        (4, TypeError, r"random_split: lengths must be a sequence"),
    ],
)
def test_random_split_refuses_bad_lengths(lengths, error, match):
    with pytest.raises(error, match=match):
        nt.data.random_split(_ds(), lengths)


@pytest.mark.parametrize(
    "lengths, sizes",
    [([4, 0], [4, 0]), ([1, 3], [1, 3]), ([0.5, 0.5], [2, 2]), ([0.34, 0.33, 0.33], [2, 1, 1])],
)
def test_random_split_accepts_counts_and_fractions(lengths, sizes):
    parts = nt.data.random_split(_ds(), lengths, generator=nt.Generator().manual_seed(0))
    assert [len(p) for p in parts] == sizes
    assert sorted(int(i) for p in parts for i in p.indices) == [0, 1, 2, 3]


@pytest.mark.parametrize(
    "arrays, error, match",
    [
        ((None,), TypeError, r"TensorDataset: array 0 is a NoneType, not an array or tensor"),
        ((np.arange(3), "abc"), TypeError, r"TensorDataset: array 1 is a str"),
        ((np.array(5),), ValueError, r"TensorDataset: array 0 is 0-d"),
        ((np.array([object()]),), TypeError, r"TensorDataset: array 0 has dtype object"),
        (
            (np.zeros((4, 2)), np.zeros(3)),
            ValueError,
            r"TensorDataset: size mismatch: array 0 has 4 rows but array 1 has 3",
        ),
        ((), ValueError, r"TensorDataset: needs at least one array"),
    ],
)
def test_tensor_dataset_refuses_bad_arrays(arrays, error, match):
    with pytest.raises(error, match=match):
        nt.data.TensorDataset(*arrays)


def test_tensor_dataset_accepts_lists_of_numbers():
    ds = nt.data.TensorDataset([1, 2, 3], nt.tensor([[1.0], [2.0], [3.0]]))
    assert len(ds) == 3 and ds[1][0] == 2


# ---------------------------------------------------------------------------- gradients at edges


@pytest.mark.parametrize(
    "loss, scale",
    [
        (lambda x, t: nt.nn.functional.huber_loss(x, t, reduction="sum", delta=2.0), 2.0),
        (lambda x, t: nt.nn.functional.smooth_l1_loss(x, t, reduction="sum", beta=2.0), 1.0),
    ],
)
def test_robust_losses_have_finite_gradients_at_infinite_residuals(device, loss, scale):
    # PyTorch's analytic backward: the linear branch's slope, +-delta (huber) or +-1 (smooth
    # L1), however large the residual -- not nan from the unused quadratic branch.
    x = nt.tensor([math.inf, -math.inf, 0.5, 3.0], device=device, requires_grad=True)
    t = nt.zeros(4, device=device)
    loss(x, t).backward()
    quadratic = 0.5 * scale / 2.0  # d(0.5 d^2 / beta) = d / beta, times delta for huber
    assert x.grad.tolist() == pytest.approx([scale, -scale, quadratic, scale])


def test_pow_exponent_gradient_at_zero_base_is_pytorchs(device):
    # d(x**y)/dy = x**y * log(x), but PyTorch defines it as 0 where x == 0 and y >= 0 (the
    # limit), leaving -inf where y < 0; d/dx is 0 wherever y == 0.
    x = nt.zeros(3, device=device, requires_grad=True)
    y = nt.tensor([-1.0, 0.0, 2.0], device=device, requires_grad=True)
    (x**y).sum().backward()
    assert y.grad.tolist() == [-math.inf, 0.0, 0.0]
    assert x.grad.tolist()[1] == 0.0  # 0 * 0 ** -1 would be nan
    x = nt.tensor([0.0, 0.0], device=device, requires_grad=True)
    y = nt.tensor([0.0, 0.3], device=device, requires_grad=True)
    (x**y).sum().backward()
    assert x.grad.tolist()[0] == 0.0 and y.grad.tolist() == [0.0, 0.0]


@pytest.mark.parametrize(
    "base, expected",
    [
        (0.0, [-math.inf, 0.0, 0.0]),  # masked like the tensor case
        (2.0, [0.5 * math.log(2), math.log(2), 4 * math.log(2)]),
        (-2.0, [math.nan, math.nan, math.nan]),  # log of a negative number: nan, no raise
    ],
)
def test_pow_scalar_base_exponent_gradient(device, base, expected):
    y = nt.tensor([-1.0, 0.0, 2.0], device=device, dtype=nt.float64, requires_grad=True)
    (base**y).sum().backward()
    np.testing.assert_allclose(y.grad.tolist(), expected)


# ---------------------------------------------------------------------------- empty reductions

F = nt.nn.functional


@pytest.mark.parametrize(
    "make, shape, values",
    [
        (lambda x: nt.logsumexp(x, dim=0), (), [-math.inf]),
        (lambda x: nt.logsumexp(x.reshape(2, 0), dim=1), (2,), [-math.inf, -math.inf]),
        (lambda x: nt.logsumexp(x.reshape(2, 0), dim=1, keepdim=True), (2, 1), None),
        (lambda x: nt.logsumexp(x, dim=None), (), [-math.inf]),
        (lambda x: nt.logsumexp(nt.zeros(0, 3, device=x.device), dim=1), (0,), []),
        (lambda x: F.softmax(x.reshape(2, 0), dim=1), (2, 0), None),
        (lambda x: F.log_softmax(x.reshape(2, 0), dim=1), (2, 0), None),
        (lambda x: F.softmax(x, dim=0), (0,), []),
        (lambda x: x.sum(), (), [0.0]),
        (lambda x: x.prod(), (), [1.0]),
        (lambda x: x.mean(), (), [math.nan]),
        (lambda x: x.reshape(2, 0).sum(dim=1), (2,), [0.0, 0.0]),
        (lambda x: nt.zeros(2, 0, device=x.device).amax(dim=0), (0,), []),
    ],
)
def test_reductions_over_empty_dims_match_pytorch(device, make, shape, values):
    x = nt.zeros(0, device=device, requires_grad=True)
    out = make(x)
    assert tuple(out.shape) == shape
    if values is not None:
        np.testing.assert_equal(np.array(out.tolist(), dtype=float).ravel(), values)
    if out.requires_grad:  # backward through an empty reduction is fine too
        out.sum().backward()
        assert x.grad is None or x.grad.shape == (0,)


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda x: x.max(), r"amax: cannot reduce over an empty dimension"),
        (lambda x: x.min(), r"amin: cannot reduce over an empty dimension"),
        (lambda x: nt.amax(x, dim=0), r"amax: cannot reduce over an empty dimension"),
        (lambda x: x.reshape(2, 0).max(dim=1), r"argmax: cannot reduce over an empty dim"),
        (lambda x: x.argmin(), r"argmin: cannot reduce over an empty dimension"),
    ],
)
def test_max_min_over_empty_dims_raise_runtime_error(make, match):
    with pytest.raises(RuntimeError, match=match):
        make(nt.zeros(0))


# ---------------------------------------------------------------------------- file names


@pytest.mark.parametrize(
    "name",
    [
        "\N{GRINNING FACE}" * 63 + ".st",  # 255 bytes in UTF-8, only 66 characters
        "a" * 252 + ".st",
        "\N{LATIN SMALL LETTER E WITH ACUTE}" * 126 + ".st",
    ],
)
def test_save_accepts_any_legal_file_name(tmp_path, name):
    assert len(os.fsencode(name)) == 255
    nt.save({"w": nt.arange(3)}, tmp_path / name)
    assert nt.load(tmp_path / name)["w"].tolist() == [0, 1, 2]
    assert os.listdir(tmp_path) == [name]  # no temporary file left behind


def test_save_temporary_name_fits_name_max_in_bytes():
    from nanotorch.checkpoint.atomic import temporary_name

    for name in ["\N{GRINNING FACE}" * 63 + ".st", "x" * 255, "short.st"]:
        tmp = temporary_name(name, 255)
        assert len(os.fsencode(tmp)) <= 255 and tmp.startswith(".") and tmp.endswith(".tmp")
        assert os.fsdecode(os.fsencode(tmp)) == tmp  # no character cut in half


# ---------------------------------------------------------------------------- .to(string)


@pytest.mark.parametrize(
    "arg, match",
    [
        ("float32", r"to: 'float32' is not a device; to change the dtype pass nanotorch\.float32"),
        ("double", r"to: 'double' is not a device; to change the dtype pass nanotorch\.float64"),
        ("long", r"to: 'long' is not a device; .*nanotorch\.int64"),
        ("float16", r"to: 'float16' is not a device; to change the dtype pass nanotorch\.float16"),
        ("complex64", r"to: 'complex64' is not a device.*nanotorch has no complex64.*float32"),
    ],
)
def test_to_with_a_dtype_name_says_it_is_not_a_device(arg, match):
    x = nt.ones(2)
    with pytest.raises(RuntimeError, match=match) as info:
        x.to(arg)
    assert isinstance(info.value, ValueError)  # as a bad device string always was
    with pytest.raises(RuntimeError, match=match):
        x.to(device=arg)


def test_to_with_an_unknown_device_still_lists_the_kinds():
    with pytest.raises(ValueError, match=r"unknown device kind 'gpu'.*cpu, cuda"):
        nt.ones(2).to("gpu")


# ---------------------------------------------------------------------------- beyond the list

# Shapes, dims and sizes that used to be silently coerced with int() or failed with a raw
# Python error that names no op.
MORE_CASES = [
    (lambda x: x.reshape(2.5, 2), TypeError, r"reshape: shape must be an int, got float 2\.5"),
    (lambda x: x.reshape("6"), TypeError, r"reshape: shape must be an int, got str '6'"),
    (lambda x: x.view(3, True), TypeError, r"reshape: shape must be an int, got bool"),
    (lambda x: x.expand(2.5, 3), TypeError, r"broadcast_to: shape must be an int, got float"),
    (lambda x: x.squeeze(1.5), TypeError, r"squeeze: dim must be an int or a tuple of ints"),
    (lambda x: x.sum(dim=1.5), TypeError, r"sum: dim must be an int or a tuple of ints, got"),
    (lambda x: x.sum(dim="a"), TypeError, r"sum: dim must be an int"),
    (lambda x: x.split(1.5, dim=1), TypeError, r"split: split_size_or_sections must be a seq"),
    (lambda x: x.split([1, 1.5], dim=1), TypeError, r"split: split_size_or_sections must be an"),
    (lambda x: F.pad(x, (1.5, 0)), TypeError, r"pad: pad must be a sequence of ints, got \(1\.5"),
    (lambda x: x.uniform_(2.0, 1.0), ValueError, r"uniform_: needs a <= b .* a=2\.0, b=1\.0"),
    (lambda x: x.uniform_("a", 1.0), TypeError, r"uniform_: a must be a Python number"),
    (lambda x: x.normal_(0.0, -1.0), ValueError, r"normal_: std must be >= 0, got std=-1\.0"),
    (lambda x: x.normal_(0.0, math.nan), ValueError, r"normal_: std must be >= 0, got std=nan"),
    (lambda x: nt.nn.init.uniform_(x, 1, 0), ValueError, r"uniform_: needs a <= b"),
    (lambda x: nt.nn.init.normal_(x, 0, -2), ValueError, r"normal_: std must be >= 0"),
]


@pytest.mark.parametrize("make, error, match", MORE_CASES)
def test_shape_and_fill_arguments_are_checked(device, make, error, match):
    with pytest.raises(error, match=match):
        make(nt.ones(2, 3, device=device))


def _params():
    p = nt.zeros(2, requires_grad=True)
    p.grad = nt.ones(2)
    return [p]


DATA_CASES = [
    (lambda ds: nt.data.DataLoader(None), TypeError, r"DataLoader: dataset must support len"),
    (lambda ds: nt.data.DataLoader(ds, batch_size=True), ValueError, r"batch_size must be a p"),
    (lambda ds: nt.data.DataLoader(ds, batch_size=2.5), ValueError, r"batch_size .* got 2\.5"),
    (lambda ds: nt.data.DataLoader(ds, shuffle="yes"), TypeError, r"DataLoader: shuffle must"),
    (lambda ds: nt.data.DataLoader(ds, drop_last=1), TypeError, r"DataLoader: drop_last must"),
    (lambda ds: nt.data.Subset(ds, [1.5]), TypeError, r"Subset: indices must be integers"),
    (lambda ds: nt.data.Subset(ds, [0, 10]), IndexError, r"Subset: indices must be in \[-4, 4\)"),
    (
        lambda ds: nt.nn.utils.clip_grad_norm_(_params(), "a"),
        TypeError,
        r"clip_grad_norm_: max_norm must be a Python number, got str 'a'",
    ),
]


@pytest.mark.parametrize("make, error, match", DATA_CASES)
def test_data_and_utility_arguments_are_checked(make, error, match):
    with pytest.raises(error, match=match):
        make(_ds())


def test_manual_seed_accepts_numpy_integers_as_pytorch_does():
    nt.manual_seed(np.int64(3))
    a = nt.rand(2).tolist()
    nt.manual_seed(3)
    assert nt.rand(2).tolist() == a
    nt.manual_seed(0)


@pytest.mark.parametrize("make", ["make_xor", "make_moons", "make_sine", "make_blobs"])
def test_synthetic_datasets_take_negative_seeds(make):
    # --seed -1 reaches these; a negative seed is its unsigned twin, as in manual_seed.
    from nanotorch.data import synthetic

    f = getattr(synthetic, make)
    a, b = f(seed=-1), f(seed=2**64 - 1)
    assert all(np.array_equal(x, y) for x, y in zip(a.arrays, b.arrays, strict=True))
    with pytest.raises(RuntimeError, match=r"seed: seed 18446744073709551616 is out of range"):
        f(seed=2**64)


@pytest.mark.parametrize(
    "write, match",
    [
        (lambda t: t.fill_(2**40), r"fill_: value 1099511627776 is out of range for int32"),
        (lambda t: t.fill_(math.nan), r"fill_: cannot convert nan to int32"),
        (lambda t: t.__setitem__(0, 2**31), r"__setitem__: value 2147483648 is out of range"),
        (lambda t: t.__setitem__(0, -math.inf), r"__setitem__: cannot convert -inf to int32"),
    ],
)
def test_writing_a_number_an_integer_tensor_cannot_hold_raises(device, write, match):
    t = nt.zeros(2, dtype=nt.int32, device=device)
    with pytest.raises(OverflowError, match=match):
        write(t)
    assert t.tolist() == [0, 0]
    t.fill_(2**31 - 1)
    t[0] = -(2**31)
    assert t.tolist() == [-(2**31), 2**31 - 1]


# ---------------------------------------------------------------------------- properties

_sizes = st.lists(st.integers(min_value=0, max_value=4), max_size=4)


@given(_sizes)
def test_any_non_negative_int_shape_is_built_exactly(shape):
    assert nt.zeros(*shape).shape == tuple(shape)
    assert nt.full(tuple(shape), 7).shape == tuple(shape)


@given(_sizes, st.floats(allow_nan=True).filter(lambda f: not float(f).is_integer()))
def test_a_non_integral_size_anywhere_always_raises(shape, bad):
    for i in range(len(shape) + 1):
        with pytest.raises(TypeError, match=r"zeros: size must be a tuple of ints"):
            nt.zeros(*shape[:i], bad, *shape[i:])


@given(st.integers(min_value=-(2**63), max_value=2**64 - 1))
def test_every_seed_in_range_is_accepted_as_its_unsigned_value(seed):
    assert nt.Generator().manual_seed(seed).initial_seed() == seed % 2**64


@given(st.one_of(st.integers(min_value=2**64), st.integers(max_value=-(2**63) - 1)))
def test_every_seed_out_of_range_is_refused(seed):
    with pytest.raises(OverflowError, match="out of range"):
        nt.Generator().manual_seed(seed)


@given(st.lists(st.integers(min_value=0, max_value=6), min_size=1, max_size=4))
def test_random_split_partitions_exactly(lengths):
    ds = nt.data.TensorDataset(np.arange(sum(lengths)))
    parts = nt.data.random_split(ds, lengths, generator=nt.Generator().manual_seed(1))
    assert [len(p) for p in parts] == lengths
    seen = sorted(int(i) for p in parts for i in p.indices)
    assert seen == list(range(sum(lengths)))


@given(
    st.one_of(
        st.floats(max_value=-1e-300, allow_nan=False),
        st.just(math.nan),
        st.just(math.inf),
    )
)
def test_any_negative_or_non_finite_lr_is_refused_by_every_optimizer(lr):
    from nanotorch.optim import SGD, Adagrad, Adam, AdamW, RMSprop

    for cls in (SGD, Adam, AdamW, RMSprop, Adagrad):
        with pytest.raises(ValueError, match=rf"{cls.__name__}: invalid learning rate"):
            cls([nt.zeros(1, requires_grad=True)], lr=lr)


EVEN_MORE_CASES = [
    (lambda: nt.ones(2).clamp(min="a"), TypeError, r"clamp: min must be a number or a Tensor"),
    (lambda: nt.ones(2).clamp(max=None, min=[1]), TypeError, r"clamp: min must be a number"),
    (lambda: nt.ones(2).fill_("a"), TypeError, r"fill_: value must be a number, got str 'a'"),
    (lambda: nt.nn.init.constant_(nt.ones(2), None), TypeError, r"fill_: value must be a num"),
    (lambda: nt.tensor([1.0], requires_grad="yes"), TypeError, r"tensor: requires_grad must"),
    (lambda: nt.zeros(2, requires_grad=1), TypeError, r"zeros: requires_grad must be a bool"),
    (lambda: nt.randint(0, 2**70, (2,)), OverflowError, r"randint: value \d+ is out of range"),
    (lambda: nt.randint(0, 2**40, (2,), dtype=nt.int32), OverflowError, r"out of range for int32"),
    (lambda: nt.nn.Embedding(3, 2, padding_idx=1.5), TypeError, r"Embedding: padding_idx must"),
    (
        lambda: F.cross_entropy(nt.zeros(2, 3), nt.tensor([0, 1]), label_smoothing="a"),
        ValueError,
        r"cross_entropy: label_smoothing must be in \[0, 1\], got 'a'",
    ),
    (lambda: F.huber_loss(nt.ones(2), nt.ones(2), delta=math.nan), ValueError, r"delta must be"),
    (lambda: F.huber_loss(nt.ones(2), nt.ones(2), delta="a"), ValueError, r"huber_loss: delta"),
    (lambda: F.smooth_l1_loss(nt.ones(2), nt.ones(2), beta=math.nan), ValueError, r"beta must"),
    (lambda: F.smooth_l1_loss(nt.ones(2), nt.ones(2), beta="a"), ValueError, r"smooth_l1_loss"),
    (
        lambda: nt.optim.SGD([nt.zeros(1, requires_grad=True)], lr=1).step(5),
        TypeError,
        r"SGD\.step: closure must be callable",
    ),
    (
        lambda: nt.data.DataLoader(_ds(), collate_fn=5),
        TypeError,
        r"DataLoader: collate_fn must be callable",
    ),
]


@pytest.mark.parametrize("make, error, match", EVEN_MORE_CASES)
def test_more_arguments_are_checked(make, error, match):
    with pytest.raises(error, match=match):
        make()


def test_randint_draws_into_any_dtype_as_pytorch_does():
    g = nt.Generator().manual_seed(0)
    t = nt.randint(0, 5, (100,), dtype=nt.float32, generator=g)
    assert t.dtype is nt.float32 and set(t.tolist()) <= {0.0, 1.0, 2.0, 3.0, 4.0}
    # an integer dtype is drawn directly, so the int32 stream is what it always was
    a = nt.randint(0, 5, (8,), dtype=nt.int32, generator=nt.Generator().manual_seed(1))
    assert a.dtype is nt.int32


@pytest.mark.parametrize(
    "seed, message",
    [
        (
            "18446744073709551616",
            r"--seed must be an integer in \[-2\*\*63, 2\*\*64\).*got 18446744073709551616",
        ),
        (
            "-9223372036854775809",
            r"--seed must be an integer in \[-2\*\*63, 2\*\*64\).*got -9223372036854775809",
        ),
        ("x", r"argument --seed: invalid int value: 'x'"),
    ],
)
def test_cli_seed_out_of_range_is_one_line_and_exit_2(capsys, seed, message):
    from nanotorch.cli import main

    assert main(["train", "xor", "--seed", seed, "--epochs", "1", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert re.search(message, err)


def test_cli_negative_seed_trains(capsys):
    from nanotorch.cli import main

    assert main(["train", "xor", "--seed", "-1", "--epochs", "1", "--quiet"]) in (0, None)
    assert "seed -1" in capsys.readouterr().out


LAST_CASES = [
    (lambda: F.one_hot(nt.tensor([0, 1]), num_classes=2.5), TypeError, r"one_hot: num_classes"),
    (lambda: F.one_hot(nt.tensor([0, 1]), num_classes=-2), ValueError, r"one_hot: num_classes m"),
    (lambda: nt.ones(2).sum(dtype="x"), ValueError, r"sum: unknown dtype 'x'"),
    (lambda: nt.ones(2).sum(dtype=3), TypeError, r"sum: expected a nanotorch dtype"),
    (lambda: nt.nn.LeakyReLU("a"), TypeError, r"LeakyReLU: negative_slope must be a number"),
    (lambda: F.pad(nt.ones(2), (1, 1), value="a"), TypeError, r"pad: value must be a number"),
]


@pytest.mark.parametrize("make, error, match", LAST_CASES)
def test_remaining_arguments_are_checked(make, error, match):
    with pytest.raises(error, match=match):
        make()


def test_sum_dtype_accepts_names_and_objects():
    assert nt.ones(2, dtype=nt.int32).sum(dtype="float64").dtype is nt.float64
    assert nt.ones(2).sum(dtype=nt.int64).item() == 2
