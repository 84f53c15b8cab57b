"""``SGD``: stochastic gradient descent with momentum, dampening, Nesterov and weight decay.

One learning rule, one file: the Optimizer base (optimizer.py) does the rest.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from nanotorch.optim.optimizer import Optimizer, ParamGroup, State, add_scaled_
from nanotorch.tensor import Tensor


class SGD(Optimizer):
    r"""Stochastic gradient descent, optionally with (Nesterov) momentum.

    .. code-block:: text

        input: lr, params p_0, objective f, weight decay lambda, momentum mu,
               dampening tau, nesterov, maximize
        for t = 1, 2, ...:
            g_t <- grad f_t(p_{t-1})
            if maximize: g_t <- -g_t
            if lambda != 0: g_t <- g_t + lambda * p_{t-1}
            if mu != 0:
                if t > 1: b_t <- mu * b_{t-1} + (1 - tau) * g_t
                else:     b_t <- g_t
                if nesterov: g_t <- g_t + mu * b_t
                else:        g_t <- b_t
            p_t <- p_{t-1} - lr * g_t
        return p_t

    The momentum buffer starts as a copy of the first gradient (not zeros), so dampening does
    not shrink the first step. State: ``momentum_buffer`` (None until the first step with
    momentum).

    >>> import nanotorch
    >>> from nanotorch.optim import SGD
    >>> w = nanotorch.tensor([1.0], requires_grad=True)
    >>> opt = SGD([w], lr=0.1, momentum=0.9)
    >>> for _ in range(2):
    ...     opt.zero_grad()
    ...     (w * w).sum().backward()
    ...     opt.step()
    >>> round(w.item(), 4)  # 1 - 0.1*2 = 0.8, then 0.8 - 0.1*(0.9*2 + 1.6) = 0.46
    0.46
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = dict(
            lr=lr,
            momentum=momentum,
            dampening=dampening,
            weight_decay=weight_decay,
            nesterov=nesterov,
            maximize=maximize,
        )
        super().__init__(params, defaults)

    def validate_group(self, group: ParamGroup, index: int | None) -> None:
        self._check_lr(group, index)
        self._check_non_negative(group, "momentum", index)
        self._check_non_negative(group, "weight_decay", index)
        self._check_number("dampening", group["dampening"], index, "dampening=0.0")
        self._check_bool(group, "nesterov", index)
        if group["nesterov"] and not group["momentum"] > 0:
            self._fail("nesterov=True needs momentum > 0", "set momentum, e.g. momentum=0.9", index)
        if group["nesterov"] and group["dampening"] != 0:
            self._fail(
                f"nesterov=True needs dampening=0, got dampening={group['dampening']}",
                "drop dampening or nesterov",
                index,
            )

    def init_state(self, param: Tensor, group: ParamGroup) -> State:
        # Plain SGD keeps no state, so its state_dict lists no parameter (as PyTorch's).
        return {"momentum_buffer": None} if group["momentum"] != 0 else {}

    def _load_param_state(self, index: int, p: Tensor, group: ParamGroup, saved: State) -> State:
        # State dicts written before plain SGD kept no state hold an empty momentum buffer.
        if group["momentum"] == 0 and saved.get("momentum_buffer", 0) is None:
            saved = {k: v for k, v in saved.items() if k != "momentum_buffer"}
        return super()._load_param_state(index, p, group, saved)

    def update(self, param: Tensor, grad: Tensor, state: State, group: ParamGroup) -> None:
        weight_decay, momentum = group["weight_decay"], group["momentum"]
        if weight_decay != 0:
            grad = grad.add(param, alpha=weight_decay)
        if momentum != 0:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = grad.clone()
            else:
                add_scaled_(buf.mul_(momentum), grad, 1 - group["dampening"])
            grad = grad.add(buf, alpha=momentum) if group["nesterov"] else buf
        add_scaled_(param, grad, -group["lr"])
