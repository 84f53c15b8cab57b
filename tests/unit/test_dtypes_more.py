"""float16, uint8, int8 and int16 on the devices whose libraries have them, and a clear
error where a device lacks a dtype (float16 on strict:N, bfloat16 everywhere NumPy or CuPy
serves)."""

from __future__ import annotations

import numpy as np
import pytest

import nanotorch as nt
from nanotorch.testing import assert_close

NEW_DTYPES = [nt.float16, nt.uint8, nt.int8, nt.int16]


def _has(device, dtype) -> bool:
    return not (dtype is nt.float16 and device.type == "strict")


@pytest.mark.parametrize("dtype", NEW_DTYPES, ids=lambda d: d.name)
def test_new_dtype_makes_tensors_and_computes(device, dtype):
    if not _has(device, dtype):
        pytest.skip("checked by test_float16_on_strict_names_device_and_alternative")
    x = nt.tensor([1, 2, 3], dtype=dtype, device=device)
    assert x.dtype is dtype and x.tolist() == [1, 2, 3]
    assert (x + x).dtype is dtype and (x + x).tolist() == [2, 4, 6]
    assert nt.zeros(2, dtype=dtype, device=device).dtype is dtype
    assert x.to(nt.float32).to(dtype).dtype is dtype
    assert x.element_size() == dtype.itemsize
    if dtype.is_floating_point:
        assert nt.rand(4, dtype=dtype, device=device).dtype is dtype
    else:
        assert x.sum().dtype is nt.int64  # small integers sum in int64, as in PyTorch


def test_dtype_conversion_methods(device):
    x = nt.tensor([1.5, 2.0, -1.0], device=device)
    assert x.byte().dtype is nt.uint8 and x.char().dtype is nt.int8
    assert x.short().dtype is nt.int16 and x.short().tolist() == [1, 2, -1]
    if device.type != "strict":
        assert x.half().dtype is nt.float16 and x.half().tolist() == [1.5, 2.0, -1.0]
    assert nt.half is nt.float16 and nt.short is nt.int16
    assert nt.tensor([1], dtype="half", device="cpu").dtype is nt.float16


def test_float16_gradients_come_back_in_float16():
    x = nt.tensor([1.0, -2.0], dtype=nt.float16, requires_grad=True)
    (x * x).sum().backward()
    assert x.grad.dtype is nt.float16 and x.grad.tolist() == [2.0, -4.0]


def test_numpy_small_dtypes_keep_their_dtype():
    assert nt.tensor(np.array([1, 2], dtype=np.uint8)).dtype is nt.uint8
    assert nt.from_numpy(np.zeros(2, dtype=np.int16)).dtype is nt.int16
    assert nt.tensor(np.array([0.5], dtype=np.float16)).dtype is nt.float16


@pytest.mark.not_on("cpu")
def test_float16_on_strict_names_device_and_alternative(device):
    if device.type != "strict":
        pytest.skip("strict devices only")
    msg = rf"dtype float16 is not supported on device {device}: .*standard.*use float32"
    with pytest.raises(TypeError, match=msg):
        nt.zeros(2, dtype=nt.float16, device=device)
    with pytest.raises(TypeError, match=msg):
        nt.tensor([1.0], dtype=nt.float16, device=device)
    with pytest.raises(TypeError, match=msg):
        nt.ones(2, device=device).half()
    with pytest.raises(TypeError, match=msg):
        nt.tensor([1.0], dtype=nt.float16).to(device)


def test_bfloat16_names_the_device_and_what_to_use(device):
    msg = rf"dtype bfloat16 is not supported on device {device}: .*no bfloat16.*float32"
    with pytest.raises(TypeError, match=msg):
        nt.zeros(2, dtype=nt.bfloat16, device=device)
    with pytest.raises(TypeError, match=msg):
        nt.ones(2, device=device).to(nt.bfloat16)
    with pytest.raises(TypeError, match=msg):
        nt.tensor([1.0], dtype="bfloat16", device=device)


def test_new_dtypes_round_trip_through_safetensors(tmp_path):
    tensors = {
        "h": nt.tensor([0.5, -1.0], dtype=nt.float16),
        "b": nt.tensor([0, 255], dtype=nt.uint8),
        "c": nt.tensor([-128, 7], dtype=nt.int8),
        "s": nt.tensor([-3, 300], dtype=nt.int16),
    }
    nt.save_safetensors(tensors, tmp_path / "t.safetensors")
    back = nt.load_safetensors(tmp_path / "t.safetensors")
    for name, t in tensors.items():
        assert back[name].dtype is t.dtype and back[name].tolist() == t.tolist()


def test_assert_close_uses_float16_tolerances():
    a = nt.tensor([1.0, 100.0], dtype=nt.float16)
    assert_close(a, nt.tensor([1.0005, 100.05], dtype=nt.float16))
    with pytest.raises(AssertionError, match="not close"):
        assert_close(a, nt.tensor([1.01, 100.0], dtype=nt.float16))


def test_uint8_range_is_unsigned_in_overflow_check():
    # uint8 holds [0, 255]: 255 fits, 256 and -1 do not (no wrap-around).
    assert nt.tensor([255], dtype=nt.uint8).tolist() == [255]
    for bad in (256, -1):
        with pytest.raises(OverflowError, match=r"uint8 holds \[0, 255\]"):
            nt.tensor([bad], dtype=nt.uint8)
