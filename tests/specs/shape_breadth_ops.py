"""Specs for the shape, indexing and Tensor-API breadth ops (nanotorch/ops/shape_breadth.py):
select and the *_scatter family, the split variants, index_reduce and put, rsub and fill,
adjoint, as_strided, and the ``*_copy`` forms of the view ops, each against NumPy."""

from __future__ import annotations

import numpy as np

import nanotorch as nt
from nanotorch.testing import Case, OpSpec
from specs import distinct, positive, randn


def _np_split_sizes(x, sizes, dim=0):
    return np.split(x, np.cumsum(sizes)[:-1], axis=dim)


def _np_split_size(x, size, dim=0):
    n = x.shape[dim]
    return np.split(x, list(range(size, n, size)), axis=dim) if n else [x]


def _np_chunk(x, chunks, dim=0):
    n = x.shape[dim]
    size = -(-n // chunks) if n else 1
    return _np_split_size(x, size, dim)


def _np_select(x, dim, index):
    return np.take(x, index, axis=dim)


def _np_select_scatter(x, src, dim, index):
    out = x.copy()
    key = [slice(None)] * x.ndim
    key[dim] = index
    out[tuple(key)] = src
    return out


def _np_slice_scatter(x, src, dim=0, start=None, end=None, step=1):
    out = x.copy()
    key = [slice(None)] * x.ndim
    key[dim] = slice(start, end, step)
    out[tuple(key)] = src
    return out


def _np_diagonal_scatter(x, src, offset=0, dim1=0, dim2=1):
    out = np.moveaxis(x.copy(), (dim1, dim2), (-2, -1))
    length = src.shape[-1]
    i = np.arange(length)
    rows, cols = (i, i + offset) if offset >= 0 else (i - offset, i)
    out[..., rows, cols] = src
    return np.moveaxis(out, (-2, -1), (dim1, dim2))


def _np_index_reduce(x, dim, index, source, reduce, include_self=True):
    dim = dim % x.ndim
    out = x.copy()
    groups: dict[int, list[np.ndarray]] = {}
    for i, target in enumerate(index):
        groups.setdefault(int(target), []).append(np.take(source, i, axis=dim))
    fold = {"prod": np.prod, "mean": np.mean, "amax": np.max, "amin": np.min}
    for target, rows in groups.items():
        key = [slice(None)] * x.ndim
        key[dim] = target
        members = ([x[tuple(key)]] if include_self else []) + rows
        out[tuple(key)] = fold[reduce](np.stack(members), axis=0)
    return out


def _np_put(x, index, source, accumulate=False):
    out = x.copy().reshape(-1)
    if accumulate:
        np.add.at(out, index.reshape(-1), source.reshape(-1))
    else:
        out[index.reshape(-1)] = source.reshape(-1)
    return out.reshape(x.shape)


def _np_nonzero_static(x, size, fill_value):
    hits = np.argwhere(x).astype(np.int64)[:size]
    rest = np.full((size - hits.shape[0], x.ndim), fill_value, dtype=np.int64)
    return np.concatenate([hits, rest])


def _np_constant_pad(x, pad, value=0):
    widths = [(0, 0)] * x.ndim
    for k in range(len(pad) // 2):
        widths[x.ndim - 1 - k] = (pad[2 * k], pad[2 * k + 1])
    crop = tuple(
        slice(-lo if lo < 0 else 0, x.shape[d] + hi if hi < 0 else None)
        for d, (lo, hi) in enumerate(widths)
    )
    grow = [(max(lo, 0), max(hi, 0)) for lo, hi in widths]
    return np.pad(x[crop], grow, constant_values=value)


def _np_as_strided(x, size, stride, storage_offset=0):
    flat = np.ascontiguousarray(x).reshape(-1)
    index = np.full(tuple(size), storage_offset, dtype=np.int64)
    for d, (n, s) in enumerate(zip(size, stride)):
        shape = [1] * len(size)
        shape[d] = n
        index = index + (np.arange(n) * s).reshape(shape)
    return flat[index]


def _np_as_strided_scatter(x, src, size, stride, storage_offset=0):
    out = np.ascontiguousarray(x).copy().reshape(-1)
    index = _np_as_strided(np.arange(out.size), size, stride, storage_offset)
    out[index.reshape(-1)] = np.asarray(src).reshape(-1)
    return out.reshape(x.shape)


def _np_combinations(x, r=2, with_replacement=False):
    import itertools

    pick = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    rows = [list(c) for c in pick(range(len(x)), r)]
    return x[np.asarray(rows, dtype=np.int64).reshape(len(rows), r)]


def _np_segment_reduce(data, reduce, lengths=None, offsets=None, axis=0, initial=None):
    if lengths is None:
        lengths = np.diff(offsets, axis=-1)
    fold = {"sum": np.sum, "mean": np.mean, "prod": np.prod, "max": np.max, "min": np.min}
    empty = {"sum": 0.0, "mean": np.nan, "prod": 1.0, "max": -np.inf, "min": np.inf}
    data = np.moveaxis(data, axis, axis)  # the segments run along ``axis``
    lead = data.shape[:axis]
    out = np.empty(lead + (lengths.shape[-1],) + data.shape[axis + 1 :])
    for row in np.ndindex(*lead):
        start = 0
        for i, n in enumerate(lengths[row]):
            part = data[row][start : start + n]
            start += n
            if initial is not None and reduce == "mean":
                value = (part.sum(0) + initial) / n if n else np.full(part.shape[1:], initial)
            elif initial is not None:
                value = fold[reduce](
                    np.concatenate([part, np.full((1,) + part.shape[1:], initial)]), axis=0
                )
            elif n:
                value = fold[reduce](part, axis=0)
            else:
                value = np.full(part.shape[1:], empty[reduce])
            out[row + (i,)] = value
    return out


def _segment_reduce(data, reduce, **kw):
    """The op with its index keywords (NumPy arrays in the cases) as tensors on data's
    device."""
    kw = {
        k: nt.tensor(v, device=data.device) if isinstance(v, np.ndarray) else v
        for k, v in kw.items()
    }
    return nt.segment_reduce(data, reduce, **kw)


def _np_unfold(x, dimension, size, step):
    n = x.shape[dimension]
    count = (n - size) // step + 1
    windows = [
        np.take(x, np.arange(k * step, k * step + size), axis=dimension) for k in range(count)
    ]
    return np.moveaxis(np.stack(windows, axis=dimension), dimension + 1, -1)


def _np_squeeze(x, dim=None):
    if dim is None:
        return np.squeeze(x)
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    dims = tuple(d % max(x.ndim, 1) for d in dims if x.ndim and x.shape[d] == 1)
    return np.squeeze(x, dims) if dims else x


_index = np.array([2, 0, 2, 1])

SPECS = [
    OpSpec(
        "select",
        _np_select,
        [
            Case(randn(3, 4), 1, 2, id="2d"),
            Case(randn(2, 3, 4), -1, -1, id="neg"),
            Case(randn(3), 0, 1, id="to-0d"),
            Case(randn(3, 0), 0, 1, id="empty"),
            Case(randn(4, 3), 0, 1, transposed=(0,), id="transposed"),
        ],
    ),
    OpSpec(
        "ravel",
        lambda x: np.ravel(x),
        [
            Case(randn(2, 3)),
            Case(randn(), id="0d"),
            Case(randn(0, 3), id="empty"),
            Case(randn(4, 3), transposed=(0,), id="transposed"),
        ],
    ),
    OpSpec(
        "dsplit",
        lambda x, s: np.dsplit(x, s),
        [
            Case(randn(2, 2, 4), 2, id="sections"),
            Case(randn(2, 2, 5), [1, 3], id="indices"),
            Case(randn(0, 2, 4), 2, id="empty"),
        ],
    ),
    OpSpec(
        "split_with_sizes",
        _np_split_sizes,
        [
            Case(randn(5, 2), [2, 3], id="dim0"),
            Case(randn(2, 5), [1, 0, 4], dim=-1, id="zero-size"),
            Case(randn(0, 2), [0], id="empty"),
            Case(randn(4, 3), [1, 2], dim=1, transposed=(0,), id="transposed"),
        ],
    ),
    OpSpec(
        "narrow_copy",
        lambda x, dim, start, length: np.take(x, np.arange(start, start + length), axis=dim),
        [
            Case(randn(3, 4), 1, 1, 2, id="2d"),
            Case(randn(0, 4), 1, 0, 3, id="empty"),
            Case(randn(4, 3), 0, 2, 2, transposed=(0,), id="transposed"),
        ],
    ),
    OpSpec(
        "select_scatter",
        _np_select_scatter,
        [
            Case(randn(3, 4), randn(4), 0, 1, id="row"),
            Case(randn(2, 3, 4), randn(2, 3), -1, -2, id="neg"),
            Case(randn(3), randn(), 0, 2, id="0d-src"),
            Case(randn(3, 0), randn(0), 0, 1, id="empty"),
            Case(randn(4, 3), randn(4), 1, 0, transposed=(0,), id="transposed"),
        ],
    ),
    OpSpec(
        "slice_scatter",
        _np_slice_scatter,
        [
            Case(randn(5, 3), randn(5, 3), id="default"),
            Case(randn(5, 3), randn(2, 3), start=3, id="start"),
            Case(randn(3, 6), randn(3, 2), dim=1, start=1, end=5, step=2, id="step"),
            Case(randn(3, 6), randn(3, 2), dim=-1, start=-2, id="neg-start"),
            Case(randn(3, 0), randn(1, 0), start=2, id="empty"),
            Case(randn(4, 3), randn(2, 3), start=1, end=3, transposed=(0,), id="transposed"),
        ],
    ),
    OpSpec(
        "diagonal_scatter",
        _np_diagonal_scatter,
        [
            Case(randn(3, 4), randn(3), id="main"),
            Case(randn(3, 4), randn(3), offset=1, id="above"),
            Case(randn(3, 4), randn(2), offset=-1, id="below"),
            Case(randn(2, 3, 4), randn(4, 2), dim1=1, dim2=0, id="dims"),
            Case(randn(3, 4), randn(0), offset=5, id="empty"),
            Case(randn(4, 3), randn(3), transposed=(0,), id="transposed"),
        ],
    ),
    *[
        OpSpec(
            "index_reduce",
            _np_index_reduce,
            [
                Case(make(3, 2), 0, _index, make(4, 2), reduce, id=f"{reduce}-rows"),
                Case(
                    make(2, 3),
                    -1,
                    _index,
                    make(2, 4),
                    reduce,
                    include_self=False,
                    id=f"{reduce}-exclude",
                ),
                Case(make(3, 0), 0, _index, make(4, 0), reduce, id=f"{reduce}-empty"),
                Case(make(2, 3), 1, _index, make(2, 4), reduce, transposed=(0,), id="transposed"),
            ],
        )
        for reduce, make in (
            ("prod", positive),
            ("mean", randn),
            ("amax", distinct),
            ("amin", distinct),
        )
    ],
    OpSpec(
        "put",
        _np_put,
        [
            Case(randn(3, 4), np.array([1, -1, 5]), randn(3), id="2d"),
            Case(randn(3, 4), np.array([[1, 1], [0, 11]]), randn(2, 2), True, id="accumulate"),
            Case(randn(), np.array([0]), randn(1), id="0d"),
            Case(randn(3, 4), np.zeros(0, np.int64), randn(0), id="empty"),
            Case(randn(4, 3), np.array([2, 7]), randn(2), transposed=(0,), id="transposed"),
        ],
    ),
    OpSpec(
        "rsub",
        lambda a, b, alpha=1: b - alpha * a,
        [
            Case(randn(3, 4), randn(3, 4)),
            Case(randn(3, 1), randn(1, 4), alpha=2, id="bcast-alpha"),
            Case(randn(), randn(2, 3), id="bcast-0d"),
            Case(randn(0, 3), randn(3), id="empty"),
            Case(randn(3, 4), 1.5, id="scalar"),
            Case(randn(3, 4), randn(3, 4), transposed=(0,), id="transposed"),
        ],
    ),
    OpSpec(
        "fill",
        lambda x, value: np.full_like(x, value),
        [
            Case(randn(3, 4), 2.5, id="number"),
            Case(randn(3, 4), randn(), id="tensor-value"),
            Case(randn(), -1.0, id="0d"),
            Case(randn(0, 2), 1.0, id="empty"),
            Case(randn(4, 3), 3.0, transposed=(0,), id="transposed"),
        ],
    ),
    OpSpec(
        "adjoint",
        lambda x: np.swapaxes(x, -1, -2),
        [
            Case(randn(3, 4)),
            Case(randn(2, 3, 4), id="batched"),
            Case(randn(0, 3), id="empty"),
            Case(randn(4, 3), transposed=(0,), id="transposed"),
        ],
    ),
    OpSpec(
        "as_strided",
        _np_as_strided,
        [
            Case(randn(3, 4), (2, 2), (1, 2), id="overlap"),
            Case(randn(3, 4), (3, 2), (4, 1), 1, id="offset"),
            Case(randn(6), (2, 3), (0, 1), id="zero-stride"),
            Case(randn(), (), (), id="0d"),
            Case(randn(3, 4), (0, 2), (1, 1), id="empty"),
            Case(randn(4, 3), (3, 3), (1, 3), transposed=(0,), id="transposed"),
        ],
    ),
    OpSpec(
        "nonzero_static",
        lambda x, size, fill_value=-1: _np_nonzero_static(x, size, fill_value),
        [
            Case(np.array([[0, 1, 2], [3, 0, 0]]), size=5, id="padded"),
            Case(np.array([0, 1, 2, 3]), size=2, fill_value=7, id="truncated"),
            Case(np.array([[0.0, 1.5], [0.0, 0.0]]), size=0, id="size-0"),
            Case(np.zeros((0, 2)), size=2, id="empty"),
        ],
        grad=False,
    ),
    OpSpec(
        "constant_pad_nd",
        _np_constant_pad,
        [
            Case(randn(2, 3), (1, 2), id="last-dim"),
            Case(randn(2, 3), (1, -1, 2, 0), 1.5, id="crop-and-value"),
            Case(randn(0, 3), (0, 0, 1, 1), id="empty"),
            Case(randn(4, 3), (1, 1), transposed=(0,), id="transposed"),
        ],
    ),
    OpSpec(
        "as_strided_scatter",
        _np_as_strided_scatter,
        [
            Case(randn(3, 4), randn(2, 2), (2, 2), (1, 4), id="2d"),
            Case(randn(3, 4), randn(3), (3,), (3,), 2, id="offset"),
            Case(randn(), randn(), (), (), id="0d"),
            Case(randn(3, 4), randn(0, 2), (0, 2), (1, 1), id="empty"),
            Case(randn(4, 3), randn(2, 3), (2, 3), (3, 1), transposed=(0,), id="transposed"),
        ],
    ),
    OpSpec(
        "combinations",
        _np_combinations,
        [
            Case(randn(4), id="pairs"),
            Case(randn(4), r=3, id="triples"),
            Case(randn(3), with_replacement=True, id="replacement"),
            Case(randn(2), r=3, id="r-past-n"),
            Case(randn(0), id="empty"),
        ],
    ),
    OpSpec(
        "vander",
        lambda x, N=None, increasing=False: np.vander(x, N, increasing),
        [
            Case(randn(3), id="square"),
            Case(randn(3), N=2, increasing=True, id="increasing"),
            Case(np.array([0.0, 1.5, -2.0]), N=4, id="with-zero"),
            Case(randn(0), N=2, id="empty"),
        ],
    ),
    OpSpec(
        "unravel_index",
        lambda i, shape: np.unravel_index(np.mod(i, np.prod(shape)), shape),
        [
            Case(np.array([4, 1, 11]), (3, 4), id="1d"),
            Case(np.array([[5, -1], [0, 23]]), (2, 3, 4), id="2d-negative"),
            Case(np.array(7), 9, id="0d-int-shape"),
            Case(np.zeros(0, np.int64), (2, 2), id="empty"),
        ],
        grad=False,
    ),
    *[
        OpSpec(
            "segment_reduce",
            _np_segment_reduce,
            [
                Case(make(6), reduce, lengths=np.array(first), id=f"{reduce}-1d"),
                Case(
                    make(6, 2),
                    reduce,
                    offsets=np.array([0, 4, 6]),
                    initial=0.5,
                    id=f"{reduce}-offsets-initial",
                ),
                Case(
                    make(2, 5),
                    reduce,
                    lengths=np.array(rows),
                    axis=1,
                    id=f"{reduce}-axis1",
                ),
                Case(make(0), reduce, lengths=np.zeros(0, np.int64), id=f"{reduce}-empty"),
            ],
            fn=_segment_reduce,
        )
        # Empty segments of max/min give -inf/inf, where finite differences make no sense.
        for reduce, make, first, rows in (
            ("sum", randn, [2, 0, 3, 1], [[2, 3], [0, 5]]),
            ("mean", randn, [2, 0, 3, 1], [[2, 3], [0, 5]]),
            ("prod", positive, [2, 0, 3, 1], [[2, 3], [0, 5]]),
            ("max", distinct, [2, 1, 2, 1], [[2, 3], [1, 4]]),
            ("min", distinct, [2, 1, 2, 1], [[2, 3], [1, 4]]),
        )
    ],
    OpSpec(
        "isin",
        lambda a, b, invert=False: np.isin(a, b, invert=invert),
        [
            Case(np.array([[1, 2], [3, 4]]), np.array([2, 3]), id="int"),
            Case(np.array([1.0, np.nan, 2.5]), np.array([np.nan, 1.0]), id="nan"),
            Case(np.array([1.5, 2.0]), np.array([2]), invert=True, id="mixed-invert"),
            Case(np.array(3), np.array([[1, 3]]), id="0d"),
            Case(np.zeros(0), np.array([1.0]), id="empty"),
            Case(np.array([1.0]), np.zeros(0), id="empty-test"),
        ],
        grad=False,
    ),
    *[
        OpSpec(name, lambda x: x, [Case(randn(3, 4)), Case(randn(), id="0d")])
        for name in ("conj", "conj_physical", "resolve_conj", "resolve_neg", "real")
    ],
    OpSpec(
        "isreal",
        lambda x: np.isreal(x),
        [Case(randn(3, 4)), Case(np.array([1, 2])), Case(randn(0), id="empty")],
        grad=False,
    ),
    # The *_copy forms of the view ops: the same values as the view, in new memory.
    OpSpec(
        "expand_copy",
        lambda x, size: np.broadcast_to(x, size),
        [Case(randn(3, 1), (2, 3, 4)), Case(randn(1, 3), (0, 3), id="empty")],
    ),
    OpSpec(
        "permute_copy",
        lambda x, dims: np.transpose(x, dims),
        [Case(randn(2, 3, 4), (2, 0, 1)), Case(randn(4, 3), (1, 0), transposed=(0,))],
    ),
    OpSpec(
        "view_copy",
        lambda x, size: np.reshape(x, size),
        [Case(randn(3, 4), (2, -1)), Case(randn(4, 3), (12,), transposed=(0,))],
    ),
    OpSpec("t_copy", lambda x: x.T, [Case(randn(3, 4)), Case(randn(3), id="1d")]),
    OpSpec(
        "transpose_copy",
        lambda x, d0, d1: np.swapaxes(x, d0, d1) if x.ndim else x,
        [Case(randn(2, 3, 4), 0, -1), Case(randn(), 0, -1, id="0d")],
    ),
    OpSpec(
        "squeeze_copy",
        _np_squeeze,
        [Case(randn(1, 3, 1)), Case(randn(1, 3, 1), dim=(0, 1), id="dims")],
    ),
    OpSpec(
        "unsqueeze_copy",
        lambda x, dim: np.expand_dims(x, dim),
        [Case(randn(3, 4), -1), Case(randn(), 0, id="0d")],
    ),
    OpSpec(
        "diagonal_copy",
        lambda x, offset=0, dim1=0, dim2=1: np.diagonal(x, offset, dim1, dim2).copy(),
        [Case(randn(3, 4), offset=1), Case(randn(2, 3, 4), dim1=1, dim2=2, id="dims")],
    ),
    OpSpec("select_copy", _np_select, [Case(randn(3, 4), 1, -1)]),
    OpSpec(
        "slice_copy",
        lambda x, dim=0, start=None, end=None, step=1: x[
            (slice(None),) * dim + (slice(start, end, step),)
        ],
        [Case(randn(5, 3)), Case(randn(3, 6), dim=1, start=1, end=5, step=2, id="step")],
    ),
    OpSpec("split_copy", _np_split_size, [Case(randn(5, 2), 2), Case(randn(2, 6), 4, dim=1)]),
    OpSpec("split_with_sizes_copy", _np_split_sizes, [Case(randn(5, 2), [2, 3])]),
    OpSpec(
        "unbind_copy",
        lambda x, dim=0: [np.take(x, i, axis=dim) for i in range(x.shape[dim])],
        [Case(randn(3, 4)), Case(randn(3, 4), dim=1, id="dim1")],
    ),
    OpSpec("detach_copy", lambda x: x, [Case(randn(3, 4))], grad=False),
    OpSpec("alias_copy", lambda x: x, [Case(randn(3, 4)), Case(randn(), id="0d")]),
    OpSpec("unfold_copy", _np_unfold, [Case(randn(3, 5), 1, 2, 1), Case(randn(7), 0, 3, 2)]),
]
