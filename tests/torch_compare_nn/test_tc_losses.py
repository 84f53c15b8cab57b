"""Every nanotorch loss against PyTorch's: functional and module forms, every reduction, class
weights, ignore_index, label smoothing, probability targets, (N, C, d1, ...) shapes,
pos_weight, log_target, beta/delta; values and the gradients of input (and float target)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
from nn_compare import close, pair

import nanotorch as nt

R = np.random.default_rng(1)
REDUCTIONS = ["mean", "sum", "none"]


def randn(*shape: int) -> np.ndarray:
    return R.standard_normal(shape)


def probs(*shape: int, axis: int = 1) -> np.ndarray:
    e = np.exp(randn(*shape))
    return e / e.sum(axis=axis, keepdims=True)


def unit(*shape: int) -> np.ndarray:
    return R.uniform(0.05, 0.95, shape)


def labels(high: int, *shape: int) -> np.ndarray:
    return R.integers(0, high, shape).astype(np.int64)


def with_ignored(t: np.ndarray, value: int = -100) -> np.ndarray:
    t = t.copy()
    t.flat[::3] = value
    return t


ZERO_TARGET = np.array([[0.0, 0.5, 0.5]] * 2)

# name, functional name, [input, target], kwargs; tensors in kwargs are given as arrays.
Case = tuple[str, str, list[np.ndarray], dict[str, Any]]
POINTWISE: list[Case] = [
    ("mse", "mse_loss", [randn(3, 4), randn(3, 4)], {}),
    ("mse-broadcast-free-0d", "mse_loss", [randn(), randn()], {}),
    ("l1", "l1_loss", [randn(3, 4), randn(3, 4)], {}),
    ("smooth_l1", "smooth_l1_loss", [randn(3, 4), randn(3, 4)], {}),
    ("smooth_l1-beta", "smooth_l1_loss", [randn(3, 4), randn(3, 4)], {"beta": 0.5}),
    ("smooth_l1-beta0", "smooth_l1_loss", [randn(3, 4), randn(3, 4)], {"beta": 0.0}),
    ("huber", "huber_loss", [randn(3, 4) * 2, randn(3, 4)], {}),
    ("huber-delta", "huber_loss", [randn(3, 4) * 2, randn(3, 4)], {"delta": 0.3}),
    ("bce", "binary_cross_entropy", [unit(3, 4), unit(3, 4)], {}),
    ("bce-weight", "binary_cross_entropy", [unit(3, 4), unit(3, 4)], {"weight": unit(4)}),
    ("bce-hard", "binary_cross_entropy", [unit(5), (randn(5) > 0).astype(float)], {}),
    ("bce_logits", "binary_cross_entropy_with_logits", [randn(3, 4) * 3, unit(3, 4)], {}),
    (
        "bce_logits-weight",
        "binary_cross_entropy_with_logits",
        [randn(3, 4), unit(3, 4)],
        {"weight": unit(3, 1)},
    ),
    (
        "bce_logits-pos_weight",
        "binary_cross_entropy_with_logits",
        [randn(3, 4), unit(3, 4)],
        {"pos_weight": unit(4) * 3},
    ),
    (
        "bce_logits-both",
        "binary_cross_entropy_with_logits",
        [randn(2, 3), unit(2, 3)],
        {"pos_weight": unit(3) * 3, "weight": unit(3)},
    ),
    ("kl_div", "kl_div", [np.log(probs(3, 4)), probs(3, 4)], {}),
    ("kl_div-zero-target", "kl_div", [np.log(probs(2, 3)), ZERO_TARGET], {"_target_grad": False}),
    (
        "kl_div-log_target",
        "kl_div",
        [np.log(probs(3, 4)), np.log(probs(3, 4))],
        {"log_target": True},
    ),
]

CLASSWISE: list[Case] = [
    ("ce", "cross_entropy", [randn(4, 5), labels(5, 4)], {}),
    ("ce-unbatched", "cross_entropy", [randn(5), np.array(2)], {}),
    ("ce-weight", "cross_entropy", [randn(4, 5), labels(5, 4)], {"weight": unit(5)}),
    ("ce-ignore", "cross_entropy", [randn(6, 5), with_ignored(labels(5, 6))], {}),
    (
        "ce-ignore-custom",
        "cross_entropy",
        [randn(6, 5), with_ignored(labels(5, 6), 2)],
        {"ignore_index": 2, "weight": unit(5)},
    ),
    ("ce-smoothing", "cross_entropy", [randn(4, 5), labels(5, 4)], {"label_smoothing": 0.2}),
    (
        "ce-smoothing-weight-ignore",
        "cross_entropy",
        [randn(6, 5), with_ignored(labels(5, 6))],
        {"label_smoothing": 0.1, "weight": unit(5)},
    ),
    ("ce-nd", "cross_entropy", [randn(2, 4, 3, 2), labels(4, 2, 3, 2)], {}),
    (
        "ce-nd-weight-ignore-smooth",
        "cross_entropy",
        [randn(2, 4, 3), with_ignored(labels(4, 2, 3))],
        {"weight": unit(4), "label_smoothing": 0.3},
    ),
    ("ce-probs", "cross_entropy", [randn(4, 5), probs(4, 5)], {}),
    (
        "ce-probs-weight-smooth",
        "cross_entropy",
        [randn(4, 5), probs(4, 5)],
        {"weight": unit(5), "label_smoothing": 0.25},
    ),
    ("ce-probs-nd", "cross_entropy", [randn(2, 3, 4), probs(2, 3, 4)], {}),
    ("nll", "nll_loss", [np.log(probs(4, 5)), labels(5, 4)], {}),
    (
        "nll-weight-ignore",
        "nll_loss",
        [np.log(probs(6, 5)), with_ignored(labels(5, 6))],
        {"weight": unit(5)},
    ),
    ("nll-nd", "nll_loss", [np.log(probs(2, 3, 2, 2)), labels(3, 2, 2, 2)], {"weight": unit(3)}),
    ("nll-unbatched", "nll_loss", [np.log(probs(5, axis=0)), np.array(3)], {}),
]

MODULE = {
    "mse_loss": "MSELoss",
    "l1_loss": "L1Loss",
    "smooth_l1_loss": "SmoothL1Loss",
    "huber_loss": "HuberLoss",
    "binary_cross_entropy": "BCELoss",
    "binary_cross_entropy_with_logits": "BCEWithLogitsLoss",
    "kl_div": "KLDivLoss",
    "cross_entropy": "CrossEntropyLoss",
    "nll_loss": "NLLLoss",
}


def _run(lib: Any, form: str, fn: str, inputs: list[Any], kw: dict[str, Any]) -> Any:
    if form == "functional":
        return getattr(lib.nn.functional, fn)(*inputs, **kw)
    return getattr(lib.nn, MODULE[fn])(**kw)(*inputs)


def _check(
    fn: str, arrays: list[np.ndarray], kw: dict[str, Any], reduction: str, dtype: str, form: str
) -> None:
    (n_x, t_x), (n_y, t_y) = (pair(a, dtype, grad=a.dtype.kind == "f") for a in arrays)
    kw = dict(kw)
    target_grad = kw.pop("_target_grad", True)
    n_kw: dict[str, Any] = {"reduction": reduction}
    t_kw: dict[str, Any] = {"reduction": reduction}
    for k, v in kw.items():
        if isinstance(v, np.ndarray):
            n_kw[k], t_kw[k] = pair(v, dtype)
        else:
            n_kw[k] = t_kw[k] = v
    ours = _run(nt, form, fn, [n_x, n_y], n_kw)
    theirs = _run(torch, form, fn, [t_x, t_y], t_kw)
    close(ours, theirs, dtype, "loss")
    up = R.standard_normal(tuple(theirs.shape)).astype(dtype)
    (theirs * torch.tensor(up)).sum().backward()
    (ours * nt.tensor(up)).sum().backward()
    close(n_x.grad, t_x.grad, dtype, "grad of input")
    if t_y.requires_grad and target_grad:
        assert n_y.grad is not None, "target got no gradient"
        close(n_y.grad, t_y.grad, dtype, "grad of target")


@pytest.mark.parametrize("form", ["functional", "module"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(
    ("fn", "arrays", "kw"),
    [c[1:] for c in POINTWISE + CLASSWISE],
    ids=[c[0] for c in POINTWISE + CLASSWISE],
)
def test_loss_matches_torch(fn, arrays, kw, reduction, dtype, form):
    _check(fn, arrays, kw, reduction, dtype, form)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(
    ("fn", "arrays"),
    [
        ("kl_div", [np.log(probs(3, 4)), probs(3, 4)]),
        ("kl_div", [np.log(probs(3, 4)), np.log(probs(3, 4))]),
    ],
    ids=["prob", "log"],
)
def test_kl_div_batchmean_matches_torch(fn, arrays, dtype):
    log_target = arrays[1].max() < 0
    _check(fn, arrays, {"log_target": bool(log_target)}, "batchmean", dtype, "functional")


def test_cross_entropy_all_ignored_mean_is_nan_like_torch():
    x = randn(3, 4)
    t = np.full(3, -100)
    (n_x, t_x), (n_t, t_t) = pair(x, grad=True), pair(t)
    ours = nt.nn.functional.cross_entropy(n_x, n_t)
    theirs = torch.nn.functional.cross_entropy(t_x, t_t)
    assert np.isnan(ours.item()) and np.isnan(theirs.item())
    # No target counts, so no logit gets a gradient: zeros, not 0 / 0.
    ours.backward()
    theirs.backward()
    close(n_x.grad, t_x.grad, "float64", "grad of input")


@pytest.mark.xfail(
    strict=True,
    reason="deliberate: kl_div's target gradient where target == 0 is -input in nanotorch "
    "(the limit of t log t), nan in PyTorch; see discovery/pytorch-differences.md",
)
def test_kl_div_target_grad_at_zero_target_matches_torch():
    _check("kl_div", [np.log(probs(2, 3)), ZERO_TARGET], {}, "sum", "float64", "functional")


def signs(*shape: int) -> np.ndarray:
    return np.where(R.standard_normal(shape) > 0, 1.0, -1.0)


# More losses: name, functional name, inputs (floats require grad), kwargs; class weights are
# arrays in kwargs.
MORE: list[tuple[str, str, list[np.ndarray], dict[str, Any]]] = [
    ("soft_margin", "soft_margin_loss", [randn(3, 4), signs(3, 4)], {}),
    ("margin_ranking", "margin_ranking_loss", [randn(5), randn(5), signs(5)], {}),
    (
        "margin_ranking-margin",
        "margin_ranking_loss",
        [randn(5), randn(5), signs(5)],
        {"margin": 0.5},
    ),
    ("hinge_embedding", "hinge_embedding_loss", [randn(3, 4), signs(3, 4)], {}),
    ("hinge_embedding-margin", "hinge_embedding_loss", [randn(6), signs(6)], {"margin": 0.3}),
    ("cosine_embedding", "cosine_embedding_loss", [randn(4, 3), randn(4, 3), signs(4)], {}),
    (
        "cosine_embedding-margin",
        "cosine_embedding_loss",
        [randn(4, 3), randn(4, 3), signs(4)],
        {"margin": 0.2},
    ),
    ("multi_margin", "multi_margin_loss", [randn(4, 5), labels(5, 4)], {}),
    (
        "multi_margin-p2-margin-weight",
        "multi_margin_loss",
        [randn(4, 5), labels(5, 4)],
        {"p": 2, "margin": 0.7, "weight": unit(5)},
    ),
    ("multi_margin-unbatched", "multi_margin_loss", [randn(5), np.array(3)], {}),
    (
        "multilabel_soft_margin",
        "multilabel_soft_margin_loss",
        [randn(3, 4), (randn(3, 4) > 0).astype(float)],
        {},
    ),
    (
        "multilabel_soft_margin-weight",
        "multilabel_soft_margin_loss",
        [randn(3, 4), (randn(3, 4) > 0).astype(float)],
        {"weight": unit(4)},
    ),
    ("triplet_margin", "triplet_margin_loss", [randn(4, 3), randn(4, 3), randn(4, 3)], {}),
    (
        "triplet_margin-p1-swap",
        "triplet_margin_loss",
        [randn(4, 3), randn(4, 3), randn(4, 3)],
        {"p": 1.0, "swap": True, "margin": 2.0},
    ),
    (
        "triplet_with_distance",
        "triplet_margin_with_distance_loss",
        [randn(4, 3), randn(4, 3), randn(4, 3)],
        {},
    ),
    (
        "triplet_with_distance-cosine-swap",
        "triplet_margin_with_distance_loss",
        [randn(4, 3), randn(4, 3), randn(4, 3)],
        {"swap": True, "margin": 0.5, "distance_function": "cosine"},
    ),
    (
        "multilabel_margin",
        "multilabel_margin_loss",
        [randn(3, 5), np.array([[3, 0, -1, 1, 1], [4, 1, 2, 0, 3], [-1, 2, 0, 0, 0]])],
        {},
    ),
    (
        "multilabel_margin-unbatched",
        "multilabel_margin_loss",
        [randn(4), np.array([2, 3, -1, 0])],
        {},
    ),
    ("poisson_nll", "poisson_nll_loss", [randn(3, 4), np.abs(randn(3, 4)) * 3], {}),
    (
        "poisson_nll-full",
        "poisson_nll_loss",
        [randn(3, 4), np.abs(randn(3, 4)) * 3],
        {"full": True},
    ),
    (
        "poisson_nll-rates",
        "poisson_nll_loss",
        [unit(3, 4) * 4, np.abs(randn(3, 4)) * 3],
        {"log_input": False},
    ),
    ("gaussian_nll", "gaussian_nll_loss", [randn(3, 4), randn(3, 4), unit(3, 4)], {}),
    (
        "gaussian_nll-full-var-per-sample",
        "gaussian_nll_loss",
        [randn(3, 4), randn(3, 4), unit(3)],
        {"full": True},
    ),
    ("gaussian_nll-var-last-1", "gaussian_nll_loss", [randn(3, 4), randn(3, 4), unit(3, 1)], {}),
    (
        "gaussian_nll-clamped",
        "gaussian_nll_loss",
        [randn(2, 3), randn(2, 3), np.array([[1e-9, 0.5, 1.0], [2.0, 1e-8, 0.3]])],
        {"eps": 1e-3},
    ),
]

MORE_MODULE = {
    "soft_margin_loss": "SoftMarginLoss",
    "margin_ranking_loss": "MarginRankingLoss",
    "hinge_embedding_loss": "HingeEmbeddingLoss",
    "cosine_embedding_loss": "CosineEmbeddingLoss",
    "multi_margin_loss": "MultiMarginLoss",
    "multilabel_soft_margin_loss": "MultiLabelSoftMarginLoss",
    "triplet_margin_loss": "TripletMarginLoss",
    "poisson_nll_loss": "PoissonNLLLoss",
    "multilabel_margin_loss": "MultiLabelMarginLoss",
    "triplet_margin_with_distance_loss": "TripletMarginWithDistanceLoss",
    "gaussian_nll_loss": "GaussianNLLLoss",
}

# Inputs whose gradient PyTorch defines (targets and labels excluded).
_GRAD_INPUTS = {
    "triplet_margin_with_distance_loss": 3,
    "margin_ranking_loss": 2,
    "cosine_embedding_loss": 2,
    "triplet_margin_loss": 3,
    "gaussian_nll_loss": 3,
}


@pytest.mark.parametrize("form", ["functional", "module"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(("fn", "arrays", "kw"), [c[1:] for c in MORE], ids=[c[0] for c in MORE])
def test_more_losses_match_torch(fn, arrays, kw, reduction, dtype, form):
    n_grad = _GRAD_INPUTS.get(fn, 1)
    pairs = [pair(a, dtype, grad=i < n_grad) for i, a in enumerate(arrays)]
    n_kw: dict[str, Any] = {"reduction": reduction}
    t_kw: dict[str, Any] = {"reduction": reduction}
    for k, v in kw.items():
        if isinstance(v, np.ndarray):
            n_kw[k], t_kw[k] = pair(v, dtype)
        elif v == "cosine":  # a distance built from each library's own ops
            n_kw[k] = lambda a, b: 1 - nt.nn.functional.cosine_similarity(a, b)
            t_kw[k] = lambda a, b: 1 - torch.nn.functional.cosine_similarity(a, b)
        else:
            n_kw[k] = t_kw[k] = v
    if form == "functional":
        ours = getattr(nt.nn.functional, fn)(*[p[0] for p in pairs], **n_kw)
        theirs = getattr(torch.nn.functional, fn)(*[p[1] for p in pairs], **t_kw)
    else:
        ours = getattr(nt.nn, MORE_MODULE[fn])(**n_kw)(*[p[0] for p in pairs])
        theirs = getattr(torch.nn, MORE_MODULE[fn])(**t_kw)(*[p[1] for p in pairs])
    close(ours, theirs, dtype, "loss")
    up = R.standard_normal(tuple(theirs.shape)).astype(dtype)
    (theirs * torch.tensor(up)).sum().backward()
    (ours * nt.tensor(up)).sum().backward()
    for i, (a, b) in enumerate(pairs[:n_grad]):
        close(a.grad, b.grad, dtype, f"grad of input {i}")


_MIXED = {
    "mse_loss": lambda F, x, t: F.mse_loss(x, t),
    "l1_loss": lambda F, x, t: F.l1_loss(x, t, reduction="sum"),
    "smooth_l1_loss": lambda F, x, t: F.smooth_l1_loss(x, t, reduction="none"),
    "huber_loss": lambda F, x, t: F.huber_loss(x, t),
    "soft_margin_loss": lambda F, x, t: F.soft_margin_loss(x, t),
    "hinge_embedding_loss": lambda F, x, t: F.hinge_embedding_loss(x, t),
    "binary_cross_entropy": lambda F, x, t: F.binary_cross_entropy(x, t),
    "binary_cross_entropy_with_logits": lambda F, x, t: F.binary_cross_entropy_with_logits(x, t),
    "kl_div": lambda F, x, t: F.kl_div(x, t, reduction="sum"),
    "poisson_nll_loss": lambda F, x, t: F.poisson_nll_loss(x, t),
    "multilabel_soft_margin_loss": lambda F, x, t: F.multilabel_soft_margin_loss(x, t),
    "cross_entropy-probs": lambda F, x, t: F.cross_entropy(x, t),
}


@pytest.mark.parametrize(
    ("x_dtype", "t_dtype"), [("float32", "float64"), ("float64", "float32"), ("float32", "int64")]
)
@pytest.mark.parametrize("name", sorted(_MIXED))
def test_loss_with_target_of_another_dtype_matches_torch(name, x_dtype, t_dtype):
    """A target of another dtype (float64 from NumPy, integer labels) is promoted as PyTorch
    does: the result's dtype, values and the input's gradient agree, or both raise a
    RuntimeError where PyTorch refuses the pair (binary_cross_entropy, an integer target
    for the losses that write into the target's dtype)."""
    x = R.uniform(0.1, 0.9, size=(3, 4)).astype(x_dtype)
    t = R.uniform(0.1, 0.9, size=(3, 4))
    t = (t * 2).round().astype(t_dtype) if t_dtype == "int64" else t.astype(t_dtype)
    call = _MIXED[name]
    t_x, t_t = torch.tensor(x, requires_grad=True), torch.tensor(t)
    n_x, n_t = nt.tensor(x, requires_grad=True), nt.tensor(t)
    try:
        theirs = call(torch.nn.functional, t_x, t_t)
    except RuntimeError:
        with pytest.raises(RuntimeError, match=name.split("-")[0]):
            call(nt.nn.functional, n_x, n_t)
        return
    ours = call(nt.nn.functional, n_x, n_t)
    assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
    close(ours, theirs, "float32", "loss")
    ours.sum().backward()
    assert n_x.grad.dtype == n_x.dtype
    try:
        theirs.sum().backward()
    except RuntimeError:
        # PyTorch 2.13's huber_loss backward fails on mixed dtypes ("Found dtype Double but
        # expected Float"); nanotorch's gradient is the same-dtype one.
        assert name == "huber_loss"
        t_x.grad = None
        call(torch.nn.functional, t_x, t_t.to(t_x.dtype)).sum().backward()
    close(n_x.grad, t_x.grad, "float32", "grad of input")


def test_binary_cross_entropy_target_grad_at_saturated_input_matches_torch():
    """The target's gradient is g (log(1 - x) - log x) with unclamped logs, as PyTorch's
    (-logit(x)): +-inf where the input is exactly 0 or 1, while the loss stays finite."""
    x = np.array([0.0, 1.0, 0.5, 0.25])
    t = np.array([0.0, 1.0, 1.0, 0.5])
    (n_x, t_x), (n_t, t_t) = pair(x, grad=True), pair(t, grad=True)
    ours = nt.nn.functional.binary_cross_entropy(n_x, n_t, reduction="sum")
    theirs = torch.nn.functional.binary_cross_entropy(t_x, t_t, reduction="sum")
    close(ours, theirs, "float64", "loss")
    ours.backward()
    theirs.backward()
    np.testing.assert_allclose(n_t.grad.numpy(), t_t.grad.numpy(), rtol=1e-12)
    close(n_x.grad, t_x.grad, "float64", "grad of input")
