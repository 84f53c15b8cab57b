"""``nanotorch.models``: complete networks built from ``nn`` layers (today: a small GPT).

Layer: above ``nn`` and the ops, below the scenarios, runner, CLI and plots. A model here is
an ordinary ``nn.Module``; what a scenario adds (data, recipe, criterion) stays out of it.
"""

from nanotorch.models.gpt import GPT, GPTConfig, KVCache

__all__ = ["GPT", "GPTConfig", "KVCache"]
