"""``ASGD``: averaged stochastic gradient descent (Polyak & Juditsky, 1992; Bottou, 2012).

One learning rule, one file: the Optimizer base (optimizer.py) does the rest.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from nanotorch.creation import zeros_like
from nanotorch.optim.optimizer import Optimizer, ParamGroup, State
from nanotorch.tensor import Tensor


class ASGD(Optimizer):
    r"""ASGD: SGD with a decaying step size and a running (Polyak) average of the iterates.

    .. code-block:: text

        input: lr gamma, decay lambda, power alpha, averaging start t0, weight decay w,
               maximize
        init:  eta_0 <- gamma, mu_0 <- 1, ax <- 0
        for t = 1, 2, ...:
            g_t <- grad (negated if maximize);  if w != 0: g_t <- g_t + w p
            p <- p (1 - lambda eta_{t-1}) - eta_{t-1} g_t
            ax <- p if mu_{t-1} = 1 else ax + mu_{t-1} (p - ax)
            eta_t <- gamma / (1 + lambda gamma t)^alpha
            mu_t <- 1 / max(1, t - t0)

    The averaged weights ``ax`` are kept in the state (they are what one evaluates with);
    the parameters themselves follow plain decaying-step SGD.

    State: ``step`` (a Python int), ``eta`` and ``mu`` (Python floats: they scale the update
    on the host, like ``step``; PyTorch keeps them in 0-d tensors) and ``ax``, as in PyTorch.
    A 0-d tensor ``eta``/``mu`` from PyTorch's state dict loads as its value.

    >>> import nanotorch
    >>> from nanotorch.optim import ASGD
    >>> w = nanotorch.tensor([1.0], requires_grad=True)
    >>> opt = ASGD([w], lr=0.5, lambd=0.0)
    >>> (w * w).sum().backward()
    >>> opt.step()
    >>> w.tolist()
    [0.0]
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-2,
        lambd: float = 1e-4,
        alpha: float = 0.75,
        t0: float = 1e6,
        weight_decay: float = 0.0,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = dict(
            lr=lr, lambd=lambd, alpha=alpha, t0=t0, weight_decay=weight_decay, maximize=maximize
        )
        super().__init__(params, defaults)

    def validate_group(self, group: ParamGroup, index: int | None) -> None:
        self._check_lr(group, index)
        self._check_non_negative(group, "weight_decay", index)
        for name, example in (("lambd", "lambd=1e-4"), ("alpha", "alpha=0.75"), ("t0", "t0=1e6")):
            self._check_number(name, group[name], index, example)

    def init_state(self, param: Tensor, group: ParamGroup) -> State:
        return {"step": 0, "eta": float(group["lr"]), "mu": 1.0, "ax": zeros_like(param)}

    def update(self, param: Tensor, grad: Tensor, state: State, group: ParamGroup) -> None:
        lr, lambd, alpha = group["lr"], group["lambd"], group["alpha"]
        state["step"] += 1
        t = state["step"]
        if group["weight_decay"] != 0:
            grad = grad.add(param, alpha=group["weight_decay"])
        eta, mu = state["eta"], state["mu"]
        param.mul_(1 - lambd * eta).add_(grad, alpha=-eta)
        ax = state["ax"]
        if mu != 1:
            ax.add_((param - ax).mul_(mu))
        else:  # the average of one iterate is that iterate, exactly
            ax.copy_(param)
        state["eta"] = lr / (1 + lambd * lr * t) ** alpha
        state["mu"] = 1 / max(1, t - group["t0"])
