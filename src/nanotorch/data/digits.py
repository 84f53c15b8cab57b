"""The UCI handwritten digits (8x8, 1797 images, 10 classes), shipped inside the package.

``files/digits.csv.gz`` holds one image per row: 64 pixel counts in 0..16, then the label.
Its source and licence are in ``files/README.md``. It is small enough to ship, so the main
job (``nanotorch train``) works offline out of the box. Host-side; NumPy only.
"""

from __future__ import annotations

import gzip
from functools import lru_cache
from importlib import resources

import numpy as np

from nanotorch.data.dataset import TensorDataset

DIGITS_FILE = "digits.csv.gz"


@lru_cache(maxsize=1)
def _read_digits() -> tuple[np.ndarray, np.ndarray]:
    path = resources.files("nanotorch.data") / "files" / DIGITS_FILE
    with path.open("rb") as raw, gzip.open(raw, "rt") as text:
        table = np.loadtxt(text, delimiter=",", dtype=np.int64)
    if table.shape != (1797, 65):
        raise ValueError(f"load_digits: {DIGITS_FILE} has shape {table.shape}, expected (1797, 65)")
    return table[:, :64], table[:, 64]


def load_digits(flatten: bool = False) -> TensorDataset:
    """The digits as ``(images, labels)``: float32 pixels scaled to [0, 1], int64 labels.

    Images have shape ``(1797, 1, 8, 8)`` (channels first, for convolutions) or
    ``(1797, 64)`` with ``flatten=True``.

    >>> images, labels = load_digits().arrays
    >>> images.shape, int(labels.max())
    ((1797, 1, 8, 8), 9)
    """
    pixels, labels = _read_digits()
    images = (pixels / 16.0).astype(np.float32)
    images = images if flatten else images.reshape(-1, 1, 8, 8)
    return TensorDataset(images, labels.copy())
