"""Indexing: ``a[key]`` with ints, slices, None, Ellipsis and negative steps; integer-array
("gather") indexing; boolean masks; ``gather``, ``index_select`` and ``one_hot``.

Integer-array indexing reads with the standard's ``take``; its backward must add gradients
into the rows it read, repeats included. The standard has no scatter-add, so that is the
backend hook ``index_add`` (``np.add.at``, ``cupyx.scatter_add``, or a portable one-hot
matmul), tested with duplicate indices on every device.
"""

from __future__ import annotations

from typing import Any

from nanotorch.autograd.function import Function
from nanotorch.ops._util import normalize_dim
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
        out = xp.zeros(shape, dtype=g.dtype, device=g.device)
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
        raise TypeError(f"{op}: index must be a Tensor, got {type(index).__name__}")
    if index.dtype.name not in ("int64", "int32"):
        raise TypeError(f"{op}: index must be an integer tensor, got {index.dtype!r}")
    if index.numel():
        lo, hi = index_range(index)
        if lo < 0 or hi >= size:
            raise IndexError(
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


def _normalize_key(a: Tensor, key: Any) -> tuple[list[Any], int]:
    """Expand Ellipsis and check ints; return (key items, count of dims consumed)."""
    items = list(key) if isinstance(key, tuple) else [key]
    consumed = sum(1 for k in items if k is not None and k is not Ellipsis)
    if sum(1 for k in items if k is Ellipsis) > 1:
        raise IndexError("index: an index can only have a single ellipsis ('...')")
    if consumed > a.ndim:
        raise IndexError(f"index: too many indices ({consumed}) for a tensor of rank {a.ndim}")
    # Identity tests: ``in`` would compare with ==, which is elementwise on tensors.
    positions = [i for i, k in enumerate(items) if k is Ellipsis]
    if positions:
        i = positions[0]
        items[i : i + 1] = [slice(None)] * (a.ndim - consumed)
    else:
        items += [slice(None)] * (a.ndim - consumed)
    return items, consumed


def getitem(a: Tensor, key: Any) -> Tensor:
    """``a[key]``: see the module docstring for what keys are supported."""
    if isinstance(key, Tensor) and key.dtype.name == "bool":
        return _mask_index(a, key)
    if isinstance(key, Tensor) or (isinstance(key, list) and key and isinstance(key[0], int)):
        if not isinstance(key, Tensor):
            from nanotorch.creation import tensor

            key = tensor(key, device=a.device)
        if a.ndim == 0:
            raise IndexError("index: cannot index a 0-d tensor with a tensor")
        return take_along(a, key, 0)
    items, _ = _normalize_key(a, key)
    tensor_pos = [i for i, k in enumerate(items) if isinstance(k, Tensor)]
    if tensor_pos:
        return _mixed_index(a, items, tensor_pos)
    dim = 0
    for k in items:
        if k is None:
            continue
        if isinstance(k, bool) or not isinstance(k, (int, slice)):
            if hasattr(k, "__index__") and not isinstance(k, bool):
                k = int(k)
            else:
                raise TypeError(
                    f"index: unsupported index {k!r}; use ints, slices, None, ..., or tensors"
                )
        if isinstance(k, int):
            size = a.shape[dim]
            if not -size <= k < size:
                raise IndexError(
                    f"index {k} is out of range for dim {dim} with size {size} "
                    f"(tensor of shape {a.shape})"
                )
        elif k.step is not None and k.step == 0:
            raise ValueError("index: slice step cannot be zero")
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
        out = GetItem.apply(a, key=key)
    if new_axes:
        shape = list(out.shape)
        for pos in new_axes:
            shape.insert(pos, 1)
        out = out.reshape(shape)
    return out


def _mixed_index(a: Tensor, items: list[Any], tensor_pos: list[int]) -> Tensor:
    """One integer tensor among full slices, e.g. ``a[:, idx]``: a take along that axis.
    (Several tensors broadcast together are supported when they are the only keys.)"""
    if len(tensor_pos) == 1:
        pos = tensor_pos[0]
        before = items[:pos]
        if all(isinstance(k, slice) and k == slice(None) for k in before) and not any(
            k is None for k in items
        ):
            out = take_along(a, items[pos], pos)
            rest = tuple(items[pos + 1 :])
            if all(isinstance(k, slice) and k == slice(None) for k in rest):
                return out
            key = (slice(None),) * (pos + items[pos].ndim) + rest
            return getitem(out, key)
    if len(tensor_pos) == len(items) == a.ndim:
        # a[i, j, ...] with one integer tensor per dim: index the flattened tensor.
        flat_index = None
        stride = 1
        for d in reversed(range(a.ndim)):
            idx = items[d]
            _check_index_tensor("index", idx, a.shape[d], a, d)
            term = idx * stride
            flat_index = term if flat_index is None else flat_index + term
            stride *= a.shape[d]
        return Take.apply(a.reshape(-1), flat_index, axis=0)
    raise IndexError(
        "index: this combination of tensor and slice indices is not supported; use one "
        "integer tensor with full slices before it (a[:, idx]), one tensor per dim, or "
        "gather/index_select"
    )


def _mask_index(a: Tensor, mask: Tensor) -> Tensor:
    """``a[mask]`` for a bool mask over a's leading dims: the selected rows, flattened.
    The positions come from ``nonzero`` (data-dependent shape, a sync on accelerators)."""
    if tuple(mask.shape) != tuple(a.shape[: mask.ndim]):
        raise IndexError(
            f"index: mask of shape {mask.shape} does not match the leading dims of {a.shape}"
        )
    positions = NonZeroFlat.apply(mask)
    rows = a.reshape((-1,) + tuple(a.shape[mask.ndim :]))
    return Take.apply(rows, positions, axis=0)


class NonZeroFlat(Function):
    """Positions of the true elements of a flattened bool tensor, as int64; no gradient."""

    differentiable = False

    @staticmethod
    def forward(ctx, xp, mask):
        (pos,) = xp.nonzero(xp.reshape(mask, (-1,)))
        return xp.astype(pos, xp.int64)


def nonzero(a: Tensor) -> Tensor:
    """Indices of non-zero elements, shape (count, ndim), like PyTorch."""
    mask = a != 0 if a.dtype.name != "bool" else a
    flat = NonZeroFlat.apply(mask)
    coords = []
    rem = flat
    for d in reversed(range(a.ndim)):
        coords.append(rem % a.shape[d])
        rem = rem // a.shape[d]
    from nanotorch.ops.shape import stack

    return stack(coords[::-1], dim=1) if coords else flat.reshape(-1, 0)


def index_select(a: Tensor, dim: int, index: Tensor) -> Tensor:
    """Rows of ``a`` along ``dim`` at the 1-D integer tensor ``index``."""
    d = normalize_dim(dim, a.ndim, "index_select")
    if index.ndim != 1:
        raise ValueError(f"index_select: index must be 1-D, got shape {index.shape}")
    return take_along(a, index, d, "index_select")


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


def gather(a: Tensor, dim: int, index: Tensor) -> Tensor:
    d = normalize_dim(dim, a.ndim, "gather")
    if index.ndim != a.ndim:
        raise ValueError(
            f"gather: index has rank {index.ndim} but input has rank {a.ndim} "
            f"(shapes {index.shape} and {a.shape})"
        )
    for i, (si, sa) in enumerate(zip(index.shape, a.shape)):
        if i != d and si > sa:
            raise ValueError(
                f"gather: index shape {index.shape} exceeds input shape {a.shape} at dim {i}"
            )
    _check_index_tensor("gather", index, a.shape[d], a, d)
    if index.dtype.name != "int64":
        index = index.long()
    if any(si != sa for i, (si, sa) in enumerate(zip(index.shape, a.shape)) if i != d):
        key = tuple(slice(0, s) if i != d else slice(None) for i, s in enumerate(index.shape))
        a = a[key]
    return Gather.apply(a, index, dim=d)


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
        raise TypeError(f"one_hot: needs an integer tensor, got {index.dtype!r}")
    if isinstance(num_classes, bool) or not isinstance(num_classes, int):
        raise TypeError(
            f"one_hot: num_classes must be an int, got {type(num_classes).__name__} {num_classes!r}"
        )
    if num_classes < -1:
        raise ValueError(
            f"one_hot: num_classes must be -1 (infer from the data) or >= 0, got {num_classes}"
        )
    if num_classes == -1:
        num_classes = index_range(index)[1] + 1 if index.numel() else 0
    if index.numel():
        lo, hi = index_range(index)
        if lo < 0 or hi >= num_classes:
            raise ValueError(f"one_hot: class values must be in [0, {num_classes}), got {lo}..{hi}")
    return OneHot.apply(index, num_classes=num_classes)
