"""Shape layers: ``Flatten`` and ``Unflatten`` (module forms of the reshape ops).

Like the rest of the engine, this module imports no array library.
"""

from __future__ import annotations

from collections.abc import Sequence

from nanotorch.nn.module import Module
from nanotorch.ops.shape import flatten, unflatten
from nanotorch.tensor import Tensor


class Flatten(Module):
    """Merge dims ``start_dim..end_dim`` into one; by default everything but the batch dim.

    >>> import nanotorch
    >>> from nanotorch import nn
    >>> nn.Flatten()(nanotorch.zeros(2, 3, 4)).shape
    (2, 12)
    """

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return flatten(input, self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Split dim ``dim`` into ``unflattened_size``: the inverse of ``Flatten``."""

    def __init__(self, dim: int, unflattened_size: Sequence[int]) -> None:
        super().__init__()
        self.dim = dim
        self.unflattened_size = tuple(unflattened_size)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return unflatten(input, self.dim, self.unflattened_size)

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"


__all__ = ["Flatten", "Unflatten"]
