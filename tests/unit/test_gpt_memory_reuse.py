"""The GPT step's fused ops through the cpu buffer pool (Note [Buffer pool] in
nanotorch/backend/pool.py): GELU, layer norm, causal attention, residual adds and the q/k/v
split's backward. The pooled hooks give the portable hooks' values to the bit, a GPT trains
identically with the pool on and off and like strict:1, and a warm step misses nothing.
"""

from __future__ import annotations

import numpy as np
import pytest
from _memory_helpers import (
    assert_arrays_close,
    assert_arrays_equal,
    pool_enabled,
    train_record,
    train_step,
    warm_pool_counts,
)

import nanotorch as nt
from nanotorch import optim
from nanotorch.backend import get_backend
from nanotorch.backend.base import ArrayBackend
from nanotorch.models.gpt import GPT, GPTConfig
from nanotorch.nn import functional as F

# Large enough for the pool (64 KiB): activations (8, 32, 64), hidden (8, 32, 256),
# attention scores (8, 4, 32, 32), all float32.
CONFIG = {"vocab_size": 40, "block_size": 32, "n_layer": 2, "n_head": 4, "n_embd": 64}
BATCH = 8


def _cpu():
    return get_backend(nt.device("cpu"))


def _arrays(*shapes: tuple[int, ...]) -> list[np.ndarray]:
    rng = np.random.default_rng(7)
    return [rng.standard_normal(s).astype(np.float32) for s in shapes]


@pytest.mark.parametrize(
    "name, args",
    [
        ("add", lambda: (*_arrays((64, 512), (64, 512)),)),
        ("add", lambda: (*_arrays((64, 512)), 1.0)),
        ("subtract", lambda: (*_arrays((64, 512), (64, 1)),)),
        ("multiply", lambda: (*_arrays((64, 512), (512,)),)),
        ("multiply", lambda: (*_arrays((64, 512)), 0.5)),
        ("tanh", lambda: (*_arrays((64, 512)),)),
        ("exp", lambda: (*_arrays((64, 512)),)),
        ("matmul", lambda: (*_arrays((6, 4, 32, 16), (6, 4, 16, 128)),)),
        ("matmul", lambda: (*_arrays((300, 16), (16, 128)),)),
    ],
)
def test_gpt_memory_reuse_hooks_match_portable_to_the_bit_and_reuse(name, args) -> None:
    backend = _cpu()
    inputs = args()
    expected = getattr(ArrayBackend, name)(backend, *inputs)
    got = getattr(backend, name)(*inputs)
    assert got.shape == expected.shape and got.dtype == expected.dtype
    np.testing.assert_array_equal(got, expected)
    first = id(got)
    del got
    again = getattr(backend, name)(*inputs)
    assert id(again) == first  # the same pooled buffer, handed out again
    np.testing.assert_array_equal(again, expected)


def test_gpt_memory_reuse_hooks_fall_back_where_the_result_is_not_of_a_shape() -> None:
    # A result larger than a (broadcast of a) or of another dtype is left to NumPy.
    backend = _cpu()
    a, b = _arrays((1, 512), (64, 512))
    np.testing.assert_array_equal(backend.add(a, b), a + b)
    c = b.astype(np.float64)
    out = backend.multiply(b, c)
    assert out.dtype == np.float64
    np.testing.assert_array_equal(out, b * c)


def test_gpt_memory_reuse_reshape_copies_into_the_pool_only_when_it_must() -> None:
    backend = _cpu()
    (a,) = _arrays((8, 4, 32, 16))
    merged = np.permute_dims(a, (0, 2, 1, 3))  # heads merged after attention: must copy
    expected = np.reshape(merged, (8, 32, 64))
    got = backend.reshape(merged, (8, 32, 64))
    np.testing.assert_array_equal(got, expected)
    assert not np.shares_memory(got, a)
    assert got.base is not None and got.base.shape == merged.shape
    first = id(got.base)
    del got
    again = backend.reshape(merged, (8, 32, 64))
    assert id(again.base) == first  # the pooled copy, handed out again
    np.testing.assert_array_equal(again, expected)
    view = backend.reshape(a, (32, 512))  # contiguous: a view, as before
    assert np.shares_memory(view, a)
    split = backend.reshape(merged, (8, 32, 2, 2, 16))  # non-contiguous, yet a view
    assert np.shares_memory(split, a)
    np.testing.assert_array_equal(split, np.reshape(merged, (8, 32, 2, 2, 16)))


def test_gpt_memory_reuse_zeros_are_zero_even_from_a_used_buffer() -> None:
    backend = _cpu()
    like = np.empty(1, np.float32)
    z = backend.zeros((64, 512), np.dtype(np.float32), like)
    z[...] = 3.0
    del z
    z = backend.zeros((64, 512), np.dtype(np.float32), like)
    np.testing.assert_array_equal(z, np.zeros((64, 512), np.float32))


def _train_gpt(device: str, steps: int) -> list[np.ndarray]:
    nt.manual_seed(0)
    model = GPT(GPTConfig(**CONFIG)).to(device)
    rng = np.random.default_rng(1)
    x = nt.tensor(rng.integers(0, CONFIG["vocab_size"], (BATCH, CONFIG["block_size"])))
    y = nt.tensor(rng.integers(0, CONFIG["vocab_size"], (BATCH * CONFIG["block_size"],)))
    x, y = x.to(device), y.to(device)
    opt = optim.AdamW(model.parameters(), lr=1e-2)
    return train_record(model, opt, lambda: _lm_loss(model, x, y), steps)


def _lm_loss(model: GPT, x: nt.Tensor, y: nt.Tensor) -> nt.Tensor:
    logits = model(x)
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y)


def test_gpt_memory_reuse_pool_on_and_off_train_identically() -> None:
    with pool_enabled(False):
        plain = _train_gpt("cpu", 3)
    with pool_enabled(True):
        pooled = _train_gpt("cpu", 3)
    assert_arrays_equal(plain, pooled)


@pytest.mark.not_on("cpu")
def test_gpt_memory_reuse_cpu_fast_path_matches_portable(device: str) -> None:
    assert_arrays_close(_train_gpt("cpu", 2), _train_gpt(device, 2), rtol=1e-4, atol=1e-5)


def test_gpt_memory_reuse_warm_step_misses_nothing_and_fused_ops_hit() -> None:
    # Every large array of a warm GPT step comes from the pool. 115 hits on this model; 37
    # before GELU, layer norm, attention, the residual adds, SliceScatter and the head
    # merge's reshape used it.
    nt.manual_seed(0)
    model = GPT(GPTConfig(**CONFIG))
    rng = np.random.default_rng(1)
    x = nt.tensor(rng.integers(0, CONFIG["vocab_size"], (BATCH, CONFIG["block_size"])))
    y = nt.tensor(rng.integers(0, CONFIG["vocab_size"], (BATCH * CONFIG["block_size"],)))
    opt = optim.AdamW(model.parameters(), lr=1e-2)
    hits, misses = warm_pool_counts(
        lambda: train_step(opt, lambda: _lm_loss(model, x, y)), warm=3, measured=1
    )
    assert misses == 0
    assert hits >= 50 * CONFIG["n_layer"]
