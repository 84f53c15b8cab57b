"""Tensor metadata, repr, host access and explicit transfers."""

from __future__ import annotations

import numpy as np
import pytest

import nanotorch as nt


def test_tensor_metadata_reports_shape_size_and_grad_state(device):
    t = nt.zeros(2, 3, device=device)
    assert t.shape == (2, 3) and t.ndim == 2 and t.numel() == 6 and len(t) == 2
    assert t.size() == (2, 3) and t.size(1) == 3 and t.size(-1) == 3
    assert t.requires_grad is False and t.grad is None and t.is_leaf


def test_tensor_repr_shows_values_dtype_device_and_grad(device):
    t = nt.tensor([1.5, 2.0], device=device, requires_grad=True)
    text = repr(t)
    assert "1.5" in text and "float32" in text and str(device) in text
    assert "requires_grad=True" in text
    assert "grad_fn" in repr(t * 2)


def test_tensor_constructor_is_pytorchs_legacy_one():
    # torch.Tensor(data) / torch.Tensor(*sizes): the default float dtype, data copied.
    assert nt.Tensor([1, 2]).dtype == nt.float32 and nt.Tensor([1, 2]).tolist() == [1.0, 2.0]
    assert nt.Tensor((2, 3)).tolist() == [2.0, 3.0]  # a sequence is data, as in PyTorch
    assert nt.Tensor(2, 3).shape == (2, 3) and nt.Tensor(2, 3).dtype == nt.float32
    assert nt.Tensor().shape == (0,)
    assert nt.Tensor([1.0], device="cpu").device == nt.device("cpu")
    t = nt.tensor([1.0, 2.0])
    assert nt.Tensor(t) is t  # a float tensor passes through, as PyTorch's alias
    with pytest.raises(TypeError, match=r"Tensor\(\): expected a float32 tensor, got int64"):
        nt.Tensor(nt.tensor([1, 2]))
    with pytest.raises(TypeError, match=r"Tensor\(\): dtype= is not taken"):
        nt.Tensor([1, 2], dtype=nt.float64)
    assert isinstance(nt.Tensor([1.0]), nt.Tensor)
    for scalar in (2.5, True):  # PyTorch: "new(): data must be a sequence"
        with pytest.raises(TypeError, match=r"Tensor\(\): data must be a sequence"):
            nt.Tensor(scalar)


def test_legacy_tensor_types_as_in_pytorch():
    assert nt.FloatTensor([1, 2]).dtype == nt.float32
    assert nt.LongTensor([1, 2]).dtype == nt.int64
    assert nt.DoubleTensor(3).shape == (3,) and nt.DoubleTensor(3).dtype == nt.float64
    assert nt.BoolTensor([1, 0]).tolist() == [True, False]
    assert isinstance(nt.ones(2), nt.FloatTensor)
    assert not isinstance(nt.ones(2), nt.LongTensor)
    assert nt.ones(2).type() == "nanotorch.FloatTensor"
    assert nt.ones(2, dtype=nt.int64).type() == "nanotorch.LongTensor"
    assert nt.ones(2).type("torch.LongTensor").dtype == nt.int64  # ported code's spelling
    assert nt.ones(2).type(nt.LongTensor).dtype == nt.int64
    assert nt.ones(2).type(nt.float64).dtype == nt.float64


def test_tensor_to_same_device_returns_self_and_counts_nothing(device):
    t = nt.ones(3, device=device)
    nt.reset_transfer_stats()
    assert t.to(device) is t
    assert t.to(str(device)) is t
    assert nt.transfer_stats().count == 0


def test_tensor_to_between_strict_devices_copies_and_counts():
    a = nt.tensor([1.0, 2.0, 3.0], device="strict:0")
    nt.reset_transfer_stats()
    b = a.to("strict:1")
    assert b is not a and str(b.device) == "strict:1"
    assert b.tolist() == [1.0, 2.0, 3.0]
    stats = nt.transfer_stats()
    assert stats.by_direction["strict:0->strict:1"] == {"count": 1, "bytes": 12}
    assert stats.count == 2  # the copy, and tolist() reading strict:1 on the host


def test_tensor_to_is_differentiable_across_devices():
    a = nt.tensor([1.0, 2.0], device="strict:0", requires_grad=True)
    b = a.to("strict:1") * 3
    b.sum().backward()
    assert str(a.grad.device) == "strict:0"
    assert a.grad.tolist() == [3.0, 3.0]


def test_tensor_to_dtype_and_shorthands(device):
    t = nt.tensor([1.7, -2.2], device=device)
    assert t.double().dtype is nt.float64
    assert t.long().tolist() == [1, -2]
    assert t.int().dtype is nt.int32
    assert t.bool().tolist() == [True, True]
    assert t.to(nt.float64).to(nt.float32).dtype is nt.float32
    assert t.to(device, nt.float64).dtype is nt.float64
    assert t.to(dtype=nt.float32) is t


def test_tensor_numpy_on_cpu_shares_memory():
    t = nt.zeros(3)
    t.numpy()[0] = 4
    assert t.tolist() == [4.0, 0.0, 0.0]


@pytest.mark.parametrize("name", ["strict:0", "strict:1"])
def test_tensor_numpy_off_cpu_raises_with_the_hint(name):
    t = nt.zeros(3, device=name)
    with pytest.raises(RuntimeError, match=r"\.cpu\(\) first"):
        t.numpy()
    assert isinstance(t.cpu().numpy(), np.ndarray)


def test_tensor_item_tolist_float(device):
    t = nt.tensor([[2.5]], device=device)
    assert t.item() == 2.5 and float(t) == 2.5
    assert nt.tensor([1, 2], device=device).tolist() == [1, 2]
    with pytest.raises(ValueError, match="one-element"):
        nt.ones(2, device=device).item()


def test_tensor_item_on_an_accelerator_is_a_counted_sync():
    t = nt.ones(1, device="strict:1")
    nt.reset_transfer_stats()
    t.item()
    assert nt.transfer_stats().by_direction == {"strict:1->host": {"count": 1, "bytes": 4}}


def test_tensor_unavailable_device_says_why():
    if nt.cuda.is_available():
        pytest.skip("cuda present")
    with pytest.raises(RuntimeError, match="not available"):
        nt.ones(2).cuda()


def test_tensor_mixing_strict_devices_raises_device_mismatch():
    a = nt.ones(2, device="strict:0")
    b = nt.ones(2, device="strict:1")
    with pytest.raises(nt.DeviceMismatchError) as info:
        a + b
    message = str(info.value)
    assert "add" in message and "strict:0" in message and "strict:1" in message
    assert ".to(" in message
    assert isinstance(info.value, RuntimeError)


def test_tensor_mixed_dtypes_promote_like_pytorch(device):
    # Earlier versions raised here; Note [Type promotion] (promotion.py) has the rule.
    a = nt.ones(2, device=device)
    b = nt.ones(2, dtype=nt.float64, device=device)
    assert (a * b).dtype is nt.float64


def test_tensor_python_scalars_keep_the_width(device):
    x = nt.ones(2, device=device)
    assert (x * 2.0).dtype is nt.float32
    assert (2 * x).dtype is nt.float32
    assert (x / 3).dtype is nt.float32
    i = nt.ones(2, dtype=nt.int64, device=device)
    assert (i + 1).dtype is nt.int64
    # A float scalar raises the category, to the default float, not to float64.
    assert (i * 0.5).dtype is nt.float32


def test_tensor_in_place_refused_on_tensors_that_require_grad():
    w = nt.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="no_grad"):
        w.add_(1.0)
    with nt.no_grad():
        w.add_(1.0)
    assert w.tolist() == [2.0, 2.0]


def test_tensor_in_place_on_a_saved_tensor_is_caught_at_backward():
    x = nt.ones(3, requires_grad=True)
    w = nt.ones(3)
    y = (x * w).sum()
    w.mul_(2.0)
    with pytest.raises(RuntimeError, match="modified in place"):
        y.backward()


def test_tensor_in_place_ops_check_devices_and_dtypes():
    a = nt.ones(2, device="strict:0")
    with pytest.raises(nt.DeviceMismatchError):
        a.add_(nt.ones(2, device="strict:1"))
    with pytest.raises(RuntimeError, match="can't be cast"):
        nt.ones(2, dtype=nt.int64, device="strict:0").add_(nt.ones(2, device="strict:0"))
    with pytest.raises(RuntimeError, match="broadcast"):
        a.add_(nt.ones(3, 2, device="strict:0"))


def test_tensor_setitem_and_inplace_math(device):
    t = nt.zeros(2, 3, device=device)
    t[0] = 1.0
    t[1, 2] = 5.0
    t += 1.0
    t *= 2.0
    assert t.tolist() == [[4.0, 4.0, 4.0], [2.0, 2.0, 12.0]]
    t.zero_()
    assert t.tolist() == [[0.0] * 3] * 2
    t.copy_(nt.ones(2, 3, dtype=nt.float64, device=device))
    assert t.dtype is nt.float32 and t.tolist() == [[1.0] * 3] * 2


def test_tensor_from_host_data_does_not_share_memory(device):
    host = np.ones(3)
    t = nt.tensor(host, device=device)
    with nt.no_grad():
        t.add_(1.0)
    assert host.tolist() == [1.0, 1.0, 1.0]


def test_tensor_to_another_device_does_not_share_memory(device):
    source_device = "strict:0" if device.type == "cpu" else "cpu"
    src = nt.ones(3, device=source_device)
    dst = src.to(device)
    with nt.no_grad():
        dst.add_(1.0)
    assert src.tolist() == [1.0, 1.0, 1.0]
