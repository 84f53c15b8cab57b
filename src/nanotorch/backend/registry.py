"""The backend registry: device kind -> backend class.

A new backend plugs in with ``register_backend("kind", BackendClass)`` from its own module;
nothing in the engine changes. Backend instances are created on first use (so CuPy is only
imported when a cuda device is first asked for) and cached per device.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from nanotorch.backend.base import Backend
from nanotorch.backend.device import Device

# kind -> (module path, class name) for built-ins, so their modules load lazily.
_BUILT_IN: dict[str, tuple[str, str]] = {
    "cpu": ("nanotorch.backend.numpy_backend", "NumpyBackend"),
    "cuda": ("nanotorch.backend.cupy_backend", "CupyBackend"),
    "strict": ("nanotorch.backend.strict_backend", "StrictBackend"),
}
_LAZY = dict(_BUILT_IN)
_classes: dict[str, Any] = {}
_instances: dict[Device, Backend] = {}


def register_backend(kind: str, backend_class: Callable[[Device], Backend]) -> None:
    """Register a backend class for a device kind.

    The class is called with a ``Device`` and must offer the ``Backend`` protocol, plus the
    static methods ``is_available() -> (bool, reason)`` and ``count(kind) -> int``.
    """
    if not kind.isidentifier():
        raise ValueError(f"a device kind must be a plain name, got {kind!r}")
    _classes[kind] = backend_class
    _LAZY.pop(kind, None)
    for dev in [d for d in _instances if d.type == kind]:
        del _instances[dev]


def unregister_backend(kind: str) -> None:
    """Remove what ``register_backend(kind, ...)`` added; a replaced built-in comes back.

    Tests that plug in a backend call this in their teardown, so the kind does not leak into
    the rest of the session.
    """
    if kind not in _classes or (kind in _BUILT_IN and kind in _LAZY):
        raise ValueError(f"unregister_backend: no backend was registered for {kind!r}")
    del _classes[kind]
    if kind in _BUILT_IN:
        _LAZY[kind] = _BUILT_IN[kind]
    for dev in [d for d in _instances if d.type == kind]:
        del _instances[dev]


def known_kinds() -> list[str]:
    return sorted(set(_LAZY) | set(_classes))


def backend_class(kind: str) -> Any:
    cls = _classes.get(kind)
    if cls is None:
        import importlib

        module, name = _LAZY[kind]
        cls = _classes[kind] = getattr(importlib.import_module(module), name)
    return cls


def availability(dev: Device) -> tuple[bool, str]:
    """(True, "") when ``dev`` works here, else (False, the reason). Never raises."""
    try:
        cls = backend_class(dev.type)
        ok, reason = cls.is_available()
        if not ok:
            return False, reason
        count = cls.count(dev.type)
    except Exception as exc:
        return False, f"{type(exc).__name__}: {exc}"
    if dev.index >= count:
        return False, f"{dev} does not exist: this machine has {count} {dev.type} device(s)"
    return True, ""


def from_dlpack(obj: Any) -> tuple[Any, Backend]:
    """Import a DLPack producer through the backend that claims its device type.

    Each backend class lists the DLPack device types it can import (``dlpack_device_types``:
    1 is host memory, 2 CUDA...); the producer's ``__dlpack_device__()`` picks the kind, its
    index the device, and that backend's ``from_dlpack`` does the import. Built-ins are asked
    first, so host memory goes to ``cpu``, not to another backend that also reads it.
    """
    dev_type, dev_id = obj.__dlpack_device__()
    for kind in sorted(known_kinds(), key=lambda k: (k not in _BUILT_IN, k)):
        try:
            claims = int(dev_type) in getattr(backend_class(kind), "dlpack_device_types", ())
        except Exception:  # a built-in whose module cannot load here claims nothing
            continue
        if claims:
            from nanotorch.backend.device import device

            backend = get_backend(device(kind, int(dev_id)))
            return backend.from_dlpack(obj), backend
    raise TypeError(
        f"from_dlpack: the object lives on DLPack device type {int(dev_type)} (index "
        f"{int(dev_id)}), which no registered backend imports; registered kinds: "
        f"{', '.join(known_kinds())}. Copy it to host memory first, or register a backend "
        "whose dlpack_device_types lists that type"
    )


def get_backend(dev: Device) -> Backend:
    """The backend serving ``dev``; raises RuntimeError with the reason if it is unavailable."""
    backend = _instances.get(dev)
    if backend is None:
        ok, reason = availability(dev)
        if not ok:
            raise RuntimeError(
                f"device {dev} is not available: {reason}. "
                f"Available here: {', '.join(str(d) for d in available_devices())}"
            )
        backend = _instances[dev] = backend_class(dev.type)(dev)
    return backend


def available_devices() -> list[Device]:
    """Every device that works on this machine, in registry order."""
    from nanotorch.backend.device import device

    found: list[Device] = []
    for kind in known_kinds():
        try:
            cls = backend_class(kind)
            if not cls.is_available()[0]:
                continue
            count = cls.count(kind)
        except Exception:
            continue
        found.extend(device(kind, i) for i in range(count))
    order = {"cpu": 0, "cuda": 1}
    return sorted(found, key=lambda d: (order.get(d.type, 2), d.type, d.index))
