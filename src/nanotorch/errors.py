"""Exception types that are part of nanotorch's public contract."""

from __future__ import annotations


class DeviceMismatchError(RuntimeError):
    """An op received tensors on different devices. nanotorch never moves data implicitly:
    the message names the op, the devices and the ``.to(device)`` call that fixes it."""


class CheckpointError(RuntimeError):
    """A checkpoint file could not be read or written; the message names the path."""


class ShapeError(ValueError, RuntimeError):
    """Shapes that do not fit an op. A ValueError, and a RuntimeError like PyTorch's shape
    errors, so code written for either catches it; the message names the op and the shapes."""


class IndexOutOfRangeError(IndexError, RuntimeError):
    """An index tensor holds a value outside the dim it indexes. An IndexError, and a
    RuntimeError like PyTorch's scatter/gather bound checks; the message names the op, the
    dim, its size and the offending range."""
