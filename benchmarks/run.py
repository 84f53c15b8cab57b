"""Time nanotorch against a hand-written NumPy floor and PyTorch on the same training steps.

    uv run python benchmarks/run.py [--workload W] [--device D] [--repeat N] [--json PATH]
                                    [--torch-python PATH] [--malloc default|tuned|both]

Every (workload, implementation, setting) runs in its own subprocess with the same thread
count, from the same arrays (generated here with NumPy from ``--seed``). Each reports the
check values of its first steps, the per-step times of ``--repeat`` timed repeats after a
warm-up, its minor page faults per step and its peak resident memory (``ru_maxrss``). This
script checks that all implementations follow the same loss trajectory, then prints the
medians, the time ratios to the floor and to PyTorch from this same run, and the memory.
A workload without a hand-written floor (W5) runs nanotorch and PyTorch only; nanotorch's
trajectory is then the reference and the floor's columns show '-'.
See benchmarks/README.md for what each workload and column means.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

from workloads import SPECS, make_data  # noqa: E402

IMPL_ORDER = ("numpy", "nanotorch", "torch")
THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")

# Note [Allocator settings]
# ~~~~~~~~~~~~~~~~~~~~~~~~~
# glibc serves allocations above MALLOC_MMAP_THRESHOLD_ (dynamic, 128 KiB to 32 MiB by
# default) with a fresh mmap and gives them back with munmap on free, and trims the heap top
# above MALLOC_TRIM_THRESHOLD_. A training step allocates the same large temporaries every
# step, so by default each one is faulted in page by page again, every step. "tuned" raises
# both thresholds above the largest array of these workloads (64 MiB in W2), so freed blocks
# stay in the heap and are reused. It changes nothing but the environment of the subprocess.
MALLOC_TUNED = {"MALLOC_MMAP_THRESHOLD_": str(256 << 20), "MALLOC_TRIM_THRESHOLD_": str(256 << 20)}
OPENBLAS_VARS = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
TRAJECTORY_RTOL = 2e-3  # float32, different summation orders, a few SGD steps
TRAJECTORY_ATOL = 1e-5


def worker_env(threads: int, malloc: str, openblas: str) -> dict[str, str]:
    env = dict(os.environ)
    for var in THREAD_VARS:
        env[var] = str(threads)
    for var in MALLOC_TUNED:
        env.pop(var, None)
    if malloc == "tuned":
        env.update(MALLOC_TUNED)
    if openblas == "unset":  # both together, in this subprocess only
        for var in OPENBLAS_VARS:
            env.pop(var, None)
    return env


def find_torch_python(requested: str | None) -> tuple[str | None, str]:
    """The interpreter for the PyTorch side, or None with the reason."""
    if requested:
        probe = subprocess.run(
            [requested, "-c", "import torch, numpy"], capture_output=True, text=True
        )
        if probe.returncode != 0:
            return None, f"{requested} cannot import torch and numpy: {probe.stderr.strip()}"
        return requested, ""
    if importlib.util.find_spec("torch") is not None:
        return sys.executable, ""
    return None, "PyTorch is not importable here; pass --torch-python PATH to include it"


def run_worker(
    python: str, impl: str, workload: str, data_path: Path, env: dict[str, str],
    args: argparse.Namespace,
) -> dict[str, Any]:  # fmt: skip
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as tmp:
        out_path = Path(tmp.name)
    cmd = [
        python, "-m", "workloads.worker", "--impl", impl, "--workload", workload,
        "--size", args.size, "--device", args.device, "--data", str(data_path),
        "--out", str(out_path), "--threads", str(args.threads), "--repeat", str(args.repeat),
        "--warmup", str(args.warmup), "--check-steps", str(args.check_steps),
        "--min-time", str(args.min_time), "--conv-impl", args.conv_impl,
    ]  # fmt: skip
    try:
        proc = subprocess.run(cmd, cwd=BENCH_DIR, env=env, capture_output=True, text=True)
        if proc.returncode != 0:
            tail = "\n".join(proc.stderr.strip().splitlines()[-6:])
            return {"impl": impl, "error": f"exit {proc.returncode}: {tail}"}
        return json.loads(out_path.read_text())
    finally:
        out_path.unlink(missing_ok=True)


def trajectory_ok(values: list[list[float]], reference: list[list[float]]) -> bool:
    a, b = np.asarray(values, dtype=np.float64), np.asarray(reference, dtype=np.float64)
    return a.shape == b.shape and bool(
        np.allclose(a, b, rtol=TRAJECTORY_RTOL, atol=TRAJECTORY_ATOL)
    )


def summarise(results: list[dict[str, Any]], per_op: int | None) -> dict[str, Any]:
    """Merge the rounds of one (workload, impl, setting) into medians."""
    ok = [r for r in results if "error" not in r]
    if not ok:
        return {"impl": results[0]["impl"], "error": results[0]["error"]}
    times = [t for r in ok for t in r["times"]]
    median = statistics.median(times)
    first = ok[0]
    return {
        "impl": first["impl"],
        "version": first["version"],
        "openblas_core": first["openblas_core"],
        "median_s": median,
        "min_s": min(times),
        "times": times,
        "steps_per_s": 1.0 / median,
        "us_per_op": median / per_op * 1e6 if per_op else None,
        "maxrss_mb": max(r["maxrss_kb"] for r in ok) / 1024,
        "minflt_per_step": statistics.median(r["minflt_per_step"] for r in ok),
        "trajectory": first["trajectory"],
    }


def run_all(args: argparse.Namespace) -> list[dict[str, Any]]:
    torch_python, torch_reason = find_torch_python(args.torch_python)
    impls = [i for i in IMPL_ORDER if i in args.impl]
    if "torch" in impls and torch_python is None:
        print(f"note: skipping PyTorch: {torch_reason}", file=sys.stderr)
        impls.remove("torch")
    mallocs = ["default", "tuned"] if args.malloc == "both" else [args.malloc]
    openblases = ["inherit", "unset"] if args.openblas == "both" else [args.openblas]

    records = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.workload:
            spec = SPECS[name]
            data_path = Path(tmp) / f"{name}.npz"
            np.savez(data_path, **make_data(name, args.size, args.seed))
            per_op = spec.sizes[args.size]["ops"] if spec.per_op else None
            for openblas in openblases:
                for malloc in mallocs:
                    env = worker_env(args.threads, malloc, openblas)
                    # A workload without a floor (W5) has no NumPy implementation to run.
                    here = [i for i in impls if i != "numpy" or spec.floor]
                    runs: dict[str, list[dict[str, Any]]] = {i: [] for i in here}
                    # Rounds interleave the implementations, so a burst of load from other
                    # processes on the machine does not land on one of them only.
                    for _ in range(args.rounds):
                        for impl in here:
                            python = torch_python if impl == "torch" else sys.executable
                            print(f"  {name} {malloc} {impl}...", file=sys.stderr, flush=True)
                            runs[impl].append(run_worker(python, impl, name, data_path, env, args))
                    rows = [summarise(runs[i], per_op) for i in here]
                    records.append(
                        {"workload": name, "title": spec.title_for(args.size), "malloc": malloc,
                         "openblas": openblas, "rows": rows}
                    )  # fmt: skip
    for rec in records:
        add_comparisons(rec)
    return records


def reference_impl(name: str) -> str:
    """Whose trajectory the others must follow: the floor's, or nanotorch's without one."""
    return "numpy" if SPECS[name].floor else "nanotorch"


def add_comparisons(rec: dict[str, Any]) -> None:
    by_impl = {r["impl"]: r for r in rec["rows"] if "error" not in r}
    floor, torch = by_impl.get("numpy"), by_impl.get("torch")
    reference = by_impl.get(reference_impl(rec["workload"]))
    for row in by_impl.values():
        row["x_numpy"] = row["median_s"] / floor["median_s"] if floor else None
        row["x_torch"] = row["median_s"] / torch["median_s"] if torch else None
        row["mem_x_numpy"] = row["maxrss_mb"] / floor["maxrss_mb"] if floor else None
        same = trajectory_ok(row["trajectory"], reference["trajectory"]) if reference else None
        row["trajectory_ok"] = same


def _fmt(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def print_table(records: list[dict[str, Any]], args: argparse.Namespace) -> None:
    versions = {r["version"] for rec in records for r in rec["rows"] if "version" in r}
    cores = {r["openblas_core"] for rec in records for r in rec["rows"] if r.get("openblas_core")}
    print(
        f"device {args.device}, {args.threads} threads, size {args.size}, "
        f"conv {args.conv_impl}, "
        f"{args.rounds} round(s) x {args.repeat} repeats (median), "
        f"{', '.join(sorted(versions))}, OpenBLAS core {', '.join(sorted(cores)) or '?'}"
    )
    for rec in records:
        per_op = SPECS[rec["workload"]].per_op
        rate = "us/op" if per_op else "steps/s"
        setting = f"malloc {rec['malloc']}"
        if args.openblas != "inherit":
            setting += f", OPENBLAS_* {rec['openblas']}"
        print(f"\n{rec['title']}  [{setting}]")
        print(
            f"  {'impl':<10} {rate:>9} {'ms/step':>9} {'x numpy':>8} {'x torch':>8} "
            f"{'peak MB':>8} {'mem x np':>8} {'flt/step':>9} {'core':>9}  trajectory"
        )
        for row in rec["rows"]:
            if "error" in row:
                print(f"  {row['impl']:<10} FAILED: {row['error']}")
                continue
            value = row["us_per_op"] if per_op else row["steps_per_s"]
            traj = {True: "same", False: "DIFFERS", None: "-"}[row["trajectory_ok"]]
            if row["impl"] == reference_impl(rec["workload"]):
                traj = "reference"
            print(
                f"  {row['impl']:<10} {value:>9.2f} {row['median_s'] * 1e3:>9.3f} "
                f"{_fmt(row['x_numpy'], '.2f'):>8} {_fmt(row['x_torch'], '.2f'):>8} "
                f"{row['maxrss_mb']:>8.1f} {_fmt(row['mem_x_numpy'], '.2f'):>8} "
                f"{row['minflt_per_step']:>9.0f} {row['openblas_core'] or '-':>9}  {traj}"
            )


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument(
        "--workload", action="append", choices=sorted(SPECS),
        help="repeat to pick several (default: all)",
    )  # fmt: skip
    p.add_argument("--device", default="cpu", help="cpu, cuda[:i] or strict:N (nanotorch side)")
    p.add_argument("--repeat", type=int, default=7, help="timed repeats per subprocess")
    p.add_argument("--rounds", type=int, default=1, help="subprocesses per implementation")
    p.add_argument("--warmup", type=int, default=3, help="untimed steps after the check steps")
    p.add_argument("--min-time", type=float, default=0.2, help="seconds per timed repeat")
    p.add_argument("--check-steps", type=int, default=3, help="steps whose losses are compared")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--size", choices=("full", "tiny"), default="full")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--impl", action="append", choices=IMPL_ORDER, help="default: all")
    p.add_argument("--malloc", choices=("default", "tuned", "both"), default="both")
    p.add_argument(
        "--openblas", choices=("inherit", "unset", "both"), default="inherit",
        help="unset: drop OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE in the subprocesses",
    )  # fmt: skip
    p.add_argument(
        "--conv-impl", choices=("portable", "auto"), default="auto",
        help="nanotorch's W4 convolutions and pools: auto (the library's default, the "
        "backend's fast paths) or portable (standard ops only)",
    )  # fmt: skip
    p.add_argument("--torch-python", help="an interpreter with PyTorch and NumPy")
    p.add_argument("--json", help="also write all results here")
    args = p.parse_args(argv)
    args.workload = args.workload or list(SPECS)
    args.impl = args.impl or list(IMPL_ORDER)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    records = run_all(args)
    print_table(records, args)
    if args.json:
        payload = {"args": {k: v for k, v in vars(args).items()}, "results": records}
        Path(args.json).write_text(json.dumps(payload, indent=2))
    failed = any(
        "error" in r or r.get("trajectory_ok") is False for rec in records for r in rec["rows"]
    )
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
