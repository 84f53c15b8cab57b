"""``RAdam``: Adam with a rectified adaptive step (Liu et al., 2020).

One learning rule, one file: the Optimizer base (optimizer.py) does the rest.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from nanotorch.creation import zeros_like
from nanotorch.optim.optimizer import Optimizer, ParamGroup, State
from nanotorch.tensor import Tensor


class RAdam(Optimizer):
    r"""RAdam: plain momentum SGD while the variance of the adaptive step is undefined, the
    rectified Adam step after.

    .. code-block:: text

        input: lr, betas (beta1, beta2), eps, weight decay lambda, decoupled, maximize
        rho_inf <- 2 / (1 - beta2) - 1
        for t = 1, 2, ...:
            g_t <- grad (negated if maximize)
            if decoupled: p <- p * (1 - lr * lambda)  else: g_t <- g_t + lambda * p
            m_t, v_t as in Adam;  m_hat <- m_t / (1 - beta1^t)
            rho_t <- rho_inf - 2 t beta2^t / (1 - beta2^t)
            if rho_t > 5:
                r_t <- sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t))
                p <- p - lr * m_hat * r_t * sqrt(1 - beta2^t) / (sqrt(v_t) + eps)
            else:
                p <- p - lr * m_hat

    State: ``step`` (a Python int), ``exp_avg``, ``exp_avg_sq``, as in PyTorch.
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        decoupled_weight_decay: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = dict(
            lr=lr,
            betas=betas,
            eps=eps,
            weight_decay=weight_decay,
            decoupled_weight_decay=decoupled_weight_decay,
            maximize=maximize,
        )
        super().__init__(params, defaults)

    def validate_group(self, group: ParamGroup, index: int | None) -> None:
        self._check_adam_family(group, index)
        self._check_bool(group, "decoupled_weight_decay", index)

    def init_state(self, param: Tensor, group: ParamGroup) -> State:
        return {"step": 0, "exp_avg": zeros_like(param), "exp_avg_sq": zeros_like(param)}

    def update(self, param: Tensor, grad: Tensor, state: State, group: ParamGroup) -> None:
        beta1, beta2 = group["betas"]
        lr = group["lr"]
        state["step"] += 1
        t = state["step"]
        grad = self._apply_weight_decay(param, grad, group)
        exp_avg, exp_avg_sq = self._adam_moments(state, grad, beta1, beta2)
        bias_correction1 = 1 - beta1**t
        bias_correction2 = 1 - beta2**t
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 * t * beta2**t / bias_correction2
        if rho_t > 5.0:
            rect = math.sqrt(
                (rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)
            )
            denom = exp_avg_sq.sqrt().add_(group["eps"])
            scale = lr * rect * math.sqrt(bias_correction2) / bias_correction1
            param.addcdiv_(exp_avg, denom, value=-scale)
        else:
            param.add_(exp_avg, alpha=-lr / bias_correction1)
