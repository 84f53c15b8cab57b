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

from nanotorch.backend.base import Array, ArrayBackend, CounterRandom, RandomSource
from nanotorch.backend.device import Device


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


class CupyBackend(ArrayBackend):
    dlpack_device_types = (2, 3, 13)  # kDLCUDA, kDLCUDAHost, kDLCUDAManaged

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

    def from_dlpack(self, obj: Any) -> Array:
        with self.native_device:
            return self._cupy.from_dlpack(obj)

    def random_source(self, seed: int) -> RandomSource:
        # CuPy's generator state cannot be exported; a counter-based stream can, so cuda
        # runs can be checkpointed and resumed. Reproducible for a seed, not equal to NumPy's.
        return CounterRandom(seed, self._cupy.random.default_rng, self.context)

    def index_add(self, target: Array, index: Array, source: Array) -> Array:
        import cupyx

        with self.native_device:
            out = target.copy()
            cupyx.scatter_add(out, index, source)
            return out
