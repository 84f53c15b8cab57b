"""Dropout: ``F.dropout``, ``F.dropout1d``, ``F.dropout2d``, ``F.dropout3d``,
``F.alpha_dropout``, ``F.feature_alpha_dropout`` and their modules.

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
OPS = (
    "dropout",
    "dropout1d",
    "dropout2d",
    "dropout3d",
    "alpha_dropout",
    "feature_alpha_dropout",
)

# -SELU's negative saturation value, alpha * scale: where alpha dropout sets a dropped unit.
_SELU_SATURATION = 1.7580993408473766


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

    ``inplace`` is accepted for PyTorch compatibility, but dropout does not write in place:
    the result is always a new tensor (unlike the activations of Note [inplace activations]
    in nn/activation.py).

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


def _drop_channels(
    op: str,
    input: Tensor,  # noqa: A002
    p: float,
    training: bool,
    lead: int,
    generator: Generator | None,
) -> Tensor:
    """The draw of channel dropout on a checked input: one mask entry per index of the first
    ``lead`` dims, broadcast over the rest, so each channel is kept whole (scaled by
    1 / (1 - p)) or zeroed whole. The identity when ``training`` is False or p = 0."""
    if not training or p == 0.0:
        return input
    shape = tuple(input.shape[:lead]) + (1,) * (input.ndim - lead)
    return input * _scaled_mask(op, input, shape, p, generator)


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
    return _drop_channels("dropout2d", input, p, training, 2, generator)


def _channel_dropout(
    op: str,
    input: Tensor,  # noqa: A002
    p: float,
    training: bool,
    spatial: int,
    generator: Generator | None,
) -> Tensor:
    """Channel dropout over (N, C, *spatial) or unbatched (C, *spatial) inputs: one draw per
    channel, kept whole (scaled by 1 / (1 - p)) or zeroed whole."""
    _check_p(op, p)
    _check_input(op, input)
    if input.ndim not in (spatial + 1, spatial + 2):
        raise ValueError(
            f"{op}: expected a {spatial + 1}-D (unbatched) or {spatial + 2}-D (batched) "
            f"input, got shape {tuple(input.shape)}"
        )
    lead = 1 if input.ndim == spatial + 1 else 2
    return _drop_channels(op, input, p, training, lead, generator)


def dropout1d(
    input: Tensor,  # noqa: A002
    p: float = 0.5,
    training: bool = True,
    inplace: bool = False,
    *,
    generator: Generator | None = None,
) -> Tensor:
    """Channel dropout for (N, C, L) or (C, L) inputs (see ``dropout2d``)."""
    return _channel_dropout("dropout1d", input, p, training, 1, generator)


def dropout3d(
    input: Tensor,  # noqa: A002
    p: float = 0.5,
    training: bool = True,
    inplace: bool = False,
    *,
    generator: Generator | None = None,
) -> Tensor:
    """Channel dropout for (N, C, D, H, W) or (C, D, H, W) inputs (see ``dropout2d``)."""
    return _channel_dropout("dropout3d", input, p, training, 3, generator)


def _alpha(
    op: str,
    input: Tensor,  # noqa: A002
    p: float,
    training: bool,
    shape: tuple[int, ...],
    generator: Generator | None,
) -> Tensor:
    """Alpha dropout (Klambauer et al., 2017): a dropped unit is set to SELU's saturation
    value -alpha' instead of 0, then an affine map a x + b restores zero mean and unit
    variance, with a = ((alpha'^2 p + 1)(1 - p))^(-1/2) and b = alpha' a p for a kept unit
    (so dropped units end at alpha' a (p - 1)). p = 1 gives zeros, as in PyTorch."""
    _check_p(op, p)
    _check_input(op, input)
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return input * zeros((), dtype=input.dtype, device=input.device)
    keep = (rand(shape, generator=generator, dtype=input.dtype, device=input.device) >= p).to(
        input.dtype
    )
    a = 1.0 / ((_SELU_SATURATION**2 * p + 1.0) * (1.0 - p)) ** 0.5
    shift = (keep - 1.0) * (_SELU_SATURATION * a) + _SELU_SATURATION * a * p
    return input * (keep * a) + shift


def alpha_dropout(
    input: Tensor,  # noqa: A002
    p: float = 0.5,
    training: bool = False,
    inplace: bool = False,
    *,
    generator: Generator | None = None,
) -> Tensor:
    """Alpha dropout of each element, for SELU networks (mean and variance kept)."""
    return _alpha("alpha_dropout", input, p, training, tuple(input.shape), generator)


def feature_alpha_dropout(
    input: Tensor,  # noqa: A002
    p: float = 0.5,
    training: bool = False,
    inplace: bool = False,
    *,
    generator: Generator | None = None,
) -> Tensor:
    """Alpha dropout of whole channels (dim 1) of an (N, C, *) input."""
    if isinstance(input, Tensor) and input.ndim < 2:
        raise ValueError(
            f"feature_alpha_dropout: expected an input of shape (N, C, *), got {tuple(input.shape)}"
        )
    shape = tuple(input.shape[:2]) + (1,) * (input.ndim - 2) if isinstance(input, Tensor) else ()
    return _alpha("feature_alpha_dropout", input, p, training, shape, generator)


class _DropoutNd(Module):
    """Shared by the dropout modules: each subclass names its functional op in ``_fn``;
    ``forward`` passes ``p``, the training flag and the generator. Errors name the class."""

    _fn = staticmethod(dropout)

    def __init__(
        self, p: float = 0.5, inplace: bool = False, *, generator: Generator | None = None
    ) -> None:
        super().__init__()
        _check_p(type(self).__name__, p)
        self.p = p
        self.inplace = inplace
        self.generator = generator

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return type(self)._fn(input, self.p, self.training, generator=self.generator)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


class Dropout(_DropoutNd):
    """Zero each element with probability ``p`` in training mode (see ``F.dropout``);
    ``generator=`` fixes the stream of masks."""


class Dropout2d(_DropoutNd):
    """Zero whole channels with probability ``p`` in training mode (see ``F.dropout2d``)."""

    _fn = staticmethod(dropout2d)


class Dropout1d(_DropoutNd):
    """Zero whole channels of (N, C, L) or (C, L) inputs with probability ``p``."""

    _fn = staticmethod(dropout1d)


class Dropout3d(_DropoutNd):
    """Zero whole channels of (N, C, D, H, W) or (C, D, H, W) inputs with probability ``p``."""

    _fn = staticmethod(dropout3d)


class AlphaDropout(_DropoutNd):
    """``F.alpha_dropout`` in training mode (for SELU networks)."""

    _fn = staticmethod(alpha_dropout)


class FeatureAlphaDropout(_DropoutNd):
    """``F.feature_alpha_dropout`` in training mode: alpha dropout of whole channels."""

    _fn = staticmethod(feature_alpha_dropout)


__all__ = [
    "AlphaDropout",
    "Dropout",
    "Dropout1d",
    "Dropout2d",
    "Dropout3d",
    "FeatureAlphaDropout",
    "alpha_dropout",
    "dropout",
    "dropout1d",
    "dropout2d",
    "dropout3d",
    "feature_alpha_dropout",
]
