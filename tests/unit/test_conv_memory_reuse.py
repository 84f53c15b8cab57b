"""A small CNN's memory between steps: the convolution's working arrays come from the cpu
backend's buffer pool (Note [Buffer pool] in nanotorch/backend/pool.py, Note [Conv columns
from the pool] in nanotorch/ops/conv.py), and a plain backward reuses the forward's columns
while the pool still holds them untouched.

As in test_memory_reuse.py: the fast path gives the numbers of the portable one (pool on and
off, the cpu against strict:1), and nothing a user or the graph still holds is overwritten.
"""

from __future__ import annotations

import numpy as np
import pytest
from _memory_helpers import (
    Held,
    assert_arrays_close,
    assert_arrays_equal,
    assert_second_backward_matches_first,
    pool_enabled,
    train_in_threads,
    train_record,
    train_step,
    warm_pool_counts,
)

import nanotorch as nt
from nanotorch import nn
from nanotorch.backend import get_backend
from nanotorch.backend.numpy_backend import NumpyBackend
from nanotorch.nn import functional as F
from nanotorch.ops import conv as conv_mod
from nanotorch.optim import SGD

# W4's layers at a quarter of its batch: the columns (16 x 9 x 784 floats and more) are
# large enough for the pool.
BATCH = 16


def _cnn(device: str, seed: int = 0) -> nn.Module:
    rng = np.random.default_rng(seed)
    model = nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(16 * 7 * 7, 10),
    )  # fmt: skip
    with nt.no_grad():
        for p in model.parameters():
            p.copy_(nt.tensor(rng.uniform(-0.3, 0.3, p.shape).astype(np.float32)))
    return model.to(device)


def _data(device: str, seed: int = 1) -> tuple[nt.Tensor, nt.Tensor]:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((BATCH, 1, 28, 28)).astype(np.float32)
    y = rng.integers(0, 10, BATCH)
    return nt.tensor(x, device=device), nt.tensor(y, device=device)


def _train(device: str, steps: int) -> list[np.ndarray]:
    model = _cnn(device)
    x, y = _data(device)
    opt = SGD(model.parameters(), lr=0.05, momentum=0.9)
    return train_record(model, opt, lambda: F.cross_entropy(model(x), y), steps)


@pytest.fixture
def column_builds(monkeypatch) -> list[tuple[int, ...]]:
    """The input shape of every call of the cpu backend's ``conv_columns`` hook."""
    calls: list[tuple[int, ...]] = []
    original = NumpyBackend.conv_columns

    def spy(self, x, *args):
        calls.append(tuple(x.shape))
        return original(self, x, *args)

    monkeypatch.setattr(NumpyBackend, "conv_columns", spy)
    return calls


def test_conv_memory_reuse_pool_on_and_off_train_identically() -> None:
    with pool_enabled(False):
        plain = _train("cpu", 3)
    assert_arrays_equal(plain, _train("cpu", 3))


def test_conv_memory_reuse_auto_and_portable_train_identically_on_cpu() -> None:
    with conv_mod.set_conv_impl("portable"):
        portable = _train("cpu", 3)
    assert_arrays_close(portable, _train("cpu", 3), rtol=2e-5, atol=2e-6)


@pytest.mark.not_on("cpu")
def test_conv_memory_reuse_cpu_fast_path_matches_portable(device: str) -> None:
    assert_arrays_close(_train("cpu", 3), _train(device, 3), rtol=2e-5, atol=2e-6)


def test_conv_memory_reuse_steady_state_takes_every_large_array_from_the_pool() -> None:
    model = _cnn("cpu")
    x, y = _data("cpu")
    opt = SGD(model.parameters(), lr=0.05)
    hits, misses = warm_pool_counts(
        lambda: train_step(opt, lambda: F.cross_entropy(model(x), y)), warm=3, measured=4
    )
    assert misses == 0
    # per step at least: 2 x columns (+ the forward matmuls), relu, pool outputs, W^T g
    assert hits >= 4 * 8


def test_conv_memory_reuse_backward_reuses_the_forward_columns(column_builds) -> None:
    # A plain training step builds each layer's columns once: the weight gradient takes
    # the forward's from the pool. The first layer sees the data (BATCH, 1, 28, 28), the
    # second the pooled activations (BATCH, 8, 14, 14).
    model = _cnn("cpu")
    x, y = _data("cpu")
    F.cross_entropy(model(x), y).backward()
    assert column_builds == [(BATCH, 1, 28, 28), (BATCH, 8, 14, 14)]


def test_conv_memory_reuse_columns_taken_in_between_are_rebuilt(column_builds) -> None:
    # Another convolution of the same shape between forward and backward takes the idle
    # column buffer and writes its own columns into it; backward must notice and rebuild,
    # so the gradients stay those of the model's own input.
    with pool_enabled(False):
        model = _cnn("cpu")
        x, y = _data("cpu")
        F.cross_entropy(model(x), y).backward()
        expected = [p.grad.numpy().copy() for p in model.parameters()]
    column_builds.clear()
    model = _cnn("cpu")
    x, y = _data("cpu")
    loss = F.cross_entropy(model(x), y)
    other, _ = _data("cpu", seed=7)
    with nt.no_grad():
        model[0](other)  # the first layer's shape, different data
    loss.backward()
    assert column_builds.count((BATCH, 1, 28, 28)) == 3  # forward, the intruder, rebuilt
    for p, e in zip(model.parameters(), expected, strict=True):
        np.testing.assert_array_equal(p.grad.numpy(), e)


def test_conv_memory_reuse_retain_graph_backward_twice_gives_the_same_grads() -> None:
    model = _cnn("cpu")
    x, y = _data("cpu")
    assert_second_backward_matches_first(model, F.cross_entropy(model(x), y))


def test_conv_memory_reuse_results_held_across_steps_are_never_overwritten() -> None:
    model = _cnn("cpu")
    x, y = _data("cpu")
    opt = SGD(model.parameters(), lr=0.05)
    held = Held()
    model[0].weight.register_hook(lambda g: held.keep(g) or None)
    for _ in range(3):
        opt.zero_grad()
        z = model[0](x)  # a conv output with its bias, saved by nothing, held here
        h = model[2](model[1](z))
        out = model[7](model[6](model[5](model[4](model[3](h)))))
        for t in (z, h, z[:, :2]):
            held.keep(t)
        held.keep_numpy_of(z)
        h.retain_grad()
        F.cross_entropy(out, y).backward()
        held.keep(h.grad)
        for p in model.parameters():
            held.keep(p.grad)
        opt.step()
    held.assert_unchanged()


def test_conv_memory_reuse_threads_training_separate_models() -> None:
    with pool_enabled(False):
        expected = _train("cpu", 2)
    for got in train_in_threads(lambda: _train("cpu", 2), 3):
        assert_arrays_equal(expected, got)


def test_conv_memory_reuse_empty_cache_gives_the_columns_back() -> None:
    # What Note [Conv scratch]'s release_scratch did, now the pool's one switch.
    model = _cnn("cpu")
    x, y = _data("cpu")
    F.cross_entropy(model(x), y).backward()
    columns = BATCH * 9 * 784 * 4 + BATCH * 72 * 196 * 4  # both layers' columns, idle now
    assert nt.backend.empty_cache() >= columns
    assert not hasattr(get_backend(nt.device("cpu")), "release_scratch")


def test_conv_memory_reuse_plain_relu_backward_takes_the_pooled_hook(monkeypatch) -> None:
    # Relu.raw_backward goes through the backend's relu_grad (a pooled bool mask and a
    # pooled product) rather than three fresh arrays; one call per ReLU of the model.
    calls: list[tuple[int, ...]] = []
    original = NumpyBackend.relu_grad

    def spy(self, g, mask_src):
        calls.append(tuple(g.shape))
        return original(self, g, mask_src)

    monkeypatch.setattr(NumpyBackend, "relu_grad", spy)
    model = _cnn("cpu")
    x, y = _data("cpu")
    F.cross_entropy(model(x), y).backward()
    assert calls == [(BATCH, 16, 14, 14), (BATCH, 8, 28, 28)]
