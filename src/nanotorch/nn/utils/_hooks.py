"""What the hook-based reparametrizations (``weight_norm``, ``spectral_norm``) share: finding
their forward pre-hooks on a module and looking up the Parameter they take over. Imports no
array library."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from nanotorch.nn.module import Module
from nanotorch.tensor import Tensor


def find_hooks(module: Module, cls: type) -> Iterator[tuple[int, Any]]:
    """``(key, hook)`` for each forward pre-hook of ``module`` that is a ``cls``."""
    for key, entry in module._forward_pre_hooks.items():
        hook = entry[0]
        if isinstance(hook, cls):
            yield key, hook


def check_no_hook(op: str, module: Module, name: str, cls: type) -> None:
    """RuntimeError if a ``cls`` hook of ``module`` already holds ``name``: ``op`` cannot
    take the same parameter over twice."""
    for _, hook in find_hooks(module, cls):
        if hook.name == name:
            raise RuntimeError(
                f"{op}: '{name}' of {type(module).__name__} already has a {op} hook; two "
                "cannot be registered on the same parameter"
            )


def parameter_named(op: str, module: Module, name: str) -> Tensor:
    """``module``'s own Parameter ``name``, which ``op`` is about to take over; ValueError
    naming the Parameters it does have if there is none."""
    weight = module._parameters.get(name)
    if weight is None:
        raise ValueError(
            f"{op}: {type(module).__name__} has no parameter named '{name}'; it has "
            f"{list(module._parameters)}"
        )
    return weight
