"""Numerical helpers PyTorch has at top level: statistics (``cov``, ``corrcoef``), finite
differences (``gradient``), the Vandermonde matrix (``vander``), pairwise distances
(``pdist``), counting (``histogram``), set membership and enumeration (``isin``, ``isreal``,
``combinations``, ``unravel_index``) and float anatomy (``frexp``, ``nextafter``).

The differentiable ones are composites of ops that already have a backward (matmul, sums,
slices, cat, index_select, the norms), so their gradients come from those; the specs in
tests/specs/math_breadth_ops.py check them. Index sets that depend only on sizes
(``combinations``, ``pdist``'s pairs) are enumerated on the host with ``itertools`` and sent
to the device once, as an index tensor. ``nextafter`` is one Function over the standard's
``nextafter``; ``frexp``'s exponent is computed without a gradient and its mantissa is
``input * 2^-exponent``, so the mantissa's gradient is ``g 2^-exponent`` as in PyTorch.

Like the rest of the engine, this module imports no array library.
"""

from __future__ import annotations

import itertools
import math
from collections import namedtuple
from collections.abc import Sequence
from typing import Any

from nanotorch import dtypes as _dt
from nanotorch.autograd.function import PROMOTE, Function
from nanotorch.autograd.grad_mode import no_grad
from nanotorch.dtypes import get_default_dtype
from nanotorch.errors import InvalidArgumentError, ShapeError, UnsupportedDtypeError
from nanotorch.ops._util import normalize_dim
from nanotorch.ops.elementwise import sqrt, where
from nanotorch.ops.indexing import index_select
from nanotorch.ops.matmul import matmul
from nanotorch.ops.scan import vector_norm
from nanotorch.ops.shape import cat, reshape, stack
from nanotorch.ops.shape_extra import diagonal, movedim
from nanotorch.ops.sorting import searchsorted
from nanotorch.tensor import Tensor

# What this family exports; nanotorch.<name> and the op-spec tests derive from it
# (Note [Op registry] in ops/__init__.py).
OPS = (
    "cov",
    "corrcoef",
    "gradient",
    "pdist",
    "histogram",
    "frexp",
    "nextafter",
)
ALIASES: dict[str, str] = {}

FrexpResult = namedtuple("FrexpResult", ["mantissa", "exponent"])
HistogramResult = namedtuple("HistogramResult", ["hist", "bin_edges"])


def _need_tensor(op: str, name: str, t: Any) -> None:
    if not isinstance(t, Tensor):
        raise TypeError(f"{op}: {name} must be a Tensor, got {type(t).__name__}")


def _index(values: Sequence[int], like: Tensor) -> Tensor:
    from nanotorch.creation import tensor

    return tensor(list(values), dtype=_dt.int64, device=like.device)


# ------------------------------------------------------------------------------ statistics
def _check_weights(op: str, name: str, w: Any, n_obs: int, integral: bool) -> Tensor:
    _need_tensor(op, name, w)
    if w.ndim > 1:
        raise ShapeError(
            f"{op}: expected {name} to have one or fewer dimensions, got shape {tuple(w.shape)}"
        )
    if w.numel() != n_obs:
        raise ShapeError(
            f"{op}: expected {name} to have the same numel as there are observations in the "
            f"input ({n_obs}), got {w.numel()}"
        )
    if integral and (w.dtype.is_floating_point or w.dtype.name == "bool"):
        raise UnsupportedDtypeError(
            f"{op}: expected {name} to have an integral dtype, got {w.dtype!r}; frequency "
            "weights count repeats (pass aweights for real-valued weights)"
        )
    if not integral and not w.dtype.is_floating_point:
        raise UnsupportedDtypeError(
            f"{op}: expected {name} to have a floating dtype, got {w.dtype!r}; call .float()"
        )
    if w.numel() and bool((w < 0).any().item()):
        raise InvalidArgumentError(f"{op}: {name} cannot be negative")
    return w.reshape(-1)


def cov(
    input: Tensor,  # noqa: A002
    *,
    correction: int = 1,
    fweights: Tensor | None = None,
    aweights: Tensor | None = None,
) -> Tensor:
    """The covariance matrix of the variables in the rows of ``input`` (observations in the
    columns; a 1-D input is one variable, giving a 0-d result). ``correction`` is subtracted
    from the (weighted) number of observations: 1 gives the unbiased estimate, 0 the maximum
    likelihood one. ``fweights`` (integer repeat counts) and ``aweights`` (real importance)
    weight the observations, as in NumPy's ``cov``; with aweights the correction is scaled by
    sum(w a) / sum(w). A non-positive normaliser becomes 0 (inf / nan results, as PyTorch).

    >>> import nanotorch
    >>> nanotorch.cov(nanotorch.tensor([[0.0, 1.0, 2.0], [2.0, 1.0, 0.0]])).tolist()
    [[1.0, -1.0], [-1.0, 1.0]]
    """
    _need_tensor("cov", "input", input)
    if input.ndim > 2:
        raise ShapeError(
            f"cov: expected input to have two or fewer dimensions but got an input with "
            f"{input.ndim} dimensions (shape {tuple(input.shape)})"
        )
    x = input if input.ndim == 2 else reshape(input, 1, -1)
    if not x.dtype.is_floating_point:
        x = x.to(get_default_dtype())
    n_obs = x.shape[1]
    w = None
    if fweights is not None:
        w = _check_weights("cov", "fweights", fweights, n_obs, integral=True)
    aw = None
    if aweights is not None:
        aw = _check_weights("cov", "aweights", aweights, n_obs, integral=False)
        w = aw if w is None else w * aw
    if w is None:
        w_sum: Any = n_obs
        avg = x.mean(1)
        norm: Any = max(n_obs - correction, 0)
    else:
        w_sum = w.sum()
        avg = (x * w).sum(1) / w_sum
        if aw is not None and correction != 0:
            norm = w_sum - correction * (w * aw).sum() / w_sum
        else:
            norm = w_sum - correction
        norm = where(norm <= 0, 0, norm)
    xc = x - avg.unsqueeze(1)
    c = matmul(xc, (xc if w is None else xc * w).transpose(0, 1))
    return (c / norm).squeeze()


def corrcoef(input: Tensor) -> Tensor:  # noqa: A002
    """Pearson's correlation coefficients of the rows of ``input``: ``cov(input)`` divided by
    the outer product of the standard deviations, clipped to [-1, 1].

    >>> import nanotorch
    >>> nanotorch.corrcoef(nanotorch.tensor([[0.0, 1.0, 2.0], [4.0, 2.0, 0.0]])).tolist()
    [[1.0, -1.0], [-1.0, 1.0]]
    """
    c = cov(input)
    if c.ndim == 0:
        return c / c
    std = sqrt(diagonal(c))
    c = c / std.unsqueeze(1)
    c = c / std.unsqueeze(0)
    return c.clamp(-1, 1)


# ------------------------------------------------------------------- finite differences
def _slice(t: Tensor, start: int | None, stop: int | None) -> Tensor:
    return t[..., start:stop]


def _gradient_uniform(f: Tensor, h: Any, edge_order: int) -> Tensor:
    interior = (_slice(f, 2, None) - _slice(f, None, -2)) / (2 * h)
    if edge_order == 1:
        first = (_slice(f, 1, 2) - _slice(f, 0, 1)) / h
        last = (_slice(f, -1, None) - _slice(f, -2, -1)) / h
    else:
        first = (-1.5 * _slice(f, 0, 1) + 2 * _slice(f, 1, 2) - 0.5 * _slice(f, 2, 3)) / h
        last = (0.5 * _slice(f, -3, -2) - 2 * _slice(f, -2, -1) + 1.5 * _slice(f, -1, None)) / h
    return cat([first, interior, last], -1)


def _gradient_coords(f: Tensor, x: Tensor, edge_order: int) -> Tensor:
    """Second-order differences at unevenly spaced points x (NumPy's formulas)."""
    dx = x[1:] - x[:-1]
    d1, d2 = dx[:-1], dx[1:]
    a = -d2 / (d1 * (d1 + d2))
    b = (d2 - d1) / (d1 * d2)
    c = d1 / (d2 * (d1 + d2))
    interior = a * _slice(f, None, -2) + b * _slice(f, 1, -1) + c * _slice(f, 2, None)
    if edge_order == 1:
        first = (_slice(f, 1, 2) - _slice(f, 0, 1)) / dx[:1]
        last = (_slice(f, -1, None) - _slice(f, -2, -1)) / dx[-1:]
    else:
        d1, d2 = dx[0:1], dx[1:2]
        first = (
            -(2 * d1 + d2) / (d1 * (d1 + d2)) * _slice(f, 0, 1)
            + (d1 + d2) / (d1 * d2) * _slice(f, 1, 2)
            - d1 / (d2 * (d1 + d2)) * _slice(f, 2, 3)
        )
        d1, d2 = dx[-2:-1], dx[-1:]
        last = (
            d2 / (d1 * (d1 + d2)) * _slice(f, -3, -2)
            - (d2 + d1) / (d1 * d2) * _slice(f, -2, -1)
            + (2 * d2 + d1) / (d2 * (d1 + d2)) * _slice(f, -1, None)
        )
    return cat([first, interior, last], -1)


def gradient(
    input: Tensor,  # noqa: A002
    *,
    spacing: Any = 1,
    dim: int | Sequence[int] | None = None,
    edge_order: int = 1,
) -> tuple[Tensor, ...]:
    """The derivative of ``input`` along each dim in ``dim`` (all by default) by central
    differences inside and one-sided differences of order ``edge_order`` (1 or 2) at the
    ends. ``spacing`` is a number (one step for every dim), a sequence of numbers (one per
    dim) or a sequence of 1-D coordinate tensors (points that need not be evenly spaced).

    >>> import nanotorch
    >>> nanotorch.gradient(nanotorch.tensor([1.0, 4.0, 9.0, 16.0]))[0].tolist()
    [3.0, 4.0, 6.0, 7.0]
    """
    _need_tensor("gradient", "input", input)
    if edge_order not in (1, 2):
        raise InvalidArgumentError(f"gradient: edge_order must be 1 or 2, got {edge_order!r}")
    if dim is None:
        dims = tuple(range(input.ndim))
    elif isinstance(dim, int):
        dims = (normalize_dim(dim, input.ndim, "gradient"),)
    else:
        dims = tuple(normalize_dim(d, input.ndim, "gradient") for d in dim)
        if len(set(dims)) != len(dims):
            raise InvalidArgumentError(f"gradient: dim {dim} names an axis twice")
    if isinstance(spacing, (int, float)) and not isinstance(spacing, bool):
        steps: list[Any] = [spacing] * len(dims)
    elif isinstance(spacing, (list, tuple)):
        steps = list(spacing)
        if len(steps) != len(dims):
            raise ShapeError(
                f"gradient: expected spacing to be unspecified, a scalar, or a list of length "
                f"{len(dims)} (one per dim), got a list of length {len(steps)}"
            )
    else:
        raise TypeError(
            f"gradient: spacing must be a number or a list of numbers or tensors, got "
            f"{type(spacing).__name__}"
        )
    for d in dims:
        if input.shape[d] < edge_order + 1:
            raise ShapeError(
                f"gradient: expected each dimension size to be at least edge_order+1 "
                f"({edge_order + 1}), got size {input.shape[d]} in dim {d} of shape "
                f"{tuple(input.shape)}"
            )
    f_all = input if input.dtype.is_floating_point else input.to(get_default_dtype())
    outs = []
    for d, step in zip(dims, steps, strict=True):
        f = movedim(f_all, d, -1)
        if isinstance(step, Tensor):
            if step.ndim != 1 or step.shape[0] != input.shape[d]:
                raise ShapeError(
                    f"gradient: the coordinates for dim {d} must be 1-D with {input.shape[d]} "
                    f"points, got shape {tuple(step.shape)}"
                )
            coords = step if step.dtype.is_floating_point else step.to(f.dtype)
            g = _gradient_coords(f, coords, edge_order)
        else:
            g = _gradient_uniform(f, step, edge_order)
        outs.append(movedim(g, -1, d))
    return tuple(outs)


# -------------------------------------------------------------------------- vander, pdist
def _powers(x: Tensor, n: int) -> list[Tensor]:
    """x^0 .. x^(n-1) as a running product, so each gradient is exact (also at x = 0)."""
    from nanotorch.creation import ones

    if n == 0:
        return []
    cols = [ones(tuple(x.shape), dtype=x.dtype, device=x.device)]
    for _ in range(1, n):
        cols.append(x if len(cols) == 1 else cols[-1] * x)
    return cols


def linalg_vander(x: Tensor, *, N: int | None = None) -> Tensor:  # noqa: N803
    """``torch.linalg.vander``: increasing powers along a new last dim, batched over x's
    leading dims (N defaults to x.shape[-1])."""
    _need_tensor("linalg.vander", "x", x)
    if x.ndim < 1:
        raise ShapeError("linalg.vander: x must have at least one dimension, got a 0-d tensor")
    n = x.shape[-1] if N is None else N
    if isinstance(n, bool) or not isinstance(n, int) or n <= 1:
        raise InvalidArgumentError(f"linalg.vander: N must be greater than 1, got {n!r}")
    if not x.dtype.is_floating_point:
        x = x.to(_dt.int64)
    return stack(_powers(x, n), -1)


def pdist(input: Tensor, p: float = 2) -> Tensor:  # noqa: A002
    """The p-norm distances between the rows of the 2-D ``input``, for every pair i < j in
    row-major order (the upper triangle of ``cdist(input, input)``, flattened).

    >>> import nanotorch
    >>> nanotorch.pdist(nanotorch.tensor([[0.0, 0.0], [3.0, 4.0], [0.0, 1.0]])).tolist()
    [5.0, 1.0, 4.242640495300293]
    """
    _need_tensor("pdist", "input", input)
    if input.ndim != 2:
        raise ShapeError(f"pdist: only supports 2D tensors, got {input.ndim}D {input.shape}")
    if not input.dtype.is_floating_point:
        raise UnsupportedDtypeError(
            f"pdist: only supports floating-point dtypes, got {input.dtype!r}; call .float()"
        )
    if isinstance(p, bool) or not isinstance(p, (int, float)) or p < 0:
        raise InvalidArgumentError(f"pdist: only supports non-negative p values, got {p!r}")
    pairs = list(itertools.combinations(range(input.shape[0]), 2))
    rows_i = index_select(input, 0, _index([i for i, _ in pairs], input))
    rows_j = index_select(input, 0, _index([j for _, j in pairs], input))
    return vector_norm(rows_i - rows_j, float(p), dim=-1)


# --------------------------------------------------------------------------------- counting
def _edges_from_count(op: str, flat: Tensor, bins: int, rng: Any) -> Tensor:
    from nanotorch.creation import linspace

    if rng is not None:
        if len(rng) != 2:
            raise InvalidArgumentError(f"{op}: range must be a pair (min, max), got {rng!r}")
        lo, hi = float(rng[0]), float(rng[1])
    elif flat.numel():
        lo, hi = float(flat.min().item()), float(flat.max().item())
    else:
        lo = hi = 0.0
    if lo > hi:
        raise InvalidArgumentError(
            f"{op}: max must be larger than min, got range ({lo}, {hi}); swap them"
        )
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise InvalidArgumentError(f"{op}: range of [{lo}, {hi}] is not finite")
    if lo == hi:
        lo, hi = lo - 0.5, hi + 0.5
    return linspace(lo, hi, bins + 1, dtype=flat.dtype, device=flat.device)


def histogram(
    input: Tensor,  # noqa: A002
    bins: int | Tensor,
    *,
    range: tuple[float, float] | None = None,  # noqa: A002 - PyTorch's name
    weight: Tensor | None = None,
    density: bool = False,
) -> HistogramResult:
    """Counts (or summed ``weight``) of ``input``'s values in bins: ``bins`` equal bins over
    ``range`` (the data's range by default, widened by 1/2 each side when it is one value),
    or the bin edges as a 1-D increasing tensor. Bins are closed on the left; the last also
    on the right; values outside are ignored. ``density`` divides by the total and the bin
    widths. Returns ``(hist, bin_edges)`` in input's dtype; carries no gradient.

    >>> import nanotorch
    >>> nanotorch.histogram(nanotorch.tensor([1.0, 2.0, 1.0]), bins=2).hist.tolist()
    [2.0, 1.0]
    """
    from nanotorch.creation import zeros

    _need_tensor("histogram", "input", input)
    if not input.dtype.is_floating_point:
        raise UnsupportedDtypeError(
            f"histogram: input must be floating point, got {input.dtype!r}; call .float()"
        )
    if weight is not None:
        _need_tensor("histogram", "weight", weight)
        if tuple(weight.shape) != tuple(input.shape):
            raise ShapeError(
                f"histogram: weight of shape {tuple(weight.shape)} must have the input's shape "
                f"{tuple(input.shape)}"
            )
    with no_grad():
        flat = reshape(input.detach(), -1)
        if isinstance(bins, Tensor):
            if bins.ndim != 1 or bins.shape[0] < 1:
                raise ShapeError(
                    f"histogram: bins must be a 1-D tensor with at least one edge, got shape "
                    f"{tuple(bins.shape)}"
                )
            if range is not None:
                raise InvalidArgumentError(
                    "histogram: range cannot be given with a tensor of bin edges"
                )
            edges = bins.detach().to(input.dtype)
        else:
            if isinstance(bins, bool) or not isinstance(bins, int) or bins <= 0:
                raise InvalidArgumentError(
                    f"histogram: bins must be a positive int or a tensor of edges, got {bins!r}"
                )
            edges = _edges_from_count("histogram", flat, bins, range)
        n_bins = edges.shape[0] - 1
        pos = searchsorted(edges, flat, right=True) - 1
        inside = (flat >= edges[0]) & (flat <= edges[-1])
        pos = where(flat == edges[-1], n_bins - 1, pos)
        idx = where(inside, pos, 0)
        w = flat * 0 + 1 if weight is None else reshape(weight.detach(), -1).to(input.dtype)
        w = where(inside, w, 0.0)
        hist = zeros(max(n_bins, 0), dtype=input.dtype, device=input.device)
        if n_bins > 0:
            hist = hist.index_add(0, idx, w)
        if density:
            widths = edges[1:] - edges[:-1]
            hist = hist / (hist.sum() * widths)
    return HistogramResult(hist, edges)


# ------------------------------------------------------------------- sets and enumeration


# ------------------------------------------------------------------------------ float anatomy
class _Exponent(Function):
    """The binary exponent e with |x| = m 2^e, 1/2 <= m < 1 (0 for 0, inf and nan), as int32;
    piecewise constant, so it carries no gradient."""

    differentiable = False

    @staticmethod
    def forward(ctx, xp, a):
        x = xp.abs(xp.astype(a, xp.float64))
        finite = xp.isfinite(x) & (x > 0)
        safe = xp.where(finite, x, xp.ones_like(x))
        e = xp.floor(xp.log2(safe)) + 1.0
        # log2 may round across a power of two; one step either way fixes e.
        half = xp.floor(e / 2.0)
        m = safe * 2.0 ** (-half) * 2.0 ** (half - e)
        e = xp.where(m >= 1.0, e + 1.0, xp.where(m < 0.5, e - 1.0, e))
        return xp.astype(xp.where(finite, e, xp.zeros_like(e)), xp.int32)


def frexp(input: Tensor) -> FrexpResult:  # noqa: A002
    """``(mantissa, exponent)`` with input = mantissa * 2^exponent, |mantissa| in [1/2, 1)
    (0, inf and nan keep themselves with exponent 0); exponent is int32. The mantissa's
    gradient is g 2^-exponent.

    >>> import nanotorch
    >>> m, e = nanotorch.frexp(nanotorch.tensor([8.0, -0.75]))
    >>> m.tolist(), e.tolist()
    ([0.5, -0.75], [4, 0])
    """
    _need_tensor("frexp", "input", input)
    if not input.dtype.is_floating_point:
        raise UnsupportedDtypeError(
            f"frexp: only supports floating-point dtypes, got {input.dtype!r}; call .float()"
        )
    exponent = _Exponent.apply(input.detach())
    # Two factors, so that 2^-e stays finite for the smallest subnormals.
    e = exponent.to(input.dtype)
    half = (e / 2).floor()
    mantissa = input * (2.0 ** (-half)) * (2.0 ** (half - e))
    return FrexpResult(mantissa, exponent)


class Nextafter(Function):
    """out = the next float after a towards b;  da = g (a step of one ulp is locally the
    identity, PyTorch's derivative), db = 0."""

    promotion = PROMOTE

    @staticmethod
    def forward(ctx, xp, a, b):
        return xp.nextafter(a, b)

    @staticmethod
    def backward(ctx, g):
        return g, (g * 0 if ctx.needs_input_grad[1] else None)


def nextafter(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    """The next floating-point value after ``input`` towards ``other``, elementwise with
    broadcasting.

    >>> import nanotorch
    >>> x = nanotorch.tensor([1.0], dtype=nanotorch.float64)
    >>> (nanotorch.nextafter(x, nanotorch.tensor([2.0], dtype=nanotorch.float64)) - x).item()
    2.220446049250313e-16
    """
    from nanotorch.ops.elementwise import _binary

    for name, t in (("input", input), ("other", other)):
        _need_tensor("nextafter", name, t)
        if not t.dtype.is_floating_point:
            raise UnsupportedDtypeError(
                f"nextafter: {name} must be floating point, got {t.dtype!r}; call .float()"
            )
    return _binary(Nextafter, input, other)
