"""Indexing: ``a[key]`` and ``a[key] = v`` with ints, slices, None, Ellipsis, index tensors,
lists, bool masks and any mix of them (Note [Advanced indexing]); ``gather``,
``index_select``, ``nonzero`` and ``one_hot``; and the write primitives the scatter family
builds on (``put_values``, ``LastWriter``, ``Counts``).

Integer-array indexing reads with the standard's ``take``; its backward must add gradients
into the rows it read, repeats included. The standard has no scatter-add, so that is the
backend hook ``index_add`` (``np.add.at``, ``cupyx.scatter_add``, or a portable one-hot
matmul), tested with duplicate indices on every device.
"""

from __future__ import annotations

from typing import Any

from nanotorch._dim_args import dim_aliases
from nanotorch._inplace import mark_view
from nanotorch.autograd.function import Function
from nanotorch.autograd.grad_mode import no_grad
from nanotorch.determinism import alert_not_deterministic
from nanotorch.errors import (
    IndexOutOfRangeError,
    InvalidArgumentError,
    InvalidIndexError,
    ShapeError,
    UnsupportedDtypeError,
)
from nanotorch.ops._util import normalize_dim
from nanotorch.ops.elementwise import where
from nanotorch.tensor import Tensor

# What this family exports; nanotorch.<name> and the op-spec tests derive from it
# (Note [Op registry] in ops/__init__.py).
OPS = ("getitem", "gather", "index_select", "one_hot", "nonzero")


class GetItem(Function):
    """out = a[key] for basic keys (ints, slices, None, Ellipsis);
    da = zeros like a with g written at ``key``."""

    @staticmethod
    def forward(ctx, xp, a, key):
        ctx.key, ctx.in_shape = key, a.shape
        return a[key]

    @staticmethod
    def backward(ctx, g):
        return SliceScatter.apply(g, key=ctx.key, shape=ctx.in_shape)


class SliceScatter(Function):
    """out = zeros(shape) with out[key] = g (basic keys select each element at most once);
    dg = d_out[key]."""

    @staticmethod
    def forward(ctx, xp, g, key, shape):
        ctx.key = key
        # From the cpu pool: the backward of a q/k/v split writes each third into one.
        out = ctx.backend.zeros(shape, g.dtype, g)
        out[key] = g
        return out

    @staticmethod
    def backward(ctx, g):
        return GetItem.apply(g, key=ctx.key)


class Take(Function):
    """out = a gathered along ``axis`` at ``index`` (any shape of indices);
    da = scatter-add of g into zeros at those positions (repeats accumulate)."""

    dtype_exempt = (1,)

    @staticmethod
    def forward(ctx, xp, a, index, axis):
        ctx.axis, ctx.in_shape = axis, a.shape
        ctx.save_for_backward(index)
        flat = xp.reshape(index, (-1,))
        out = xp.take(a, flat, axis=axis)
        shape = a.shape[:axis] + tuple(index.shape) + a.shape[axis + 1 :]
        return xp.reshape(out, shape)

    @staticmethod
    def backward(ctx, g):
        (index,) = ctx.saved_tensors
        return IndexAdd.apply(g, index, axis=ctx.axis, shape=ctx.in_shape), None


class IndexAdd(Function):
    """out = zeros(shape); out[index[i]] += g[i] along ``axis`` (the scatter-add hook);
    dg = take(d_out, index) along ``axis``."""

    dtype_exempt = (1,)

    @staticmethod
    def forward(ctx, xp, g, index, axis, shape):
        ctx.axis = axis
        ctx.save_for_backward(index)
        backend = ctx.backend
        flat_index = xp.reshape(index, (-1,))
        # Move ``axis`` to the front so the hook only ever scatters rows.
        ndim_idx = index.ndim
        rows = xp.reshape(
            xp.permute_dims(g, _front_order(g.ndim, axis, ndim_idx)),
            (flat_index.shape[0],) + shape[:axis] + shape[axis + 1 :],
        )
        front = (shape[axis],) + shape[:axis] + shape[axis + 1 :]
        target = xp.zeros(front, dtype=g.dtype, device=g.device)
        # cuda's scatter-add is atomic (Note [Deterministic algorithms]).
        alert_not_deterministic("scatter-add (IndexAdd)", backend.device, backend.dtype_of(g))
        summed = backend.index_add(target, flat_index, rows)
        back = list(range(1, axis + 1)) + [0] + list(range(axis + 1, len(shape)))
        return xp.permute_dims(summed, tuple(back))

    @staticmethod
    def backward(ctx, g):
        (index,) = ctx.saved_tensors
        return Take.apply(g, index, axis=ctx.axis), None


def _front_order(ndim: int, axis: int, k: int) -> tuple[int, ...]:
    """Axes of g (shape a[:axis] + index.shape + a[axis+1:]) with the k index axes first."""
    idx_axes = list(range(axis, axis + k))
    rest = [i for i in range(ndim) if i not in idx_axes]
    return tuple(idx_axes + rest)


def take_along(a: Tensor, index: Tensor, axis: int, op: str = "index") -> Tensor:
    """Rows of ``a`` along ``axis`` picked by an integer tensor of any shape."""
    _check_index_tensor(op, index, a.shape[axis], a, axis)
    return Take.apply(a, index, axis=axis)


def _check_index_tensor(op: str, index: Tensor, size: int, a: Tensor, axis: int) -> None:
    if not isinstance(index, Tensor):
        raise UnsupportedDtypeError(f"{op}: index must be a Tensor, got {type(index).__name__}")
    if index.dtype.name not in ("int64", "int32"):
        raise UnsupportedDtypeError(f"{op}: index must be an integer tensor, got {index.dtype!r}")
    if index.numel():
        lo, hi = index_range(index)
        if lo < 0 or hi >= size:
            raise IndexOutOfRangeError(
                f"{op}: index out of range for dim {axis} of size {size} "
                f"(tensor of shape {a.shape}); got indices from {lo} to {hi}"
                + (" (negative indices are not supported here)" if lo < 0 else "")
            )


def index_range(index: Tensor) -> tuple[int, int]:
    """(min, max) of an integer tensor, read on the host.

    Note [Index validation reads]
    ~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
    Out-of-range indices must raise, never wrap or clip silently (CuPy's take would wrap).
    Checking them means reading two numbers back from the device: a small sync, which is not
    counted as a transfer because the user did not ask for data. It is the price of a clear
    IndexError instead of a wrong answer.
    """
    xp = index._backend.xp
    with index._backend.context():
        both = xp.stack([xp.min(index._data), xp.max(index._data)])
    lo, hi = index._backend.to_host(both).tolist()
    return int(lo), int(hi)


# Note [Advanced indexing]
# ~~~~~~~~~~~~~~~~~~~~~~~~
# ``a[key]`` follows PyTorch, which follows NumPy with one difference. A key is a tuple of
# items: ints, slices, None, Ellipsis ("basic"), and integer or bool tensors, Python lists
# and tuples of ints or bools ("advanced"; a list becomes a tensor). It is read in three steps:
# 1. Bool masks become integer indices: a k-dim mask is k integer tensors (the coordinates of
#    its true elements, from ``nonzero``); a 0-d mask is a new size-1 dim indexed by [0] or [].
# 2. The basic items are applied first (``_basic_getitem``), advanced positions kept whole.
#    Ints select here, as in PyTorch: they are not advanced indices, so in ``a[:, [0], :, 0]``
#    the result is (5, 1, 7) where NumPy, which counts the int as advanced, gives (1, 5, 7).
# 3. The advanced indices broadcast to one shape B; negative values count from the end. Where
#    the advanced dims are adjacent, B replaces them in place; when a slice or None separates
#    them, B goes first (NumPy's rule). The standard only guarantees ``take`` along one axis,
#    so several indices are folded into one linear index over their dims (adjacent dims are
#    merged by a reshape; separated ones are first permuted to the front) and read with one
#    ``take``. All steps are differentiable ops, so the gradient is the scatter-add of
#    ``Take``'s backward (the ``index_add`` hook): duplicates accumulate.
# Writing (``a[key] = v``, ``index_put``) reuses the read: indexing ``arange(numel)`` shaped
# like ``a`` with the same key gives the flat position of every element the key selects, in
# the result's layout; ``v`` is broadcast to that layout and written with ``put_values``
# (Note [Scatter through flat positions] in ops/scatter.py).


def _is_int(k: Any) -> bool:
    return (
        not isinstance(k, (bool, Tensor))
        and hasattr(k, "__index__")
        and getattr(k, "ndim", 0) == 0
        and str(getattr(k, "dtype", "")) != "bool"
    )


def _is_host_array(k: Any) -> bool:
    """A host array (a NumPy array, say) used as an index, as PyTorch code often does; the
    engine reaches it by duck typing, never by importing its library."""
    return not isinstance(k, Tensor) and hasattr(k, "__array__") and not _is_int(k)


def _key_items(a: Tensor, key: Any) -> list[Any]:
    """The key as a list of items, with lists and tuples of indices turned into tensors.
    (A tuple key is a tuple of items; a tuple or list inside it is one advanced index.)"""
    items = list(key) if isinstance(key, tuple) else [key]
    # A Python bool is a 0-d mask: True adds a dim of size 1 (like None), False one of size 0.
    return [
        None
        if k is True
        else _as_index_tensor(a, k)
        if isinstance(k, (list, tuple)) or _is_host_array(k) or k is False
        else k
        for k in items
    ]


def _as_index_tensor(a: Tensor, k: Any) -> Tensor:
    from nanotorch import dtypes
    from nanotorch.creation import tensor

    try:
        t = tensor(list(k) if isinstance(k, tuple) else k, device=a.device)
    except (TypeError, ValueError) as exc:
        raise IndexOutOfRangeError(
            f"index: a list or tuple used as an index must hold ints or bools, got {k!r}"
        ) from exc
    if t.numel() == 0:
        t = t.to(dtypes.int64)
    return t


def _expand_ellipsis(a: Tensor, items: list[Any]) -> list[Any]:
    """Replace Ellipsis by full slices (or append them); check the count of dims."""
    consumed = 0
    for k in items:
        if k is None or k is Ellipsis:
            continue
        consumed += k.ndim if isinstance(k, Tensor) and k.dtype.name == "bool" else 1
    if sum(1 for k in items if k is Ellipsis) > 1:
        raise IndexOutOfRangeError("index: an index can only have a single ellipsis ('...')")
    if consumed > a.ndim:
        raise IndexOutOfRangeError(
            f"index: too many indices ({consumed}) for a tensor of rank {a.ndim}"
        )
    # Identity tests: ``in`` would compare with ==, which is elementwise on tensors.
    positions = [i for i, k in enumerate(items) if k is Ellipsis]
    fill = [slice(None)] * (a.ndim - consumed)
    if positions:
        i = positions[0]
        return items[:i] + fill + items[i + 1 :]
    return items + fill


def getitem(a: Tensor, key: Any) -> Tensor:
    """``a[key]`` with basic and advanced items (Note [Advanced indexing]).

    >>> import nanotorch
    >>> x = nanotorch.arange(12).reshape(3, 4)
    >>> x[[0, 2], 1:3].tolist()
    [[1, 2], [9, 10]]
    >>> x[:, nanotorch.tensor([-1, 0])].shape
    (3, 2)
    """
    if isinstance(key, list):
        key = _as_index_tensor(a, key)  # a[[0, 1]] is one index, not a tuple
    if isinstance(key, Tensor) and a.ndim and key.ndim <= a.ndim:
        # The common a[idx] and a[mask], without the general bookkeeping.
        if key.dtype.name == "bool":
            if tuple(key.shape) == tuple(a.shape[: key.ndim]) and key.ndim:
                rows = a.reshape((key.numel(),) + tuple(a.shape[key.ndim :]))
                return Take.apply(rows, NonZeroFlat.apply(key), axis=0)
        elif key.dtype.name in ("int64", "int32"):
            return Take.apply(a, _checked_index(key, 0, a), axis=0)
    items = _key_items(a, key)
    if any(isinstance(k, Tensor) for k in items):
        return _advanced_getitem(a, _expand_ellipsis(a, items))
    return _basic_getitem(a, _expand_ellipsis(a, items))


def _basic_getitem(a: Tensor, items: list[Any]) -> Tensor:
    """``a[items]`` for ints, slices and None, one item per dim of ``a`` (plus the Nones)."""
    dim = 0
    for k in items:
        if k is None:
            continue
        if not isinstance(k, slice) and not _is_int(k):
            raise InvalidIndexError(
                f"index: unsupported index {k!r}; use ints, slices, None, ..., tensors or "
                "lists of ints"
            )
        if isinstance(k, slice):
            if k.step is not None and k.step == 0:
                raise InvalidArgumentError("index: slice step cannot be zero")
        else:
            size = a.shape[dim]
            if not -size <= int(k) < size:
                raise IndexOutOfRangeError(
                    f"index {int(k)} is out of range for dim {dim} with size {size} "
                    f"(tensor of shape {a.shape})"
                )
        dim += 1
    # The standard allows None only in some positions; take it out and add the size-1 dims
    # with a reshape afterwards, which works everywhere.
    new_axes = []
    out_dim = 0
    for k in items:
        if k is None:
            new_axes.append(out_dim)
            out_dim += 1
        elif isinstance(k, slice):
            out_dim += 1
    key = tuple(k if isinstance(k, slice) else int(k) for k in items if k is not None)
    out = a
    if not all(isinstance(k, slice) and k == slice(None) for k in key):
        out = mark_view(GetItem.apply(a, key=key), a, lambda b: GetItem.apply(b, key=key))
    if new_axes:
        shape = list(out.shape)
        for pos in new_axes:
            shape.insert(pos, 1)
        out = out.reshape(shape)
    return out


def _advanced_getitem(a: Tensor, items: list[Any]) -> Tensor:
    """Steps 1-3 of Note [Advanced indexing]."""
    basic: list[Any] = []
    adv: list[tuple[int, Tensor]] = []  # (dim of the basic result, index or mask tensor)
    dim_a = dim_b = 0
    for k in items:
        if k is None:
            basic.append(None)
            dim_b += 1
        elif isinstance(k, Tensor) and k.dtype.name == "bool":
            m = k.ndim
            if tuple(k.shape) != tuple(a.shape[dim_a : dim_a + m]):
                raise IndexOutOfRangeError(
                    f"index: the mask of shape {k.shape} does not match the indexed dims "
                    f"{tuple(a.shape[dim_a : dim_a + m])} (dims {dim_a}..{dim_a + m - 1} of a "
                    f"tensor of shape {a.shape})"
                )
            if m == 0:  # a 0-d mask adds a dim of size 1 (true) or 0 (false)
                basic.append(None)
                adv.append((dim_b, _zero_d_mask_index(k)))
                dim_b += 1
                continue
            basic.extend([slice(None)] * m)
            adv.append((dim_b, k))
            dim_a += m
            dim_b += m
        elif isinstance(k, Tensor):
            if k.dtype.name not in ("int64", "int32"):
                raise IndexOutOfRangeError(
                    f"index: tensors used as indices must be integer or bool tensors, got "
                    f"{k.dtype!r}"
                )
            basic.append(slice(None))
            adv.append((dim_b, k))
            dim_a += 1
            dim_b += 1
        else:
            basic.append(k)
            if not _is_int(k):
                dim_b += 1
            dim_a += 1
    b = _basic_getitem(a, basic)
    if len(adv) == 1 and adv[0][1].dtype.name == "bool":
        # One mask alone: its dims merged into one, read at the flat true positions.
        d, mask = adv[0]
        merged = b.reshape(b.shape[:d] + (mask.numel(),) + b.shape[d + mask.ndim :])
        return Take.apply(merged, NonZeroFlat.apply(mask), axis=d)
    dims: list[int] = []
    indices: list[Tensor] = []
    for d, idx in adv:
        if idx.dtype.name == "bool":
            coords = _mask_coords(idx)
            dims.extend(range(d, d + idx.ndim))
            indices.extend(coords)  # in range by construction
            continue
        dims.append(d)
        indices.append(_checked_index(idx, d, b))
    if len(indices) == 1:
        return Take.apply(b, indices[0], axis=dims[0])
    from nanotorch.ops._util import broadcast_shapes

    shapes = [tuple(i.shape) for i in indices]
    try:
        common = broadcast_shapes("index", *shapes)
    except ValueError:
        raise IndexOutOfRangeError(
            f"index: shape mismatch: indexing tensors of shapes {shapes} could not be "
            "broadcast together"
        ) from None
    # One linear index over the advanced dims, row-major in the order they appear.
    linear = indices[-1]
    stride = b.shape[dims[-1]]
    for d, idx in zip(dims[-2::-1], indices[-2::-1]):
        linear = linear + idx * stride
        stride *= b.shape[d]
    if tuple(linear.shape) != common:
        linear = linear.expand(common)
    k = len(dims)
    if dims == list(range(dims[0], dims[0] + k)):
        d0 = dims[0]
        merged = b.reshape(b.shape[:d0] + (stride,) + b.shape[d0 + k :])
        return Take.apply(merged, linear, axis=d0)
    rest = [d for d in range(b.ndim) if d not in dims]
    front = b.permute(dims + rest)
    front = front.reshape((stride,) + tuple(b.shape[d] for d in rest))
    return Take.apply(front, linear, axis=0)


def _checked_index(idx: Tensor, d: int, b: Tensor) -> Tensor:
    """``idx`` checked against dim ``d`` of ``b`` (Note [Index validation reads]), negative
    values wrapped, as int64."""
    size = b.shape[d]
    if idx.numel():
        lo, hi = index_range(idx)
        if lo < -size or hi >= size:
            bad = lo if lo < -size else hi
            raise IndexOutOfRangeError(
                f"index {bad} is out of range for dim {d} with size {size} (tensor of "
                f"shape {b.shape}; negative indices count from the end)"
            )
        if lo < 0:
            idx = (idx < 0).long() * size + idx
    return idx.long() if idx.dtype.name != "int64" else idx


def _mask_coords(mask: Tensor) -> list[Tensor]:
    """The coordinates of the true elements of ``mask``, one int64 tensor per dim (row-major
    order). Their count is data-dependent: a sync on accelerators."""
    flat = NonZeroFlat.apply(mask)
    coords = []
    for d in reversed(range(mask.ndim)):
        coords.append(flat % mask.shape[d])
        flat = flat // mask.shape[d]
    return coords[::-1]


def _zero_d_mask_index(mask: Tensor) -> Tensor:
    from nanotorch import dtypes
    from nanotorch.creation import zeros

    return zeros(1 if bool(mask.item()) else 0, dtype=dtypes.int64, device=mask.device)


def setitem(a: Tensor, key: Any, value: Any) -> None:
    """``a[key] = value`` in place (Note [Advanced indexing] for how advanced keys write).
    The caller (``Tensor.__setitem__``) has checked the in-place rules and the device."""
    if isinstance(value, (list, tuple)) or _is_host_array(value):
        from nanotorch.creation import tensor

        value = tensor(value, dtype=a.dtype, device=a.device)
    if type(key) is int or type(key) is slice:  # the common a[i] = v and a[i:j] = v
        try:
            a._data[key, ...] = value._data if isinstance(value, Tensor) else value
        except ValueError as exc:  # the array library's broadcast error names no op
            raise ShapeError(
                f"__setitem__: a value of shape {tuple(value.shape)} cannot be written to "
                f"a[{key!r}] of a tensor of shape {tuple(a.shape)}: {exc}"
            ) from None
        a._version += 1
        return
    if isinstance(key, list):
        key = _as_index_tensor(a, key)
    items = _key_items(a, key)
    # None is not allowed in the standard's __setitem__: such keys take the general path.
    if len(items) == 1 and isinstance(items[0], Tensor) and items[0].dtype.name != "bool":
        # a[idx] = v writes whole rows: the scatter works on rows, not on every element.
        if a.ndim == 0:
            raise IndexOutOfRangeError("index: cannot index a 0-d tensor with a tensor")
        rows = _checked_index(items[0], 0, a).reshape(-1)
        shape = tuple(items[0].shape) + tuple(a.shape[1:])
        with no_grad():
            flat_values = _broadcast_values("__setitem__", a, value, shape)
            out = _assign(a.detach(), rows, flat_values.reshape((-1,) + tuple(a.shape[1:])))
        a._data[...] = out._data
        a._version += 1
        return
    if any(isinstance(k, Tensor) or k is None for k in items):
        positions, shape = index_put_positions("__setitem__", a, tuple(items))
        with no_grad():
            out = put_values("__setitem__", a.detach(), positions, shape, value, False)
        a._data[...] = out._data
        a._version += 1
        return
    if isinstance(value, Tensor):
        value = value._data
    # The standard wants every axis named; "..." names the rest, as NumPy assumes.
    basic = tuple(items)
    if not any(k is Ellipsis for k in basic):
        basic = basic + (Ellipsis,)
    a._data[basic] = value
    a._version += 1


def index_put_positions(op: str, a: Tensor, key: tuple[Any, ...]) -> tuple[Tensor, tuple]:
    """The flat position in ``a`` of every element ``a[key]`` selects, in the result's
    shape (Note [Advanced indexing]): ``key`` applied to ``arange(numel)`` shaped like ``a``."""
    from nanotorch.creation import arange

    with no_grad():
        grid = arange(a.numel(), device=a.device).reshape(a.shape)
        positions = getitem(grid, key)
    return positions, tuple(positions.shape)


def _broadcast_values(op: str, a: Tensor, values: Any, shape: tuple[int, ...]) -> Tensor:
    """``values`` (a tensor, a number, a list or a host array) as a tensor of ``a``'s dtype
    broadcast to ``shape``; errors name the op and both shapes."""
    if isinstance(values, (list, tuple)) or _is_host_array(values):
        from nanotorch.creation import tensor

        values = tensor(values, dtype=a.dtype, device=a.device)
    if not isinstance(values, Tensor):
        if isinstance(values, bool) or not isinstance(values, (int, float)):
            if a.dtype.name != "bool":
                raise TypeError(
                    f"{op}: values must be a Tensor or a number, got {type(values).__name__}"
                )
        from nanotorch.creation import full

        if a.dtype.name != "bool":
            values = float(values) if a.dtype.is_floating_point else int(values)
        values = full((), values, dtype=a.dtype, device=a.device)
    if values.dtype is not a.dtype:
        raise UnsupportedDtypeError(
            f"{op}: values dtype {values.dtype!r} differs from the tensor's {a.dtype!r}; "
            f"convert them with .to({a.dtype!r})"
        )
    from nanotorch.errors import ShapeError
    from nanotorch.ops._util import broadcast_shapes

    try:
        fits = broadcast_shapes(op, tuple(values.shape), shape) == shape
    except ShapeError:
        fits = False
    if not fits:
        raise ShapeError(
            f"{op}: values of shape {values.shape} cannot be broadcast to the indexed shape {shape}"
        )
    return values.expand(shape) if tuple(values.shape) != shape else values


def put_values(
    op: str,
    a: Tensor,
    positions: Tensor,
    shape: tuple[int, ...],
    values: Any,
    accumulate: bool,
) -> Tensor:
    """``a`` with ``values`` (broadcast to ``shape``) written, or added when
    ``accumulate``, at the flat ``positions``: a new tensor, differentiable in both."""
    flat = a.reshape(-1)
    pos = positions.reshape(-1)
    n = flat.shape[0]
    vals = _broadcast_values(op, a, values, shape).reshape(-1)
    if accumulate:
        out = flat + _scatter_sum(vals, pos, n)
    else:
        out = _assign(flat, pos, vals)
    return out.reshape(a.shape)


class LastWriter(Function):
    """keep[i] = True when no later element of the 1-D ``positions`` names the same place.

    A stable sort puts each position's writers together in their original order; the last
    of each run is kept, and the inverse permutation (a second argsort) brings the flags
    back to the writers' order. No gradient: it only decides which value survives."""

    differentiable = False

    @staticmethod
    def forward(ctx, xp, positions):
        n = positions.shape[0]
        if n == 0:
            return xp.zeros((0,), dtype=xp.bool, device=positions.device)
        order = xp.argsort(positions, stable=True)
        ordered = xp.take(positions, order)
        last = xp.ones((1,), dtype=xp.bool, device=positions.device)
        is_last = xp.concat([ordered[1:] != ordered[:-1], last])
        return xp.take(is_last, xp.argsort(order, stable=True))


class Counts(Function):
    """How many elements of the 1-D ``positions`` name each of ``size`` places (int64)."""

    differentiable = False

    @staticmethod
    def forward(ctx, xp, positions, size):
        ones = xp.ones(positions.shape, dtype=xp.int64, device=positions.device)
        target = xp.zeros((size,), dtype=xp.int64, device=positions.device)
        return ctx.backend.index_add(target, positions, ones)


def _scatter_sum(values: Tensor, positions: Tensor, size: int) -> Tensor:
    """out[p] = sum of values[i] with positions[i] == p, a 1-D tensor of ``size``."""
    return IndexAdd.apply(values, positions, axis=0, shape=(size,))


def _assign(flat_input: Tensor, positions: Tensor, values: Tensor) -> Tensor:
    """``flat_input`` with row ``values[i]`` written at row ``positions[i]`` (rows may be
    single elements), the last writer of a repeated position winning (Note [Scatter through
    flat positions])."""
    size = flat_input.shape[0]
    row = (1,) * (values.ndim - 1)
    with no_grad():
        written = (Counts.apply(positions, size=size) > 0).reshape((size,) + row)
        keep = LastWriter.apply(positions).reshape((positions.shape[0],) + row)
    kept = where(keep, values, _zero_like(values))
    summed = IndexAdd.apply(kept, positions, axis=0, shape=tuple(flat_input.shape))
    return where(written, summed, flat_input)


def _zero_like(t: Tensor) -> Tensor:
    from nanotorch.creation import zeros

    return zeros(t.shape, dtype=t.dtype, device=t.device)


class NonZeroFlat(Function):
    """Positions of the true elements of a flattened bool tensor, as int64; no gradient."""

    differentiable = False

    @staticmethod
    def forward(ctx, xp, mask):
        (pos,) = xp.nonzero(xp.reshape(mask, (-1,)))
        return xp.astype(pos, xp.int64)


def nonzero(input: Tensor, *, as_tuple: bool = False) -> Tensor | tuple[Tensor, ...]:  # noqa: A002
    """Indices of non-zero elements, shape (count, ndim), like PyTorch; with ``as_tuple``
    one 1-D tensor per dim instead (what ``a[a.nonzero(as_tuple=True)]`` indexes with)."""
    mask = input != 0 if input.dtype.name != "bool" else input
    flat = NonZeroFlat.apply(mask)
    coords = []
    rem = flat
    for d in reversed(range(input.ndim)):
        # A dim of size 0 leaves nothing to index (flat is empty): divide by 1, never by 0.
        size = input.shape[d] or 1
        coords.append(rem % size)
        rem = rem // size
    if as_tuple:
        return tuple(coords[::-1]) if coords else (flat,)
    from nanotorch.ops.shape import stack

    # A 0-d tensor has no coordinates: one row of width 0 if it is non-zero, as in PyTorch.
    return stack(coords[::-1], dim=1) if coords else flat[:, None][:, :0]


@dim_aliases
def index_select(input: Tensor, dim: int, index: Tensor) -> Tensor:  # noqa: A002
    """Rows of ``input`` along ``dim`` at the 1-D integer tensor ``index``."""
    d = normalize_dim(dim, input.ndim, "index_select")
    if index.ndim == 0:  # a single index, as PyTorch accepts
        index = index.reshape(1)
    if index.ndim != 1:
        raise IndexOutOfRangeError(f"index_select: index must be 1-D, got shape {index.shape}")
    return take_along(input, index, d, "index_select")


class Gather(Function):
    """out[i][j] = a[i][index[i][j]] along ``dim`` (PyTorch's gather, the standard's
    take_along_axis);  da = scatter-add of g at the gathered positions."""

    dtype_exempt = (1,)

    @staticmethod
    def forward(ctx, xp, a, index, dim):
        ctx.dim, ctx.in_shape = dim, a.shape
        ctx.save_for_backward(index)
        return xp.take_along_axis(a, index, axis=dim)

    @staticmethod
    def backward(ctx, g):
        (index,) = ctx.saved_tensors
        flat = _flat_positions(index, ctx.dim, ctx.in_shape)
        numel = 1
        for s in ctx.in_shape:
            numel *= s
        summed = IndexAdd.apply(g.reshape(-1), flat, axis=0, shape=(numel,))
        return summed.reshape(ctx.in_shape), None


def _flat_positions(index: Tensor, dim: int, shape: tuple[int, ...]) -> Tensor:
    """Row-major flat positions in a tensor of ``shape`` of each element of ``index``
    (which replaces the coordinate along ``dim``)."""
    from nanotorch.creation import arange

    strides = [1] * len(shape)
    for d in range(len(shape) - 2, -1, -1):
        strides[d] = strides[d + 1] * shape[d + 1]
    flat = index * strides[dim]
    for d in range(len(shape)):
        if d == dim:
            continue
        view = [1] * len(shape)
        view[d] = index.shape[d]
        flat = flat + arange(index.shape[d], device=index.device).reshape(view) * strides[d]
    return flat.reshape(-1)


@dim_aliases
def gather(input: Tensor, dim: int, index: Tensor) -> Tensor:  # noqa: A002
    d = normalize_dim(dim, input.ndim, "gather")
    if index.ndim != input.ndim:
        raise ShapeError(
            f"gather: index has rank {index.ndim} but input has rank {input.ndim} "
            f"(shapes {index.shape} and {input.shape})"
        )
    for i, (si, sa) in enumerate(zip(index.shape, input.shape)):
        if i != d and si > sa:
            raise ShapeError(
                f"gather: index shape {index.shape} exceeds input shape {input.shape} at dim {i}"
            )
    _check_index_tensor("gather", index, input.shape[d], input, d)
    if index.dtype.name != "int64":
        index = index.long()
    if any(si != sa for i, (si, sa) in enumerate(zip(index.shape, input.shape)) if i != d):
        key = tuple(slice(0, s) if i != d else slice(None) for i, s in enumerate(index.shape))
        input = input[key]
    return Gather.apply(input, index, dim=d)


class OneHot(Function):
    differentiable = False

    @staticmethod
    def forward(ctx, xp, index, num_classes):
        classes = xp.arange(num_classes, dtype=index.dtype, device=index.device)
        return xp.astype(index[..., None] == classes, xp.int64)


def one_hot(index: Tensor, num_classes: int = -1) -> Tensor:
    """int64 one-hot encoding with a new last dim of size ``num_classes`` (inferred as
    max + 1 when -1, which reads the data)."""
    if index.dtype.name not in ("int64", "int32"):
        raise UnsupportedDtypeError(f"one_hot: needs an integer tensor, got {index.dtype!r}")
    if isinstance(num_classes, bool) or not isinstance(num_classes, int):
        raise TypeError(
            f"one_hot: num_classes must be an int, got {type(num_classes).__name__} {num_classes!r}"
        )
    if num_classes < -1:
        raise InvalidArgumentError(
            f"one_hot: num_classes must be -1 (infer from the data) or >= 0, got {num_classes}"
        )
    if num_classes == -1:
        num_classes = index_range(index)[1] + 1 if index.numel() else 0
    if index.numel():
        lo, hi = index_range(index)
        if lo < 0 or hi >= num_classes:
            raise InvalidArgumentError(
                f"one_hot: class values must be in [0, {num_classes}), got {lo}..{hi}"
            )
    return OneHot.apply(index, num_classes=num_classes)
