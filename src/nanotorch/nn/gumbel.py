"""``F.gumbel_softmax``: a differentiable sample from a categorical distribution.

With g_i ~ Gumbel(0, 1) drawn independently (g = -log E, E ~ Exponential(1)),

    y_soft = softmax((logits + g) / tau)        along ``dim``

is a relaxed one-hot sample: as tau -> 0 it approaches the one-hot of argmax(logits + g),
which is an exact sample of softmax(logits) (the Gumbel-max trick). With ``hard=True`` the
result is that one-hot, y_hard, returned as y_hard - detach(y_soft) + y_soft: its values are
the one-hot and its gradient is y_soft's (the straight-through estimator), as in PyTorch.

A composite of differentiable ops (the gradient comes from softmax's); the noise is drawn
with ``generator`` or the default generator of the logits' device, so ``manual_seed`` makes it
repeat. Like the rest of the engine, this module imports no array library.
"""

from __future__ import annotations

from nanotorch.autograd.grad_mode import no_grad
from nanotorch.creation import arange, empty_like
from nanotorch.errors import UnsupportedDtypeError
from nanotorch.ops._util import normalize_dim
from nanotorch.ops.elementwise import log
from nanotorch.ops.reduction import softmax
from nanotorch.random import Generator
from nanotorch.tensor import Tensor

OPS = ("gumbel_softmax",)


def gumbel_softmax(
    logits: Tensor,
    tau: float = 1.0,
    hard: bool = False,
    eps: float = 1e-10,
    dim: int = -1,
    *,
    generator: Generator | None = None,
) -> Tensor:
    """A Gumbel-softmax sample of unnormalised log-probabilities ``logits`` along ``dim``
    (module docstring); ``eps`` is unused, as in PyTorch, where it is deprecated.

    >>> import nanotorch
    >>> g = nanotorch.Generator().manual_seed(0)
    >>> y = nanotorch.nn.functional.gumbel_softmax(nanotorch.zeros(2, 3), hard=True, generator=g)
    >>> y.sum(-1).tolist()
    [1.0, 1.0]
    """
    if not isinstance(logits, Tensor):
        raise TypeError(f"gumbel_softmax: logits must be a Tensor, got {type(logits).__name__}")
    if not logits.dtype.is_floating_point:
        raise UnsupportedDtypeError(
            f"gumbel_softmax: logits must be floating, got {logits.dtype.name}; call .float()"
        )
    dim = normalize_dim(dim, logits.ndim, "gumbel_softmax")
    with no_grad():
        gumbels = -log(empty_like(logits).exponential_(generator=generator))
    y_soft = softmax((logits + gumbels) / tau, dim)
    if not hard:
        return y_soft
    # The one-hot of the argmax (the first of tied maxima), built by comparison.
    with no_grad():
        index = y_soft.argmax(dim, keepdim=True)
        positions = _positions(y_soft, dim)
        y_hard = (positions == index).to(y_soft.dtype)
    return y_hard - y_soft.detach() + y_soft


def _positions(t: Tensor, dim: int) -> Tensor:
    """0, 1, ..., n - 1 along ``dim`` of ``t``, shaped to broadcast against it."""
    shape = [1] * t.ndim
    shape[dim] = t.shape[dim]
    return arange(t.shape[dim], device=t.device).reshape(shape)
