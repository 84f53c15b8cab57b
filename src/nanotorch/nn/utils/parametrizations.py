"""``nn.utils.parametrizations``: weight normalisation and spectral normalisation written as
parametrizations (``nn.utils.parametrize``), PyTorch's current form of both.

Compared with the older hook-based ``nn.utils.weight_norm`` / ``spectral_norm`` (in
``weight_norm.py`` and ``spectral_norm.py`` next to this file), the weight is a property
computed on access, and the stored tensors sit under ``parametrizations.weight``:
``original0`` (the magnitude g) and ``original1`` (the direction v) for weight norm,
``original`` plus the buffers ``0._u`` and ``0._v`` for spectral norm. Imports no array
library.
"""

from __future__ import annotations

from nanotorch.autograd.grad_mode import no_grad
from nanotorch.nn.activation_ops import normalize
from nanotorch.nn.module import Module
from nanotorch.nn.utils.parametrize import register_parametrization
from nanotorch.tensor import Tensor

__all__ = ["spectral_norm", "weight_norm"]


def norm_except_dim(v: Tensor, dim: int) -> Tensor:
    """The 2-norm of ``v`` over every dim but ``dim``, kept as size-1 dims (so it broadcasts
    against ``v``); over the whole tensor, as a 0-d tensor, when ``dim == -1`` (PyTorch's
    convention for "no dim", which weight norm uses for ``dim=None``)."""
    if dim == -1:
        return (v * v).sum().sqrt()
    dim = dim % v.ndim
    others = tuple(d for d in range(v.ndim) if d != dim)
    if not others:
        return v.abs()
    return (v * v).sum(dim=others, keepdim=True).sqrt()


def _check_dim(op: str, dim: int, ndim: int) -> None:
    if isinstance(dim, bool) or not isinstance(dim, int) or not -ndim <= dim < ndim:
        raise IndexError(
            f"{op}: dim={dim!r} is out of range for a {ndim}-D weight; pass a dim in "
            f"[{-ndim}, {ndim - 1}], or None to normalise the whole weight"
        )


class _WeightNorm(Module):
    """w = g v / ||v|| (norm over all dims but ``dim``); right_inverse(w) = (||w||, w)."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, weight_g: Tensor, weight_v: Tensor) -> Tensor:  # type: ignore[override]
        return weight_v * (weight_g / norm_except_dim(weight_v, self.dim))

    def right_inverse(self, weight: Tensor) -> tuple[Tensor, Tensor]:
        return norm_except_dim(weight, self.dim), weight


def weight_norm(module: Module, name: str = "weight", dim: int | None = 0) -> Module:
    """Reparametrize ``module.<name>`` as w = g v / ||v|| (Salimans & Kingma, 2016): the
    magnitude g (``parametrizations.<name>.original0``, one per slice along ``dim``, or one
    for the whole weight with ``dim=None``) and the direction v (``original1``) are learned
    separately. A state dict saved with the hook-based ``nn.utils.weight_norm``
    (``<name>_g``, ``<name>_v``) loads into it: a load pre-hook renames the keys. Returns
    ``module``.

    >>> import nanotorch
    >>> from nanotorch import nn
    >>> m = nn.utils.parametrizations.weight_norm(nn.Linear(3, 2))
    >>> [k for k in m.state_dict()]
    ['bias', 'parametrizations.weight.original0', 'parametrizations.weight.original1']
    """
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(
            f"weight_norm: {type(module).__name__} has no tensor named '{name}' to reparametrize"
        )
    if dim is None:
        dim = -1
    elif dim != -1:
        _check_dim("weight_norm", dim, weight.ndim)
    register_parametrization(module, name, _WeightNorm(dim), unsafe=True)

    def load_old_layout(module: Module, state_dict: dict, prefix: str, *rest: object) -> None:
        # A checkpoint of the hook-based weight_norm names g and v <name>_g / <name>_v.
        g_key, v_key = f"{prefix}{name}_g", f"{prefix}{name}_v"
        if g_key in state_dict and v_key in state_dict:
            state_dict[f"{prefix}parametrizations.{name}.original0"] = state_dict.pop(g_key)
            state_dict[f"{prefix}parametrizations.{name}.original1"] = state_dict.pop(v_key)

    module.register_load_state_dict_pre_hook(load_old_layout)
    return module


class _SpectralNorm(Module):
    """w / sigma(w), sigma estimated by power iteration on w reshaped to a matrix (``dim`` to
    the front, the rest flattened). Buffers ``_u`` and ``_v`` carry the singular vector
    estimates from call to call; each training-mode call runs ``n_power_iterations`` more
    steps (u first, then v). A 1-D weight is simply normalised."""

    def __init__(
        self, weight: Tensor, n_power_iterations: int = 1, dim: int = 0, eps: float = 1e-12
    ) -> None:
        super().__init__()
        ndim = weight.ndim
        _check_dim("spectral_norm", dim, max(ndim, 1))
        if isinstance(n_power_iterations, bool) or not isinstance(n_power_iterations, int):
            raise TypeError(
                "spectral_norm: n_power_iterations must be an int, got "
                f"{type(n_power_iterations).__name__}"
            )
        if n_power_iterations <= 0:
            raise ValueError(
                "spectral_norm: n_power_iterations must be positive, got "
                f"{n_power_iterations}; pass e.g. n_power_iterations=1"
            )
        self.dim = dim % ndim if ndim else 0
        self.eps = eps
        self.n_power_iterations = n_power_iterations
        if ndim > 1:
            mat = self._matrix(weight)
            h, w = mat.shape
            with no_grad():
                u = mat.new_empty(h).normal_(0.0, 1.0)
                v = mat.new_empty(w).normal_(0.0, 1.0)
                self.register_buffer("_u", normalize(u, dim=0, eps=eps))
                self.register_buffer("_v", normalize(v, dim=0, eps=eps))
            # Start from a good estimate, as PyTorch does.
            self._power_method(mat, 15)

    def _matrix(self, weight: Tensor) -> Tensor:
        if self.dim != 0:
            weight = weight.permute(self.dim, *(d for d in range(weight.ndim) if d != self.dim))
        return weight.flatten(1)

    def _power_method(self, mat: Tensor, n: int) -> None:
        """u <- normalize(W v), v <- normalize(W^T u), ``n`` times, into the buffers."""
        with no_grad():
            for _ in range(n):
                self._u.copy_(normalize(mat.mv(self._v), dim=0, eps=self.eps))
                self._v.copy_(normalize(mat.T.mv(self._u), dim=0, eps=self.eps))

    def forward(self, weight: Tensor) -> Tensor:  # type: ignore[override]
        if weight.ndim == 1:
            return normalize(weight, dim=0, eps=self.eps)
        mat = self._matrix(weight)
        if self.training:
            self._power_method(mat, self.n_power_iterations)
        # Copies: the buffers change in place at the next call, after this graph is built.
        u, v = self._u.clone(), self._v.clone()
        sigma = u.dot(mat.mv(v))
        return weight / sigma

    def right_inverse(self, value: Tensor) -> Tensor:
        return value


def spectral_norm(
    module: Module,
    name: str = "weight",
    n_power_iterations: int = 1,
    eps: float = 1e-12,
    dim: int | None = None,
) -> Module:
    """Reparametrize ``module.<name>`` as w / sigma(w), its largest singular value estimated
    by power iteration (Miyato et al., 2018), which bounds the layer's Lipschitz constant.
    ``dim`` is the output dim (default 0; 1 for the ConvTranspose layers, whose weight is
    laid out (in, out, ...)). Stored: ``parametrizations.<name>.original`` and the buffers
    ``parametrizations.<name>.0._u`` / ``._v``. Returns ``module``.

    >>> import nanotorch
    >>> from nanotorch import nn
    >>> m = nn.utils.parametrizations.spectral_norm(nn.Linear(4, 3))
    >>> float(nanotorch.linalg.svdvals(m.weight)[0]) < 1.0 + 1e-3
    True
    """
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(
            f"spectral_norm: {type(module).__name__} has no tensor named '{name}' to reparametrize"
        )
    if dim is None:
        from nanotorch.nn.conv import ConvTranspose1d, ConvTranspose2d, ConvTranspose3d

        transposed = (ConvTranspose1d, ConvTranspose2d, ConvTranspose3d)
        dim = 1 if isinstance(module, transposed) else 0
    register_parametrization(module, name, _SpectralNorm(weight, n_power_iterations, dim, eps))
    return module
