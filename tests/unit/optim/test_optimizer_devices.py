"""Optimizers and devices: a step moves nothing between devices, and state stays where its
parameter lives."""

from __future__ import annotations

import pytest
from builtin_cases import CASES, IDS
from optim_problem import loss, make_data, make_params

import nanotorch


@pytest.mark.parametrize(("cls", "kwargs"), CASES, ids=IDS)
def test_optimizer_step_moves_nothing_between_devices(device, cls, kwargs):
    params = make_params(device, dtype=nanotorch.float32)
    data = make_data(device, dtype=nanotorch.float32)
    opt = cls(params, **kwargs)
    nanotorch.reset_transfer_stats()
    for _ in range(3):  # the first step creates the state, the later ones reuse it
        opt.zero_grad()
        loss(params, data).backward()
        opt.step()
    stats = nanotorch.transfer_stats()
    assert stats.count == 0, stats.by_direction
    for p in params:
        for value in opt.state[p].values():
            if isinstance(value, nanotorch.Tensor):
                assert value.device == p.device and value.dtype is p.dtype
