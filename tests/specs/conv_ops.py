"""Specs for convolution and pooling (nanotorch.ops.conv, nanotorch.ops.pool).

Every reference below is a direct nested loop over output (or input) positions in NumPy
float64, written independently of the im2col/col2im code it checks: a window is read (or a
kernel is scattered) straight from its definition, so a slicing mistake in the library cannot
be repeated here. Sizes stay tiny so gradcheck stays fast.
"""

from __future__ import annotations

import math

import numpy as np

from nanotorch.testing import Case, OpSpec
from specs import distinct, randn


# ---------------------------------------------------------------------------- geometry helpers
def _pair(v):
    return (int(v), int(v)) if isinstance(v, (int, np.integer)) else tuple(int(a) for a in v)


def _conv_pads(padding, kernel, dilation):
    """((top, bottom), (left, right)); "same" puts the odd extra pixel after, like PyTorch."""
    if padding == "valid":
        return ((0, 0), (0, 0))
    if padding == "same":
        pads = []
        for k, d in zip(kernel, dilation):
            total = d * (k - 1)
            pads.append((total // 2, total - total // 2))
        return tuple(pads)
    p = _pair(padding)
    return ((p[0], p[0]), (p[1], p[1]))


def _batched(x):
    return (x[None], True) if x.ndim == 3 else (x, False)


# ---------------------------------------------------------------------------- references
def ref_conv2d(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    x, unbatched = _batched(x)
    s, d = _pair(stride), _pair(dilation)
    kh, kw = w.shape[2:]
    (pt, pb), (pl, pr) = _conv_pads(padding, (kh, kw), d)
    xpad = np.pad(x, ((0, 0), (0, 0), (pt, pb), (pl, pr)))
    n_batch, c_in, hp, wp = xpad.shape
    c_out = w.shape[0]
    cg, og = c_in // groups, c_out // groups
    oh_n = (hp - d[0] * (kh - 1) - 1) // s[0] + 1
    ow_n = (wp - d[1] * (kw - 1) - 1) // s[1] + 1
    out = np.zeros((n_batch, c_out, oh_n, ow_n))
    for n in range(n_batch):
        for o in range(c_out):
            g = o // og
            for oh in range(oh_n):
                for ow in range(ow_n):
                    r0, c0 = oh * s[0], ow * s[1]
                    window = xpad[
                        n,
                        g * cg : (g + 1) * cg,
                        r0 : r0 + d[0] * (kh - 1) + 1 : d[0],
                        c0 : c0 + d[1] * (kw - 1) + 1 : d[1],
                    ]
                    out[n, o, oh, ow] = np.sum(window * w[o]) + (0.0 if b is None else b[o])
    return out[0] if unbatched else out


def ref_conv1d(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    pad2 = padding if isinstance(padding, str) else (0, _pair(padding)[0])
    out = ref_conv2d(
        x[..., None, :],
        w[:, :, None, :],
        b,
        stride=(1, _pair(stride)[0]),
        padding=pad2,
        dilation=(1, _pair(dilation)[0]),
        groups=groups,
    )
    return out[..., 0, :]


def ref_conv_transpose2d(x, w, b=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """Scatter each input pixel times the kernel into the output (the definition)."""
    x, unbatched = _batched(x)
    s, p, op, d = _pair(stride), _pair(padding), _pair(output_padding), _pair(dilation)
    n_batch, c_in, h, wd = x.shape
    cog, kh, kw = w.shape[1:]
    cig = c_in // groups
    h_out = (h - 1) * s[0] - 2 * p[0] + d[0] * (kh - 1) + op[0] + 1
    w_out = (wd - 1) * s[1] - 2 * p[1] + d[1] * (kw - 1) + op[1] + 1
    full = np.zeros((n_batch, cog * groups, h_out + 2 * p[0], w_out + 2 * p[1]))
    for n in range(n_batch):
        for ci in range(c_in):
            g = ci // cig
            for r in range(h):
                for c in range(wd):
                    full[
                        n,
                        g * cog : (g + 1) * cog,
                        r * s[0] : r * s[0] + d[0] * (kh - 1) + 1 : d[0],
                        c * s[1] : c * s[1] + d[1] * (kw - 1) + 1 : d[1],
                    ] += x[n, ci, r, c] * w[ci]
    out = full[:, :, p[0] : p[0] + h_out, p[1] : p[1] + w_out]
    if b is not None:
        out = out + b[None, :, None, None]
    return out[0] if unbatched else out


def _pool_size(length, k, s, p, d, ceil_mode):
    """PyTorch's pooling output size: floor or ceil, and with ceil the last window must start
    inside the input or its left padding."""
    span = length + 2 * p - d * (k - 1) - 1
    out = (-(-span // s) if ceil_mode else span // s) + 1
    if ceil_mode and (out - 1) * s >= length + p:
        out -= 1
    return out


def ref_max_pool2d(
    x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False
):
    x, unbatched = _batched(x)
    k = _pair(kernel_size)
    s = k if stride is None or stride == () else _pair(stride)
    p, d = _pair(padding), _pair(dilation)
    n_batch, c, h, wd = x.shape
    oh_n = _pool_size(h, k[0], s[0], p[0], d[0], ceil_mode)
    ow_n = _pool_size(wd, k[1], s[1], p[1], d[1], ceil_mode)
    out = np.zeros((n_batch, c, oh_n, ow_n))
    idx = np.zeros((n_batch, c, oh_n, ow_n), dtype=np.int64)
    for n in range(n_batch):
        for ch in range(c):
            for oh in range(oh_n):
                for ow in range(ow_n):
                    best, where = -np.inf, -1
                    for i in range(k[0]):
                        for j in range(k[1]):
                            r = oh * s[0] - p[0] + i * d[0]
                            cc = ow * s[1] - p[1] + j * d[1]
                            if 0 <= r < h and 0 <= cc < wd:
                                v = x[n, ch, r, cc]
                                if where < 0 or v > best:  # first maximum wins ties
                                    best, where = v, r * wd + cc
                    out[n, ch, oh, ow] = best
                    idx[n, ch, oh, ow] = where
    if unbatched:
        out, idx = out[0], idx[0]
    return (out, idx) if return_indices else out


def ref_avg_pool2d(
    x,
    kernel_size,
    stride=None,
    padding=0,
    ceil_mode=False,
    count_include_pad=True,
    divisor_override=None,
):
    x, unbatched = _batched(x)
    k = _pair(kernel_size)
    s = k if stride is None or stride == () else _pair(stride)
    p = _pair(padding)
    n_batch, c, h, wd = x.shape
    oh_n = _pool_size(h, k[0], s[0], p[0], 1, ceil_mode)
    ow_n = _pool_size(wd, k[1], s[1], p[1], 1, ceil_mode)
    out = np.zeros((n_batch, c, oh_n, ow_n))
    for oh in range(oh_n):
        for ow in range(ow_n):
            r0, c0 = oh * s[0] - p[0], ow * s[1] - p[1]
            # The window may reach into padding (counted when count_include_pad) but never
            # past it (a ceil_mode overhang is not counted).
            r1, c1 = min(r0 + k[0], h + p[0]), min(c0 + k[1], wd + p[1])
            padded_count = (r1 - r0) * (c1 - c0)
            r0, c0, r1, c1 = max(r0, 0), max(c0, 0), min(r1, h), min(c1, wd)
            if divisor_override is not None:
                divisor = divisor_override
            elif count_include_pad:
                divisor = padded_count
            else:
                divisor = (r1 - r0) * (c1 - c0)
            out[:, :, oh, ow] = x[:, :, r0:r1, c0:c1].sum(axis=(2, 3)) / divisor
    return out[0] if unbatched else out


def ref_adaptive_avg_pool2d(x, output_size):
    x, unbatched = _batched(x)
    h, wd = x.shape[2:]
    size = (output_size, output_size) if isinstance(output_size, int) else output_size
    oh_n = h if size[0] is None else size[0]
    ow_n = wd if size[1] is None else size[1]
    out = np.zeros(x.shape[:2] + (oh_n, ow_n))
    for oh in range(oh_n):
        r0, r1 = (oh * h) // oh_n, math.ceil((oh + 1) * h / oh_n)
        for ow in range(ow_n):
            c0, c1 = (ow * wd) // ow_n, math.ceil((ow + 1) * wd / ow_n)
            out[:, :, oh, ow] = x[:, :, r0:r1, c0:c1].mean(axis=(2, 3))
    return out[0] if unbatched else out


# ---------------------------------------------------------------------------- specs
CONV2D_CASES = [
    Case(randn(2, 3, 5, 5), randn(4, 3, 3, 3), randn(4), id="basic-bias"),
    Case(randn(1, 2, 7, 6), randn(3, 2, 3, 2), stride=2, id="stride2-odd"),
    Case(randn(1, 1, 4, 4), randn(2, 1, 3, 3), randn(2), padding=2, id="pad-gt-half"),
    Case(randn(2, 2, 7, 7), randn(2, 2, 3, 3), dilation=2, padding=1, id="dilation"),
    Case(randn(2, 4, 5, 5), randn(4, 2, 3, 3), randn(4), groups=2, id="groups"),
    Case(randn(1, 3, 4, 5), randn(3, 1, 2, 2), groups=3, id="depthwise"),
    Case(randn(1, 2, 5, 6), randn(3, 2, 4, 3), padding="same", dilation=(1, 2), id="same-even"),
    Case(randn(1, 2, 5, 6), randn(2, 2, 3, 3), padding="valid", id="valid"),
    Case(
        randn(1, 2, 6, 7),
        randn(2, 2, 2, 3),
        stride=(2, 1),
        padding=(1, 0),
        dilation=(1, 2),
        id="tuples",
    ),
    Case(randn(1, 1, 6, 6), randn(1, 1, 2, 2), randn(1), id="n1-c1"),
    Case(randn(2, 5, 5), randn(3, 2, 3, 3), id="unbatched"),
    Case(randn(0, 2, 4, 4), randn(3, 2, 3, 3), id="empty-batch"),
    Case(randn(2, 3, 5, 4), randn(2, 3, 3, 3), transposed=(0,), id="transposed"),
]

CONV_T_CASES = [
    Case(randn(2, 3, 4, 4), randn(3, 2, 3, 3), randn(2), id="basic-bias"),
    Case(
        randn(1, 2, 3, 4),
        randn(2, 3, 3, 3),
        stride=2,
        padding=1,
        output_padding=1,
        id="stride-pad-outpad",
    ),
    Case(randn(1, 4, 3, 3), randn(4, 1, 2, 2), randn(2), groups=2, id="groups"),
    Case(
        randn(1, 2, 3, 3), randn(2, 2, 2, 2), stride=2, output_padding=1, dilation=2, id="dilation"
    ),
    Case(
        randn(1, 1, 3, 3), randn(1, 2, 3, 2), dilation=2, output_padding=1, id="outpad-lt-dilation"
    ),
    Case(
        randn(1, 2, 3, 4),
        randn(2, 2, 2, 3),
        stride=(2, 1),
        padding=(1, 0),
        output_padding=(1, 0),
        id="tuples",
    ),
    Case(randn(2, 3, 3), randn(2, 1, 3, 3), id="unbatched"),
    Case(randn(1, 1, 4, 4), randn(1, 1, 3, 3), randn(1), padding=2, id="n1-c1-pad-gt-half"),
    Case(randn(2, 3, 4, 4), randn(3, 2, 2, 2), transposed=(0,), id="transposed"),
    Case(randn(0, 2, 3, 3), randn(2, 3, 2, 2), stride=2, id="empty-batch"),
]

CONV1D_CASES = [
    Case(randn(2, 3, 7), randn(4, 3, 3), randn(4), id="basic-bias"),
    Case(randn(1, 2, 8), randn(2, 2, 3), stride=2, padding=2, id="stride-pad"),
    Case(randn(1, 4, 7), randn(4, 2, 2), groups=2, dilation=2, id="groups-dilation"),
    Case(randn(1, 2, 6), randn(3, 2, 4), padding="same", id="same-even"),
    Case(randn(2, 5), randn(3, 2, 3), padding="valid", id="unbatched-valid"),
]

MAX_POOL_CASES = [
    Case(distinct(2, 3, 6, 6), 2, id="k2"),
    Case(distinct(1, 2, 7, 7), 3, stride=2, padding=1, id="k3-s2-p1"),
    Case(distinct(1, 2, 5, 5), 2, ceil_mode=True, id="ceil"),
    Case(distinct(1, 1, 6, 6), 3, stride=2, padding=1, ceil_mode=True, id="ceil-pad"),
    Case(distinct(1, 2, 7, 7), 2, stride=1, dilation=2, id="dilation"),
    Case(distinct(1, 2, 5, 7), (2, 3), stride=(1, 2), padding=(1, 1), id="tuples"),
    Case(distinct(2, 5, 5), 2, id="unbatched"),
    Case(distinct(1, 1, 1, 1), 1, id="1x1"),
    Case(randn(0, 2, 4, 4), 2, id="empty-batch"),
    Case(distinct(2, 2, 4, 6), 2, transposed=(0,), id="transposed"),
]

AVG_POOL_CASES = [
    Case(randn(2, 3, 6, 6), 2, id="k2"),
    Case(randn(1, 2, 7, 7), 3, stride=2, padding=1, id="k3-s2-p1-include-pad"),
    Case(randn(1, 2, 7, 7), 3, stride=2, padding=1, count_include_pad=False, id="exclude-pad"),
    Case(randn(1, 2, 5, 5), 2, ceil_mode=True, id="ceil"),
    Case(randn(1, 1, 6, 6), 3, stride=2, padding=1, ceil_mode=True, id="ceil-pad-include"),
    Case(
        randn(1, 1, 6, 6),
        3,
        stride=2,
        padding=1,
        ceil_mode=True,
        count_include_pad=False,
        id="ceil-pad-exclude",
    ),
    Case(randn(1, 2, 5, 6), (2, 3), stride=(1, 2), padding=(1, 1), id="tuples"),
    Case(randn(1, 2, 4, 4), 2, divisor_override=3, id="divisor-override"),
    Case(randn(0, 2, 4, 4), 3, padding=1, id="empty-batch"),
    Case(randn(2, 5, 5), 2, id="unbatched"),
    Case(randn(2, 2, 4, 6), 2, transposed=(0,), id="transposed"),
]

ADAPTIVE_CASES = [
    Case(randn(2, 3, 7, 5), (3, 2), id="uneven"),
    Case(randn(1, 2, 6, 6), 3, id="even"),
    Case(randn(2, 2, 5, 4), 1, id="global"),
    Case(randn(1, 2, 5, 4), (None, 3), id="none-keeps"),
    Case(randn(2, 4, 5), (2, 3), id="unbatched"),
    Case(randn(1, 1, 3, 2), (5, 4), id="upsample"),
]

SPECS = [
    OpSpec("conv2d", ref_conv2d, CONV2D_CASES),
    # Second-order checks are costly (a backward per finite difference): a tiny case each,
    # enough to exercise the Conv2d <-> ConvTranspose2d <-> Im2Col/Col2Im backward chain.
    OpSpec(
        "conv2d",
        ref_conv2d,
        [
            Case(
                randn(1, 2, 4, 4),
                randn(2, 1, 2, 2),
                randn(2),
                stride=2,
                padding=1,
                groups=2,
                id="gradgrad-tiny",
            )
        ],
        gradgrad=True,
    ),
    OpSpec("conv_transpose2d", ref_conv_transpose2d, CONV_T_CASES),
    OpSpec(
        "conv_transpose2d",
        ref_conv_transpose2d,
        [
            Case(
                randn(1, 2, 2, 3),
                randn(2, 2, 2, 2),
                randn(2),
                stride=2,
                padding=1,
                output_padding=1,
                id="gradgrad-tiny",
            )
        ],
        gradgrad=True,
    ),
    OpSpec("conv1d", ref_conv1d, CONV1D_CASES),
    OpSpec("max_pool2d", ref_max_pool2d, MAX_POOL_CASES),
    OpSpec("avg_pool2d", ref_avg_pool2d, AVG_POOL_CASES),
    OpSpec("adaptive_avg_pool2d", ref_adaptive_avg_pool2d, ADAPTIVE_CASES),
]
