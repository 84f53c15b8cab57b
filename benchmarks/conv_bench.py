"""Convolution speed and memory: nanotorch's portable and fast im2col paths against a plain
NumPy im2col written here and PyTorch (when an interpreter with it is at hand).

    uv run python benchmarks/conv_bench.py [--repeat N] [--torch-python PATH]
    uv run python benchmarks/conv_bench.py --formulations [--repeat N]

Times conv2d forward + backward (gradients for input, weight and bias) on:
- LeNet's two convolutions at batch 64: 1->6 channels 5x5 on 28x28, 6->16 5x5 on 12x12;
- a 64->64 channel 3x3 convolution (padding 1) on 32x32 at batch 32.
Prints the best of ``--repeat`` runs in milliseconds (after a warm-up, the implementations
taking turns so that background load and allocator state weigh on each alike; the best
rather than the median because this machine is shared and interference only adds) and each
time's ratio to the NumPy reference, all from one run on this machine; PyTorch runs in a
subprocess with ``--threads`` threads. Then, in a fresh subprocess per
implementation, the peak resident memory (``ru_maxrss``) of LeNet training steps at batch 64,
next to the same process's peak before the first step (imports and data).

``--formulations`` instead compares, in plain NumPy on stride-1 3x3 "same" convolutions
(W4's two layers and common others at batch 32/64/128), the ways to compute each of a
convolution's three products: the forward, the weight gradient and the input gradient. This
table is where the rule in discovery/convolution.md ("Choosing a formulation") comes from.
Run it with the allocator thresholds raised (benchmarks/README.md, ``--malloc``) to compare
the arithmetic without page faults.

This is a script that prints a table, not a test: speed and memory goals live here, never in
timed tests (instructions/working-agreements.md).
"""

from __future__ import annotations

import argparse
import functools
import importlib.util
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

CASES = [
    # name, x shape, weight shape, padding
    ("W4 c1 64x1x28x28 k3", (64, 1, 28, 28), (8, 1, 3, 3), 1),
    ("W4 c2 64x8x14x14 k3", (64, 8, 14, 14), (16, 8, 3, 3), 1),
    ("lenet c1 64x1x28x28 k5", (64, 1, 28, 28), (6, 1, 5, 5), 0),
    ("lenet c2 64x6x12x12 k5", (64, 6, 12, 12), (16, 6, 5, 5), 0),
    ("64ch 3x3 32x64x32x32", (32, 64, 32, 32), (64, 64, 3, 3), 1),
]


# ---------------------------------------------------------------------------- NumPy reference
def numpy_conv_step(x: np.ndarray, w: np.ndarray, b: np.ndarray, pad: int, g: np.ndarray):
    """Forward and backward of a stride-1 conv2d in plain NumPy, the same im2col algorithm
    without a framework around it: windows from sliding_window_view copied into columns
    (N, C*kH*kW, OH*OW), a batched matmul each way, and col2im by adding each kernel
    position's slice into a padded buffer."""
    n, c, h, wd = x.shape
    o, _, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    win = np.lib.stride_tricks.sliding_window_view(xp, (kh, kw), axis=(2, 3))
    oh, ow = win.shape[2:4]
    cols = win.transpose(0, 1, 4, 5, 2, 3).reshape(n, c * kh * kw, oh * ow)
    wm = w.reshape(o, -1)
    out = (wm @ cols).reshape(n, o, oh, ow) + b[:, None, None]
    g3 = g.reshape(n, o, oh * ow)
    dw = (g3 @ cols.transpose(0, 2, 1)).sum(0).reshape(w.shape)
    db = g.sum((0, 2, 3))
    dcols = (wm.T @ g3).reshape(n, c, kh, kw, oh, ow)
    dxp = np.zeros_like(xp)
    for i in range(kh):
        for j in range(kw):
            dxp[:, :, i : i + oh, j : j + ow] += dcols[:, :, i, j]
    dx = dxp[:, :, pad : pad + h, pad : pad + wd]
    return out, dx, dw, db


# ---------------------------------------------------------------------------- timing
def interleaved_best_ms(fns: list[Callable[[], object]], repeat: int) -> list[float]:
    """Best time of each function, measured round-robin after one warm-up round: the
    allocator's state (glibc's adaptive mmap threshold decides whether a large temporary
    costs page faults) and any background load then weigh on every implementation alike."""
    for fn in fns:
        fn()
    times: list[list[float]] = [[] for _ in fns]
    for _ in range(repeat):
        for fn, bucket in zip(fns, times):
            t0 = time.perf_counter()
            fn()
            bucket.append((time.perf_counter() - t0) * 1e3)
    return [min(t) for t in times]


def make_arrays(x_shape, w_shape, seed: int = 0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(x_shape, dtype=np.float32)
    w = rng.standard_normal(w_shape, dtype=np.float32) * 0.1
    b = rng.standard_normal(w_shape[0], dtype=np.float32)
    return x, w, b


def nanotorch_step(x, w, b, pad, g, impl: str) -> Callable[[], np.ndarray]:
    """conv2d forward + backward in nanotorch with the given im2col path; returns dx."""
    import nanotorch as nt
    from nanotorch.ops.conv import set_conv_impl

    xt = nt.tensor(x, requires_grad=True)
    wt = nt.tensor(w, requires_grad=True)
    bt = nt.tensor(b, requires_grad=True)
    gt = nt.tensor(g)

    def step() -> np.ndarray:
        for t in (xt, wt, bt):
            t.grad = None
        with set_conv_impl(impl):
            out = nt.conv2d(xt, wt, bt, padding=pad)
            out.backward(gt)
        return xt.grad.numpy()

    return step


TORCH_SNIPPET = r"""
import json, sys, time
import numpy as np, torch
torch.set_num_threads({threads})
x_shape, w_shape, pad, repeat = {x_shape}, {w_shape}, {pad}, {repeat}
rng = np.random.default_rng(0)
x = torch.tensor(rng.standard_normal(x_shape, dtype=np.float32), requires_grad=True)
w = torch.tensor(rng.standard_normal(w_shape, dtype=np.float32) * 0.1, requires_grad=True)
b = torch.tensor(rng.standard_normal(w_shape[0], dtype=np.float32), requires_grad=True)
g = None
def step():
    global g
    for t in (x, w, b):
        t.grad = None
    out = torch.nn.functional.conv2d(x, w, b, padding=pad)
    if g is None:
        g = torch.ones_like(out)
    out.backward(g)
step()
times = []
for _ in range(repeat):
    t0 = time.perf_counter(); step(); times.append((time.perf_counter() - t0) * 1e3)
print(json.dumps(min(times)))
"""


def torch_python(requested: str | None) -> str | None:
    if requested:
        return requested
    return sys.executable if importlib.util.find_spec("torch") is not None else None


def time_torch(python: str, x_shape, w_shape, pad: int, repeat: int, threads: int) -> float:
    code = TORCH_SNIPPET.format(
        x_shape=x_shape, w_shape=w_shape, pad=pad, repeat=repeat, threads=threads
    )
    res = subprocess.run([python, "-c", code], capture_output=True, text=True, check=True)
    return float(res.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------------------- formulations
# (N, C_in, C_out, H = W) of stride-1 3x3 convolutions with padding 1.
FORMULATION_SHAPES = [
    (64, 1, 8, 28),
    (64, 8, 16, 14),
    *((n, 3, 16, 32) for n in (32, 64, 128)),
    *((n, 16, 32, 16) for n in (32, 64, 128)),
    *((n, 64, 64, 8) for n in (32, 64, 128)),
]


def _im2col(xpad: np.ndarray, k: int, h: int, channel_major: bool = False) -> np.ndarray:
    """Columns of a padded image: (N, C*k*k, H*W), or (C*k*k, N*H*W) channel-major."""
    n, c = xpad.shape[:2]
    s = xpad.strides
    if channel_major:
        shape, strides = (c, k, k, n, h, h), (s[1], s[2], s[3], s[0], s[2], s[3])
        v = np.lib.stride_tricks.as_strided(xpad, shape, strides)
        return np.array(v, order="C").reshape(c * k * k, n * h * h)
    shape, strides = (n, c, k, k, h, h), (s[0], s[1], s[2], s[3], s[2], s[3])
    v = np.lib.stride_tricks.as_strided(xpad, shape, strides)
    return np.array(v, order="C").reshape(n, c * k * k, h * h)


def _col2im(gc: np.ndarray, n: int, c: int, k: int, h: int) -> np.ndarray:
    """Add (N, C, k, k, H, W) columns back into a padded image and crop it."""
    buf = np.zeros((n, c, h + k - 1, h + k - 1), np.float32)
    for i in range(k):
        for j in range(k):
            buf[:, :, i : i + h, j : j + h] += gc[:, :, i, j]
    p = k // 2
    return buf[:, :, p : p + h, p : p + h]


def formulations(n: int, c: int, o: int, h: int, seed: int = 0):
    """{product: {formulation: fn}} for one shape; each fn returns its result so that the
    formulations can be checked against each other before they are timed. The "library"
    rows use NumpyBackend's own hooks (scratch columns, shifted rows), as conv2d does."""
    import nanotorch as nt
    from nanotorch.backend import get_backend

    backend = get_backend(nt.device("cpu"))
    k, p = 3, 1
    pads, kern, one = ((p, p), (p, p)), (k, k), (1, 1)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, c, h, h), dtype=np.float32)
    w = rng.standard_normal((o, c, k, k), dtype=np.float32)
    g = rng.standard_normal((n, o, h, h), dtype=np.float32)
    xpad = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    gpad = np.pad(g, ((0, 0), (0, 0), (p, p), (p, p)))
    wm, g3 = w.reshape(o, -1), g.reshape(n, o, h * h)
    wflip = np.ascontiguousarray(w[:, :, ::-1, ::-1].transpose(1, 0, 2, 3)).reshape(c, -1)

    def lib_cols(img: np.ndarray, ch: int) -> np.ndarray:
        return backend.conv_columns(img, pads, kern, one, one, (h, h)).reshape(n, ch * k * k, -1)

    def shifted(img, taps, out_c, spec):
        out = None
        for i in range(k):
            for j in range(k):
                t = np.einsum(spec, taps(i, j), img[:, :, i : i + h, j : j + h])
                out = t if out is None else out + t
        return out.reshape(n, out_c, h, h)

    def lib_col2im() -> np.ndarray:
        gc = backend.matmul(wm.T, g3).reshape(n, c, k * k, h, h)
        return backend.conv_col2im(gc, pads, kern, one, one, (h, h))

    forward = {
        # the library's path: columns (N, C*9, H*W), one batched matmul, NCHW out directly
        "library im2col+bmm": lambda: (wm @ lib_cols(x, c)).reshape(n, o, h, h),
        # one large GEMM on channel-major columns, then a transposing copy to NCHW
        "im2col+gemm": lambda: np.ascontiguousarray(
            (wm @ _im2col(xpad, k, h, True)).reshape(o, n, h, h).transpose(1, 0, 2, 3)
        ),
        # no columns: nine (O, C) x (N, C, H, W) products of shifted slices, summed
        "shifted-sum": lambda: shifted(xpad, lambda i, j: w[:, :, i, j], o, "oc,nchw->nohw"),
    }
    weight = {
        "library im2col+bmm": lambda: (g3 @ lib_cols(x, c).transpose(0, 2, 1)).sum(0),
        "im2col+tensordot": lambda: np.tensordot(g3, _im2col(xpad, k, h), ([0, 2], [0, 2])),
        "im2col+gemm": lambda: g3.transpose(1, 0, 2).reshape(o, -1) @ _im2col(xpad, k, h, True).T,
    }
    inputs = {
        # W^T @ g into scratch, then col2im by shifted rows
        "library bmm+col2im": lib_col2im,
        # the input gradient as a "full" correlation of g with the flipped kernel
        "library im2col(g)+bmm": lambda: (wflip @ lib_cols(g, o)).reshape(n, c, h, h),
        "plain bmm+col2im": lambda: _col2im((wm.T @ g3).reshape(n, c, k, k, h, h), n, c, k, h),
        "shifted-sum": lambda: shifted(
            gpad, lambda i, j: wflip.reshape(c, o, k, k)[:, :, i, j], c, "co,nohw->nchw"
        ),
    }
    return {"forward": forward, "dW": weight, "dX": inputs}


def print_formulations(repeat: int) -> None:
    print(f"stride-1 3x3 conv, padding 1, float32, NumPy; best of {repeat} (ms), the")
    print("fastest formulation of each product marked *")
    for n, c, o, h in FORMULATION_SHAPES:
        parts = []
        for product, fns in formulations(n, c, o, h).items():
            names = list(fns)
            ref = fns[names[0]]().reshape(-1)
            for name in names[1:]:  # every formulation computes the same thing
                other = fns[name]().reshape(-1)
                scale = float(np.abs(ref).max()) + 1.0
                np.testing.assert_allclose(other, ref, rtol=1e-3, atol=1e-4 * scale)
            ms = interleaved_best_ms([fns[m] for m in names], repeat)
            fastest = min(range(len(ms)), key=ms.__getitem__)
            cells = [f"{m} {t:.2f}{'*' if i == fastest else ''}" for i, (m, t) in
                     enumerate(zip(names, ms))]  # fmt: skip
            parts.append(f"{product}: " + ", ".join(cells))
        print(f"N={n:<3} {c:>2}->{o:<2} {h}x{h}  " + " | ".join(parts), flush=True)


# ---------------------------------------------------------------------------- memory
def lenet_memory_child(impl: str, steps: int = 3) -> None:
    """Run in a subprocess: peak RSS before and after LeNet training steps at batch 64."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 1, 28, 28), dtype=np.float32)
    y = rng.integers(0, 10, 64)
    if impl == "torch":
        import torch

        torch.set_num_threads(2)
        nn = torch.nn
        model = nn.Sequential(
            nn.Conv2d(1, 6, 5),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(6, 16, 5),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Linear(256, 120),
            nn.ReLU(),
            nn.Linear(120, 84),
            nn.ReLU(),
            nn.Linear(84, 10),
        )
        xt, yt = torch.tensor(x), torch.tensor(y)
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        for _ in range(steps):
            model.zero_grad()
            torch.nn.functional.cross_entropy(model(xt), yt).backward()
            with torch.no_grad():
                for p in model.parameters():
                    p.sub_(0.01 * p.grad)
    else:
        import nanotorch as nt
        from nanotorch import nn
        from nanotorch.ops.conv import set_conv_impl

        model = nn.Sequential(
            nn.Conv2d(1, 6, 5),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(6, 16, 5),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Linear(256, 120),
            nn.ReLU(),
            nn.Linear(120, 84),
            nn.ReLU(),
            nn.Linear(84, 10),
        )
        xt = nt.tensor(x)
        target = nt.one_hot(nt.tensor(y), 10).float()
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        with set_conv_impl(impl):
            for _ in range(steps):
                for p in model.parameters():
                    p.grad = None
                loss = -(nt.log_softmax(model(xt), dim=1) * target).sum(dim=1).mean()
                loss.backward()
                with nt.no_grad():
                    for p in model.parameters():
                        p.sub_(0.01 * p.grad)
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(before, after)


def measure_memory(impl: str, python: str) -> tuple[float, float]:
    res = subprocess.run(
        [python, str(Path(__file__).resolve()), "--memory-child", impl],
        capture_output=True,
        text=True,
        check=True,
    )
    before, after = (int(v) for v in res.stdout.split())
    return before / 1024, after / 1024  # ru_maxrss is in KiB on Linux


# ---------------------------------------------------------------------------- main
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--torch-python", help="an interpreter with PyTorch and NumPy")
    parser.add_argument("--threads", type=int, default=2, help="PyTorch's thread count")
    parser.add_argument("--memory-child", help=argparse.SUPPRESS)
    parser.add_argument(
        "--formulations", action="store_true", help="compare conv formulations per shape"
    )
    args = parser.parse_args()
    if args.memory_child:
        lenet_memory_child(args.memory_child)
        return
    if args.formulations:
        print_formulations(args.repeat)
        return

    tp = torch_python(args.torch_python)
    # Memory first: on Linux a child's ru_maxrss starts from the parent's resident size at
    # the fork, so the children must be started while this process is still small.
    lines = ["LeNet training, batch 64, peak RSS (MiB): before the first step -> after 3 steps"]
    for impl in ["portable", "auto"] + (["torch"] if tp else []):
        python = tp if impl == "torch" else sys.executable
        before, after = measure_memory(impl, python)
        lines.append(f"  {impl:<10} {before:8.1f} -> {after:8.1f}   (+{after - before:.1f})")
    memory_table = "\n".join(lines)

    cols = ["numpy im2col", "nt portable", "nt auto (fast)"] + (["torch"] if tp else [])
    print(f"conv2d forward + backward, best of {args.repeat} (ms; x = ratio to numpy im2col)")
    print(f"{'layer':<26}" + "".join(f"{c:>22}" for c in cols))
    for name, x_shape, w_shape, pad in CASES:
        x, w, b = make_arrays(x_shape, w_shape)
        oh, ow = x_shape[2] + 2 * pad - w_shape[2] + 1, x_shape[3] + 2 * pad - w_shape[3] + 1
        g = np.ones((x_shape[0], w_shape[0], oh, ow), dtype=np.float32)
        steps = [
            functools.partial(numpy_conv_step, x, w, b, pad, g),
            nanotorch_step(x, w, b, pad, g, "portable"),
            nanotorch_step(x, w, b, pad, g, "auto"),
        ]
        ref_dx = steps[0]()[1]
        for step in steps[1:]:  # the same answer from every implementation
            np.testing.assert_allclose(step(), ref_dx, rtol=1e-3, atol=1e-3)
        row = interleaved_best_ms(steps, args.repeat)
        ref_ms = row[0]
        if tp:
            row.append(time_torch(tp, x_shape, w_shape, pad, args.repeat, args.threads))
        print(f"{name:<26}" + "".join(f"{v:>14.2f} ({v / ref_ms:4.2f}x)" for v in row))
    print()
    print(memory_table)


if __name__ == "__main__":
    main()
