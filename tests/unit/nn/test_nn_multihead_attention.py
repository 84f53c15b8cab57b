"""``nn.MultiheadAttention`` against a NumPy reference written from PyTorch's equations and
parameter layouts (module docstring of nn/attention.py): in_proj_weight stacks W_q, W_k, W_v
by rows, head h owns features h*D .. (h+1)*D, bool masks are True = masked."""

from __future__ import annotations

import math

import numpy as np
import pytest

import nanotorch as nt
from nanotorch import nn
from nanotorch.testing import assert_close, gradcheck
from specs.attention_ops import np_mha

_rng = np.random.default_rng(11)


def _sd(m):
    return {k: v.detach().cpu().numpy() for k, v in m.state_dict().items()}


def _t(x, device, requires_grad=False):
    return nt.tensor(x, dtype=nt.float64, device=device, requires_grad=requires_grad)


def _randn(*shape):
    return _rng.standard_normal(shape)


def _random_params(m):
    # Biases start at zero; random ones make the reference check the bias layout too.
    with nt.no_grad():
        for p in m.parameters():
            p.copy_(nt.tensor(_rng.standard_normal(p.shape) * 0.5, dtype=p.dtype, device=p.device))
    return m


def test_mha_state_dict_keys_and_shapes_are_pytorchs():
    m = nn.MultiheadAttention(8, 2)
    assert {k: tuple(v.shape) for k, v in m.state_dict().items()} == {
        "in_proj_weight": (24, 8),
        "in_proj_bias": (24,),
        "out_proj.weight": (8, 8),
        "out_proj.bias": (8,),
    }
    m = nn.MultiheadAttention(8, 2, kdim=3, vdim=5)
    assert {k: tuple(v.shape) for k, v in m.state_dict().items()} == {
        "q_proj_weight": (8, 8),
        "k_proj_weight": (8, 3),
        "v_proj_weight": (8, 5),
        "in_proj_bias": (24,),
        "out_proj.weight": (8, 8),
        "out_proj.bias": (8,),
    }
    assert list(nn.MultiheadAttention(8, 2, bias=False).state_dict()) == [
        "in_proj_weight",
        "out_proj.weight",
    ]


def test_mha_init_is_xavier_uniform_with_zero_biases():
    m = nn.MultiheadAttention(64, 4)
    w = m.in_proj_weight.detach().numpy()
    bound = math.sqrt(6.0 / (64 + 3 * 64))  # fan_in = E, fan_out = 3E
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.97 * bound
    assert np.all(m.in_proj_bias.detach().numpy() == 0)
    assert np.all(m.out_proj.bias.detach().numpy() == 0)


CONFIGS = {
    "seq-first": dict(),
    "batch-first": dict(batch_first=True),
    "kdim-vdim": dict(kdim=3, vdim=5),
    "no-bias": dict(bias=False),
    "bool-attn-mask": dict(attn_mask=_rng.uniform(size=(4, 6)) < 0.3),
    "float-3d-attn-mask": dict(attn_mask=_rng.standard_normal((2 * 2, 4, 6))),
    "key-padding-mask": dict(
        key_padding_mask=np.array([[0, 0, 0, 0, 1, 1], [0, 0, 1, 0, 0, 1]], dtype=bool)
    ),
    "both-masks": dict(
        attn_mask=_rng.standard_normal((4, 6)), key_padding_mask=_rng.standard_normal((2, 6))
    ),
    "unbatched": dict(unbatched=True, key_padding_mask=np.array([0, 0, 1, 0, 0, 0], dtype=bool)),
    "unbatched-per-head-mask": dict(unbatched=True, attn_mask=_rng.standard_normal((2, 4, 6))),
}


@pytest.mark.parametrize("need_weights", [True, False])
@pytest.mark.parametrize("name", list(CONFIGS))
def test_mha_matches_numpy_reference(device, name, need_weights):
    cfg = dict(CONFIGS[name])
    masks = {k: cfg.pop(k) for k in ("attn_mask", "key_padding_mask") if k in cfg}
    unbatched = cfg.pop("unbatched", False)
    m = _random_params(nn.MultiheadAttention(8, 2, **cfg).double()).to(device)
    kdim, vdim = cfg.get("kdim", 8), cfg.get("vdim", 8)
    lead_q, lead_k = ((4,), (6,)) if unbatched else ((4, 2), (6, 2))
    if cfg.get("batch_first"):
        lead_q, lead_k = lead_q[::-1], lead_k[::-1]
    q, k, v = _randn(*lead_q, 8), _randn(*lead_k, kdim), _randn(*lead_k, vdim)
    out, w = m(
        _t(q, device),
        _t(k, device),
        _t(v, device),
        need_weights=need_weights,
        **{k_: nt.tensor(x, device=device) for k_, x in masks.items()},
    )
    ref_out, ref_w = np_mha(q, k, v, _sd(m), 2, batch_first=cfg.get("batch_first", False), **masks)
    assert_close(out, ref_out, rtol=1e-10, atol=1e-10)
    if need_weights:
        assert_close(w, ref_w.mean(axis=-3), rtol=1e-10, atol=1e-10)
    else:
        assert w is None


def test_mha_per_head_weights_when_not_averaged(device):
    m = _random_params(nn.MultiheadAttention(6, 3, batch_first=True).double()).to(device)
    x = _randn(2, 4, 6)
    _, w = m(_t(x, device), _t(x, device), _t(x, device), average_attn_weights=False)
    _, ref_w = np_mha(x, x, x, _sd(m), 3, batch_first=True)
    assert tuple(w.shape) == (2, 3, 4, 4)
    assert_close(w, ref_w, rtol=1e-10, atol=1e-10)


def test_mha_gradcheck_inputs_and_parameters(device):
    m = _random_params(nn.MultiheadAttention(4, 2, kdim=3, batch_first=True).double()).to(device)
    q = _t(_randn(2, 3, 4), device, True)
    k = _t(_randn(2, 2, 3), device, True)
    v = _t(_randn(2, 2, 4), device, True)
    mask = nt.tensor(np.array([[False, True], [False, False]]), device=device)

    def fn(q, k, v, *params):
        return m(q, k, v, key_padding_mask=mask)[0]

    assert gradcheck(fn, [q, k, v, *m.parameters()], name="MultiheadAttention")


def test_mha_is_causal_hint_uses_the_given_causal_mask(device):
    m = nn.MultiheadAttention(4, 2, batch_first=True).double().to(device)
    x = _t(_randn(1, 5, 4), device)
    causal = nn.Transformer.generate_square_subsequent_mask(5, device=device, dtype=nt.float64)
    a, _ = m(x, x, x, attn_mask=causal, need_weights=False)
    b, _ = m(x, x, x, attn_mask=causal, is_causal=True, need_weights=False)
    assert_close(a, b, rtol=0, atol=0)
    # The first position sees only itself, so changing later inputs leaves it alone.
    y = x.detach().clone()
    with nt.no_grad():
        y[0, 3:] = 7.0
    c, _ = m(y, y, y, attn_mask=causal, need_weights=False)
    assert_close(c[:, :3], a[:, :3], rtol=1e-12, atol=1e-12)


def test_mha_dropout_only_in_training(device):
    m = nn.MultiheadAttention(4, 2, dropout=0.5, batch_first=True).double().to(device)
    x = _t(_randn(1, 6, 4), device)
    m.eval()
    _, w_eval = m(x, x, x)
    _, ref_w = np_mha(
        x.cpu().numpy(), x.cpu().numpy(), x.cpu().numpy(), _sd(m), 2, batch_first=True
    )
    assert_close(w_eval, ref_w.mean(1), rtol=1e-10, atol=1e-10)
    m.train()
    _, w_train = m(x, x, x, average_attn_weights=False)
    wt = w_train.detach().cpu().numpy()
    # Dropped weights are 0, kept ones scaled by 1 / (1 - p) = 2.
    assert np.any(wt == 0)
    kept = wt != 0
    assert_close(nt.tensor(wt[kept]), ref_w[kept] * 2, rtol=1e-10, atol=1e-10)


def test_mha_rejects_bad_configuration_and_input():
    with pytest.raises(ValueError, match="embed_dim must be divisible by num_heads"):
        nn.MultiheadAttention(6, 4)
    with pytest.raises(AssertionError, match="divisible"):  # PyTorch asserts here
        nn.MultiheadAttention(6, 4)
    m = nn.MultiheadAttention(4, 2)
    x = nt.zeros(3, 1, 4)
    with pytest.raises(RuntimeError, match="is_causal=True .* needs attn_mask"):
        m(x, x, x, is_causal=True)
    with pytest.raises(ValueError, match=r"attn_mask of shape \(2, 2\) should be \(L, S\)"):
        m(x, x, x, attn_mask=nt.zeros(2, 2))
    with pytest.raises(ValueError, match=r"key_padding_mask of shape \(1, 2\) should be"):
        m(x, x, x, key_padding_mask=nt.zeros(1, 2, dtype=nt.bool))
    with pytest.raises(ValueError, match=r"expected features .* = \(4, .*\), got 5"):
        m(nt.zeros(3, 1, 5), x, x)
    with pytest.raises(TypeError, match="attn_mask must be bool .* got int64"):
        m(x, x, x, attn_mask=nt.zeros(3, 3, dtype=nt.int64))
