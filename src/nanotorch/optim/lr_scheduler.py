"""Learning-rate schedulers: set each parameter group's ``lr`` as a function of the epoch.

A scheduler owns a counter, ``last_epoch``, and writes ``group["lr"]`` for every parameter
group of one optimizer each time ``step()`` is called (once per epoch, or once per batch for
``OneCycleLR``). Like the rest of the engine, nothing here imports an array library: learning
rates are Python floats on the host, so changing one moves no data.

Note [Closed-form schedules]
~~~~~~~~~~~~~~~~~~~~~~~~~~~~
Every built-in computes the lr of epoch ``t`` directly from the group's starting lr
(``base_lrs``, saved in the group as ``initial_lr``) and ``t`` -- never by scaling the lr it
set last time. A schedule is then a plain formula that a test can check term by term, a
restored ``last_epoch`` is all it takes to resume, and ``SequentialLR`` can restart a phase by
rewinding that phase's counter. The price: a schedule overwrites any lr set by hand between
steps, and two schedulers stepped on their own on one optimizer do not compose (the last one
stepped wins). A new schedule is one ``get_lr()`` method returning the lrs for
``self.last_epoch``.

Composition is asked for explicitly, with ``ChainedScheduler``. For it, the multiplicative
schedules (``StepLR``, ``MultiStepLR``, ``ExponentialLR``, ``ConstantLR``, ``LinearLR``,
``PolynomialLR``, ``MultiplicativeLR``, and ``CosineAnnealingLR``, whose step is affine in the
lr) also have a chained form, ``_chained_lr(lrs)``: the lr of epoch ``t`` as the group's
current lr times the ratio of the closed form at ``t`` to the closed form at ``t - 1``
(PyTorch's recursive form, term for term, so a chain gives PyTorch's lrs to rounding). Only
``ChainedScheduler.step`` uses it; ``step()`` on a scheduler alone stays the closed form, so
the results of a single scheduler are unchanged. The other schedules have no chained form
and overwrite the lr inside a chain as well, as PyTorch's do.

Two schedules are not formulas of ``t`` alone: ``MultiplicativeLR`` multiplies by a
user function's value at every epoch (it keeps the running product, recomputed from the start
only when the counter jumps), and ``ReduceLROnPlateau`` reacts to a metric, so it keeps the
lr it set and its patience counters.
"""

from __future__ import annotations

import math
import types
from bisect import bisect_right
from collections.abc import Callable, Sequence
from typing import Any

from nanotorch.optim.optimizer import Optimizer

__all__ = [
    "LRScheduler",
    "StepLR",
    "MultiStepLR",
    "ExponentialLR",
    "CosineAnnealingLR",
    "LinearLR",
    "LambdaLR",
    "OneCycleLR",
    "SequentialLR",
    "ChainedScheduler",
    "ConstantLR",
    "MultiplicativeLR",
    "PolynomialLR",
    "CosineAnnealingWarmRestarts",
    "ReduceLROnPlateau",
    "CyclicLR",
]


def _positive_int(owner: str, name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"{owner}: {name} must be a positive int, got {value!r}")


def _number(owner: str, name: str, value: Any, low: float | None = 0.0) -> None:
    """A real Python number (TypeError otherwise), not nan, and >= ``low`` when given: checked
    in the constructor, since a string or nan would otherwise fail (or spread) only at
    ``step()``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(
            f"{owner}: {name} must be a Python number, got {type(value).__name__} {value!r}"
        )
    if math.isnan(value) or (low is not None and value < low):
        raise ValueError(f"{owner}: {name} must be >= {low:g}, got {value!r}")


def _check_last_epoch(owner: str, last_epoch: Any) -> None:
    if isinstance(last_epoch, bool) or not isinstance(last_epoch, int):
        raise TypeError(
            f"{owner}: last_epoch must be an int, got {type(last_epoch).__name__} "
            f"{last_epoch!r}; use -1 to start a new schedule"
        )
    if last_epoch < -1:
        raise ValueError(
            f"{owner}: last_epoch must be >= -1, got {last_epoch}; use -1 to start a new "
            "schedule, or the epoch to resume from"
        )


def _check_optimizer(owner: str, optimizer: Any) -> None:
    if not isinstance(optimizer, Optimizer):
        raise TypeError(
            f"{owner}: optimizer must be a nanotorch.optim.Optimizer, got "
            f"{type(optimizer).__name__}; build the optimizer first and pass it in"
        )


def _per_group(owner: str, name: str, value: Any, n: int) -> list[Any]:
    """``value`` for each of ``n`` parameter groups: one value for all, or a list or tuple
    of exactly one per group."""
    if isinstance(value, (list, tuple)):
        if len(value) != n:
            raise ValueError(
                f"{owner}: {name} has {len(value)} value(s) but the optimizer has "
                f"{n} parameter groups; pass one value, or one per group"
            )
        return list(value)
    return [value] * n


def _lambdas_per_group(owner: str, lr_lambda: Any, n: int) -> list[Any]:
    """``lr_lambda`` for each of ``n`` parameter groups: one function for all, or a list or
    tuple of exactly one per group (callability is the caller's check)."""
    if isinstance(lr_lambda, (list, tuple)):
        if len(lr_lambda) != n:
            raise ValueError(
                f"{owner}: got {len(lr_lambda)} lr_lambda(s) for {n} parameter groups; pass "
                "one function, or one per group"
            )
        return list(lr_lambda)
    return [lr_lambda] * n


class LRScheduler:
    """Base class: keeps ``last_epoch`` and ``base_lrs`` and writes the lrs that
    ``get_lr()`` computes into the optimizer's groups on every ``step()``.

    Construction performs the first step, so right after it the groups hold the lrs of epoch
    0. Subclasses set their own attributes, then call ``super().__init__``, and implement
    ``get_lr()`` (Note [Closed-form schedules]).

    >>> import nanotorch
    >>> from nanotorch.optim import SGD
    >>> from nanotorch.optim.lr_scheduler import StepLR
    >>> opt = SGD([nanotorch.zeros(1, requires_grad=True)], lr=1.0)
    >>> sched = StepLR(opt, step_size=2, gamma=0.5)
    >>> lrs = []
    >>> for epoch in range(5):
    ...     lrs.append(sched.get_last_lr()[0])
    ...     opt.step()
    ...     sched.step()
    >>> lrs
    [1.0, 1.0, 0.5, 0.5, 0.25]
    """

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        _check_optimizer(self._name, optimizer)
        _check_last_epoch(self._name, last_epoch)
        self.optimizer = optimizer
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        else:
            for i, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise KeyError(
                        f"{self._name}: param_groups[{i}] has no 'initial_lr', needed to resume "
                        f"at last_epoch={last_epoch}; load the optimizer's state_dict first, "
                        "or start from last_epoch=-1"
                    )
        self.base_lrs: list[float] = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._initial_step()

    @property
    def _name(self) -> str:
        return type(self).__name__

    def _initial_step(self) -> None:
        self.step()

    def get_lr(self) -> list[float]:
        """The lr of every group at epoch ``self.last_epoch``."""
        raise NotImplementedError(
            f"{self._name} must implement get_lr(): the lr of each parameter group at "
            "epoch self.last_epoch, from self.base_lrs"
        )

    def get_last_lr(self) -> list[float]:
        """The lrs the last ``step()`` wrote into the optimizer's groups."""
        return list(self._last_lr)

    # Whether the schedule has a chained form (Note [Closed-form schedules]).
    chainable = False

    def _chained_lr(self, lrs: list[float]) -> list[float]:
        """The lrs of epoch ``self.last_epoch`` given the groups' current ``lrs`` (what the
        schedulers before this one in a chain left): the chained form. Without one, the
        closed form, which overwrites them."""
        return self.get_lr()

    def _write(self, lrs: list[float]) -> None:
        for group, lr in zip(self.optimizer.param_groups, lrs, strict=True):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def _chained_step(self) -> None:
        """``step()`` inside a ``ChainedScheduler``: advance one epoch, scale the current lrs."""
        self.last_epoch += 1
        self._write(self._chained_lr([group["lr"] for group in self.optimizer.param_groups]))

    def step(self) -> None:
        """Advance one epoch and write its lrs into the optimizer."""
        self.last_epoch += 1
        self._write(self.get_lr())

    def state_dict(self) -> dict[str, Any]:
        """Everything but the optimizer (which saves itself)."""
        return {k: v for k, v in self.__dict__.items() if k != "optimizer"}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.__dict__.update(state_dict)


class StepLR(LRScheduler):
    """lr_t = base_lr * gamma ** (t // step_size): decay by ``gamma`` every ``step_size``
    epochs."""

    def __init__(
        self, optimizer: Optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1
    ) -> None:
        _positive_int(self._name, "step_size", step_size)
        _number(self._name, "gamma", gamma)
        self.step_size = step_size
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        factor = self.gamma ** (self.last_epoch // self.step_size)
        return [base * factor for base in self.base_lrs]

    chainable = True

    def _chained_lr(self, lrs: list[float]) -> list[float]:
        t = self.last_epoch
        if t == 0 or t % self.step_size:
            return lrs
        return [lr * self.gamma for lr in lrs]


class MultiStepLR(LRScheduler):
    """lr_t = base_lr * gamma ** (number of milestones <= t). A milestone listed twice
    decays twice."""

    def __init__(
        self,
        optimizer: Optimizer,
        milestones: Sequence[int],
        gamma: float = 0.1,
        last_epoch: int = -1,
    ) -> None:
        if not isinstance(milestones, (list, tuple, range)):
            raise TypeError(
                f"{self._name}: milestones must be a list of epochs, got "
                f"{type(milestones).__name__} {milestones!r}"
            )
        _number(self._name, "gamma", gamma)
        milestones = list(milestones)
        if any(isinstance(m, bool) or not isinstance(m, int) or m < 0 for m in milestones):
            raise ValueError(
                f"{self._name}: milestones must be non-negative ints, got {milestones}"
            )
        self.milestones = sorted(milestones)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        factor = self.gamma ** bisect_right(self.milestones, self.last_epoch)
        return [base * factor for base in self.base_lrs]

    chainable = True

    def _chained_lr(self, lrs: list[float]) -> list[float]:
        hits = self.milestones.count(self.last_epoch)
        return [lr * self.gamma**hits for lr in lrs] if hits else lrs


class ExponentialLR(LRScheduler):
    """lr_t = base_lr * gamma ** t."""

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1) -> None:
        _number(self._name, "gamma", gamma)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        return [base * self.gamma**self.last_epoch for base in self.base_lrs]

    chainable = True

    def _chained_lr(self, lrs: list[float]) -> list[float]:
        return lrs if self.last_epoch == 0 else [lr * self.gamma for lr in lrs]


class CosineAnnealingLR(LRScheduler):
    """lr_t = eta_min + (base_lr - eta_min) * (1 + cos(pi * t / T_max)) / 2 (SGDR without
    restarts, Loshchilov & Hutter 2017): from base_lr down to eta_min over T_max epochs,
    and back up over the next T_max if stepping continues."""

    def __init__(
        self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0, last_epoch: int = -1
    ) -> None:
        _positive_int(self._name, "T_max", T_max)
        _number(self._name, "eta_min", eta_min)
        self.T_max = T_max
        self.eta_min = eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        cosine = (1 + math.cos(math.pi * self.last_epoch / self.T_max)) / 2
        return [self.eta_min + (base - self.eta_min) * cosine for base in self.base_lrs]

    chainable = True

    def _chained_lr(self, lrs: list[float]) -> list[float]:
        # The closed form's step from t - 1 to t applied to the current lr: the distance to
        # eta_min scales by the ratio of the cosine terms, except where the cosine term at
        # t - 1 is zero (the bottom of a period), where the rise is added instead.
        t, period = self.last_epoch, self.T_max
        if t == 0:
            return lrs
        if (t - 1 - period) % (2 * period) == 0:
            rise = (1 - math.cos(math.pi / period)) / 2
            return [lr + (base - self.eta_min) * rise for lr, base in zip(lrs, self.base_lrs)]
        ratio = (1 + math.cos(math.pi * t / period)) / (1 + math.cos(math.pi * (t - 1) / period))
        return [ratio * (lr - self.eta_min) + self.eta_min for lr in lrs]


class LinearLR(LRScheduler):
    """lr_t = base_lr * (start_factor + (end_factor - start_factor) * min(t, total_iters) /
    total_iters): a linear ramp (typically a warmup) that then holds ``end_factor``."""

    def __init__(
        self,
        optimizer: Optimizer,
        start_factor: float = 1.0 / 3,
        end_factor: float = 1.0,
        total_iters: int = 5,
        last_epoch: int = -1,
    ) -> None:
        _number(self._name, "start_factor", start_factor, None)
        _number(self._name, "end_factor", end_factor, None)
        # A start factor of 0 would make the first epoch's lr exactly 0: a wasted step.
        if not 0 < start_factor <= 1:
            raise ValueError(f"{self._name}: start_factor must be in (0, 1], got {start_factor}")
        if not 0 <= end_factor <= 1:
            raise ValueError(f"{self._name}: end_factor must be in [0, 1], got {end_factor}")
        _positive_int(self._name, "total_iters", total_iters)
        self.start_factor = start_factor
        self.end_factor = end_factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        progress = min(self.last_epoch, self.total_iters) / self.total_iters
        factor = self.start_factor + (self.end_factor - self.start_factor) * progress
        return [base * factor for base in self.base_lrs]

    chainable = True

    def _chained_lr(self, lrs: list[float]) -> list[float]:
        t, total = self.last_epoch, self.total_iters
        if t == 0:
            return [lr * self.start_factor for lr in lrs]
        if t > total:
            return lrs
        slope = self.end_factor - self.start_factor
        ratio = 1.0 + slope / (total * self.start_factor + (t - 1) * slope)
        return [lr * ratio for lr in lrs]


class LambdaLR(LRScheduler):
    """lr_t = base_lr * lr_lambda(t), with one function for all groups or one per group.

    ``state_dict`` cannot save plain functions (lambdas do not pickle); it keeps ``None`` in
    their place, and the attributes of callable objects."""

    def __init__(
        self,
        optimizer: Optimizer,
        lr_lambda: Callable[[int], float] | Sequence[Callable[[int], float]],
        last_epoch: int = -1,
    ) -> None:
        _check_optimizer(self._name, optimizer)
        n = len(optimizer.param_groups)
        for fn in lr_lambda if isinstance(lr_lambda, (list, tuple)) else [lr_lambda]:
            if not callable(fn):
                raise TypeError(
                    f"{self._name}: lr_lambda must be callable (epoch -> factor), or a list of "
                    f"one per parameter group; got {type(fn).__name__} {fn!r}"
                )
        self.lr_lambdas = _lambdas_per_group(self._name, lr_lambda, n)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        return [
            base * fn(self.last_epoch)
            for base, fn in zip(self.base_lrs, self.lr_lambdas, strict=True)
        ]

    def state_dict(self) -> dict[str, Any]:
        state = super().state_dict()
        state["lr_lambdas"] = [
            None if isinstance(fn, types.FunctionType) else dict(fn.__dict__)
            for fn in self.lr_lambdas
        ]
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        state = dict(state_dict)
        saved = state.pop("lr_lambdas")
        super().load_state_dict(state)
        for fn, attrs in zip(self.lr_lambdas, saved, strict=True):
            if attrs is not None:
                fn.__dict__.update(attrs)


class OneCycleLR(LRScheduler):
    r"""The 1cycle policy (Smith & Topin, 2018): one warm-up and one anneal over the whole run,
    stepped once per batch.

    .. code-block:: text

        initial_lr = max_lr / div_factor;  min_lr = initial_lr / final_div_factor
        phases (lr, momentum), each annealed by cos or linear over its steps:
          two-phase (default): up to step pct_start*T - 1:  initial_lr -> max_lr,
                                                             max_momentum -> base_momentum
                               then to step T - 1:           max_lr -> min_lr,
                                                             base_momentum -> max_momentum
          three_phase:         up to pct_start*T - 1:        initial_lr -> max_lr
                               up to 2*pct_start*T - 2:      max_lr -> initial_lr
                               then to T - 1:                initial_lr -> min_lr
        cos anneal(a, b, f) = b + (a - b) * (1 + cos(pi * f)) / 2;  linear: a + (b - a) * f

    When ``cycle_momentum`` is on, momentum moves against the lr: SGD/RMSprop's
    ``momentum``, or the first of Adam's ``betas``. ``max_lr`` (and the momenta) may be one
    value or one per parameter group. The groups get ``initial_lr``, ``max_lr``,
    ``min_lr`` (and ``max_momentum``, ``base_momentum``) entries.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        max_lr: float | Sequence[float],
        total_steps: int | None = None,
        epochs: int | None = None,
        steps_per_epoch: int | None = None,
        pct_start: float = 0.3,
        anneal_strategy: str = "cos",
        cycle_momentum: bool = True,
        base_momentum: float | Sequence[float] = 0.85,
        max_momentum: float | Sequence[float] = 0.95,
        div_factor: float = 25.0,
        final_div_factor: float = 1e4,
        three_phase: bool = False,
        last_epoch: int = -1,
    ) -> None:
        _check_optimizer(self._name, optimizer)
        _check_last_epoch(self._name, last_epoch)
        _number(self._name, "pct_start", pct_start, None)
        _number(self._name, "div_factor", div_factor, 0.0)
        _number(self._name, "final_div_factor", final_div_factor, 0.0)
        if div_factor == 0 or final_div_factor == 0:
            raise ValueError(f"{self._name}: div_factor and final_div_factor must be > 0")
        if total_steps is not None:
            _positive_int(self._name, "total_steps", total_steps)
            self.total_steps = total_steps
        elif epochs is not None and steps_per_epoch is not None:
            _positive_int(self._name, "epochs", epochs)
            _positive_int(self._name, "steps_per_epoch", steps_per_epoch)
            self.total_steps = epochs * steps_per_epoch
        else:
            raise ValueError(f"{self._name}: give total_steps, or both epochs and steps_per_epoch")
        if not 0 <= pct_start <= 1:
            raise ValueError(f"{self._name}: pct_start must be in [0, 1], got {pct_start}")
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(
                f"{self._name}: anneal_strategy must be 'cos' or 'linear', got {anneal_strategy!r}"
            )
        self.anneal_strategy = anneal_strategy
        self.cycle_momentum = cycle_momentum
        t = self.total_steps
        # Both policies open with the same warm-up; they differ in how they come down.
        warm_up = dict(
            end_step=pct_start * t - 1,
            start_lr="initial_lr",
            end_lr="max_lr",
            start_momentum="max_momentum",
            end_momentum="base_momentum",
        )
        if three_phase:
            self._schedule_phases = [
                warm_up,
                dict(
                    end_step=2 * pct_start * t - 2,
                    start_lr="max_lr",
                    end_lr="initial_lr",
                    start_momentum="base_momentum",
                    end_momentum="max_momentum",
                ),
                dict(
                    end_step=t - 1,
                    start_lr="initial_lr",
                    end_lr="min_lr",
                    start_momentum="max_momentum",
                    end_momentum="max_momentum",
                ),
            ]
        else:
            self._schedule_phases = [
                warm_up,
                dict(
                    end_step=t - 1,
                    start_lr="max_lr",
                    end_lr="min_lr",
                    start_momentum="base_momentum",
                    end_momentum="max_momentum",
                ),
            ]
        # A phase of zero length would divide by zero when annealing; say so now instead.
        start = 0.0
        for i, phase in enumerate(self._schedule_phases, start=1):
            if not phase["end_step"] > start:
                raise ValueError(
                    f"{self._name}: phase {i} would have no steps (it ends at step "
                    f"{phase['end_step']:g}) with total_steps={t} and pct_start={pct_start}; "
                    "choose them so that every phase gets at least one step"
                )
            start = phase["end_step"]

        groups = optimizer.param_groups
        max_lrs = self._per_group("max_lr", max_lr, len(groups))
        for value in max_lrs:
            _number(self._name, "max_lr", value)
        if last_epoch == -1:
            for group, top in zip(groups, max_lrs, strict=True):
                group["initial_lr"] = top / div_factor
                group["max_lr"] = top
                group["min_lr"] = group["initial_lr"] / final_div_factor
        if cycle_momentum:
            if "momentum" not in optimizer.defaults and "betas" not in optimizer.defaults:
                raise ValueError(
                    f"{self._name}: cycle_momentum=True but {type(optimizer).__name__} has "
                    "neither 'momentum' nor 'betas' to cycle; pass cycle_momentum=False"
                )
            self.use_beta1 = "betas" in optimizer.defaults
            highs = self._per_group("max_momentum", max_momentum, len(groups))
            lows = self._per_group("base_momentum", base_momentum, len(groups))
            for value in (*highs, *lows):
                _number(self._name, "max_momentum/base_momentum", value)
            if last_epoch == -1:
                for group, high, low in zip(groups, highs, lows, strict=True):
                    self._set_momentum(group, high)
                    group["max_momentum"] = high
                    group["base_momentum"] = low
        super().__init__(optimizer, last_epoch)

    def _per_group(self, name: str, value: Any, n: int) -> list[float]:
        return _per_group(self._name, name, value, n)

    def _set_momentum(self, group: dict[str, Any], value: float) -> None:
        if self.use_beta1:
            group["betas"] = (value, *group["betas"][1:])
        else:
            group["momentum"] = value

    def _anneal(self, start: float, end: float, pct: float) -> float:
        if self.anneal_strategy == "cos":
            return end + (start - end) / 2 * (math.cos(math.pi * pct) + 1)
        return start + (end - start) * pct

    def get_lr(self) -> list[float]:
        step = self.last_epoch
        if step > self.total_steps:
            raise ValueError(
                f"{self._name}: tried to step {step} times but total_steps={self.total_steps}; "
                "build the scheduler with the number of optimizer steps you will take"
            )
        lrs = []
        last = len(self._schedule_phases) - 1
        for group in self.optimizer.param_groups:
            start = 0.0
            for i, phase in enumerate(self._schedule_phases):
                end = phase["end_step"]
                if step <= end or i == last:
                    pct = (step - start) / (end - start)
                    lr = self._anneal(group[phase["start_lr"]], group[phase["end_lr"]], pct)
                    if self.cycle_momentum:
                        momentum = self._anneal(
                            group[phase["start_momentum"]], group[phase["end_momentum"]], pct
                        )
                    break
                start = end
            lrs.append(lr)
            if self.cycle_momentum:
                self._set_momentum(group, momentum)
        return lrs


class SequentialLR(LRScheduler):
    """Run schedulers one after another: ``schedulers[i]`` drives epochs from
    ``milestones[i-1]`` on, restarted at its own epoch 0 (for example a ``LinearLR`` warmup,
    then ``CosineAnnealingLR``). All must be built on ``optimizer``.

    >>> import nanotorch
    >>> from nanotorch.optim import SGD
    >>> from nanotorch.optim.lr_scheduler import ExponentialLR, LinearLR, SequentialLR
    >>> opt = SGD([nanotorch.zeros(1, requires_grad=True)], lr=1.0)
    >>> warmup = LinearLR(opt, start_factor=0.5, total_iters=2)
    >>> decay = ExponentialLR(opt, gamma=0.5)
    >>> sched = SequentialLR(opt, [warmup, decay], milestones=[2])
    >>> lrs = []
    >>> for epoch in range(5):
    ...     lrs.append(sched.get_last_lr()[0])
    ...     opt.step()
    ...     sched.step()
    >>> lrs
    [0.5, 0.75, 1.0, 0.5, 0.25]
    """

    def __init__(
        self,
        optimizer: Optimizer,
        schedulers: Sequence[LRScheduler],
        milestones: Sequence[int],
        last_epoch: int = -1,
    ) -> None:
        _check_optimizer(self._name, optimizer)
        schedulers, milestones = list(schedulers), list(milestones)
        if not schedulers:
            raise ValueError(f"{self._name}: needs at least one scheduler")
        for i, scheduler in enumerate(schedulers):
            if not isinstance(scheduler, LRScheduler):
                raise TypeError(
                    f"{self._name}: scheduler {i} is a {type(scheduler).__name__}, not an "
                    "LRScheduler"
                )
            if scheduler.optimizer is not optimizer:
                raise ValueError(
                    f"{self._name}: scheduler {i} ({type(scheduler).__name__}) was built on "
                    "another optimizer; build every scheduler on the optimizer given here"
                )
        if len(milestones) != len(schedulers) - 1:
            raise ValueError(
                f"{self._name}: {len(schedulers)} schedulers need {len(schedulers) - 1} "
                f"milestone(s), got {len(milestones)}"
            )
        if any(b <= a for a, b in zip(milestones, milestones[1:])) or any(
            m <= 0 for m in milestones
        ):
            raise ValueError(
                f"{self._name}: milestones must be positive and increasing, got {milestones}"
            )
        self.optimizer = optimizer
        self._schedulers = schedulers
        self._milestones = milestones
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch + 1
        # Each scheduler took its first step when it was built and wrote its lrs into the
        # groups; only the first phase's epoch 0 should be in force now. A scheduler listed
        # twice (a phase that comes back) is rewound once.
        for scheduler in {id(s): s for s in schedulers}.values():
            scheduler.last_epoch -= 1
        schedulers[0]._initial_step()
        self._last_lr = schedulers[0].get_last_lr()

    def get_lr(self) -> list[float]:
        """The lrs the active scheduler set for the current epoch."""
        return self.get_last_lr()

    def step(self) -> None:
        self.last_epoch += 1
        index = bisect_right(self._milestones, self.last_epoch)
        scheduler = self._schedulers[index]
        if index > 0 and self._milestones[index - 1] == self.last_epoch:
            scheduler.last_epoch = -1  # the phase starts at its own epoch 0
        scheduler.step()
        self._last_lr = scheduler.get_last_lr()

    def state_dict(self) -> dict[str, Any]:
        state = {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "_schedulers")}
        state["_schedulers"] = [s.state_dict() for s in self._schedulers]
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        state = dict(state_dict)
        saved = state.pop("_schedulers")
        self.__dict__.update(state)
        for scheduler, sub in zip(self._schedulers, saved, strict=True):
            scheduler.load_state_dict(sub)


class ChainedScheduler(LRScheduler):
    """Apply several schedulers at every step, each scaling the lr the previous one left:
    the lr is the product of their factors (for example a ``ConstantLR`` warmup times an
    ``ExponentialLR`` decay). Steps through each scheduler's chained form (Note
    [Closed-form schedules]); a schedule without one overwrites the lr, as in PyTorch.

    Made from schedulers that have not been stepped yet, it recomputes epoch 0 through the
    chain (each scheduler, when built, wrote its own epoch-0 lr over the previous one's).

    >>> import nanotorch
    >>> from nanotorch.optim import SGD
    >>> from nanotorch.optim.lr_scheduler import ChainedScheduler, ConstantLR, ExponentialLR
    >>> opt = SGD([nanotorch.zeros(1, requires_grad=True)], lr=1.0)
    >>> sched = ChainedScheduler([ConstantLR(opt, factor=0.1, total_iters=2),
    ...                           ExponentialLR(opt, gamma=0.9)])
    >>> lrs = []
    >>> for epoch in range(4):
    ...     lrs.append(round(sched.get_last_lr()[0], 6))
    ...     opt.step()
    ...     sched.step()
    >>> lrs
    [0.1, 0.09, 0.81, 0.729]
    """

    def __init__(
        self, schedulers: Sequence[LRScheduler], optimizer: Optimizer | None = None
    ) -> None:
        schedulers = list(schedulers)
        if not schedulers:
            raise ValueError(f"{self._name}: expects at least one scheduler to chain, got none")
        if optimizer is None:
            optimizer = getattr(schedulers[0], "optimizer", None)
        _check_optimizer(self._name, optimizer)
        for i, scheduler in enumerate(schedulers):
            if not isinstance(scheduler, LRScheduler):
                raise TypeError(
                    f"{self._name}: scheduler {i} is a {type(scheduler).__name__}, not an "
                    "LRScheduler"
                )
            if isinstance(scheduler, ReduceLROnPlateau):
                raise ValueError(
                    f"{self._name}: scheduler {i} is a ReduceLROnPlateau, which cannot be "
                    "chained (its step needs the metric); step it separately"
                )
            if scheduler.optimizer is not optimizer:
                raise ValueError(
                    f"{self._name}: expects all schedulers to belong to the same optimizer, but "
                    f"scheduler {i} ({type(scheduler).__name__}) was built on another one"
                )
        self.optimizer = optimizer
        self._schedulers = schedulers
        if all(s.last_epoch == 0 for s in schedulers):
            for group in optimizer.param_groups:
                group["lr"] = group["initial_lr"]
            for scheduler in schedulers:
                scheduler.last_epoch -= 1
                self._step_one(scheduler)
        self._last_lr = [group["lr"] for group in optimizer.param_groups]

    @staticmethod
    def _step_one(scheduler: LRScheduler) -> None:
        if scheduler.chainable:
            scheduler._chained_step()
        else:
            scheduler.step()

    def get_lr(self) -> list[float]:
        """The lrs the chain set for the current epoch."""
        return self.get_last_lr()

    def step(self) -> None:
        for scheduler in self._schedulers:
            self._step_one(scheduler)
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def state_dict(self) -> dict[str, Any]:
        state = {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "_schedulers")}
        state["_schedulers"] = [s.state_dict() for s in self._schedulers]
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        state = dict(state_dict)
        saved = state.pop("_schedulers")
        if len(saved) != len(self._schedulers):
            raise ValueError(
                f"{self._name}: the state dict holds {len(saved)} schedulers but this chain has "
                f"{len(self._schedulers)}; build the chain as the saved one was built"
            )
        self.__dict__.update(state)
        for scheduler, sub in zip(self._schedulers, saved, strict=True):
            scheduler.load_state_dict(sub)


class ConstantLR(LRScheduler):
    """lr_t = base_lr * factor for t < total_iters, then base_lr: a constant warmup."""

    def __init__(
        self,
        optimizer: Optimizer,
        factor: float = 1.0 / 3,
        total_iters: int = 5,
        last_epoch: int = -1,
    ) -> None:
        _number(self._name, "factor", factor)
        if factor > 1:
            raise ValueError(f"{self._name}: factor must be in [0, 1], got {factor}")
        _positive_int(self._name, "total_iters", total_iters)
        self.factor = factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        factor = self.factor if self.last_epoch < self.total_iters else 1.0
        return [base * factor for base in self.base_lrs]

    chainable = True

    def _chained_lr(self, lrs: list[float]) -> list[float]:
        if self.last_epoch == 0:
            return [lr * self.factor for lr in lrs]
        if self.last_epoch != self.total_iters:
            return lrs
        return [lr * (1.0 / self.factor) for lr in lrs]


class MultiplicativeLR(LRScheduler):
    """lr_t = base_lr * lr_lambda(1) * ... * lr_lambda(t): each epoch multiplies by the
    function's value at that epoch (one function, or one per group)."""

    def __init__(
        self,
        optimizer: Optimizer,
        lr_lambda: Callable[[int], float] | Sequence[Callable[[int], float]],
        last_epoch: int = -1,
    ) -> None:
        _check_optimizer(self._name, optimizer)
        n = len(optimizer.param_groups)
        self.lr_lambdas = _lambdas_per_group(self._name, lr_lambda, n)
        for fn in self.lr_lambdas:
            if not callable(fn):
                raise TypeError(
                    f"{self._name}: lr_lambda must be callable (epoch -> factor), got "
                    f"{type(fn).__name__} {fn!r}"
                )
        # The running product and the epoch it belongs to (Note [Closed-form schedules]).
        self._product_epoch = 0
        self._products = [1.0] * n
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        t = self.last_epoch
        if t != self._product_epoch + 1 or t <= 0:  # a jump (or a rewind): start again
            self._product_epoch, self._products = 0, [1.0] * len(self.lr_lambdas)
        while self._product_epoch < t:
            self._product_epoch += 1
            e = self._product_epoch
            self._products = [p * fn(e) for p, fn in zip(self._products, self.lr_lambdas)]
        return [base * p for base, p in zip(self.base_lrs, self._products, strict=True)]

    chainable = True

    def _chained_lr(self, lrs: list[float]) -> list[float]:
        t = self.last_epoch
        if t <= 0:
            return lrs
        return [lr * fn(t) for lr, fn in zip(lrs, self.lr_lambdas, strict=True)]

    def state_dict(self) -> dict[str, Any]:
        state = super().state_dict()
        state["lr_lambdas"] = [None] * len(self.lr_lambdas)  # functions do not pickle
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        state = dict(state_dict)
        state.pop("lr_lambdas", None)
        super().load_state_dict(state)


class PolynomialLR(LRScheduler):
    """lr_t = base_lr * (1 - min(t, total_iters) / total_iters) ** power: a polynomial decay
    to 0 over ``total_iters`` epochs."""

    def __init__(
        self,
        optimizer: Optimizer,
        total_iters: int = 5,
        power: float = 1.0,
        last_epoch: int = -1,
    ) -> None:
        _positive_int(self._name, "total_iters", total_iters)
        _number(self._name, "power", power)
        self.total_iters = total_iters
        self.power = power
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        factor = (1.0 - min(self.last_epoch, self.total_iters) / self.total_iters) ** self.power
        return [base * factor for base in self.base_lrs]

    chainable = True

    def _chained_lr(self, lrs: list[float]) -> list[float]:
        t, total = self.last_epoch, self.total_iters
        if t == 0 or t > total:
            return lrs
        ratio = ((1.0 - t / total) / (1.0 - (t - 1) / total)) ** self.power
        return [lr * ratio for lr in lrs]


class CosineAnnealingWarmRestarts(LRScheduler):
    """SGDR (Loshchilov & Hutter, 2017): cosine annealing from base_lr to ``eta_min`` over a
    period that starts at ``T_0`` epochs and is multiplied by ``T_mult`` at each restart.

    lr = eta_min + (base_lr - eta_min) * (1 + cos(pi * T_cur / T_i)) / 2, where T_i is the
    current period and T_cur the epochs since the last restart. ``step(epoch)`` accepts a
    fractional epoch (``epoch + batch / batches_per_epoch``) to anneal within an epoch."""

    def __init__(
        self,
        optimizer: Optimizer,
        T_0: int,
        T_mult: int = 1,
        eta_min: float = 0.0,
        last_epoch: int = -1,
    ) -> None:
        _positive_int(self._name, "T_0", T_0)
        _positive_int(self._name, "T_mult", T_mult)
        _number(self._name, "eta_min", eta_min, None)
        self.T_0 = T_0
        self.T_mult = T_mult
        self.eta_min = eta_min
        self.T_i: float = T_0
        self.T_cur: float = max(last_epoch, 0)
        self._epoch: float | None = None
        super().__init__(optimizer, last_epoch)

    def _period(self, epoch: float) -> tuple[float, float]:
        """(T_cur, T_i) at ``epoch``: walk the restarts, each period T_mult times longer."""
        t_cur, t_i = epoch, float(self.T_0)
        while t_cur >= t_i:
            t_cur -= t_i
            t_i *= self.T_mult
        return t_cur, t_i

    def get_lr(self) -> list[float]:
        cosine = (1 + math.cos(math.pi * self.T_cur / self.T_i)) / 2
        return [self.eta_min + (base - self.eta_min) * cosine for base in self.base_lrs]

    def step(self, epoch: float | None = None) -> None:  # type: ignore[override]
        """Advance one epoch, or jump to ``epoch`` (which may be fractional)."""
        if epoch is None:
            epoch = self.last_epoch + 1
        elif isinstance(epoch, bool) or not isinstance(epoch, (int, float)) or epoch < 0:
            raise ValueError(f"{self._name}: epoch must be a non-negative number, got {epoch!r}")
        self.T_cur, self.T_i = self._period(epoch)
        self.last_epoch = math.floor(epoch)
        for group, lr in zip(self.optimizer.param_groups, self.get_lr(), strict=True):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]


class ReduceLROnPlateau(LRScheduler):
    """Multiply every group's lr by ``factor`` once the metric passed to ``step(metric)`` has
    not improved for more than ``patience`` epochs; then wait ``cooldown`` epochs before
    counting again. Never below ``min_lr`` (one value, or one per group); a reduction smaller
    than ``eps`` is skipped.

    Improvement means, for ``mode="min"``, a metric below ``best * (1 - threshold)``
    (``threshold_mode="rel"``) or below ``best - threshold`` (``"abs"``); ``"max"`` mirrors
    it. Unlike the other schedules it keeps the lr it set (it has no formula of the epoch).
    """

    def __init__(
        self,
        optimizer: Optimizer,
        mode: str = "min",
        factor: float = 0.1,
        patience: int = 10,
        threshold: float = 1e-4,
        threshold_mode: str = "rel",
        cooldown: int = 0,
        min_lr: float | Sequence[float] = 0.0,
        eps: float = 1e-8,
    ) -> None:
        _check_optimizer(self._name, optimizer)
        _number(self._name, "factor", factor)
        if factor >= 1.0:
            raise ValueError(f"{self._name}: factor must be < 1.0, got {factor}")
        if mode not in ("min", "max"):
            raise ValueError(f"{self._name}: mode must be 'min' or 'max', got {mode!r}")
        if threshold_mode not in ("rel", "abs"):
            raise ValueError(
                f"{self._name}: threshold_mode must be 'rel' or 'abs', got {threshold_mode!r}"
            )
        for name, value in (("patience", patience), ("cooldown", cooldown)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{self._name}: {name} must be a non-negative int, got {value!r}")
        n = len(optimizer.param_groups)
        if isinstance(min_lr, (list, tuple)):
            if len(min_lr) != n:
                raise ValueError(
                    f"{self._name}: got {len(min_lr)} min_lr values for {n} parameter groups; "
                    "pass one number, or one per group"
                )
            self.min_lrs = list(min_lr)
        else:
            self.min_lrs = [min_lr] * n
        self.optimizer = optimizer
        self.mode, self.factor, self.patience = mode, factor, patience
        self.threshold, self.threshold_mode = threshold, threshold_mode
        self.cooldown, self.eps = cooldown, eps
        self.mode_worse = math.inf if mode == "min" else -math.inf
        self.best = self.mode_worse
        self.num_bad_epochs = 0
        self.cooldown_counter = 0
        self.last_epoch = 0
        self._last_lr = [group["lr"] for group in optimizer.param_groups]

    def _is_better(self, value: float) -> bool:
        rel = self.threshold_mode == "rel"
        if self.mode == "min":
            return value < (self.best * (1 - self.threshold) if rel else self.best - self.threshold)
        return value > (self.best * (1 + self.threshold) if rel else self.best + self.threshold)

    def step(self, metrics: Any, epoch: int | None = None) -> None:  # type: ignore[override]
        """Record this epoch's metric (a number or a 0-d tensor) and reduce the lrs if it
        has plateaued."""
        value = float(metrics)
        self.last_epoch = self.last_epoch + 1 if epoch is None else epoch
        if self._is_better(value):
            self.best, self.num_bad_epochs = value, 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:  # bad epochs during a cooldown do not count
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            for group, floor in zip(self.optimizer.param_groups, self.min_lrs, strict=True):
                new = max(group["lr"] * self.factor, floor)
                if group["lr"] - new > self.eps:
                    group["lr"] = new
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def get_lr(self) -> list[float]:
        return list(self._last_lr)


class CyclicLR(LRScheduler):
    """Cyclical learning rates (Smith, 2017), stepped once per batch: the lr climbs from
    ``base_lr`` to ``max_lr`` over ``step_size_up`` steps and falls back over
    ``step_size_down`` (default: the same), the swing scaled per cycle or per step by
    ``mode`` ("triangular": 1, "triangular2": halved each cycle, "exp_range": gamma ** t) or
    by ``scale_fn`` with ``scale_mode``. Construction sets the groups' lr to ``base_lr``.
    With ``cycle_momentum`` the momentum (or Adam's beta1) moves the other way, between
    ``max_momentum`` and ``base_momentum``.

    A closed form of the step count t (Note [Closed-form schedules]): with T the cycle
    length, x = 1 + t / T - floor(1 + t / T) is the position in the cycle, and the rise or
    fall fraction follows from x and the up ratio.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        base_lr: float | Sequence[float],
        max_lr: float | Sequence[float],
        step_size_up: int = 2000,
        step_size_down: int | None = None,
        mode: str = "triangular",
        gamma: float = 1.0,
        scale_fn: Callable[[float], float] | None = None,
        scale_mode: str = "cycle",
        cycle_momentum: bool = True,
        base_momentum: float | Sequence[float] = 0.8,
        max_momentum: float | Sequence[float] = 0.9,
        last_epoch: int = -1,
    ) -> None:
        _check_optimizer(self._name, optimizer)
        groups = optimizer.param_groups
        base_lrs = self._per_group("base_lr", base_lr, len(groups))
        self.max_lrs = self._per_group("max_lr", max_lr, len(groups))
        _positive_int(self._name, "step_size_up", step_size_up)
        down = step_size_up if step_size_down is None else step_size_down
        _positive_int(self._name, "step_size_down", down)
        self.total_size = float(step_size_up + down)
        self.step_ratio = step_size_up / self.total_size
        if scale_fn is None:
            if mode not in ("triangular", "triangular2", "exp_range"):
                raise ValueError(
                    f"{self._name}: mode must be 'triangular', 'triangular2' or 'exp_range' "
                    f"(or pass scale_fn), got {mode!r}"
                )
            scale_mode = "iterations" if mode == "exp_range" else "cycle"
        elif scale_mode not in ("cycle", "iterations"):
            raise ValueError(
                f"{self._name}: scale_mode must be 'cycle' or 'iterations', got {scale_mode!r}"
            )
        self.mode, self.gamma, self.scale_mode = mode, gamma, scale_mode
        self._scale_fn_custom = scale_fn
        self.cycle_momentum = cycle_momentum
        if last_epoch == -1:
            for group, lr in zip(groups, base_lrs, strict=True):
                group["lr"] = lr
        if cycle_momentum:
            if "momentum" not in optimizer.defaults and "betas" not in optimizer.defaults:
                raise ValueError(
                    f"{self._name}: cycle_momentum=True but {type(optimizer).__name__} has "
                    "neither 'momentum' nor 'betas' to cycle; pass cycle_momentum=False"
                )
            self.use_beta1 = "betas" in optimizer.defaults
            self.base_momentums = self._per_group("base_momentum", base_momentum, len(groups))
            self.max_momentums = self._per_group("max_momentum", max_momentum, len(groups))
            if last_epoch == -1:
                for group, high in zip(groups, self.max_momentums, strict=True):
                    if self.use_beta1:
                        group["betas"] = (high, *group["betas"][1:])
                    else:
                        group["momentum"] = high
        super().__init__(optimizer, last_epoch)
        self.base_lrs = base_lrs

    def _per_group(self, name: str, value: Any, n: int) -> list[float]:
        values = _per_group(self._name, name, value, n)
        for v in values:
            _number(self._name, name, v)
        return values

    def scale_fn(self, x: float) -> float:
        if self._scale_fn_custom is not None:
            return self._scale_fn_custom(x)
        if self.mode == "triangular":
            return 1.0
        if self.mode == "triangular2":
            return 1 / (2.0 ** (x - 1))
        return self.gamma**x

    def get_lr(self) -> list[float]:
        t = self.last_epoch
        cycle = math.floor(1 + t / self.total_size)
        x = 1.0 + t / self.total_size - cycle
        if x <= self.step_ratio:
            fraction = x / self.step_ratio
        else:
            fraction = (x - 1) / (self.step_ratio - 1)
        scale = self.scale_fn(cycle if self.scale_mode == "cycle" else t)
        lrs = [
            base + (high - base) * fraction * scale
            for base, high in zip(self.base_lrs, self.max_lrs, strict=True)
        ]
        if self.cycle_momentum:
            for group, low, high in zip(
                self.optimizer.param_groups, self.base_momentums, self.max_momentums, strict=True
            ):
                momentum = high - (high - low) * fraction * scale
                if self.use_beta1:
                    group["betas"] = (momentum, *group["betas"][1:])
                else:
                    group["momentum"] = momentum
        return lrs

    def state_dict(self) -> dict[str, Any]:
        state = super().state_dict()
        state["_scale_fn_custom"] = None  # functions do not pickle
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        state = dict(state_dict)
        state.pop("_scale_fn_custom", None)
        super().load_state_dict(state)
