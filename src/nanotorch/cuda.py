"""``nanotorch.cuda``: questions about CUDA that never raise, whatever is installed."""

from __future__ import annotations

from typing import Any


def is_available() -> bool:
    """True when CuPy is installed and a CUDA driver reports at least one GPU."""
    from nanotorch.backend.cupy_backend import cuda_state

    return bool(cuda_state()["available"])


def device_count() -> int:
    from nanotorch.backend.cupy_backend import cuda_state

    return int(cuda_state()["device_count"])


def state() -> dict[str, Any]:
    """CuPy version, driver/runtime versions, device names, and why CUDA is unavailable."""
    from nanotorch.backend.cupy_backend import cuda_state

    return cuda_state()


def synchronize(index: int = 0) -> None:
    from nanotorch.backend import device, get_backend

    get_backend(device("cuda", index)).synchronize()
