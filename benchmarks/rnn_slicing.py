"""How much the two-level slicing of an RNN layer's input projections saves.

``nn.LSTM`` computes x W_ih^T for the whole sequence at once and hands each step its slice;
Note [Slicing the projections] in src/nanotorch/nn/rnn.py explains why it slices in blocks
of about sqrt(T) steps rather than one step at a time. This script times forward + backward
of one LSTM layer both ways (the single-step way by swapping in the plain slicer), on the
same weights and input, and prints the best time of each and their ratio:

    uv run python benchmarks/rnn_slicing.py
    uv run python benchmarks/rnn_slicing.py --steps 128 --hidden 128 --repeat 5
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Iterator

import nanotorch as nt
import nanotorch.nn.rnn as rnn
from nanotorch import nn


def single_step_slices(proj: nt.Tensor, reverse: bool) -> Iterator[tuple[int, nt.Tensor]]:
    steps = range(proj.shape[0])
    for t in reversed(steps) if reverse else steps:
        yield t, proj[t]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=64)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--input", type=int, default=64)
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--repeat", type=int, default=4)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    nt.manual_seed(0)
    model = nn.LSTM(args.input, args.hidden, device=args.device)
    x = nt.randn(args.steps, args.batch, args.input, device=args.device)
    slicers = {"blocks": rnn._time_steps, "single steps": single_step_slices}
    best = dict.fromkeys(slicers, float("inf"))
    try:
        for _ in range(args.repeat):
            for name, slicer in slicers.items():  # interleaved, so load drifts hit both
                rnn._time_steps = slicer
                model.zero_grad()
                start = time.perf_counter()
                model(x)[0].sum().backward()
                best[name] = min(best[name], time.perf_counter() - start)
    finally:
        rnn._time_steps = slicers["blocks"]
    for name, seconds in best.items():
        print(f"{name:>12}: {seconds:.3f} s per forward + backward (best of {args.repeat})")
    print(f"single steps / blocks: {best['single steps'] / best['blocks']:.2f}x")


if __name__ == "__main__":
    main()
