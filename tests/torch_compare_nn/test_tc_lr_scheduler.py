"""nanotorch's lr schedulers against PyTorch's: the same optimizer (two parameter groups with
different lrs), 30 epochs, and after every step the same ``get_last_lr()``, the same lrs in
the groups (and momenta, for OneCycleLR)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
import torch

import nanotorch as nt

Make = Any
CASES: list[tuple[str, Make]] = [
    ("StepLR", lambda s, o: s.StepLR(o, step_size=4, gamma=0.5)),
    ("MultiStepLR", lambda s, o: s.MultiStepLR(o, milestones=[3, 7, 7, 20], gamma=0.3)),
    ("ExponentialLR", lambda s, o: s.ExponentialLR(o, gamma=0.9)),
    ("CosineAnnealingLR", lambda s, o: s.CosineAnnealingLR(o, T_max=10)),
    ("CosineAnnealingLR-eta_min", lambda s, o: s.CosineAnnealingLR(o, T_max=7, eta_min=0.01)),
    ("LambdaLR", lambda s, o: s.LambdaLR(o, lambda e: 0.95**e)),
    ("LambdaLR-per-group", lambda s, o: s.LambdaLR(o, [lambda e: 1 / (e + 1), lambda e: 0.9**e])),
    ("LinearLR", lambda s, o: s.LinearLR(o)),
    ("LinearLR-args", lambda s, o: s.LinearLR(o, start_factor=0.2, end_factor=0.7, total_iters=12)),
    ("OneCycleLR", lambda s, o: s.OneCycleLR(o, max_lr=1.0, total_steps=31)),
    (
        "OneCycleLR-linear-3phase",
        lambda s, o: s.OneCycleLR(
            o,
            max_lr=[1.0, 0.5],
            epochs=3,
            steps_per_epoch=11,
            anneal_strategy="linear",
            three_phase=True,
            pct_start=0.4,
            div_factor=10,
            final_div_factor=100,
        ),
    ),
    (
        "OneCycleLR-no-momentum",
        lambda s, o: s.OneCycleLR(o, max_lr=0.3, total_steps=40, cycle_momentum=False),
    ),
    (
        "SequentialLR",
        lambda s, o: s.SequentialLR(
            o,
            [s.LinearLR(o, start_factor=0.1, total_iters=5), s.ExponentialLR(o, gamma=0.9)],
            milestones=[5],
        ),
    ),
    (
        "SequentialLR-3",
        lambda s, o: s.SequentialLR(
            o,
            [
                s.ConstantLR(o, factor=0.5, total_iters=3),
                s.StepLR(o, 3, 0.5),
                s.CosineAnnealingLR(o, T_max=8),
            ],
            milestones=[4, 12],
        ),
    ),
    ("ConstantLR", lambda s, o: s.ConstantLR(o)),
    ("ConstantLR-args", lambda s, o: s.ConstantLR(o, factor=0.25, total_iters=7)),
    ("MultiplicativeLR", lambda s, o: s.MultiplicativeLR(o, lambda e: 0.9)),
    ("MultiplicativeLR-varying", lambda s, o: s.MultiplicativeLR(o, lambda e: 1 - 0.01 * e)),
    ("PolynomialLR", lambda s, o: s.PolynomialLR(o)),
    ("PolynomialLR-args", lambda s, o: s.PolynomialLR(o, total_iters=12, power=2.0)),
    ("CyclicLR", lambda s, o: s.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=4)),
    (
        "CyclicLR-triangular2-down",
        lambda s, o: s.CyclicLR(
            o,
            base_lr=[0.01, 0.02],
            max_lr=[0.1, 0.3],
            step_size_up=3,
            step_size_down=5,
            mode="triangular2",
            base_momentum=0.7,
            max_momentum=0.95,
        ),
    ),
    (
        "CyclicLR-exp_range",
        lambda s, o: s.CyclicLR(
            o,
            base_lr=0.01,
            max_lr=0.1,
            step_size_up=2,
            mode="exp_range",
            gamma=0.9,
            cycle_momentum=False,
        ),
    ),
    (
        "CyclicLR-scale_fn",
        lambda s, o: s.CyclicLR(
            o,
            base_lr=0.01,
            max_lr=0.1,
            step_size_up=3,
            scale_fn=lambda x: 1 / (1 + x),
            scale_mode="iterations",
        ),
    ),
    # Chains multiply: each scheduler scales the lr the previous one left (PyTorch's
    # recursive forms); LambdaLR and the other non-chainable schedules overwrite it.
    (
        "ChainedScheduler",
        lambda s, o: s.ChainedScheduler(
            [s.ConstantLR(o, factor=0.1, total_iters=2), s.ExponentialLR(o, gamma=0.9)]
        ),
    ),
    (
        "ChainedScheduler-warmup-step",
        lambda s, o: s.ChainedScheduler(
            [s.LinearLR(o, start_factor=0.2, total_iters=4), s.StepLR(o, 3, 0.5)], optimizer=o
        ),
    ),
    (
        "ChainedScheduler-multistep-poly",
        lambda s, o: s.ChainedScheduler(
            [s.MultiStepLR(o, [5, 9, 9], 0.5), s.PolynomialLR(o, total_iters=20, power=1.5)]
        ),
    ),
    (
        "ChainedScheduler-three",
        lambda s, o: s.ChainedScheduler(
            [
                s.MultiplicativeLR(o, lambda e: 0.97),
                s.ConstantLR(o, factor=0.5, total_iters=4),
                s.ExponentialLR(o, 0.95),
            ]
        ),
    ),
    (
        "ChainedScheduler-cosine",
        lambda s, o: s.ChainedScheduler(
            [s.ConstantLR(o, 0.5, 3), s.CosineAnnealingLR(o, T_max=10, eta_min=0.01)]
        ),
    ),
    (
        "ChainedScheduler-linear-end",
        lambda s, o: s.ChainedScheduler(
            [s.LinearLR(o, 0.5, 0.25, total_iters=6), s.ExponentialLR(o, 0.98)]
        ),
    ),
    (
        "ChainedScheduler-lambda",
        lambda s, o: s.ChainedScheduler(
            [s.ExponentialLR(o, 0.9), s.LambdaLR(o, lambda e: 1 / (e + 1))]
        ),
    ),
    ("ChainedScheduler-one", lambda s, o: s.ChainedScheduler([s.StepLR(o, 2, 0.7)])),
    ("CosineAnnealingWarmRestarts", lambda s, o: s.CosineAnnealingWarmRestarts(o, T_0=5)),
    (
        "CosineAnnealingWarmRestarts-mult",
        lambda s, o: s.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2, eta_min=0.001),
    ),
]


def _optimizer(lib: Any) -> Any:
    params = [lib.zeros(2, requires_grad=True), lib.zeros(3, requires_grad=True)]
    return lib.optim.SGD(
        [{"params": params[:1]}, {"params": params[1:], "lr": 0.3}], lr=0.1, momentum=0.9
    )


def _lrs(opt: Any, key: str = "lr") -> list[float]:
    return [g[key] for g in opt.param_groups]


@pytest.mark.parametrize("make", [c[1] for c in CASES], ids=[c[0] for c in CASES])
def test_scheduler_matches_torch(make):
    n_opt, t_opt = _optimizer(nt), _optimizer(torch)
    n_s, t_s = make(nt.optim.lr_scheduler, n_opt), make(torch.optim.lr_scheduler, t_opt)
    for epoch in range(30):
        np.testing.assert_allclose(
            n_s.get_last_lr(), t_s.get_last_lr(), rtol=1e-12, atol=1e-15, err_msg=f"epoch {epoch}"
        )
        np.testing.assert_allclose(_lrs(n_opt), _lrs(t_opt), rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(
            _lrs(n_opt, "momentum"),
            _lrs(t_opt, "momentum"),
            rtol=1e-12,
            err_msg=f"momentum at epoch {epoch}",
        )
        # ChainedScheduler keeps no epoch of its own (its schedulers do), in both libraries.
        assert getattr(n_s, "last_epoch", None) == getattr(t_s, "last_epoch", None)
        n_opt.step()
        t_opt.step()
        n_s.step()
        t_s.step()


METRICS = [
    1.0,
    0.9,
    0.91,
    0.92,
    0.93,
    0.8,
    0.85,
    0.86,
    0.87,
    0.88,
    0.89,
    0.9,
    0.5,
    0.6,
    0.7,
    0.8,
    0.9,
    1.0,
    1.1,
    0.4,
    0.41,
    0.42,
    0.43,
    0.44,
    0.45,
    0.46,
    0.47,
    0.48,
    0.49,
    0.5,
]


@pytest.mark.parametrize(
    "kw",
    [
        {},
        {"patience": 2, "factor": 0.5},
        {"mode": "max", "patience": 1, "factor": 0.3, "cooldown": 2},
        {"patience": 0, "threshold": 0.05, "threshold_mode": "abs", "min_lr": [0.02, 0.05]},
        {"patience": 1, "threshold_mode": "rel", "threshold": 0.1, "min_lr": 0.01, "eps": 0.05},
        {"mode": "max", "patience": 0, "threshold_mode": "abs", "threshold": 0.0},
    ],
    ids=["default", "patience", "max-cooldown", "abs-min_lr", "rel-eps", "max-abs"],
)
def test_reduce_lr_on_plateau_matches_torch(kw):
    n_opt, t_opt = _optimizer(nt), _optimizer(torch)
    n_s = nt.optim.lr_scheduler.ReduceLROnPlateau(n_opt, **kw)
    t_s = torch.optim.lr_scheduler.ReduceLROnPlateau(t_opt, **kw)
    for epoch, metric in enumerate(METRICS):
        n_s.step(metric)
        t_s.step(metric)
        np.testing.assert_allclose(_lrs(n_opt), _lrs(t_opt), rtol=1e-12, err_msg=str(epoch))
        np.testing.assert_allclose(n_s.get_last_lr(), t_s.get_last_lr(), rtol=1e-12)
        assert n_s.num_bad_epochs == t_s.num_bad_epochs, epoch
    assert math.isclose(n_s.best, t_s.best)


def test_scheduler_state_dict_resumes_like_torch():
    n_opt, t_opt = _optimizer(nt), _optimizer(torch)
    n_s = nt.optim.lr_scheduler.StepLR(n_opt, 3, 0.5)
    t_s = torch.optim.lr_scheduler.StepLR(t_opt, 3, 0.5)
    for _ in range(4):
        n_opt.step()
        t_opt.step()
        n_s.step()
        t_s.step()
    n_sd, t_sd = n_s.state_dict(), t_s.state_dict()
    for key in ("last_epoch", "base_lrs", "_last_lr", "step_size", "gamma"):
        assert n_sd[key] == t_sd[key], key


def test_chained_scheduler_state_dict_resumes_like_torch():
    def make(lib: Any, opt: Any) -> Any:
        s = lib.optim.lr_scheduler
        return s.ChainedScheduler([s.ConstantLR(opt, 0.5, 3), s.ExponentialLR(opt, 0.9)])

    n_opt, t_opt = _optimizer(nt), _optimizer(torch)
    n_s, t_s = make(nt, n_opt), make(torch, t_opt)
    for _ in range(4):
        n_s.step()
        t_s.step()
    n_sd, t_sd = n_s.state_dict(), t_s.state_dict()
    assert sorted(n_sd) == sorted(t_sd)
    for n_sub, t_sub in zip(n_sd["_schedulers"], t_sd["_schedulers"], strict=True):
        assert n_sub["last_epoch"] == t_sub["last_epoch"]
    # Resume: a fresh chain on an optimizer holding the saved lrs continues identically.
    resumed_opt = _optimizer(nt)
    for group, lr in zip(resumed_opt.param_groups, _lrs(n_opt)):
        group["lr"] = lr
    resumed = make(nt, resumed_opt)
    resumed.load_state_dict(n_sd)
    for group, lr in zip(resumed_opt.param_groups, _lrs(n_opt)):
        group["lr"] = lr
    for epoch in range(6):
        resumed.step()
        t_s.step()
        np.testing.assert_allclose(_lrs(resumed_opt), _lrs(t_opt), rtol=1e-12, err_msg=str(epoch))


def test_chained_scheduler_rejects_what_torch_rejects():
    for lib in (torch, nt):
        s, opt, other = lib.optim.lr_scheduler, _optimizer(lib), _optimizer(lib)
        with pytest.raises(ValueError):
            s.ChainedScheduler([])
        with pytest.raises(ValueError, match="ReduceLROnPlateau"):
            s.ChainedScheduler([s.ExponentialLR(opt, 0.9), s.ReduceLROnPlateau(opt)])
        with pytest.raises(ValueError, match="same optimizer"):
            s.ChainedScheduler([s.ExponentialLR(opt, 0.9), s.ExponentialLR(other, 0.9)])
