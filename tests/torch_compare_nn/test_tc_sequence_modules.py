"""Recurrent, attention and transformer layers against PyTorch: torch's state_dict loads
unchanged, and outputs, final states and the gradients of inputs, initial states and every
parameter agree in train (dropout 0) and eval mode, float32 and float64."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from nn_compare import compare_module

R = np.random.default_rng(9)


def randn(*shape: int) -> np.ndarray:
    return R.standard_normal(shape)


def mask(*shape: int) -> np.ndarray:
    m = R.uniform(size=shape) < 0.3
    m[..., 0] = False  # every query keeps a key
    return m


def call_kw(**kw: Any) -> Any:
    """Call the module with positional tensors and the given keyword options."""
    return lambda m, xs: m(*xs, **kw)


def mha_call(n_pos: int, mask_names: tuple[str, ...] = (), **kw: Any) -> Any:
    """MHA takes (query, key, value) then masks by keyword."""

    def call(m: Any, xs: list[Any]) -> Any:
        masks = dict(zip(mask_names, xs[n_pos:]))
        return m(*xs[:n_pos], **masks, **kw)

    return call


CASES: list[tuple[Any, ...]] = [
    ("RNN", lambda nn: nn.RNN(3, 4), [randn(5, 2, 3)], None),
    (
        "RNN-relu-2layer-h0",
        lambda nn: nn.RNN(3, 4, 2, nonlinearity="relu"),
        [randn(5, 2, 3), randn(2, 2, 4)],
        None,
    ),
    (
        "RNN-bi-batch_first-nobias",
        lambda nn: nn.RNN(3, 4, 2, bias=False, batch_first=True, bidirectional=True),
        [randn(2, 5, 3)],
        None,
    ),
    ("RNN-unbatched", lambda nn: nn.RNN(3, 4), [randn(5, 3)], None),
    ("LSTM", lambda nn: nn.LSTM(3, 4), [randn(5, 2, 3)], None),
    (
        "LSTM-2layer-bi-state",
        lambda nn: nn.LSTM(3, 4, 2, bidirectional=True),
        [randn(4, 2, 3), randn(4, 2, 4), randn(4, 2, 4)],
        lambda m, xs: m(xs[0], (xs[1], xs[2])),
    ),
    (
        "LSTM-proj",
        lambda nn: nn.LSTM(3, 4, 2, proj_size=2, bidirectional=True),
        [randn(5, 2, 3)],
        None,
    ),
    (
        "LSTM-proj-state-unbatched",
        lambda nn: nn.LSTM(3, 4, proj_size=2),
        [randn(5, 3), randn(1, 2), randn(1, 4)],
        lambda m, xs: m(xs[0], (xs[1], xs[2])),
    ),
    ("LSTM-batch_first", lambda nn: nn.LSTM(3, 4, batch_first=True), [randn(2, 5, 3)], None),
    ("GRU", lambda nn: nn.GRU(3, 4), [randn(5, 2, 3)], None),
    (
        "GRU-2layer-bi-h0",
        lambda nn: nn.GRU(3, 4, 2, bidirectional=True, batch_first=True),
        [randn(2, 5, 3), randn(4, 2, 4)],
        None,
    ),
    ("RNNCell", lambda nn: nn.RNNCell(3, 4), [randn(2, 3), randn(2, 4)], None),
    (
        "RNNCell-relu-nobias",
        lambda nn: nn.RNNCell(3, 4, bias=False, nonlinearity="relu"),
        [randn(2, 3)],
        None,
    ),
    (
        "LSTMCell",
        lambda nn: nn.LSTMCell(3, 4),
        [randn(2, 3), randn(2, 4), randn(2, 4)],
        lambda m, xs: m(xs[0], (xs[1], xs[2])),
    ),
    ("GRUCell", lambda nn: nn.GRUCell(3, 4), [randn(2, 3), randn(2, 4)], None),
    (
        "MHA-self",
        lambda nn: nn.MultiheadAttention(8, 2),
        [randn(4, 2, 8)],
        lambda m, xs: m(xs[0], xs[0], xs[0]),
    ),
    (
        "MHA-kdim-vdim-batch_first",
        lambda nn: nn.MultiheadAttention(8, 2, kdim=3, vdim=5, batch_first=True),
        [randn(2, 4, 8), randn(2, 6, 3), randn(2, 6, 5)],
        mha_call(3),
    ),
    (
        "MHA-masks-per-head",
        lambda nn: nn.MultiheadAttention(6, 3),
        [randn(4, 2, 6), randn(5, 2, 6), randn(5, 2, 6), mask(4, 5), mask(2, 5)],
        mha_call(3, ("attn_mask", "key_padding_mask"), average_attn_weights=False),
    ),
    (
        "MHA-nobias-no-weights",
        lambda nn: nn.MultiheadAttention(4, 1, bias=False),
        [randn(3, 2, 4), randn(3, 2, 4), randn(3, 2, 4)],
        mha_call(3, need_weights=False),
    ),
    (
        "MHA-float-mask",
        lambda nn: nn.MultiheadAttention(4, 2, batch_first=True),
        [randn(2, 3, 4), randn(2, 5, 4), randn(2, 5, 4), randn(3, 5)],
        mha_call(3, ("attn_mask",)),
    ),
    (
        "EncoderLayer",
        lambda nn: nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0),
        [randn(5, 2, 8)],
        None,
    ),
    (
        "EncoderLayer-gelu-normfirst-bf",
        lambda nn: nn.TransformerEncoderLayer(
            8, 2, 16, dropout=0.0, activation="gelu", norm_first=True, batch_first=True
        ),
        [randn(2, 5, 8)],
        None,
    ),
    (
        "EncoderLayer-mask",
        lambda nn: nn.TransformerEncoderLayer(4, 2, 8, dropout=0.0),
        [randn(5, 2, 4), mask(5, 5)],
        lambda m, xs: m(xs[0], src_mask=xs[1]),
    ),
    (
        "DecoderLayer",
        lambda nn: nn.TransformerDecoderLayer(8, 2, 16, dropout=0.0),
        [randn(4, 2, 8), randn(5, 2, 8)],
        None,
    ),
    (
        "DecoderLayer-normfirst-bf",
        lambda nn: nn.TransformerDecoderLayer(
            4, 2, 8, dropout=0.0, norm_first=True, batch_first=True, bias=False
        ),
        [randn(2, 4, 4), randn(2, 5, 4)],
        None,
    ),
    (
        "Encoder-stack-norm",
        lambda nn: nn.TransformerEncoder(
            nn.TransformerEncoderLayer(4, 2, 8, dropout=0.0),
            2,
            norm=nn.LayerNorm(4),
            enable_nested_tensor=False,
        ),
        [randn(5, 2, 4)],
        None,
    ),
    (
        "Transformer",
        lambda nn: nn.Transformer(8, 2, 1, 2, 16, dropout=0.0),
        [randn(5, 2, 8), randn(4, 2, 8)],
        None,
    ),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("train", [True, False], ids=["train", "eval"])
@pytest.mark.parametrize(
    ("make", "inputs", "call"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_sequence_module_matches_torch(make, inputs, call, train, dtype):
    compare_module(make, inputs, dtype, train, call=call)


MHA_EXTRA_KV: list[tuple[Any, ...]] = [
    (
        "bias_kv-zero_attn",
        lambda nn: nn.MultiheadAttention(4, 2, add_bias_kv=True, add_zero_attn=True),
        [randn(3, 2, 4), randn(5, 2, 4), randn(5, 2, 4)],
        mha_call(3),
    ),
    (
        "bias_kv-masks-per-head",
        lambda nn: nn.MultiheadAttention(6, 3, add_bias_kv=True),
        [randn(4, 2, 6), randn(5, 2, 6), randn(5, 2, 6), mask(4, 5), mask(2, 5)],
        mha_call(3, ("attn_mask", "key_padding_mask"), average_attn_weights=False),
    ),
    (
        "zero_attn-3d-mask-batch_first-kdim",
        lambda nn: nn.MultiheadAttention(
            4, 2, add_zero_attn=True, kdim=3, vdim=5, batch_first=True
        ),
        [randn(2, 3, 4), randn(2, 6, 3), randn(2, 6, 5), mask(4, 3, 6)],
        mha_call(3, ("attn_mask",)),
    ),
    (
        "both-no-weights-float-mask-nobias",
        lambda nn: nn.MultiheadAttention(4, 1, bias=False, add_bias_kv=True, add_zero_attn=True),
        [randn(3, 2, 4), randn(4, 2, 4), randn(4, 2, 4), randn(3, 4)],
        mha_call(3, ("attn_mask",), need_weights=False),
    ),
    (
        "both-unbatched-padding",
        lambda nn: nn.MultiheadAttention(4, 2, add_bias_kv=True, add_zero_attn=True),
        [randn(3, 4), randn(5, 4), randn(5, 4), mask(5)],
        mha_call(3, ("key_padding_mask",)),
    ),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("train", [True, False], ids=["train", "eval"])
@pytest.mark.parametrize(
    ("make", "inputs", "call"),
    [c[1:] for c in MHA_EXTRA_KV],
    ids=[c[0] for c in MHA_EXTRA_KV],
)
def test_mha_bias_kv_and_zero_attn_match_torch(make, inputs, call, train, dtype):
    compare_module(make, inputs, dtype, train, call=call)


def test_mha_bias_kv_state_dict_keys_and_init_match_torch():
    import torch

    import nanotorch as nt

    t_mod = torch.nn.MultiheadAttention(8, 2, add_bias_kv=True, kdim=3, vdim=5)
    n_mod = nt.nn.MultiheadAttention(8, 2, add_bias_kv=True, kdim=3, vdim=5)
    assert list(n_mod.state_dict()) == list(t_mod.state_dict())
    # xavier_normal_ on a (1, 1, E) tensor: std = sqrt(2 / (E + E)).
    big = nt.nn.MultiheadAttention(400, 4, add_bias_kv=True)
    std = float(big.bias_k.detach().numpy().std())
    assert abs(std - (2 / 800) ** 0.5) < 0.2 * (2 / 800) ** 0.5
