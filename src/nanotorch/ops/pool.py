"""Pooling: ``max_pool2d``, ``avg_pool2d`` and ``adaptive_avg_pool2d``.

Pools slide a window like a convolution, so they reuse its geometry (``ConvGeometry`` in
``nanotorch.ops.conv``) and its loop over kernel positions: for kernel position (i, j), the
pixel it sees in every window is one strided slice of the padded input (Note [im2col by
kernel position]). A pool reduces those kH*kW slices elementwise instead of stacking them,
so it needs no kH*kW-times-larger buffer. Standard operations only; no array library imports.

Note [Pool windows]
~~~~~~~~~~~~~~~~~~~
Output size per dim is floor((in + 2p - d(k - 1) - 1) / s) + 1, or with ``ceil_mode`` the
ceiling, where the last window must still start inside the input or its left padding
(PyTorch's rule; otherwise it is dropped). A ceil_mode window may overhang the right padding;
the geometry pads "after" far enough to hold it, with -inf for max (padding never wins) and
0 for average. avg_pool2d divides by the window's size clipped to the padded input (with
``count_include_pad``, PyTorch's default) or to the input itself: the overhang never counts.

Note [Tiled max pool]
~~~~~~~~~~~~~~~~~~~~~
The pool of almost every CNN is 2x2 with stride 2: the windows tile the image, without
overlap or padding. There a backend may answer ``max_pool_tiles`` (under ``"auto"`` of
``set_conv_impl``, the switch for how windows are built) with the maxima and one bool mask
per kernel position marking each window's first maximum; NumPy's takes a running maximum over
the kH*kW strided views and then a compare and two logical ops per position on
one-byte masks, where the portable loop keeps a running index with about eight float-sized
operations per position. The backward then writes g times each mask straight into its
strided view of an uninitialised gradient (each pixel belongs to exactly one window), instead
of adding into a zeroed buffer. A window holding NaN must send its gradient to the last NaN
(PyTorch's rule, and the portable loop's), which the masks do not encode, so when any maximum
is NaN the hook answers None and the portable loop runs. Under ``create_graph`` the masks
become the portable loop's index (``sum_k k * mask_k``) and the differentiable
RouteToArgmax takes over, so double backward is unchanged. The fast and portable paths give
identical values and gradients (tests/unit/test_pool.py, "tiled fast path").
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from nanotorch.autograd.function import Function
from nanotorch.autograd.grad_mode import is_grad_enabled
from nanotorch.errors import InvalidArgumentError, ShapeError
from nanotorch.ops.conv import (
    ConvGeometry,
    check_rank,
    check_tensor,
    get_conv_impl,
    non_negative,
    pad_image,
    positive,
)
from nanotorch.ops.matmul import matmul
from nanotorch.tensor import Tensor

# What this family exports; nanotorch.<name> and the op-spec tests derive from it
# (Note [Op registry] in ops/__init__.py).
OPS = ("max_pool2d", "avg_pool2d", "adaptive_avg_pool2d")


# ---------------------------------------------------------------------------- geometry
def _pool_length(length: int, k: int, s: int, p: int, d: int, ceil_mode: bool) -> int:
    span = length + 2 * p - d * (k - 1) - 1
    out = (-(-span // s) if ceil_mode else span // s) + 1
    if ceil_mode and (out - 1) * s >= length + p:
        out -= 1  # the last window would start past the input and its left padding
    return out


PoolArgs = tuple[tuple[int, int], tuple[int, int], tuple[int, int], tuple[int, int]]


def check_pool_args(
    op: str,
    kernel_size: Any,
    stride: Any,
    padding: Any,
    dilation: Any,
    where: str = "",
    nd: int = 2,
) -> PoolArgs:
    """(kernel, stride, padding, dilation) as nd-tuples (pairs by default); stride defaults
    to the kernel size. ValueError naming ``op`` for non-positive sizes or padding over half
    the kernel. The 1-D and 3-D pools of ops/pool_extra.py check through here too."""
    k = positive(op, "kernel_size", kernel_size, nd, where)
    no_stride = stride is None or (isinstance(stride, (tuple, list)) and len(stride) == 0)
    s = k if no_stride else positive(op, "stride", stride, nd, where)
    p = non_negative(op, "padding", padding, nd, where)
    d = positive(op, "dilation", dilation, nd, where)
    if any(pp > kk // 2 for pp, kk in zip(p, k)):
        shown_p, shown_k = (p[0], k[0]) if nd == 1 else (p, k)  # 1-D errors speak of ints
        raise InvalidArgumentError(  # a RuntimeError too, as PyTorch raises
            f"{op}: padding {shown_p} must be at most half of kernel_size {shown_k}{where}; "
            "use less padding or a larger kernel"
        )
    return k, s, p, d  # type: ignore[return-value]


def pool_geometry(
    op: str,
    x_shape: tuple[int, ...],
    kernel_size: Any,
    stride: Any,
    padding: Any,
    dilation: Any,
    ceil_mode: bool,
) -> ConvGeometry:
    """Check a pool's hyperparameters against its batched input shape (Note [Pool
    windows]); errors name ``op``, the shapes and the fix."""
    k, s, p, d = check_pool_args(
        op, kernel_size, stride, padding, dilation, f" (input shape {x_shape})"
    )
    image = tuple(x_shape[-2:])
    span = tuple(dd * (kk - 1) + 1 for kk, dd in zip(k, d))
    padded = tuple(n + 2 * pp for n, pp in zip(image, p))
    if any(sp > pd for sp, pd in zip(span, padded)):
        spans = f" with dilation {d} spans {span}," if any(v != 1 for v in d) else ""
        raise ShapeError(
            f"{op}: kernel {k}{spans} is larger than the padded input {padded} (input shape "
            f"{x_shape}, padding {p}); use a smaller kernel or pad more"
        )
    grid = tuple(
        _pool_length(n, kk, ss, pp, dd, ceil_mode) for n, kk, ss, pp, dd in zip(image, k, s, p, d)
    )
    # Pad "after" far enough to hold a ceil_mode overhang (at least the requested padding).
    after = tuple(
        max(pp, (g - 1) * ss + sp - n - pp) for g, ss, sp, n, pp in zip(grid, s, span, image, p)
    )
    pads = ((p[0], after[0]), (p[1], after[1]))
    return ConvGeometry(k, s, pads, d, image, grid)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------- max pooling
def _window_argmax(xp: Any, x: Any, geom: ConvGeometry) -> tuple[Any, Any]:
    """(max, kernel position of the first max) over each window, padding as -inf.

    A later position wins only if strictly greater (so ties keep the first maximal element,
    as in PyTorch) or NaN (NaN propagates, as in PyTorch).
    """
    xpad = pad_image(xp, x, geom, fill=-float("inf"))
    # The running argmax is kept in the narrowest integer type that holds every kernel
    # position (a quarter of the memory traffic of int64 for the common small kernels) and
    # widened once at the end.
    positions = geom.positions
    index_dtype = xp.int8 if len(positions) <= 127 else xp.int64
    best = arg = None
    for k, (i, j) in enumerate(positions):
        v = xpad[(..., *geom.window(i, j))]
        if best is None:
            # A copy: with a 1x1 kernel the slice is a view of the caller's input.
            best = xp.asarray(v, copy=True)
            arg = xp.zeros(v.shape, dtype=index_dtype, device=v.device)
            continue
        better = (v > best) | xp.isnan(v)
        # Arithmetic instead of ``where``, which NumPy runs several times slower on a
        # data-dependent mask (discovery/performance.md): ``maximum`` is exactly
        # ``where(better, v, best)`` here (NaN included), and ``arg + better * (k - arg)``
        # is ``where(better, k, arg)``.
        best = xp.maximum(best, v)
        arg = arg + xp.astype(better, arg.dtype) * (k - arg)
    return best, xp.astype(arg, xp.int64)


def _window_max(xp: Any, x: Any, geom: ConvGeometry) -> Any:
    """The maximum over each window only (padding as -inf; NaN propagates through
    ``maximum``): what a forward without a backward needs (Note [Pool index on demand])."""
    xpad = pad_image(xp, x, geom, fill=-float("inf"))
    best = None
    for i, j in geom.positions:
        v = xpad[(..., *geom.window(i, j))]
        # A copy first: with a 1x1 kernel the slice is a view of the caller's input.
        best = xp.asarray(v, copy=True) if best is None else xp.maximum(best, v)
    return best


# Note [Pool index on demand]
# ~~~~~~~~~~~~~~~~~~~~~~~~~~~
# The position of each window's first maximum (the masks of the tiled path, the index of
# the portable one) is for backward only; finding it costs about as much as the maxima
# themselves. So the wrapper asks for it only when the op will be recorded (grad mode on
# and the input requires grad); evaluation under no_grad computes the maxima alone.
class MaxPool2d(Function):
    """out = max over each window (padding never wins).

    d x: each window's gradient goes to its first maximal element (PyTorch's tie rule) and
    overlapping windows add up. Saves the winning kernel position per output (integers of
    the output's shape), not the input; on the tiled fast path one bool mask per kernel
    position instead (Note [Tiled max pool]).
    """

    @staticmethod
    def forward(ctx, xp, x, geom, index=True):
        ctx.geom = geom
        if not index:  # nothing will be recorded: Note [Pool index on demand]
            ctx.masks = ctx.arg = None
            return _window_max(xp, x, geom)
        fast = _tiled_max(ctx.backend, x, geom)
        if fast is not None:  # Note [Tiled max pool]
            best, ctx.masks = fast
            ctx.arg = None
            return best
        ctx.masks = None
        best, ctx.arg = _window_argmax(xp, x, geom)
        return best

    @staticmethod
    def backward(ctx, g):
        arg = ctx.arg
        if ctx.masks is not None:
            if not is_grad_enabled():  # a plain backward: Note [Grad mode in backward]
                return RouteByMasks.apply(g, masks=ctx.masks, geom=ctx.geom)
            xp = ctx.backend.xp
            arg = sum(k * xp.astype(m, xp.int64) for k, m in enumerate(ctx.masks))
        return RouteToArgmax.apply(g, arg=arg, geom=ctx.geom)


def _tiled_max(backend: Any, x: Any, geom: ConvGeometry) -> tuple[Any, Any] | None:
    """The backend's (maxima, first-maximum masks) when the windows tile the image and the
    conv impl is "auto", else None (Note [Tiled max pool])."""
    if (
        geom.stride != geom.kernel
        or geom.dilation != (1, 1)
        or geom.padding != ((0, 0), (0, 0))
        or get_conv_impl() != "auto"
    ):
        return None
    hook = getattr(backend, "max_pool_tiles", None)
    return None if hook is None else hook(x, geom.kernel, geom.grid)


class RouteByMasks(Function):
    """max_pool2d's input gradient for tiled windows from the first-maximum masks (Note
    [Tiled max pool]): g where a window's mask is set, 0 elsewhere. What a plain backward
    computes; not differentiable. Saves nothing."""

    differentiable = False

    @staticmethod
    def forward(ctx, xp, g, masks, geom):
        return ctx.backend.max_pool_route(g, masks, geom.kernel, geom.image)


class RouteToArgmax(Function):
    """out = zeros of the input's shape plus, for each kernel position k, g added into k's
    window slice where ``arg == k`` (max_pool2d's input gradient; the slice-accumulate of
    col2im with a mask). Linear in g; its derivative is GatherAtArgmax."""

    @staticmethod
    def forward(ctx, xp, g, arg, geom):
        ctx.arg, ctx.geom = arg, geom
        buf = xp.zeros(g.shape[:2] + geom.padded, dtype=g.dtype, device=g.device)
        for k, (i, j) in enumerate(geom.positions):
            # A multiply by the 0/1 mask rather than ``where``: same values, several times
            # faster in NumPy (see _window_argmax).
            buf[(..., *geom.window(i, j))] += g * xp.astype(arg == k, g.dtype)
        return buf[(..., *geom.interior())]

    @staticmethod
    def backward(ctx, g):
        return GatherAtArgmax.apply(g, arg=ctx.arg, geom=ctx.geom)


class GatherAtArgmax(Function):
    """out[n, c, oh, ow] = y_pad at kernel position arg[n, c, oh, ow] of window (oh, ow):
    the adjoint of RouteToArgmax, so its derivative is RouteToArgmax."""

    @staticmethod
    def forward(ctx, xp, y, arg, geom):
        ctx.arg, ctx.geom = arg, geom
        ypad = pad_image(xp, y, geom)
        out = xp.zeros(arg.shape, dtype=y.dtype, device=y.device)
        for k, (i, j) in enumerate(geom.positions):
            out = xp.where(arg == k, ypad[(..., *geom.window(i, j))], out)
        return out

    @staticmethod
    def backward(ctx, g):
        return RouteToArgmax.apply(g, arg=ctx.arg, geom=ctx.geom)


class MaxPoolIndices(Function):
    """The flat index h * W + w (in the unpadded input) of each window's first maximum, as
    PyTorch's ``return_indices`` gives it. Integer output, no gradient."""

    differentiable = False

    @staticmethod
    def forward(ctx, xp, x, geom):
        _, arg = _window_argmax(xp, x, geom)
        kw = geom.kernel[1]
        (sh, sw), (dh, dw), (oh, ow) = geom.stride, geom.dilation, geom.grid
        (pt, _), (pl, _) = geom.padding
        rows = xp.reshape(xp.arange(oh, dtype=xp.int64, device=x.device) * sh - pt, (oh, 1))
        cols = xp.reshape(xp.arange(ow, dtype=xp.int64, device=x.device) * sw - pl, (1, ow))
        h = rows + (arg // kw) * dh
        w = cols + (arg % kw) * dw
        return h * geom.image[1] + w


def _batched(op: str, x: Any, nd: int = 2) -> tuple[Tensor, bool]:
    """``x`` with a batch dim, and whether it came without one (an nd-D pool's input)."""
    check_tensor(op, "input", x)
    unbatched = check_rank(op, x, nd)
    return (x.unsqueeze(0) if unbatched else x), unbatched


def max_pool2d(
    input: Tensor,  # noqa: A002 - PyTorch's name
    kernel_size: int | Sequence[int],
    stride: int | Sequence[int] | None = None,
    padding: int | Sequence[int] = 0,
    dilation: int | Sequence[int] = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Tensor | tuple[Tensor, Tensor]:
    """Max over each kH x kW window of (N, C, H, W) or (C, H, W), PyTorch's signature.

    ``stride`` defaults to ``kernel_size``; ``padding`` (at most half the kernel) pads with
    -inf; output size per Note [Pool windows]. The gradient goes to the first maximal element
    of each window. ``return_indices=True`` also returns flat indices h * W + w.

    >>> import nanotorch
    >>> x = nanotorch.arange(16.0).reshape(1, 1, 4, 4)
    >>> nanotorch.max_pool2d(x, 2).tolist()
    [[[[5.0, 7.0], [13.0, 15.0]]]]
    """
    op = "max_pool2d"
    x, unbatched = _batched(op, input)
    geom = pool_geometry(op, tuple(x.shape), kernel_size, stride, padding, dilation, ceil_mode)
    index = x.requires_grad and is_grad_enabled()  # Note [Pool index on demand]
    out = MaxPool2d.apply(x, geom=geom, index=index)
    if unbatched:
        out = out.squeeze(0)
    if not return_indices:
        return out
    indices = MaxPoolIndices.apply(x, geom=geom)
    return out, indices.squeeze(0) if unbatched else indices


# ---------------------------------------------------------------------------- average pooling
class WindowSum(Function):
    """out[n, c, oh, ow] = sum of the zero-padded input over window (oh, ow).

    Linear; d x = WindowSpread(g) (each window's gradient added to every pixel it covers).
    Saves nothing but the geometry.
    """

    @staticmethod
    def forward(ctx, xp, x, geom):
        ctx.geom = geom
        xpad = pad_image(xp, x, geom)
        out = None
        for i, j in geom.positions:
            v = xpad[(..., *geom.window(i, j))]
            out = xp.asarray(v, copy=True) if out is None else out + v
        return out

    @staticmethod
    def backward(ctx, g):
        return WindowSpread.apply(g, geom=ctx.geom)


class WindowSpread(Function):
    """out = zeros of the image's shape with g added into every kernel position's window
    slice (col2im of g repeated kH*kW times, without building the repeats). The adjoint of
    WindowSum, so its derivative is WindowSum."""

    @staticmethod
    def forward(ctx, xp, g, geom):
        ctx.geom = geom
        buf = xp.zeros(g.shape[:2] + geom.padded, dtype=g.dtype, device=g.device)
        for i, j in geom.positions:
            buf[(..., *geom.window(i, j))] += g
        return buf[(..., *geom.interior())]

    @staticmethod
    def backward(ctx, g):
        return WindowSum.apply(g, geom=ctx.geom)


class AvgPool2d(Function):
    """out = WindowSum(x) / divisor, with the divisor per output position (Note [Pool
    windows]); d x = WindowSpread(g / divisor). Saves the reciprocal divisor (OH, OW)."""

    @staticmethod
    def forward(ctx, xp, x, geom, count_include_pad, divisor_override):
        ctx.geom = geom
        if divisor_override is not None:
            scale = xp.full(geom.grid, 1.0 / divisor_override, dtype=x.dtype, device=x.device)
        else:
            rows = _window_counts(xp, geom, 0, count_include_pad, x.device)
            cols = _window_counts(xp, geom, 1, count_include_pad, x.device)
            counts = xp.reshape(rows, (-1, 1)) * xp.reshape(cols, (1, -1))
            scale = 1.0 / xp.astype(counts, x.dtype)
        ctx.save_for_backward(scale)
        return WindowSum.forward(ctx, xp, x, geom) * scale

    @staticmethod
    def backward(ctx, g):
        (scale,) = ctx.saved_tensors
        return WindowSpread.apply(g * scale, geom=ctx.geom)


def _window_counts(xp: Any, geom: ConvGeometry, axis: int, include_pad: bool, device: Any) -> Any:
    """How many pixels each window covers along ``axis``: clipped to the padded input with
    ``include_pad``, to the input otherwise (Note [Pool windows]); computed with arange, not
    a loop over output positions."""
    n, k, s = geom.image[axis], geom.kernel[axis], geom.stride[axis]
    p = geom.padding[axis][0]
    start = xp.arange(geom.grid[axis], dtype=xp.int64, device=device) * s - p
    end = xp.clip(start + k, max=n + p)
    if include_pad:
        return end - start
    return xp.clip(end, max=n) - xp.clip(start, min=0)


def avg_pool2d(
    input: Tensor,  # noqa: A002 - PyTorch's name
    kernel_size: int | Sequence[int],
    stride: int | Sequence[int] | None = None,
    padding: int | Sequence[int] = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
) -> Tensor:
    """Mean over each kH x kW window of (N, C, H, W) or (C, H, W), PyTorch's signature.

    ``stride`` defaults to ``kernel_size``; zero padding (at most half the kernel) counts in
    the divisor when ``count_include_pad`` (the default); ``divisor_override`` replaces the
    divisor. Output size and divisors per Note [Pool windows].

    >>> import nanotorch
    >>> x = nanotorch.arange(16.0).reshape(1, 1, 4, 4)
    >>> nanotorch.avg_pool2d(x, 2).tolist()
    [[[[2.5, 4.5], [10.5, 12.5]]]]
    """
    op = "avg_pool2d"
    x, unbatched = _batched(op, input)
    geom = pool_geometry(op, tuple(x.shape), kernel_size, stride, padding, 1, ceil_mode)
    if divisor_override is not None and (
        not isinstance(divisor_override, int)
        or isinstance(divisor_override, bool)
        or divisor_override <= 0
    ):
        raise ValueError(
            f"{op}: divisor_override must be a positive int or None, got {divisor_override!r}"
        )
    out = AvgPool2d.apply(
        x, geom=geom, count_include_pad=bool(count_include_pad), divisor_override=divisor_override
    )
    return out.squeeze(0) if unbatched else out


# ---------------------------------------------------------------------------- adaptive pooling
def _adaptive_matrix(n_out: int, n_in: int, like: Tensor) -> Tensor:
    """(n_out, n_in) averaging matrix: row i is 1/len over bin [floor(i*n/out),
    ceil((i+1)*n/out)), PyTorch's adaptive bins (they may overlap when n_in % n_out != 0)."""
    from nanotorch.creation import arange

    i = arange(n_out, device=like.device).reshape(-1, 1)
    start = (i * n_in) // n_out
    end = ((i + 1) * n_in + n_out - 1) // n_out
    h = arange(n_in, device=like.device).reshape(1, -1)
    inside = ((h >= start) & (h < end)).to(like.dtype)
    return inside / (end - start).to(like.dtype)


def check_output_size(op: str, output_size: Any) -> tuple[int | None, int | None]:
    """An adaptive pool's target size as a pair (None keeps that input size)."""
    if isinstance(output_size, (tuple, list)) and len(output_size) == 2:
        size = tuple(output_size)
    else:
        size = (output_size, output_size)
    if not all(
        s is None or (isinstance(s, int) and not isinstance(s, bool) and s > 0) for s in size
    ):
        raise ValueError(
            f"{op}: output_size must be a positive int or a pair of positive ints or None, "
            f"got {output_size!r}"
        )
    return size  # type: ignore[return-value]


def adaptive_avg_pool2d(
    input: Tensor,  # noqa: A002 - PyTorch's name
    output_size: int | None | Sequence[int | None],
) -> Tensor:
    """Average over PyTorch's adaptive bins so the output is ``output_size`` (an int, or a
    pair where None keeps that input size) for any input size.

    Bins along each axis vary in length, so this is two matmuls with constant averaging
    matrices, P_h @ x @ P_w^T, rather than a sliding window; the gradient follows from
    matmul's. Composite of differentiable ops, so no Function of its own.

    >>> import nanotorch
    >>> nanotorch.adaptive_avg_pool2d(nanotorch.ones(2, 3, 7, 5), (3, 2)).shape
    (2, 3, 3, 2)
    """
    op = "adaptive_avg_pool2d"
    x, unbatched = _batched(op, input)
    h, w = x.shape[-2:]
    size = check_output_size(op, output_size)
    if h == 0 or w == 0:
        raise ShapeError(f"{op}: input of shape {tuple(input.shape)} has an empty spatial dim")
    oh = h if size[0] is None else size[0]
    ow = w if size[1] is None else size[1]
    out = x
    if oh != h:
        out = matmul(_adaptive_matrix(oh, h, x), out)
    if ow != w:
        out = matmul(out, _adaptive_matrix(ow, w, x).mT)
    return out.squeeze(0) if unbatched else out
