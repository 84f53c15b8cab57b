"""``Adagrad``: per-element steps shrunk by the root of all past squared gradients.

One learning rule, one file: the Optimizer base (optimizer.py) does the rest.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from nanotorch.creation import full_like
from nanotorch.optim.optimizer import Optimizer, ParamGroup, State, addcdiv_, addcmul_, sqrt
from nanotorch.tensor import Tensor


class Adagrad(Optimizer):
    r"""Adagrad (Duchi, Hazan & Singer, 2011).

    .. code-block:: text

        input: lr, params p_0, objective f, weight decay lambda, lr decay eta,
               initial accumulator value s0, eps, maximize
        init:  sum_0 <- s0
        for t = 1, 2, ...:
            g_t <- grad f_t(p_{t-1})
            if maximize: g_t <- -g_t
            lr_t <- lr / (1 + (t - 1) * eta)
            if lambda != 0: g_t <- g_t + lambda * p_{t-1}
            sum_t <- sum_{t-1} + g_t^2
            p_t <- p_{t-1} - lr_t * g_t / (sqrt(sum_t) + eps)
        return p_t

    Elements that have seen large gradients take small steps from then on; the sum never
    decays (RMSprop and Adam replace it with a running average). State: ``step`` (Python
    int) and ``sum``.

    >>> import nanotorch
    >>> from nanotorch.optim import Adagrad
    >>> w = nanotorch.tensor([1.0], requires_grad=True)
    >>> w.grad = nanotorch.tensor([3.0])
    >>> Adagrad([w], lr=0.5, initial_accumulator_value=16.0).step()  # 0.5 * 3 / sqrt(25)
    >>> round(w.item(), 6)
    0.7
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-2,
        lr_decay: float = 0.0,
        weight_decay: float = 0.0,
        initial_accumulator_value: float = 0.0,
        eps: float = 1e-10,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = dict(
            lr=lr,
            lr_decay=lr_decay,
            weight_decay=weight_decay,
            initial_accumulator_value=initial_accumulator_value,
            eps=eps,
            maximize=maximize,
        )
        super().__init__(params, defaults)

    def validate_group(self, group: ParamGroup, index: int | None) -> None:
        self._check_lr(group, index)
        for name in ("lr_decay", "weight_decay", "initial_accumulator_value", "eps"):
            self._check_non_negative(group, name, index)

    def init_state(self, param: Tensor, group: ParamGroup) -> State:
        return {"step": 0, "sum": full_like(param, group["initial_accumulator_value"])}

    def update(self, param: Tensor, grad: Tensor, state: State, group: ParamGroup) -> None:
        state["step"] += 1
        if group["weight_decay"] != 0:
            grad = grad.add(param, alpha=group["weight_decay"])
        clr = group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])
        state_sum = state["sum"]
        addcmul_(state_sum, grad, grad)
        addcdiv_(param, grad, sqrt(state_sum).add_(group["eps"]), value=-clr)
