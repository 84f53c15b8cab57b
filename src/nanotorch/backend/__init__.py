"""The device seam: the only package of the engine that imports array libraries.

``Device`` names a place, a ``Backend`` serves one device with an array-API namespace plus the
hooks the standard lacks (host copies, random numbers, scatter-add), and the registry maps
device kinds to backends. Transfers between devices go through ``transfer.copy_between`` and
are counted. See discovery/devices.md.
"""

from nanotorch.backend.base import Array, ArrayBackend, Backend, HostRandom, RandomSource
from nanotorch.backend.device import Device, device
from nanotorch.backend.pool import BufferPool
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


def empty_cache(dev: Device | str = "cpu") -> int:
    """Give the idle buffers a device's backend keeps between steps back to the allocator
    (Note [Buffer pool] in backend/pool.py); returns the bytes released (0 for a backend
    that keeps none: strict, and cuda, whose memory CuPy's own pool manages).

    >>> import nanotorch
    >>> from nanotorch.backend import empty_cache
    >>> y = nanotorch.ones(256, 256) @ nanotorch.ones(256, 256)  # into a pooled buffer
    >>> del y  # idle now: the pool keeps it for the next product of that shape
    >>> empty_cache("cpu") > 0
    True
    """
    pool = get_backend(device(dev) if isinstance(dev, str) else dev).pool
    return 0 if pool is None else pool.empty_cache()


__all__ = [
    "Array",
    "ArrayBackend",
    "Backend",
    "BufferPool",
    "Device",
    "HostRandom",
    "RandomSource",
    "TransferStats",
    "availability",
    "available_devices",
    "copy_between",
    "device",
    "empty_cache",
    "from_host_counted",
    "get_backend",
    "known_kinds",
    "record_sync",
    "register_backend",
    "reset_transfer_stats",
    "transfer_stats",
    "unregister_backend",
]
