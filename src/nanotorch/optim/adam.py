"""``Adam``: adaptive moment estimation (Kingma & Ba, 2015), with optional AMSGrad.

One learning rule, one file: the Optimizer base (optimizer.py) does the rest. ``AdamW``
(adamw.py) reuses ``Adam.adam_step`` and changes only how weight decay is applied.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from nanotorch.creation import zeros_like
from nanotorch.ops import maximum
from nanotorch.optim.optimizer import Optimizer, ParamGroup, State, addcdiv_, addcmul_, lerp_, sqrt
from nanotorch.tensor import Tensor


class Adam(Optimizer):
    r"""Adam: steps scaled by running estimates of the gradient's first and second moments.

    .. code-block:: text

        input: lr, betas (beta1, beta2), params p_0, objective f, weight decay lambda,
               eps, amsgrad, maximize
        init:  m_0 <- 0, v_0 <- 0, v_max_0 <- 0
        for t = 1, 2, ...:
            g_t <- grad f_t(p_{t-1})
            if maximize: g_t <- -g_t
            if lambda != 0: g_t <- g_t + lambda * p_{t-1}
            m_t <- beta1 * m_{t-1} + (1 - beta1) * g_t
            v_t <- beta2 * v_{t-1} + (1 - beta2) * g_t^2
            m_hat <- m_t / (1 - beta1^t)
            if amsgrad: v_max_t <- max(v_max_{t-1}, v_t);  v_hat <- v_max_t / (1 - beta2^t)
            else:       v_hat <- v_t / (1 - beta2^t)
            p_t <- p_{t-1} - lr * m_hat / (sqrt(v_hat) + eps)
        return p_t

    The bias corrections undo the pull of the zero-initialised moments towards 0 in the first
    steps. ``weight_decay`` here is L2 regularisation added to the gradient, so it is scaled
    by the adaptive denominator too; ``AdamW`` (or ``decoupled_weight_decay=True``, as in
    PyTorch) decouples it. State: ``step`` (a Python int,
    Note [Optimizer state] in optimizer.py), ``exp_avg``, ``exp_avg_sq`` and, with amsgrad,
    ``max_exp_avg_sq``.

    >>> import nanotorch
    >>> from nanotorch.optim import Adam
    >>> w = nanotorch.tensor([1.0, -2.0], requires_grad=True)
    >>> opt = Adam([w], lr=0.1)
    >>> (w * w).sum().backward()
    >>> opt.step()
    >>> [round(v, 4) for v in w.tolist()]  # the first step moves each weight by about lr
    [0.9, -1.9]
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        decoupled_weight_decay: bool = False,
    ) -> None:
        defaults = dict(
            lr=lr,
            betas=betas,
            eps=eps,
            weight_decay=weight_decay,
            amsgrad=amsgrad,
            maximize=maximize,
            decoupled_weight_decay=decoupled_weight_decay,
        )
        super().__init__(params, defaults)

    def validate_group(self, group: ParamGroup, index: int | None) -> None:
        self._check_adam_family(group, index)
        self._check_bool(group, "amsgrad", index)
        self._check_bool(group, "decoupled_weight_decay", index)

    def init_state(self, param: Tensor, group: ParamGroup) -> State:
        state: State = {"step": 0, "exp_avg": zeros_like(param), "exp_avg_sq": zeros_like(param)}
        if group["amsgrad"]:
            state["max_exp_avg_sq"] = zeros_like(param)
        return state

    def update(self, param: Tensor, grad: Tensor, state: State, group: ParamGroup) -> None:
        grad = self._apply_weight_decay(param, grad, group)
        self.adam_step(param, grad, state, group)

    @staticmethod
    def adam_step(param: Tensor, grad: Tensor, state: State, group: ParamGroup) -> None:
        """The moment updates and the bias-corrected step, without any weight decay."""
        beta1, beta2 = group["betas"]
        state["step"] += 1
        step = state["step"]
        exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
        # The in-place updates are the Tensor methods' values without weight-sized
        # temporaries on the cpu (Note [Optimizer state], optimizer.py).
        lerp_(exp_avg, grad, 1 - beta1)
        addcmul_(exp_avg_sq.mul_(beta2), grad, grad, value=1 - beta2)
        second = exp_avg_sq
        if group["amsgrad"]:
            second = state["max_exp_avg_sq"]
            second.copy_(maximum(second, exp_avg_sq))
        # The step count is a host int, so both corrections are host floats: no device sync.
        bias_correction1 = 1 - beta1**step
        bias_correction2 = 1 - beta2**step
        denom = sqrt(second).div_(math.sqrt(bias_correction2)).add_(group["eps"])
        addcdiv_(param, exp_avg, denom, value=-group["lr"] / bias_correction1)
