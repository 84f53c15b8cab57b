"""``nn.AdaptiveLogSoftmaxWithLoss``: the efficient softmax approximation for large
vocabularies (Grave et al.), with PyTorch's arguments, parameter names and outputs.

The classes are split by ``cutoffs`` [c_0, c_1, ..., n_classes]: the c_0 most frequent form the
head's shortlist, the rest fall into clusters [c_i, c_(i+1)). The ``head`` Linear scores the
shortlist plus one logit per cluster; cluster i has its own two-layer ``tail[i]`` (in_features
-> in_features // div_value^(i+1) -> cluster size, no biases). The log-probability of class y
is the head's log-softmax at y for a shortlist class, and otherwise the head's log-softmax at
y's cluster plus the cluster's log-softmax at y's position in it.

PyTorch runs each tail on the rows whose targets fall in its cluster, a data-dependent
selection. Here every tail runs on every row and ``where`` keeps the rows that belong to it:
the same values and gradients (a row outside a cluster adds nothing to that tail), no
data-dependent shapes, at the cost of the tails' work on all rows. Targets out of range raise,
after one small read of their range (Note [Index validation reads] in ops/indexing.py).

Like the rest of the engine, this module imports no array library.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from nanotorch.dtypes import DType
from nanotorch.errors import IndexOutOfRangeError, ShapeError
from nanotorch.nn.container import ModuleList, Sequential
from nanotorch.nn.linear import Linear
from nanotorch.nn.loss import _value_range
from nanotorch.nn.module import Module
from nanotorch.ops import cat, clamp, gather, where
from nanotorch.ops.reduction import log_softmax
from nanotorch.tensor import Tensor

_OP = "AdaptiveLogSoftmaxWithLoss"


class _ASMoutput(NamedTuple):
    """``output``: the target's log-probability per row; ``loss``: the mean of -output."""

    output: Tensor
    loss: Tensor


class AdaptiveLogSoftmaxWithLoss(Module):
    """Adaptive softmax (module docstring). ``forward(input, target)`` returns
    ``(output, loss)``; ``log_prob(input)`` every class's log-probability and
    ``predict(input)`` the most likely class.

    >>> import nanotorch
    >>> from nanotorch import nn
    >>> asm = nn.AdaptiveLogSoftmaxWithLoss(8, 10, cutoffs=[4, 7])
    >>> out = asm(nanotorch.randn(3, 8), nanotorch.tensor([0, 5, 9]))
    >>> out.output.shape, out.loss.shape, asm.log_prob(nanotorch.randn(3, 8)).shape
    ((3,), (), (3, 10))
    """

    def __init__(
        self,
        in_features: int,
        n_classes: int,
        cutoffs: Sequence[int],
        div_value: float = 4.0,
        head_bias: bool = False,
        device: Any = None,
        dtype: DType | None = None,
    ) -> None:
        super().__init__()
        cutoffs = list(cutoffs)
        if len(cutoffs) == 0:
            raise ValueError(f"{_OP}: cutoffs should be a sequence of length larger than 0")
        if (
            cutoffs != sorted(cutoffs)
            or min(cutoffs) <= 0
            or max(cutoffs) > n_classes - 1
            or len(set(cutoffs)) != len(cutoffs)
            or any(int(c) != c for c in cutoffs)
        ):
            raise ValueError(
                f"{_OP}: cutoffs should be a sequence of unique, positive integers sorted in an "
                f"increasing order, where each value is between 1 and n_classes-1 = "
                f"{n_classes - 1}; got {cutoffs}"
            )
        self.in_features = in_features
        self.n_classes = n_classes
        self.cutoffs = cutoffs + [n_classes]
        self.div_value = div_value
        self.head_bias = head_bias
        self.shortlist_size = self.cutoffs[0]
        self.n_clusters = len(self.cutoffs) - 1
        self.head_size = self.shortlist_size + self.n_clusters
        kw = {"device": device, "dtype": dtype}
        self.head = Linear(in_features, self.head_size, bias=head_bias, **kw)
        tails = []
        for i in range(self.n_clusters):
            hidden = int(in_features // (div_value ** (i + 1)))
            size = self.cutoffs[i + 1] - self.cutoffs[i]
            tails.append(
                Sequential(
                    Linear(in_features, hidden, bias=False, **kw),
                    Linear(hidden, size, bias=False, **kw),
                )
            )
        self.tail = ModuleList(tails)

    def reset_parameters(self) -> None:
        self.head.reset_parameters()
        for seq in self.tail:
            for layer in seq:
                layer.reset_parameters()

    def _check_input(self, input: Tensor) -> tuple[Tensor, bool]:  # noqa: A002
        if not isinstance(input, Tensor):
            raise TypeError(f"{_OP}: input must be a Tensor, got {type(input).__name__}")
        if input.ndim not in (1, 2) or input.shape[-1] != self.in_features:
            raise ShapeError(
                f"{_OP}: input should be (N, in_features) or (in_features,) with in_features = "
                f"{self.in_features}, got shape {tuple(input.shape)}"
            )
        batched = input.ndim == 2
        return (input if batched else input.unsqueeze(0)), batched

    def forward(self, input: Tensor, target: Tensor) -> _ASMoutput:  # noqa: A002
        x, batched = self._check_input(input)
        if not isinstance(target, Tensor) or target.dtype.is_floating_point:
            raise TypeError(f"{_OP}: target must be an integer Tensor of class indices")
        if target.ndim != (1 if batched else 0):
            raise ShapeError(
                f"{_OP}: a {'2-D' if batched else '1-D'} input needs a "
                f"{'1-D' if batched else '0-D'} target, got target of shape "
                f"{tuple(target.shape)}"
            )
        t = target if batched else target.unsqueeze(0)
        if t.shape[0] != x.shape[0]:
            raise ShapeError(
                f"{_OP}: input and target should have the same size in the batch dimension, "
                f"got {x.shape[0]} and {t.shape[0]}"
            )
        if t.numel():
            lo, hi = _value_range(t)
            if lo < 0 or hi > self.n_classes - 1:
                raise IndexOutOfRangeError(
                    f"{_OP}: target values should be in [0, {self.n_classes - 1}], but values "
                    f"in range [{lo}, {hi}] were found"
                )
        short = self.shortlist_size
        head_logprob = log_softmax(self.head(x), 1)
        # Which head column each row reads: its class (shortlist) or its cluster's logit.
        head_index = t
        output = None
        for i in range(self.n_clusters):
            low, high = self.cutoffs[i], self.cutoffs[i + 1]
            inside = (t >= low) & (t < high)
            head_index = where(inside, short + i, head_index)
            cluster_logprob = log_softmax(self.tail[i](x), 1)
            relative = clamp(t - low, 0, high - low - 1)
            local = gather(cluster_logprob, 1, relative.unsqueeze(1)).squeeze(1)
            local = where(inside, local, 0.0)
            output = local if output is None else output + local
        picked = gather(head_logprob, 1, head_index.unsqueeze(1)).squeeze(1)
        output = picked if output is None else output + picked
        loss = (-output).mean()
        if not batched:
            output = output.squeeze(0)
        return _ASMoutput(output, loss)

    def _full_log_prob(self, x: Tensor) -> Tensor:
        head_logprob = log_softmax(self.head(x), 1)
        short = self.shortlist_size
        parts = [head_logprob[:, :short]]
        for i in range(self.n_clusters):
            cluster_logprob = log_softmax(self.tail[i](x), 1)
            parts.append(cluster_logprob + head_logprob[:, short + i : short + i + 1])
        return cat(parts, dim=1)

    def log_prob(self, input: Tensor) -> Tensor:  # noqa: A002
        """Every class's log-probability: (N, n_classes), or (n_classes,) unbatched."""
        x, batched = self._check_input(input)
        out = self._full_log_prob(x)
        return out if batched else out.squeeze(0)

    def predict(self, input: Tensor) -> Tensor:  # noqa: A002
        """The most likely class of each row: (N,), or 0-d unbatched."""
        x, batched = self._check_input(input)
        out = self._full_log_prob(x).argmax(1)
        return out if batched else out.squeeze(0)


__all__ = ["AdaptiveLogSoftmaxWithLoss"]
