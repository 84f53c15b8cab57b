"""Fast paths that change how an op does its work, never what it computes.

The op specs (tests/specs) check values, gradients and second derivatives; these tests pin
the structure each fast path relies on, so that a refactor which quietly undoes one shows up
here and not only as a slower benchmark (discovery/performance.md explains each one).
"""

from __future__ import annotations

import pytest

import nanotorch as nt
import nanotorch.nn.functional as F
from nanotorch.autograd.function import Function


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


@pytest.fixture
def dispatched(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the ops that go through Function.apply while the test runs."""
    names: list[str] = []
    apply = Function.apply.__func__

    def counting(cls, *inputs, **params):
        names.append(cls.__name__)
        return apply(cls, *inputs, **params)

    monkeypatch.setattr(Function, "apply", classmethod(counting))
    return names


def test_cross_entropy_checks_target_range_in_one_op(device, dispatched) -> None:
    x = nt.randn(6, 4, device=device)
    t = nt.tensor([0, 1, 2, 3, -100, 1], device=device)

    F.cross_entropy(x, t, ignore_index=-100)

    assert "ValidTargetRange" in dispatched
    assert dispatched.count("Where") + dispatched.count("Amin") + dispatched.count("Amax") == 0


def test_cross_entropy_plain_backward_computes_the_logit_gradient_in_one_op(
    device, dispatched
) -> None:
    x = nt.randn(6, 4, device=device, requires_grad=True)
    t = nt.tensor([0, 1, 2, 3, 0, 1], device=device)
    loss = F.cross_entropy(x, t)
    dispatched.clear()

    loss.backward()

    # The reduction's own backward (divide, reshape, broadcast), then one op for the logits.
    assert dispatched[-1] == "CrossEntropyIndexGrad"
    assert len(dispatched) <= 4
