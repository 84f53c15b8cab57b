"""Specs for the scatter/gather family (nanotorch/ops/scatter.py): forward references are
plain NumPy loops over the index, the definition PyTorch's documentation gives."""

from __future__ import annotations

import itertools

import numpy as np

import nanotorch as nt
from nanotorch.testing import Case, OpSpec
from specs import _rng, distinct, ints, randn


def _unique_index(size: int, shape: tuple[int, ...], dim: int) -> np.ndarray:
    """An index of ``shape`` whose values along ``dim`` are distinct picks from [0, size),
    so that each target of a scatter is written at most once (duplicates are undefined)."""
    moved = (shape[dim],) + shape[:dim] + shape[dim + 1 :]
    lines = int(np.prod(moved[1:])) if len(moved) > 1 else 1
    picks = np.stack([_rng.permutation(size)[: shape[dim]] for _ in range(lines)], axis=-1)
    return np.moveaxis(picks.reshape(moved), 0, dim).astype(np.int64)


def _targets(index: np.ndarray, dim: int):
    """(position in index, position in the target) for every element of ``index``."""
    for pos in itertools.product(*(range(s) for s in index.shape)):
        target = list(pos)
        target[dim] = int(index[pos])
        yield pos, tuple(target)


def _as_1d(fn):
    """A 0-d call acts on one element: run the reference on 1-element arrays."""

    def ref(x, dim, index, *args, **kwargs):
        if x.ndim:
            return fn(x, dim, index, *args, **kwargs)
        args = [a.reshape(1) if isinstance(a, np.ndarray) else a for a in args]
        return fn(x.reshape(1), 0, index.reshape(1), *args, **kwargs).reshape(())

    return ref


@_as_1d
def _np_scatter(x, dim, index, src=None, value=None, reduce=None):
    out = x.copy()
    for pos, target in _targets(index, dim % x.ndim):
        v = value if src is None else np.asarray(src)[pos]
        if reduce == "add":
            out[target] += v
        elif reduce == "multiply":
            out[target] *= v
        else:
            out[target] = v
    return out


def _np_scatter_add(x, dim, index, src):
    return _np_scatter(x, dim, index, src, reduce="add")


@_as_1d
def _np_scatter_reduce(x, dim, index, src, reduce, include_self=True):
    dim = dim % x.ndim
    groups: dict[tuple[int, ...], list[float]] = {}
    for pos, target in _targets(index, dim):
        groups.setdefault(target, [x[target]] if include_self else []).append(src[pos])
    out = x.copy()
    fold = {"sum": np.sum, "prod": np.prod, "mean": np.mean, "amax": np.max, "amin": np.min}
    for target, values in groups.items():
        out[target] = fold[reduce](np.asarray(values, dtype=x.dtype))
    return out


@_as_1d
def _np_index_add(x, dim, index, source, alpha=1):
    out = x.copy()
    moved = np.moveaxis(out, dim, 0)
    np.add.at(moved, index, np.moveaxis(source, dim, 0) * alpha)
    return out


@_as_1d
def _np_index_copy(x, dim, index, source):
    out = x.copy()
    np.moveaxis(out, dim, 0)[index] = np.moveaxis(source, dim, 0)
    return out


@_as_1d
def _np_index_fill(x, dim, index, value):
    out = x.copy()
    np.moveaxis(out, dim, 0)[index] = value
    return out


def _np_index_put(x, indices, values, accumulate=False):
    out = x.copy()
    if accumulate:
        np.add.at(out, tuple(indices), values)
    else:
        out[tuple(indices)] = values
    return out


def _np_masked_scatter(x, mask, source):
    mask = np.broadcast_to(mask, x.shape)
    out = x.copy()
    out[mask] = source.reshape(-1)[: int(mask.sum())]
    return out


def _np_take_along_dim(x, indices, dim=None):
    if dim is None:
        return np.take_along_axis(x.reshape(-1), indices.reshape(-1), axis=0)
    rest = np.broadcast_shapes(np.delete(x.shape, dim), np.delete(indices.shape, dim))
    xs, ids = list(rest), list(rest)
    xs.insert(dim, x.shape[dim])
    ids.insert(dim, indices.shape[dim])
    return np.take_along_axis(np.broadcast_to(x, xs), np.broadcast_to(indices, ids), axis=dim)


_x34 = randn(3, 4)
_dup_rows = np.array([2, 0, 2, 1])  # a repeat: gradients must accumulate
_mask34 = randn(3, 4) > 0


def _scatter_cases():
    return [
        Case(randn(3, 5), 1, _unique_index(5, (3, 2), 1), randn(3, 4), id="dim1-src-larger"),
        Case(randn(4, 3), 0, _unique_index(4, (3, 3), 0), randn(3, 3), id="dim0"),
        Case(randn(2, 3, 4), -1, _unique_index(4, (2, 3, 4), 2), randn(2, 3, 4), id="3d-neg"),
        Case(randn(), 0, np.array(0), randn(), id="0d"),
        Case(randn(3, 4), 1, np.zeros((3, 0), dtype=np.int64), randn(3, 2), id="empty"),
        Case(
            randn(4, 3),
            0,
            _unique_index(4, (2, 3), 0),
            randn(2, 3),
            transposed=(0,),
            id="transposed",
        ),
    ]


def _reduce_cases(reduce, make=randn):
    index = np.array([[0, 2, 2, 0], [1, 1, 1, 3], [3, 0, 3, 3]])  # repeats and gaps
    return [
        Case(make(4, 4), 0, index, make(3, 4), reduce=reduce, id=f"{reduce}-dim0"),
        Case(
            make(4, 4),
            0,
            index,
            make(3, 4),
            reduce=reduce,
            include_self=False,
            id=f"{reduce}-no-self",
        ),
        Case(make(3, 5), 1, index.T[:3, :3] % 5, make(3, 4), reduce=reduce, id=f"{reduce}-dim1"),
        Case(make(), 0, np.array(0), make(), reduce=reduce, id=f"{reduce}-0d"),
        Case(
            make(3), 0, np.zeros((0,), dtype=np.int64), make(2), reduce=reduce, id=f"{reduce}-empty"
        ),
        Case(
            make(4, 4),
            0,
            index,
            make(3, 4),
            reduce=reduce,
            transposed=(0,),
            id=f"{reduce}-transposed",
        ),
    ]


_with_zeros = np.array(
    [[1.5, 0.0, 2.0, -1.0], [0.0, 3.0, 0.0, 0.5], [2.0, -0.5, 1.0, 0.0], [1.0, 2.0, 0.0, 1.5]]
)

SPECS = [
    OpSpec("scatter", _np_scatter, _scatter_cases()),
    OpSpec(
        "scatter",
        lambda x, dim, index, value: _np_scatter(x, dim, index, value=value),
        [
            Case(randn(3, 5), 1, _unique_index(5, (3, 2), 1), 1.5, id="value"),
            Case(randn(3, 5), 1, _dup_rows[None, :3].repeat(3, 0), -2.0, id="value-dup"),
        ],
        fn=lambda x, dim, index, value: nt.scatter(x, dim, index, value=value),
    ),
    OpSpec(
        "scatter",
        _np_scatter,
        [
            Case(randn(4, 4), 0, ints(0, 4, 3, 4), randn(3, 4), reduce="add", id="add"),
            Case(randn(4, 4), 0, ints(0, 4, 3, 4), randn(3, 4), reduce="multiply", id="mul"),
        ],
        grad=False,  # PyTorch defines no gradient for scatter with reduce=
    ),
    OpSpec(
        "scatter_add",
        _np_scatter_add,
        [
            Case(randn(4, 4), 0, ints(0, 4, 3, 4), randn(3, 4), id="dup"),
            Case(randn(3, 5), 1, ints(0, 5, 3, 7), randn(3, 8), id="src-larger"),
            Case(randn(), 0, np.array(0), randn(), id="0d"),
            Case(randn(3), 0, np.zeros((0,), dtype=np.int64), randn(2), id="empty"),
            Case(randn(4, 4), 0, ints(0, 4, 3, 4), randn(4, 5), transposed=(0, 3), id="transposed"),
        ],
    ),
    OpSpec("scatter_reduce", _np_scatter_reduce, _reduce_cases("sum")),
    OpSpec("scatter_reduce", _np_scatter_reduce, _reduce_cases("mean")),
    OpSpec("scatter_reduce", _np_scatter_reduce, _reduce_cases("amax", distinct)),
    OpSpec("scatter_reduce", _np_scatter_reduce, _reduce_cases("amin", distinct)),
    OpSpec("scatter_reduce", _np_scatter_reduce, _reduce_cases("prod")),
    OpSpec(
        "scatter_reduce",
        _np_scatter_reduce,
        [
            Case(
                _with_zeros,
                0,
                np.array([[0, 0, 1, 1], [0, 0, 1, 2]]),
                _with_zeros[:2],
                reduce="prod",
                id="zeros",
            ),
            Case(
                _with_zeros,
                1,
                np.array([[0, 0], [1, 1], [2, 2], [3, 0]]),
                _with_zeros[:, 1:3],
                reduce="prod",
                include_self=False,
                id="zeros-no-self",
            ),
        ],
    ),
    OpSpec(
        "index_add",
        _np_index_add,
        [
            Case(randn(4, 3), 0, _dup_rows, randn(4, 3), id="dup"),
            Case(randn(2, 5), 1, ints(0, 5, 3), randn(2, 3), alpha=-2.0, id="dim1-alpha"),
            Case(randn(3), 0, np.zeros((0,), dtype=np.int64), randn(0), id="empty"),
            Case(randn(), 0, np.array(0), randn(), id="0d"),
            Case(randn(4, 3), 0, _dup_rows, randn(4, 3), transposed=(3,), id="transposed"),
        ],
    ),
    OpSpec(
        "index_copy",
        _np_index_copy,
        [
            Case(randn(5, 3), 0, np.array([4, 0, 2]), randn(3, 3), id="dim0"),
            Case(randn(2, 5), -1, np.array([3, 1]), randn(2, 2), id="neg-dim"),
            Case(randn(3), 0, np.zeros((0,), dtype=np.int64), randn(0), id="empty"),
            Case(randn(), 0, np.array(0), randn(), id="0d"),
            Case(randn(3, 5), 1, np.array([4, 0]), randn(3, 2), transposed=(0, 3), id="transposed"),
        ],
    ),
    OpSpec(
        "index_fill",
        _np_index_fill,
        [
            Case(randn(5, 3), 0, _dup_rows, -1.5, id="dup"),
            Case(randn(2, 5), 1, np.array([3, 1]), 2.0, id="dim1"),
            Case(randn(3), 0, np.zeros((0,), dtype=np.int64), 0.0, id="empty"),
            Case(randn(4, 3), 1, np.array([0]), 7.0, transposed=(0,), id="transposed"),
        ],
    ),
    OpSpec(
        "index_put",
        _np_index_put,
        [
            Case(randn(4, 3), (np.array([3, 0]),), randn(2, 3), id="rows"),
            Case(
                randn(4, 3),
                (np.array([3, 0, 3]), np.array([1, 2, 1])),
                randn(3),
                accumulate=True,
                id="accumulate-dup",
            ),
            Case(
                randn(4, 3), (np.array([-1, 0]), np.array([[2], [0]])), randn(1, 2), id="bcast-neg"
            ),
            Case(randn(4, 3), (np.array([1, 2]),), randn(3), id="bcast-values"),
            Case(randn(4, 3), (np.zeros((0,), dtype=np.int64),), randn(0, 3), id="empty"),
            Case(randn(3, 4), (np.array([2, 0]),), randn(2, 4), transposed=(0,), id="transposed"),
        ],
        fn=lambda x, indices, values, accumulate=False: nt.index_put(
            x, tuple(nt.tensor(i, device=x.device) for i in indices), values, accumulate
        ),
    ),
    OpSpec(
        "masked_fill",
        lambda x, mask, value: np.where(mask, value, x),
        [
            Case(_x34, _mask34, -1.0),
            Case(randn(3, 4), randn(4) > 0, 2.5, id="bcast"),
            Case(randn(), np.array(True), 0.0, id="0d"),
            Case(randn(0, 4), np.zeros((0, 4), dtype=bool), 1.0, id="empty"),
            Case(randn(4, 3), randn(4, 3) > 0, 3.0, transposed=(0,), id="transposed"),
        ],
    ),
    OpSpec(
        "masked_scatter",
        _np_masked_scatter,
        [
            Case(_x34, _mask34, randn(3, 4)),
            Case(randn(3, 4), randn(4) > 0, randn(20), id="bcast-longer-source"),
            Case(randn(), np.array(True), randn(), id="0d"),
            Case(randn(0, 4), np.zeros((0, 4), dtype=bool), randn(2), id="empty"),
            Case(randn(4, 3), randn(4, 3) > 0, randn(4, 3), transposed=(0, 2), id="transposed"),
        ],
    ),
    OpSpec(
        "masked_select",
        lambda x, mask: np.broadcast_to(x, np.broadcast_shapes(x.shape, mask.shape))[
            np.broadcast_to(mask, np.broadcast_shapes(x.shape, mask.shape))
        ],
        [
            Case(_x34, _mask34),
            Case(randn(3, 4), randn(4) > 0, id="bcast-mask"),
            Case(randn(4), randn(3, 4) > 0, id="bcast-input"),
            Case(randn(), np.array(True), id="0d"),
            Case(randn(0, 4), np.zeros((0, 4), dtype=bool), id="empty"),
            Case(randn(4, 3), randn(4, 3) > 0, transposed=(0,), id="transposed"),
        ],
    ),
    OpSpec(
        "take",
        lambda x, index: np.take(x, index),
        [
            Case(randn(3, 4), np.array([[0, 11], [5, 5]]), id="dup"),
            Case(randn(3, 4), np.array([-1, -12, 3]), id="negative"),
            Case(randn(), np.array([0, 0]), id="0d"),
            Case(randn(3, 4), np.zeros((0,), dtype=np.int64), id="empty"),
            Case(randn(4, 3), np.array([1, 7]), transposed=(0,), id="transposed"),
        ],
    ),
    OpSpec(
        "take_along_dim",
        _np_take_along_dim,
        [
            Case(randn(3, 4), ints(0, 12, 5), id="flat"),
            Case(randn(3, 4), ints(0, 4, 3, 2), dim=1, id="dim1"),
            Case(randn(3, 4), ints(0, 3, 2, 1), dim=0, id="bcast"),
            Case(randn(1, 4), ints(0, 4, 3, 2), dim=1, id="bcast-input"),
            Case(randn(3, 4), np.zeros((3, 0), dtype=np.int64), dim=1, id="empty"),
            Case(randn(4, 3), ints(0, 4, 2, 3), dim=0, transposed=(0,), id="transposed"),
        ],
    ),
]
