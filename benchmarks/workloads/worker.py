"""One measurement in its own process: ``python -m workloads.worker`` (cwd ``benchmarks/``).

``run.py`` starts one worker per implementation and setting, so each has a fresh heap, its
own thread-pool and allocator environment, and its own peak resident memory. The worker
loads the shared arrays, records the check values of the first steps (the loss trajectory,
which doubles as warm-up), times the step and writes one JSON object to ``--out``.
"""

from __future__ import annotations

import argparse
import ctypes
import importlib
import json
import resource
import time
from typing import Any

import numpy as np

IMPLS = {
    "numpy": "workloads.numpy_floor",
    "nanotorch": "workloads.nanotorch_impl",
    "torch": "workloads.torch_impl",
}


def openblas_corename() -> str | None:
    """The kernel family OpenBLAS picked in this process (``Haswell``, ``SkylakeX``...).

    Read from the loaded library itself, since ``OPENBLAS_CORETYPE`` can force it.
    """
    try:
        with open("/proc/self/maps") as f:
            paths = {line.split()[-1] for line in f if "openblas" in line and ".so" in line}
    except OSError:
        return None
    for path in sorted(paths):
        lib = ctypes.CDLL(path)
        for symbol in (
            "openblas_get_corename",
            "openblas_get_corename64_",
            "scipy_openblas_get_corename64_",
            "scipy_openblas_get_corename",
        ):
            fn = getattr(lib, symbol, None)
            if fn is not None:
                fn.restype = ctypes.c_char_p
                return fn().decode()
    return None


def peak_rss_kb() -> int:
    """Peak resident memory of this process in KiB.

    ``VmHWM`` rather than ``ru_maxrss``: Linux carries ``ru_maxrss`` across ``exec``, so a
    worker would report the parent's peak (the process that forked it) when that is larger.
    """
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def measure(args: argparse.Namespace) -> dict[str, Any]:
    impl = importlib.import_module(IMPLS[args.impl])
    if hasattr(impl, "set_threads"):
        impl.set_threads(args.threads)
    with np.load(args.data) as npz:
        data = {k: npz[k] for k in npz.files}
    options = {"conv_impl": args.conv_impl} if args.impl == "nanotorch" else {}
    runner = impl.build(args.workload, args.size, data, args.device, **options)
    del data  # each implementation keeps what it needs; the loaded file must not count

    trajectory = [runner.check_values(runner.step()) for _ in range(args.check_steps)]
    start = time.perf_counter()
    for _ in range(args.warmup):
        runner.step()
    runner.sync()
    per_step = (time.perf_counter() - start) / max(args.warmup, 1)
    inner = max(1, round(args.min_time / max(per_step, 1e-9)))

    times = []
    faults_before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(args.repeat):
        runner.sync()
        start = time.perf_counter()
        for _ in range(inner):
            runner.step()
        runner.sync()
        times.append((time.perf_counter() - start) / inner)
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults_before
    return {
        "impl": args.impl,
        "workload": args.workload,
        "size": args.size,
        "device": args.device,
        "trajectory": trajectory,
        "times": times,
        "inner": inner,
        "minflt_per_step": faults / (args.repeat * inner),
        "maxrss_kb": peak_rss_kb(),
        "openblas_core": openblas_corename(),
        "version": impl.version() if hasattr(impl, "version") else f"numpy {np.__version__}",
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--impl", choices=sorted(IMPLS), required=True)
    p.add_argument("--workload", required=True)
    p.add_argument("--size", default="full")
    p.add_argument("--device", default="cpu")
    p.add_argument("--data", required=True, help=".npz written by run.py")
    p.add_argument("--out", required=True, help="where to write the JSON result")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--repeat", type=int, default=7)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--check-steps", type=int, default=3)
    p.add_argument("--min-time", type=float, default=0.2, help="seconds per timed repeat")
    p.add_argument(
        "--conv-impl", default="auto", help="nanotorch: auto (library default) or portable"
    )
    args = p.parse_args()
    result = measure(args)
    with open(args.out, "w") as f:
        json.dump(result, f)


if __name__ == "__main__":
    main()
