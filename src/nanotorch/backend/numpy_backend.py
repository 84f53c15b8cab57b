"""The ``cpu`` backend: NumPy through ``array_api_compat.numpy``."""

from __future__ import annotations

import math
import sys
from typing import Any

import array_api_compat.numpy as xp_numpy
import numpy as np

from nanotorch.backend import threads
from nanotorch.backend.base import GELU_C, GELU_K, Array, ArrayBackend, HostRandom, RandomSource
from nanotorch.backend.device import Device
from nanotorch.backend.pool import BufferPool

# An in-place update of an array up to _WHOLE_BYTES runs through a pooled scratch of its
# size; a larger one by slices of _SCALE_CHUNK elements (Note [Updates by slices]).
_WHOLE_BYTES = 4 << 20
_SCALE_CHUNK = 65536

# The fewest elements per thread for a kernel to be split (Note [Intra-op threads] in
# backend/threads.py): waking a worker costs about 15 us. Arithmetic moves about 7
# elements a nanosecond, so a thread's share must be large to repay that; exp, tanh and the
# GELU spend 1-2 ns on each element.
_GRAIN_CHEAP = 1 << 18
_GRAIN_UPDATE = 1 << 17  # an optimizer update: two or three passes per element
_GRAIN_TRANSCENDENTAL = 1 << 15


def _flat(a: np.ndarray) -> np.ndarray | None:
    """``a`` as a 1-D view when it is a C-contiguous floating array, else None."""
    if type(a) is not np.ndarray or a.dtype.kind != "f" or not a.flags.c_contiguous:
        return None
    return a.reshape(-1)


def _refcounts(acc: np.ndarray) -> tuple[int, int]:
    # References to ``acc`` and to the array it views (0 if none), counted from a frame in
    # which ``acc`` is a parameter; add_into and the calibration below both call it so.
    owner = acc.base
    return sys.getrefcount(acc), (0 if owner is None else sys.getrefcount(owner))


class _Holder:
    __slots__ = ("data",)

    def __init__(self, data: np.ndarray) -> None:
        self.data = data


def _calibrate(acc: np.ndarray) -> tuple[int, int]:
    return _refcounts(acc)


def _sole_counts() -> tuple[int, int]:
    """The counts of an array held by one attribute (a Tensor's) and nothing else, and of
    the base of such an array when it is a reshaped view (held by the view only)."""
    plain = _Holder(np.empty(8))
    view = _Holder(np.empty(8).reshape(2, 4))
    return _calibrate(plain.data)[0], _calibrate(view.data)[1]


_SOLE_REFS, _SOLE_BASE_REFS = _sole_counts()


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
        # 2-D, or batched with the same leading dims (attention's (B, H, T, T) scores).
        if (
            a.ndim >= 2
            and a.ndim == b.ndim
            and a.shape[:-2] == b.shape[:-2]
            and a.dtype == b.dtype
            and self.pool is not None
        ):
            shape = (*a.shape[:-1], b.shape[-1])
            return np.matmul(a, b, out=self.pool.empty(shape, a.dtype))
        if a.ndim >= 2 and b.ndim >= 2 and a.dtype == b.dtype and self.pool is not None:
            # Broadcast leading dims (a convolution's (G, O, C*k) weight against its
            # (N, G, C*k, H*W) columns).
            lead = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
            shape = (*lead, a.shape[-2], b.shape[-1])
            return np.matmul(a, b, out=self.pool.empty(shape, a.dtype))
        return xp_numpy.matmul(a, b)

    def _binary_out(self, a: Array, b: Array | float) -> np.ndarray | None:
        # A pooled output when the result has a's shape and dtype: b an array of a's dtype
        # that broadcasts to a's shape, or a Python float/int with a floating a (NEP 50
        # keeps a's dtype).
        pool = self.pool
        if (
            pool is None
            or not isinstance(a, np.ndarray)
            or a.nbytes < pool.min_bytes  # the pool would hand out a fresh array anyway
            or a.dtype.kind != "f"
        ):
            return None
        if isinstance(b, np.ndarray):
            if b.dtype != a.dtype or b.ndim > a.ndim:
                return None
            if b.shape != a.shape and np.broadcast_shapes(a.shape, b.shape) != a.shape:
                return None
        elif type(b) not in (float, int):
            return None
        return self.pool.empty(a.shape, a.dtype)

    def add(self, a: Array, b: Array | float) -> Array:
        out = self._binary_out(a, b)
        return a + b if out is None else np.add(a, b, out=out)

    def multiply(self, a: Array, b: Array | float) -> Array:
        out = self._binary_out(a, b)
        return a * b if out is None else np.multiply(a, b, out=out)

    def subtract(self, a: Array, b: Array | float) -> Array:
        out = self._binary_out(a, b)
        return a - b if out is None else np.subtract(a, b, out=out)

    def _unary(self, ufunc: Any, a: Array, grain: int) -> Array | None:
        # ``ufunc(a)`` into a pooled array, split across threads when large.
        flat = _flat(a) if self.pool is not None else None
        if flat is None:
            return None
        out = self.pool.empty(a.shape, a.dtype)
        flat_out = out.reshape(-1)

        def body(lo: int, hi: int, runner: int) -> None:
            ufunc(flat[lo:hi], out=flat_out[lo:hi])

        threads.parallel_for(flat.size, grain, body)
        return out

    def tanh(self, a: Array) -> Array:
        out = self._unary(np.tanh, a, _GRAIN_TRANSCENDENTAL)
        return super().tanh(a) if out is None else out

    def exp(self, a: Array) -> Array:
        out = self._unary(np.exp, a, _GRAIN_TRANSCENDENTAL)
        return super().exp(a) if out is None else out

    # Note [GELU's sigmoid form] (ops/elementwise.py) gives the formulas; each kernel is one
    # body over slices of its operands, so the GPT's (768, 512) activations split across
    # the intra-op threads. A body sets its own errstate: NumPy's is per thread.
    def gelu_tanh(self, a: Array) -> tuple[Array, Array]:
        flat = _flat(a) if self.pool is not None else None
        if flat is None:
            return super().gelu_tanh(a)
        out, s = self.pool.empty(a.shape, a.dtype), self.pool.empty(a.shape, a.dtype)
        flat_out, flat_s = out.reshape(-1), s.reshape(-1)

        def body(lo: int, hi: int, runner: int) -> None:
            x, t = flat[lo:hi], flat_s[lo:hi]
            with np.errstate(invalid="ignore", over="ignore"):
                np.multiply(x, x, out=t)  # t = -2u = (-2ck a^2 - 2c) a
                t *= -2.0 * GELU_C * GELU_K
                t += -2.0 * GELU_C
                t *= x
                np.exp(t, out=t)
                t += 1.0
                np.divide(1.0, t, out=t)  # s = 1 / (1 + exp(-2u))
                np.multiply(x, t, out=flat_out[lo:hi])

        threads.parallel_for(flat.size, _GRAIN_TRANSCENDENTAL, body)
        return out, s

    def gelu_tanh_grad(self, g: Array, a: Array, s: Array) -> Array:
        flat_a = _flat(a) if self.pool is not None else None
        flat_g, flat_s = _flat(g), _flat(s)
        if (
            flat_a is None
            or flat_g is None
            or flat_s is None
            or not a.shape == g.shape == s.shape
            or not a.dtype == g.dtype == s.dtype
        ):
            return super().gelu_tanh_grad(g, a, s)
        d, q = self.pool.empty(a.shape, a.dtype), self.pool.empty(a.shape, a.dtype)
        flat_d, flat_q = d.reshape(-1), q.reshape(-1)

        def body(lo: int, hi: int, runner: int) -> None:
            x, sv, dv, qv = flat_a[lo:hi], flat_s[lo:hi], flat_d[lo:hi], flat_q[lo:hi]
            with np.errstate(invalid="ignore", over="ignore"):
                np.multiply(x, x, out=dv)  # 2 c (1 + 3k a^2) a
                dv *= 6.0 * GELU_C * GELU_K
                dv += 2.0 * GELU_C
                dv *= x
                np.subtract(1.0, sv, out=qv)  # s (1 - s)
                qv *= sv
                dv *= qv
                dv += sv
                dv *= flat_g[lo:hi]

        threads.parallel_for(flat_a.size, _GRAIN_TRANSCENDENTAL, body)
        return d

    def reshape(self, a: Array, shape: tuple[int, ...]) -> Array:
        # A contiguous array (the common case) reshapes to a view; so may some others.
        # Only a reshape that has to copy gets its copy from the pool.
        # (The method, and the size test before the flags: a small reshape's dispatch cost.)
        pool = self.pool
        if pool is None or a.nbytes < pool.min_bytes or a.flags.c_contiguous:
            return a.reshape(shape)
        try:
            return np.reshape(a, shape, copy=False)
        except ValueError:
            pass
        out = self.pool.empty(a.shape, a.dtype)
        np.copyto(out, a)
        return np.reshape(out, shape)

    def zeros(self, shape: tuple[int, ...], dtype: Any, like: Array) -> Array:
        if self.pool is None:
            return super().zeros(shape, dtype, like)
        out = self.pool.empty(tuple(shape), np.dtype(dtype))
        out.fill(0)
        return out

    def relu(self, a: Array) -> Array:
        if self.pool is None:
            return super().relu(a)
        out = self.pool.empty(a.shape, a.dtype)
        flat = _flat(a)
        if flat is None or flat.size < 2 * _GRAIN_CHEAP:
            return np.maximum(a, a.dtype.type(0), out=out)
        flat_out, zero = out.reshape(-1), a.dtype.type(0)

        def body(lo: int, hi: int, runner: int) -> None:
            np.maximum(flat[lo:hi], zero, out=flat_out[lo:hi])

        threads.parallel_for(flat.size, _GRAIN_CHEAP, body)
        return out

    def relu_inplace(self, a: Array) -> Array:
        if type(a) is not np.ndarray or a.dtype.kind != "f":
            return super().relu_inplace(a)
        return np.maximum(a, a.dtype.type(0), out=a)

    def relu_grad(self, g: Array, mask_src: Array) -> Array:
        if g.shape != mask_src.shape or self.pool is None:
            return super().relu_grad(g, mask_src)
        mask = self.pool.empty(mask_src.shape, np.dtype(bool))
        out = self.pool.empty(g.shape, g.dtype)
        flat_g, flat_src = _flat(g), _flat(mask_src)
        if flat_g is None or flat_src is None or flat_g.size < 2 * _GRAIN_CHEAP:
            np.greater(mask_src, 0, out=mask)
            # float * bool runs the float loop with the mask cast to 0.0/1.0: the same
            # values (signed zeros and 0 * inf = nan included) as the portable multiply by
            # a cast mask.
            return np.multiply(g, mask, out=out)
        flat_mask, flat_out = mask.reshape(-1), out.reshape(-1)

        def body(lo: int, hi: int, runner: int) -> None:
            np.greater(flat_src[lo:hi], 0, out=flat_mask[lo:hi])
            np.multiply(flat_g[lo:hi], flat_mask[lo:hi], out=flat_out[lo:hi])

        threads.parallel_for(flat_g.size, _GRAIN_CHEAP, body)
        return out

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
        rows = np.arange(z.shape[0])
        if valid.all():
            # The usual batch, with nothing ignored: the masks below would change nothing
            # (-1.0 * x is -x, and n ones sum to n exactly), so they are skipped.
            loss = -(shifted[rows, target] - np.log(total)[:, 0])
            counted = z.dtype.type(z.shape[0])
        else:
            safe = np.where(valid, target, 0)
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
        if valid.all():  # nothing ignored: g times a mask of ones is g
            grad[np.arange(probs.shape[0]), target] -= 1.0
            grad *= g
            return grad
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
        flat_y = y.reshape(-1)
        flat_xs = [x.reshape(-1) for x in xs]
        # The range splits across the intra-op threads (Note [Intra-op threads]). Up to
        # _WHOLE_BYTES the scratch is as large as y (kept in the pool, one pass per operation
        # in each piece); beyond, each thread walks its pieces in slices of _SCALE_CHUNK
        # elements through a scratch window of its own.
        if y.nbytes <= _WHOLE_BYTES:
            scratch = pool.empty((n,), y.dtype)
            chunk, parts = n, None
        else:
            parts = threads.get_num_threads()
            scratch = pool.empty((_SCALE_CHUNK * parts,), y.dtype)
            chunk = _SCALE_CHUNK

        def run(lo: int, hi: int, runner: int) -> None:
            window = scratch[lo:hi] if parts is None else scratch[runner * chunk :]
            for start in range(lo, hi, chunk):
                stop = min(start + chunk, hi)
                args = [f[start:stop] for f in flat_xs]
                body(flat_y[start:stop], *args, window[: stop - start])

        threads.parallel_for(n, _GRAIN_UPDATE, run, max_parts=parts)
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
        windows = self._windows(x, kernel, stride, dilation, grid)
        return np.array(windows, order="C").reshape(n, c, kernel[0] * kernel[1], *grid)

    def _flat(self, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
        # One pooled entry per element count, not per shape: the columns of a layer's
        # forward and the W^T g of another of the same size share a buffer between steps.
        if self.pool is None:
            return np.empty(shape, dtype)
        return self.pool.empty((math.prod(shape),), np.dtype(dtype)).reshape(shape)

    def add_into(self, acc: Array, g: Array) -> bool:
        # Note [Accumulating into .grad] (nanotorch/autograd/engine.py): in place only if
        # the one holder of ``acc`` (the .grad tensor, and the pool if the memory is pooled)
        # is all that refers to its memory: no view, no .numpy() array, no other Tensor.
        if (
            type(acc) is not np.ndarray
            or type(g) is not np.ndarray
            or acc.shape != g.shape
            or acc.dtype != g.dtype
            or not acc.flags.writeable
        ):
            return False
        own, base = _refcounts(acc)
        owner = acc.base
        pool = self.pool
        if owner is None:
            sole = own == _SOLE_REFS + (pool is not None and pool.holds(acc))
        else:
            sole = (
                own == _SOLE_REFS
                and type(owner) is np.ndarray
                and owner.base is None
                and owner.nbytes == acc.nbytes
                and acc.flags.c_contiguous
                and base == _SOLE_BASE_REFS + (pool is not None and pool.holds(owner))
            )
        if sole:
            np.add(acc, g, out=acc)
        return sole

    def claim(self, a: Array) -> Any:
        return None if self.pool is None else self.pool.claim(a)

    def recall(self, claim: Any) -> Array | None:
        return None if self.pool is None else self.pool.recall(claim)

    def conv_columns(
        self,
        x: Array,
        padding: tuple[tuple[int, int], tuple[int, int]],
        kernel: tuple[int, int],
        stride: tuple[int, int],
        dilation: tuple[int, int],
        grid: tuple[int, int],
    ) -> Array:
        # The padded image and the columns both come from the pool (Note [Conv columns from
        # the pool]): only the border strips are zeroed, the interior is overwritten by x.
        n, c, h, w = x.shape
        cells = kernel[0] * kernel[1]
        if stride == (1, 1) and tuple(grid) == (h, w):
            cols = self._flat((n, c, cells, h * w), x.dtype)
            for k, (shift, wrap) in enumerate(_same_shifts(padding, kernel, dilation, (h, w))):
                _shifted_copy(cols[:, :, k], x, shift, wrap)
            return cols.reshape(n, c, cells, h, w)
        (pt, pb), (pl, pr) = padding
        if pt or pb or pl or pr:
            hp, wp = h + pt + pb, w + pl + pr
            xpad = self._flat((n, c, hp, wp), x.dtype)
            xpad[:, :, :pt] = 0
            xpad[:, :, pt + h :] = 0
            xpad[:, :, pt : pt + h, :pl] = 0
            xpad[:, :, pt : pt + h, pl + w :] = 0
            xpad[:, :, pt : pt + h, pl : pl + w] = x
            x = xpad
        cols = self._flat((n, c, kernel[0], kernel[1], *grid), x.dtype)
        np.copyto(cols, self._windows(x, kernel, stride, dilation, grid))
        return cols.reshape(n, c, cells, *grid)

    def conv_col2im(
        self,
        cols: Array,
        padding: tuple[tuple[int, int], tuple[int, int]],
        kernel: tuple[int, int],
        stride: tuple[int, int],
        dilation: tuple[int, int],
        image: tuple[int, int],
    ) -> Array | None:
        # Only the stride-1 "same size" case (Note [Shifted rows] below); ``cols`` is the
        # caller's to give up and is overwritten (the columns that wrap around a row are
        # zeroed). The image is an op's output: pooled, zeroed.
        n, c, cells, oh, ow = cols.shape
        if stride != (1, 1) or (oh, ow) != tuple(image):
            return None
        out = self._flat((n, c, oh * ow), cols.dtype)
        out.fill(0)
        flat = cols.reshape(n, c, cells, oh * ow)
        for k, (shift, wrap) in enumerate(_same_shifts(padding, kernel, dilation, image)):
            grid_k = cols[:, :, k]
            for bad in wrap:
                grid_k[..., bad] = 0
            lo, hi = max(0, -shift), min(oh * ow, oh * ow - shift)
            if lo < hi:
                out[:, :, lo + shift : hi + shift] += flat[:, :, k, lo:hi]
        return out.reshape(n, c, oh, ow)

    def max_pool_tiles(
        self, x: Array, kernel: tuple[int, int], grid: tuple[int, int]
    ) -> tuple[Array, Array] | None:
        # Note [Tiled max pool] (nanotorch/ops/pool.py): kH*kW strided views, a running
        # maximum, then one bool mask per kernel position, first maximum only. The maxima
        # and the masks are the op's output and what its node saves: pooled.
        if kernel == (2, 2):
            return self._max_pool_2x2(x, grid)
        corners = self._tiles(x, kernel, grid)
        shape = corners[0].shape
        best = self._flat(shape, x.dtype)
        if len(corners) == 1:
            np.copyto(best, corners[0])
        else:
            np.maximum(corners[0], corners[1], out=best)
            for v in corners[2:]:
                np.maximum(best, v, out=best)
        if np.isnan(best).any():
            return None  # NaN picks the last NaN, not the first maximum: the portable loop
        masks = self._flat((len(corners),) + shape, np.dtype(np.bool_))
        taken = np.equal(corners[0], best, out=masks[0])
        if len(corners) > 1:
            taken = taken.copy()
            hit = np.empty(shape, dtype=np.bool_)
            for k, v in enumerate(corners[1:], start=1):
                np.equal(v, best, out=hit)
                np.greater(hit, taken, out=masks[k])  # hit and not yet taken
                if k < len(corners) - 1:
                    np.logical_or(taken, hit, out=taken)
        return best, masks

    def _max_pool_2x2(self, x: Array, grid: tuple[int, int]) -> tuple[Array, Array] | None:
        # Note [2x2 pool as a tournament]
        # An elementwise op that reads two strided (every other pixel) views costs NumPy
        # about twice one that reads one such view and a contiguous array, and five times
        # one on contiguous arrays. So the four kernel positions are first copied out of
        # the image into contiguous planes (one transposing copy), and then: the maxima of
        # each window's top pair and bottom pair, their maximum, and three strict
        # comparisons (right beats left at the top, at the bottom, bottom beats top) that
        # give the first maximum's position with four bool ops. On W4's first pool that is
        # 0.44 ms where three maxima and four compares on the strided views took 0.60
        # (process CPU time, one thread).
        n, c = x.shape[:2]
        gh, gw = grid
        planes = self._flat((2, 2, n, c, gh, gw), x.dtype)
        window = x[:, :, : 2 * gh, : 2 * gw].reshape(n, c, gh, 2, gw, 2)
        np.copyto(planes, window.transpose(3, 5, 0, 1, 2, 4))
        c0, c1, c2, c3 = planes.reshape(4, n, c, gh, gw)
        shape = c0.shape
        best = self._flat(shape, x.dtype)
        low = self._flat(shape, x.dtype)
        np.maximum(c0, c1, out=best)
        np.maximum(c2, c3, out=low)
        bool_ = np.dtype(np.bool_)
        masks = self._flat((4, *shape), bool_)
        right_top = np.greater(c1, c0, out=masks[1])  # strictly: a tie keeps the first
        right_bottom = np.greater(c3, c2, out=masks[3])
        bottom = np.greater(low, best, out=masks[2])
        np.maximum(best, low, out=best)
        # mask0 = top & left, mask1 = top & right, mask2 = bottom & left, mask3 = bottom &
        # right; each line reads only what later lines do not need overwritten (elementwise
        # in place is safe: every output element reads its own inputs only).
        np.logical_or(bottom, right_top, out=masks[0])
        np.logical_not(masks[0], out=masks[0])
        np.greater(right_top, bottom, out=masks[1])
        np.logical_and(bottom, right_bottom, out=masks[3])
        np.greater(bottom, masks[3], out=masks[2])  # bottom & not (bottom & right)
        if np.isnan(best).any():  # ``maximum`` propagates NaN, so one check covers all four
            return None  # NaN picks the last NaN, not the first maximum: the portable loop
        return best, masks

    def max_pool_route(
        self, g: Array, masks: Array, kernel: tuple[int, int], image: tuple[int, int]
    ) -> Array:
        grid = g.shape[2:]
        tiled = (grid[0] * kernel[0], grid[1] * kernel[1]) == tuple(image)
        # Every pixel of an exactly tiled image is written below; otherwise the cropped
        # rows and columns must read zero. The gradient is an op's output: pooled.
        gx = self._flat(g.shape[:2] + tuple(image), g.dtype)
        if not tiled:
            gx.fill(0)
        for k, view in enumerate(self._tiles(gx, kernel, grid)):
            np.multiply(g, masks[k], out=view)
        return gx

    @staticmethod
    def _tiles(x: Array, kernel: tuple[int, int], grid: tuple[int, int]) -> list[Array]:
        """The kH*kW strided views of ``x`` that hold kernel position (i, j) of every tile."""
        h, w = grid[0] * kernel[0], grid[1] * kernel[1]
        return [
            x[:, :, i : h : kernel[0], j : w : kernel[1]]
            for i in range(kernel[0])
            for j in range(kernel[1])
        ]

    @staticmethod
    def _windows(
        x: Array,
        kernel: tuple[int, int],
        stride: tuple[int, int],
        dilation: tuple[int, int],
        grid: tuple[int, int],
    ) -> Array:
        """Every window of the padded ``x`` as one read-only strided view
        (N, C, kH, kW, OH, OW); its windows overlap in memory."""
        n, c = x.shape[:2]
        s_n, s_c, s_h, s_w = x.strides
        return np.lib.stride_tricks.as_strided(
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


# Note [Shifted rows]
# ~~~~~~~~~~~~~~~~~~~
# A stride-1 convolution whose output has the input's size (3x3 with padding 1, the common
# case) reads, at kernel position (i, j), pixel p + shift of the flattened image for output
# pixel p, with shift = (i*dH - top) * W + (j*dW - left). So kernel position (i, j)'s columns
# are one contiguous run of the flattened image, except where the window hangs over the
# padding: rows before the top or after the bottom fall outside the run and are zero, and a
# few columns at the left or right edge "wrap" into the neighbouring row and must be zeroed.
# Copying whole runs instead of a (N, C, H, W) strided window keeps NumPy's inner loop long
# (H*W elements instead of W); on W4's 14x14 layer the columns take 0.29 ms instead of
# 0.48. col2im runs the same shifts the other way, adding runs into the flat image after
# zeroing the wrapped columns.
def _same_shifts(
    padding: tuple[tuple[int, int], tuple[int, int]],
    kernel: tuple[int, int],
    dilation: tuple[int, int],
    image: tuple[int, int],
) -> list[tuple[int, list[slice]]]:
    """Per kernel position: the flat shift, and the output-column slices that wrap."""
    (pt, _), (pl, _) = padding
    h, w = image
    out = []
    for i in range(kernel[0]):
        for j in range(kernel[1]):
            dc = j * dilation[1] - pl
            wrap = []
            if dc < 0:
                wrap.append(slice(0, min(w, -dc)))
            elif dc > 0:
                wrap.append(slice(max(0, w - dc), w))
            out.append(((i * dilation[0] - pt) * w + dc, wrap))
    return out


def _shifted_copy(dst: np.ndarray, x: np.ndarray, shift: int, wrap: list[slice]) -> None:
    """dst (N, C, H*W) = x (N, C, H, W) flattened and shifted by ``shift``, zero where the
    read falls outside the image or wraps around a row (Note [Shifted rows])."""
    n, c, h, w = x.shape
    size = h * w
    src = x.reshape(n, c, size)
    lo, hi = max(0, -shift), min(size, size - shift)
    if lo < hi:
        dst[:, :, lo:hi] = src[:, :, lo + shift : hi + shift]
        dst[:, :, :lo] = 0
        dst[:, :, hi:] = 0
    else:
        dst[...] = 0
    grid = dst.reshape(n, c, h, w)
    for bad in wrap:
        grid[..., bad] = 0
