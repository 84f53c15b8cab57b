"""A small CNN (Conv2d -> ReLU -> MaxPool2d -> Flatten -> Linear) learns to tell horizontal
from vertical bars on every device, with a hand-written SGD loop (no optimizer, no loss
module: only the conv/pool layers, autograd and core ops are under test)."""

from __future__ import annotations

import numpy as np

import nanotorch as nt
from nanotorch import nn


def _bars(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """n noisy 8x8 images, each with one bright bar: label 0 horizontal, 1 vertical."""
    labels = rng.integers(0, 2, n)
    images = 0.3 * rng.standard_normal((n, 1, 8, 8))
    where = rng.integers(0, 8, n)
    for i in range(n):
        if labels[i] == 0:
            images[i, 0, where[i], :] += 1.0
        else:
            images[i, 0, :, where[i]] += 1.0
    return images.astype(np.float32), labels.astype(np.int64)


def test_cnn_fits_bars_on_every_device(device):
    rng = np.random.default_rng(0)
    x_train, y_train = _bars(128, rng)
    x_test, y_test = _bars(128, rng)
    gen = nt.Generator(device).manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1, device=device, generator=gen),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(4 * 4 * 4, 2, device=device),
    )
    x = nt.tensor(x_train, device=device)
    target = nt.one_hot(nt.tensor(y_train, device=device), 2).float()

    def loss_fn() -> nt.Tensor:
        return -(nt.log_softmax(model(x), dim=1) * target).sum(dim=1).mean()

    first = loss_fn().item()
    lr = 0.5
    for _ in range(60):
        for p in model.parameters():
            p.grad = None
        loss = loss_fn()
        loss.backward()
        with nt.no_grad():
            for p in model.parameters():
                p.sub_(lr * p.grad)
    last = loss_fn().item()

    with nt.no_grad():
        logits = model(nt.tensor(x_test, device=device))
    predicted = logits.argmax(dim=1).cpu().numpy()
    accuracy = float((predicted == y_test).mean())
    assert last < 0.25 * first, (first, last)
    assert accuracy >= 0.95, accuracy
