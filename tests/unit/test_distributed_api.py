"""nanotorch.distributed without launching ranks: availability, names, errors before init."""

from __future__ import annotations

import subprocess
import sys

import pytest

import nanotorch.distributed as dist


def test_distributed_is_available_never_raises_and_returns_bool() -> None:
    assert isinstance(dist.is_available(), bool)
    assert isinstance(dist.is_mpi_available(), bool)
    assert isinstance(dist.is_nccl_available(), bool)


def test_distributed_import_does_not_import_mpi4py() -> None:
    code = (
        "import sys, nanotorch, nanotorch.distributed, nanotorch.nn.parallel;"
        "nanotorch.distributed.is_available();"
        "print('mpi4py.MPI' in sys.modules, 'cupy' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.split() == ["False", "False"], out.stderr


def test_reduce_op_has_pytorchs_members() -> None:
    assert {op.name for op in dist.ReduceOp} == {"SUM", "AVG", "MAX", "MIN", "PRODUCT"}


def test_distributed_not_initialized() -> None:
    assert dist.is_initialized() is False
    with pytest.raises(RuntimeError, match="get_rank.*init_process_group"):
        dist.get_rank()
    with pytest.raises(RuntimeError, match="all_reduce.*init_process_group"):
        dist.all_reduce(None)  # type: ignore[arg-type]


def test_init_process_group_rejects_unknown_backend() -> None:
    with pytest.raises(ValueError, match="init_process_group.*'gloo'.*'mpi'.*'nccl'"):
        dist.init_process_group("gloo")
