"""nn.utils.fuse_conv_bn_eval / fuse_linear_bn_eval (and their *_weights halves) against
PyTorch's: from the same conv/linear and BatchNorm state, the fused module's weight and bias
(and their requires_grad), and its output, are PyTorch's; the fused module equals the pair
it replaces; modules in training mode are refused with PyTorch's error class."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
from nn_compare import NT_DTYPE, TORCH_DTYPE, close, copy_state

import nanotorch as nt

R = np.random.default_rng(5)


def _pair(make: Any, dtype: str) -> tuple[Any, Any]:
    torch.manual_seed(0)
    t_mod = make(torch.nn).to(TORCH_DTYPE[dtype])
    with torch.no_grad():  # running statistics that are not the defaults
        for m in t_mod.modules():
            if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
                m.running_mean.copy_(torch.tensor(R.standard_normal(m.num_features)))
                m.running_var.copy_(torch.tensor(R.uniform(0.5, 2.0, m.num_features)))
                m.weight.copy_(torch.tensor(R.standard_normal(m.num_features)))
                m.bias.copy_(torch.tensor(R.standard_normal(m.num_features)))
    n_mod = make(nt.nn).to(NT_DTYPE[dtype])
    copy_state(t_mod, n_mod)
    return n_mod.eval(), t_mod.eval()


CONV_CASES = [
    (
        "conv2d",
        lambda nn: nn.Sequential(nn.Conv2d(2, 3, 3), nn.BatchNorm2d(3)),
        False,
        (2, 2, 5, 5),
    ),
    (
        "conv1d-nobias",
        lambda nn: nn.Sequential(nn.Conv1d(2, 4, 3, bias=False), nn.BatchNorm1d(4)),
        False,
        (2, 2, 7),
    ),
    (
        "convT2d",
        lambda nn: nn.Sequential(nn.ConvTranspose2d(2, 3, 3), nn.BatchNorm2d(3)),
        True,
        (1, 2, 4, 4),
    ),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(
    ("make", "transpose", "shape"), [c[1:] for c in CONV_CASES], ids=[c[0] for c in CONV_CASES]
)
def test_fuse_conv_bn_eval_matches_torch(make, transpose, shape, dtype):
    n_seq, t_seq = _pair(make, dtype)
    n_fused = nt.nn.utils.fuse_conv_bn_eval(n_seq[0], n_seq[1], transpose=transpose)
    t_fused = torch.nn.utils.fuse_conv_bn_eval(t_seq[0], t_seq[1], transpose=transpose)
    assert type(n_fused) is type(n_seq[0]) and n_fused is not n_seq[0]
    assert list(n_fused.state_dict()) == list(t_fused.state_dict())
    for (name, a), (_, b) in zip(n_fused.named_parameters(), t_fused.named_parameters()):
        close(a, b, dtype, name)
        assert a.requires_grad == b.requires_grad, name
        assert isinstance(a, nt.nn.Parameter) and a.is_leaf
    x = R.standard_normal(shape).astype(dtype)
    close(n_fused(nt.tensor(x)), t_fused(torch.tensor(x)), dtype, "fused output")
    close(n_fused(nt.tensor(x)), n_seq(nt.tensor(x)).detach().numpy(), dtype, "vs conv, bn")


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("features", [4, 1], ids=["per-feature", "one-feature"])
def test_fuse_linear_bn_eval_matches_torch(features, dtype):
    def make(nn):
        return nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(features))

    n_seq, t_seq = _pair(make, dtype)
    n_fused = nt.nn.utils.fuse_linear_bn_eval(n_seq[0], n_seq[1])
    t_fused = torch.nn.utils.fuse_linear_bn_eval(t_seq[0], t_seq[1])
    for (name, a), (_, b) in zip(n_fused.named_parameters(), t_fused.named_parameters()):
        close(a, b, dtype, name)
        assert a.requires_grad == b.requires_grad, name
    x = R.standard_normal((5, 3)).astype(dtype)
    close(n_fused(nt.tensor(x)), t_fused(torch.tensor(x)), dtype, "fused output")


def test_fusion_refuses_training_mode_and_mismatched_features_like_torch():
    for lib in (torch, nt):
        conv, bn = lib.nn.Conv2d(2, 3, 3), lib.nn.BatchNorm2d(3)
        with pytest.raises(AssertionError, match="eval"):
            lib.nn.utils.fuse_conv_bn_eval(conv, bn)
        lin, bn = lib.nn.Linear(2, 3).eval(), lib.nn.BatchNorm1d(5).eval()
        with pytest.raises(AssertionError, match="out_features"):
            lib.nn.utils.fuse_linear_bn_eval(lin, bn)
        bn = lib.nn.BatchNorm2d(3, track_running_stats=False).eval()
        with pytest.raises(AssertionError, match="running_mean"):
            lib.nn.utils.fuse_conv_bn_eval(lib.nn.Conv2d(2, 3, 3).eval(), bn)
