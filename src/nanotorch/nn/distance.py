"""Distances between paired vectors: ``F.cosine_similarity`` / ``CosineSimilarity`` and
``F.pairwise_distance`` / ``PairwiseDistance``.

Composites of elementwise ops and sums, so their gradients come from those ops. Like the
rest of the engine, this module imports no array library.
"""

from __future__ import annotations

import math

from nanotorch.nn.module import Module
from nanotorch.ops.elementwise import abs as _abs
from nanotorch.ops.misc import broadcast_tensors
from nanotorch.ops.scan import vector_norm
from nanotorch.tensor import Tensor

OPS = ("cosine_similarity", "pairwise_distance")


def _check(op: str, x1: object, x2: object) -> None:
    for name, t in (("x1", x1), ("x2", x2)):
        if not isinstance(t, Tensor):
            raise TypeError(f"{op}: {name} must be a Tensor, got {type(t).__name__}")


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """sum(x1 / max(||x1||, eps) * x2 / max(||x2||, eps)) along ``dim`` (the inputs broadcast):
    each vector is scaled to unit length first, its norm kept away from 0 by ``eps``.

    >>> import nanotorch
    >>> import nanotorch.nn.functional as F
    >>> F.cosine_similarity(nanotorch.tensor([[1.0, 0.0]]), nanotorch.tensor([[1.0, 1.0]])).item()
    0.7071067690849304
    """
    _check("cosine_similarity", x1, x2)
    # Broadcast first, as PyTorch does: a norm along ``dim`` counts every broadcast copy.
    x1, x2 = broadcast_tensors(x1, x2)
    return ((x1 / _norm_at_least(x1, dim, eps)) * (x2 / _norm_at_least(x2, dim, eps))).sum(dim)


def _norm_at_least(x: Tensor, dim: int, eps: float) -> Tensor:
    """The 2-norm along ``dim`` (kept), raised to ``eps`` in value only: PyTorch clamps the
    norm in place under no_grad, so the gradient is the norm's own (0 at a zero vector,
    whose cosine then has a large finite gradient rather than nan)."""
    n = vector_norm(x, 2.0, dim=dim, keepdim=True)
    held = n.detach()
    return n + (held.clamp_min(eps) - held)


def pairwise_distance(
    x1: Tensor,
    x2: Tensor,
    p: float = 2.0,
    eps: float = 1e-6,
    keepdim: bool = False,
) -> Tensor:
    """The p-norm of x1 - x2 + eps along the last dim (``eps`` keeps the norm's gradient
    finite for equal vectors)."""
    _check("pairwise_distance", x1, x2)
    d = _abs(x1 - x2 + eps)
    if p == math.inf:
        return d.amax(-1, keepdim=keepdim)
    if p == 0:
        return (d != 0).to(d.dtype).sum(-1, keepdim=keepdim)
    return ((d**p).sum(-1, keepdim=keepdim)) ** (1.0 / p)


class CosineSimilarity(Module):
    """``F.cosine_similarity`` along ``dim``."""

    def __init__(self, dim: int = 1, eps: float = 1e-8) -> None:
        super().__init__()
        self.dim, self.eps = dim, eps

    def forward(self, x1: Tensor, x2: Tensor) -> Tensor:
        return cosine_similarity(x1, x2, self.dim, self.eps)


class PairwiseDistance(Module):
    """``F.pairwise_distance`` with a fixed ``p``, ``eps`` and ``keepdim``."""

    def __init__(self, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False) -> None:
        super().__init__()
        self.norm, self.eps, self.keepdim = p, eps, keepdim

    def forward(self, x1: Tensor, x2: Tensor) -> Tensor:
        return pairwise_distance(x1, x2, self.norm, self.eps, self.keepdim)


__all__ = ["CosineSimilarity", "PairwiseDistance", "cosine_similarity", "pairwise_distance"]
