"""Learning-rate schedulers: each lr sequence against its closed-form formula written here,
momentum cycling in OneCycleLR, state_dict round trips and argument errors."""

from __future__ import annotations

import math

import pytest
from optim_problem import assert_trajectories_close, make_params, reference, train

from nanotorch.optim import SGD, Adagrad, Adam
from nanotorch.optim.lr_scheduler import (
    CosineAnnealingLR,
    ExponentialLR,
    LambdaLR,
    LinearLR,
    LRScheduler,
    MultiStepLR,
    OneCycleLR,
    SequentialLR,
    StepLR,
)

BASE = (0.1, 0.02)  # two groups, so every formula is checked per group
EPOCHS = 25


def make_optimizer(device, cls=SGD, **kwargs):
    w, b = make_params(device)
    return cls([{"params": [w]}, {"params": [b], "lr": BASE[1]}], lr=BASE[0], **kwargs)


def lr_sequence(scheduler, epochs=EPOCHS):
    """The lr of every group at epochs 0..epochs (epoch 0: right after construction)."""
    seq = [scheduler.get_last_lr()]
    for _ in range(epochs):
        scheduler.optimizer.step()
        scheduler.step()
        seq.append(scheduler.get_last_lr())
    return seq


def assert_sequence(got, formula, epochs=EPOCHS):
    want = [[formula(base, e) for base in BASE] for e in range(epochs + 1)]
    assert len(got) == len(want)
    for e, (g, w) in enumerate(zip(got, want, strict=True)):
        assert g == pytest.approx(w, rel=1e-12, abs=1e-15), f"epoch {e}"


# --------------------------------------------------------------------------- formulas
def test_step_lr_sequence(device):
    opt = make_optimizer(device)
    got = lr_sequence(StepLR(opt, step_size=3, gamma=0.5))
    assert_sequence(got, lambda base, e: base * 0.5 ** (e // 3))


def test_step_lr_default_gamma_is_0_1(device):
    got = lr_sequence(StepLR(make_optimizer(device), step_size=2), epochs=5)
    assert_sequence(got, lambda base, e: base * 0.1 ** (e // 2), epochs=5)


def test_multistep_lr_sequence_counts_repeated_milestones(device):
    opt = make_optimizer(device)
    got = lr_sequence(MultiStepLR(opt, milestones=[12, 4, 12], gamma=0.5))
    assert_sequence(got, lambda base, e: base * 0.5 ** sum(m <= e for m in (4, 12, 12)))


def test_exponential_lr_sequence(device):
    got = lr_sequence(ExponentialLR(make_optimizer(device), gamma=0.9))
    assert_sequence(got, lambda base, e: base * 0.9**e)


def test_cosine_annealing_lr_sequence(device):
    got = lr_sequence(CosineAnnealingLR(make_optimizer(device), T_max=10, eta_min=0.005))
    assert_sequence(
        got, lambda base, e: 0.005 + (base - 0.005) * (1 + math.cos(math.pi * e / 10)) / 2
    )


def test_cosine_annealing_lr_default_eta_min_is_zero(device):
    got = lr_sequence(CosineAnnealingLR(make_optimizer(device), T_max=8), epochs=8)
    assert_sequence(got, lambda base, e: base * (1 + math.cos(math.pi * e / 8)) / 2, epochs=8)
    assert got[-1] == pytest.approx([0.0, 0.0], abs=1e-18)


def test_linear_lr_defaults(device):
    got = lr_sequence(LinearLR(make_optimizer(device)))
    assert_sequence(got, lambda base, e: base * (1 / 3 + (1 - 1 / 3) * min(e, 5) / 5))


def test_linear_lr_sequence(device):
    got = lr_sequence(LinearLR(make_optimizer(device), 1.0, 0.2, total_iters=8))
    assert_sequence(got, lambda base, e: base * (1.0 - 0.8 * min(e, 8) / 8))


def test_lambda_lr_one_function_for_all_groups(device):
    got = lr_sequence(LambdaLR(make_optimizer(device), lambda e: 1 / (1 + e)))
    assert_sequence(got, lambda base, e: base / (1 + e))


def test_lambda_lr_one_function_per_group(device):
    sched = LambdaLR(make_optimizer(device), [lambda e: 0.9**e, lambda e: e + 1])
    got = lr_sequence(sched, epochs=6)
    for e, lrs in enumerate(got):
        assert lrs == pytest.approx([BASE[0] * 0.9**e, BASE[1] * (e + 1)], rel=1e-12)


def test_sequential_lr_linear_warmup_then_cosine(device):
    opt = make_optimizer(device)
    warmup = LinearLR(opt, start_factor=0.1, total_iters=4)
    cosine = CosineAnnealingLR(opt, T_max=12, eta_min=0.001)
    got = lr_sequence(SequentialLR(opt, [warmup, cosine], milestones=[4]))

    def formula(base, e):
        if e < 4:
            return base * (0.1 + 0.9 * e / 4)
        return 0.001 + (base - 0.001) * (1 + math.cos(math.pi * (e - 4) / 12)) / 2

    assert_sequence(got, formula)


def test_sequential_lr_three_phases(device):
    opt = make_optimizer(device)
    parts = [LinearLR(opt, 0.5, total_iters=2), StepLR(opt, 2, 0.5), ExponentialLR(opt, 0.9)]
    got = lr_sequence(SequentialLR(opt, parts, milestones=[3, 7]), epochs=12)

    def formula(base, e):
        if e < 3:
            return base * (0.5 + 0.5 * min(e, 2) / 2)
        if e < 7:
            return base * 0.5 ** ((e - 3) // 2)
        return base * 0.9 ** (e - 7)

    assert_sequence(got, formula, epochs=12)


# --------------------------------------------------------------------------- OneCycleLR
def interp(start, end, frac, strategy):
    if strategy == "cos":
        return end + (start - end) * (1 + math.cos(math.pi * frac)) / 2
    return start + (end - start) * frac


def one_cycle(
    step,
    total,
    max_lr,
    strategy="cos",
    three_phase=False,
    pct_start=0.3,
    div_factor=25.0,
    final_div_factor=1e4,
    lo=0.85,
    hi=0.95,
):
    """(lr, momentum) at ``step``, from the 1cycle policy (Smith & Topin, 2018)."""
    start_lr = max_lr / div_factor
    floor_lr = start_lr / final_div_factor
    up = pct_start * total - 1
    if not three_phase:
        if step <= up:
            f = step / up
            return interp(start_lr, max_lr, f, strategy), interp(hi, lo, f, strategy)
        f = (step - up) / (total - 1 - up)
        return interp(max_lr, floor_lr, f, strategy), interp(lo, hi, f, strategy)
    down = 2 * pct_start * total - 2
    if step <= up:
        f = step / up
        return interp(start_lr, max_lr, f, strategy), interp(hi, lo, f, strategy)
    if step <= down:
        f = (step - up) / (down - up)
        return interp(max_lr, start_lr, f, strategy), interp(lo, hi, f, strategy)
    f = (step - down) / (total - 1 - down)
    return interp(start_lr, floor_lr, f, strategy), hi


ONE_CYCLE_CASES = {
    "cos": dict(),
    "linear": dict(anneal_strategy="linear"),
    "three_phase": dict(three_phase=True),
    "three_phase_linear": dict(three_phase=True, anneal_strategy="linear", pct_start=0.25),
    "factors": dict(div_factor=10.0, final_div_factor=100.0, pct_start=0.4),
}


@pytest.mark.parametrize("case", ONE_CYCLE_CASES.values(), ids=ONE_CYCLE_CASES.keys())
def test_one_cycle_lr_and_momentum_follow_the_policy(device, case):
    total = 30
    opt = make_optimizer(device, momentum=0.9)
    sched = OneCycleLR(opt, max_lr=[1.0, 0.4], total_steps=total, **case)
    strategy = case.get("anneal_strategy", "cos")
    kw = {k: v for k, v in case.items() if k != "anneal_strategy"}
    for step in range(total + 1):
        for g, max_lr in zip(opt.param_groups, (1.0, 0.4), strict=True):
            lr, momentum = one_cycle(step, total, max_lr, strategy, **kw)
            assert g["lr"] == pytest.approx(lr, rel=1e-12), f"step {step}"
            assert g["momentum"] == pytest.approx(momentum, rel=1e-12), f"step {step}"
        assert sched.get_last_lr() == [g["lr"] for g in opt.param_groups]
        if step < total:
            opt.step()
            sched.step()


def test_one_cycle_lr_cycles_adam_beta1_and_keeps_beta2(device):
    opt = make_optimizer(device, cls=Adam, betas=(0.9, 0.99))
    sched = OneCycleLR(
        opt, max_lr=0.5, epochs=4, steps_per_epoch=5, base_momentum=0.8, max_momentum=0.9
    )
    for step in range(20):
        lr, beta1 = one_cycle(step, 20, 0.5, lo=0.8, hi=0.9)
        for g in opt.param_groups:
            assert g["lr"] == pytest.approx(lr, rel=1e-12)
            assert g["betas"][0] == pytest.approx(beta1, rel=1e-12)
            assert g["betas"][1] == 0.99
        opt.step()
        sched.step()


def test_one_cycle_lr_without_momentum_cycling_leaves_momentum_alone(device):
    opt = make_optimizer(device, cls=Adagrad)
    sched = OneCycleLR(opt, max_lr=0.5, total_steps=10, cycle_momentum=False)
    lr_sequence(sched, epochs=10)
    assert "momentum" not in opt.param_groups[0] and "betas" not in opt.param_groups[0]


def test_one_cycle_lr_refuses_to_step_past_total_steps(device):
    opt = make_optimizer(device)
    sched = OneCycleLR(opt, max_lr=0.5, total_steps=10)
    for _ in range(10):
        sched.step()
    with pytest.raises(ValueError, match=r"OneCycleLR: tried to step 11 times .*total_steps=10"):
        sched.step()


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        (dict(), ValueError, r"OneCycleLR: give total_steps, or both epochs and steps_per_epoch"),
        (dict(total_steps=0), ValueError, r"OneCycleLR: total_steps must be a positive int, got 0"),
        (
            dict(epochs=2, steps_per_epoch=-1),
            ValueError,
            r"OneCycleLR: steps_per_epoch must be a positive int, got -1",
        ),
        (
            dict(total_steps=10, pct_start=1.5),
            ValueError,
            r"OneCycleLR: pct_start must be in \[0, 1\], got 1\.5",
        ),
        (
            dict(total_steps=10, anneal_strategy="step"),
            ValueError,
            r"OneCycleLR: anneal_strategy must be 'cos' or 'linear', got 'step'",
        ),
        (
            dict(total_steps=10, max_lr=[0.1]),
            ValueError,
            r"OneCycleLR: max_lr has 1 value\(s\) but the optimizer has 2 parameter groups",
        ),
        (
            dict(total_steps=10, pct_start=0.1),
            ValueError,
            r"OneCycleLR: phase 1 would have no steps .*total_steps=10.*pct_start=0\.1",
        ),
    ],
)
def test_one_cycle_lr_rejects_bad_arguments(device, kwargs, error, match):
    kwargs = {"max_lr": 0.5, **kwargs}
    with pytest.raises(error, match=match):
        OneCycleLR(make_optimizer(device), **kwargs)


def test_one_cycle_lr_momentum_cycling_needs_momentum_or_betas(device):
    with pytest.raises(
        ValueError,
        match=r"OneCycleLR: cycle_momentum=True but Adagrad has "
        r"neither 'momentum' nor 'betas'.*cycle_momentum=False",
    ):
        OneCycleLR(make_optimizer(device, cls=Adagrad), max_lr=0.5, total_steps=10)


# --------------------------------------------------------------------------- the base
def test_scheduler_sets_initial_lr_and_base_lrs(device):
    opt = make_optimizer(device)
    sched = ExponentialLR(opt, gamma=0.5)
    assert sched.base_lrs == list(BASE)
    assert [g["initial_lr"] for g in opt.param_groups] == list(BASE)
    assert sched.last_epoch == 0
    sched.step()
    sched.step()
    assert sched.last_epoch == 2
    assert [g["lr"] for g in opt.param_groups] == sched.get_last_lr()


def test_scheduler_drives_the_optimizer_lr(device):
    params = make_params(device)
    opt = SGD(params, lr=0.2)
    sched = StepLR(opt, step_size=2, gamma=0.5)
    got = []
    for _ in range(6):
        got += train(None, device, steps=1, params=params, optimizer=opt)
        sched.step()
    lrs = [0.2 * 0.5 ** (t // 2) for t in range(6)]
    want = reference(lambda p, g, s, t: p - lrs[t - 1] * g, steps=6)
    assert_trajectories_close(got, want)


def test_scheduler_resuming_needs_initial_lr(device):
    with pytest.raises(
        KeyError,
        match=r"StepLR: param_groups\[0\] has no 'initial_lr'.*"
        r"last_epoch=4",
    ):
        StepLR(make_optimizer(device), step_size=2, last_epoch=4)


def test_scheduler_resuming_from_last_epoch_continues_the_formula(device):
    opt = make_optimizer(device)
    for g in opt.param_groups:
        g["initial_lr"] = g["lr"]
    sched = StepLR(opt, step_size=2, gamma=0.5, last_epoch=4)
    assert sched.last_epoch == 5
    assert sched.get_last_lr() == pytest.approx([b * 0.25 for b in BASE])


def test_scheduler_rejects_a_non_optimizer():
    with pytest.raises(
        TypeError,
        match=r"StepLR: optimizer must be a nanotorch\.optim\.Optimizer"
        r", got list",
    ):
        StepLR([], step_size=2)


def test_scheduler_custom_rule_is_one_get_lr_method(device):
    class HalvingLR(LRScheduler):
        def get_lr(self):
            return [base / 2**self.last_epoch for base in self.base_lrs]

    got = lr_sequence(HalvingLR(make_optimizer(device)), epochs=4)
    assert_sequence(got, lambda base, e: base / 2**e, epochs=4)


def test_scheduler_base_without_get_lr_names_the_missing_method(device):
    with pytest.raises(NotImplementedError, match=r"LRScheduler must implement get_lr\(\)"):
        LRScheduler(make_optimizer(device))


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda o: StepLR(o, step_size=0), r"StepLR: step_size must be a positive int, got 0"),
        (
            lambda o: CosineAnnealingLR(o, T_max=0),
            r"CosineAnnealingLR: T_max must be a "
            r"positive int, got 0",
        ),
        (
            lambda o: LinearLR(o, start_factor=0),
            r"LinearLR: start_factor must be in \(0, 1\], "
            r"got 0",
        ),
        (
            lambda o: LinearLR(o, end_factor=1.5),
            r"LinearLR: end_factor must be in \[0, 1\], "
            r"got 1\.5",
        ),
        (lambda o: LinearLR(o, total_iters=0), r"LinearLR: total_iters must be a positive int"),
        (
            lambda o: LambdaLR(o, [lambda e: 1.0]),
            r"LambdaLR: got 1 lr_lambda\(s\) for 2 "
            r"parameter groups",
        ),
        (
            lambda o: MultiStepLR(o, milestones=[2, -1]),
            r"MultiStepLR: milestones must be "
            r"non-negative ints, got \[2, -1\]",
        ),
    ],
)
def test_scheduler_rejects_bad_arguments(device, make, match):
    with pytest.raises(ValueError, match=match):
        make(make_optimizer(device))


def test_sequential_lr_restarts_a_phase_at_its_own_epoch_zero(device):
    opt = make_optimizer(device)
    halve = StepLR(opt, step_size=1, gamma=0.5)
    parts = [halve, ExponentialLR(opt, 0.9), halve]  # the same scheduler runs twice
    got = lr_sequence(SequentialLR(opt, parts, milestones=[2, 4]), epochs=7)

    def formula(base, e):
        if e < 2:
            return base * 0.5**e
        if e < 4:
            return base * 0.9 ** (e - 2)
        return base * 0.5 ** (e - 4)

    assert_sequence(got, formula, epochs=7)


def test_sequential_lr_rejects_mismatched_milestones_and_optimizers(device):
    opt = make_optimizer(device)
    a, b = StepLR(opt, 2), ExponentialLR(opt, 0.9)
    with pytest.raises(
        ValueError,
        match=r"SequentialLR: 2 schedulers need 1 milestone\(s\), "
        r"got 2",
    ):
        SequentialLR(opt, [a, b], milestones=[3, 5])
    other = StepLR(make_optimizer(device), 2)
    with pytest.raises(ValueError, match=r"SequentialLR: scheduler 1 .*another optimizer"):
        SequentialLR(opt, [a, other], milestones=[3])


# --------------------------------------------------------------------------- state_dict
SCHEDULERS = {
    "StepLR": lambda o: StepLR(o, step_size=3, gamma=0.5),
    "MultiStepLR": lambda o: MultiStepLR(o, [2, 6], gamma=0.3),
    "ExponentialLR": lambda o: ExponentialLR(o, 0.9),
    "CosineAnnealingLR": lambda o: CosineAnnealingLR(o, T_max=7, eta_min=0.001),
    "LinearLR": lambda o: LinearLR(o, 0.2, total_iters=6),
    "LambdaLR": lambda o: LambdaLR(o, lambda e: 0.8**e),
    "OneCycleLR": lambda o: OneCycleLR(o, max_lr=0.3, total_steps=EPOCHS),
    "SequentialLR": lambda o: SequentialLR(
        o, [LinearLR(o, 0.1, total_iters=3), CosineAnnealingLR(o, T_max=9)], milestones=[3]
    ),
}


@pytest.mark.parametrize("make", SCHEDULERS.values(), ids=SCHEDULERS.keys())
def test_scheduler_state_dict_round_trip(device, make):
    full = lr_sequence(make(make_optimizer(device, momentum=0.9)))

    opt = make_optimizer(device, momentum=0.9)
    first = make(opt)
    lr_sequence(first, epochs=9)
    saved_sched, saved_opt = first.state_dict(), opt.state_dict()
    assert "optimizer" not in saved_sched

    opt2 = make_optimizer(device, momentum=0.9)
    second = make(opt2)
    opt2.load_state_dict(saved_opt)
    second.load_state_dict(saved_sched)
    assert second.last_epoch == 9
    resumed = lr_sequence(second, epochs=EPOCHS - 9)
    assert len(resumed) == len(full[9:])
    for e, (got, want) in enumerate(zip(resumed, full[9:], strict=True), start=9):
        assert got == pytest.approx(want, rel=1e-12), f"epoch {e}"


CHAINABLE = {
    "StepLR": lambda s, o: s.StepLR(o, 3, 0.5),
    "MultiStepLR": lambda s, o: s.MultiStepLR(o, [2, 5, 5, 9], 0.3),
    "ExponentialLR": lambda s, o: s.ExponentialLR(o, 0.9),
    "ConstantLR": lambda s, o: s.ConstantLR(o, 0.25, 4),
    "LinearLR": lambda s, o: s.LinearLR(o, 0.2, 0.9, 7),
    "PolynomialLR": lambda s, o: s.PolynomialLR(o, 8, 2.0),
    "MultiplicativeLR": lambda s, o: s.MultiplicativeLR(o, lambda e: 1 - 0.02 * e),
    "CosineAnnealingLR": lambda s, o: s.CosineAnnealingLR(o, 4, eta_min=0.001),
}


@pytest.mark.parametrize("make", CHAINABLE.values(), ids=CHAINABLE.keys())
def test_chained_form_alone_reproduces_the_closed_form(make):
    """The chained form (Note [Closed-form schedules]) is the closed form's step from t - 1
    to t: a chain of one scheduler gives the scheduler's own sequence, and stepping the
    scheduler alone is untouched by having one."""
    from nanotorch.optim import lr_scheduler as s

    alone_opt, chained_opt = make_optimizer("cpu"), make_optimizer("cpu")
    alone = make(s, alone_opt)
    chain = s.ChainedScheduler([make(s, chained_opt)])
    assert make(s, make_optimizer("cpu")).chainable
    for epoch in range(EPOCHS):
        for a, b in zip(alone.get_last_lr(), chain.get_last_lr(), strict=True):
            assert math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-15), (epoch, a, b)
        alone.step()
        chain.step()


def test_chained_scheduler_multiplies_factors():
    from nanotorch.optim import lr_scheduler as s

    opt = make_optimizer("cpu")
    chain = s.ChainedScheduler([s.ConstantLR(opt, 0.5, 3), s.StepLR(opt, 2, 0.1)])
    for epoch in range(8):
        factor = (0.5 if epoch < 3 else 1.0) * 0.1 ** (epoch // 2)
        for base, lr in zip(BASE, chain.get_last_lr(), strict=True):
            assert math.isclose(lr, base * factor, rel_tol=1e-12), epoch
        chain.step()
