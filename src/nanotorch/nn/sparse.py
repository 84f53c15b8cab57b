"""Lookup tables: ``F.embedding`` and ``nn.Embedding``.

An embedding is integer-array indexing of a (num_embeddings, embedding_dim) table, so its
backward is the scatter-add of integer indexing (``ops/indexing.py``): a row used several
times receives the sum of its gradients.

Like the rest of the engine, this module imports no array library.
"""

from __future__ import annotations

from typing import Any

from nanotorch.creation import empty
from nanotorch.dtypes import DType
from nanotorch.errors import DeviceMismatchError, ShapeError
from nanotorch.nn import init
from nanotorch.nn.module import Module
from nanotorch.nn.parameter import Parameter
from nanotorch.ops._util import int_arg
from nanotorch.ops.elementwise import where
from nanotorch.ops.indexing import take_along
from nanotorch.tensor import Tensor

# The functional ops this family exports through nanotorch.nn.functional; the op-spec
# tests derive from it (Note [Op registry] in ops/__init__.py).
OPS = ("embedding",)


def _normalize_padding_idx(op: str, padding_idx: int | None, num_embeddings: int) -> int | None:
    if padding_idx is None:
        return None
    if isinstance(padding_idx, bool) or not isinstance(padding_idx, int):
        raise TypeError(
            f"{op}: padding_idx must be an int or None, got {type(padding_idx).__name__} "
            f"{padding_idx!r}"
        )
    if not -num_embeddings <= padding_idx < num_embeddings:
        raise ValueError(
            f"{op}: padding_idx must be within num_embeddings ({-num_embeddings} to "
            f"{num_embeddings - 1}), got {padding_idx}"
        )
    return padding_idx % num_embeddings


def embedding(
    input: Tensor,  # noqa: A002
    weight: Tensor,
    padding_idx: int | None = None,
) -> Tensor:
    """out[..., :] = weight[input[...], :] for an integer tensor ``input`` of any shape;
    d weight[j] = sum of g over the positions where input == j (scatter-add), except
    row ``padding_idx``, which is read but never receives a gradient.

    >>> import nanotorch
    >>> import nanotorch.nn.functional as F
    >>> table = nanotorch.tensor([[0.0, 0.0], [1.0, 2.0], [3.0, 4.0]])
    >>> F.embedding(nanotorch.tensor([2, 1, 2]), table).tolist()
    [[3.0, 4.0], [1.0, 2.0], [3.0, 4.0]]
    """
    if not isinstance(input, Tensor) or not isinstance(weight, Tensor):
        raise TypeError("embedding: input and weight must be Tensors")
    if input.dtype.name not in ("int64", "int32"):
        raise TypeError(f"embedding: indices must be an integer tensor, got {input.dtype!r}")
    if weight.ndim != 2:
        raise ShapeError(
            f"embedding: weight must be 2-D (num_embeddings, embedding_dim), got shape "
            f"{tuple(weight.shape)}"
        )
    if input.device != weight.device:
        raise DeviceMismatchError(
            f"embedding: indices are on {input.device} but weight is on {weight.device}; move "
            f"the indices with .to('{weight.device}')"
        )
    padding_idx = _normalize_padding_idx("embedding", padding_idx, weight.shape[0])
    index = input.long() if input.dtype.name == "int32" else input
    out = take_along(weight, index, 0, "embedding")  # checks the range, names the sizes
    if padding_idx is not None:
        # The padding row's value is returned as is but cut from the graph.
        out = where((index == padding_idx).unsqueeze(-1), out.detach(), out)
    return out


class Embedding(Module):
    """A table of ``num_embeddings`` vectors of size ``embedding_dim``, looked up by index.
    ``weight`` is initialised from N(0, 1), with the ``padding_idx`` row zeroed (PyTorch).

    >>> import nanotorch
    >>> from nanotorch import nn
    >>> emb = nn.Embedding(10, 3, padding_idx=0)
    >>> emb(nanotorch.tensor([[0, 4], [9, 9]])).shape
    (2, 2, 3)
    """

    def __init__(
        self,
        num_embeddings: int,
        embedding_dim: int,
        padding_idx: int | None = None,
        *,
        _weight: Tensor | None = None,
        _freeze: bool = False,
        device: Any = None,
        dtype: DType | None = None,
    ) -> None:
        super().__init__()
        num_embeddings = int_arg("Embedding", "num_embeddings", num_embeddings)
        embedding_dim = int_arg("Embedding", "embedding_dim", embedding_dim)
        self.num_embeddings = num_embeddings
        self.embedding_dim = embedding_dim
        self.padding_idx = _normalize_padding_idx("Embedding", padding_idx, num_embeddings)
        if _weight is None:
            self.weight = Parameter(
                empty((num_embeddings, embedding_dim), device=device, dtype=dtype),
                requires_grad=not _freeze,
            )
            self.reset_parameters()
        else:
            if tuple(_weight.shape) != (num_embeddings, embedding_dim):
                raise ShapeError(
                    f"Embedding: weight of shape {tuple(_weight.shape)} does not match "
                    f"({num_embeddings}, {embedding_dim})"
                )
            self.weight = Parameter(_weight, requires_grad=not _freeze)

    def reset_parameters(self) -> None:
        init.normal_(self.weight)
        self._fill_padding_idx_with_zero()

    def _fill_padding_idx_with_zero(self) -> None:
        if self.padding_idx is not None:
            from nanotorch.autograd.grad_mode import no_grad

            with no_grad():
                self.weight[self.padding_idx] = 0.0

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return embedding(input, self.weight, self.padding_idx)

    def extra_repr(self) -> str:
        text = f"{self.num_embeddings}, {self.embedding_dim}"
        return text + (f", padding_idx={self.padding_idx}" if self.padding_idx is not None else "")

    @classmethod
    def from_pretrained(
        cls, embeddings: Tensor, freeze: bool = True, padding_idx: int | None = None
    ) -> Embedding:
        """An Embedding whose table is ``embeddings`` (shared memory); frozen by default."""
        if embeddings.ndim != 2:
            raise ShapeError(
                f"Embedding.from_pretrained: embeddings must be 2-D, got shape "
                f"{tuple(embeddings.shape)}"
            )
        rows, dim = embeddings.shape
        return cls(rows, dim, padding_idx, _weight=embeddings, _freeze=freeze)


__all__ = ["Embedding", "embedding"]
