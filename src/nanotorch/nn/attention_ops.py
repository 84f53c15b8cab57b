"""Attention as a function: ``F.scaled_dot_product_attention``.

    scores = q k^T * scale          (scale = 1 / sqrt(E) by default, E = q.shape[-1])
    scores += mask                  (a float mask is added; a bool mask puts -inf where False)
    out    = dropout(softmax(scores, -1)) v

In general it is composed of differentiable ops (matmul, where, softmax, dropout), so its
backward is the engine's chain rule through them: dq = (dS * scale) k, dk = (dS * scale)^T q,
dv = P^T g, where P = softmax(scores) and dS is softmax's backward of g v^T. The causal case
without dropout, every layer of a GPT, is one fused op with that backward written out
(Note [Fused causal attention]). ``nn.MultiheadAttention`` (nn/attention.py) and the
transformer layers (nn/transformer.py) call it.

Note [Fully masked attention rows]
~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
A query row whose every score is -inf (a bool mask all False, a float mask of -inf, or a
causal mask with more keys cut than exist) has no well-defined softmax: exp gives 0 / 0.
PyTorch's math reference (``_safe_softmax``, PyTorch 2.5 and later) returns probability 0 for
every key of such a row, so the row's output is 0 rather than NaN. nanotorch does the same:
the dead rows' scores are replaced by 0 before the softmax (so no NaN is ever formed, in the
forward or the backward) and their probabilities by 0 after it, so they pass no gradient to
q, k or a float mask. Pinned by the spec case ``fully-masked-row`` and
tests/unit/nn/test_nn_attention_ops.py. (``nn.MultiheadAttention`` with ``need_weights=True``
computes its weights with a plain softmax, as PyTorch does, and gives NaN there.)

Like the rest of the engine, this module imports no array library.
"""

from __future__ import annotations

import math
from typing import Any

from nanotorch.autograd.function import Function
from nanotorch.autograd.grad_mode import is_grad_enabled
from nanotorch.creation import arange
from nanotorch.errors import ShapeError
from nanotorch.nn.dropout import dropout
from nanotorch.ops import where
from nanotorch.random import Generator
from nanotorch.tensor import Tensor

# The functional ops this family exports through nanotorch.nn.functional; the op-spec
# tests derive from it (Note [Op registry] in ops/__init__.py).
OPS = ("scaled_dot_product_attention",)

_OP = "scaled_dot_product_attention"


def causal_mask(n_queries: int, n_keys: int, device: object) -> Tensor:
    """Bool (L, S): True where key j may be seen by query i, that is j <= i (aligned at the
    top left, as PyTorch's ``is_causal``). Built from ``arange`` comparisons."""
    i = arange(n_queries, device=device).unsqueeze(-1)
    j = arange(n_keys, device=device).unsqueeze(0)
    return j <= i


# Note [Fused causal attention]
# ~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
# Spelled out, causal attention is a matmul, a scale, a mask (``where``), a softmax and a
# matmul forward, and about a dozen ops backward, each a pass over the (..., L, S) scores
# and a graph node. ``CausalAttention`` does the forward in one op: the scores are scaled,
# the mask is added as a small (L, S) array of 0 and -inf (an add, cheaper than NumPy's
# ``where`` on the full scores), and the softmax is taken in place. It saves q, k, v and the
# probabilities P. With g the output's gradient:
#
#     dv = P^T g,   dP = g v^T,   dS = P (dP - sum_j dP P) * scale,   dq = dS k,   dk = dS^T q
#
# A plain backward (nothing recorded, the training case) computes the three gradients on raw
# arrays in one op, ``CausalAttentionGrad``; under ``create_graph`` the same formula is
# written with Tensor ops, with P rebuilt from q and k, so second derivatives hold. Only the
# causal mask without dropout takes this path; every query row sees key 0, so no row is
# fully masked (Note [Fully masked attention rows]). tests/unit/test_gpt_fast_paths.py
# compares it with the composite and counts the ops.


def _causal_bias(xp: Any, n_queries: int, n_keys: int, like: Any) -> Any:
    """(L, S) array of 0 where key j <= query i and -inf elsewhere, in ``like``'s dtype."""
    i = xp.reshape(xp.arange(n_queries, device=like.device), (n_queries, 1))
    j = xp.reshape(xp.arange(n_keys, device=like.device), (1, n_keys))
    zero = xp.zeros((), dtype=like.dtype, device=like.device)
    return xp.where(j <= i, zero, xp.asarray(-math.inf, dtype=like.dtype, device=like.device))


class CausalAttention(Function):
    """softmax(q k^T * scale, causal) v in one op (Note [Fused causal attention]).
    Saves q, k, v and the probabilities."""

    @staticmethod
    def forward(ctx, xp, q, k, v, scale):
        probs = ctx.backend.matmul(q, xp.matrix_transpose(k))  # pooled on the cpu
        probs *= scale
        probs += _causal_bias(xp, q.shape[-2], k.shape[-2], probs)
        probs -= xp.max(probs, axis=-1, keepdims=True)
        probs = ctx.backend.exp(probs)
        probs /= xp.sum(probs, axis=-1, keepdims=True)
        ctx.save_for_backward(q, k, v, probs)
        ctx.scale = scale
        return ctx.backend.matmul(probs, v)

    @staticmethod
    def backward(ctx, g):
        q, k, v, probs = ctx.saved_tensors
        need = ctx.needs_input_grad
        scale = ctx.scale
        # Grad mode on means create_graph: Note [Grad mode in backward] (engine.py).
        if not is_grad_enabled():
            extra: list[Any] = []
            grad_q = CausalAttentionGrad.apply(
                g, q, k, v, probs, scale=scale, want=need, extra=extra
            )
            grad_k, grad_v = (
                None if e is None else Tensor._make(e, g._device, g._backend) for e in extra
            )
            return grad_q if need[0] else None, grad_k, grad_v
        allowed = causal_mask(q.shape[-2], k.shape[-2], q.device)
        probs = where(allowed, (q @ k.mT) * scale, -math.inf).softmax(-1)
        grad_v = probs.mT @ g if need[2] else None
        dp = g @ v.mT
        ds = probs * (dp - (dp * probs).sum(-1, keepdim=True)) * scale
        grad_q = ds @ k if need[0] else None
        grad_k = ds.mT @ q if need[1] else None
        return grad_q, grad_k, grad_v


class CausalAttentionGrad(Function):
    """Causal attention's plain backward on raw arrays (Note [Fused causal attention]):
    returns dq and appends dk and dv (None where ``want`` says so) to ``extra``, one op for
    the three gradients. Batch dims that were broadcast are summed back by the engine.
    Not differentiable."""

    differentiable = False

    @staticmethod
    def forward(ctx, xp, g, q, k, v, probs, scale, want, extra):
        # Every fresh array through the backend's hooks (the cpu pool).
        mm = ctx.backend.matmul
        dp = mm(g, xp.matrix_transpose(v))
        dp -= xp.sum(ctx.backend.multiply(dp, probs), axis=-1, keepdims=True)
        dp *= probs
        dp *= scale  # now dS, the gradient of the scaled scores' pre-mask values
        extra.append(mm(xp.matrix_transpose(dp), q) if want[1] else None)
        extra.append(mm(xp.matrix_transpose(probs), g) if want[2] else None)
        return mm(dp, k)


def _check(q: Tensor, k: Tensor, v: Tensor, attn_mask: Tensor | None) -> None:
    for name, t in (("query", q), ("key", k), ("value", v)):
        if not isinstance(t, Tensor):
            raise TypeError(f"{_OP}: {name} must be a Tensor, got {type(t).__name__}")
        if not t.dtype.is_floating_point:
            raise TypeError(f"{_OP}: {name} must be floating, got {t.dtype!r}; call .float() first")
        if t.ndim < 2:
            raise ShapeError(
                f"{_OP}: {name} must have at least 2 dims (..., seq, features), got shape "
                f"{tuple(t.shape)}"
            )
    for name, t in (("key", k), ("value", v)):
        if t.dtype is not q.dtype or t.device != q.device:
            raise TypeError(
                f"{_OP}: query is {q.dtype.name} on {q.device} but {name} is {t.dtype.name} on "
                f"{t.device}; convert them to one dtype and device"
            )
    if q.shape[-1] != k.shape[-1]:
        raise ShapeError(
            f"{_OP}: query {tuple(q.shape)} and key {tuple(k.shape)} must share the last "
            "(feature) dim"
        )
    if k.shape[-2] != v.shape[-2]:
        raise ShapeError(
            f"{_OP}: key {tuple(k.shape)} and value {tuple(v.shape)} must have the same "
            "number of keys (dim -2)"
        )
    if attn_mask is not None:
        if not isinstance(attn_mask, Tensor):
            raise TypeError(f"{_OP}: attn_mask must be a Tensor, got {type(attn_mask).__name__}")
        if attn_mask.dtype.name != "bool" and attn_mask.dtype is not q.dtype:
            raise TypeError(
                f"{_OP}: attn_mask must be bool (True = attend) or the query's dtype "
                f"{q.dtype.name}, got {attn_mask.dtype.name}; convert it with .to()"
            )
        if attn_mask.device != q.device:
            raise TypeError(
                f"{_OP}: attn_mask is on {attn_mask.device} but query on {q.device}; move it"
            )


def _repeat_heads(t: Tensor, times: int) -> Tensor:
    """Repeat each head ``times`` times in place (PyTorch's ``repeat_interleave`` on dim
    -3): heads (a, b) become (a, a, b, b). Expanding a new axis and folding it into the heads
    keeps it differentiable (the engine sums the expanded gradient back)."""
    shape = tuple(t.shape)
    wide = t.unsqueeze(-3).expand(*shape[:-2], times, *shape[-2:])
    return wide.reshape(*shape[:-3], shape[-3] * times, *shape[-2:])


def scaled_dot_product_attention(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    attn_mask: Tensor | None = None,
    dropout_p: float = 0.0,
    is_causal: bool = False,
    scale: float | None = None,
    enable_gqa: bool = False,
    *,
    generator: Generator | None = None,
) -> Tensor:
    """softmax(q k^T * scale + mask) v for q (..., L, E), k (..., S, E), v (..., S, Ev); the
    leading dims broadcast, and so does ``attn_mask`` ((L, S) up to (N, H, L, S)).

    ``attn_mask`` is bool (True = may attend) or float (added to the scores). ``is_causal``
    lets query i see keys 0..i only and excludes ``attn_mask``. ``dropout_p`` drops attention
    probabilities (always, like PyTorch's function; modules pass 0 in eval mode) from
    ``generator`` (Note [Dropout masks]). ``enable_gqa`` lets q have a multiple of k's
    heads (dim -3): each key/value head then serves that many query heads. A row with nothing
    to attend to gives 0 (Note [Fully masked attention rows]).

    >>> import nanotorch
    >>> import nanotorch.nn.functional as F
    >>> q = nanotorch.zeros(2, 1)
    >>> v = nanotorch.tensor([[1.0], [3.0]])
    >>> F.scaled_dot_product_attention(q, q, v).tolist()  # equal scores: the mean of v
    [[2.0], [2.0]]
    >>> F.scaled_dot_product_attention(q, q, v, is_causal=True).tolist()
    [[1.0], [2.0]]
    """
    _check(query, key, value, attn_mask)
    if is_causal and attn_mask is not None:
        raise RuntimeError(
            f"{_OP}: pass either attn_mask or is_causal=True, not both; fold the causal mask "
            "into attn_mask (e.g. attn_mask & causal) if you need both"
        )
    if not isinstance(dropout_p, (int, float)) or not 0.0 <= dropout_p <= 1.0:
        raise ValueError(f"{_OP}: dropout_p has to be between 0 and 1, but got {dropout_p}")
    if enable_gqa and query.ndim >= 3 and key.shape[-3] != query.shape[-3]:
        hq, hk, hv = query.shape[-3], key.shape[-3], value.shape[-3]
        if hk != hv or hq % hk != 0:
            raise ShapeError(
                f"{_OP}: with enable_gqa the query's heads ({hq}) must be a multiple of the "
                f"key's ({hk}) and value's ({hv}), which must agree"
            )
        key = _repeat_heads(key, hq // hk)
        value = _repeat_heads(value, hq // hk)
    n_queries, n_keys = query.shape[-2], key.shape[-2]
    scale = 1.0 / math.sqrt(query.shape[-1]) if scale is None else scale
    if is_causal and dropout_p == 0.0 and n_queries and n_keys:
        return CausalAttention.apply(query, key, value, scale=scale)
    scores = (query @ key.transpose(-2, -1)) * scale
    if is_causal:
        # Query i always sees key 0, so no row is empty and the dead-row guard (four more
        # elementwise ops per call, in a GPT's every layer) is not needed.
        allowed = causal_mask(n_queries, n_keys, query.device)
        probs = where(allowed, scores, -math.inf).softmax(-1)
    elif attn_mask is None:
        probs = scores.softmax(-1)
    elif attn_mask.dtype.name == "bool":
        probs = _safe_softmax(scores, attn_mask)
    else:
        probs = _safe_softmax(scores + attn_mask, None)
    if dropout_p > 0.0:
        probs = dropout(probs, dropout_p, generator=generator)
    return probs @ value


def _safe_softmax(scores: Tensor, allowed: Tensor | None) -> Tensor:
    """softmax over the last dim, -inf where ``allowed`` is False, and 0 for rows with no
    finite score (Note [Fully masked attention rows])."""
    if allowed is not None:
        scores = where(allowed, scores, -math.inf)
    dead = (scores == -math.inf).all(dim=-1, keepdim=True)
    probs = where(dead, 0.0, scores).softmax(-1)
    return where(dead, 0.0, probs)


__all__ = ["scaled_dot_product_attention"]
