"""Specs for the nn breadth ops (Note [Op specs]): the connectionist temporal classification
loss, and the sampling, pooling-with-indices and Gumbel ops added for PyTorch parity, each
against a NumPy float64 reference written here from its definition."""

from __future__ import annotations

import numpy as np

from nanotorch.testing import Case, OpSpec
from specs import distinct
from specs.conv_ops import ref_max_pool2d
from specs.pool_extra_ops import (
    ref_adaptive_max_pool1d,
    ref_adaptive_max_pool2d,
    ref_adaptive_max_pool3d,
    ref_max_pool1d,
    ref_max_pool3d,
)

_rng = np.random.default_rng(4242)


def _randn(*shape):
    return _rng.standard_normal(shape)


def _log_probs(*shape):
    """Normalised log-probabilities along the last axis."""
    x = _rng.standard_normal(shape)
    return x - np.log(np.exp(x).sum(-1, keepdims=True))


def _ctc_nll(lp, target, blank):
    """-log p(target | lp) for one sequence lp (T, C) by the forward recursion over the
    target with a blank around and between its labels, one path probability at a time."""
    ext = [blank]
    for c in target:
        ext += [int(c), blank]
    alpha = np.full(len(ext), -np.inf)
    alpha[0] = 0.0  # before the first step: the empty prefix
    for t in range(lp.shape[0]):
        new = np.full(len(ext), -np.inf)
        for j, c in enumerate(ext):
            terms = [alpha[j]]
            if j >= 1:
                terms.append(alpha[j - 1])
            if j >= 2 and c != blank and ext[j - 2] != c:
                terms.append(alpha[j - 2])
            new[j] = np.logaddexp.reduce(terms) + lp[t, c]
        alpha = new
    ends = alpha[-2:] if len(ext) > 1 else alpha[-1:]
    return -np.logaddexp.reduce(ends)


def np_ctc_loss(
    log_probs,
    targets,
    input_lengths,
    target_lengths,
    blank=0,
    reduction="mean",
    zero_infinity=False,
):
    unbatched = log_probs.ndim == 2
    if unbatched:
        log_probs, targets = log_probs[:, None], targets[None]
    il = np.atleast_1d(np.asarray(input_lengths))
    tl = np.atleast_1d(np.asarray(target_lengths))
    offsets = np.concatenate([[0], np.cumsum(tl)])
    losses = []
    for n in range(log_probs.shape[1]):
        if targets.ndim == 2:
            target = targets[n, : tl[n]]
        else:
            target = targets[offsets[n] : offsets[n + 1]]
        losses.append(_ctc_nll(log_probs[: il[n], n], target, blank))
    loss = np.array(losses)
    if zero_infinity:
        loss = np.where(np.isinf(loss), 0.0, loss)
    if reduction == "mean":
        return (loss / np.maximum(tl, 1)).mean()
    if reduction == "sum":
        return loss.sum()
    return loss[0] if unbatched else loss


SPECS = [
    OpSpec(
        "ctc_loss",
        np_ctc_loss,
        [
            Case(
                _log_probs(6, 2, 4),
                np.array([[1, 2, 2], [3, 1, 0]]),
                np.array([6, 5]),
                np.array([3, 2]),
                id="padded-mean",
            ),
            Case(
                _log_probs(5, 3, 3),
                np.array([1, 2, 1, 2]),
                np.array([5, 4, 0]),
                np.array([2, 2, 0]),
                reduction="none",
                id="concatenated-empty",
            ),
            Case(
                _log_probs(5, 2, 3),
                np.array([[0, 1], [1, 1]]),
                np.array([5, 5]),
                np.array([2, 2]),
                blank=2,
                reduction="sum",
                transposed=(0,),
                id="transposed-blank",
            ),
            Case(
                _log_probs(4, 3),
                np.array([1, 2]),
                np.array(4),
                np.array(2),
                reduction="none",
                id="unbatched",
            ),
            Case(
                _log_probs(4, 2, 3),
                np.array([[1, 1, 1], [2, 0, 0]]),
                np.array([4, 4]),
                np.array([3, 1]),
                zero_infinity=True,
                reduction="none",
                id="zero-infinity",
            ),
        ],
    ),
]


def _with_indices(ref):
    """The reference of a pool, always returning (values, indices)."""

    def both(*args, return_indices=False, **kwargs):
        return ref(*args, return_indices=True, **kwargs)

    return both


SPECS += [
    OpSpec(
        "max_pool1d_with_indices",
        _with_indices(ref_max_pool1d),
        [
            Case(distinct(1, 2, 6), 2, id="k2"),
            Case(distinct(1, 2, 9), 3, stride=2, padding=1, ceil_mode=True, id="k3-s2-p1-ceil"),
            Case(distinct(6, 2, 3), 2, transposed=(0,), id="transposed"),
        ],
    ),
    OpSpec(
        "max_pool2d_with_indices",
        _with_indices(ref_max_pool2d),
        [
            Case(distinct(1, 2, 4, 6), 2, id="k2"),
            Case(distinct(2, 5, 5), 3, stride=2, padding=1, dilation=1, id="unbatched-p1"),
            Case(distinct(2, 1, 4, 4), (2, 1), transposed=(0,), id="transposed"),
        ],
    ),
    OpSpec(
        "max_pool3d_with_indices",
        _with_indices(ref_max_pool3d),
        [
            Case(distinct(1, 1, 4, 4, 2), 2, id="k2"),
            Case(distinct(1, 1, 3, 4, 3), 2, ceil_mode=True, return_indices=False, id="ceil"),
        ],
    ),
    OpSpec(
        "adaptive_max_pool1d_with_indices",
        _with_indices(ref_adaptive_max_pool1d),
        [Case(distinct(1, 2, 7), 3, id="uneven"), Case(distinct(2, 5), 2, id="unbatched")],
    ),
    OpSpec(
        "adaptive_max_pool2d_with_indices",
        _with_indices(ref_adaptive_max_pool2d),
        [
            Case(distinct(1, 2, 5, 4), (3, 2), id="uneven"),
            Case(distinct(1, 2, 5, 4), (None, 3), id="none-keeps"),
            Case(distinct(2, 1, 3, 5), 2, transposed=(0,), id="transposed"),
        ],
    ),
    OpSpec(
        "adaptive_max_pool3d_with_indices",
        _with_indices(ref_adaptive_max_pool3d),
        [Case(distinct(1, 1, 5, 4, 3), (2, 3, 2), id="uneven")],
    ),
]


# ---------------------------------------------------------------------------- gumbel_softmax
# The op draws its noise from a generator; the spec seeds one on the input's device each call
# (the streams agree across devices) and the reference draws the same noise on the cpu, so
# what is checked is the transform of the noise.
_GUMBEL_SEED = 11


def _gumbel_fn(x, **kwargs):
    import nanotorch as nt

    gen = nt.Generator(x.device).manual_seed(_GUMBEL_SEED)
    return nt.nn.functional.gumbel_softmax(x, generator=gen, **kwargs)


def np_gumbel_softmax(x, tau=1.0, hard=False, dim=-1):
    import nanotorch as nt

    gen = nt.Generator("cpu").manual_seed(_GUMBEL_SEED)
    dtype = nt.float32 if x.dtype == np.float32 else nt.float64
    e = nt.empty(*x.shape, dtype=dtype).exponential_(generator=gen).numpy().astype(np.float64)
    z = (x - np.log(e)) / tau
    y = np.exp(z - z.max(dim, keepdims=True))
    y = y / y.sum(dim, keepdims=True)
    if hard:
        k = np.expand_dims(y.argmax(dim), dim)
        y = (
            np.arange(x.shape[dim]).reshape([-1 if d == dim % x.ndim else 1 for d in range(x.ndim)])
            == k
        )
        y = y.astype(np.float64)
    return y


SPECS += [
    OpSpec(
        "gumbel_softmax",
        np_gumbel_softmax,
        [
            Case(_randn(3, 4), id="soft"),
            Case(_randn(2, 5, 3), tau=0.5, dim=1, id="tau-dim1"),
            Case(_randn(4, 3), transposed=(0,), id="transposed"),
        ],
        fn=_gumbel_fn,
        gradgrad=True,
    ),
    # hard=True: the values are a one-hot (piecewise constant), so no finite-difference check;
    # tests/torch_compare_nn checks its straight-through gradient.
    OpSpec(
        "gumbel_softmax",
        np_gumbel_softmax,
        [
            Case(_randn(3, 4), hard=True, id="hard"),
            Case(_randn(2, 3, 4), hard=True, dim=0, id="hard-dim0"),
        ],
        fn=_gumbel_fn,
        grad=False,
    ),
]


# ---------------------------------------------------------------------------- sampling grids
def _np_axis(steps, align):
    if steps <= 1:
        return np.zeros(1)
    i = np.arange(steps)
    return -1 + 2 * i / (steps - 1) if align else -1 + (2 * i + 1) / steps


def np_affine_grid(theta, size, align_corners=False):
    spatial = tuple(size[2:])
    nd = len(spatial)
    out = np.zeros((size[0], *spatial, nd))
    axes = [_np_axis(s, align_corners) for s in spatial]
    for pos in np.ndindex(*spatial):
        # (x, y[, z], 1): x is the position along the last axis.
        point = np.array([axes[nd - 1 - k][pos[nd - 1 - k]] for k in range(nd)] + [1.0])
        for n in range(size[0]):
            out[(n, *pos)] = theta[n] @ point
    return out


def _np_source(c, size, padding_mode, align):
    """The pixel coordinate a normalised coordinate reads, after padding (float)."""
    u = (c + 1) / 2 * (size - 1) if align else ((c + 1) * size - 1) / 2
    if padding_mode == "border":
        return min(max(u, 0.0), size - 1.0)
    if padding_mode == "reflection":
        lo, hi = (0.0, size - 1.0) if align else (-0.5, size - 0.5)
        if hi == lo:
            return 0.0
        while u < lo or u > hi:  # reflect at the ends until inside
            u = 2 * lo - u if u < lo else 2 * hi - u
        return min(max(u, 0.0), size - 1.0)
    return u


def _np_cubic(t, a=-0.75):
    """Cubic-convolution weights of the pixels at offsets -1, 0, 1, 2 (Keys, A = -0.75)."""

    def k(d):
        d = abs(d)
        if d <= 1:
            return (a + 2) * d**3 - (a + 3) * d**2 + 1
        return a * d**3 - 5 * a * d**2 + 8 * a * d - 4 * a

    return [k(t + 1), k(t), k(1 - t), k(2 - t)]


def _np_bicubic(x, grid, padding_mode, align):
    n, c, h, w = x.shape
    out = np.zeros((n, c, *grid.shape[1:-1]))
    for b in range(n):
        for pos in np.ndindex(*grid.shape[1:-1]):
            gx, gy = grid[(b, *pos)]
            u = [
                (g + 1) / 2 * (s - 1) if align else ((g + 1) * s - 1) / 2
                for g, s in ((gy, h), (gx, w))
            ]
            lo = [int(np.floor(v)) for v in u]
            wy, wx = _np_cubic(u[0] - lo[0]), _np_cubic(u[1] - lo[1])
            for i in range(4):
                for j in range(4):
                    yy, xx = lo[0] - 1 + i, lo[1] - 1 + j
                    if padding_mode != "zeros":  # pad the pixel read, not the point
                        yy = int(_np_source_pixel(yy, h, padding_mode, align))
                        xx = int(_np_source_pixel(xx, w, padding_mode, align))
                    if 0 <= yy < h and 0 <= xx < w:
                        out[(b, slice(None), *pos)] += wy[i] * wx[j] * x[b, :, yy, xx]
    return out


def _np_source_pixel(p, size, padding_mode, align):
    if padding_mode == "border":
        return min(max(p, 0), size - 1)
    lo, hi = (0.0, size - 1.0) if align else (-0.5, size - 0.5)
    u = float(p)
    if hi > lo:
        while u < lo or u > hi:
            u = 2 * lo - u if u < lo else 2 * hi - u
    else:
        u = 0.0
    return min(max(u, 0.0), size - 1.0)


def np_grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False):
    if mode == "bicubic":
        return _np_bicubic(x, grid, padding_mode, align_corners)
    n, c = x.shape[:2]
    spatial = x.shape[2:]
    nd = len(spatial)
    out = np.zeros((n, c, *grid.shape[1:-1]))
    for b in range(n):
        for pos in np.ndindex(*grid.shape[1:-1]):
            point = grid[(b, *pos)]
            # axis a (0 = D or H) is read from grid coordinate nd - 1 - a
            u = [
                _np_source(point[nd - 1 - a], spatial[a], padding_mode, align_corners)
                for a in range(nd)
            ]
            if mode == "nearest":
                corners = [([int(np.rint(v)) for v in u], 1.0)]
            else:
                corners = []
                for bits in np.ndindex(*(2,) * nd):
                    idx = [int(np.floor(v)) + bit for v, bit in zip(u, bits)]
                    w = np.prod([1 - abs(v - i) for v, i in zip(u, idx)])
                    corners.append((idx, w))
            for idx, w in corners:
                if all(0 <= i < s for i, s in zip(idx, spatial)):
                    out[(b, slice(None), *pos)] += w * x[(b, slice(None), *idx)]
    return out


def _grid(*shape, spread=1.2):
    return _rng.uniform(-spread, spread, shape)


SPECS += [
    OpSpec(
        "affine_grid",
        np_affine_grid,
        [
            Case(_randn(2, 2, 3), (2, 3, 4, 5), id="2d"),
            Case(_randn(1, 2, 3), (1, 1, 3, 1), align_corners=True, id="2d-align-width-1"),
            Case(_randn(2, 3, 4), (2, 1, 2, 3, 2), id="3d"),
            Case(_randn(2, 2, 3), (2, 1, 3, 3), transposed=(0,), id="transposed"),
        ],
        gradgrad=True,
    ),
    OpSpec(
        "grid_sample",
        np_grid_sample,
        [
            Case(_randn(1, 2, 3, 4), _grid(1, 2, 2, 2), id="bilinear-zeros"),
            Case(
                _randn(1, 1, 3, 4),
                _grid(1, 2, 2, 2),
                padding_mode="border",
                align_corners=True,
                id="bilinear-border-align",
            ),
            Case(
                _randn(1, 1, 3, 4),
                _grid(1, 2, 3, 2, spread=3.0),
                padding_mode="reflection",
                id="bilinear-reflection",
            ),
            Case(
                _randn(1, 1, 3, 4),
                _grid(1, 2, 3, 2, spread=3.0),
                padding_mode="reflection",
                align_corners=True,
                id="bilinear-reflection-align",
            ),
            Case(_randn(1, 1, 2, 3, 3), _grid(1, 1, 2, 2, 3), id="trilinear"),
            Case(_randn(1, 2, 3, 4), _grid(1, 2, 2, 2), mode="nearest", id="nearest"),
            Case(_randn(1, 1, 3, 4), _grid(1, 2, 2, 2), mode="bicubic", id="bicubic"),
            Case(
                _randn(1, 1, 3, 4),
                _grid(1, 2, 2, 2, spread=2.0),
                mode="bicubic",
                padding_mode="reflection",
                align_corners=True,
                id="bicubic-reflection-align",
            ),
            Case(
                _randn(1, 1, 3, 4),
                _grid(1, 2, 2, 2, spread=2.0),
                mode="bicubic",
                padding_mode="border",
                id="bicubic-border",
            ),
            Case(_randn(1, 2, 3, 4), _grid(1, 2, 2, 2), transposed=(0,), id="transposed"),
        ],
    ),
]


# ---------------------------------------------------------------------------- MHA, functional
def np_multi_head_attention_forward(
    query,
    key,
    value,
    embed_dim,
    num_heads,
    w_in,
    b_in,
    bias_k,
    bias_v,
    add_zero_attn,
    dropout_p,
    w_out,
    b_out,
    training=True,
    key_padding_mask=None,
    need_weights=True,
    attn_mask=None,
    average_attn_weights=True,
):
    """Sequence-first multi-head attention from its definition (dropout 0)."""
    unbatched = query.ndim == 2
    if unbatched:
        query, key, value = query[:, None], key[:, None], value[:, None]
    e, h = embed_dim, num_heads
    d = e // h
    q = query @ w_in[:e].T + (0 if b_in is None else b_in[:e])
    k = key @ w_in[e : 2 * e].T + (0 if b_in is None else b_in[e : 2 * e])
    v = value @ w_in[2 * e :].T + (0 if b_in is None else b_in[2 * e :])
    n, s = query.shape[1], key.shape[0]
    mask = np.zeros((query.shape[0], s)) if attn_mask is None else attn_mask.astype(np.float64)
    if bias_k is not None:
        k = np.concatenate([k, np.repeat(bias_k, n, axis=1)])
        v = np.concatenate([v, np.repeat(bias_v, n, axis=1)])
        mask = np.pad(mask, ((0, 0), (0, 1)))
    if add_zero_attn:
        k = np.concatenate([k, np.zeros((1, n, e))])
        v = np.concatenate([v, np.zeros((1, n, e))])
        mask = np.pad(mask, ((0, 0), (0, 1)))
    out = np.zeros(query.shape[:2] + (e,))
    weights = np.zeros((n, h, query.shape[0], k.shape[0]))
    for b in range(n):
        for i in range(h):
            cols = slice(i * d, (i + 1) * d)
            scores = q[:, b, cols] @ k[:, b, cols].T / np.sqrt(d) + mask
            p = np.exp(scores - scores.max(-1, keepdims=True))
            p = p / p.sum(-1, keepdims=True)
            weights[b, i] = p
            out[:, b, cols] = p @ v[:, b, cols]
    out = out @ w_out.T + (0 if b_out is None else b_out)
    weights = weights.mean(1) if average_attn_weights else weights
    if unbatched:
        out, weights = out[:, 0], weights[0]
    return out, weights


def _mha_case(l, s, n, *extra, e=4, heads=2, bias_kv=False, zero_attn=False, **kwargs):
    """Positional ``extra`` continue after out_proj_bias (training, key_padding_mask,
    need_weights, attn_mask): arrays only become tensors when passed positionally."""
    lead = (n,) if n else ()
    return Case(
        _randn(l, *lead, e),
        _randn(s, *lead, e),
        _randn(s, *lead, e),
        e,
        heads,
        _randn(3 * e, e) * 0.5,
        _randn(3 * e),
        _randn(1, 1, e) if bias_kv else None,
        _randn(1, 1, e) if bias_kv else None,
        zero_attn,
        0.0,
        _randn(e, e) * 0.5,
        _randn(e),
        *extra,
        **kwargs,
    )


SPECS += [
    OpSpec(
        "multi_head_attention_forward",
        np_multi_head_attention_forward,
        [
            _mha_case(2, 3, 1, id="plain"),
            _mha_case(
                2,
                3,
                2,
                True,
                None,
                True,
                _randn(2, 3),
                bias_kv=True,
                zero_attn=True,
                average_attn_weights=False,
                id="bias_kv-zero_attn-mask",
            ),
            _mha_case(3, 2, 0, id="unbatched"),
        ],
    ),
]


# ---------------------------------------------------------------------------- fractional pools
def _np_starts(u, n, m, k):
    """PyTorch's window starts, in the samples' precision."""
    if m == 1:
        return [n - k]
    t = type(u)
    alpha = t(n - k) / t(m - 1)
    first = [int(np.floor((t(i) + u) * alpha)) - int(np.floor(u * alpha)) for i in range(m - 1)]
    return first + [n - k]


def np_fractional_max_pool(x, samples, kernel_size, output_size, return_indices=False):
    unbatched = x.ndim == samples.shape[-1] + 1
    if unbatched:
        x = x[None]
    nd = x.ndim - 2
    k = (kernel_size,) * nd if isinstance(kernel_size, int) else tuple(kernel_size)
    m = (output_size,) * nd if isinstance(output_size, int) else tuple(output_size)
    spatial = x.shape[2:]
    vals = np.zeros(x.shape[:2] + m)
    idx = np.zeros(x.shape[:2] + m, dtype=np.int64)
    for b, c in np.ndindex(*x.shape[:2]):
        # 2-D: sample 0 drives W, sample 1 drives H; 3-D: sample j drives axis j.
        order = [1, 0] if nd == 2 else [0, 1, 2]
        starts = [_np_starts(samples[b, c, order[a]], spatial[a], m[a], k[a]) for a in range(nd)]
        for pos in np.ndindex(*m):
            best, where = -np.inf, -1
            for off in np.ndindex(*k):
                src = [starts[a][pos[a]] + off[a] for a in range(nd)]
                v = x[(b, c, *src)]
                if where < 0 or v > best:
                    best, where = v, int(np.ravel_multi_index(src, spatial))
            vals[(b, c, *pos)], idx[(b, c, *pos)] = best, where
    if unbatched:
        vals, idx = vals[0], idx[0]
    return (vals, idx) if return_indices else vals


def _fractional_fn(name):
    def fn(x, samples, kernel_size, output_size, return_indices=False):
        import nanotorch as nt

        op = getattr(nt.nn.functional, name)
        return op(
            x,
            kernel_size,
            output_size=output_size,
            return_indices=return_indices,
            _random_samples=samples.detach(),
        )

    return fn


SPECS += [
    OpSpec(
        "fractional_max_pool2d",
        np_fractional_max_pool,
        [
            Case(distinct(1, 2, 5, 6), _rng.uniform(0, 1, (1, 2, 2)), 2, (3, 3), id="k2"),
            Case(
                distinct(1, 5, 4),
                _rng.uniform(0, 1, (1, 1, 2)),
                (2, 3),
                2,
                return_indices=True,
                id="unbatched-indices",
            ),
            Case(
                distinct(1, 1, 5, 5),
                _rng.uniform(0, 1, (1, 1, 2)),
                3,
                2,
                transposed=(0,),
                id="transposed",
            ),
        ],
        fn=_fractional_fn("fractional_max_pool2d"),
    ),
    OpSpec(
        "fractional_max_pool3d",
        np_fractional_max_pool,
        [
            Case(
                distinct(1, 1, 4, 4, 3),
                _rng.uniform(0, 1, (1, 1, 3)),
                2,
                (2, 3, 2),
                return_indices=True,
                id="k2-indices",
            ),
        ],
        fn=_fractional_fn("fractional_max_pool3d"),
    ),
]
