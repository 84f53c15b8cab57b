"""The functional ops PyTorch also exposes at its top level (``torch.layer_norm``,
``torch.embedding``, ``torch.kl_div``...), with the argument order and defaults of those
top-level forms, each delegating to ``nanotorch.nn.functional``.

Note [Top-level functional forms]
~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
PyTorch's top-level forms are its internal operators, and their signatures differ from
``torch.nn.functional``'s in ways code ported from PyTorch relies on: ``torch.embedding``
takes the weight first and -1 for "no padding index", ``torch.batch_norm`` takes weight and
bias before the running statistics and requires every argument, ``torch.dropout`` requires
``p`` and ``train``, and the losses take ``reduction`` as an int (0 none, 1 mean, 2 sum)
instead of a string. Called without ``reduction``, PyTorch's Python binding of these
operators does not reduce (although the operator's schema names 1), and neither do these:
their default is 0. Each wrapper here converts those arguments and calls the functional
op, so the numbers, gradients and errors are the functional op's, checked against PyTorch by
``tests/torch_compare_nn/test_tc_functional.py`` (``TOPLEVEL``). They declare no ``OPS``:
the ops they delegate to carry the specs. ``nanotorch/__init__.py`` exports them.

This sits in ``nn`` because it calls ``nn.functional``; it imports no array library.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from nanotorch.errors import ShapeError
from nanotorch.nn import functional as F
from nanotorch.tensor import Tensor

__all__ = [
    "alpha_dropout",
    "batch_norm",
    "bilinear",
    "binary_cross_entropy_with_logits",
    "celu",
    "channel_shuffle",
    "native_channel_shuffle",
    "cosine_embedding_loss",
    "cosine_similarity",
    "dropout",
    "embedding",
    "feature_alpha_dropout",
    "feature_dropout",
    "group_norm",
    "hardshrink",
    "hinge_embedding_loss",
    "instance_norm",
    "kl_div",
    "layer_norm",
    "margin_ranking_loss",
    "pairwise_distance",
    "pixel_shuffle",
    "pixel_unshuffle",
    "poisson_nll_loss",
    "prelu",
    "rms_norm",
    "rrelu",
    "selu",
    "threshold",
    "triplet_margin_loss",
]

_REDUCTIONS = {0: "none", 1: "mean", 2: "sum"}


def _reduction(op: str, reduction: Any) -> str:
    """PyTorch's int reduction code as the functional ops' string."""
    if isinstance(reduction, bool) or not isinstance(reduction, int):
        raise TypeError(
            f"{op}: reduction must be an int here (0 none, 1 mean, 2 sum), got {reduction!r}; "
            f"nanotorch.nn.functional.{op} takes the string"
        )
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{op}: reduction must be 0 (none), 1 (mean) or 2 (sum), got {reduction}")
    return _REDUCTIONS[reduction]


# ---------------------------------------------------------------------------- normalization
def layer_norm(
    input: Tensor,  # noqa: A002
    normalized_shape: int | Sequence[int],
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
    cudnn_enable: bool = True,
) -> Tensor:
    """``F.layer_norm``; ``cudnn_enable`` is accepted and has no effect."""
    return F.layer_norm(input, normalized_shape, weight, bias, eps)


def group_norm(
    input: Tensor,  # noqa: A002
    num_groups: int,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
    cudnn_enabled: bool = True,
) -> Tensor:
    return F.group_norm(input, num_groups, weight, bias, eps)


def batch_norm(
    input: Tensor,  # noqa: A002
    weight: Tensor | None,
    bias: Tensor | None,
    running_mean: Tensor | None,
    running_var: Tensor | None,
    training: bool,
    momentum: float,
    eps: float,
    cudnn_enabled: bool,
) -> Tensor:
    """``F.batch_norm`` with PyTorch's top-level order: weight and bias first, every argument
    required."""
    return F.batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)


def instance_norm(
    input: Tensor,  # noqa: A002
    weight: Tensor | None,
    bias: Tensor | None,
    running_mean: Tensor | None,
    running_var: Tensor | None,
    use_input_stats: bool,
    momentum: float,
    eps: float,
    cudnn_enabled: bool,
) -> Tensor:
    return F.instance_norm(
        input, running_mean, running_var, weight, bias, use_input_stats, momentum, eps
    )


def rms_norm(
    input: Tensor,  # noqa: A002
    normalized_shape: int | Sequence[int],
    weight: Tensor | None = None,
    eps: float | None = None,
) -> Tensor:
    return F.rms_norm(input, normalized_shape, weight, eps)


# ---------------------------------------------------------------------------- layers
def embedding(
    weight: Tensor,
    indices: Tensor,
    padding_idx: int = -1,
    scale_grad_by_freq: bool = False,
    sparse: bool = False,
) -> Tensor:
    """``F.embedding(indices, weight)``: the weight comes first, and a negative
    ``padding_idx`` means no padding row (the functional form counts it from the end)."""
    return F.embedding(
        indices,
        weight,
        padding_idx=None if padding_idx < 0 else padding_idx,
        scale_grad_by_freq=scale_grad_by_freq,
        sparse=sparse,
    )


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    return F.bilinear(input1, input2, weight, bias)


def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:  # noqa: A002
    return F.pixel_shuffle(input, upscale_factor)


def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:  # noqa: A002
    return F.pixel_unshuffle(input, downscale_factor)


def channel_shuffle(input: Tensor, groups: int) -> Tensor:  # noqa: A002
    return F.channel_shuffle(input, groups)


native_channel_shuffle = channel_shuffle


# ---------------------------------------------------------------------------- dropout
def dropout(input: Tensor, p: float, train: bool, *, generator: Any = None) -> Tensor:  # noqa: A002
    """``F.dropout(input, p, training=train)``; ``p`` and ``train`` are required here."""
    return F.dropout(input, p, train, generator=generator)


def alpha_dropout(input: Tensor, p: float, train: bool, *, generator: Any = None) -> Tensor:  # noqa: A002
    return F.alpha_dropout(input, p, train, generator=generator)


def feature_dropout(input: Tensor, p: float, train: bool, *, generator: Any = None) -> Tensor:  # noqa: A002
    """Dropout of whole features: one draw per (n, c) of an (N, C, *) input, kept (scaled by
    1 / (1 - p)) or zeroed with everything it holds; for a 2-D input that is every element."""
    from nanotorch.nn.dropout import _check_input, _check_p, _drop_channels

    _check_p("feature_dropout", p)
    _check_input("feature_dropout", input)
    if input.ndim < 2:
        raise ShapeError(
            f"feature_dropout: needs an (N, C, *) input of at least 2 dims, got shape "
            f"{tuple(input.shape)}"
        )
    return _drop_channels("feature_dropout", input, p, train, 2, generator)


def feature_alpha_dropout(
    input: Tensor,  # noqa: A002
    p: float,
    train: bool,
    *,
    generator: Any = None,
) -> Tensor:
    return F.feature_alpha_dropout(input, p, train, generator=generator)


# ---------------------------------------------------------------------------- activations
def prelu(input: Tensor, weight: Tensor) -> Tensor:  # noqa: A002
    return F.prelu(input, weight)


def rrelu(
    input: Tensor,  # noqa: A002
    lower: float = 1.0 / 8,
    upper: float = 1.0 / 3,
    training: bool = False,
    generator: Any = None,
) -> Tensor:
    return F.rrelu(input, lower, upper, training, generator=generator)


def selu(input: Tensor) -> Tensor:  # noqa: A002
    return F.selu(input)


def celu(input: Tensor, alpha: float = 1.0) -> Tensor:  # noqa: A002
    return F.celu(input, alpha)


def threshold(input: Tensor, threshold: float, value: float) -> Tensor:  # noqa: A002
    return F.threshold(input, threshold, value)


def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:  # noqa: A002
    return F.hardshrink(input, lambd)


# ---------------------------------------------------------------------------- distances
def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    return F.cosine_similarity(x1, x2, dim, eps)


def pairwise_distance(
    x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False
) -> Tensor:
    return F.pairwise_distance(x1, x2, p, eps, keepdim)


# ---------------------------------------------------------------------------- losses
def kl_div(
    input: Tensor,  # noqa: A002
    target: Tensor,
    reduction: int = 0,
    *,
    log_target: bool = False,
) -> Tensor:
    """``F.kl_div`` with an int ``reduction``; 1 ("mean") averages over every element, and
    the default 0 does not reduce (Note [Top-level functional forms])."""
    return F.kl_div(input, target, reduction=_reduction("kl_div", reduction), log_target=log_target)


def margin_ranking_loss(
    input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0.0, reduction: int = 0
) -> Tensor:
    red = _reduction("margin_ranking_loss", reduction)
    return F.margin_ranking_loss(input1, input2, target, margin, reduction=red)


def hinge_embedding_loss(
    input: Tensor,  # noqa: A002
    target: Tensor,
    margin: float = 1.0,
    reduction: int = 0,
) -> Tensor:
    red = _reduction("hinge_embedding_loss", reduction)
    return F.hinge_embedding_loss(input, target, margin, reduction=red)


def triplet_margin_loss(
    anchor: Tensor,
    positive: Tensor,
    negative: Tensor,
    margin: float = 1.0,
    p: float = 2.0,
    eps: float = 1e-6,
    swap: bool = False,
    reduction: int = 0,
) -> Tensor:
    red = _reduction("triplet_margin_loss", reduction)
    return F.triplet_margin_loss(anchor, positive, negative, margin, p, eps, swap, reduction=red)


def cosine_embedding_loss(
    input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0.0, reduction: int = 0
) -> Tensor:
    red = _reduction("cosine_embedding_loss", reduction)
    return F.cosine_embedding_loss(input1, input2, target, margin, reduction=red)


def poisson_nll_loss(
    input: Tensor,  # noqa: A002
    target: Tensor,
    log_input: bool,
    full: bool,
    eps: float,
    reduction: int,
) -> Tensor:
    """``F.poisson_nll_loss``; every argument is required here, as in PyTorch."""
    red = _reduction("poisson_nll_loss", reduction)
    return F.poisson_nll_loss(input, target, log_input, full, eps=eps, reduction=red)


def binary_cross_entropy_with_logits(
    input: Tensor,  # noqa: A002
    target: Tensor,
    weight: Tensor | None = None,
    pos_weight: Tensor | None = None,
    reduction: int = 0,
) -> Tensor:
    red = _reduction("binary_cross_entropy_with_logits", reduction)
    return F.binary_cross_entropy_with_logits(
        input, target, weight, reduction=red, pos_weight=pos_weight
    )
