"""Specs for ``F.interpolate`` (nanotorch.nn.upsampling).

The reference computes every output element directly from PyTorch's source-coordinate
formulas, in NumPy, one output position at a time (no separable passes, unlike the library):

- nearest:        src = min(floor(dst * scale), in - 1)
- nearest-exact:  src = min(floor(max(scale * (dst + 0.5) - 0.5, 0) + 0.5), in - 1)
- linear family:  src = scale * dst (align_corners) or max(scale * (dst + 0.5) - 0.5, 0);
                  the two neighbours floor(src) and floor(src) + 1 (clamped), weighted by
                  the distance
- bicubic:        the same src without the clamp at 0; four neighbours floor(src) - 1 ..
                  floor(src) + 2 clamped to the border, weighted by Keys' cubic convolution
                  kernel with A = -0.75
- area:           the mean over PyTorch's adaptive-pooling bins

where scale is 1 / scale_factor when a scale factor is given (and not recomputed), in / out
otherwise, and (in - 1) / (out - 1) with align_corners (0 when out == 1), stored in the input's
float type as PyTorch stores it. A dim whose size does not change is copied (linear modes), as
PyTorch's kernels do.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from nanotorch.testing import Case, OpSpec
from specs import randn

A = -0.75


def _keys(x):
    x = abs(x)
    if x <= 1:
        return ((A + 2) * x - (A + 3)) * x * x + 1
    if x < 2:
        return ((A * x - 5 * A) * x + 8 * A) * x - 4 * A
    return 0.0


def _sizes_and_scales(x, size, scale_factor, recompute_scale_factor):
    spatial = x.shape[2:]
    k = len(spatial)
    if size is not None:
        out = list(size) if isinstance(size, (tuple, list)) else [size] * k
        return out, [None] * k
    sf = list(scale_factor) if isinstance(scale_factor, (tuple, list)) else [scale_factor] * k
    out = [math.floor(n * s) for n, s in zip(spatial, sf)]
    return out, ([None] * k if recompute_scale_factor else sf)


def _taps(dst, n, m, mode, align_corners, s, ft):
    """[(source index, weight)] of output position ``dst`` along one dim, with PyTorch's
    roundings: the scale and the source coordinate are stored in the input's float type
    ``ft``, and floor is taken in float32 (``floorf``)."""
    if mode == "linear" and m == n:
        return [(dst, 1.0)]  # PyTorch copies a dim whose size does not change
    if align_corners and mode not in ("nearest", "nearest-exact"):
        scale = ft(n - 1) / ft(m - 1) if m > 1 else ft(0)
    elif m > 1:
        scale = ft(1.0 / s) if s is not None else ft(n) / ft(m)
    else:
        scale = ft(0)
    if mode == "nearest":
        src = np.floor(np.float32(ft(ft(dst) * scale)))
        return [(min(int(src), n - 1), 1.0)]
    if align_corners:
        real = ft(float(scale) * dst)
    else:
        real = ft(float(scale) * (dst + 0.5) - 0.5)
        if mode != "bicubic" and real < 0:
            real = ft(0)
    if mode == "nearest-exact":
        return [(min(int(np.floor(np.float32(float(real) + 0.5))), n - 1), 1.0)]
    i = min(int(np.floor(np.float32(real))), n - 1)
    t = min(max(float(real) - i, 0.0), 1.0)
    if mode == "linear":
        return [(i, 1.0 - t), (min(i + 1, n - 1), t)]
    return [(min(max(i + k, 0), n - 1), _keys(t - k)) for k in (-1, 0, 1, 2)]


def ref_interpolate(
    x,
    size=None,
    scale_factor=None,
    mode="nearest",
    align_corners=None,
    recompute_scale_factor=None,
    antialias=False,
):
    out_sizes, scales = _sizes_and_scales(x, size, scale_factor, recompute_scale_factor)
    spatial = x.shape[2:]
    out = np.zeros(x.shape[:2] + tuple(out_sizes))
    if mode == "area":
        for pos in itertools.product(*(range(m) for m in out_sizes)):
            bins = tuple(
                slice((p * n) // m, -(-((p + 1) * n) // m))
                for p, n, m in zip(pos, spatial, out_sizes)
            )
            out[(..., *pos)] = x[(..., *bins)].mean(axis=tuple(range(2, x.ndim)))
        return out
    kind = {"bilinear": "linear", "trilinear": "linear"}.get(mode, mode)
    ft = x.dtype.type
    for pos in itertools.product(*(range(m) for m in out_sizes)):
        taps = [
            _taps(p, n, m, kind, bool(align_corners), s, ft)
            for p, n, m, s in zip(pos, spatial, out_sizes, scales)
        ]
        total = 0.0
        for combo in itertools.product(*taps):
            w = np.prod([wt for _, wt in combo])
            total = total + w * x[(..., *(i for i, _ in combo))]
        out[(..., *pos)] = total
    return out


def _cases():
    cases = []
    for mode, dims in (
        ("nearest", (1, 2, 3)),
        ("nearest-exact", (1, 2, 3)),
        ("linear", (1,)),
        ("bilinear", (2,)),
        ("trilinear", (3,)),
        ("bicubic", (2,)),
        ("area", (1, 2)),
    ):
        ac = (False, True) if mode in ("linear", "bilinear", "trilinear", "bicubic") else (None,)
        for d in dims:
            shape = {1: (2, 3, 5), 2: (1, 2, 4, 5), 3: (1, 1, 3, 4, 2)}[d]
            up = {1: 8, 2: (7, 3), 3: (5, 2, 4)}[d]
            for a in ac:
                tag = f"{mode}-{d}d" + ("" if a is None else f"-ac{int(a)}")
                cases.append(
                    (
                        mode,
                        Case(randn(*shape), size=up, mode=mode, align_corners=a, id=f"{tag}-size"),
                    )
                )
    return cases


_MODE_CASES = _cases()

EXTRA = [
    Case(randn(1, 2, 5, 6), scale_factor=2, mode="nearest", id="nearest-x2"),
    Case(randn(1, 2, 6, 7), scale_factor=0.5, mode="nearest", id="nearest-down"),
    Case(randn(1, 1, 5, 7), scale_factor=(1.7, 0.6), mode="nearest", id="nearest-float-sf"),
    Case(randn(1, 1, 5, 7), scale_factor=(1.7, 0.6), mode="nearest-exact", id="exact-float-sf"),
    Case(
        randn(1, 1, 5, 7),
        scale_factor=1.7,
        mode="nearest",
        recompute_scale_factor=True,
        id="nearest-recompute",
    ),
    Case(randn(2, 2, 4, 4), scale_factor=2.5, mode="bilinear", id="bilinear-sf"),
    Case(
        randn(2, 2, 4, 4),
        scale_factor=2.5,
        mode="bilinear",
        recompute_scale_factor=True,
        id="bilinear-recompute",
    ),
    Case(randn(1, 2, 7, 6), size=(3, 4), mode="bilinear", id="bilinear-down"),
    Case(randn(1, 1, 7, 6), size=(3, 4), mode="bicubic", id="bicubic-down"),
    Case(
        randn(1, 1, 5, 6),
        scale_factor=(1.5, 0.7),
        mode="bicubic",
        align_corners=True,
        id="bicubic-sf-ac",
    ),
    Case(randn(1, 2, 4, 5), size=(1, 1), mode="bilinear", align_corners=True, id="to-1x1-ac"),
    Case(randn(1, 2, 4, 5), size=(4, 9), mode="bicubic", id="bicubic-one-dim-same"),
    Case(randn(1, 2, 4, 5), size=(4, 5), mode="bicubic", id="bicubic-same-size"),
    Case(randn(1, 3, 4), size=4, mode="linear", id="linear-same-size"),
    Case(randn(0, 2, 3), size=5, mode="linear", id="linear-empty-batch"),
    Case(
        randn(3, 2, 5, 4), size=(6, 7), mode="bilinear", transposed=(0,), id="bilinear-transposed"
    ),
    Case(randn(1, 2, 7, 6), size=(3, 2), mode="area", id="area-down"),
]

SPECS = [
    OpSpec("interpolate", ref_interpolate, [c for _, c in _MODE_CASES] + EXTRA, atol=1e-5),
]

# Second order through the weighted gathers.
SPECS += [
    OpSpec(
        "interpolate",
        ref_interpolate,
        [Case(randn(1, 1, 3, 3), size=(4, 5), mode="bicubic", id="gradgrad-bicubic")],
        gradgrad=True,
    )
]

# PyTorch's older fixed-mode names.
SPECS += [
    OpSpec(
        "upsample_nearest",
        lambda x, size=None, scale_factor=None: ref_interpolate(x, size, scale_factor),
        [
            Case(randn(1, 2, 3, 4), scale_factor=2, id="x2"),
            Case(randn(2, 3, 5), size=7, id="1d-size"),
        ],
    ),
    OpSpec(
        "upsample_bilinear",
        lambda x, size=None, scale_factor=None: ref_interpolate(
            x, size, scale_factor, mode="bilinear", align_corners=True
        ),
        [
            Case(randn(1, 2, 3, 4), scale_factor=2, id="x2"),
            Case(randn(2, 1, 3, 3), size=(4, 5), id="size"),
        ],
    ),
]
