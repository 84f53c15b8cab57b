"""The small GPT of the Shakespeare scenarios: shapes, causality, weight tying, the key/value
cache and sampling (src/nanotorch/models/gpt.py)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import nanotorch as nt
from nanotorch.models import GPT, GPTConfig, KVCache
from nanotorch.testing import assert_close

TINY = {"vocab_size": 11, "block_size": 8, "n_layer": 2, "n_head": 2, "n_embd": 8}


def _model(device="cpu", dtype=None, **over):
    nt.manual_seed(0)
    model = GPT(GPTConfig(**{**TINY, **over}))
    if dtype is not None:
        model = model.to(dtype=dtype) if hasattr(model, "to") else model
    return model.to(device)


def _ids(shape, device="cpu", high=11, seed=1):
    return nt.randint(0, high, shape, generator=nt.Generator().manual_seed(seed)).to(device)


def test_gpt_logits_shape_and_initial_loss_is_log_vocab(device):
    model = _model(device)
    idx = _ids((3, 8), device)
    logits = model(idx)
    assert logits.shape == (3, 8, 11) and logits.device == device
    # Small initial weights: the first prediction is near uniform, loss near log(vocab).
    loss = nt.nn.functional.cross_entropy(logits.reshape(-1, 11), idx.reshape(-1))
    assert abs(loss.item() - math.log(11)) < 0.1


def test_gpt_is_causal_the_future_does_not_change_the_past(device):
    model = _model(device)
    a = _ids((1, 8), device, seed=1)
    b = a.clone()
    b[0, 5:] = (b[0, 5:] + 1) % 11  # change positions 5, 6, 7 only
    la, lb = model(a), model(b)
    assert_close(la[:, :5], lb[:, :5])
    assert not np.allclose(la[:, 5:].detach().cpu().numpy(), lb[:, 5:].detach().cpu().numpy())


def test_gpt_lm_head_is_the_token_embedding():
    model = _model()
    assert model.lm_head.weight is model.wte.weight
    names = [n for n, _ in model.named_parameters()]
    assert "wte.weight" in names and "lm_head.weight" not in names  # stepped once
    sd = model.state_dict()
    assert "lm_head.weight" in sd and "wte.weight" in sd  # both names, as PyTorch
    per_block = 2 * 8 + (8 * 24 + 24) + (8 * 8 + 8) + 2 * 8 + (8 * 32 + 32) + (32 * 8 + 8)
    assert model.num_parameters() == 11 * 8 + 8 * 8 + 2 * per_block + 2 * 8


def test_gpt_tied_weight_gets_the_gradient_of_both_uses():
    model = _model()
    idx = _ids((2, 6))
    model(idx).sum().backward()
    grad = model.wte.weight.grad.numpy()
    # Rows of tokens absent from idx get a gradient from the head only; it is not zero.
    absent = sorted(set(range(11)) - set(idx.numpy().ravel().tolist()))
    assert absent and np.abs(grad[absent]).sum() > 0


def test_gpt_residual_projections_start_smaller():
    model = _model(n_layer=8, n_embd=64, n_head=4)
    std = float(np.std(model.h[0].attn.c_proj.weight.detach().numpy()))
    assert abs(std - 0.02 / math.sqrt(16)) < 0.0015
    assert abs(float(np.std(model.h[0].mlp.c_fc.weight.detach().numpy())) - 0.02) < 0.002


def test_gpt_cache_gives_the_logits_of_the_whole_sequence(device):
    model = _model(device)
    idx = _ids((2, 7), device)
    full = model(idx)
    cache = KVCache(2)
    parts = [model(idx[:, :4], cache)] + [model(idx[:, t : t + 1], cache) for t in range(4, 7)]
    assert cache.length == 7
    assert_close(nt.cat(parts, dim=1), full, atol=1e-5, rtol=1e-5)
    # Several new positions after a cache: the causal mask shifted by the cached length.
    cache = KVCache(2)
    chunks = [model(idx[:, a:b], cache) for a, b in ((0, 3), (3, 5), (5, 7))]
    assert_close(nt.cat(chunks, dim=1), full, atol=1e-5, rtol=1e-5)


def test_gpt_kept_attention_is_causal_rows_of_probabilities(device):
    model = _model(device)
    idx = _ids((2, 6), device)
    plain = model(idx)
    for block in model.h:
        block.attn.keep_attention = True
    kept = model(idx)
    assert_close(kept, plain, atol=1e-6, rtol=1e-5)  # the spelled-out path computes the same
    weights = model.h[1].attn.attention.cpu().numpy()
    assert weights.shape == (2, 2, 6, 6)
    assert np.allclose(weights.sum(-1), 1.0, atol=1e-6)
    assert np.all(np.triu(weights, k=1) == 0.0)  # nothing attends to a later position
    assert np.allclose(weights[..., 0, 0], 1.0)  # the first position sees only itself


@pytest.mark.parametrize("new_tokens", [5, 30])  # 30 crosses the 8-token window 4 times
def test_gpt_generate_cached_and_uncached_give_the_same_tokens(device, new_tokens):
    model = _model(device)
    prompt = _ids((2, 3), device)
    outs = [
        model.generate(
            prompt,
            new_tokens,
            temperature=0.9,
            top_k=6,
            generator=nt.Generator(device).manual_seed(4),
            use_cache=use_cache,
        )
        for use_cache in (True, False)
    ]
    assert outs[0].shape == (2, 3 + new_tokens)
    assert outs[0].tolist() == outs[1].tolist()
    assert outs[0][:, :3].tolist() == prompt.tolist()


def test_gpt_generate_same_seed_same_text_and_top_k_1_is_greedy():
    model = _model()
    prompt = _ids((1, 4))
    a = model.generate(prompt, 10, generator=nt.Generator().manual_seed(2))
    b = model.generate(prompt, 10, generator=nt.Generator().manual_seed(2))
    assert a.tolist() == b.tolist()
    greedy = model.generate(prompt, 1, top_k=1, generator=nt.Generator().manual_seed(9))
    assert greedy[0, -1].item() == model(prompt)[0, -1].argmax().item()


def test_gpt_generate_cached_step_runs_one_position():
    # The point of the cache: after the prompt, each token runs the blocks on one position.
    model = _model()
    seen = []
    original = model.h[0].forward

    def spy(x, cache=None, layer=0):
        seen.append(x.shape[1])
        return original(x, cache, layer)

    model.h[0].forward = spy
    model.generate(_ids((1, 3)), 4, generator=nt.Generator().manual_seed(0))
    assert seen == [3, 1, 1, 1]


def test_gpt_generate_leaves_training_mode_as_it_was():
    model = _model()
    model.train()
    model.generate(_ids((1, 2)), 2)
    assert model.training


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"temperature": 0.0}, ValueError, "temperature must be > 0"),
        ({"temperature": -1.0}, ValueError, "temperature must be > 0"),
        ({"top_k": 0}, ValueError, "top_k must be a positive int"),
        ({"max_new_tokens": -1}, ValueError, "max_new_tokens must be >= 0"),
        ({"max_new_tokens": 2.5}, TypeError, "max_new_tokens must be an int"),
    ],
)
def test_gpt_generate_bad_arguments_name_themselves(kwargs, error, match):
    model = _model()
    args = {"max_new_tokens": 3, **kwargs}
    with pytest.raises(error, match=match):
        model.generate(_ids((1, 2)), **args)


def test_gpt_longer_than_block_size_names_the_fix():
    with pytest.raises(RuntimeError, match=r"9 positions .* exceed block_size 8; crop"):
        _model()(_ids((1, 9)))


@pytest.mark.parametrize(
    ("over", "match"),
    [
        ({"n_embd": 9}, "multiple of n_head"),
        ({"n_layer": 0}, "n_layer must be a positive"),
        ({"dropout": 1.0}, "dropout must be in"),
    ],
)
def test_gpt_config_refuses_bad_sizes(over, match):
    with pytest.raises(ValueError, match=match):
        GPTConfig(**{**TINY, **over})
