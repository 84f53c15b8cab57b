"""``nanotorch.testing.assert_close`` behaves as ``torch.testing.assert_close``: the same
keyword-only signature, default tolerances by dtype, NaN handling, attribute checks, nested
containers and messages, so test code written against PyTorch runs unchanged."""

from __future__ import annotations

import math

import numpy as np
import pytest

import nanotorch as nt
from nanotorch.testing import assert_close


def test_close_tensors_pass_and_far_ones_fail_with_pytorchs_report() -> None:
    assert_close(nt.tensor([1.0, 2.0, 3.0]), nt.tensor([1.0, 2.0 + 1e-6, 3.0]))
    with pytest.raises(AssertionError) as info:
        assert_close(nt.tensor([1.0, 2.0, 3.0]), nt.tensor([1.0, 2.5, 3.0]))
    text = str(info.value)
    assert text.startswith("Tensor-likes are not close!")
    assert "Mismatched elements: 1 / 3 (33.3%)" in text
    assert "Greatest absolute difference: 0.5 at index (1,) (up to 1e-05 allowed)" in text
    assert "Greatest relative difference: 0.2 at index (1,) (up to 1.3e-06 allowed)" in text


def test_nan_is_unequal_unless_equal_nan() -> None:
    a, b = nt.tensor([1.0, math.nan]), nt.tensor([1.0, math.nan])
    with pytest.raises(AssertionError, match="not close"):
        assert_close(a, b)
    assert_close(a, b, equal_nan=True)


def test_a_tolerance_left_out_takes_its_dtype_default() -> None:
    # PyTorch refuses rtol without atol; here the missing one is the dtype's default.
    assert_close(nt.tensor([1.0]), nt.tensor([1.0 + 5e-6]), rtol=0.0)  # atol 1e-5
    with pytest.raises(AssertionError, match=r"up to 1e-05 allowed"):
        assert_close(nt.tensor([1.0]), nt.tensor([1.0 + 5e-5]), rtol=0.0)


def test_tolerances_are_keyword_only() -> None:
    with pytest.raises(TypeError):
        assert_close(nt.ones(2), nt.ones(2), 1e-3, 1e-3)  # type: ignore[misc]


def test_attribute_mismatches_name_the_attribute() -> None:
    with pytest.raises(AssertionError, match=r"attribute 'dtype' do not match: .*float32.*float64"):
        assert_close(nt.ones(2), nt.ones(2, dtype=nt.float64))
    assert_close(nt.ones(2), nt.ones(2, dtype=nt.float64), check_dtype=False)
    with pytest.raises(AssertionError, match=r"attribute 'shape' do not match: \(2,\) != \(3,\)"):
        assert_close(nt.ones(2), nt.ones(3))


def test_devices_must_match_unless_told_otherwise() -> None:
    with pytest.raises(AssertionError, match=r"attribute 'device' do not match: cpu != strict:0"):
        assert_close(nt.ones(2), nt.ones(2, device="strict:0"))
    assert_close(nt.ones(2), nt.ones(2, device="strict:0"), check_device=False)


def test_check_stride_compares_the_reported_strides() -> None:
    # Every nanotorch tensor reports row-major strides (Note [Strides of a contiguous
    # reading] in tensor.py), so a transpose compares equal to a fresh tensor of its shape.
    assert_close(nt.ones(2, 3), nt.ones(3, 2).T, check_stride=True)


def test_integers_are_compared_exactly_and_say_equal() -> None:
    with pytest.raises(AssertionError) as info:
        assert_close(nt.tensor([1, 2]), nt.tensor([1, 3]))
    assert str(info.value).startswith("Tensor-likes are not equal!")


def test_python_scalars_and_containers() -> None:
    assert_close(1.0, 1.0 + 1e-9)
    with pytest.raises(AssertionError, match="Scalars are not close!"):
        assert_close(1.0, 1.1)
    assert_close([nt.ones(2), (nt.zeros(1), 3)], [nt.ones(2), (nt.zeros(1), 3)])
    assert_close({"w": nt.ones(2)}, {"w": nt.ones(2)})
    with pytest.raises(AssertionError, match=r"item \[1\]"):
        assert_close([nt.ones(2), nt.ones(2)], [nt.ones(2), nt.zeros(2)])
    with pytest.raises(AssertionError, match=r"keys"):
        assert_close({"w": nt.ones(2)}, {"b": nt.ones(2)})


def test_msg_replaces_or_edits_the_report() -> None:
    with pytest.raises(AssertionError, match="^custom$"):
        assert_close(nt.ones(2), nt.zeros(2), msg="custom")
    with pytest.raises(AssertionError, match=r"^step 3: Tensor-likes are not close!"):
        assert_close(nt.ones(2), nt.zeros(2), msg=lambda m: f"step 3: {m}")


def test_a_tensor_against_an_array_like_is_compared_by_value() -> None:
    # Looser than PyTorch (which raises TypeError): NumPy arrays and nested lists are
    # compared with the tensor's values.
    assert_close(nt.tensor([1.0, 2.0]), np.array([1.0, 2.0], dtype=np.float32))
    assert_close(nt.tensor([1.0, 2.0]), [1.0, 2.0], check_dtype=False)


# ------------------------------------------------------------------------------ make_tensor
def test_make_tensor_draws_in_pytorchs_default_ranges(device) -> None:
    from nanotorch.testing import make_tensor

    f = make_tensor(40, 50, dtype=nt.float32, device=device)
    assert tuple(f.shape) == (40, 50) and f.dtype is nt.float32 and str(f.device) == str(device)
    values = f.cpu().numpy()
    assert values.min() >= -9 and values.max() < 9 and values.std() > 3
    i = make_tensor((1000,), dtype=nt.int64, device=device).cpu().numpy()
    assert i.min() >= -9 and i.max() <= 9 and len(set(i.tolist())) == 19
    u = make_tensor([1000], dtype=nt.uint8, device=device).cpu().numpy()
    assert u.min() >= 0 and u.max() <= 9
    b = make_tensor(1000, dtype=nt.bool, device=device).cpu().numpy()
    assert b.any() and not b.all()


def test_make_tensor_options(device) -> None:
    from nanotorch.testing import make_tensor

    t = make_tensor(500, dtype=nt.float64, device=device, low=2, high=3, requires_grad=True)
    values = t.detach().cpu().numpy()
    assert t.requires_grad and t.is_leaf and values.min() >= 2 and values.max() < 3
    assert make_tensor(dtype=nt.float32, device=device).shape == ()
    z = make_tensor(2000, dtype=nt.int32, device=device, low=-1, high=2, exclude_zero=True)
    assert 0 not in set(z.cpu().numpy().tolist())
    zf = make_tensor(2000, dtype=nt.float32, device=device, low=0, high=0.001, exclude_zero=True)
    assert (zf.cpu().numpy() != 0).all()
    assert make_tensor(3, 2, dtype=nt.float32, device=device, noncontiguous=True).shape == (3, 2)


@pytest.mark.parametrize(
    ("kwargs", "error", "pattern"),
    [
        ({"dtype": nt.int64, "requires_grad": True}, ValueError, "requires_grad=True.*integral"),
        ({"dtype": nt.float32, "low": 5, "high": 1}, ValueError, "`low` must be less than"),
        ({"dtype": nt.float32, "low": math.nan}, ValueError, "cannot be NaN"),
    ],
)
def test_make_tensor_rejects_bad_options(kwargs, error, pattern) -> None:
    from nanotorch.testing import make_tensor

    with pytest.raises(error, match=pattern):
        make_tensor(2, device="cpu", **kwargs)
