"""``nanotorch.distributed``: process groups and collectives, with PyTorch's names.

Layer: above ``data`` and below ``train`` (DESIGN.md "Layers"); ``nn.parallel`` builds
``DistributedDataParallel`` on it. Two backends: ``mpi`` (cpu tensors, processes started by
``mpiexec``; the ``mpi`` extra installs both) and ``nccl`` (cuda tensors, through CuPy).
Nothing here imports mpi4py or CuPy until a process group is made, so ``import nanotorch``
and ``is_available()`` cost nothing and never fail. See discovery/data-parallel.md.

>>> import nanotorch.distributed as dist
>>> dist.is_initialized()
False
"""

from __future__ import annotations

import importlib.util

from nanotorch.distributed.process_group import (
    ProcessGroup,
    ReduceOp,
    Work,
    all_gather,
    all_gather_object,
    all_reduce,
    barrier,
    broadcast,
    destroy_process_group,
    get_backend,
    get_device,
    get_rank,
    get_world_size,
    init_process_group,
    is_initialized,
    reduce_scatter,
)


def is_mpi_available() -> bool:
    """Whether mpi4py is installed (looked up, not imported: importing it starts MPI)."""
    try:
        return importlib.util.find_spec("mpi4py") is not None
    except Exception:
        return False


def is_nccl_available() -> bool:
    """Whether CuPy's NCCL bindings load (imports CuPy; never raises)."""
    try:
        if importlib.util.find_spec("cupy") is None:
            return False
        from cupy.cuda import nccl  # noqa: F401
    except Exception:
        return False
    return True


def is_available() -> bool:
    """Whether a process group can be made here: mpi4py is installed. Never raises."""
    return is_mpi_available()


def abort(code: int = 1, reason: str = "", announce: bool = True) -> None:
    """End every rank of the MPI launch now (Note [A failing rank ends the job] in mpi.py)."""
    from nanotorch.distributed.mpi import abort as _abort

    _abort(code, reason, announce)


__all__ = [
    "ProcessGroup",
    "ReduceOp",
    "Work",
    "abort",
    "all_gather",
    "all_gather_object",
    "all_reduce",
    "barrier",
    "broadcast",
    "destroy_process_group",
    "get_backend",
    "get_device",
    "get_rank",
    "get_world_size",
    "init_process_group",
    "is_available",
    "is_initialized",
    "is_mpi_available",
    "is_nccl_available",
    "reduce_scatter",
]
