"""``Adamax``: Adam with the infinity norm in place of the second moment (Kingma & Ba, 2015).

One learning rule, one file: the Optimizer base (optimizer.py) does the rest.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from nanotorch.creation import zeros_like
from nanotorch.ops import maximum
from nanotorch.optim.optimizer import Optimizer, ParamGroup, State
from nanotorch.tensor import Tensor


class Adamax(Optimizer):
    r"""Adamax: steps scaled by a decaying maximum of past gradient magnitudes.

    .. code-block:: text

        input: lr, betas (beta1, beta2), eps, weight decay lambda, maximize
        init:  m_0 <- 0, u_0 <- 0
        for t = 1, 2, ...:
            g_t <- grad (negated if maximize) + lambda * p_{t-1}
            m_t <- beta1 * m_{t-1} + (1 - beta1) * g_t
            u_t <- max(beta2 * u_{t-1}, |g_t| + eps)
            p_t <- p_{t-1} - lr / (1 - beta1^t) * m_t / u_t

    State: ``step`` (a Python int), ``exp_avg`` and ``exp_inf``, as in PyTorch.
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def validate_group(self, group: ParamGroup, index: int | None) -> None:
        self._check_adam_family(group, index)

    def init_state(self, param: Tensor, group: ParamGroup) -> State:
        return {"step": 0, "exp_avg": zeros_like(param), "exp_inf": zeros_like(param)}

    def update(self, param: Tensor, grad: Tensor, state: State, group: ParamGroup) -> None:
        beta1, beta2 = group["betas"]
        state["step"] += 1
        if group["weight_decay"] != 0:
            grad = grad.add(param, alpha=group["weight_decay"])
        state["exp_avg"].lerp_(grad, 1 - beta1)
        exp_inf = state["exp_inf"]
        exp_inf.copy_(maximum(exp_inf * beta2, grad.abs() + group["eps"]))
        step_size = group["lr"] / (1 - beta1 ** state["step"])
        param.addcdiv_(state["exp_avg"], exp_inf, value=-step_size)
