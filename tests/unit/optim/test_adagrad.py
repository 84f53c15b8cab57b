"""Adagrad (Duchi, Hazan & Singer, 2011) against its update rule, written here in NumPy
float64."""

from __future__ import annotations

import numpy as np
import pytest
from optim_problem import assert_trajectories_close, make_params, reference, train

import nanotorch
from nanotorch.optim import Adagrad
from nanotorch.testing import assert_close


def adagrad_reference(
    lr=1e-2,
    lr_decay=0.0,
    weight_decay=0.0,
    initial_accumulator_value=0.0,
    eps=1e-10,
    maximize=False,
):
    def step(p, g, s, t):
        g = -g if maximize else g
        g = g + weight_decay * p
        clr = lr / (1 + (t - 1) * lr_decay)
        s["sum"] = s.get("sum", initial_accumulator_value) + g * g
        return p - clr * g / (np.sqrt(s["sum"]) + eps)

    return step


ADAGRAD_CASES = {
    "defaults": dict(),
    "lr_decay": dict(lr=0.1, lr_decay=0.05),
    "weight_decay": dict(lr=0.1, weight_decay=0.2),
    "initial_accumulator": dict(lr=0.1, initial_accumulator_value=0.5, eps=1e-6),
    "maximize": dict(lr=0.01, maximize=True, lr_decay=0.01),
}


@pytest.mark.parametrize("case", ADAGRAD_CASES.values(), ids=ADAGRAD_CASES.keys())
def test_adagrad_trajectory_matches_reference(device, case):
    got = train(lambda ps: Adagrad(ps, **case), device)
    assert_trajectories_close(got, reference(adagrad_reference(**case)))


def test_adagrad_accumulator_starts_at_initial_value(device):
    params = make_params(device)
    opt = Adagrad(params, initial_accumulator_value=0.5)
    train(None, device, steps=2, params=params, optimizer=opt)
    states: list[dict] = [{}, {}]
    reference(adagrad_reference(initial_accumulator_value=0.5), steps=2, states=states)
    for p, s in zip(params, states, strict=True):
        assert opt.state[p]["step"] == 2
        assert_close(opt.state[p]["sum"], s["sum"], rtol=1e-12, atol=0)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(lr=-0.01), r"Adagrad: invalid learning rate lr=-0\.01"),
        (dict(lr_decay=-0.1), r"Adagrad: invalid lr_decay=-0\.1"),
        (dict(weight_decay=-0.1), r"Adagrad: invalid weight_decay=-0\.1"),
        (dict(initial_accumulator_value=-1.0), r"Adagrad: invalid initial_accumulator_value=-1"),
        (dict(eps=-1e-10), r"Adagrad: invalid eps=-1e-10"),
    ],
)
def test_adagrad_rejects_bad_hyperparameters(device, kwargs, match):
    p = nanotorch.zeros(2, device=device, requires_grad=True)
    with pytest.raises(ValueError, match=match):
        Adagrad([p], **kwargs)
