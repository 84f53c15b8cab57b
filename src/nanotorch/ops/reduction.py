"""Reductions over one or more dims: sum, mean, var/std, prod, max/min, arg-max/min and
logsumexp, with PyTorch's ``dim`` (int or tuple) and ``keepdim`` conventions (and NumPy's
``axis``/``keepdims`` names for them: Note [dim/axis aliases] in nanotorch/_dim_args.py)."""

from __future__ import annotations

import builtins
import math
from collections import namedtuple
from collections.abc import Sequence

from nanotorch._dim_args import dim_aliases
from nanotorch.autograd.function import Function
from nanotorch.dtypes import DType, get_default_dtype
from nanotorch.errors import UnsupportedDtypeError
from nanotorch.ops._util import keepdim_shape, normalize_dim, normalize_dims
from nanotorch.ops.shape import broadcast_to, reshape
from nanotorch.tensor import Tensor

# What this family exports; nanotorch.<name> and the op-spec tests derive from it
# (Note [Op registry] in ops/__init__.py).
OPS = (
    "sum",
    "mean",
    "var",
    "std",
    "prod",
    "max",
    "min",
    "amax",
    "amin",
    "argmax",
    "argmin",
    "logsumexp",
    "softmax",
    "log_softmax",
)


Dims = int | Sequence[int] | None


class Sum(Function):
    """out = sum of a over ``dims``;  da = g broadcast back over the reduced dims."""

    @staticmethod
    def forward(ctx, xp, a, dims, keepdim):
        ctx.in_shape = a.shape
        ctx.kshape = keepdim_shape(a.shape, dims)
        return xp.sum(a, axis=dims, keepdims=keepdim)

    @staticmethod
    def backward(ctx, g):
        return broadcast_to(reshape(g, ctx.kshape), ctx.in_shape)


@dim_aliases
def sum(input: Tensor, dim: Dims = None, keepdim: bool = False, *, dtype=None) -> Tensor:  # noqa: A002, A001
    """Sum over ``dim`` (all dims by default).

    >>> import nanotorch
    >>> nanotorch.tensor([[1.0, 2.0], [3.0, 4.0]]).sum(dim=0).tolist()
    [4.0, 6.0]
    """
    if dtype is not None:
        from nanotorch.dtypes import as_dtype

        try:  # a dtype, never a device: ``.to('x')`` would read a string as a device
            input = input.to(as_dtype(dtype))
        except (TypeError, ValueError) as exc:
            raise type(exc)(f"sum: {exc}") from None
    elif input.dtype.name in ("bool", "uint8", "int8", "int16", "int32"):
        input = input.long()  # PyTorch sums bools and small ints as int64
    dims = normalize_dims(dim, input.ndim, "sum")
    return Sum.apply(input, dims=dims, keepdim=keepdim)


def sum_to(g: Tensor, shape: tuple[int, ...]) -> Tensor:
    """Sum ``g`` down to ``shape``, undoing NumPy broadcasting (leading dims, and dims where
    ``shape`` has size 1). Used by the engine: Note [Central un-broadcasting]."""
    lead = g.ndim - len(shape)
    dims = tuple(range(lead)) + tuple(
        lead + i for i, s in enumerate(shape) if s == 1 and g.shape[lead + i] != 1
    )
    out = Sum.apply(g, dims=dims, keepdim=False) if dims else g
    return reshape(out, shape)


def _count(a: Tensor, dims: tuple[int, ...]) -> int:
    n = 1
    for d in dims:
        n *= a.shape[d]
    return n


@dim_aliases
def mean(input: Tensor, dim: Dims = None, keepdim: bool = False, *, dtype=None) -> Tensor:  # noqa: A002
    """Arithmetic mean over ``dim``: sum / count (floating tensors only, or ``dtype=`` a
    floating dtype to compute in)."""
    if dtype is not None:
        input = input.to(dtype)
    if not input.dtype.is_floating_point:
        raise UnsupportedDtypeError(
            f"mean: needs a floating tensor, got {input.dtype!r}; call .float() first"
        )
    dims = normalize_dims(dim, input.ndim, "mean")
    # An empty reduction gives nan, as in PyTorch (0 / 0).
    return (
        Sum.apply(input, dims=dims, keepdim=keepdim) / _count(input, dims)
        if _count(input, dims)
        else (Sum.apply(input, dims=dims, keepdim=keepdim) * float("nan"))
    )


@dim_aliases
def var(
    input: Tensor,  # noqa: A002
    dim: Dims = None,
    unbiased: bool | None = None,
    keepdim: bool = False,
    *,
    correction: int | None = None,
) -> Tensor:
    """Variance: sum((a - mean)^2) / (N - correction); ``correction=1`` (unbiased) by default,
    as in PyTorch. Built from differentiable ops, so its gradients come for free."""
    if correction is None:
        correction = 0 if unbiased is False else 1
    dims = normalize_dims(dim, input.ndim, "var")
    centered = input - mean(input, dims, keepdim=True)
    n = _count(input, dims)
    return sum(centered * centered, dims, keepdim) / builtins.max(n - correction, 0)


@dim_aliases
def std(
    input: Tensor,  # noqa: A002
    dim: Dims = None,
    unbiased: bool | None = None,
    keepdim: bool = False,
    *,
    correction: int | None = None,
) -> Tensor:
    v = var(input, dim, unbiased, keepdim, correction=correction)
    if not v.requires_grad:
        return v.sqrt()
    # Where the spread is 0 the gradient is 0, not g / (2 sqrt 0) * 0 = nan: PyTorch masks
    # it. The sqrt reads a safe 1 there, so neither branch of the where makes a nan.
    from nanotorch.ops.elementwise import where

    flat = v.detach() == 0
    return where(flat, 0.0, where(flat, 1.0, v).sqrt())


class Prod(Function):
    """out = product of a along one dim;  da_i = g * prod_{j != i} a_j, computed from
    exclusive prefix and suffix products so zeros in ``a`` are handled exactly."""

    @staticmethod
    def forward(ctx, xp, a, dim, keepdim):
        ctx.save_for_backward(a)
        ctx.dim, ctx.keepdim = dim, keepdim
        return xp.prod(a, axis=dim, keepdims=keepdim)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        others = _ProdOthers.apply(a, dim=ctx.dim)
        if not ctx.keepdim:
            g = g.unsqueeze(ctx.dim)
        return g * others


class _ProdOthers(Function):
    """out_i = prod_{j != i} a_j along ``dim``."""

    @staticmethod
    def forward(ctx, xp, a, dim):
        ctx.save_for_backward(a)
        ctx.dim = dim
        n = a.shape[dim]
        if n == 0:  # the product over nothing is 1; there are no elements to differentiate
            return xp.zeros_like(a)
        ones_shape = tuple(1 if i == dim else s for i, s in enumerate(a.shape))
        one = xp.ones(ones_shape, dtype=a.dtype, device=a.device)
        prefix = xp.cumulative_prod(a, axis=dim)
        suffix = xp.flip(xp.cumulative_prod(xp.flip(a, axis=dim), axis=dim), axis=dim)
        take = lambda x, s: x[(slice(None),) * dim + (s,)]  # noqa: E731
        before = xp.concat([one, take(prefix, slice(0, n - 1))], axis=dim)
        after = xp.concat([take(suffix, slice(1, n)), one], axis=dim)
        return before * after

    @staticmethod
    def backward(ctx, g):
        # d out_i / d a_k = prod_{j != i, k} a_j for k != i, and 0 for k = i. For each k,
        # replace a_k by 1 and reuse this op. O(n^2), paid only by second derivatives of prod.
        from nanotorch.creation import arange
        from nanotorch.ops.elementwise import where
        from nanotorch.ops.shape import cat

        (a,) = ctx.saved_tensors
        n = a.shape[ctx.dim]
        along = [1] * a.ndim
        along[ctx.dim] = n
        positions = arange(n, device=a.device).reshape(along)
        ones, zeros = a * 0 + 1, a * 0
        parts = []
        for k in range(n):
            is_k = positions == k
            others = _ProdOthers.apply(where(is_k, ones, a), dim=ctx.dim)
            parts.append(sum(g * where(is_k, zeros, others), ctx.dim, keepdim=True))
        return cat(parts, ctx.dim)


@dim_aliases
def prod(input: Tensor, dim: int | None = None, keepdim: bool = False, *, dtype=None) -> Tensor:  # noqa: A002
    """Product over ``dim`` (all elements by default); bools and small integers multiply in
    int64, as in PyTorch, unless ``dtype`` says otherwise."""
    if dtype is not None:
        input = input.to(dtype)
    elif input.dtype.name in ("bool", "uint8", "int8", "int16", "int32"):
        input = input.long()
    if dim is None:
        return Prod.apply(reshape(input, (-1,)), dim=0, keepdim=False)
    d = normalize_dim(dim, input.ndim, "prod")
    if input.ndim == 0:
        # A 0-d tensor is its own product along its one implicit dim (as in PyTorch); the
        # Function works on real axes only.
        return Prod.apply(reshape(input, (1,)), dim=0, keepdim=False)
    return Prod.apply(input, dim=d, keepdim=keepdim)


class AmaxAmin(Function):
    """out = max (``op="max"``) or min (``op="min"``) over ``dims``;  the gradient is shared
    evenly among the elements that attain it."""

    @staticmethod
    def forward(ctx, xp, a, op, dims, keepdim):
        out = getattr(xp, op)(a, axis=dims, keepdims=True)
        ctx.save_for_backward(a, out)
        ctx.dims, ctx.keepdim = dims, keepdim
        return (
            out
            if keepdim
            else xp.reshape(out, tuple(s for i, s in enumerate(a.shape) if i not in dims))
        )

    @staticmethod
    def backward(ctx, g):
        a, out_k = ctx.saved_tensors
        if not ctx.keepdim:
            g = reshape(g, keepdim_shape(a.shape, ctx.dims))
        hit = (a == out_k.detach()).to(g.dtype)
        return g * hit / sum(hit, ctx.dims, keepdim=True)


def _nonempty(op: str, a: Tensor, dims: tuple[int, ...]) -> None:
    # An empty max has no value to give (sum gives 0, logsumexp -inf); PyTorch raises a
    # RuntimeError or (argmax, amax) an IndexError, and earlier nanotorch a ValueError:
    # EmptyReductionError is all three.
    if any(a.shape[d] == 0 for d in dims) or (not dims and a.numel() == 0):
        from nanotorch.errors import EmptyReductionError

        raise EmptyReductionError(
            f"{op}: cannot reduce over an empty dimension (shape {a.shape}); the max or min "
            "of nothing is undefined -- check the size first, or pass a dim of non-zero size"
        )


@dim_aliases
def amax(input: Tensor, dim: Dims = None, keepdim: bool = False) -> Tensor:  # noqa: A002
    dims = normalize_dims(dim, input.ndim, "amax")
    _nonempty("amax", input, dims)
    return AmaxAmin.apply(input, op="max", dims=dims, keepdim=keepdim)


@dim_aliases
def amin(input: Tensor, dim: Dims = None, keepdim: bool = False) -> Tensor:  # noqa: A002
    dims = normalize_dims(dim, input.ndim, "amin")
    _nonempty("amin", input, dims)
    return AmaxAmin.apply(input, op="min", dims=dims, keepdim=keepdim)


class ArgReduce(Function):
    """Index of the max/min along one dim (or of the flattened tensor); no gradient."""

    differentiable = False

    @staticmethod
    def forward(ctx, xp, a, op, dim, keepdim):
        if dim is None:
            return xp.reshape(getattr(xp, op)(xp.reshape(a, (-1,))), ())
        return xp.astype(getattr(xp, op)(a, axis=dim, keepdims=keepdim), xp.int64)


@dim_aliases
def argmax(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:  # noqa: A002
    _not_bool("argmax", input)
    return _argmax(input, dim, keepdim)


def _argmax(a: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:
    # max(a, dim) of a bool tensor is allowed in PyTorch, argmax is not: max comes here.
    d = None if dim is None else normalize_dim(dim, a.ndim, "argmax")
    full_keepdim = (1,) * a.ndim if dim is None and keepdim else None
    if a.ndim == 0:
        d, a = None, reshape(a, (1,))  # a 0-d tensor's one element is at index 0
    _nonempty("argmax", a, () if d is None else (d,))
    out = ArgReduce.apply(a, op="argmax", dim=d, keepdim=keepdim).long()
    # Over all elements with keepdim, PyTorch keeps every dim at size 1.
    return out if full_keepdim is None else reshape(out, full_keepdim)


@dim_aliases
def argmin(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:  # noqa: A002
    _not_bool("argmin", input)
    return _argmin(input, dim, keepdim)


def _argmin(a: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:
    d = None if dim is None else normalize_dim(dim, a.ndim, "argmin")
    full_keepdim = (1,) * a.ndim if dim is None and keepdim else None
    if a.ndim == 0:
        d, a = None, reshape(a, (1,))  # a 0-d tensor's one element is at index 0
    _nonempty("argmin", a, () if d is None else (d,))
    out = ArgReduce.apply(a, op="argmin", dim=d, keepdim=keepdim).long()
    # Over all elements with keepdim, PyTorch keeps every dim at size 1.
    return out if full_keepdim is None else reshape(out, full_keepdim)


ValuesIndices = namedtuple("ValuesIndices", ["values", "indices"])


class EvenlyShared(Function):
    """out = ``value``, one element of ``a`` chosen by a full reduction (max(), min(),
    median(), nanmedian());  da = g / count on the ``count`` elements equal to it, on the
    NaNs when it is NaN, 0 elsewhere (PyTorch's evenly_distribute_backward). Built as a
    Function rather than from masks and sums, so a NaN or an infinity elsewhere in ``a``
    cannot leak into the gradient (0 * nan). Saves the mask as a constant."""

    @staticmethod
    def forward(ctx, xp, a, value):
        mask = a == value
        if xp.isdtype(a.dtype, "real floating"):
            mask = xp.where(xp.isnan(value), xp.isnan(a), mask)
        ctx.save_for_backward(mask)
        return xp.asarray(value, copy=True)

    @staticmethod
    def backward(ctx, g):
        (mask,) = ctx.saved_tensors
        share = mask.to(g.dtype)
        return g * share / share.sum(), None


def full_pick(a: Tensor, value: Tensor) -> Tensor:
    """``value`` (a 0-d element of ``a``, computed without a graph) linked to ``a`` as
    ``EvenlyShared`` says; ``value`` itself when nothing needs a gradient."""
    if not a.requires_grad:
        return value
    return EvenlyShared.apply(a, value.detach())


def _max_min(op: str, a: Tensor, dim, keepdim: bool, other_fn, full_fn, arg_fn):
    if isinstance(dim, Tensor):
        return other_fn(a, dim)
    if dim is None:
        return full_fn(a)
    d = normalize_dim(dim, a.ndim, op)
    from nanotorch.ops.indexing import gather

    if a.ndim == 0:  # its one element, at index 0, as in PyTorch
        line = reshape(a, (1,))
        indices = arg_fn(line, 0, keepdim=True)
        return ValuesIndices(reshape(gather(line, 0, indices), ()), reshape(indices, ()))
    indices = arg_fn(a, d, keepdim=True)
    values = gather(a, d, indices)
    if not keepdim:
        values, indices = values.squeeze(d), indices.squeeze(d)
    return ValuesIndices(values, indices)


@dim_aliases
def max(input: Tensor, dim=None, keepdim: bool = False):  # noqa: A002, A001
    """``max(a)``: the largest value; ``max(a, dim)``: (values, indices) along ``dim``, the
    gradient flowing to the chosen index; ``max(a, b)``: elementwise maximum."""
    from nanotorch.ops.elementwise import maximum

    return _max_min(
        "max", input, dim, keepdim, maximum, lambda x: full_pick(x, amax(x.detach())), _argmax
    )


@dim_aliases
def min(input: Tensor, dim=None, keepdim: bool = False):  # noqa: A002, A001
    from nanotorch.ops.elementwise import minimum

    return _max_min(
        "min", input, dim, keepdim, minimum, lambda x: full_pick(x, amin(x.detach())), _argmin
    )


class LogSumExp(Function):
    """out = m + log(sum(exp(a - m))) over ``dims`` with m = max(a) (no overflow);
    da = g * exp(a - out) (the softmax). Saves the input and the output."""

    @staticmethod
    def forward(ctx, xp, a, dims, keepdim):
        kshape = keepdim_shape(a.shape, dims)
        if any(a.shape[d] == 0 for d in dims):
            # log of an empty sum: -inf, as in PyTorch (there is no max to shift by).
            out = xp.full(kshape, -math.inf, dtype=a.dtype, device=a.device)
        else:
            m = xp.max(a, axis=dims, keepdims=True)
            m = xp.where(xp.isfinite(m), m, xp.zeros_like(m))
            out = xp.log(xp.sum(xp.exp(a - m), axis=dims, keepdims=True)) + m
        ctx.dims, ctx.keepdim = dims, keepdim
        if not keepdim:
            out = xp.reshape(out, tuple(s for i, s in enumerate(a.shape) if i not in dims))
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, g):
        a, out = ctx.saved_tensors
        kshape = keepdim_shape(a.shape, ctx.dims)
        return reshape(g, kshape) * (a - reshape(out, kshape)).exp()


@dim_aliases
def logsumexp(input: Tensor, dim: Dims = None, keepdim: bool = False) -> Tensor:  # noqa: A002
    if not input.dtype.is_floating_point:  # integers give the default float, as in PyTorch
        input = input.to(get_default_dtype())
    dims = normalize_dims(dim, input.ndim, "logsumexp")
    return LogSumExp.apply(input, dims=dims, keepdim=keepdim)


class Softmax(Function):
    """out = exp(a - max) / sum(exp(a - max)) along ``dim`` (stable for |a| ~ 1e4);
    da = out * (g - sum(g * out, dim)). Saves the output."""

    @staticmethod
    def forward(ctx, xp, a, dim):
        if a.ndim and a.shape[dim] == 0:  # nothing to normalise: an empty result, as in PyTorch
            out = xp.zeros_like(a)
            ctx.dim = dim
            ctx.save_for_backward(out)
            return out
        e = xp.exp(a - xp.max(a, axis=dim, keepdims=True))
        out = e / xp.sum(e, axis=dim, keepdims=True)
        ctx.dim = dim
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return out * (g - sum(g * out, ctx.dim, keepdim=True))


class LogSoftmax(Function):
    """out = a - logsumexp(a) along ``dim``;  da = g - exp(out) * sum(g, dim).
    Saves the output."""

    @staticmethod
    def forward(ctx, xp, a, dim):
        if a.ndim and a.shape[dim] == 0:  # as in Softmax
            out = xp.zeros_like(a)
            ctx.dim = dim
            ctx.save_for_backward(out)
            return out
        shifted = a - xp.max(a, axis=dim, keepdims=True)
        out = shifted - xp.log(xp.sum(xp.exp(shifted), axis=dim, keepdims=True))
        ctx.dim = dim
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g - out.exp() * sum(g, ctx.dim, keepdim=True)


@dim_aliases
def softmax(input: Tensor, dim: int = -1, dtype: DType | None = None) -> Tensor:  # noqa: A002
    """exp(a) / sum(exp(a)) along ``dim``; ``dtype`` casts the input first (PyTorch's
    argument, for a float64 softmax of float32 logits)."""
    input = _softmax_input("softmax", input, dtype)
    return Softmax.apply(input, dim=normalize_dim(dim, input.ndim, "softmax"))


def _softmax_input(op: str, a: Tensor, dtype: DType | None) -> Tensor:
    if dtype is not None:
        a = a.to(dtype)
    if not a.dtype.is_floating_point:
        raise UnsupportedDtypeError(
            f"{op}: needs a floating tensor, got {a.dtype!r}; pass dtype=nanotorch.float32 "
            "or call .float() first"
        )
    return a


def _not_bool(op: str, a: Tensor) -> None:
    if a.dtype.name == "bool":
        raise UnsupportedDtypeError(
            f"{op}: does not support bool tensors (as in PyTorch); convert first, e.g. a.long()"
        )


@dim_aliases
def log_softmax(a: Tensor, dim: int = -1, dtype: DType | None = None) -> Tensor:
    a = _softmax_input("log_softmax", a, dtype)
    return LogSoftmax.apply(a, dim=normalize_dim(dim, a.ndim, "log_softmax"))
