"""The cpu backend's buffer pool (Note [Buffer pool] in nanotorch/backend/pool.py).

The pool hands out a large array again only when nothing outside the pool refers to it.
These tests try every way of holding on to an array (a name, a view, a memoryview, a
Tensor, a saved tensor, another thread) and check the pool never hands it out twice.
"""

from __future__ import annotations

import os
import signal
import threading
import time

import numpy as np
import pytest

from nanotorch.backend.pool import BufferPool

BIG = (128, 256)  # 128 KiB of float32: above the pool's 64 KiB minimum
F32 = np.dtype(np.float32)


def test_buffer_pool_reuses_a_buffer_nobody_holds() -> None:
    pool = BufferPool()
    a = pool.empty(BIG, F32)
    a_id = id(a)
    del a
    b = pool.empty(BIG, F32)
    assert id(b) == a_id
    assert pool.stats()["hits"] == 1 and pool.stats()["misses"] == 1


def test_buffer_pool_never_hands_out_a_held_buffer() -> None:
    pool = BufferPool()
    a = pool.empty(BIG, F32)
    b = pool.empty(BIG, F32)
    assert a is not b
    assert not np.shares_memory(a, b)


@pytest.mark.parametrize(
    "holder",
    [
        lambda a: a[1:],  # a view keeps its base alive
        lambda a: a.reshape(-1),
        lambda a: a.T,
        lambda a: memoryview(a),
        lambda a: np.frombuffer(a, dtype=np.uint8),
        lambda a: [a],
    ],
    ids=["slice", "reshape", "transpose", "memoryview", "frombuffer", "list"],
)
def test_buffer_pool_a_view_or_export_keeps_the_buffer(holder) -> None:
    pool = BufferPool()
    a = pool.empty(BIG, F32)
    a_id = id(a)
    kept = holder(a)
    del a
    b = pool.empty(BIG, F32)
    assert id(b) != a_id
    del kept


def test_buffer_pool_a_tensor_keeps_the_buffer() -> None:
    import nanotorch as nt

    pool = BufferPool()
    a = pool.empty(BIG, F32)
    t = nt.as_tensor(a)
    a_id = id(a)
    del a
    assert id(pool.empty(BIG, F32)) != a_id
    assert t.shape == BIG


def test_buffer_pool_small_arrays_are_not_pooled() -> None:
    pool = BufferPool()
    a = pool.empty((4, 4), F32)
    assert a.shape == (4, 4) and a.dtype == F32
    assert pool.stats()["held_bytes"] == 0


def test_buffer_pool_keys_on_shape_and_dtype() -> None:
    pool = BufferPool()
    a = pool.empty(BIG, F32)
    a_id = id(a)
    del a
    assert id(pool.empty((256, 128), F32)) != a_id
    assert pool.empty(BIG, np.dtype(np.float64)).dtype == np.float64


def test_buffer_pool_limit_bounds_held_bytes() -> None:
    nbytes = 128 * 256 * 4
    pool = BufferPool(max_bytes=2 * nbytes)
    held = [pool.empty(BIG, F32) for _ in range(3)]  # the third is not kept by the pool
    assert pool.stats()["held_bytes"] == 2 * nbytes
    assert all(h.shape == BIG for h in held)
    del held
    # Idle entries of another shape are evicted to make room for a new one.
    c = pool.empty((64, 512, 2), F32)
    assert pool.stats()["held_bytes"] <= 2 * nbytes
    assert c.shape == (64, 512, 2)


def test_buffer_pool_empty_cache_frees_idle_buffers_only() -> None:
    pool = BufferPool()
    kept = pool.empty(BIG, F32)
    dropped = pool.empty(BIG, F32)
    del dropped
    freed = pool.empty_cache()
    assert freed == kept.nbytes
    assert pool.stats()["held_bytes"] == kept.nbytes
    # The held one is still the pool's, and still not handed out.
    assert pool.empty(BIG, F32) is not kept


def test_buffer_pool_disabled_hands_out_fresh_arrays() -> None:
    pool = BufferPool()
    pool.enabled = False
    a = pool.empty(BIG, F32)
    a_id = id(a)
    del a
    b = pool.empty(BIG, F32)
    assert b.shape == BIG and pool.stats()["held_bytes"] == 0
    del b
    assert a_id is not None


def test_buffer_pool_threads_never_share_a_buffer() -> None:
    # Each thread fills what it got with its own number, yields, and checks it is intact.
    pool = BufferPool()
    errors: list[str] = []

    def work(k: int) -> None:
        for _ in range(200):
            a = pool.empty(BIG, F32)
            a.fill(k)
            b = pool.empty(BIG, F32)
            b.fill(-k)
            if not (a == k).all() or not (b == -k).all():
                errors.append(f"thread {k} saw its buffer overwritten")

    threads = [threading.Thread(target=work, args=(k,)) for k in range(1, 5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


def test_buffer_pool_bad_limit_is_refused() -> None:
    with pytest.raises(ValueError, match="max_bytes"):
        BufferPool(max_bytes=-1)


def test_buffer_pool_empty_cache_of_a_device(device: str) -> None:
    import nanotorch as nt
    from nanotorch.backend import empty_cache, get_backend

    kept = nt.ones(256, 256, device=device) @ nt.ones(256, 256, device=device)
    dropped = nt.ones(256, 256, device=device) @ nt.ones(256, 256, device=device)
    del dropped
    freed = empty_cache(device)
    pool = get_backend(nt.device(device)).pool
    if pool is None:  # strict keeps nothing; CuPy has its own pool
        assert freed == 0
    else:
        assert freed >= 256 * 256 * 4
        assert pool.stats()["held_bytes"] >= kept.numel() * 4
    assert kept[0, 0].item() == 256.0


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork()")
def test_buffer_pool_a_child_forked_while_the_lock_is_held_can_still_allocate() -> None:
    """A DataLoader worker (or any fork) taken while another thread is inside the pool would
    inherit a held lock and hang on its first allocation; the child gets a fresh lock."""
    pool = BufferPool(min_bytes=0)
    pool._lock.acquire()
    try:
        pid = os.fork()
        if pid == 0:  # the child: must not block on the inherited lock
            try:
                pool.empty((8,), np.dtype("float32"))
            finally:
                os._exit(0)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            time.sleep(0.02)
        else:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            pytest.fail("the forked child hung on the pool's inherited lock")
    finally:
        pool._lock.release()
    assert os.waitstatus_to_exitcode(status) == 0
