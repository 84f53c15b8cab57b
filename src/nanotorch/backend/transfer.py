"""The one function that copies data between devices, and the counter that watches it.

Every cross-device copy in nanotorch goes through ``copy_between``; nothing else moves data.
That lets tests assert that a training step moved nothing (``transfer_stats()``), and lets a
user find the hidden synchronisations that make GPU code slow.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from nanotorch.backend.base import Array, Backend


@dataclass
class TransferStats:
    """Counts and bytes of copies, in total and by direction (``"cpu->strict:1"``)."""

    count: int = 0
    bytes: int = 0
    by_direction: dict[str, dict[str, int]] = field(default_factory=dict)

    def record(self, direction: str, nbytes: int) -> None:
        self.count += 1
        self.bytes += nbytes
        entry = self.by_direction.setdefault(direction, {"count": 0, "bytes": 0})
        entry["count"] += 1
        entry["bytes"] += nbytes

    def copy(self) -> TransferStats:
        return TransferStats(
            self.count, self.bytes, {k: dict(v) for k, v in self.by_direction.items()}
        )


_stats = TransferStats()


def transfer_stats() -> TransferStats:
    """A snapshot of the copies made since the last reset.

    >>> import nanotorch
    >>> nanotorch.reset_transfer_stats()
    >>> nanotorch.transfer_stats().count
    0
    """
    return _stats.copy()


def reset_transfer_stats() -> None:
    global _stats
    _stats = TransferStats()


def record_sync(backend: Backend, array: Array) -> None:
    """Count a read of device data by the host (``.item()``, ``.tolist()``)."""
    if backend.device.type != "cpu":
        size = 1
        for s in array.shape:
            size *= int(s)
        _stats.record(f"{backend.device}->host", size * backend.dtype_of(array).itemsize)


def copy_between(array: Array, src: Backend, dst: Backend) -> Array:
    """Copy ``array`` from ``src``'s device to ``dst``'s; counted. Same device: no copy."""
    if src.device == dst.device:
        return array
    host = src.to_host(array)
    _stats.record(f"{src.device}->{dst.device}", int(host.nbytes))
    with dst.context():
        return dst.from_host(host)


def from_host_counted(host: Any, dst: Backend) -> Array:
    """Place host (NumPy) data on ``dst``; counted as a host-to-device copy unless dst is cpu."""
    if dst.device.type != "cpu":
        _stats.record(f"host->{dst.device}", int(host.nbytes))
    with dst.context():
        return dst.from_host(host)
