"""The ``cpu`` backend: NumPy through ``array_api_compat.numpy``."""

from __future__ import annotations

import math
import threading

import array_api_compat.numpy as xp_numpy
import numpy as np

from nanotorch.backend.base import Array, ArrayBackend, HostRandom, RandomSource
from nanotorch.backend.device import Device


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
        # Note [Conv scratch] (nanotorch/ops/conv.py): one growing byte buffer per role and
        # thread, so two threads never share one.
        self._scratch = threading.local()

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

    def scratch(self, role: str, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
        """An uninitialised array of ``shape`` in the buffer named ``role`` of this thread,
        valid until that role's next use here (Note [Conv scratch] in nanotorch/ops/conv.py).
        The buffer grows to the largest request and is then kept: a training loop asks for
        the same sizes every step, and kept pages are not faulted in again."""
        dtype = np.dtype(dtype)
        nbytes = math.prod(shape) * dtype.itemsize
        buffers = self._scratch.__dict__.setdefault("buffers", {})
        buf = buffers.get(role)
        if buf is None or buf.nbytes < nbytes:
            buf = buffers[role] = np.empty(max(nbytes, 1), dtype=np.uint8)
        return buf[:nbytes].view(dtype).reshape(shape)

    def conv_columns(
        self,
        x: Array,
        padding: tuple[tuple[int, int], tuple[int, int]],
        kernel: tuple[int, int],
        stride: tuple[int, int],
        dilation: tuple[int, int],
        grid: tuple[int, int],
    ) -> Array:
        # The padded image and the columns both live in scratch (Note [Conv scratch]): only
        # the border strips are zeroed, since the interior is overwritten by x anyway.
        n, c, h, w = x.shape
        (pt, pb), (pl, pr) = padding
        if pt or pb or pl or pr:
            hp, wp = h + pt + pb, w + pl + pr
            xpad = self.scratch("conv_pad", (n, c, hp, wp), x.dtype)
            xpad[:, :, :pt] = 0
            xpad[:, :, pt + h :] = 0
            xpad[:, :, pt : pt + h, :pl] = 0
            xpad[:, :, pt : pt + h, pl + w :] = 0
            xpad[:, :, pt : pt + h, pl : pl + w] = x
            x = xpad
        cols = self.scratch("conv_cols", (n, c, kernel[0], kernel[1], *grid), x.dtype)
        np.copyto(cols, self._windows(x, kernel, stride, dilation, grid))
        return cols.reshape(n, c, kernel[0] * kernel[1], *grid)

    def conv_matmul(self, role: str, a: Array, b: Array) -> Array:
        shape = np.broadcast_shapes(a.shape[:-2], b.shape[:-2]) + (a.shape[-2], b.shape[-1])
        out = self.scratch(role, shape, np.result_type(a, b))
        return np.matmul(a, b, out=out)

    def max_pool_tiles(
        self, x: Array, kernel: tuple[int, int], grid: tuple[int, int]
    ) -> tuple[Array, Array] | None:
        # Note [Tiled max pool] (nanotorch/ops/pool.py): kH*kW strided views, a running
        # maximum in place, then one bool mask per kernel position, first maximum only.
        corners = self._tiles(x, kernel, grid)
        best = np.array(corners[0], order="C")
        for v in corners[1:]:
            np.maximum(best, v, out=best)
        if np.isnan(best).any():
            return None  # NaN picks the last NaN, not the first maximum: the portable loop
        masks = np.empty((len(corners),) + best.shape, dtype=np.bool_)
        taken = np.equal(corners[0], best, out=masks[0])
        if len(corners) > 1:
            taken = taken.copy()
            hit = np.empty(best.shape, dtype=np.bool_)
            for k, v in enumerate(corners[1:], start=1):
                np.equal(v, best, out=hit)
                np.greater(hit, taken, out=masks[k])  # hit and not yet taken
                np.logical_or(taken, hit, out=taken)
        return best, masks

    def max_pool_route(
        self, g: Array, masks: Array, kernel: tuple[int, int], image: tuple[int, int]
    ) -> Array:
        grid = g.shape[2:]
        tiled = (grid[0] * kernel[0], grid[1] * kernel[1]) == tuple(image)
        # Every pixel of an exactly tiled image is written below; otherwise the cropped
        # rows and columns must read zero.
        gx = (np.empty if tiled else np.zeros)(g.shape[:2] + tuple(image), dtype=g.dtype)
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
