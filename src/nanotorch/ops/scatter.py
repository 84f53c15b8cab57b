"""The scatter/gather family: writing values at positions an index tensor names.

``scatter``, ``scatter_add`` and ``scatter_reduce`` write ``src`` into ``input`` along ``dim``
(``out[..., index[i, j], ...] = src[i, j]``); ``index_add``, ``index_copy``, ``index_fill``
and ``index_put`` address whole rows; the ``masked_*`` ops address elements through a bool
mask; ``take`` and ``take_along_dim`` read.

Note [Scatter through flat positions]
~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
The array API standard has no scatter at all: integer-array assignment is outside it. Every
op here is therefore reduced to one shape of problem: the destination flattened to 1-D (or
to rows), a 1-D tensor of flat positions (``_flat_positions``: the index with every other
coordinate folded in through the strides), and the values at those positions. The only
writing primitives are then two backend hooks, ``index_add`` (sum) and ``index_reduce``
(prod, amax, amin), each with a portable fallback that the strict devices run.
An assignment ("the value lands there", as in ``scatter`` or ``index_copy``) is a sum in
disguise: the positions written get ``where(written, sum of values, input)``; when a position
is named twice PyTorch leaves the result undefined, and here the last writer wins
(``_last_writer`` keeps one value per position, so the sum has one term). Because the
composition is made of differentiable ops (``IndexAdd``, ``Take``, ``where``), the sum-like
ops need no backward of their own; only amax/amin and prod (``ScatterReduce``) write one.

Must not import an array library: arrays are reached through the backend's ``xp``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from nanotorch.autograd.function import Function
from nanotorch.autograd.grad_mode import no_grad
from nanotorch.errors import (
    IndexOutOfRangeError,
    InvalidArgumentError,
    ShapeError,
    UnsupportedDtypeError,
)
from nanotorch.ops._util import broadcast_shapes, normalize_dim
from nanotorch.ops.elementwise import where
from nanotorch.ops.indexing import (
    Counts,
    IndexAdd,
    LastWriter,
    Take,
    _assign,
    _flat_positions,
    _scatter_sum,
    _zero_like,
    getitem,
    index_range,
)
from nanotorch.ops.shape import broadcast_to, reshape
from nanotorch.tensor import Tensor

# What this family exports; nanotorch.<name> and the op-spec tests derive from it
# (Note [Op registry] in ops/__init__.py).
OPS = (
    "scatter",
    "scatter_add",
    "scatter_reduce",
    "index_add",
    "index_copy",
    "index_fill",
    "index_put",
    "masked_fill",
    "masked_scatter",
    "masked_select",
    "take",
    "take_along_dim",
)

_REDUCES = ("sum", "prod", "mean", "amax", "amin")


# ---------------------------------------------------------------------------- primitives
class IndexReduce(Function):
    """The ``index_reduce`` hook on 1-D tensors, without a gradient (backward uses it)."""

    differentiable = False
    dtype_exempt = (1,)

    @staticmethod
    def forward(ctx, xp, target, positions, source, reduce):
        return ctx.backend.index_reduce(target, positions, source, reduce)


def _check_tensor(op: str, name: str, t: Any) -> None:
    if not isinstance(t, Tensor):
        raise TypeError(f"{op}: {name} must be a Tensor, got {type(t).__name__}")


def _check_int_index(op: str, index: Any) -> None:
    _check_tensor(op, "index", index)
    if index.dtype.name not in ("int64", "int32"):
        raise UnsupportedDtypeError(
            f"{op}: index must be an int64 tensor, got {index.dtype!r}; convert it with .long()"
        )


def _check_range(op: str, index: Tensor, dim: int, size: int, negative_ok: bool) -> None:
    """Every value of ``index`` addresses dim ``dim`` of ``size`` (Note [Index validation
    reads] in ops/indexing.py: two numbers come back from the device)."""
    if not index.numel():
        return
    lo, hi = index_range(index)
    low = -size if negative_ok else 0
    if lo < low or hi >= size:
        bad = lo if lo < low else hi
        raise IndexOutOfRangeError(
            f"{op}: index {bad} is out of bounds for dimension {dim} with size {size} "
            f"(indices range from {lo} to {hi}; valid: {low}..{size - 1})"
        )


def _wrap_negative(index: Tensor, size: int) -> Tensor:
    """Negative indices count from the end, as in Python."""
    return where(index < 0, index + size, index)


def _same_dtype(op: str, input: Tensor, other: Tensor, name: str) -> None:  # noqa: A002
    if other.dtype is not input.dtype:
        raise UnsupportedDtypeError(
            f"{op}: {name} dtype {other.dtype!r} differs from input dtype {input.dtype!r}; "
            f"convert it with .to({input.dtype!r})"
        )


# ---------------------------------------------------------------------------- scatter
def _scatter_setup(
    op: str,
    input: Tensor,
    dim: int,
    index: Tensor,
    src: Tensor | None,  # noqa: A002
) -> tuple[Tensor, Tensor, Tensor | None, int]:
    """Validate a scatter call and reduce it to (flat input, flat positions, flat values,
    dim) (Note [Scatter through flat positions]). A 0-d call acts on one element."""
    _check_tensor(op, "input", input)
    _check_int_index(op, index)
    d = normalize_dim(dim, input.ndim, op)
    if index.ndim != input.ndim and not (index.ndim <= 1 and input.ndim <= 1):
        raise ShapeError(
            f"{op}: index must have as many dims as input; got index of shape "
            f"{index.shape} for input of shape {input.shape}"
        )
    shape = tuple(input.shape) or (1,)
    ishape = tuple(index.shape) or (1,)
    if any(i > s for k, (i, s) in enumerate(zip(ishape, shape)) if k != d):
        raise ShapeError(
            f"{op}: index of shape {index.shape} is larger than input of shape "
            f"{input.shape} outside dim {dim}"
        )
    if src is not None:
        _check_tensor(op, "src", src)
        _same_dtype(op, input, src, "src")
        sshape = tuple(src.shape) or (1,)
        if len(sshape) != len(ishape) or any(i > s for i, s in zip(ishape, sshape)):
            raise ShapeError(
                f"{op}: index of shape {index.shape} is larger than src of shape "
                f"{src.shape}; src must be at least as large in every dim"
            )
    _check_range(op, index, d, shape[d], negative_ok=False)
    with no_grad():
        positions = _flat_positions(reshape(index, ishape).long(), d, shape)
    values = None
    if src is not None:
        src = reshape(src, sshape)
        if sshape != ishape:
            src = getitem(src, tuple(slice(0, i) for i in ishape))
        values = reshape(src, (-1,))
    return reshape(input, (-1,)), positions, values, d


def scatter(
    input: Tensor,  # noqa: A002
    dim: int,
    index: Tensor,
    src: Tensor | float | None = None,
    *,
    value: float | None = None,
    reduce: str | None = None,
) -> Tensor:
    """``out = input`` with ``out[..., index[i, j], ...] = src[i, j]`` along ``dim`` (or the
    scalar ``value``). With ``reduce="add"`` or ``"multiply"`` the values are combined with
    what is there instead (prefer ``scatter_reduce``). A position named twice gets the last
    writer's value (PyTorch leaves it undefined).

    Gradient: ``input`` gets ``g`` where nothing was written; ``src[i, j]`` gets ``g`` at the
    position it names, also where a later writer overwrote it (PyTorch's rule: the gradient
    of src is ``g.gather(dim, index)``).

    >>> import nanotorch
    >>> x = nanotorch.zeros(2, 3)
    >>> x.scatter(1, nanotorch.tensor([[2], [0]]), 5.0).tolist()
    [[0.0, 0.0, 5.0], [5.0, 0.0, 0.0]]
    """
    if src is not None and value is not None:
        raise TypeError("scatter: pass either src or value, not both")
    if src is None and value is None:
        raise TypeError("scatter: missing src (a Tensor) or value (a number)")
    if src is not None and not isinstance(src, Tensor):
        src, value = None, src
    if reduce is not None:
        if reduce not in ("add", "multiply"):
            raise InvalidArgumentError(
                f"scatter: reduce must be 'add' or 'multiply', got {reduce!r}"
            )
        if src is None:
            from nanotorch.creation import full

            src = full(index.shape, value, dtype=input.dtype, device=input.device)
        return scatter_reduce(input, dim, index, src, "sum" if reduce == "add" else "prod")
    flat, positions, values, _ = _scatter_setup("scatter", input, dim, index, src)
    if values is None:
        with no_grad():
            written = Counts.apply(positions, size=flat.shape[0]) > 0
        return reshape(where(written, _fill_value(input, value), flat), input.shape)
    out = _RouteToSources.apply(_assign(flat, positions, values.detach()), values, at=positions)
    return reshape(out, input.shape)


class _RouteToSources(Function):
    """out = the first input, unchanged;  d(out) = g, d(values) = g[positions]: every source
    of a scatter gets the gradient at the position it names, as PyTorch's scatter does, while
    the forward keeps the last writer's value."""

    @staticmethod
    def forward(ctx, xp, out, values, at):
        ctx.at = at
        return xp.asarray(out, copy=True)

    @staticmethod
    def backward(ctx, g):
        return g, g[ctx.at] if ctx.needs_input_grad[1] else None


def _fill_value(input: Tensor, value: Any) -> Any:  # noqa: A002
    """A fill value in input's kind: a number, or a 0-d tensor (which may carry grad)."""
    if isinstance(value, Tensor):
        if value.ndim != 0:
            raise ShapeError(f"fill value must be a number or a 0-d tensor, got {value.shape}")
        return value.to(input.dtype) if value.dtype is not input.dtype else value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        if input.dtype.name == "bool":
            return bool(value)
        raise UnsupportedDtypeError(f"fill value must be a number, got {type(value).__name__}")
    return float(value) if input.dtype.is_floating_point else int(value)


def scatter_add(input: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:  # noqa: A002
    """``out = input`` with ``src[i, j]`` added at ``out[..., index[i, j], ...]`` (repeats
    accumulate). Gradient: ``input`` gets ``g``, ``src[i, j]`` the ``g`` of its position.

    >>> import nanotorch
    >>> nanotorch.zeros(3).scatter_add(0, nanotorch.tensor([0, 2, 0]),
    ...                                 nanotorch.ones(3)).tolist()
    [2.0, 0.0, 1.0]
    """
    flat, positions, values, _ = _scatter_setup("scatter_add", input, dim, index, src)
    out = flat + _scatter_sum(values, positions, flat.shape[0])
    return reshape(out, input.shape)


class ScatterReduce(Function):
    """out[p] = reduce(input[p] (when include_self), src[i] for positions[i] == p) for
    ``reduce`` in prod, amax, amin, on flat tensors; places no one writes keep input[p].

    amax/amin: the gradient of a place goes to every element that equals the result, split
    evenly among ties (as PyTorch does). prod: an element's gradient is g * out / element;
    for a zero element it is g * (product of the others), nonzero only when it is the only
    zero of its place. Saves input, src, the positions and the output."""

    dtype_exempt = (2,)

    @staticmethod
    def forward(ctx, xp, flat, src, positions, reduce, include_self, written):
        ctx.reduce, ctx.include_self, ctx.written = reduce, include_self, written
        start = flat
        if not include_self:
            from nanotorch.backend.base import _reduce_identity

            identity = xp.asarray(
                _reduce_identity(xp, reduce, flat.dtype), dtype=flat.dtype, device=flat.device
            )
            start = xp.where(written._data, identity, flat)
        out = ctx.backend.index_reduce(start, positions, src, reduce)
        ctx.save_for_backward(flat, src, positions, out)
        return out

    @staticmethod
    def backward(ctx, g):
        flat, src, positions, out = ctx.saved_tensors
        flat, src, out = flat.detach(), src.detach(), out.detach()
        written = ctx.written
        # Where the input takes part in its place's reduction.
        self_in = written if ctx.include_self else written != written
        size = flat.shape[0]
        if ctx.reduce == "prod":
            share_src, share_self = _prod_shares(flat, src, positions, out, self_in, size)
        else:
            hit_src = (src == Take.apply(out, positions, axis=0)).to(g.dtype)
            hit_self = ((flat == out) & self_in).to(g.dtype)
            ties = _scatter_sum(hit_src, positions, size) + hit_self
            ties = where(ties > 0, ties, ties * 0 + 1)
            share_src = hit_src / Take.apply(ties, positions, axis=0)
            share_self = hit_self / ties
        grad_flat = where(written, g * share_self, g)
        grad_src = Take.apply(g, positions, axis=0) * share_src
        return grad_flat, grad_src, None


def _prod_shares(
    flat: Tensor, src: Tensor, positions: Tensor, out: Tensor, self_in: Tensor, size: int
) -> tuple[Tensor, Tensor]:
    """d out[p] / d element for the sources and the input of a scatter product: out / x for
    a nonzero x; for a zero x the product of the others, which is nonzero only when x is its
    place's one zero (a second zero makes every such product vanish)."""
    zero_src = src == 0
    zero_self = (flat == 0) & self_in
    one = flat * 0 + 1
    zeros = _scatter_sum(zero_src.to(flat.dtype), positions, size) + zero_self.to(flat.dtype)
    # The product of a place's nonzero members.
    base = where(self_in & (flat != 0), flat, one)
    nonzero = IndexReduce.apply(base, positions, where(zero_src, src * 0 + 1, src), "prod")
    lone_zero = where(zeros == 1, nonzero, one * 0)
    out_at = Take.apply(out, positions, axis=0)
    share_src = where(zero_src, Take.apply(lone_zero, positions, axis=0), out_at / _safe(src))
    share_self = where(zero_self, lone_zero, out / _safe(flat))
    return share_src, where(self_in, share_self, one * 0)


def _safe(x: Tensor) -> Tensor:
    """``x`` with zeros replaced by ones, so a division whose result is discarded by a
    ``where`` cannot produce inf or nan (which would poison gradients through the where)."""
    return where(x == 0, x * 0 + 1, x)


def scatter_reduce(
    input: Tensor,  # noqa: A002
    dim: int,
    index: Tensor,
    src: Tensor,
    reduce: str,
    *,
    include_self: bool = True,
) -> Tensor:
    """Fold ``src[i, j]`` into ``out[..., index[i, j], ...]`` by ``reduce`` ("sum", "prod",
    "mean", "amax" or "amin"), starting from ``input`` there when ``include_self`` (else
    from the values written alone); places no index names keep ``input``.

    Gradients as PyTorch defines them: sum and mean spread ``g`` (divided by the count for
    mean); amax/amin split it evenly among the elements equal to the result; prod gives
    ``g * out / x``, with zeros handled exactly (see ``ScatterReduce``).

    >>> import nanotorch
    >>> x = nanotorch.tensor([1.0, 2.0])
    >>> x.scatter_reduce(0, nanotorch.tensor([0, 0, 1]), nanotorch.tensor([5.0, 3.0, 1.0]),
    ...                  "amax").tolist()
    [5.0, 2.0]
    """
    if reduce not in _REDUCES:
        raise InvalidArgumentError(
            f"scatter_reduce: reduce must be one of {_REDUCES}, got {reduce!r}"
        )
    _check_tensor("scatter_reduce", "src", src)
    flat, positions, values, _ = _scatter_setup("scatter_reduce", input, dim, index, src)
    size = flat.shape[0]
    with no_grad():
        counts = Counts.apply(positions, size=size)
        written = counts > 0
    if reduce in ("sum", "mean"):
        base = flat if include_self else where(written, flat * 0, flat)
        total = base + _scatter_sum(values, positions, size)
        if reduce == "sum":
            return reshape(total, input.shape)
        counts = counts + 1 if include_self else where(written, counts, counts * 0 + 1)
        if input.dtype.is_floating_point:
            mean = total / counts.to(input.dtype)
        else:
            mean = total // counts.to(input.dtype)
        return reshape(where(written, mean, flat), input.shape)
    out = ScatterReduce.apply(
        flat, values, positions, reduce=reduce, include_self=include_self, written=written
    )
    return reshape(out, input.shape)


# ---------------------------------------------------------------------------- index_*
def _index_setup(
    op: str,
    input: Tensor,
    dim: int,
    index: Tensor,
    source: Tensor | None,  # noqa: A002
    negative_ok: bool = False,
) -> tuple[int, Tensor]:
    """Validate an ``index_*`` call; return the dim and the index as 1-D int64. With
    ``negative_ok`` (index_fill, as in PyTorch) indices from -size count from the end and
    come back wrapped."""
    _check_tensor(op, "input", input)
    _check_int_index(op, index)
    d = normalize_dim(dim, input.ndim, op)
    if index.ndim > 1:
        raise ShapeError(f"{op}: index must be 0-d or 1-D, got shape {index.shape}")
    index = reshape(index, (-1,)).long()
    size = input.shape[d] if input.ndim else 1
    if source is not None:
        _check_tensor(op, "source", source)
        _same_dtype(op, input, source, "source")
        expected = list(input.shape) or [1]
        expected[d] = index.shape[0]
        got = list(source.shape) or [1]
        if got != expected:
            raise ShapeError(
                f"{op}: source of shape {source.shape} does not fit: with index of length "
                f"{index.shape[0]} along dim {dim} of input {input.shape} it must be "
                f"{tuple(expected)}"
            )
    _check_range(op, index, d, size, negative_ok=negative_ok)
    return d, _wrap_negative(index, size) if negative_ok else index


def _rows_mask(d: int, index: Tensor, shape: tuple[int, ...]) -> Tensor:
    """A bool tensor broadcastable to ``shape``: True on the slices ``index`` names."""
    with no_grad():
        written = Counts.apply(index, size=shape[d]) > 0
    view = [1] * len(shape)
    view[d] = shape[d]
    return reshape(written, view)


def index_add(
    input: Tensor,  # noqa: A002
    dim: int,
    index: Tensor,
    source: Tensor,
    *,
    alpha: float = 1,
) -> Tensor:
    """``out = input`` with ``alpha * source[..., i, ...]`` added to the slice
    ``index[i]`` along ``dim`` (repeats accumulate). Gradient: ``input`` gets ``g``, each
    slice of ``source`` ``alpha`` times the ``g`` of the slice it was added to.

    >>> import nanotorch
    >>> nanotorch.zeros(3, 2).index_add(0, nanotorch.tensor([2, 2]),
    ...                                 nanotorch.ones(2, 2)).tolist()
    [[0.0, 0.0], [0.0, 0.0], [2.0, 2.0]]
    """
    d, index = _index_setup("index_add", input, dim, index, source)
    shape = tuple(input.shape) or (1,)
    src = reshape(source, shape[:d] + (index.shape[0],) + shape[d + 1 :])
    if alpha != 1:
        src = src * alpha
    added = IndexAdd.apply(src, index, axis=d, shape=shape)
    return input + reshape(added, input.shape)


def index_copy(input: Tensor, dim: int, index: Tensor, source: Tensor) -> Tensor:  # noqa: A002
    """``out = input`` with slice ``index[i]`` along ``dim`` replaced by slice ``i`` of
    ``source`` (the last one wins for a repeated index). Gradient: ``input`` gets ``g`` off
    the copied slices; ``source`` gets the ``g`` of the slice each of its slices landed on."""
    d, index = _index_setup("index_copy", input, dim, index, source)
    shape = tuple(input.shape) or (1,)
    src = reshape(source, shape[:d] + (index.shape[0],) + shape[d + 1 :])
    with no_grad():
        keep = LastWriter.apply(index)
    view = [1] * len(shape)
    view[d] = index.shape[0]
    kept = where(reshape(keep, view), src, _zero_like(src))
    copied = IndexAdd.apply(kept, index, axis=d, shape=shape)
    out = where(_rows_mask(d, index, shape), copied, reshape(input, shape))
    return reshape(out, input.shape)


def index_fill(input: Tensor, dim: int, index: Tensor, value: Any) -> Tensor:  # noqa: A002
    """``out = input`` with the slices ``index`` names along ``dim`` set to ``value`` (a
    number or a 0-d tensor). Gradient: ``input`` gets ``g`` off those slices; a tensor
    ``value`` gets the sum of ``g`` over them."""
    d, index = _index_setup("index_fill", input, dim, index, None, negative_ok=True)
    shape = tuple(input.shape) or (1,)
    fill = _fill_value(input, value)
    out = where(_rows_mask(d, index, shape), fill, reshape(input, shape))
    return reshape(out, input.shape)


def index_put(
    input: Tensor,  # noqa: A002
    indices: Sequence[Tensor | None],
    values: Tensor | float,
    accumulate: bool = False,
) -> Tensor:
    """``out = input`` with ``out[indices] = values`` (or ``+= values`` with
    ``accumulate``, repeats then accumulating): ``indices`` is a tuple of integer or bool
    tensors for the leading dims, as ``input[indices]`` reads them. The out-of-place form of
    ``input[indices] = values``; the same machinery serves ``__setitem__``
    (Note [Advanced indexing] in ops/indexing.py)."""
    from nanotorch.ops.indexing import index_put_positions, put_values

    _check_tensor("index_put", "input", input)
    if not isinstance(indices, (tuple, list)):
        raise TypeError(
            f"index_put: indices must be a tuple of tensors, got {type(indices).__name__}"
        )
    for i, t in enumerate(indices):
        if not isinstance(t, Tensor):
            raise TypeError(f"index_put: indices[{i}] must be a Tensor, got {type(t).__name__}")
    positions, shape = index_put_positions("index_put", input, tuple(indices))
    return put_values("index_put", input, positions, shape, values, accumulate)


# ---------------------------------------------------------------------------- masks
def _mask_setup(op: str, input: Tensor, mask: Any) -> Tensor:  # noqa: A002
    _check_tensor(op, "input", input)
    _check_tensor(op, "mask", mask)
    if mask.dtype.name != "bool":
        raise UnsupportedDtypeError(f"{op}: mask must be a bool tensor, got {mask.dtype!r}")
    shape = broadcast_shapes(op, tuple(input.shape), tuple(mask.shape))
    if shape != tuple(input.shape):
        raise ShapeError(
            f"{op}: mask of shape {mask.shape} must broadcast to input's shape {input.shape}"
        )
    return broadcast_to(mask, shape)


def masked_fill(input: Tensor, mask: Tensor, value: Any) -> Tensor:  # noqa: A002
    """``out = value`` where ``mask`` (broadcast to input) is true, else ``input``.
    Gradient: ``input`` gets ``g`` where the mask is false; a 0-d tensor ``value`` the sum of
    ``g`` where it is true.

    >>> import nanotorch
    >>> x = nanotorch.tensor([1.0, -2.0, 3.0])
    >>> x.masked_fill(x < 0, 0.0).tolist()
    [1.0, 0.0, 3.0]
    """
    mask = _mask_setup("masked_fill", input, mask)
    return where(mask, _fill_value(input, value), input)


def masked_scatter(input: Tensor, mask: Tensor, source: Tensor) -> Tensor:  # noqa: A002
    """``out = input`` with the elements where ``mask`` is true replaced, in row-major
    order, by the first elements of ``source``. Gradient: ``input`` gets ``g`` where the mask
    is false; ``source[k]`` the ``g`` of the k-th true position (zero for unused elements)."""
    mask = _mask_setup("masked_scatter", input, mask)
    _check_tensor("masked_scatter", "source", source)
    _same_dtype("masked_scatter", input, source, "source")
    flat_mask = reshape(mask, (-1,))
    with no_grad():
        # The k-th true position reads source[k]: a running count of the trues.
        rank = CumulativeCount.apply(flat_mask) - 1
        needed = int(rank[-1].item()) + 1 if rank.shape[0] else 0
        rank = where(flat_mask, rank, rank * 0)
    if needed > source.numel():
        raise ShapeError(
            f"masked_scatter: mask has {needed} true elements but source has only "
            f"{source.numel()} (shape {source.shape})"
        )
    if source.numel() == 0:
        return input
    picked = Take.apply(reshape(source, (-1,)), rank, axis=0)
    return where(mask, reshape(picked, input.shape), input)


class CumulativeCount(Function):
    """Running count of the true elements of a 1-D bool tensor (int64); no gradient."""

    differentiable = False

    @staticmethod
    def forward(ctx, xp, mask):
        return xp.cumulative_sum(xp.astype(mask, xp.int64))


def masked_select(input: Tensor, mask: Tensor) -> Tensor:  # noqa: A002
    """The elements of ``input`` where ``mask`` is true, as a 1-D tensor (input and mask
    broadcast together). Gradient: ``g`` goes back to the selected positions."""
    _check_tensor("masked_select", "input", input)
    _check_tensor("masked_select", "mask", mask)
    if mask.dtype.name != "bool":
        raise UnsupportedDtypeError(
            f"masked_select: mask must be a bool tensor, got {mask.dtype!r}"
        )
    shape = broadcast_shapes("masked_select", tuple(input.shape), tuple(mask.shape))
    return getitem(
        reshape(broadcast_to(input, shape), (-1,)), reshape(broadcast_to(mask, shape), (-1,))
    )


# ---------------------------------------------------------------------------- reads
def take(input: Tensor, index: Tensor) -> Tensor:  # noqa: A002
    """``input`` read as 1-D (row-major) at ``index``, in index's shape; negative values
    count from the end. Gradient: scatter-add of ``g`` into the positions read.

    >>> import nanotorch
    >>> nanotorch.take(nanotorch.tensor([[1, 2], [3, 4]]), nanotorch.tensor([0, -1])).tolist()
    [1, 4]
    """
    _check_tensor("take", "input", input)
    _check_int_index("take", index)
    n = input.numel()
    _check_range("take", index, 0, n, negative_ok=True)
    with no_grad():
        index = _wrap_negative(index.long(), n)
    return Take.apply(reshape(input, (-1,)), index, axis=0)


def take_along_dim(input: Tensor, indices: Tensor, dim: int | None = None) -> Tensor:  # noqa: A002
    """``gather`` with broadcasting: ``input`` and ``indices`` broadcast against each other
    except along ``dim``; with ``dim=None`` both are read flattened. Gradient as gather's."""
    from nanotorch.ops.indexing import gather

    _check_tensor("take_along_dim", "input", input)
    _check_int_index("take_along_dim", indices)
    if dim is None:
        flat = reshape(input, (-1,))
        _check_range("take_along_dim", indices, 0, flat.shape[0], negative_ok=False)
        return Take.apply(flat, reshape(indices, (-1,)).long(), axis=0)
    d = normalize_dim(dim, input.ndim, "take_along_dim")
    if indices.ndim != input.ndim:
        raise ShapeError(
            f"take_along_dim: input and indices must have the same number of dims, got "
            f"shapes {input.shape} and {indices.shape}"
        )
    others = [s for k, s in enumerate(input.shape) if k != d]
    other_idx = [s for k, s in enumerate(indices.shape) if k != d]
    common = broadcast_shapes("take_along_dim", tuple(others), tuple(other_idx))
    in_shape = common[:d] + (input.shape[d],) + common[d:]
    idx_shape = common[:d] + (indices.shape[d],) + common[d:]
    # Along a dim, PyTorch lets indices from -size count from the end (gather does not).
    _check_range("take_along_dim", indices, d, input.shape[d], negative_ok=True)
    indices = _wrap_negative(indices.long(), input.shape[d])
    return gather(broadcast_to(input, in_shape), d, broadcast_to(indices, idx_shape))
