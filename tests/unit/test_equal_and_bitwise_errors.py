"""``nanotorch.equal`` is ``torch.equal`` (one Python bool), and bitwise ops on floating
tensors raise an error that ``except RuntimeError`` (PyTorch's class) and ``except TypeError``
both catch."""

from __future__ import annotations

import pytest

import nanotorch as nt


def test_equal_returns_a_python_bool(device):
    a = nt.tensor([[1.0, 2.0]], device=device)
    assert nt.equal(a, a.clone()) is True
    assert nt.equal(a, a + 1) is False
    # Broadcastable but different shapes are not equal, unlike elementwise eq.
    assert nt.equal(a, nt.tensor([[1.0, 2.0], [1.0, 2.0]], device=device)) is False
    assert nt.equal(nt.tensor([1, 2], device=device), nt.tensor([1.0, 2.0], device=device))
    nan = nt.tensor([float("nan")], device=device)
    assert nt.equal(nan, nan.clone()) is False


def test_tensor_equal_method(device):
    a = nt.tensor([1, 2], device=device)
    assert a.equal(nt.tensor([1, 2], device=device)) is True


def test_equal_rejects_non_tensors():
    with pytest.raises(TypeError, match="equal: expects two Tensors"):
        nt.equal(nt.tensor([1.0]), [1.0])


@pytest.mark.parametrize(
    "call",
    [
        lambda x: x & 1,
        lambda x: nt.bitwise_or(x, x),
        lambda x: ~x,
        lambda x: x << 1,
    ],
)
def test_bitwise_on_float_raises_runtime_and_type_error(device, call):
    x = nt.tensor([1.0, 2.0], device=device)
    with pytest.raises(RuntimeError, match="float32"):
        call(x)
    with pytest.raises(TypeError):
        call(x)
