"""Regression scenarios: fit a line, then a curve a line cannot fit."""

from __future__ import annotations

from nanotorch import nn, optim
from nanotorch.data import datasets
from nanotorch.nn import functional as F
from nanotorch.optim import lr_scheduler
from nanotorch.scenarios._base import Scenario
from nanotorch.scenarios._common import split
from nanotorch.scenarios._registry import register_scenario


class _Regression(Scenario):
    metric = "r2"
    plot = "regression"

    def loss(self, output, target):
        return F.mse_loss(output, target)


@register_scenario
class Linear(_Regression):
    name = "linear"
    description = "linear regression: one Linear(1, 1) learns y = 2x + 0.5 from noisy points"
    epochs = 20
    batch_size = 16
    threshold = 0.95

    def data(self, seed):
        return split(datasets.make_linear(n_samples=200, seed=seed), seed)

    def model(self):
        return nn.Linear(1, 1)

    def optimizer(self, params):
        return optim.SGD(params, lr=0.1)


@register_scenario
class Sine(_Regression):
    name = "sine"
    description = "sine regression: a tanh MLP bends itself into sin(x) on [-pi, pi]"
    epochs = 60
    batch_size = 32
    threshold = 0.97

    def data(self, seed):
        return split(datasets.make_sine(n_samples=400, seed=seed), seed)

    def model(self):
        return nn.Sequential(
            nn.Linear(1, 32), nn.Tanh(), nn.Linear(32, 32), nn.Tanh(), nn.Linear(32, 1)
        )

    def optimizer(self, params):
        return optim.Adam(params, lr=0.01)

    def scheduler(self, optimizer, epochs, steps_per_epoch):
        # Anneal the step size to 0 over the run: large early steps find the shape, small
        # late ones stop the loss from bouncing around its minimum.
        return lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
