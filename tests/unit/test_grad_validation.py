"""Gradients a user hands in are checked like PyTorch checks them.

``p.grad = g`` must have the tensor's shape, dtype and device (PyTorch refuses the
assignment); ``backward(gradient=g)`` and ``autograd.grad(..., grad_outputs=g)`` must have the
output's shape and device, and a gradient of another dtype is cast to the output's dtype,
as PyTorch's engine does, so a ``.grad`` never has another dtype than its tensor.
"""

from __future__ import annotations

import pytest

import nanotorch as nt


def test_grad_assignment_of_the_wrong_shape_raises(device):
    p = nt.zeros(3, device=device, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"\.grad: .*shape \(1,\).*shape \(3,\)"):
        p.grad = nt.ones(1, device=device)
    assert p.grad is None
    # The silent broadcast this used to allow: an SGD step must not see a (1,) gradient.
    nt.optim.SGD([p], lr=1.0).step()
    assert p.tolist() == [0.0, 0.0, 0.0]


def test_grad_assignment_of_the_wrong_dtype_raises(device):
    p = nt.zeros(3, device=device, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"\.grad: .*float64.*float32.*\.to\(nanotorch"):
        p.grad = nt.ones(3, dtype=nt.float64, device=device)


@pytest.mark.not_on("cpu")
def test_grad_assignment_on_another_device_raises(device):
    p = nt.zeros(3, device=device, requires_grad=True)
    with pytest.raises(RuntimeError, match=rf"\.grad: .*cpu.*{device}.*\.to\('{device}'\)"):
        p.grad = nt.ones(3)


def test_grad_assignment_of_a_non_tensor_raises_type_error(device):
    p = nt.zeros(3, device=device, requires_grad=True)
    with pytest.raises(TypeError, match=r"\.grad: .*Tensor or None.*list"):
        p.grad = [1.0, 1.0, 1.0]


def test_grad_assignment_of_itself_raises(device):
    p = nt.zeros(3, device=device, requires_grad=True)
    with pytest.raises(RuntimeError, match="its own grad"):
        p.grad = p


def test_grad_assignment_of_a_matching_tensor_or_none_is_kept(device):
    p = nt.zeros(3, device=device, requires_grad=True)
    g = nt.ones(3, device=device)
    p.grad = g
    assert p.grad is g
    p.grad = None
    assert p.grad is None


def test_backward_gradient_of_the_wrong_shape_names_both_shapes(device):
    x = nt.ones(3, device=device, requires_grad=True)
    with pytest.raises(
        RuntimeError,
        match=r"Mismatch in shape: grad_output\[0\] has a shape of \(1,\) and output\[0\] "
        r"has a shape of \(3,\)",
    ):
        (x * 2).backward(nt.ones(1, device=device))


@pytest.mark.parametrize("dtype", ["float64", "int64"])
def test_backward_gradient_of_another_dtype_is_cast_to_the_output_dtype(device, dtype):
    x = nt.ones(3, device=device, requires_grad=True)
    (x * 2).backward(nt.ones(3, dtype=getattr(nt, dtype), device=device))
    assert x.grad.dtype == nt.float32
    assert x.grad.tolist() == [2.0, 2.0, 2.0]


@pytest.mark.not_on("cpu")
def test_backward_gradient_on_another_device_raises(device):
    x = nt.ones(3, device=device, requires_grad=True)
    with pytest.raises(nt.DeviceMismatchError, match=rf"cpu.*{device}.*\.to\('{device}'\)"):
        (x * 2).backward(nt.ones(3))


def test_grad_outputs_are_validated_like_backward_gradients(device):
    x = nt.ones(2, device=device, requires_grad=True)
    y = x * 3
    with pytest.raises(RuntimeError, match=r"grad: Mismatch in shape: grad_output\[0\]"):
        nt.autograd.grad(y, x, grad_outputs=nt.ones(3, device=device))
    (g,) = nt.autograd.grad(y, x, grad_outputs=nt.ones(2, dtype=nt.float64, device=device))
    assert g.dtype == nt.float32
    assert g.tolist() == [3.0, 3.0]


def test_backward_non_scalar_without_gradient_uses_pytorch_words(device):
    x = nt.ones(3, device=device, requires_grad=True)
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar"):
        (x * 2).backward()


def test_hook_returning_another_dtype_leaves_a_grad_of_the_leaf_dtype(device):
    x = nt.ones(2, device=device, requires_grad=True)
    x.register_hook(lambda g: g.double())
    (x * 2).sum().backward()
    assert x.grad.dtype == nt.float32
    assert x.grad.tolist() == [2.0, 2.0]
