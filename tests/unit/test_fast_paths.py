"""Fast paths that change how an op does its work, never what it computes.

The op specs (tests/specs) check values, gradients and second derivatives; these tests pin
the structure each fast path relies on, so that a refactor which quietly undoes one shows up
here and not only as a slower benchmark (discovery/performance.md explains each one).
"""

from __future__ import annotations

import nanotorch as nt
import nanotorch.nn.functional as F


def test_linear_records_one_node_for_matmul_and_bias(device) -> None:
    x = nt.randn(4, 3, device=device, requires_grad=True)
    w = nt.randn(5, 3, device=device, requires_grad=True)
    b = nt.randn(5, device=device, requires_grad=True)

    out = F.linear(x, w, b)

    assert out.grad_fn.name() == "LinearBackward"
    assert out.grad_fn.next_nodes == (x._accumulator(), w._accumulator(), b._accumulator())


def test_linear_weight_gradient_is_row_major_like_the_weight() -> None:
    # The optimizer reads weight and gradient together; in the same (row-major) layout that
    # is one contiguous pass instead of a strided one. Only the cpu exposes array flags.
    x = nt.randn(8, 3, requires_grad=True)
    w = nt.randn(5, 3, requires_grad=True)
    b = nt.randn(5, requires_grad=True)

    F.linear(x, w, b).sum().backward()

    assert w.grad.numpy().flags.c_contiguous
    assert w.grad.shape == (5, 3) and b.grad.shape == (5,) and x.grad.shape == (8, 3)


def test_relu_gradient_is_one_op(device) -> None:
    x = nt.randn(6, device=device, requires_grad=True)
    g = nt.randn(6, device=device, requires_grad=True)

    (grad_x,) = nt.autograd.grad(nt.relu(x), x, g, create_graph=True)

    assert grad_x.grad_fn.name() == "ReluGradBackward"


def test_relu_gradient_is_differentiable_in_the_upstream_gradient(device) -> None:
    x = nt.tensor([-1.0, 2.0, -3.0, 4.0], device=device, requires_grad=True)
    g = nt.tensor([1.0, 2.0, 3.0, 4.0], device=device, requires_grad=True)
    v = nt.tensor([5.0, 6.0, 7.0, 8.0], device=device)

    (grad_x,) = nt.autograd.grad(nt.relu(x), x, g, create_graph=True)
    grad_g, grad_xx = nt.autograd.grad((grad_x * v).sum(), [g, x], allow_unused=True)

    assert grad_x.tolist() == [0.0, 2.0, 0.0, 4.0]
    assert grad_g.tolist() == [0.0, 6.0, 0.0, 8.0]
    assert grad_xx is None or grad_xx.tolist() == [0.0, 0.0, 0.0, 0.0]
