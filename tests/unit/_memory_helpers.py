"""What the memory-reuse tests share (test_memory_reuse.py, test_conv_memory_reuse.py,
test_gpt_memory_reuse.py): the cpu backend's buffer pool (Note [Buffer pool] in
nanotorch/backend/pool.py), switching it off for a reference run, a recorded training run,
the pool's counts over warm steps, and training in threads.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

import nanotorch as nt
from nanotorch import nn
from nanotorch.backend import get_backend
from nanotorch.optim import Optimizer


def cpu_pool() -> Any:
    """The cpu backend's buffer pool."""
    return get_backend(nt.device("cpu")).pool


@contextlib.contextmanager
def pool_enabled(on: bool) -> Iterator[None]:
    """Switch the cpu pool on or off for the block, restoring its setting afterwards."""
    pool = cpu_pool()
    before = pool.enabled
    pool.enabled = on
    try:
        yield
    finally:
        pool.enabled = before


def train_step(opt: Optimizer, loss_of: Callable[[], nt.Tensor]) -> nt.Tensor:
    """One step: zero the gradients, back-propagate ``loss_of()``, update; returns the loss."""
    opt.zero_grad()
    loss = loss_of()
    loss.backward()
    opt.step()
    return loss


def train_record(
    model: nn.Module, opt: Optimizer, loss_of: Callable[[], nt.Tensor], steps: int
) -> list[np.ndarray]:
    """Train ``steps`` steps; returns the losses followed by every parameter, as NumPy arrays,
    for comparing two runs array by array."""
    losses = [train_step(opt, loss_of).item() for _ in range(steps)]
    return [np.array(losses)] + [p.detach().cpu().numpy() for p in model.parameters()]


def warm_pool_counts(step: Callable[[], Any], warm: int, measured: int) -> tuple[int, int]:
    """The pool's (hits, misses) over ``measured`` calls of ``step`` after ``warm`` calls."""
    for _ in range(warm):
        step()
    before = cpu_pool().stats()
    for _ in range(measured):
        step()
    after = cpu_pool().stats()
    return after["hits"] - before["hits"], after["misses"] - before["misses"]


def train_in_threads(train: Callable[[], list[np.ndarray]], n: int) -> list[list[np.ndarray]]:
    """Run ``train`` in ``n`` threads at once; their results, re-raising any thread's error."""
    results: list[list[np.ndarray]] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            results.append(train())
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and len(results) == n
    return results


def assert_arrays_equal(expected: list[np.ndarray], got: list[np.ndarray]) -> None:
    """Two recorded runs agree to the bit, array by array."""
    for a, b in zip(expected, got, strict=True):
        np.testing.assert_array_equal(a, b)


def assert_arrays_close(
    expected: list[np.ndarray], got: list[np.ndarray], rtol: float, atol: float
) -> None:
    """Two recorded runs agree within the tolerances, array by array."""
    for a, b in zip(expected, got, strict=True):
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)


def assert_second_backward_matches_first(model: nn.Module, loss: nt.Tensor) -> None:
    """Back-propagate ``loss`` twice (the first with ``retain_graph``), clearing the grads in
    between: the saved activations survived the first pass if the grads agree to the bit."""
    loss.backward(retain_graph=True)
    first = [p.grad.numpy().copy() for p in model.parameters()]
    for p in model.parameters():
        p.grad = None
    loss.backward()
    for p, f in zip(model.parameters(), first, strict=True):
        np.testing.assert_array_equal(p.grad.numpy(), f)


class Held:
    """What a user keeps across steps, each with a copy of its values when kept: the pool
    must never hand out memory that any of them still uses."""

    def __init__(self) -> None:
        self.items: list[tuple[nt.Tensor, np.ndarray]] = []

    def keep(self, t: nt.Tensor) -> None:
        self.items.append((t, t.detach().numpy().copy()))

    def keep_numpy_of(self, t: nt.Tensor) -> None:
        """Keep ``t.numpy()``: the tensor's very array, shared with the user."""
        arr = t.detach().numpy()
        self.items.append((nt.as_tensor(arr), arr.copy()))

    def assert_unchanged(self) -> None:
        for t, snapshot in self.items:
            np.testing.assert_array_equal(t.detach().numpy(), snapshot)
