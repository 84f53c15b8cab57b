"""Every nanotorch.nn layer against its PyTorch twin: state_dict keys and shapes match, torch's
state loads unchanged, and forward outputs, buffers after forward, and the gradients of inputs
and parameters agree in train and eval mode, in float32 and float64."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch
from nn_compare import compare_module

import nanotorch as nt

R = np.random.default_rng(0)


def randn(*shape: int) -> np.ndarray:
    return R.standard_normal(shape)


def ints(high: int, *shape: int) -> np.ndarray:
    return R.integers(0, high, shape).astype(np.int64)


def distinct(*shape: int) -> np.ndarray:
    """Values without ties, so max pooling picks the same element in both libraries."""
    return R.permutation(int(np.prod(shape))).reshape(shape) / 7.0 - 3.0


Case = tuple[str, Callable[[Any], Any], list[np.ndarray]]

CASES: list[Case] = [
    # linear
    ("Linear", lambda nn: nn.Linear(4, 3), [randn(2, 5, 4)]),
    ("Linear-nobias", lambda nn: nn.Linear(4, 3, bias=False), [randn(2, 4)]),
    ("Linear-1d-input", lambda nn: nn.Linear(4, 3), [randn(4)]),
    ("Identity", lambda nn: nn.Identity(), [randn(2, 3)]),
    # convolutions
    ("Conv1d", lambda nn: nn.Conv1d(2, 4, 3), [randn(2, 2, 7)]),
    ("Conv1d-unbatched", lambda nn: nn.Conv1d(2, 4, 3), [randn(2, 7)]),
    (
        "Conv1d-stride-pad-dil-groups",
        lambda nn: nn.Conv1d(4, 6, 3, stride=2, padding=2, dilation=2, groups=2),
        [randn(2, 4, 9)],
    ),
    ("Conv1d-same", lambda nn: nn.Conv1d(2, 3, 4, padding="same"), [randn(1, 2, 7)]),
    (
        "Conv1d-valid-nobias",
        lambda nn: nn.Conv1d(2, 3, 2, padding="valid", bias=False),
        [randn(1, 2, 5)],
    ),
    (
        "Conv1d-reflect",
        lambda nn: nn.Conv1d(2, 3, 3, padding=1, padding_mode="reflect"),
        [randn(1, 2, 6)],
    ),
    (
        "Conv1d-circular",
        lambda nn: nn.Conv1d(2, 3, 3, padding=2, padding_mode="circular"),
        [randn(1, 2, 6)],
    ),
    (
        "Conv1d-replicate",
        lambda nn: nn.Conv1d(2, 3, 3, padding=1, padding_mode="replicate"),
        [randn(1, 2, 6)],
    ),
    ("Conv2d", lambda nn: nn.Conv2d(2, 3, 3, padding=1), [randn(2, 2, 5, 5)]),
    (
        "Conv2d-rect",
        lambda nn: nn.Conv2d(
            2, 4, (2, 3), stride=(2, 1), padding=(1, 0), dilation=(1, 2), groups=2
        ),
        [randn(2, 2, 6, 7)],
    ),
    (
        "Conv2d-same-dil",
        lambda nn: nn.Conv2d(2, 2, 3, padding="same", dilation=2),
        [randn(1, 2, 6, 5)],
    ),
    (
        "Conv2d-reflect",
        lambda nn: nn.Conv2d(1, 2, 3, padding=1, padding_mode="reflect"),
        [randn(1, 1, 4, 5)],
    ),
    ("Conv2d-depthwise", lambda nn: nn.Conv2d(3, 6, 3, groups=3), [randn(1, 3, 5, 5)]),
    ("Conv3d", lambda nn: nn.Conv3d(2, 2, 2, stride=(1, 2, 1), padding=1), [randn(1, 2, 3, 4, 3)]),
    ("ConvTranspose1d", lambda nn: nn.ConvTranspose1d(2, 3, 3, stride=2), [randn(2, 2, 4)]),
    (
        "ConvTranspose1d-opad-dil-groups",
        lambda nn: nn.ConvTranspose1d(
            4, 2, 3, stride=2, padding=1, output_padding=1, dilation=2, groups=2
        ),
        [randn(1, 4, 5)],
    ),
    (
        "ConvTranspose2d",
        lambda nn: nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1, output_padding=1),
        [randn(1, 2, 3, 4)],
    ),
    (
        "ConvTranspose2d-nobias-groups",
        lambda nn: nn.ConvTranspose2d(4, 4, (2, 3), groups=2, bias=False),
        [randn(1, 4, 3, 3)],
    ),
    ("ConvTranspose3d", lambda nn: nn.ConvTranspose3d(2, 3, 2, stride=2), [randn(1, 2, 2, 2, 3)]),
    (
        "ConvTranspose3d-pad-opad-dil-groups",
        lambda nn: nn.ConvTranspose3d(
            4,
            2,
            (2, 3, 2),
            stride=(3, 2, 1),
            padding=(1, 1, 0),
            output_padding=(1, 1, 0),
            dilation=(2, 1, 1),
            groups=2,
        ),
        [randn(2, 4, 3, 2, 2)],
    ),
    (
        "ConvTranspose3d-unbatched-nobias",
        lambda nn: nn.ConvTranspose3d(2, 2, 3, padding=1, bias=False),
        [randn(2, 2, 3, 2)],
    ),
    # max pooling
    ("MaxPool1d", lambda nn: nn.MaxPool1d(3, stride=2, padding=1), [distinct(2, 2, 9)]),
    (
        "MaxPool1d-ceil-dil",
        lambda nn: nn.MaxPool1d(2, stride=2, dilation=2, ceil_mode=True),
        [distinct(1, 2, 8)],
    ),
    ("MaxPool1d-indices", lambda nn: nn.MaxPool1d(2, return_indices=True), [distinct(1, 2, 7)]),
    ("MaxPool2d", lambda nn: nn.MaxPool2d(2), [distinct(2, 2, 5, 5)]),
    (
        "MaxPool2d-ceil",
        lambda nn: nn.MaxPool2d(3, stride=2, ceil_mode=True),
        [distinct(1, 2, 6, 7)],
    ),
    (
        "MaxPool2d-pad-dil",
        lambda nn: nn.MaxPool2d(3, stride=1, padding=1, dilation=(1, 2)),
        [distinct(1, 1, 5, 7)],
    ),
    (
        "MaxPool2d-indices",
        lambda nn: nn.MaxPool2d(2, stride=1, return_indices=True),
        [distinct(1, 2, 4, 4)],
    ),
    ("MaxPool2d-unbatched", lambda nn: nn.MaxPool2d(2), [distinct(2, 4, 4)]),
    ("MaxPool3d", lambda nn: nn.MaxPool3d(2, stride=1, padding=1), [distinct(1, 1, 3, 3, 3)]),
    (
        "MaxPool3d-ceil-indices",
        lambda nn: nn.MaxPool3d(2, ceil_mode=True, return_indices=True),
        [distinct(1, 1, 3, 5, 3)],
    ),
    # average pooling
    ("AvgPool1d", lambda nn: nn.AvgPool1d(3, stride=2, padding=1), [randn(2, 2, 8)]),
    (
        "AvgPool1d-ceil-nopad",
        lambda nn: nn.AvgPool1d(3, stride=2, padding=1, ceil_mode=True, count_include_pad=False),
        [randn(1, 2, 8)],
    ),
    ("AvgPool2d", lambda nn: nn.AvgPool2d(2), [randn(2, 2, 5, 5)]),
    ("AvgPool2d-ceil", lambda nn: nn.AvgPool2d(3, stride=2, ceil_mode=True), [randn(1, 1, 6, 6)]),
    (
        "AvgPool2d-ceil-pad",
        lambda nn: nn.AvgPool2d(3, stride=2, padding=1, ceil_mode=True),
        [randn(1, 1, 6, 6)],
    ),
    (
        "AvgPool2d-nocount",
        lambda nn: nn.AvgPool2d(3, stride=2, padding=1, count_include_pad=False),
        [randn(1, 2, 5, 6)],
    ),
    ("AvgPool2d-divisor", lambda nn: nn.AvgPool2d(2, divisor_override=3), [randn(1, 2, 4, 4)]),
    (
        "AvgPool3d",
        lambda nn: nn.AvgPool3d(2, stride=1, padding=1, count_include_pad=False),
        [randn(1, 1, 3, 3, 3)],
    ),
    (
        "AvgPool3d-ceil-divisor",
        lambda nn: nn.AvgPool3d(2, ceil_mode=True, divisor_override=5),
        [randn(1, 1, 3, 3, 3)],
    ),
    # adaptive pooling
    ("AdaptiveAvgPool1d", lambda nn: nn.AdaptiveAvgPool1d(3), [randn(2, 2, 7)]),
    ("AdaptiveAvgPool2d", lambda nn: nn.AdaptiveAvgPool2d((3, 2)), [randn(2, 2, 7, 5)]),
    ("AdaptiveAvgPool2d-none", lambda nn: nn.AdaptiveAvgPool2d((None, 3)), [randn(1, 2, 4, 5)]),
    ("AdaptiveAvgPool2d-1", lambda nn: nn.AdaptiveAvgPool2d(1), [randn(2, 3, 4, 4)]),
    ("AdaptiveAvgPool3d", lambda nn: nn.AdaptiveAvgPool3d((2, 3, 2)), [randn(1, 1, 3, 5, 4)]),
    ("AdaptiveMaxPool1d", lambda nn: nn.AdaptiveMaxPool1d(3), [distinct(2, 2, 7)]),
    (
        "AdaptiveMaxPool1d-indices",
        lambda nn: nn.AdaptiveMaxPool1d(3, return_indices=True),
        [distinct(1, 2, 8)],
    ),
    ("AdaptiveMaxPool2d", lambda nn: nn.AdaptiveMaxPool2d((2, 3)), [distinct(1, 2, 5, 7)]),
    (
        "AdaptiveMaxPool2d-indices",
        lambda nn: nn.AdaptiveMaxPool2d(2, return_indices=True),
        [distinct(1, 2, 5, 5)],
    ),
    ("AdaptiveMaxPool3d", lambda nn: nn.AdaptiveMaxPool3d(2), [distinct(1, 1, 3, 4, 5)]),
    # normalisation
    ("BatchNorm1d-2d", lambda nn: nn.BatchNorm1d(3), [randn(4, 3)]),
    ("BatchNorm1d-3d", lambda nn: nn.BatchNorm1d(3), [randn(4, 3, 5)]),
    ("BatchNorm1d-cumulative", lambda nn: nn.BatchNorm1d(3, momentum=None), [randn(4, 3)]),
    ("BatchNorm1d-momentum", lambda nn: nn.BatchNorm1d(3, momentum=0.3, eps=1e-3), [randn(4, 3)]),
    ("BatchNorm1d-noaffine", lambda nn: nn.BatchNorm1d(3, affine=False), [randn(4, 3)]),
    ("BatchNorm1d-nostats", lambda nn: nn.BatchNorm1d(3, track_running_stats=False), [randn(4, 3)]),
    ("BatchNorm2d", lambda nn: nn.BatchNorm2d(2), [randn(3, 2, 4, 3)]),
    (
        "BatchNorm2d-noaffine-nostats",
        lambda nn: nn.BatchNorm2d(2, affine=False, track_running_stats=False),
        [randn(2, 2, 3, 3)],
    ),
    ("LayerNorm", lambda nn: nn.LayerNorm(4), [randn(2, 3, 4)]),
    ("LayerNorm-2d", lambda nn: nn.LayerNorm((3, 4), eps=1e-3), [randn(2, 3, 4)]),
    ("LayerNorm-noaffine", lambda nn: nn.LayerNorm(4, elementwise_affine=False), [randn(2, 4)]),
    ("LayerNorm-nobias", lambda nn: nn.LayerNorm(4, bias=False), [randn(2, 4)]),
    ("GroupNorm", lambda nn: nn.GroupNorm(2, 4), [randn(2, 4, 3)]),
    ("GroupNorm-4d", lambda nn: nn.GroupNorm(3, 6, eps=1e-3), [randn(2, 6, 2, 3)]),
    ("GroupNorm-noaffine", lambda nn: nn.GroupNorm(1, 4, affine=False), [randn(2, 4, 5)]),
    # dropout, identity in eval or at p=0
    ("Dropout-p0", lambda nn: nn.Dropout(0.0), [randn(3, 4)]),
    ("Dropout-p1", lambda nn: nn.Dropout(1.0), [randn(3, 4)]),
    ("Dropout2d-p0", lambda nn: nn.Dropout2d(0.0), [randn(2, 3, 4, 4)]),
    ("Dropout2d-p1", lambda nn: nn.Dropout2d(1.0), [randn(2, 3, 4, 4)]),
    ("Dropout1d-p1", lambda nn: nn.Dropout1d(1.0), [randn(2, 3, 4)]),
    ("Dropout1d-p0-unbatched", lambda nn: nn.Dropout1d(0.0), [randn(3, 4)]),
    ("Dropout3d-p1", lambda nn: nn.Dropout3d(1.0), [randn(1, 2, 2, 2, 2)]),
    ("Dropout3d-p0", lambda nn: nn.Dropout3d(0.0), [randn(2, 2, 2, 2)]),
    ("AlphaDropout-p0", lambda nn: nn.AlphaDropout(0.0), [randn(3, 4)]),
    ("AlphaDropout-p1", lambda nn: nn.AlphaDropout(1.0), [randn(3, 4)]),
    ("FeatureAlphaDropout-p1", lambda nn: nn.FeatureAlphaDropout(1.0), [randn(2, 3, 4)]),
    ("ChannelShuffle", lambda nn: nn.ChannelShuffle(2), [randn(2, 6, 2, 2)]),
    ("ChannelShuffle-3", lambda nn: nn.ChannelShuffle(3), [randn(1, 6, 4)]),
    # embeddings
    ("Embedding", lambda nn: nn.Embedding(6, 3), [ints(6, 2, 4)]),
    (
        "Embedding-padding",
        lambda nn: nn.Embedding(6, 3, padding_idx=1),
        [np.array([[1, 2, 1], [0, 1, 5]])],
    ),
    (
        "Embedding-padding-neg",
        lambda nn: nn.Embedding(6, 3, padding_idx=-1),
        [np.array([5, 2, 5, 0])],
    ),
    ("Embedding-maxnorm", lambda nn: nn.Embedding(6, 3, max_norm=0.5), [np.array([[1, 2, 1]])]),
    (
        "Embedding-maxnorm-l1",
        lambda nn: nn.Embedding(6, 3, max_norm=1.0, norm_type=1.0),
        [np.array([0, 3, 3])],
    ),
    ("EmbeddingBag-2d-mean", lambda nn: nn.EmbeddingBag(6, 3), [ints(6, 3, 4)]),
    ("EmbeddingBag-2d-sum", lambda nn: nn.EmbeddingBag(6, 3, mode="sum"), [ints(6, 2, 3)]),
    (
        "EmbeddingBag-2d-max",
        lambda nn: nn.EmbeddingBag(6, 3, mode="max"),
        [np.array([[0, 1, 2], [3, 3, 5]])],
    ),
    (
        "EmbeddingBag-offsets",
        lambda nn: nn.EmbeddingBag(6, 3),
        [np.array([0, 2, 4, 1, 5, 3]), np.array([0, 2, 2, 5])],
    ),
    (
        "EmbeddingBag-offsets-max-last",
        lambda nn: nn.EmbeddingBag(6, 3, mode="max", include_last_offset=True),
        [np.array([0, 2, 4, 1, 5, 3]), np.array([0, 1, 4, 6])],
    ),
    (
        "EmbeddingBag-padding-mean",
        lambda nn: nn.EmbeddingBag(6, 3, padding_idx=2),
        [np.array([[2, 1, 2], [2, 2, 2], [0, 4, 5]])],
    ),
    (
        "EmbeddingBag-weights",
        lambda nn: nn.EmbeddingBag(6, 3, mode="sum"),
        [np.array([1, 2, 4, 5, 0]), np.array([0, 3]), randn(5)],
    ),
    # activations
    ("ReLU", lambda nn: nn.ReLU(), [randn(3, 4)]),
    ("ReLU6", lambda nn: nn.ReLU6(), [randn(3, 4) * 4]),
    ("LeakyReLU", lambda nn: nn.LeakyReLU(), [randn(3, 4)]),
    ("LeakyReLU-slope", lambda nn: nn.LeakyReLU(0.2), [randn(3, 4)]),
    ("GELU", lambda nn: nn.GELU(), [randn(3, 4) * 2]),
    ("GELU-tanh", lambda nn: nn.GELU(approximate="tanh"), [randn(3, 4) * 2]),
    ("SiLU", lambda nn: nn.SiLU(), [randn(3, 4)]),
    ("Tanh", lambda nn: nn.Tanh(), [randn(3, 4)]),
    ("Sigmoid", lambda nn: nn.Sigmoid(), [randn(3, 4)]),
    ("Softplus", lambda nn: nn.Softplus(), [randn(3, 4) * 10]),
    ("Softplus-beta-threshold", lambda nn: nn.Softplus(beta=2.0, threshold=3.0), [randn(3, 4) * 4]),
    ("Softplus-beta-half", lambda nn: nn.Softplus(beta=0.5, threshold=1.0), [randn(3, 4) * 4]),
    ("ELU", lambda nn: nn.ELU(), [randn(3, 4)]),
    ("ELU-alpha", lambda nn: nn.ELU(alpha=0.5), [randn(3, 4)]),
    ("CELU", lambda nn: nn.CELU(), [randn(3, 4)]),
    ("CELU-alpha", lambda nn: nn.CELU(alpha=2.0), [randn(3, 4)]),
    ("CELU-inexact-alpha", lambda nn: nn.CELU(alpha=0.7), [randn(3, 4)]),
    ("SELU", lambda nn: nn.SELU(), [randn(3, 4)]),
    ("Hardtanh", lambda nn: nn.Hardtanh(), [randn(3, 4) * 2]),
    ("Hardtanh-range", lambda nn: nn.Hardtanh(-0.5, 2.0), [randn(3, 4) * 2]),
    ("Hardsigmoid", lambda nn: nn.Hardsigmoid(), [randn(3, 4) * 4]),
    ("Hardswish", lambda nn: nn.Hardswish(), [randn(3, 4) * 4]),
    ("Mish", lambda nn: nn.Mish(), [randn(3, 4) * 3]),
    ("LogSigmoid", lambda nn: nn.LogSigmoid(), [randn(3, 4) * 5]),
    ("Softsign", lambda nn: nn.Softsign(), [randn(3, 4) * 3]),
    ("PReLU", lambda nn: nn.PReLU(), [randn(2, 3, 4)]),
    ("PReLU-channels", lambda nn: nn.PReLU(3, init=0.1), [randn(2, 3, 4)]),
    ("PReLU-1d", lambda nn: nn.PReLU(), [randn(4)]),
    ("Softmax", lambda nn: nn.Softmax(dim=1), [randn(2, 3, 4)]),
    ("Softmax-last", lambda nn: nn.Softmax(dim=-1), [randn(2, 3, 4)]),
    ("LogSoftmax", lambda nn: nn.LogSoftmax(dim=0), [randn(2, 3, 4)]),
    ("LogSoftmax-last", lambda nn: nn.LogSoftmax(dim=-1), [randn(3, 4) * 10]),
    ("Softmin", lambda nn: nn.Softmin(dim=1), [randn(2, 3, 4)]),
    ("GLU", lambda nn: nn.GLU(), [randn(2, 3, 4)]),
    ("GLU-dim", lambda nn: nn.GLU(dim=1), [randn(2, 4, 3)]),
    ("Threshold", lambda nn: nn.Threshold(0.1, 20.0), [randn(3, 4)]),
    ("Tanhshrink", lambda nn: nn.Tanhshrink(), [randn(3, 4)]),
    ("Softshrink", lambda nn: nn.Softshrink(), [randn(3, 4)]),
    ("Softshrink-lambd", lambda nn: nn.Softshrink(1.2), [randn(3, 4)]),
    ("Hardshrink", lambda nn: nn.Hardshrink(), [randn(3, 4)]),
    ("Hardshrink-lambd", lambda nn: nn.Hardshrink(0.8), [randn(3, 4)]),
    ("Softmax2d", lambda nn: nn.Softmax2d(), [randn(2, 3, 2, 2)]),
    ("Softmax2d-unbatched", lambda nn: nn.Softmax2d(), [randn(3, 2, 2)]),
    # more normalisation
    ("BatchNorm3d", lambda nn: nn.BatchNorm3d(2), [randn(2, 2, 2, 3, 2)]),
    (
        "BatchNorm3d-cumulative",
        lambda nn: nn.BatchNorm3d(2, momentum=None, affine=False),
        [randn(2, 2, 2, 2, 2)],
    ),
    ("InstanceNorm1d", lambda nn: nn.InstanceNorm1d(3), [randn(2, 3, 5)]),
    (
        "InstanceNorm1d-unbatched-affine",
        lambda nn: nn.InstanceNorm1d(3, affine=True),
        [randn(3, 5)],
    ),
    (
        "InstanceNorm2d-stats",
        lambda nn: nn.InstanceNorm2d(2, affine=True, track_running_stats=True, momentum=0.3),
        [randn(2, 2, 3, 4)],
    ),
    ("InstanceNorm3d", lambda nn: nn.InstanceNorm3d(2, eps=1e-3), [randn(1, 2, 2, 3, 2)]),
    ("RMSNorm", lambda nn: nn.RMSNorm(4), [randn(2, 3, 4)]),
    ("RMSNorm-2d-eps", lambda nn: nn.RMSNorm((3, 4), eps=1e-3), [randn(2, 3, 4)]),
    ("RMSNorm-noaffine", lambda nn: nn.RMSNorm([4], elementwise_affine=False), [randn(5, 4)]),
    ("LocalResponseNorm", lambda nn: nn.LocalResponseNorm(3), [randn(2, 5, 4)]),
    (
        "LocalResponseNorm-4d-args",
        lambda nn: nn.LocalResponseNorm(2, alpha=0.1, beta=0.5, k=2.0),
        [randn(1, 4, 3, 3)],
    ),
    # pixel shuffle
    ("PixelShuffle", lambda nn: nn.PixelShuffle(2), [randn(2, 8, 2, 3)]),
    ("PixelShuffle-3d-batch", lambda nn: nn.PixelShuffle(3), [randn(9, 2, 2)]),
    ("PixelUnshuffle", lambda nn: nn.PixelUnshuffle(2), [randn(2, 2, 4, 6)]),
    # more pooling and linear maps
    ("LPPool1d", lambda nn: nn.LPPool1d(2, 3, stride=2), [np.abs(randn(2, 2, 7)) + 0.1]),
    (
        "LPPool1d-p3-ceil",
        lambda nn: nn.LPPool1d(3, 2, ceil_mode=True),
        [np.abs(randn(1, 2, 7)) + 0.1],
    ),
    ("LPPool2d", lambda nn: nn.LPPool2d(2, 2), [np.abs(randn(1, 2, 4, 5)) + 0.1]),
    (
        "LPPool2d-rect",
        lambda nn: nn.LPPool2d(1.5, (2, 3), stride=(1, 2)),
        [np.abs(randn(1, 1, 4, 5)) + 0.1],
    ),
    ("Bilinear", lambda nn: nn.Bilinear(3, 4, 2), [randn(5, 3), randn(5, 4)]),
    (
        "Bilinear-nobias-batched",
        lambda nn: nn.Bilinear(2, 3, 4, bias=False),
        [randn(2, 5, 2), randn(2, 5, 3)],
    ),
    ("CosineSimilarity", lambda nn: nn.CosineSimilarity(), [randn(3, 4), randn(3, 4)]),
    (
        "CosineSimilarity-dim",
        lambda nn: nn.CosineSimilarity(dim=-1, eps=1e-6),
        [randn(2, 3, 4), randn(1, 3, 4)],
    ),
    ("PairwiseDistance", lambda nn: nn.PairwiseDistance(), [randn(3, 4), randn(3, 4)]),
    (
        "PairwiseDistance-p1-keepdim",
        lambda nn: nn.PairwiseDistance(p=1.0, keepdim=True),
        [randn(3, 4), randn(3, 4)],
    ),
    # reshaping
    ("Flatten", lambda nn: nn.Flatten(), [randn(2, 3, 4)]),
    ("Flatten-dims", lambda nn: nn.Flatten(0, -2), [randn(2, 3, 4)]),
    ("Unflatten", lambda nn: nn.Unflatten(1, (2, 3)), [randn(2, 6, 4)]),
    ("Unflatten-neg", lambda nn: nn.Unflatten(-1, (2, -1)), [randn(2, 6)]),
    ("Unfold", lambda nn: nn.Unfold(2, stride=1, padding=1), [randn(2, 2, 3, 4)]),
    (
        "Unfold-dil",
        lambda nn: nn.Unfold((2, 3), dilation=(2, 1), stride=(1, 2)),
        [randn(1, 2, 5, 6)],
    ),
    ("Fold", lambda nn: nn.Fold((4, 5), 2, stride=1), [randn(2, 8, 12)]),
    ("Fold-pad", lambda nn: nn.Fold((4, 4), (2, 2), stride=2, padding=1), [randn(1, 4, 9)]),
    # padding layers
    ("ZeroPad2d", lambda nn: nn.ZeroPad2d((1, 2, 0, 1)), [randn(1, 2, 3, 3)]),
    ("ZeroPad1d", lambda nn: nn.ZeroPad1d(2), [randn(1, 2, 3)]),
    ("ConstantPad1d", lambda nn: nn.ConstantPad1d((2, 1), 3.5), [randn(2, 3)]),
    ("ConstantPad2d", lambda nn: nn.ConstantPad2d(1, -1.0), [randn(1, 2, 3, 3)]),
    ("ConstantPad3d", lambda nn: nn.ConstantPad3d((1, 0, 0, 1, 1, 1), 2.0), [randn(1, 1, 2, 2, 2)]),
    ("ReflectionPad1d", lambda nn: nn.ReflectionPad1d((2, 1)), [randn(2, 2, 4)]),
    ("ReflectionPad2d", lambda nn: nn.ReflectionPad2d(1), [randn(1, 2, 3, 4)]),
    ("ReflectionPad3d", lambda nn: nn.ReflectionPad3d(1), [randn(1, 1, 2, 3, 3)]),
    ("ReplicationPad1d", lambda nn: nn.ReplicationPad1d((3, 1)), [randn(1, 2, 3)]),
    ("ReplicationPad2d", lambda nn: nn.ReplicationPad2d((1, 0, 2, 1)), [randn(1, 2, 3, 3)]),
    ("ReplicationPad3d", lambda nn: nn.ReplicationPad3d(1), [randn(1, 1, 2, 2, 2)]),
    ("CircularPad1d", lambda nn: nn.CircularPad1d((1, 2)), [randn(1, 2, 4)]),
    ("CircularPad2d", lambda nn: nn.CircularPad2d(1), [randn(1, 1, 3, 3)]),
    ("CircularPad3d", lambda nn: nn.CircularPad3d(1), [randn(1, 1, 2, 3, 2)]),
    # resizing
    ("Upsample-nearest", lambda nn: nn.Upsample(scale_factor=2), [randn(1, 2, 3, 3)]),
    ("Upsample-nearest-size", lambda nn: nn.Upsample(size=(5, 7)), [randn(1, 2, 3, 4)]),
    ("Upsample-nearest-1d", lambda nn: nn.Upsample(scale_factor=1.5), [randn(1, 2, 4)]),
    (
        "Upsample-nearest-exact",
        lambda nn: nn.Upsample(size=(5, 3), mode="nearest-exact"),
        [randn(1, 2, 3, 4)],
    ),
    ("Upsample-linear", lambda nn: nn.Upsample(scale_factor=2, mode="linear"), [randn(1, 2, 4)]),
    (
        "Upsample-linear-ac",
        lambda nn: nn.Upsample(size=7, mode="linear", align_corners=True),
        [randn(1, 2, 4)],
    ),
    (
        "Upsample-bilinear",
        lambda nn: nn.Upsample(scale_factor=2, mode="bilinear"),
        [randn(1, 2, 3, 3)],
    ),
    (
        "Upsample-bilinear-ac",
        lambda nn: nn.Upsample(size=(4, 5), mode="bilinear", align_corners=True),
        [randn(1, 2, 3, 3)],
    ),
    (
        "Upsample-bilinear-down",
        lambda nn: nn.Upsample(size=(2, 3), mode="bilinear"),
        [randn(1, 1, 5, 7)],
    ),
    (
        "Upsample-bicubic",
        lambda nn: nn.Upsample(scale_factor=2, mode="bicubic"),
        [randn(1, 1, 3, 4)],
    ),
    (
        "Upsample-bicubic-ac",
        lambda nn: nn.Upsample(size=(5, 4), mode="bicubic", align_corners=True),
        [randn(1, 1, 3, 3)],
    ),
    (
        "Upsample-trilinear",
        lambda nn: nn.Upsample(scale_factor=(2, 1, 1.5), mode="trilinear"),
        [randn(1, 1, 2, 3, 2)],
    ),
    ("UpsamplingNearest2d", lambda nn: nn.UpsamplingNearest2d(scale_factor=3), [randn(1, 1, 2, 2)]),
    ("UpsamplingBilinear2d", lambda nn: nn.UpsamplingBilinear2d(size=(4, 5)), [randn(1, 1, 2, 3)]),
    # containers
    (
        "Sequential",
        lambda nn: nn.Sequential(nn.Linear(4, 5), nn.ReLU(), nn.Linear(5, 2)),
        [randn(3, 4)],
    ),
    (
        "Sequential-bn",
        lambda nn: nn.Sequential(
            nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.ReLU(), nn.Flatten(), nn.Linear(4, 3)
        ),
        [randn(2, 1, 4, 3)],
    ),
]

DTYPES = ["float32", "float64"]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("train", [True, False], ids=["train", "eval"])
@pytest.mark.parametrize(("make", "inputs"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_module_matches_torch(request, make, inputs, train, dtype):
    name = request.node.callspec.id.split("-train")[0].split("-eval")[0]
    compare_module(make, inputs, dtype, train, tol=FLOAT32_INSIDE_TORCH.get(name))


# PyTorch's CPU kernel multiplies the float64 gradient by a float32 constant 1/6.
# Its float64 celu kernel rounds 1/alpha through float32.
FLOAT32_INSIDE_TORCH = {"Hardsigmoid": "float32", "CELU-inexact-alpha": "float32"}


@pytest.mark.parametrize("dtype", DTYPES)
def test_rrelu_matches_torch_in_eval_and_bounds_in_training(dtype):
    compare_module(lambda nn: nn.RReLU(0.1, 0.3), [randn(3, 4)], dtype, train=False)
    x = -np.abs(randn(2000)) - 0.1
    import torch

    import nanotorch as nt

    ours = nt.nn.RReLU(0.1, 0.3)(nt.tensor(x)).numpy() / x
    theirs = torch.nn.RReLU(0.1, 0.3)(torch.tensor(x)).numpy() / x
    for slopes in (ours, theirs):
        assert slopes.min() >= 0.1 - 1e-12 and slopes.max() <= 0.3 + 1e-12
        assert abs(slopes.mean() - 0.2) < 0.01


_NORMS_WITHOUT_BIAS = {
    "BatchNorm1d": (lambda nn: nn.BatchNorm1d(3, bias=False), (4, 3)),
    "BatchNorm2d": (lambda nn: nn.BatchNorm2d(3, bias=False), (2, 3, 2, 2)),
    "InstanceNorm1d": (
        lambda nn: nn.InstanceNorm1d(3, affine=True, track_running_stats=True, bias=False),
        (2, 3, 5),
    ),
    "GroupNorm": (lambda nn: nn.GroupNorm(1, 3, bias=False), (2, 3, 4)),
    "LayerNorm": (lambda nn: nn.LayerNorm(4, bias=False), (2, 3, 4)),
    "BatchNorm1d-default": (lambda nn: nn.BatchNorm1d(3), (4, 3)),
    "GroupNorm-no-affine": (lambda nn: nn.GroupNorm(1, 3, affine=False), (2, 3, 4)),
}


@pytest.mark.parametrize("train", [True, False])
@pytest.mark.parametrize("name", sorted(_NORMS_WITHOUT_BIAS))
def test_norm_layers_take_bias_flag_like_torch(name, train):
    """PyTorch 2.x's ``bias=False`` on the normalisation layers: a weight and no bias (so the
    state_dict has no ``bias`` key), and ``bias=`` in the repr, as PyTorch prints it."""
    make, shape = _NORMS_WITHOUT_BIAS[name]
    assert repr(make(nt.nn)) == repr(make(torch.nn))
    compare_module(make, [np.random.default_rng(5).standard_normal(shape)], "float64", train)
