"""W1/W2 training throughput with DistributedDataParallel on 1 and 2 MPI ranks.

``uv run python benchmarks/ddp_bench.py`` launches itself under ``mpiexec -n R`` for each
workload and rank count and prints one row per run: global-batch steps per second and the
share of step time spent inside the all-reduces (launch + wait, measured on rank 0). The
global batch is the workload's (128 for W1, 512 for W2), split evenly across the ranks; each
rank runs ``--threads`` BLAS threads (default 1: on a busy 2-core machine two BLAS threads
per process spin against each other and the 1-rank row measures that). Needs the ``mpi``
extra (``uv sync --extra mpi``). See discovery/data-parallel.md.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def worker(workload: str, min_time: float) -> None:
    sys.path.insert(0, str(HERE))
    from workloads import LR, make_data
    from workloads.nanotorch_impl import MLP

    import nanotorch as nt
    import nanotorch.distributed as dist
    import nanotorch.nn.parallel.distributed as ddp_module
    from nanotorch.nn import functional as F
    from nanotorch.nn.parallel import DistributedDataParallel as DDP
    from nanotorch.optim import SGD

    dist.init_process_group("mpi")
    rank, world = dist.get_rank(), dist.get_world_size()
    data = make_data(workload)
    share = len(data["x"]) // world
    data["x"] = data["x"][rank * share : (rank + 1) * share]
    data["y"] = data["y"][rank * share : (rank + 1) * share]
    runner = MLP(data, "cpu")
    model = DDP(runner.model)
    opt = SGD(model.parameters(), lr=LR)
    comm = [0.0]
    real_all_reduce = ddp_module.dist.all_reduce

    class TimedWork:
        def __init__(self, work: object) -> None:
            self.work = work

        def wait(self) -> bool:
            t0 = time.perf_counter()
            self.work.wait()  # type: ignore[attr-defined]
            comm[0] += time.perf_counter() - t0
            return True

    def timed_all_reduce(*args: object, **kwargs: object) -> TimedWork:
        t0 = time.perf_counter()
        work = real_all_reduce(*args, **kwargs)  # type: ignore[arg-type]
        comm[0] += time.perf_counter() - t0
        return TimedWork(work)

    ddp_module.dist.all_reduce = timed_all_reduce  # type: ignore[assignment]
    x, y = nt.tensor(data["x"]), nt.tensor(data["y"])

    def step() -> None:
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()

    for _ in range(3):
        step()
    dist.barrier()
    comm[0] = 0.0
    steps, start = 0, time.perf_counter()
    while True:
        step()
        steps += 1
        flag = nt.tensor([1.0 if time.perf_counter() - start >= min_time else 0.0])
        dist.all_reduce(flag, op=dist.ReduceOp.MAX)  # all ranks stop after the same step
        if flag.item() > 0:
            break
    elapsed = time.perf_counter() - start
    if rank == 0:
        print(
            json.dumps(
                {
                    "workload": workload,
                    "ranks": world,
                    "steps_per_s": steps / elapsed,
                    "comm_share": comm[0] / elapsed,
                    "steps": steps,
                }
            ),
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workload", action="append", choices=["mlp", "mlp-large"])
    parser.add_argument("--ranks", default="1,2", help="comma-separated rank counts")
    parser.add_argument("--threads", type=int, default=1, help="BLAS threads per rank")
    parser.add_argument("--min-time", type=float, default=5.0)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.min_time)
        return
    mpiexec = Path(sys.executable).parent / "mpiexec"
    print(f"{'workload':<10} {'ranks':>5} {'steps/s':>9} {'comm share':>11}")
    for workload in args.workload or ["mlp", "mlp-large"]:
        for ranks in (int(r) for r in args.ranks.split(",")):
            threads = str(args.threads)
            env = dict(os.environ, OMP_NUM_THREADS=threads, OPENBLAS_NUM_THREADS=threads)
            cmd = [str(mpiexec), "-n", str(ranks), sys.executable, __file__]
            cmd += ["--worker", workload, "--min-time", str(args.min_time)]
            out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
            row = json.loads(out.stdout.strip().splitlines()[-1])
            print(
                f"{workload:<10} {ranks:>5} {row['steps_per_s']:>9.2f} "
                f"{100 * row['comm_share']:>10.1f}%"
            )


if __name__ == "__main__":
    main()
