"""``nanotorch.models``: complete networks built from ``nn`` layers (a small GPT and a
character LSTM).

Layer: above ``nn`` and the ops, below the scenarios, runner, CLI and plots. A model here is
an ordinary ``nn.Module``; what a scenario adds (data, recipe, criterion) stays out of it.
"""

from nanotorch.models.char_lstm import CharLSTM
from nanotorch.models.gpt import GPT, GPTConfig, KVCache

__all__ = ["GPT", "CharLSTM", "GPTConfig", "KVCache"]
