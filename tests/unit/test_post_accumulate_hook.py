"""Tensor.register_post_accumulate_grad_hook: runs after a leaf's .grad has been updated."""

from __future__ import annotations

import pytest

import nanotorch


def test_post_accumulate_hook_sees_the_accumulated_grad(device: str) -> None:
    x = nanotorch.tensor([1.0, 2.0], device=device, requires_grad=True)
    seen: list[list[float]] = []
    x.register_post_accumulate_grad_hook(lambda t: seen.append(t.grad.tolist()))
    (x * x).sum().backward()  # x used twice: the engine sums at the node, then one call
    (3 * x).sum().backward()
    assert seen == [[2.0, 4.0], [5.0, 7.0]]


def test_post_accumulate_hook_remove(device: str) -> None:
    x = nanotorch.tensor([1.0], device=device, requires_grad=True)
    calls: list[int] = []
    handle = x.register_post_accumulate_grad_hook(lambda t: calls.append(1))
    x.sum().backward()
    handle.remove()
    x.sum().backward()
    assert calls == [1]


def test_post_accumulate_hook_runs_for_backward_inputs(device: str) -> None:
    x = nanotorch.tensor([1.0], device=device, requires_grad=True)
    calls: list[float] = []
    x.register_post_accumulate_grad_hook(lambda t: calls.append(t.grad.item()))
    (x * 4).sum().backward(inputs=[x])
    assert calls == [4.0]


def test_post_accumulate_hook_on_non_leaf_is_an_error(device: str) -> None:
    x = nanotorch.tensor([1.0], device=device, requires_grad=True)
    with pytest.raises(RuntimeError, match="register_post_accumulate_grad_hook.*leaf"):
        (x * 2).register_post_accumulate_grad_hook(lambda t: None)
    with pytest.raises(RuntimeError, match="register_post_accumulate_grad_hook.*requires_grad"):
        nanotorch.tensor([1.0], device=device).register_post_accumulate_grad_hook(lambda t: None)
