"""``AdamW``: Adam with decoupled weight decay (Loshchilov & Hutter, 2019).

One learning rule, one file. It differs from ``Adam`` only in where weight decay enters, so
it reuses ``Adam.adam_step`` for the moments and the step.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from nanotorch.optim.adam import Adam
from nanotorch.optim.optimizer import ParamGroup, State
from nanotorch.tensor import Tensor


class AdamW(Adam):
    r"""Adam whose weight decay shrinks the parameters directly instead of the gradient.

    .. code-block:: text

        input: lr, betas (beta1, beta2), params p_0, objective f, weight decay lambda,
               eps, amsgrad, maximize
        init:  m_0 <- 0, v_0 <- 0, v_max_0 <- 0
        for t = 1, 2, ...:
            g_t <- grad f_t(p_{t-1})
            if maximize: g_t <- -g_t
            p_{t-1} <- p_{t-1} - lr * lambda * p_{t-1}
            m_t <- beta1 * m_{t-1} + (1 - beta1) * g_t
            v_t <- beta2 * v_{t-1} + (1 - beta2) * g_t^2
            m_hat <- m_t / (1 - beta1^t)
            if amsgrad: v_max_t <- max(v_max_{t-1}, v_t);  v_hat <- v_max_t / (1 - beta2^t)
            else:       v_hat <- v_t / (1 - beta2^t)
            p_t <- p_{t-1} - lr * m_hat / (sqrt(v_hat) + eps)
        return p_t

    With L2 in the gradient (``Adam``'s weight_decay) the decay is divided by sqrt(v_hat), so
    weights with large gradients are barely regularised; decoupling makes the decay the same
    relative shrink for every weight. State: as ``Adam``.

    >>> import nanotorch
    >>> from nanotorch.optim import AdamW
    >>> w = nanotorch.tensor([1.0], requires_grad=True)
    >>> w.grad = nanotorch.zeros(1)
    >>> AdamW([w], lr=0.1, weight_decay=0.5).step()  # zero gradient: only the decay acts
    >>> round(w.item(), 6)
    0.95
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        super().__init__(
            params,
            lr,
            betas,
            eps,
            weight_decay,
            amsgrad,
            maximize=maximize,
            decoupled_weight_decay=True,
        )

    def update(self, param: Tensor, grad: Tensor, state: State, group: ParamGroup) -> None:
        if group["weight_decay"] != 0:
            param.mul_(1 - group["lr"] * group["weight_decay"])
        self.adam_step(param, grad, state, group)
