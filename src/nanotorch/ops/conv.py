"""Convolutions: ``conv1d``, ``conv2d`` and ``conv_transpose2d``, built from im2col + matmul.

Everything here is written against the array API standard (``xp``): strided slices, ``stack``,
``reshape``, ``matmul`` and an in-place add on slices of a fresh buffer. Like every engine
module it imports no array library; a backend may offer a faster im2col/col2im through a hook
(Note [Conv fast path]), but the portable path is always there and always tested.

Note [im2col by kernel position]
~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
A convolution multiplies every kH x kW window of the padded input by the kernel. im2col lays
the windows out as columns so that one matmul does them all. The standard has no sliding
window view, but it has strided slices, and for kernel position (i, j) the pixels that this
position sees in *every* window form one strided slice of the padded input:

    x_pad[:, :, i*dH : i*dH + sH*(OH-1) + 1 : sH,  j*dW : j*dW + sW*(OW-1) + 1 : sW]

of shape (N, C, OH, OW). Stacking the kH*kW slices gives the columns (N, C, kH*kW, OH, OW).
The Python loop runs over kernel positions only (9 for a 3x3 kernel), never over pixels or
batch elements: each slice is one vectorised copy, however large the image.

col2im, the adjoint of im2col, runs the same loop the other way: kernel position (i, j)'s
columns are added into the same slice of a zero, padded buffer (overlapping windows
accumulate), and the padding is cropped off. It is im2col's backward and the heart of the
transposed convolution.

Note [Conv backward by adjoints]
~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
conv2d and conv_transpose2d are adjoint in their input: for a fixed weight,
<conv2d(x, w), y> = <x, conv_transpose2d(y, w)>. So the input gradient of each is the other
op applied to grad_out with the same weight tensor, and the weight gradient of both is the
batch sum of (small side) @ im2col(big side)^T, where the "big side" is the image (conv2d's
input, conv_transpose2d's output) and the "small side" the grid of window positions. Because
the pieces (Conv2d, ConvTranspose2d, Im2Col, Col2Im, matmul, sum) are all Functions with
backward passes of their own, every backward here is differentiable again: double backward
(gradient penalties, Hessian-vector products) works without extra code.

Note [Conv fast path]
~~~~~~~~~~~~~~~~~~~~~
A backend may answer the ``im2col`` hook (``ArrayBackend.im2col`` in nanotorch/backend/base.py)
with the columns, or with None for "no fast path here" (the base class's answer). The cpu
backend answers with one strided window view of NumPy (``as_strided``) and one copy instead
of kH*kW slices and a stack. ``set_conv_impl("portable")`` bypasses the hook, so the portable
code can be run, tested and benchmarked on any backend; the default ``"auto"`` uses the hook
when it answers. Both give the same columns in the same layout, and the tests check that
results and gradients are identical. The ``im2col`` hook serves Im2Col, whose output the
graph may keep; the columns an op consumes itself come from ``conv_columns`` (Note [Conv
columns from the pool]), and so does col2im on those columns. Which matmul formulation the
ops use (im2col + one batched matmul, for every shape measured) is discussed in
discovery/convolution.md, "Choosing a formulation".

Note [Conv columns from the pool]
~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
Most of a convolution's memory traffic is in arrays that die inside one op: the padded
image and the columns in Conv2d.forward and in the weight gradient, and the kernel-weighted
columns (W^T @ g) that col2im scatters in ConvTranspose2d.forward (conv2d's input gradient).
With glibc's default thresholds a freed array of a megabyte or more goes back to the
operating system, so a training loop would fault every one of its pages in again, every
step; on the development machine that cost more than the arithmetic (discovery/
performance.md, "Convolution and pooling II (W4)"). So under ``"auto"`` the ops ask the
backend's ``conv_columns`` hook and its ``matmul``, and the cpu backend writes them into
arrays from its buffer pool (Note [Buffer pool] in nanotorch/backend/pool.py), the one
mechanism by which the cpu keeps memory between steps: an array is handed out again only
once nothing refers to it, so results the graph or the user keep (the conv's output, its
input gradient) are pooled as safely as the columns, threads never share one, and
``nanotorch.backend.empty_cache()`` gives the idle ones back.

The forward's columns are what the weight gradient needs again. Saving them would hold
kH*kW times the input per layer until backward, so forward saves x and w only, and claims
its columns instead (Note [Claims on idle buffers]): a plain backward takes them back,
contents intact, if the pool did not hand their buffer to anyone in between, and rebuilds
them from x otherwise. That is why Conv2d.backward computes dW before dX: dX's W^T g may
take the very buffer. A plain backward (nothing recorded, Note [Grad mode in backward])
computes dW as one non-differentiable op, ``ConvWeightGrad``; under ``create_graph`` it
stays the composite of Im2Col and matmul, so double backward works. The bias is added in
place into the matmul result (conv + bias in one pass).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from nanotorch.autograd.function import Function
from nanotorch.autograd.grad_mode import is_grad_enabled
from nanotorch.errors import InvalidArgumentError, ShapeError
from nanotorch.ops.matmul import matmul
from nanotorch.tensor import Tensor

# What this family exports; nanotorch.<name> and the op-spec tests derive from it
# (Note [Op registry] in ops/__init__.py).
OPS = ("conv1d", "conv2d", "conv_transpose2d")


# ---------------------------------------------------------------------------- impl switch
_IMPLS = ("auto", "portable")
_conv_impl: ContextVar[str] = ContextVar("nanotorch_conv_impl", default="auto")


def get_conv_impl() -> str:
    """The im2col/col2im path in use: ``"auto"`` (a backend hook when one exists) or
    ``"portable"`` (standard operations only). See Note [Conv fast path]."""
    return _conv_impl.get()


@contextlib.contextmanager
def _conv_impl_scope(impl: str) -> Iterator[None]:
    token = _conv_impl.set(impl)
    try:
        yield
    finally:
        _conv_impl.reset(token)


def set_conv_impl(impl: str) -> contextlib.AbstractContextManager[None]:
    """Context manager choosing how convolutions and pools build their windows.

    ``"portable"`` uses standard operations only; ``"auto"`` (the default) lets the backend
    answer with a fast path (Note [Conv fast path]). Backed by a ``ContextVar``, so it is
    scoped to the ``with`` block (and to the thread or task).

    >>> import nanotorch
    >>> from nanotorch.ops.conv import get_conv_impl, set_conv_impl
    >>> with set_conv_impl("portable"):
    ...     get_conv_impl()
    'portable'
    >>> get_conv_impl()
    'auto'
    """
    if impl not in _IMPLS:
        raise ValueError(
            f"set_conv_impl: unknown impl {impl!r}; choose 'auto' (backend fast path when "
            "available) or 'portable' (standard operations only)"
        )
    return _conv_impl_scope(impl)


# ---------------------------------------------------------------------------- geometry
Pads = tuple[tuple[int, int], tuple[int, int]]


@dataclass(frozen=True)
class ConvGeometry:
    """How a kernel slides over a 2-D image.

    ``image`` is the spatial size of the big side (conv2d's input, conv_transpose2d's
    output), ``grid`` that of the small side (one entry per window position). ``padding``
    holds (before, after) per dim, so "same" padding can be asymmetric. The grid is stored,
    not derived, because conv_transpose2d's output_padding makes more than one image size
    map to the same grid.
    """

    kernel: tuple[int, int]
    stride: tuple[int, int]
    padding: Pads
    dilation: tuple[int, int]
    image: tuple[int, int]
    grid: tuple[int, int]

    @property
    def positions(self) -> list[tuple[int, int]]:
        """Kernel positions (i, j) in row-major order: the order of im2col's columns."""
        return [(i, j) for i in range(self.kernel[0]) for j in range(self.kernel[1])]

    def window(self, i: int, j: int) -> tuple[slice, slice]:
        """The strided slice of the padded image that kernel position (i, j) reads in every
        window (Note [im2col by kernel position])."""
        (sh, sw), (dh, dw), (oh, ow) = self.stride, self.dilation, self.grid
        return (
            slice(i * dh, i * dh + sh * (oh - 1) + 1, sh),
            slice(j * dw, j * dw + sw * (ow - 1) + 1, sw),
        )

    @property
    def padded(self) -> tuple[int, int]:
        (pt, pb), (pl, pr) = self.padding
        return (self.image[0] + pt + pb, self.image[1] + pl + pr)

    def interior(self) -> tuple[slice, slice]:
        """Where the unpadded image sits inside the padded one."""
        (pt, _), (pl, _) = self.padding
        return slice(pt, pt + self.image[0]), slice(pl, pl + self.image[1])


# ---------------------------------------------------------------------------- array kernels
def pad_image(xp: Any, x: Any, geom: ConvGeometry, fill: float = 0.0) -> Any:
    """``x`` (..., H, W) inside a buffer of the padded size filled with ``fill``."""
    if geom.padded == tuple(x.shape[-2:]):
        return x
    buf = xp.full(x.shape[:-2] + geom.padded, fill, dtype=x.dtype, device=x.device)
    buf[(..., *geom.interior())] = x
    return buf


def im2col_array(backend: Any, xp: Any, x: Any, geom: ConvGeometry) -> Any:
    """Columns (N, C, kH*kW, OH, OW) of ``x`` (N, C, H, W), zero padded; Note [im2col by
    kernel position], and Note [Conv fast path] for the backend hook."""
    xpad = pad_image(xp, x, geom)
    hook = getattr(backend, "im2col", None)
    if hook is not None and _conv_impl.get() == "auto":
        fast = hook(xpad, geom.kernel, geom.stride, geom.dilation, geom.grid)
        if fast is not None:
            return fast
    return xp.stack([xpad[(..., *geom.window(i, j))] for i, j in geom.positions], axis=2)


def _clipped(i: int, k: int, s: int, d: int, pad: int, size: int, grid: int) -> tuple[slice, slice]:
    """Along one axis, the (image, grid) slices where kernel position ``i`` lands inside the
    unpadded image: grid cell g reads image pixel g*s + i*d - pad, kept where 0 <= it < size.
    ``k`` is unused; it keeps the call sites symmetric."""
    offset = i * d - pad
    lo = 0 if offset >= 0 else (-offset + s - 1) // s
    hi = min(grid, (size - 1 - offset) // s + 1) if size - 1 - offset >= 0 else 0
    if hi <= lo:
        return slice(0, 0), slice(0, 0)
    start = lo * s + offset
    return slice(start, start + s * (hi - lo - 1) + 1, s), slice(lo, hi)


def col2im_array(xp: Any, cols: Any, geom: ConvGeometry) -> Any:
    """The adjoint of ``im2col_array``: (N, C, kH*kW, OH, OW) -> (N, C, H, W), adding each
    kernel position's columns into its window slice of the image.

    The slices are clipped to the unpadded image rather than added into a padded buffer and
    cropped: the same sums in the same order, without the larger buffer, and the result is
    contiguous (a cropped view is not, which slows every op that reads the gradient)."""
    out = xp.zeros(cols.shape[:2] + geom.image, dtype=cols.dtype, device=cols.device)
    (kh, kw), (sh, sw), (dh, dw) = geom.kernel, geom.stride, geom.dilation
    (pt, _), (pl, _) = geom.padding
    for k, (i, j) in enumerate(geom.positions):
        rows, grid_rows = _clipped(i, kh, sh, dh, pt, geom.image[0], geom.grid[0])
        cols_, grid_cols = _clipped(j, kw, sw, dw, pl, geom.image[1], geom.grid[1])
        if rows.stop == rows.start or cols_.stop == cols_.start:
            continue  # this kernel position only ever sees padding
        out[:, :, rows, cols_] += cols[:, :, k, grid_rows, grid_cols]
    return out


def _columns(backend: Any, xp: Any, x: Any, geom: ConvGeometry) -> Any:
    """im2col of ``x`` for use inside one op: the backend's (pooled) columns under "auto"
    (Note [Conv columns from the pool]), else the portable ones."""
    if _conv_impl.get() == "auto":
        hook = getattr(backend, "conv_columns", None)
        if hook is not None:
            cols = hook(x, geom.padding, geom.kernel, geom.stride, geom.dilation, geom.grid)
            if cols is not None:
                return cols
    return im2col_array(backend, xp, x, geom)


def _owned_col2im(backend: Any, cols: Any, geom: ConvGeometry) -> Any:
    """The backend's col2im of ``cols``, which the caller gives up (the backend may
    overwrite them), under "auto", or None (Note [Conv columns from the pool])."""
    if _conv_impl.get() != "auto":
        return None
    hook = getattr(backend, "conv_col2im", None)
    if hook is None:
        return None
    return hook(cols, geom.padding, geom.kernel, geom.stride, geom.dilation, geom.image)


def _matmul(backend: Any, xp: Any, a: Any, b: Any) -> Any:
    """``a @ b`` through the backend's matmul (pooled on cpu) under "auto", else
    ``xp.matmul`` (Note [Conv columns from the pool])."""
    if _conv_impl.get() == "auto":
        return backend.matmul(a, b)
    return xp.matmul(a, b)


# ---------------------------------------------------------------------------- Functions
class Im2Col(Function):
    """cols[n, c, (i, j), oh, ow] = x_pad[n, c, oh*sH + i*dH, ow*sW + j*dW].

    Linear in x, so the derivative is its adjoint: dx = col2im(g). Saves nothing but the
    geometry.
    """

    @staticmethod
    def forward(ctx, xp, x, geom):
        ctx.geom = geom
        return im2col_array(ctx.backend, xp, x, geom)

    @staticmethod
    def backward(ctx, g):
        return Col2Im.apply(g, geom=ctx.geom)


class Col2Im(Function):
    """x[n, c, h, w] = sum of cols[n, c, (i, j), oh, ow] over every (i, j, oh, ow) whose
    window pixel lands on (h, w) (padding cropped).

    Linear, and the adjoint of Im2Col, so d_cols = im2col(g). Saves nothing but the geometry.
    """

    @staticmethod
    def forward(ctx, xp, cols, geom):
        ctx.geom = geom
        return col2im_array(xp, cols, geom)

    @staticmethod
    def backward(ctx, g):
        return Im2Col.apply(g, geom=ctx.geom)


def _weight_grad(
    small: Tensor,
    big: Tensor,
    geom: ConvGeometry,
    groups: int,
    w_shape: tuple[int, ...],
    claim: Any = None,
) -> Tensor:
    """sum over n of small[n, g] @ im2col(big)[n, g]^T, per group (Note [Conv backward by
    adjoints]): conv2d's dL/dw with small = grad_out, big = x; conv_transpose2d's with
    small = x, big = grad_out. Built from Functions, so it is differentiable again.
    ``claim``: the forward's claim on im2col(big), if it made one."""
    if not is_grad_enabled():  # a plain backward: Note [Conv columns from the pool]
        return ConvWeightGrad.apply(
            small, big, geom=geom, groups=groups, w_shape=w_shape, claim=claim
        )
    n, c_big = big.shape[:2]
    c_small = small.shape[1]
    k = geom.kernel[0] * geom.kernel[1]
    cells = geom.grid[0] * geom.grid[1]
    cols = Im2Col.apply(big, geom=geom).reshape(n, groups, c_big // groups * k, cells)
    rows = small.reshape(n, groups, c_small // groups, cells)
    return matmul(rows, cols.mT).sum(0).reshape(w_shape)


class ConvWeightGrad(Function):
    """dw = sum over n of small[n, g] @ im2col(big)[n, g]^T per group, as one op on columns
    that die inside it (pooled under "auto", Note [Conv columns from the pool]): what
    ``_weight_grad`` computes when no graph is recorded. The columns are the forward's when
    its ``claim`` still holds, else built again from ``big``. Not differentiable. Saves
    nothing."""

    differentiable = False

    @staticmethod
    def forward(ctx, xp, small, big, geom, groups, w_shape, claim=None):
        n, c_big = big.shape[:2]
        c_small = small.shape[1]
        k = geom.kernel[0] * geom.kernel[1]
        cells = geom.grid[0] * geom.grid[1]
        cols = None if claim is None else ctx.backend.recall(claim)
        if cols is None:
            cols = _columns(ctx.backend, xp, big, geom)
        cols = xp.reshape(cols, (n, groups, c_big // groups * k, cells))
        rows = xp.reshape(small, (n, groups, c_small // groups, cells))
        per_sample = _matmul(ctx.backend, xp, rows, xp.permute_dims(cols, (0, 1, 3, 2)))
        return xp.reshape(xp.sum(per_sample, axis=0), w_shape)


def _bias_grad(g: Tensor) -> Tensor:
    # The batch first, then the pixels: NumPy adds whole contiguous images in the first sum
    # and reduces contiguous rows in the second, where one reduction over (0, 2, 3) walks
    # strided (about 1.7-2.5x slower on W4's layers, discovery/performance.md).
    return g.sum(0).sum((1, 2))


class Conv2d(Function):
    """out[n, o] = b[o] + sum_{c in o's group, i, j} w[o, c, i, j] x_pad[n, c, oh*s + i*d, ...]

    Computed as W (G, O/G, C/G*kH*kW) @ im2col(x) (N, G, C/G*kH*kW, OH*OW)
    (Note [im2col by kernel position]). Derivatives (Note [Conv backward by adjoints]):
    dx = conv_transpose2d(g, w), dw = sum_n g @ im2col(x)^T, db = g summed over (N, H, W).
    Saves x and w, not the columns (kH*kW times the input's size): it claims them, and a
    plain backward reuses them if the pool kept them untouched, else builds them again
    (Note [Conv columns from the pool]).
    """

    @staticmethod
    def forward(ctx, xp, x, w, b, geom, groups):
        ctx.geom, ctx.groups, ctx.has_bias = geom, groups, b is not None
        ctx.save_for_backward(x, w)
        n, c = x.shape[:2]
        o = w.shape[0]
        k = geom.kernel[0] * geom.kernel[1]
        cells = geom.grid[0] * geom.grid[1]
        cols = _columns(ctx.backend, xp, x, geom)
        ctx.cols_claim = ctx.backend.claim(cols) if _conv_impl.get() == "auto" else None
        cols = xp.reshape(cols, (n, groups, c // groups * k, cells))
        wm = xp.reshape(w, (groups, o // groups, c // groups * k))
        out = xp.reshape(_matmul(ctx.backend, xp, wm, cols), (n, o) + geom.grid)
        if b is not None:
            out += xp.reshape(b, (1, o, 1, 1))  # in place: ``out`` is fresh and ours
        return out

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        needs = ctx.needs_input_grad
        # dW first: dX's W^T g may take the buffer that holds the forward's columns.
        claim, ctx.cols_claim = ctx.cols_claim, None  # good for one use
        gw = _weight_grad(g, x, ctx.geom, ctx.groups, w.shape, claim) if needs[1] else None
        gx = None
        if needs[0]:
            geom, groups = ctx.geom, ctx.groups
            if not is_grad_enabled() and _input_grad_as_conv(geom, x.shape[1], w.shape[0]):
                gx = ConvInputGradAsConv.apply(g, w, geom=geom, groups=groups)
            else:
                gx = ConvTranspose2d.apply(g, w, None, geom=geom, groups=groups)
        gb = _bias_grad(g) if ctx.has_bias and needs[2] else None
        return gx, gw, gb


# Note [Choosing a conv formulation]
# ~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
# conv2d's input gradient has two formulations with the same matmul work, N*C*O*kH*kW*H*W
# multiply-adds: W^T g into columns (N, C*kH*kW, H*W) and col2im (kH*kW read-add-writes of
# an (N, C, H, W) image), or, for stride 1, the "full" correlation of g with the flipped
# kernel: im2col(g) (N, O*kH*kW, H*W, kH*kW plain copies of g) and one matmul whose result is
# the gradient itself. The second wins when the copies are not larger than the adds, that is
# when O <= C (benchmarks/conv_bench.py --formulations; the table and the rule are in
# discovery/convolution.md, "Choosing a formulation"). The forward and the weight gradient
# keep im2col + one batched matmul on every shape measured. Only a plain backward chooses;
# under create_graph the input gradient stays ConvTranspose2d, whose own backward is known.
def _input_grad_as_conv(geom: ConvGeometry, c_in: int, c_out: int) -> bool:
    """Whether conv2d's input gradient is computed as a full correlation of g (Note
    [Choosing a conv formulation]): stride 1, padding within the kernel's span, O <= C,
    and the fast paths switched on."""
    if geom.stride != (1, 1) or c_out > c_in or _conv_impl.get() != "auto":
        return False
    spans = [d * (k - 1) for k, d in zip(geom.kernel, geom.dilation)]
    return all(lo <= sp and hi <= sp for (lo, hi), sp in zip(geom.padding, spans))


class ConvInputGradAsConv(Function):
    """conv2d's input gradient for stride 1 as a correlation of g with the flipped kernel:
    dx[n, c] = sum_{o, i, j} w[o, c, kH-1-i, kW-1-j] g_pad[n, o, h + i*dH, w + j*dW], where g
    is padded by span - 1 - padding on each side (Note [Choosing a conv formulation]). What a
    plain backward computes when O <= C; not differentiable. Saves nothing."""

    differentiable = False

    @staticmethod
    def forward(ctx, xp, g, w, geom, groups):
        n, c_out = g.shape[:2]
        c_in = w.shape[1] * groups
        (kh, kw), (dh, dw) = geom.kernel, geom.dilation
        (pt, pb), (pl, pr) = geom.padding
        sh, sw = dh * (kh - 1), dw * (kw - 1)
        full = ConvGeometry(
            geom.kernel, (1, 1), ((sh - pt, sh - pb), (sw - pl, sw - pr)), geom.dilation,
            geom.grid, geom.image,
        )  # fmt: skip
        k = kh * kw
        cells = geom.image[0] * geom.image[1]  # explicit: a -1 cannot be inferred when n == 0
        cols = xp.reshape(
            _columns(ctx.backend, xp, g, full), (n, groups, c_out // groups * k, cells)
        )
        # w (O, C/G, kH, kW) -> per group (C/G, O/G * kH * kW), kernel flipped
        wf = xp.flip(xp.reshape(w, (groups, c_out // groups, c_in // groups, kh, kw)), axis=(3, 4))
        wf = xp.reshape(
            xp.permute_dims(wf, (0, 2, 1, 3, 4)), (groups, c_in // groups, c_out // groups * k)
        )
        return xp.reshape(_matmul(ctx.backend, xp, wf, cols), (n, c_in) + geom.image)


class ConvTranspose2d(Function):
    """out = b + col2im(W^T x): every input pixel scatters its kernel-weighted values into the
    output window it would have come from in conv2d (weight layout (C_in, C_out/G, kH, kW)).

    Derivatives (Note [Conv backward by adjoints]): dx = conv2d(g, w), dw = sum_n x @
    im2col(g)^T, db = g summed over (N, H, W). Saves x and w.
    """

    @staticmethod
    def forward(ctx, xp, x, w, b, geom, groups):
        ctx.geom, ctx.groups, ctx.has_bias = geom, groups, b is not None
        ctx.save_for_backward(x, w)
        n, c_in = x.shape[:2]
        c_out = w.shape[1] * groups
        k = geom.kernel[0] * geom.kernel[1]
        cells = geom.grid[0] * geom.grid[1]
        xm = xp.reshape(x, (n, groups, c_in // groups, cells))
        wm = xp.reshape(w, (groups, c_in // groups, c_out // groups * k))
        cols = _matmul(ctx.backend, xp, xp.permute_dims(wm, (0, 2, 1)), xm)
        cols = xp.reshape(cols, (n, c_out, k) + geom.grid)
        out = _owned_col2im(ctx.backend, cols, geom)
        if out is None:
            out = col2im_array(xp, cols, geom)
        if b is not None:
            out += xp.reshape(b, (1, c_out, 1, 1))  # in place: ``out`` is fresh and ours
        return out

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        needs = ctx.needs_input_grad
        gx = Conv2d.apply(g, w, None, geom=ctx.geom, groups=ctx.groups) if needs[0] else None
        gw = _weight_grad(x, g, ctx.geom, ctx.groups, w.shape) if needs[1] else None
        gb = _bias_grad(g) if ctx.has_bias and needs[2] else None
        return gx, gw, gb


# ---------------------------------------------------------------------------- validation
def ntuple(op: str, name: str, value: Any, n: int, where: str = "") -> tuple[int, ...]:
    """An int or a length-n sequence of ints as an n-tuple (PyTorch's _pair). ``where``
    (e.g. " (input shape (1, 3, 8, 8))") is appended to error messages."""
    if isinstance(value, int) and not isinstance(value, bool):
        return (value,) * n
    if (
        isinstance(value, (tuple, list))
        and len(value) == n
        and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
    ):
        return tuple(value)
    what = "a pair" if n == 2 else f"a sequence of {n}"
    raise ValueError(f"{op}: {name} must be an int or {what} of ints, got {value!r}{where}")


def positive(op: str, name: str, value: Any, n: int, where: str = "") -> tuple[int, ...]:
    t = ntuple(op, name, value, n, where)
    if any(v <= 0 for v in t):
        # Both classes: PyTorch's pools raise RuntimeError here, its layers ValueError.
        raise InvalidArgumentError(f"{op}: {name} must be positive, got {value!r}{where}")
    return t


def non_negative(op: str, name: str, value: Any, n: int, where: str = "") -> tuple[int, ...]:
    t = ntuple(op, name, value, n, where)
    if any(v < 0 for v in t):
        raise ValueError(f"{op}: {name} must be non-negative, got {value!r}{where}")
    return t


def check_tensor(op: str, name: str, x: Any) -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: {name} must be a Tensor, got {type(x).__name__}")


# The spatial dims of an nd-D convolution or pool, as error messages name them.
_SPATIAL = {1: "L", 2: "H, W", 3: "D, H, W"}
_KERNEL = {1: "k", 2: "kH, kW", 3: "kD, kH, kW"}


def check_rank(op: str, x: Tensor, nd: int) -> bool:
    """True when ``x`` is unbatched (C, *spatial); ShapeError unless its rank fits."""
    spatial = _SPATIAL[nd]
    if x.ndim not in (nd + 1, nd + 2):
        raise ShapeError(
            f"{op}: input must be {nd + 1}-D (C, {spatial}) or {nd + 2}-D (N, C, {spatial}), "
            f"got shape {tuple(x.shape)}"
        )
    return x.ndim == nd + 1


def lift_2d(t: tuple[int, ...]) -> tuple[int, int]:
    """A 1-D hyperparameter as its 2-D form over an image of height 1."""
    return (1, t[0]) if len(t) == 1 else (t[0], t[1])


def check_groups(op: str, groups: Any) -> int:
    if not isinstance(groups, int) or isinstance(groups, bool) or groups < 1:
        raise ValueError(f"{op}: groups must be a positive int, got {groups!r}")
    return groups


def check_output_padding(
    op: str,
    output_padding: Any,
    stride: tuple[int, ...],
    dilation: tuple[int, ...],
    where: str = "",
) -> tuple[int, ...]:
    """A transposed convolution's output_padding: non-negative and, per dim, smaller than the
    stride or the dilation (PyTorch's rule; larger values would pick no extra input size)."""
    op_ = non_negative(op, "output_padding", output_padding, len(stride), where)
    if any(o >= s and o >= d for o, s, d in zip(op_, stride, dilation, strict=True)):
        raise ValueError(
            f"{op}: output_padding {op_} must be smaller than stride {stride} or dilation "
            f"{dilation} (per dim)"
        )
    return op_


def check_weight_and_bias(
    op: str, x: Tensor, weight: Tensor, bias: Tensor | None, nd: int, transposed: bool
) -> None:
    """The weight's rank for an nd-D convolution and, when given, the bias's shape."""
    check_tensor(op, "weight", weight)
    kernel = _KERNEL[nd]
    layout = (
        f"(in_channels, out_channels / groups, {kernel})"
        if transposed
        else f"(out_channels, in_channels / groups, {kernel})"
    )
    if weight.ndim != nd + 2:
        raise ShapeError(
            f"{op}: weight must be {nd + 2}-D {layout}, got shape {tuple(weight.shape)}"
        )
    if bias is not None:
        check_tensor(op, "bias", bias)
        c_out = weight.shape[0] if not transposed else None
        if c_out is not None and tuple(bias.shape) != (c_out,):
            raise ShapeError(
                f"{op}: bias of shape {tuple(bias.shape)} does not match the {c_out} output "
                f"channels of weight shape {tuple(weight.shape)}; pass a bias of shape "
                f"({c_out},)"
            )


def _conv_inputs(
    op: str,
    input: Tensor,  # noqa: A002 - PyTorch's name
    weight: Tensor,
    bias: Tensor | None,
    groups: Any,
    nd: int,
    transposed: bool,
) -> tuple[Tensor, bool, int]:
    """The checks every convolution starts with; returns the input with a batch dim, whether
    it came without one, and the checked ``groups``."""
    check_tensor(op, "input", input)
    unbatched = check_rank(op, input, nd)
    check_weight_and_bias(op, input, weight, bias, nd, transposed=transposed)
    groups = check_groups(op, groups)
    return (input.unsqueeze(0) if unbatched else input), unbatched, groups


def conv_padding(
    op: str,
    padding: Any,
    kernel: Sequence[int],
    stride: tuple[int, ...],
    dilation: tuple[int, ...],
    where: str = "",
) -> tuple[tuple[int, int], ...]:
    """(before, after) padding per spatial dim from an int, a tuple, "valid" or "same"."""
    nd = len(kernel)
    if not isinstance(padding, str):
        return tuple((p, p) for p in non_negative(op, "padding", padding, nd, where))
    if padding == "valid":
        return tuple((0, 0) for _ in range(nd))
    if padding != "same":
        raise ValueError(
            f"{op}: padding={padding!r} is not supported; use an int, a "
            f"{'pair' if nd == 2 else '1-tuple'} of ints, 'same' or 'valid'"
        )
    if any(v != 1 for v in stride):
        raise InvalidArgumentError(  # a RuntimeError too, as PyTorch raises
            f"{op}: padding='same' needs stride 1, got stride {tuple(stride)}{where}; pass "
            "an explicit padding to downsample"
        )
    # PyTorch's choice: the odd pixel of an even total goes after (bottom / right).
    totals = [dd * (k - 1) for k, dd in zip(kernel, dilation)]
    return tuple((t // 2, t - t // 2) for t in totals)


def conv_geometry(
    op: str,
    x_shape: tuple[int, ...],
    kernel: tuple[int, ...],
    stride: Any,
    padding: Any,
    dilation: Any,
    nd: int,
) -> ConvGeometry:
    """Check a convolution's hyperparameters against its (batched) input shape and return its
    2-D geometry; errors name ``op``, the shapes and the fix."""
    where = f" (input shape {x_shape})"
    s = positive(op, "stride", stride, nd, where)
    d = positive(op, "dilation", dilation, nd, where)
    pads = conv_padding(op, padding, kernel, s, d, where)
    spatial = tuple(x_shape[2:])
    padded = tuple(n + lo + hi for n, (lo, hi) in zip(spatial, pads))
    span = tuple(dd * (k - 1) + 1 for k, dd in zip(kernel, d))
    if any(sp > p for sp, p in zip(span, padded)):
        spans = f" with dilation {d} spans {span}," if any(v != 1 for v in d) else ""
        raise ShapeError(
            f"{op}: kernel {tuple(kernel)}{spans} is larger than the padded input {padded} "
            f"(input shape {x_shape}, padding {padding!r}); use a smaller kernel or "
            "dilation, or pad more"
        )
    grid = tuple((p - sp) // st + 1 for p, sp, st in zip(padded, span, s))
    if nd == 1:
        return ConvGeometry(
            (1, kernel[0]), (1, s[0]), ((0, 0), pads[0]), (1, d[0]), (1, spatial[0]), (1, grid[0])
        )
    return ConvGeometry(tuple(kernel), s, pads, d, spatial, grid)  # type: ignore[arg-type]


def _conv_nd(
    op: str,
    nd: int,
    input: Tensor,  # noqa: A002 - PyTorch's name
    weight: Tensor,
    bias: Tensor | None,
    stride: Any,
    padding: Any,
    dilation: Any,
    groups: Any,
) -> Tensor:
    x, unbatched, groups = _conv_inputs(op, input, weight, bias, groups, nd, transposed=False)
    shown = tuple(input.shape)
    c_in, c_out = x.shape[1], weight.shape[0]
    if c_in % groups:
        raise ValueError(
            f"{op}: groups={groups} does not divide the {c_in} input channels of input shape "
            f"{shown}; choose groups dividing both channel counts"
        )
    if c_out % groups:
        raise ValueError(
            f"{op}: groups={groups} does not divide the {c_out} output channels of weight "
            f"shape {tuple(weight.shape)}; choose groups dividing both channel counts"
        )
    if weight.shape[1] * groups != c_in:
        raise ShapeError(
            f"{op}: input has {c_in} channels (input shape {shown}) but weight of shape "
            f"{tuple(weight.shape)} expects {weight.shape[1]} * groups = "
            f"{weight.shape[1] * groups}; check in_channels (and that the input is "
            "channels-first, N C H W)"
        )
    geom = conv_geometry(op, tuple(x.shape), tuple(weight.shape[2:]), stride, padding, dilation, nd)
    if nd == 1:
        x = x.unsqueeze(2)
        weight = weight.unsqueeze(2)
    out = Conv2d.apply(x, weight, bias, geom=geom, groups=groups)
    if nd == 1:
        out = out.squeeze(2)
    return out.squeeze(0) if unbatched else out


# ---------------------------------------------------------------------------- public ops
def conv2d(
    input: Tensor,  # noqa: A002 - PyTorch's name
    weight: Tensor,
    bias: Tensor | None = None,
    stride: int | Sequence[int] = 1,
    padding: int | Sequence[int] | str = 0,
    dilation: int | Sequence[int] = 1,
    groups: int = 1,
) -> Tensor:
    """2-D cross-correlation (what deep learning calls convolution), PyTorch's signature.

    ``input`` (N, C_in, H, W) or unbatched (C_in, H, W); ``weight`` (C_out, C_in/groups, kH,
    kW); ``bias`` (C_out,). ``padding`` is an int, a pair, ``"valid"`` (none) or ``"same"``
    (output size = input size; stride 1 only; an odd total puts the extra pixel after). The
    output size per dim is floor((in + 2*padding - dilation*(k - 1) - 1) / stride) + 1.

    >>> import nanotorch
    >>> x = nanotorch.ones(1, 1, 4, 4)
    >>> nanotorch.conv2d(x, nanotorch.ones(2, 1, 3, 3), padding=1).shape
    (1, 2, 4, 4)
    """
    return _conv_nd("conv2d", 2, input, weight, bias, stride, padding, dilation, groups)


def conv1d(
    input: Tensor,  # noqa: A002 - PyTorch's name
    weight: Tensor,
    bias: Tensor | None = None,
    stride: int | Sequence[int] = 1,
    padding: int | Sequence[int] | str = 0,
    dilation: int | Sequence[int] = 1,
    groups: int = 1,
) -> Tensor:
    """1-D convolution over (N, C_in, L) or (C_in, L) with weight (C_out, C_in/groups, k):
    conv2d over an image of height 1 (same Functions, same gradients).

    >>> import nanotorch
    >>> nanotorch.conv1d(nanotorch.ones(2, 3, 10), nanotorch.ones(4, 3, 3), stride=2).shape
    (2, 4, 4)
    """
    return _conv_nd("conv1d", 1, input, weight, bias, stride, padding, dilation, groups)


def conv_transpose2d(
    input: Tensor,  # noqa: A002 - PyTorch's name
    weight: Tensor,
    bias: Tensor | None = None,
    stride: int | Sequence[int] = 1,
    padding: int | Sequence[int] = 0,
    output_padding: int | Sequence[int] = 0,
    groups: int = 1,
    dilation: int | Sequence[int] = 1,
) -> Tensor:
    """Transposed 2-D convolution (the input-gradient of conv2d), PyTorch's signature.

    ``input`` (N, C_in, H, W) or (C_in, H, W); ``weight`` (C_in, C_out/groups, kH, kW).
    Output size per dim: (in - 1)*stride - 2*padding + dilation*(k - 1) + output_padding + 1;
    ``output_padding`` (smaller than stride or dilation) picks among the input sizes that a
    strided conv2d maps to the same output size.

    >>> import nanotorch
    >>> x = nanotorch.ones(1, 4, 5, 5)
    >>> nanotorch.conv_transpose2d(x, nanotorch.ones(4, 2, 3, 3), stride=2, padding=1,
    ...                            output_padding=1).shape
    (1, 2, 10, 10)
    """
    op = "conv_transpose2d"
    x, unbatched, groups = _conv_inputs(op, input, weight, bias, groups, 2, transposed=True)
    shown = tuple(input.shape)
    c_in = x.shape[1]
    if weight.shape[0] % groups:
        raise ValueError(
            f"{op}: groups={groups} does not divide the {weight.shape[0]} input channels of "
            f"weight shape {tuple(weight.shape)}; choose groups dividing both channel counts"
        )
    if weight.shape[0] != c_in:
        raise ShapeError(
            f"{op}: input has {c_in} channels (input shape {shown}) but weight of shape "
            f"{tuple(weight.shape)} expects {weight.shape[0]} (weight layout: (in_channels, "
            "out_channels / groups, kH, kW))"
        )
    c_out = weight.shape[1] * groups
    if bias is not None and tuple(bias.shape) != (c_out,):
        raise ShapeError(
            f"{op}: bias of shape {tuple(bias.shape)} does not match the {c_out} output "
            f"channels of weight shape {tuple(weight.shape)} with groups={groups}; pass a "
            f"bias of shape ({c_out},)"
        )
    where = f" (input shape {shown})"
    s = positive(op, "stride", stride, 2, where)
    d = positive(op, "dilation", dilation, 2, where)
    if isinstance(padding, str):
        raise ValueError(f"{op}: padding must be an int or a pair of ints, got {padding!r}")
    p = non_negative(op, "padding", padding, 2, where)
    op_ = check_output_padding(op, output_padding, s, d, where)
    kernel = tuple(weight.shape[2:])
    grid = tuple(x.shape[2:])
    image = tuple(
        (g - 1) * ss - 2 * pp + dd * (k - 1) + o + 1
        for g, ss, pp, dd, k, o in zip(grid, s, p, d, kernel, op_)
    )
    if any(v <= 0 for v in image):
        raise ShapeError(
            f"{op}: output size {image} is not positive for input shape {shown}, kernel "
            f"{kernel}, stride {s}, padding {p}, dilation {d}; reduce the padding"
        )
    geom = ConvGeometry(kernel, s, ((p[0], p[0]), (p[1], p[1])), d, image, grid)  # type: ignore[arg-type]
    out = ConvTranspose2d.apply(x, weight, bias, geom=geom, groups=groups)
    return out.squeeze(0) if unbatched else out
