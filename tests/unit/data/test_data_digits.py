"""The UCI handwritten digits shipped inside the package."""

from __future__ import annotations

from importlib import resources

import numpy as np

from nanotorch.data import datasets


def test_digits_has_1797_images_of_8x8_in_ten_classes():
    ds = datasets.load_digits()
    x, y = ds.arrays
    assert x.shape == (1797, 1, 8, 8) and x.dtype == np.float32
    assert y.shape == (1797,) and y.dtype == np.int64
    counts = np.bincount(y)
    assert len(counts) == 10 and counts.min() >= 170 and counts.sum() == 1797
    # Pixels were counts 0..16; scaled to [0, 1] and every level used.
    assert x.min() == 0.0 and x.max() == 1.0
    assert np.allclose(x * 16, np.round(x * 16))


def test_digits_flatten_gives_64_features():
    x, _ = datasets.load_digits(flatten=True).arrays
    assert x.shape == (1797, 64)


def test_digits_first_image_is_a_zero():
    x, y = datasets.load_digits().arrays
    assert y[0] == 0
    # A zero is a ring: its centre column is dark in the middle rows, its sides are lit.
    img = x[0, 0] * 16
    assert img[3:5, 3:5].max() <= 1 and img[3:5, 2].min() >= 8


def test_digits_file_ships_with_its_source_and_licence():
    files = resources.files("nanotorch.data") / "files"
    assert (files / "digits.csv.gz").is_file()
    notice = (files / "README.md").read_text()
    for words in ("UCI", "Alpaydin", "Kaynak", "CC BY 4.0", "Optical Recognition"):
        assert words in notice
