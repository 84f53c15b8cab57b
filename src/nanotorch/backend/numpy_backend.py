"""The ``cpu`` backend: NumPy through ``array_api_compat.numpy``."""

from __future__ import annotations

import array_api_compat.numpy as xp_numpy
import numpy as np

from nanotorch.backend.base import Array, ArrayBackend, HostRandom, RandomSource
from nanotorch.backend.device import Device
from nanotorch.backend.pool import BufferPool

# Elements per slice of ``add_scaled_``: 128 KiB of float32, a scratch that stays in cache.
_SCALE_CHUNK = 32768


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
    def matmul(self, a: Array, b: Array) -> Array:
        if a.ndim == 2 and b.ndim == 2 and a.dtype == b.dtype:
            return np.matmul(a, b, out=self.pool.empty((a.shape[0], b.shape[1]), a.dtype))
        return xp_numpy.matmul(a, b)

    def relu(self, a: Array) -> Array:
        return np.maximum(a, a.dtype.type(0), out=self.pool.empty(a.shape, a.dtype))

    def relu_grad(self, g: Array, mask_src: Array) -> Array:
        if g.shape != mask_src.shape:
            return super().relu_grad(g, mask_src)
        mask = np.greater(mask_src, 0, out=self.pool.empty(mask_src.shape, np.dtype(bool)))
        # float * bool runs the float loop with the mask cast to 0.0/1.0: the same values
        # (signed zeros and 0 * inf = nan included) as the portable multiply by a cast mask.
        return np.multiply(g, mask, out=self.pool.empty(g.shape, g.dtype))

    def add_scaled_(self, y: Array, x: Array, alpha: float) -> None:
        # ``y += x * alpha`` makes a temporary as large as y (for a weight, on every step).
        # Slice by slice through a small scratch it needs none; each element sees the same
        # two roundings, so the result is the same to the bit.
        n = y.size
        if (
            alpha == 1
            or n <= _SCALE_CHUNK
            or x.shape != y.shape
            or x.dtype != y.dtype
            or y.dtype.kind != "f"
            or not (x.flags.c_contiguous and y.flags.c_contiguous)
            or np.may_share_memory(x, y)
        ):
            super().add_scaled_(y, x, alpha)
            return
        flat_y, flat_x = y.reshape(-1), x.reshape(-1)
        scratch = self.pool.empty((_SCALE_CHUNK,), y.dtype)
        for start in range(0, n, _SCALE_CHUNK):
            stop = min(start + _SCALE_CHUNK, n)
            part = scratch[: stop - start]
            np.multiply(flat_x[start:stop], alpha, out=part)
            np.add(flat_y[start:stop], part, out=flat_y[start:stop])

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
