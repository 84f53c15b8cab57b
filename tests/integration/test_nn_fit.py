"""Small models learn: an MLP fits XOR and a noisy sine on every device, trained with a
hand-written SGD step (p -= lr * grad under no_grad); and on the stand-in accelerator a full
training loop moves nothing between devices except the loss values the test reads."""

from __future__ import annotations

import math

import numpy as np
import pytest

import nanotorch as nt
import nanotorch.nn.functional as F
from nanotorch import nn


def _sgd_step(model: nn.Module, lr: float) -> None:
    with nt.no_grad():
        for p in model.parameters():
            p.sub_(lr * p.grad)


def _train(model, loss_fn, x, y, steps, lr):
    for _ in range(steps):
        loss = loss_fn(model(x), y)
        model.zero_grad()
        loss.backward()
        _sgd_step(model, lr)
    return loss


def test_mlp_fits_xor(device):
    nt.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 2)).to(device)
    x = nt.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], device=device)
    y = nt.tensor([0, 1, 1, 0], device=device)
    first = F.cross_entropy(model(x), y).item()
    loss = _train(model, F.cross_entropy, x, y, steps=300, lr=0.5)
    assert first > 0.6  # chance level is log 2 = 0.69
    assert loss.item() < 0.05
    assert model(x).argmax(1).tolist() == [0, 1, 1, 0]


def test_mlp_fits_a_noisy_sine(device):
    nt.manual_seed(0)
    rng = np.random.default_rng(0)
    x_np = np.linspace(-math.pi, math.pi, 64).reshape(-1, 1)
    y_np = np.sin(x_np) + 0.05 * rng.standard_normal(x_np.shape)
    x = nt.tensor(x_np, dtype=nt.float32, device=device)
    y = nt.tensor(y_np, dtype=nt.float32, device=device)
    model = nn.Sequential(
        nn.Linear(1, 32, device=device),
        nn.Tanh(),
        nn.Linear(32, 32, device=device),
        nn.Tanh(),
        nn.Linear(32, 1, device=device),
    )
    first = F.mse_loss(model(x), y).item()
    loss = _train(model, nn.MSELoss(), x, y, steps=1500, lr=0.1)
    assert first > 0.3  # sin has variance 0.5
    assert loss.item() < 0.01  # the noise alone is 0.0025


def test_training_loop_on_the_accelerator_moves_only_the_losses_read(device):
    if str(device) != "strict:1":
        pytest.skip("the stand-in accelerator is strict:1")
    nt.manual_seed(0)
    model = nn.Sequential(
        nn.Linear(2, 16),
        nn.BatchNorm1d(16),
        nn.ReLU(),
        nn.Dropout(0.1),
        nn.Linear(16, 16),
        nn.LayerNorm(16),
        nn.GELU(),
        nn.Linear(16, 2),
    ).to(device)
    x = nt.randn(32, 2, device=device)
    y = (x[:, 0] * x[:, 1] > 0).long()
    nt.reset_transfer_stats()
    reads = []
    for step in range(40):
        loss = F.cross_entropy(model(x), y, label_smoothing=0.05)
        model.zero_grad()
        loss.backward()
        _sgd_step(model, 0.1)
        if step % 10 == 9:
            reads.append(loss.item())  # the one sync the loop asks for
    stats = nt.transfer_stats()
    assert stats.count == len(reads) == 4
    assert set(stats.by_direction) == {"strict:1->host"}
    assert reads[-1] < reads[0]
    assert all(str(t.device) == "strict:1" for t in model.state_dict().values())
