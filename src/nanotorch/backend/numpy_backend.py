"""The ``cpu`` backend: NumPy through ``array_api_compat.numpy``."""

from __future__ import annotations

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
