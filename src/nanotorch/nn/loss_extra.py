"""More losses, with PyTorch's names, arguments and reductions: margin losses
(``soft_margin_loss``, ``margin_ranking_loss``, ``hinge_embedding_loss``,
``cosine_embedding_loss``, ``multi_margin_loss``, ``multilabel_soft_margin_loss``,
``triplet_margin_loss``) and likelihood losses (``poisson_nll_loss``, ``gaussian_nll_loss``),
each with its module.

All are composites of differentiable ops (the gradients come from those); the shared checks
and reductions are nn/loss.py's. Like the rest of the engine, this module imports no array
library.
"""

from __future__ import annotations

import math
from typing import Any

from nanotorch.creation import full_like, tensor
from nanotorch.errors import DeviceMismatchError, ShapeError
from nanotorch.nn.activation_ops import logsigmoid
from nanotorch.nn.distance import pairwise_distance
from nanotorch.nn.linear import check_same_place
from nanotorch.nn.loss import (
    _check_reduction,
    _legacy_reduction,
    _Loss,
    _reduce,
    _WeightedLoss,
    check_target,
)
from nanotorch.ops.elementwise import clamp, exp, log, minimum, softplus, sqrt, where
from nanotorch.ops.indexing import gather
from nanotorch.tensor import Tensor

OPS = (
    "soft_margin_loss",
    "margin_ranking_loss",
    "hinge_embedding_loss",
    "cosine_embedding_loss",
    "multi_margin_loss",
    "multilabel_soft_margin_loss",
    "multilabel_margin_loss",
    "triplet_margin_loss",
    "triplet_margin_with_distance_loss",
    "poisson_nll_loss",
    "gaussian_nll_loss",
)


def _reduction(op: str, reduction: str, size_average: Any = None, reduce: Any = None) -> str:
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(op, reduction)
    return reduction


def _same_shape(op: str, **tensors: Tensor) -> None:
    shapes = {name: tuple(t.shape) for name, t in tensors.items()}
    if len(set(shapes.values())) > 1:
        listed = ", ".join(f"{k} {v}" for k, v in shapes.items())
        raise ShapeError(f"{op}: expected tensors of one shape, got {listed}")


def _check_elementwise(
    op: str, reduction: str, size_average: Any, reduce: Any, **tensors: Tensor
) -> str:
    """The first checks of a loss whose tensors pair up elementwise: the reduction (legacy
    flags mapped onto it), one device and dtype (the first tensor is the reference; a
    ``target`` may differ in dtype, Note [Loss target dtypes] in nn/loss.py), one shape.
    Returns the reduction to apply."""
    reduction = _reduction(op, reduction, size_average, reduce)
    target = tensors.pop("target", None)
    (_, first), *others = tensors.items()
    check_same_place(op, first, **dict(others))
    if target is not None:
        check_target(op, first, target)
        tensors["target"] = target
    _same_shape(op, **tensors)
    return reduction


# ----------------------------------------------------------------------------- margin losses
def soft_margin_loss(
    input: Tensor,  # noqa: A002
    target: Tensor,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """log(1 + exp(-y x)) for targets y in {-1, 1} (a smooth hinge)."""
    op = "soft_margin_loss"
    reduction = _check_elementwise(op, reduction, size_average, reduce, input=input, target=target)
    target = target.to(input.dtype)  # the input's dtype (Note [Loss target dtypes], nn/loss.py)
    return _reduce(softplus(-target * input), reduction)


def margin_ranking_loss(
    input1: Tensor,
    input2: Tensor,
    target: Tensor,
    margin: float = 0.0,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """max(0, -y (x1 - x2) + margin): y = 1 asks x1 to rank above x2, y = -1 below."""
    op = "margin_ranking_loss"
    reduction = _check_elementwise(
        op, reduction, size_average, reduce, input1=input1, input2=input2, target=target
    )
    return _reduce(clamp(-target * (input1 - input2) + margin, min=0.0), reduction)


def hinge_embedding_loss(
    input: Tensor,  # noqa: A002
    target: Tensor,
    margin: float = 1.0,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """x where y = 1, max(0, margin - x) where y = -1 (x is a distance)."""
    op = "hinge_embedding_loss"
    reduction = _check_elementwise(op, reduction, size_average, reduce, input=input, target=target)
    hinge = where(target != 1, clamp(margin - input, min=0.0), 0.0)
    return _reduce(hinge + where(target != -1, input, 0.0), reduction)


def cosine_embedding_loss(
    input1: Tensor,
    input2: Tensor,
    target: Tensor,
    margin: float = 0.0,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """1 - cos(x1, x2) where y = 1, max(0, cos(x1, x2) - margin) where y = -1; the cosine
    is taken along the last dim of (N, D) or (D,) inputs, with 1e-12 added to each squared
    norm (as PyTorch does) so a zero vector gives a finite loss."""
    op = "cosine_embedding_loss"
    reduction = _reduction(op, reduction, size_average, reduce)
    check_same_place(op, input1, input2=input2)
    # The target holds labels (1 or -1): any dtype, as in PyTorch, but the inputs' device.
    if not isinstance(target, Tensor):
        raise TypeError(f"{op}: target must be a Tensor, got {type(target).__name__}")
    if target.device != input1.device:
        raise DeviceMismatchError(
            f"{op}: input1 is on {input1.device} but target is on {target.device}; move the "
            f"target with .to('{input1.device}')"
        )
    _same_shape(op, input1=input1, input2=input2)
    if input1.ndim not in (1, 2) or tuple(target.shape) != tuple(input1.shape[:-1]):
        raise ShapeError(
            f"{op}: expected inputs (N, D) with target (N,), or (D,) with a 0-d target; got "
            f"{tuple(input1.shape)} and target {tuple(target.shape)}"
        )
    dot = (input1 * input2).sum(-1)
    norms = sqrt(((input1 * input1).sum(-1) + 1e-12) * ((input2 * input2).sum(-1) + 1e-12))
    cos = dot / norms
    loss = where(target == 1, 1.0 - cos, 0.0) + where(
        target == -1, clamp(cos - margin, min=0.0), 0.0
    )
    return _reduce(loss, reduction)


def multi_margin_loss(
    input: Tensor,  # noqa: A002
    target: Tensor,
    p: int = 1,
    margin: float = 1.0,
    weight: Tensor | None = None,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """The multi-class hinge: for scores x (N, C) and class y, sum over i != y of
    w_y max(0, margin - x_y + x_i)^p, divided by C."""
    op = "multi_margin_loss"
    reduction = _reduction(op, reduction, size_average, reduce)
    check_same_place(op, input, weight=weight)
    if p not in (1, 2):
        raise ValueError(f"{op}: only p == 1 and p == 2 are supported, got p={p!r}")
    if input.ndim not in (1, 2) or tuple(target.shape) != tuple(input.shape[:-1]):
        raise ShapeError(
            f"{op}: expected input (N, C) with target (N,), or (C,) with a 0-d target; got "
            f"input {tuple(input.shape)} and target {tuple(target.shape)}"
        )
    x = input if input.ndim == 2 else input.unsqueeze(0)
    t = (target if input.ndim == 2 else target.reshape(1)).unsqueeze(1)
    n_classes = x.shape[1]
    x_y = gather(x, 1, t)
    z = clamp(x - x_y + margin, min=0.0)
    if p == 2:
        z = z * z
    if weight is not None:
        z = z * gather(weight, 0, t.reshape(-1)).unsqueeze(1)
    # The i = y term is max(0, margin)^p (w_y): take it out again.
    own = max(margin, 0.0) ** p
    own_term = own if weight is None else gather(weight, 0, t.reshape(-1)) * own
    loss = (z.sum(1) - own_term) / n_classes
    if input.ndim == 1:
        loss = loss.reshape(())
    return _reduce(loss, reduction)


def multilabel_soft_margin_loss(
    input: Tensor,  # noqa: A002
    target: Tensor,
    weight: Tensor | None = None,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """Per sample, the mean over classes of -(y log sigmoid(x) + (1 - y) log sigmoid(-x)),
    each class weighted by ``weight``: one independent binary decision per class."""
    op = "multilabel_soft_margin_loss"
    reduction = _reduction(op, reduction, size_average, reduce)
    check_same_place(op, input, weight=weight)
    check_target(op, input, target)  # promotes (Note [Loss target dtypes] in nn/loss.py)
    _same_shape(op, input=input, target=target)
    loss = -(target * logsigmoid(input) + (1.0 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    return _reduce(loss.mean(input.ndim - 1), reduction)


def multilabel_margin_loss(
    input: Tensor,  # noqa: A002
    target: Tensor,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """The multi-label hinge: ``target`` lists each sample's classes, ended by the first -1;
    the loss sums max(0, 1 - (x_j - x_i)) over listed classes j and unlisted classes i,
    divided by C. The class lists are read on the host (they decide which pairs count)."""
    op = "multilabel_margin_loss"
    reduction = _reduction(op, reduction, size_average, reduce)
    check_same_place(op, input)
    if not isinstance(target, Tensor) or target.dtype.is_floating_point:
        raise TypeError(f"{op}: target must be an integer tensor of class indices")
    if target.device != input.device:
        raise DeviceMismatchError(
            f"{op}: input is on {input.device} but target is on {target.device}; move the "
            f"target with .to('{input.device}')"
        )
    if input.ndim not in (1, 2) or tuple(target.shape) != tuple(input.shape):
        raise ShapeError(
            f"{op}: expected input and target of one shape, (N, C) or (C,), got "
            f"{tuple(input.shape)} and {tuple(target.shape)}"
        )
    x = input if input.ndim == 2 else input.unsqueeze(0)
    n, c = x.shape
    rows = target.reshape(n, c)._to_host_uncounted().tolist()
    counts = [[0.0] * c for _ in range(n)]
    for r, row in enumerate(rows):
        for cls in row:
            if cls < 0:
                break
            if cls >= c:
                raise IndexError(f"{op}: target class {cls} is out of range for {c} classes")
            counts[r][int(cls)] += 1.0
    listed = tensor(counts, dtype=x.dtype, device=x.device)
    unlisted = (listed == 0).to(x.dtype)
    hinge = clamp(1.0 - x.unsqueeze(2) + x.unsqueeze(1), min=0.0)  # [n, j, i]
    loss = (hinge * listed.unsqueeze(2) * unlisted.unsqueeze(1)).sum((1, 2)) / c
    return _reduce(loss if input.ndim == 2 else loss.reshape(()), reduction)


def triplet_margin_loss(
    anchor: Tensor,
    positive: Tensor,
    negative: Tensor,
    margin: float = 1.0,
    p: float = 2.0,
    eps: float = 1e-6,
    swap: bool = False,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """max(0, margin + d(a, p) - d(a, n)) with d the ``pairwise_distance`` of order ``p``;
    ``swap`` uses min(d(a, n), d(p, n)) as the negative distance."""
    op = "triplet_margin_loss"
    reduction = _reduction(op, reduction, size_average, reduce)
    check_same_place(op, anchor, positive=positive, negative=negative)
    if not margin > 0:
        raise ValueError(f"{op}: margin must be greater than 0, got {margin}")
    d_pos = pairwise_distance(anchor, positive, p, eps)
    d_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_neg = minimum(d_neg, pairwise_distance(positive, negative, p, eps))
    return _reduce(clamp(margin + d_pos - d_neg, min=0.0), reduction)


def triplet_margin_with_distance_loss(
    anchor: Tensor,
    positive: Tensor,
    negative: Tensor,
    *,
    distance_function: Any = None,
    margin: float = 1.0,
    swap: bool = False,
    reduction: str = "mean",
) -> Tensor:
    """``triplet_margin_loss`` with any ``distance_function(x1, x2)`` (default: the
    Euclidean ``pairwise_distance``)."""
    op = "triplet_margin_with_distance_loss"
    _check_reduction(op, reduction)
    if not margin > 0:
        raise ValueError(f"{op}: margin must be greater than 0, got {margin}")
    dist = distance_function if distance_function is not None else pairwise_distance
    d_pos = dist(anchor, positive)
    d_neg = dist(anchor, negative)
    if swap:
        d_neg = minimum(d_neg, dist(positive, negative))
    return _reduce(clamp(margin + d_pos - d_neg, min=0.0), reduction)


# ----------------------------------------------------------------------------- likelihoods
def poisson_nll_loss(
    input: Tensor,  # noqa: A002
    target: Tensor,
    log_input: bool = True,
    full: bool = False,
    size_average: bool | None = None,
    eps: float = 1e-8,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """The Poisson negative log-likelihood of counts y under rate r: exp(x) - y x with
    ``log_input`` (x = log r), else x - y log(x + eps). ``full`` adds Stirling's term
    y log y - y + log(2 pi y) / 2 where y > 1."""
    op = "poisson_nll_loss"
    reduction = _check_elementwise(op, reduction, size_average, reduce, input=input, target=target)
    loss = exp(input) - target * input if log_input else input - target * log(input + eps)
    if full:
        y = where(target > 1, target, 1.0)  # keeps log finite where the term is dropped
        stirling = y * log(y) - y + 0.5 * log(2 * math.pi * y)
        loss = loss + where(target > 1, stirling, 0.0)
    return _reduce(loss, reduction)


def gaussian_nll_loss(
    input: Tensor,  # noqa: A002
    target: Tensor,
    var: Tensor | float,
    full: bool = False,
    eps: float = 1e-6,
    reduction: str = "mean",
) -> Tensor:
    """(log(var) + (x - y)^2 / var) / 2 (+ log(2 pi) / 2 with ``full``), the Gaussian negative
    log-likelihood with predicted variance ``var`` (the input's shape, its shape without the
    last dim, or that with a last dim of 1).

    ``var`` is clamped to at least ``eps`` for the value only: as in PyTorch the gradient
    reaches ``var`` as if unclamped (the clamp is a detached correction)."""
    op = "gaussian_nll_loss"
    _check_reduction(op, reduction)
    if not isinstance(var, Tensor):  # a number: one variance for every element
        var = full_like(input.detach(), float(var))
    check_same_place(op, input, target=target, var=var)
    shape, vshape = tuple(input.shape), tuple(var.shape)
    if vshape != shape:
        if shape[:-1] == vshape:
            var = var.unsqueeze(-1)
        elif not (shape[:-1] == vshape[:-1] and vshape[-1:] == (1,)):
            raise ShapeError(
                f"{op}: var of shape {vshape} does not fit input {shape}: use the input's "
                "shape, its shape without the last dim, or that with a last dim of 1"
            )
    if not eps >= 0:
        raise ValueError(f"{op}: eps must be >= 0, got {eps}")
    var = var + (clamp(var, min=eps) - var).detach()
    diff = input - target
    loss = 0.5 * (log(var) + diff * diff / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)


# ----------------------------------------------------------------------------- modules
class SoftMarginLoss(_Loss):
    """``F.soft_margin_loss`` as a module."""

    def forward(self, input: Tensor, target: Tensor) -> Tensor:  # noqa: A002
        return soft_margin_loss(input, target, reduction=self.reduction)


class _MarginLoss(_Loss):
    def __init__(
        self,
        margin: float = 0.0,
        size_average: bool | None = None,
        reduce: bool | None = None,
        reduction: str = "mean",
    ) -> None:
        super().__init__(size_average, reduce, reduction)
        self.margin = margin


class MarginRankingLoss(_MarginLoss):
    """``F.margin_ranking_loss`` as a module."""

    def forward(self, input1: Tensor, input2: Tensor, target: Tensor) -> Tensor:
        return margin_ranking_loss(input1, input2, target, self.margin, reduction=self.reduction)


class HingeEmbeddingLoss(_MarginLoss):
    """``F.hinge_embedding_loss`` as a module (margin 1 by default)."""

    def __init__(self, margin: float = 1.0, size_average=None, reduce=None, reduction="mean"):
        super().__init__(margin, size_average, reduce, reduction)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:  # noqa: A002
        return hinge_embedding_loss(input, target, self.margin, reduction=self.reduction)


class CosineEmbeddingLoss(_MarginLoss):
    """``F.cosine_embedding_loss`` as a module."""

    def forward(self, input1: Tensor, input2: Tensor, target: Tensor) -> Tensor:
        return cosine_embedding_loss(input1, input2, target, self.margin, reduction=self.reduction)


class MultiMarginLoss(_WeightedLoss):
    """``F.multi_margin_loss`` as a module; ``weight`` is a buffer."""

    def __init__(
        self,
        p: int = 1,
        margin: float = 1.0,
        weight: Tensor | None = None,
        size_average: bool | None = None,
        reduce: bool | None = None,
        reduction: str = "mean",
    ) -> None:
        super().__init__(weight, size_average, reduce, reduction)
        if p not in (1, 2):
            raise ValueError(f"MultiMarginLoss: only p == 1 and p == 2 are supported, got {p!r}")
        self.p, self.margin = p, margin

    def forward(self, input: Tensor, target: Tensor) -> Tensor:  # noqa: A002
        return multi_margin_loss(
            input, target, self.p, self.margin, self.weight, reduction=self.reduction
        )


class MultiLabelSoftMarginLoss(_WeightedLoss):
    """``F.multilabel_soft_margin_loss`` as a module; ``weight`` is a buffer."""

    def forward(self, input: Tensor, target: Tensor) -> Tensor:  # noqa: A002
        return multilabel_soft_margin_loss(input, target, self.weight, reduction=self.reduction)


class MultiLabelMarginLoss(_Loss):
    """``F.multilabel_margin_loss`` as a module."""

    def forward(self, input: Tensor, target: Tensor) -> Tensor:  # noqa: A002
        return multilabel_margin_loss(input, target, reduction=self.reduction)


class TripletMarginLoss(_Loss):
    """``F.triplet_margin_loss`` as a module."""

    def __init__(
        self,
        margin: float = 1.0,
        p: float = 2.0,
        eps: float = 1e-6,
        swap: bool = False,
        size_average: bool | None = None,
        reduce: bool | None = None,
        reduction: str = "mean",
    ) -> None:
        super().__init__(size_average, reduce, reduction)
        if not margin > 0:
            raise ValueError(f"TripletMarginLoss: margin must be greater than 0, got {margin}")
        self.margin, self.p, self.eps, self.swap = margin, p, eps, swap

    def forward(self, anchor: Tensor, positive: Tensor, negative: Tensor) -> Tensor:
        return triplet_margin_loss(
            anchor,
            positive,
            negative,
            self.margin,
            self.p,
            self.eps,
            self.swap,
            reduction=self.reduction,
        )


class TripletMarginWithDistanceLoss(_Loss):
    """``F.triplet_margin_with_distance_loss`` as a module."""

    def __init__(
        self,
        *,
        distance_function: Any = None,
        margin: float = 1.0,
        swap: bool = False,
        reduction: str = "mean",
    ) -> None:
        super().__init__(reduction=reduction)
        if not margin > 0:
            raise ValueError(
                f"TripletMarginWithDistanceLoss: margin must be greater than 0, got {margin}"
            )
        self.distance_function, self.margin, self.swap = distance_function, margin, swap

    def forward(self, anchor: Tensor, positive: Tensor, negative: Tensor) -> Tensor:
        return triplet_margin_with_distance_loss(
            anchor,
            positive,
            negative,
            distance_function=self.distance_function,
            margin=self.margin,
            swap=self.swap,
            reduction=self.reduction,
        )


class PoissonNLLLoss(_Loss):
    """``F.poisson_nll_loss`` as a module."""

    def __init__(
        self,
        log_input: bool = True,
        full: bool = False,
        size_average: bool | None = None,
        eps: float = 1e-8,
        reduce: bool | None = None,
        reduction: str = "mean",
    ) -> None:
        super().__init__(size_average, reduce, reduction)
        self.log_input, self.full, self.eps = log_input, full, eps

    def forward(self, log_input: Tensor, target: Tensor) -> Tensor:
        return poisson_nll_loss(
            log_input, target, self.log_input, self.full, eps=self.eps, reduction=self.reduction
        )


class GaussianNLLLoss(_Loss):
    """``F.gaussian_nll_loss`` as a module."""

    def __init__(self, *, full: bool = False, eps: float = 1e-6, reduction: str = "mean") -> None:
        super().__init__(reduction=reduction)
        self.full, self.eps = full, eps

    def forward(self, input: Tensor, target: Tensor, var: Tensor | float) -> Tensor:  # noqa: A002
        return gaussian_nll_loss(input, target, var, self.full, self.eps, self.reduction)


__all__ = [
    "CosineEmbeddingLoss",
    "GaussianNLLLoss",
    "HingeEmbeddingLoss",
    "MarginRankingLoss",
    "MultiLabelMarginLoss",
    "MultiLabelSoftMarginLoss",
    "MultiMarginLoss",
    "PoissonNLLLoss",
    "SoftMarginLoss",
    "TripletMarginLoss",
    "TripletMarginWithDistanceLoss",
    *OPS,
]
