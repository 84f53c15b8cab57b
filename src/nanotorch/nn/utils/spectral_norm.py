"""The older, hook-based spectral normalisation: ``nn.utils.spectral_norm`` and
``remove_spectral_norm`` (PyTorch keeps them beside
``nn.utils.parametrizations.spectral_norm``).

The module's ``weight`` Parameter is renamed ``weight_orig``, and two buffers hold the power
iteration's vectors, ``weight_u`` (length: the output dim) and ``weight_v``; ``state_dict``
lists them in that order where ``weight`` was. A forward pre-hook sets the plain attribute
``weight = weight_orig / sigma`` before each forward, running ``n_power_iterations`` steps
(v first, then u) in training mode only. Imports no array library.
"""

from __future__ import annotations

from typing import Any

from nanotorch.autograd.grad_mode import no_grad
from nanotorch.nn.activation_ops import normalize
from nanotorch.nn.module import Module
from nanotorch.nn.parameter import Parameter
from nanotorch.nn.utils._hooks import check_no_hook, find_hooks, parameter_named
from nanotorch.nn.utils.parametrizations import default_output_dim
from nanotorch.tensor import Tensor

__all__ = ["SpectralNorm", "remove_spectral_norm", "spectral_norm"]


class SpectralNorm:
    """The forward pre-hook: recomputes ``module.<name>`` from ``<name>_orig`` and the power
    iteration's ``<name>_u`` / ``<name>_v`` buffers."""

    def __init__(self, name: str, n_power_iterations: int, dim: int, eps: float) -> None:
        self.name = name
        self.n_power_iterations = n_power_iterations
        self.dim = dim
        self.eps = eps

    def matrix(self, weight: Tensor) -> Tensor:
        if self.dim != 0:
            weight = weight.permute(self.dim, *(d for d in range(weight.ndim) if d != self.dim))
        return weight.reshape(weight.shape[0], -1)

    def compute_weight(self, module: Module, do_power_iteration: bool) -> Tensor:
        weight = getattr(module, self.name + "_orig")
        u = getattr(module, self.name + "_u")
        v = getattr(module, self.name + "_v")
        mat = self.matrix(weight)
        if do_power_iteration:
            with no_grad():
                for _ in range(self.n_power_iterations):
                    v.copy_(normalize(mat.T.mv(u), dim=0, eps=self.eps))
                    u.copy_(normalize(mat.mv(v), dim=0, eps=self.eps))
            # Copies: the buffers change in place at the next forward, after this graph is
            # built and possibly before its backward.
            u, v = u.clone(), v.clone()
        sigma = u.dot(mat.mv(v))
        return weight / sigma

    def __call__(self, module: Module, inputs: Any) -> None:
        setattr(module, self.name, self.compute_weight(module, module.training))


def spectral_norm(
    module: Module,
    name: str = "weight",
    n_power_iterations: int = 1,
    eps: float = 1e-12,
    dim: int | None = None,
) -> Module:
    """Divide ``module.<name>`` by its largest singular value, estimated by power iteration,
    before each forward. ``dim`` is the output dim (default 0; 1 for ConvTranspose layers).
    Returns ``module``.

    >>> from nanotorch import nn
    >>> list(nn.utils.spectral_norm(nn.Linear(3, 2)).state_dict())
    ['bias', 'weight_orig', 'weight_u', 'weight_v']
    """
    check_no_hook("spectral_norm", module, name, SpectralNorm)
    if isinstance(n_power_iterations, bool) or not isinstance(n_power_iterations, int):
        raise TypeError(
            f"spectral_norm: n_power_iterations must be an int, got {n_power_iterations!r}"
        )
    if n_power_iterations <= 0:
        raise ValueError(
            f"spectral_norm: n_power_iterations must be positive, got {n_power_iterations}"
        )
    weight = parameter_named("spectral_norm", module, name)
    if dim is None:
        dim = default_output_dim(module)
    fn = SpectralNorm(name, n_power_iterations, dim % weight.ndim, eps)
    with no_grad():
        mat = fn.matrix(weight)
        h, w = mat.shape
        u = normalize(weight.new_empty(h).normal_(0.0, 1.0), dim=0, eps=eps)
        v = normalize(weight.new_empty(w).normal_(0.0, 1.0), dim=0, eps=eps)
    del module._parameters[name]
    module.register_parameter(name + "_orig", weight)
    # Until the first forward the attribute holds the raw weight, as in PyTorch.
    setattr(module, name, weight.detach())
    module.register_buffer(name + "_u", u)
    module.register_buffer(name + "_v", v)
    module.register_forward_pre_hook(fn)
    return module


def remove_spectral_norm(module: Module, name: str = "weight") -> Module:
    """Undo ``spectral_norm``: ``<name>`` becomes a Parameter holding weight_orig / sigma
    (sigma from the current u and v, without another power iteration)."""
    for key, hook in list(find_hooks(module, SpectralNorm)):
        if hook.name == name:
            with no_grad():
                weight = hook.compute_weight(module, do_power_iteration=False).detach()
            del module._forward_pre_hooks[key]
            delattr(module, name)
            delattr(module, name + "_u")
            delattr(module, name + "_v")
            delattr(module, name + "_orig")
            module.register_parameter(name, Parameter(weight))
            return module
    raise ValueError(f"remove_spectral_norm: spectral_norm of '{name}' not found in {module}")
