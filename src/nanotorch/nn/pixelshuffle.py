"""Sub-pixel rearrangement: ``F.pixel_shuffle`` / ``PixelShuffle`` and their inverse
``F.pixel_unshuffle`` / ``PixelUnshuffle`` (Shi et al., 2016); and ``F.channel_shuffle`` /
``ChannelShuffle`` (ShuffleNet, Zhang et al., 2018).

Pure reshapes and a permutation, so values are moved, never computed, and the gradient is
the inverse rearrangement (from the reshape and permute ops). Like the rest of the engine,
this module imports no array library.
"""

from __future__ import annotations

from nanotorch.errors import ShapeError
from nanotorch.nn.module import Module
from nanotorch.ops._util import int_arg
from nanotorch.tensor import Tensor

OPS = ("pixel_shuffle", "pixel_unshuffle", "channel_shuffle")


def _check(op: str, input: Tensor, factor: int, name: str) -> int:  # noqa: A002
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}: input must be a Tensor, got {type(input).__name__}")
    factor = int_arg(op, name, factor)
    if factor <= 0:
        raise ValueError(f"{op}: {name} must be positive, got {factor}")
    if input.ndim < 3:
        raise ShapeError(f"{op}: expected an input of shape (*, C, H, W), got {tuple(input.shape)}")
    return factor


def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:  # noqa: A002
    """(*, C r^2, H, W) -> (*, C, H r, W r): each group of r^2 channels becomes an r x r block.

    >>> import nanotorch
    >>> import nanotorch.nn.functional as F
    >>> F.pixel_shuffle(nanotorch.arange(4.0).reshape(1, 4, 1, 1), 2).tolist()
    [[[[0.0, 1.0], [2.0, 3.0]]]]
    """
    r = _check("pixel_shuffle", input, upscale_factor, "upscale_factor")
    *lead, c, h, w = input.shape
    if c % (r * r):
        raise ShapeError(
            f"pixel_shuffle: the channel dim ({c}, dim -3 of shape {tuple(input.shape)}) must "
            f"be divisible by upscale_factor^2 = {r * r}"
        )
    n = len(lead)
    x = input.reshape(*lead, c // (r * r), r, r, h, w)
    order = (*range(n), n, n + 3, n + 1, n + 4, n + 2)
    return x.permute(*order).reshape(*lead, c // (r * r), h * r, w * r)


def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:  # noqa: A002
    """(*, C, H r, W r) -> (*, C r^2, H, W), the inverse of ``pixel_shuffle``."""
    r = _check("pixel_unshuffle", input, downscale_factor, "downscale_factor")
    *lead, c, h, w = input.shape
    if h % r or w % r:
        raise ShapeError(
            f"pixel_unshuffle: height {h} and width {w} (shape {tuple(input.shape)}) must be "
            f"divisible by downscale_factor {r}"
        )
    n = len(lead)
    x = input.reshape(*lead, c, h // r, r, w // r, r)
    order = (*range(n), n, n + 2, n + 4, n + 1, n + 3)
    return x.permute(*order).reshape(*lead, c * r * r, h // r, w // r)


def channel_shuffle(input: Tensor, groups: int) -> Tensor:  # noqa: A002
    """(N, g * k, *) -> the channels read as a (g, k) grid, transposed to (k, g): channel
    i * k + j moves to j * g + i, so the next grouped convolution mixes the groups."""
    if not isinstance(input, Tensor):
        raise TypeError(f"channel_shuffle: input must be a Tensor, got {type(input).__name__}")
    groups = int_arg("channel_shuffle", "groups", groups)
    if input.ndim < 3 or groups <= 0 or input.shape[1] % groups:
        raise ShapeError(
            f"channel_shuffle: expected an input (N, C, *) with C divisible by groups={groups}, "
            f"got shape {tuple(input.shape)}"
        )
    n, c, *rest = input.shape
    x = input.reshape(n, groups, c // groups, *rest)
    return x.transpose(1, 2).reshape(n, c, *rest)


class ChannelShuffle(Module):
    """``F.channel_shuffle`` with a fixed number of ``groups``."""

    def __init__(self, groups: int) -> None:
        super().__init__()
        self.groups = groups

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return channel_shuffle(input, self.groups)

    def extra_repr(self) -> str:
        return f"groups={self.groups}"


class PixelShuffle(Module):
    """``F.pixel_shuffle`` with a fixed ``upscale_factor``."""

    def __init__(self, upscale_factor: int) -> None:
        super().__init__()
        self.upscale_factor = upscale_factor

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return pixel_shuffle(input, self.upscale_factor)

    def extra_repr(self) -> str:
        return f"upscale_factor={self.upscale_factor}"


class PixelUnshuffle(Module):
    """``F.pixel_unshuffle`` with a fixed ``downscale_factor``."""

    def __init__(self, downscale_factor: int) -> None:
        super().__init__()
        self.downscale_factor = downscale_factor

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return pixel_unshuffle(input, self.downscale_factor)

    def extra_repr(self) -> str:
        return f"downscale_factor={self.downscale_factor}"


__all__ = [
    "ChannelShuffle",
    "PixelShuffle",
    "PixelUnshuffle",
    "channel_shuffle",
    "pixel_shuffle",
    "pixel_unshuffle",
]
