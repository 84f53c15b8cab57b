"""``NAdam``: Adam with Nesterov momentum (Dozat, 2016).

One learning rule, one file: the Optimizer base (optimizer.py) does the rest.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from nanotorch.creation import zeros_like
from nanotorch.optim.optimizer import Optimizer, ParamGroup, State
from nanotorch.tensor import Tensor


class NAdam(Optimizer):
    r"""NAdam: Adam whose step looks ahead along the momentum, with a momentum schedule.

    .. code-block:: text

        input: lr, betas (beta1, beta2), eps, weight decay lambda, momentum decay psi,
               decoupled, maximize
        for t = 1, 2, ...:
            g_t <- grad (negated if maximize)
            if decoupled: p <- p * (1 - lr * lambda)  else: g_t <- g_t + lambda * p
            mu_t <- beta1 (1 - 0.96^(t psi) / 2);  mu_{t+1} likewise
            m_t, v_t as in Adam;  P_t <- mu_1 ... mu_t
            d_t <- sqrt(v_t / (1 - beta2^t)) + eps
            p <- p - lr (1 - mu_t) / (1 - P_t) g_t / d_t
                   - lr mu_{t+1} / (1 - P_t mu_{t+1}) m_t / d_t

    State: ``step`` (a Python int), ``mu_product`` (a Python float: it scales the step on the
    host, like ``step``), ``exp_avg`` and ``exp_avg_sq``, as in PyTorch.
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum_decay: float = 4e-3,
        decoupled_weight_decay: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = dict(
            lr=lr,
            betas=betas,
            eps=eps,
            weight_decay=weight_decay,
            momentum_decay=momentum_decay,
            decoupled_weight_decay=decoupled_weight_decay,
            maximize=maximize,
        )
        super().__init__(params, defaults)

    def validate_group(self, group: ParamGroup, index: int | None) -> None:
        self._check_adam_family(group, index)
        self._check_non_negative(group, "momentum_decay", index)
        self._check_bool(group, "decoupled_weight_decay", index)

    def init_state(self, param: Tensor, group: ParamGroup) -> State:
        # ``mu_product`` joins on the first update: a host float, not a tensor template.
        return {"step": 0, "exp_avg": zeros_like(param), "exp_avg_sq": zeros_like(param)}

    def _load_param_state(self, index: int, p: Tensor, group: ParamGroup, saved: State) -> State:
        saved = dict(saved)
        mu_product = saved.pop("mu_product", 1.0)
        loaded = super()._load_param_state(index, p, group, saved)
        if isinstance(mu_product, Tensor):
            mu_product = mu_product.item()
        loaded["mu_product"] = float(mu_product)
        return loaded

    def update(self, param: Tensor, grad: Tensor, state: State, group: ParamGroup) -> None:
        beta1, beta2 = group["betas"]
        lr, psi = group["lr"], group["momentum_decay"]
        state["step"] += 1
        t = state["step"]
        grad = self._apply_weight_decay(param, grad, group)
        mu = beta1 * (1.0 - 0.5 * 0.96 ** (t * psi))
        mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * psi))
        mu_product = state.get("mu_product", 1.0) * mu
        state["mu_product"] = mu_product
        exp_avg, exp_avg_sq = self._adam_moments(state, grad, beta1, beta2)
        denom = exp_avg_sq.div(1 - beta2**t).sqrt_().add_(group["eps"])
        param.addcdiv_(grad, denom, value=-lr * (1 - mu) / (1 - mu_product))
        param.addcdiv_(exp_avg, denom, value=-lr * mu_next / (1 - mu_product * mu_next))
