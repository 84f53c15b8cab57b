"""Specs for ``nanotorch.nn.functional`` (Note [Op specs]): layers, dropout and losses, each
against a NumPy float64 reference written here from the formulas (not from nanotorch)."""

from __future__ import annotations

import numpy as np

import nanotorch.nn.functional as F
from nanotorch.testing import Case, OpSpec
from specs import ints, positive, randn

_rng = np.random.default_rng(4321)


def _uniform(lo, hi, *shape):
    return _rng.uniform(lo, hi, shape)


def _probs(*shape):
    """Rows that sum to one along dim 1 (probability targets)."""
    e = np.exp(_rng.standard_normal(shape))
    return e / e.sum(axis=1, keepdims=True)


# ----------------------------------------------------------------------------- references
def _reduce(loss, reduction):
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    return loss.mean() if loss.size else np.array(np.nan)


def _log_softmax(x, axis):
    s = x - x.max(axis=axis, keepdims=True)
    return s - np.log(np.exp(s).sum(axis=axis, keepdims=True))


def _class_view(w, ndim):
    """A (C,) vector shaped to broadcast along dim 1 of an (N, C, d1, ...) array."""
    return w.reshape((1, -1) + (1,) * (ndim - 2))


def np_cross_entropy(
    x, target, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0
):
    unbatched = x.ndim == 1
    if unbatched:
        x, target = x[None], target[None]
    n_classes = x.shape[1]
    w = np.ones(n_classes) if weight is None else weight
    wb = _class_view(w, x.ndim)
    logp = _log_softmax(x, 1)
    eps = label_smoothing
    if target.dtype.kind == "f":
        y = target * (1 - eps) + eps / n_classes
        loss = -(wb * y * logp).sum(axis=1)
        out = _reduce(loss, reduction)
    else:
        valid = target != ignore_index
        safe = np.where(valid, target, 0)
        picked = np.take_along_axis(logp, safe[:, None], axis=1)[:, 0]
        w_t = w[safe] * valid
        smooth = -(wb * logp).sum(axis=1) * valid
        loss = (1 - eps) * (-w_t * picked) + eps / n_classes * smooth
        if reduction == "mean":
            out = loss.sum() / w_t.sum()
        else:
            out = _reduce(loss, reduction)
    return out[0] if unbatched and reduction == "none" else out


def np_nll_loss(x, target, weight=None, ignore_index=-100, reduction="mean"):
    unbatched = x.ndim == 1
    if unbatched:
        x, target = x[None], target[None]
    w = np.ones(x.shape[1]) if weight is None else weight
    valid = target != ignore_index
    safe = np.where(valid, target, 0)
    w_t = w[safe] * valid
    loss = -w_t * np.take_along_axis(x, safe[:, None], axis=1)[:, 0]
    out = loss.sum() / w_t.sum() if reduction == "mean" else _reduce(loss, reduction)
    return out[0] if unbatched and reduction == "none" else out


def np_bce(x, y, weight=None, reduction="mean"):
    loss = -(y * np.maximum(np.log(x), -100) + (1 - y) * np.maximum(np.log(1 - x), -100))
    return _reduce(loss if weight is None else loss * weight, reduction)


def np_bce_with_logits(x, y, weight=None, pos_weight=None, reduction="mean"):
    # log(1 + e^-x) written without overflow: max(-x, 0) + log1p(e^-|x|).
    softplus_neg = np.maximum(-x, 0) + np.log1p(np.exp(-np.abs(x)))
    log_weight = 1.0 if pos_weight is None else 1 + (pos_weight - 1) * y
    loss = (1 - y) * x + log_weight * softplus_neg
    return _reduce(loss if weight is None else loss * weight, reduction)


def np_kl_div(x, t, reduction="mean", log_target=False):
    if log_target:
        loss = np.exp(t) * (t - x)
    else:
        loss = np.where(t > 0, t * np.log(np.where(t > 0, t, 1.0)), 0.0) - t * x
    if reduction == "batchmean":
        return loss.sum() / x.shape[0] if x.ndim else loss.sum()
    return _reduce(loss, reduction)


def np_smooth_l1(x, y, reduction="mean", beta=1.0):
    d = np.abs(x - y)
    loss = d if beta == 0 else np.where(d < beta, 0.5 * d * d / beta, d - 0.5 * beta)
    return _reduce(loss, reduction)


def np_huber(x, y, reduction="mean", delta=1.0):
    d = np.abs(x - y)
    return _reduce(np.where(d < delta, 0.5 * d * d, delta * (d - 0.5 * delta)), reduction)


def np_layer_norm(x, normalized_shape, weight=None, bias=None, eps=1e-5):
    axes = tuple(range(x.ndim - len(normalized_shape), x.ndim))
    mu = x.mean(axis=axes, keepdims=True)
    var = x.var(axis=axes, keepdims=True)
    out = (x - mu) / np.sqrt(var + eps)
    if weight is not None:
        out = out * weight
    return out + bias if bias is not None else out


def np_batch_norm(
    x, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5
):
    axes = (0,) + tuple(range(2, x.ndim))
    if training:
        mu, var = x.mean(axis=axes), x.var(axis=axes)
    else:
        mu, var = running_mean, running_var
    out = (x - _class_view(mu, x.ndim)) / np.sqrt(_class_view(var, x.ndim) + eps)
    if weight is not None:
        out = out * _class_view(weight, x.ndim)
    return out + _class_view(bias, x.ndim) if bias is not None else out


def np_group_norm(x, num_groups, weight=None, bias=None, eps=1e-5):
    n = x.shape[0]
    g = x.reshape(n, num_groups, -1)
    g = (g - g.mean(axis=2, keepdims=True)) / np.sqrt(g.var(axis=2, keepdims=True) + eps)
    out = g.reshape(x.shape)
    if weight is not None:
        out = out * _class_view(weight, x.ndim)
    return out + _class_view(bias, x.ndim) if bias is not None else out


def np_dropout(x, p=0.5, training=True, inplace=False):
    # Deterministic cases only: identity (eval or p = 0) or all dropped (p = 1). Masks drawn
    # from a generator are checked in tests/unit/nn/test_nn_dropout.py.
    if not training or p == 0:
        return x
    assert p == 1
    return np.zeros_like(x)


# ----------------------------------------------------------------------------- wrappers
# Optional tensors the functions take by keyword are passed positionally here, so the spec
# harness turns them into tensors on the device (and checks their gradients too).
def _bce_with_logits(x, y, weight=None, pos_weight=None, **kw):
    return F.binary_cross_entropy_with_logits(x, y, weight, pos_weight=pos_weight, **kw)


def _np_bce_with_logits(x, y, weight=None, pos_weight=None, **kw):
    return np_bce_with_logits(x, y, weight, pos_weight, **kw)


def _reductions(make, *extra, **kw):
    """The same inputs under every reduction."""
    inputs = make()
    return [Case(*inputs, *extra, reduction=r, id=r, **kw) for r in ("mean", "sum", "none")]


_logits = randn(4, 5)
_targets = np.array([1, 0, 4, 1])
_huge = np.array([[1e4, -1e4, 0.0, 3.0], [-1e4, 1e4, 5.0, 0.0], [2.0, 1.0, -1e4, 1e4]])
_huge_targets = np.array([0, 0, 2])
_pair = lambda: (randn(3, 4), randn(3, 4))  # noqa: E731

SPECS = [
    # ------------------------------------------------------------------------- layers
    OpSpec(
        "linear",
        lambda x, w, b=None: x @ w.T + (0 if b is None else b),
        [
            Case(randn(3, 4), randn(5, 4), randn(5)),
            Case(randn(2, 3, 4), randn(5, 4), randn(5), id="batched"),
            Case(randn(4), randn(5, 4), randn(5), id="one-sample"),
            Case(randn(3, 4), randn(5, 4), id="no-bias"),
            Case(randn(0, 4), randn(5, 4), randn(5), id="empty"),
            Case(randn(3, 4), randn(5, 4), randn(5), transposed=(1,), id="transposed"),
        ],
        gradgrad=True,
    ),
    OpSpec(
        "dropout",
        np_dropout,
        [
            Case(randn(3, 4), p=0.0, id="p0"),
            Case(randn(3, 4), p=0.5, training=False, id="eval"),
            Case(randn(3, 4), p=1.0, id="p1"),
            Case(randn(), p=0.0, id="0d"),
        ],
    ),
    OpSpec(
        "dropout2d",
        np_dropout,
        [
            Case(randn(2, 3, 4), p=0.0, id="p0"),
            Case(randn(2, 3, 2, 2), p=0.7, training=False, id="eval"),
            Case(randn(2, 3, 2, 2), p=1.0, id="p1"),
        ],
    ),
    OpSpec(
        "embedding",
        lambda idx, w: w[idx],
        [
            # Repeated indices: their gradients must add up (the scatter-add backward).
            Case(np.array([[0, 2], [2, 4], [0, 0]]), randn(5, 3), id="repeats"),
            Case(np.array(3), randn(5, 3), id="0d-index"),
            # Empty indices: see test_embedding_empty_indices_backward (a backend bug).
        ],
        gradgrad=True,
    ),
    OpSpec(
        "layer_norm",
        np_layer_norm,
        [
            Case(randn(3, 4), (4,), randn(4), randn(4)),
            Case(randn(2, 3, 4), (3, 4), randn(3, 4), randn(3, 4), id="two-dims"),
            Case(randn(3, 4), (4,), id="no-affine"),
            Case(randn(3, 4), [4], None, None, 1e-2, id="eps"),
            Case(randn(3, 4), (4,), randn(4), randn(4), transposed=(0,), id="transposed"),
        ],
        gradgrad=True,
        grad_atol=1e-4,
    ),
    OpSpec(
        "batch_norm",
        np_batch_norm,
        [
            Case(randn(6, 3), None, None, randn(3), randn(3), True, id="train-2d"),
            Case(randn(3, 2, 2, 3), None, None, randn(2), randn(2), True, id="train-4d"),
            Case(randn(5, 3), None, None, training=True, id="train-no-affine"),
            Case(randn(4, 3), randn(3), positive(3), randn(3), randn(3), id="eval"),
            Case(
                randn(2, 3, 4), randn(3), positive(3), None, None, False, 0.1, 1e-3, id="eval-eps"
            ),
        ],
        gradgrad=True,
        grad_atol=1e-4,
    ),
    OpSpec(
        "group_norm",
        np_group_norm,
        [
            Case(randn(2, 4, 3), 2, randn(4), randn(4)),
            Case(randn(2, 6, 2, 2), 3, id="4d-no-affine"),
            Case(randn(3, 4), 4, randn(4), randn(4), id="group-per-channel"),
            Case(randn(2, 4, 3), 1, randn(4), randn(4), 1e-3, id="one-group"),
        ],
        gradgrad=True,
        grad_atol=1e-4,
    ),
    # ------------------------------------------------------------------------- regression
    OpSpec(
        "mse_loss",
        lambda x, y, reduction="mean": _reduce((x - y) ** 2, reduction),
        _reductions(_pair)
        + [
            Case(randn(), randn(), id="0d"),
            Case(randn(0, 3), randn(0, 3), reduction="sum", id="empty"),
        ],
        gradgrad=True,
    ),
    OpSpec(
        "l1_loss",
        lambda x, y, reduction="mean": _reduce(np.abs(x - y), reduction),
        _reductions(_pair) + [Case(randn(3, 4), randn(3, 4), transposed=(0,), id="transposed")],
    ),
    OpSpec(
        "smooth_l1_loss",
        np_smooth_l1,
        _reductions(lambda: (randn(3, 4) * 2, randn(3, 4)))
        + [
            Case(randn(3, 4) * 2, randn(3, 4), beta=0.5, id="beta"),
            Case(randn(3, 4), randn(3, 4), beta=0.0, id="beta0"),
        ],
    ),
    OpSpec(
        "huber_loss",
        np_huber,
        _reductions(lambda: (randn(3, 4) * 2, randn(3, 4)))
        + [Case(randn(3, 4) * 3, randn(3, 4), delta=2.0, id="delta")],
    ),
    # ------------------------------------------------------------------------- classification
    OpSpec(
        "cross_entropy",
        np_cross_entropy,
        [
            *_reductions(lambda: (randn(4, 5), _targets)),
            Case(randn(4, 5), _targets, positive(5), id="weight"),
            Case(randn(4, 5), _targets, positive(5), reduction="none", id="weight-none"),
            Case(randn(4, 5), np.array([1, -100, 3, -100]), id="ignore"),
            Case(
                randn(4, 5),
                np.array([1, 2, 3, 2]),
                positive(5),
                ignore_index=2,
                id="ignore-custom-weight",
            ),
            Case(randn(4, 5), _targets, label_smoothing=0.1, id="smoothing"),
            Case(
                randn(4, 5),
                np.array([1, -100, 3, 0]),
                positive(5),
                label_smoothing=0.2,
                id="smoothing-weight-ignore",
            ),
            Case(
                randn(4, 5),
                np.array([1, -100, 3, 0]),
                label_smoothing=0.3,
                reduction="sum",
                id="smoothing-sum",
            ),
            Case(randn(2, 3, 4), ints(0, 3, 2, 4), id="spatial"),
            Case(
                randn(2, 3, 2, 2),
                ints(0, 3, 2, 2, 2),
                positive(3),
                label_smoothing=0.1,
                reduction="none",
                id="spatial-2d",
            ),
            Case(randn(5), np.array(2), id="unbatched"),
            Case(randn(0, 5), np.zeros((0,), np.int64), reduction="sum", id="empty"),
            Case(_huge, _huge_targets, id="large-logits"),
            Case(
                _huge,
                _huge_targets,
                label_smoothing=0.1,
                reduction="none",
                id="large-logits-smoothing",
            ),
            Case(randn(4, 5), _targets, transposed=(0,), id="transposed"),
            # Probability targets (same shape as the input).
            Case(randn(4, 5), _probs(4, 5), id="probs"),
            Case(randn(4, 5), _probs(4, 5), positive(5), reduction="sum", id="probs-weight"),
            Case(
                randn(2, 3, 4),
                _probs(2, 3, 4),
                label_smoothing=0.2,
                reduction="none",
                id="probs-spatial-smoothing",
            ),
            Case(_huge, _probs(3, 4), id="probs-large-logits"),
        ],
        gradgrad=True,
    ),
    OpSpec(
        "nll_loss",
        np_nll_loss,
        [
            *_reductions(lambda: (_log_softmax(randn(4, 5), 1), _targets)),
            Case(_log_softmax(randn(4, 5), 1), _targets, positive(5), id="weight"),
            Case(
                _log_softmax(randn(4, 5), 1),
                np.array([1, -100, 3, 0]),
                positive(5),
                id="ignore-weight",
            ),
            Case(_log_softmax(randn(2, 3, 4), 1), ints(0, 3, 2, 4), reduction="none", id="spatial"),
            Case(_log_softmax(randn(5), 0), np.array(4), id="unbatched"),
        ],
        gradgrad=True,
    ),
    OpSpec(
        "binary_cross_entropy",
        np_bce,
        [
            *_reductions(lambda: (_uniform(0.05, 0.95, 3, 4), _uniform(0, 1, 3, 4))),
            Case(_uniform(0.05, 0.95, 3, 4), _uniform(0, 1, 3, 4), positive(4), id="weight"),
            Case(_uniform(0.05, 0.95, 4), (randn(4) > 0).astype(np.float64), id="hard-targets"),
            # Inputs of exactly 0 or 1 have no finite differences around them; they are
            # pinned in tests/unit/nn/test_nn_loss.py.
        ],
        gradgrad=True,
    ),
    OpSpec(
        "binary_cross_entropy_with_logits",
        _np_bce_with_logits,
        [
            *_reductions(lambda: (randn(3, 4) * 3, _uniform(0, 1, 3, 4))),
            Case(randn(3, 4), _uniform(0, 1, 3, 4), positive(4), id="weight"),
            Case(randn(3, 4), _uniform(0, 1, 3, 4), None, positive(4), id="pos-weight"),
            Case(
                randn(3, 4),
                _uniform(0, 1, 3, 4),
                positive(3, 1),
                positive(4),
                reduction="sum",
                id="both-weights",
            ),
            Case(
                np.array([1e4, -1e4, 1e4, -1e4, 0.0]),
                np.array([1.0, 0.0, 0.0, 1.0, 0.5]),
                reduction="none",
                id="large-logits",
            ),
        ],
        fn=_bce_with_logits,
        gradgrad=True,
    ),
    OpSpec(
        "kl_div",
        np_kl_div,
        [
            *_reductions(lambda: (_log_softmax(randn(3, 4), 1), _probs(3, 4))),
            Case(_log_softmax(randn(3, 4), 1), _probs(3, 4), reduction="batchmean", id="batchmean"),
            Case(
                _log_softmax(randn(3, 4), 1),
                _log_softmax(randn(3, 4), 1),
                log_target=True,
                reduction="batchmean",
                id="log-target",
            ),
            # Zero targets (t log t = 0, not differentiable in t there) are pinned in
            # tests/unit/nn/test_nn_loss.py.
        ],
        gradgrad=True,
    ),
]
