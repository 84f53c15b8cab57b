"""``Rprop``: resilient backpropagation, steps from gradient signs only (Riedmiller & Braun,
1993).

One learning rule, one file: the Optimizer base (optimizer.py) does the rest.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from nanotorch.creation import full_like, zeros_like
from nanotorch.ops import where
from nanotorch.optim.optimizer import Optimizer, ParamGroup, State
from nanotorch.tensor import Tensor


class Rprop(Optimizer):
    r"""Rprop: each weight has its own step size, grown by eta+ while its gradient keeps its
    sign and shrunk by eta- when the sign flips (and that step is skipped).

    .. code-block:: text

        input: lr (initial step), etas (eta-, eta+), step_sizes (min, max), maximize
        init:  s_0 <- lr, g_prev <- 0
        for t = 1, 2, ...:
            g_t <- grad (negated if maximize)
            f <- eta+ where g_t g_prev > 0, eta- where < 0, 1 where = 0
            s_t <- clamp(s_{t-1} f, min, max)
            g_t <- 0 where f = eta-          (no step, and no sign memory, after a flip)
            p_t <- p_{t-1} - sign(g_t) s_t;  g_prev <- g_t

    State: ``step`` (a Python int), ``prev`` and ``step_size``, as in PyTorch.
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-2,
        etas: tuple[float, float] = (0.5, 1.2),
        step_sizes: tuple[float, float] = (1e-6, 50.0),
        *,
        maximize: bool = False,
    ) -> None:
        defaults = dict(lr=lr, etas=etas, step_sizes=step_sizes, maximize=maximize)
        super().__init__(params, defaults)

    def validate_group(self, group: ParamGroup, index: int | None) -> None:
        self._check_lr(group, index)
        etas, sizes = group["etas"], group["step_sizes"]
        if not (isinstance(etas, (tuple, list)) and len(etas) == 2 and 0 < etas[0] < 1 < etas[1]):
            self._fail(
                f"etas must be (eta-, eta+) with 0 < eta- < 1 < eta+, got {etas!r}",
                "pass e.g. etas=(0.5, 1.2)",
                index,
            )
        if not (isinstance(sizes, (tuple, list)) and len(sizes) == 2 and 0 <= sizes[0] <= sizes[1]):
            self._fail(
                f"step_sizes must be (min, max) with 0 <= min <= max, got {sizes!r}",
                "pass e.g. step_sizes=(1e-6, 50)",
                index,
            )

    def init_state(self, param: Tensor, group: ParamGroup) -> State:
        return {
            "step": 0,
            "prev": zeros_like(param),
            "step_size": full_like(param, group["lr"]),
        }

    def update(self, param: Tensor, grad: Tensor, state: State, group: ParamGroup) -> None:
        eta_minus, eta_plus = group["etas"]
        low, high = group["step_sizes"]
        state["step"] += 1
        prev, step_size = state["prev"], state["step_size"]
        agreement = grad * prev
        # The innermost branch is a tensor, so the factors keep the parameter's dtype (two
        # Python numbers alone would give the default float dtype).
        unchanged = full_like(grad, 1.0)
        factor = where(agreement > 0, eta_plus, where(agreement < 0, eta_minus, unchanged))
        step_size.mul_(factor).clamp_(low, high)
        grad = where(agreement < 0, 0.0, grad)
        param.addcmul_(grad.sign(), step_size, value=-1)
        prev.copy_(grad)
