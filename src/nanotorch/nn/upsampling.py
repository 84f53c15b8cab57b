"""Resizing: ``F.interpolate`` and the ``Upsample`` layers (``Upsample``,
``UpsamplingNearest2d``, ``UpsamplingBilinear2d``).

Note [Interpolation as weighted gathers]
~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
Every mode except ``area`` is separable: resizing (N, C, d1, ..., dk) is k one-dim resizes,
one per spatial dim, and a one-dim resize is a few gathers along that dim, each scaled by a
per-position weight:

    out[..., j, ...] = sum_t  w_t[j] * x[..., idx_t[j], ...]

with one tap for ``nearest``/``nearest-exact`` (weight 1), two for ``linear``/``bilinear``/
``trilinear`` (1 - lambda and lambda) and four for ``bicubic`` (Keys' cubic convolution with
A = -0.75, neighbours clamped to the border). The gathers are the indexing family's ``Take``
and the weights are constants, so the backward (a scatter-add of the weighted gradient) comes
from autograd and runs wherever ``Take`` runs, strict devices included. ``area`` is adaptive
average pooling: per dim, a matmul with the bin-averaging matrix.

The source coordinate of output position ``dst`` follows PyTorch's CPU kernels, including
where they round: ``scale`` is (in - 1) / (out - 1) with ``align_corners`` (0 when out == 1),
else 1 / scale_factor when a scale factor reaches the kernel (not recomputed), else in / out;
it and the coordinate are stored in the input's float type (float32 for float32 input), and
floor is taken in float32. Then

    nearest:        src = min(floor(dst * scale), in - 1)
    nearest-exact:  src = min(floor(max(scale * (dst + 0.5) - 0.5, 0) + 0.5), in - 1)
    linear:         src = scale * dst (align_corners) or max(scale * (dst + 0.5) - 0.5, 0)
    bicubic:        the same without the clamp at 0

and a linear dim whose size does not change is copied. The index and weight vectors are
computed on the input's device (``arange`` and elementwise arithmetic), so resizing moves
nothing between host and device. This module imports no array library.
"""

from __future__ import annotations

import math
import operator
import struct
from collections.abc import Sequence
from typing import Any

from nanotorch.nn.module import Module
from nanotorch.ops.indexing import Take
from nanotorch.ops.matmul import matmul
from nanotorch.ops.pool import _adaptive_matrix
from nanotorch.tensor import Tensor

# What this family exports; nanotorch.nn.functional and the op-spec tests derive from it
# (Note [Op registry] in ops/__init__.py).
OPS = ("interpolate", "upsample_nearest", "upsample_bilinear")
ALIASES = {"upsample": "interpolate"}  # PyTorch's older name, same arguments

_MODES = ("nearest", "linear", "bilinear", "bicubic", "trilinear", "area", "nearest-exact")
# The spatial rank each interpolating mode needs (the nearest modes and area take any of 1-3).
_RANK = {"linear": 1, "bilinear": 2, "bicubic": 2, "trilinear": 3}
_A = -0.75  # Keys' cubic convolution parameter, PyTorch's choice without antialias


def _f32(v: float) -> float:
    """``v`` rounded to the nearest float32, as a Python float."""
    return struct.unpack("f", struct.pack("f", v))[0]


def _scale(n: int, m: int, align_corners: bool, s: float | None, f32: bool) -> float:
    """The source step per output step (Note [Interpolation as weighted gathers])."""
    if align_corners:
        v = (n - 1) / (m - 1) if m > 1 else 0.0
    elif m > 1:
        v = 1.0 / s if s is not None else n / m
    else:
        v = 0.0
    return _f32(v) if f32 else v


def _taps(x: Tensor, axis: int, m: int, mode: str, align_corners: bool, s: float | None) -> Any:
    """[(index, weight or None)] for resizing dim ``axis`` of ``x`` to ``m``, as Tensors on
    x's device: index int64 of shape (m,), weight of x's dtype shaped to broadcast along
    ``axis``."""
    backend, n = x._backend, x.shape[axis]
    xp = backend.xp
    f32 = x._data.dtype != xp.float64  # PyTorch's opmath type for float32 (and ints) is float

    with backend.context():
        dev = x._data.device

        def rnd(a: Any) -> Any:  # store in the input's float type
            return xp.astype(xp.astype(a, xp.float32), xp.float64) if f32 else a

        def floorf(a: Any) -> Any:
            return xp.astype(xp.floor(xp.astype(a, xp.float32)), xp.int64)

        scale = _scale(n, m, align_corners and mode != "nearest", s, f32)
        j = xp.arange(m, dtype=xp.float64, device=dev)
        last = xp.asarray(n - 1, dtype=xp.int64, device=dev)
        if mode == "nearest":
            taps = [(xp.minimum(floorf(rnd(j * scale)), last), None)]
        else:
            real = rnd(j * scale) if align_corners else rnd(scale * (j + 0.5) - 0.5)
            if mode != "bicubic":
                real = xp.where(real < 0, xp.zeros_like(real), real)
            if mode == "nearest-exact":
                taps = [(xp.minimum(floorf(real + 0.5), last), None)]
            else:
                i = xp.minimum(floorf(real), last)
                t = xp.clip(real - xp.astype(i, xp.float64), 0.0, 1.0)
                if mode == "linear":
                    step = xp.astype(i < last, xp.int64)
                    taps = [(i, 1.0 - t), (i + step, t)]
                else:
                    taps = [(xp.clip(i + (k - 1), 0, n - 1), _cubic(xp, t, k)) for k in range(4)]
        shape = (m,) + (1,) * (x.ndim - 1 - axis)
        made = []
        for idx, w in taps:
            if w is not None:
                w = xp.reshape(xp.astype(w, x._data.dtype), shape)
                w = Tensor._make(w, x._device, backend)
            made.append((Tensor._make(idx, x._device, backend), w))
    return made


def _cubic(xp: Any, t: Any, k: int) -> Any:
    """Weight of neighbour k (0..3, at floor(src) + k - 1) for fraction t: Keys' kernel at
    distance |t - (k - 1)|, which is 1 + t, t, 1 - t and 2 - t."""
    d = (1.0 + t, t, 1.0 - t, 2.0 - t)[k]
    if k in (1, 2):  # |d| <= 1
        return ((_A + 2) * d - (_A + 3)) * d * d + 1
    return ((_A * d - 5 * _A) * d + 8 * _A) * d - 4 * _A  # 1 <= |d| < 2


def _resize_axis(
    x: Tensor, axis: int, m: int, mode: str, align_corners: bool, s: float | None
) -> Tensor:
    if mode == "area":
        n = x.shape[axis]
        if m == n:
            return x
        moved = x.transpose(axis, -1)
        return matmul(moved, _adaptive_matrix(m, n, x).mT).transpose(axis, -1)
    kind = "linear" if mode in ("bilinear", "trilinear") else mode
    if kind == "linear" and m == x.shape[axis]:
        return x  # PyTorch copies a linear dim whose size does not change
    out = None
    for idx, w in _taps(x, axis, m, kind, align_corners, s):
        part = Take.apply(x, idx, axis=axis)
        part = part if w is None else part * w
        out = part if out is None else out + part
    return out  # type: ignore[return-value]


def _check_sizes(
    op: str, x: Tensor, size: Any, scale_factor: Any, recompute: bool | None
) -> tuple[list[int], list[float | None]]:
    """Output sizes and the scale factors the kernel sees (None: derive from the sizes)."""
    k = x.ndim - 2
    spatial = list(x.shape[2:])
    if size is not None and scale_factor is not None:
        raise ValueError(f"{op}: only one of size or scale_factor should be defined")
    if size is not None:
        if recompute:
            raise ValueError(
                f"{op}: recompute_scale_factor is not meaningful with an explicit size"
            )
        sizes = list(size) if isinstance(size, (tuple, list)) else [size] * k
        try:
            sizes = [operator.index(v) for v in sizes]  # ints, NumPy ints, 0-d int tensors
        except TypeError:
            raise TypeError(
                f"{op}: size must be an int or a sequence of ints, got {size!r}"
            ) from None
        if len(sizes) != k:
            raise ValueError(
                f"{op}: input and output must have the same number of spatial dimensions, but "
                f"got input with spatial dimensions of {spatial} and output size of "
                f"{list(sizes)}; give the input as (N, C, d1, ..., dK) and size as (o1, ..., oK)"
            )
        scales: list[float | None] = [None] * k
    elif scale_factor is not None:
        factors = (
            list(scale_factor) if isinstance(scale_factor, (tuple, list)) else [scale_factor] * k
        )
        if len(factors) != k:
            raise ValueError(
                f"{op}: input and scale_factor must have the same number of spatial "
                f"dimensions, but got input with spatial dimensions of {spatial} and "
                f"scale_factor of shape {list(factors)}"
            )
        factors = [float(f) for f in factors]
        sizes = [math.floor(n * f) for n, f in zip(spatial, factors)]
        scales = [None] * k if recompute else list(factors)
    else:
        raise ValueError(f"{op}: either size or scale_factor should be defined")
    if any(v <= 0 for v in sizes) or any(n <= 0 for n in spatial):
        raise RuntimeError(
            f"{op}: input and output sizes should be greater than 0, but got input spatial "
            f"size {spatial} and output size {sizes} (input shape {x.shape})"
        )
    return sizes, scales


def interpolate(
    input: Tensor,  # noqa: A002 - PyTorch's name
    size: int | Sequence[int] | None = None,
    scale_factor: float | Sequence[float] | None = None,
    mode: str = "nearest",
    align_corners: bool | None = None,
    recompute_scale_factor: bool | None = None,
    antialias: bool = False,
) -> Tensor:
    """Resize the spatial dims of (N, C, d1[, d2[, d3]]) ``input`` to ``size``, or by
    ``scale_factor`` (output size floor(d * scale_factor)); PyTorch's ``F.interpolate``.

    Modes: ``nearest``, ``nearest-exact`` and ``area`` for 3-D/4-D/5-D input, ``linear``
    (3-D), ``bilinear`` and ``bicubic`` (4-D), ``trilinear`` (5-D). ``align_corners`` (linear
    modes only) maps the corner pixels' centres onto each other. A scale factor is used as
    given by the kernel unless ``recompute_scale_factor=True``, which derives it from the
    sizes. See Note [Interpolation as weighted gathers]; gradients flow to ``input``.

    >>> import nanotorch
    >>> from nanotorch.nn import functional as F
    >>> x = nanotorch.tensor([[[1.0, 2.0]]])
    >>> F.interpolate(x, scale_factor=2).tolist()
    [[[1.0, 1.0, 2.0, 2.0]]]
    >>> F.interpolate(x, size=3, mode="linear", align_corners=True).tolist()
    [[[1.0, 1.5, 2.0]]]
    """
    op = "interpolate"
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}: input must be a Tensor, got {type(input).__name__}")
    if mode not in _MODES:
        raise NotImplementedError(f"{op}: unknown mode {mode!r}; use one of {', '.join(_MODES)}")
    if mode in ("nearest", "nearest-exact", "area"):
        if align_corners is not None:
            raise ValueError(
                f"{op}: align_corners option can only be set with the interpolating modes: "
                f"linear | bilinear | bicubic | trilinear (got mode={mode!r})"
            )
    elif align_corners is None:
        align_corners = False
    if antialias:
        raise NotImplementedError(
            f"{op}: antialias=True is not supported (mode={mode!r}); resize without "
            "antialiasing, or low-pass filter the input first (e.g. avg_pool2d) when "
            "downsampling"
        )
    if input.ndim not in (3, 4, 5):
        raise NotImplementedError(
            f"{op}: only 3D, 4D and 5D input tensors are supported (got {input.ndim}D, shape "
            f"{input.shape}) for the modes: {' | '.join(_MODES)}"
        )
    k = input.ndim - 2
    if mode in _RANK and _RANK[mode] != k:
        need = _RANK[mode] + 2
        raise NotImplementedError(
            f"{op}: got {input.ndim}D input (shape {input.shape}), but {mode} mode needs "
            f"{need}D input"
        )
    if mode != "nearest" and mode != "nearest-exact" and not input.dtype.is_floating_point:
        raise RuntimeError(
            f"{op}: mode {mode!r} needs a floating input, got {input.dtype}; convert with .float()"
        )
    sizes, scales = _check_sizes(op, input, size, scale_factor, recompute_scale_factor)
    if mode == "area":
        scales = [None] * k  # area is adaptive pooling: it only ever sees the sizes
    out = input
    for d in range(k):
        out = _resize_axis(out, 2 + d, sizes[d], mode, bool(align_corners), scales[d])
    return out


def upsample_nearest(
    input: Tensor,  # noqa: A002 - PyTorch's name
    size: int | Sequence[int] | None = None,
    scale_factor: float | Sequence[float] | None = None,
) -> Tensor:
    """PyTorch's older name for ``interpolate(input, size, scale_factor, mode='nearest')``.

    >>> import nanotorch
    >>> from nanotorch.nn import functional as F
    >>> F.upsample_nearest(nanotorch.tensor([[[1.0, 2.0]]]), scale_factor=2).tolist()
    [[[1.0, 1.0, 2.0, 2.0]]]
    """
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(
    input: Tensor,  # noqa: A002 - PyTorch's name
    size: int | Sequence[int] | None = None,
    scale_factor: float | Sequence[float] | None = None,
) -> Tensor:
    """PyTorch's older name for ``interpolate(input, size, scale_factor, mode='bilinear',
    align_corners=True)`` (4-D input).

    >>> import nanotorch
    >>> from nanotorch.nn import functional as F
    >>> F.upsample_bilinear(nanotorch.tensor([[[[0.0, 2.0]]]]), size=(1, 3)).tolist()
    [[[[0.0, 1.0, 2.0]]]]
    """
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


class Upsample(Module):
    """Resize with ``F.interpolate`` and fixed arguments.

    >>> from nanotorch import nn
    >>> nn.Upsample(scale_factor=2, mode="bilinear")
    Upsample(scale_factor=2.0, mode='bilinear')
    """

    def __init__(
        self,
        size: int | Sequence[int] | None = None,
        scale_factor: float | Sequence[float] | None = None,
        mode: str = "nearest",
        align_corners: bool | None = None,
        recompute_scale_factor: bool | None = None,
    ) -> None:
        super().__init__()
        self.name = type(self).__name__
        self.size = size
        if isinstance(scale_factor, (tuple, list)):
            self.scale_factor: Any = tuple(float(f) for f in scale_factor)
        else:
            self.scale_factor = float(scale_factor) if scale_factor else None
        self.mode = mode
        self.align_corners = align_corners
        self.recompute_scale_factor = recompute_scale_factor

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - PyTorch's name
        return interpolate(
            input,
            self.size,
            self.scale_factor,
            self.mode,
            self.align_corners,
            recompute_scale_factor=self.recompute_scale_factor,
        )

    def extra_repr(self) -> str:
        if self.scale_factor is not None:
            info = f"scale_factor={self.scale_factor!r}"
        else:
            info = f"size={self.size!r}"
        return f"{info}, mode={self.mode!r}"


class UpsamplingNearest2d(Upsample):
    """``Upsample(size, scale_factor, mode='nearest')`` for 4-D input."""

    def __init__(
        self, size: int | Sequence[int] | None = None, scale_factor: float | None = None
    ) -> None:
        super().__init__(size, scale_factor, mode="nearest")


class UpsamplingBilinear2d(Upsample):
    """``Upsample(size, scale_factor, mode='bilinear', align_corners=True)`` for 4-D input."""

    def __init__(
        self, size: int | Sequence[int] | None = None, scale_factor: float | None = None
    ) -> None:
        super().__init__(size, scale_factor, mode="bilinear", align_corners=True)


__all__ = ["Upsample", "UpsamplingBilinear2d", "UpsamplingNearest2d"]
