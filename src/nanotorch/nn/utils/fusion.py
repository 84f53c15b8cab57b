"""Folding an evaluation-mode BatchNorm into the convolution or linear layer before it:
``fuse_conv_bn_eval``, ``fuse_linear_bn_eval`` and the ``*_weights`` functions they use.

In evaluation mode BatchNorm is the affine map y = (x - mean) * gamma / sqrt(var + eps) +
beta per channel, so composed with a conv or linear layer (w, b) it is one layer with
w' = w * s (s = gamma / sqrt(var + eps), per output channel) and b' = (b - mean) * s + beta:
one op instead of two at inference. Imports no array library.
"""

from __future__ import annotations

import copy

from nanotorch.autograd.grad_mode import no_grad
from nanotorch.creation import ones_like, zeros_like
from nanotorch.errors import ModuleStateError
from nanotorch.nn.module import Module
from nanotorch.nn.parameter import Parameter
from nanotorch.tensor import Tensor

__all__ = [
    "fuse_conv_bn_eval",
    "fuse_conv_bn_weights",
    "fuse_linear_bn_eval",
    "fuse_linear_bn_weights",
]


def _check_eval(op: str, layer: Module, bn: Module) -> None:
    if layer.training or bn.training:
        raise ModuleStateError(
            f"{op}: Fusion only for eval! {type(layer).__name__}.training={layer.training}, "
            f"{type(bn).__name__}.training={bn.training}; call .eval() on both first"
        )
    if bn.running_mean is None or bn.running_var is None:
        raise ModuleStateError(
            f"{op}: bn.running_mean and bn.running_var must not be None (the BatchNorm was "
            "built with track_running_stats=False, so there are no statistics to fold in)"
        )


def fuse_conv_bn_weights(
    conv_w: Tensor,
    conv_b: Tensor | None,
    bn_rm: Tensor,
    bn_rv: Tensor,
    bn_eps: float,
    bn_w: Tensor | None,
    bn_b: Tensor | None,
    transpose: bool = False,
) -> tuple[Parameter, Parameter]:
    """(w * s, (b - mean) * s + beta) with s = gamma / sqrt(var + eps) along the output
    channels (dim 0 of the weight, dim 1 for a transposed conv). A missing bias counts as
    zeros, and its fused bias does not require grad, as in PyTorch."""
    with no_grad():
        if conv_b is None:
            conv_b = zeros_like(bn_rm)
        bn_w = ones_like(bn_rm) if bn_w is None else bn_w
        bn_b = zeros_like(bn_rm) if bn_b is None else bn_b
        scale = bn_w * (bn_rv + bn_eps).rsqrt()
        rest = [1] * (conv_w.ndim - 2)
        shape = [1, -1, *rest] if transpose else [-1, 1, *rest]
        w = (conv_w * scale.reshape(shape)).to(conv_w.dtype)
        b = ((conv_b - bn_rm) * scale + bn_b).to(conv_b.dtype)
    return Parameter(w, conv_w.requires_grad), Parameter(b, conv_b.requires_grad)


def fuse_conv_bn_eval(conv: Module, bn: Module, transpose: bool = False) -> Module:
    """A new convolution (a deep copy of ``conv``) equal to ``bn(conv(x))`` in evaluation
    mode. ``transpose=True`` for a ConvTranspose layer. Both modules must be in eval mode.

    >>> import nanotorch
    >>> from nanotorch import nn
    >>> conv, bn = nn.Conv2d(1, 2, 3).eval(), nn.BatchNorm2d(2).eval()
    >>> x = nanotorch.randn(1, 1, 4, 4)
    >>> fused = nn.utils.fuse_conv_bn_eval(conv, bn)
    >>> bool((fused(x) - bn(conv(x))).abs().max() < 1e-5)
    True
    """
    _check_eval("fuse_conv_bn_eval", conv, bn)
    fused = copy.deepcopy(conv)
    fused.weight, fused.bias = fuse_conv_bn_weights(
        fused.weight,
        fused.bias,
        bn.running_mean,
        bn.running_var,
        bn.eps,
        bn.weight,
        bn.bias,
        transpose,
    )
    return fused


def fuse_linear_bn_weights(
    linear_w: Tensor,
    linear_b: Tensor | None,
    bn_rm: Tensor,
    bn_rv: Tensor,
    bn_eps: float,
    bn_w: Tensor,
    bn_b: Tensor,
) -> tuple[Parameter, Parameter]:
    """(w * s[:, None], (b - mean) * s + beta) with s = gamma / sqrt(var + eps); a BatchNorm
    of one feature scales every output alike."""
    with no_grad():
        if linear_b is None:
            linear_b = zeros_like(bn_rm)
        scale = bn_w * (bn_rv + bn_eps).rsqrt()
        w = (linear_w * scale.unsqueeze(-1)).to(linear_w.dtype)
        b = ((linear_b - bn_rm) * scale + bn_b).to(linear_b.dtype)
    return Parameter(w, linear_w.requires_grad), Parameter(b, linear_b.requires_grad)


def fuse_linear_bn_eval(linear: Module, bn: Module) -> Module:
    """A new Linear (a deep copy of ``linear``) equal to ``bn(linear(x))`` in evaluation mode;
    ``bn.num_features`` must be ``linear.out_features`` or 1."""
    _check_eval("fuse_linear_bn_eval", linear, bn)
    if linear.out_features != bn.num_features and bn.num_features != 1:
        raise ModuleStateError(
            "fuse_linear_bn_eval: To fuse, linear.out_features == bn.num_features or "
            f"bn.num_features == 1, got linear.out_features={linear.out_features} and "
            f"bn.num_features={bn.num_features}"
        )
    fused = copy.deepcopy(linear)
    fused.weight, fused.bias = fuse_linear_bn_weights(
        fused.weight, fused.bias, bn.running_mean, bn.running_var, bn.eps, bn.weight, bn.bias
    )
    return fused
