"""The training loop: history, seeding, early stop, quiet progress, transfers, state, resume."""

from __future__ import annotations

import io

import numpy as np
import pytest

import nanotorch
from nanotorch import nn, optim
from nanotorch.data import DataLoader, TensorDataset, datasets
from nanotorch.nn import functional as F
from nanotorch.train import Criterion, History, evaluate, fit, predict


def _xor_run(device, seed: int = 0, epochs: int = 3, **kwargs):
    nanotorch.manual_seed(seed)
    # Fixed data; ``seed`` drives the initial weights and the shuffle order.
    data = datasets.make_xor(n_samples=96, seed=0)
    test = datasets.make_xor(n_samples=32, seed=100)
    model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 2)).to(device)
    opt = optim.SGD(model.parameters(), lr=0.5)
    gen = nanotorch.Generator().manual_seed(seed)
    train_loader = DataLoader(data, batch_size=16, shuffle=True, generator=gen, device=device)
    test_loader = DataLoader(test, batch_size=32, device=device)
    return fit(
        model, opt, F.cross_entropy, train_loader, test_loader, epochs=epochs, quiet=True, **kwargs
    )


class _TTY(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_fit_history_has_one_entry_per_epoch(device):
    state = _xor_run(device, epochs=3)
    h = state.history
    assert isinstance(h, History) and h.metric == "accuracy"
    assert h.epoch == [1, 2, 3]
    for series in (h.train_loss, h.test_loss, h.test_metric, h.lr):
        assert len(series) == 3 and all(isinstance(v, float) for v in series)
    assert all(0.0 <= a <= 1.0 for a in h.test_metric)
    assert state.epoch == 3 and not state.stopped_early


def test_fit_same_seed_same_history(device):
    a = _xor_run(device, seed=1).history.as_dict()
    b = _xor_run(device, seed=1).history.as_dict()
    c = _xor_run(device, seed=2).history.as_dict()
    assert a == b
    assert a["train_loss"] != c["train_loss"]


def test_fit_learns_xor_on_every_device(device):
    state = _xor_run(device, epochs=40)
    assert state.history.train_loss[-1] < state.history.train_loss[0] / 3
    assert state.history.test_metric[-1] >= 0.9


def test_fit_early_stop_when_criterion_met():
    state = _xor_run("cpu", epochs=10, stop_when=Criterion("accuracy", 0.0))
    assert state.stopped_early and state.epoch == 1 and len(state.history.epoch) == 1


def test_fit_no_early_stop_when_criterion_unmet():
    state = _xor_run("cpu", epochs=2, stop_when=Criterion("accuracy", 1.01))
    assert not state.stopped_early and state.epoch == 2


def test_fit_quiet_prints_nothing_even_on_a_terminal(capsys):
    stream = _TTY()
    _xor_run("cpu", epochs=2, file=stream)  # _xor_run passes quiet=True
    assert stream.getvalue() == ""
    assert capsys.readouterr() == ("", "")


def test_fit_progress_bar_on_a_terminal_only(capsys):
    nanotorch.manual_seed(0)
    data = datasets.make_xor(n_samples=32)
    model = nn.Sequential(nn.Linear(2, 2))
    loader = DataLoader(data, batch_size=8)
    tty, pipe = _TTY(), io.StringIO()
    for stream in (tty, pipe):
        fit(
            model,
            optim.SGD(model.parameters(), lr=0.1),
            F.cross_entropy,
            loader,
            loader,
            epochs=2,
            file=stream,
        )
    assert "epoch 2/2" in tty.getvalue() and "test accuracy" in tty.getvalue()
    assert pipe.getvalue() == ""
    assert capsys.readouterr() == ("", "")


def test_fit_step_moves_nothing_but_the_batch():
    dev = nanotorch.device("strict:1")
    nanotorch.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 2)).to(dev)
    opt = optim.Adam(model.parameters(), lr=0.01)
    train = DataLoader(datasets.make_moons(n_samples=40), batch_size=8, device=dev)  # 5 batches
    test = DataLoader(datasets.make_moons(n_samples=20, seed=1), batch_size=10, device=dev)
    nanotorch.reset_transfer_stats()
    fit(model, opt, F.cross_entropy, train, test, epochs=2, quiet=True)
    moves = nanotorch.transfer_stats().by_direction
    # Per epoch: 5 train + 2 test batches of (inputs, labels) go up...
    assert moves["host->strict:1"]["count"] == 2 * (5 + 2) * 2
    # ...and the host reads one train-loss sum and one evaluation summary per epoch.
    assert moves["strict:1->host"]["count"] == 2 * 2
    assert set(moves) == {"host->strict:1", "strict:1->host"}


def test_evaluate_matches_a_host_computation(device):
    nanotorch.manual_seed(0)
    x, y = datasets.make_blobs(n_samples=50, n_classes=3).arrays
    model = nn.Sequential(nn.Linear(2, 3)).to(device)
    loss, acc = evaluate(
        model,
        DataLoader(TensorDataset(x, y), batch_size=7, device=device),
        F.cross_entropy,
        "accuracy",
    )
    logits = predict(model, x, device=device).astype(np.float64)
    logp = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    assert loss == pytest.approx(-logp[np.arange(50), y].mean(), rel=1e-4)
    assert acc == pytest.approx(float((logits.argmax(axis=1) == y).mean()))


def test_evaluate_r2_matches_the_formula(device):
    x, y = datasets.make_linear(n_samples=30).arrays
    model = nn.Sequential(nn.Linear(1, 1)).to(device)
    loss, r2 = evaluate(
        model, DataLoader(TensorDataset(x, y), batch_size=4, device=device), F.mse_loss, "r2"
    )
    pred = predict(model, x, device=device).astype(np.float64)
    expected = 1 - ((pred - y) ** 2).sum() / ((y - y.mean()) ** 2).sum()
    assert r2 == pytest.approx(expected, rel=1e-4, abs=1e-5)
    assert loss == pytest.approx(((pred - y) ** 2).mean(), rel=1e-4)


def test_fit_calls_callbacks_after_each_epoch_with_the_full_state():
    seen = []

    def callback(state):
        snapshot = state.state_dict()
        seen.append((state.epoch, sorted(snapshot), len(snapshot["history"]["epoch"])))

    _xor_run("cpu", epochs=2, callbacks=[callback])
    keys = ["epoch", "history", "model", "optimizer", "rng", "run", "scheduler"]
    assert seen == [(1, keys, 1), (2, keys, 2)]


def test_fit_steps_the_scheduler_once_per_epoch():
    class CountingScheduler:
        def __init__(self) -> None:
            self.steps = 0

        def step(self) -> None:
            self.steps += 1

        def state_dict(self) -> dict:
            return {"steps": self.steps}

    sched = CountingScheduler()
    state = _xor_run("cpu", epochs=3, scheduler=sched)
    assert sched.steps == 3 and state.state_dict()["scheduler"] == {"steps": 3}


def _clone(obj):
    if isinstance(obj, nanotorch.Tensor):
        return obj.detach().clone()
    if isinstance(obj, dict):
        return {k: _clone(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_clone(v) for v in obj]
    return obj


def test_fit_resumed_from_a_state_dict_repeats_the_uninterrupted_run(device):
    saved = {}

    def keep(state):
        if state.epoch == 2:
            saved.update(_clone(state.state_dict()))

    full = _xor_run(device, seed=3, epochs=4, callbacks=[keep]).history.as_dict()
    nanotorch.manual_seed(12345)  # the resumed run must not depend on the current seed
    resumed = _xor_run(device, seed=99, epochs=4, resume_from=saved).history.as_dict()
    assert resumed == full


def test_fit_unknown_metric_lists_the_choices():
    with pytest.raises(ValueError, match=r"unknown metric 'f1'; choose one of: accuracy, r2"):
        _xor_run("cpu", epochs=1, metric="f1")


def test_r2_is_exact_for_a_large_offset(device):
    # y = 1000 + a small wiggle: float32 sums would lose most of SST's digits.
    y = (1000.0 + np.linspace(-1, 1, 64)).astype(np.float32).reshape(-1, 1)
    pred = (y + np.float32(0.1)).astype(np.float32)

    class Echo(nn.Module):
        def forward(self, inputs):
            return inputs

    loader = DataLoader(TensorDataset(pred, y), batch_size=16, device=device)
    _, r2 = evaluate(Echo(), loader, F.mse_loss, "r2")
    y64, p64 = y.astype(np.float64), pred.astype(np.float64)
    expected = 1 - ((p64 - y64) ** 2).sum() / ((y64 - y64.mean()) ** 2).sum()
    assert r2 == pytest.approx(expected, rel=1e-6)


def test_evaluate_nll_is_the_mean_per_token_cross_entropy(device):
    # Sequences: outputs (N, T, V), targets (N, T); the metric averages over all N * T
    # positions, in nats, and lower is better.
    rng = np.random.default_rng(0)
    x = rng.integers(0, 5, size=(10, 4))
    y = rng.integers(0, 5, size=(10, 4))
    nanotorch.manual_seed(0)
    model = nn.Embedding(5, 5).to(device)

    def loss_fn(out, target):
        return F.cross_entropy(out.reshape(-1, 5), target.reshape(-1))

    loss, nll = evaluate(
        model, DataLoader(TensorDataset(x, y), batch_size=3, device=device), loss_fn, "nll"
    )
    table = model.weight.detach().cpu().numpy().astype(np.float64)
    logp = table - np.log(np.exp(table).sum(axis=1, keepdims=True))
    expected = -logp[x, y].mean()
    assert nll == pytest.approx(expected, rel=1e-5) and loss == pytest.approx(expected, rel=1e-5)
    assert Criterion("nll", 2.0).met(1.9) and not Criterion("nll", 2.0).met(2.1)
    assert str(Criterion("nll", 2.0)) == "nll <= 2"


def test_fit_max_grad_norm_clips_before_each_step():
    # One SGD step with lr 1 moves the weights by exactly the clipped gradient.
    nanotorch.manual_seed(0)
    model = nn.Linear(2, 1)
    before = [p.detach().clone() for p in model.parameters()]
    x = np.array([[100.0, -50.0]], dtype=np.float32)
    y = np.array([[0.0]], dtype=np.float32)
    loader = DataLoader(TensorDataset(x, y), batch_size=1)
    opt = optim.SGD(model.parameters(), lr=1.0)
    fit(
        model, opt, F.mse_loss, loader, loader, epochs=1, metric="r2", quiet=True, max_grad_norm=0.5
    )
    moved = np.concatenate(
        [(b - p.detach()).numpy().ravel() for b, p in zip(before, model.parameters())]
    )
    assert np.linalg.norm(moved) == pytest.approx(0.5, rel=1e-5)
