"""Transformer layers: ``TransformerEncoderLayer``, ``TransformerEncoder``,
``TransformerDecoderLayer``, ``TransformerDecoder`` and ``Transformer``.

An encoder layer is self-attention then a two-layer feed-forward network, each wrapped in a
residual connection and a LayerNorm; a decoder layer adds attention over the encoder's output
(``memory``) between the two. With x the layer's input:

    post-norm (norm_first=False, the 2017 paper and PyTorch's default)
        x = norm1(x + dropout1(self_attn(x)))
        x = norm2(x + dropout2(linear2(dropout(activation(linear1(x))))))
    pre-norm (norm_first=True, GPT-2 and most models since)
        x = x + dropout1(self_attn(norm1(x)))
        x = x + dropout2(linear2(dropout(activation(linear1(norm2(x))))))

(decoder: self-attention with norm1/dropout1, cross-attention with norm2/dropout2, the
feed-forward network with norm3/dropout3). Submodule names, argument names and defaults are
PyTorch's, so ``state_dict`` keys (``layers.0.self_attn.in_proj_weight``, ...) match and
PyTorch checkpoints load unchanged. ``discovery/attention.md`` explains pre- vs post-norm.

Like the rest of the engine, this module imports no array library.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from typing import Any

from nanotorch.creation import arange, zeros
from nanotorch.dtypes import DType
from nanotorch.nn import init
from nanotorch.nn.attention import MultiheadAttention
from nanotorch.nn.container import ModuleList
from nanotorch.nn.dropout import Dropout
from nanotorch.nn.linear import Linear
from nanotorch.nn.module import Module
from nanotorch.nn.normalization import LayerNorm
from nanotorch.ops import gelu, relu, where
from nanotorch.tensor import Tensor

Activation = str | Callable[[Tensor], Tensor]


def _activation(op: str, activation: Activation) -> Callable[[Tensor], Tensor]:
    if activation == "relu":
        return relu
    if activation == "gelu":
        return gelu
    if isinstance(activation, str) or not callable(activation):
        raise RuntimeError(
            f"{op}: activation should be 'relu', 'gelu' or a callable, not {activation!r}"
        )
    return activation


def generate_square_subsequent_mask(
    sz: int, device: Any = None, dtype: DType | None = None
) -> Tensor:
    """The (sz, sz) float causal mask: 0 on and below the diagonal, -inf above, so position i
    attends to positions 0..i only (added to the attention scores).

    >>> from nanotorch import nn
    >>> nn.Transformer.generate_square_subsequent_mask(3).tolist()
    [[0.0, -inf, -inf], [0.0, 0.0, -inf], [0.0, 0.0, 0.0]]
    """
    i = arange(sz, device=device).unsqueeze(-1)
    j = arange(sz, device=device).unsqueeze(0)
    return where(j > i, -math.inf, zeros((), dtype=dtype, device=device))


def _detect_is_causal_mask(mask: Tensor | None, is_causal: bool | None, size: int) -> bool:
    """PyTorch's rule: an explicit ``is_causal`` wins; with None, a float mask equal to the
    square causal mask counts as causal. The flag is only a hint (the mask is always used)."""
    if is_causal is not None or mask is None:
        return bool(is_causal)
    if tuple(mask.shape) != (size, size) or mask.dtype.name == "bool":
        return False
    causal = generate_square_subsequent_mask(size, mask.device, mask.dtype)
    return bool((mask == causal).all().item())


class _TransformerLayer(Module):
    """What the encoder and decoder layers share: their submodules, built in PyTorch's order
    (so parameters are created, and drawn from the random stream, in the same order), and
    the attention and feed-forward blocks. ``_blocks`` is 2 for the encoder (self-attention,
    feed-forward) and 3 for the decoder (with attention over ``memory`` between them), each
    block with its own ``norm<i>`` and ``dropout<i>``; the subclasses set ``_blocks`` and share
    PyTorch's constructor signature through this one."""

    _blocks: int
    self_attn: MultiheadAttention
    norm1: LayerNorm
    norm2: LayerNorm
    dropout1: Dropout
    dropout2: Dropout

    def __init__(
        self,
        d_model: int,
        nhead: int,
        dim_feedforward: int = 2048,
        dropout: float = 0.1,
        activation: Activation = "relu",
        layer_norm_eps: float = 1e-5,
        batch_first: bool = False,
        norm_first: bool = False,
        bias: bool = True,
        device: Any = None,
        dtype: DType | None = None,
    ) -> None:
        super().__init__()
        blocks = self._blocks
        kw = {"device": device, "dtype": dtype}
        for name in ("self_attn", "multihead_attn")[: blocks - 1]:
            attn = MultiheadAttention(
                d_model, nhead, dropout=dropout, bias=bias, batch_first=batch_first, **kw
            )
            setattr(self, name, attn)
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, **kw)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, **kw)
        self.norm_first = norm_first
        for i in range(1, blocks + 1):
            setattr(self, f"norm{i}", LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **kw))
        for i in range(1, blocks + 1):
            setattr(self, f"dropout{i}", Dropout(dropout))
        self.activation = _activation(type(self).__name__, activation)

    @staticmethod
    def _attend(
        attn: Module,
        x: Tensor,
        kv: Tensor,
        mask: Tensor | None,
        padding: Tensor | None,
        is_causal: bool,
    ) -> Tensor:
        return attn(
            x,
            kv,
            kv,
            attn_mask=mask,
            key_padding_mask=padding,
            need_weights=False,
            is_causal=is_causal,
        )[0]

    def _sa_block(
        self, x: Tensor, mask: Tensor | None, padding: Tensor | None, is_causal: bool
    ) -> Tensor:
        return self.dropout1(self._attend(self.self_attn, x, x, mask, padding, is_causal))

    def _feed_forward(self, x: Tensor) -> Tensor:
        return self.linear2(self.dropout(self.activation(self.linear1(x))))


class TransformerEncoderLayer(_TransformerLayer):
    """Self-attention and a feed-forward network with residuals and LayerNorms (module
    docstring); PyTorch's arguments, defaults and submodule names.

    >>> from nanotorch import nn
    >>> layer = nn.TransformerEncoderLayer(d_model=8, nhead=2, dim_feedforward=16)
    >>> [name for name, _ in layer.named_children()][:4]
    ['self_attn', 'linear1', 'dropout', 'linear2']
    """

    _blocks = 2

    def forward(
        self,
        src: Tensor,
        src_mask: Tensor | None = None,
        src_key_padding_mask: Tensor | None = None,
        is_causal: bool = False,
    ) -> Tensor:
        x = src
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), src_mask, src_key_padding_mask, is_causal)
            x = x + self._ff_block(self.norm2(x))
        else:
            x = self.norm1(x + self._sa_block(x, src_mask, src_key_padding_mask, is_causal))
            x = self.norm2(x + self._ff_block(x))
        return x

    def _ff_block(self, x: Tensor) -> Tensor:
        return self.dropout2(self._feed_forward(x))


class TransformerDecoderLayer(_TransformerLayer):
    """Self-attention, attention over ``memory`` and a feed-forward network, each with a
    residual and a LayerNorm (module docstring); PyTorch's arguments and submodule names
    (``self_attn``, ``multihead_attn``, ``linear1``, ``linear2``, ``norm1..3``,
    ``dropout1..3``)."""

    multihead_attn: MultiheadAttention
    norm3: LayerNorm
    dropout3: Dropout

    _blocks = 3

    def forward(
        self,
        tgt: Tensor,
        memory: Tensor,
        tgt_mask: Tensor | None = None,
        memory_mask: Tensor | None = None,
        tgt_key_padding_mask: Tensor | None = None,
        memory_key_padding_mask: Tensor | None = None,
        tgt_is_causal: bool = False,
        memory_is_causal: bool = False,
    ) -> Tensor:
        x = tgt
        sa = (tgt_mask, tgt_key_padding_mask, tgt_is_causal)
        ca = (memory_mask, memory_key_padding_mask, memory_is_causal)
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), *sa)
            x = x + self._mha_block(self.norm2(x), memory, *ca)
            x = x + self._ff_block(self.norm3(x))
        else:
            x = self.norm1(x + self._sa_block(x, *sa))
            x = self.norm2(x + self._mha_block(x, memory, *ca))
            x = self.norm3(x + self._ff_block(x))
        return x

    def _mha_block(
        self,
        x: Tensor,
        memory: Tensor,
        mask: Tensor | None,
        padding: Tensor | None,
        is_causal: bool,
    ) -> Tensor:
        out = self._attend(self.multihead_attn, x, memory, mask, padding, is_causal)
        return self.dropout2(out)

    def _ff_block(self, x: Tensor) -> Tensor:
        return self.dropout3(self._feed_forward(x))


def _clones(layer: Module, n: int) -> ModuleList:
    # Independent copies (as PyTorch's deepcopy): the layers start equal and then train apart.
    return ModuleList([copy.deepcopy(layer) for _ in range(n)])


def _seq_len(x: Tensor, batch_first: bool) -> int:
    if x.ndim == 2:
        return x.shape[0]
    return x.shape[1] if batch_first else x.shape[0]


def _stack_is_causal(stack: Any, mask: Tensor | None, is_causal: bool | None, x: Tensor) -> bool:
    """Causal-mask detection for an encoder or decoder stack: the sequence length of ``x`` read
    with the first layer's ``batch_first``."""
    first = stack.layers[0] if stack.num_layers else None
    batch_first = bool(first and first.self_attn.batch_first)
    return _detect_is_causal_mask(mask, is_causal, _seq_len(x, batch_first))


class TransformerEncoder(Module):
    """``num_layers`` copies of ``encoder_layer`` (``layers.0``, ``layers.1``, ...), then
    ``norm`` if given. ``enable_nested_tensor`` and ``mask_check`` are accepted and ignored
    (they select PyTorch's fused kernels, not the result)."""

    def __init__(
        self,
        encoder_layer: TransformerEncoderLayer,
        num_layers: int,
        norm: Module | None = None,
        enable_nested_tensor: bool = True,
        mask_check: bool = True,
    ) -> None:
        super().__init__()
        self.layers = _clones(encoder_layer, num_layers)
        self.num_layers = num_layers
        self.norm = norm

    def forward(
        self,
        src: Tensor,
        mask: Tensor | None = None,
        src_key_padding_mask: Tensor | None = None,
        is_causal: bool | None = None,
    ) -> Tensor:
        causal = _stack_is_causal(self, mask, is_causal, src)
        out = src
        for layer in self.layers:
            out = layer(
                out, src_mask=mask, src_key_padding_mask=src_key_padding_mask, is_causal=causal
            )
        return out if self.norm is None else self.norm(out)


class TransformerDecoder(Module):
    """``num_layers`` copies of ``decoder_layer`` (``layers.N``), then ``norm`` if given."""

    def __init__(
        self, decoder_layer: TransformerDecoderLayer, num_layers: int, norm: Module | None = None
    ) -> None:
        super().__init__()
        self.layers = _clones(decoder_layer, num_layers)
        self.num_layers = num_layers
        self.norm = norm

    def forward(
        self,
        tgt: Tensor,
        memory: Tensor,
        tgt_mask: Tensor | None = None,
        memory_mask: Tensor | None = None,
        tgt_key_padding_mask: Tensor | None = None,
        memory_key_padding_mask: Tensor | None = None,
        tgt_is_causal: bool | None = None,
        memory_is_causal: bool = False,
    ) -> Tensor:
        causal = _stack_is_causal(self, tgt_mask, tgt_is_causal, tgt)
        out = tgt
        for layer in self.layers:
            out = layer(
                out,
                memory,
                tgt_mask=tgt_mask,
                memory_mask=memory_mask,
                tgt_key_padding_mask=tgt_key_padding_mask,
                memory_key_padding_mask=memory_key_padding_mask,
                tgt_is_causal=causal,
                memory_is_causal=memory_is_causal,
            )
        return out if self.norm is None else self.norm(out)


class Transformer(Module):
    """The encoder-decoder of "Attention Is All You Need" with PyTorch's arguments and
    defaults: ``encoder`` (with a final ``encoder.norm``) and ``decoder`` (``decoder.norm``);
    every weight matrix re-initialised Xavier-uniform, as PyTorch does."""

    generate_square_subsequent_mask = staticmethod(generate_square_subsequent_mask)

    def __init__(
        self,
        d_model: int = 512,
        nhead: int = 8,
        num_encoder_layers: int = 6,
        num_decoder_layers: int = 6,
        dim_feedforward: int = 2048,
        dropout: float = 0.1,
        activation: Activation = "relu",
        custom_encoder: Module | None = None,
        custom_decoder: Module | None = None,
        layer_norm_eps: float = 1e-5,
        batch_first: bool = False,
        norm_first: bool = False,
        bias: bool = True,
        device: Any = None,
        dtype: DType | None = None,
    ) -> None:
        super().__init__()
        kw = {"device": device, "dtype": dtype}
        layer_args = (d_model, nhead, dim_feedforward, dropout, activation, layer_norm_eps)
        layer_kw = {"batch_first": batch_first, "norm_first": norm_first, "bias": bias, **kw}
        if custom_encoder is not None:
            self.encoder = custom_encoder
        else:
            self.encoder = TransformerEncoder(
                TransformerEncoderLayer(*layer_args, **layer_kw),
                num_encoder_layers,
                LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **kw),
            )
        if custom_decoder is not None:
            self.decoder = custom_decoder
        else:
            self.decoder = TransformerDecoder(
                TransformerDecoderLayer(*layer_args, **layer_kw),
                num_decoder_layers,
                LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **kw),
            )
        self.d_model = d_model
        self.nhead = nhead
        self.batch_first = batch_first
        for p in self.parameters():
            if p.ndim > 1:
                init.xavier_uniform_(p)

    def forward(
        self,
        src: Tensor,
        tgt: Tensor,
        src_mask: Tensor | None = None,
        tgt_mask: Tensor | None = None,
        memory_mask: Tensor | None = None,
        src_key_padding_mask: Tensor | None = None,
        tgt_key_padding_mask: Tensor | None = None,
        memory_key_padding_mask: Tensor | None = None,
        src_is_causal: bool | None = None,
        tgt_is_causal: bool | None = None,
        memory_is_causal: bool = False,
    ) -> Tensor:
        memory = self.encoder(
            src, mask=src_mask, src_key_padding_mask=src_key_padding_mask, is_causal=src_is_causal
        )
        return self.decoder(
            tgt,
            memory,
            tgt_mask=tgt_mask,
            memory_mask=memory_mask,
            tgt_key_padding_mask=tgt_key_padding_mask,
            memory_key_padding_mask=memory_key_padding_mask,
            tgt_is_causal=tgt_is_causal,
            memory_is_causal=memory_is_causal,
        )


__all__ = [
    "Transformer",
    "TransformerDecoder",
    "TransformerDecoderLayer",
    "TransformerEncoder",
    "TransformerEncoderLayer",
]
