"""Reverse-mode automatic differentiation: ``Function``, the engine, and grad mode.
discovery/build-the-engine.md builds the idea from scratch; discovery/autograd-engine.md
follows one backward pass through this package. ``autograd.functional`` (vjp, jvp, jacobian,
hessian, hvp, vhp) is built on ``grad``."""

from nanotorch.autograd.anomaly_mode import detect_anomaly, set_detect_anomaly
from nanotorch.autograd.engine import backward, grad
from nanotorch.autograd.function import AccumulateGrad, Context, Function, Node
from nanotorch.autograd.grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)

__all__ = [
    "AccumulateGrad",
    "Context",
    "Function",
    "Node",
    "backward",
    "detect_anomaly",
    "enable_grad",
    "grad",
    "inference_mode",
    "is_grad_enabled",
    "is_inference_mode_enabled",
    "no_grad",
    "set_detect_anomaly",
    "set_grad_enabled",
]
