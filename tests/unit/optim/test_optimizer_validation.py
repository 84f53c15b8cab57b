"""Every optimizer and scheduler refuses bad hyperparameters with a clear error naming itself,
the argument and the value -- in the constructor and in ``load_state_dict`` alike, which share
one check (Note [One check for constructor and load] in optimizer.py)."""

from __future__ import annotations

import math

import pytest

import nanotorch as nt
from nanotorch.optim import SGD, Adagrad, Adam, AdamW, RMSprop
from nanotorch.optim import lr_scheduler as sched

OPTIMIZERS = [SGD, Adam, AdamW, RMSprop, Adagrad]

# (optimizer, argument, bad value, error class, message pattern)
BAD_HYPERPARAMETERS = [
    (cls, "lr", value, error, match)
    for cls in OPTIMIZERS
    for value, error, match in [
        (-1, ValueError, r"invalid learning rate lr=-1"),
        (math.nan, ValueError, r"invalid learning rate lr=nan"),
        ("fast", TypeError, r"lr must be a Python number, got str 'fast'"),
        (None, TypeError, r"lr must be a Python number, got NoneType None"),
        (True, TypeError, r"lr must be a Python number, got bool True"),
    ]
] + [
    (SGD, "momentum", -0.5, ValueError, r"invalid momentum=-0.5"),
    (SGD, "momentum", "x", TypeError, r"momentum must be a Python number, got str 'x'"),
    (SGD, "dampening", "x", TypeError, r"dampening must be a Python number, got str 'x'"),
    (SGD, "weight_decay", "x", TypeError, r"weight_decay must be a Python number, got str"),
    (SGD, "weight_decay", -1.0, ValueError, r"invalid weight_decay=-1\.0"),
    (SGD, "nesterov", "yes", TypeError, r"nesterov must be a bool, got str 'yes'"),
    (SGD, "maximize", 1, TypeError, r"maximize must be a bool, got int 1"),
    (Adam, "betas", ("a", 0.9), TypeError, r"betas\[0\] must be a Python number, got str 'a'"),
    (Adam, "betas", (0.9, 1.0), ValueError, r"invalid beta parameter at index 1"),
    (Adam, "betas", (0.9,), ValueError, r"invalid betas=\(0\.9,\)"),
    (Adam, "betas", 0.9, ValueError, r"invalid betas=0\.9"),
    (Adam, "eps", -1e-8, ValueError, r"invalid eps=-1e-08"),
    (Adam, "eps", "tiny", TypeError, r"eps must be a Python number, got str 'tiny'"),
    (Adam, "amsgrad", None, TypeError, r"amsgrad must be a bool, got NoneType None"),
    (AdamW, "weight_decay", "x", TypeError, r"weight_decay must be a Python number"),
    (AdamW, "betas", (0.9, math.nan), ValueError, r"betas\[1\]=nan"),
    (RMSprop, "alpha", -0.1, ValueError, r"invalid alpha=-0\.1"),
    (RMSprop, "alpha", "x", TypeError, r"alpha must be a Python number"),
    (RMSprop, "momentum", [0.9], TypeError, r"momentum must be a Python number, got list"),
    (RMSprop, "centered", "no", TypeError, r"centered must be a bool"),
    (Adagrad, "lr_decay", -1, ValueError, r"invalid lr_decay=-1"),
    (Adagrad, "initial_accumulator_value", "0", TypeError, r"initial_accumulator_value must"),
    (Adagrad, "eps", math.inf, ValueError, r"invalid eps=inf"),
]
IDS = [f"{c.__name__}-{a}-{v!r}" for c, a, v, _, _ in BAD_HYPERPARAMETERS]


def _param(device="cpu"):
    return nt.zeros(3, device=device, requires_grad=True)


@pytest.mark.parametrize("cls, arg, value, error, match", BAD_HYPERPARAMETERS, ids=IDS)
def test_optimizer_constructor_refuses_bad_hyperparameters(cls, arg, value, error, match):
    with pytest.raises(error, match=rf"^{cls.__name__}: .*{match}"):
        cls([_param()], **{arg: value})
    with pytest.raises(error, match=match):  # a group's own value is checked the same way
        cls([{"params": [_param()], arg: value}])


@pytest.mark.parametrize("cls, arg, value, error, match", BAD_HYPERPARAMETERS, ids=IDS)
def test_optimizer_load_state_dict_refuses_what_the_constructor_refuses(
    cls, arg, value, error, match
):
    p = _param()
    p.grad = nt.ones(3)
    opt = cls([p], lr=0.1)
    opt.step()
    saved = opt.state_dict()
    saved["param_groups"][0][arg] = value
    before_groups = [dict(g) for g in opt.param_groups]
    before_state = {k: dict(v) for k, v in opt.state.items()}
    with pytest.raises(error, match=rf"^{cls.__name__}: .*{match}.*parameter group 0"):
        opt.load_state_dict(saved)
    # a failed load changes nothing
    assert [dict(g) for g in opt.param_groups] == before_groups
    assert {k: dict(v) for k, v in opt.state.items()} == before_state


@pytest.mark.parametrize("cls", [Adam, AdamW, RMSprop, Adagrad])
@pytest.mark.parametrize(
    "step, error, match",
    [
        (-1, ValueError, r"step must be a non-negative int, got -1"),
        (1.5, TypeError, r"step must be a non-negative int, got float 1\.5"),
        ("3", TypeError, r"step must be a non-negative int, got str '3'"),
        (nt.tensor(-2.0), ValueError, r"step must be a non-negative int, got -2"),
        (nt.tensor(2.5), TypeError, r"step must be a non-negative int, got .*2\.5"),
    ],
)
def test_optimizer_load_state_dict_refuses_a_bad_step_counter(cls, step, error, match):
    p = _param()
    p.grad = nt.ones(3)
    opt = cls([p], lr=0.1)
    opt.step()
    saved = opt.state_dict()
    saved["state"][0]["step"] = step
    with pytest.raises(error, match=rf"^{cls.__name__}: state 'step' of parameter 0: {match}"):
        opt.load_state_dict(saved)
    assert opt.state[p]["step"] == 1
    opt.step()  # still usable


@pytest.mark.parametrize(
    "mutate, error, match",
    [
        (lambda sd: sd["param_groups"][0].update(params=7), TypeError, r"'params' must be a list"),
        (lambda sd: sd["param_groups"][0].update(params=["a"]), TypeError, r"indices.*'a'"),
        (lambda sd: sd["param_groups"][0].pop("params"), ValueError, r"has no 'params'"),
        (lambda sd: sd.update(param_groups=5), TypeError, r"'param_groups' must be a list"),
        (lambda sd: sd["param_groups"].__setitem__(0, 5), TypeError, r"group 0 must be a dict"),
        (lambda sd: sd.update(state=[]), TypeError, r"'state' must be a dict"),
        (lambda sd: sd["state"].__setitem__(0, 7), TypeError, r"state of parameter 0 must be"),
        (
            lambda sd: sd["state"][0].update(exp_avg="x"),
            TypeError,
            r"state 'exp_avg' of parameter 0 must be a Tensor, got str",
        ),
    ],
)
def test_optimizer_load_state_dict_refuses_a_malformed_structure(mutate, error, match):
    p = _param()
    p.grad = nt.ones(3)
    opt = Adam([p], lr=0.1)
    opt.step()
    saved = opt.state_dict()
    mutate(saved)
    with pytest.raises(error, match=rf"^Adam: .*{match}"):
        opt.load_state_dict(saved)
    assert opt.param_groups[0]["lr"] == 0.1 and opt.state[p]["step"] == 1


@pytest.mark.parametrize("cls", OPTIMIZERS)
@pytest.mark.parametrize(
    "params, match",
    [
        (lambda p: {p}, r"should be an iterable of Tensors or dicts, but got set"),
        (lambda p: frozenset([p]), r"should be an iterable of Tensors or dicts, but got frozen"),
        (lambda p: 7, r"should be an iterable of Tensors or dicts, but got int"),
        (lambda p: None, r"should be an iterable of Tensors or dicts, but got NoneType"),
        (lambda p: "weights", r"should be an iterable of Tensors or dicts, but got str"),
    ],
)
def test_optimizer_refuses_params_that_are_not_an_ordered_iterable(cls, params, match):
    with pytest.raises(
        TypeError, match=rf"^{cls.__name__}: params argument given to the optimizer {match}"
    ):
        cls(params(_param()), lr=0.1)


def _opt():
    return SGD([_param()], lr=0.1, momentum=0.9)


# (scheduler factory, error class, message pattern)
BAD_SCHEDULERS = [
    (lambda o: sched.StepLR(o, step_size=0), ValueError, r"StepLR: step_size must be a pos"),
    (lambda o: sched.StepLR(o, step_size=2.5), ValueError, r"StepLR: step_size .* got 2\.5"),
    (lambda o: sched.StepLR(o, 2, gamma="x"), TypeError, r"StepLR: gamma must be a Python num"),
    (lambda o: sched.StepLR(o, 2, gamma=-0.5), ValueError, r"StepLR: gamma must be >= 0"),
    (lambda o: sched.MultiStepLR(o, [2, -1]), ValueError, r"MultiStepLR: milestones must be"),
    (lambda o: sched.MultiStepLR(o, 5), TypeError, r"MultiStepLR: milestones must be a list"),
    (lambda o: sched.MultiStepLR(o, [1], gamma=None), TypeError, r"MultiStepLR: gamma must"),
    (lambda o: sched.ExponentialLR(o, gamma="x"), TypeError, r"ExponentialLR: gamma must be"),
    (lambda o: sched.ExponentialLR(o, gamma=math.nan), ValueError, r"gamma must be >= 0"),
    (lambda o: sched.CosineAnnealingLR(o, T_max=0), ValueError, r"CosineAnnealingLR: T_max"),
    (lambda o: sched.CosineAnnealingLR(o, 5, eta_min="0"), TypeError, r"eta_min must be a"),
    (lambda o: sched.CosineAnnealingLR(o, 5, eta_min=-1), ValueError, r"eta_min must be >= 0"),
    (lambda o: sched.LinearLR(o, start_factor=0), ValueError, r"LinearLR: start_factor"),
    (lambda o: sched.LinearLR(o, start_factor="a"), TypeError, r"LinearLR: start_factor must"),
    (lambda o: sched.LinearLR(o, end_factor=2), ValueError, r"LinearLR: end_factor"),
    (lambda o: sched.LinearLR(o, total_iters=-1), ValueError, r"LinearLR: total_iters"),
    (lambda o: sched.LambdaLR(o, lr_lambda=3), TypeError, r"LambdaLR: lr_lambda must be call"),
    (lambda o: sched.StepLR(o, 2, last_epoch=-2), ValueError, r"StepLR: last_epoch must be"),
    (lambda o: sched.StepLR(o, 2, last_epoch=1.5), TypeError, r"StepLR: last_epoch must be an"),
    (lambda o: sched.StepLR("opt", 2), TypeError, r"StepLR: optimizer must be a nanotorch"),
    (lambda o: sched.OneCycleLR(o, max_lr=1, total_steps=0), ValueError, r"OneCycleLR: total"),
    (lambda o: sched.OneCycleLR(o, max_lr="a", total_steps=5), TypeError, r"OneCycleLR: max"),
    (lambda o: sched.OneCycleLR(o, 1, total_steps=5, pct_start=2), ValueError, r"pct_start"),
    (lambda o: sched.SequentialLR(o, [], milestones=[]), ValueError, r"SequentialLR: needs"),
]


@pytest.mark.parametrize("make, error, match", BAD_SCHEDULERS)
def test_scheduler_constructor_refuses_bad_arguments(make, error, match):
    opt = _opt()
    with pytest.raises(error, match=match):
        make(opt)
    assert opt.param_groups[0]["lr"] == 0.1  # nothing was written into the optimizer
