"""LBFGS on every device: the same minimisation gives the same parameters as on the cpu, and
the state it keeps (direction, history, previous gradient) lives on the parameters' device."""

from __future__ import annotations

import numpy as np
import pytest

import nanotorch

TARGET = np.array([[1.0, -2.0], [0.5, 3.0]])


def _minimise(device: str, line_search_fn: str | None) -> tuple[np.ndarray, dict]:
    w = nanotorch.zeros(2, 2, dtype=nanotorch.float64, device=device, requires_grad=True)
    target = nanotorch.tensor(TARGET, device=device)
    opt = nanotorch.optim.LBFGS(
        [w], lr=1.0, max_iter=10, history_size=3, line_search_fn=line_search_fn
    )

    def closure():
        opt.zero_grad()
        loss = ((w - target) ** 4).sum() + ((w - target) ** 2).sum()
        loss.backward()
        return loss

    for _ in range(2):
        opt.step(closure)
    return w.detach().to("cpu").numpy(), opt.state[w]


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_lbfgs_same_result_on_every_device(device, line_search_fn):
    ours, state = _minimise(device, line_search_fn)
    on_cpu, _ = _minimise("cpu", line_search_fn)
    np.testing.assert_allclose(ours, on_cpu, rtol=1e-12, atol=1e-12)
    assert np.abs(ours - TARGET).max() < 1e-2  # it did minimise
    for key in ("d", "prev_flat_grad"):
        assert state[key].device == device
    assert all(y.device == device for y in state["old_dirs"])
