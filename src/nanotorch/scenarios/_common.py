"""Helpers shared by the built-in scenario modules (a private module: not a scenario)."""

from __future__ import annotations

from nanotorch.data import Dataset, random_split
from nanotorch.random import Generator


def split(dataset: Dataset, seed: int, test_fraction: float = 0.2) -> tuple[Dataset, Dataset]:
    """A seeded (train, held-out test) split of one dataset."""
    train, test = random_split(
        dataset, [1.0 - test_fraction, test_fraction], generator=Generator().manual_seed(seed)
    )
    return train, test
