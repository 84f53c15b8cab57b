"""Each workload as a PyTorch user writes it: ``torch.nn``, ``F.cross_entropy``, ``optim.SGD``.

Runs in whatever interpreter has PyTorch (``run.py --torch-python``); imports only NumPy
and PyTorch. Weights are copied from the shared arrays, so the losses match the others.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from workloads import ADD_BY, LR, MUL_BY, SPECS, mlp_depth


class _Runner:
    def __init__(self, device: str) -> None:
        self.device = torch.device(device)

    def sync(self) -> None:
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)

    def check_values(self, loss: Any) -> list[float]:
        return [float(loss)]

    def _load(self, param: torch.Tensor, array: np.ndarray) -> None:
        with torch.no_grad():
            param.copy_(torch.from_numpy(array))


class _Trainer(_Runner):
    model: nn.Module

    def _setup(self, data: dict[str, np.ndarray]) -> None:
        self.model.to(self.device)
        self.x = torch.from_numpy(data["x"]).to(self.device)
        self.y = torch.from_numpy(data["y"]).to(self.device)
        self.opt = torch.optim.SGD(self.model.parameters(), lr=LR)

    def step(self) -> Any:
        self.opt.zero_grad()
        loss = F.cross_entropy(self.model(self.x), self.y)
        loss.backward()
        self.opt.step()
        return loss.detach()


class MLP(_Trainer):
    def __init__(self, data: dict[str, np.ndarray], device: str) -> None:
        super().__init__(device)
        layers: list[nn.Module] = []
        depth = mlp_depth(data)
        for i in range(depth):
            out_f, in_f = data[f"w{i}"].shape
            linear = nn.Linear(in_f, out_f)
            self._load(linear.weight, data[f"w{i}"])
            self._load(linear.bias, data[f"b{i}"])
            layers.append(linear)
            if i < depth - 1:
                layers.append(nn.ReLU())
        self.model = nn.Sequential(*layers)
        self._setup(data)


class CNN(_Trainer):
    def __init__(self, data: dict[str, np.ndarray], device: str) -> None:
        super().__init__(device)
        c1, c0 = data["conv1_w"].shape[:2]
        c2 = data["conv2_w"].shape[0]
        classes, flat = data["fc_w"].shape
        conv1, conv2 = nn.Conv2d(c0, c1, 3, padding=1), nn.Conv2d(c1, c2, 3, padding=1)
        fc = nn.Linear(flat, classes)
        for module, key in ((conv1, "conv1"), (conv2, "conv2"), (fc, "fc")):
            self._load(module.weight, data[f"{key}_w"])
            self._load(module.bias, data[f"{key}_b"])
        self.model = nn.Sequential(
            conv1, nn.ReLU(), nn.MaxPool2d(2), conv2, nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), fc,
        )  # fmt: skip
        self._setup(data)


class Chain(_Runner):
    def __init__(self, data: dict[str, np.ndarray], device: str, ops: int) -> None:
        super().__init__(device)
        self.x = torch.from_numpy(data["x"]).to(self.device).requires_grad_()
        self.ops = ops

    def step(self) -> Any:
        self.x.grad = None
        y = self.x
        for i in range(self.ops):
            y = y * MUL_BY if i % 2 == 0 else y + ADD_BY
        out = y.sum()
        out.backward()
        return out.detach()

    def check_values(self, loss: Any) -> list[float]:
        return [float(loss), float(self.x.grad.sum())]


def build(name: str, size: str, data: dict[str, np.ndarray], device: str) -> _Runner:
    spec = SPECS[name]
    if spec.kind == "mlp":
        return MLP(data, device)
    if spec.kind == "chain":
        return Chain(data, device, spec.sizes[size]["ops"])
    return CNN(data, device)


def set_threads(n: int) -> None:
    torch.set_num_threads(n)


def version() -> str:
    return f"torch {torch.__version__}"
