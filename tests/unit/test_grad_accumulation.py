"""Gradients that meet an existing ``.grad`` (Note [Accumulating into .grad] in
nanotorch/autograd/engine.py): micro-batches, ``zero_grad(set_to_none=False)``.

As in PyTorch, a backward without ``create_graph`` adds into the ``.grad`` tensor a leaf
already has, so a user holding ``g = p.grad`` sees the sum; on the cpu the addition writes
into the existing array when nothing else can see that array, so a step allocates no new
gradient. What the user or the graph holds otherwise (a gradient a hook kept, the tensor
passed as ``gradient=``, a ``.numpy()`` array, a ``.grad`` with a graph of its own) is never
written.
"""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

import nanotorch as nt
from nanotorch import nn
from nanotorch.nn import functional as F
from nanotorch.optim import SGD


def _leaf(device: str, shape=(64, 300), seed: int = 0) -> nt.Tensor:
    rng = np.random.default_rng(seed)
    return nt.tensor(rng.standard_normal(shape).astype(np.float32), device=device).requires_grad_()


def _loss(w: nt.Tensor, seed: int) -> nt.Tensor:
    rng = np.random.default_rng(seed)
    x = nt.tensor(rng.standard_normal((32, w.shape[0])).astype(np.float32), device=w.device)
    return (x @ w).tanh().sum()


def _address(t: nt.Tensor) -> int:
    return t.numpy().__array_interface__["data"][0]


def test_grad_accumulation_adds_into_the_grad_tensor_a_user_holds(device: str) -> None:
    w = _leaf(device)
    _loss(w, 1).backward()
    g = w.grad
    first = g.cpu().numpy().copy()
    _loss(w, 2).backward()
    assert w.grad is g  # the same tensor, as in PyTorch
    w2 = _leaf(device)
    _loss(w2, 2).backward()
    np.testing.assert_allclose(g.cpu().numpy(), first + w2.grad.cpu().numpy(), rtol=1e-6)


def test_grad_accumulation_matches_strict_to_the_bit(device: str) -> None:
    # The in-place add (cpu) and the fresh one (strict backends) are the same addition.
    def run(dev: str) -> np.ndarray:
        w = _leaf(dev)
        for seed in (1, 2, 3):
            _loss(w, seed).backward()
        return w.grad.cpu().numpy()

    np.testing.assert_array_equal(run("cpu"), run(device))


def test_grad_accumulation_on_cpu_writes_into_the_existing_array() -> None:
    w = _leaf("cpu")
    _loss(w, 1).backward()
    address = _address(w.grad)
    for seed in (2, 3, 4):
        _loss(w, seed).backward()
        assert _address(w.grad) == address


def test_grad_accumulation_after_zero_grad_keeps_the_arrays_and_allocates_none() -> None:
    model = nn.Sequential(nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10))
    opt = SGD(model.parameters(), lr=0.1)
    rng = np.random.default_rng(0)
    x = nt.tensor(rng.standard_normal((64, 256)).astype(np.float32))
    y = nt.tensor(rng.integers(0, 10, 64))

    def step() -> None:
        opt.zero_grad(set_to_none=False)
        F.cross_entropy(model(x), y).backward()
        opt.step()

    for _ in range(3):
        step()
    addresses = [_address(p.grad) for p in model.parameters()]
    grads = [p.grad for p in model.parameters()]
    tracemalloc.start()
    try:
        step()
        snapshot = tracemalloc.take_snapshot()
    finally:
        tracemalloc.stop()
    assert [_address(p.grad) for p in model.parameters()] == addresses
    assert all(p.grad is g for p, g in zip(model.parameters(), grads, strict=True))
    # no weight-sized (256 x 256 float32) array was allocated and kept alive by the step
    assert all(stat.size < 256 * 256 * 4 for stat in snapshot.statistics("traceback"))


def test_grad_accumulation_leaves_a_gradient_a_hook_kept_alone(device: str) -> None:
    w = _leaf(device)
    kept: list[nt.Tensor] = []
    w.register_hook(lambda g: kept.append(g) or None)
    _loss(w, 1).backward()
    snapshot = kept[0].cpu().numpy().copy()
    _loss(w, 2).backward()
    np.testing.assert_array_equal(kept[0].cpu().numpy(), snapshot)
    np.testing.assert_allclose(w.grad.cpu().numpy(), snapshot + kept[1].cpu().numpy(), rtol=1e-6)


def test_grad_accumulation_leaves_the_gradient_argument_alone(device: str) -> None:
    w = _leaf(device, shape=(200, 100))
    u = nt.ones((200, 100), device=device)
    w.backward(gradient=u)  # the leaf's .grad may be this very array
    w.backward(gradient=u)
    np.testing.assert_array_equal(u.cpu().numpy(), np.ones((200, 100), np.float32))
    np.testing.assert_array_equal(w.grad.cpu().numpy(), np.full((200, 100), 2, np.float32))


def test_grad_accumulation_leaves_a_numpy_array_of_the_grad_alone() -> None:
    # A host array the user took shares the memory; nanotorch then adds out of place
    # (PyTorch would write through it): the user's copy of the values stays as it was.
    w = _leaf("cpu")
    _loss(w, 1).backward()
    arr = w.grad.numpy()
    snapshot = arr.copy()
    g = w.grad
    _loss(w, 2).backward()
    np.testing.assert_array_equal(arr, snapshot)
    assert w.grad is g and not np.array_equal(g.numpy(), snapshot)


def test_grad_accumulation_after_create_graph_keeps_that_graph(device: str) -> None:
    # A .grad made with create_graph=True has a graph of its own; a later plain backward
    # adds out of place, so that tensor keeps its values and its gradient.
    w = _leaf(device, shape=(8, 5))
    _loss(w, 1).backward(create_graph=True)
    g1 = w.grad
    assert g1.requires_grad
    before = g1.detach().cpu().numpy().copy()
    _loss(w, 2).backward()
    np.testing.assert_array_equal(g1.detach().cpu().numpy(), before)
    assert w.grad is not g1
    (gg,) = nt.autograd.grad(g1.sum(), [w])  # g1's own graph still works
    assert gg.shape == w.shape
    w3 = _leaf(device, shape=(8, 5))
    _loss(w3, 2).backward()
    np.testing.assert_allclose(
        w.grad.detach().cpu().numpy(), before + w3.grad.cpu().numpy(), rtol=1e-6
    )


def test_grad_accumulation_with_create_graph_is_recorded(device: str) -> None:
    w = _leaf(device, shape=(8, 5))
    _loss(w, 1).backward()
    g = w.grad
    before = g.cpu().numpy().copy()
    _loss(w, 2).backward(create_graph=True)
    assert w.grad is not g and w.grad.requires_grad  # out of place, differentiable
    np.testing.assert_array_equal(g.cpu().numpy(), before)


def test_grad_accumulation_post_accumulate_hooks_see_the_sum(device: str) -> None:
    w = _leaf(device, shape=(8, 5))
    seen: list[np.ndarray] = []
    w.register_post_accumulate_grad_hook(lambda p: seen.append(p.grad.cpu().numpy().copy()))
    _loss(w, 1).backward()
    _loss(w, 2).backward()
    np.testing.assert_array_equal(seen[1], w.grad.cpu().numpy())
    assert not np.array_equal(seen[0], seen[1])


def test_grad_accumulation_bumps_the_version_of_the_grad(device: str) -> None:
    # The .grad changes in place, so a graph that saved it must notice (as with any
    # in-place change of a saved tensor).
    w = _leaf(device, shape=(8, 5))
    _loss(w, 1).backward()
    s = nt.ones((8, 5), device=device, requires_grad=True)
    y = (s * w.grad).sum()  # saves w.grad for s's gradient
    _loss(w, 2).backward()
    with pytest.raises(RuntimeError, match="modified in place"):
        y.backward()
