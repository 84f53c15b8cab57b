"""Fashion-MNIST (28x28 clothing, 60,000 train / 10,000 test): an MLP and a CNN.

The data is not shipped; ``available()`` says where the loader looked and how to get it.
"""

from __future__ import annotations

from nanotorch import nn, optim
from nanotorch.data import fashion_mnist
from nanotorch.nn import functional as F
from nanotorch.optim import lr_scheduler
from nanotorch.scenarios._base import Scenario
from nanotorch.scenarios._registry import register_scenario


class _Fashion(Scenario):
    metric = "accuracy"
    plot = "images"
    slow = True
    classes = fashion_mnist.FashionMNIST.classes

    def available(self):
        return fashion_mnist.available()

    def data(self, seed):
        # The official split: the seed only shuffles, the held-out set is the 10,000 tests.
        return fashion_mnist.FashionMNIST(train=True), fashion_mnist.FashionMNIST(train=False)

    def loss(self, output, target):
        return F.cross_entropy(output, target)

    def scheduler(self, optimizer, epochs, steps_per_epoch):
        # Cosine annealing over the run: the last epochs take small steps and settle.
        return lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)


@register_scenario
class FashionMLP(_Fashion):
    name = "fashion-mlp"
    description = "Fashion-MNIST with an MLP: 784-256-128-10, ReLU"
    epochs = 8
    batch_size = 128
    threshold = 0.87

    def model(self):
        return nn.Sequential(
            nn.Flatten(),
            nn.Linear(784, 256),
            nn.ReLU(),
            nn.Linear(256, 128),
            nn.ReLU(),
            nn.Linear(128, 10),
        )

    def optimizer(self, params):
        return optim.Adam(params, lr=1e-3)


@register_scenario
class FashionCNN(_Fashion):
    name = "fashion-cnn"
    description = "Fashion-MNIST with a CNN: two conv + max-pool blocks and a linear head"
    epochs = 8
    batch_size = 128
    threshold = 0.90

    def model(self):
        return nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Linear(32 * 7 * 7, 128),
            nn.ReLU(),
            nn.Linear(128, 10),
        )

    def optimizer(self, params):
        return optim.Adam(params, lr=2e-3)
