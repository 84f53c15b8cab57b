"""A character-level LSTM language model, the recurrent counterpart of the small GPT.

    tokens (B, T) ──embedding──> (B, T, E) ──LSTM, num_layers──> (B, T, H) ──head──> logits

Where the GPT looks back over a window of ``block_size`` positions through attention, the
LSTM carries everything it keeps in its state (h, c) from one character to the next. That
state is also its cache for generation: each new character is one step of the recurrence
from the state the prompt left, so generating costs one step per token with no window.

Layer: above ``nn``; the scenarios import it. Must not import numpy.
"""

from __future__ import annotations

from nanotorch import nn
from nanotorch.autograd import no_grad
from nanotorch.models._sampling import check_generate_args, sample_next
from nanotorch.ops import cat
from nanotorch.random import Generator
from nanotorch.tensor import Tensor


class CharLSTM(nn.Module):
    """Embedding, a stacked ``nn.LSTM`` (batch first) and a linear head over the vocabulary.

    >>> import nanotorch
    >>> model = CharLSTM(vocab_size=10, embed_dim=4, hidden_size=8, num_layers=2)
    >>> model(nanotorch.zeros(3, 5, dtype="int64")).shape
    (3, 5, 10)
    """

    def __init__(
        self,
        vocab_size: int,
        embed_dim: int = 64,
        hidden_size: int = 256,
        num_layers: int = 2,
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        self.vocab_size = vocab_size
        self.embedding = nn.Embedding(vocab_size, embed_dim)
        self.lstm = nn.LSTM(
            embed_dim, hidden_size, num_layers=num_layers, batch_first=True, dropout=dropout
        )
        self.head = nn.Linear(hidden_size, vocab_size)

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())

    def forward(
        self, idx: Tensor, state: tuple[Tensor, Tensor] | None = None, *, return_state: bool = False
    ) -> Tensor | tuple[Tensor, tuple[Tensor, Tensor]]:
        out, new_state = self.lstm(self.embedding(idx), state)
        logits = self.head(out)
        return (logits, new_state) if return_state else logits

    def generate(
        self,
        idx: Tensor,
        max_new_tokens: int,
        temperature: float = 1.0,
        top_k: int | None = None,
        generator: Generator | None = None,
        *,
        use_cache: bool = True,
    ) -> Tensor:
        """Continue each row of ``idx`` (B, T) by ``max_new_tokens`` sampled tokens (as
        ``GPT.generate``). With ``use_cache`` the recurrent state is carried, one step per
        token; without it the whole sequence is re-run for every token (same tokens)."""
        check_generate_args(idx, max_new_tokens, temperature, top_k)
        was_training = self.training
        self.eval()
        out = idx
        with no_grad():
            state = None
            pending = idx
            for _ in range(max_new_tokens):
                if use_cache:
                    logits, state = self(pending, state, return_state=True)
                else:
                    logits = self(out)
                nxt = sample_next(logits[:, -1, :], temperature, top_k, generator)
                out = cat([out, nxt], dim=1)
                pending = nxt
        self.train(was_training)
        return out


__all__ = ["CharLSTM"]
