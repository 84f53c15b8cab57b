"""Scans and the reductions beyond the core five: all/any, count_nonzero, cumulative sums,
products, maxima, minima and log-sum-exps, var_mean/std_mean, median, mode, and the norms
(``norm`` here, ``vector_norm``/``matrix_norm`` served by ``nanotorch.linalg``).

Everything runs through the standard's namespace ``xp``. The standard has cumulative sums
and products but no running max/min or log-sum-exp, so those are log-step scans (Note [Scans
in log steps]). Ops that pick elements (cummax, median, mode) compute their indices without a
graph and then read the values with ``gather``, so their gradient is gather's: a scatter-add
into the picked positions (Note [Values through gather]).
Like every op family it imports no array library: arrays are reached through ``xp``.
"""

from __future__ import annotations

import builtins
import math
from collections.abc import Sequence
from typing import Any

from nanotorch._dim_args import dim_aliases
from nanotorch.autograd.function import Function
from nanotorch.autograd.grad_mode import is_grad_enabled
from nanotorch.errors import IndexOutOfRangeError, UnsupportedDtypeError
from nanotorch.ops._util import keepdim_shape, normalize_dim, normalize_dims
from nanotorch.ops.elementwise import isnan, where
from nanotorch.ops.indexing import gather
from nanotorch.ops.reduction import ValuesIndices, amax, amin, full_pick, mean, sum, var
from nanotorch.ops.shape import flip, reshape
from nanotorch.tensor import Tensor

# What this family exports; nanotorch.<name> and the op-spec tests derive from it
# (Note [Op registry] in ops/__init__.py).
OPS = (
    "all",
    "any",
    "count_nonzero",
    "cumsum",
    "cumprod",
    "cummax",
    "cummin",
    "logcumsumexp",
    "var_mean",
    "std_mean",
    "median",
    "mode",
    "nanmedian",
    "norm",
)

Dims = int | Sequence[int] | None

# Note [Values through gather]
# ~~~~~~~~~~~~~~~~~~~~~~~~~~~~
# cummax, cummin, median and mode (and sort, topk, kthvalue in ops/sorting.py) each choose
# elements of their input. They find the chosen positions with a non-differentiable Function
# and then read the values with ``gather(a, dim, indices)``. The gradient of a chosen value is
# then gather's backward, a scatter-add of the upstream gradient into the chosen positions
# (the backend's ``index_add`` hook), so repeated choices of one element (a running maximum
# held over several steps) accumulate, and no op repeats the scatter logic.


def orderable(xp: Any, a: Any) -> Any:
    """``a`` in a form the standard can order and compare: its comparisons, argsort, max and
    min take numbers only, so a bool array is viewed as int8 (False < True), which keeps the
    positions (and so the indices these ops return) unchanged."""
    return xp.astype(a, xp.int8) if a.dtype == xp.bool else a


# --------------------------------------------------------------------------- all / any
class _AllAny(Function):
    """Logical all/any over ``dims`` of any dtype (non-zero is true); bool, no gradient."""

    differentiable = False

    @staticmethod
    def forward(ctx, xp, a, op, dims, keepdim):
        return getattr(xp, op)(a, axis=dims, keepdims=keepdim)


def _all_any(op: str, a: Tensor, dim: Dims, keepdim: bool) -> Tensor:
    out = _AllAny.apply(a, op=op, dims=normalize_dims(dim, a.ndim, op), keepdim=keepdim)
    # PyTorch keeps uint8 for uint8 inputs (a rule from before it had bool tensors).
    return out.byte() if a.dtype.name == "uint8" else out


@dim_aliases
def all(input: Tensor, dim: Dims = None, keepdim: bool = False) -> Tensor:  # noqa: A002, A001
    """True where every element over ``dim`` (all dims by default) is non-zero.

    >>> import nanotorch
    >>> nanotorch.tensor([[1, 0], [2, 3]]).all(dim=1).tolist()
    [False, True]
    """
    return _all_any("all", input, dim, keepdim)


@dim_aliases
def any(input: Tensor, dim: Dims = None, keepdim: bool = False) -> Tensor:  # noqa: A002, A001
    """True where some element over ``dim`` (all dims by default) is non-zero."""
    return _all_any("any", input, dim, keepdim)


@dim_aliases
def count_nonzero(input: Tensor, dim: Dims = None) -> Tensor:  # noqa: A002
    """The number of non-zero elements over ``dim`` (all dims by default), as int64."""
    dims = normalize_dims(dim, input.ndim, "count_nonzero")
    return sum((input if input.dtype.name == "bool" else input != 0).long(), dims)


# --------------------------------------------------------------------------- scans
def _scan_dim(op: str, a: Tensor, dim: int) -> int:
    # A 0-d tensor scans along its single element, as in PyTorch (dim 0 or -1).
    return normalize_dim(dim, a.ndim, op)


def _as_1d_if_0d(a: Tensor) -> tuple[Tensor, bool]:
    return (reshape(a, (1,)), True) if a.ndim == 0 else (a, False)


def _reverse_cumsum(g: Tensor, dim: int) -> Tensor:
    """out_i = sum_{k >= i} g_k along ``dim`` (the adjoint of a cumulative sum)."""
    return flip(cumsum(flip(g, dim), dim), dim)


class CumSum(Function):
    """out_i = sum_{j <= i} a_j along ``dim``;  da_i = sum_{k >= i} g_k (a reversed
    cumulative sum). Saves nothing."""

    @staticmethod
    def forward(ctx, xp, a, dim):
        ctx.dim = dim
        return xp.cumulative_sum(a, axis=dim)

    @staticmethod
    def backward(ctx, g):
        return _reverse_cumsum(g, ctx.dim)


def _int_as_long(a: Tensor, dtype: Any) -> Tensor:
    if dtype is not None:
        return a.to(dtype)
    # PyTorch accumulates bools and small integers in int64.
    return a if a.dtype.is_floating_point or a.dtype.name == "int64" else a.long()


@dim_aliases
def cumsum(input: Tensor, dim: int, *, dtype: Any = None) -> Tensor:  # noqa: A002
    """Running sums along ``dim``.

    >>> import nanotorch
    >>> nanotorch.tensor([1.0, 2.0, 3.0]).cumsum(0).tolist()
    [1.0, 3.0, 6.0]
    """
    d = _scan_dim("cumsum", input, dim)
    x, was_0d = _as_1d_if_0d(_int_as_long(input, dtype))
    out = CumSum.apply(x, dim=d)
    return reshape(out, ()) if was_0d else out


class CumProd(Function):
    """out_i = prod_{j <= i} a_j along ``dim``; the gradient is ``_cumprod_grad``.
    Saves the input and the output."""

    @staticmethod
    def forward(ctx, xp, a, dim):
        out = xp.cumulative_prod(a, axis=dim)
        ctx.dim = dim
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, g):
        a, out = ctx.saved_tensors
        # One level of the zero split is exact for first derivatives; a second level makes
        # the result's own derivative exact too, needed only when a graph is being built.
        return _cumprod_grad(a, out, g, ctx.dim, depth=1 if is_grad_enabled() else 0)


def _cumprod_grad(a: Tensor, out: Tensor, g: Tensor, d: int, depth: int) -> Tensor:
    """da_i = sum_{k >= i} g_k prod_{j <= k, j != i} a_j for out = cumprod(a) along ``d``.

    Dividing ``out_k`` by ``a_i`` gives the inner product only where ``a_i`` is not zero, so
    each line is split at its first zero z: before z the division is exact; at z the products
    skip a_z, i.e. they are ``cumprod`` of the line with a_z replaced by 1; after z every term
    holds the factor a_z, so da_i = a_z * (the same gradient for the line with a_z replaced
    by 1). That last value is 0, but its derivative with respect to a_z is not, so with
    ``depth`` > 0 it is built from a_z and a recursive call (exact second derivatives);
    with ``depth`` 0 it is the constant 0. Built from differentiable ops throughout."""
    is_zero = a == 0
    zeros_so_far = cumsum(is_zero.long(), d)
    first_zero = is_zero & (zeros_so_far == 1)
    before_zero = zeros_so_far == 0
    plain = _reverse_cumsum(g * out, d) / where(is_zero, 1.0, a)
    skipped = where(first_zero, 1.0, a)
    skip_out = cumprod(skipped, d)
    at_zero = _reverse_cumsum(g * skip_out, d)
    if depth > 0:
        a_z = sum(where(first_zero, a, 0.0), d, keepdim=True)
        after: Tensor | float = a_z * _cumprod_grad(skipped, skip_out, g, d, depth - 1)
    else:
        after = 0.0
    return where(first_zero, at_zero, where(before_zero, plain, after))


@dim_aliases
def cumprod(input: Tensor, dim: int, *, dtype: Any = None) -> Tensor:  # noqa: A002
    """Running products along ``dim``; exact gradients also where the input has zeros."""
    d = _scan_dim("cumprod", input, dim)
    x, was_0d = _as_1d_if_0d(_int_as_long(input, dtype))
    out = CumProd.apply(x, dim=d)
    return reshape(out, ()) if was_0d else out


# Note [Scans in log steps]
# ~~~~~~~~~~~~~~~~~~~~~~~~~
# The standard has no running maximum, minimum or log-sum-exp. Each is a scan of an
# associative combine c(earlier, later), computed in ceil(log2 n) whole-array steps
# (Hillis and Steele): at step s = 1, 2, 4, ... every position i >= s combines the result
# held at i - s with its own, so after the step position i covers the 2s elements ending at
# i. Positions i < s are combined with a neutral element (itself for max/min; -inf for
# log-sum-exp) so every step is one concat and one elementwise combine over the whole array,
# with no Python loop over the elements.
def _shifted(xp: Any, v: Any, s: int, dim: int, fill: Any) -> Any:
    """``v`` moved ``s`` places forward along ``dim``; the first ``s`` places hold ``fill``
    (an array of that shape) or, when ``fill`` is None, the first ``s`` values of ``v``."""
    n = v.shape[dim]
    lead = (slice(None),) * dim
    head = v[lead + (slice(0, s), ...)] if fill is None else fill
    return xp.concat([head, v[lead + (slice(0, n - s), ...)]], axis=dim)


class _CumExtremeIndex(Function):
    """Positions of the running max (``op="max"``) or min along ``dim``: a later value equal
    to the running one takes over, and a NaN, once met, stays (PyTorch's rules). No gradient;
    the values come through gather (Note [Values through gather])."""

    differentiable = False

    @staticmethod
    def forward(ctx, xp, a, op, dim):
        n = a.shape[dim]
        shape = [1] * a.ndim
        shape[dim] = n
        idx = xp.reshape(xp.arange(n, dtype=xp.int64, device=a.device), tuple(shape))
        idx = xp.broadcast_to(idx, a.shape)
        v, floating = orderable(xp, a), xp.isdtype(a.dtype, "real floating")
        s = 1
        while s < n:
            pv, pi = _shifted(xp, v, s, dim, None), _shifted(xp, idx, s, dim, None)
            take = v >= pv if op == "max" else v <= pv
            if floating:
                take = xp.isnan(v) | (take & ~xp.isnan(pv))
            v, idx = xp.where(take, v, pv), xp.where(take, idx, pi)
            s *= 2
        return idx


def _cum_extreme(op: str, a: Tensor, dim: int) -> ValuesIndices:
    d = _scan_dim(f"cum{op}", a, dim)
    x, was_0d = _as_1d_if_0d(a)
    indices = _CumExtremeIndex.apply(x, op=op, dim=d)
    values = gather(x, d, indices)
    if was_0d:
        values, indices = reshape(values, ()), reshape(indices, ())
    return ValuesIndices(values, indices)


@dim_aliases
def cummax(input: Tensor, dim: int) -> ValuesIndices:  # noqa: A002
    """Running maxima along ``dim`` and where they were found: ``(values, indices)``.

    >>> import nanotorch
    >>> nanotorch.tensor([1.0, 3.0, 2.0, 3.0]).cummax(0).indices.tolist()
    [0, 1, 1, 3]
    """
    return _cum_extreme("max", input, dim)


@dim_aliases
def cummin(input: Tensor, dim: int) -> ValuesIndices:  # noqa: A002
    """Running minima along ``dim`` and where they were found: ``(values, indices)``."""
    return _cum_extreme("min", input, dim)


class LogCumSumExp(Function):
    """out_i = log(sum_{j <= i} exp(a_j)) along ``dim``, a log-step scan of ``logaddexp``
    (Note [Scans in log steps]), so no prefix underflows (a max-shift would turn -1000 next to
    1000 into -inf). da_i = sum_{k >= i} g_k exp(a_i - out_k): split g into its positive and
    negative parts and take each sum in log space with this same op, reversed. Saves the
    input and the output."""

    @staticmethod
    def forward(ctx, xp, a, dim):
        v = a
        n = a.shape[dim]
        s = 1
        while s < n:
            fill_shape = tuple(s if i == dim else k for i, k in enumerate(a.shape))
            fill = xp.full(fill_shape, -math.inf, dtype=a.dtype, device=a.device)
            v = xp.logaddexp(_shifted(xp, v, s, dim, fill), v)
            s *= 2
        ctx.dim = dim
        ctx.save_for_backward(a, v)
        return v

    @staticmethod
    def backward(ctx, g):
        a, out = ctx.saved_tensors
        d = ctx.dim

        def log_part(mask: Tensor, magnitude: Tensor) -> Tensor:
            # log|g| where ``mask``, -inf elsewhere, without evaluating log(0).
            return where(mask, where(mask, magnitude, 1.0).log(), -math.inf)

        def reversed_lcse(t: Tensor) -> Tensor:
            return flip(LogCumSumExp.apply(flip(t, d), dim=d), d)

        # Where out_k = -inf every a_j (j <= k) is -inf too and the term is 0 whatever out_k
        # stands in for; 0 keeps -inf - (-inf) = nan out of this and of higher derivatives.
        finite_out = where(out == -math.inf, 0.0, out)
        pos = (a + reversed_lcse(log_part(g > 0, g) - finite_out)).exp()
        neg = (a + reversed_lcse(log_part(g < 0, -g) - finite_out)).exp()
        return pos - neg


@dim_aliases
def logcumsumexp(input: Tensor, dim: int) -> Tensor:  # noqa: A002
    """log(cumsum(exp(a))) along ``dim``, computed without overflow or underflow."""
    if not input.dtype.is_floating_point:
        raise UnsupportedDtypeError(
            f"logcumsumexp: needs a floating tensor, got {input.dtype!r}; call .float() first"
        )
    d = _scan_dim("logcumsumexp", input, dim)
    x, was_0d = _as_1d_if_0d(input)
    out = LogCumSumExp.apply(x, dim=d)
    return reshape(out, ()) if was_0d else out


# --------------------------------------------------------------------------- moments
@dim_aliases
def var_mean(
    input: Tensor,  # noqa: A002
    dim: Dims = None,
    unbiased: bool | None = None,
    keepdim: bool = False,
    *,
    correction: int | None = None,
) -> tuple[Tensor, Tensor]:
    """``(var(a, dim), mean(a, dim))`` in one call, as PyTorch returns them."""
    return var(input, dim, unbiased, keepdim, correction=correction), mean(input, dim, keepdim)


@dim_aliases
def std_mean(
    input: Tensor,  # noqa: A002
    dim: Dims = None,
    unbiased: bool | None = None,
    keepdim: bool = False,
    *,
    correction: int | None = None,
) -> tuple[Tensor, Tensor]:
    """``(std(a, dim), mean(a, dim))`` in one call, as PyTorch returns them."""
    v, m = var_mean(input, dim, unbiased, keepdim, correction=correction)
    return v.sqrt(), m


# --------------------------------------------------------------------------- median, mode
def _check_reducible(op: str, a: Tensor, dim: int | None) -> None:
    size = a.numel() if dim is None else (a.shape[dim] if a.ndim else 1)
    if size == 0:
        raise IndexOutOfRangeError(
            f"{op}: cannot take the {op} of an empty dimension (shape {a.shape}); "
            "reduce over a non-empty dim"
        )


class _MedianIndex(Function):
    """Position along ``dim`` of the lower median (sorted rank (n - 1) // 2), or of a NaN
    when the line holds one (the median of such a line is NaN, as in PyTorch). A stable sort
    puts NaNs last. No gradient (Note [Values through gather])."""

    differentiable = False

    @staticmethod
    def forward(ctx, xp, a, dim):
        n = a.shape[dim]
        order = xp.argsort(orderable(xp, a), axis=dim, stable=True)
        rank_shape = keepdim_shape(a.shape, (dim,))
        rank = xp.full(rank_shape, (n - 1) // 2, dtype=order.dtype, device=a.device)
        if xp.isdtype(a.dtype, "real floating"):
            has_nan = xp.any(xp.isnan(a), axis=dim, keepdims=True)
            rank = xp.where(has_nan, xp.asarray(n - 1, dtype=order.dtype, device=a.device), rank)
        return xp.astype(xp.take_along_axis(order, rank, axis=dim), xp.int64)


@dim_aliases
def median(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Any:  # noqa: A002
    """``median(a)``: the lower median of all elements (a 0-d tensor). ``median(a, dim)``:
    ``(values, indices)`` of the lower median along ``dim``. PyTorch's rule: for an even
    count the smaller of the two middle values, not their mean.

    >>> import nanotorch
    >>> nanotorch.tensor([4.0, 1.0, 3.0, 2.0]).median().item()
    2.0
    """
    if input.dtype.name == "bool":
        raise UnsupportedDtypeError("median: not defined for bool tensors; call .long() first")
    if dim is None:
        if input.numel() == 0 and input.dtype.is_floating_point:  # nan, as PyTorch's median()
            return input.detach().new_full((), float("nan"))
        _check_reducible("median", input, None)
        flat = reshape(input, (-1,))
        index = _MedianIndex.apply(flat, dim=0)
        return full_pick(flat, reshape(gather(flat.detach(), 0, index), ()))
    d = normalize_dim(dim, input.ndim, "median")
    _check_reducible("median", input, d)
    return _pick_along("median", input, d, keepdim, lambda x: _MedianIndex.apply(x, dim=d))


def nanmedian(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Any:  # noqa: A002
    """``median`` ignoring NaNs: the lower median of the non-NaN values (NaN where a line has
    only NaNs). ``nanmedian(a)`` is a 0-d tensor, ``nanmedian(a, dim)`` (values, indices).

    >>> import nanotorch
    >>> nanotorch.tensor([4.0, float("nan"), 1.0]).nanmedian().item()
    1.0
    """
    if input.dtype.name == "bool":
        raise UnsupportedDtypeError("nanmedian: not defined for bool tensors; call .long() first")
    if dim is None:
        if input.numel() == 0 and input.dtype.is_floating_point:  # nan, as PyTorch's nanmedian()
            return input.detach().new_full((), float("nan"))
        _check_reducible("nanmedian", input, None)
        flat = reshape(input, (-1,))
        return full_pick(flat, nanmedian(flat.detach(), 0).values)
    d = normalize_dim(dim, input.ndim, "nanmedian")
    _check_reducible("nanmedian", input, d)
    x, was_0d = _as_1d_if_0d(input)
    from nanotorch.ops.sorting import sort  # sorting builds on this module

    # NaNs sort last, so the k-th of the n non-NaN values is the k-th sorted value.
    ordered = sort(x, d, stable=True)
    n = (~isnan(x.detach())).sum(d, keepdim=True)
    k = (n - 1).clamp(min=0) // 2
    values, indices = gather(ordered.values, d, k), gather(ordered.indices, d, k)
    if was_0d:
        return ValuesIndices(reshape(values, ()), reshape(indices, ()))
    if not keepdim:
        values, indices = values.squeeze(d), indices.squeeze(d)
    return ValuesIndices(values, indices)


def _pick_along(op: str, a: Tensor, d: int, keepdim: bool, find: Any) -> ValuesIndices:
    """Values and indices of one element per line along ``d``, found by ``find`` (which
    returns keepdim-shaped indices)."""
    x, was_0d = _as_1d_if_0d(a)
    indices = find(x)
    values = gather(x, d, indices)
    if was_0d:
        return ValuesIndices(reshape(values, ()), reshape(indices, ()))
    if not keepdim:
        values, indices = values.squeeze(d), indices.squeeze(d)
    return ValuesIndices(values, indices)


class _ModeIndex(Function):
    """Position along ``dim`` of the most frequent value; among equally frequent values the
    smallest wins, and its last occurrence is reported (PyTorch's cpu rule). Each NaN counts
    once (NaN equals nothing, itself included, as in PyTorch's count) and orders after every
    number, so a NaN is the mode only of a line of NaNs, reported at position 0. Counts come
    from comparing every pair along the line, O(n^2) memory per line: simple and exact,
    sized for the short lines mode is used on. No gradient (Note [Values through gather])."""

    differentiable = False

    @staticmethod
    def forward(ctx, xp, a, dim):
        order = tuple(i for i in range(a.ndim) if i != dim) + (dim,)
        x = xp.permute_dims(orderable(xp, a), order)
        counts = xp.sum(xp.astype(x[..., :, None] == x[..., None, :], xp.int64), axis=-1)
        floating = xp.isdtype(x.dtype, "real floating")
        nan = xp.isnan(x) if floating else None
        if floating:
            counts = xp.where(nan, xp.ones_like(counts), counts)
        most = xp.max(counts, axis=-1, keepdims=True)
        winners = counts == most
        if floating:
            winners = winners & ~nan
            ceiling = xp.asarray(xp.inf, dtype=x.dtype, device=x.device)
        else:
            ceiling = xp.max(x, axis=-1, keepdims=True)
        value = xp.min(xp.where(winners, x, ceiling), axis=-1, keepdims=True)
        n = x.shape[-1]
        hits = xp.astype(xp.flip(x == value, axis=-1), xp.int8)  # argmax takes numbers only
        last = (n - 1) - xp.argmax(hits, axis=-1, keepdims=True)
        if floating:  # a line of NaNs only: no number wins, PyTorch reports position 0
            last = xp.where(xp.any(winners, axis=-1, keepdims=True), last, xp.zeros_like(last))
        back = [0] * a.ndim
        for pos, axis in enumerate(order):
            back[axis] = pos
        return xp.permute_dims(xp.astype(last, xp.int64), tuple(back))


@dim_aliases
def mode(input: Tensor, dim: int = -1, keepdim: bool = False) -> ValuesIndices:  # noqa: A002
    """``(values, indices)`` of the most frequent value along ``dim`` (the smallest such value
    on ties, at its last occurrence)."""
    d = normalize_dim(dim, input.ndim, "mode")
    _check_reducible("mode", input, d)
    return _pick_along("mode", input, d, keepdim, lambda x: _ModeIndex.apply(x, dim=d))


# --------------------------------------------------------------------------- norms
def _is_inf(ord: Any, sign: int) -> bool:  # noqa: A002
    return isinstance(ord, (int, float)) and ord == sign * math.inf


class VectorNorm(Function):
    """out = (sum |a|^p)^(1/p) over ``dims`` (p = ``ord``), with the limits p = inf (max |a|),
    -inf (min |a|) and 0 (the count of non-zeros).

    da = g sign(a) |a|^(p-1) / out^(p-1), which is g a / out for p = 2 and g sign(a) for
    p = 1; where out = 0 the gradient is 0 (the subgradient PyTorch picks). For p = +-inf the
    gradient is shared evenly among the elements that attain the extreme, as in ``amax``.
    Saves the input and the output."""

    @staticmethod
    def forward(ctx, xp, a, ord, dims, keepdim):  # noqa: A002
        mag = xp.abs(a)
        if _is_inf(ord, 1):
            out = xp.max(mag, axis=dims, keepdims=True)
        elif _is_inf(ord, -1):
            out = xp.min(mag, axis=dims, keepdims=True)
        elif ord == 0:
            out = xp.astype(xp.sum(xp.astype(a != 0, xp.int64), axis=dims, keepdims=True), a.dtype)
        elif ord == 1:
            out = xp.sum(mag, axis=dims, keepdims=True)
        elif ord == 2:
            out = xp.sqrt(xp.sum(a * a, axis=dims, keepdims=True))
        else:
            out = xp.sum(mag**ord, axis=dims, keepdims=True) ** (1.0 / ord)
        ctx.ord, ctx.dims, ctx.keepdim = ord, dims, keepdim
        ctx.save_for_backward(a, out)
        if not keepdim:
            out = xp.reshape(out, tuple(s for i, s in enumerate(a.shape) if i not in dims))
        return out

    @staticmethod
    def backward(ctx, g):
        a, out = ctx.saved_tensors
        p = ctx.ord
        if not ctx.keepdim:
            g = reshape(g, keepdim_shape(a.shape, ctx.dims))
        if _is_inf(p, 1) or _is_inf(p, -1):
            hit = (a.abs() == out.detach()).to(g.dtype)
            return g * a.sign() * hit / sum(hit, ctx.dims, keepdim=True)
        if p == 0:
            return g * 0 * a
        if p == 1:
            return g * a.sign()
        nonzero = out != 0
        safe_out = where(nonzero, out, 1.0)
        if p == 2:
            return where(nonzero, g * a / safe_out, 0.0)
        scaled = a.sign() * a.abs() ** (p - 1) / safe_out ** (p - 1)
        return where(nonzero, g * scaled, 0.0)


def _check_floating(op: str, a: Tensor) -> None:
    if not a.dtype.is_floating_point:
        raise UnsupportedDtypeError(
            f"{op}: needs a floating tensor, got {a.dtype!r}; call .float() first"
        )


class SingularValueNorm(Function):
    """Norms of the matrices in the last two dims from their singular values s (the
    standard's ``linalg.svd``): ord 2 is max s, -2 is min s, 'nuc' is sum s.

    For distinct singular values d s_i / dA = u_i v_i^T, so da = g U diag(w) V^T with w the
    indicator of the chosen value (2, -2) or all ones ('nuc'). Saves U, V^T and w. (Second
    derivatives are not provided: U and V enter the backward as constants.)"""

    @staticmethod
    def forward(ctx, xp, a, ord):  # noqa: A002
        u, s, vh = xp.linalg.svd(a, full_matrices=False)
        k = s.shape[-1]
        if ord == "nuc":
            weights = xp.ones((k,), dtype=a.dtype, device=a.device)
        else:
            pick = 0 if ord == 2 else k - 1  # svd returns s in descending order
            positions = xp.arange(k, device=a.device)
            weights = xp.astype(positions == pick, a.dtype)
        ctx.save_for_backward(u, vh, weights)
        return xp.sum(s * weights, axis=-1)

    @staticmethod
    def backward(ctx, g):
        from nanotorch.ops.matmul import matmul

        u, vh, weights = ctx.saved_tensors
        return g.unsqueeze(-1).unsqueeze(-1) * matmul(u * weights, vh)


def vector_norm(
    a: Tensor,
    ord: float = 2,  # noqa: A002 - PyTorch's name
    dim: Dims = None,
    keepdim: bool = False,
    *,
    dtype: Any = None,
) -> Tensor:
    """The vector p-norm over ``dim`` (all elements by default); ``nanotorch.linalg``."""
    if dtype is not None:
        a = a.to(dtype)
    _check_floating("linalg.vector_norm", a)
    if isinstance(ord, bool) or not isinstance(ord, (int, float)):
        raise TypeError(
            f"linalg.vector_norm: ord must be a number (2, 1, inf, -inf, 0, p), got {ord!r}; "
            "for 'fro' or 'nuc' use linalg.matrix_norm"
        )
    dims = normalize_dims(dim, a.ndim, "linalg.vector_norm")
    if ord < 0 or _is_inf(ord, 1):
        if builtins.any(a.shape[d] == 0 for d in dims) or (not dims and a.numel() == 0):
            raise RuntimeError(
                f"linalg.vector_norm: ord={ord} over an empty dimension (shape {a.shape}) "
                "has no value; use ord >= 0"
            )
    return VectorNorm.apply(a, ord=float(ord), dims=dims, keepdim=keepdim)


def matrix_norm(
    a: Tensor,
    ord: str | float = "fro",  # noqa: A002 - PyTorch's name
    dim: tuple[int, int] = (-2, -1),
    keepdim: bool = False,
    *,
    dtype: Any = None,
) -> Tensor:
    """The matrix norm over the two dims ``dim``: ``'fro'`` (Frobenius), 1 / -1 (max / min
    column sum of |a|), inf / -inf (max / min row sum), 2 / -2 (largest / smallest singular
    value) and ``'nuc'`` (their sum); ``nanotorch.linalg``."""
    if dtype is not None:
        a = a.to(dtype)
    _check_floating("linalg.matrix_norm", a)
    if a.ndim < 2:
        raise RuntimeError(
            f"linalg.matrix_norm: needs a tensor with at least 2 dims, got shape {a.shape}; "
            "use linalg.vector_norm for vectors"
        )
    if len(tuple(dim)) != 2:
        raise RuntimeError(f"linalg.matrix_norm: dim must name two dims, got {dim!r}")
    rows, cols = (normalize_dim(d, a.ndim, "linalg.matrix_norm") for d in dim)
    if rows == cols:
        raise RuntimeError(f"linalg.matrix_norm: dim {dim!r} names one dim twice")
    if ord == "fro":
        return vector_norm(a, 2, (rows, cols), keepdim)
    if ord in ("nuc", 2, -2):
        if a.shape[rows] == 0 or a.shape[cols] == 0:
            raise RuntimeError(
                f"linalg.matrix_norm: ord={ord!r} of an empty matrix (shape {a.shape}) has no "
                "singular values; use ord='fro'"
            )
        # The matrices to the last two dims, in (rows, cols) order, as svd takes them.
        order = tuple(i for i in range(a.ndim) if i not in (rows, cols)) + (rows, cols)
        out = SingularValueNorm.apply(a.permute(order), ord=ord)
        if keepdim:
            for d in sorted((rows, cols)):
                out = out.unsqueeze(d)
        return out
    if ord in (1, -1):
        summed, over = sum(a.abs(), rows, keepdim=True), cols
    elif _is_inf(ord, 1) or _is_inf(ord, -1):
        summed, over = sum(a.abs(), cols, keepdim=True), rows
    else:
        raise RuntimeError(
            f"linalg.matrix_norm: unknown ord {ord!r}; use 'fro', 'nuc', 1, -1, 2, -2, inf or -inf"
        )
    extreme = amax if ord in (1, math.inf) else amin
    out = extreme(summed, over, keepdim=True)
    return out if keepdim else out.squeeze((rows, cols))


@dim_aliases
def norm(
    input: Tensor,  # noqa: A002
    p: str | float = "fro",
    dim: Dims = None,
    keepdim: bool = False,
    dtype: Any = None,
) -> Tensor:
    """PyTorch's ``norm``: a vector p-norm over ``dim`` (all elements when None); ``'fro'`` is
    the 2-norm of the selected elements, ``'nuc'`` the nuclear norm of a matrix (two dims)."""
    if p == "fro":
        p = 2
    elif p == "nuc":
        dims = dim if dim is not None else ((0, 1) if input.ndim == 2 else None)
        if dims is None or isinstance(dims, int) or len(tuple(dims)) != 2:
            raise RuntimeError(
                f"norm: p='nuc' needs a 2-D input or two dims, got shape {input.shape} and "
                f"dim={dim!r}"
            )
        return matrix_norm(input, "nuc", tuple(dims), keepdim, dtype=dtype)
    elif isinstance(p, str):
        raise RuntimeError(f"norm: unknown p {p!r}; use 'fro', 'nuc' or a number")
    return vector_norm(input, p, dim, keepdim, dtype=dtype)


def linalg_norm(
    a: Tensor,
    ord: str | float | None = None,  # noqa: A002 - PyTorch's name
    dim: Dims = None,
    keepdim: bool = False,
    *,
    dtype: Any = None,
) -> Tensor:
    """``nanotorch.linalg.norm``, PyTorch's rule for choosing: with ``dim`` an int (or one
    dim) a vector norm, with two dims a matrix norm; with no ``dim`` the 2-norm of all
    elements when ``ord`` is None, otherwise a vector norm of a 1-D and a matrix norm of a
    2-D input. (``nanotorch.norm`` differs: a number ``p`` always means a vector norm.)"""
    if dim is not None:
        dims = (dim,) if isinstance(dim, int) else tuple(dim)
        if len(dims) == 2:
            return matrix_norm(a, "fro" if ord is None else ord, dims, keepdim, dtype=dtype)
        if isinstance(ord, str):
            raise RuntimeError(
                f"linalg.norm: ord={ord!r} is a matrix norm and needs two dims, got dim={dim!r}"
            )
        return vector_norm(a, 2 if ord is None else ord, dims, keepdim, dtype=dtype)
    if ord is None:
        return vector_norm(a, 2, None, keepdim, dtype=dtype)
    if a.ndim == 2:
        return matrix_norm(a, ord, (0, 1), keepdim, dtype=dtype)
    if a.ndim != 1:
        raise RuntimeError(
            f"linalg.norm: ord={ord!r} without dim needs a 1-D or 2-D input, got shape "
            f"{a.shape}; pass dim= to choose the dims"
        )
    if isinstance(ord, str):
        raise RuntimeError(
            f"linalg.norm: ord={ord!r} is a matrix norm; a 1-D input needs a number ord"
        )
    return vector_norm(a, ord, None, keepdim, dtype=dtype)
