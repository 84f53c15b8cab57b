"""The ``cuda`` backend: CuPy through ``array_api_compat.cupy``, imported lazily.

Nothing here runs at import time: CuPy is imported the first time a cuda device is asked
for, so ``import nanotorch`` stays fast and works on machines without CuPy or a driver. Every
piece of work for ``cuda:N`` runs inside ``cupy.cuda.Device(N)``, so multi-GPU machines do not
silently use GPU 0.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import numpy as np

from nanotorch.backend.base import Array, ArrayBackend, RandomSource
from nanotorch.backend.device import Device
from nanotorch.dtypes import DType


def cuda_state() -> dict[str, Any]:
    """What we know about CUDA here; never raises (used by ``is_available`` and ``doctor``)."""
    state: dict[str, Any] = {
        "cupy": None,
        "available": False,
        "device_count": 0,
        "devices": [],
        "runtime_version": None,
        "driver_version": None,
        "reason": "",
    }
    try:
        import cupy
    except Exception as exc:  # ImportError, or a broken install raising something else
        state["reason"] = (
            f"CuPy is not installed ({type(exc).__name__}); install the cuda12 or cuda13 extra"
        )
        return state
    state["cupy"] = cupy.__version__
    try:
        # CuPy 14 imports without a driver; is_available() is False then, while
        # getDeviceCount() raises. Ask the safe question first.
        if not cupy.is_available():
            state["reason"] = "CuPy is installed but no CUDA driver or GPU was found"
            return state
        count = cupy.cuda.runtime.getDeviceCount()
        state["device_count"] = count
        for i in range(count):
            props = cupy.cuda.runtime.getDeviceProperties(i)
            name = props["name"]
            state["devices"].append(name.decode() if isinstance(name, bytes) else str(name))
        state["runtime_version"] = cupy.cuda.runtime.runtimeGetVersion()
        state["driver_version"] = cupy.cuda.runtime.driverGetVersion()
        state["available"] = count > 0
        if count == 0:
            state["reason"] = "the CUDA driver reports no devices"
    except Exception as exc:
        state["reason"] = f"CUDA query failed: {type(exc).__name__}: {exc}"
    return state


class CupyRandom:
    """CuPy's own generator on the device: reproducible for a seed, not equal to NumPy's."""

    def __init__(self, seed: int, backend: CupyBackend) -> None:
        self._backend = backend
        self._seed = seed
        with backend.context():
            import cupy

            self._gen = cupy.random.default_rng(seed)

    def _dt(self, dtype: DType) -> Any:
        return np.dtype(dtype.name)

    def random(self, shape: tuple[int, ...], dtype: DType) -> Array:
        with self._backend.context():
            return self._gen.random(shape, dtype=self._dt(dtype))

    def normal(self, shape: tuple[int, ...], dtype: DType) -> Array:
        with self._backend.context():
            return self._gen.standard_normal(shape, dtype=self._dt(dtype))

    def integers(self, low: int, high: int, shape: tuple[int, ...], dtype: DType) -> Array:
        with self._backend.context():
            return self._gen.integers(low, high, shape, dtype=self._dt(dtype))

    def permutation(self, n: int) -> Array:
        with self._backend.context():
            return self._gen.permutation(n).astype(np.int64)

    def get_state(self) -> dict[str, Any]:
        raise NotImplementedError(
            "CuPy's generator state cannot be exported; save the seed and re-seed with "
            "nanotorch.manual_seed to reproduce a cuda run"
        )

    def set_state(self, state: dict[str, Any]) -> None:
        self.get_state()


class CupyBackend(ArrayBackend):
    def __init__(self, device: Device) -> None:
        import array_api_compat.cupy as xp_cupy
        import cupy

        self._cupy = cupy
        with cupy.cuda.Device(device.index):
            super().__init__(device, xp_cupy, cupy.cuda.Device(device.index))

    @staticmethod
    def is_available() -> tuple[bool, str]:
        state = cuda_state()
        return state["available"], state["reason"]

    @staticmethod
    def count(kind: str) -> int:
        return cuda_state()["device_count"]

    @contextlib.contextmanager
    def context(self) -> Iterator[None]:
        with self.native_device:
            yield

    def synchronize(self) -> None:
        self.native_device.synchronize()

    def from_host(self, host: np.ndarray) -> Array:
        with self.native_device:
            return self._cupy.asarray(host)

    def to_host(self, array: Array) -> np.ndarray:
        with self.native_device:
            return self._cupy.asnumpy(array)

    def random_source(self, seed: int) -> RandomSource:
        return CupyRandom(seed, self)

    def index_add(self, target: Array, index: Array, source: Array) -> Array:
        import cupyx

        with self.native_device:
            out = target.copy()
            cupyx.scatter_add(out, index, source)
            return out
