"""The older, hook-based weight normalisation: ``nn.utils.weight_norm`` and
``remove_weight_norm`` (PyTorch keeps them beside ``nn.utils.parametrizations.weight_norm``).

The module's ``weight`` Parameter is replaced by two Parameters, ``weight_g`` (magnitude) and
``weight_v`` (direction), registered on the module itself, so ``state_dict`` holds
``weight_g`` and ``weight_v`` where it held ``weight``. A forward pre-hook recomputes the
plain attribute ``weight = g v / ||v||`` before every forward. Imports no array library.
"""

from __future__ import annotations

from typing import Any

from nanotorch.nn.module import Module
from nanotorch.nn.parameter import Parameter
from nanotorch.nn.utils._hooks import check_no_hook, find_hooks, parameter_named
from nanotorch.nn.utils.parametrizations import norm_except_dim
from nanotorch.tensor import Tensor

__all__ = ["WeightNorm", "remove_weight_norm", "weight_norm"]


class WeightNorm:
    """The forward pre-hook: recomputes ``module.<name>`` from ``<name>_g`` and ``<name>_v``."""

    def __init__(self, name: str, dim: int) -> None:
        self.name = name
        self.dim = dim

    def compute_weight(self, module: Module) -> Tensor:
        g = getattr(module, self.name + "_g")
        v = getattr(module, self.name + "_v")
        return v * (g / norm_except_dim(v, self.dim))

    def __call__(self, module: Module, inputs: Any) -> None:
        setattr(module, self.name, self.compute_weight(module))


def weight_norm(module: Module, name: str = "weight", dim: int | None = 0) -> Module:
    """Split ``module.<name>`` into ``<name>_g`` (its norm over all dims but ``dim``; over
    the whole tensor for ``dim=None``) and ``<name>_v`` (the tensor itself), and recompute
    ``<name> = g v / ||v||`` before each forward. Returns ``module``.

    >>> from nanotorch import nn
    >>> list(nn.utils.weight_norm(nn.Linear(3, 2)).state_dict())
    ['bias', 'weight_g', 'weight_v']
    """
    check_no_hook("weight_norm", module, name, WeightNorm)
    weight = parameter_named("weight_norm", module, name)
    if dim is None:
        dim = -1
    fn = WeightNorm(name, dim)
    del module._parameters[name]
    module.register_parameter(name + "_g", Parameter(norm_except_dim(weight.detach(), dim)))
    module.register_parameter(name + "_v", Parameter(weight.detach()))
    setattr(module, name, fn.compute_weight(module))
    module.register_forward_pre_hook(fn)
    return module


def remove_weight_norm(module: Module, name: str = "weight") -> Module:
    """Undo ``weight_norm``: ``<name>`` becomes a Parameter again holding g v / ||v||."""
    for key, hook in list(find_hooks(module, WeightNorm)):
        if hook.name == name:
            weight = hook.compute_weight(module).detach()
            delattr(module, name)
            del module._parameters[name + "_g"]
            del module._parameters[name + "_v"]
            module.register_parameter(name, Parameter(weight))
            del module._forward_pre_hooks[key]
            return module
    raise ValueError(f"remove_weight_norm: weight_norm of '{name}' not found in {module}")
