"""Plot helpers: PNGs that read back, and the numbers drawn (confusion counts, grids)."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.image import imread

from nanotorch import plots
from nanotorch.data import datasets


def _png(path):
    image = imread(path)
    assert image.ndim == 3 and image.shape[2] in (3, 4)
    return image


@pytest.mark.parametrize(
    ("kind", "dataset"),
    [
        ("regression", datasets.make_sine(n_samples=40)),
        ("boundary", datasets.make_moons(n_samples=40)),
        ("images", datasets.load_digits()),
    ],
)
def test_plot_data_writes_a_png_per_kind(tmp_path, kind, dataset):
    path = plots.plot_data(dataset, kind, tmp_path / f"{kind}.png", title=kind)
    image = _png(path)
    assert image.shape[0] > 100 and image.shape[1] > 100
    # Not a blank canvas: something was drawn in more than one colour.
    assert len(np.unique(image.reshape(-1, image.shape[2]), axis=0)) > 10


def test_plot_data_unknown_kind_lists_kinds(tmp_path):
    with pytest.raises(
        ValueError, match=r"plot kind 'pie'.*boundary, images, language, regression"
    ):
        plots.plot_data(datasets.make_xor(n_samples=8), "pie", tmp_path / "x.png")


def test_confusion_matrix_counts_true_rows_predicted_columns():
    labels = np.array([0, 0, 1, 2, 2, 2])
    preds = np.array([0, 1, 1, 2, 0, 2])
    expected = [[1, 1, 0], [0, 1, 0], [1, 0, 2]]
    assert plots.confusion_matrix(preds, labels, 3).tolist() == expected


def test_boundary_grid_covers_the_data_with_a_margin():
    x = np.array([[0.0, -1.0], [2.0, 3.0]], dtype=np.float32)
    xx, yy, points = plots.boundary_grid(x, steps=5, margin=0.5)
    assert xx.shape == yy.shape == (5, 5)
    assert points.shape == (25, 2) and points.dtype == np.float32
    assert xx.min() == -0.5 and xx.max() == 2.5 and yy.min() == -1.5 and yy.max() == 3.5


def test_plots_leave_pyplot_backend_alone(tmp_path):
    import matplotlib

    before = matplotlib.get_backend()
    plots.plot_data(datasets.make_xor(n_samples=8), "boundary", tmp_path / "x.png")
    assert matplotlib.get_backend() == before


@pytest.mark.parametrize(
    ("name", "files"),
    [
        ("linear", ["data", "fit", "curves"]),
        ("xor", ["data", "boundary", "curves"]),
        ("digits-mlp", ["data", "predictions", "confusion", "curves"]),
        ("shakespeare-gpt-tiny", ["attention", "sample", "curves"]),
    ],
)
def test_plot_scenario_writes_each_picture_of_its_kind(tmp_path, name, files):
    from nanotorch.runner import run_scenario

    result = run_scenario(name, epochs=2, quiet=True)
    paths = plots.plot_scenario(result, tmp_path)
    assert [p.name for p in paths] == [f"{name}-{f}.png" for f in files]
    for path in paths:
        _png(path)


def test_plot_curves_needs_no_scenario(tmp_path):
    from nanotorch.train import History

    h = History("r2", [1, 2], [1.0, 0.5], [1.1, 0.6], [0.2, 0.7], [0.1, 0.1])
    path = plots.plot_curves(h, tmp_path / "c.png", title="curves")
    assert path == tmp_path / "c.png"
    _png(path)


def test_language_pictures_attention_only_for_models_that_attend():
    from nanotorch.scenarios import get_scenario

    names = [p.name for p in plots.output_paths(get_scenario("shakespeare-lstm"), "o")]
    assert names == ["shakespeare-lstm-sample.png", "shakespeare-lstm-curves.png"]
    names = [p.name for p in plots.output_paths(get_scenario("shakespeare-gpt"), "o")]
    assert names[0] == "shakespeare-gpt-attention.png"


def test_plot_attention_draws_one_map_per_head_and_leaves_the_model_as_it_was(tmp_path):
    from nanotorch.runner import run_scenario

    result = run_scenario("shakespeare-gpt-tiny", epochs=1, quiet=True)
    result.model.train()
    path = plots.plot_attention(result, tmp_path / "a.png", text="ROMEO:\nO", layer=0)
    _png(path)
    attn = result.model.h[0].attn
    assert result.model.training and not attn.keep_attention and attn.attention is None
