"""nanotorch.nn.functional against torch.nn.functional for the functions that take options
beyond a module's: one_hot, normalize, pad modes, softmax's dim and dtype, dropout's training
flag, embedding, batch_norm with running statistics, interpolate, and the parametrised
activations; values and input gradients."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
from nn_compare import close, pair

import nanotorch as nt

R = np.random.default_rng(2)


def randn(*shape: int) -> np.ndarray:
    return R.standard_normal(shape)


# name, call(F, *tensors), input arrays[, options: "nograd" input positions, "tol" dtype]
Case = tuple[Any, ...]
CASES: list[Case] = [
    # The in-place forms on a non-leaf (Note [In-place autograd] in nanotorch/_inplace.py):
    # the update is recorded, so the input's gradient is the out-of-place one.
    ("relu_", lambda F, x: F.relu_(x * 1.0), [randn(3, 4)]),
    ("elu_", lambda F, x: F.elu_(x * 1.0, 0.7), [randn(3, 4)]),
    ("leaky_relu_", lambda F, x: F.leaky_relu_(x * 1.0, 0.2), [randn(3, 4)]),
    ("hardtanh_", lambda F, x: F.hardtanh_(x * 2.0, -1.0, 0.5), [randn(3, 4)]),
    ("threshold_", lambda F, x: F.threshold_(x * 1.0, 0.1, -2.0), [randn(3, 4)]),
    ("selu_", lambda F, x: F.selu_(x * 1.0), [randn(3, 4)]),
    ("celu_", lambda F, x: F.celu_(x * 1.0, 1.5), [randn(3, 4)], {"tol": "float32"}),
    ("rrelu_-eval", lambda F, x: F.rrelu_(x * 1.0), [randn(3, 4)]),
    ("relu-inplace-flag", lambda F, x: F.relu(x + 0.0, inplace=True), [randn(3, 4)]),
    ("silu-inplace-flag", lambda F, x: F.silu(x * 1.0, inplace=True), [randn(3, 4)]),
    ("mish-inplace-flag", lambda F, x: F.mish(x * 1.0, inplace=True), [randn(3, 4)]),
    ("hardswish-inplace-flag", lambda F, x: F.hardswish(x * 1.0, inplace=True), [randn(3, 4)]),
    # PyTorch's slopes at the kinks: hardswish's open middle (0 at -3, 1 at 3); rrelu in
    # eval mode is leaky_relu, whose gradient at 0 is the slope.
    ("hardswish-kinks", lambda F, x: F.hardswish(x), [np.array([-3.0, 3.0, 0.0, -4.0, 4.0])]),
    ("rrelu-eval-at-zero", lambda F, x: F.rrelu(x), [np.array([0.0, -1.0, 2.0])]),
    # A zero vector: PyTorch clamps the norm to eps without letting the clamp into the
    # gradient, which is then finite (large), not nan.
    (
        "cosine_similarity-zero-vector",
        lambda F, a, b: F.cosine_similarity(a, b),
        [np.zeros((3, 4)), randn(3, 4)],
    ),
    ("pdist", lambda F, x: F.pdist(x), [randn(4, 3)]),
    ("pdist-p1", lambda F, x: F.pdist(x, p=1), [randn(4, 3)]),
    (
        "cosine_embedding_loss-int-target",
        lambda F, a, b, t: F.cosine_embedding_loss(a, b, t, margin=0.1),
        [randn(4, 5), randn(4, 5), np.array([1, -1, 1, -1])],
    ),
    ("normalize", lambda F, x: F.normalize(x), [randn(3, 4)]),
    (
        "cosine_similarity-broadcast-along-dim",
        lambda F, a, b: F.cosine_similarity(a, b, 0),
        [randn(3, 4), randn(1, 4)],
    ),
    ("normalize-p1-dim0", lambda F, x: F.normalize(x, p=1, dim=0), [randn(3, 4)]),
    ("normalize-pinf", lambda F, x: F.normalize(x, p=float("inf"), dim=-1), [randn(2, 3, 4)]),
    (
        "normalize-zero-row",
        lambda F, x: F.normalize(x, eps=1e-3),
        [np.array([[0.0, 0.0], [3.0, 4.0]])],
    ),
    ("pad-constant", lambda F, x: F.pad(x, (1, 2)), [randn(2, 3)]),
    ("pad-constant-value", lambda F, x: F.pad(x, (1, 0, 2, 1), value=-2.5), [randn(2, 3, 3)]),
    ("pad-constant-negative", lambda F, x: F.pad(x, (-1, 2)), [randn(2, 4)]),
    ("pad-constant-3pairs", lambda F, x: F.pad(x, (1, 1, 0, 1, 1, 0)), [randn(2, 2, 3)]),
    ("pad-reflect-1d", lambda F, x: F.pad(x, (2, 1), mode="reflect"), [randn(1, 2, 4)]),
    ("pad-reflect-2d", lambda F, x: F.pad(x, (1, 2, 2, 1), mode="reflect"), [randn(1, 2, 3, 4)]),
    (
        "pad-reflect-3d",
        lambda F, x: F.pad(x, (1, 1, 1, 1, 1, 1), mode="reflect"),
        [randn(1, 1, 2, 3, 3)],
    ),
    ("pad-reflect-unbatched", lambda F, x: F.pad(x, (2, 2), mode="reflect"), [randn(2, 4)]),
    ("pad-replicate-1d", lambda F, x: F.pad(x, (3, 1), mode="replicate"), [randn(1, 2, 3)]),
    (
        "pad-replicate-2d",
        lambda F, x: F.pad(x, (0, 2, 1, 1), mode="replicate"),
        [randn(1, 1, 2, 3)],
    ),
    ("pad-circular-1d", lambda F, x: F.pad(x, (2, 1), mode="circular"), [randn(1, 2, 4)]),
    ("pad-circular-2d", lambda F, x: F.pad(x, (1, 1, 2, 0), mode="circular"), [randn(1, 1, 3, 3)]),
    ("softmax", lambda F, x: F.softmax(x, dim=1), [randn(2, 3, 4)]),
    ("softmax-dim0", lambda F, x: F.softmax(x, 0), [randn(2, 3)]),
    ("log_softmax", lambda F, x: F.log_softmax(x, dim=-1), [randn(2, 3, 4) * 5]),
    ("softmin", lambda F, x: F.softmin(x, dim=0), [randn(2, 3)]),
    (
        "softmax-dtype",
        lambda F, x: F.softmax(x, dim=-1, dtype=_dtype(F, "float64")),
        [randn(2, 3).astype(np.float32)],
    ),
    (
        "log_softmax-dtype",
        lambda F, x: F.log_softmax(x, dim=1, dtype=_dtype(F, "float64")),
        [randn(2, 3).astype(np.float32)],
    ),
    ("softmax-input-kw", lambda F, x: F.softmax(input=x, dim=1), [randn(2, 3)]),
    ("dropout-eval", lambda F, x: F.dropout(x, 0.5, training=False), [randn(3, 4)]),
    ("dropout-p0", lambda F, x: F.dropout(x, 0.0), [randn(3, 4)]),
    ("dropout-p1", lambda F, x: F.dropout(x, 1.0), [randn(3, 4)]),
    ("dropout2d-eval", lambda F, x: F.dropout2d(x, 0.3, training=False), [randn(2, 3, 2, 2)]),
    ("linear", lambda F, x, w, b: F.linear(x, w, b), [randn(2, 4), randn(3, 4), randn(3)]),
    ("linear-nobias", lambda F, x, w: F.linear(x, w), [randn(2, 5, 4), randn(3, 4)]),
    ("embedding", lambda F, i, w: F.embedding(i, w), [np.array([[0, 2], [3, 2]]), randn(4, 3)]),
    (
        "embedding-padding",
        lambda F, i, w: F.embedding(i, w, padding_idx=2),
        [np.array([[0, 2], [3, 2]]), randn(4, 3)],
    ),
    (
        "embedding-scale-freq",
        lambda F, i, w: F.embedding(i, w, scale_grad_by_freq=True),
        [np.array([0, 2, 2, 2, 1]), randn(4, 3)],
    ),
    (
        "batch_norm-train",
        lambda F, x, m, v, w, b: F.batch_norm(x, m, v, w, b, training=True),
        [randn(4, 3), randn(3), np.abs(randn(3)) + 0.5, randn(3), randn(3)],
        {"nograd": (1, 2)},
    ),
    (
        "batch_norm-eval",
        lambda F, x, m, v: F.batch_norm(x, m, v),
        [randn(4, 3, 2), randn(3), np.abs(randn(3)) + 0.5],
        {"nograd": (1, 2)},
    ),
    (
        "batch_norm-nostats",
        lambda F, x: F.batch_norm(x, None, None, training=True),
        [randn(4, 3, 2)],
    ),
    (
        "layer_norm",
        lambda F, x, w, b: F.layer_norm(x, (3,), w, b),
        [randn(2, 3), randn(3), randn(3)],
    ),
    (
        "group_norm",
        lambda F, x, w, b: F.group_norm(x, 2, w, b),
        [randn(2, 4, 3), randn(4), randn(4)],
    ),
    ("gelu", lambda F, x: F.gelu(x), [randn(3, 4)]),
    ("gelu-tanh", lambda F, x: F.gelu(x, approximate="tanh"), [randn(3, 4)]),
    ("softplus", lambda F, x: F.softplus(x, beta=3, threshold=2), [randn(3, 4)]),
    ("leaky_relu", lambda F, x: F.leaky_relu(x, 0.3), [randn(3, 4)]),
    ("elu", lambda F, x: F.elu(x, alpha=0.7), [randn(3, 4)]),
    ("celu", lambda F, x: F.celu(x, alpha=0.5), [randn(3, 4)]),
    # PyTorch's float64 celu kernel rounds 1/alpha through float32.
    ("celu-inexact-alpha", lambda F, x: F.celu(x, alpha=0.7), [randn(3, 4)], {"tol": "float32"}),
    ("selu", lambda F, x: F.selu(x), [randn(3, 4)]),
    ("hardtanh", lambda F, x: F.hardtanh(x, -0.3, 0.4), [randn(3, 4)]),
    ("relu6", lambda F, x: F.relu6(x * 5), [randn(3, 4)]),
    ("hardswish", lambda F, x: F.hardswish(x * 3), [randn(3, 4)]),
    ("mish", lambda F, x: F.mish(x), [randn(3, 4)]),
    ("logsigmoid", lambda F, x: F.logsigmoid(x), [randn(3, 4)]),
    ("softsign", lambda F, x: F.softsign(x), [randn(3, 4)]),
    ("silu", lambda F, x: F.silu(x), [randn(3, 4)]),
    ("glu", lambda F, x: F.glu(x, 0), [randn(4, 3)]),
    ("prelu", lambda F, x, w: F.prelu(x, w), [randn(2, 3, 2), randn(3)]),
    (
        "interpolate-nearest-scale",
        lambda F, x: F.interpolate(x, scale_factor=1.7),
        [randn(1, 1, 3, 4)],
    ),
    (
        "interpolate-nearest-recompute",
        lambda F, x: F.interpolate(x, scale_factor=1.7, recompute_scale_factor=True),
        [randn(1, 1, 3, 4)],
    ),
    (
        "interpolate-bilinear-scale",
        lambda F, x: F.interpolate(x, scale_factor=0.6, mode="bilinear"),
        [randn(1, 1, 5, 6)],
    ),
    (
        "interpolate-bicubic-recompute",
        lambda F, x: F.interpolate(
            x, scale_factor=1.5, mode="bicubic", recompute_scale_factor=True
        ),
        [randn(1, 1, 3, 4)],
    ),
    (
        "interpolate-area",
        lambda F, x: F.interpolate(x, size=(2, 3), mode="area"),
        [randn(1, 2, 5, 7)],
    ),
    (
        "interpolate-linear-ac",
        lambda F, x: F.interpolate(x, size=5, mode="linear", align_corners=True),
        [randn(2, 3, 3)],
    ),
    (
        "interpolate-trilinear",
        lambda F, x: F.interpolate(x, size=(3, 2, 4), mode="trilinear"),
        [randn(1, 1, 2, 3, 3)],
    ),
    ("unfold", lambda F, x: F.unfold(x, 2, dilation=1, padding=1, stride=2), [randn(1, 2, 4, 5)]),
    ("fold", lambda F, x: F.fold(x, (3, 4), 2), [randn(1, 4, 6)]),
    (
        "max_pool2d-indices",
        lambda F, x: F.max_pool2d(x, 2, return_indices=True),
        [R.permutation(32).reshape(1, 2, 4, 4) * 1.0],
    ),
    (
        "max_pool1d-indices",
        lambda F, x: F.max_pool1d(x, 3, 2, 1, return_indices=True),
        [R.permutation(14).reshape(1, 2, 7) * 1.0],
    ),
    (
        "adaptive_max_pool2d-indices",
        lambda F, x: F.adaptive_max_pool2d(x, 2, return_indices=True),
        [R.permutation(50).reshape(1, 2, 5, 5) * 1.0],
    ),
    (
        "max_unpool2d",
        lambda F, x: F.max_unpool2d(*F.max_pool2d(x, 2, return_indices=True), 2),
        [R.permutation(32).reshape(1, 2, 4, 4) * 1.0],
    ),
    (
        "max_unpool1d-size",
        lambda F, x: F.max_unpool1d(*F.max_pool1d(x, 2, return_indices=True), 2, output_size=[7]),
        [R.permutation(14).reshape(1, 2, 7) * 1.0],
    ),
    (
        "conv2d",
        lambda F, x, w, b: F.conv2d(x, w, b, stride=2, padding=1, groups=2),
        [randn(1, 4, 5, 5), randn(2, 2, 3, 3), randn(2)],
    ),
    (
        "conv_transpose2d",
        lambda F, x, w: F.conv_transpose2d(x, w, stride=2, output_padding=1),
        [randn(1, 2, 3, 3), randn(2, 3, 2, 2)],
    ),
    (
        "scaled_dot_product_attention-causal",
        lambda F, q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True, scale=0.3),
        [randn(2, 3, 4), randn(2, 3, 4), randn(2, 3, 5)],
    ),
]


def _dtype(F: Any, name: str) -> Any:
    lib = nt if F is nt.nn.functional else torch
    return getattr(lib, name)


def _flat(out: Any) -> list[Any]:
    return list(out) if isinstance(out, (tuple, list)) else [out]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(
    ("call", "arrays", "opts"),
    [(c[1], c[2], c[3] if len(c) > 3 else {}) for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_functional_matches_torch(call, arrays, opts, dtype):
    _compare(call, arrays, opts, dtype, nt.nn.functional, torch.nn.functional)


def _compare(call, arrays, opts, dtype, ours_lib, theirs_lib):  # noqa: ANN001, ANN202
    """``call(lib, *tensors)`` in both libraries: output dtypes and values, then the input
    gradients after a backward pass with a random upstream gradient."""
    dt = None if arrays[0].dtype == np.float32 else dtype
    nograd = opts.get("nograd", ())
    pairs = [
        pair(a, dt, grad=a.dtype.kind == "f" and i not in nograd) for i, a in enumerate(arrays)
    ]
    tol = opts.get("tol", dtype)
    ours = _flat(call(ours_lib, *[p[0] for p in pairs]))
    theirs = _flat(call(theirs_lib, *[p[1] for p in pairs]))
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        assert str(a.dtype).split(".")[-1] == str(b.dtype).split(".")[-1], (a.dtype, b.dtype)
        close(a, b, tol, "output")
    if not any(p[1].requires_grad for p in pairs):
        return
    up = R.standard_normal(tuple(theirs[0].shape)).astype(dtype)
    (theirs[0] * torch.tensor(up)).sum().backward()
    (ours[0] * nt.tensor(up)).sum().backward()
    for i, (a, b) in enumerate(pairs):
        if b.grad is not None:
            assert a.grad is not None, f"input {i} got no gradient"
            close(a.grad, b.grad, tol, f"grad of input {i}")


@pytest.mark.parametrize("num_classes", [-1, 5])
@pytest.mark.parametrize("shape", [(4,), (2, 3), ()])
def test_one_hot_matches_torch(shape, num_classes):
    idx = R.integers(0, 4, shape)
    ours = nt.nn.functional.one_hot(nt.tensor(idx), num_classes)
    theirs = torch.nn.functional.one_hot(torch.tensor(idx), num_classes)
    assert ours.dtype == nt.int64
    close(ours, theirs)


def test_dropout_training_scales_kept_values_like_torch():
    x = np.ones((200, 50))
    n_out = nt.nn.functional.dropout(nt.tensor(x), 0.25, training=True).numpy()
    t_out = torch.nn.functional.dropout(torch.tensor(x), 0.25, training=True).numpy()
    assert set(np.unique(n_out)) == set(np.unique(t_out)) == {0.0, 1 / 0.75}
    assert abs((n_out == 0).mean() - 0.25) < 0.02


def test_batch_norm_updates_running_stats_like_torch():
    x, m, v = randn(5, 3), randn(3), np.abs(randn(3)) + 0.5
    (n_x, t_x), (n_m, t_m), (n_v, t_v) = pair(x), pair(m), pair(v)
    nt.nn.functional.batch_norm(n_x, n_m, n_v, training=True, momentum=0.3)
    torch.nn.functional.batch_norm(t_x, t_m, t_v, training=True, momentum=0.3)
    close(n_m, t_m, what="running_mean")
    close(n_v, t_v, what="running_var (unbiased)")


@pytest.mark.parametrize("name", ["alpha_dropout", "feature_alpha_dropout"])
def test_alpha_dropout_values_and_moments_match_torch(name):
    p = 0.3
    x = np.ones((400, 50, 1))
    n_out = getattr(nt.nn.functional, name)(nt.tensor(x), p, training=True).numpy()
    t_out = getattr(torch.nn.functional, name)(torch.tensor(x), p, training=True).numpy()
    np.testing.assert_allclose(np.unique(n_out), np.unique(t_out), rtol=1e-12)
    z = R.standard_normal((400, 200))
    out = getattr(nt.nn.functional, name)(nt.tensor(z), p, training=True).numpy()
    assert abs(out.mean()) < 0.05 and abs(out.std() - 1) < 0.05  # SELU's fixed point kept


@pytest.mark.parametrize(
    ("name", "shape", "per"),
    [("dropout1d", (300, 40, 5), (2,)), ("dropout3d", (300, 40, 2, 2, 2), (2, 3, 4))],
)
def test_channel_dropout_drops_whole_channels_like_torch(name, shape, per):
    x = np.ones(shape)
    n_out = getattr(nt.nn.functional, name)(nt.tensor(x), 0.4).numpy()
    t_out = getattr(torch.nn.functional, name)(torch.tensor(x), 0.4).numpy()
    for out in (n_out, t_out):
        assert set(np.unique(out)) == {0.0, 1 / 0.6}
        assert np.all(out.min(axis=per) == out.max(axis=per))  # constant per channel
    assert abs((n_out == 0).mean() - 0.4) < 0.03


def _pos(*shape: int) -> np.ndarray:
    return R.uniform(0.5, 2.0, shape)


def _signs(*shape: int) -> np.ndarray:
    return np.where(R.uniform(size=shape) < 0.5, -1.0, 1.0)


# The top-level forms (torch.layer_norm, torch.embedding, ...) with PyTorch's top-level
# argument order: Note [Top-level functional forms] in nanotorch/nn/toplevel.py.
TOPLEVEL: list[Case] = [
    (
        "layer_norm",
        lambda L, x, w, b: L.layer_norm(x, (4,), w, b, 1e-5, True),
        [randn(2, 3, 4), randn(4), randn(4)],
    ),
    ("layer_norm-plain", lambda L, x: L.layer_norm(x, [3, 4]), [randn(2, 3, 4)]),
    (
        "group_norm",
        lambda L, x, w, b: L.group_norm(x, 2, w, b),
        [randn(2, 4, 3), randn(4), randn(4)],
    ),
    (
        "batch_norm-train",
        lambda L, x, w, b, m, v: L.batch_norm(x, w, b, m, v, True, 0.1, 1e-5, False),
        [randn(5, 3), randn(3), randn(3), randn(3), _pos(3)],
        {"nograd": (3, 4)},
    ),
    (
        "batch_norm-eval",
        lambda L, x, w, b, m, v: L.batch_norm(x, w, b, m, v, False, 0.1, 1e-5, False),
        [randn(5, 3, 2), randn(3), randn(3), randn(3), _pos(3)],
        {"nograd": (3, 4)},
    ),
    (
        "instance_norm",
        lambda L, x, w, b: L.instance_norm(x, w, b, None, None, True, 0.1, 1e-5, False),
        [randn(2, 3, 4), randn(3), randn(3)],
    ),
    ("rms_norm", lambda L, x, w: L.rms_norm(x, [4], w), [randn(2, 3, 4), randn(4)]),
    ("rms_norm-eps", lambda L, x: L.rms_norm(x, (3, 4), eps=1e-3), [randn(2, 3, 4)]),
    ("embedding", lambda L, w, i: L.embedding(w, i), [randn(5, 3), np.array([[0, 4], [2, 2]])]),
    (
        "embedding-no-padding",
        lambda L, w, i: L.embedding(w, i, -1),
        [randn(5, 3), np.array([4, 4, 1])],
    ),
    (
        "embedding-padding",
        lambda L, w, i: L.embedding(w, i, 2),
        [randn(5, 3), np.array([[0, 2], [2, 1]])],
    ),
    ("dropout-eval", lambda L, x: L.dropout(x, 0.5, False), [randn(3, 4)]),
    ("dropout-p0", lambda L, x: L.dropout(x, 0.0, True), [randn(3, 4)]),
    ("feature_dropout-eval", lambda L, x: L.feature_dropout(x, 0.5, False), [randn(2, 3, 4)]),
    ("feature_dropout-p1", lambda L, x: L.feature_dropout(x, 1.0, True), [randn(2, 3, 4)]),
    # Values only: PyTorch has no derivative for native_channel_shuffle.
    (
        "native_channel_shuffle",
        lambda L, x: L.native_channel_shuffle(x, 2),
        [randn(1, 4, 3)],
        {"nograd": (0,)},
    ),
    ("alpha_dropout-eval", lambda L, x: L.alpha_dropout(x, 0.3, False), [randn(3, 4)]),
    (
        "feature_alpha_dropout-eval",
        lambda L, x: L.feature_alpha_dropout(x, 0.3, False),
        [randn(2, 3, 4)],
    ),
    (
        "bilinear",
        lambda L, a, b, w, c: L.bilinear(a, b, w, c),
        [randn(2, 3), randn(2, 4), randn(5, 3, 4), randn(5)],
    ),
    (
        "bilinear-nobias",
        lambda L, a, b, w: L.bilinear(a, b, w),
        [randn(2, 3), randn(2, 4), randn(5, 3, 4)],
    ),
    ("prelu", lambda L, x, w: L.prelu(x, w), [randn(2, 3, 4), _pos(3) * 0.2]),
    ("rrelu-eval", lambda L, x: L.rrelu(x), [randn(3, 4)]),
    ("rrelu-eval-bounds", lambda L, x: L.rrelu(x, 0.1, 0.3, False), [randn(3, 4)]),
    ("selu", lambda L, x: L.selu(x), [randn(3, 4)]),
    ("celu", lambda L, x: L.celu(x, 2.0), [randn(3, 4)]),
    ("celu-default", lambda L, x: L.celu(x), [randn(3, 4)]),
    ("threshold", lambda L, x: L.threshold(x, 0.1, -2.0), [randn(3, 4)]),
    ("hardshrink", lambda L, x: L.hardshrink(x), [randn(3, 4)]),
    ("hardshrink-lambd", lambda L, x: L.hardshrink(x, 1.0), [randn(3, 4)]),
    ("cosine_similarity", lambda L, a, b: L.cosine_similarity(a, b), [randn(3, 4), randn(3, 4)]),
    (
        "cosine_similarity-dim",
        lambda L, a, b: L.cosine_similarity(a, b, 0, 1e-6),
        [randn(3, 4), randn(1, 4)],
    ),
    ("pairwise_distance", lambda L, a, b: L.pairwise_distance(a, b), [randn(3, 4), randn(3, 4)]),
    (
        "pairwise_distance-p1",
        lambda L, a, b: L.pairwise_distance(a, b, 1.0, 1e-6, True),
        [randn(3, 4), randn(3, 4)],
    ),
    ("pixel_shuffle", lambda L, x: L.pixel_shuffle(x, 2), [randn(1, 8, 2, 3)]),
    ("pixel_unshuffle", lambda L, x: L.pixel_unshuffle(x, 2), [randn(1, 2, 4, 6)]),
    ("channel_shuffle-top", lambda L, x: L.channel_shuffle(x, 3), [randn(2, 6, 2)]),
    ("kl_div", lambda L, x, t: L.kl_div(x, t), [randn(3, 4), _pos(3, 4)]),
    ("kl_div-none", lambda L, x, t: L.kl_div(x, t, 0), [randn(3, 4), _pos(3, 4)]),
    (
        "kl_div-sum-log",
        lambda L, x, t: L.kl_div(x, t, 2, log_target=True),
        [randn(3, 4), randn(3, 4)],
    ),
    (
        "margin_ranking_loss",
        lambda L, a, b, y: L.margin_ranking_loss(a, b, y, 0.3),
        [randn(5), randn(5), _signs(5)],
        {"nograd": (2,)},
    ),
    (
        "margin_ranking_loss-sum",
        lambda L, a, b, y: L.margin_ranking_loss(a, b, y, 0.0, 2),
        [randn(5), randn(5), _signs(5)],
        {"nograd": (2,)},
    ),
    (
        "hinge_embedding_loss",
        lambda L, x, y: L.hinge_embedding_loss(x, y),
        [randn(6), _signs(6)],
        {"nograd": (1,)},
    ),
    (
        "hinge_embedding_loss-none",
        lambda L, x, y: L.hinge_embedding_loss(x, y, 0.5, 0),
        [randn(6), _signs(6)],
        {"nograd": (1,)},
    ),
    (
        "triplet_margin_loss",
        lambda L, a, p, n: L.triplet_margin_loss(a, p, n),
        [randn(4, 3), randn(4, 3), randn(4, 3)],
    ),
    (
        "triplet_margin_loss-swap",
        lambda L, a, p, n: L.triplet_margin_loss(a, p, n, 0.5, 1.0, 1e-6, True, 2),
        [randn(4, 3), randn(4, 3), randn(4, 3)],
    ),
    (
        "cosine_embedding_loss",
        lambda L, a, b, y: L.cosine_embedding_loss(a, b, y, 0.2),
        [randn(4, 3), randn(4, 3), _signs(4)],
        {"nograd": (2,)},
    ),
    (
        "poisson_nll_loss",
        lambda L, x, t: L.poisson_nll_loss(x, t, True, False, 1e-8, 1),
        [randn(5), _pos(5)],
        {"nograd": (1,)},
    ),
    (
        "poisson_nll_loss-full",
        lambda L, x, t: L.poisson_nll_loss(x, t, False, True, 1e-8, 2),
        [_pos(5), _pos(5) * 3],
        {"nograd": (1,)},
    ),
    (
        "binary_cross_entropy_with_logits",
        lambda L, x, t: L.binary_cross_entropy_with_logits(x, t),
        [randn(3, 4), R.uniform(size=(3, 4))],
        {"nograd": (1,)},
    ),
    (
        "binary_cross_entropy_with_logits-weights",
        lambda L, x, t, w, pw: L.binary_cross_entropy_with_logits(x, t, w, pw, 0),
        [randn(3, 4), R.uniform(size=(3, 4)), _pos(4), _pos(4)],
        {"nograd": (1, 2, 3)},
    ),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(
    ("call", "arrays", "opts"),
    [(c[1], c[2], c[3] if len(c) > 3 else {}) for c in TOPLEVEL],
    ids=[c[0] for c in TOPLEVEL],
)
def test_toplevel_functional_forms_match_torch(call, arrays, opts, dtype):
    _compare(call, arrays, opts, dtype, nt, torch)


@pytest.mark.parametrize(
    "call",
    [
        lambda L, x: L.kl_div(x, x, "mean"),
        lambda L, x: L.binary_cross_entropy_with_logits(x, x, None, None, "sum"),
        lambda L, x: L.dropout(x),
        lambda L, x: L.batch_norm(x, None, None, None, None, True, 0.1),
    ],
    ids=["kl_div-str-reduction", "bce-str-reduction", "dropout-no-p", "batch_norm-short"],
)
def test_toplevel_functional_forms_reject_what_torch_rejects(call):
    """The top-level forms take PyTorch's top-level arguments only: an int reduction, and
    every required argument; a functional-style call fails in both libraries alike."""
    x = np.ones((2, 3))
    with pytest.raises(TypeError) as theirs:
        call(torch, torch.tensor(x))
    with pytest.raises(TypeError, match=r"reduction must be an int|missing|argument"):
        call(nt, nt.tensor(x))
    assert theirs.value is not None


@pytest.mark.parametrize("shape", [(40, 30, 4), (300, 40)])
def test_feature_dropout_drops_whole_features_like_torch(shape):
    """One draw per (n, c): within a feature every value is kept or every value is zero,
    the kept ones scaled by 1 / (1 - p), about p of the features dropped; both libraries."""
    x = np.ones(shape)
    for out in (
        nt.feature_dropout(nt.tensor(x), 0.25, True).numpy(),
        torch.feature_dropout(torch.tensor(x), 0.25, True).numpy(),
    ):
        flat = out.reshape(shape[0], shape[1], -1)
        assert np.all(flat.min(-1) == flat.max(-1))
        assert set(np.unique(out)) == {0.0, 1 / 0.75}
        assert abs((flat[..., 0] == 0).mean() - 0.25) < 0.05
    with pytest.raises(RuntimeError):
        torch.feature_dropout(torch.ones(3), 0.5, True)
    with pytest.raises(RuntimeError, match=r"feature_dropout: needs an \(N, C, \*\) input"):
        nt.feature_dropout(nt.ones(3), 0.5, True)


@pytest.mark.parametrize(
    "call",
    [
        lambda L, x: L.nn.functional.binary_cross_entropy(x + 1.0, x),
        lambda L, x: L.nn.functional.conv2d(x, x[:1], padding="same", stride=2),
        lambda L, x: L.nn.functional.max_pool2d(x, 2, padding=2),
        lambda L, x: L.nn.functional.avg_pool2d(x, 2, padding=2),
        lambda L, x: L.nn.functional.max_pool1d(x[0], 2, padding=2),
        lambda L, x: L.nn.functional.avg_pool1d(x[0], 2, padding=2),
        lambda L, x: L.nn.functional.linear(x[0, 0], x[0, 0].float()),
        lambda L, x: L.nn.functional.conv2d(x, x.float()),
    ],
    ids=[
        "bce-out-of-range",
        "conv2d-same-strided",
        "max_pool2d-padding",
        "avg_pool2d-padding",
        "max_pool1d-padding",
        "avg_pool1d-padding",
        "linear-weight-dtype",
        "conv2d-weight-dtype",
    ],
)
def test_functional_value_errors_are_runtime_errors_like_torch(call):
    """Where PyTorch raises RuntimeError for a bad value, nanotorch's error is one too (it may
    also be a ValueError)."""
    x = np.full((1, 2, 4, 4), 0.5)
    with pytest.raises(RuntimeError):
        call(torch, torch.tensor(x))
    with pytest.raises(RuntimeError):
        call(nt, nt.tensor(x))


_ACTIVATIONS = {
    "relu": lambda F, x: F.relu(x),
    "relu6": lambda F, x: F.relu6(x),
    "hardtanh": lambda F, x: F.hardtanh(x),
    "elu": lambda F, x: F.elu(x),
    "selu": lambda F, x: F.selu(x),
    "celu": lambda F, x: F.celu(x),
    "gelu": lambda F, x: F.gelu(x),
    "silu": lambda F, x: F.silu(x),
    "mish": lambda F, x: F.mish(x),
    "softplus": lambda F, x: F.softplus(x),
    "softsign": lambda F, x: F.softsign(x),
    "tanhshrink": lambda F, x: F.tanhshrink(x),
    "hardswish": lambda F, x: F.hardswish(x),
    "hardsigmoid": lambda F, x: F.hardsigmoid(x),
    "leaky_relu": lambda F, x: F.leaky_relu(x),
    "logsigmoid": lambda F, x: F.logsigmoid(x),
    "sigmoid": lambda F, x: F.sigmoid(x),
    "tanh": lambda F, x: F.tanh(x),
    "softshrink": lambda F, x: F.softshrink(x),
    "hardshrink": lambda F, x: F.hardshrink(x),
    "threshold": lambda F, x: F.threshold(x, 0.5, 0),
    "glu": lambda F, x: F.glu(x, 0),
    "rrelu": lambda F, x: F.rrelu(x),
}


@pytest.mark.parametrize("kind", ["int64", "bool"])
@pytest.mark.parametrize("name", sorted(_ACTIVATIONS))
def test_activation_on_integer_input_matches_torch(name, kind):
    """On integer and bool tensors an activation either works in both libraries, with the
    same dtype and values, or raises in both (a RuntimeError, PyTorch's "not implemented
    for 'Long'")."""
    arr = np.array([1, -2, 3, 0]) if kind == "int64" else np.array([True, False, True, True])
    call = _ACTIVATIONS[name]
    try:
        theirs = call(torch.nn.functional, torch.tensor(arr))
    except RuntimeError:
        with pytest.raises(RuntimeError, match=name):
            call(nt.nn.functional, nt.tensor(arr))
        return
    ours = call(nt.nn.functional, nt.tensor(arr))
    assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
    close(ours, theirs, "float32", name)
