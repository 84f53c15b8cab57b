"""The benchmark workloads: what each one computes, at which sizes, from which data.

A workload is described once here (``SPECS``) and implemented three times, each file
importing only its own library so that it can run in an interpreter that has only that
library (PyTorch lives in a separate virtual environment):

- ``numpy_floor.py``  the same training step written by hand in NumPy with manual backprop
  (CuPy on ``cuda``): the floor a framework's dispatch and graph recording are measured
  against;
- ``nanotorch_impl.py`` the step as a nanotorch user writes it (``nn``, ``optim``);
- ``torch_impl.py``   the step as a PyTorch user writes it.

All three start from the same arrays (``make_data``: NumPy, from a seed), so the losses of
their first steps must agree; ``benchmarks/run.py`` checks that before it trusts a timing.
W5 (``gpt``) has no hand-written floor (``Spec.floor`` is False): its trajectory reference
is nanotorch, and PyTorch must follow it. Its initial weights are those of a nanotorch
``GPT`` (built here, exported as arrays), so the workload measures the model the
``shakespeare-gpt`` scenario trains. This package must import nothing but NumPy at module
level (``make_data`` imports nanotorch inside, for W5 only).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Spec:
    """One workload. ``sizes`` maps a size name (``full``, ``tiny``) to its parameters."""

    name: str
    title: str
    kind: str  # "mlp", "chain", "cnn" or "gpt": which builder each implementation uses
    sizes: dict[str, dict[str, Any]] = field(default_factory=dict)
    floor: bool = True  # whether numpy_floor.py implements it

    def title_for(self, size: str) -> str:
        """The title for a run at ``size``: ``title`` describes the full size, so any other
        size names its own parameters instead of the full size's numbers."""
        if size == "full":
            return self.title
        label = " ".join(self.title.split()[:2])  # "W1 MLP"
        params = ", ".join(f"{k} {v}" for k, v in self.sizes[size].items())
        return f"{label} [{size}: {params}]"

    @property
    def per_op(self) -> bool:
        """Chain workloads report microseconds per op instead of steps per second."""
        return self.kind == "chain"


SPECS: dict[str, Spec] = {
    "mlp": Spec(
        "mlp",
        "W1 MLP 784-256-256-10, batch 128",
        "mlp",
        {
            "full": {"layers": (784, 256, 256, 10), "batch": 128},
            "tiny": {"layers": (20, 16, 16, 10), "batch": 8},
        },
    ),
    "mlp-large": Spec(
        "mlp-large",
        "W2 MLP 1024-4096-4096-10, batch 512",
        "mlp",
        {
            "full": {"layers": (1024, 4096, 4096, 10), "batch": 512},
            "tiny": {"layers": (32, 64, 64, 10), "batch": 8},
        },
    ),
    "overhead": Spec(
        "overhead",
        "W3 chain of 100 elementwise ops on shape (8,), then sum",
        "chain",
        {"full": {"ops": 100, "size": 8}, "tiny": {"ops": 10, "size": 8}},
    ),
    "cnn": Spec(
        "cnn",
        "W4 CNN conv8-pool-conv16-pool-linear, batch 64 of 1x28x28",
        "cnn",
        {
            "full": {"batch": 64, "channels": (1, 8, 16), "image": 28, "classes": 10},
            "tiny": {"batch": 4, "channels": (1, 2, 4), "image": 8, "classes": 10},
        },
    ),
    "gpt": Spec(
        "gpt",
        "W5 GPT 4 layers x 4 heads x 128, block 64, batch 12, AdamW + clipping",
        "gpt",
        {
            # The shakespeare-gpt scenario's model and batch (nanoGPT's CPU "baby GPT").
            "full": {"n_layer": 4, "n_head": 4, "n_embd": 128, "block": 64, "batch": 12},
            "tiny": {"n_layer": 2, "n_head": 2, "n_embd": 16, "block": 8, "batch": 3},
        },
        floor=False,
    ),
}

LR = 0.1  # plain SGD, no momentum, no weight decay
# W5's step is the shakespeare-gpt scenario's (scenarios/shakespeare.py; a test checks that
# these equal its settings): AdamW with weight decay on the matrices only, then the
# gradients clipped to a joint norm of 1. The learning rate is the scenario's peak rate,
# held constant (its schedule changes the rate once per epoch of 50 steps).
GPT_LR = 2e-3
GPT_BETAS = (0.9, 0.99)
GPT_WEIGHT_DECAY = 0.1
GPT_MAX_GRAD_NORM = 1.0
# The chain alternates these two ops: x * MUL_BY, x + ADD_BY.
MUL_BY = 1.0001
ADD_BY = 0.0001


def _uniform(rng: np.random.Generator, shape: tuple[int, ...], fan_in: int) -> np.ndarray:
    # PyTorch's default Linear/Conv initialisation: U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
    bound = 1.0 / np.sqrt(fan_in)
    return rng.uniform(-bound, bound, size=shape).astype(np.float32)


def make_data(name: str, size: str = "full", seed: int = 0) -> dict[str, np.ndarray]:
    """The inputs, labels and initial weights of one workload, as float32/int64 arrays.

    Linear weights are stored (out, in) and conv weights (out, in, kh, kw), as in PyTorch,
    so every implementation can take them as they are.
    """
    spec = SPECS[name]
    p = spec.sizes[size]
    rng = np.random.default_rng(seed)
    data: dict[str, np.ndarray] = {}
    if spec.kind == "mlp":
        layers, batch = p["layers"], p["batch"]
        data["x"] = rng.standard_normal((batch, layers[0])).astype(np.float32)
        data["y"] = rng.integers(0, layers[-1], size=batch).astype(np.int64)
        for i, (n_in, n_out) in enumerate(zip(layers[:-1], layers[1:])):
            data[f"w{i}"] = _uniform(rng, (n_out, n_in), n_in)
            data[f"b{i}"] = _uniform(rng, (n_out,), n_in)
    elif spec.kind == "chain":
        data["x"] = rng.standard_normal((p["size"],)).astype(np.float32)
    elif spec.kind == "cnn":
        c0, c1, c2 = p["channels"]
        side = p["image"]
        data["x"] = rng.standard_normal((p["batch"], c0, side, side)).astype(np.float32)
        data["y"] = rng.integers(0, p["classes"], size=p["batch"]).astype(np.int64)
        data["conv1_w"] = _uniform(rng, (c1, c0, 3, 3), c0 * 9)
        data["conv1_b"] = _uniform(rng, (c1,), c0 * 9)
        data["conv2_w"] = _uniform(rng, (c2, c1, 3, 3), c1 * 9)
        data["conv2_b"] = _uniform(rng, (c2,), c1 * 9)
        flat = c2 * (side // 4) * (side // 4)
        data["fc_w"] = _uniform(rng, (p["classes"], flat), flat)
        data["fc_b"] = _uniform(rng, (p["classes"],), flat)
    elif spec.kind == "gpt":
        data.update(gpt_weights(p, seed))
        x, y = gpt_batches(1, p["batch"], p["block"], seed)
        data["x"], data["y"] = x[0], y[0]
    else:  # pragma: no cover - a new kind must be added here
        raise ValueError(f"unknown workload kind {spec.kind!r}")
    return data


@lru_cache(maxsize=1)
def shakespeare_tokens() -> np.ndarray:
    """The shipped corpus as character ids (int64), with the scenario's tokenizer."""
    from nanotorch.data.shakespeare import CharTokenizer, load_shakespeare

    text = load_shakespeare()
    return CharTokenizer.from_text(text).encode(text)


def gpt_batches(
    n: int, batch: int, block: int, seed: int
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """``n`` batches of ``batch`` random windows of ``block`` characters from the training
    part (first 90%) of the corpus, and their next-character targets, as the scenario's
    ``RandomBlocks`` draws them (but from a NumPy generator, so that any process can repeat
    them)."""
    from nanotorch.data.shakespeare import split_tokens

    train, _ = split_tokens(shakespeare_tokens(), 0.9)
    rng = np.random.default_rng(seed + 1)
    offsets = np.arange(block)
    xs, ys = [], []
    for _ in range(n):
        starts = rng.integers(0, len(train) - block, size=batch)
        rows = starts[:, None] + offsets
        xs.append(train[rows])
        ys.append(train[rows + 1])
    return xs, ys


def gpt_weights(p: dict[str, Any], seed: int) -> dict[str, np.ndarray]:
    """The initial parameters of a nanotorch ``GPT`` of size ``p``, as float32 arrays keyed
    ``param.<name>`` (``named_parameters``: the tied ``lm_head.weight`` is ``wte.weight``
    and appears once). The vocabulary is the corpus's."""
    import nanotorch as nt
    from nanotorch.models.gpt import GPT, GPTConfig

    nt.manual_seed(seed)
    vocab = int(shakespeare_tokens().max()) + 1  # the tokenizer's ids are 0..vocab-1
    config = GPTConfig(
        vocab_size=vocab, block_size=p["block"], n_layer=p["n_layer"], n_head=p["n_head"],
        n_embd=p["n_embd"],
    )  # fmt: skip
    model = GPT(config)
    return {
        f"param.{name}": param.detach().numpy().astype(np.float32, copy=True)
        for name, param in model.named_parameters()
    }


def gpt_params(data: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The parameter arrays of W5's data, by parameter name."""
    return {k[len("param.") :]: v for k, v in data.items() if k.startswith("param.")}


def mlp_depth(data: dict[str, np.ndarray]) -> int:
    """How many Linear layers the arrays of an MLP workload describe."""
    return sum(1 for k in data if k.startswith("w"))
