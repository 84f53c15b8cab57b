"""The rest of PyTorch's shape, indexing and Tensor-API surface: ``select`` and the
``*_scatter`` ops that invert it (``select_scatter``, ``slice_scatter``,
``diagonal_scatter``), the split variants, ``index_reduce`` and ``put``, ``rsub``, ``fill``,
``adjoint``, ``as_strided``, ``nonzero_static``, ``constant_pad_nd``, and the ``*_copy``
forms of the view ops.

All are composites of ops that already have a backward (getitem, index_copy, scatter_reduce,
take, where, clone), so none needs a gradient formula of its own; the specs'
gradchecks (tests/specs/shape_breadth_ops.py) pin every one.

Note [Copies of views]
~~~~~~~~~~~~~~~~~~~~~~
PyTorch's ``x_copy`` (``permute_copy``, ``select_copy``, ...) returns what the view op ``x``
returns, but in memory of its own, so writing into the result never shows through the input.
nanotorch has no strides, yet a reshape or a basic slice may still come back as a NumPy view
of the input's buffer; each ``*_copy`` therefore is ``clone`` of its view op, which always
allocates. ``as_strided`` gathers into new memory already, so ``as_strided_copy`` is an alias.

Like the rest of the engine, this module imports no array library.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from nanotorch import dtypes as _dt
from nanotorch.autograd.grad_mode import no_grad
from nanotorch.errors import (
    IndexOutOfRangeError,
    InvalidArgumentError,
    ShapeError,
    UnsupportedDtypeError,
)
from nanotorch.ops._util import int_list, normalize_dim
from nanotorch.ops.copy import clone
from nanotorch.ops.elementwise import where
from nanotorch.ops.indexing import Take, getitem, nonzero, put_values
from nanotorch.ops.misc import _split_checked
from nanotorch.ops.padding import pad as _pad
from nanotorch.ops.scatter import (
    _check_range,
    _index_setup,
    index_copy,
    scatter_reduce,
)
from nanotorch.ops.shape import (  # chunk, split, transpose: also named in ALIASES
    broadcast_to,
    chunk,  # noqa: F401
    permute,
    reshape,
    split,
    squeeze,
    t,
    transpose,
    unbind,
    unsqueeze,
)
from nanotorch.ops.shape_extra import diagonal, narrow, unfold_windows
from nanotorch.tensor import Tensor

# What this family exports; nanotorch.<name> and the op-spec tests derive from it
# (Note [Op registry] in ops/__init__.py).
OPS = (
    "select",
    "ravel",
    "dsplit",
    "split_with_sizes",
    "narrow_copy",
    "select_scatter",
    "slice_scatter",
    "diagonal_scatter",
    "index_reduce",
    "put",
    "fill",
    "adjoint",
    "as_strided",
    "as_strided_scatter",
    "combinations",
    "vander",
    "unravel_index",
    "isin",
    "segment_reduce",
    "conj",
    "conj_physical",
    "resolve_conj",
    "resolve_neg",
    "real",
    "isreal",
    "nonzero_static",
    "constant_pad_nd",
    "expand_copy",
    "permute_copy",
    "view_copy",
    "t_copy",
    "transpose_copy",
    "squeeze_copy",
    "unsqueeze_copy",
    "diagonal_copy",
    "select_copy",
    "slice_copy",
    "split_copy",
    "split_with_sizes_copy",
    "unbind_copy",
    "detach_copy",
    "alias_copy",
    "unfold_copy",
)
# PyTorch's "unsafe" splits differ from the plain ones only in how its views track
# in-place writes, which nanotorch does not do; ``swapdims`` is ``transpose``.
ALIASES = {
    "unsafe_split": "split",
    "unsafe_chunk": "chunk",
    "unsafe_split_with_sizes": "split_with_sizes",
    "as_strided_copy": "as_strided",
    "swapdims": "transpose",
}


def _check_tensor(op: str, name: str, x: Any) -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: {name} must be a Tensor, got {type(x).__name__}")


def _index_tensor(values: Sequence[int], like: Tensor) -> Tensor:
    from nanotorch.creation import tensor

    return tensor(list(values), dtype=_dt.int64, device=like.device).reshape(len(values))


# ---------------------------------------------------------------------------- select
def _select_index(op: str, a: Tensor, dim: int, index: int | Tensor) -> tuple[int, int]:
    """(dim, index) normalised, with PyTorch's IndexError for a 0-d input or a bad index."""
    if a.ndim == 0:
        raise IndexOutOfRangeError(f"{op}: cannot be applied to a 0-dim tensor (shape ())")
    d = normalize_dim(dim, a.ndim, op)
    i = int(index.item()) if isinstance(index, Tensor) else index
    if isinstance(i, bool) or not isinstance(i, int):
        raise TypeError(f"{op}: index must be an int, got {type(index).__name__}")
    n = a.shape[d]
    if not -n <= i < n:
        raise IndexOutOfRangeError(
            f"{op}: index {i} is out of range for dim {dim} of size {n} (tensor of shape "
            f"{a.shape}); valid indices are {-n}..{n - 1}"
        )
    return d, i % n


def select(input: Tensor, dim: int, index: int | Tensor) -> Tensor:  # noqa: A002
    """The slice at ``index`` along ``dim``, that dim removed (``input[:, index]`` for
    dim 1). Gradient: ``g`` placed back in that slice.

    >>> import nanotorch
    >>> nanotorch.arange(6).reshape(2, 3).select(1, -1).tolist()
    [2, 5]
    """
    _check_tensor("select", "input", input)
    d, i = _select_index("select", input, dim, index)
    return getitem(input, (slice(None),) * d + (i,))


def ravel(input: Tensor) -> Tensor:  # noqa: A002
    """The elements in row-major order as a 1-D tensor (a 0-d input gives one element)."""
    _check_tensor("ravel", "input", input)
    return reshape(input, (-1,))


# ---------------------------------------------------------------------------- splits
def dsplit(input: Tensor, indices_or_sections: Any) -> tuple[Tensor, ...]:  # noqa: A002
    """``tensor_split`` along dim 2 (depth), for tensors of at least 3 dims; an int must
    divide that dim evenly."""
    _check_tensor("dsplit", "input", input)
    if input.ndim < 3:
        raise ShapeError(
            f"dsplit: expected a tensor of at least 3 dims, got shape {input.shape}; "
            "use hsplit or vsplit for fewer dims"
        )
    return _split_checked("dsplit", input, indices_or_sections, 2)


def split_with_sizes(
    input: Tensor,  # noqa: A002
    split_sizes: Sequence[int],
    dim: int = 0,
) -> tuple[Tensor, ...]:
    """Pieces of the given sizes along ``dim``; the sizes must add up to that dim."""
    _check_tensor("split_with_sizes", "input", input)
    if isinstance(split_sizes, int) or not isinstance(split_sizes, (list, tuple)):
        raise TypeError(
            f"split_with_sizes: split_sizes must be a list of ints, got {split_sizes!r}"
        )
    sizes = int_list("split_with_sizes", "split_sizes", tuple(split_sizes))
    if any(s < 0 for s in sizes):
        raise InvalidArgumentError(
            f"split_with_sizes: split_sizes must be non-negative, got {list(sizes)}"
        )
    d = normalize_dim(dim, input.ndim, "split_with_sizes")
    if sum(sizes) != input.shape[d]:
        raise ShapeError(
            f"split_with_sizes: split_sizes {list(sizes)} add up to {sum(sizes)}, but dim "
            f"{dim} of the input (shape {input.shape}) has size {input.shape[d]}"
        )
    return split(input, list(sizes), d)


# ---------------------------------------------------------------------------- scatters
def _check_src(op: str, input: Tensor, src: Any, expected: tuple[int, ...]) -> None:  # noqa: A002
    _check_tensor(op, "src", src)
    if src.dtype is not input.dtype:
        raise UnsupportedDtypeError(
            f"{op}: src dtype {src.dtype!r} differs from input dtype {input.dtype!r}; "
            f"convert it with .to({input.dtype!r})"
        )
    if tuple(src.shape) != expected:
        raise ShapeError(
            f"{op}: src of shape {src.shape} must have the shape {expected} of the part of "
            f"the input (shape {input.shape}) it replaces"
        )


def select_scatter(input: Tensor, src: Tensor, dim: int, index: int) -> Tensor:  # noqa: A002
    """``input`` with ``input.select(dim, index)`` replaced by ``src``: a new tensor.
    Gradient: ``src`` gets that slice of ``g``, ``input`` the rest.

    >>> import nanotorch
    >>> nanotorch.zeros(2, 2).select_scatter(nanotorch.ones(2), 0, 1).tolist()
    [[0.0, 0.0], [1.0, 1.0]]
    """
    _check_tensor("select_scatter", "input", input)
    d, i = _select_index("select_scatter", input, dim, index)
    expected = tuple(input.shape[:d] + input.shape[d + 1 :])
    _check_src("select_scatter", input, src, expected)
    return index_copy(input, d, _index_tensor([i], input), unsqueeze(src, d))


def slice_scatter(
    input: Tensor,  # noqa: A002
    src: Tensor,
    dim: int = 0,
    start: int | None = None,
    end: int | None = None,
    step: int = 1,
) -> Tensor:
    """``input`` with ``input[..., start:end:step, ...]`` (along ``dim``) replaced by
    ``src``: a new tensor, differentiable in both."""
    _check_tensor("slice_scatter", "input", input)
    if input.ndim == 0:
        raise IndexOutOfRangeError("slice_scatter: cannot slice a 0-dim tensor")
    d = normalize_dim(dim, input.ndim, "slice_scatter")
    if step <= 0:
        raise InvalidArgumentError(f"slice_scatter: step must be positive, got {step}")
    rows = list(range(*slice(start, end, step).indices(input.shape[d])))
    expected = tuple(input.shape[:d]) + (len(rows),) + tuple(input.shape[d + 1 :])
    _check_src("slice_scatter", input, src, expected)
    if not rows:
        return clone(input)
    return index_copy(input, d, _index_tensor(rows, input), src)


def diagonal_scatter(
    input: Tensor,  # noqa: A002
    src: Tensor,
    offset: int = 0,
    dim1: int = 0,
    dim2: int = 1,
) -> Tensor:
    """``input`` with its diagonal ``offset`` of the (``dim1``, ``dim2``) matrices replaced
    by ``src`` (shaped as ``input.diagonal(offset, dim1, dim2)``): the two dims moved last,
    ``src`` spread over the matrix by one ``take`` (each place reads the diagonal entry of
    its row or column) and kept on the diagonal by a ``where``."""
    from nanotorch.creation import arange
    from nanotorch.ops.shape_extra import movedim

    _check_tensor("diagonal_scatter", "input", input)
    expected = tuple(diagonal(input.detach(), offset, dim1, dim2).shape)
    _check_src("diagonal_scatter", input, src, expected)
    d1 = normalize_dim(dim1, input.ndim, "diagonal_scatter")
    d2 = normalize_dim(dim2, input.ndim, "diagonal_scatter")
    if src.shape[-1] == 0:
        return clone(input)
    x = movedim(input, (d1, d2), (-2, -1))
    n, m = x.shape[-2], x.shape[-1]
    with no_grad():
        rows = reshape(arange(n, device=input.device), (n, 1))
        cols = reshape(arange(m, device=input.device), (1, m))
        on_diagonal = (cols - rows) == offset
        # The entry of src a place reads: its row above the main diagonal, else its column.
        k = (rows + cols * 0) if offset >= 0 else (cols + rows * 0)
        k = where(on_diagonal, k, k * 0)
    spread = Take.apply(src, k, axis=src.ndim - 1)
    return movedim(where(on_diagonal, spread, x), (-2, -1), (d1, d2))


_INDEX_REDUCES = ("prod", "mean", "amax", "amin")


def index_reduce(
    input: Tensor,  # noqa: A002
    dim: int,
    index: Tensor,
    source: Tensor,
    reduce: str,
    *,
    include_self: bool = True,
) -> Tensor:
    """Fold slice ``i`` of ``source`` (along ``dim``) into slice ``index[i]`` of ``input`` by
    ``reduce`` ("prod", "mean", "amax" or "amin"), starting from ``input``'s slice when
    ``include_self``; slices no index names keep ``input``. ``scatter_reduce`` with the
    index spread over each slice, so its gradients are scatter_reduce's.

    >>> import nanotorch
    >>> x = nanotorch.ones(2, 2)
    >>> x.index_reduce(0, nanotorch.tensor([0, 0]), nanotorch.tensor([[2.0, 3.0], [4.0, 5.0]]),
    ...                "prod").tolist()
    [[8.0, 15.0], [1.0, 1.0]]
    """
    if reduce not in _INDEX_REDUCES:
        raise InvalidArgumentError(
            f"index_reduce: reduce must be one of {_INDEX_REDUCES}, got {reduce!r}"
        )
    d, flat_index = _index_setup("index_reduce", input, dim, index, source)
    shape = tuple(input.shape) or (1,)
    src = reshape(source, shape[:d] + (flat_index.shape[0],) + shape[d + 1 :])
    view = [1] * len(shape)
    view[d] = flat_index.shape[0]
    spread = broadcast_to(reshape(flat_index, view), tuple(src.shape))
    out = scatter_reduce(reshape(input, shape), d, spread, src, reduce, include_self=include_self)
    return reshape(out, input.shape)


def put(
    input: Tensor,  # noqa: A002
    index: Tensor,
    source: Tensor,
    accumulate: bool = False,
) -> Tensor:
    """``input`` read as 1-D, with ``source``'s elements written (or added, with
    ``accumulate``) at the flat positions ``index`` (negative ones count from the end).

    >>> import nanotorch
    >>> nanotorch.zeros(2, 2).put(nanotorch.tensor([0, -1]), nanotorch.tensor([1.0, 2.0])).tolist()
    [[1.0, 0.0], [0.0, 2.0]]
    """
    _check_tensor("put", "input", input)
    _check_tensor("put", "index", index)
    _check_tensor("put", "source", source)
    if index.dtype is not _dt.int64:
        raise UnsupportedDtypeError(
            f"put: index must be an int64 tensor, got {index.dtype!r}; convert it with .long()"
        )
    if source.dtype is not input.dtype:
        raise UnsupportedDtypeError(
            f"put: source dtype {source.dtype!r} differs from input dtype {input.dtype!r}; "
            f"convert it with .to({input.dtype!r})"
        )
    if index.numel() != source.numel():  # an IndexError in PyTorch
        raise IndexOutOfRangeError(
            f"put: index (shape {index.shape}) and source (shape {source.shape}) must have "
            "the same number of elements"
        )
    n = input.numel()
    positions = reshape(index, (-1,))
    _check_range("put", positions, 0, n, negative_ok=True)
    with no_grad():
        positions = where(positions < 0, positions + n, positions)
    k = positions.shape[0]
    return put_values("put", input, positions, (k,), reshape(source, (k,)), accumulate)


# ---------------------------------------------------------------------------- values


def fill(input: Tensor, value: Any) -> Tensor:  # noqa: A002
    """A tensor shaped as ``input`` and of its dtype, every element ``value`` (a number or
    a 0-d tensor). Gradient: none to ``input`` (its values are discarded), the sum of ``g``
    to a tensor ``value``."""
    from nanotorch.creation import ones

    _check_tensor("fill", "input", input)
    if isinstance(value, Tensor) and value.ndim != 0:
        raise ShapeError(
            f"fill: value must be a number or a 0-d tensor, got a tensor of shape {value.shape}"
        )
    if isinstance(value, Tensor):
        fill_with: Any = value.to(input.dtype) if value.dtype is not input.dtype else value
    elif isinstance(value, (bool, int, float)):
        # The value in input's kind, as PyTorch casts it (2.7 fills an int tensor with 2).
        kind = bool if input.dtype is _dt.bool_ else float if input.dtype.is_floating_point else int
        fill_with = kind(value)
    else:
        raise TypeError(f"fill: value must be a number or a 0-d tensor, got {value!r}")
    everywhere = ones(input.shape, dtype=_dt.bool_, device=input.device)
    out = where(everywhere, fill_with, input)
    return out if out.dtype is input.dtype else out.to(input.dtype)


def adjoint(input: Tensor) -> Tensor:  # noqa: A002
    """The conjugate transpose of the last two dims; nanotorch's dtypes are real, so the
    transpose (``Tensor.mH``)."""
    _check_tensor("adjoint", "input", input)
    if input.ndim == 0:  # a 0-d tensor is its own (conjugate) transpose, as in PyTorch
        return reshape(input, ())
    if input.ndim < 2:
        raise ShapeError(
            f"adjoint: expects a matrix or a batch of matrices, got shape {input.shape}"
        )
    return transpose(input, -2, -1)


# ---------------------------------------------------------------------------- as_strided
def as_strided(
    input: Tensor,  # noqa: A002
    size: Sequence[int],
    stride: Sequence[int],
    storage_offset: int | None = None,
) -> Tensor:
    """The elements ``storage_offset + sum_i k_i * stride[i]`` of ``input`` read in row-major
    order, for every index ``k`` of ``size``: PyTorch's ``as_strided`` on a contiguous
    tensor, as a new tensor (there is no storage to share, Note [Copies of views]). One
    ``take`` of the positions, so elements read twice get both gradients.

    >>> import nanotorch
    >>> nanotorch.arange(4).as_strided((3, 2), (1, 1)).tolist()
    [[0, 1], [1, 2], [2, 3]]
    """
    _check_tensor("as_strided", "input", input)
    positions = _strided_positions("as_strided", input, size, stride, storage_offset)
    return Take.apply(reshape(input, (-1,)), positions, axis=0)


def _strided_positions(
    op: str, input: Tensor, size: Sequence[int], stride: Sequence[int], offset: int | None
) -> Tensor:
    """The row-major positions in ``input`` that ``as_strided(size, stride, offset)`` reads,
    shaped as ``size``, validated as PyTorch validates them."""
    from nanotorch.creation import arange, full

    sizes = int_list(op, "size", tuple(size))
    strides = int_list(op, "stride", tuple(stride))
    start = 0 if offset is None else int(offset)
    if len(sizes) != len(strides):
        raise ShapeError(
            f"{op}: size {tuple(sizes)} and stride {tuple(strides)} must have the same length"
        )
    if any(s < 0 for s in sizes) or any(s < 0 for s in strides) or start < 0:
        raise InvalidArgumentError(
            f"{op}: size {tuple(sizes)}, stride {tuple(strides)} and storage_offset "
            f"{start} must be non-negative"
        )
    numel = 1
    for s in sizes:
        numel *= s
    last = start + sum((n - 1) * s for n, s in zip(sizes, strides)) if numel else start - 1
    if last >= input.numel():
        raise ShapeError(
            f"{op}: size {tuple(sizes)} with stride {tuple(strides)} and offset {start} "
            f"reads element {last}, past the {input.numel()} elements of the input "
            f"(shape {input.shape})"
        )
    with no_grad():
        positions = full(tuple(sizes), start, dtype=_dt.int64, device=input.device)
        for d, (n, s) in enumerate(zip(sizes, strides)):
            view = [1] * len(sizes)
            view[d] = n
            positions = positions + reshape(arange(n, device=input.device) * s, view)
    return positions


def as_strided_scatter(
    input: Tensor,  # noqa: A002
    src: Tensor,
    size: Sequence[int],
    stride: Sequence[int],
    storage_offset: int | None = None,
) -> Tensor:
    """``input`` with the elements ``as_strided(input, size, stride, storage_offset)``
    reads replaced by ``src`` (of shape ``size``): a new tensor. An element read twice gets
    the last writer's value (PyTorch leaves that undefined).

    >>> import nanotorch
    >>> nanotorch.zeros(4).as_strided_scatter(nanotorch.ones(2), (2,), (2,)).tolist()
    [1.0, 0.0, 1.0, 0.0]
    """
    _check_tensor("as_strided_scatter", "input", input)
    positions = _strided_positions("as_strided_scatter", input, size, stride, storage_offset)
    _check_src("as_strided_scatter", input, src, tuple(positions.shape))
    k = positions.numel()
    flat = reshape(positions, (k,))
    return put_values("as_strided_scatter", input, flat, (k,), reshape(src, (k,)), False)


def combinations(
    input: Tensor,  # noqa: A002
    r: int = 2,
    with_replacement: bool = False,
) -> Tensor:
    """Every length-``r`` combination of the elements of the 1-D ``input``, one per row, in
    lexicographic order of positions (Python's ``itertools.combinations``, or
    ``combinations_with_replacement``): one ``take`` of the position table.

    >>> import nanotorch
    >>> nanotorch.combinations(nanotorch.tensor([1, 2, 3])).tolist()
    [[1, 2], [1, 3], [2, 3]]
    """
    import itertools

    _check_tensor("combinations", "input", input)
    if input.ndim != 1:
        raise ShapeError(f"combinations: expects a 1-D input, got shape {input.shape}")
    if isinstance(r, bool) or not isinstance(r, int) or r < 0:
        raise InvalidArgumentError(f"combinations: r must be a non-negative int, got {r!r}")
    if r == 0:  # PyTorch answers a new empty tensor, outside the graph
        return input.detach()[:0]
    n = input.shape[0]
    pick = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    # Position bookkeeping on the host (as tril_indices does), one transfer at the end.
    rows = [p for combo in pick(range(n), r) for p in combo]
    index = reshape(_index_tensor(rows, input), (len(rows) // r, r)) if rows else None
    if index is None:
        return reshape(input[:0], (0, r))
    return Take.apply(input, index, axis=0)


def vander(x: Tensor, N: int | None = None, increasing: bool = False) -> Tensor:  # noqa: N803
    """The Vandermonde matrix of the 1-D ``x``: column j is ``x ** (N - 1 - j)`` (or
    ``x ** j`` when ``increasing``), N defaulting to len(x). Built as running products
    ``1, x, x*x, ...`` joined by ``stack``, so the gradient never divides by x (a power
    with a tensor exponent would give 0 * inf at x = 0).

    >>> import nanotorch
    >>> nanotorch.vander(nanotorch.tensor([2, 3]), 3).tolist()
    [[4, 2, 1], [9, 3, 1]]
    """
    from nanotorch.creation import ones
    from nanotorch.ops.shape import flip, stack

    _check_tensor("vander", "x", x)
    if x.ndim != 1:
        raise ShapeError(f"vander: x must be a 1-D tensor, got shape {x.shape}")
    n = x.shape[0] if N is None else N
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise InvalidArgumentError(f"vander: N must be a non-negative int, got {N!r}")
    # PyTorch's result type: x's, with bool and narrower integers raised to int64.
    if x.dtype.name == "bool" or (not x.dtype.is_floating_point and x.dtype is not _dt.int64):
        x = x.long()
    if n == 0:
        return reshape(x.detach()[:0], (x.shape[0], 0))
    columns = [ones(x.shape, dtype=x.dtype, device=x.device)]
    for _ in range(n - 1):
        columns.append(columns[-1] * x)
    out = stack(columns, 1)
    return out if increasing else flip(out, (1,))


def unravel_index(indices: Tensor, shape: int | Sequence[int]) -> tuple[Tensor, ...]:
    """The coordinates in a tensor of ``shape`` of the flat (row-major) ``indices``: one int64
    tensor per dim, each shaped as ``indices``. Indices wrap around as PyTorch's do (a
    negative one counts from the end).

    >>> import nanotorch
    >>> [c.tolist() for c in nanotorch.unravel_index(nanotorch.tensor([4, 11]), (3, 4))]
    [[1, 2], [0, 3]]
    """
    if not isinstance(indices, Tensor):
        raise TypeError(f"unravel_index: indices must be a Tensor, got {type(indices).__name__}")
    if indices.dtype.is_floating_point or indices.dtype.name == "bool":
        raise UnsupportedDtypeError(
            f"unravel_index: indices must be an integer tensor, got {indices.dtype!r}; "
            "convert it with .long()"
        )
    dims = int_list("unravel_index", "shape", (shape,) if isinstance(shape, int) else tuple(shape))
    if any(s < 0 for s in dims):
        raise InvalidArgumentError(f"unravel_index: shape {dims} must be non-negative")
    if 0 in dims and indices.numel():
        raise IndexOutOfRangeError(
            f"unravel_index: shape {dims} has no elements, so no index fits in it"
        )
    rest = indices.long()
    coords = []
    for size in reversed(dims):
        coords.append(rest % size)
        rest = rest // size
    return tuple(reversed(coords))


def isin(
    elements: Tensor | float | int,
    test_elements: Tensor | float | int,
    *,
    assume_unique: bool = False,
    invert: bool = False,
) -> Tensor:
    """For each element, whether it equals one of ``test_elements`` (NaN equals nothing);
    either may be a number. The test elements are sorted once and every element looked up
    with ``searchsorted``: O((n + m) log m), not the n * m of comparing every pair.

    >>> import nanotorch
    >>> nanotorch.isin(nanotorch.tensor([1, 2, 3]), nanotorch.tensor([3, 1])).tolist()
    [True, False, True]
    """
    from nanotorch.creation import tensor, zeros
    from nanotorch.ops.sorting import searchsorted, sort
    from nanotorch.promotion import result_type

    like = elements if isinstance(elements, Tensor) else test_elements
    if not isinstance(like, Tensor):
        raise TypeError("isin: at least one of elements and test_elements must be a Tensor")
    a = elements if isinstance(elements, Tensor) else tensor(elements, device=like.device)
    b = test_elements if isinstance(test_elements, Tensor) else tensor(test_elements)
    b = b.to(like.device) if not isinstance(test_elements, Tensor) else b
    for name, operand in (("elements", a), ("test_elements", b)):
        if operand.dtype is _dt.bool_:
            raise UnsupportedDtypeError(
                f"isin: not defined for bool {name}, as in PyTorch; convert with .long()"
            )
    dtype = result_type(a, b)
    a, b = a.detach().to(dtype), reshape(b.detach().to(dtype), (-1,))
    if b.shape[0] == 0:
        found = zeros(a.shape, dtype=_dt.bool_, device=a.device)
    else:
        table = sort(b).values
        at = searchsorted(table, a).clamp(max=b.shape[0] - 1)
        found = Take.apply(table, at, axis=0) == a
    return ~found if invert else found


_SEGMENT_REDUCES = {"sum": "sum", "mean": "mean", "prod": "prod", "amax": "amax", "amin": "amin"}
_SEGMENT_REDUCES.update(max="amax", min="amin")


def segment_reduce(
    data: Tensor,
    reduce: str,
    *,
    lengths: Tensor | None = None,
    indices: Tensor | None = None,
    offsets: Tensor | None = None,
    axis: int = 0,
    unsafe: bool = False,
    initial: float | None = None,
) -> Tensor:
    """Reduce consecutive segments of ``data`` along ``axis``: segment i holds the next
    ``lengths[..., i]`` elements (or runs from ``offsets[..., i]`` to ``offsets[..., i + 1]``);
    ``lengths`` has the shape ``data.shape[:axis] + (segments,)``. ``initial`` joins every
    segment's reduction; an empty segment without it gives the reduction's identity
    (0, 1, -inf, inf; nan for mean). Each element is given its segment's id and the
    segments are folded by ``index_add`` / ``index_reduce``, so gradients are theirs.

    >>> import nanotorch
    >>> data = nanotorch.tensor([1.0, 2.0, 3.0, 4.0])
    >>> nanotorch.segment_reduce(data, "sum", lengths=nanotorch.tensor([1, 0, 3])).tolist()
    [1.0, 0.0, 9.0]
    """
    from nanotorch.creation import arange, full, zeros
    from nanotorch.ops.scatter import index_add
    from nanotorch.ops.shape_extra import repeat_interleave

    op = "segment_reduce"
    _check_tensor(op, "data", data)
    if reduce not in _SEGMENT_REDUCES:
        raise InvalidArgumentError(
            f"{op}: reduce must be one of sum, prod, mean, amax or amin, got {reduce!r}"
        )
    reduce = _SEGMENT_REDUCES[reduce]
    if indices is not None:
        raise InvalidArgumentError(
            f"{op}: indices-based reduction is not supported (nor is it in PyTorch); give "
            "lengths or offsets"
        )
    if not data.dtype.is_floating_point:
        raise UnsupportedDtypeError(f"{op}: data must be floating, got {data.dtype!r}")
    if (lengths is None) == (offsets is None):
        raise InvalidArgumentError(f"{op}: give exactly one of lengths and offsets")
    if lengths is None:
        _check_tensor(op, "offsets", offsets)
        lengths = offsets[..., 1:] - offsets[..., :-1]
    _check_tensor(op, "lengths", lengths)
    d = normalize_dim(axis, data.ndim, op)
    if lengths.ndim != d + 1 or tuple(lengths.shape[:d]) != tuple(data.shape[:d]):
        raise ShapeError(
            f"{op}: lengths of shape {lengths.shape} must have the shape "
            f"{tuple(data.shape[:d])} + (segments,) for data of shape {data.shape} "
            f"along axis {axis}"
        )
    counts = reshape(lengths.long(), (-1,))
    if not unsafe and counts.numel():
        low = int(counts.min().item())
        if low < 0:
            raise InvalidArgumentError(f"{op}: lengths must be non-negative, got {low}")
        sums = lengths.long().sum(-1)
        if bool((sums != data.shape[d]).any().item()):
            raise ShapeError(
                f"{op}: the lengths of each row must add up to {data.shape[d]}, the size of "
                f"axis {axis} of data (shape {data.shape})"
            )
    rows = 1
    for s in data.shape[:d]:
        rows *= s
    k = lengths.shape[-1]
    rest = tuple(data.shape[d + 1 :])
    # Rows of the leading dims folded into the segments: element j of row r lands in
    # segment r * k + (its segment in that row).
    x = reshape(data, (rows * data.shape[d],) + rest)
    with no_grad():
        ids = repeat_interleave(arange(rows * k, device=data.device), counts)
    shape = (rows * k,) + rest
    if reduce in ("sum", "mean"):
        total = index_add(zeros(shape, dtype=data.dtype, device=data.device), 0, ids, x)
        if initial is not None:
            total = total + initial
        if reduce == "mean":
            n = reshape(counts.to(data.dtype), (rows * k,) + (1,) * len(rest))
            fallback = float("nan") if initial is None else float(initial)
            total = where(n > 0, total / where(n > 0, n, n * 0 + 1), fallback)
    else:
        identity = {"prod": 1.0, "amax": -float("inf"), "amin": float("inf")}[reduce]
        start = identity if initial is None else float(initial)
        base = full(shape, start, dtype=data.dtype, device=data.device)
        total = index_reduce(base, 0, ids, x, reduce, include_self=True)
    return reshape(total, tuple(data.shape[:d]) + (k,) + rest)


# ---------------------------------------------------------------------------- real dtypes
# nanotorch's dtypes are all real: the conjugate of a tensor is the tensor, its real part
# is itself, and no bit records a lazy conjugation or negation to resolve.
def conj(input: Tensor) -> Tensor:  # noqa: A002
    """The complex conjugate: ``input`` itself (real dtypes), as PyTorch returns it."""
    _check_tensor("conj", "input", input)
    return input


def conj_physical(input: Tensor) -> Tensor:  # noqa: A002
    """The complex conjugate in new memory: a copy of the real ``input``."""
    _check_tensor("conj_physical", "input", input)
    return clone(input)


def resolve_conj(input: Tensor) -> Tensor:  # noqa: A002
    _check_tensor("resolve_conj", "input", input)
    return input


def resolve_neg(input: Tensor) -> Tensor:  # noqa: A002
    _check_tensor("resolve_neg", "input", input)
    return input


def real(input: Tensor) -> Tensor:  # noqa: A002
    """The real part: ``input`` itself for real dtypes, as in PyTorch."""
    _check_tensor("real", "input", input)
    return input


def isreal(input: Tensor) -> Tensor:  # noqa: A002
    """True for every element (a real dtype has no imaginary part)."""
    from nanotorch.creation import ones

    _check_tensor("isreal", "input", input)
    return ones(input.shape, dtype=_dt.bool_, device=input.device)


def imag(input: Tensor) -> Tensor:  # noqa: A002
    """PyTorch's ``imag`` exists for complex dtypes only; nanotorch has none."""
    raise UnsupportedDtypeError(
        f"imag: not implemented for tensors with non-complex dtypes (got {input.dtype!r}); "
        "nanotorch's dtypes are all real"
    )


def nonzero_static(input: Tensor, *, size: int, fill_value: int = -1) -> Tensor:  # noqa: A002
    """``nonzero(input)`` with exactly ``size`` rows: the first ``size`` hits, then rows of
    ``fill_value`` (a fixed output shape, as compiled code wants)."""
    from nanotorch.creation import full
    from nanotorch.ops.shape import cat

    _check_tensor("nonzero_static", "input", input)
    if isinstance(size, bool) or not isinstance(size, int) or size < 0:
        raise InvalidArgumentError(f"nonzero_static: size must be a non-negative int, got {size!r}")
    hits = nonzero(input)
    if hits.shape[0] >= size:
        return hits[:size]
    rest = full(
        (size - hits.shape[0], input.ndim), fill_value, dtype=_dt.int64, device=input.device
    )
    return cat([hits, rest], 0)


def constant_pad_nd(input: Tensor, pad: Sequence[int], value: float = 0) -> Tensor:  # noqa: A002
    """``F.pad(input, pad, "constant", value)``: (before, after) pairs from the last dim;
    negative widths crop."""
    return _pad(input, pad, "constant", value)


# ---------------------------------------------------------------------------- copies
# Note [Copies of views]: each is its view op, cloned.
def narrow_copy(input: Tensor, dim: int, start: int, length: int) -> Tensor:  # noqa: A002
    return clone(narrow(input, dim, start, length))


def expand_copy(input: Tensor, size: Sequence[int], *, implicit: bool = False) -> Tensor:  # noqa: A002
    return clone(broadcast_to(input, size))


def permute_copy(input: Tensor, dims: Sequence[int]) -> Tensor:  # noqa: A002
    return clone(permute(input, tuple(dims)))


def view_copy(input: Tensor, size: Sequence[int]) -> Tensor:  # noqa: A002
    return clone(reshape(input, size))


def t_copy(input: Tensor) -> Tensor:  # noqa: A002
    return clone(t(input))


def transpose_copy(input: Tensor, dim0: int, dim1: int) -> Tensor:  # noqa: A002
    return clone(transpose(input, dim0, dim1))


def squeeze_copy(input: Tensor, dim: int | Sequence[int] | None = None) -> Tensor:  # noqa: A002
    return clone(squeeze(input, dim))


def unsqueeze_copy(input: Tensor, dim: int) -> Tensor:  # noqa: A002
    return clone(unsqueeze(input, dim))


def diagonal_copy(input: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:  # noqa: A002
    return clone(diagonal(input, offset, dim1, dim2))


def select_copy(input: Tensor, dim: int, index: int) -> Tensor:  # noqa: A002
    return clone(select(input, dim, index))


def slice_copy(
    input: Tensor,  # noqa: A002
    dim: int = 0,
    start: int | None = None,
    end: int | None = None,
    step: int = 1,
) -> Tensor:
    """``input[..., start:end:step, ...]`` along ``dim``, in new memory."""
    _check_tensor("slice_copy", "input", input)
    d = normalize_dim(dim, input.ndim, "slice_copy")
    if step <= 0:
        raise InvalidArgumentError(f"slice_copy: step must be positive, got {step}")
    return clone(getitem(input, (slice(None),) * d + (slice(start, end, step),)))


def split_copy(input: Tensor, split_size: int, dim: int = 0) -> tuple[Tensor, ...]:  # noqa: A002
    return tuple(clone(p) for p in split(input, split_size, dim))


def split_with_sizes_copy(
    input: Tensor,  # noqa: A002
    split_sizes: Sequence[int],
    dim: int = 0,
) -> tuple[Tensor, ...]:
    return tuple(clone(p) for p in split_with_sizes(input, split_sizes, dim))


def unbind_copy(input: Tensor, dim: int = 0) -> tuple[Tensor, ...]:  # noqa: A002
    return tuple(clone(p) for p in unbind(input, dim))


def detach_copy(input: Tensor) -> Tensor:  # noqa: A002
    return clone(input.detach())


def alias_copy(input: Tensor) -> Tensor:  # noqa: A002
    return clone(input)


def unfold_copy(input: Tensor, dimension: int, size: int, step: int) -> Tensor:  # noqa: A002
    return clone(unfold_windows(input, dimension, size, step))


# ---------------------------------------------------------------------------- not ops
# Functions on shapes and Tensor properties, exported by nanotorch/__init__.py: they return
# no tensor, so they are not ops and have no spec.
def broadcast_shapes(*shapes: int | Sequence[int]) -> tuple[int, ...]:
    """The shape tensors of ``shapes`` broadcast to (PyTorch's rules: align on the right,
    a 1 stretches). An int is a 1-D shape.

    >>> import nanotorch
    >>> nanotorch.broadcast_shapes((2, 1), (3,))
    (2, 3)
    """
    out: list[int] = []
    for shape in shapes:
        dims = (shape,) if isinstance(shape, int) else tuple(shape)
        for s in dims:
            if isinstance(s, bool) or not hasattr(s, "__index__"):
                raise TypeError(f"broadcast_shapes: sizes must be ints, got {shape!r}")
            if int(s) < 0:
                raise InvalidArgumentError(
                    f"broadcast_shapes: sizes must be non-negative, got {shape!r}"
                )
        dims = tuple(int(s) for s in dims)
        width = max(len(out), len(dims))
        a = [1] * (width - len(out)) + out
        b = (1,) * (width - len(dims)) + dims
        merged = []
        for i, (x, y) in enumerate(zip(a, b)):
            if x != y and x != 1 and y != 1:
                raise ShapeError(
                    f"broadcast_shapes: shape {dims} does not broadcast with {tuple(out)}: "
                    f"sizes {x} and {y} differ at dim {i - width}"
                )
            merged.append(y if x == 1 else x)
        out = merged
    return tuple(out)
