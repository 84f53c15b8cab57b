"""Modules added for PyTorch parity, against PyTorch: ``AdaptiveLogSoftmaxWithLoss`` (torch's
state_dict loads unchanged; output, loss, ``log_prob`` and ``predict`` agree, with the
gradients of input and parameters, float32 and float64) and its error classes."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
from nn_compare import close, compare_module, copy_state

import nanotorch as nt

R = np.random.default_rng(31)


def randn(*shape: int) -> np.ndarray:
    return R.standard_normal(shape)


ASM: list[tuple[str, Any, list[np.ndarray]]] = [
    (
        "two-clusters",
        lambda nn: nn.AdaptiveLogSoftmaxWithLoss(8, 12, cutoffs=[4, 9]),
        [randn(6, 8), np.array([0, 5, 11, 3, 9, 6])],
    ),
    (
        "head-bias-div2-empty-cluster",  # no target in the last cluster
        lambda nn: nn.AdaptiveLogSoftmaxWithLoss(
            8, 10, cutoffs=[3, 6], div_value=2.0, head_bias=True
        ),
        [randn(5, 8), np.array([0, 4, 2, 5, 1])],
    ),
    (
        "unbatched",
        lambda nn: nn.AdaptiveLogSoftmaxWithLoss(6, 7, cutoffs=[2]),
        [randn(6), np.array(5)],
    ),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("train", [True, False], ids=["train", "eval"])
@pytest.mark.parametrize(("make", "inputs"), [c[1:] for c in ASM], ids=[c[0] for c in ASM])
def test_adaptive_log_softmax_matches_torch(make, inputs, train, dtype):
    compare_module(make, inputs, dtype, train)


BATCHED = [c for c in ASM if c[2][0].ndim == 2]  # PyTorch's log_prob takes (N, in) only


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(("make", "inputs"), [c[1:] for c in BATCHED], ids=[c[0] for c in BATCHED])
def test_adaptive_log_softmax_log_prob_and_predict_match_torch(make, inputs, dtype):
    t_mod = make(torch.nn).to(getattr(torch, dtype))
    n_mod = make(nt.nn).to(getattr(nt, dtype))
    copy_state(t_mod, n_mod)
    x = inputs[0].astype(dtype)
    close(n_mod.log_prob(nt.tensor(x)), t_mod.log_prob(torch.tensor(x)), dtype, "log_prob")
    close(n_mod.predict(nt.tensor(x)), t_mod.predict(torch.tensor(x)), dtype, "predict")


@pytest.mark.parametrize(
    ("args", "error"),
    [
        ({"cutoffs": [5, 3]}, ValueError),
        ({"cutoffs": [0, 4]}, ValueError),
        ({"cutoffs": [4, 10]}, ValueError),
        ({"cutoffs": [4, 4]}, ValueError),
        ({"cutoffs": []}, ValueError),
    ],
    ids=["unsorted", "zero", "too-large", "repeated", "empty"],
)
def test_adaptive_log_softmax_bad_cutoffs_raise_like_torch(args, error):
    with pytest.raises(error):
        torch.nn.AdaptiveLogSoftmaxWithLoss(8, 10, **args)
    with pytest.raises(error, match="AdaptiveLogSoftmaxWithLoss: cutoffs"):
        nt.nn.AdaptiveLogSoftmaxWithLoss(8, 10, **args)


@pytest.mark.parametrize(
    ("x", "target"),
    [
        (randn(3, 8), np.array([0, 10, 2])),
        (randn(3, 8), np.array([0, -1, 2])),
        (randn(3, 8), np.array([0, 1])),
        (randn(3, 5), np.array([0, 1, 2])),
    ],
    ids=["target-too-large", "target-negative", "batch", "features"],
)
def test_adaptive_log_softmax_bad_input_raises_like_torch(x, target):
    t_mod = torch.nn.AdaptiveLogSoftmaxWithLoss(8, 10, cutoffs=[4])
    n_mod = nt.nn.AdaptiveLogSoftmaxWithLoss(8, 10, cutoffs=[4])
    with pytest.raises(RuntimeError):
        t_mod(torch.tensor(x, dtype=torch.float32), torch.tensor(target))
    with pytest.raises(RuntimeError, match="AdaptiveLogSoftmaxWithLoss"):
        n_mod(nt.tensor(x, dtype=nt.float32), nt.tensor(target))
