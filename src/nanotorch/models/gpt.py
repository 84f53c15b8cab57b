"""A small GPT: the decoder-only transformer of the character-level Shakespeare scenario.

The model, top to bottom (names follow nanoGPT's, so its walkthroughs map one to one):

    tokens (B, T) ──wte──> (B, T, C)  +  positions 0..T-1 ──wpe──> (T, C)
    n_layer × Block:   x = x + attn(ln_1(x))       causal self-attention, n_head heads
                       x = x + mlp(ln_2(x))        Linear(C, 4C), GELU, Linear(4C, C)
    ln_f, then lm_head: (B, T, C) -> (B, T, vocab) logits; lm_head.weight IS wte.weight

Pre-norm (LayerNorm before each sub-layer, inside the residual branch) keeps an identity path
from the loss to the embeddings, so deep stacks train without warmup tricks; weight tying
(Note [Weight tying]) saves vocab x C parameters and makes "which token is this vector" and
"which vector is this token" one question.

Note [Causal attention]
~~~~~~~~~~~~~~~~~~~~~~~
Every position attends to itself and the positions before it, never after: the scores of a
query at position i for keys at positions j > i are set to -inf before the softmax, so they
get weight exactly 0. With a key/value cache holding ``past`` earlier positions, the queries
are positions past..past+T-1 and the keys 0..past+T-1, so the mask is
``tril(ones(T, past + T), diagonal=past)``: PyTorch's ``is_causal`` aligns the mask at the
top left, which is right only when there is no cache (``past == 0``); one new position after
a cache needs no mask at all. Scores are divided by sqrt(head size): the dot product of two
random unit-variance vectors of size d has variance d, and unscaled scores would push the
softmax into saturation where its gradient vanishes. ``F.scaled_dot_product_attention``
does the work; only when the weights are kept for a picture is it spelled out.

Note [Generation window]
~~~~~~~~~~~~~~~~~~~~~~~~
Positions are learned for 0..block_size-1 only, so the model sees at most ``block_size``
tokens. With a cache, each new token costs one step of one position: its key and value are
appended and reused by every later token. When the window is full, the positions of the
cached keys would all have to shift, which invalidates them; generation then keeps the newest
``block_size // 2`` tokens, runs them once as a fresh prompt and carries on one step at a
time. Generation without a cache (``use_cache=False``) re-runs the whole current window for
every token under the same rule, which is what a test compares the cache against.

Layer: above ``nn`` and the ops; the scenarios, runner, CLI and plots import it. It must not
import numpy (it runs on any device through tensors only).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from nanotorch import nn
from nanotorch.autograd import no_grad
from nanotorch.creation import arange, ones
from nanotorch.models._sampling import check_generate_args, sample_next
from nanotorch.nn import functional as F
from nanotorch.nn import init
from nanotorch.ops import cat, softmax
from nanotorch.random import Generator
from nanotorch.tensor import Tensor


@dataclass(frozen=True)
class GPTConfig:
    """Sizes of a GPT. The defaults are nanoGPT's CPU "baby GPT" (about 0.8M parameters
    with a 63-character vocabulary)."""

    vocab_size: int
    block_size: int = 64
    n_layer: int = 4
    n_head: int = 4
    n_embd: int = 128
    dropout: float = 0.0

    def __post_init__(self) -> None:
        for field in ("vocab_size", "block_size", "n_layer", "n_head", "n_embd"):
            value = getattr(self, field)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"GPTConfig: {field} must be a positive int, got {value!r}")
        if self.n_embd % self.n_head:
            raise ValueError(
                f"GPTConfig: n_embd {self.n_embd} must be a multiple of n_head {self.n_head} "
                "(each head gets n_embd // n_head channels)"
            )
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"GPTConfig: dropout must be in [0, 1), got {self.dropout!r}")

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class KVCache:
    """Keys and values of the positions already seen, one ``(k, v)`` pair per layer, each
    ``(B, n_head, past, head_size)`` (Note [Generation window])."""

    def __init__(self, n_layer: int) -> None:
        self.layers: list[tuple[Tensor, Tensor] | None] = [None] * n_layer

    @property
    def length(self) -> int:
        first = self.layers[0]
        return 0 if first is None else first[0].shape[2]


class CausalSelfAttention(nn.Module):
    """Multi-head causal self-attention (Note [Causal attention]) with one fused q/k/v
    projection ``c_attn`` and an output projection ``c_proj``.

    ``keep_attention = True`` keeps the last forward's attention weights in ``attention``
    ((B, n_head, T, T_keys), detached) for pictures.
    """

    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        self.n_head = config.n_head
        self.n_embd = config.n_embd
        self.c_attn = nn.Linear(config.n_embd, 3 * config.n_embd)
        self.c_proj = nn.Linear(config.n_embd, config.n_embd)
        self.dropout_p = config.dropout
        self.resid_dropout = nn.Dropout(config.dropout)
        self.keep_attention = False
        self.attention: Tensor | None = None

    def _heads(self, t: Tensor) -> Tensor:
        b, n, _ = t.shape
        return t.reshape(b, n, self.n_head, self.n_embd // self.n_head).transpose(1, 2)

    def forward(self, x: Tensor, cache: KVCache | None = None, layer: int = 0) -> Tensor:
        b, t, c = x.shape
        q, k, v = (self._heads(part) for part in self.c_attn(x).split(c, dim=2))
        past = 0
        if cache is not None:
            held = cache.layers[layer]
            if held is not None:
                past = held[0].shape[2]
                k, v = cat([held[0], k], dim=2), cat([held[1], v], dim=2)
            cache.layers[layer] = (k.detach(), v.detach())
        p = self.dropout_p if self.training else 0.0
        if self.keep_attention:  # the same computation, spelled out to keep the weights
            allowed = ones(t, past + t, dtype="bool", device=x.device).tril(diagonal=past)
            scores = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.shape[-1]))
            weights = softmax(scores.masked_fill(~allowed, float("-inf")), dim=-1)
            self.attention = weights.detach()
            y = F.dropout(weights, p, training=self.training) @ v
        elif past == 0:  # queries and keys are the same positions: the top-left causal mask
            y = F.scaled_dot_product_attention(q, k, v, dropout_p=p, is_causal=True)
        elif t == 1:  # one new position after the cache: it may see every key
            y = F.scaled_dot_product_attention(q, k, v, dropout_p=p)
        else:  # new positions past..past+t-1 after a cache: the mask is shifted by ``past``
            allowed = ones(t, past + t, dtype="bool", device=x.device).tril(diagonal=past)
            y = F.scaled_dot_product_attention(q, k, v, attn_mask=allowed, dropout_p=p)
        y = y.transpose(1, 2).reshape(b, t, c)
        return self.resid_dropout(self.c_proj(y))


class MLP(nn.Module):
    """The position-wise feed-forward sub-layer: widen 4x, GELU, project back."""

    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        self.c_fc = nn.Linear(config.n_embd, 4 * config.n_embd)
        self.gelu = nn.GELU(approximate="tanh")
        self.c_proj = nn.Linear(4 * config.n_embd, config.n_embd)
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, x: Tensor) -> Tensor:
        return self.dropout(self.c_proj(self.gelu(self.c_fc(x))))


class Block(nn.Module):
    """One pre-norm transformer block: ``x + attn(ln_1(x))``, then ``x + mlp(ln_2(x))``."""

    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        self.ln_1 = nn.LayerNorm(config.n_embd)
        self.attn = CausalSelfAttention(config)
        self.ln_2 = nn.LayerNorm(config.n_embd)
        self.mlp = MLP(config)

    def forward(self, x: Tensor, cache: KVCache | None = None, layer: int = 0) -> Tensor:
        x = x + self.attn(self.ln_1(x), cache, layer)
        return x + self.mlp(self.ln_2(x))


# Note [Weight tying]
# ~~~~~~~~~~~~~~~~~~~
# ``lm_head.weight`` and ``wte.weight`` are one Parameter (vocab, C): the embedding maps a
# token to a vector, the head scores a vector against every token's embedding. Sharing it
# halves the parameters the vocabulary costs and gives the rare characters' embeddings a
# gradient from every position's output. ``parameters()`` yields it once (so the optimizer
# steps it once); ``state_dict()`` lists it under both names, as PyTorch does.


class GPT(nn.Module):
    """A decoder-only transformer over token ids: ``model(idx)`` gives next-token logits
    ``(B, T, vocab_size)`` for ``idx`` of shape ``(B, T)`` with ``T <= block_size``.

    >>> import nanotorch
    >>> _ = nanotorch.manual_seed(0)
    >>> model = GPT(GPTConfig(vocab_size=10, block_size=8, n_layer=1, n_head=2, n_embd=8))
    >>> model(nanotorch.zeros(2, 5, dtype="int64")).shape
    (2, 5, 10)
    >>> model.lm_head.weight is model.wte.weight
    True
    """

    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        self.config = config
        self.wte = nn.Embedding(config.vocab_size, config.n_embd)
        self.wpe = nn.Embedding(config.block_size, config.n_embd)
        self.drop = nn.Dropout(config.dropout)
        self.h = nn.ModuleList([Block(config) for _ in range(config.n_layer)])
        self.ln_f = nn.LayerNorm(config.n_embd)
        self.lm_head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
        self.lm_head.weight = self.wte.weight  # Note [Weight tying]
        self._init_weights()

    def _init_weights(self) -> None:
        # GPT-2's initialisation: N(0, 0.02) weights, zero biases, and the projections that
        # write into the residual stream scaled by 1/sqrt(2 * n_layer), so the stream's
        # variance does not grow with depth (each block adds two such terms).
        resid_std = 0.02 / math.sqrt(2 * self.config.n_layer)
        for name, p in self.named_parameters():
            if name.endswith("c_proj.weight"):
                init.normal_(p, 0.0, resid_std)
            elif name.endswith(".weight") and p.ndim == 2:
                init.normal_(p, 0.0, 0.02)
            elif name.endswith(".bias") and ".ln_" not in name and not name.startswith("ln_"):
                init.zeros_(p)

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())

    def forward(self, idx: Tensor, cache: KVCache | None = None) -> Tensor:
        if idx.ndim != 2:
            raise RuntimeError(
                f"GPT: idx must be (batch, time) token ids, got shape {tuple(idx.shape)}"
            )
        past = 0 if cache is None else cache.length
        t = idx.shape[1]
        if past + t > self.config.block_size:
            raise RuntimeError(
                f"GPT: {past + t} positions ({past} cached + {t} new) exceed block_size "
                f"{self.config.block_size}; crop the context to its last "
                f"{self.config.block_size} tokens"
            )
        pos = arange(past, past + t, device=idx.device)
        x = self.drop(self.wte(idx) + self.wpe(pos))
        for i, block in enumerate(self.h):
            x = block(x, cache, i)
        return self.lm_head(self.ln_f(x))

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
        """Continue each row of ``idx`` (B, T) by ``max_new_tokens`` sampled tokens; returns
        (B, T + max_new_tokens).

        Each token is drawn from ``softmax(logits / temperature)`` restricted to the ``top_k``
        most likely tokens (all when None), with ``generator`` (or the default generator of
        the model's device). With ``use_cache`` each token costs one step of one position
        (Note [Generation window]).
        """
        check_generate_args(idx, max_new_tokens, temperature, top_k)
        block = self.config.block_size
        was_training = self.training
        self.eval()
        out = idx
        with no_grad():
            window = max(out.shape[1] - block, 0)  # index in ``out`` where the window starts
            cache = KVCache(self.config.n_layer) if use_cache else None
            pending = out[:, window:]  # tokens not yet run through the cache
            for _ in range(max_new_tokens):
                if out.shape[1] - window > block:  # full: keep the newest half
                    window = out.shape[1] - block // 2
                    if cache is not None:
                        cache, pending = KVCache(self.config.n_layer), out[:, window:]
                if cache is None:
                    logits = self(out[:, window:])
                else:
                    logits = self(pending, cache)
                nxt = sample_next(logits[:, -1, :], temperature, top_k, generator)
                out = cat([out, nxt], dim=1)
                pending = nxt
        self.train(was_training)
        return out


__all__ = ["GPT", "GPTConfig", "KVCache"]
