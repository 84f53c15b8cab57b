"""2-D classification puzzles, each needing a non-linear decision boundary."""

from __future__ import annotations

from nanotorch import nn, optim
from nanotorch.data import datasets
from nanotorch.nn import functional as F
from nanotorch.scenarios._base import Scenario
from nanotorch.scenarios._common import split
from nanotorch.scenarios._registry import register_scenario


class _Toy2D(Scenario):
    metric = "accuracy"
    plot = "boundary"
    hidden = 32
    n_classes = 2
    lr = 0.01

    def loss(self, output, target):
        return F.cross_entropy(output, target)

    def model(self):
        h = self.hidden
        return nn.Sequential(
            nn.Linear(2, h), nn.ReLU(), nn.Linear(h, h), nn.ReLU(), nn.Linear(h, self.n_classes)
        )

    def optimizer(self, params):
        return optim.Adam(params, lr=self.lr)


@register_scenario
class Xor(_Toy2D):
    name = "xor"
    description = "XOR: the four-quadrant problem no linear model can solve"
    epochs = 30
    batch_size = 32
    threshold = 0.95
    hidden = 16

    def data(self, seed):
        return split(datasets.make_xor(n_samples=400, seed=seed), seed)


@register_scenario
class Moons(_Toy2D):
    name = "moons"
    description = "two moons: interleaved half circles with noise"
    epochs = 40
    batch_size = 32
    threshold = 0.97

    def data(self, seed):
        return split(datasets.make_moons(n_samples=500, noise=0.1, seed=seed), seed)


@register_scenario
class Circles(_Toy2D):
    name = "circles"
    description = "circles: one class inside a ring of the other"
    epochs = 40
    batch_size = 32
    threshold = 0.97

    def data(self, seed):
        return split(datasets.make_circles(n_samples=500, noise=0.05, seed=seed), seed)


@register_scenario
class Spirals(_Toy2D):
    name = "spirals"
    description = "spirals: three interleaved arms, a tight boundary to learn"
    epochs = 100
    batch_size = 32
    threshold = 0.95
    hidden = 64
    n_classes = 3

    def data(self, seed):
        return split(datasets.make_spirals(n_samples=600, noise=0.1, seed=seed), seed)
