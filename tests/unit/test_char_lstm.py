"""The character LSTM of shakespeare-lstm: shapes, and generation whose carried state gives
the same tokens as re-running the whole sequence (src/nanotorch/models/char_lstm.py)."""

from __future__ import annotations

import pytest

import nanotorch as nt
from nanotorch.models import CharLSTM
from nanotorch.testing import assert_close


def _model(device="cpu"):
    nt.manual_seed(0)
    return CharLSTM(vocab_size=9, embed_dim=4, hidden_size=6, num_layers=2).to(device)


def _ids(shape, device="cpu", seed=1):
    return nt.randint(0, 9, shape, generator=nt.Generator().manual_seed(seed)).to(device)


def test_char_lstm_logits_and_carried_state_match_one_pass(device):
    model = _model(device)
    idx = _ids((2, 7), device)
    full = model(idx)
    assert full.shape == (2, 7, 9)
    first, state = model(idx[:, :4], return_state=True)
    rest = model(idx[:, 4:], state)
    assert_close(nt.cat([first, rest], dim=1), full, atol=1e-5, rtol=1e-5)


def test_char_lstm_generate_carried_state_and_rerun_agree(device):
    model = _model(device)
    prompt = _ids((2, 3), device)
    outs = [
        model.generate(
            prompt,
            12,
            temperature=0.8,
            top_k=4,
            generator=nt.Generator(device).manual_seed(5),
            use_cache=use_cache,
        ).tolist()
        for use_cache in (True, False)
    ]
    assert outs[0] == outs[1] and len(outs[0][0]) == 15


def test_char_lstm_parameter_count_is_close_to_the_gpts():
    from nanotorch.scenarios import get_scenario

    gpt = get_scenario("shakespeare-gpt").model().num_parameters()
    lstm = get_scenario("shakespeare-lstm").model().num_parameters()
    assert 0.8 < lstm / gpt < 1.2


def test_char_lstm_generate_refuses_temperature_0():
    with pytest.raises(ValueError, match="temperature must be > 0"):
        _model().generate(_ids((1, 2)), 3, temperature=0.0)
