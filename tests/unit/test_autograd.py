"""The engine: graph recording, sorting, accumulation, freeing, higher order, hooks."""

from __future__ import annotations

import math
import sys

import pytest

import nanotorch as nt
from nanotorch.autograd import Function
from nanotorch.testing import assert_close


def test_autograd_chain_of_10000_ops_backprops_without_recursion(device):
    x = nt.tensor(1.0, device=device, requires_grad=True)
    y = x
    for _ in range(10_000):
        y = y * 1.0001
    assert sys.getrecursionlimit() < 10_000 * 2
    y.backward()
    assert abs(x.grad.item() - 1.0001**10_000) < 1e-2


def test_autograd_reused_node_gets_both_contributions(device):
    x = nt.tensor(3.0, device=device, requires_grad=True)
    (x * x).backward()
    assert x.grad.item() == 6.0


def test_autograd_diamond_graph(device):
    x = nt.tensor(2.0, device=device, requires_grad=True)
    a = x * 3
    b = x.exp()
    y = a * b  # dy/dx = 3 e^x + 3x e^x
    y.backward()
    assert abs(x.grad.item() - (3 * math.exp(2) + 6 * math.exp(2))) < 1e-4


def test_autograd_backward_twice_with_retain_graph_accumulates(device):
    x = nt.tensor([1.0, 2.0], device=device, requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    assert x.grad.tolist() == [4.0, 8.0]


def test_autograd_second_backward_through_freed_graph_raises(device):
    x = nt.tensor([1.0, 2.0], device=device, requires_grad=True)
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        y.backward()


def test_autograd_non_scalar_needs_gradient(device):
    x = nt.ones(3, device=device, requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match="scalar outputs"):
        y.backward()
    y.backward(gradient=nt.tensor([1.0, 2.0, 3.0], device=device))
    assert x.grad.tolist() == [2.0, 4.0, 6.0]


def test_autograd_backward_on_a_tensor_without_grad_raises(device):
    with pytest.raises(RuntimeError, match="does not require grad"):
        nt.ones(1, device=device).sum().backward()


def test_autograd_second_derivative_of_tanh_matches_closed_form(device):
    x = nt.tensor([-1.0, 0.3, 2.0], dtype=nt.float64, device=device, requires_grad=True)
    (g,) = nt.autograd.grad(x.tanh().sum(), x, create_graph=True)
    (h,) = nt.autograd.grad(g.sum(), x)
    t = [math.tanh(v) for v in (-1.0, 0.3, 2.0)]
    assert_close(g, [1 - v * v for v in t])
    assert_close(h, [-2 * v * (1 - v * v) for v in t])


def test_autograd_no_grad_records_no_graph(device):
    x = nt.ones(2, device=device, requires_grad=True)
    with nt.no_grad():
        y = x * 2
    assert y.grad_fn is None and not y.requires_grad
    with nt.no_grad():
        with nt.enable_grad():
            z = x * 2
    assert z.requires_grad


def test_autograd_grad_mode_decorators_and_set_grad_enabled():
    x = nt.ones(2, requires_grad=True)

    @nt.no_grad()
    def infer(t):
        return t * 2

    assert not infer(x).requires_grad
    assert nt.is_grad_enabled()
    with nt.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert nt.is_grad_enabled()

    @nt.set_grad_enabled(False)
    def also_infer(t):
        return t * 2

    assert nt.is_grad_enabled(), "decorating must not change the mode of the defining code"
    assert not also_infer(x).requires_grad


def test_autograd_unbroadcasts_centrally(device):
    a = nt.ones(3, 1, device=device, requires_grad=True)
    b = nt.ones(4, device=device, requires_grad=True)
    (a * b).sum().backward()
    assert a.grad.shape == (3, 1) and a.grad.tolist() == [[4.0]] * 3
    assert b.grad.shape == (4,) and b.grad.tolist() == [3.0] * 4


def test_autograd_grad_function_returns_without_accumulating(device):
    x = nt.ones(2, device=device, requires_grad=True)
    y = nt.ones(2, device=device, requires_grad=True)
    gx, gy = nt.autograd.grad((x * 3 + y).sum(), [x, y])
    assert gx.tolist() == [3.0, 3.0] and gy.tolist() == [1.0, 1.0]
    assert x.grad is None and y.grad is None


def test_autograd_grad_unused_input(device):
    x = nt.ones(2, device=device, requires_grad=True)
    z = nt.ones(2, device=device, requires_grad=True)
    with pytest.raises(RuntimeError, match="allow_unused"):
        nt.autograd.grad((x * 2).sum(), [x, z])
    gx, gz = nt.autograd.grad((x * 2).sum(), [x, z], allow_unused=True)
    assert gz is None


def test_autograd_grad_materialize_grads_gives_zeros_for_unused_inputs(device):
    # PyTorch's materialize_grads: an unused input gets zeros of its shape, not None, and
    # allow_unused then defaults to True; asking for both it and allow_unused=False raises.
    x = nt.ones(2, device=device, requires_grad=True)
    z = nt.ones(3, dtype=nt.float64, device=device, requires_grad=True)
    gx, gz = nt.autograd.grad((x * 2).sum(), [x, z], materialize_grads=True)
    assert gx.tolist() == [2.0, 2.0]
    assert gz.tolist() == [0.0, 0.0, 0.0] and gz.dtype == nt.float64
    assert gz.device == z.device
    with pytest.raises(ValueError, match="grad: materialize_grads=True needs allow_unused"):
        nt.autograd.grad((x * 2).sum(), [x, z], allow_unused=False, materialize_grads=True)


def test_autograd_grad_with_respect_to_an_intermediate(device):
    x = nt.ones(2, device=device, requires_grad=True)
    h = x * 2
    (gh,) = nt.autograd.grad((h * h).sum(), h)
    assert gh.tolist() == [4.0, 4.0]


def test_autograd_detach_and_requires_grad_(device):
    x = nt.ones(2, device=device, requires_grad=True)
    d = (x * 2).detach()
    assert d.is_leaf and not d.requires_grad
    d.requires_grad_()
    (d * d).sum().backward()
    assert d.grad.tolist() == [4.0, 4.0] and x.grad is None


def test_autograd_integer_tensors_cannot_require_grad(device):
    with pytest.raises(RuntimeError, match="floating"):
        nt.ones(2, dtype=nt.int64, device=device).requires_grad_()


def test_autograd_retain_grad_keeps_non_leaf_grad(device):
    x = nt.ones(2, device=device, requires_grad=True)
    h = x * 3
    h.retain_grad()
    (h * h).sum().backward()
    assert h.grad.tolist() == [6.0, 6.0]
    assert h.retains_grad


def test_autograd_hooks_see_and_replace_gradients(device):
    x = nt.ones(2, device=device, requires_grad=True)
    seen = []
    x.register_hook(lambda g: seen.append(g.tolist()))
    h = x * 2
    handle = h.register_hook(lambda g: g * 10)
    h.sum().backward()
    assert seen == [[20.0, 20.0]]
    assert x.grad.tolist() == [20.0, 20.0]
    handle.remove()
    x.grad = None
    (x * 2).sum().backward()
    assert x.grad.tolist() == [2.0, 2.0]


def test_autograd_leaves_do_not_share_gradient_arrays(device):
    a = nt.ones(2, device=device, requires_grad=True)
    b = nt.ones(2, device=device, requires_grad=True)
    (a + b).sum().backward()
    with nt.no_grad():
        a.grad.mul_(5.0)
    assert b.grad.tolist() == [1.0, 1.0]


def test_autograd_custom_function_user_defined(device):
    class Cube(Function):
        """out = x^3;  dx = 3 x^2 g."""

        @staticmethod
        def forward(ctx, xp, x):
            ctx.save_for_backward(x)
            return x * x * x

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 3 * x * x * g

    x = nt.tensor([2.0], dtype=nt.float64, device=device, requires_grad=True)
    y = Cube.apply(x)
    (g,) = nt.autograd.grad(y.sum(), x, create_graph=True)
    (h,) = nt.autograd.grad(g.sum(), x)
    assert g.tolist() == [12.0] and h.tolist() == [12.0]
    assert y.grad_fn.name() == "CubeBackward"


def test_autograd_training_loop_on_strict1_moves_nothing():
    dev = "strict:1"
    gen = nt.Generator(dev).manual_seed(0)
    w = nt.randn(4, 1, generator=gen, device=dev).requires_grad_()
    x = nt.randn(32, 4, generator=gen, device=dev)
    y = x @ nt.tensor([[1.0], [-2.0], [0.5], [3.0]], device=dev)
    nt.reset_transfer_stats()
    for _ in range(20):
        loss = ((x @ w - y) ** 2).mean()
        loss.backward()
        with nt.no_grad():
            w.sub_(0.1 * w.grad)
        w.grad = None
    assert nt.transfer_stats().count == 0
    assert loss.item() < 1.0
