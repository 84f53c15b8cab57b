"""``Adadelta``: steps whose size comes from running averages of squared gradients and
squared updates (Zeiler, 2012).

One learning rule, one file: the Optimizer base (optimizer.py) does the rest.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from nanotorch.creation import zeros_like
from nanotorch.optim.optimizer import Optimizer, ParamGroup, State
from nanotorch.tensor import Tensor


class Adadelta(Optimizer):
    r"""Adadelta: the ratio of two running RMS values gives each weight its own step size.

    .. code-block:: text

        input: lr, rho, eps, weight decay lambda, maximize
        init:  v_0 <- 0 (square_avg), u_0 <- 0 (acc_delta)
        for t = 1, 2, ...:
            g_t <- grad (negated if maximize) + lambda * p_{t-1}
            v_t <- rho * v_{t-1} + (1 - rho) * g_t^2
            d_t <- sqrt(u_{t-1} + eps) / sqrt(v_t + eps) * g_t
            u_t <- rho * u_{t-1} + (1 - rho) * d_t^2
            p_t <- p_{t-1} - lr * d_t

    State: ``step`` (a Python int), ``square_avg`` and ``acc_delta``, as in PyTorch.
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1.0,
        rho: float = 0.9,
        eps: float = 1e-6,
        weight_decay: float = 0.0,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def validate_group(self, group: ParamGroup, index: int | None) -> None:
        self._check_lr(group, index)
        self._check_non_negative(group, "eps", index)
        self._check_non_negative(group, "weight_decay", index)
        self._check_non_negative(group, "rho", index)
        if group["rho"] > 1:
            self._fail(f"rho must be in [0, 1], got {group['rho']}", "pass e.g. rho=0.9", index)

    def init_state(self, param: Tensor, group: ParamGroup) -> State:
        return {"step": 0, "square_avg": zeros_like(param), "acc_delta": zeros_like(param)}

    def update(self, param: Tensor, grad: Tensor, state: State, group: ParamGroup) -> None:
        rho, eps = group["rho"], group["eps"]
        state["step"] += 1
        if group["weight_decay"] != 0:
            grad = grad.add(param, alpha=group["weight_decay"])
        square_avg, acc_delta = state["square_avg"], state["acc_delta"]
        square_avg.mul_(rho).addcmul_(grad, grad, value=1 - rho)
        delta = (acc_delta + eps).sqrt_().div_((square_avg + eps).sqrt_()).mul_(grad)
        acc_delta.mul_(rho).addcmul_(delta, delta, value=1 - rho)
        param.add_(delta, alpha=-group["lr"])
