"""``nn.MultiheadAttention``: attention with learned projections, split into heads.

For a query sequence x (L, E) and key/value sequences (S, kdim), (S, vdim), with H heads of
width D = E / H:

    q = x W_q^T + b_q,  k = key W_k^T + b_k,  v = value W_v^T + b_v      (each (., E))
    head h uses features h*D .. (h+1)*D of q, k, v
    o_h = softmax(q_h k_h^T / sqrt(D) + mask) v_h                       ((L, D) per head)
    out = concat_h(o_h) W_o^T + b_o                                      ((L, E))

Parameters follow PyTorch's names and layouts, so its state_dicts load unchanged: when
kdim = vdim = E the three input projections are one ``in_proj_weight`` (3E, E) whose rows
0..E-1 are W_q, E..2E-1 W_k and 2E..3E-1 W_v; otherwise they are ``q_proj_weight`` (E, E),
``k_proj_weight`` (E, kdim) and ``v_proj_weight`` (E, vdim). ``in_proj_bias`` (3E,) stacks
b_q, b_k, b_v the same way, and ``out_proj`` is a Linear(E, E). Initialisation is PyTorch's:
Xavier-uniform input projections, zero biases, ``out_proj.weight`` as any Linear.

Note [Attention masks in MultiheadAttention]
~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
The module keeps PyTorch's convention, which is the opposite of
``F.scaled_dot_product_attention``'s for bool masks: here True means "may NOT attend".
``attn_mask`` ((L, S), or (N*H, L, S) for one mask per batch element and head) and
``key_padding_mask`` ((N, S), True = padding) are turned into float masks (-inf where
masked, 0 elsewhere; float masks are used as they are) and added together, the padding mask
broadcast over heads and queries. ``is_causal`` is only a hint that ``attn_mask`` is the
causal mask, as in PyTorch, so it needs ``attn_mask``. With ``need_weights=False`` the heads
go through ``F.scaled_dot_product_attention`` (fully masked rows give 0, Note [Fully masked
attention rows]); with ``need_weights=True`` the weights come from a plain softmax and are
returned (after dropout, as PyTorch returns them), so a fully masked row gives NaN there.

Note [Extra key positions]
~~~~~~~~~~~~~~~~~~~~~~~~~~
``add_bias_kv=True`` gives two more parameters, ``bias_k`` and ``bias_v`` of shape (1, 1, E)
(Xavier-normal, registered after ``in_proj_bias`` as in PyTorch so the state_dicts match),
appended to the projected keys and values as one more source position for every batch
element; ``add_zero_attn=True`` appends a position whose key and value are zero in every head
(after ``bias_k``/``bias_v`` when both are on). Either makes S one longer: the attention
weights are (N, L, S + 1) or (N, L, S + 2), and the masks, given for the original S, are
padded with "not masked" for the new positions.

Like the rest of the engine, this module imports no array library.
"""

from __future__ import annotations

import math
from typing import Any

from nanotorch.creation import empty, zeros
from nanotorch.dtypes import DType
from nanotorch.errors import ShapeError
from nanotorch.nn import init
from nanotorch.nn.attention_ops import scaled_dot_product_attention
from nanotorch.nn.dropout import dropout
from nanotorch.nn.linear import Linear, linear
from nanotorch.nn.module import Module
from nanotorch.nn.parameter import Parameter
from nanotorch.ops import cat, where
from nanotorch.tensor import Tensor

OPS = ("multi_head_attention_forward",)

_OP = "MultiheadAttention"


class AttentionConfigError(ValueError, AssertionError):
    """A MultiheadAttention configuration PyTorch rejects with an assertion (e.g. embed_dim
    not divisible by num_heads); a ValueError too, for code written against either."""


def _float_mask(name: str, mask: Tensor | None, like: Tensor) -> Tensor | None:
    """A bool mask (True = masked) as -inf/0 in ``like``'s dtype; a float mask unchanged."""
    if mask is None:
        return None
    if not isinstance(mask, Tensor):
        raise TypeError(f"{_OP}: {name} must be a Tensor, got {type(mask).__name__}")
    if mask.dtype.name == "bool":
        return where(mask, -math.inf, zeros((), dtype=like.dtype, device=like.device))
    if mask.dtype is not like.dtype:
        raise TypeError(
            f"{_OP}: {name} must be bool (True = masked) or the query's dtype "
            f"{like.dtype.name}, got {mask.dtype.name}; convert it with .to()"
        )
    return mask


class MultiheadAttention(Module):
    """Multi-head attention with PyTorch's arguments, parameter names and layouts (module
    docstring). Inputs are (L, N, E) (or (N, L, E) with ``batch_first``), or unbatched
    (L, E); ``forward`` returns ``(attn_output, attn_weights)``, the weights averaged over
    heads ((N, L, S)) unless ``average_attn_weights=False`` ((N, H, L, S)), or None when
    ``need_weights=False``.

    >>> from nanotorch import nn
    >>> mha = nn.MultiheadAttention(8, 2)
    >>> list(mha.state_dict())
    ['in_proj_weight', 'in_proj_bias', 'out_proj.weight', 'out_proj.bias']
    """

    def __init__(
        self,
        embed_dim: int,
        num_heads: int,
        dropout: float = 0.0,
        bias: bool = True,
        add_bias_kv: bool = False,
        add_zero_attn: bool = False,
        kdim: int | None = None,
        vdim: int | None = None,
        batch_first: bool = False,
        device: Any = None,
        dtype: DType | None = None,
    ) -> None:
        super().__init__()
        if embed_dim <= 0 or num_heads <= 0:
            raise AttentionConfigError(
                f"{_OP}: embed_dim and num_heads must be positive, got {embed_dim} and {num_heads}"
            )
        if embed_dim % num_heads != 0:
            raise AttentionConfigError(
                f"{_OP}: embed_dim must be divisible by num_heads, got embed_dim={embed_dim} "
                f"and num_heads={num_heads}; each head gets embed_dim // num_heads features"
            )
        if not 0.0 <= dropout <= 1.0:
            raise ValueError(f"{_OP}: dropout has to be between 0 and 1, but got {dropout}")
        self.embed_dim = embed_dim
        self.kdim = kdim if kdim is not None else embed_dim
        self.vdim = vdim if vdim is not None else embed_dim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.num_heads = num_heads
        self.dropout = dropout
        self.batch_first = batch_first
        self.head_dim = embed_dim // num_heads
        kw = {"device": device, "dtype": dtype}
        # Registration order fixes the state_dict order, which matches PyTorch's.
        if self._qkv_same_embed_dim:
            self.in_proj_weight = Parameter(empty((3 * embed_dim, embed_dim), **kw))
            self.register_parameter("q_proj_weight", None)
            self.register_parameter("k_proj_weight", None)
            self.register_parameter("v_proj_weight", None)
        else:
            self.q_proj_weight = Parameter(empty((embed_dim, embed_dim), **kw))
            self.k_proj_weight = Parameter(empty((embed_dim, self.kdim), **kw))
            self.v_proj_weight = Parameter(empty((embed_dim, self.vdim), **kw))
            self.register_parameter("in_proj_weight", None)
        if bias:
            self.in_proj_bias = Parameter(empty(3 * embed_dim, **kw))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = Linear(embed_dim, embed_dim, bias=bias, **kw)
        if add_bias_kv:
            self.bias_k = Parameter(empty((1, 1, embed_dim), **kw))
            self.bias_v = Parameter(empty((1, 1, embed_dim), **kw))
        else:
            self.register_parameter("bias_k", None)
            self.register_parameter("bias_v", None)
        self.add_zero_attn = add_zero_attn
        self._reset_parameters()

    def _reset_parameters(self) -> None:
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight)
        else:
            init.xavier_uniform_(self.q_proj_weight)
            init.xavier_uniform_(self.k_proj_weight)
            init.xavier_uniform_(self.v_proj_weight)
        if self.in_proj_bias is not None:
            init.zeros_(self.in_proj_bias)
            init.zeros_(self.out_proj.bias)
        if self.bias_k is not None:
            init.xavier_normal_(self.bias_k)
            init.xavier_normal_(self.bias_v)

    def extra_repr(self) -> str:
        return f"embed_dim={self.embed_dim}, num_heads={self.num_heads}"

    def forward(
        self,
        query: Tensor,
        key: Tensor,
        value: Tensor,
        key_padding_mask: Tensor | None = None,
        need_weights: bool = True,
        attn_mask: Tensor | None = None,
        average_attn_weights: bool = True,
        is_causal: bool = False,
    ) -> tuple[Tensor, Tensor | None]:
        for name, t in (("query", query), ("key", key), ("value", value)):
            if not isinstance(t, Tensor):
                raise TypeError(f"{_OP}: {name} must be a Tensor, got {type(t).__name__}")
        batched = query.ndim == 3
        if batched and self.batch_first:
            query, key, value = (t.transpose(0, 1) for t in (query, key, value))
        out, weights = multi_head_attention_forward(
            query,
            key,
            value,
            self.embed_dim,
            self.num_heads,
            self.in_proj_weight,
            self.in_proj_bias,
            self.bias_k,
            self.bias_v,
            self.add_zero_attn,
            self.dropout,
            self.out_proj.weight,
            self.out_proj.bias,
            training=self.training,
            key_padding_mask=key_padding_mask,
            need_weights=need_weights,
            attn_mask=attn_mask,
            use_separate_proj_weight=not self._qkv_same_embed_dim,
            q_proj_weight=self.q_proj_weight,
            k_proj_weight=self.k_proj_weight,
            v_proj_weight=self.v_proj_weight,
            average_attn_weights=average_attn_weights,
            is_causal=is_causal,
        )
        if batched and self.batch_first:
            out = out.transpose(0, 1)
        return out, weights


def multi_head_attention_forward(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    embed_dim_to_check: int,
    num_heads: int,
    in_proj_weight: Tensor | None,
    in_proj_bias: Tensor | None,
    bias_k: Tensor | None,
    bias_v: Tensor | None,
    add_zero_attn: bool,
    dropout_p: float,
    out_proj_weight: Tensor,
    out_proj_bias: Tensor | None,
    training: bool = True,
    key_padding_mask: Tensor | None = None,
    need_weights: bool = True,
    attn_mask: Tensor | None = None,
    use_separate_proj_weight: bool = False,
    q_proj_weight: Tensor | None = None,
    k_proj_weight: Tensor | None = None,
    v_proj_weight: Tensor | None = None,
    static_k: Tensor | None = None,
    static_v: Tensor | None = None,
    average_attn_weights: bool = True,
    is_causal: bool = False,
) -> tuple[Tensor, Tensor | None]:
    """``nn.MultiheadAttention``'s computation on given weights (module docstring): query
    (L, N, E), key (S, N, kdim) and value (S, N, vdim), sequence first, or unbatched (L, E),
    (S, kdim), (S, vdim). The projections are rows 0..E-1, E..2E-1, 2E..3E-1 of
    ``in_proj_weight`` (and ``in_proj_bias``), or ``q/k/v_proj_weight`` with
    ``use_separate_proj_weight``. ``static_k`` / ``static_v`` ((N * num_heads, S, E /
    num_heads)) replace the projected keys / values. Returns (out, weights) as the module.

    >>> import nanotorch
    >>> w = nanotorch.eye(4).repeat(3, 1)
    >>> x = nanotorch.ones(2, 1, 4)
    >>> out, _ = nanotorch.nn.functional.multi_head_attention_forward(
    ...     x, x, x, 4, 2, w, None, None, None, False, 0.0, nanotorch.eye(4), None)
    >>> out.shape
    (2, 1, 4)
    """
    op = "multi_head_attention_forward"
    for name, t in (("query", query), ("key", key), ("value", value)):
        if not isinstance(t, Tensor):
            raise TypeError(f"{op}: {name} must be a Tensor, got {type(t).__name__}")
    if is_causal and attn_mask is None:
        raise RuntimeError(
            f"{op}: is_causal=True is a hint that attn_mask is the causal mask and needs "
            "attn_mask; pass attn_mask=nn.Transformer.generate_square_subsequent_mask(L)"
        )
    batched = query.ndim == 3
    if query.ndim not in (2, 3) or key.ndim != query.ndim or value.ndim != query.ndim:
        raise ShapeError(
            f"{op}: query, key and value must all be 3-D (batched) or all 2-D "
            f"(unbatched), got {tuple(query.shape)}, {tuple(key.shape)}, "
            f"{tuple(value.shape)}"
        )
    # Work in (N, L, E) whatever the layout.
    if not batched:
        query, key, value = query.unsqueeze(0), key.unsqueeze(0), value.unsqueeze(0)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    else:
        query, key, value = (t.transpose(0, 1) for t in (query, key, value))
    n, tgt_len, e = query.shape
    src_len = key.shape[1]
    if e != embed_dim_to_check:
        raise ShapeError(
            f"{op}: expected features (query, key, value) = ({embed_dim_to_check}, ...), "
            f"got {e}, {key.shape[2]}, {value.shape[2]}"
        )
    if use_separate_proj_weight:
        if q_proj_weight is None or k_proj_weight is None or v_proj_weight is None:
            raise ValueError(
                f"{op}: use_separate_proj_weight=True needs q_proj_weight, k_proj_weight and "
                "v_proj_weight"
            )
        w_q, w_k, w_v = q_proj_weight, k_proj_weight, v_proj_weight
    else:
        if in_proj_weight is None:
            raise ValueError(
                f"{op}: in_proj_weight is None; pass it, or use_separate_proj_weight=True "
                "with q/k/v_proj_weight"
            )
        if tuple(in_proj_weight.shape) != (3 * e, e):
            raise ShapeError(
                f"{op}: in_proj_weight must be (3 * E, E) = ({3 * e}, {e}) for query features "
                f"E = {e}, got {tuple(in_proj_weight.shape)}"
            )
        w = in_proj_weight
        w_q, w_k, w_v = w[:e], w[e : 2 * e], w[2 * e :]
    kdim, vdim = w_k.shape[1], w_v.shape[1]
    if key.shape[2] != kdim or value.shape[2] != vdim:
        raise ShapeError(
            f"{op}: expected features (query, key, value) = ({embed_dim_to_check}, "
            f"{kdim}, {vdim}), got {e}, {key.shape[2]}, {value.shape[2]}"
        )
    if e % num_heads != 0:
        raise AttentionConfigError(f"{op}: embed_dim {e} is not divisible by num_heads {num_heads}")
    if key.shape[:2] != value.shape[:2] or key.shape[0] != n:
        raise ShapeError(
            f"{op}: key {tuple(key.shape)} and value {tuple(value.shape)} must share "
            f"batch and length, and the batch of query {tuple(query.shape)}"
        )
    mask = _merged_mask(attn_mask, key_padding_mask, query, n, num_heads, tgt_len, src_len)
    b = in_proj_bias
    b_q, b_k, b_v = (None, None, None) if b is None else (b[:e], b[e : 2 * e], b[2 * e :])
    h, d = num_heads, e // num_heads

    def heads(x: Tensor, w: Tensor, bias: Tensor | None) -> Tensor:
        # (N, T, E) -> (N, H, T, D): head h takes features h*D .. (h+1)*D.
        return linear(x, w, bias).unflatten(-1, (h, d)).transpose(1, 2)

    def static(name: str, t: Tensor) -> Tensor:
        if t.ndim != 3 or t.shape[0] != n * h or t.shape[2] != d:
            raise ShapeError(
                f"{op}: {name} must be (N * num_heads, S, E / num_heads) = ({n * h}, S, {d}), "
                f"got {tuple(t.shape)}"
            )
        return t.unflatten(0, (n, h))

    q = heads(query, w_q, b_q)
    k = heads(key, w_k, b_k) if static_k is None else static("static_k", static_k)
    v = heads(value, w_v, b_v) if static_v is None else static("static_v", static_v)
    k, v, mask = _extra_keys(k, v, mask, bias_k, bias_v, add_zero_attn)
    p = dropout_p if training else 0.0
    weights = None
    if need_weights:
        scores = (q * (1.0 / math.sqrt(d))) @ k.transpose(-2, -1)
        if mask is not None:
            scores = scores + mask
        weights = scores.softmax(-1)
        if p > 0.0:
            weights = dropout(weights, p)
        out = weights @ v
    else:
        out = scaled_dot_product_attention(q, k, v, mask, dropout_p=p)
    out = linear(out.transpose(1, 2).flatten(-2), out_proj_weight, out_proj_bias)  # (N, L, E)
    if weights is not None and average_attn_weights:
        weights = weights.mean(dim=1)
    if not batched:
        out = out.squeeze(0)
        weights = None if weights is None else weights.squeeze(0)
    else:
        out = out.transpose(0, 1)
    return out, weights


def _extra_keys(
    k: Tensor,
    v: Tensor,
    mask: Tensor | None,
    bias_k: Tensor | None,
    bias_v: Tensor | None,
    add_zero_attn: bool,
) -> tuple[Tensor, Tensor, Tensor | None]:
    """The key/value positions ``add_bias_kv`` and ``add_zero_attn`` append
    (Note [Extra key positions]); ``k``, ``v`` are (N, H, S, D), ``mask`` broadcasts to
    (N, H, L, S)."""
    n, h, _, d = k.shape
    extra = 0
    if bias_k is not None and bias_v is not None:
        # The learned (1, 1, E) vectors, split into heads like a projected key/value.
        def as_heads(b: Tensor) -> Tensor:
            return b.reshape(1, h, 1, d).expand(n, h, 1, d)

        k = cat([k, as_heads(bias_k)], dim=2)
        v = cat([v, as_heads(bias_v)], dim=2)
        extra += 1
    if add_zero_attn:
        zero = zeros((n, h, 1, d), dtype=k.dtype, device=k.device)
        k, v = cat([k, zero], dim=2), cat([v, zero], dim=2)
        extra += 1
    if mask is not None and extra:
        # The appended positions are never masked: zero columns in the float mask.
        pad_shape = (*mask.shape[:-1], extra)
        mask = cat([mask, zeros(pad_shape, dtype=mask.dtype, device=mask.device)], dim=-1)
    return k, v, mask


def _merged_mask(
    attn_mask: Tensor | None,
    key_padding_mask: Tensor | None,
    query: Tensor,
    n: int,
    h: int,
    tgt_len: int,
    src_len: int,
) -> Tensor | None:
    """attn_mask + key_padding_mask as one float mask broadcasting to (N, H, L, S);
    Note [Attention masks in MultiheadAttention]."""
    am = _float_mask("attn_mask", attn_mask, query)
    if am is not None:
        if am.ndim == 2 and tuple(am.shape) == (tgt_len, src_len):
            pass
        elif am.ndim == 3 and tuple(am.shape) == (n * h, tgt_len, src_len):
            am = am.unflatten(0, (n, h))
        else:
            raise ShapeError(
                f"{_OP}: attn_mask of shape {tuple(attn_mask.shape)} should be (L, S) = "
                f"({tgt_len}, {src_len}) or (N*num_heads, L, S) = "
                f"({n * h}, {tgt_len}, {src_len})"
            )
    kpm = _float_mask("key_padding_mask", key_padding_mask, query)
    if kpm is not None:
        if tuple(kpm.shape) != (n, src_len):
            raise ShapeError(
                f"{_OP}: key_padding_mask of shape {tuple(key_padding_mask.shape)} should "
                f"be (N, S) = ({n}, {src_len}) (or (S,) for unbatched input)"
            )
        kpm = kpm.unsqueeze(1).unsqueeze(1)  # (N, 1, 1, S)
        am = kpm if am is None else am + kpm
    return am


__all__ = ["MultiheadAttention", "multi_head_attention_forward"]
