"""Train W5's GPT in nanotorch and in PyTorch side by side and compare the two loss curves.

    uv run python benchmarks/gpt_vs_torch.py [--steps 200] [--steps64 60] [--size full]
                                             [--last 50] [--plot PATH]

Both start from the same weights (a nanotorch ``GPT``'s, exported as arrays:
``workloads.make_data``) and see the same batches (``workloads.gpt_batches``), and both take
the shakespeare-gpt scenario's step (AdamW, decay on matrices, clipping). Both libraries
run in this one process, one step of each in turn.

- float64 (``--steps64`` steps): the two computations differ only in summation order, so
  the curves must agree to rounding: the script reports the largest relative difference
  per step (it should stay far below 1e-6).
- float32 (``--steps`` steps): rounding differences of 1e-7 grow as training amplifies
  them, so the curves agree statistically, not step by step. Over the last ``--last``
  steps the script compares the mean absolute difference of the two curves with the
  loss's own batch-to-batch noise (the standard deviation of its step-to-step changes),
  and the two curves' means with their standard error.

Needs PyTorch in the same interpreter (``bash scripts/install_torch_cpu.sh``). Not a test:
tests/unit/test_benchmarks_smoke.py checks the float64 agreement at a tiny size.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from workloads import SPECS, gpt_batches, make_data  # noqa: E402


def train(size: str, dtype: str, steps: int, seed: int) -> tuple[np.ndarray, np.ndarray, dict]:
    """Loss per step of nanotorch and of PyTorch, and the process CPU seconds each took."""
    from workloads import nanotorch_impl, torch_impl

    p = SPECS["gpt"].sizes[size]
    data = make_data("gpt", size, seed)
    runners = {
        "nanotorch": nanotorch_impl.build("gpt", size, data, "cpu", dtype=dtype),
        "torch": torch_impl.build("gpt", size, data, "cpu", dtype=dtype),
    }
    xs, ys = gpt_batches(steps, p["batch"], p["block"], seed)
    losses = {name: [] for name in runners}
    seconds = dict.fromkeys(runners, 0.0)
    for x, y in zip(xs, ys):
        for name, runner in runners.items():
            runner.load_batch(x, y)
            start = time.process_time()
            loss = runner.step()
            seconds[name] += time.process_time() - start
            losses[name].append(runner.check_values(loss)[0])
    return np.array(losses["nanotorch"]), np.array(losses["torch"]), seconds


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--steps", type=int, default=200, help="float32 steps")
    ap.add_argument("--steps64", type=int, default=60, help="float64 steps")
    ap.add_argument("--size", choices=("full", "tiny"), default="full")
    ap.add_argument("--last", type=int, default=50, help="float32: compare the last K steps")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1, help="torch.set_num_threads")
    ap.add_argument("--plot", help="draw both curves of both dtypes into this PNG")
    args = ap.parse_args(argv)

    import torch

    torch.set_num_threads(args.threads)
    ok = True

    a64, b64, s64 = train(args.size, "float64", args.steps64, args.seed)
    rel = np.abs(a64 - b64) / np.abs(b64)
    print(
        f"float64, {args.steps64} steps: loss {b64[0]:.4f} -> {b64[-1]:.4f}; largest relative "
        f"difference per step {rel.max():.2e} (step {int(rel.argmax())}), "
        f"median {np.median(rel):.2e}"
    )
    ok &= bool(rel.max() < 1e-6)

    a32, b32, s32 = train(args.size, "float32", args.steps, args.seed)
    k = min(args.last, args.steps)
    ta, tb = a32[-k:], b32[-k:]
    noise = float(np.std(np.diff(tb)) / np.sqrt(2))  # one step's batch-to-batch noise
    mean_abs = float(np.mean(np.abs(ta - tb)))
    stderr = float(np.sqrt((np.var(ta) + np.var(tb)) / k))
    print(
        f"float32, {args.steps} steps: loss {b32[0]:.4f} -> {b32[-1]:.4f}; over the last {k}: "
        f"mean |nanotorch - torch| {mean_abs:.4f} vs the loss's step noise {noise:.4f}; means "
        f"{ta.mean():.4f} vs {tb.mean():.4f} (difference {abs(ta.mean() - tb.mean()):.4f}, "
        f"standard error {stderr:.4f})"
    )
    ok &= mean_abs < noise and abs(ta.mean() - tb.mean()) < 3 * stderr
    print(
        f"process CPU per step (float32): nanotorch {s32['nanotorch'] / args.steps * 1e3:.1f} ms, "
        f"torch {s32['torch'] / args.steps * 1e3:.1f} ms; (float64): nanotorch "
        f"{s64['nanotorch'] / args.steps64 * 1e3:.1f} ms, torch "
        f"{s64['torch'] / args.steps64 * 1e3:.1f} ms"
    )

    if args.plot:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
        for ax, a, b, title in (
            (left, a32, b32, "float32"),
            (right, a64, b64, "float64"),
        ):
            ax.plot(b, label="PyTorch", lw=2.5, alpha=0.6)
            ax.plot(a, label="nanotorch", lw=1)
            ax.set(title=f"W5 GPT, {title}", xlabel="step", ylabel="training loss (nats)")
            ax.legend()
        fig.tight_layout()
        fig.savefig(args.plot, dpi=100)
        print(f"wrote {args.plot}")
    print("agree" if ok else "DIFFER")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
