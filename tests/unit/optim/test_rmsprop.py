"""RMSprop (Hinton's lecture 6e; centered variant from Graves 2013) against its update rule,
written here in NumPy float64."""

from __future__ import annotations

import numpy as np
import pytest
from optim_problem import assert_trajectories_close, make_params, reference, train

import nanotorch
from nanotorch.optim import RMSprop


def rmsprop_reference(
    lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False, maximize=False
):
    def step(p, g, s, t):
        g = -g if maximize else g
        g = g + weight_decay * p
        s["sq"] = alpha * s.get("sq", 0.0) + (1 - alpha) * g * g
        if centered:
            s["avg"] = alpha * s.get("avg", 0.0) + (1 - alpha) * g
            denom = np.sqrt(s["sq"] - s["avg"] ** 2) + eps
        else:
            denom = np.sqrt(s["sq"]) + eps
        if momentum > 0:
            s["buf"] = momentum * s.get("buf", 0.0) + g / denom
            return p - lr * s["buf"]
        return p - lr * g / denom

    return step


RMSPROP_CASES = {
    "defaults": dict(),
    "alpha_eps": dict(lr=0.02, alpha=0.9, eps=1e-4),
    "weight_decay": dict(lr=0.02, weight_decay=0.1),
    "momentum": dict(lr=0.01, momentum=0.8),
    "centered": dict(lr=0.01, centered=True),
    "centered_momentum": dict(lr=0.01, centered=True, momentum=0.5, weight_decay=0.01),
    "maximize": dict(lr=0.001, maximize=True),
}


@pytest.mark.parametrize("case", RMSPROP_CASES.values(), ids=RMSPROP_CASES.keys())
def test_rmsprop_trajectory_matches_reference(device, case):
    got = train(lambda ps: RMSprop(ps, **case), device)
    assert_trajectories_close(got, reference(rmsprop_reference(**case)))


def test_rmsprop_state_keys_follow_options(device):
    params = make_params(device)
    plain = RMSprop(params)
    train(None, device, steps=1, params=params, optimizer=plain)
    assert set(plain.state[params[0]]) == {"step", "square_avg"}
    params = make_params(device)
    full = RMSprop(params, momentum=0.9, centered=True)
    train(None, device, steps=2, params=params, optimizer=full)
    assert set(full.state[params[0]]) == {"step", "square_avg", "momentum_buffer", "grad_avg"}
    assert full.state[params[0]]["step"] == 2


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(lr=-0.01), r"RMSprop: invalid learning rate lr=-0\.01"),
        (dict(alpha=-0.5), r"RMSprop: invalid alpha=-0\.5"),
        (dict(eps=-1.0), r"RMSprop: invalid eps=-1\.0"),
        (dict(momentum=-0.9), r"RMSprop: invalid momentum=-0\.9"),
        (dict(weight_decay=-1.0), r"RMSprop: invalid weight_decay=-1\.0"),
    ],
)
def test_rmsprop_rejects_bad_hyperparameters(device, kwargs, match):
    p = nanotorch.zeros(2, device=device, requires_grad=True)
    with pytest.raises(ValueError, match=match):
        RMSprop([p], **kwargs)
