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


def test_leaves_accumulate_right_after_their_layer(device: str) -> None:
    # Note [Leaves accumulate early]: the last layer's gradients reach .grad while the first
    # layer's are still being computed, in reverse order of registration.
    from nanotorch import nn

    nanotorch.manual_seed(0)
    m = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 3)).to(device)
    events: list[tuple[str, bool]] = []
    for name, p in m.named_parameters():
        p.register_post_accumulate_grad_hook(
            lambda t, name=name: events.append((name, m[0].weight.grad is None))
        )
    m(nanotorch.randn(5, 4, device=device)).sum().backward()
    assert [n for n, _ in events] == ["2.bias", "2.weight", "0.bias", "0.weight"]
    assert [first_pending for _, first_pending in events] == [True, True, True, False]
