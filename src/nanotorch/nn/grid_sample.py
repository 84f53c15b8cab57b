"""Spatial transformers: ``F.affine_grid`` and ``F.grid_sample``, with PyTorch's arguments,
layouts and coordinate conventions.

Note [Sampling grids]
~~~~~~~~~~~~~~~~~~~~~
A grid holds, for every output position, where to read the input, in normalised coordinates:
the last dim is (x, y) for a 4-D input (N, C, H, W) (or (x, y, z) for a 5-D one), x running
along W, y along H, z along D, and -1 / +1 naming the two ends of each axis. With
``align_corners=True`` the ends are the centres of the corner pixels, so pixel i sits at
-1 + 2 i / (size - 1); with ``align_corners=False`` they are the outer edges of the corner
pixels, so pixel i sits at -1 + (2 i + 1) / size. ``affine_grid`` lays those pixel positions
out for an output size and maps each (x, y, 1) through the (N, 2, 3) matrices theta (or
(x, y, z, 1) through (N, 3, 4)).

``grid_sample`` turns each grid point back into a pixel coordinate u (the inverse of the
map above), then, by ``padding_mode``:

- 'zeros': positions outside the input read 0;
- 'border': u is clamped to [0, size - 1];
- 'reflection': u is reflected at the ends (the corner centres with ``align_corners=True``,
  the outer edges otherwise) until it falls inside, then clamped;

and ``mode`` 'bilinear' (trilinear for 5-D) mixes the 2^d neighbouring pixels with weights
1 - |u - pixel|, while 'nearest' reads the pixel at round(u) (halves to even, as PyTorch).
Both are composites of differentiable ops: the input's gradient flows through ``gather``
(a scatter-add), the grid's through the weights (floor and round count as constants), and
the reflection's sign flips through ``abs``/``fmod``, the same piecewise derivative PyTorch's
kernel writes out. 'bicubic' (4-D only) mixes the 4 x 4 pixels around u with PyTorch's
cubic-convolution weights (A = -0.75), padding each pixel read rather than u.

Like the rest of the engine, this module imports no array library.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import product
from typing import Any

from nanotorch.creation import arange, ones, zeros
from nanotorch.dtypes import int64
from nanotorch.errors import ShapeError
from nanotorch.nn.linear import check_same_place
from nanotorch.ops import abs as _abs
from nanotorch.ops import clamp, floor, fmod, gather, stack, where
from nanotorch.ops import round as _round
from nanotorch.tensor import Tensor

OPS = ("affine_grid", "grid_sample")

_MODES = ("bilinear", "nearest", "bicubic")
_PADDING = ("zeros", "border", "reflection")


def _positions(steps: int, align_corners: bool, like: Tensor) -> Tensor:
    """The normalised positions of ``steps`` pixels along one axis (Note [Sampling grids])."""
    if steps <= 1:
        return zeros(max(steps, 1), dtype=like.dtype, device=like.device)
    i = arange(steps, dtype=like.dtype, device=like.device)
    if align_corners:
        return i * (2.0 / (steps - 1)) - 1.0
    return (i * 2.0 + 1.0) / steps - 1.0


def affine_grid(theta: Tensor, size: Sequence[int], align_corners: bool | None = None) -> Tensor:
    """The sampling grid of the affine maps ``theta`` (N, 2, 3) for an output of ``size``
    (N, C, H, W), shape (N, H, W, 2); or (N, 3, 4) and (N, C, D, H, W) to (N, D, H, W, 3).

    >>> import nanotorch
    >>> theta = nanotorch.tensor([[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]])
    >>> nanotorch.nn.functional.affine_grid(theta, (1, 1, 1, 2), align_corners=True).tolist()
    [[[[-1.0, 0.0], [1.0, 0.0]]]]
    """
    align = bool(align_corners)
    size = tuple(int(s) for s in size)
    if not isinstance(theta, Tensor):
        raise TypeError(f"affine_grid: theta must be a Tensor, got {type(theta).__name__}")
    if not theta.dtype.is_floating_point:
        raise ValueError(
            f"affine_grid: expected theta to have floating point type, got {theta.dtype.name}"
        )
    if len(size) not in (4, 5):
        raise NotImplementedError(
            f"affine_grid: only 4-D (N, C, H, W) and 5-D (N, C, D, H, W) sizes are supported, "
            f"for 2-D and 3-D transforms; got size {size}"
        )
    nd = len(size) - 2
    if theta.ndim != 3 or tuple(theta.shape[1:]) != (nd, nd + 1):
        raise ValueError(
            f"affine_grid: expected a batch of {nd}-D affine matrices of shape "
            f"N x {nd} x {nd + 1} for size {size}, got theta of shape {tuple(theta.shape)}"
        )
    if theta.shape[0] != size[0]:
        raise ShapeError(
            f"affine_grid: theta holds {theta.shape[0]} matrices but size asks for a batch of "
            f"{size[0]}"
        )
    if min(size[2:]) <= 0:
        raise ValueError(f"affine_grid: expected a positive output size, got {size}")
    spatial = size[2:]  # (H, W) or (D, H, W)
    axes = [_positions(s, align, theta) for s in spatial]
    # (x, y[, z], 1) at every output position: x varies along the last spatial axis.
    coords = []
    for k in range(nd):
        axis = nd - 1 - k  # x -> W (last), y -> H, z -> D
        shape = [1] * nd
        shape[axis] = spatial[axis]
        coords.append(axes[axis].reshape(shape).expand(*spatial))
    coords.append(ones(spatial, dtype=theta.dtype, device=theta.device))
    base = stack(coords, dim=-1).reshape(1, -1, nd + 1)  # (1, P, nd + 1)
    grid = base @ theta.transpose(1, 2)  # (N, P, nd)
    return grid.reshape(size[0], *spatial, nd)


def _unnormalize(c: Tensor, size: int, align: bool) -> Tensor:
    if align:
        return (c + 1.0) * ((size - 1) / 2.0)
    return ((c + 1.0) * size - 1.0) / 2.0


def _reflect(c: Tensor, twice_low: int, twice_high: int) -> Tensor:
    """Fold ``c`` into [twice_low / 2, twice_high / 2] by reflection at both ends."""
    if twice_low == twice_high:
        return c * 0.0
    low = twice_low / 2.0
    span = (twice_high - twice_low) / 2.0
    c = _abs(c - low)
    extra = fmod(c, span)
    flips = floor(c / span).detach()
    return where(fmod(flips, 2.0) == 0, extra + low, span - extra + low)


def _pixel_coordinate(c: Tensor, size: int, padding_mode: str, align: bool) -> Tensor:
    u = _unnormalize(c, size, align)
    if padding_mode == "border":
        return clamp(u, 0.0, size - 1.0)
    if padding_mode == "reflection":
        u = _reflect(u, 0, 2 * (size - 1)) if align else _reflect(u, -1, 2 * size - 1)
        return clamp(u, 0.0, size - 1.0)
    return u


def grid_sample(
    input: Tensor,  # noqa: A002
    grid: Tensor,
    mode: str = "bilinear",
    padding_mode: str = "zeros",
    align_corners: bool | None = None,
) -> Tensor:
    """Read ``input`` (N, C, H, W) at the normalised positions ``grid`` (N, Ho, Wo, 2), giving
    (N, C, Ho, Wo); or 5-D input and grid (N, Do, Ho, Wo, 3). Note [Sampling grids].

    >>> import nanotorch
    >>> x = nanotorch.arange(4.0).reshape(1, 1, 2, 2)
    >>> g = nanotorch.tensor([[[[0.0, 0.0], [-1.0, -1.0]]]])
    >>> nanotorch.nn.functional.grid_sample(x, g, align_corners=True).tolist()
    [[[[1.5, 0.0]]]]
    """
    if mode not in _MODES:
        raise ValueError(
            f"grid_sample: expected mode to be 'bilinear', 'nearest' or 'bicubic', got {mode!r}"
        )
    if padding_mode not in _PADDING:
        raise ValueError(
            "grid_sample: expected padding_mode to be 'zeros', 'border', or 'reflection', got "
            f"{padding_mode!r}"
        )
    for name, t in (("input", input), ("grid", grid)):
        if not isinstance(t, Tensor):
            raise TypeError(f"grid_sample: {name} must be a Tensor, got {type(t).__name__}")
    check_same_place("grid_sample", input, grid=grid)
    if input.ndim not in (4, 5) or grid.ndim != input.ndim:
        raise ShapeError(
            f"grid_sample: expected a 4-D or 5-D input and a grid of the same rank, got input "
            f"{tuple(input.shape)} and grid {tuple(grid.shape)}"
        )
    nd = input.ndim - 2
    if mode == "bicubic" and nd != 2:
        raise ShapeError(
            f"grid_sample: bicubic interpolation only supports 4-D input, got input of shape "
            f"{tuple(input.shape)}"
        )
    if grid.shape[0] != input.shape[0]:
        raise ShapeError(
            f"grid_sample: expected grid and input to have the same batch size, got input "
            f"{tuple(input.shape)} and grid {tuple(grid.shape)}"
        )
    if grid.shape[-1] != nd:
        raise ShapeError(
            f"grid_sample: expected grid to have size {nd} in its last dim for a {nd + 2}-D "
            f"input, got grid of shape {tuple(grid.shape)}"
        )
    align = bool(align_corners)
    n, c = input.shape[:2]
    spatial = tuple(input.shape[2:])  # (H, W) or (D, H, W)
    out_spatial = tuple(grid.shape[1:-1])
    if mode == "bicubic":
        return _bicubic(input, grid, padding_mode, align)
    # One pixel coordinate per spatial axis (axis 0 = D or H), from the grid's x, y[, z].
    coords = [
        _pixel_coordinate(grid[..., nd - 1 - a], spatial[a], padding_mode, align) for a in range(nd)
    ]
    flat = input.reshape(n, c, -1)
    read = _reader(flat, spatial, out_spatial)

    if mode == "nearest":
        return read([_round(u).detach() for u in coords])
    lows = [floor(u).detach() for u in coords]
    fracs = [u - lo for u, lo in zip(coords, lows)]
    out = None
    for corner in product((0, 1), repeat=nd):
        weight = None
        for a, bit in enumerate(corner):
            w = fracs[a] if bit else 1.0 - fracs[a]
            weight = w if weight is None else weight * w
        term = read([lo + bit for lo, bit in zip(lows, corner)]) * weight.unsqueeze(1)
        out = term if out is None else out + term
    return out


def _reader(flat: Tensor, spatial: tuple[int, ...], out_spatial: tuple[int, ...]) -> Any:
    """A function reading the input (flattened to (N, C, P)) at integer pixel coordinates
    given as float tensors (one per spatial axis, each (N, *out)): (N, C, *out), 0 outside."""
    n, c = flat.shape[:2]
    nd = len(spatial)
    strides = [math.prod(spatial[a + 1 :]) for a in range(nd)]

    def read(pixels: list[Tensor]) -> Tensor:
        inside = None
        index = None
        for a, p in enumerate(pixels):
            ok = (p >= 0) & (p <= spatial[a] - 1)
            inside = ok if inside is None else inside & ok
            term = clamp(p, 0, spatial[a] - 1).to(int64) * strides[a]
            index = term if index is None else index + term
        index = index.reshape(n, 1, -1).expand(n, c, math.prod(out_spatial))
        values = gather(flat, 2, index).reshape(n, c, *out_spatial)
        return values * inside.unsqueeze(1).to(values.dtype)

    return read


_CUBIC_A = -0.75  # PyTorch's (and OpenCV's) cubic convolution constant


def _cubic_weights(t: Tensor) -> list[Tensor]:
    """The cubic-convolution weights of the 4 pixels at offsets -1, 0, 1, 2 from floor(u),
    for the fraction t = u - floor(u)."""
    a = _CUBIC_A

    def near(x: Tensor) -> Tensor:  # |x| <= 1
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def far(x: Tensor) -> Tensor:  # 1 < |x| < 2
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a

    return [far(t + 1), near(t), near(1 - t), far(2 - t)]


def _bicubic(input: Tensor, grid: Tensor, padding_mode: str, align: bool) -> Tensor:  # noqa: A002
    """'bicubic' mode: 4 x 4 pixels around the point mixed with cubic-convolution weights.
    As in PyTorch, the padding applies to each integer pixel read (border: clamped;
    reflection: reflected, then clamped; zeros: 0 outside), not to the sampling point."""
    n, c, h, w = input.shape
    spatial, out_spatial = (h, w), tuple(grid.shape[1:-1])
    read = _reader(input.reshape(n, c, -1), spatial, out_spatial)
    u = [_unnormalize(grid[..., 1], h, align), _unnormalize(grid[..., 0], w, align)]
    lows = [floor(v).detach() for v in u]
    weights = [_cubic_weights(v - lo) for v, lo in zip(u, lows)]
    out = None
    for i in range(4):
        for j in range(4):
            pixels = []
            for a, off in ((0, i), (1, j)):
                p = lows[a] + (off - 1)
                if padding_mode != "zeros":
                    p = _pixel_coordinate_int(p, spatial[a], padding_mode, align)
                pixels.append(p)
            term = read(pixels) * (weights[0][i] * weights[1][j]).unsqueeze(1)
            out = term if out is None else out + term
    return out


def _pixel_coordinate_int(p: Tensor, size: int, padding_mode: str, align: bool) -> Tensor:
    """The padding of an integer pixel coordinate (a constant: no gradient)."""
    if padding_mode == "reflection":
        p = _reflect(p, 0, 2 * (size - 1)) if align else _reflect(p, -1, 2 * size - 1)
    return clamp(p, 0.0, size - 1.0).detach()
