"""The language-model scenarios learn: the tiny GPT's held-out loss falls far below what
character frequencies alone give (the corpus' unigram entropy), and its checkpoints carry
the vocabulary that `nanotorch sample` decodes with."""

from __future__ import annotations

import math
from collections import Counter

from nanotorch.checkpoint import load_structure
from nanotorch.data.shakespeare import load_shakespeare
from nanotorch.runner import run_scenario
from nanotorch.scenarios import get_scenario
from nanotorch.train import Checkpointer, latest_checkpoint


def _unigram_entropy(text: str) -> float:
    n = len(text)
    return -sum(c / n * math.log(c / n) for c in Counter(text).values())


def test_tiny_gpt_falls_well_below_the_unigram_entropy(tmp_path):
    entropy = _unigram_entropy(load_shakespeare())  # 3.31 nats per character
    result = run_scenario(
        "shakespeare-gpt-tiny",
        seed=0,
        early_stop=True,
        quiet=True,
        callbacks=[Checkpointer(tmp_path)],
    )
    before, after = result.before[1], result.after[1]
    assert abs(before - math.log(63)) < 0.05  # untrained: uniform over the 63 characters
    assert after <= 2.6 < entropy - 0.7
    assert result.history.test_metric == sorted(result.history.test_metric, reverse=True)
    run = load_structure(latest_checkpoint(tmp_path))["run"]
    assert run["vocab"] == get_scenario("shakespeare-gpt-tiny").tokenizer.chars
    assert run["scenario"] == "shakespeare-gpt-tiny" and run["block_size"] == 32
