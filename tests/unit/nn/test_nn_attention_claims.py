"""The claims of discovery/attention.md, each pinned here: why scores are scaled by
1 / sqrt(d), what the causal mask does, pre-norm vs post-norm, and weight tying."""

from __future__ import annotations

import numpy as np
import pytest

import nanotorch as nt
import nanotorch.nn.functional as F
from nanotorch import nn
from nanotorch.testing import assert_close


def _rng(seed: int = 31) -> np.random.Generator:
    # A fresh stream per test, so a test's numbers do not depend on which tests ran before.
    return np.random.default_rng(seed)


def _t(x, requires_grad=False, device="cpu"):
    return nt.tensor(x, dtype=nt.float64, device=device, requires_grad=requires_grad)


def _attention_probs(d, scale):
    """Attention weights of 512 random queries over 32 random keys of width d: with v the
    identity, sdpa's output is the probability matrix itself."""
    rng = _rng(1)
    q, k = rng.standard_normal((512, d)), rng.standard_normal((32, d))
    return F.scaled_dot_product_attention(_t(q), _t(k), _t(np.eye(32)), scale=scale).numpy()


def test_attention_unscaled_scores_grow_with_width_and_saturate_softmax():
    # q.k of unit-variance vectors has variance d: at d = 256 the scores spread over +-16 or
    # more, and softmax puts nearly all weight on one key. Dividing by sqrt(d) brings the
    # variance back to 1 whatever the width, and the weights stay spread out.
    rng = _rng()
    q, k = rng.standard_normal((512, 256)), rng.standard_normal((512, 256))
    s = (q * k).sum(-1)
    assert 0.85 * 256 < s.var() < 1.15 * 256
    assert 0.85 < (s / 16).var() < 1.15
    unscaled = _attention_probs(256, scale=1.0).max(-1).mean()
    scaled = _attention_probs(256, scale=None).max(-1).mean()
    assert unscaled > 0.85 and scaled < 0.4


def test_attention_saturated_softmax_passes_almost_no_gradient():
    # d softmax / d logits = diag(p) - p p^T vanishes as p becomes one-hot, so the unscaled
    # scores of a wide head leave q and k almost nothing to learn from.
    rng = _rng(2)
    q, k = rng.standard_normal((512, 256)), rng.standard_normal((32, 256))
    logits = _t(q @ k.T, requires_grad=True)
    up = _t(rng.standard_normal((512, 32)))
    grads = {}
    for name, scale in (("unscaled", 1.0), ("scaled", 1 / 16)):
        z = logits.detach() * scale
        z.requires_grad_(True)
        (z.softmax(-1) * up).sum().backward()
        grads[name] = np.abs(z.grad.numpy()).mean()
    assert grads["unscaled"] < 0.25 * grads["scaled"]  # measured: 0.19


def test_causal_attention_output_at_i_ignores_later_positions(device):
    # With is_causal, query i attends to keys 0..i: the output at i has zero gradient with
    # respect to every later key and value, and position 0 simply copies v[0].
    rng = _rng(3)
    q = _t(rng.standard_normal((5, 4)), device=device)
    k = _t(rng.standard_normal((5, 4)), True, device)
    v = _t(rng.standard_normal((5, 3)), True, device)
    out = F.scaled_dot_product_attention(q, k, v, is_causal=True)
    assert_close(out[0], v[0].detach(), rtol=1e-12, atol=1e-12)
    out[2].sum().backward()
    gk, gv = k.grad.cpu().numpy(), v.grad.cpu().numpy()
    assert np.all(gk[3:] == 0) and np.all(gv[3:] == 0)
    assert np.all(np.abs(gv[:3]).sum(-1) > 0)


def test_causal_mask_float_and_bool_forms_agree(device):
    # nn.Transformer.generate_square_subsequent_mask (float, -inf above the diagonal, added
    # to scores) and is_causal=True (bool, True on and below the diagonal) are one mask.
    x = _t(_rng(4).standard_normal((2, 6, 4)), device=device)
    float_mask = nn.Transformer.generate_square_subsequent_mask(6, device=device, dtype=nt.float64)
    a = F.scaled_dot_product_attention(x, x, x, float_mask)
    b = F.scaled_dot_product_attention(x, x, x, is_causal=True)
    assert_close(a, b, rtol=1e-12, atol=1e-12)


def _silence(layer):
    # Zero each sublayer's last projection: every sublayer then adds exactly 0.
    with nt.no_grad():
        for lin in (layer.self_attn.out_proj, layer.linear2):
            lin.weight.zero_()
            lin.bias.zero_()
    return layer


@pytest.mark.parametrize("norm_first", [True, False])
def test_pre_norm_layer_with_silent_sublayers_is_the_identity(norm_first):
    # Pre-norm: x + f(norm(x)), the residual path untouched, so a layer whose sublayers add
    # nothing passes x (and its gradient) straight through, however deep the stack.
    # Post-norm: norm(x + f(x)), every layer renormalises the residual stream.
    layer = _silence(nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, norm_first=norm_first))
    stack = nn.TransformerEncoder(layer.double(), 6)
    x = _t(_rng(5).standard_normal((4, 2, 8)) * 3 + 1, requires_grad=True)
    y = stack(x)
    if norm_first:
        assert_close(y, x.detach(), rtol=0, atol=1e-12)
        y.sum().backward()
        assert_close(x.grad, np.ones((4, 2, 8)), rtol=0, atol=1e-12)
    else:
        yn = y.detach().numpy()
        assert not np.allclose(yn, x.detach().numpy())
        assert np.allclose(yn.mean(-1), 0, atol=1e-9) and np.allclose(yn.var(-1), 1, atol=1e-4)


def test_weight_tying_shares_one_matrix_and_sums_both_gradients():
    # GPT ties the token embedding (vocab, d) to the output projection (vocab, d): one
    # matrix, counted once by parameters(), saved under both names (as PyTorch does), and
    # its gradient is the sum of the gradients of its two uses.
    class Tied(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.wte = nn.Embedding(7, 4)
            self.lm_head = nn.Linear(4, 7, bias=False)
            self.lm_head.weight = self.wte.weight

        def forward(self, idx):
            return self.lm_head(self.wte(idx))

    model = Tied().double()
    assert len(list(model.parameters())) == 1
    assert list(model.state_dict()) == ["wte.weight", "lm_head.weight"]
    idx, target = nt.tensor([1, 4, 4, 6]), nt.tensor([2, 0, 5, 1])
    F.cross_entropy(model(idx), target).backward()
    # The same computation with the two uses split apart.
    w = model.wte.weight.detach()
    w_in, w_out = w.clone().requires_grad_(True), w.clone().requires_grad_(True)
    F.cross_entropy(F.linear(F.embedding(idx, w_in), w_out), target).backward()
    assert_close(model.wte.weight.grad, w_in.grad + w_out.grad, rtol=1e-12, atol=1e-12)
    assert np.abs(w_in.grad.numpy()).sum() > 0 and np.abs(w_out.grad.numpy()).sum() > 0
