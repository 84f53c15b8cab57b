"""The fixed problem every optimizer test trains on, in nanotorch and in NumPy.

A small least-squares fit with two parameters of different shapes (a 3x2 weight and a bias of
2), so rules that keep per-element state are checked on more than one shape:

    loss(W, b) = sum((X @ W + b - Y) ** 2) / (2 n)
    dloss/dW   = X^T R / n,   dloss/db = sum_rows(R) / n,   where R = X @ W + b - Y

The nanotorch side gets its gradients from autograd; the NumPy side uses the closed form above,
so a trajectory that matches checks the optimizer, not a shared gradient routine.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

import nanotorch
from nanotorch.testing import assert_close

STEPS = 20
_rng = np.random.default_rng(20240611)
N = 8
X = _rng.standard_normal((N, 3))
Y = _rng.standard_normal((N, 2))
W0 = _rng.standard_normal((3, 2))
B0 = _rng.standard_normal(2)


# nanotorch.tensor copies host data, so stepping these parameters leaves W0 and B0 as they
# are (test_optimizer_step_leaves_the_host_array_its_parameter_came_from).
def make_params(device: Any, dtype: Any = nanotorch.float64) -> list[nanotorch.Tensor]:
    """Fresh leaf tensors W, b on ``device`` holding the fixed starting point."""
    return [
        nanotorch.tensor(W0, dtype=dtype, device=device, requires_grad=True),
        nanotorch.tensor(B0, dtype=dtype, device=device, requires_grad=True),
    ]


def make_data(device: Any, dtype: Any = nanotorch.float64) -> tuple[Any, Any]:
    return (
        nanotorch.tensor(X, dtype=dtype, device=device),
        nanotorch.tensor(Y, dtype=dtype, device=device),
    )


def loss(params: list[nanotorch.Tensor], data: tuple[Any, Any]) -> nanotorch.Tensor:
    w, b = params
    x, y = data
    r = x @ w + b - y
    return (r * r).sum() / (2 * N)


def numpy_grads(params: list[np.ndarray]) -> list[np.ndarray]:
    w, b = params
    r = X @ w + b - Y
    return [X.T @ r / N, r.sum(axis=0) / N]


def train(
    make_optimizer: Callable[[list[nanotorch.Tensor]], Any],
    device: Any,
    steps: int = STEPS,
    params: list[nanotorch.Tensor] | None = None,
    optimizer: Any = None,
) -> list[list[nanotorch.Tensor]]:
    """Run ``steps`` optimizer steps; return a snapshot of the parameters after each step."""
    params = make_params(device) if params is None else params
    opt = make_optimizer(params) if optimizer is None else optimizer
    data = make_data(device, params[0].dtype)
    snapshots = []
    for _ in range(steps):
        opt.zero_grad()
        loss(params, data).backward()
        opt.step()
        snapshots.append([p.detach().clone() for p in params])
    return snapshots


def reference(
    step_fn: Callable[[np.ndarray, np.ndarray, dict, int], np.ndarray],
    steps: int = STEPS,
    states: list[dict] | None = None,
) -> list[list[np.ndarray]]:
    """Run a NumPy float64 update rule: ``step_fn(p, g, state, t)`` returns the new p (t from
    1); ``state`` is a dict private to each parameter (pass ``states`` to inspect them)."""
    params = [W0.copy(), B0.copy()]
    states = [{}, {}] if states is None else states
    out = []
    for t in range(1, steps + 1):
        grads = numpy_grads(params)
        params = [step_fn(p, g, s, t) for p, g, s in zip(params, grads, states)]
        out.append([p.copy() for p in params])
    return out


def assert_trajectories_close(
    got: list[list[nanotorch.Tensor]],
    want: list[list[np.ndarray]],
    rtol: float = 1e-10,
    atol: float = 1e-12,
) -> None:
    assert len(got) == len(want)
    for t, (g_params, w_params) in enumerate(zip(got, want), start=1):
        for i, (g, w) in enumerate(zip(g_params, w_params)):
            assert_close(
                g, w, rtol=rtol, atol=atol, msg=lambda m, t=t, i=i: f"step {t}, param {i}: {m}"
            )
