"""Specs for the extra shape ops (nanotorch/ops/shape_extra.py) and the public im2col
(``F.unfold`` / ``F.fold`` in nanotorch/nn/fold.py), each against NumPy."""

from __future__ import annotations

import itertools

import numpy as np

import nanotorch as nt
from nanotorch.testing import Case, OpSpec
from specs import randn


def _np_repeat(x, *sizes):
    if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
        sizes = tuple(sizes[0])
    return np.tile(x.reshape((1,) * (len(sizes) - x.ndim) + x.shape), sizes)


def _np_repeat_interleave(x, repeats, dim=None):
    return np.repeat(x, repeats, axis=dim)


def _np_diag_embed(x, offset=0, dim1=-2, dim2=-1):
    n = x.shape[-1] + abs(offset)
    out = np.zeros(x.shape[:-1] + (n, n))
    i = np.arange(x.shape[-1])
    rows, cols = (i, i + offset) if offset >= 0 else (i - offset, i)
    out[..., rows, cols] = x
    nd = out.ndim
    return np.moveaxis(out, [nd - 2, nd - 1], [dim1 % nd, dim2 % nd])


def _np_narrow(x, dim, start, length):
    start = start % x.shape[dim] if start < 0 else start
    return np.take(x, np.arange(start, start + length), axis=dim)


def _np_tri_indices(which):
    def ref(like, row, col, offset=0):
        fn = np.tril_indices if which == "tril" else np.triu_indices
        return np.stack(fn(row, offset, col)).astype(np.int64)

    return ref


def _np_unfold(x, kernel_size, dilation=1, padding=0, stride=1):
    kh, kw = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
    dh, dw = (dilation, dilation) if isinstance(dilation, int) else dilation
    ph, pw = (padding, padding) if isinstance(padding, int) else padding
    sh, sw = (stride, stride) if isinstance(stride, int) else stride
    batched = x.ndim == 4
    x = x if batched else x[None]
    n, c, h, w = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    oh = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    ow = (w + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    out = np.zeros((n, c, kh, kw, oh, ow))
    for i, j, a, b in itertools.product(range(kh), range(kw), range(oh), range(ow)):
        out[:, :, i, j, a, b] = xp[:, :, a * sh + i * dh, b * sw + j * dw]
    out = out.reshape(n, c * kh * kw, oh * ow)
    return out if batched else out[0]


def _np_fold(cols, output_size, kernel_size, dilation=1, padding=0, stride=1):
    pair = lambda v: (v, v) if isinstance(v, int) else tuple(v)  # noqa: E731
    (h, w), (kh, kw), (dh, dw) = pair(output_size), pair(kernel_size), pair(dilation)
    (ph, pw), (sh, sw) = pair(padding), pair(stride)
    batched = cols.ndim == 3
    cols = cols if batched else cols[None]
    n = cols.shape[0]
    c = cols.shape[1] // (kh * kw)
    oh = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    ow = (w + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    blocks = cols.reshape(n, c, kh, kw, oh, ow)
    out = np.zeros((n, c, h + 2 * ph, w + 2 * pw))
    for i, j, a, b in itertools.product(range(kh), range(kw), range(oh), range(ow)):
        out[:, :, a * sh + i * dh, b * sw + j * dw] += blocks[:, :, i, j, a, b]
    out = out[:, :, ph : ph + h, pw : pw + w]
    return out if batched else out[0]


_idx = np.array([2, 0, 1])

SPECS = [
    OpSpec(
        "repeat",
        _np_repeat,
        [
            Case(randn(2, 3), 2, 1, id="2d"),
            Case(randn(3), 2, 2, id="new-dims"),
            Case(randn(), 3, id="0d"),
            Case(randn(0, 2), 2, 3, id="empty"),
            Case(randn(3, 2), 1, 2, transposed=(0,), id="transposed"),
        ],
        fn=lambda x, *sizes: nt.repeat(x, *sizes),
    ),
    OpSpec(
        "tile",
        lambda x, dims: np.tile(x, dims),
        [
            Case(randn(2, 3), dims=(2,), id="short-dims"),
            Case(randn(3), dims=(2, 2), id="new-dims"),
            Case(randn(), dims=(2,), id="0d"),
            Case(randn(3, 2), dims=(2, 1), transposed=(0,), id="transposed"),
        ],
    ),
    OpSpec(
        "repeat_interleave",
        _np_repeat_interleave,
        [
            Case(randn(2, 3), 2, id="flat"),
            Case(randn(2, 3), 3, dim=1, id="dim1"),
            Case(randn(3, 2), np.array([1, 0, 2]), dim=0, id="tensor-repeats"),
            Case(randn(), 2, id="0d"),
            Case(randn(0, 2), 2, dim=0, id="empty"),
            Case(randn(3, 2), np.array([2, 1]), dim=-1, transposed=(0,), id="transposed"),
        ],
    ),
    OpSpec(
        "roll",
        lambda x, shifts, dims=None: np.roll(x, shifts, axis=dims),
        [
            Case(randn(3, 4), 1, id="flat"),
            Case(randn(3, 4), -1, dims=1, id="dim1"),
            Case(randn(2, 3, 4), (1, 5), dims=(0, 2), id="two-dims"),
            Case(randn(), 2, id="0d"),
            Case(randn(0, 3), 1, dims=1, id="empty"),
            Case(randn(4, 3), 2, dims=0, transposed=(0,), id="transposed"),
        ],
    ),
    OpSpec(
        "tril",
        lambda x, diagonal=0: np.tril(x, diagonal),
        [
            Case(randn(3, 4)),
            Case(randn(2, 3, 4), diagonal=1, id="batched-offset"),
            Case(randn(4, 3), diagonal=-1, transposed=(0,), id="transposed"),
            Case(randn(0, 3), id="empty"),
        ],
    ),
    OpSpec(
        "triu",
        lambda x, diagonal=0: np.triu(x, diagonal),
        [
            Case(randn(3, 4)),
            Case(randn(2, 3, 4), diagonal=-1, id="batched-offset"),
            Case(randn(4, 3), diagonal=2, transposed=(0,), id="transposed"),
            Case(randn(0, 3), id="empty"),
        ],
    ),
    OpSpec(
        "diag",
        lambda x, diagonal=0: np.diag(x, diagonal),
        [
            Case(randn(3), id="vector"),
            Case(randn(3), diagonal=-2, id="vector-offset"),
            Case(randn(3, 4), diagonal=1, id="matrix"),
            Case(randn(0), id="empty"),
            Case(randn(4, 3), diagonal=-1, transposed=(0,), id="transposed"),
        ],
    ),
    OpSpec(
        "diagonal",
        lambda x, offset=0, dim1=0, dim2=1: np.diagonal(x, offset, dim1, dim2),
        [
            Case(randn(3, 4)),
            Case(randn(2, 3, 4), offset=1, dim1=2, dim2=0, id="dims"),
            Case(randn(3, 4), offset=-5, id="empty-offset"),
            Case(randn(4, 3, 2), offset=-1, dim1=-1, dim2=1, transposed=(0,), id="transposed"),
        ],
    ),
    OpSpec(
        "diag_embed",
        _np_diag_embed,
        [
            Case(randn(2, 3)),
            Case(randn(2, 3), offset=1, dim1=0, dim2=2, id="dims"),
            Case(randn(3), offset=-2, dim1=1, dim2=0, id="swapped"),
            Case(randn(0), id="empty"),
            Case(randn(3, 2), transposed=(0,), id="transposed"),
        ],
    ),
    OpSpec(
        "meshgrid",
        lambda *xs, indexing="ij": np.meshgrid(*xs, indexing=indexing),
        [
            Case(randn(3), randn(2), id="ij"),
            Case(randn(3), randn(2), randn(4), indexing="xy", id="xy"),
            Case(randn(3), randn(0), id="empty"),
        ],
        fn=lambda *xs, indexing="ij": nt.meshgrid(*xs, indexing=indexing),
    ),
    OpSpec(
        "movedim",
        lambda x, source, destination: np.moveaxis(x, source, destination),
        [
            Case(randn(2, 3, 4), 0, 2, id="int"),
            Case(randn(2, 3, 4), (0, -1), (1, 0), id="tuple"),
            Case(randn(3, 4), 1, 0, transposed=(0,), id="transposed"),
        ],
    ),
    OpSpec(
        "narrow",
        _np_narrow,
        [
            Case(randn(4, 5), 1, 1, 3),
            Case(randn(4, 5), 0, -2, 2, id="neg-start"),
            Case(randn(4, 5), 0, 2, 0, id="empty"),
            Case(randn(5, 4), 0, 1, 2, transposed=(0,), id="transposed"),
        ],
    ),
    OpSpec(
        "tril_indices",
        _np_tri_indices("tril"),
        [
            Case(randn(1), 3, 4),
            Case(randn(1), 4, 3, offset=-1, id="offset"),
            Case(randn(1), 0, 3, id="empty"),
        ],
        fn=lambda like, row, col, offset=0: nt.tril_indices(row, col, offset, device=like.device),
        grad=False,
    ),
    OpSpec(
        "triu_indices",
        _np_tri_indices("triu"),
        [Case(randn(1), 3, 4), Case(randn(1), 4, 3, offset=1, id="offset")],
        fn=lambda like, row, col, offset=0: nt.triu_indices(row, col, offset, device=like.device),
        grad=False,
    ),
    OpSpec(
        "cartesian_prod",
        lambda *xs: (
            np.array(list(itertools.product(*xs))).reshape(-1, len(xs)) if len(xs) > 1 else xs[0]
        ),
        [
            Case(randn(3), randn(2), id="two"),
            Case(randn(2), randn(2), randn(3), id="three"),
            Case(randn(3), id="one"),
        ],
        fn=lambda *xs: nt.cartesian_prod(*xs),
    ),
    OpSpec(
        "unfold",
        _np_unfold,
        [
            Case(randn(2, 3, 5, 6), kernel_size=(2, 3), id="basic"),
            Case(randn(1, 2, 6, 6), kernel_size=3, dilation=2, padding=1, stride=2, id="all"),
            Case(randn(2, 4, 5), kernel_size=2, id="unbatched"),
            Case(randn(1, 2, 5, 4), kernel_size=2, transposed=(0,), id="transposed"),
        ],
    ),
    OpSpec(
        "fold",
        _np_fold,
        [
            Case(randn(2, 6, 16), output_size=(4, 5), kernel_size=(1, 2), stride=1, id="basic"),
            Case(
                randn(1, 8, 9),
                output_size=6,
                kernel_size=2,
                dilation=2,
                padding=1,
                stride=2,
                id="all",
            ),
            Case(randn(4, 4), output_size=(3, 3), kernel_size=2, id="unbatched"),
            Case(
                randn(1, 4, 4), output_size=(3, 3), kernel_size=2, transposed=(0,), id="transposed"
            ),
        ],
    ),
]
