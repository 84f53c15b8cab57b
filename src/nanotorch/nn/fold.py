"""``F.unfold`` and ``F.fold`` (and ``nn.Unfold``, ``nn.Fold``): convolution's im2col and
col2im, made public.

``unfold`` lays every sliding block of an (N, C, H, W) image out as a column: (N, C*kH*kW, L)
with L the number of block positions, channel-major then kernel position, as PyTorch does.
``fold`` is its adjoint: it sums columns back into an image, overlapping blocks adding up.
Both reuse the Functions of ``ops/conv.py`` (Note [im2col by kernel position]), so their
gradients (each other) and the backend fast path come with them.

Like the rest of the engine, this module imports no array library.
"""

from __future__ import annotations

from collections.abc import Sequence

from nanotorch.errors import ShapeError
from nanotorch.nn.module import Module
from nanotorch.ops.conv import Col2Im, ConvGeometry, Im2Col, check_tensor, conv_geometry, positive
from nanotorch.tensor import Tensor

# The functional ops this family exports through nanotorch.nn.functional; the op-spec
# tests derive from it (Note [Op registry] in ops/__init__.py).
OPS = ("unfold", "fold")

IntPair = int | Sequence[int]


def _geometry(
    op: str,
    image: tuple[int, int],
    kernel_size: IntPair,
    dilation: IntPair,
    padding: IntPair,
    stride: IntPair,
    lead: tuple[int, ...],
) -> ConvGeometry:
    where = f" (image size {image})"
    kernel = positive(op, "kernel_size", kernel_size, 2, where)
    if isinstance(padding, str):
        raise ValueError(f"{op}: padding must be an int or a pair of ints, got {padding!r}")
    return conv_geometry(op, lead + image, kernel, stride, padding, dilation, 2)


def unfold(
    input: Tensor,  # noqa: A002 - PyTorch's name
    kernel_size: IntPair,
    dilation: IntPair = 1,
    padding: IntPair = 0,
    stride: IntPair = 1,
) -> Tensor:
    """Sliding blocks of ``input`` (N, C, H, W) or (C, H, W) as columns (N, C*kH*kW, L).

    >>> import nanotorch
    >>> import nanotorch.nn.functional as F
    >>> F.unfold(nanotorch.ones(1, 2, 4, 4), kernel_size=3).shape
    (1, 18, 4)
    """
    check_tensor("unfold", "input", input)
    if input.ndim not in (3, 4):
        raise ShapeError(
            f"unfold: input must be 3-D (C, H, W) or 4-D (N, C, H, W), got shape {input.shape}"
        )
    x = input if input.ndim == 4 else input.unsqueeze(0)
    geom = _geometry(
        "unfold", tuple(x.shape[2:]), kernel_size, dilation, padding, stride, x.shape[:2]
    )
    cols = Im2Col.apply(x, geom=geom)  # (N, C, kH*kW, OH, OW)
    n, c = x.shape[:2]
    k = geom.kernel[0] * geom.kernel[1]
    out = cols.reshape(n, c * k, geom.grid[0] * geom.grid[1])
    return out if input.ndim == 4 else out.squeeze(0)


def fold(
    input: Tensor,  # noqa: A002 - PyTorch's name
    output_size: IntPair,
    kernel_size: IntPair,
    dilation: IntPair = 1,
    padding: IntPair = 0,
    stride: IntPair = 1,
) -> Tensor:
    """Columns (N, C*kH*kW, L) or (C*kH*kW, L) summed back into images (N, C, H, W) of
    ``output_size``; the adjoint of ``unfold`` (blocks that overlap add up).

    >>> import nanotorch
    >>> import nanotorch.nn.functional as F
    >>> F.fold(nanotorch.ones(1, 4, 4), output_size=3, kernel_size=2)[0, 0].tolist()
    [[1.0, 2.0, 1.0], [2.0, 4.0, 2.0], [1.0, 2.0, 1.0]]
    """
    check_tensor("fold", "input", input)
    if input.ndim not in (2, 3):
        raise ShapeError(
            f"fold: input must be 2-D (C*kH*kW, L) or 3-D (N, C*kH*kW, L), got shape {input.shape}"
        )
    x = input if input.ndim == 3 else input.unsqueeze(0)
    image = positive("fold", "output_size", output_size, 2)
    geom = _geometry("fold", image, kernel_size, dilation, padding, stride, (x.shape[0], 1))
    k = geom.kernel[0] * geom.kernel[1]
    blocks = geom.grid[0] * geom.grid[1]
    if x.shape[1] % k or x.shape[2] != blocks:
        raise ShapeError(
            f"fold: input of shape {input.shape} does not fit: dim -2 must be a multiple of "
            f"kH*kW = {k} and dim -1 must be the {blocks} block positions of a "
            f"{geom.grid[0]}x{geom.grid[1]} grid over output_size {image}"
        )
    n, c = x.shape[0], x.shape[1] // k
    cols = x.reshape(n, c, k, geom.grid[0], geom.grid[1])
    out = Col2Im.apply(cols, geom=geom)
    return out if input.ndim == 3 else out.squeeze(0)


class Unfold(Module):
    """Module form of ``F.unfold``: sliding blocks of an image as columns.

    >>> import nanotorch
    >>> from nanotorch import nn
    >>> nn.Unfold(kernel_size=2, stride=2)(nanotorch.zeros(1, 3, 4, 4)).shape
    (1, 12, 4)
    """

    def __init__(
        self,
        kernel_size: IntPair,
        dilation: IntPair = 1,
        padding: IntPair = 0,
        stride: IntPair = 1,
    ) -> None:
        super().__init__()
        self.kernel_size, self.dilation = kernel_size, dilation
        self.padding, self.stride = padding, stride

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return unfold(input, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self) -> str:
        return (
            f"kernel_size={self.kernel_size}, dilation={self.dilation}, "
            f"padding={self.padding}, stride={self.stride}"
        )


class Fold(Module):
    """Module form of ``F.fold``: columns summed back into images of ``output_size``."""

    def __init__(
        self,
        output_size: IntPair,
        kernel_size: IntPair,
        dilation: IntPair = 1,
        padding: IntPair = 0,
        stride: IntPair = 1,
    ) -> None:
        super().__init__()
        self.output_size, self.kernel_size = output_size, kernel_size
        self.dilation, self.padding, self.stride = dilation, padding, stride

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return fold(
            input, self.output_size, self.kernel_size, self.dilation, self.padding, self.stride
        )

    def extra_repr(self) -> str:
        return (
            f"output_size={self.output_size}, kernel_size={self.kernel_size}, "
            f"dilation={self.dilation}, padding={self.padding}, stride={self.stride}"
        )
