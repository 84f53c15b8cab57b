"""Stochastic weight averaging and exponential moving averages of a model's weights, with
``torch.optim.swa_utils``'s names: ``AveragedModel``, the averaging rules
``get_swa_avg_fn`` / ``get_ema_avg_fn`` (one tensor at a time) and ``get_swa_multi_avg_fn`` /
``get_ema_multi_avg_fn`` (lists of tensors), the learning-rate schedule ``SWALR`` and
``update_bn``.

Note [Averaging weights]
~~~~~~~~~~~~~~~~~~~~~~~~
``AveragedModel`` keeps a deep copy of the model and a step counter ``n_averaged`` (an int64
buffer, so it is saved with the copy). ``update_parameters(model)`` first copies the model's
weights into the copy (when ``n_averaged`` is 0), later folds them in:

- SWA, the default: the running mean avg + (p - avg) / (n + 1), so after n updates every
  snapshot weighs 1/n.
- EMA: avg * decay + p * (1 - decay), recent snapshots weigh most.

An ``avg_fn(avg, p, n)`` returns the new average of one tensor; a ``multi_avg_fn(avgs, ps,
n)`` updates lists of them in place. Without either, SWA is used. By default only the
parameters are averaged and the buffers (batch-norm running statistics) are copied from the
model, because an average of running statistics is not the statistics of the averaged
weights: ``update_bn`` recomputes them with one pass over the data. ``use_buffers=True``
averages the floating buffers as well.

Everything runs under ``no_grad`` on the weights' own devices; like the rest of the engine,
this module imports no array library.
"""

from __future__ import annotations

import copy
import itertools
import math
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from nanotorch.autograd.grad_mode import no_grad
from nanotorch.creation import tensor
from nanotorch.dtypes import int64
from nanotorch.nn.module import Module
from nanotorch.nn.normalization import _BatchNorm
from nanotorch.optim.lr_scheduler import LRScheduler
from nanotorch.optim.optimizer import Optimizer
from nanotorch.tensor import Tensor

__all__ = [
    "SWALR",
    "AveragedModel",
    "get_ema_avg_fn",
    "get_ema_multi_avg_fn",
    "get_swa_avg_fn",
    "get_swa_multi_avg_fn",
    "update_bn",
]

AvgFn = Callable[[Tensor, Tensor, Any], Tensor]
MultiAvgFn = Callable[[list[Tensor], list[Tensor], Any], None]


def _check_decay(decay: float) -> None:
    if not 0.0 <= decay <= 1.0:
        raise ValueError(f"EMA: invalid decay value {decay}; pass a value in [0, 1]")


def get_ema_multi_avg_fn(decay: float = 0.999) -> MultiAvgFn:
    """In place, for each pair: avg <- avg * decay + p * (1 - decay)."""
    _check_decay(decay)

    def ema_update(averaged: list[Tensor], current: list[Tensor], num_averaged: Any) -> None:
        for a, p in zip(averaged, current, strict=True):
            a.copy_(a * decay + p * (1 - decay))

    return ema_update


def get_swa_multi_avg_fn() -> MultiAvgFn:
    """In place, for each pair: avg <- avg + (p - avg) / (n + 1)."""

    def swa_update(averaged: list[Tensor], current: list[Tensor], num_averaged: Any) -> None:
        for a, p in zip(averaged, current, strict=True):
            a.copy_(a + (p - a) / (num_averaged + 1))

    return swa_update


def get_ema_avg_fn(decay: float = 0.999) -> AvgFn:
    """avg * decay + p * (1 - decay), returned."""
    _check_decay(decay)

    def ema_update(averaged: Tensor, current: Tensor, num_averaged: Any) -> Tensor:
        return decay * averaged + (1 - decay) * current

    return ema_update


def get_swa_avg_fn() -> AvgFn:
    """avg + (p - avg) / (n + 1), returned."""

    def swa_update(averaged: Tensor, current: Tensor, num_averaged: Any) -> Tensor:
        return averaged + (current - averaged) / (num_averaged + 1)

    return swa_update


class AveragedModel(Module):
    """A running average of ``model``'s weights (Note [Averaging weights]).

    >>> import nanotorch
    >>> from nanotorch.optim.swa_utils import AveragedModel
    >>> model = nanotorch.nn.Linear(1, 1, bias=False)
    >>> swa = AveragedModel(model)
    >>> for w in (1.0, 2.0, 6.0):
    ...     with nanotorch.no_grad():
    ...         _ = model.weight.fill_(w)
    ...     swa.update_parameters(model)
    >>> swa.module.weight.item(), swa.n_averaged.item()
    (3.0, 3)
    """

    def __init__(
        self,
        model: Module,
        device: Any = None,
        avg_fn: AvgFn | None = None,
        multi_avg_fn: MultiAvgFn | None = None,
        use_buffers: bool = False,
    ) -> None:
        super().__init__()
        self.module = copy.deepcopy(model)
        if device is not None:
            self.module = self.module.to(device)
        where = device if device is not None else _first_device(model)
        self.register_buffer("n_averaged", tensor(0, dtype=int64, device=where))
        self.avg_fn = avg_fn
        self.multi_avg_fn = multi_avg_fn
        self.use_buffers = use_buffers

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        return self.module(*args, **kwargs)

    def _averaged(self, model: Module) -> Iterable[Tensor]:
        if self.use_buffers:
            return itertools.chain(model.parameters(), model.buffers())
        return model.parameters()

    def update_parameters(self, model: Module) -> None:
        """Fold ``model``'s current weights into the average."""
        mine = list(self._averaged(self.module))
        theirs = list(self._averaged(model))
        if len(mine) != len(theirs):
            raise RuntimeError(
                f"AveragedModel.update_parameters: the model has {len(theirs)} tensors to "
                f"average but the averaged copy has {len(mine)}; pass the model it was made from"
            )
        first = bool(self.n_averaged.item() == 0)
        with no_grad():
            pairs = [(a, p.detach().to(a.device)) for a, p in zip(mine, theirs, strict=True)]
            if first:
                for a, p in pairs:
                    a.copy_(p)
            elif self.avg_fn is not None and self.multi_avg_fn is None:
                for a, p in pairs:
                    a.copy_(self.avg_fn(a.detach(), p, self.n_averaged.to(a.device)))
            else:
                # A multi_avg_fn sees one device and dtype at a time, as in PyTorch, so it may
                # test the first tensor's dtype to pick its arithmetic.
                rule = self.multi_avg_fn or get_swa_multi_avg_fn()
                groups: dict[tuple[str, str], list[tuple[Tensor, Tensor]]] = {}
                for a, p in pairs:
                    groups.setdefault((str(a.device), str(a.dtype)), []).append((a, p))
                for group in groups.values():
                    n = self.n_averaged.to(group[0][0].device)
                    rule([a for a, _ in group], [p for _, p in group], n)
            if not self.use_buffers:  # keep the statistics in step with the model
                for b, src in zip(self.module.buffers(), model.buffers(), strict=False):
                    b.copy_(src.detach().to(b.device))
            self.n_averaged.add_(1)


def _first_device(model: Module) -> Any:
    for t in itertools.chain(model.parameters(), model.buffers()):
        return t.device
    return None


@no_grad()
def update_bn(loader: Iterable[Any], model: Module, device: Any = None) -> None:
    """Recompute every batch-norm layer's running statistics with one pass over ``loader``:
    each layer's statistics are reset and averaged over all batches with equal weight
    (momentum None for the pass, then restored). A batch that is a list or tuple contributes
    its first element; ``model``'s training mode is restored afterwards."""
    momenta: dict[_BatchNorm, Any] = {}
    for module in model.modules():
        if isinstance(module, _BatchNorm):
            module.reset_running_stats()
            momenta[module] = module.momentum
    if not momenta:
        return
    was_training = model.training
    model.train()
    for module in momenta:
        module.momentum = None
    for batch in loader:
        if isinstance(batch, (list, tuple)):
            batch = batch[0]
        if device is not None:
            batch = batch.to(device)
        model(batch)
    for module, momentum in momenta.items():
        module.momentum = momentum
    model.train(was_training)


_STRATEGIES = ("cos", "linear")


class SWALR(LRScheduler):
    """Anneal each group's lr to its ``swa_lr`` over ``anneal_epochs`` steps, then hold it.

    With alpha(t) = (1 - cos(pi t)) / 2 (``"cos"``) or t (``"linear"``), t = min(1, step /
    anneal_epochs): lr_step = swa_lr * alpha(t) + lr_0 * (1 - alpha(t)), where lr_0 is
    recovered each step from the group's current lr and the previous alpha, so an lr set by
    another scheduler before SWA starts is where the annealing begins (as in PyTorch).
    """

    def __init__(
        self,
        optimizer: Optimizer,
        swa_lr: float | Sequence[float],
        anneal_epochs: int = 10,
        anneal_strategy: str = "cos",
        last_epoch: int = -1,
    ) -> None:
        groups = optimizer.param_groups
        if isinstance(swa_lr, (list, tuple)):
            if len(swa_lr) != len(groups):
                raise ValueError(
                    f"SWALR: swa_lr must have the same length as optimizer.param_groups: "
                    f"swa_lr has {len(swa_lr)} values, param_groups has {len(groups)}"
                )
            swa_lrs = list(swa_lr)
        else:
            swa_lrs = [swa_lr] * len(groups)
        if anneal_strategy not in _STRATEGIES:
            raise ValueError(
                f"SWALR: anneal_strategy must be one of 'cos' or 'linear', got {anneal_strategy!r}"
            )
        if (
            not isinstance(anneal_epochs, int)
            or isinstance(anneal_epochs, bool)
            or (anneal_epochs < 0)
        ):
            raise ValueError(
                f"SWALR: anneal_epochs must be equal or greater than 0, got {anneal_epochs!r}"
            )
        for lr, group in zip(swa_lrs, groups, strict=True):
            group["swa_lr"] = lr
        self.anneal_strategy = anneal_strategy
        self.anneal_epochs = anneal_epochs
        super().__init__(optimizer, last_epoch)

    def _alpha(self, t: float) -> float:
        return t if self.anneal_strategy == "linear" else (1 - math.cos(math.pi * t)) / 2

    def get_lr(self) -> list[float]:
        step = self.last_epoch
        if self.anneal_epochs == 0:
            step = max(1, step)
        span = max(1, self.anneal_epochs)
        prev_alpha = self._alpha(max(0.0, min(1.0, (step - 1) / span)))
        alpha = self._alpha(max(0.0, min(1.0, step / span)))
        lrs = []
        for group in self.optimizer.param_groups:
            swa_lr = group["swa_lr"]
            if prev_alpha == 1:
                start = swa_lr
            else:
                start = (group["lr"] - prev_alpha * swa_lr) / (1 - prev_alpha)
            lrs.append(swa_lr * alpha + start * (1 - alpha))
        return lrs
