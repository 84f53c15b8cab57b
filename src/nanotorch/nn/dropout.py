"""Dropout: ``F.dropout``, ``F.dropout2d`` and the ``Dropout`` / ``Dropout2d`` modules.

In training mode each element (``dropout``) or each whole channel (``dropout2d``) is kept
with probability 1 - p and scaled by 1 / (1 - p), so the expected output equals the input
and evaluation needs no rescaling; in evaluation mode the input is returned unchanged.

Note [Dropout masks]
~~~~~~~~~~~~~~~~~~~~
The mask keeps element i when u_i >= p, with u ~ U[0, 1) drawn by ``nanotorch.rand`` from a
``generator=`` argument or the default generator of the input's device. Tests recompute the
mask from the same draw, and ``nanotorch.manual_seed`` makes a training run repeat exactly.
The output is ``input * mask`` with the scaled mask a constant, so the gradient is
``g * mask``: dropped elements get none, kept ones get ``g / (1 - p)``.

Like the rest of the engine, this module imports no array library.
"""

from __future__ import annotations

from nanotorch.creation import rand, zeros
from nanotorch.nn.module import Module
from nanotorch.random import Generator
from nanotorch.tensor import Tensor

# The functional ops this family exports through nanotorch.nn.functional; the op-spec
# tests derive from it (Note [Op registry] in ops/__init__.py).
OPS = ("dropout", "dropout2d")


def _check_p(op: str, p: float) -> None:
    if not isinstance(p, (int, float)) or isinstance(p, bool) or not 0.0 <= p <= 1.0:
        raise ValueError(f"{op}: probability has to be between 0 and 1, but got {p}")


def _scaled_mask(
    op: str,
    input: Tensor,
    shape: tuple[int, ...],
    p: float,
    generator: Generator | None,  # noqa: A002
) -> Tensor:
    """1 / (1 - p) where kept, 0 where dropped; Note [Dropout masks]."""
    if p == 1.0:
        return zeros(shape, dtype=input.dtype, device=input.device)
    u = rand(shape, generator=generator, dtype=input.dtype, device=input.device)
    return (u >= p).to(input.dtype) * (1.0 / (1.0 - p))


def _check_input(op: str, input: Tensor) -> None:  # noqa: A002
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}: input must be a Tensor, got {type(input).__name__}")
    if not input.dtype.is_floating_point:
        raise TypeError(f"{op}: needs a floating tensor, got {input.dtype!r}; call .float() first")


def dropout(
    input: Tensor,  # noqa: A002
    p: float = 0.5,
    training: bool = True,
    inplace: bool = False,
    *,
    generator: Generator | None = None,
) -> Tensor:
    """out = input * m / (1 - p) with m_i = [u_i >= p], u ~ U[0, 1) (Note [Dropout masks]);
    d input = g * m / (1 - p). The identity when ``training`` is False or p = 0.

    ``inplace`` is accepted for PyTorch compatibility; the result is always a new tensor
    (see Note [inplace activations] in nn/activation.py).

    >>> import nanotorch
    >>> import nanotorch.nn.functional as F
    >>> g = nanotorch.Generator().manual_seed(0)
    >>> F.dropout(nanotorch.ones(6), 0.5, generator=g).tolist()
    [2.0, 2.0, 2.0, 0.0, 0.0, 0.0]
    """
    _check_p("dropout", p)
    _check_input("dropout", input)
    if not training or p == 0.0:
        return input
    return input * _scaled_mask("dropout", input, tuple(input.shape), p, generator)


def dropout2d(
    input: Tensor,  # noqa: A002
    p: float = 0.5,
    training: bool = True,
    inplace: bool = False,
    *,
    generator: Generator | None = None,
) -> Tensor:
    """Channel dropout for (N, C, H, W) or (N, C, L) inputs: each (n, c) channel is kept
    whole with probability 1 - p (scaled by 1 / (1 - p)) or zeroed whole. Neighbouring
    pixels are strongly correlated, so dropping single pixels would barely regularise."""
    _check_p("dropout2d", p)
    _check_input("dropout2d", input)
    if input.ndim not in (3, 4):
        raise ValueError(
            f"dropout2d: expected a 3-D (N, C, L) or 4-D (N, C, H, W) input, got shape "
            f"{tuple(input.shape)}"
        )
    if not training or p == 0.0:
        return input
    shape = tuple(input.shape[:2]) + (1,) * (input.ndim - 2)
    return input * _scaled_mask("dropout2d", input, shape, p, generator)


class _DropoutNd(Module):
    _op_name = "Dropout"

    def __init__(
        self, p: float = 0.5, inplace: bool = False, *, generator: Generator | None = None
    ) -> None:
        super().__init__()
        _check_p(self._op_name, p)
        self.p = p
        self.inplace = inplace
        self.generator = generator

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


class Dropout(_DropoutNd):
    """Zero each element with probability ``p`` in training mode (see ``F.dropout``);
    ``generator=`` fixes the stream of masks."""

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return dropout(input, self.p, self.training, generator=self.generator)


class Dropout2d(_DropoutNd):
    """Zero whole channels with probability ``p`` in training mode (see ``F.dropout2d``)."""

    _op_name = "Dropout2d"

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return dropout2d(input, self.p, self.training, generator=self.generator)


__all__ = ["Dropout", "Dropout2d", "dropout", "dropout2d"]
