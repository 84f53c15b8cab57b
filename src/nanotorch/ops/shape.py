"""Ops that rearrange elements without computing new values: reshape, permute, expand, cat,
stack, flip and friends (``pad`` has its own family, ops/padding.py). Their backward passes
rearrange the gradient the other way."""

from __future__ import annotations

from collections.abc import Sequence

from nanotorch._dim_args import dim_aliases
from nanotorch._inplace import mark_overlapping_view, mark_view
from nanotorch.autograd.function import PROMOTE, Function
from nanotorch.errors import InvalidArgumentError, ShapeError
from nanotorch.ops._util import int_list, normalize_dim, normalize_dims
from nanotorch.tensor import Tensor

# What this family exports; nanotorch.<name> and the op-spec tests derive from it
# (Note [Op registry] in ops/__init__.py).
OPS = (
    "reshape",
    "flatten",
    "unflatten",
    "squeeze",
    "unsqueeze",
    "transpose",
    "permute",
    "t",
    "matrix_transpose",
    "expand",
    "expand_as",
    "broadcast_to",
    "cat",
    "stack",
    "split",
    "chunk",
    "unbind",
    "flip",
)
ALIASES = {"view": "reshape", "swapaxes": "transpose", "concat": "cat", "concatenate": "cat"}


class Reshape(Function):
    """out = a with a new shape (same elements, row-major order);  da = g reshaped back."""

    @staticmethod
    def forward(ctx, xp, a, shape):
        ctx.in_shape = a.shape
        # Through the backend: a reshape that must copy (heads merged after attention)
        # copies into the cpu pool.
        return ctx.backend.reshape(a, shape)

    @staticmethod
    def backward(ctx, g):
        return reshape(g, ctx.in_shape)


def _infer_shape(op: str, old: tuple[int, ...], shape: Sequence[int]) -> tuple[int, ...]:
    shape = int_list(op, "shape", tuple(shape))
    numel = 1
    for s in old:
        numel *= s
    if shape.count(-1) > 1:
        raise ShapeError(f"{op}: only one dimension can be -1, got {shape}")
    known = 1
    for s in shape:
        if s != -1:
            if s < 0:
                raise ShapeError(f"{op}: invalid size {s} in shape {shape}")
            known *= s
    if -1 in shape:
        if known == 0 or numel % known:
            raise ShapeError(f"{op}: cannot reshape a tensor of shape {old} into {shape}")
        shape = tuple(numel // known if s == -1 else s for s in shape)
    elif known != numel:
        raise ShapeError(
            f"{op}: cannot reshape a tensor of shape {old} ({numel} elements) into {shape} "
            f"({known} elements)"
        )
    return shape


def reshape(
    input: Tensor,  # noqa: A002
    *sizes: int | Sequence[int],
    shape: Sequence[int] | None = None,
) -> Tensor:
    """Same elements, new shape; one entry may be -1. The shape comes as sizes
    (``x.reshape(2, -1)``), one sequence, or ``shape=`` (PyTorch's keyword).

    >>> import nanotorch
    >>> nanotorch.arange(6).reshape(2, -1).shape
    (2, 3)
    """
    if shape is not None:
        if sizes:
            raise TypeError(
                f"reshape: got the shape twice, as {sizes} and as shape={shape}; pass one"
            )
        sizes = (shape,)
    shape = sizes
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    new = _infer_shape("reshape", tuple(input.shape), shape)  # type: ignore[arg-type]
    if new == tuple(input.shape):
        return input
    return mark_view(Reshape.apply(input, shape=new), input, lambda b: Reshape.apply(b, shape=new))


def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:  # noqa: A002
    if input.ndim == 0:
        return reshape(input, (1,))
    s = normalize_dim(start_dim, input.ndim, "flatten")
    e = normalize_dim(end_dim, input.ndim, "flatten")
    if s > e:
        raise InvalidArgumentError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim}")
    shape = input.shape
    return reshape(input, shape[:s] + (-1,) + shape[e + 1 :])


def unflatten(input: Tensor, dim: int, sizes: Sequence[int]) -> Tensor:  # noqa: A002
    d = normalize_dim(dim, input.ndim, "unflatten")
    return reshape(input, input.shape[:d] + tuple(sizes) + input.shape[d + 1 :])


@dim_aliases
def squeeze(input: Tensor, dim: int | Sequence[int] | None = None) -> Tensor:  # noqa: A002
    """Drop size-1 dims (all of them, or those named that have size 1, as in PyTorch)."""
    dims = normalize_dims(dim, input.ndim, "squeeze")
    shape = tuple(s for i, s in enumerate(input.shape) if not (i in dims and s == 1))
    return reshape(input, shape)


@dim_aliases
def unsqueeze(input: Tensor, dim: int) -> Tensor:  # noqa: A002
    d = normalize_dim(dim, input.ndim + 1, "unsqueeze")
    shape = input.shape
    return reshape(input, shape[:d] + (1,) + shape[d:])


class Permute(Function):
    """out = a with axes reordered by ``dims``;  da = g permuted by the inverse order."""

    @staticmethod
    def forward(ctx, xp, a, dims):
        ctx.dims = dims
        return xp.permute_dims(a, dims)

    @staticmethod
    def backward(ctx, g):
        inverse = [0] * len(ctx.dims)
        for i, d in enumerate(ctx.dims):
            inverse[d] = i
        return permute(g, tuple(inverse))


def permute(input: Tensor, *dims: int | Sequence[int]) -> Tensor:  # noqa: A002
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        dims = tuple(dims[0])
    if len(dims) != input.ndim:
        raise ShapeError(f"permute: got {len(dims)} dims {dims} for a tensor of rank {input.ndim}")
    norm = tuple(normalize_dim(d, input.ndim, "permute") for d in dims)  # type: ignore[arg-type]
    if sorted(norm) != list(range(input.ndim)):
        raise InvalidArgumentError(
            f"permute: dims {dims} are not a permutation of 0..{input.ndim - 1}"
        )
    if norm == tuple(range(input.ndim)):
        return input
    return mark_view(Permute.apply(input, dims=norm), input, lambda b: Permute.apply(b, dims=norm))


def transpose(input: Tensor, dim0: int, dim1: int) -> Tensor:  # noqa: A002
    d0 = normalize_dim(dim0, input.ndim, "transpose")
    d1 = normalize_dim(dim1, input.ndim, "transpose")
    if input.ndim == 0:  # dims 0 and -1 name the one "dim" of a scalar: nothing to swap
        return reshape(input, ())
    order = list(range(input.ndim))
    order[d0], order[d1] = order[d1], order[d0]
    return permute(input, tuple(order))


def t(input: Tensor) -> Tensor:  # noqa: A002
    if input.ndim > 2:
        raise ShapeError(f"t: expects a tensor of rank <= 2, got shape {input.shape}; use .mT")
    return input if input.ndim < 2 else transpose(input, 0, 1)


def matrix_transpose(a: Tensor) -> Tensor:
    if a.ndim < 2:
        raise ShapeError(f"mT: expects a tensor of rank >= 2, got shape {a.shape}")
    return transpose(a, -2, -1)


class BroadcastTo(Function):
    """out = a broadcast to ``shape``;  da = g, summed back to a's shape by the engine
    (Note [Central un-broadcasting]).

    The result is materialised: a broadcast view is read-only in NumPy, and this op is how
    ``sum``/``mean`` send gradients back, so a view could end up as some leaf's ``.grad``
    and break the in-place updates optimizers and clipping make to it."""

    @staticmethod
    def forward(ctx, xp, a, shape):
        return xp.asarray(xp.broadcast_to(a, shape), copy=True)

    @staticmethod
    def backward(ctx, g):
        return g


def broadcast_to(input: Tensor, shape: Sequence[int]) -> Tensor:  # noqa: A002
    shape = int_list("broadcast_to", "shape", tuple(shape) if isinstance(shape, list) else shape)
    old = input.shape
    if len(shape) < len(old):
        raise ShapeError(f"broadcast_to: cannot broadcast shape {old} to fewer dims {shape}")
    lead = len(shape) - len(old)
    resolved = list(shape)
    for i, s in enumerate(old):
        target = shape[lead + i]
        if target == -1:
            resolved[lead + i] = s
        elif s != 1 and s != target:
            raise ShapeError(
                f"broadcast_to: shape {old} cannot be broadcast to {shape} (size {s} vs "
                f"{target} at dim {i})"
            )
    if any(s < 0 for s in resolved):
        raise ShapeError(f"broadcast_to: -1 is only allowed for existing dims, got {shape}")
    if tuple(resolved) == old:
        return input
    out = BroadcastTo.apply(input, shape=tuple(resolved))
    return mark_overlapping_view(out, input, lambda b: BroadcastTo.apply(b, shape=tuple(resolved)))


def expand(a: Tensor, *shape: int | Sequence[int]) -> Tensor:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    return broadcast_to(a, shape)  # type: ignore[arg-type]


def expand_as(a: Tensor, other: Tensor) -> Tensor:
    return broadcast_to(a, other.shape)


class Cat(Function):
    """out = the inputs joined along ``dim``;  d(input_i) = the matching slice of g."""

    promotion = PROMOTE

    @staticmethod
    def forward(ctx, xp, *arrays, dim):
        ctx.dim = dim
        ctx.sizes = [a.shape[dim] for a in arrays]
        return xp.concat(arrays, axis=dim)

    @staticmethod
    def backward(ctx, g):
        grads = []
        start = 0
        for size, needed in zip(ctx.sizes, ctx.needs_input_grad):
            if needed:
                key = (slice(None),) * ctx.dim + (slice(start, start + size),)
                grads.append(g[key])
            else:
                grads.append(None)
            start += size
        return tuple(grads)


def _check_tensor_list(op: str, tensors: Sequence[Tensor]) -> list[Tensor]:
    tensors = list(tensors)
    if not tensors:
        raise InvalidArgumentError(f"{op}: expects a non-empty sequence of tensors")
    for i, x in enumerate(tensors):
        if not isinstance(x, Tensor):
            raise TypeError(f"{op}: element {i} is a {type(x).__name__}, not a Tensor")
    return tensors


@dim_aliases
def cat(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    tensors = _check_tensor_list("cat", tensors)
    for i, x in enumerate(tensors):
        if x.ndim == 0:
            raise ShapeError(
                f"cat: zero-dimensional tensor (at position {i}) cannot be concatenated; "
                "use stack, or reshape it to (1,) first"
            )
    # PyTorch's legacy rule: a 1-D empty tensor joins anything (it is skipped), so code that
    # starts from torch.tensor([]) and concatenates onto it keeps working.
    skipped: list[Tensor] = []
    if any(x.ndim != 1 for x in tensors):
        kept = [x for x in tensors if tuple(x.shape) != (0,)]
        skipped = [x for x in tensors if tuple(x.shape) == (0,) and x.requires_grad]
        tensors = kept or tensors
    if skipped:  # they still get a (empty) gradient, as in PyTorch: add their empty sums
        out = cat(tensors, dim)
        return out + sum(x.sum() for x in skipped) * 0
    ref = tensors[0]
    d = normalize_dim(dim, ref.ndim, "cat")
    for i, x in enumerate(tensors):
        if x.ndim != ref.ndim or any(
            a != b for j, (a, b) in enumerate(zip(x.shape, ref.shape)) if j != d
        ):
            raise ShapeError(
                f"cat: tensor {i} has shape {x.shape} but tensor 0 has {ref.shape}; all sizes "
                f"except dim {dim} must match"
            )
    if len(tensors) == 1:
        return tensors[0]
    return Cat.apply(*tensors, dim=d)


class Stack(Function):
    """out = the inputs stacked along a new axis ``dim``;  d(input_i) = g[..., i, ...]."""

    promotion = PROMOTE

    @staticmethod
    def forward(ctx, xp, *arrays, dim):
        ctx.dim = dim
        return xp.stack(arrays, axis=dim)

    @staticmethod
    def backward(ctx, g):
        return tuple(
            g[(slice(None),) * ctx.dim + (i,)] if needed else None
            for i, needed in enumerate(ctx.needs_input_grad)
        )


@dim_aliases
def stack(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    tensors = _check_tensor_list("stack", tensors)
    ref = tensors[0]
    for i, x in enumerate(tensors):
        if x.shape != ref.shape:
            raise ShapeError(
                f"stack: tensor {i} has shape {x.shape} but tensor 0 has {ref.shape}; stack "
                "needs equal shapes"
            )
    d = normalize_dim(dim, ref.ndim + 1, "stack")
    return Stack.apply(*tensors, dim=d)


@dim_aliases
def split(a: Tensor, split_size_or_sections: int | Sequence[int], dim: int = 0) -> tuple:
    """Pieces of ``a`` along ``dim``: equal chunks of a size (the last may be smaller), or
    the given list of sizes, as in PyTorch."""
    d = normalize_dim(dim, a.ndim, "split")
    n = a.shape[d]
    if isinstance(split_size_or_sections, int):
        size = split_size_or_sections
        if size <= 0:
            raise InvalidArgumentError(f"split: split_size must be positive, got {size}")
        sizes = [min(size, n - s) for s in range(0, n, size)] or [0]
    else:
        sizes = list(int_list("split", "split_size_or_sections", split_size_or_sections))
        if sum(sizes) != n:
            raise ShapeError(f"split: sizes {sizes} do not add up to {n} (dim {dim} of {a.shape})")
    pieces = []
    start = 0
    for s in sizes:
        pieces.append(a[(slice(None),) * d + (slice(start, start + s),)])
        start += s
    return tuple(pieces)


@dim_aliases
def chunk(input: Tensor, chunks: int, dim: int = 0) -> tuple:  # noqa: A002
    if chunks <= 0:
        raise InvalidArgumentError(f"chunk: chunks must be positive, got {chunks}")
    d = normalize_dim(dim, input.ndim, "chunk")
    n = input.shape[d]
    size = -(-n // chunks) if n else 1
    return split(input, size, d)


@dim_aliases
def unbind(input: Tensor, dim: int = 0) -> tuple:  # noqa: A002
    d = normalize_dim(dim, input.ndim, "unbind")
    return tuple(input[(slice(None),) * d + (i,)] for i in range(input.shape[d]))


class Flip(Function):
    """out = a reversed along ``dims``;  da = g reversed along the same dims."""

    @staticmethod
    def forward(ctx, xp, a, dims):
        ctx.dims = dims
        return xp.flip(a, axis=dims)

    @staticmethod
    def backward(ctx, g):
        return flip(g, ctx.dims)


def flip(input: Tensor, dims: int | Sequence[int]) -> Tensor:  # noqa: A002
    norm = normalize_dims(dims, input.ndim, "flip")
    if not norm:
        return input
    return Flip.apply(input, dims=norm)
