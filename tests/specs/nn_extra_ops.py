"""Specs for the layers added for PyTorch parity (Note [Op specs]): the shrinkage activations,
instance and RMS norm, pixel (un)shuffle, power-average pooling, the bilinear map and the
paired distances, each against a NumPy float64 reference written here from the formulas."""

from __future__ import annotations

import numpy as np

from nanotorch.testing import Case, OpSpec

_rng = np.random.default_rng(2718)


def _randn(*shape):
    return _rng.standard_normal(shape)


def _away(*shape, kinks=(-0.5, 0.5, 0.1), gap=0.05):
    """Normal values at least ``gap`` from every kink, so finite differences never cross one."""
    x = _rng.standard_normal(shape) * 1.5
    near = np.abs(x[..., None] - np.array(kinks)).min(axis=-1) < gap
    return np.where(near, x + 3 * gap, x)


def np_threshold(x, threshold, value):
    return np.where(x > threshold, x, value)


def np_tanhshrink(x):
    return x - np.tanh(x)


def np_softshrink(x, lambd=0.5):
    return np.where(x > lambd, x - lambd, np.where(x < -lambd, x + lambd, 0.0))


def np_hardshrink(x, lambd=0.5):
    return np.where(np.abs(x) > lambd, x, 0.0)


def np_instance_norm(x, running_mean=None, running_var=None, weight=None, bias=None, eps=1e-5):
    axes = tuple(range(2, x.ndim))
    y = (x - x.mean(axes, keepdims=True)) / np.sqrt(x.var(axes, keepdims=True) + eps)
    view = (1, -1) + (1,) * (x.ndim - 2)
    if weight is not None:
        y = y * weight.reshape(view)
    return y + bias.reshape(view) if bias is not None else y


def np_rms_norm(x, normalized_shape, weight=None, eps=None):
    eps = np.finfo(x.dtype).eps if eps is None else eps
    k = len(normalized_shape)
    axes = tuple(range(x.ndim - k, x.ndim))
    y = x / np.sqrt((x * x).mean(axes, keepdims=True) + eps)
    return y * weight if weight is not None else y


def np_pixel_shuffle(x, upscale_factor):
    r = upscale_factor
    *lead, c, h, w = x.shape
    out = np.empty((*lead, c // (r * r), h * r, w * r))
    for i in range(r):
        for j in range(r):
            out[..., i::r, j::r] = x[..., (i * r + j) :: r * r, :, :]
    return out


def np_pixel_unshuffle(x, downscale_factor):
    r = downscale_factor
    *lead, c, h, w = x.shape
    out = np.empty((*lead, c * r * r, h // r, w // r))
    for i in range(r):
        for j in range(r):
            out[..., (i * r + j) :: r * r, :, :] = x[..., i::r, j::r]
    return out


def np_lp_pool(x, norm_type, kernel_size, stride=None):
    """Windows without padding or ceil mode: (sum x^p)^(1/p) over each window."""
    n = x.ndim - 2
    k = (kernel_size,) * n if isinstance(kernel_size, int) else tuple(kernel_size)
    s = k if stride is None else ((stride,) * n if isinstance(stride, int) else tuple(stride))
    out_shape = [(x.shape[2 + d] - k[d]) // s[d] + 1 for d in range(n)]
    out = np.empty(x.shape[:2] + tuple(out_shape))
    for idx in np.ndindex(*out_shape):
        window = tuple(slice(i * s[d], i * s[d] + k[d]) for d, i in enumerate(idx))
        out[(..., *idx)] = (x[(..., *window)] ** norm_type).sum(tuple(range(2, 2 + n)))
    return out ** (1.0 / norm_type)


def np_bilinear(x1, x2, weight, bias=None):
    y = np.einsum("...i,oij,...j->...o", x1, weight, x2)
    return y + bias if bias is not None else y


def np_cosine_similarity(x1, x2, dim=1, eps=1e-8):
    n1 = np.maximum(np.sqrt((x1 * x1).sum(dim, keepdims=True)), eps)
    n2 = np.maximum(np.sqrt((x2 * x2).sum(dim, keepdims=True)), eps)
    return ((x1 / n1) * (x2 / n2)).sum(dim)


def np_pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    d = np.abs(x1 - x2 + eps)
    if p == np.inf:
        return d.max(-1, keepdims=keepdim)
    return (d**p).sum(-1, keepdims=keepdim) ** (1 / p)


def _lp_pool_ref(n):
    return lambda x, norm_type, kernel_size, stride=None: np_lp_pool(
        x, norm_type, kernel_size, stride
    )


SPECS = [
    OpSpec(
        "threshold",
        np_threshold,
        [Case(_away(3, 4, kinks=(0.1,)), 0.1, 20.0), Case(_away(5, kinks=(-0.5,)), -0.5, 0.0)],
    ),
    OpSpec(
        "tanhshrink",
        np_tanhshrink,
        [Case(_randn(3, 4)), Case(_randn(4, 3), transposed=(0,))],
        gradgrad=True,
    ),
    OpSpec(
        "softshrink", np_softshrink, [Case(_away(3, 4)), Case(_away(6, kinks=(-1, 1)), lambd=1.0)]
    ),
    OpSpec(
        "hardshrink", np_hardshrink, [Case(_away(3, 4)), Case(_away(6, kinks=(-1, 1)), lambd=1.0)]
    ),
    OpSpec(
        "instance_norm",
        np_instance_norm,
        [
            Case(_randn(2, 3, 5)),
            Case(_randn(2, 2, 3, 3), None, None, _randn(2), _randn(2), eps=1e-3, id="affine"),
            Case(_randn(1, 2, 2, 2, 3), id="3d"),
        ],
    ),
    OpSpec(
        "rms_norm",
        np_rms_norm,
        [
            Case(_randn(2, 3, 4), (4,)),
            Case(_randn(2, 3, 4), (3, 4), _randn(3, 4), eps=1e-3, id="weight"),
        ],
        gradgrad=True,
    ),
    OpSpec(
        "pixel_shuffle", np_pixel_shuffle, [Case(_randn(2, 8, 2, 3), 2), Case(_randn(9, 1, 2), 3)]
    ),
    OpSpec(
        "pixel_unshuffle",
        np_pixel_unshuffle,
        [Case(_randn(2, 2, 4, 6), 2), Case(_randn(1, 3, 3), 3)],
    ),
    OpSpec(
        "lp_pool1d",
        _lp_pool_ref(1),
        [
            Case(_rng.uniform(0.5, 2, (2, 2, 7)), 2.0, 3, 2),
            Case(_rng.uniform(0.5, 2, (1, 2, 6)), 3.0, 2),
        ],
    ),
    OpSpec(
        "lp_pool2d",
        _lp_pool_ref(2),
        [
            Case(_rng.uniform(0.5, 2, (1, 2, 4, 5)), 2.0, 2),
            Case(_rng.uniform(0.5, 2, (1, 1, 4, 5)), 1.5, (2, 3), (1, 2)),
        ],
    ),
    OpSpec("lp_pool3d", _lp_pool_ref(3), [Case(_rng.uniform(0.5, 2, (1, 1, 2, 4, 4)), 2.0, 2)]),
    OpSpec(
        "bilinear",
        np_bilinear,
        [
            Case(_randn(5, 3), _randn(5, 4), _randn(2, 3, 4), _randn(2)),
            Case(_randn(2, 3, 2), _randn(2, 3, 3), _randn(4, 2, 3), id="batched-nobias"),
        ],
        gradgrad=True,
    ),
    OpSpec(
        "cosine_similarity",
        np_cosine_similarity,
        [Case(_randn(3, 4), _randn(3, 4)), Case(_randn(2, 3, 4), _randn(1, 3, 4), dim=-1)],
    ),
    OpSpec(
        "pairwise_distance",
        np_pairwise_distance,
        [
            Case(_randn(3, 4), _randn(3, 4)),
            Case(_randn(3, 4), _randn(3, 4), p=3.0, keepdim=True, id="p3-keepdim"),
        ],
    ),
]


# ----------------------------------------------------------------------------- more losses
def _red(loss, reduction="mean"):
    return loss.mean() if reduction == "mean" else loss.sum() if reduction == "sum" else loss


def _signs(*shape):
    return np.where(_rng.standard_normal(shape) > 0, 1.0, -1.0)


def np_soft_margin_loss(x, y, reduction="mean"):
    return _red(np.log1p(np.exp(-y * x)), reduction)


def np_margin_ranking_loss(x1, x2, y, margin=0.0, reduction="mean"):
    return _red(np.maximum(0.0, -y * (x1 - x2) + margin), reduction)


def np_hinge_embedding_loss(x, y, margin=1.0, reduction="mean"):
    return _red(np.where(y == 1, x, np.maximum(0.0, margin - x)), reduction)


def np_cosine_embedding_loss(x1, x2, y, margin=0.0, reduction="mean"):
    cos = (x1 * x2).sum(-1) / np.sqrt(((x1**2).sum(-1) + 1e-12) * ((x2**2).sum(-1) + 1e-12))
    return _red(np.where(y == 1, 1 - cos, np.maximum(0.0, cos - margin)), reduction)


def np_multi_margin_loss(x, y, p=1, margin=1.0, weight=None, reduction="mean"):
    x2 = np.atleast_2d(x)
    y2 = np.atleast_1d(y)
    loss = np.zeros(len(y2))
    for n, c in enumerate(y2):
        for i in range(x2.shape[1]):
            if i != c:
                z = max(0.0, margin - x2[n, c] + x2[n, i]) ** p
                loss[n] += z * (1.0 if weight is None else weight[c])
    loss /= x2.shape[1]
    return _red(loss if x.ndim == 2 else loss[0], reduction)


def np_multilabel_soft_margin_loss(x, y, weight=None, reduction="mean"):
    logsig = -np.log1p(np.exp(-x))
    logsig_neg = -np.log1p(np.exp(x))
    loss = -(y * logsig + (1 - y) * logsig_neg)
    if weight is not None:
        loss = loss * weight
    return _red(loss.mean(-1), reduction)


def np_triplet_margin_loss(a, p_, n, margin=1.0, p=2.0, eps=1e-6, swap=False, reduction="mean"):
    d_pos = np_pairwise_distance(a, p_, p, eps)
    d_neg = np_pairwise_distance(a, n, p, eps)
    if swap:
        d_neg = np.minimum(d_neg, np_pairwise_distance(p_, n, p, eps))
    return _red(np.maximum(0.0, margin + d_pos - d_neg), reduction)


def np_poisson_nll_loss(x, y, log_input=True, full=False, eps=1e-8, reduction="mean"):
    loss = np.exp(x) - y * x if log_input else x - y * np.log(x + eps)
    if full:
        ys = np.where(y > 1, y, 1.0)
        loss = loss + np.where(y > 1, ys * np.log(ys) - ys + 0.5 * np.log(2 * np.pi * ys), 0.0)
    return _red(loss, reduction)


def np_gaussian_nll_loss(x, y, var, full=False, eps=1e-6, reduction="mean"):
    var = np.asarray(var, dtype=float)
    if var.shape != x.shape and var.shape == x.shape[:-1]:
        var = var[..., None]
    var = np.maximum(var, eps)
    loss = 0.5 * (np.log(var) + (x - y) ** 2 / var)
    if full:
        loss = loss + 0.5 * np.log(2 * np.pi)
    return _red(loss, reduction)


SPECS += [
    OpSpec(
        "soft_margin_loss",
        np_soft_margin_loss,
        [Case(_randn(3, 4), _signs(3, 4)), Case(_randn(5), _signs(5), reduction="none")],
    ),
    OpSpec(
        "margin_ranking_loss",
        np_margin_ranking_loss,
        [
            Case(_randn(5), _randn(5), _signs(5), margin=0.1),
            Case(_randn(4), _randn(4), _signs(4), reduction="sum"),
        ],
    ),
    OpSpec(
        "hinge_embedding_loss",
        np_hinge_embedding_loss,
        [
            Case(_randn(3, 4), _signs(3, 4)),
            Case(_randn(6), _signs(6), margin=0.3, reduction="none"),
        ],
    ),
    OpSpec(
        "cosine_embedding_loss",
        np_cosine_embedding_loss,
        [
            Case(_randn(4, 3), _randn(4, 3), _signs(4)),
            Case(_randn(4, 3), _randn(4, 3), _signs(4), margin=-0.5, reduction="none"),
        ],
    ),
    OpSpec(
        "multi_margin_loss",
        np_multi_margin_loss,
        [
            Case(_randn(4, 5), np.array([0, 3, 4, 1])),
            Case(
                _randn(3, 4),
                np.array([2, 0, 1]),
                2,
                0.7,
                _rng.uniform(0.5, 1.5, 4),  # weight (a tensor, so positional)
                reduction="none",
                id="p2-weight",
            ),
        ],
    ),
    OpSpec(
        "multilabel_soft_margin_loss",
        np_multilabel_soft_margin_loss,
        [
            Case(_randn(3, 4), (_randn(3, 4) > 0).astype(float)),
            Case(
                _randn(3, 4),
                (_randn(3, 4) > 0).astype(float),
                _rng.uniform(0.5, 2, 4),  # weight (a tensor, so positional)
                reduction="none",
                id="weight",
            ),
        ],
    ),
    OpSpec(
        "triplet_margin_loss",
        np_triplet_margin_loss,
        [
            Case(_randn(4, 3), _randn(4, 3), _randn(4, 3)),
            Case(
                _randn(4, 3),
                _randn(4, 3),
                _randn(4, 3),
                p=1.0,
                swap=True,
                margin=2.0,
                reduction="none",
                id="p1-swap",
            ),
        ],
    ),
    OpSpec(
        "poisson_nll_loss",
        np_poisson_nll_loss,
        [
            Case(_randn(3, 4), np.abs(_randn(3, 4)) * 3, full=True),
            Case(
                _rng.uniform(0.5, 3, (3, 4)),
                np.abs(_randn(3, 4)) * 3,
                log_input=False,
                reduction="sum",
                id="rates",
            ),
        ],
    ),
    OpSpec(
        "gaussian_nll_loss",
        np_gaussian_nll_loss,
        [
            Case(_randn(3, 4), _randn(3, 4), _rng.uniform(0.5, 2, (3, 4))),
            Case(
                _randn(3, 4),
                _randn(3, 4),
                _rng.uniform(0.5, 2, 3),
                full=True,
                reduction="none",
                id="per-sample-var",
            ),
            Case(_randn(3, 2), _randn(3, 2), 0.7, id="float-var"),
        ],
    ),
]


# ----------------------------------------------------------------------------- convolution
def np_conv_transpose3d(
    x, w, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1
):
    """Scatter form: input voxel i adds x[i] * w[tap] at output position i * s + tap * d - p."""

    def triple(v):
        return (v,) * 3 if isinstance(v, int) else tuple(v)

    s, p, o, d = triple(stride), triple(padding), triple(output_padding), triple(dilation)
    unbatched = x.ndim == 4
    x = x[None] if unbatched else x
    n, c_in = x.shape[:2]
    k = w.shape[2:]
    c_out_g = w.shape[1]
    size = [(x.shape[2 + i] - 1) * s[i] - 2 * p[i] + d[i] * (k[i] - 1) + o[i] + 1 for i in range(3)]
    out = np.zeros((n, c_out_g * groups, *size))
    per_group = c_in // groups
    for ci in range(c_in):
        g = ci // per_group
        for idx in np.ndindex(*x.shape[2:]):
            for tap in np.ndindex(*k):
                pos = [idx[i] * s[i] + tap[i] * d[i] - p[i] for i in range(3)]
                if all(0 <= pos[i] < size[i] for i in range(3)):
                    out[:, g * c_out_g : (g + 1) * c_out_g, pos[0], pos[1], pos[2]] += (
                        x[:, ci, idx[0], idx[1], idx[2]][:, None] * w[ci, :, tap[0], tap[1], tap[2]]
                    )
    if bias is not None:
        out += bias.reshape(1, -1, 1, 1, 1)
    return out[0] if unbatched else out


SPECS += [
    OpSpec(
        "conv_transpose3d",
        np_conv_transpose3d,
        [
            Case(_randn(1, 2, 2, 2, 3), _randn(2, 3, 2, 2, 2), _randn(3), 2),
            Case(
                _randn(1, 4, 3, 2, 2),
                _randn(4, 1, 2, 3, 2),
                None,
                (3, 2, 1),
                (1, 1, 0),
                (1, 1, 0),
                2,
                (2, 1, 1),
                id="pad-opad-groups-dil",
            ),
            Case(_randn(2, 2, 3, 2), _randn(2, 2, 3, 3, 3), padding=1, id="unbatched"),
        ],
    ),
]


# ----------------------------------------------------------------------------- dropout
def np_deterministic_dropout(x, p=0.5, training=True):
    """The deterministic cases: the identity (eval or p = 0) or zeros (p = 1)."""
    return x * 0.0 if training and p == 1.0 else x


def np_alpha_deterministic(x, p=0.5, training=False):
    return x * 0.0 if training and p == 1.0 else x


def np_channel_shuffle(x, groups):
    n, c = x.shape[:2]
    return x.reshape(n, groups, c // groups, *x.shape[2:]).swapaxes(1, 2).reshape(x.shape)


SPECS += [
    OpSpec(
        "dropout1d",
        np_deterministic_dropout,
        [
            Case(_randn(2, 3, 4), p=0.0, id="p0"),
            Case(_randn(3, 4), p=0.4, training=False, id="eval-unbatched"),
            Case(_randn(2, 3, 4), p=1.0, id="p1"),
        ],
    ),
    OpSpec(
        "dropout3d",
        np_deterministic_dropout,
        [
            Case(_randn(1, 2, 2, 2, 2), p=0.0, id="p0"),
            Case(_randn(2, 2, 2, 2), p=1.0, id="p1-unbatched"),
        ],
    ),
    OpSpec(
        "alpha_dropout",
        np_alpha_deterministic,
        [Case(_randn(3, 4), p=0.3, id="eval"), Case(_randn(3, 4), p=1.0, training=True, id="p1")],
    ),
    OpSpec(
        "feature_alpha_dropout",
        np_alpha_deterministic,
        [
            Case(_randn(2, 3, 4), p=0.0, training=True, id="p0"),
            Case(_randn(2, 3, 4), p=1.0, training=True, id="p1"),
        ],
    ),
    OpSpec(
        "channel_shuffle",
        np_channel_shuffle,
        [Case(_randn(2, 6, 2, 2), 2), Case(_randn(1, 6, 4), 3)],
    ),
]


# ----------------------------------------------------------------------------- embeddings
def np_embedding_bag(idx, w, offsets=None, mode="mean", per_sample_weights=None, padding_idx=None):
    if idx.ndim == 2:
        bounds = [i * idx.shape[1] for i in range(idx.shape[0] + 1)]
        idx = idx.reshape(-1)
    else:
        bounds = [*offsets.tolist(), len(idx)]
    rows = w[idx]
    if per_sample_weights is not None:
        rows = rows * per_sample_weights.reshape(-1, 1)
    out = np.zeros((len(bounds) - 1, w.shape[1]))
    for b in range(len(bounds) - 1):
        keep = [i for i in range(bounds[b], bounds[b + 1]) if idx[i] != padding_idx]
        if keep:
            part = rows[keep]
            out[b] = (
                part.sum(0) if mode == "sum" else part.mean(0) if mode == "mean" else part.max(0)
            )
    return out


SPECS += [
    OpSpec(
        "embedding_bag",
        np_embedding_bag,
        [
            Case(np.array([[0, 2, 1], [3, 3, 0]]), _randn(4, 3), id="2d-mean"),
            Case(
                np.array([0, 2, 1, 3, 3]),
                _randn(4, 3),
                np.array([0, 2, 2]),
                mode="sum",
                id="offsets-sum-empty-bag",
            ),
            Case(np.array([[0, 2, 1], [3, 1, 0]]), _randn(4, 3), mode="max", id="2d-max"),
            Case(np.array([[0, 2, 1], [2, 2, 0]]), _randn(4, 3), padding_idx=2, id="padding"),
        ],
    ),
    OpSpec(
        "embedding_bag",
        np_embedding_bag,
        [
            Case(
                np.array([1, 2, 0, 3]),
                _randn(4, 3),
                np.array([0, 1]),
                "sum",
                _randn(4),
                id="per-sample-weights",
            )
        ],
        fn=lambda idx, w, off, mode, psw: __import__("nanotorch").nn.functional.embedding_bag(
            idx, w, off, mode=mode, per_sample_weights=psw
        ),
    ),
]


# ----------------------------------------------------------------------------- more layers
def np_local_response_norm(x, size, alpha=1e-4, beta=0.75, k=1.0):
    c = x.shape[1]
    sq = x * x
    out = np.empty_like(x)
    for ch in range(c):
        lo, hi = max(0, ch - size // 2), min(c, ch + (size - 1) // 2 + 1)
        out[:, ch] = x[:, ch] / (k + alpha / size * sq[:, lo:hi].sum(1)) ** beta
    return out


def np_rrelu(x, lower=1 / 8, upper=1 / 3, training=False):
    return np.where(x >= 0, x, x * (lower + upper) / 2)


SPECS += [
    OpSpec(
        "local_response_norm",
        np_local_response_norm,
        [
            Case(_randn(2, 5, 4), 3),
            Case(_randn(1, 4, 3, 3), 2, alpha=0.1, beta=0.5, k=2.0, id="4d-args"),
        ],
    ),
    OpSpec(
        "rrelu",
        np_rrelu,
        [
            Case(_away(3, 4, kinks=(0.0,)), id="eval"),
            Case(_away(3, 4, kinks=(0.0,)), 0.2, 0.2, True, id="training-fixed-slope"),
        ],
    ),
    OpSpec(
        "triplet_margin_with_distance_loss",
        lambda a, p, n, margin=1.0, swap=False, reduction="mean": np_triplet_margin_loss(
            a, p, n, margin=margin, swap=swap, reduction=reduction
        ),
        [
            Case(_randn(4, 3), _randn(4, 3), _randn(4, 3)),
            Case(
                _randn(4, 3),
                _randn(4, 3),
                _randn(4, 3),
                margin=2.0,
                swap=True,
                reduction="none",
                id="swap",
            ),
        ],
    ),
]


def np_multilabel_margin_loss(x, y, reduction="mean"):
    x2, y2 = np.atleast_2d(x), np.atleast_2d(y)
    loss = np.zeros(len(x2))
    for n, (row, labels) in enumerate(zip(x2, y2)):
        listed = []
        for cls in labels:
            if cls < 0:
                break
            listed.append(int(cls))
        for j in listed:
            for i in range(len(row)):
                if i not in listed:
                    loss[n] += max(0.0, 1 - (row[j] - row[i]))
    loss /= x2.shape[1]
    return _red(loss if x.ndim == 2 else loss[0], reduction)


SPECS += [
    OpSpec(
        "multilabel_margin_loss",
        np_multilabel_margin_loss,
        [
            Case(_randn(3, 5), np.array([[3, 0, -1, 1, 1], [4, 1, 2, 0, 3], [-1, 2, 0, 0, 0]])),
            Case(_randn(4), np.array([2, 3, -1, 0]), reduction="sum", id="unbatched"),
        ],
    ),
]


def np_max_unpool3d(x, idx, kernel_size, stride=None, padding=0, output_size=None):
    k = (kernel_size,) * 3 if isinstance(kernel_size, int) else tuple(kernel_size)
    s = k if stride is None else ((stride,) * 3 if isinstance(stride, int) else tuple(stride))
    size = output_size or [(n - 1) * si - 2 * padding + ki for n, si, ki in zip(x.shape[-3:], s, k)]
    lead = x.shape[:-3]
    out = np.zeros((*lead, int(np.prod(size))))
    flat_x, flat_i = x.reshape(*lead, -1), idx.reshape(*lead, -1)
    for pos in np.ndindex(*lead):
        out[pos][flat_i[pos]] = flat_x[pos]
    return out.reshape(*lead, *size)


SPECS += [
    OpSpec(
        "max_unpool3d",
        np_max_unpool3d,
        [
            Case(_randn(1, 2, 1, 2, 2), np.array([[[[[0, 3], [10, 15]]], [[[5, 2], [8, 31]]]]]), 2),
            Case(
                _randn(2, 1, 2, 1),
                np.array([[[[0], [7]]], [[[3], [11]]]]),
                2,
                output_size=[2, 4, 2],
                id="unbatched-size",
            ),
        ],
    ),
]
