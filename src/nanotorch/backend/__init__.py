"""The device seam: the only package of the engine that imports array libraries.

``Device`` names a place, a ``Backend`` serves one device with an array-API namespace plus the
hooks the standard lacks (host copies, random numbers, scatter-add), and the registry maps
device kinds to backends. Transfers between devices go through ``transfer.copy_between`` and
are counted. See discovery/devices.md.
"""

from nanotorch.backend.base import Array, ArrayBackend, Backend, HostRandom, RandomSource
from nanotorch.backend.device import Device, device
from nanotorch.backend.registry import (
    availability,
    available_devices,
    get_backend,
    known_kinds,
    register_backend,
    unregister_backend,
)
from nanotorch.backend.transfer import (
    TransferStats,
    copy_between,
    from_host_counted,
    record_sync,
    reset_transfer_stats,
    transfer_stats,
)

__all__ = [
    "Array",
    "ArrayBackend",
    "Backend",
    "Device",
    "HostRandom",
    "RandomSource",
    "TransferStats",
    "availability",
    "available_devices",
    "copy_between",
    "device",
    "from_host_counted",
    "get_backend",
    "known_kinds",
    "record_sync",
    "register_backend",
    "reset_transfer_stats",
    "transfer_stats",
    "unregister_backend",
]
