"""Side by side with PyTorch, when it is importable (skipped otherwise): our state_dicts load
into PyTorch's modules unchanged and both give the same outputs in float64."""

from __future__ import annotations

import numpy as np
import pytest

import nanotorch as nt
import nanotorch.nn.functional as F
from nanotorch import nn
from nanotorch.testing import assert_close

torch = pytest.importorskip("torch")

_rng = np.random.default_rng(5)


def _to_torch(module, torch_module):
    sd = {k: torch.from_numpy(v.detach().numpy().copy()) for k, v in module.state_dict().items()}
    torch_module.double().load_state_dict(sd, strict=True)
    return torch_module.eval()


def _pair(*shape):
    x = _rng.standard_normal(shape)
    return nt.tensor(x, dtype=nt.float64), torch.from_numpy(x.copy())


def test_sdpa_matches_torch():
    (q, tq), (k, tk), (v, tv) = _pair(2, 4, 3, 8), _pair(2, 2, 5, 8), _pair(2, 2, 5, 8)
    mask = _rng.uniform(size=(3, 5)) < 0.6
    mask[1] = False
    ours = F.scaled_dot_product_attention(q, k, v, nt.tensor(mask), enable_gqa=True)
    theirs = torch.nn.functional.scaled_dot_product_attention(
        tq, tk, tv, torch.from_numpy(mask), enable_gqa=True
    )
    assert_close(ours, theirs.numpy(), rtol=1e-10, atol=1e-10)


def test_mha_matches_torch():
    m = nn.MultiheadAttention(8, 2, kdim=3, vdim=5, batch_first=True).double().eval()
    tm = _to_torch(m, torch.nn.MultiheadAttention(8, 2, kdim=3, vdim=5, batch_first=True))
    (q, tq), (k, tk), (v, tv) = _pair(2, 4, 8), _pair(2, 6, 3), _pair(2, 6, 5)
    pad = np.zeros((2, 6), dtype=bool)
    pad[0, 4:] = True
    out, w = m(q, k, v, key_padding_mask=nt.tensor(pad))
    tout, tw = tm(tq, tk, tv, key_padding_mask=torch.from_numpy(pad))
    assert_close(out, tout.detach().numpy(), rtol=1e-10, atol=1e-10)
    assert_close(w, tw.detach().numpy(), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("norm_first", [False, True])
def test_transformer_matches_torch(norm_first):
    kw = dict(dim_feedforward=12, dropout=0.0, norm_first=norm_first, activation="gelu")
    m = nn.Transformer(8, 2, 2, 2, **kw).double().eval()
    tm = _to_torch(m, torch.nn.Transformer(8, 2, 2, 2, **kw))
    (src, tsrc), (tgt, ttgt) = _pair(5, 2, 8), _pair(4, 2, 8)
    mask = nn.Transformer.generate_square_subsequent_mask(4, dtype=nt.float64)
    tmask = torch.nn.Transformer.generate_square_subsequent_mask(4, dtype=torch.float64)
    out = m(src, tgt, tgt_mask=mask)
    tout = tm(tsrc, ttgt, tgt_mask=tmask)
    assert_close(out, tout.detach().numpy(), rtol=1e-9, atol=1e-9)
