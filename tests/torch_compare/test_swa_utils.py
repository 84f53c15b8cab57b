"""``nanotorch.optim.swa_utils`` against ``torch.optim.swa_utils``: AveragedModel with the
SWA and EMA averages (avg_fn and multi_avg_fn forms, with and without buffers), SWALR's
learning rates in both anneal strategies, and update_bn's recomputed batch-norm statistics."""

from __future__ import annotations

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import nanotorch as nt  # noqa: E402 - after the skip
from nanotorch.optim import swa_utils  # noqa: E402

TS = torch.optim.swa_utils
_rng = np.random.default_rng(8)


def _models() -> tuple[nt.nn.Module, torch.nn.Module]:
    ours = nt.nn.Sequential(nt.nn.Linear(3, 4), nt.nn.BatchNorm1d(4), nt.nn.Linear(4, 2))
    theirs = torch.nn.Sequential(
        torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4), torch.nn.Linear(4, 2)
    ).double()
    ours.to(nt.float64)
    _randomize(ours, theirs)
    return ours, theirs


def _randomize(ours, theirs) -> None:
    """Give both models the same new parameters and buffers (a training step's stand-in)."""
    state = {}
    for k, v in theirs.state_dict().items():
        new = _rng.standard_normal(tuple(v.shape)) if v.is_floating_point() else v.numpy() + 1
        if k.endswith("running_var"):
            new = np.abs(new) + 0.5  # a variance, so eval-mode outputs are numbers
        state[k] = new
    theirs.load_state_dict({k: torch.tensor(v) for k, v in state.items()})
    ours.load_state_dict({k: nt.tensor(np.asarray(v)) for k, v in state.items()})


def _same_state(ours, theirs) -> None:
    mine = ours.state_dict()
    for k, v in theirs.state_dict().items():
        np.testing.assert_allclose(mine[k].numpy(), v.numpy(), rtol=1e-12, err_msg=k)


@pytest.mark.parametrize(
    "kind", ["swa", "ema_avg_fn", "ema_multi", "swa_buffers", "swa_avg_fn_buffers"]
)
def test_swa_utils_averaged_model_matches_torch(kind: str) -> None:
    ours, theirs = _models()
    kwargs_ours: dict = {}
    kwargs_theirs: dict = {}
    if kind == "ema_avg_fn":
        kwargs_ours["avg_fn"] = swa_utils.get_ema_avg_fn(0.8)
        kwargs_theirs["avg_fn"] = TS.get_ema_avg_fn(0.8)
    elif kind == "ema_multi":
        kwargs_ours["multi_avg_fn"] = swa_utils.get_ema_multi_avg_fn(0.7)
        kwargs_theirs["multi_avg_fn"] = TS.get_ema_multi_avg_fn(0.7)
    elif kind == "swa_buffers":
        kwargs_ours = kwargs_theirs = {"use_buffers": True}
    elif kind == "swa_avg_fn_buffers":
        kwargs_ours = {"avg_fn": swa_utils.get_swa_avg_fn(), "use_buffers": True}
        kwargs_theirs = {"avg_fn": TS.get_swa_avg_fn(), "use_buffers": True}
    avg_ours = swa_utils.AveragedModel(ours, **kwargs_ours)
    avg_theirs = TS.AveragedModel(theirs, **kwargs_theirs)
    for _ in range(4):
        avg_ours.update_parameters(ours)
        avg_theirs.update_parameters(theirs)
        _randomize(ours, theirs)
    _same_state(avg_ours, avg_theirs)
    assert avg_ours.n_averaged.item() == 4 and avg_ours.n_averaged.dtype == nt.int64
    x = _rng.standard_normal((5, 3))
    avg_ours.eval()
    avg_theirs.eval()
    np.testing.assert_allclose(
        avg_ours(nt.tensor(x)).detach().numpy(),
        avg_theirs(torch.tensor(x)).detach().numpy(),
        rtol=1e-10,
    )
    # The averaged copy is its own: the source model's later steps do not reach it.
    assert avg_ours.module[0].weight is not ours[0].weight


@pytest.mark.parametrize(
    "strategy, anneal_epochs, swa_lr",
    [("cos", 3, 0.05), ("linear", 3, [0.05, 0.2]), ("cos", 0, 0.05), ("linear", 1, 0.3)],
)
def test_swa_utils_swalr_matches_torch(strategy, anneal_epochs, swa_lr) -> None:
    def groups(lib):
        return [
            {"params": [lib.zeros(1, requires_grad=True)], "lr": 1.0},
            {"params": [lib.zeros(1, requires_grad=True)], "lr": 0.5},
        ]

    opt = nt.optim.SGD(groups(nt), lr=1.0)
    topt = torch.optim.SGD(groups(torch), lr=1.0)
    ours = swa_utils.SWALR(opt, swa_lr, anneal_epochs=anneal_epochs, anneal_strategy=strategy)
    theirs = TS.SWALR(topt, swa_lr, anneal_epochs=anneal_epochs, anneal_strategy=strategy)
    for _ in range(6):
        assert ours.get_last_lr() == pytest.approx(theirs.get_last_lr(), rel=1e-12)
        assert [g["swa_lr"] for g in opt.param_groups] == [g["swa_lr"] for g in topt.param_groups]
        opt.step()
        topt.step()
        ours.step()
        theirs.step()


def test_swa_utils_swalr_bad_arguments() -> None:
    opt = nt.optim.SGD([nt.zeros(1, requires_grad=True)], lr=1.0)
    with pytest.raises(ValueError, match="anneal_strategy must be one of 'cos' or 'linear'.*'x'"):
        swa_utils.SWALR(opt, 0.1, anneal_strategy="x")
    with pytest.raises(ValueError, match="anneal_epochs must be equal or greater than 0.*-1"):
        swa_utils.SWALR(opt, 0.1, anneal_epochs=-1)
    with pytest.raises(ValueError, match="swa_lr must have the same length.*2 values.*1"):
        swa_utils.SWALR(opt, [0.1, 0.2])


def test_swa_utils_update_bn_matches_torch() -> None:
    ours, theirs = _models()
    batches = [_rng.standard_normal((6, 3)) for _ in range(3)]
    ours.eval()
    theirs.eval()
    momentum = ours[1].momentum
    swa_utils.update_bn([(nt.tensor(b), 0) for b in batches], ours)
    TS.update_bn([(torch.tensor(b), 0) for b in batches], theirs)
    _same_state(ours, theirs)
    assert not ours.training and ours[1].momentum == momentum
    # A loader of bare tensors, and a model without batch norm (nothing to do).
    swa_utils.update_bn([nt.tensor(b) for b in batches], ours)
    _same_state(ours, theirs)
    swa_utils.update_bn([nt.tensor(batches[0])], nt.nn.Linear(3, 2))


def test_swa_utils_swa_multi_avg_fn_averages_integer_buffers_too() -> None:
    # PyTorch's own get_swa_multi_avg_fn fails on an int64 buffer (num_batches_tracked) with
    # use_buffers=True; here the integer mean is rounded toward zero, as copy_ casts it.
    ours, _ = _models()
    avg = swa_utils.AveragedModel(
        ours, multi_avg_fn=swa_utils.get_swa_multi_avg_fn(), use_buffers=True
    )
    counts = []
    for k in (2, 5, 9):
        ours[1].num_batches_tracked.fill_(k)
        avg.update_parameters(ours)
        counts.append(avg.module[1].num_batches_tracked.item())
    assert counts == [2, 3, 5]  # 2, 2 + 3 / 2 -> 3, 3 + 6 / 3 = 5


def test_swa_utils_ema_decay_out_of_range() -> None:
    for make in (swa_utils.get_ema_avg_fn, swa_utils.get_ema_multi_avg_fn):
        with pytest.raises(ValueError, match=r"decay value 1.5.*\[0, 1\]"):
            make(1.5)


def test_swa_utils_lr_formula_is_documented_one() -> None:
    # cos annealing from lr 1 to swa_lr 0 over 2 epochs: 1, (1 + cos(pi/2)) / 2, 0.
    opt = nt.optim.SGD([nt.zeros(1, requires_grad=True)], lr=1.0)
    sched = swa_utils.SWALR(opt, 0.0, anneal_epochs=2)
    lrs = []
    for _ in range(3):
        lrs.append(sched.get_last_lr()[0])
        sched.step()
    assert lrs == pytest.approx([1.0, (1 + math.cos(math.pi / 2)) / 2, 0.0], abs=1e-12)
