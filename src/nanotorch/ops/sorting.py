"""Sorting and selection: sort, argsort, topk, kthvalue, unique, searchsorted, bucketize.

The standard has ``argsort`` (with ``stable`` and ``descending``), ``unique_all`` and
``searchsorted``; everything here is built on those through ``xp``. The ops that return
values of their input (sort, topk, kthvalue) find indices without a graph and read the values
with ``gather``, so their gradients scatter back into the chosen positions
(Note [Values through gather] in ops/scan.py).
Like every op family it imports no array library: arrays are reached through ``xp``.
"""

from __future__ import annotations

from typing import Any

from nanotorch import dtypes as _dt
from nanotorch._dim_args import dim_aliases
from nanotorch.autograd.function import Function
from nanotorch.errors import IndexOutOfRangeError, InvalidArgumentError
from nanotorch.ops._util import normalize_dim
from nanotorch.ops.indexing import gather
from nanotorch.ops.reduction import ValuesIndices
from nanotorch.ops.scan import orderable
from nanotorch.ops.shape import reshape
from nanotorch.tensor import Tensor

# What this family exports; nanotorch.<name> and the op-spec tests derive from it
# (Note [Op registry] in ops/__init__.py).
OPS = (
    "sort",
    "argsort",
    "topk",
    "kthvalue",
    "unique",
    "unique_consecutive",
    "msort",
    "searchsorted",
    "bucketize",
)


class _ArgSort(Function):
    """The standard's argsort along ``dim`` as int64; ties keep their input order (a stable
    sort, also descending). No gradient."""

    differentiable = False

    @staticmethod
    def forward(ctx, xp, a, dim, descending):
        order = xp.argsort(orderable(xp, a), axis=dim, descending=descending, stable=True)
        return xp.astype(order, xp.int64)


def _argsort(op: str, a: Tensor, dim: int, descending: bool) -> tuple[Tensor, int, bool]:
    """Sorted order along ``dim`` (a 0-d tensor as a 1-element line), the normalized dim, and
    whether the input was 0-d."""
    d = normalize_dim(dim, a.ndim, op)
    x = reshape(a, (1,)) if a.ndim == 0 else a
    return _ArgSort.apply(x, dim=d, descending=bool(descending)), d, a.ndim == 0


@dim_aliases
def argsort(
    input: Tensor, dim: int = -1, descending: bool = False, *, stable: bool = False
) -> Tensor:  # noqa: A002
    """Indices that sort ``input`` along ``dim``. The sort is always stable (equal elements keep
    their order, also when ``descending``), which satisfies ``stable=False`` too.

    >>> import nanotorch
    >>> nanotorch.tensor([2.0, 1.0, 2.0, 0.0]).argsort(descending=True).tolist()
    [0, 2, 1, 3]
    """
    order, _, was_0d = _argsort("argsort", input, dim, descending)
    return reshape(order, ()) if was_0d else order


@dim_aliases
def sort(
    input: Tensor,
    dim: int = -1,
    descending: bool = False,
    *,
    stable: bool = False,  # noqa: A002
) -> ValuesIndices:
    """``(values, indices)`` of ``input`` sorted along ``dim`` (stable); the values' gradient
    flows back to the positions they came from."""
    order, d, was_0d = _argsort("sort", input, dim, descending)
    x = reshape(input, (1,)) if was_0d else input
    values = gather(x, d, order)
    if was_0d:
        return ValuesIndices(reshape(values, ()), reshape(order, ()))
    return ValuesIndices(values, order)


def _line_size(a: Tensor, d: int) -> int:
    return a.shape[d] if a.ndim else 1


def _first(x: Tensor, d: int, k: int) -> Tensor:
    return x[(slice(None),) * d + (slice(0, k),)]


@dim_aliases
def topk(
    input: Tensor,  # noqa: A002
    k: int,
    dim: int = -1,
    largest: bool = True,
    sorted: bool = True,  # noqa: A002
) -> ValuesIndices:
    """``(values, indices)`` of the ``k`` largest (or smallest) elements along ``dim``, in
    sorted order (also for ``sorted=False``, where PyTorch allows any order)."""
    d = normalize_dim(dim, input.ndim, "topk")
    n = _line_size(input, d)
    if isinstance(k, bool) or not isinstance(k, int) or not 0 <= k <= n:
        raise RuntimeError(
            f"topk: k={k!r} is out of range for dim {dim} of size {n} (shape {input.shape}); "
            f"use 0 <= k <= {n}"
        )
    order, d, was_0d = _argsort("topk", input, dim, largest)
    x = reshape(input, (1,)) if was_0d else input
    indices = _first(order, d, k)
    values = gather(x, d, indices)
    if was_0d:
        return ValuesIndices(reshape(values, ()), reshape(indices, ()))
    return ValuesIndices(values, indices)


@dim_aliases
def kthvalue(input: Tensor, k: int, dim: int = -1, keepdim: bool = False) -> ValuesIndices:  # noqa: A002
    """``(values, indices)`` of the k-th smallest element (k counts from 1) along ``dim``."""
    d = normalize_dim(dim, input.ndim, "kthvalue")
    n = _line_size(input, d)
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= n:
        raise RuntimeError(
            f"kthvalue: k={k!r} is out of range for dim {dim} of size {n} (shape {input.shape}); "
            f"use 1 <= k <= {n}"
        )
    order, d, was_0d = _argsort("kthvalue", input, dim, False)
    x = reshape(input, (1,)) if was_0d else input
    indices = order[(slice(None),) * d + (slice(k - 1, k),)]
    values = gather(x, d, indices)
    if was_0d:
        return ValuesIndices(reshape(values, ()), reshape(indices, ()))
    if not keepdim:
        values, indices = values.squeeze(d), indices.squeeze(d)
    return ValuesIndices(values, indices)


class _Unique(Function):
    """One ``part`` of the unique elements of ``a``: the distinct values in increasing order,
    the inverse (each element's position among them, shaped like ``a``) or the counts. The
    standard's ``unique_all`` leaves the order of its values unspecified, so they are sorted
    here and the inverse is renumbered to match. A Function has one output, so each part
    asked for is one call. Data-dependent shapes (a sync on accelerators). No gradient."""

    differentiable = False

    @staticmethod
    def forward(ctx, xp, a, part):
        found = xp.unique_all(xp.reshape(orderable(xp, a), (-1,)))
        order = xp.argsort(found.values, stable=True)
        if part == "values":
            return xp.astype(xp.take(found.values, order), a.dtype)
        if part == "counts":
            return xp.astype(xp.take(found.counts, order), xp.int64)
        rank = xp.argsort(order, stable=True)  # rank[j]: where found value j lands
        inverse = xp.take(rank, xp.reshape(found.inverse_indices, (-1,)))
        return xp.reshape(xp.astype(inverse, xp.int64), a.shape)


class _UniqueSlices(Function):
    """One ``part`` of the unique slices of ``a`` along ``dim`` (PyTorch's ``unique(dim=)``):
    the distinct slices in lexicographic order, the inverse (which of them each slice is) or
    the counts. The slices become the rows of a matrix; a stable argsort per column, last
    column first, sorts the rows lexicographically (a radix sort of sorts); a row starts a
    new group where it differs from the one before it; cumulative sums number the groups.
    No gradient."""

    differentiable = False

    @staticmethod
    def forward(ctx, xp, a, dim, part):
        moved = xp.moveaxis(orderable(xp, a), dim, 0)
        n = moved.shape[0]
        width = 1
        for size in moved.shape[1:]:
            width *= size
        rows = xp.reshape(moved, (n, width))
        order = xp.arange(n, dtype=xp.int64, device=a.device)
        for j in range(width - 1, -1, -1):
            order = xp.take(order, xp.argsort(xp.take(rows[:, j], order), stable=True))
        ranked = xp.take(rows, order, axis=0)
        differs = xp.any(ranked[1:, ...] != ranked[:-1, ...], axis=1)
        first = xp.ones((min(n, 1),), dtype=xp.bool, device=a.device)
        new_group = xp.concat([first, differs])
        (starts,) = xp.nonzero(new_group)
        if part == "values":
            picked = xp.take(xp.moveaxis(a, dim, 0), xp.take(order, starts), axis=0)
            return xp.moveaxis(picked, 0, dim)
        if part == "counts":
            end = xp.asarray([n], dtype=starts.dtype, device=a.device)
            return xp.astype(xp.concat([starts[1:], end]) - starts, xp.int64)
        group = xp.cumulative_sum(xp.astype(new_group, xp.int64)) - 1
        return xp.take(group, xp.argsort(order, stable=True))


@dim_aliases
def unique(
    a: Tensor,
    sorted: bool = True,  # noqa: A002 - PyTorch's name
    return_inverse: bool = False,
    return_counts: bool = False,
    dim: int | None = None,
) -> Any:
    """The distinct elements of ``a`` (flattened), sorted; with ``return_inverse`` also the
    index of each element of ``a`` among them, with ``return_counts`` how often each occurs.
    With ``dim``, the distinct slices along ``dim`` instead, in lexicographic order.

    >>> import nanotorch
    >>> nanotorch.tensor([3, 1, 3, 2]).unique(return_counts=True)[1].tolist()
    [1, 1, 2]
    """
    if dim is None:
        parts = lambda part: _Unique.apply(a, part=part)  # noqa: E731
    else:
        if a.ndim == 0:
            raise IndexOutOfRangeError(
                f"unique: dim={dim} needs a tensor with at least 1 dim, got 0-d"
            )
        d = normalize_dim(dim, a.ndim, "unique")
        parts = lambda part: _UniqueSlices.apply(a, dim=d, part=part)  # noqa: E731
    out = [parts("values")]
    if return_inverse:
        out.append(parts("inverse"))
    if return_counts:
        out.append(parts("counts"))
    return out[0] if len(out) == 1 else tuple(out)


class _SearchSorted(Function):
    """For each value, the insertion point into a sorted sequence (1-D, or one sequence per
    leading index, searched line by line) on ``side``. No gradient."""

    differentiable = False
    dtype_exempt = (0, 1)

    @staticmethod
    def forward(ctx, xp, seq, values, side):
        if seq.ndim == 1:
            out = xp.searchsorted(seq, xp.reshape(values, (-1,)), side=side)
            return xp.reshape(xp.astype(out, xp.int64), values.shape)
        m, n = seq.shape[-1], values.shape[-1]
        lines = 1
        for s in seq.shape[:-1]:
            lines *= s
        seq2, val2 = xp.reshape(seq, (lines, m)), xp.reshape(values, (lines, n))
        rows = [xp.searchsorted(seq2[i, :], val2[i, :], side=side) for i in range(lines)]
        if not rows:
            return xp.zeros(values.shape, dtype=xp.int64, device=values.device)
        return xp.reshape(xp.astype(xp.stack(rows), xp.int64), values.shape)


def _common_dtype(a: Tensor, b: Tensor) -> Any:
    # Comparisons only: both operands are brought to one dtype that holds both exactly
    # enough (floats win; the wider float wins).
    if a.dtype is b.dtype:
        return a.dtype
    floats = [t.dtype for t in (a, b) if t.dtype.is_floating_point]
    if not floats:
        return _dt.int64
    return max(floats, key=lambda d: d.itemsize)


def searchsorted(
    sorted_sequence: Tensor,
    input: Tensor | float | int,  # noqa: A002 - PyTorch's name
    *,
    out_int32: bool = False,
    right: bool = False,
    side: str | None = None,
    sorter: Tensor | None = None,
) -> Tensor:
    """Indices where ``input``'s values would be inserted into ``sorted_sequence`` (sorted
    along its last dim) to keep it sorted: the first such place, or the last with
    ``right=True`` / ``side='right'``.

    >>> import nanotorch
    >>> seq = nanotorch.tensor([1.0, 2.0, 2.0, 3.0])
    >>> nanotorch.searchsorted(seq, nanotorch.tensor([2.0]), right=True).tolist()
    [3]
    """
    if side is not None and side not in ("left", "right"):
        raise RuntimeError(f"searchsorted: side must be 'left' or 'right', got {side!r}")
    if side == "left" and right:
        raise RuntimeError(
            "searchsorted: side='left' and right=True contradict each other; pass one of them"
        )
    side = side or ("right" if right else "left")
    seq = sorted_sequence
    values = input if isinstance(input, Tensor) else _scalar_like(input, seq)
    if seq.ndim == 0:
        raise RuntimeError("searchsorted: sorted_sequence must have at least 1 dim, got 0-d")
    if seq.ndim > 1 and tuple(seq.shape[:-1]) != tuple(values.shape[:-1]):
        raise RuntimeError(
            f"searchsorted: sorted_sequence of shape {seq.shape} and input of shape "
            f"{values.shape} must agree in every dim but the last (or the sequence be 1-D)"
        )
    if sorter is not None:
        if tuple(sorter.shape) != tuple(seq.shape):
            raise RuntimeError(
                f"searchsorted: sorter of shape {sorter.shape} must match sorted_sequence of "
                f"shape {seq.shape}"
            )
        seq = gather(seq, seq.ndim - 1, sorter.long())
    dtype = _common_dtype(seq, values)
    out = _SearchSorted.apply(seq.to(dtype), values.to(dtype), side=side)
    return out.int() if out_int32 else out


def _scalar_like(value: Any, like: Tensor) -> Tensor:
    from nanotorch.creation import tensor

    return tensor(value, device=like.device)


def bucketize(
    input: Tensor | float | int,  # noqa: A002 - PyTorch's name
    boundaries: Tensor,
    *,
    out_int32: bool = False,
    right: bool = False,
) -> Tensor:
    """The bucket of each value of ``input`` among the sorted 1-D ``boundaries``: i with
    boundaries[i-1] < x <= boundaries[i] (``right=False``), or boundaries[i-1] <= x <
    boundaries[i] (``right=True``)."""
    if boundaries.ndim != 1:
        raise RuntimeError(
            f"bucketize: boundaries must be 1-D, got shape {boundaries.shape}; use "
            "searchsorted for one sequence per row"
        )
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)


def msort(input: Tensor) -> Tensor:  # noqa: A002
    """The values of ``input`` sorted along dim 0 (``sort(a, dim=0).values``)."""
    return sort(input, 0).values


def unique_consecutive(
    a: Tensor,
    return_inverse: bool = False,
    return_counts: bool = False,
    dim: int | None = None,
) -> Any:
    """The input (flattened) with each run of equal consecutive values collapsed to one, as
    PyTorch's ``unique_consecutive``; optionally the run each element belongs to
    (``inverse``, in ``a``'s shape) and the run lengths (``counts``). No gradient.

    >>> import nanotorch
    >>> nanotorch.unique_consecutive(nanotorch.tensor([1, 1, 2, 1])).tolist()
    [1, 2, 1]
    """
    from nanotorch.creation import ones, tensor
    from nanotorch.ops.indexing import nonzero
    from nanotorch.ops.scan import cumsum
    from nanotorch.ops.shape import cat

    if dim is not None:
        return _unique_consecutive_dim(a, return_inverse, return_counts, dim)
    flat = reshape(a.detach(), (-1,))
    n = flat.shape[0]
    starts = ones(min(n, 1), dtype=_dt.bool_, device=a.device)
    if n > 1:
        starts = cat([starts, flat[1:] != flat[:-1]])
    values = flat[starts]
    out: list[Tensor] = [values]
    if return_inverse:
        out.append(reshape(cumsum(starts.long(), 0) - 1, tuple(a.shape)))
    if return_counts:
        begin = reshape(nonzero(starts), (-1,))
        if n == 0:  # no runs (and the standard forbids slicing past an empty axis)
            out.append(begin)
        else:
            end = cat([begin[1:], tensor([n], device=a.device)])
            out.append(end - begin)
    return out[0] if len(out) == 1 else tuple(out)


def _unique_consecutive_dim(a: Tensor, return_inverse: bool, return_counts: bool, dim: int) -> Any:
    """``unique_consecutive`` of the slices along ``dim``: a slice equal (element by element)
    to the one before it joins its run. ``inverse`` and ``counts`` are 1-D, one entry per
    slice and per run. Slices are compared as rows: ``dim`` moved first, the rest flattened."""
    from nanotorch.creation import ones, tensor
    from nanotorch.ops.indexing import index_select, nonzero
    from nanotorch.ops.scan import any as any_
    from nanotorch.ops.scan import cumsum
    from nanotorch.ops.shape import cat
    from nanotorch.ops.shape_extra import movedim

    if a.ndim == 0:
        raise IndexOutOfRangeError(
            f"unique_consecutive: dim {dim} is out of range for a 0-d tensor; drop dim="
        )
    d = normalize_dim(dim, a.ndim, "unique_consecutive")
    n = a.shape[d]
    if a.numel() == 0 and n != 0:
        raise InvalidArgumentError(
            f"unique_consecutive: the tensor of shape {a.shape} has a size-0 dim other than "
            f"dim {dim}, so its slices cannot be told apart; select a size-0 dim or drop dim="
        )
    width = a.numel() // n if n else 0
    rows = reshape(movedim(a.detach(), d, 0), (n, width))
    starts = ones(min(n, 1), dtype=_dt.bool_, device=a.device)
    if n > 1:
        starts = cat([starts, any_(rows[1:] != rows[:-1], 1)])
    begin = reshape(nonzero(starts), (-1,))
    out: list[Tensor] = [index_select(a.detach(), d, begin)]
    if return_inverse:
        out.append(cumsum(starts.long(), 0) - 1)
    if return_counts:
        if n == 0:
            out.append(begin)
        else:
            end = cat([begin[1:], tensor([n], device=a.device)])
            out.append(end - begin)
    return out[0] if len(out) == 1 else tuple(out)
