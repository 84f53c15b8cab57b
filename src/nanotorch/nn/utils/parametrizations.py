"""``nn.utils.parametrizations``: orthogonal weights, weight normalisation and spectral
normalisation written as parametrizations (``nn.utils.parametrize``), PyTorch's current form.

Compared with the older hook-based ``nn.utils.weight_norm`` / ``spectral_norm`` (in
``weight_norm.py`` and ``spectral_norm.py`` next to this file), the weight is a property
computed on access, and the stored tensors sit under ``parametrizations.weight``:
``original0`` (the magnitude g) and ``original1`` (the direction v) for weight norm,
``original`` plus the buffers ``0._u`` and ``0._v`` for spectral norm. Imports no array
library.
"""

from __future__ import annotations

import math

from nanotorch.autograd.grad_mode import no_grad
from nanotorch.creation import eye, randn, zeros, zeros_like
from nanotorch.nn.activation_ops import normalize
from nanotorch.nn.module import Module
from nanotorch.nn.utils.parametrize import register_parametrization
from nanotorch.ops import cat, matmul, where
from nanotorch.tensor import Tensor

__all__ = ["orthogonal", "spectral_norm", "weight_norm"]


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


def default_output_dim(module: Module) -> int:
    """The dim of ``module``'s weight that indexes outputs: 1 for the ConvTranspose layers,
    whose weight is laid out (in, out, ...), else 0."""
    from nanotorch.nn.conv import ConvTranspose1d, ConvTranspose2d, ConvTranspose3d

    return 1 if isinstance(module, (ConvTranspose1d, ConvTranspose2d, ConvTranspose3d)) else 0


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
        dim = default_output_dim(module)
    register_parametrization(module, name, _SpectralNorm(weight, n_power_iterations, dim, eps))
    return module


# ---------------------------------------------------------------------- orthogonal
# Note [Orthogonal maps]
# ~~~~~~~~~~~~~~~~~~~~~~
# ``orthogonal`` stores an unconstrained matrix X and maps it onto the orthogonal matrices
# (for a non-square weight: matrices with orthonormal columns, or rows when wider than tall):
#
# * matrix_exp: A = L - L^T (L the lower triangle of X, padded to square) is skew-symmetric,
#   and exp(A) is orthogonal;
# * cayley: (I - A/2)^{-1} (I + A/2), the same A;
# * householder: the strictly lower triangle of X holds Householder vectors v_i (with a unit
#   leading entry), and Q = H_0 ... H_{k-1}, H_i = I - tau_i v_i v_i^T with
#   tau_i = 2 / ||v_i||^2, so every H_i is a reflection. Each column is then multiplied by the
#   integer part of X's diagonal entry, as PyTorch does (a sign, while the entry stays at
#   +-1 where initialisation puts it).
#
# With ``use_trivialization`` (the default) the result is multiplied by a ``base`` buffer:
# assigning an orthogonal matrix Q stores base = Q and X = -I, which all three maps send to
# the identity, so optimisation starts at Q and moves in its tangent space. All three are
# compositions of differentiable ops, so gradients need no Function of their own. The
# matrix exponential is computed by scaling and squaring: exp(A) = exp(A / 2^s)^(2^s) with
# ||A / 2^s||_1 <= 1/2, where a Taylor polynomial of degree 18 is exact to rounding.


def _mT(x: Tensor) -> Tensor:
    return x.transpose(-2, -1)


def _matrix_exp(a: Tensor) -> Tensor:
    norm = float(a.abs().sum(dim=-2).max()) if a.numel() else 0.0
    squarings = max(0, math.ceil(math.log2(norm / 0.5))) if norm > 0.5 else 0
    b = a / 2.0**squarings
    ident = eye(a.shape[-1], dtype=a.dtype, device=a.device)
    out = ident
    for k in range(18, 0, -1):  # Horner: I + B/1 (I + B/2 (... (I + B/18)))
        out = ident + matmul(b, out) / k
    for _ in range(squarings):
        out = matmul(out, out)
    return out


def _householder_product(v: Tensor, tau: Tensor) -> Tensor:
    """H_0 H_1 ... H_{k-1} applied to the first k columns of I, for Householder vectors in the
    strictly lower triangle of ``v`` (n x k, unit leading entries implied) and scales ``tau``."""
    n, k = v.shape[-2], v.shape[-1]
    vectors = v.tril(-1) + eye(n, k, dtype=v.dtype, device=v.device)
    q = eye(n, k, dtype=v.dtype, device=v.device)
    for i in range(k - 1, -1, -1):
        vi = vectors[..., :, i : i + 1]
        ti = tau[..., i : i + 1].unsqueeze(-1)
        q = q - matmul(vi * ti, matmul(_mT(vi), q))
    return q


def _make_orthogonal(a: Tensor) -> Tensor:
    """The Q of A = QR with R's diagonal made positive (the unique QR of a full-rank A)."""
    from nanotorch.linalg import qr

    q, r = qr(a)
    return q * r.diagonal(0, -2, -1).sign().unsqueeze(-2)


def _is_orthogonal(q: Tensor) -> bool:
    n, k = q.shape[-2], q.shape[-1]
    ident = eye(k, dtype=q.dtype, device=q.device)
    # Machine epsilon of the dtype (float16, float32 or float64), from its width.
    eps = {2: 2.0**-10, 4: 2.0**-23, 8: 2.0**-52}[q.dtype.itemsize]
    atol = 10.0 * n * eps
    gap = (matmul(_mT(q), q) - ident).abs()
    return bool((gap <= atol + 1e-5 * ident.abs()).all())


def _geqrf(a: Tensor) -> tuple[Tensor, Tensor]:
    """LAPACK's compact QR of each matrix (n >= k): R on and above the diagonal, the
    Householder vectors (unit leading entry implied) below it, and their scales tau. The
    reflector of column j maps (alpha, x) to (beta, 0) with beta = -sign(alpha) ||(alpha, x)||,
    tau = (beta - alpha) / beta and v = x / (alpha - beta); tau = 0 (no reflection) when x
    is already zero."""
    n, k = a.shape[-2], a.shape[-1]
    batch = a.shape[:-2]
    mats = a.reshape(-1, n, k)
    outs, taus = [], []
    for b in range(mats.shape[0]):
        m = mats[b].clone()
        tau = zeros(k, dtype=a.dtype, device=a.device)
        for j in range(min(n, k)):
            alpha = float(m[j, j])
            rest = m[j + 1 :, j]
            xnorm = float((rest * rest).sum().sqrt()) if rest.numel() else 0.0
            if xnorm == 0.0:
                continue
            beta = -math.copysign(math.hypot(alpha, xnorm), alpha)
            tau[j] = (beta - alpha) / beta
            m[j + 1 :, j] = rest / (alpha - beta)
            m[j, j] = beta
            if j + 1 < k:
                v = cat([m[j : j + 1, j] * 0 + 1, m[j + 1 :, j]]).unsqueeze(-1)
                block = m[j:, j + 1 :]
                m[j:, j + 1 :] = block - matmul(v * float(tau[j]), matmul(_mT(v), block))
        outs.append(m)
        taus.append(tau)
    from nanotorch.ops import stack

    return stack(outs).reshape(*batch, n, k), stack(taus).reshape(*batch, k)


_ORTHOGONAL_MAPS = ("matrix_exp", "cayley", "householder")


class _Orthogonal(Module):
    """Maps an unconstrained matrix (or batch) to an orthogonal one (Note [Orthogonal
    maps]); ``base`` holds the point the trivialization starts from."""

    def __init__(self, weight: Tensor, orthogonal_map: str, use_trivialization: bool = True):
        super().__init__()
        self.shape = tuple(weight.shape)
        self.orthogonal_map = orthogonal_map
        if use_trivialization:
            self.register_buffer("base", None)

    def forward(self, x: Tensor) -> Tensor:  # type: ignore[override]
        n, k = x.shape[-2], x.shape[-1]
        transposed = n < k
        if transposed:
            x = _mT(x)
            n, k = k, n
        if self.orthogonal_map in ("matrix_exp", "cayley"):
            x = x.tril()
            if n != k:
                pad = zeros(*x.shape[:-1], n - k, dtype=x.dtype, device=x.device)
                x = cat([x, pad], dim=-1)
            a = x - _mT(x)
            if self.orthogonal_map == "matrix_exp":
                q = _matrix_exp(a)
            else:
                from nanotorch.linalg import solve

                ident = eye(n, dtype=a.dtype, device=a.device)
                q = solve(ident - 0.5 * a, ident + 0.5 * a)
            if n != k:
                q = q[..., :k]
        else:
            a = x.tril(-1)
            tau = 2.0 / (1.0 + (a * a).sum(dim=-2))
            q = _householder_product(a, tau)
            q = q * x.diagonal(0, -2, -1).detach().trunc().unsqueeze(-2)
        if "base" in self._buffers:
            q = matmul(self.base, q)
        return _mT(q) if transposed else q

    def right_inverse(self, q: Tensor) -> Tensor:
        if tuple(q.shape) != self.shape:
            raise ValueError(
                f"orthogonal: expected a matrix or batch of matrices of shape {self.shape}, "
                f"got shape {tuple(q.shape)}"
            )
        with no_grad():
            given = q
            n, k = q.shape[-2], q.shape[-1]
            transpose = n < k
            if transpose:
                q = _mT(q)
                n, k = k, n
            if "base" not in self._buffers:
                if self.orthogonal_map in ("matrix_exp", "cayley"):
                    raise NotImplementedError(
                        "orthogonal: the matrix_exp and cayley maps cannot be assigned to "
                        "when use_trivialization=False"
                    )
                a, tau = _geqrf(q)
                diag = a.diagonal(0, -2, -1).sign() * where(tau == 0.0, -1.0, 1.0)
                mask = eye(n, k, dtype=a.dtype, device=a.device) > 0
                a = where(mask, diag.unsqueeze(-2), a)
                return _mT(a) if transpose else a
            if n == k:
                q = q.clone() if _is_orthogonal(q) else _make_orthogonal(q)
            else:
                extra = randn(*q.shape[:-2], n, n - k, dtype=q.dtype, device=q.device)
                q = _make_orthogonal(cat([q, extra], dim=-1))
            self.base = q
            neg_ident = zeros_like(given)
            mask = eye(*given.shape[-2:], dtype=given.dtype, device=given.device) > 0
            return where(mask, -1.0, neg_ident)


def orthogonal(
    module: Module,
    name: str = "weight",
    orthogonal_map: str | None = None,
    *,
    use_trivialization: bool = True,
) -> Module:
    """Reparametrize ``module.<name>`` (a matrix, or a batch of matrices in its last two dims)
    as an orthogonal matrix: orthonormal columns when taller than wide, rows when wider
    (Note [Orthogonal maps]). ``orthogonal_map`` is ``"matrix_exp"`` (default for square
    weights), ``"cayley"`` or ``"householder"`` (default otherwise). The weight's current
    value is kept (made orthogonal first when it is not). Stored:
    ``parametrizations.<name>.original`` and, with ``use_trivialization``,
    ``parametrizations.<name>.0.base``. Returns ``module``.

    >>> import nanotorch
    >>> from nanotorch import nn
    >>> m = nn.utils.parametrizations.orthogonal(nn.Linear(3, 3).double())
    >>> w = m.weight
    >>> bool(((w.T @ w) - nanotorch.eye(3, dtype=nanotorch.float64)).abs().max() < 1e-12)
    True
    """
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(
            f"orthogonal: {type(module).__name__} has no parameter or buffer named '{name}'"
        )
    if weight.ndim < 2:
        raise ValueError(
            f"orthogonal: expected a matrix or batch of matrices, got a {weight.ndim}-D "
            f"tensor of shape {tuple(weight.shape)}"
        )
    if orthogonal_map is None:
        square = weight.shape[-2] == weight.shape[-1]
        orthogonal_map = "matrix_exp" if square else "householder"
    if orthogonal_map not in _ORTHOGONAL_MAPS:
        raise ValueError(
            f'orthogonal: orthogonal_map has to be one of "matrix_exp", "cayley", '
            f'"householder", got {orthogonal_map!r}'
        )
    orth = _Orthogonal(weight, orthogonal_map, use_trivialization=use_trivialization)
    register_parametrization(module, name, orth, unsafe=True)
    return module
