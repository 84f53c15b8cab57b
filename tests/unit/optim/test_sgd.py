"""SGD against its published update rule, written independently here in NumPy float64."""

from __future__ import annotations

import pytest
from optim_problem import assert_trajectories_close, make_params, reference, train

import nanotorch
from nanotorch.optim import SGD
from nanotorch.testing import assert_close


def sgd_reference(
    lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False, maximize=False
):
    def step(p, g, state, t):
        g = -g if maximize else g
        g = g + weight_decay * p
        if momentum != 0:
            if t == 1:
                buf = g.copy()
            else:
                buf = momentum * state["buf"] + (1 - dampening) * g
            state["buf"] = buf
            g = g + momentum * buf if nesterov else buf
        return p - lr * g

    return step


SGD_CASES = {
    "plain": dict(lr=0.1),
    "weight_decay": dict(lr=0.1, weight_decay=0.05),
    "momentum": dict(lr=0.05, momentum=0.9),
    "momentum_dampening": dict(lr=0.05, momentum=0.9, dampening=0.3),
    "nesterov": dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01),
    "maximize": dict(lr=0.01, momentum=0.5, maximize=True),
}


@pytest.mark.parametrize("case", SGD_CASES.values(), ids=SGD_CASES.keys())
def test_sgd_trajectory_matches_reference(device, case):
    got = train(lambda ps: SGD(ps, **case), device)
    assert_trajectories_close(got, reference(sgd_reference(**case)))


def test_sgd_default_lr_is_pytorch_default(device):
    got = train(lambda ps: SGD(ps), device, steps=3)
    assert_trajectories_close(got, reference(sgd_reference(lr=1e-3), steps=3))


def test_sgd_momentum_state_matches_reference_buffer(device):
    params = make_params(device)
    opt = SGD(params, lr=0.05, momentum=0.9)
    train(None, device, steps=4, params=params, optimizer=opt)
    states: list[dict] = [{}, {}]
    reference(sgd_reference(lr=0.05, momentum=0.9), steps=4, states=states)
    for p, s in zip(params, states):
        assert_close(opt.state[p]["momentum_buffer"], s["buf"], rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(lr=-0.1), r"SGD: invalid learning rate lr=-0\.1.*>= 0"),
        (dict(lr=float("nan")), r"SGD: invalid learning rate lr=nan"),
        (dict(lr=0.1, momentum=-0.5), r"SGD: invalid momentum=-0\.5.*>= 0"),
        (dict(lr=0.1, weight_decay=-1e-4), r"SGD: invalid weight_decay=-0\.0001.*>= 0"),
        (dict(lr=0.1, nesterov=True), r"SGD: nesterov=True needs momentum > 0"),
        (
            dict(lr=0.1, momentum=0.9, dampening=0.1, nesterov=True),
            r"SGD: nesterov=True needs .*dampening=0, got dampening=0\.1",
        ),
    ],
)
def test_sgd_rejects_bad_hyperparameters(device, kwargs, match):
    p = nanotorch.zeros(2, device=device, requires_grad=True)
    with pytest.raises(ValueError, match=match):
        SGD([p], **kwargs)


def test_sgd_plain_keeps_no_state_and_loads_an_empty_momentum_buffer():
    w = nanotorch.tensor([1.0, 2.0], requires_grad=True)
    opt = SGD([w], lr=0.1)
    w.grad = nanotorch.tensor([1.0, 1.0])
    opt.step()
    assert opt.state_dict()["state"] == {}  # as PyTorch: nothing to save
    older = {
        "state": {0: {"momentum_buffer": None}},
        "param_groups": opt.state_dict()["param_groups"],
    }
    opt.load_state_dict(older)  # a state dict that still lists the unused buffer
    opt.step()
    assert w.tolist() == pytest.approx([0.8, 1.8])
