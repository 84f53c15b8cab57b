"""nanotorch.distributed over MPI: every collective and reduce op on two ranks.

One launch runs all of them (each mpiexec start costs about a second on 2 cores) and every
rank reports its results; the tests below check them against what PyTorch's semantics say.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mpi_launch import launch, needs_mpi

pytestmark = needs_mpi

COLLECTIVES = """
import nanotorch
import nanotorch.distributed as dist

dist.init_process_group("mpi")
rank, world = dist.get_rank(), dist.get_world_size()
r = {"rank": rank, "world": world, "initialized": dist.is_initialized()}
r["device"], r["backend"] = dist.get_device(), dist.get_backend()
f64 = nanotorch.float64

def vals(t):
    return t.tolist()

# all_reduce, every op, in place; rank k holds [k+1, 2(k+1)] -> ranks hold [1,2] and [2,4]
for name in ["SUM", "AVG", "MAX", "MIN", "PRODUCT"]:
    t = nanotorch.tensor([rank + 1.0, 2.0 * (rank + 1)], dtype=f64)
    ret = dist.all_reduce(t, op=getattr(dist.ReduceOp, name))
    r["all_reduce_" + name] = vals(t)
    r["all_reduce_returns_none"] = ret is None

# integers reduce too (SUM); a transposed (non-contiguous) tensor is updated in place
ti = nanotorch.tensor([[rank, 10], [20, 30]], dtype=nanotorch.int64)
dist.all_reduce(ti)
r["all_reduce_int"] = vals(ti)
base = nanotorch.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=f64) * (rank + 1)
tt = base.T
dist.all_reduce(tt)
r["all_reduce_transposed"] = vals(tt)

# async: a work handle whose wait() completes the collective
t = nanotorch.tensor([rank + 1.0], dtype=f64)
work = dist.all_reduce(t, op=dist.ReduceOp.SUM, async_op=True)
r["async_has_wait"] = hasattr(work, "wait")
work.wait()
r["async_all_reduce"] = vals(t)
r["async_completed"] = work.is_completed()

# broadcast from rank 1
t = nanotorch.tensor([rank * 1.0, rank + 5.0], dtype=f64)
dist.broadcast(t, src=1)
r["broadcast"] = vals(t)
t = nanotorch.tensor([rank * 3.0], dtype=f64)
dist.broadcast(t, src=0, async_op=True).wait()
r["broadcast_async"] = vals(t)

# all_gather into a list
outs = [nanotorch.zeros(2, dtype=f64) for _ in range(world)]
dist.all_gather(outs, nanotorch.tensor([rank * 1.0, rank + 0.5], dtype=f64))
r["all_gather"] = [vals(o) for o in outs]
outs = [nanotorch.zeros(1, dtype=f64) for _ in range(world)]
dist.all_gather(outs, nanotorch.tensor([rank + 7.0], dtype=f64), async_op=True).wait()
r["all_gather_async"] = [vals(o) for o in outs]

# reduce_scatter: rank k gets the reduction of every rank's input_list[k]
inputs = [nanotorch.tensor([10.0 * i + rank], dtype=f64) for i in range(world)]
out = nanotorch.zeros(1, dtype=f64)
dist.reduce_scatter(out, inputs, op=dist.ReduceOp.SUM)
r["reduce_scatter"] = vals(out)
out = nanotorch.zeros(1, dtype=f64)
dist.reduce_scatter(out, inputs, op=dist.ReduceOp.AVG, async_op=True).wait()
r["reduce_scatter_avg_async"] = vals(out)

# barrier, sync and async
dist.barrier()
dist.barrier(async_op=True).wait()

# a cpu all-reduce moves nothing between devices
nanotorch.reset_transfer_stats()
dist.all_reduce(nanotorch.ones(1000, dtype=f64))
r["transfers"] = nanotorch.transfer_stats().count

# all_gather_object: small host metadata
objs = [None] * world
dist.all_gather_object(objs, {"rank": rank})
r["all_gather_object"] = objs

# errors: wrong device, wrong type, AVG of integers, wrong list length
def error(fn):
    try:
        fn()
    except Exception as e:
        return [type(e).__name__, str(e)]
    return None

s = nanotorch.ones(2, device="strict:1")
r["err_device"] = error(lambda: dist.all_reduce(s))
r["err_type"] = error(lambda: dist.all_reduce([1.0, 2.0]))
r["err_avg_int"] = error(
    lambda: dist.all_reduce(nanotorch.tensor([1, 2]), op=dist.ReduceOp.AVG)
)
r["err_gather_len"] = error(lambda: dist.all_gather([nanotorch.zeros(1)], nanotorch.zeros(1)))
r["err_twice"] = error(lambda: dist.init_process_group("mpi"))

dist.destroy_process_group()
r["after_destroy"] = dist.is_initialized()
r["err_uninitialized"] = error(lambda: dist.get_rank())
report(rank, r)
"""


@pytest.fixture(scope="module")
def collectives(tmp_path_factory: pytest.TempPathFactory) -> dict[int, Any]:
    return launch(COLLECTIVES, Path(tmp_path_factory.mktemp("collectives"))).results


def test_init_process_group_gives_rank_and_world_size(collectives: dict[int, Any]) -> None:
    assert [collectives[k]["rank"] for k in (0, 1)] == [0, 1]
    assert all(collectives[k]["world"] == 2 and collectives[k]["initialized"] for k in (0, 1))
    assert collectives[0]["device"] == "cpu" and collectives[0]["backend"] == "mpi"


@pytest.mark.parametrize(
    "op, expected",
    [
        ("SUM", [3.0, 6.0]),
        ("AVG", [1.5, 3.0]),
        ("MAX", [2.0, 4.0]),
        ("MIN", [1.0, 2.0]),
        ("PRODUCT", [2.0, 8.0]),
    ],
)
def test_all_reduce_each_op_in_place(
    collectives: dict[int, Any], op: str, expected: list[float]
) -> None:
    for k in (0, 1):
        assert collectives[k]["all_reduce_" + op] == expected
        assert collectives[k]["all_reduce_returns_none"]


def test_all_reduce_integers_and_non_contiguous(collectives: dict[int, Any]) -> None:
    for k in (0, 1):
        assert collectives[k]["all_reduce_int"] == [[1, 20], [40, 60]]
        # base.T of [[1,2],[3,4]] * (k+1), summed over k = 1, 2
        assert collectives[k]["all_reduce_transposed"] == [[3.0, 9.0], [6.0, 12.0]]


def test_all_reduce_async_work_wait(collectives: dict[int, Any]) -> None:
    for k in (0, 1):
        assert collectives[k]["async_has_wait"]
        assert collectives[k]["async_all_reduce"] == [3.0]
        assert collectives[k]["async_completed"]


def test_broadcast_from_src(collectives: dict[int, Any]) -> None:
    for k in (0, 1):
        assert collectives[k]["broadcast"] == [1.0, 6.0]
        assert collectives[k]["broadcast_async"] == [0.0]


def test_all_gather_fills_the_list_in_rank_order(collectives: dict[int, Any]) -> None:
    for k in (0, 1):
        assert collectives[k]["all_gather"] == [[0.0, 0.5], [1.0, 1.5]]
        assert collectives[k]["all_gather_async"] == [[7.0], [8.0]]
        assert collectives[k]["all_gather_object"] == [{"rank": 0}, {"rank": 1}]


def test_reduce_scatter_gives_each_rank_its_reduced_slot(collectives: dict[int, Any]) -> None:
    # input_list[i] on rank k is 10 i + k; rank i gets sum over k: 20 i + 1
    assert collectives[0]["reduce_scatter"] == [1.0]
    assert collectives[1]["reduce_scatter"] == [21.0]
    assert collectives[0]["reduce_scatter_avg_async"] == [0.5]
    assert collectives[1]["reduce_scatter_avg_async"] == [10.5]


def test_cpu_all_reduce_moves_nothing(collectives: dict[int, Any]) -> None:
    assert collectives[0]["transfers"] == 0 and collectives[1]["transfers"] == 0


def test_collective_errors_name_the_problem_and_the_fix(collectives: dict[int, Any]) -> None:
    r = collectives[0]
    kind, msg = r["err_device"]
    assert kind == "RuntimeError"
    assert "strict:1" in msg and "'mpi'" in msg and "cpu" in msg and ".cpu()" in msg
    kind, msg = r["err_type"]
    assert kind == "TypeError" and "all_reduce" in msg and "list" in msg
    kind, msg = r["err_avg_int"]
    assert kind == "RuntimeError" and "AVG" in msg and "int64" in msg
    kind, msg = r["err_gather_len"]
    assert kind == "ValueError" and "all_gather" in msg and "2" in msg and "1" in msg
    kind, msg = r["err_twice"]
    assert kind == "RuntimeError" and "twice" in msg


def test_destroy_process_group(collectives: dict[int, Any]) -> None:
    r = collectives[1]
    assert r["after_destroy"] is False
    kind, msg = r["err_uninitialized"]
    assert kind == "RuntimeError" and "init_process_group" in msg
