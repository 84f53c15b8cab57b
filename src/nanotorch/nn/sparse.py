"""Lookup tables: ``F.embedding`` and ``nn.Embedding``; ``F.embedding_bag`` and
``nn.EmbeddingBag``, which reduce bags of looked-up rows to one vector each.

An embedding is integer-array indexing of a (num_embeddings, embedding_dim) table, so its
backward is a scatter-add: a row used several times receives the sum of its gradients
(Note [Embedding backward]).

Like the rest of the engine, this module imports no array library.
"""

from __future__ import annotations

from typing import Any

from nanotorch.autograd.function import Function
from nanotorch.autograd.grad_mode import is_grad_enabled
from nanotorch.creation import empty, tensor
from nanotorch.dtypes import DType
from nanotorch.errors import DeviceMismatchError, ShapeError
from nanotorch.nn import init
from nanotorch.nn.module import Module
from nanotorch.nn.parameter import Parameter
from nanotorch.ops._util import int_arg
from nanotorch.ops.elementwise import where
from nanotorch.ops.indexing import IndexAdd, _check_index_tensor
from nanotorch.tensor import Tensor

# The functional ops this family exports through nanotorch.nn.functional; the op-spec
# tests derive from it (Note [Op registry] in ops/__init__.py).
OPS = ("embedding", "embedding_bag")


# Note [Embedding backward]
# ~~~~~~~~~~~~~~~~~~~~~~~~~
# d weight = zeros, then row index[i] += g[i] for every looked-up position i. The backend's
# scatter-add hook (``index_add``; NumPy's ``add.at``) does that row by row, about 1 ms for
# a GPT's 768 positions of 128 channels. For a small table the same sum is one matrix
# product: onehot(index)^T @ g, with onehot (positions, rows) of 0 and 1, which BLAS does
# in a tenth of the time. A plain backward (nothing recorded, the training case) takes that
# product while the table has at most ``_ONE_HOT_ROWS`` rows and the one-hot matrix at most
# ``_ONE_HOT_ELEMENTS`` entries, and the hook otherwise; under ``create_graph`` the
# differentiable ``IndexAdd`` op runs. (One difference: a non-finite gradient at one
# position spreads nan through the product, 0 * inf, to every row instead of one.)
# tests/unit/test_gpt_fast_paths.py compares both sides with the general scatter-add.
_ONE_HOT_ROWS = 1024
_ONE_HOT_ELEMENTS = 1 << 22


class EmbeddingFn(Function):
    """out[..., :] = weight[index[...], :];  d weight = scatter-add of g at the indices
    (Note [Embedding backward]). Saves the indices."""

    dtype_exempt = (1,)

    @staticmethod
    def forward(ctx, xp, weight, index):
        ctx.shape = weight.shape
        ctx.save_for_backward(index)
        out = xp.take(weight, xp.reshape(index, (-1,)), axis=0)
        return xp.reshape(out, (*index.shape, weight.shape[1]))

    @staticmethod
    def backward(ctx, g):
        (index,) = ctx.saved_tensors
        # Grad mode on means create_graph: Note [Grad mode in backward] (engine.py).
        if not is_grad_enabled():
            return EmbeddingGrad.apply(g, index, rows=ctx.shape[0]), None
        return IndexAdd.apply(g, index, axis=0, shape=ctx.shape), None


class EmbeddingGrad(Function):
    """d weight (rows, D) from g (*index.shape, D): a one-hot matrix product for small
    tables, the backend's scatter-add otherwise (Note [Embedding backward]). Not
    differentiable."""

    dtype_exempt = (1,)
    differentiable = False

    @staticmethod
    def forward(ctx, xp, g, index, rows):
        flat = xp.reshape(index, (-1,))
        n, d = flat.shape[0], g.shape[-1]
        g2 = xp.reshape(g, (n, d))
        if rows <= _ONE_HOT_ROWS and rows * n <= _ONE_HOT_ELEMENTS:
            ids = xp.arange(rows, dtype=flat.dtype, device=flat.device)
            one_hot = xp.astype(xp.reshape(flat, (n, 1)) == ids, g.dtype)
            return xp.matmul(xp.matrix_transpose(one_hot), g2)
        zeros = xp.zeros((rows, d), dtype=g.dtype, device=g.device)
        return ctx.backend.index_add(zeros, flat, g2)


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


def _renorm_rows_(weight: Tensor, index: Tensor, max_norm: float, norm_type: float) -> None:
    """Scale, in place and outside the graph, every row of ``weight`` that ``index`` looks
    up and whose ``norm_type``-norm exceeds ``max_norm`` by max_norm / (norm + 1e-7), as
    PyTorch's ``embedding_renorm_`` does. Rows that are not looked up stay as they are.

    Which rows are looked up is found without reading the indices back to the host: a
    scatter-add of ones at ``index`` (the ``index_add`` backend hook) marks them.
    """
    from nanotorch.autograd.grad_mode import no_grad

    backend = weight._backend
    xp = backend.xp
    with no_grad(), backend.context():
        w = weight._data
        mag = xp.abs(w)
        if norm_type == float("inf"):
            norms = xp.max(mag, axis=1)
        else:
            norms = xp.sum(mag**norm_type, axis=1) ** (1.0 / norm_type)
        flat = xp.reshape(index._data, (-1,))
        hits = backend.index_add(
            xp.zeros((w.shape[0],), dtype=w.dtype, device=w.device),
            flat,
            xp.ones((flat.shape[0],), dtype=w.dtype, device=w.device),
        )
        over = (hits > 0) & (norms > max_norm)
        scale = xp.where(over, max_norm / (norms + 1e-7), xp.ones_like(norms))
        weight.mul_(Tensor._make(xp.reshape(scale, (-1, 1)), weight._device, backend))


def _lookup_counts(weight: Tensor, index: Tensor) -> Tensor:
    """For each position of ``index``, how many times its row is looked up in ``index``
    (a scatter-add of ones, then a gather), in weight's dtype."""
    backend = weight._backend
    xp = backend.xp
    with backend.context():
        flat = xp.reshape(index._data, (-1,))
        dtype = weight._data.dtype
        hits = backend.index_add(
            xp.zeros((weight.shape[0],), dtype=dtype, device=flat.device),
            flat,
            xp.ones((flat.shape[0],), dtype=dtype, device=flat.device),
        )
        counts = xp.reshape(xp.take(hits, flat), index.shape)
    return Tensor._make(counts, weight._device, backend)


def embedding(
    input: Tensor,  # noqa: A002
    weight: Tensor,
    padding_idx: int | None = None,
    max_norm: float | None = None,
    norm_type: float = 2.0,
    scale_grad_by_freq: bool = False,
    sparse: bool = False,
) -> Tensor:
    """out[..., :] = weight[input[...], :] for an integer tensor ``input`` of any shape;
    d weight[j] = sum of g over the positions where input == j (scatter-add), except
    row ``padding_idx``, which is read but never receives a gradient. With ``max_norm``, the
    looked-up rows whose ``norm_type``-norm exceeds it are first rescaled to that norm, in
    place in ``weight`` (PyTorch's renormalization; it changes the table). With
    ``scale_grad_by_freq``, each row's gradient is divided by how often the batch uses it.

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
    if max_norm is not None:
        if not max_norm > 0:
            raise ValueError(
                f"embedding: max_norm must be positive, got {max_norm}; it is the largest "
                "norm a looked-up row may keep"
            )
        if not norm_type > 0:
            raise ValueError(f"embedding: norm_type must be positive, got {norm_type}")
        _check_index_tensor("embedding", index, weight.shape[0], weight, 0)
        _renorm_rows_(weight, index, float(max_norm), float(norm_type))
    if sparse:
        raise NotImplementedError(
            "embedding: sparse=True (sparse gradients) is not supported; nanotorch has dense "
            "gradients only, use sparse=False"
        )
    _check_index_tensor("embedding", index, weight.shape[0], weight, 0)  # names the sizes
    out = EmbeddingFn.apply(weight, index)  # Note [Embedding backward]
    if scale_grad_by_freq and out.requires_grad:
        # Same values (out - out.detach() is exactly 0), but the path to weight is divided
        # by the count of each position's index, so row j's summed gradient is divided by
        # how many times the batch looked j up.
        counts = _lookup_counts(weight, index)
        out = out.detach() + (out - out.detach()) / counts.unsqueeze(-1)
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
        max_norm: float | None = None,
        norm_type: float = 2.0,
        scale_grad_by_freq: bool = False,
        sparse: bool = False,
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
        self.max_norm, self.norm_type = max_norm, norm_type
        self.scale_grad_by_freq, self.sparse = scale_grad_by_freq, sparse
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
        return embedding(
            input,
            self.weight,
            self.padding_idx,
            self.max_norm,
            self.norm_type,
            self.scale_grad_by_freq,
            self.sparse,
        )

    def extra_repr(self) -> str:
        text = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            text += f", padding_idx={self.padding_idx}"
        if self.max_norm is not None:
            text += f", max_norm={self.max_norm}"
        if self.norm_type != 2:
            text += f", norm_type={self.norm_type}"
        if self.scale_grad_by_freq:
            text += ", scale_grad_by_freq=True"
        if self.sparse:
            text += ", sparse=True"
        return text

    @classmethod
    def from_pretrained(
        cls,
        embeddings: Tensor,
        freeze: bool = True,
        padding_idx: int | None = None,
        max_norm: float | None = None,
        norm_type: float = 2.0,
        scale_grad_by_freq: bool = False,
        sparse: bool = False,
    ) -> Embedding:
        """An Embedding whose table is ``embeddings`` (shared memory); frozen by default."""
        if embeddings.ndim != 2:
            raise ShapeError(
                f"Embedding.from_pretrained: embeddings must be 2-D, got shape "
                f"{tuple(embeddings.shape)}"
            )
        rows, dim = embeddings.shape
        return cls(
            rows,
            dim,
            padding_idx,
            max_norm,
            norm_type,
            scale_grad_by_freq,
            sparse,
            _weight=embeddings,
            _freeze=freeze,
        )


def _bags(op: str, input: Tensor, offsets: Tensor | None, include_last_offset: bool) -> Any:
    """(flat indices, bag boundaries as host ints): a 2-D input is one bag per row; a 1-D
    input is cut at ``offsets`` (read on the host: they decide the output's shape)."""
    if input.ndim == 2:
        if offsets is not None:
            raise ValueError(f"{op}: offsets must be None when input is 2-D (one bag per row)")
        n, m = input.shape
        return input.reshape(-1), [i * m for i in range(n + 1)]
    if input.ndim != 1:
        raise ShapeError(f"{op}: input must be 1-D or 2-D, got shape {tuple(input.shape)}")
    if offsets is None or offsets.ndim != 1:
        raise ValueError(f"{op}: a 1-D input needs 1-D offsets (the start of each bag)")
    starts = [int(v) for v in offsets._to_host_uncounted().tolist()]
    length = input.shape[0]
    bounds = starts if include_last_offset else [*starts, length]
    if bounds and (bounds[0] != 0 or any(b > a for a, b in zip(bounds[1:], bounds[:-1]))):
        raise ValueError(f"{op}: offsets must start at 0 and not decrease, got {starts}")
    if bounds and bounds[-1] > length:
        raise ValueError(f"{op}: offsets {starts} point past the input's length {length}")
    return input, bounds


def embedding_bag(
    input: Tensor,  # noqa: A002
    weight: Tensor,
    offsets: Tensor | None = None,
    max_norm: float | None = None,
    norm_type: float = 2.0,
    scale_grad_by_freq: bool = False,
    mode: str = "mean",
    sparse: bool = False,
    per_sample_weights: Tensor | None = None,
    include_last_offset: bool = False,
    padding_idx: int | None = None,
) -> Tensor:
    """One vector per bag of indices: the sum, mean or max of the looked-up rows (entries
    equal to ``padding_idx`` are left out; an empty bag gives zeros). Bags are the rows of a
    2-D ``input``, or the slices of a 1-D one that start at ``offsets``. ``per_sample_weights``
    (``mode="sum"`` only) scale each looked-up row first.

    Composite: a (bags, entries) membership matrix M, so a sum is M @ rows and its gradient
    the scatter back to each entry's row; a max picks per bag over the masked rows.

    >>> import nanotorch
    >>> import nanotorch.nn.functional as F
    >>> table = nanotorch.tensor([[1.0, 0.0], [0.0, 1.0], [3.0, 3.0]])
    >>> F.embedding_bag(nanotorch.tensor([0, 1, 2]), table, nanotorch.tensor([0, 2])).tolist()
    [[0.5, 0.5], [3.0, 3.0]]
    """
    op = "embedding_bag"
    if mode not in ("sum", "mean", "max"):
        raise ValueError(f"{op}: mode must be 'sum', 'mean' or 'max', got {mode!r}")
    if per_sample_weights is not None and mode != "sum":
        raise NotImplementedError(
            f"{op}: per_sample_weights are only supported for mode='sum', got mode={mode!r}"
        )
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}: input must be a Tensor, got {type(input).__name__}")
    flat, bounds = _bags(op, input, offsets, include_last_offset)
    if per_sample_weights is not None and tuple(per_sample_weights.shape) != tuple(input.shape):
        raise ShapeError(
            f"{op}: per_sample_weights of shape {tuple(per_sample_weights.shape)} must match "
            f"input {tuple(input.shape)}"
        )
    rows = embedding(flat, weight, None, max_norm, norm_type, scale_grad_by_freq, sparse)
    if per_sample_weights is not None:
        rows = rows * per_sample_weights.reshape(-1, 1)
    n_bags, length = len(bounds) - 1, flat.shape[0]
    pad = _normalize_padding_idx(op, padding_idx, weight.shape[0])
    member = [[False] * length for _ in range(n_bags)]
    for b in range(n_bags):
        for i in range(bounds[b], bounds[b + 1]):
            member[b][i] = True
    mask = tensor(member, device=weight.device)
    if pad is not None:
        mask = mask & (flat != pad).unsqueeze(0)
    if mode == "max":
        picked = where(mask.unsqueeze(-1), rows.unsqueeze(0), float("-inf")).amax(1)
        return where(mask.any(1, keepdim=True), picked, 0.0)
    m = mask.to(weight.dtype)
    out = m @ rows
    if mode == "mean":
        out = out / m.sum(1, keepdim=True).clamp_min(1.0)
    return out


class EmbeddingBag(Module):
    """A table looked up in bags, each bag reduced by ``mode`` (``F.embedding_bag``); the
    ``weight`` starts from N(0, 1) as in PyTorch, with row ``padding_idx`` zeroed."""

    def __init__(
        self,
        num_embeddings: int,
        embedding_dim: int,
        max_norm: float | None = None,
        norm_type: float = 2.0,
        scale_grad_by_freq: bool = False,
        mode: str = "mean",
        sparse: bool = False,
        _weight: Tensor | None = None,
        include_last_offset: bool = False,
        padding_idx: int | None = None,
        device: Any = None,
        dtype: DType | None = None,
    ) -> None:
        super().__init__()
        self.num_embeddings = int_arg("EmbeddingBag", "num_embeddings", num_embeddings)
        self.embedding_dim = int_arg("EmbeddingBag", "embedding_dim", embedding_dim)
        self.max_norm, self.norm_type = max_norm, norm_type
        self.scale_grad_by_freq, self.mode, self.sparse = scale_grad_by_freq, mode, sparse
        self.include_last_offset = include_last_offset
        self.padding_idx = _normalize_padding_idx("EmbeddingBag", padding_idx, num_embeddings)
        if _weight is None:
            shape = (self.num_embeddings, self.embedding_dim)
            self.weight = Parameter(empty(shape, device=device, dtype=dtype))
            self.reset_parameters()
        else:
            self.weight = Parameter(_weight)

    def reset_parameters(self) -> None:
        init.normal_(self.weight)
        if self.padding_idx is not None:
            from nanotorch.autograd.grad_mode import no_grad

            with no_grad():
                self.weight[self.padding_idx].fill_(0.0)

    def forward(
        self,
        input: Tensor,  # noqa: A002
        offsets: Tensor | None = None,
        per_sample_weights: Tensor | None = None,
    ) -> Tensor:
        return embedding_bag(
            input,
            self.weight,
            offsets,
            self.max_norm,
            self.norm_type,
            self.scale_grad_by_freq,
            self.mode,
            self.sparse,
            per_sample_weights,
            self.include_last_offset,
            self.padding_idx,
        )

    def extra_repr(self) -> str:
        s = f"{self.num_embeddings}, {self.embedding_dim}, mode={self.mode!r}"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx}"
        return s


__all__ = ["Embedding", "EmbeddingBag", "embedding", "embedding_bag"]
