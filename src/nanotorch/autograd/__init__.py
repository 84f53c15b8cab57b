"""Reverse-mode automatic differentiation: ``Function``, the engine, and grad mode.
See discovery/autograd-engine.md for a walkthrough."""

from nanotorch.autograd.engine import backward, grad
from nanotorch.autograd.function import AccumulateGrad, Context, Function, Node
from nanotorch.autograd.grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled

__all__ = [
    "AccumulateGrad",
    "Context",
    "Function",
    "Node",
    "backward",
    "enable_grad",
    "grad",
    "is_grad_enabled",
    "no_grad",
    "set_grad_enabled",
]
