"""UCI handwritten digits (8x8, shipped with nanotorch): an MLP and a small CNN."""

from __future__ import annotations

from nanotorch import nn, optim
from nanotorch.data import datasets
from nanotorch.nn import functional as F
from nanotorch.scenarios._base import Scenario
from nanotorch.scenarios._common import split
from nanotorch.scenarios._registry import register_scenario


class _Digits(Scenario):
    metric = "accuracy"
    plot = "images"
    classes = tuple(str(d) for d in range(10))

    def data(self, seed):
        return split(datasets.load_digits(), seed)

    def loss(self, output, target):
        return F.cross_entropy(output, target)


@register_scenario
class DigitsMLP(_Digits):
    name = "digits-mlp"
    description = "digits with an MLP: 8x8 handwritten digits, 80/20 held-out split"
    epochs = 30
    batch_size = 32
    threshold = 0.97

    def model(self):
        return nn.Sequential(nn.Flatten(), nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))

    def optimizer(self, params):
        return optim.Adam(params, lr=1e-3)


@register_scenario
class DigitsCNN(_Digits):
    name = "digits-cnn"
    description = "digits with a small CNN: two 3x3 convolutions, max-pooling, a linear head"
    epochs = 20
    batch_size = 32
    threshold = 0.98

    def model(self):
        return nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1),
            nn.ReLU(),
            nn.Conv2d(16, 32, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Linear(32 * 4 * 4, 10),
        )

    def optimizer(self, params):
        return optim.Adam(params, lr=2e-3)
