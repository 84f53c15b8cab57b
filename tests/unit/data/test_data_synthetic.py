"""Synthetic datasets: shapes, classes, value ranges and seeding."""

from __future__ import annotations

import numpy as np
import pytest

from nanotorch.data import datasets

CLASSIFIERS = {
    "xor": (datasets.make_xor, 2),
    "moons": (datasets.make_moons, 2),
    "circles": (datasets.make_circles, 2),
    "spirals": (datasets.make_spirals, 3),
    "blobs": (datasets.make_blobs, 4),
}
REGRESSIONS = {"linear": datasets.make_linear, "sine": datasets.make_sine}


@pytest.mark.parametrize("name", sorted(CLASSIFIERS))
def test_synthetic_classifier_shapes_dtypes_and_balanced_classes(name):
    make, classes = CLASSIFIERS[name]
    ds = make(n_samples=240, seed=0)
    x, y = ds.arrays
    assert x.shape == (240, 2) and x.dtype == np.float32
    assert y.shape == (240,) and y.dtype == np.int64
    counts = np.bincount(y, minlength=classes)
    assert len(counts) == classes and counts.min() >= 240 // classes - 1
    assert np.isfinite(x).all()


@pytest.mark.parametrize("name", sorted(REGRESSIONS))
def test_synthetic_regression_shapes_and_dtypes(name):
    x, y = REGRESSIONS[name](n_samples=50, seed=0).arrays
    assert x.shape == (50, 1) and y.shape == (50, 1)
    assert x.dtype == np.float32 and y.dtype == np.float32


@pytest.mark.parametrize("name", sorted(CLASSIFIERS) + sorted(REGRESSIONS))
def test_synthetic_same_seed_same_data_other_seed_other_data(name):
    make = CLASSIFIERS[name][0] if name in CLASSIFIERS else REGRESSIONS[name]
    a, b, c = make(n_samples=64, seed=1), make(n_samples=64, seed=1), make(n_samples=64, seed=2)
    np.testing.assert_array_equal(a.arrays[0], b.arrays[0])
    np.testing.assert_array_equal(a.arrays[1], b.arrays[1])
    assert not np.array_equal(a.arrays[0], c.arrays[0])


def test_make_linear_follows_the_given_line_up_to_noise():
    x, y = datasets.make_linear(n_samples=500, slope=3.0, intercept=-1.0, noise=0.1).arrays
    slope, intercept = np.polyfit(x[:, 0], y[:, 0], 1)
    assert slope == pytest.approx(3.0, abs=0.05) and intercept == pytest.approx(-1.0, abs=0.05)


def test_make_sine_targets_are_a_noisy_sine():
    x, y = datasets.make_sine(n_samples=400, noise=0.0).arrays
    np.testing.assert_allclose(y, np.sin(x), atol=1e-6)


def test_make_xor_label_is_the_sign_product():
    x, y = datasets.make_xor(n_samples=200, noise=0.0).arrays
    np.testing.assert_array_equal(y, (x[:, 0] * x[:, 1] < 0).astype(np.int64))


def test_make_circles_inner_circle_is_class_one():
    x, y = datasets.make_circles(n_samples=200, noise=0.0, factor=0.5).arrays
    radius = np.hypot(x[:, 0], x[:, 1])
    np.testing.assert_allclose(radius[y == 0], 1.0, atol=1e-5)
    np.testing.assert_allclose(radius[y == 1], 0.5, atol=1e-5)


def test_synthetic_rejects_too_few_samples():
    with pytest.raises(ValueError, match=r"make_spirals.*n_samples.*at least 3.*got 2"):
        datasets.make_spirals(n_samples=2)
