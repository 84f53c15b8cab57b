"""Intra-op threads (Note [Intra-op threads] in nanotorch/backend/threads.py).

``set_num_threads``/``get_num_threads`` as in PyTorch; the cpu backend's large elementwise
kernels split across those threads. Three kinds of test: the API and its errors, the
splitting itself (every element exactly once, errors and forks survived), and the kernels
giving the same numbers to the bit with one thread and with several.
"""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import numpy as np
import pytest

import nanotorch as nt
from nanotorch.backend import threads
from nanotorch.nn import functional as F


def _pool_state() -> tuple[int, bool, int]:
    return threads._pool.num_threads, threads._pool.explicit, threads._blas_threads()


def _restore(state: tuple[int, bool, int]) -> None:
    threads._pool.num_threads, threads._pool.explicit, blas = state
    threads._set_blas_threads(blas)


@pytest.fixture
def restore_threads() -> Iterator[None]:
    # Back to exactly the state before, the default (kernels on the caller) included.
    state = _pool_state()
    yield
    _restore(state)


# ------------------------------------------------------------------------------ the API
def test_set_num_threads_round_trips(restore_threads: None) -> None:
    nt.set_num_threads(3)
    assert nt.get_num_threads() == 3
    nt.set_num_threads(1)
    assert nt.get_num_threads() == 1


@pytest.mark.parametrize("bad", [0, -2])
def test_set_num_threads_rejects_non_positive_counts(bad: int, restore_threads: None) -> None:
    before = nt.get_num_threads()
    with pytest.raises(RuntimeError, match=rf"set_num_threads.*positive.*got {bad}"):
        nt.set_num_threads(bad)
    assert nt.get_num_threads() == before


@pytest.mark.parametrize("bad", [1.5, "2", True, None])
def test_set_num_threads_rejects_non_integers(bad: object, restore_threads: None) -> None:
    # PyTorch raises RuntimeError; a TypeError is what Python code expects for a wrong type.
    with pytest.raises(TypeError, match=r"set_num_threads.*int") as info:
        nt.set_num_threads(bad)  # type: ignore[arg-type]
    assert isinstance(info.value, RuntimeError)


_BLAS_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "GOTO_NUM_THREADS", "MKL_NUM_THREADS")


def _in_fresh_process(code: str, env: dict[str, str]) -> str:
    full = {k: v for k, v in os.environ.items() if k not in _BLAS_VARS}
    full.update(env)
    out = subprocess.run(
        [sys.executable, "-c", code], env=full, capture_output=True, text=True, check=True
    )
    return out.stdout.strip()


def test_default_is_the_blas_librarys_thread_count() -> None:
    # Before any set_num_threads: what a matrix product uses.
    code = "import nanotorch; print(nanotorch.get_num_threads())"
    # (OpenBLAS caps its count at the cores, so only 1 is the same on every machine.)
    assert _in_fresh_process(code, {"OPENBLAS_NUM_THREADS": "1"}) == "1"
    cores = len(os.sched_getaffinity(0))
    assert 1 <= int(_in_fresh_process(code, {})) <= max(cores, os.cpu_count() or 1)


def test_kernels_stay_on_the_caller_until_set_num_threads_asks() -> None:
    code = (
        "import threading, nanotorch\n"
        "from nanotorch.backend import threads\n"
        "names = set()\n"
        "def body(lo, hi, runner):\n"
        "    names.add(threading.current_thread().name)\n"
        "threads.parallel_for(400_000, 1000, body)\n"
        "print(sorted(names))\n"
        "nanotorch.set_num_threads(2)\n"
        "print(nanotorch.get_num_threads())\n"
    )
    lines = _in_fresh_process(code, {"OPENBLAS_NUM_THREADS": "4"}).splitlines()
    assert lines == ["['MainThread']", "2"]


def test_set_num_threads_limits_blas_too(restore_threads: None) -> None:
    threadpoolctl = pytest.importorskip("threadpoolctl")
    nt.set_num_threads(1)
    blas = [i for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas"]
    assert blas, "NumPy's BLAS should be visible to threadpoolctl"
    assert all(i["num_threads"] == 1 for i in blas)


# ------------------------------------------------------------------------------ splitting
def _record(n: int, grain: int, delay: float = 0.0) -> list[tuple[int, int, int, str]]:
    seen: list[tuple[int, int, int, str]] = []
    lock = threading.Lock()

    def body(lo: int, hi: int, runner: int) -> None:
        with lock:
            seen.append((lo, hi, runner, threading.current_thread().name))
        time.sleep(delay)  # a piece that takes a while, so workers get some

    threads.parallel_for(n, grain, body)
    return sorted(seen)


@pytest.mark.parametrize("n", [0, 1, 999, 1000, 4096, 10_007])
@pytest.mark.parametrize("count", [1, 2, 3, 8])
def test_parallel_for_covers_every_element_once(n: int, count: int, restore_threads) -> None:
    nt.set_num_threads(count)
    pieces = _record(n, 1000)
    covered = [i for lo, hi, _, _ in pieces for i in range(lo, hi)]
    assert covered == list(range(n))
    # One runner per thread at most, each with a share of about a grain or more.
    threads_used = max(1, min(count, n // 1000))
    assert all(0 <= runner < threads_used for _, _, runner, _ in pieces)
    assert len(pieces) <= 2 * threads_used


def test_parallel_for_really_uses_other_threads(restore_threads: None) -> None:
    nt.set_num_threads(4)
    names = {name for *_, name in _record(400_000, 1000, delay=0.02)}
    assert threading.current_thread().name in names
    others = names - {threading.current_thread().name}
    assert others and all(n.startswith("nanotorch-intra-op-") for n in others)


def test_parallel_for_with_one_thread_stays_on_the_caller(restore_threads: None) -> None:
    nt.set_num_threads(1)
    pieces = _record(40_000, 1000)
    assert pieces == [(0, 40_000, 0, threading.current_thread().name)]


def test_parallel_for_does_not_wait_for_a_worker_that_cannot_start(monkeypatch) -> None:
    # A worker stuck elsewhere (here: in a body blocked on an event) holds no piece of a
    # later call, so that call finishes on the caller alone. A fresh pool of one worker.
    monkeypatch.setattr(threads, "_pool", threads._Pool())
    threads._pool.num_threads = 2
    release = threading.Event()
    entered = threading.Event()

    def stuck(lo: int, hi: int, runner: int) -> None:
        if runner == 1:
            entered.set()
            release.wait(10)
        else:
            time.sleep(0.05)  # leave the worker time to take a piece

    blocker = threading.Thread(target=threads.parallel_for, args=(4000, 1000, stuck))
    blocker.start()
    try:
        assert entered.wait(10)
        pieces = _record(4000, 1000)
        assert [p[:2] for p in pieces] == [(0, 1008), (1008, 2016), (2016, 3024), (3024, 4000)]
        assert {p[3] for p in pieces} == {threading.current_thread().name}
    finally:
        release.set()
        blocker.join(10)


def test_parallel_for_raises_a_piece_error_after_every_running_piece_ends(restore_threads):
    nt.set_num_threads(3)
    active = 0
    lock = threading.Lock()

    def body(lo: int, hi: int, runner: int) -> None:
        nonlocal active
        with lock:
            active += 1
        try:
            if lo == 0:
                raise ValueError(f"piece at {lo} failed")
            time.sleep(0.01)
        finally:
            with lock:
                active -= 1

    with pytest.raises(ValueError, match="piece at 0 failed"):
        threads.parallel_for(6000, 1000, body)
    assert active == 0  # nothing still writing when the error reaches the caller
    # The pool is still usable afterwards.
    covered = [i for lo, hi, _, _ in _record(3000, 1000) for i in range(lo, hi)]
    assert covered == list(range(3000))


def test_parallel_for_nested_runs_inline(restore_threads: None) -> None:
    nt.set_num_threads(2)
    inner: list[int] = []

    def body(lo: int, hi: int, runner: int) -> None:
        inner.append(len(_record(10_000, 1000)))

    threads.parallel_for(2000, 1000, body)
    assert inner and set(inner) == {1}


def _child_sum(q: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    x = np.ones(600_000, dtype=np.float32)
    w = nt.tensor(x.copy(), requires_grad=True)
    w.grad = nt.tensor(x)
    nt.optim.SGD([w], lr=0.5).step()
    q.put(float(w.detach().numpy().sum()))


def test_a_forked_child_gets_a_working_pool(restore_threads: None) -> None:
    nt.set_num_threads(2)
    _record(10_000, 1000)  # the parent's workers exist before the fork
    ctx = multiprocessing.get_context("fork")
    q = ctx.Queue()
    proc = ctx.Process(target=_child_sum, args=(q,))
    proc.start()
    proc.join(60)
    assert proc.exitcode == 0
    assert q.get(timeout=5) == pytest.approx(300_000.0)


# ------------------------------------------------------------------------------ the kernels
def _with_threads(count: int, fn):  # type: ignore[no-untyped-def]
    state = _pool_state()
    nt.set_num_threads(count)
    try:
        return fn()
    finally:
        _restore(state)


def _gelu_step(x0: np.ndarray, g0: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x = nt.tensor(x0, requires_grad=True)
    out = F.gelu(x, approximate="tanh")
    out.backward(nt.tensor(g0))
    return out.detach().numpy().copy(), x.grad.numpy().copy()


def test_gelu_tanh_is_the_same_on_one_thread_and_on_four() -> None:
    rng = np.random.default_rng(0)
    x0 = (rng.standard_normal((700, 512)) * 4).astype(np.float32)
    x0[0, :6] = [-np.inf, np.inf, np.nan, -1e4, 1e4, 0.0]
    g0 = rng.standard_normal((700, 512)).astype(np.float32)
    one = _with_threads(1, lambda: _gelu_step(x0, g0))
    four = _with_threads(4, lambda: _gelu_step(x0, g0))
    for a, b in zip(one, four, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("name", ["sgd", "adam", "rmsprop", "adagrad"])
def test_optimizer_updates_are_the_same_on_one_thread_and_on_four(name: str) -> None:
    rng = np.random.default_rng(1)
    # 1.5 MiB (one pass per part) and 4.2 MiB (slices within each part, and a remainder)
    shapes = [(768, 512), (1025, 1031)]
    p0 = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    grads = [[rng.standard_normal(s).astype(np.float32) for s in shapes] for _ in range(3)]
    make = {
        "sgd": lambda ps: nt.optim.SGD(ps, lr=0.05, momentum=0.9),
        "adam": lambda ps: nt.optim.Adam(ps, lr=0.01),
        "rmsprop": lambda ps: nt.optim.RMSprop(ps, lr=0.01, centered=True),
        "adagrad": lambda ps: nt.optim.Adagrad(ps, lr=0.1),
    }[name]

    def run() -> list[np.ndarray]:
        params = [nt.tensor(p.copy(), requires_grad=True) for p in p0]
        opt = make(params)
        for step in grads:
            for p, g in zip(params, step, strict=True):
                p.grad = nt.tensor(g)
            opt.step()
        return [p.detach().numpy().copy() for p in params]

    for a, b in zip(_with_threads(1, run), _with_threads(4, run), strict=True):
        np.testing.assert_array_equal(a, b)


def test_relu_forward_and_backward_are_the_same_on_one_thread_and_on_four() -> None:
    rng = np.random.default_rng(2)
    x0 = rng.standard_normal((1024, 600)).astype(np.float32)
    g0 = rng.standard_normal((1024, 600)).astype(np.float32)

    def run() -> tuple[np.ndarray, np.ndarray]:
        x = nt.tensor(x0, requires_grad=True)
        out = F.relu(x)
        out.backward(nt.tensor(g0))
        return out.detach().numpy().copy(), x.grad.numpy().copy()

    for a, b in zip(_with_threads(1, run), _with_threads(4, run), strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.fixture
def split_sizes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The range size of every parallel_for call made while the test runs."""
    calls: list[int] = []
    real = threads.parallel_for

    def spy(n: int, grain: int, body, max_parts=None) -> None:  # type: ignore[no-untyped-def]
        calls.append(n)
        real(n, grain, body, max_parts)

    monkeypatch.setattr(threads, "parallel_for", spy)
    return calls


def test_large_kernels_split_when_threads_allow(restore_threads, split_sizes) -> None:
    nt.set_num_threads(2)
    x = nt.randn(768, 512, requires_grad=True)
    F.gelu(x, approximate="tanh").sum().backward()
    assert split_sizes.count(768 * 512) >= 2  # the forward and the backward kernels
