"""Adam and AdamW against their published update rules (Kingma & Ba 2015 with bias
correction; Loshchilov & Hutter 2019 for the decoupled decay), written here in NumPy float64."""

from __future__ import annotations

import numpy as np
import pytest
from optim_problem import assert_trajectories_close, make_params, reference, train

import nanotorch
from nanotorch.optim import Adam, AdamW
from nanotorch.testing import assert_close


def adam_reference(
    lr=1e-3,
    betas=(0.9, 0.999),
    eps=1e-8,
    weight_decay=0.0,
    amsgrad=False,
    maximize=False,
    decoupled=False,
):
    b1, b2 = betas

    def step(p, g, s, t):
        g = -g if maximize else g
        if decoupled:
            p = p * (1 - lr * weight_decay)
        elif weight_decay:
            g = g + weight_decay * p
        s["m"] = b1 * s.get("m", 0.0) + (1 - b1) * g
        s["v"] = b2 * s.get("v", 0.0) + (1 - b2) * g * g
        m_hat = s["m"] / (1 - b1**t)
        v = s["v"]
        if amsgrad:
            s["vmax"] = np.maximum(s.get("vmax", 0.0), v)
            v = s["vmax"]
        v_hat = v / (1 - b2**t)
        return p - lr * m_hat / (np.sqrt(v_hat) + eps)

    return step


ADAM_CASES = {
    "defaults": dict(),
    "lr_betas_eps": dict(lr=0.05, betas=(0.8, 0.95), eps=1e-6),
    "weight_decay": dict(lr=0.05, weight_decay=0.1),
    "amsgrad": dict(lr=0.05, betas=(0.5, 0.9), amsgrad=True),
    "maximize": dict(lr=0.01, maximize=True, weight_decay=0.01),
}


@pytest.mark.parametrize("case", ADAM_CASES.values(), ids=ADAM_CASES.keys())
def test_adam_trajectory_matches_reference(device, case):
    got = train(lambda ps: Adam(ps, **case), device)
    assert_trajectories_close(got, reference(adam_reference(**case)))


ADAMW_CASES = {
    "defaults": dict(),
    "strong_decay": dict(lr=0.05, weight_decay=0.5),
    "amsgrad": dict(lr=0.05, betas=(0.5, 0.9), weight_decay=0.1, amsgrad=True),
    "maximize": dict(lr=0.01, maximize=True),
}


@pytest.mark.parametrize("case", ADAMW_CASES.values(), ids=ADAMW_CASES.keys())
def test_adamw_trajectory_matches_reference(device, case):
    got = train(lambda ps: AdamW(ps, **case), device)
    want = reference(adam_reference(**{"weight_decay": 1e-2, **case}, decoupled=True))
    assert_trajectories_close(got, want)


def test_adamw_differs_from_adam_with_l2(device):
    adamw = train(lambda ps: AdamW(ps, lr=0.05, weight_decay=0.5), device, steps=5)
    adam = train(lambda ps: Adam(ps, lr=0.05, weight_decay=0.5), device, steps=5)
    gap = np.abs(adamw[-1][0].cpu().numpy() - adam[-1][0].cpu().numpy()).max()
    assert gap > 1e-3


def test_adam_state_holds_step_count_and_moments(device):
    params = make_params(device)
    opt = Adam(params, lr=0.05, amsgrad=True)
    train(None, device, steps=3, params=params, optimizer=opt)
    states: list[dict] = [{}, {}]
    reference(adam_reference(lr=0.05, amsgrad=True), steps=3, states=states)
    for p, s in zip(params, states, strict=True):
        st = opt.state[p]
        assert st["step"] == 3 and type(st["step"]) is int
        assert_close(st["exp_avg"], s["m"], rtol=1e-10, atol=1e-12)
        assert_close(st["exp_avg_sq"], s["v"], rtol=1e-10, atol=1e-14)
        assert_close(st["max_exp_avg_sq"], s["vmax"], rtol=1e-10, atol=1e-14)


def test_adam_without_amsgrad_keeps_no_max_buffer(device):
    params = make_params(device)
    opt = Adam(params)
    train(None, device, steps=1, params=params, optimizer=opt)
    assert set(opt.state[params[0]]) == {"step", "exp_avg", "exp_avg_sq"}


@pytest.mark.parametrize("cls", [Adam, AdamW])
@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(lr=-1e-3), r"invalid learning rate lr=-0\.001"),
        (dict(eps=-1e-8), r"invalid eps=-1e-08.*eps must be >= 0"),
        (dict(betas=(1.0, 0.999)), r"invalid beta parameter at index 0: betas\[0\]=1\.0.*\[0, 1\)"),
        (dict(betas=(0.9, -0.1)), r"invalid beta parameter at index 1: betas\[1\]=-0\.1"),
        (dict(betas=(0.9,)), r"invalid betas=\(0\.9,\).*pair"),
        (dict(weight_decay=-0.1), r"invalid weight_decay=-0\.1"),
    ],
)
def test_adam_rejects_bad_hyperparameters(device, cls, kwargs, match):
    p = nanotorch.zeros(2, device=device, requires_grad=True)
    with pytest.raises(ValueError, match=f"{cls.__name__}: {match}"):
        cls([p], **kwargs)


def test_adamw_default_weight_decay_is_1e_2(device):
    p = nanotorch.zeros(2, device=device, requires_grad=True)
    assert AdamW([p]).defaults["weight_decay"] == 1e-2
    assert Adam([p]).defaults["weight_decay"] == 0
