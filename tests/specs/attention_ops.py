"""Specs for the attention family (``nanotorch.nn.attention_ops``, Note [Op specs]):
``F.scaled_dot_product_attention`` against a NumPy float64 reference written here from
PyTorch's documented equations (not from nanotorch):

    scores = q k^T * scale (+ float mask, or -inf where a bool mask is False)
    out    = softmax(scores) v,  with a row whose every score is -inf giving 0 (PyTorch's
             math path, ``_safe_softmax``).

``np_mha`` is the reference for ``nn.MultiheadAttention`` (and, through it, the transformer
layers) that tests/unit/nn/test_nn_multihead_attention.py and test_nn_transformer.py use.
"""

from __future__ import annotations

import math

import numpy as np

from nanotorch.testing import Case, OpSpec
from specs import randn

_rng = np.random.default_rng(2468)


def np_sdpa(q, k, v, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None, enable_gqa=False):
    assert dropout_p == 0.0, "the reference has no dropout; unit tests check dropout"
    if enable_gqa and q.ndim >= 3 and k.shape[-3] != q.shape[-3]:
        rep = q.shape[-3] // k.shape[-3]
        k = np.repeat(k, rep, axis=-3)
        v = np.repeat(v, rep, axis=-3)
    scale = 1.0 / math.sqrt(q.shape[-1]) if scale is None else scale
    s = (q @ np.swapaxes(k, -1, -2)) * scale
    L, S = q.shape[-2], k.shape[-2]
    if is_causal:
        allowed = np.tril(np.ones((L, S), dtype=bool))
        s = np.where(allowed, s, -np.inf)
    if attn_mask is not None:
        if attn_mask.dtype == bool:
            s = np.where(attn_mask, s, -np.inf)
        else:
            s = s + attn_mask
    with np.errstate(invalid="ignore"):
        dead = np.all(np.isneginf(s), axis=-1, keepdims=True)
        s = np.where(dead, 0.0, s)
        e = np.exp(s - s.max(axis=-1, keepdims=True))
        p = np.where(dead, 0.0, e / e.sum(axis=-1, keepdims=True))
    return (p @ v).astype(q.dtype)


def _np_softmax(s):
    with np.errstate(invalid="ignore"):
        e = np.exp(s - s.max(-1, keepdims=True))
        return e / e.sum(-1, keepdims=True)


def np_mha(
    query, key, value, sd, num_heads, *, batch_first=False, key_padding_mask=None, attn_mask=None
):
    """PyTorch's multi-head attention, one batch element and one head at a time.
    Returns (out, weights per head (N, H, L, S)) in the module's layout."""
    if query.ndim == 2:
        out, w = np_mha(
            query[:, None],
            key[:, None],
            value[:, None],
            sd,
            num_heads,
            key_padding_mask=None if key_padding_mask is None else key_padding_mask[None],
            attn_mask=attn_mask,
        )
        return out[:, 0], w[0]
    if batch_first:
        out, w = np_mha(
            query.transpose(1, 0, 2),
            key.transpose(1, 0, 2),
            value.transpose(1, 0, 2),
            sd,
            num_heads,
            key_padding_mask=key_padding_mask,
            attn_mask=attn_mask,
        )
        return out.transpose(1, 0, 2), w
    L, N, E = query.shape
    S = key.shape[0]
    D = E // num_heads
    if "in_proj_weight" in sd:
        wq, wk, wv = np.split(sd["in_proj_weight"], 3, axis=0)
    else:
        wq, wk, wv = sd["q_proj_weight"], sd["k_proj_weight"], sd["v_proj_weight"]
    bq, bk, bv = np.split(sd.get("in_proj_bias", np.zeros(3 * E)), 3)
    q, k, v = query @ wq.T + bq, key @ wk.T + bk, value @ wv.T + bv
    mask = np.zeros((N, num_heads, L, S))
    if attn_mask is not None:
        m = np.where(attn_mask, -np.inf, 0.0) if attn_mask.dtype == bool else attn_mask
        mask = mask + (m if m.ndim == 2 else m.reshape(N, num_heads, L, S))
    if key_padding_mask is not None:
        m = key_padding_mask
        m = np.where(m, -np.inf, 0.0) if m.dtype == bool else m
        mask = mask + m[:, None, None, :]
    out = np.zeros((L, N, E))
    weights = np.zeros((N, num_heads, L, S))
    for n in range(N):
        for h in range(num_heads):
            f = slice(h * D, (h + 1) * D)
            s = q[:, n, f] @ k[:, n, f].T / math.sqrt(D) + mask[n, h]
            weights[n, h] = _np_softmax(s)
            out[:, n, f] = weights[n, h] @ v[:, n, f]
    out = out @ sd["out_proj.weight"].T + sd.get("out_proj.bias", 0.0)
    return out, weights


def _mask(*shape, p_keep=0.6):
    m = _rng.uniform(size=shape) < p_keep
    m[..., 0] = True  # every query sees at least one key
    return m


_dead_row = _mask(1, 1, 3, 4)
_dead_row[0, 0, 1, :] = False  # query 1 may attend to nothing: its output is 0

SPECS = [
    OpSpec(
        "scaled_dot_product_attention",
        np_sdpa,
        [
            Case(randn(2, 3, 4, 5), randn(2, 3, 6, 5), randn(2, 3, 6, 7), id="4d"),
            Case(randn(4, 3), randn(5, 3), randn(5, 2), id="2d-unbatched"),
            Case(randn(4, 3), randn(5, 3), randn(5, 2), id="2d-transposed", transposed=(0, 2)),
            Case(randn(2, 4, 3), randn(2, 4, 3), randn(2, 4, 3), id="causal", is_causal=True),
            Case(randn(3, 2), randn(5, 2), randn(5, 2), id="causal-L<S", is_causal=True),
            Case(randn(5, 2), randn(3, 2), randn(3, 2), id="causal-L>S", is_causal=True),
            Case(randn(2, 3, 4), randn(2, 5, 4), randn(2, 5, 4), id="scale", scale=0.3),
            Case(
                randn(2, 2, 3, 4),
                randn(2, 2, 5, 4),
                randn(2, 2, 5, 4),
                _mask(2, 1, 3, 5),
                id="bool-mask-broadcast-heads",
            ),
            Case(
                randn(2, 2, 3, 4),
                randn(2, 2, 5, 4),
                randn(2, 2, 5, 4),
                randn(3, 5),
                id="float-mask-broadcast",
            ),
            Case(
                randn(1, 1, 3, 2),
                randn(1, 1, 4, 2),
                randn(1, 1, 4, 2),
                _dead_row,
                id="fully-masked-row",
            ),
            Case(
                randn(2, 4, 3, 2),
                randn(2, 2, 5, 2),
                randn(2, 2, 5, 3),
                id="gqa",
                enable_gqa=True,
            ),
            Case(randn(1, 2, 3), randn(2, 5, 3), randn(1, 5, 4), id="batch-broadcast"),
            Case(randn(2, 0, 3), randn(2, 4, 3), randn(2, 4, 2), id="empty-queries"),
            Case(randn(0, 3, 2), randn(0, 4, 2), randn(0, 4, 2), id="empty-batch"),
        ],
        gradgrad=True,
    ),
]
