"""Connectionist temporal classification: ``F.ctc_loss`` and ``nn.CTCLoss``, with PyTorch's
arguments, layouts and reductions.

Note [CTC recursions]
~~~~~~~~~~~~~~~~~~~~~
For one sequence with log-probabilities lp (T, C), input length T_n and a target l of length
S_n, the extended target l' puts the blank around and between the labels (length 2 S_n + 1:
blank at even positions j, l_(j-1)/2 at odd ones). A path reads l' left to right, staying,
moving one step, or skipping a blank between two different labels. In log space

    alpha_-1(j) = [j = 0]                          (log 1 = 0, else -inf: the empty prefix)
    alpha_t(j)  = lp[t, l'_j] + lse(alpha_t-1(j), alpha_t-1(j-1), alpha_t-1(j-2) if skip(j))
    loss        = -lse(alpha_(T_n-1)(2 S_n), alpha_(T_n-1)(2 S_n - 1))

with skip(j): l'_j is a label and differs from l'_(j-2). Starting from "before the first
step" makes T_n = 0 fall out without a special case (loss 0 for an empty target, inf
otherwise). beta runs the same recursion backwards from the two end positions (including the
emission at t, as alpha does), so gamma_t(j) = exp(alpha_t(j) + beta_t(j) - lp[t, l'_j] +
loss) is the posterior probability that the path is at position j at time t, and

    d loss / d lp[t, c] = -sum_{j : l'_j = c} gamma_t(j)     for t < T_n, 0 after.

That is the derivative with respect to ``log_probs`` itself. PyTorch's kernel returns
exp(lp) - sum gamma, the gradient with respect to the logits of a log_softmax, which is the
same number once the log_softmax's own backward has run (sum_c gamma_t = 1) but not for
``log_probs`` taken directly (discovery/pytorch-differences.md).

Both recursions run over time in a Python loop and are vectorised over the batch and the
2 S + 1 positions with the array API: sequences of different lengths are padded, positions past
a target's end never reach its end positions, and steps past an input's length are masked.
The class scatter of gamma is one batched matmul with the one-hot of l'. Backward is a
``Function`` of its own (``CTCLossGrad``) whose second derivative is not implemented, as in
PyTorch.

Like the rest of the engine, this module imports no array library.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from nanotorch.autograd.function import Function
from nanotorch.creation import tensor, zeros
from nanotorch.dtypes import int64
from nanotorch.errors import IndexOutOfRangeError, ShapeError, UnsupportedDtypeError
from nanotorch.nn.loss import _check_reduction, _Loss
from nanotorch.ops.elementwise import clamp
from nanotorch.tensor import Tensor

OPS = ("ctc_loss",)

_OP = "ctc_loss"


def _lse(xp: Any, *terms: Any) -> Any:
    """log(sum exp(terms)) elementwise, -inf where every term is -inf (no log(0) evaluated)."""
    m = terms[0]
    for t in terms[1:]:
        m = xp.maximum(m, t)
    finite = m > -math.inf
    m_safe = xp.where(finite, m, xp.zeros_like(m))
    total = xp.zeros_like(m)
    for t in terms:
        total = total + xp.exp(t - m_safe)
    ok = total > 0
    logs = m_safe + xp.log(xp.where(ok, total, xp.ones_like(total)))
    return xp.where(ok, logs, xp.full_like(logs, -math.inf))


def _shift(xp: Any, a: Any, k: int, fill: Any) -> Any:
    """``a`` (N, L) moved k positions right along axis 1 (left for k < 0), ``fill`` coming in."""
    n, length = a.shape
    k_abs = min(abs(k), length)
    pad = xp.full((n, k_abs), fill, dtype=a.dtype, device=a.device)
    if k > 0:
        return xp.concat([pad, a[:, : length - k_abs]], axis=1)
    return xp.concat([a[:, k_abs:], pad], axis=1)


class CTCForward(Function):
    """Per-sequence CTC loss (N,) from log_probs (T, N, C), padded targets (N, S) and the
    lengths (Note [CTC recursions]). Keeps the log-probabilities at l', the alphas and the
    losses on ctx for backward (constants: the gradient is not differentiable again)."""

    dtype_exempt = (1, 2, 3)

    @staticmethod
    def forward(ctx, xp, log_probs, targets, input_lengths, target_lengths, blank, zero_infinity):
        steps, n, _ = log_probs.shape
        s = targets.shape[1]
        length = 2 * s + 1
        device = log_probs.device
        pos = xp.arange(length, dtype=xp.int64, device=device)
        is_label = (pos % 2) == 1
        # l' (N, L); padding past a target's length (any value) is replaced by the blank.
        if s > 0:
            inside = xp.arange(s, dtype=xp.int64, device=device)[None, :] < target_lengths[:, None]
            safe = xp.where(inside, targets, xp.full_like(targets, blank))
            labels = xp.take(safe, xp.clip((pos - 1) // 2, 0, s - 1), axis=1)
            ext = xp.where(is_label[None, :], labels, xp.full_like(labels, blank))
        else:
            ext = xp.full((n, 1), blank, dtype=targets.dtype, device=device)
        ext = xp.astype(ext, xp.int64)
        skip = is_label[None, :] & (pos[None, :] >= 2) & (ext != _shift(xp, ext, 2, -1))
        index = xp.broadcast_to(ext[None, :, :], (steps, n, length))
        lp_ext = xp.take_along_axis(log_probs, index, axis=2)  # (T, N, L)
        neg = xp.full((n, length), -math.inf, dtype=log_probs.dtype, device=device)
        alpha = xp.where(pos[None, :] == 0, xp.zeros_like(neg), neg)
        alphas = [alpha]
        for t in range(steps):
            two_back = xp.where(skip, _shift(xp, alpha, 2, -math.inf), neg)
            alpha = lp_ext[t, ...] + _lse(xp, alpha, _shift(xp, alpha, 1, -math.inf), two_back)
            alphas.append(alpha)
        stacked = xp.stack(alphas)  # (T + 1, N, L): alphas[t + 1] is alpha_t
        at_end = xp.take_along_axis(
            stacked, xp.broadcast_to(input_lengths[None, :, None], (1, n, length)), axis=0
        )[0, ...]
        last = 2 * target_lengths
        a_last = xp.take_along_axis(at_end, last[:, None], axis=1)[:, 0]
        a_before = xp.take_along_axis(at_end, xp.clip(last - 1, 0, None)[:, None], axis=1)[:, 0]
        a_before = xp.where(target_lengths > 0, a_before, xp.full_like(a_before, -math.inf))
        nll = -_lse(xp, a_last, a_before)
        ctx.save_for_backward(log_probs)  # links the gradient to it (see CTCLossGrad)
        ctx.state = (lp_ext, stacked, ext, skip, nll, input_lengths, target_lengths)
        ctx.zero_infinity = zero_infinity
        ctx.n_classes = log_probs.shape[2]
        if zero_infinity:
            nll = xp.where(nll == math.inf, xp.zeros_like(nll), nll)
        return nll

    @staticmethod
    def backward(ctx, g):
        (log_probs,) = ctx.saved_tensors
        grad = CTCLossGrad.apply(
            g, log_probs, state=ctx.state, n_classes=ctx.n_classes, zero=ctx.zero_infinity
        )
        return grad, None, None, None


class CTCLossGrad(Function):
    """d loss_n / d log_probs[t, n, c] times g_n, from the alphas forward kept
    (Note [CTC recursions]): beta backwards in time, the posteriors gamma, scattered onto the
    classes. Sequences whose loss is inf get 0 with ``zero_infinity`` (PyTorch's rule).
    ``log_probs`` is an input only so that the result hangs off it in a recorded graph,
    and a second derivative reaches ``backward`` and raises instead of silently being 0."""

    @staticmethod
    def forward(ctx, xp, g, log_probs, state, n_classes, zero):
        lp_ext, alphas, ext, skip, nll, input_lengths, target_lengths = state
        steps, n, length = lp_ext.shape
        device = lp_ext.device
        pos = xp.arange(length, dtype=xp.int64, device=device)
        neg = xp.full((n, length), -math.inf, dtype=lp_ext.dtype, device=device)
        last = 2 * target_lengths
        at_end = (pos[None, :] == last[:, None]) | (
            (pos[None, :] == last[:, None] - 1) & (target_lengths[:, None] > 0)
        )
        skip_back = _shift(xp, skip, -2, False)  # j -> j + 2 allowed where l'_(j+2) may skip
        beta = neg
        gammas = [None] * steps
        finite_nll = xp.where(nll == math.inf, xp.zeros_like(nll), nll)[:, None]
        for t in reversed(range(steps)):
            two_ahead = xp.where(skip_back, _shift(xp, beta, -2, -math.inf), neg)
            step = lp_ext[t, ...] + _lse(xp, beta, _shift(xp, beta, -1, -math.inf), two_ahead)
            # The last step of a sequence starts its recursion at the two end positions.
            first = xp.where(at_end, lp_ext[t, ...], neg)
            live = (t < input_lengths)[:, None]
            beta = xp.where((t == input_lengths - 1)[:, None], first, xp.where(live, step, neg))
            both = alphas[t + 1, ...] + beta
            seen = live & (both > -math.inf)
            safe = xp.where(seen, both - lp_ext[t, ...] + finite_nll, xp.zeros_like(both))
            gammas[t] = xp.where(seen, xp.exp(safe), xp.zeros_like(both))
        gamma = xp.stack(gammas, axis=1) if steps else xp.zeros((n, 0, length), dtype=neg.dtype)
        classes = xp.arange(n_classes, dtype=xp.int64, device=device)
        one_hot = xp.astype(ext[:, :, None] == classes[None, None, :], gamma.dtype)
        per_class = xp.permute_dims(gamma @ one_hot, (1, 0, 2))  # (T, N, C)
        scale = -g
        if zero:
            scale = xp.where(nll == math.inf, xp.zeros_like(scale), scale)
        return per_class * scale[None, :, None]

    @staticmethod
    def backward(ctx, grad_out):
        raise NotImplementedError(
            "ctc_loss: the second derivative is not implemented (nor is it in PyTorch); "
            "differentiate ctc_loss once only"
        )


def _lengths(name: str, value: Any, n: int, device: Any) -> tuple[Tensor, list[int]]:
    """Lengths given as a tensor, an int or a sequence of ints: an int64 tensor on ``device``
    and the values on the host (read once; they size the checks)."""
    if isinstance(value, Tensor):
        if value.dtype.is_floating_point or value.dtype.name == "bool":
            raise UnsupportedDtypeError(
                f"{_OP}: {name} must be integral, got {value.dtype.name}; pass an int64 tensor "
                "or a tuple of ints"
            )
        host = value._to_host_uncounted().reshape(-1).tolist()
    elif isinstance(value, int):
        host = [value]
    elif isinstance(value, Sequence) and all(isinstance(v, int) for v in value):
        host = list(value)
    else:
        raise TypeError(
            f"{_OP}: {name} must be a tensor or a tuple of ints, got {type(value).__name__}"
        )
    if len(host) != n:
        raise ShapeError(
            f"{_OP}: {name} must be of size batch_size = {n}, got {len(host)} values; give one "
            "length per sequence"
        )
    return tensor(host, dtype=int64, device=device), host


def ctc_loss(
    log_probs: Tensor,
    targets: Tensor,
    input_lengths: Tensor | Sequence[int] | int,
    target_lengths: Tensor | Sequence[int] | int,
    blank: int = 0,
    reduction: str = "mean",
    zero_infinity: bool = False,
) -> Tensor:
    """The negative log-likelihood of each target under every alignment of it to the input
    (Note [CTC recursions]). ``log_probs`` is (T, N, C) (or (T, C) unbatched), normalised over
    C; ``targets`` is (N, S) padded or the N targets concatenated in 1-d; the lengths are
    tensors or tuples. 'mean' divides each loss by its target length, then averages.

    >>> import nanotorch
    >>> lp = nanotorch.full((3, 1, 2), 0.5).log()
    >>> loss = nanotorch.nn.functional.ctc_loss(lp, nanotorch.tensor([[1]]), (3,), (1,))
    >>> print(f"{loss.item():.4f}")
    0.2877
    """
    _check_reduction(_OP, reduction)
    if not isinstance(log_probs, Tensor) or not isinstance(targets, Tensor):
        raise TypeError(f"{_OP}: log_probs and targets must be Tensors")
    if log_probs.ndim not in (2, 3):
        raise ShapeError(
            f"{_OP}: log_probs must be (T, N, C) or unbatched (T, C), got shape "
            f"{tuple(log_probs.shape)}"
        )
    if not log_probs.dtype.is_floating_point:
        raise UnsupportedDtypeError(
            f"{_OP}: log_probs must be floating, got {log_probs.dtype.name}; pass log_softmax "
            "of the logits"
        )
    if targets.dtype.is_floating_point or targets.dtype.name == "bool":
        raise UnsupportedDtypeError(
            f"{_OP}: targets must be integer class indices, got {targets.dtype.name}; convert "
            "them with .long()"
        )
    unbatched = log_probs.ndim == 2
    if unbatched:
        # One sequence: its 1-d target is read as a concatenation of one, as PyTorch does
        # (so its size must be the target length).
        if targets.ndim != 1:
            raise ShapeError(
                f"{_OP}: unbatched log_probs {tuple(log_probs.shape)} take 1-d targets, got "
                f"{tuple(targets.shape)}"
            )
        log_probs = log_probs.unsqueeze(1)
    steps, n, n_classes = log_probs.shape
    device = log_probs.device
    il, il_host = _lengths("input_lengths", input_lengths, n, device)
    tl, tl_host = _lengths("target_lengths", target_lengths, n, device)
    if not 0 <= blank < n_classes:
        raise IndexOutOfRangeError(
            f"{_OP}: blank must be in label range [0, {n_classes}), got {blank}"
        )
    for name, values, top in (("input_lengths", il_host, steps), ("target_lengths", tl_host, None)):
        bad = [v for v in values if v < 0 or (top is not None and v > top)]
        if bad:
            bound = f"at most T = {top}" if top is not None else "non-negative"
            raise ShapeError(f"{_OP}: {name} must be >= 0 and {bound}, got {values}")
    targets = targets.to(device)
    if targets.ndim == 1:
        # Concatenated targets: pad them to (N, max length) for the vectorised recursion.
        total = sum(tl_host)
        if targets.shape[0] != total:
            raise ShapeError(
                f"{_OP}: 1-d (concatenated) targets hold {targets.shape[0]} labels but "
                f"target_lengths {tl_host} sum to {total}"
            )
        width = max(tl_host, default=0)
        starts = [sum(tl_host[:i]) for i in range(n)]
        index = [
            [min(starts[i] + min(k, max(tl_host[i] - 1, 0)), total - 1) for k in range(width)]
            for i in range(n)
        ]
        if width:
            targets = targets[tensor(index, dtype=int64, device=device)]
        else:
            targets = zeros((n, 0), dtype=int64, device=device)
    elif targets.ndim == 2:
        if targets.shape[0] != n:
            raise ShapeError(
                f"{_OP}: targets {tuple(targets.shape)} must have batch size N = {n} in dim 0"
            )
        too_long = [v for v in tl_host if v > targets.shape[1]]
        if too_long:
            raise ShapeError(
                f"{_OP}: target_lengths {tl_host} exceed the padded targets' length "
                f"{targets.shape[1]}"
            )
    else:
        raise ShapeError(
            f"{_OP}: targets must be (N, S) padded or 1-d concatenated, got {tuple(targets.shape)}"
        )
    _check_labels(targets, tl_host, n_classes)
    loss = CTCForward.apply(
        log_probs, targets.to(int64), il, tl, blank=blank, zero_infinity=zero_infinity
    )
    if reduction == "mean":
        return (loss / clamp(tl, min=1).to(loss.dtype)).mean()
    if reduction == "sum":
        return loss.sum()
    return loss[0] if unbatched else loss


def _check_labels(targets: Tensor, lengths: list[int], n_classes: int) -> None:
    """Every label within its target's length is a class index (one small host read)."""
    if not targets.numel():
        return
    rows = targets._to_host_uncounted().tolist()
    bad = [v for row, k in zip(rows, lengths) for v in row[:k] if not 0 <= v < n_classes]
    if bad:
        raise IndexOutOfRangeError(
            f"{_OP}: target labels must be class indices in [0, {n_classes}), got {bad[:5]}"
        )


class CTCLoss(_Loss):
    """``F.ctc_loss`` as a module (no parameters or buffers)."""

    def __init__(self, blank: int = 0, reduction: str = "mean", zero_infinity: bool = False):
        super().__init__(reduction=reduction)
        self.blank = blank
        self.zero_infinity = zero_infinity

    def forward(
        self,
        log_probs: Tensor,
        targets: Tensor,
        input_lengths: Tensor | Sequence[int],
        target_lengths: Tensor | Sequence[int],
    ) -> Tensor:
        return ctc_loss(
            log_probs,
            targets,
            input_lengths,
            target_lengths,
            self.blank,
            self.reduction,
            self.zero_infinity,
        )


__all__ = ["CTCLoss", "ctc_loss"]
