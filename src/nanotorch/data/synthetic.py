"""Small seeded synthetic datasets: regression curves and 2-D classification puzzles.

Each ``make_*`` returns a ``TensorDataset`` of host arrays: float32 inputs and either float32
targets of shape ``(n, 1)`` (regression) or int64 class labels (classification). The same
``seed`` gives the same data on every machine: the draws come from a local NumPy generator,
never NumPy's global state. Classes are balanced (sizes differ by at most one) and the rows
are shuffled. Host-side; must not import ``nn`` or ``optim``.
"""

from __future__ import annotations

import numpy as np

from nanotorch.data.dataset import TensorDataset
from nanotorch.random import normalize_seed


def _rng(seed: int) -> np.random.Generator:
    """A local generator for ``seed``, read as ``manual_seed`` reads it: any int in
    [-2**63, 2**64 - 1], a negative one as its unsigned twin (NumPy refuses negatives)."""
    return np.random.default_rng(normalize_seed(seed, "seed"))


def _check(op: str, n_samples: int, minimum: int) -> None:
    if not isinstance(n_samples, int) or n_samples < minimum:
        raise ValueError(f"{op}: n_samples must be an int of at least {minimum}, got {n_samples}")


def _class_sizes(n: int, k: int) -> list[int]:
    return [n // k + (1 if c < n % k else 0) for c in range(k)]


def _finish(x: np.ndarray, y: np.ndarray, rng: np.random.Generator) -> TensorDataset:
    order = rng.permutation(len(x))
    y_dtype = np.float32 if y.dtype.kind == "f" else np.int64
    return TensorDataset(x[order].astype(np.float32), y[order].astype(y_dtype))


def make_linear(
    n_samples: int = 200,
    slope: float = 2.0,
    intercept: float = 0.5,
    noise: float = 0.1,
    seed: int = 0,
) -> TensorDataset:
    """``y = slope * x + intercept + noise`` for ``x`` uniform in [-1, 1].

    >>> ds = make_linear(n_samples=4)
    >>> [a.shape for a in ds.arrays]
    [(4, 1), (4, 1)]
    """
    _check("make_linear", n_samples, 1)
    rng = _rng(seed)
    x = rng.uniform(-1.0, 1.0, (n_samples, 1))
    y = slope * x + intercept + noise * rng.standard_normal((n_samples, 1))
    return _finish(x, y, rng)


def make_sine(n_samples: int = 256, noise: float = 0.05, seed: int = 0) -> TensorDataset:
    """``y = sin(x) + noise`` for ``x`` uniform in [-pi, pi]: a curve a line cannot fit."""
    _check("make_sine", n_samples, 1)
    rng = _rng(seed)
    x = rng.uniform(-np.pi, np.pi, (n_samples, 1))
    y = np.sin(x) + noise * rng.standard_normal((n_samples, 1))
    return _finish(x, y, rng)


def make_xor(n_samples: int = 400, noise: float = 0.05, seed: int = 0) -> TensorDataset:
    """Points in the four quadrants of [-1, 1]^2; class 1 where ``x0 * x1 < 0``.

    The classic problem no linear model solves. Coordinates keep a margin of 0.1 from the
    axes before the Gaussian ``noise`` is added, so the labels stay learnable.
    """
    _check("make_xor", n_samples, 2)
    rng = _rng(seed)
    xs, ys = [], []
    for label, size in enumerate(_class_sizes(n_samples, 2)):
        magnitude = rng.uniform(0.1, 1.0, (size, 2))
        first = rng.choice([-1.0, 1.0], size)
        # Same signs (quadrants I, III) for class 0; opposite signs for class 1.
        second = first if label == 0 else -first
        xs.append(magnitude * np.stack([first, second], axis=1))
        ys.append(np.full(size, label))
    x = np.concatenate(xs)
    return _finish(x + noise * rng.standard_normal(x.shape), np.concatenate(ys), rng)


def make_moons(n_samples: int = 400, noise: float = 0.1, seed: int = 0) -> TensorDataset:
    """Two interleaving half circles: class 0 the upper arc, class 1 the lower one."""
    _check("make_moons", n_samples, 2)
    rng = _rng(seed)
    n0, n1 = _class_sizes(n_samples, 2)
    t0, t1 = rng.uniform(0, np.pi, n0), rng.uniform(0, np.pi, n1)
    upper = np.stack([np.cos(t0), np.sin(t0)], axis=1)
    lower = np.stack([1.0 - np.cos(t1), 0.5 - np.sin(t1)], axis=1)
    x = np.concatenate([upper, lower])
    y = np.concatenate([np.zeros(n0), np.ones(n1)]).astype(np.int64)
    return _finish(x + noise * rng.standard_normal(x.shape), y, rng)


def make_circles(
    n_samples: int = 400, noise: float = 0.05, factor: float = 0.5, seed: int = 0
) -> TensorDataset:
    """Two concentric circles: class 0 of radius 1, class 1 of radius ``factor``."""
    _check("make_circles", n_samples, 2)
    rng = _rng(seed)
    xs, ys = [], []
    for label, (size, radius) in enumerate(zip(_class_sizes(n_samples, 2), (1.0, factor))):
        angle = rng.uniform(0, 2 * np.pi, size)
        xs.append(radius * np.stack([np.cos(angle), np.sin(angle)], axis=1))
        ys.append(np.full(size, label))
    x = np.concatenate(xs)
    return _finish(x + noise * rng.standard_normal(x.shape), np.concatenate(ys), rng)


def make_spirals(
    n_samples: int = 300, n_classes: int = 3, noise: float = 0.1, seed: int = 0
) -> TensorDataset:
    """``n_classes`` arms winding out from the origin, about one and a half turns each."""
    _check("make_spirals", n_samples, n_classes)
    rng = _rng(seed)
    xs, ys = [], []
    for label, size in enumerate(_class_sizes(n_samples, n_classes)):
        radius = np.linspace(0.05, 1.0, size)
        angle = 2 * np.pi * (label / n_classes + 1.5 * radius)
        angle = angle + noise * rng.standard_normal(size)
        xs.append(radius[:, None] * np.stack([np.cos(angle), np.sin(angle)], axis=1))
        ys.append(np.full(size, label))
    return _finish(np.concatenate(xs), np.concatenate(ys), rng)


def make_blobs(
    n_samples: int = 400, n_classes: int = 4, std: float = 0.5, seed: int = 0
) -> TensorDataset:
    """Gaussian clusters with centres evenly spaced on a circle of radius 2.5."""
    _check("make_blobs", n_samples, n_classes)
    rng = _rng(seed)
    xs, ys = [], []
    for label, size in enumerate(_class_sizes(n_samples, n_classes)):
        angle = 2 * np.pi * label / n_classes
        centre = 2.5 * np.array([np.cos(angle), np.sin(angle)])
        xs.append(centre + std * rng.standard_normal((size, 2)))
        ys.append(np.full(size, label))
    return _finish(np.concatenate(xs), np.concatenate(ys), rng)
