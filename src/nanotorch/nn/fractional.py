"""Fractional max pooling (Graham, 2014): ``F.fractional_max_pool2d`` / ``3d`` and
``nn.FractionalMaxPool2d`` / ``3d``, with PyTorch's arguments and its placement of windows.

Note [Fractional pooling windows]
~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
The output has any size between 1 and input - kernel + 1 along each spatial axis, so windows
of a fixed ``kernel_size`` start at pseudo-random, non-decreasing positions: for an axis of
input length n, output length m and kernel k, with a sample u in [0, 1) per (batch, channel)
and axis, and alpha = (n - k) / (m - 1),

    start_i = floor((i + u) alpha) - floor(u alpha)     for i < m - 1,   start_(m-1) = n - k.

This is PyTorch's rule, computed like its kernel in the input's dtype (alpha and the products
rounded there), so given the same samples (``_random_samples``, (N, C, d), sample j driving
spatial axis d - 1 - j for 2-D input, i.e. W first, and axis j for 3-D, as in PyTorch) the two
pick the same windows. Each output is the maximum of its window (the first one in row-major
order among ties), with its flat index in the input plane; the gradient goes to that element
through ``gather``. Samples are drawn with ``nanotorch.rand`` (the default generator of the
input's device) when not given.

Like the rest of the engine, this module imports no array library.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import product
from typing import Any

from nanotorch.creation import arange, rand, tensor
from nanotorch.dtypes import int64
from nanotorch.errors import ShapeError
from nanotorch.nn.module import Module
from nanotorch.ops import cat, floor, gather, stack
from nanotorch.ops.conv import positive
from nanotorch.tensor import Tensor

OPS = ("fractional_max_pool2d", "fractional_max_pool3d")


def _starts(sample: Tensor, n: int, m: int, k: int) -> Tensor:
    """Window starts (N, C, m) for samples (N, C) (Note [Fractional pooling windows])."""
    dtype, device = sample.dtype, sample.device
    last = tensor([n - k], dtype=int64, device=device).expand(*sample.shape, 1)
    if m == 1:
        return last
    alpha = tensor(float(n - k), dtype=dtype, device=device) / tensor(
        float(m - 1), dtype=dtype, device=device
    )
    i = arange(m - 1, dtype=dtype, device=device)
    u = sample.unsqueeze(-1)
    first = floor((i + u) * alpha).to(int64) - floor(u * alpha).to(int64)
    return cat([first, last], dim=-1)


def _fractional_max_pool(
    op: str,
    nd: int,
    input: Tensor,  # noqa: A002
    kernel_size: int | Sequence[int],
    output_size: int | Sequence[int] | None,
    output_ratio: float | Sequence[float] | None,
    return_indices: bool,
    _random_samples: Tensor | None,
) -> Any:
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}: input must be a Tensor, got {type(input).__name__}")
    if input.ndim not in (nd + 1, nd + 2):
        raise ShapeError(
            f"{op}: expected {nd + 1}-D (unbatched) or {nd + 2}-D input, got shape "
            f"{tuple(input.shape)}"
        )
    if output_size is None and output_ratio is None:
        raise ValueError(f"{op} requires specifying either an output_size or an output_ratio")
    # Both given: output_size wins, as in PyTorch's functional form (the modules refuse).
    kernel = positive(op, "kernel_size", kernel_size, nd)
    unbatched = input.ndim == nd + 1
    x = input.unsqueeze(0) if unbatched else input
    n_batch, channels = x.shape[:2]
    spatial = tuple(x.shape[2:])
    if output_size is not None:
        size = positive(op, "output_size", output_size, nd)
    else:
        ratio = (output_ratio,) * nd if isinstance(output_ratio, (int, float)) else output_ratio
        ratio = tuple(float(r) for r in ratio)  # type: ignore[union-attr]
        if len(ratio) != nd or not all(0 < r < 1 for r in ratio):
            raise ValueError(f"{op}: output_ratio must be in (0, 1), got {output_ratio!r}")
        size = tuple(int(s * r) for s, r in zip(spatial, ratio))
    axis_names = ("time", "height", "width")[3 - nd :]
    for a in range(nd):
        if size[a] + kernel[a] - 1 > spatial[a]:
            raise ShapeError(
                f"{op}: pool {axis_names[a]} {kernel[a]} too large relative to input "
                f"{axis_names[a]} {spatial[a]} for output {axis_names[a]} {size[a]}: need "
                "output + kernel - 1 <= input"
            )
    if _random_samples is None:
        samples = rand(n_batch, channels, nd, dtype=x.dtype, device=x.device)
    else:
        samples = _random_samples
        if tuple(samples.shape) != (n_batch, channels, nd):
            raise ShapeError(
                f"{op}: _random_samples must be (N, C, {nd}) = ({n_batch}, {channels}, {nd}), "
                f"got {tuple(samples.shape)}"
            )
    # Sample j drives the last axis first for 2-D input (PyTorch's W, H order), axis j for 3-D.
    which = [nd - 1 - a for a in range(nd)] if nd == 2 else list(range(nd))
    starts = [_starts(samples[..., which[a]], spatial[a], size[a], kernel[a]) for a in range(nd)]
    strides = [math.prod(spatial[a + 1 :]) for a in range(nd)]
    flat = x.reshape(n_batch, channels, -1)
    candidates = []
    for offset in product(*(range(k) for k in kernel)):  # row-major: first max wins ties
        index = None
        for a in range(nd):
            pos = (starts[a] + offset[a]) * strides[a]  # (N, C, size[a])
            shape = [n_batch, channels] + [1] * nd
            shape[2 + a] = size[a]
            pos = pos.reshape(shape)
            index = pos if index is None else index + pos
        candidates.append(index.expand(n_batch, channels, *size).reshape(n_batch, channels, -1))
    indices = stack(candidates, dim=0)  # (K, N, C, P)
    with_values = stack([gather(flat.detach(), 2, i) for i in candidates], dim=0)
    best = with_values.argmax(0, keepdim=True)
    chosen = gather(indices, 0, best)[0]  # (N, C, P)
    values = gather(flat, 2, chosen).reshape(n_batch, channels, *size)
    chosen = chosen.reshape(n_batch, channels, *size)
    if unbatched:
        values, chosen = values.squeeze(0), chosen.squeeze(0)
    return (values, chosen) if return_indices else values


def fractional_max_pool2d(
    input: Tensor,  # noqa: A002
    kernel_size: int | Sequence[int],
    output_size: int | Sequence[int] | None = None,
    output_ratio: float | Sequence[float] | None = None,
    return_indices: bool = False,
    _random_samples: Tensor | None = None,
) -> Any:
    """Fractional max pooling over (N, C, H, W) or (C, H, W) (Note [Fractional pooling
    windows]); ``return_indices`` adds the flat H x W index of each maximum.

    >>> import nanotorch
    >>> x = nanotorch.arange(16.0).reshape(1, 1, 4, 4)
    >>> nanotorch.nn.functional.fractional_max_pool2d(x, 2, output_size=1).tolist()
    [[[[15.0]]]]
    """
    return _fractional_max_pool(
        "fractional_max_pool2d",
        2,
        input,
        kernel_size,
        output_size,
        output_ratio,
        return_indices,
        _random_samples,
    )


def fractional_max_pool3d(
    input: Tensor,  # noqa: A002
    kernel_size: int | Sequence[int],
    output_size: int | Sequence[int] | None = None,
    output_ratio: float | Sequence[float] | None = None,
    return_indices: bool = False,
    _random_samples: Tensor | None = None,
) -> Any:
    """Fractional max pooling over (N, C, T, H, W) or (C, T, H, W)."""
    return _fractional_max_pool(
        "fractional_max_pool3d",
        3,
        input,
        kernel_size,
        output_size,
        output_ratio,
        return_indices,
        _random_samples,
    )


class _FractionalMaxPoolNd(Module):
    _fn: Any

    def __init__(
        self,
        kernel_size: int | Sequence[int],
        output_size: int | Sequence[int] | None = None,
        output_ratio: float | Sequence[float] | None = None,
        return_indices: bool = False,
        _random_samples: Tensor | None = None,
    ) -> None:
        super().__init__()
        name = type(self).__name__
        if output_size is None and output_ratio is None:
            raise ValueError(
                f"{name} requires specifying either an output size, or a pooling ratio"
            )
        if output_size is not None and output_ratio is not None:
            raise ValueError(f"{name}: only one of output_size and output_ratio may be specified")
        if output_ratio is not None:
            ratios = output_ratio if isinstance(output_ratio, Sequence) else (output_ratio,)
            if not all(0 < r < 1 for r in ratios):
                raise ValueError(f"{name}: output_ratio must be between 0 and 1 (got {ratios})")
        self.kernel_size = kernel_size
        self.output_size = output_size
        self.output_ratio = output_ratio
        self.return_indices = return_indices
        self.register_buffer("_random_samples", _random_samples)

    def forward(self, input: Tensor) -> Any:  # noqa: A002
        return type(self)._fn(
            input,
            self.kernel_size,
            self.output_size,
            self.output_ratio,
            self.return_indices,
            _random_samples=self._random_samples,
        )


class FractionalMaxPool2d(_FractionalMaxPoolNd):
    """``F.fractional_max_pool2d`` as a module."""

    _fn = staticmethod(fractional_max_pool2d)


class FractionalMaxPool3d(_FractionalMaxPoolNd):
    """``F.fractional_max_pool3d`` as a module."""

    _fn = staticmethod(fractional_max_pool3d)


__all__ = [
    "FractionalMaxPool2d",
    "FractionalMaxPool3d",
    "fractional_max_pool2d",
    "fractional_max_pool3d",
]
