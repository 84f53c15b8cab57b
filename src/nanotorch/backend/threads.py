"""Intra-op threads: one large elementwise kernel on the cpu, split across threads.

Note [Intra-op threads]
~~~~~~~~~~~~~~~~~~~~~~~
NumPy runs every call on one core, so a GELU over a GPT's (768, 512) activations, or
Adam's update of a 16M-element weight, leaves the other cores idle while PyTorch splits the
same loop across its intra-op threads. The cpu backend's heavy elementwise kernels (the tanh
GELU and its gradient, ReLU and its gradient, the optimizers' in-place updates, exp and tanh)
are written as a *body* over a flat range ``[lo, hi)`` of independent elements, and
``parallel_for`` runs the body on contiguous parts of the range, one per thread: the caller
takes the first part and waits for the others. NumPy releases the GIL inside its loops, so
the parts really run at once.

* **Same numbers.** Every element goes through the same operations whichever thread runs
  it, and no reduction is ever split, so one thread and eight give identical bits
  (tests/unit/test_intra_op_threads.py compares them).
* **Only when it pays.** Handing a part to a worker costs about 15 us, so a kernel splits
  only into parts of at least ``grain`` elements, chosen per kernel from its cost per
  element (cheap arithmetic needs far more elements than ``exp`` to pay for the hand-off).
  W1's (128, 256) activations never split; a GPT's GELU does.
* **How many.** ``set_num_threads(n)`` / ``get_num_threads()``, PyTorch's names. The default
  is ``OMP_NUM_THREADS`` when it holds a positive integer (the variable that also sets the
  BLAS threads), else the cores this process may run on. ``set_num_threads`` also sets the
  threads of the BLAS library NumPy uses (through ``threadpoolctl``), as PyTorch's sets its
  matmul threads; nothing process-wide is changed unless it is called.
* **Memory.** Bodies only compute into arrays the caller made; every pooled array comes
  from the caller's thread, before the split (the buffer pool is not shared across threads
  mid-kernel, Note [Buffer pool]).
* **Forks and nesting.** Worker threads do not survive ``fork`` (a DataLoader worker): the
  child forgets them and starts its own on first use. A ``parallel_for`` inside a body runs
  inline, so a body can never wait on a worker that waits on it.
* **Warnings.** NumPy's floating-point error state is per thread, so a body that may
  overflow sets its own ``errstate`` (the GELU's ``exp``) rather than relying on the
  caller's.
"""

from __future__ import annotations

import os
import queue
import threading
from collections.abc import Callable
from typing import Any

Body = Callable[[int, int, int], None]  # body(lo, hi, part)

# Parts start on multiples of this many elements: 16 float32s are one 64-byte cache line,
# so two threads never write the same line.
_ALIGN = 16


def _default_threads() -> int:
    value = os.environ.get("OMP_NUM_THREADS", "").strip()
    if value.isdigit() and int(value) > 0:
        return int(value)
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


class _Pool:
    """Daemon worker threads fed from one queue; started on demand, up to threads - 1."""

    def __init__(self) -> None:
        self.num_threads = _default_threads()
        self._reset()

    def _reset(self) -> None:
        self._tasks: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._workers: list[threading.Thread] = []
        self._lock = threading.Lock()

    def ensure_workers(self, count: int) -> None:
        if len(self._workers) >= count:
            return
        with self._lock:
            while len(self._workers) < count:
                worker = threading.Thread(
                    target=self._work,
                    args=(self._tasks,),
                    name=f"nanotorch-intra-op-{len(self._workers) + 1}",
                    daemon=True,
                )
                worker.start()
                self._workers.append(worker)

    @staticmethod
    def _work(tasks: queue.SimpleQueue[Any]) -> None:
        _local.inside = True
        while True:
            body, lo, hi, part, done = tasks.get()
            try:
                body(lo, hi, part)
            except BaseException as exc:  # handed to the caller, raised there
                done.put(exc)
            else:
                done.put(None)
            # Drop the body before waiting for the next one: it holds the kernel's arrays,
            # and the buffer pool reuses an array only once nothing else refers to it.
            del body, done

    def submit(self, body: Body, lo: int, hi: int, part: int, done: queue.SimpleQueue[Any]) -> None:
        self._tasks.put((body, lo, hi, part, done))


_local = threading.local()
_pool = _Pool()
# A forked child has the parent's pool object but none of its threads.
os.register_at_fork(after_in_child=_pool._reset)


def get_num_threads() -> int:
    """The number of threads nanotorch's cpu kernels split large elementwise work across
    (Note [Intra-op threads])."""
    return _pool.num_threads


def set_num_threads(n: int) -> None:
    """Use ``n`` threads for the cpu's large elementwise kernels and for NumPy's BLAS
    (matrix products), as ``torch.set_num_threads`` does.

    >>> import nanotorch
    >>> before = nanotorch.get_num_threads()
    >>> nanotorch.set_num_threads(1)
    >>> nanotorch.get_num_threads()
    1
    >>> nanotorch.set_num_threads(before)
    """
    from nanotorch.errors import ArgumentTypeError, InvalidArgumentError

    if isinstance(n, bool) or not isinstance(n, int):
        raise ArgumentTypeError(
            f"set_num_threads expects an int, got {type(n).__name__} {n!r}; pass a positive "
            "integer such as 4"
        )
    if n < 1:
        raise InvalidArgumentError(
            f"set_num_threads expects a positive number of threads, got {n}; pass 1 for "
            "single-threaded work"
        )
    _pool.num_threads = n
    _set_blas_threads(n)


def _set_blas_threads(n: int) -> None:
    # threadpoolctl finds the BLAS NumPy loaded (OpenBLAS, MKL, ...) and sets its thread
    # count; the limit stays until changed again.
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=n, user_api="blas")


def parallel_for(n: int, grain: int, body: Body, max_parts: int | None = None) -> None:
    """Run ``body(lo, hi, part)`` over ``[0, n)`` in up to ``get_num_threads()`` contiguous
    parts (and at most ``max_parts``, for a body with per-part scratch sized beforehand) of
    about ``grain`` elements or more each, part 0 on the calling thread; return when every
    part has finished, raising the first error any part raised."""
    parts = min(_pool.num_threads, n // max(grain, 1))
    if max_parts is not None:
        parts = min(parts, max_parts)
    if parts < 2 or getattr(_local, "inside", False):
        body(0, n, 0)
        return
    step = -(-n // parts)
    step += -step % _ALIGN
    bounds = [(lo, min(lo + step, n)) for lo in range(0, n, step)]
    _pool.ensure_workers(len(bounds) - 1)
    done: queue.SimpleQueue[Any] = queue.SimpleQueue()
    for part, (lo, hi) in enumerate(bounds[1:], start=1):
        _pool.submit(body, lo, hi, part, done)
    error: BaseException | None = None
    _local.inside = True
    try:
        body(bounds[0][0], bounds[0][1], 0)
    except BaseException as exc:
        error = exc
    finally:
        _local.inside = False
        # Every part writes into the caller's arrays: wait for all of them, even after an
        # error, before anything else may touch those arrays.
        for _ in bounds[1:]:
            result = done.get()
            if error is None and result is not None:
                error = result
    if error is not None:
        raise error
