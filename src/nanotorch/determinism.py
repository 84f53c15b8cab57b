"""Deterministic algorithms: PyTorch's ``use_deterministic_algorithms`` switch.

Ops read the switch through ``alert_not_deterministic``; nothing here touches arrays, so the
engine (``ops/``) may import it. It imports no array library.

Note [Deterministic algorithms]
~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
Given the same inputs on the same software and hardware, nanotorch's ops give the same bits
on ``cpu`` (NumPy's kernels, and ``parallel_for`` splits that give the same bits at any
thread count, Note in tests/unit/test_intra_op_threads.py) and on ``strict``. On ``cuda`` one
path is not: the cupy backend's scatter-add (``index_add``, through ``cupyx.scatter_add``)
adds repeated indices with atomics, whose order, and so the rounding of a floating sum,
varies from run to run. It serves every scatter-add: ``IndexAdd`` (the backward of indexing,
``gather``, ``take``, ``embedding``, and ``index_add``/``scatter_add`` themselves) and the
averaging scatter of ``max_unpool`` (``ops/pool_extra.py``). Integer sums are exact in any
order, so only floating ones alert. PyTorch has deterministic kernels for these; nanotorch
has none yet, so under ``use_deterministic_algorithms(True)`` they raise a RuntimeError (or
warn with ``warn_only=True``), as PyTorch does for its ops without one. Matmuls and
convolutions (im2col + matmul, no cuDNN autotuning) use cuBLAS, deterministic on one GPU
for a fixed library version.

The switch is a ContextVar, as grad mode is: it holds for the thread (and the asyncio tasks)
that set it; PyTorch's is one switch for the whole process.
"""

from __future__ import annotations

import warnings
from contextvars import ContextVar

from nanotorch.backend import Device
from nanotorch.dtypes import DType

_mode: ContextVar[tuple[bool, bool]] = ContextVar(
    "nanotorch_deterministic_algorithms", default=(False, False)
)


def use_deterministic_algorithms(mode: bool, *, warn_only: bool = False) -> None:
    """Require deterministic algorithms (Note [Deterministic algorithms]).

    nanotorch's ops are already deterministic on ``cpu`` and ``strict``; on ``cuda`` a
    floating scatter-add (indexing backward, embedding backward, ``index_add``, ...)
    raises a RuntimeError while ``mode`` is True, or warns if ``warn_only``.

    >>> import nanotorch
    >>> nanotorch.use_deterministic_algorithms(True)
    >>> nanotorch.are_deterministic_algorithms_enabled()
    True
    >>> nanotorch.use_deterministic_algorithms(False)
    """
    for name, value in (("mode", mode), ("warn_only", warn_only)):
        if not isinstance(value, bool):
            raise TypeError(
                f"use_deterministic_algorithms: {name} must be bool, not "
                f"{type(value).__name__} ({value!r})"
            )
    _mode.set((mode, warn_only))


def are_deterministic_algorithms_enabled() -> bool:
    """Whether ``use_deterministic_algorithms(True)`` is in effect."""
    return _mode.get()[0]


def is_deterministic_algorithms_warn_only_enabled() -> bool:
    """Whether ``use_deterministic_algorithms`` was set with ``warn_only=True``."""
    return _mode.get()[1]


def alert_not_deterministic(op: str, device: Device, dtype: DType) -> None:
    """Raise (or warn) if ``op``'s kernel on ``device`` for ``dtype`` is not deterministic
    while deterministic algorithms are required. Only cuda's floating scatter-add is."""
    enabled, warn_only = _mode.get()
    if not enabled or device.type != "cuda" or not dtype.is_floating_point:
        return
    message = (
        f"{op} on {device} ({dtype.name}) does not have a deterministic implementation (the "
        "scatter-add adds repeated indices with atomics), but you set "
        "'nanotorch.use_deterministic_algorithms(True)'. Turn determinism off around this "
        "op, use the 'warn_only=True' option if that is acceptable, or run it on the cpu"
    )
    if warn_only:
        warnings.warn(message, UserWarning, stacklevel=3)
        return
    raise RuntimeError(message)
