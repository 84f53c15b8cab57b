"""What ``ctx.save_for_backward`` promises (its docstring): saved inputs come back linked into
the graph, so a backward that uses them is differentiable; intermediates come back as
constants; saved inputs are version-checked."""

from __future__ import annotations

import pytest

import nanotorch as nt
from nanotorch.autograd import Function


class CubeSavingInput(Function):
    """x^3, backward 3 x^2 g from the saved input."""

    @staticmethod
    def forward(ctx, xp, x):
        ctx.save_for_backward(x)
        return x * x * x

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * 3.0 * x * x


class CubeSavingIntermediate(Function):
    """x^3, backward 3 sq g from a saved intermediate sq = x^2 (a constant in backward)."""

    @staticmethod
    def forward(ctx, xp, x):
        sq = x * x
        ctx.save_for_backward(sq)
        return sq * x

    @staticmethod
    def backward(ctx, g):
        (sq,) = ctx.saved_tensors
        return g * 3.0 * sq


def _first_derivative(fn, device):
    x = nt.tensor([2.0], device=device, requires_grad=True)
    (g,) = nt.autograd.grad(fn.apply(x).sum(), x, create_graph=True)
    return x, g


def test_save_for_backward_input_keeps_double_backward(device):
    x, g = _first_derivative(CubeSavingInput, device)
    assert g.tolist() == [12.0]  # 3 x^2
    (gg,) = nt.autograd.grad(g.sum(), x)
    assert gg.tolist() == [12.0]  # 6 x


def test_save_for_backward_intermediate_is_a_constant_in_double_backward(device):
    _, g = _first_derivative(CubeSavingIntermediate, device)
    assert g.tolist() == [12.0]
    # sq came back as a constant, so the gradient has no graph: no second derivative.
    assert not g.requires_grad


def test_save_for_backward_input_is_version_checked(device):
    x = nt.tensor([2.0], device=device, requires_grad=True)
    y = x * 1.0
    out = CubeSavingInput.apply(y).sum()
    with nt.no_grad():
        y.add_(1.0)
    with pytest.raises(RuntimeError, match="modified in place"):
        out.backward()
