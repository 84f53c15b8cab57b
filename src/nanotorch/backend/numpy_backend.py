"""The ``cpu`` backend: NumPy through ``array_api_compat.numpy``."""

from __future__ import annotations

from typing import Any

import array_api_compat.numpy as xp_numpy
import numpy as np

from nanotorch.backend.base import Array, ArrayBackend, HostRandom, RandomSource
from nanotorch.backend.device import Device
from nanotorch.backend.pool import BufferPool

# An in-place update of an array up to _WHOLE_BYTES runs through a pooled scratch of its
# size; a larger one by slices of _SCALE_CHUNK elements (Note [Updates by slices]).
_WHOLE_BYTES = 4 << 20
_SCALE_CHUNK = 65536


def _as_ndarray(result: Array) -> Array:
    # Only NumPy scalars are converted: an op may legitimately return another library's
    # array (ToDevice's output lives on the destination device).
    return np.asarray(result) if isinstance(result, np.generic) else result


class NumpyBackend(ArrayBackend):
    fix_result = staticmethod(_as_ndarray)
    array_type = np.ndarray
    dlpack_device_types = (1,)  # kDLCPU

    def __init__(self, device: Device) -> None:
        super().__init__(device, xp_numpy, "cpu")
        self.pool = BufferPool()

    # The fast-path hooks (base.py) with their results written into pooled arrays, so a
    # training step stops returning its large temporaries to the OS and faulting them back
    # in (Note [Buffer pool] in backend/pool.py). Each writes every element of its output.
    # A subclass without a pool (``pool = None``, e.g. a test double that watches ``xp``)
    # gets the portable versions.
    def matmul(self, a: Array, b: Array) -> Array:
        if a.ndim == 2 and b.ndim == 2 and a.dtype == b.dtype and self.pool is not None:
            return np.matmul(a, b, out=self.pool.empty((a.shape[0], b.shape[1]), a.dtype))
        return xp_numpy.matmul(a, b)

    def relu(self, a: Array) -> Array:
        if self.pool is None:
            return super().relu(a)
        return np.maximum(a, a.dtype.type(0), out=self.pool.empty(a.shape, a.dtype))

    def relu_grad(self, g: Array, mask_src: Array) -> Array:
        if g.shape != mask_src.shape or self.pool is None:
            return super().relu_grad(g, mask_src)
        mask = np.greater(mask_src, 0, out=self.pool.empty(mask_src.shape, np.dtype(bool)))
        # float * bool runs the float loop with the mask cast to 0.0/1.0: the same values
        # (signed zeros and 0 * inf = nan included) as the portable multiply by a cast mask.
        return np.multiply(g, mask, out=self.pool.empty(g.shape, g.dtype))

    # The portable loss (nn/loss.py: CrossEntropyIndex) spends most of its time in about
    # twenty namespace calls on a (128, 10) array; these are the same operations, in the same
    # order, as direct NumPy calls (the same numbers, tests/unit/test_memory_reuse.py).
    def cross_entropy_rows(
        self, z: Array, target: Array, ignore_index: int, keep_softmax: bool
    ) -> tuple[Array, Array, Array | None] | None:
        if self.pool is None:
            return None
        shifted = z - z.max(axis=1, keepdims=True)
        e = np.exp(shifted)
        total = e.sum(axis=1, keepdims=True)
        valid = target != ignore_index
        safe = np.where(valid, target, 0)
        rows = np.arange(z.shape[0])
        picked = shifted[rows, safe] - np.log(total)[:, 0]  # logp at the target
        loss = np.where(valid, -1.0 * picked, 0.0).astype(z.dtype, copy=False)
        counted = valid.astype(z.dtype).sum()
        probs = np.divide(e, total, out=e) if keep_softmax else None
        return np.asarray(loss.sum()), np.asarray(counted), probs

    def cross_entropy_rows_grad(
        self, g: Array, probs: Array, target: Array, ignore_index: int
    ) -> Array | None:
        if self.pool is None:
            return None
        valid = target != ignore_index
        grad = probs.copy()  # probs - q: q is 1 at the target, 0 elsewhere (x - 0 is x)
        grad[np.arange(probs.shape[0]), np.where(valid, target, 0)] -= 1.0
        grad *= (g * valid.astype(g.dtype))[:, None]
        return grad

    def target_range(self, target: Array, ignore_index: int, big: int) -> Array | None:
        if self.pool is None:
            return None
        valid = target != ignore_index
        if valid.all():  # the common case: two reductions, no masked copies
            return np.array([target.min(), target.max()], dtype=target.dtype)
        lo = np.where(valid, target, big).min()
        hi = np.where(valid, target, -big).max()
        return np.array([lo, hi], dtype=target.dtype)

    # Note [Updates by slices]
    # ~~~~~~~~~~~~~~~~~~~~~~~~
    # An optimizer's in-place update ``y += x * alpha`` (and lerp, addcmul, addcdiv) makes
    # temporaries as large as the weight, on every step, for every weight: fresh memory each
    # time. Here each runs with ``out=`` through one scratch array from the pool: as large as
    # the weight up to 4 MiB (W1's largest, 784 KiB, in one pass), and for larger weights a
    # 256 KiB scratch the update walks slice by slice, so W2's 64 MiB weight needs no second
    # 64 MiB anywhere. Each element goes through the same operations in the same order as in
    # the whole-array expression, so the result is the same to the bit. Anything unusual (a
    # broadcast operand, another dtype, a non-contiguous or overlapping array, integers)
    # takes the portable whole-array expression instead.
    def _by_slices(self, y: Array, xs: tuple[Array, ...], body: Any) -> bool:
        # Small arrays: the allocator serves their temporaries from its free lists.
        pool = self.pool
        if pool is None or y.nbytes < pool.min_bytes:
            return False
        if y.dtype.kind != "f" or not y.flags.c_contiguous:
            return False
        for x in xs:
            if (
                x.shape != y.shape
                or x.dtype != y.dtype
                or not x.flags.c_contiguous
                or np.may_share_memory(x, y)
            ):
                return False
        n = y.size
        # Up to _WHOLE_BYTES the scratch is as large as y (kept in the pool, one pass per
        # operation); beyond, slices of _SCALE_CHUNK elements bound it.
        size = n if y.nbytes <= _WHOLE_BYTES else _SCALE_CHUNK
        flat_y = y.reshape(-1)
        flat_xs = [x.reshape(-1) for x in xs]
        scratch = pool.empty((size,), y.dtype)
        for start in range(0, n, size):
            stop = min(start + size, n)
            body(flat_y[start:stop], *[f[start:stop] for f in flat_xs], scratch[: stop - start])
        return True

    def add_scaled_(self, y: Array, x: Array, alpha: float) -> None:
        def body(y: Array, x: Array, s: Array) -> None:
            np.multiply(x, alpha, out=s)
            np.add(y, s, out=y)

        if alpha == 1 or not self._by_slices(y, (x,), body):
            super().add_scaled_(y, x, alpha)

    def lerp_(self, y: Array, end: Array, weight: float) -> None:
        def body(y: Array, end: Array, s: Array) -> None:
            np.subtract(end, y, out=s)
            np.multiply(s, weight, out=s)
            np.add(y, s, out=y)

        if not self._by_slices(y, (end,), body):
            super().lerp_(y, end, weight)

    def addcmul_(self, y: Array, a: Array, b: Array, value: float) -> None:
        def body(y: Array, a: Array, b: Array, s: Array) -> None:
            np.multiply(a, b, out=s)
            if value != 1:
                np.multiply(s, value, out=s)
            np.add(y, s, out=y)

        if not self._by_slices(y, (a, b), body):
            super().addcmul_(y, a, b, value)

    def addcdiv_(self, y: Array, a: Array, b: Array, value: float) -> None:
        def body(y: Array, a: Array, b: Array, s: Array) -> None:
            np.divide(a, b, out=s)
            if value != 1:
                np.multiply(s, value, out=s)
            np.add(y, s, out=y)

        if not self._by_slices(y, (a, b), body):
            super().addcdiv_(y, a, b, value)

    def sqrt(self, a: Array) -> Array:
        if self.pool is None:
            return super().sqrt(a)
        return np.sqrt(a, out=self.pool.empty(a.shape, a.dtype))

    @staticmethod
    def is_available() -> tuple[bool, str]:
        return True, ""

    @staticmethod
    def count(kind: str) -> int:
        return 1

    def from_host(self, host: np.ndarray) -> Array:
        # A copy: the host array may be another device's buffer seen through DLPack.
        return np.array(host, copy=True)

    def to_host(self, array: Array) -> np.ndarray:
        return array

    def random_source(self, seed: int) -> RandomSource:
        return HostRandom(seed)

    def index_add(self, target: Array, index: Array, source: Array) -> Array:
        # np.add.at accumulates repeated indices (plain fancy assignment would keep one).
        out = target.copy()
        np.add.at(out, index, source)
        return out

    def index_reduce(self, target: Array, index: Array, source: Array, reduce: str) -> Array:
        # The ufunc .at methods fold repeated indices one by one, as np.add.at does.
        ufunc = {"prod": np.multiply, "amax": np.maximum, "amin": np.minimum}[reduce]
        out = target.copy()
        ufunc.at(out, index, source)
        return out

    def im2col(
        self,
        x: Array,
        kernel: tuple[int, int],
        stride: tuple[int, int],
        dilation: tuple[int, int],
        grid: tuple[int, int],
    ) -> Array:
        # One strided view of all windows, then one copy, instead of kH*kW slices and a
        # stack. The view's windows overlap in memory, so the copy is required: callers get
        # an array of their own (Note [Conv fast path] in nanotorch/ops/conv.py).
        n, c = x.shape[:2]
        s_n, s_c, s_h, s_w = x.strides
        windows = np.lib.stride_tricks.as_strided(
            x,
            shape=(n, c, kernel[0], kernel[1], grid[0], grid[1]),
            strides=(
                s_n,
                s_c,
                s_h * dilation[0],
                s_w * dilation[1],
                s_h * stride[0],
                s_w * stride[1],
            ),
            writeable=False,
        )
        return np.array(windows, order="C").reshape(n, c, kernel[0] * kernel[1], *grid)
