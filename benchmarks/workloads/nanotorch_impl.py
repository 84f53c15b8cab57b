"""Each workload as a nanotorch user writes it: ``nn`` layers, ``nn.functional.cross_entropy``
and ``optim.SGD``, exactly the code the tutorials show, so the benchmark measures what users
run. Weights are copied from the shared arrays, so the losses match the floor's. W5 is the
``shakespeare-gpt`` scenario's model and step (``models.gpt.GPT``, AdamW, clipping).
"""

from __future__ import annotations

import contextlib
from typing import Any

import numpy as np

import nanotorch as nt
from workloads import (
    ADD_BY,
    GPT_BETAS,
    GPT_LR,
    GPT_MAX_GRAD_NORM,
    GPT_WEIGHT_DECAY,
    LR,
    MUL_BY,
    SPECS,
    gpt_params,
    mlp_depth,
)


class _Runner:
    def __init__(self, device: str) -> None:
        self.device = nt.device(device)

    def sync(self) -> None:
        self.x._backend.synchronize()

    def check_values(self, loss: Any) -> list[float]:
        return [loss.item()]

    def _tensor(self, array: np.ndarray) -> nt.Tensor:
        return nt.tensor(array, device=self.device)

    def _load(self, param: nt.Tensor, array: np.ndarray) -> None:
        # Layers are built on the cpu and moved with ``model.to(device)`` afterwards.
        # ``as_tensor`` shares the host array on the cpu: no extra copy of a large weight.
        with nt.no_grad():
            param.copy_(nt.as_tensor(array, device=param.device))


class _Trainer(_Runner):
    model: Any

    def _setup(self, data: dict[str, np.ndarray]) -> None:
        from nanotorch.nn import functional as F
        from nanotorch.optim import SGD

        self.cross_entropy = F.cross_entropy
        self.model.to(self.device)
        self.x = self._tensor(data["x"])
        self.y = self._tensor(data["y"])
        self.opt = SGD(self.model.parameters(), lr=LR)

    def step(self) -> Any:
        self.opt.zero_grad()
        loss = self.cross_entropy(self.model(self.x), self.y)
        loss.backward()
        self.opt.step()
        return loss.detach()


class MLP(_Trainer):
    def __init__(self, data: dict[str, np.ndarray], device: str) -> None:
        from nanotorch import nn

        super().__init__(device)
        layers: list[Any] = []
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
    def __init__(self, data: dict[str, np.ndarray], device: str, conv_impl: str) -> None:
        from nanotorch import nn
        from nanotorch.ops.conv import get_conv_impl, set_conv_impl

        super().__init__(device)
        # "auto" is the library's default (the backend's fast paths), so that case runs the
        # user's code as is, with no scope; "portable" measures standard operations only.
        self.conv_scope = (
            contextlib.nullcontext
            if conv_impl == get_conv_impl()
            else lambda: set_conv_impl(conv_impl)
        )
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

    def step(self) -> Any:
        with self.conv_scope():
            return super().step()


class Chain(_Runner):
    def __init__(self, data: dict[str, np.ndarray], device: str, ops: int) -> None:
        super().__init__(device)
        self.x = self._tensor(data["x"]).requires_grad_()
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
        return [loss.item(), self.x.grad.sum().item()]


class GPT(_Runner):
    """The shakespeare-gpt scenario's training step: logits, cross-entropy over every
    position, backward, clip the joint gradient norm, AdamW (decay on matrices only)."""

    def __init__(
        self, data: dict[str, np.ndarray], device: str, size: dict[str, Any], dtype: str
    ) -> None:
        from nanotorch import optim
        from nanotorch.models.gpt import GPT as Model
        from nanotorch.models.gpt import GPTConfig
        from nanotorch.nn import functional as F
        from nanotorch.nn.utils import clip_grad_norm_

        super().__init__(device)
        params = gpt_params(data)
        config = GPTConfig(
            vocab_size=params["wte.weight"].shape[0], block_size=size["block"],
            n_layer=size["n_layer"], n_head=size["n_head"], n_embd=size["n_embd"],
        )  # fmt: skip
        self.dtype = getattr(nt, dtype)
        self.model = Model(config).to(self.device, self.dtype)
        named = dict(self.model.named_parameters())
        if named.keys() != params.keys():
            raise RuntimeError(f"GPT parameters {sorted(named)} != data {sorted(params)}")
        for name, param in named.items():
            self._load(param, params[name].astype(dtype))
        matrices = [p for p in self.model.parameters() if p.ndim >= 2]
        rest = [p for p in self.model.parameters() if p.ndim < 2]
        self.opt = optim.AdamW(
            [{"params": matrices, "weight_decay": GPT_WEIGHT_DECAY},
             {"params": rest, "weight_decay": 0.0}],
            lr=GPT_LR, betas=GPT_BETAS,
        )  # fmt: skip
        self.cross_entropy = F.cross_entropy
        self.clip = clip_grad_norm_
        self.load_batch(data["x"], data["y"])

    def load_batch(self, x: np.ndarray, y: np.ndarray) -> None:
        self.x, self.y = self._tensor(x), self._tensor(y).reshape(-1)

    def step(self) -> Any:
        self.opt.zero_grad()
        logits = self.model(self.x)
        loss = self.cross_entropy(logits.reshape(-1, logits.shape[-1]), self.y)
        loss.backward()
        self.clip(self.model.parameters(), GPT_MAX_GRAD_NORM)
        self.opt.step()
        return loss.detach()


def build(
    name: str,
    size: str,
    data: dict[str, np.ndarray],
    device: str,
    conv_impl: str = "auto",
    dtype: str = "float32",
) -> _Runner:
    spec = SPECS[name]
    if spec.kind == "mlp":
        return MLP(data, device)
    if spec.kind == "chain":
        return Chain(data, device, spec.sizes[size]["ops"])
    if spec.kind == "gpt":
        return GPT(data, device, spec.sizes[size], dtype)
    return CNN(data, device, conv_impl)


def version() -> str:
    return f"nanotorch {nt.__version__}"
