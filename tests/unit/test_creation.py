"""Creation functions honour dtype and device, and infer dtypes like PyTorch."""

from __future__ import annotations

import numpy as np
import pytest

import nanotorch as nt

FLOAT_DTYPES = [nt.float32, nt.float64]
ALL_DTYPES = [nt.float32, nt.float64, nt.int32, nt.int64, nt.bool]


@pytest.mark.parametrize("dtype", ALL_DTYPES, ids=lambda d: d.name)
def test_creation_filled_honour_dtype_and_device(device, dtype):
    for make in (
        lambda: nt.zeros(2, 3, dtype=dtype, device=device),
        lambda: nt.ones((2, 3), dtype=dtype, device=device),
        lambda: nt.empty(2, 3, dtype=dtype, device=device),
        lambda: nt.full((2, 3), 1, dtype=dtype, device=device),
        lambda: nt.tensor([[1, 0, 1], [0, 1, 1]], dtype=dtype, device=device),
    ):
        t = make()
        assert t.shape == (2, 3)
        assert t.dtype is dtype
        assert t.device == device


def test_creation_values_are_right(device):
    assert nt.zeros(2, device=device).tolist() == [0.0, 0.0]
    assert nt.ones(2, dtype=nt.int64, device=device).tolist() == [1, 1]
    assert nt.full((2,), 7.5, device=device).tolist() == [7.5, 7.5]
    assert nt.eye(2, 3, device=device).tolist() == [[1, 0, 0], [0, 1, 0]]
    assert nt.arange(5, device=device).tolist() == [0, 1, 2, 3, 4]
    assert nt.arange(1, 2, 0.25, device=device).tolist() == [1.0, 1.25, 1.5, 1.75]
    assert nt.linspace(0, 1, 5, device=device).tolist() == [0.0, 0.25, 0.5, 0.75, 1.0]


@pytest.mark.parametrize("dtype", ALL_DTYPES, ids=lambda d: d.name)
def test_creation_like_functions_follow_the_source(device, dtype):
    src = nt.ones(2, 2, dtype=dtype, device=device)
    for t in (nt.zeros_like(src), nt.ones_like(src), nt.full_like(src, 1), nt.empty_like(src)):
        assert t.shape == (2, 2) and t.dtype is dtype and t.device == device
    assert nt.zeros_like(src, dtype=nt.float64).dtype is nt.float64


@pytest.mark.parametrize("dtype", FLOAT_DTYPES, ids=lambda d: d.name)
def test_creation_random_honour_dtype_and_device(device, dtype):
    for t in (
        nt.rand(3, 4, dtype=dtype, device=device),
        nt.randn(3, 4, dtype=dtype, device=device),
    ):
        assert t.shape == (3, 4) and t.dtype is dtype and t.device == device
    r = nt.randint(0, 5, (100,), device=device)
    assert r.dtype is nt.int64 and r.device == device
    values = r.tolist()
    assert min(values) >= 0 and max(values) < 5
    p = nt.randperm(10, device=device)
    assert sorted(p.tolist()) == list(range(10))


def test_creation_infers_dtypes_like_pytorch():
    assert nt.tensor([1.0, 2.0]).dtype is nt.float32
    assert nt.tensor([1, 2]).dtype is nt.int64
    assert nt.tensor([True, False]).dtype is nt.bool
    assert nt.tensor(np.zeros(2, dtype=np.float64)).dtype is nt.float64
    assert nt.arange(3).dtype is nt.int64
    assert nt.arange(3.0).dtype is nt.float32
    assert nt.full((2,), 3).dtype is nt.int64
    assert nt.get_default_dtype() is nt.float32


def test_creation_requires_grad_only_for_floats():
    assert nt.zeros(2, requires_grad=True).requires_grad
    with pytest.raises(RuntimeError, match="floating"):
        nt.zeros(2, dtype=nt.int64, requires_grad=True)


def test_creation_tensor_copies_host_data():
    host = np.ones(3, dtype=np.float32)
    t = nt.tensor(host)
    host[0] = 5
    assert t.tolist() == [1.0, 1.0, 1.0]


def test_creation_from_numpy_shares_memory():
    host = np.ones(3, dtype=np.float32)
    t = nt.from_numpy(host)
    host[0] = 5
    assert t.tolist() == [5.0, 1.0, 1.0]
    with pytest.raises(TypeError):
        nt.from_numpy([1, 2])


def test_creation_rejects_bad_data():
    with pytest.raises((ValueError, TypeError)):
        nt.tensor([[1, 2], [3]])
    with pytest.raises(TypeError, match="complex64"):
        nt.tensor(np.zeros(2, dtype=np.complex64))
    with pytest.raises(ValueError, match="negative"):
        nt.zeros(-1)


def test_creation_from_host_to_device_is_one_counted_copy(device):
    nt.reset_transfer_stats()
    nt.tensor([1.0, 2.0], device=device)
    expected = 0 if device.type == "cpu" else 1
    assert nt.transfer_stats().count == expected
    nt.reset_transfer_stats()
    nt.zeros(3, device=device)
    assert nt.transfer_stats().count == 0


def test_creation_dlpack_round_trip_shares_memory():
    host = np.arange(4, dtype=np.float32)
    t = nt.from_dlpack(host)
    host[0] = 9
    assert t.tolist()[0] == 9
    back = np.from_dlpack(t)
    assert back.tolist() == [9.0, 1.0, 2.0, 3.0]
