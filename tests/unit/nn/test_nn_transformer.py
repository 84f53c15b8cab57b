"""Transformer layers against a NumPy reference written from PyTorch's documented equations
(module docstring of nn/transformer.py), PyTorch's exact state_dict keys, gradcheck on every
device, and ``generate_square_subsequent_mask``."""

from __future__ import annotations

import math

import numpy as np
import pytest

import nanotorch as nt
from nanotorch import nn
from nanotorch.testing import assert_close, gradcheck
from specs.attention_ops import np_mha

_rng = np.random.default_rng(23)
_erf = np.vectorize(math.erf)


def _randn(*shape):
    return _rng.standard_normal(shape)


def _t(x, device, requires_grad=False):
    return nt.tensor(x, dtype=nt.float64, device=device, requires_grad=requires_grad)


def _sd(m, prefix=""):
    return {
        k[len(prefix) :]: v.detach().cpu().numpy()
        for k, v in m.state_dict().items()
        if k.startswith(prefix)
    }


def _random_params(m):
    with nt.no_grad():
        for p in m.parameters():
            p.copy_(nt.tensor(_randn(*p.shape) * 0.5, dtype=p.dtype, device=p.device))
    return m


# ------------------------------------------------------------------------- NumPy reference
def np_layer_norm(x, sd, eps=1e-5):
    mu = x.mean(-1, keepdims=True)
    var = x.var(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * sd["weight"] + sd.get("bias", 0.0)


def np_linear(x, sd):
    return x @ sd["weight"].T + sd.get("bias", 0.0)


_ACT = {"relu": lambda x: np.maximum(x, 0), "gelu": lambda x: 0.5 * x * (1 + _erf(x / 2**0.5))}


def _attn(x, mem, sd, nhead, batch_first, mask, padding):
    return np_mha(
        x, mem, mem, sd, nhead, batch_first=batch_first, attn_mask=mask, key_padding_mask=padding
    )[0]


def np_encoder_layer(
    x, sd, nhead, *, norm_first, activation="relu", batch_first=False, mask=None, padding=None
):
    sub = lambda p: {k[len(p) :]: v for k, v in sd.items() if k.startswith(p)}  # noqa: E731
    sa = lambda y: _attn(y, y, sub("self_attn."), nhead, batch_first, mask, padding)  # noqa: E731
    ff = lambda y: np_linear(_ACT[activation](np_linear(y, sub("linear1."))), sub("linear2."))  # noqa: E731
    n1 = lambda y: np_layer_norm(y, sub("norm1."))  # noqa: E731
    n2 = lambda y: np_layer_norm(y, sub("norm2."))  # noqa: E731
    if norm_first:
        x = x + sa(n1(x))
        return x + ff(n2(x))
    x = n1(x + sa(x))
    return n2(x + ff(x))


def np_decoder_layer(
    x,
    mem,
    sd,
    nhead,
    *,
    norm_first,
    batch_first=False,
    tgt_mask=None,
    memory_mask=None,
    tgt_padding=None,
    memory_padding=None,
):
    sub = lambda p: {k[len(p) :]: v for k, v in sd.items() if k.startswith(p)}  # noqa: E731
    sa = lambda y: _attn(y, y, sub("self_attn."), nhead, batch_first, tgt_mask, tgt_padding)  # noqa: E731
    ca = lambda y: _attn(  # noqa: E731
        y, mem, sub("multihead_attn."), nhead, batch_first, memory_mask, memory_padding
    )
    ff = lambda y: np_linear(np.maximum(np_linear(y, sub("linear1.")), 0), sub("linear2."))  # noqa: E731
    n = lambda i, y: np_layer_norm(y, sub(f"norm{i}."))  # noqa: E731
    if norm_first:
        x = x + sa(n(1, x))
        x = x + ca(n(2, x))
        return x + ff(n(3, x))
    x = n(1, x + sa(x))
    x = n(2, x + ca(x))
    return n(3, x + ff(x))


# ------------------------------------------------------------------------------- tests
ENCODER_KEYS = [
    "self_attn.in_proj_weight",
    "self_attn.in_proj_bias",
    "self_attn.out_proj.weight",
    "self_attn.out_proj.bias",
    "linear1.weight",
    "linear1.bias",
    "linear2.weight",
    "linear2.bias",
    "norm1.weight",
    "norm1.bias",
    "norm2.weight",
    "norm2.bias",
]
DECODER_KEYS = [
    *ENCODER_KEYS[:4],
    "multihead_attn.in_proj_weight",
    "multihead_attn.in_proj_bias",
    "multihead_attn.out_proj.weight",
    "multihead_attn.out_proj.bias",
    *ENCODER_KEYS[4:],
    "norm3.weight",
    "norm3.bias",
]


def test_transformer_encoder_state_dict_keys_are_pytorchs():
    enc = nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16), 2, norm=nn.LayerNorm(8))
    assert list(enc.state_dict()) == [
        *(f"layers.0.{k}" for k in ENCODER_KEYS),
        *(f"layers.1.{k}" for k in ENCODER_KEYS),
        "norm.weight",
        "norm.bias",
    ]
    sd = enc.state_dict()
    assert tuple(sd["layers.1.linear1.weight"].shape) == (16, 8)
    assert tuple(sd["layers.0.self_attn.in_proj_weight"].shape) == (24, 8)


def test_transformer_decoder_state_dict_keys_are_pytorchs():
    dec = nn.TransformerDecoder(nn.TransformerDecoderLayer(8, 2, 16), 2)
    assert list(dec.state_dict()) == [
        *(f"layers.0.{k}" for k in DECODER_KEYS),
        *(f"layers.1.{k}" for k in DECODER_KEYS),
    ]


def test_transformer_layers_are_independent_copies():
    enc = nn.TransformerEncoder(nn.TransformerEncoderLayer(4, 2, 8), 2)
    a, b = enc.layers[0].linear1.weight, enc.layers[1].linear1.weight
    assert a is not b
    assert_close(a, b, rtol=0, atol=0)  # copies of one layer start equal, as in PyTorch
    with nt.no_grad():
        a.add_(1.0)
    assert not np.allclose(a.detach().numpy(), b.detach().numpy())


def test_transformer_submodule_names_and_defaults_are_pytorchs():
    layer = nn.TransformerEncoderLayer(8, 2)
    assert [n for n, _ in layer.named_children()] == [
        "self_attn", "linear1", "dropout", "linear2", "norm1", "norm2", "dropout1", "dropout2",
    ]  # fmt: skip
    assert layer.linear1.out_features == 2048 and layer.dropout.p == 0.1
    assert layer.norm1.eps == 1e-5 and layer.norm_first is False
    assert layer.self_attn.batch_first is False and layer.self_attn.dropout == 0.1
    dec = nn.TransformerDecoderLayer(8, 2)
    assert [n for n, _ in dec.named_children()] == [
        "self_attn", "multihead_attn", "linear1", "dropout", "linear2", "norm1", "norm2",
        "norm3", "dropout1", "dropout2", "dropout3",
    ]  # fmt: skip


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("activation", ["relu", "gelu"])
@pytest.mark.parametrize("batch_first", [False, True])
def test_transformer_encoder_layer_matches_numpy(device, norm_first, activation, batch_first):
    layer = nn.TransformerEncoderLayer(
        8, 2, 12, dropout=0.0, activation=activation, norm_first=norm_first,
        batch_first=batch_first,
    )  # fmt: skip
    layer = _random_params(layer.double()).to(device)
    x = _randn(2, 5, 8) if batch_first else _randn(5, 2, 8)
    mask = nn.Transformer.generate_square_subsequent_mask(5, dtype=nt.float64)
    padding = np.array([[0, 0, 0, 0, 1], [0, 0, 0, 0, 0]], dtype=bool)
    out = layer(
        _t(x, device),
        src_mask=mask.to(device),
        src_key_padding_mask=nt.tensor(padding, device=device),
    )
    ref = np_encoder_layer(
        x, _sd(layer), 2, norm_first=norm_first, activation=activation,
        batch_first=batch_first, mask=mask.numpy(), padding=padding,
    )  # fmt: skip
    assert_close(out, ref, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("norm_first", [False, True])
def test_transformer_decoder_layer_matches_numpy(device, norm_first):
    layer = nn.TransformerDecoderLayer(8, 2, 12, dropout=0.0, norm_first=norm_first)
    layer = _random_params(layer.double()).to(device)
    x, mem = _randn(4, 2, 8), _randn(6, 2, 8)
    tgt_mask = nn.Transformer.generate_square_subsequent_mask(4, dtype=nt.float64)
    memory_padding = np.array([[0, 0, 0, 0, 0, 1], [0, 1, 0, 0, 0, 0]], dtype=bool)
    out = layer(
        _t(x, device),
        _t(mem, device),
        tgt_mask=tgt_mask.to(device),
        memory_key_padding_mask=nt.tensor(memory_padding, device=device),
        tgt_is_causal=True,
    )
    ref = np_decoder_layer(
        x, mem, _sd(layer), 2, norm_first=norm_first, tgt_mask=tgt_mask.numpy(),
        memory_padding=memory_padding,
    )  # fmt: skip
    assert_close(out, ref, rtol=1e-9, atol=1e-9)


def test_transformer_layers_take_unbatched_input(device):
    enc = nn.TransformerEncoderLayer(8, 2, 12, dropout=0.0).double().to(device)
    dec = nn.TransformerDecoderLayer(8, 2, 12, dropout=0.0).double().to(device)
    x, mem = _t(_randn(5, 8), device), _t(_randn(3, 8), device)
    mask = nn.Transformer.generate_square_subsequent_mask(5, device=device, dtype=nt.float64)
    assert_close(enc(x, mask), enc(x.unsqueeze(1), mask)[:, 0], rtol=1e-12, atol=1e-12)
    assert_close(dec(x, mem), dec(x.unsqueeze(1), mem.unsqueeze(1))[:, 0], rtol=1e-12, atol=1e-12)


def test_transformer_encoder_and_decoder_stack_layers_then_norm(device):
    enc = nn.TransformerEncoder(
        nn.TransformerEncoderLayer(4, 2, 6, dropout=0.0, batch_first=True), 2, nn.LayerNorm(4)
    )
    dec = nn.TransformerDecoder(
        nn.TransformerDecoderLayer(4, 2, 6, dropout=0.0, batch_first=True), 2, nn.LayerNorm(4)
    )
    enc, dec = _random_params(enc.double()).to(device), _random_params(dec.double()).to(device)
    src, tgt = _randn(2, 5, 4), _randn(2, 3, 4)
    mem = enc(_t(src, device))
    out = dec(_t(tgt, device), mem)
    ref_mem = src
    for i in range(2):
        ref_mem = np_encoder_layer(
            ref_mem, _sd(enc, f"layers.{i}."), 2, norm_first=False, batch_first=True
        )
    ref_mem = np_layer_norm(ref_mem, _sd(enc, "norm."))
    assert_close(mem, ref_mem, rtol=1e-9, atol=1e-9)
    ref = tgt
    for i in range(2):
        ref = np_decoder_layer(
            ref, ref_mem, _sd(dec, f"layers.{i}."), 2, norm_first=False, batch_first=True
        )
    assert_close(out, np_layer_norm(ref, _sd(dec, "norm.")), rtol=1e-9, atol=1e-9)


def test_transformer_model_is_encoder_then_decoder(device):
    model = nn.Transformer(8, 2, 1, 1, 12, dropout=0.0, batch_first=True).double().to(device)
    src, tgt = _t(_randn(1, 5, 8), device), _t(_randn(1, 3, 8), device)
    mask = nn.Transformer.generate_square_subsequent_mask(3, device=device, dtype=nt.float64)
    out = model(src, tgt, tgt_mask=mask)
    assert_close(out, model.decoder(tgt, model.encoder(src), tgt_mask=mask), rtol=0, atol=0)
    keys = list(model.state_dict())
    assert keys[0] == "encoder.layers.0.self_attn.in_proj_weight"
    assert "encoder.norm.weight" in keys and keys[-1] == "decoder.norm.bias"
    # PyTorch re-initialises every matrix Xavier-uniform, including out_proj and linear1.
    w = model.encoder.layers[0].linear1.weight.detach().cpu().numpy()
    assert np.abs(w).max() <= math.sqrt(6 / (8 + 12))


@pytest.mark.parametrize("norm_first", [False, True])
def test_transformer_layers_gradcheck(device, norm_first):
    enc = nn.TransformerEncoderLayer(4, 2, 3, dropout=0.0, norm_first=norm_first)
    dec = nn.TransformerDecoderLayer(4, 2, 3, dropout=0.0, norm_first=norm_first)
    enc, dec = _random_params(enc.double()).to(device), _random_params(dec.double()).to(device)
    src, tgt = _t(_randn(3, 1, 4), device, True), _t(_randn(2, 1, 4), device, True)
    mask = nn.Transformer.generate_square_subsequent_mask(2, device=device, dtype=nt.float64)

    def fn(src, tgt, *params):
        return dec(tgt, enc(src), tgt_mask=mask)

    # Each case checks one stack's parameters (finite differences cost two passes per number).
    params = list(dec.parameters() if norm_first else enc.parameters())
    assert gradcheck(fn, [src, tgt, *params], name="Transformer layers")


def test_generate_square_subsequent_mask_is_minus_inf_above_the_diagonal(device):
    m = nn.Transformer.generate_square_subsequent_mask(4, device=device)
    assert m.dtype is nt.float32 and str(m.device) == str(device)
    expected = np.triu(np.full((4, 4), -np.inf), k=1)
    assert np.array_equal(m.cpu().numpy(), expected)


def test_transformer_dropout_is_off_in_eval_and_on_in_train():
    layer = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.5).double()
    x = nt.tensor(_randn(3, 2, 8), dtype=nt.float64)
    layer.eval()
    a, b = layer(x), layer(x)
    assert_close(a, b, rtol=0, atol=0)
    layer.train()
    assert not np.allclose(layer(x).detach().numpy(), a.detach().numpy())


def test_transformer_activation_callable_and_bad_name():
    layer = nn.TransformerEncoderLayer(4, 2, 6, activation=nn.GELU())
    assert isinstance(layer.activation, nn.GELU)
    with pytest.raises(RuntimeError, match="activation should be 'relu', 'gelu' or a callable"):
        nn.TransformerEncoderLayer(4, 2, activation="tanh")


def test_transformer_encoder_is_causal_needs_a_mask():
    enc = nn.TransformerEncoder(nn.TransformerEncoderLayer(4, 2, 6), 1)
    with pytest.raises(RuntimeError, match="needs attn_mask"):
        enc(nt.zeros(3, 1, 4), is_causal=True)
