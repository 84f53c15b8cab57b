"""More ops that rearrange elements: repeat/tile, repeat_interleave, roll, triangles and
diagonals, meshgrid, movedim, narrow, sliding windows and index grids.

They are composites: each is written with ops that already have a backward (reshape,
broadcast_to, cat, getitem, take, where, pad, permute), so none needs a Function or a
gradient formula of its own, and every gradient is checked by the spec's gradcheck. The few
integer helpers (searchsorted positions of ``repeat_interleave``) carry no gradient.

Like the rest of the engine, this module imports no array library.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from nanotorch._inplace import mark_view
from nanotorch.autograd.function import Function
from nanotorch.autograd.grad_mode import no_grad
from nanotorch.errors import (
    IndexOutOfRangeError,
    InvalidArgumentError,
    ShapeError,
    UnsupportedDtypeError,
)
from nanotorch.ops._util import normalize_dim
from nanotorch.ops.elementwise import where
from nanotorch.ops.indexing import Take, getitem, index_range
from nanotorch.ops.padding import pad
from nanotorch.ops.shape import broadcast_to, cat, permute, reshape, stack
from nanotorch.tensor import Tensor

# What this family exports; nanotorch.<name> and the op-spec tests derive from it
# (Note [Op registry] in ops/__init__.py).
OPS = (
    "repeat",
    "tile",
    "repeat_interleave",
    "roll",
    "tril",
    "triu",
    "diag",
    "diagonal",
    "diag_embed",
    "meshgrid",
    "movedim",
    "narrow",
    "tril_indices",
    "triu_indices",
    "cartesian_prod",
)
ALIASES = {"moveaxis": "movedim"}


def _ints(op: str, name: str, args: Sequence[Any]) -> tuple[int, ...]:
    """``f(2, 3)`` or ``f((2, 3))`` as a tuple of ints."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = tuple(args[0])
    out = []
    for a in args:
        if isinstance(a, bool) or not hasattr(a, "__index__"):
            raise TypeError(f"{op}: {name} must be ints, got {tuple(args)!r}")
        out.append(int(a))
    return tuple(out)


def _arange(n: int, like: Tensor) -> Tensor:
    from nanotorch.creation import arange

    return arange(n, device=like.device)


# ---------------------------------------------------------------------------- repeats
def repeat(a: Tensor, *sizes: int | Sequence[int]) -> Tensor:
    """``a`` repeated ``sizes[i]`` times along dim i (``Tensor.repeat``; NumPy's ``tile``
    when len(sizes) >= a.ndim): a broadcast over interleaved size-1 dims, then a reshape.
    Gradient: the copies' gradients summed (the engine's un-broadcasting).

    >>> import nanotorch
    >>> nanotorch.tensor([1, 2]).repeat(2, 2).tolist()
    [[1, 2, 1, 2], [1, 2, 1, 2]]
    """
    reps = _ints("repeat", "sizes", sizes)
    if len(reps) < a.ndim:
        raise ShapeError(
            f"repeat: got {len(reps)} repeat sizes {reps} for a tensor of rank {a.ndim} "
            f"(shape {a.shape}); give at least one per dim"
        )
    if any(r < 0 for r in reps):
        raise InvalidArgumentError(f"repeat: sizes must be non-negative, got {reps}")
    shape = (1,) * (len(reps) - a.ndim) + tuple(a.shape)
    spread = [v for s in shape for v in (1, s)]
    target = [v for r, s in zip(reps, shape) for v in (r, s)]
    out = broadcast_to(reshape(a, spread), target)
    return reshape(out, tuple(r * s for r, s in zip(reps, shape)))


def tile(input: Tensor, dims: Sequence[int]) -> Tensor:  # noqa: A002
    """``input`` repeated ``dims[i]`` times along dim i; a short ``dims`` is padded with ones
    on the left (so ``tile(x, (2,))`` repeats the last dim)."""
    reps = _ints("tile", "dims", (dims,) if not isinstance(dims, int) else (dims,))
    reps = (1,) * (input.ndim - len(reps)) + reps
    return repeat(input, reps)


class RepeatPositions(Function):
    """For repeat counts r (1-D, int64), the source index of each of the sum(r) outputs:
    output k comes from the first i with cumsum(r)[i] > k. No gradient."""

    differentiable = False

    @staticmethod
    def forward(ctx, xp, counts, total):
        ends = xp.cumulative_sum(counts)
        outputs = xp.arange(total, dtype=ends.dtype, device=counts.device)
        return xp.astype(xp.searchsorted(ends, outputs, side="right"), xp.int64)


def repeat_interleave(
    input: Tensor,  # noqa: A002
    repeats: int | Tensor | None = None,
    dim: int | None = None,
    *,
    output_size: int | None = None,
) -> Tensor:
    """Each element (or slice along ``dim``) repeated ``repeats`` times in place: an int, or
    an integer tensor with one count per slice. ``dim=None`` works on the flattened input;
    ``repeat_interleave(counts)`` alone gives the index each output copies.

    >>> import nanotorch
    >>> nanotorch.tensor([1, 2, 3]).repeat_interleave(nanotorch.tensor([2, 0, 1])).tolist()
    [1, 1, 3]
    """
    if repeats is None:
        counts = input
        return repeat_interleave(
            _arange(counts.numel(), counts), counts, 0, output_size=output_size
        )
    if dim is None:
        input, d = reshape(input, (-1,)), 0
    else:
        d = normalize_dim(dim, input.ndim, "repeat_interleave")
        if input.ndim == 0:
            input = reshape(input, (1,))
    n = input.shape[d]
    if isinstance(repeats, Tensor) and repeats.numel() == 1 and repeats.ndim <= 1:
        if repeats.dtype.is_floating_point:
            raise UnsupportedDtypeError(
                f"repeat_interleave: repeats must be integers, got {repeats.dtype!r}"
            )
        repeats = int(repeats.item())
    if not isinstance(repeats, Tensor):
        r = _ints("repeat_interleave", "repeats", (repeats,))[0]
        if r < 0:
            raise InvalidArgumentError(f"repeat_interleave: repeats must be non-negative, got {r}")
        shape = tuple(input.shape)
        spread = broadcast_to(
            reshape(input, shape[: d + 1] + (1,) + shape[d + 1 :]),
            shape[: d + 1] + (r,) + shape[d + 1 :],
        )
        return reshape(spread, shape[:d] + (n * r,) + shape[d + 1 :])
    if repeats.dtype.name not in ("int64", "int32") or repeats.ndim != 1:
        raise UnsupportedDtypeError(
            f"repeat_interleave: repeats must be an int or a 1-D integer tensor, got "
            f"{repeats.dtype!r} of shape {repeats.shape}"
        )
    if repeats.shape[0] != n:
        raise ShapeError(
            f"repeat_interleave: repeats has {repeats.shape[0]} counts but dim {d} of the input "
            f"(shape {input.shape}) has {n} slices; give one count per slice"
        )
    if n and index_range(repeats)[0] < 0:
        raise InvalidArgumentError("repeat_interleave: repeats must be non-negative")
    counts = repeats.long()
    total = output_size if output_size is not None else int(counts.sum().item()) if n else 0
    with no_grad():
        positions = RepeatPositions.apply(counts, total=total)
    return Take.apply(input, positions, axis=d)


def roll(
    input: Tensor, shifts: int | Sequence[int], dims: int | Sequence[int] | None = None
) -> Tensor:  # noqa: A002
    """Elements shifted cyclically by ``shifts`` along ``dims`` (the flattened tensor when
    ``dims`` is None): two slices swapped with ``cat``.

    >>> import nanotorch
    >>> nanotorch.arange(4).roll(1).tolist()
    [3, 0, 1, 2]
    """
    if dims is None:
        if not isinstance(shifts, int):
            flat_shifts = _ints("roll", "shifts", (shifts,))
            if len(flat_shifts) != 1:
                raise InvalidArgumentError(
                    f"roll: {len(flat_shifts)} shifts {flat_shifts} need as many dims; pass "
                    "dims= (without dims the tensor is rolled flattened, by one shift)"
                )
            shifts = flat_shifts[0]
        return reshape(roll(reshape(input, (-1,)), shifts, 0), input.shape)
    shift_t = _ints("roll", "shifts", (shifts,))
    dim_t = _ints("roll", "dims", (dims,))
    if len(shift_t) != len(dim_t):
        raise InvalidArgumentError(
            f"roll: shifts {shift_t} and dims {dim_t} must have the same number of entries"
        )
    out = input
    for s, dim in zip(shift_t, dim_t):
        d = normalize_dim(dim, input.ndim, "roll")
        n = input.shape[d]
        if n == 0 or s % n == 0:
            continue
        k = s % n
        head = (slice(None),) * d
        out = cat([out[head + (slice(n - k, None),)], out[head + (slice(0, n - k),)]], d)
    return out


# ---------------------------------------------------------------------------- triangles
def _triangle(op: str, a: Tensor, diagonal: int, lower: bool) -> Tensor:
    if a.ndim < 2:
        raise ShapeError(f"{op}: input must be at least 2-D (a matrix), got shape {a.shape}")
    m, n = a.shape[-2], a.shape[-1]
    offset = reshape(_arange(n, a), (1, n)) - reshape(_arange(m, a), (m, 1))  # col - row
    keep = offset <= diagonal if lower else offset >= diagonal
    return where(keep, a, False if a.dtype.name == "bool" else 0)


def tril(input: Tensor, diagonal: int = 0) -> Tensor:  # noqa: A002
    """The lower triangle of the last two dims (on and below diagonal ``diagonal``); zeros
    elsewhere. Gradient: ``g`` masked the same way."""
    return _triangle("tril", input, int(diagonal), lower=True)


def triu(input: Tensor, diagonal: int = 0) -> Tensor:  # noqa: A002
    """The upper triangle of the last two dims (on and above diagonal ``diagonal``)."""
    return _triangle("triu", input, int(diagonal), lower=False)


def diagonal(input: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:  # noqa: A002
    """The diagonal ``offset`` of the matrices spanned by ``dim1`` and ``dim2``, as a new
    last dim: both dims moved to the end, then read with two index tensors
    ``a[..., rows, cols]`` (Note [Advanced indexing] in ops/indexing.py).

    >>> import nanotorch
    >>> nanotorch.arange(9).reshape(3, 3).diagonal(1).tolist()
    [1, 5]
    """
    d1 = normalize_dim(dim1, input.ndim, "diagonal")
    d2 = normalize_dim(dim2, input.ndim, "diagonal")
    if d1 == d2:
        raise InvalidArgumentError(f"diagonal: dim1 and dim2 must differ, both are {dim1}")
    x = movedim(input, (d1, d2), (-2, -1))
    n, m = x.shape[-2], x.shape[-1]
    length = max(0, min(n, m - offset) if offset >= 0 else min(n + offset, m))
    i = _arange(length, input)
    rows, cols = (i, i + offset) if offset >= 0 else (i - offset, i)
    # PyTorch's diagonal is a view (``x.diagonal().fill_(1)`` sets x's diagonal): so is this
    # one (Note [In-place on views] in _inplace.py), although it is read by a gather.
    out = getitem(x, (Ellipsis, rows, cols))
    return mark_view(
        out, input, lambda b: getitem(movedim(b, (d1, d2), (-2, -1)), (..., rows, cols))
    )


_diagonal = diagonal  # ``diag`` takes an argument named ``diagonal``, as in PyTorch


def diag_embed(input: Tensor, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:  # noqa: A002
    """Matrices whose diagonal ``offset`` holds the last dim of ``input``; the two new dims of
    the result are ``dim1`` (rows) and ``dim2`` (columns). Built as ``where(eye, a, 0)``,
    padded to size n + |offset| and moved into place."""
    nd = input.ndim + 1
    d1 = normalize_dim(dim1, nd, "diag_embed")
    d2 = normalize_dim(dim2, nd, "diag_embed")
    if d1 == d2:
        raise InvalidArgumentError(f"diag_embed: dim1 and dim2 must differ, both are {dim1}")
    if input.ndim == 0:
        raise ShapeError("diag_embed: input must have at least one dim, got a 0-d tensor")
    n = input.shape[-1]
    i = _arange(n, input)
    eye = reshape(i, (n, 1)) == reshape(i, (1, n))
    square = where(eye, getitem(input, (Ellipsis, slice(None), None)), 0)
    k = abs(int(offset))
    if k:
        # (left, right, top, bottom) of the last two dims: above the main diagonal means
        # columns shifted right (padding on the left) and rows ending early.
        square = pad(square, (k, 0, 0, k) if offset > 0 else (0, k, k, 0))
    return movedim(square, (nd - 2, nd - 1), (d1, d2))


def diag(input: Tensor, diagonal: int = 0) -> Tensor:  # noqa: A002
    """A 1-D input becomes the matrix with it on diagonal ``diagonal``; a 2-D input gives
    that diagonal as 1-D."""
    if input.ndim == 1:
        return diag_embed(input, diagonal)
    if input.ndim == 2:
        return _diagonal(input, diagonal)
    raise ShapeError(f"diag: input must be 1-D or 2-D, got shape {input.shape}")


# ---------------------------------------------------------------------------- grids
def meshgrid(*tensors: Tensor | Sequence[Tensor], indexing: str = "ij") -> tuple[Tensor, ...]:
    """Coordinate grids from 1-D tensors: output k varies along dim k (``indexing="ij"``),
    or with the first two dims swapped (``"xy"``, Cartesian, as NumPy's default).

    >>> import nanotorch
    >>> xs, ys = nanotorch.meshgrid(nanotorch.tensor([1, 2]), nanotorch.tensor([3, 4, 5]))
    >>> xs.shape, ys[0].tolist()
    ((2, 3), [3, 4, 5])
    """
    if len(tensors) == 1 and isinstance(tensors[0], (tuple, list)):
        tensors = tuple(tensors[0])
    if indexing not in ("ij", "xy"):
        raise InvalidArgumentError(f"meshgrid: indexing must be 'ij' or 'xy', got {indexing!r}")
    if not tensors:
        raise InvalidArgumentError("meshgrid: expects at least one tensor")
    for k, t in enumerate(tensors):
        if not isinstance(t, Tensor) or t.ndim > 1:
            raise ShapeError(
                f"meshgrid: tensor {k} must be 0-d or 1-D, got "
                f"{t.shape if isinstance(t, Tensor) else type(t).__name__}"
            )
    sizes = [t.numel() for t in tensors]
    axes = list(range(len(tensors)))
    if indexing == "xy" and len(tensors) > 1:
        axes[0], axes[1] = 1, 0
    shape = [0] * len(tensors)
    for k, ax in enumerate(axes):
        shape[ax] = sizes[k]
    out = []
    for k, t in enumerate(tensors):
        view = [1] * len(tensors)
        view[axes[k]] = sizes[k]
        out.append(broadcast_to(reshape(t, view), shape))
    return tuple(out)


def cartesian_prod(*tensors: Tensor) -> Tensor:
    """Every combination of one element from each 1-D tensor, as rows (k columns for k
    tensors); a single tensor comes back unchanged."""
    if len(tensors) == 1:
        return tensors[0]
    grids = meshgrid(*tensors, indexing="ij")
    return stack([reshape(g, (-1,)) for g in grids], dim=1)


def _tri_indices(op: str, row: int, col: int, offset: int, lower: bool, dtype, device) -> Tensor:
    from nanotorch import dtypes
    from nanotorch.creation import tensor

    for name, v in (("row", row), ("col", col), ("offset", offset)):
        if isinstance(v, bool) or not isinstance(v, int):
            raise TypeError(f"{op}: {name} must be an int, got {v!r}")
    if row < 0 or col < 0:
        raise InvalidArgumentError(f"{op}: row and col must be non-negative, got {row} and {col}")
    # Small integer bookkeeping on the host, one transfer at the end, as for arange.
    pairs = [
        (i, j)
        for i in range(row)
        for j in range(col)
        if (j - i <= offset if lower else j - i >= offset)
    ]
    rows = [p[0] for p in pairs]
    cols = [p[1] for p in pairs]
    return tensor([rows, cols], dtype=dtype or dtypes.int64, device=device).reshape(2, len(pairs))


def tril_indices(
    row: int, col: int, offset: int = 0, *, dtype: Any = None, device: Any = None
) -> Tensor:
    """The (2, N) coordinates of the lower triangle of a row x col matrix, row-major.

    >>> import nanotorch
    >>> nanotorch.tril_indices(2, 2).tolist()
    [[0, 1, 1], [0, 0, 1]]
    """
    return _tri_indices("tril_indices", row, col, offset, True, dtype, device)


def triu_indices(
    row: int, col: int, offset: int = 0, *, dtype: Any = None, device: Any = None
) -> Tensor:
    """The (2, N) coordinates of the upper triangle of a row x col matrix, row-major."""
    return _tri_indices("triu_indices", row, col, offset, False, dtype, device)


# ---------------------------------------------------------------------------- moving dims
def movedim(input: Tensor, source: int | Sequence[int], destination: int | Sequence[int]) -> Tensor:  # noqa: A002
    """Dims ``source`` moved to positions ``destination``; the others keep their order.

    >>> import nanotorch
    >>> nanotorch.zeros(2, 3, 4).movedim(0, -1).shape
    (3, 4, 2)
    """
    src = _ints("movedim", "source", (source,))
    dst = _ints("movedim", "destination", (destination,))
    if len(src) != len(dst):
        raise InvalidArgumentError(
            f"movedim: source {src} and destination {dst} must have the same number of dims"
        )
    src = tuple(normalize_dim(d, input.ndim, "movedim") for d in src)
    dst = tuple(normalize_dim(d, input.ndim, "movedim") for d in dst)
    if len(set(src)) != len(src) or len(set(dst)) != len(dst):
        raise InvalidArgumentError(
            f"movedim: repeated dim in source {source} or destination {destination}"
        )
    order: list[int | None] = [None] * input.ndim
    for s, d in zip(src, dst):
        order[d] = s
    rest = iter(d for d in range(input.ndim) if d not in src)
    return permute(input, tuple(o if o is not None else next(rest) for o in order))


def narrow(input: Tensor, dim: int, start: int | Tensor, length: int) -> Tensor:  # noqa: A002
    """Elements ``start .. start + length - 1`` along ``dim`` (a negative start counts from
    the end): a slice."""
    d = normalize_dim(dim, input.ndim, "narrow")
    start = int(start.item()) if isinstance(start, Tensor) else int(start)
    size = input.shape[d]
    if start < 0:
        start += size
    if not 0 <= start <= size or length < 0 or start + length > size:
        raise IndexOutOfRangeError(
            f"narrow: start {start} and length {length} do not fit in dim {dim} of size "
            f"{size} (tensor of shape {input.shape})"
        )
    return getitem(input, (slice(None),) * d + (slice(start, start + length),))


def unfold_windows(a: Tensor, dimension: int, size: int, step: int) -> Tensor:
    """``Tensor.unfold``: every window of ``size`` elements along ``dimension``, ``step``
    apart; the windows replace that dim and their elements form a new last dim. Read with
    one ``take`` of a (windows, size) index, so overlapping windows' gradients add up."""
    d = normalize_dim(dimension, a.ndim, "unfold")
    n = a.shape[d] if a.ndim else 1
    if size < 0 or size > n:
        raise ShapeError(
            f"unfold: size {size} is larger than dim {dimension} of size {n} "
            f"(tensor of shape {a.shape})"
        )
    if step <= 0:
        raise InvalidArgumentError(f"unfold: step must be positive, got {step}")
    if a.ndim == 0:
        return reshape(a, (1,))
    count = (n - size) // step + 1
    index = reshape(_arange(count, a) * step, (count, 1)) + reshape(_arange(size, a), (1, size))
    windows = Take.apply(a, index, axis=d)  # shape[:d] + (count, size) + shape[d+1:]
    return movedim(windows, d + 1, -1)
