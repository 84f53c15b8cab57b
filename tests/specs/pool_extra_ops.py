"""Specs for the pools and convolution built on pool.py and conv.py (nanotorch.ops.pool_extra,
nanotorch.ops.conv_extra): 1-D pools, adaptive pools, max unpooling, conv3d
and conv_transpose1d.

Like conv_ops.py, each reference is a direct loop over output positions in NumPy float64,
written from the definition; the 1-D pools reuse the 2-D references on an image of height 1
(a definition of those ops, not of their implementation).
"""

from __future__ import annotations

import math

import numpy as np

from nanotorch.testing import Case, OpSpec
from specs import distinct, randn
from specs.conv_ops import ref_avg_pool2d, ref_max_pool2d


def _t(v, n):
    return (v,) * n if isinstance(v, (int, np.integer)) else tuple(v)


def _batched(x, nd):
    return (x[None], True) if x.ndim == nd + 1 else (x, False)


# ---------------------------------------------------------------------------- conv3d
def ref_conv3d(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    x, unbatched = _batched(x, 3)
    s, d = _t(stride, 3), _t(dilation, 3)
    k = w.shape[2:]
    if padding == "same":
        pads = [(dd * (kk - 1) // 2, dd * (kk - 1) - dd * (kk - 1) // 2) for kk, dd in zip(k, d)]
    elif padding == "valid":
        pads = [(0, 0)] * 3
    else:
        pads = [(p, p) for p in _t(padding, 3)]
    xp = np.pad(x, [(0, 0), (0, 0), *pads])
    n_batch, c_in = xp.shape[:2]
    c_out = w.shape[0]
    cg, og = c_in // groups, c_out // groups
    grid = [(xp.shape[2 + i] - d[i] * (k[i] - 1) - 1) // s[i] + 1 for i in range(3)]
    out = np.zeros((n_batch, c_out, *grid))
    for o in range(c_out):
        g = o // og
        for pos in np.ndindex(*grid):
            window = xp[
                :,
                g * cg : (g + 1) * cg,
                pos[0] * s[0] : pos[0] * s[0] + d[0] * (k[0] - 1) + 1 : d[0],
                pos[1] * s[1] : pos[1] * s[1] + d[1] * (k[1] - 1) + 1 : d[1],
                pos[2] * s[2] : pos[2] * s[2] + d[2] * (k[2] - 1) + 1 : d[2],
            ]
            out[(slice(None), o, *pos)] = (window * w[o]).sum(axis=(1, 2, 3, 4)) + (
                0.0 if b is None else b[o]
            )
    return out[0] if unbatched else out


# ---------------------------------------------------------------------------- 1-D pools
def ref_max_pool1d(
    x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False
):
    one = lambda v: (1, _t(v, 1)[0])  # noqa: E731
    out = ref_max_pool2d(
        x[..., None, :],
        one(kernel_size),
        None if stride is None else one(stride),
        (0, _t(padding, 1)[0]),
        one(dilation),
        ceil_mode,
        True,
    )
    vals, idx = out[0][..., 0, :], out[1][..., 0, :]
    return (vals, idx) if return_indices else vals


def ref_avg_pool1d(x, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    one = lambda v: (1, _t(v, 1)[0])  # noqa: E731
    return ref_avg_pool2d(
        x[..., None, :],
        one(kernel_size),
        None if stride is None else one(stride),
        (0, _t(padding, 1)[0]),
        ceil_mode,
        count_include_pad,
    )[..., 0, :]


# ---------------------------------------------------------------------------- adaptive pools
def _bins(n, m):
    return [((i * n) // m, math.ceil((i + 1) * n / m)) for i in range(m)]


def ref_adaptive_avg_pool1d(x, output_size):
    m = _t(output_size, 1)[0]
    return np.stack([x[..., a:b].mean(axis=-1) for a, b in _bins(x.shape[-1], m)], axis=-1)


def ref_adaptive_max_pool2d(x, output_size, return_indices=False):
    h, w = x.shape[-2:]
    size = _t(output_size, 2)
    oh, ow = (h if size[0] is None else size[0]), (w if size[1] is None else size[1])
    vals = np.zeros(x.shape[:-2] + (oh, ow))
    idx = np.zeros(x.shape[:-2] + (oh, ow), dtype=np.int64)
    for lead in np.ndindex(*x.shape[:-2]):
        for i, (r0, r1) in enumerate(_bins(h, oh)):
            for j, (c0, c1) in enumerate(_bins(w, ow)):
                best, where = -np.inf, -1
                for r in range(r0, r1):
                    for c in range(c0, c1):
                        if where < 0 or x[(*lead, r, c)] > best:  # first maximum wins
                            best, where = x[(*lead, r, c)], r * w + c
                vals[(*lead, i, j)], idx[(*lead, i, j)] = best, where
    return (vals, idx) if return_indices else vals


def ref_adaptive_max_pool1d(x, output_size, return_indices=False):
    m = _t(output_size, 1)[0]
    out = ref_adaptive_max_pool2d(x[..., None, :], (1, m), True)
    vals, idx = out[0][..., 0, :], out[1][..., 0, :]
    return (vals, idx) if return_indices else vals


# ---------------------------------------------------------------------------- unpooling
def ref_max_unpool2d(x, indices, kernel_size, stride=None, padding=0, output_size=None):
    k = _t(kernel_size, 2)
    s = k if stride is None else _t(stride, 2)
    p = _t(padding, 2)
    h, w = x.shape[-2:]
    if output_size is None:
        oh, ow = [(n - 1) * ss + kk - 2 * pp for n, ss, kk, pp in zip((h, w), s, k, p)]
    else:
        oh, ow = list(output_size)[-2:]
    out = np.zeros(x.shape[:-2] + (oh * ow,))
    for lead in np.ndindex(*x.shape[:-2]):
        for pos in np.ndindex(h, w):
            out[(*lead, indices[(*lead, *pos)])] = x[(*lead, *pos)]
    return out.reshape(x.shape[:-2] + (oh, ow))


def ref_max_unpool1d(x, indices, kernel_size, stride=None, padding=0, output_size=None):
    k, p = _t(kernel_size, 1)[0], _t(padding, 1)[0]
    s = k if stride is None else _t(stride, 1)[0]
    size = None if output_size is None else (1, list(output_size)[-1])
    return ref_max_unpool2d(x[..., None, :], indices[..., None, :], (1, k), (1, s), (0, p), size)[
        ..., 0, :
    ]


def _pooled(shape, k, s=None):
    """(values, indices) of a max pool over distinct values: a valid unpool input."""
    x = distinct(*shape)
    return ref_max_pool2d(x, k, s, return_indices=True)


_v1, _i1 = _pooled((2, 3, 4, 6), 2)
_v2, _i2 = _pooled((1, 2, 5, 7), (2, 3))
_v3, _i3 = _pooled((2, 4, 4), 2)
_v4, _i4 = _pooled((1, 2, 1, 8), (1, 2))

SPECS = [
    OpSpec(
        "conv3d",
        ref_conv3d,
        [
            Case(randn(1, 2, 3, 4, 3), randn(3, 2, 2, 3, 2), randn(3), id="basic-bias"),
            Case(randn(1, 1, 5, 4, 4), randn(2, 1, 3, 3, 3), stride=2, padding=1, id="s2-p1"),
            Case(randn(1, 2, 3, 5, 3), randn(2, 1, 2, 2, 2), groups=2, dilation=(1, 2, 1), id="g2"),
            Case(randn(1, 2, 4, 4, 4), randn(2, 2, 2, 3, 2), padding="same", id="same"),
            Case(randn(2, 3, 3, 4), randn(2, 2, 2, 2, 2), padding=(1, 0, 1), id="unbatched"),
            Case(randn(0, 2, 3, 3, 3), randn(2, 2, 2, 2, 2), id="empty-batch"),
            Case(randn(2, 2, 3, 4, 3), randn(2, 2, 2, 2, 2), transposed=(0,), id="transposed"),
        ],
    ),
    OpSpec(
        "max_pool1d",
        ref_max_pool1d,
        [
            Case(distinct(2, 3, 8), 2, id="k2"),
            Case(distinct(1, 2, 9), 3, stride=2, padding=1, id="k3-s2-p1"),
            Case(distinct(1, 2, 7), 2, ceil_mode=True, id="ceil"),
            Case(distinct(1, 2, 9), 2, stride=1, dilation=3, id="dilation"),
            Case(distinct(3, 7), 3, stride=2, return_indices=True, id="unbatched-indices"),
            Case(randn(0, 2, 6), 2, id="empty-batch"),
            Case(distinct(6, 2, 3), 2, transposed=(0,), id="transposed"),
        ],
    ),
    OpSpec(
        "avg_pool1d",
        ref_avg_pool1d,
        [
            Case(randn(2, 3, 8), 2, id="k2"),
            Case(randn(1, 2, 9), 3, stride=2, padding=1, id="include-pad"),
            Case(randn(1, 2, 9), 3, 2, 1, count_include_pad=False, id="exclude-pad"),
            Case(randn(1, 2, 6), 3, stride=2, padding=1, ceil_mode=True, id="ceil-pad"),
            Case(randn(3, 7), 2, id="unbatched"),
            Case(randn(0, 2, 6), 2, id="empty-batch"),
            Case(randn(6, 2, 3), 2, transposed=(0,), id="transposed"),
        ],
    ),
    OpSpec(
        "adaptive_avg_pool1d",
        ref_adaptive_avg_pool1d,
        [
            Case(randn(2, 3, 7), 3, id="uneven"),
            Case(randn(1, 2, 6), 2, id="even"),
            Case(randn(2, 5), 1, id="unbatched-global"),
            Case(randn(1, 2, 3), 5, id="upsample"),
            Case(randn(5, 2, 3), (2,), transposed=(0,), id="transposed"),
        ],
    ),
    OpSpec(
        "adaptive_max_pool2d",
        ref_adaptive_max_pool2d,
        [
            Case(distinct(2, 3, 7, 5), (3, 2), id="uneven"),
            Case(distinct(1, 2, 6, 6), 3, return_indices=True, id="even-indices"),
            Case(distinct(1, 2, 5, 4), (None, 3), id="none-keeps"),
            Case(distinct(2, 5, 7), (2, 3), return_indices=True, id="unbatched-indices"),
            Case(distinct(1, 1, 3, 2), (5, 4), id="upsample"),
            Case(distinct(4, 2, 3, 5), 2, transposed=(0,), id="transposed"),
        ],
    ),
    OpSpec(
        "adaptive_max_pool1d",
        ref_adaptive_max_pool1d,
        [
            Case(distinct(2, 3, 7), 3, id="uneven"),
            Case(distinct(2, 5), 2, return_indices=True, id="unbatched-indices"),
        ],
    ),
    OpSpec(
        "max_unpool2d",
        ref_max_unpool2d,
        [
            Case(_v1, _i1, 2, id="k2"),
            Case(_v2, _i2, (2, 3), output_size=(5, 7), id="k2x3-input-size"),
            Case(_v3, _i3, 2, output_size=(5, 5), id="unbatched-output-size"),
            Case(_v1, _i1, 2, stride=2, padding=0, output_size=(2, 3, 5, 7), id="full-size"),
        ],
    ),
    OpSpec(
        "max_unpool1d",
        ref_max_unpool1d,
        [Case(_v4[:, :, 0], _i4[:, :, 0] % 8, 2, id="k2")],
    ),
]


def ref_conv_transpose1d(x, w, b=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """Scatter each input element times the kernel into the output (the definition)."""
    x, unbatched = _batched(x, 1)
    s, p, op, d = stride, padding, output_padding, dilation
    n_batch, c_in, length = x.shape
    cog, k = w.shape[1:]
    cig = c_in // groups
    out_len = (length - 1) * s - 2 * p + d * (k - 1) + op + 1
    full = np.zeros((n_batch, cog * groups, out_len + 2 * p))
    for n in range(n_batch):
        for ci in range(c_in):
            g = ci // cig
            for i in range(length):
                full[n, g * cog : (g + 1) * cog, i * s : i * s + d * (k - 1) + 1 : d] += (
                    x[n, ci, i] * w[ci]
                )
    out = full[:, :, p : p + out_len]
    if b is not None:
        out = out + b[None, :, None]
    return out[0] if unbatched else out


SPECS += [
    OpSpec(
        "conv_transpose1d",
        ref_conv_transpose1d,
        [
            Case(randn(2, 3, 5), randn(3, 2, 3), randn(2), id="basic-bias"),
            Case(randn(1, 2, 4), randn(2, 3, 3), stride=2, padding=1, output_padding=1, id="s2"),
            Case(randn(1, 4, 4), randn(4, 1, 2), groups=2, dilation=2, id="groups-dilation"),
            Case(randn(3, 4), randn(3, 2, 2), id="unbatched"),
            Case(randn(0, 2, 3), randn(2, 3, 2), stride=2, id="empty-batch"),
            Case(randn(4, 3, 2), randn(3, 2, 2), transposed=(0,), id="transposed"),
        ],
    )
]


# ---------------------------------------------------------------------------- 3-D pools
def _pool_len(n, k, s, p, d, ceil_mode):
    span = n + 2 * p - d * (k - 1) - 1
    out = (-(-span // s) if ceil_mode else span // s) + 1
    if ceil_mode and (out - 1) * s >= n + p:
        out -= 1
    return out


def ref_max_pool3d(
    x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False
):
    x, unbatched = _batched(x, 3)
    k = _t(kernel_size, 3)
    s = k if stride is None else _t(stride, 3)
    p, d = _t(padding, 3), _t(dilation, 3)
    size = x.shape[2:]
    grid = [_pool_len(size[i], k[i], s[i], p[i], d[i], ceil_mode) for i in range(3)]
    vals = np.zeros(x.shape[:2] + tuple(grid))
    idx = np.zeros(x.shape[:2] + tuple(grid), dtype=np.int64)
    for lead in np.ndindex(*x.shape[:2]):
        for pos in np.ndindex(*grid):
            best, where = -np.inf, -1
            for off in np.ndindex(*k):  # (d, h, w) order: the first maximum wins ties
                src = [pos[i] * s[i] - p[i] + off[i] * d[i] for i in range(3)]
                if all(0 <= src[i] < size[i] for i in range(3)):
                    v = x[(*lead, *src)]
                    if where < 0 or v > best:
                        best, where = v, (src[0] * size[1] + src[1]) * size[2] + src[2]
            vals[(*lead, *pos)], idx[(*lead, *pos)] = best, where
    if unbatched:
        vals, idx = vals[0], idx[0]
    return (vals, idx) if return_indices else vals


def ref_avg_pool3d(
    x,
    kernel_size,
    stride=None,
    padding=0,
    ceil_mode=False,
    count_include_pad=True,
    divisor_override=None,
):
    x, unbatched = _batched(x, 3)
    k = _t(kernel_size, 3)
    s = k if stride is None else _t(stride, 3)
    p = _t(padding, 3)
    size = x.shape[2:]
    grid = [_pool_len(size[i], k[i], s[i], p[i], 1, ceil_mode) for i in range(3)]
    out = np.zeros(x.shape[:2] + tuple(grid))
    for pos in np.ndindex(*grid):
        lo = [pos[i] * s[i] - p[i] for i in range(3)]
        hi = [min(lo[i] + k[i], size[i] + p[i]) for i in range(3)]
        padded = np.prod([hi[i] - lo[i] for i in range(3)])
        lo = [max(v, 0) for v in lo]
        hi = [min(hi[i], size[i]) for i in range(3)]
        inside = np.prod([hi[i] - lo[i] for i in range(3)])
        window = x[:, :, lo[0] : hi[0], lo[1] : hi[1], lo[2] : hi[2]].sum(axis=(2, 3, 4))
        if divisor_override is not None:
            divisor = divisor_override
        else:
            divisor = padded if count_include_pad else inside
        out[(slice(None), slice(None), *pos)] = window / divisor
    return out[0] if unbatched else out


def ref_adaptive_avg_pool3d(x, output_size):
    size = _t(output_size, 3)
    spatial = x.shape[-3:]
    m = [spatial[i] if size[i] is None else size[i] for i in range(3)]
    out = np.zeros(x.shape[:-3] + tuple(m))
    for pos in np.ndindex(*m):
        b = [_bins(spatial[i], m[i])[pos[i]] for i in range(3)]
        out[(..., *pos)] = x[..., b[0][0] : b[0][1], b[1][0] : b[1][1], b[2][0] : b[2][1]].mean(
            axis=(-3, -2, -1)
        )
    return out


SPECS += [
    OpSpec(
        "max_pool3d",
        ref_max_pool3d,
        [
            Case(distinct(1, 2, 4, 4, 2), 2, id="k2"),
            Case(distinct(1, 1, 5, 5, 4), 3, stride=2, padding=1, id="k3-s2-p1"),
            Case(distinct(1, 1, 5, 4, 5), 2, ceil_mode=True, return_indices=True, id="ceil-idx"),
            Case(distinct(1, 1, 5, 5, 5), (2, 2, 1), stride=1, dilation=(2, 1, 2), id="dilation"),
            Case(distinct(2, 3, 4, 4), (1, 2, 2), return_indices=True, id="unbatched-indices"),
            Case(randn(0, 2, 2, 2, 2), 2, id="empty-batch"),
            Case(distinct(2, 1, 4, 4, 2), 2, transposed=(0,), id="transposed"),
        ],
    ),
    OpSpec(
        "avg_pool3d",
        ref_avg_pool3d,
        [
            Case(randn(1, 2, 4, 4, 2), 2, id="k2"),
            Case(randn(1, 1, 5, 4, 4), 3, stride=2, padding=1, id="include-pad"),
            Case(randn(1, 1, 5, 4, 4), 3, 2, 1, count_include_pad=False, id="exclude-pad"),
            Case(randn(1, 1, 5, 4, 5), 2, stride=2, padding=1, ceil_mode=True, id="ceil-pad"),
            Case(randn(1, 1, 4, 4, 4), 2, divisor_override=3, id="divisor-override"),
            Case(randn(2, 3, 4, 4), (1, 2, 2), id="unbatched"),
            Case(randn(2, 1, 4, 4, 2), 2, transposed=(0,), id="transposed"),
        ],
    ),
    OpSpec(
        "adaptive_avg_pool3d",
        ref_adaptive_avg_pool3d,
        [
            Case(randn(2, 2, 5, 4, 3), (2, 3, 2), id="uneven"),
            Case(randn(2, 4, 4, 4), 1, id="unbatched-global"),
            Case(randn(1, 1, 3, 4, 5), (None, 2, None), id="none-keeps"),
        ],
    ),
]


def ref_adaptive_max_pool3d(x, output_size, return_indices=False):
    size = _t(output_size, 3)
    spatial = x.shape[-3:]
    m = [spatial[i] if size[i] is None else size[i] for i in range(3)]
    vals = np.zeros(x.shape[:-3] + tuple(m))
    idx = np.zeros(x.shape[:-3] + tuple(m), dtype=np.int64)
    for lead in np.ndindex(*x.shape[:-3]):
        for pos in np.ndindex(*m):
            b = [_bins(spatial[i], m[i])[pos[i]] for i in range(3)]
            best, where = -np.inf, -1
            for src in np.ndindex(*(hi - lo for lo, hi in b)):
                src = tuple(lo + o for (lo, _), o in zip(b, src))
                if where < 0 or x[(*lead, *src)] > best:
                    best = x[(*lead, *src)]
                    where = (src[0] * spatial[1] + src[1]) * spatial[2] + src[2]
            vals[(*lead, *pos)], idx[(*lead, *pos)] = best, where
    return (vals, idx) if return_indices else vals


SPECS += [
    OpSpec(
        "adaptive_max_pool3d",
        ref_adaptive_max_pool3d,
        [
            Case(distinct(2, 2, 5, 4, 3), (2, 3, 2), id="uneven"),
            Case(distinct(2, 4, 4, 5), (3, None, 2), return_indices=True, id="unbatched-idx"),
            Case(distinct(1, 1, 2, 3, 2), (3, 4, 3), return_indices=True, id="upsample-idx"),
        ],
    )
]
