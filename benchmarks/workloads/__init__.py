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
This package must import nothing but NumPy at module level.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Spec:
    """One workload. ``sizes`` maps a size name (``full``, ``tiny``) to its parameters."""

    name: str
    title: str
    kind: str  # "mlp", "chain" or "cnn": which builder each implementation uses
    sizes: dict[str, dict[str, Any]] = field(default_factory=dict)

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
}

LR = 0.1  # plain SGD, no momentum, no weight decay
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
    else:  # pragma: no cover - a new kind must be added here
        raise ValueError(f"unknown workload kind {spec.kind!r}")
    return data


def mlp_depth(data: dict[str, np.ndarray]) -> int:
    """How many Linear layers the arrays of an MLP workload describe."""
    return sum(1 for k in data if k.startswith("w"))
