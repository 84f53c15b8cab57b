"""What the type-promotion check costs per op: ``Function.apply`` and its ``_resolve`` step as
they were at a git revision before promotion, against today's, timed in one process and
interleaved (old, new, old, new...), keeping the minimum of many short rounds (200 of 2,000
calls) so that load from other processes affects both alike.

    uv run python benchmarks/promotion_cost.py 8f46867

The old ``autograd/function.py`` is read with ``git show`` and executed as a module of its own;
it drives today's op classes (``Add``, ``Mul``, ``Div``), so only the dispatch code differs.
discovery/performance.md ("Type promotion") has the figures.
"""

from __future__ import annotations

import subprocess
import sys
import timeit
import types

import nanotorch as nt
from nanotorch.autograd import function as new
from nanotorch.ops.elementwise import Add, Div, Mul

N, ROUNDS = 2_000, 200


def load_old(rev: str) -> types.ModuleType:
    path = f"{rev}:src/nanotorch/autograd/function.py"
    src = subprocess.run(["git", "show", path], capture_output=True, text=True, check=True)
    old = types.ModuleType("old_function")
    exec(compile(src.stdout, "old_function.py", "exec"), old.__dict__)
    old.Tensor = nt.Tensor
    return old


def best_ns(runs: dict) -> dict:
    best = dict.fromkeys(runs, float("inf"))
    for _ in range(ROUNDS):
        for tag, f in runs.items():
            best[tag] = min(best[tag], timeit.timeit(f, number=N) / N * 1e9)
    return best


def main(rev: str) -> None:
    old = load_old(rev)
    old_apply = old.Function.apply.__func__
    a = nt.ones((4,), dtype=nt.float32)
    b = nt.ones((4,), dtype=nt.float32)
    w = nt.ones((4,), dtype=nt.float32, requires_grad=True)
    cases = {
        "a + b": (Add, (a, b)),
        "a * 2.0": (Mul, (a, 2.0)),
        "a / b": (Div, (a, b)),
        "w * b (recorded)": (Mul, (w, b)),
    }
    for name, (cls, inputs) in cases.items():
        resolve = best_ns(
            {
                "old": lambda c=cls, i=inputs: old._resolve(c, i),
                "new": lambda c=cls, i=inputs: new._resolve(c, i),
            }
        )
        apply = best_ns(
            {
                "old": lambda c=cls, i=inputs: old_apply(c, *i),
                "new": lambda c=cls, i=inputs: c.apply(*i),
            }
        )
        for step, t in (("_resolve", resolve), ("apply", apply)):
            print(
                f"{step:8} {name:17} old {t['old']:6.0f} ns  new {t['new']:6.0f} ns  "
                f"delta {t['new'] - t['old']:+5.0f} ns"
            )


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "HEAD")
