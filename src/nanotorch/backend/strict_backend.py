"""The ``strict`` backend: ``array_api_strict`` and its simulated devices.

``strict:0`` is the library's default device and ``strict:1`` its ``device1``. Because the
library refuses anything outside the standard and refuses to combine arrays from different
devices, running the suite here proves that the engine is portable and that no op moves data
implicitly. ``strict:1`` is the stand-in accelerator on machines without a GPU.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nanotorch.backend.base import Array, ArrayBackend
from nanotorch.backend.device import Device

# The standard revision the engine is written against; pinned so the strict library checks
# exactly that revision, whatever its default.
API_VERSION = "2024.12"
_DEVICE_NAMES = ("CPU_DEVICE", "device1")


def _strict() -> Any:
    import array_api_strict

    array_api_strict.set_array_api_strict_flags(api_version=API_VERSION)
    return array_api_strict


class StrictBackend(ArrayBackend):
    def __init__(self, device: Device) -> None:
        xp = _strict()
        super().__init__(device, xp, xp.Device(_DEVICE_NAMES[device.index]))

    @staticmethod
    def is_available() -> tuple[bool, str]:
        try:
            _strict()
        except ImportError:
            return False, "array_api_strict is not installed (it ships in the dev group)"
        return True, ""

    @staticmethod
    def count(kind: str) -> int:
        return len(_DEVICE_NAMES) if StrictBackend.is_available()[0] else 0

    def to_host(self, array: Array) -> np.ndarray:
        # The library forbids np.asarray on a non-default device; DLPack is its door out.
        return np.from_dlpack(array.to_device(self.xp.Device("CPU_DEVICE")))
