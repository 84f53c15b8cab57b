"""``BufferPool``: large NumPy arrays kept between training steps instead of returned.

Used by the cpu backend only (``NumpyBackend.pool``); the strict backend has none, and CuPy
keeps its own memory pool. Ops reach it through the backend's fast-path methods
(``matmul``, ``relu``, ``relu_grad``, ``add_scaled_``; for the GPT's fused ops ``add``,
``subtract``, ``multiply``, ``tanh``, ``exp``, ``zeros`` and ``reshape``), never directly.

Note [Buffer pool]
~~~~~~~~~~~~~~~~~~
A training step allocates the same large arrays every step (activations, their gradients,
the weight gradients) and frees them again. With glibc's default settings the freed memory
goes back to the operating system (``munmap`` of a large block, or a trim of the heap's top),
and the next step touches it again page by page: on W1 (benchmarks/README.md) that was 360
to 520 minor page faults per step, about a third of the step. PyTorch keeps its memory.

The pool keeps it too. ``empty(shape, dtype)`` returns an uninitialised array; arrays of at
least ``min_bytes`` are remembered per (shape, dtype), and one is handed out again once
nothing but the pool refers to it. "Refers to" is CPython's reference count: a Tensor
holding the array, a tensor saved for backward, a ``.grad``, a user's ``t.numpy()``, every
NumPy view (a view keeps its base alive), a ``memoryview`` or a DLPack capsule each hold a
reference. So an array someone can still read is never overwritten, and one nobody can
reach is reused, much as the allocator would reuse it, only without the round trip through
the kernel. Callers must write every element of what they get (they use it as ``out=``).

* The check and the hand-out happen under a lock, so two threads never get one buffer.
  A child made by ``fork()`` gets fresh locks (``_new_locks_after_fork``), since a lock
  copied while another thread held it would never be released there.
* At most ``max_bytes`` are held; a new shape first evicts idle entries, and beyond the
  limit ``empty`` returns an ordinary array the pool forgets. ``empty_cache()`` gives every
  idle entry back (``nanotorch.backend.empty_cache()`` for the cpu device).
* Not reference-holding: a ``weakref`` to a result the program dropped may see the buffer
  reused, as it would see freed memory reused under any caching allocator.
* Small arrays (under 64 KiB by default) are left to the allocator, which reuses them from
  its free lists without a page fault; the pool would only add its bookkeeping.

Note [Claims on idle buffers]
~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
An idle buffer still holds what its last user wrote. ``claim(arr)`` remembers that: it
returns a ``Claim`` (a weak reference to the pooled buffer and a token) without keeping the
buffer busy, and ``recall(claim)`` hands the very array back, contents intact, only if the
pool has not handed that buffer to anyone since (``empty`` drops the claim on a buffer when
it hands it out) and it was not evicted (the weak reference died); otherwise None, and the
caller recomputes. Recall runs under the lock and returns a strong reference, so no other
thread can take the buffer between the check and the use; a claim is good for one recall.
The convolution uses it to let backward reuse the forward's columns without holding them
(Note [Conv columns from the pool] in nanotorch/ops/conv.py): memory held stays what the
pool holds anyway, and the saving comes only when nothing else needed that buffer.
"""

from __future__ import annotations

import os
import sys
import threading
import weakref
from typing import Any

import numpy as np

DEFAULT_MIN_BYTES = 64 << 10
DEFAULT_MAX_BYTES = 1 << 30


# Every live pool, so that a forked child can replace their locks (below).
_POOLS: weakref.WeakSet[BufferPool] = weakref.WeakSet()


def _new_locks_after_fork() -> None:
    # fork() copies a lock in whatever state it is; if another thread of the parent was
    # inside a pool at that moment, the child (a DataLoader worker, say) would wait forever
    # on its first allocation. Only the forking thread exists in the child, so nothing can
    # be inside a pool there: a fresh lock is always right.
    for pool in list(_POOLS):
        pool._lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_new_locks_after_fork)


class Claim:
    """What ``BufferPool.claim`` returns: which buffer, which hand-out of it, and the view."""

    __slots__ = ("ref", "shape", "dtype")

    def __init__(self, buf: np.ndarray, shape: tuple[int, ...], dtype: Any) -> None:
        self.ref = weakref.ref(buf)
        self.shape = shape
        self.dtype = dtype


def _refs(entries: list[np.ndarray], i: int) -> int:
    # One function for the calibration and the check, so both count the same temporaries.
    return sys.getrefcount(entries[i])


class BufferPool:
    """Arrays of at least ``min_bytes``, reused once nothing else refers to them
    (Note [Buffer pool]).

    >>> import numpy as np
    >>> pool = BufferPool()
    >>> a = pool.empty((256, 256), np.dtype("float32"))
    >>> first = id(a)
    >>> del a
    >>> id(pool.empty((256, 256), np.dtype("float32"))) == first
    True
    """

    def __init__(
        self, min_bytes: int = DEFAULT_MIN_BYTES, max_bytes: int = DEFAULT_MAX_BYTES
    ) -> None:
        if not isinstance(max_bytes, int) or max_bytes < 0:
            raise ValueError(f"BufferPool: max_bytes must be an int >= 0, got {max_bytes!r}")
        self.min_bytes = min_bytes
        self.max_bytes = max_bytes
        self.enabled = True
        self._entries: dict[tuple[tuple[int, ...], Any], list[np.ndarray]] = {}
        self._held = 0
        self._hits = 0
        self._misses = 0
        self._lock = threading.Lock()
        # id of a pooled buffer -> its live Claim (Note [Claims on idle buffers])
        self._claims: dict[int, Claim] = {}
        _POOLS.add(self)
        probe = [np.empty(0)]
        self._idle = _refs(probe, 0)  # the count of an entry that only the pool holds

    def empty(self, shape: tuple[int, ...], dtype: Any) -> np.ndarray:
        """An uninitialised array of ``shape`` and ``dtype``; the caller writes all of it."""
        nbytes = dtype.itemsize
        for n in shape:
            nbytes *= n
        if nbytes < self.min_bytes or not self.enabled:
            return np.empty(shape, dtype)
        key = (shape, dtype)
        idle = self._idle
        with self._lock:
            entries = self._entries.get(key)
            if entries is None:
                entries = self._entries[key] = []
            # Newest hand-outs last, searched first: the idle buffer found is then the one
            # most recently in use, the likeliest to be still in cache (as the allocator's
            # own free lists, last in first out, would give it).
            for i in range(len(entries) - 1, -1, -1):
                if _refs(entries, i) == idle:
                    self._hits += 1
                    buf = entries[i]
                    if self._claims:
                        self._claims.pop(id(buf), None)  # its old contents are forfeit
                    if i != len(entries) - 1:
                        del entries[i]
                        entries.append(buf)
                    return buf
            self._misses += 1
            if self._held + nbytes > self.max_bytes:
                self._evict(self._held + nbytes - self.max_bytes)
            buf = np.empty(shape, dtype)
            if self._held + nbytes <= self.max_bytes:
                entries.append(buf)
                self._held += nbytes
            return buf

    def _evict(self, need: int) -> None:
        """Drop idle entries (oldest shapes first) until ``need`` bytes are freed."""
        for key in list(self._entries):
            entries = self._entries[key]
            i = 0
            while i < len(entries) and need > 0:
                if _refs(entries, i) == self._idle:
                    self._claims.pop(id(entries[i]), None)
                    need -= entries[i].nbytes
                    self._held -= entries[i].nbytes
                    del entries[i]
                else:
                    i += 1
            if not entries:
                del self._entries[key]
            if need <= 0:
                return

    def holds(self, arr: np.ndarray) -> bool:
        """Whether ``arr`` itself is one of the pool's buffers (the pool then holds one of
        its references)."""
        entries = self._entries.get((arr.shape, arr.dtype))
        return entries is not None and any(e is arr for e in entries)

    def claim(self, arr: np.ndarray) -> Claim | None:
        """Remember ``arr`` (a pooled buffer or a reshape of all of one) so that ``recall``
        may give it back unchanged once its holders let go (Note [Claims on idle buffers]).
        None when ``arr`` is not all of a pooled buffer."""
        buf = arr if arr.base is None else arr.base
        if (
            not isinstance(buf, np.ndarray)
            or buf.size != arr.size
            or not arr.flags.c_contiguous
            or buf.nbytes < self.min_bytes
        ):
            return None
        with self._lock:
            entries = self._entries.get((buf.shape, buf.dtype))
            if entries is None or not any(e is buf for e in entries):
                return None
            claim = self._claims[id(buf)] = Claim(buf, arr.shape, arr.dtype)
            return claim

    def recall(self, claim: Claim) -> np.ndarray | None:
        """The claimed array with the contents it had when claimed, or None if the pool
        handed its buffer out since, evicted it, or it was recalled already."""
        with self._lock:
            buf = claim.ref()
            if buf is None or self._claims.get(id(buf)) is not claim:
                return None
            del self._claims[id(buf)]
            return buf.reshape(claim.shape)

    def empty_cache(self) -> int:
        """Give every idle buffer back to the allocator; returns the bytes released."""
        with self._lock:
            before = self._held
            self._evict(self._held)
            return before - self._held

    def stats(self) -> dict[str, int]:
        """``held_bytes`` (idle or in use), ``entries``, and ``hits``/``misses`` of ``empty``."""
        with self._lock:
            return {
                "held_bytes": self._held,
                "entries": sum(len(e) for e in self._entries.values()),
                "hits": self._hits,
                "misses": self._misses,
            }
