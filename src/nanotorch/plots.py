"""Pictures of the main job: each scenario's data, what the model learned, and how it learned.

Figures are built on matplotlib's ``Figure`` with an Agg canvas and written as PNG; pyplot
(and its global backend and figure list) is never touched, so importing this module changes
nothing for a notebook user. What gets drawn follows the scenario's ``plot`` kind:
``regression`` (data and learned curve), ``boundary`` (2-D points and decision regions),
``images`` (sample grid, predictions with true labels, confusion matrix), ``language`` (the
attention weights of every head of one layer over a line of text, for models that attend,
and a sample of generated text); every scenario also gets its loss and metric curves.
Host-side: NumPy and matplotlib; the model runs through ``nanotorch.train.predict``.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence
from pathlib import Path
from textwrap import wrap
from typing import TYPE_CHECKING, Any

import numpy as np
from matplotlib import colormaps
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure

from nanotorch.checkpoint.atomic import create_temporary

if TYPE_CHECKING:
    from nanotorch.data import Dataset
    from nanotorch.runner import RunResult
    from nanotorch.scenarios import Scenario
    from nanotorch.train import History

PLOT_KINDS = ("boundary", "images", "language", "regression")
DEFAULT_DIR = Path("artifacts") / "plots"
# Colours for up to ten classes (matplotlib's tab10); decision regions use them translucent.
_TAB10 = list(colormaps["tab10"].colors)


def _figure(width: float, height: float) -> Figure:
    fig = Figure(figsize=(width, height), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _save(fig: Figure, path: str | Path) -> Path:
    """Write the PNG beside ``path`` and rename it into place, so a failure (a full disk)
    leaves the previous picture or none, never a truncated one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = create_temporary(path)  # fresh and exclusive; the mode of the file it replaces
    os.close(fd)
    try:
        fig.savefig(tmp, format="png")
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return path


def _all_rows(dataset: Dataset, limit: int | None = None) -> tuple[np.ndarray, ...]:
    n = len(dataset) if limit is None else min(limit, len(dataset))
    return tuple(np.asarray(a) for a in dataset.get_batch(np.arange(n)))


def _check_kind(kind: str) -> None:
    if kind not in PLOT_KINDS:
        raise ValueError(f"plot kind {kind!r} is not one of {', '.join(PLOT_KINDS)}")


def confusion_matrix(preds: np.ndarray, labels: np.ndarray, n_classes: int) -> np.ndarray:
    """Counts with true classes as rows and predicted classes as columns.

    >>> confusion_matrix(np.array([1, 1]), np.array([0, 1]), 2).tolist()
    [[0, 1], [0, 1]]
    """
    matrix = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(matrix, (np.asarray(labels), np.asarray(preds)), 1)
    return matrix


def boundary_grid(
    x: np.ndarray, steps: int = 200, margin: float = 0.5
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A ``steps`` x ``steps`` grid over the 2-D data's range (plus ``margin``), and the
    grid points as float32 rows ready for the model."""
    lo, hi = x.min(axis=0) - margin, x.max(axis=0) + margin
    xx, yy = np.meshgrid(np.linspace(lo[0], hi[0], steps), np.linspace(lo[1], hi[1], steps))
    points = np.stack([xx.ravel(), yy.ravel()], axis=1).astype(np.float32)
    return xx, yy, points


def _scatter_classes(ax: Any, x: np.ndarray, y: np.ndarray, **kwargs: Any) -> None:
    for c in np.unique(y):
        mask = y == c
        ax.scatter(
            x[mask, 0],
            x[mask, 1],
            s=12,
            color=_TAB10[int(c) % 10],
            edgecolors="white",
            linewidths=0.3,
            label=f"class {int(c)}",
            **kwargs,
        )


def _image_grid(
    fig: Figure,
    images: np.ndarray,
    titles: Sequence[str],
    colours: Sequence[str] | None = None,
    cols: int = 8,
) -> None:
    rows = -(-len(images) // cols)
    axes = fig.subplots(rows, cols, squeeze=False)
    for i, ax in enumerate(axes.ravel()):
        ax.set_axis_off()
        if i < len(images):
            ax.imshow(images[i].reshape(images[i].shape[-2:]), cmap="gray_r")
            ax.set_title(titles[i], fontsize=7, color=(colours[i] if colours else "black"))


def _label(index: int, classes: Sequence[str] | None) -> str:
    return classes[index] if classes else str(index)


def plot_data(
    dataset: Dataset,
    kind: str,
    path: str | Path,
    title: str | None = None,
    classes: Sequence[str] | None = None,
) -> Path:
    """Draw a dataset the way its plot kind wants it and write a PNG; returns the path."""
    _check_kind(kind)
    if kind == "images":
        images, labels = _all_rows(dataset, 32)
        fig = _figure(8, 4.6)
        _image_grid(fig, images, [_label(int(c), classes) for c in labels])
    else:
        x, y = _all_rows(dataset)
        fig = _figure(5, 4)
        ax = fig.subplots()
        if kind == "regression":
            ax.scatter(x[:, 0], y[:, 0], s=10, alpha=0.7, color=_TAB10[0])
            ax.set_xlabel("x")
            ax.set_ylabel("y")
        else:
            _scatter_classes(ax, x, y)
            ax.legend(fontsize=7, loc="best")
            ax.set_aspect("equal", adjustable="datalim")
    if title:
        fig.suptitle(title)
    return _save(fig, path)


def plot_curves(history: History, path: str | Path, title: str | None = None) -> Path:
    """Train and test loss (left) and the held-out metric (right), per epoch."""
    fig = _figure(9, 3.6)
    loss_ax, metric_ax = fig.subplots(1, 2)
    loss_ax.plot(history.epoch, history.train_loss, marker=".", label="train loss")
    loss_ax.plot(history.epoch, history.test_loss, marker=".", label="test loss")
    loss_ax.set_xlabel("epoch")
    loss_ax.set_ylabel("loss")
    if min(history.train_loss + history.test_loss) > 0:
        loss_ax.set_yscale("log")
    loss_ax.legend(fontsize=8)
    metric_ax.plot(history.epoch, history.test_metric, marker=".", color=_TAB10[2])
    metric_ax.set_xlabel("epoch")
    metric_ax.set_ylabel(f"test {history.metric}")
    for ax in (loss_ax, metric_ax):
        ax.grid(alpha=0.3)
    if title:
        fig.suptitle(title)
    return _save(fig, path)


def plot_regression_fit(result: RunResult, path: str | Path) -> Path:
    """The training points, the test points and the learned function over their range."""
    from nanotorch.train import predict

    x_train, y_train = _all_rows(result.train_set)
    x_test, y_test = _all_rows(result.test_set)
    lo = min(x_train.min(), x_test.min())
    hi = max(x_train.max(), x_test.max())
    xs = np.linspace(lo, hi, 400, dtype=np.float32)[:, None]
    ys = predict(result.model, xs, device=result.device)
    fig = _figure(5.5, 4)
    ax = fig.subplots()
    ax.scatter(x_train[:, 0], y_train[:, 0], s=10, alpha=0.5, label="train", color=_TAB10[0])
    ax.scatter(x_test[:, 0], y_test[:, 0], s=14, alpha=0.8, label="test", color=_TAB10[1])
    ax.plot(xs[:, 0], ys[:, 0], color="black", linewidth=2, label="model")
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.legend(fontsize=8)
    ax.set_title(f"{result.scenario.name}: test r2 {result.after[1]:.4f}")
    return _save(fig, path)


def plot_decision_boundary(result: RunResult, path: str | Path) -> Path:
    """Decision regions of the model over the plane, with the held-out points on top."""
    from nanotorch.train import predict

    x_train, _ = _all_rows(result.train_set)
    x_test, y_test = _all_rows(result.test_set)
    xx, yy, points = boundary_grid(np.concatenate([x_train, x_test]))
    regions = predict(result.model, points, device=result.device).argmax(axis=1)
    n_classes = int(max(regions.max(), y_test.max())) + 1
    fig = _figure(5.5, 4.5)
    ax = fig.subplots()
    cmap = ListedColormap(_TAB10[:n_classes])
    ax.contourf(
        xx,
        yy,
        regions.reshape(xx.shape),
        levels=np.arange(n_classes + 1) - 0.5,
        cmap=cmap,
        alpha=0.25,
    )
    _scatter_classes(ax, x_test, y_test)
    ax.set_aspect("equal", adjustable="datalim")
    ax.set_title(f"{result.scenario.name}: test accuracy {100 * result.after[1]:.1f}%")
    return _save(fig, path)


def plot_predictions(result: RunResult, path: str | Path, count: int = 32) -> Path:
    """A grid of held-out images titled ``predicted (true)``; mistakes in red."""
    from nanotorch.train import predict

    images, labels = _all_rows(result.test_set, count)
    preds = predict(result.model, images, device=result.device).argmax(axis=1)
    classes = result.scenario.classes
    titles = [
        f"{_label(int(p), classes)} ({_label(int(t), classes)})" for p, t in zip(preds, labels)
    ]
    colours = ["black" if p == t else "red" for p, t in zip(preds, labels)]
    fig = _figure(10, 5.6)
    _image_grid(fig, images, titles, colours)
    fig.suptitle(f"{result.scenario.name}: predicted (true), first {len(images)} test images")
    return _save(fig, path)


def plot_confusion(result: RunResult, path: str | Path) -> Path:
    """The held-out confusion matrix: rows are true classes, columns predictions."""
    from nanotorch.train import predict

    images, labels = _all_rows(result.test_set)
    preds = predict(result.model, images, device=result.device).argmax(axis=1)
    classes = result.scenario.classes or tuple(str(c) for c in range(int(labels.max()) + 1))
    matrix = confusion_matrix(preds, labels, len(classes))
    fig = _figure(6.5, 5.5)
    ax = fig.subplots()
    image = ax.imshow(matrix, cmap="Blues")
    fig.colorbar(image, ax=ax, shrink=0.8)
    ticks = np.arange(len(classes))
    ax.set_xticks(ticks, classes, rotation=45, ha="right", fontsize=7)
    ax.set_yticks(ticks, classes, fontsize=7)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    threshold = matrix.max() / 2
    for (i, j), count in np.ndenumerate(matrix):
        if count:
            ax.text(
                j,
                i,
                str(count),
                ha="center",
                va="center",
                fontsize=6,
                color="white" if count > threshold else "black",
            )
    ax.set_title(f"{result.scenario.name}: test accuracy {100 * result.after[1]:.1f}%")
    return _save(fig, path)


def _char_label(c: str) -> str:
    return {"\n": "\\n", " ": "\u2423"}.get(c, c)


def plot_attention(
    result: RunResult, path: str | Path, text: str | None = None, layer: int = -1
) -> Path:
    """The attention weights of every head of one layer (default: the last) of a trained
    GPT over ``text`` (default: the scenario's ``attention_text``), one heat map per head:
    row i is what position i attends to. The upper triangle is empty (Note [Causal
    attention] in ``models/gpt.py``): no position sees a later one."""
    from nanotorch.autograd import no_grad
    from nanotorch.creation import as_tensor

    s, model = result.scenario, result.model
    text = (text if text is not None else s.attention_text)[: model.config.block_size]
    ids = s.tokenizer.encode(text)
    block = model.h[layer]
    index = layer % len(model.h)
    was_training = model.training
    model.eval()
    block.attn.keep_attention = True
    try:
        with no_grad():
            model(as_tensor(ids[None, :], device=result.device))
        weights = block.attn.attention.cpu().numpy()[0]  # (heads, T, T)
    finally:
        block.attn.keep_attention = False
        block.attn.attention = None
        model.train(was_training)
    heads = weights.shape[0]
    cols = min(heads, 2)
    rows = -(-heads // cols)
    fig = _figure(5.2 * cols, 5.0 * rows)
    axes = np.atleast_1d(fig.subplots(rows, cols)).ravel()
    labels = [_char_label(c) for c in text]
    ticks = np.arange(len(text))
    for h, ax in enumerate(axes):
        if h >= heads:
            ax.axis("off")
            continue
        ax.imshow(weights[h], cmap="viridis", vmin=0.0, vmax=1.0)
        ax.set_title(f"head {h}", fontsize=9)
        ax.set_xticks(ticks, labels, fontsize=5, family="monospace")
        ax.set_yticks(ticks, labels, fontsize=5, family="monospace")
        ax.set_xlabel("attends to (key)", fontsize=8)
        ax.set_ylabel("position (query)", fontsize=8)
    fig.suptitle(f"{s.name}: attention of layer {index} (of {len(model.h)}), every head")
    return _save(fig, path)


def plot_sample(
    result: RunResult, path: str | Path, length: int = 400, temperature: float = 0.8
) -> Path:
    """A sample of the trained language model's text, continuing the scenario's
    ``sample_prompt`` (seeded by the run's seed), drawn as a page of monospaced text."""
    from nanotorch.random import Generator

    s = result.scenario
    gen = Generator(result.device).manual_seed(result.seed % 2**64)
    text = s.generate_text(
        result.model, s.sample_prompt, length, temperature=temperature, generator=gen
    )
    # Long lines wrap (an untrained model rarely emits a newline); blank lines stay.
    lines = [part for line in text.rstrip("\n").split("\n") for part in wrap(line, 90) or [""]]
    fig = _figure(7.5, max(3.0, 0.16 * len(lines) + 0.8))
    ax = fig.subplots()
    ax.axis("off")
    ax.text(
        0.0, 1.0, "\n".join(lines), family="monospace", fontsize=8, va="top", transform=ax.transAxes
    )
    fig.suptitle(
        f"{s.name}: {length} sampled characters (temperature {temperature:g}, seed "
        f"{result.seed}); test nll {result.after[1]:.3f}",
        fontsize=9,
    )
    return _save(fig, path)


def output_paths(scenario: Scenario, out_dir: str | Path = DEFAULT_DIR) -> list[Path]:
    """The files ``plot_scenario`` writes for ``scenario``, in order; the CLI checks them
    before training so that a path in the way fails before any work, not after it.

    >>> from nanotorch.scenarios import get_scenario
    >>> [p.name for p in output_paths(get_scenario("xor"), "out")]
    ['xor-data.png', 'xor-boundary.png', 'xor-curves.png']
    """
    out, name = Path(out_dir), scenario.name
    if scenario.plot == "language":
        pictures = [*(["attention"] if getattr(scenario, "attends", False) else []), "sample"]
        return [out / f"{name}-{kind}.png" for kind in (*pictures, "curves")]
    kinds = {"regression": ["fit"], "boundary": ["boundary"]}.get(
        scenario.plot, ["predictions", "confusion"]
    )
    return [out / f"{name}-{kind}.png" for kind in ("data", *kinds, "curves")]


def plot_scenario(result: RunResult, out_dir: str | Path = DEFAULT_DIR) -> list[Path]:
    """Every picture of a trained scenario, as ``<out_dir>/<name>-<what>.png``
    (``output_paths`` lists them)."""
    s = result.scenario
    if s.plot == "language":
        *pictures, curves_path = output_paths(s, out_dir)
        drawn = []
        for path in pictures:
            draw = plot_attention if path.stem.endswith("-attention") else plot_sample
            drawn.append(draw(result, path))
        title = f"{s.name} on {result.device}"
        return [*drawn, plot_curves(result.history, curves_path, title=title)]
    data_path, *fit_paths, curves_path = output_paths(s, out_dir)
    paths = [
        plot_data(
            result.train_set,
            s.plot,
            data_path,
            title=f"{s.name}: training data",
            classes=s.classes,
        )
    ]
    if s.plot == "regression":
        paths.append(plot_regression_fit(result, fit_paths[0]))
    elif s.plot == "boundary":
        paths.append(plot_decision_boundary(result, fit_paths[0]))
    else:
        paths.append(plot_predictions(result, fit_paths[0]))
        paths.append(plot_confusion(result, fit_paths[1]))
    paths.append(plot_curves(result.history, curves_path, title=f"{s.name} on {result.device}"))
    return paths
