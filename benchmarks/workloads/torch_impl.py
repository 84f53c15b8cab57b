"""Each workload as a PyTorch user writes it: ``torch.nn``, ``F.cross_entropy``, ``optim.SGD``.

W5's GPT is written here with the submodule and parameter names of nanotorch's
``models.gpt.GPT`` (which are nanoGPT's), so the exported nanotorch parameters load by name,
one to one; ``lm_head.weight`` is ``wte.weight`` (one Parameter) in both.

Runs in whatever interpreter has PyTorch (``run.py --torch-python``); imports only NumPy
and PyTorch. Weights are copied from the shared arrays, so the losses match the others.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

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


class CausalSelfAttention(nn.Module):
    def __init__(self, n_embd: int, n_head: int) -> None:
        super().__init__()
        self.n_head = n_head
        self.c_attn = nn.Linear(n_embd, 3 * n_embd)
        self.c_proj = nn.Linear(n_embd, n_embd)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t, c = x.shape
        q, k, v = (
            part.reshape(b, t, self.n_head, c // self.n_head).transpose(1, 2)
            for part in self.c_attn(x).split(c, dim=2)
        )
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        return self.c_proj(y.transpose(1, 2).reshape(b, t, c))


class MLPBlock(nn.Module):
    def __init__(self, n_embd: int) -> None:
        super().__init__()
        self.c_fc = nn.Linear(n_embd, 4 * n_embd)
        self.gelu = nn.GELU(approximate="tanh")
        self.c_proj = nn.Linear(4 * n_embd, n_embd)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.c_proj(self.gelu(self.c_fc(x)))


class Block(nn.Module):
    def __init__(self, n_embd: int, n_head: int) -> None:
        super().__init__()
        self.ln_1 = nn.LayerNorm(n_embd)
        self.attn = CausalSelfAttention(n_embd, n_head)
        self.ln_2 = nn.LayerNorm(n_embd)
        self.mlp = MLPBlock(n_embd)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class GPTModel(nn.Module):
    """nanotorch's ``models.gpt.GPT`` (dropout 0) in PyTorch, parameter for parameter."""

    def __init__(self, vocab: int, block: int, n_layer: int, n_head: int, n_embd: int) -> None:
        super().__init__()
        self.wte = nn.Embedding(vocab, n_embd)
        self.wpe = nn.Embedding(block, n_embd)
        self.h = nn.ModuleList([Block(n_embd, n_head) for _ in range(n_layer)])
        self.ln_f = nn.LayerNorm(n_embd)
        self.lm_head = nn.Linear(n_embd, vocab, bias=False)
        self.lm_head.weight = self.wte.weight  # tied: one Parameter, as in nanotorch

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        pos = torch.arange(idx.shape[1], device=idx.device)
        x = self.wte(idx) + self.wpe(pos)
        for block in self.h:
            x = block(x)
        return self.lm_head(self.ln_f(x))


class GPT(_Runner):
    """The shakespeare-gpt step as in nanotorch_impl.GPT: AdamW with decay on the matrices,
    gradients clipped to a joint norm of GPT_MAX_GRAD_NORM."""

    def __init__(
        self, data: dict[str, np.ndarray], device: str, size: dict[str, Any], dtype: str
    ) -> None:
        super().__init__(device)
        params = gpt_params(data)
        self.model = GPTModel(
            params["wte.weight"].shape[0], size["block"], size["n_layer"], size["n_head"],
            size["n_embd"],
        ).to(self.device, getattr(torch, dtype))  # fmt: skip
        named = dict(self.model.named_parameters())
        if named.keys() != params.keys():
            raise RuntimeError(f"GPT parameters {sorted(named)} != data {sorted(params)}")
        for name, param in named.items():
            self._load(param, params[name].astype(dtype))
        matrices = [p for p in self.model.parameters() if p.ndim >= 2]
        rest = [p for p in self.model.parameters() if p.ndim < 2]
        self.opt = torch.optim.AdamW(
            [{"params": matrices, "weight_decay": GPT_WEIGHT_DECAY},
             {"params": rest, "weight_decay": 0.0}],
            lr=GPT_LR, betas=GPT_BETAS,
        )  # fmt: skip
        self.load_batch(data["x"], data["y"])

    def load_batch(self, x: np.ndarray, y: np.ndarray) -> None:
        self.x = torch.from_numpy(x).to(self.device)
        self.y = torch.from_numpy(y).to(self.device).reshape(-1)

    def step(self) -> Any:
        self.opt.zero_grad()
        logits = self.model(self.x)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), self.y)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.model.parameters(), GPT_MAX_GRAD_NORM)
        self.opt.step()
        return loss.detach()


def build(
    name: str, size: str, data: dict[str, np.ndarray], device: str, dtype: str = "float32"
) -> _Runner:
    spec = SPECS[name]
    if spec.kind == "mlp":
        return MLP(data, device)
    if spec.kind == "chain":
        return Chain(data, device, spec.sizes[size]["ops"])
    if spec.kind == "gpt":
        return GPT(data, device, spec.sizes[size], dtype)
    return CNN(data, device)


def set_threads(n: int) -> None:
    torch.set_num_threads(n)


def version() -> str:
    return f"torch {torch.__version__}"
