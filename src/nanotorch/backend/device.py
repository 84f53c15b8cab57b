"""``Device``: the value object that names where a tensor's data lives.

A device is a kind (``cpu``, ``cuda``, ``strict``...) and an index. It knows nothing about
arrays: the registry (``registry.py``) maps a kind to the backend that serves it. Devices are
interned, so the engine can compare them with ``is`` on its hot path.
"""

from __future__ import annotations

from dataclasses import dataclass

# Kinds with a single device print without an index, like PyTorch's "cpu".
_SINGLE_DEVICE_KINDS = {"cpu"}


@dataclass(frozen=True)
class Device:
    """Where data lives: ``Device("cuda", 0)`` prints as ``cuda:0``.

    >>> import nanotorch
    >>> nanotorch.device("cuda") == nanotorch.device("cuda:0")
    True
    >>> str(nanotorch.device("strict:1"))
    'strict:1'
    """

    type: str
    index: int = 0

    def __str__(self) -> str:
        if self.type in _SINGLE_DEVICE_KINDS:
            return self.type
        return f"{self.type}:{self.index}"

    def __repr__(self) -> str:
        return f"device('{self}')"

    # ``with nanotorch.device("cuda"):`` makes this the default device inside the block
    # (Note [Default device] in creation.py), restoring the one before on the way out.
    def __enter__(self) -> Device:
        _ENTERED.append(DEFAULT[0])
        DEFAULT[0] = self
        return self

    def __exit__(self, *exc: object) -> None:
        DEFAULT[0] = _ENTERED.pop()


# The default device of factory functions, None for the cpu (Note [Default device] in
# creation.py, which sets it); kept here so that a Device can be a context manager.
DEFAULT: list[Device | None] = [None]
_ENTERED: list[Device | None] = []


_interned: dict[tuple[str, int], Device] = {}


def device(spec: str | Device, index: int | None = None) -> Device:
    """Parse ``"cpu"``, ``"cuda"``, ``"cuda:1"``, ``"strict:1"``... into an interned Device.

    Unknown kinds raise ValueError listing the kinds that backends registered.
    """
    from nanotorch.backend.registry import known_kinds

    if isinstance(spec, Device):
        return spec if index is None else device(spec.type, index)
    if not isinstance(spec, str):
        raise TypeError(f"device() takes a string such as 'cpu' or 'cuda:0', got {spec!r}")
    kind, sep, idx_text = spec.strip().partition(":")
    if kind not in known_kinds():
        raise ValueError(
            f"unknown device kind {kind!r} in {spec!r}; known kinds: {', '.join(known_kinds())}"
        )
    if sep:
        if index is not None:
            raise ValueError(f"device {spec!r} already names an index; do not pass index={index}")
        if not idx_text.isdigit():
            raise ValueError(f"device index in {spec!r} must be a non-negative integer")
        index = int(idx_text)
    index = 0 if index is None else int(index)
    if index < 0:
        raise ValueError(f"device index must be non-negative, got {index}")
    if kind in _SINGLE_DEVICE_KINDS and index != 0:
        raise ValueError(f"there is only one {kind} device; got index {index}")
    key = (kind, index)
    dev = _interned.get(key)
    if dev is None:
        dev = _interned.setdefault(key, Device(kind, index))
    return dev
