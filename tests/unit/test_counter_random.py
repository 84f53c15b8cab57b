"""CounterRandom: the exportable generator state used where a library's own generator state
cannot be saved (CuPy). Checked here with NumPy's generator as the engine."""

from __future__ import annotations

import numpy as np

from nanotorch.backend.base import CounterRandom
from nanotorch.dtypes import float32, int64


def _make():
    return CounterRandom(7, np.random.default_rng)


def test_counter_random_is_reproducible_for_a_seed():
    a, b = _make(), _make()
    assert np.array_equal(a.normal((3,), float32), b.normal((3,), float32))
    assert np.array_equal(a.random((2, 2), float32), b.random((2, 2), float32))


def test_counter_random_state_round_trips_and_continues_the_stream():
    a = _make()
    a.normal((4,), float32)
    state = a.get_state()
    expected = a.integers(0, 10, (5,), int64)
    b = CounterRandom(0, np.random.default_rng)
    b.set_state(state)
    assert np.array_equal(b.integers(0, 10, (5,), int64), expected)
    assert isinstance(state["draws"], int) and state["seed"] == 7


def test_counter_random_draws_differ_and_permutation_is_a_permutation():
    a = _make()
    assert not np.array_equal(a.random((8,), float32), a.random((8,), float32))
    perm = a.permutation(10)
    assert sorted(perm.tolist()) == list(range(10)) and perm.dtype == np.int64
    x = a.random((1000,), float32)
    assert x.dtype == np.float32 and 0 <= x.min() and x.max() < 1
