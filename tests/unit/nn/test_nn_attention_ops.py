"""``F.scaled_dot_product_attention`` beyond its spec (tests/specs/attention_ops.py): dropout
from a generator, fully masked rows (Note [Fully masked attention rows]), bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest

import nanotorch as nt
import nanotorch.nn.functional as F
from nanotorch.testing import assert_close

_rng = np.random.default_rng(7)


def _t(*shape, device, requires_grad=False):
    return nt.tensor(
        _rng.standard_normal(shape), dtype=nt.float64, device=device, requires_grad=requires_grad
    )


def _softmax(s):
    e = np.exp(s - s.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def test_sdpa_dropout_drops_probabilities_with_the_generator_mask(device):
    q, k, v = _t(2, 3, 4, device=device), _t(2, 5, 4, device=device), _t(2, 5, 2, device=device)
    out = F.scaled_dot_product_attention(
        q, k, v, dropout_p=0.4, generator=nt.Generator(device).manual_seed(5)
    )
    # Note [Dropout masks]: the same draw, of the probabilities' shape, rebuilds the mask.
    u = (
        nt.rand(
            2, 3, 5, generator=nt.Generator(device).manual_seed(5), dtype=nt.float64, device=device
        )
        .detach()
        .cpu()
        .numpy()
    )
    qn, kn, vn = q.detach().cpu().numpy(), k.detach().cpu().numpy(), v.detach().cpu().numpy()
    p = _softmax(qn @ kn.transpose(0, 2, 1) / 2.0) * (u >= 0.4) / 0.6
    assert_close(out, p @ vn, rtol=1e-12, atol=1e-12)


def test_sdpa_float_mask_of_minus_inf_row_gives_zero_output_and_zero_grads(device):
    q, k, v = (_t(3, 2, device=device, requires_grad=True) for _ in range(3))
    mask = np.zeros((3, 3))
    mask[1] = -np.inf
    mask[2, 0] = -np.inf
    out = F.scaled_dot_product_attention(q, k, v, nt.tensor(mask, dtype=nt.float64, device=device))
    o = out.detach().cpu().numpy()
    assert not np.isnan(o).any()
    assert np.all(o[1] == 0.0)
    out.sum().backward()
    assert not np.isnan(q.grad.detach().cpu().numpy()).any()
    assert np.all(
        q.grad.detach().cpu().numpy()[1] == 0.0
    )  # the dead row passes no gradient to its query
    assert (
        not np.isnan(k.grad.detach().cpu().numpy()).any()
        and not np.isnan(v.grad.detach().cpu().numpy()).any()
    )


def test_sdpa_bool_mask_all_false_gives_zeros_not_nan(device):
    q, k, v = (
        _t(1, 2, 3, 2, device=device),
        _t(1, 2, 4, 2, device=device),
        _t(1, 2, 4, 2, device=device),
    )
    mask = nt.zeros(3, 4, dtype=nt.bool, device=device)
    out = F.scaled_dot_product_attention(q, k, v, mask)
    assert np.all(out.detach().cpu().numpy() == 0.0)


def test_sdpa_default_scale_is_one_over_sqrt_of_feature_dim(device):
    q, k, v = _t(3, 16, device=device), _t(4, 16, device=device), _t(4, 2, device=device)
    a = F.scaled_dot_product_attention(q, k, v)
    b = F.scaled_dot_product_attention(q, k, v, scale=1 / math.sqrt(16))
    c = F.scaled_dot_product_attention(q, k, v, scale=1.0)
    assert_close(a, b, rtol=0, atol=0)
    assert not np.allclose(a.detach().cpu().numpy(), c.detach().cpu().numpy())


def test_sdpa_rejects_mask_together_with_is_causal():
    q = nt.zeros(2, 2)
    with pytest.raises(RuntimeError, match="either attn_mask or is_causal"):
        F.scaled_dot_product_attention(q, q, q, nt.ones(2, 2, dtype=nt.bool), is_causal=True)


def test_sdpa_rejects_mismatched_shapes_dtypes_and_masks():
    q = nt.zeros(2, 3)
    with pytest.raises(ValueError, match=r"scaled_dot_product_attention: query \(2, 3\) and key"):
        F.scaled_dot_product_attention(q, nt.zeros(2, 4), nt.zeros(2, 4))
    with pytest.raises(ValueError, match="same number of keys"):
        F.scaled_dot_product_attention(q, nt.zeros(2, 3), nt.zeros(5, 3))
    with pytest.raises(TypeError, match="query is float32 .* key is float64"):
        F.scaled_dot_product_attention(q, nt.zeros(2, 3, dtype=nt.float64), q)
    with pytest.raises(TypeError, match="attn_mask must be bool .* got int64"):
        F.scaled_dot_product_attention(q, q, q, nt.zeros(2, 2, dtype=nt.int64))
    with pytest.raises(TypeError, match="query must be floating"):
        F.scaled_dot_product_attention(nt.zeros(2, 3, dtype=nt.int64), q, q)
    with pytest.raises(ValueError, match="at least 2 dims"):
        F.scaled_dot_product_attention(nt.zeros(3), q, q)
    with pytest.raises(ValueError, match="dropout_p has to be between 0 and 1"):
        F.scaled_dot_product_attention(q, q, q, dropout_p=1.5)


def test_sdpa_gqa_needs_a_multiple_of_the_key_heads():
    q, kv = nt.zeros(1, 3, 2, 4), nt.zeros(1, 2, 2, 4)
    with pytest.raises(ValueError, match=r"query's heads \(3\) must be a multiple of the key's"):
        F.scaled_dot_product_attention(q, kv, kv, enable_gqa=True)
