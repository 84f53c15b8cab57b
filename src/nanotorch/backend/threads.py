"""Intra-op threads: one large elementwise kernel on the cpu, split across threads.

Note [Intra-op threads]
~~~~~~~~~~~~~~~~~~~~~~~
NumPy runs every call on one core, so a GELU over a GPT's (768, 512) activations, or
Adam's update of a 16M-element weight, leaves the other cores idle while PyTorch splits the
same loop across its intra-op threads. The cpu backend's heavy elementwise kernels (the tanh
GELU and its gradient, ReLU and its gradient, the optimizers' in-place updates, exp and tanh)
are written as a *body* over a flat range ``[lo, hi)`` of independent elements, and
``parallel_for`` cuts the range into contiguous pieces, two per thread, that the calling
thread and the workers take one at a time until none is left. NumPy releases the GIL
inside its loops, so the pieces really run at once.

* **Same numbers.** Every element goes through the same operations whichever thread runs
  it, and no reduction is ever split, so one thread and eight give identical bits
  (tests/unit/test_intra_op_threads.py compares them).
* **Only when it pays.** Waking a worker costs about 15 us, so a kernel uses another thread
  only for about ``grain`` elements or more, chosen per kernel from its cost per element
  (cheap arithmetic needs far more elements than ``exp`` to pay for the hand-off). W1's
  (128, 256) activations never split; a GPT's GELU does.
* **Never much slower.** Pieces are handed out on demand and the caller waits only for
  pieces that are running, never for a worker that has not started: on a busy machine, or
  right after a matrix product while the BLAS library's threads still spin on the other
  cores, a starved worker simply takes fewer pieces (or none).
* **Off until asked for.** Inside a training step the split did not pay on the
  development machine (discovery/performance.md, "Threads, the GELU's sigmoid form, Linear
  + ReLU"): a worker asleep since the last kernel takes longer to wake than most kernels
  take, so the caller ends up doing most pieces itself. The kernels therefore run on the
  calling thread until ``set_num_threads(n)`` asks for n threads, which also sets the
  threads of the BLAS library NumPy uses (through ``threadpoolctl``), as PyTorch's sets its
  matmul threads. ``get_num_threads()`` reports that n, and before any call the BLAS
  library's own count (``OPENBLAS_NUM_THREADS``, ``OMP_NUM_THREADS``, else the cores), the
  threads a matrix product uses. Nothing process-wide changes unless it is called.
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

Body = Callable[[int, int, int], None]  # body(lo, hi, runner)

# Pieces start on multiples of this many elements: 16 float32s are one 64-byte cache line,
# so two threads never write the same line.
_ALIGN = 16
# Pieces per thread: more balance a starved worker better, each costs its body's calls.
_PIECES_PER_THREAD = 2


def _blas_threads() -> int:
    """The thread count of the BLAS library NumPy loaded, as it reports it (1 when none is
    found)."""
    from threadpoolctl import threadpool_info

    counts = [i["num_threads"] for i in threadpool_info() if i.get("user_api") == "blas"]
    return max(counts, default=1)


def _done(lo: int, hi: int, runner: int) -> None:
    raise AssertionError("a finished parallel_for ran a piece")  # unreachable: no pieces left


class _Job:
    """One ``parallel_for``: its pieces, handed out one at a time to whichever runner asks
    first (the caller or a worker), and the count of pieces still running."""

    def __init__(self, body: Body, bounds: list[tuple[int, int]]) -> None:
        self.body: Body = body
        self.bounds = bounds
        self.next = 0  # the next piece to hand out
        self.running = 0  # pieces handed out and not yet finished
        self.error: BaseException | None = None
        self.cond = threading.Condition()

    def run(self, runner: int) -> None:
        """Take pieces until none are left (or one has failed); ``runner`` names the thread
        slot, which a body may use to pick its own scratch."""
        cond = self.cond
        while True:
            with cond:
                if self.error is not None or self.next >= len(self.bounds):
                    return
                lo, hi = self.bounds[self.next]
                body = self.body
                self.next += 1
                self.running += 1
            try:
                body(lo, hi, runner)
            except BaseException as exc:  # raised by the caller once every piece is done
                with cond:
                    if self.error is None:
                        self.error = exc
            finally:
                with cond:
                    self.running -= 1
                    if not self.running:
                        cond.notify_all()

    def wait(self) -> None:
        """Until no piece is running. A worker that never got to run holds none: it finds
        nothing left when it starts, and nobody waits for it. Its task may still sit in the
        queue, so the job lets go of the body (and through it the kernel's arrays, which the
        buffer pool reuses only once nothing else refers to them)."""
        with self.cond:
            while self.running:
                self.cond.wait()
            self.body, self.bounds = _done, []


class _Pool:
    """Daemon worker threads fed from one queue; started on demand, up to threads - 1."""

    def __init__(self) -> None:
        self.num_threads = 1  # kernels split only once set_num_threads asks (the Note)
        self.explicit = False
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
            job, runner = tasks.get()
            job.run(runner)
            # Drop the job before waiting for the next one: its body holds the kernel's
            # arrays, and the buffer pool reuses an array only once nothing else refers to it.
            del job

    def submit(self, job: _Job, runner: int) -> None:
        self._tasks.put((job, runner))


_local = threading.local()
_pool = _Pool()
# A forked child has the parent's pool object but none of its threads.
os.register_at_fork(after_in_child=_pool._reset)


def get_num_threads() -> int:
    """The threads set by ``set_num_threads``; before any call, the BLAS library's own count
    (what a matrix product uses, while nanotorch's elementwise kernels run on the calling
    thread; Note [Intra-op threads])."""
    return _pool.num_threads if _pool.explicit else _blas_threads()


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
    _pool.explicit = True
    _set_blas_threads(n)


def _set_blas_threads(n: int) -> None:
    # threadpoolctl finds the BLAS NumPy loaded (OpenBLAS, MKL, ...) and sets its thread
    # count; the limit stays until changed again.
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=n, user_api="blas")


def parallel_for(n: int, grain: int, body: Body, max_parts: int | None = None) -> None:
    """Run ``body(lo, hi, runner)`` over ``[0, n)`` on up to ``get_num_threads()`` threads
    (and at most ``max_parts``, for a body with per-runner scratch sized beforehand), each
    taking about ``grain`` elements or more; return when every piece has finished, raising
    the first error a piece raised.

    The range is cut into two pieces per thread, handed out on demand: a worker that cannot
    get a core (the machine is busy, or a BLAS thread is still spinning on it) takes fewer
    pieces, and the caller never waits for one that has not started, so a split kernel is
    never much slower than the unsplit one."""
    parts = min(_pool.num_threads, n // max(grain, 1))
    if max_parts is not None:
        parts = min(parts, max_parts)
    if parts < 2 or getattr(_local, "inside", False):
        body(0, n, 0)
        return
    step = -(-n // (parts * _PIECES_PER_THREAD))
    step += -step % _ALIGN
    job = _Job(body, [(lo, min(lo + step, n)) for lo in range(0, n, step)])
    _pool.ensure_workers(parts - 1)
    for runner in range(1, parts):
        _pool.submit(job, runner)
    _local.inside = True
    try:
        job.run(0)
    finally:
        _local.inside = False
        # Pieces write into the caller's arrays: none may still be running on return.
        job.wait()
    if job.error is not None:
        raise job.error
