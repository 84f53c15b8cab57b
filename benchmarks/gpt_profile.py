"""W5's step in one process: nanotorch against PyTorch in process CPU time, and where
nanotorch's time goes, op by op.

    OPENBLAS_NUM_THREADS=1 uv run python benchmarks/gpt_profile.py [--steps 15] [--ops]

Figures that a machine shared with other jobs disturbs less than run.py's wall-clock
medians: both libraries' steps alternate (nanotorch, torch, nanotorch, ...) on one thread, and
each is timed with ``time.process_time``, with its minor page faults counted. ``--ops``
then wraps every ``Function``'s ``forward`` and ``backward`` and prints, per op, the calls
per step and the process time per step (inclusive: a backward that dispatches ops counts
theirs too). To compare two trees, run it once per tree (``PYTHONPATH=<tree>/src``).
Run the allocator setting of interest through the environment (benchmarks/README.md,
"Allocator settings").
"""

from __future__ import annotations

import argparse
import collections
import resource
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from workloads import make_data  # noqa: E402


def side_by_side(steps: int) -> None:
    import torch
    from workloads import nanotorch_impl, torch_impl

    torch.set_num_threads(1)
    data = make_data("gpt", "full")
    runners = {
        "nanotorch": nanotorch_impl.build("gpt", "full", data, "cpu"),
        "torch": torch_impl.build("gpt", "full", data, "cpu"),
    }
    for _ in range(3):
        for runner in runners.values():
            runner.step()
    times: dict[str, list[float]] = {name: [] for name in runners}
    faults = dict.fromkeys(runners, 0)
    for _ in range(steps):
        for name, runner in runners.items():
            before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
            start = time.process_time()
            runner.step()
            times[name].append(time.process_time() - start)
            faults[name] += resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
    for name, ts in times.items():
        print(
            f"{name:<10} median {statistics.median(ts) * 1e3:7.1f} ms  min {min(ts) * 1e3:7.1f} "
            f"ms  faults/step {faults[name] / steps:6.0f}"
        )
    med = statistics.median(times["nanotorch"]) / statistics.median(times["torch"])
    low = min(times["nanotorch"]) / min(times["torch"])
    print(f"nanotorch / torch: {med:.2f} (medians), {low:.2f} (minima)")


def per_op(steps: int) -> None:
    from workloads import nanotorch_impl

    from nanotorch.autograd.function import Function

    runner = nanotorch_impl.build("gpt", "full", make_data("gpt", "full"), "cpu")
    spent: dict[tuple[str, str], float] = collections.defaultdict(float)
    calls: collections.Counter[tuple[str, str]] = collections.Counter()

    def wrap(cls: type, method: str) -> None:
        inner = cls.__dict__[method].__func__
        key = (cls.__name__, method)

        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.process_time()
            try:
                return inner(*args, **kwargs)
            finally:
                spent[key] += time.process_time() - start
                calls[key] += 1

        setattr(cls, method, staticmethod(timed))

    def subclasses(cls: type) -> set[type]:
        found = set(cls.__subclasses__())
        for sub in list(found):
            found |= subclasses(sub)
        return found

    for cls in subclasses(Function):
        for method in ("forward", "backward"):
            if isinstance(cls.__dict__.get(method), staticmethod):
                wrap(cls, method)
    for _ in range(3):
        runner.step()
    spent.clear()
    calls.clear()
    start = time.process_time()
    for _ in range(steps):
        runner.step()
    total = (time.process_time() - start) / steps
    print(f"\nnanotorch step {total * 1e3:.1f} ms (process time, ops wrapped); per step:")
    print(f"  {'op':>24} {'method':>8} {'calls':>6} {'ms':>7}")
    for key, seconds in sorted(spent.items(), key=lambda kv: -kv[1]):
        if seconds / steps >= 1e-4:
            print(
                f"  {key[0]:>24} {key[1]:>8} {calls[key] / steps:6.0f} {seconds / steps * 1e3:7.2f}"
            )
    dispatches = sum(n for (_, method), n in calls.items() if method == "forward") / steps
    print(f"  ops dispatched per step: {dispatches:.0f}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--steps", type=int, default=15)
    ap.add_argument("--ops", action="store_true", help="also time every op of nanotorch's step")
    ap.add_argument("--no-torch", action="store_true", help="skip the side-by-side run")
    args = ap.parse_args(argv)
    if not args.no_torch:
        side_by_side(args.steps)
    if args.ops:
        per_op(args.steps)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
