"""nanotorch.distributed over NCCL: collectives on cuda tensors, one GPU per rank.

Runs only where two CUDA GPUs, CuPy with NCCL and the mpi extra are present (NCCL refuses two
ranks on one GPU); elsewhere it is skipped with the reason, so the id still shows.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import nanotorch
import nanotorch.distributed as dist
from mpi_launch import launch, mpi_skip_reason


def _skip_reason() -> str | None:
    if mpi_skip_reason() is not None:
        return mpi_skip_reason()
    if not nanotorch.cuda.is_available():
        return "needs CUDA GPUs: none here (install a cuda extra on a GPU machine)"
    if not dist.is_nccl_available():
        return "needs CuPy's NCCL bindings (cupy.cuda.nccl)"
    if nanotorch.cuda.device_count() < 2:
        return "needs 2 CUDA GPUs: NCCL puts each rank on its own device"
    return None


pytestmark = pytest.mark.skipif(_skip_reason() is not None, reason=_skip_reason() or "")

NCCL = """
import nanotorch
import nanotorch.distributed as dist

dist.init_process_group("nccl")
rank, world = dist.get_rank(), dist.get_world_size()
dev = f"cuda:{rank}"
r = {}
t = nanotorch.tensor([rank + 1.0, 2.0], device=dev)
dist.all_reduce(t)
r["sum"] = t.tolist()
t = nanotorch.tensor([rank + 1.0], device=dev)
dist.all_reduce(t, op=dist.ReduceOp.AVG, async_op=True).wait()
r["avg"] = t.tolist()
t = nanotorch.tensor([rank * 1.0], device=dev)
dist.broadcast(t, src=1)
r["broadcast"] = t.tolist()
outs = [nanotorch.zeros(1, device=dev) for _ in range(world)]
dist.all_gather(outs, nanotorch.tensor([rank + 5.0], device=dev))
r["all_gather"] = [o.tolist() for o in outs]
out = nanotorch.zeros(1, device=dev)
dist.reduce_scatter(out, [nanotorch.tensor([10.0 * i + rank], device=dev) for i in range(world)])
r["reduce_scatter"] = out.tolist()
nanotorch.reset_transfer_stats()
dist.all_reduce(nanotorch.ones(100, device=dev))
dist.barrier()
r["transfers"] = nanotorch.transfer_stats().count
try:
    dist.all_reduce(nanotorch.ones(2))
    r["cpu_error"] = None
except RuntimeError as e:
    r["cpu_error"] = str(e)
dist.destroy_process_group()
report(rank, r)
"""


def test_nccl_collectives_on_two_gpus(tmp_path: Path) -> None:
    res = launch(NCCL, tmp_path, timeout=120).results
    for k in (0, 1):
        r = res[k]
        assert r["sum"] == [3.0, 4.0] and r["avg"] == [1.5] and r["broadcast"] == [1.0]
        assert r["all_gather"] == [[5.0], [6.0]] and r["transfers"] == 0
        assert "cpu" in r["cpu_error"] and "'nccl'" in r["cpu_error"]
    assert res[0]["reduce_scatter"] == [1.0] and res[1]["reduce_scatter"] == [21.0]
