"""``RMSprop``: divide the step by a running root-mean-square of recent gradients.

One learning rule, one file: the Optimizer base (optimizer.py) does the rest.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from nanotorch.creation import zeros_like
from nanotorch.optim.optimizer import (
    Optimizer,
    ParamGroup,
    State,
    add_scaled_,
    addcdiv_,
    addcmul_,
    lerp_,
    sqrt,
)
from nanotorch.tensor import Tensor


class RMSprop(Optimizer):
    r"""RMSprop (Hinton, Coursera lecture 6e), optionally centered and with momentum.

    .. code-block:: text

        input: lr, alpha, eps, params p_0, objective f, weight decay lambda, momentum mu,
               centered, maximize
        init:  v_0 <- 0, gbar_0 <- 0, b_0 <- 0
        for t = 1, 2, ...:
            g_t <- grad f_t(p_{t-1})
            if maximize: g_t <- -g_t
            if lambda != 0: g_t <- g_t + lambda * p_{t-1}
            v_t <- alpha * v_{t-1} + (1 - alpha) * g_t^2
            if centered:
                gbar_t <- alpha * gbar_{t-1} + (1 - alpha) * g_t
                d_t <- sqrt(v_t - gbar_t^2) + eps
            else:
                d_t <- sqrt(v_t) + eps
            if mu > 0:
                b_t <- mu * b_{t-1} + g_t / d_t
                p_t <- p_{t-1} - lr * b_t
            else:
                p_t <- p_{t-1} - lr * g_t / d_t
        return p_t

    Centering divides by an estimate of the gradient's standard deviation instead of its
    root mean square. Unlike Adam there is no bias correction, so early steps are larger.
    State: ``step`` (Python int), ``square_avg``, and ``momentum_buffer`` (momentum > 0) and
    ``grad_avg`` (centered) only when those options are on.

    >>> import nanotorch
    >>> from nanotorch.optim import RMSprop
    >>> w = nanotorch.tensor([1.0], requires_grad=True)
    >>> w.grad = nanotorch.tensor([2.0])
    >>> RMSprop([w], lr=0.01, alpha=0.75).step()  # v = 0.25 * 4 = 1, step = 0.01 * 2 / 1
    >>> round(w.item(), 6)
    0.98
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        centered: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = dict(
            lr=lr,
            alpha=alpha,
            eps=eps,
            weight_decay=weight_decay,
            momentum=momentum,
            centered=centered,
            maximize=maximize,
        )
        super().__init__(params, defaults)

    def validate_group(self, group: ParamGroup, index: int | None) -> None:
        self._check_lr(group, index)
        for name in ("alpha", "eps", "momentum", "weight_decay"):
            self._check_non_negative(group, name, index)
        self._check_bool(group, "centered", index)

    def init_state(self, param: Tensor, group: ParamGroup) -> State:
        state: State = {"step": 0, "square_avg": zeros_like(param)}
        if group["momentum"] > 0:
            state["momentum_buffer"] = zeros_like(param)
        if group["centered"]:
            state["grad_avg"] = zeros_like(param)
        return state

    def update(self, param: Tensor, grad: Tensor, state: State, group: ParamGroup) -> None:
        alpha, lr = group["alpha"], group["lr"]
        state["step"] += 1
        if group["weight_decay"] != 0:
            grad = grad.add(param, alpha=group["weight_decay"])
        square_avg = state["square_avg"]
        addcmul_(square_avg.mul_(alpha), grad, grad, value=1 - alpha)
        if group["centered"]:
            grad_avg = state["grad_avg"]
            lerp_(grad_avg, grad, 1 - alpha)
            # v - gbar^2 is a variance estimate: never negative in exact arithmetic.
            denom = square_avg.clone().addcmul_(grad_avg, grad_avg, value=-1).sqrt()
        else:
            denom = sqrt(square_avg)
        denom.add_(group["eps"])
        if group["momentum"] > 0:
            buf = state["momentum_buffer"]
            addcdiv_(buf.mul_(group["momentum"]), grad, denom)
            add_scaled_(param, buf, -lr)
        else:
            addcdiv_(param, grad, denom, value=-lr)
