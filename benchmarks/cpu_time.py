"""CPU time per training step, implementations taking turns: the load-independent check.

    uv run python benchmarks/cpu_time.py [--workload cnn] [--rounds 3] [--steps 40]
                                         [--baseline-src PATH] [--threads 1]

On a shared machine the runner's wall-clock medians (run.py) move with other people's load,
and a 2-thread OpenBLAS or OpenMP call can wait milliseconds for its second core. This script
runs each implementation in a fresh subprocess, one after another and round after round
(A B C A B C ...), and reports the median ``time.process_time`` per step (CPU time, which
other processes do not add to) and the minor page faults per step, under both allocator
settings (Note [Allocator settings] in run.py), with the ratio to PyTorch from the same
rounds. ``--baseline-src`` adds a nanotorch source tree to compare against (an unpacked
older commit, e.g. ``git archive COMMIT | tar -x -C DIR``, then ``DIR/src``); it runs with
this checkout's benchmark code. A script that prints a table, not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent

CHILD = r"""
import json, resource, statistics, sys, time
sys.path.insert(0, ".")
from workloads import make_data
impl, workload, steps, threads = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
data = make_data(workload, "full", 0)
if impl == "torch":
    import torch
    torch.set_num_threads(threads)
    from workloads import torch_impl as m
    runner = m.build(workload, "full", data, "cpu")
elif impl == "numpy":
    from workloads import numpy_floor as m
    runner = m.build(workload, "full", data, "cpu")
else:
    from workloads import nanotorch_impl as m
    runner = m.build(workload, "full", data, "cpu", impl.split(":")[1])
for _ in range(5):
    runner.step()
times = []
f0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(steps):
    t0 = time.process_time()
    runner.step()
    times.append(time.process_time() - t0)
faults = (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - f0) / steps
print(json.dumps({"ms": statistics.median(times) * 1e3, "faults": faults}))
"""

TUNED = {"MALLOC_MMAP_THRESHOLD_": str(256 << 20), "MALLOC_TRIM_THRESHOLD_": str(256 << 20)}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--workload", default="cnn")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--steps", type=int, default=40)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--baseline-src", help="another nanotorch src/ to measure as 'baseline'")
    args = p.parse_args()
    impls = {"nanotorch": ("nt:auto", None), "nanotorch portable": ("nt:portable", None)}
    if args.baseline_src:
        impls["baseline"] = ("nt:auto", args.baseline_src)
        impls["baseline portable"] = ("nt:portable", args.baseline_src)
    impls.update({"torch": ("torch", None), "numpy": ("numpy", None)})
    for malloc in ("default", "tuned"):
        results: dict[str, list[dict[str, float]]] = {name: [] for name in impls}
        for _ in range(args.rounds):
            for name, (impl, src) in impls.items():
                env = {k: v for k, v in os.environ.items() if k not in TUNED}
                env.pop("PYTHONPATH", None)
                for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
                    env[var] = str(args.threads)
                if malloc == "tuned":
                    env.update(TUNED)
                if src:
                    env["PYTHONPATH"] = str(Path(src).resolve())
                cmd = [sys.executable, "-c", CHILD, impl, args.workload, str(args.steps),
                       str(args.threads)]  # fmt: skip
                out = subprocess.run(cmd, cwd=BENCH_DIR, env=env, capture_output=True, text=True)
                if out.returncode != 0:
                    sys.exit(f"{name}: {out.stderr.strip().splitlines()[-1]}")
                results[name].append(json.loads(out.stdout.strip().splitlines()[-1]))
        ref = statistics.median(r["ms"] for r in results["torch"])
        print(f"{args.workload} [malloc {malloc}], {args.threads} thread(s), CPU ms per step "
              f"(median of {args.steps} steps; median over {args.rounds} rounds)")  # fmt: skip
        for name, rs in results.items():
            ms = statistics.median(r["ms"] for r in rs)
            faults = statistics.median(r["faults"] for r in rs)
            rounds = " ".join(f"{r['ms']:.2f}" for r in rs)
            print(f"  {name:<20} {ms:7.2f}  x torch {ms / ref:4.2f}  flt/step {faults:6.0f}"
                  f"   rounds: {rounds}")  # fmt: skip


if __name__ == "__main__":
    main()
