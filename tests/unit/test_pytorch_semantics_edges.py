"""Edge cases where nanotorch once differed from PyTorch: values (integer linspace) and the
error classes that ``except RuntimeError`` code written for PyTorch relies on."""

from __future__ import annotations

import pytest

import nanotorch as nt


def test_linspace_integer_dtype_truncates_toward_zero(device):
    # PyTorch computes in floating point and truncates; NumPy floors (index 10 would be -1).
    out = nt.linspace(5, -5, 20, dtype=nt.int32, device=device).tolist()
    expected = [int(5 + i * (-10 / 19)) for i in range(20)]
    assert out == expected
    assert out[10] == 0


def test_linspace_refuses_bool_dtype():
    with pytest.raises(RuntimeError, match=r"linspace: .*bool"):
        nt.linspace(0, 1, 5, dtype=nt.bool_)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: nt.flip(nt.ones(2, 3), (0, 0)), r"flip: dim \(0, 0\) names an axis twice"),
        (lambda: nt.ones(2, 3).sum((1, 1)), r"sum: dim .* names an axis twice"),
        (lambda: nt.clamp(nt.ones(2)), r"clamp: at least one of min and max"),
        (lambda: nt.ones(2).clip(None, None), r"clamp: at least one of min and max"),
        (
            lambda: nt.gather(nt.ones(2, 3), 1, nt.zeros(2, dtype=nt.int64)),
            r"gather: index has rank 1 but input has rank 2",
        ),
        (lambda: nt.tensor([1, 2]) ** -2, r"pow: integers to negative integer powers"),
    ],
)
def test_validation_errors_are_runtime_errors_as_in_pytorch(call, match):
    with pytest.raises(RuntimeError, match=match) as info:
        call()
    # Code written before this change caught ValueError: it still does.
    assert isinstance(info.value, ValueError)


def test_integer_pow_with_a_tensor_of_negative_exponents_computes_in_integers(device):
    # PyTorch refuses only a negative Python-int exponent; a tensor of exponents goes through
    # its integer kernel: 1 and -1 keep magnitude 1 (by parity), any other base gives 0.
    base = nt.tensor([2, 1, -1, -1, -3, 3], device=device)
    exponent = nt.tensor([-1, -5, -1, -2, -2, 2], device=device)
    out = base**exponent
    assert out.dtype is nt.int64
    assert out.tolist() == [0, 1, -1, 1, 0, 9]
    assert (2 ** nt.tensor([-2, 0, 3], device=device)).tolist() == [0, 1, 8]


def test_integer_pow_with_non_negative_exponents_still_works(device):
    x = nt.tensor([1, 2, 3], device=device)
    assert (x**2).tolist() == [1, 4, 9]
    assert (x ** nt.tensor([0, 1, 2], device=device)).tolist() == [1, 2, 9]
    assert (x**-1.0).dtype is nt.float32  # a float exponent promotes, so no error


@pytest.mark.parametrize("shape", [(0,), (0, 2), (2, 0), (3, 0, 2)])
def test_nonzero_of_an_empty_tensor_is_empty(device, shape):
    a = nt.zeros(*shape, device=device)
    assert a.nonzero().shape == (0, len(shape))
    assert all(c.shape == (0,) for c in a.nonzero(as_tuple=True))
