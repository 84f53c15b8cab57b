"""Drawing the next token from a language model's logits, shared by the models' ``generate``.

Temperature divides the logits (below 1 sharpens the distribution, above 1 flattens it);
``top_k`` keeps only the k likeliest tokens; the draw is ``multinomial`` from a nanotorch
``Generator`` (or the default one of the logits' device), so a seed repeats the text.
"""

from __future__ import annotations

from nanotorch.creation import multinomial
from nanotorch.ops import softmax
from nanotorch.random import Generator
from nanotorch.tensor import Tensor


def check_generate_args(
    idx: Tensor, max_new_tokens: int, temperature: float, top_k: int | None
) -> None:
    """Refuse bad ``generate`` arguments before any work, naming the argument and the fix."""
    if isinstance(max_new_tokens, bool) or not isinstance(max_new_tokens, int):
        raise TypeError(f"generate: max_new_tokens must be an int, got {max_new_tokens!r}")
    if max_new_tokens < 0:
        raise ValueError(f"generate: max_new_tokens must be >= 0, got {max_new_tokens}")
    if (
        isinstance(temperature, bool)
        or not isinstance(temperature, (int, float))
        or not temperature > 0
    ):
        raise ValueError(
            f"generate: temperature must be > 0, got {temperature!r} (1.0 samples the "
            "model's own distribution; smaller is greedier)"
        )
    if top_k is not None and (isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < 1):
        raise ValueError(f"generate: top_k must be a positive int or None, got {top_k!r}")
    if idx.ndim != 2 or idx.shape[1] < 1:
        raise RuntimeError(
            f"generate: idx must be (batch, time) with time >= 1, got {tuple(idx.shape)}"
        )


def sample_next(
    logits: Tensor, temperature: float, top_k: int | None, generator: Generator | None
) -> Tensor:
    """One token id per row of ``logits`` (B, vocab), as a (B, 1) int64 tensor."""
    logits = logits / temperature
    if top_k is not None and top_k < logits.shape[-1]:
        kth = logits.topk(top_k, dim=-1).values[:, -1:]
        logits = logits.masked_fill(logits < kth, float("-inf"))
    return multinomial(softmax(logits, dim=-1), 1, generator=generator)
