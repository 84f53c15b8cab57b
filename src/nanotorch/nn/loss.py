"""Losses: the functional forms (``F.mse_loss``, ``F.cross_entropy``, ...) and their module
classes (``nn.MSELoss``, ``nn.CrossEntropyLoss``, ...), with PyTorch's arguments, defaults
and reduction semantics.

Most losses are composites of differentiable ops, so their gradients (and second
derivatives) come from the ops' own backward passes. Two have a Function of their own:

- ``cross_entropy`` with class-index targets, the hot path of every classifier, fuses
  log-softmax and the pick of the target's log-probability (Note [Fused cross-entropy]);
- ``binary_cross_entropy``, whose logs are clamped at -100 like PyTorch's, gets a backward
  that stays finite at inputs of exactly 0 or 1.

Elementwise losses compare tensors of one shape and never broadcast: a (N,) target against a
(N, 1) prediction would silently build an (N, N) loss, so a mismatch raises and names both
shapes. Class targets out of range raise and name the values; reading them is a small sync
(Note [Index validation reads] in ops/indexing.py).

Like the rest of the engine, this module imports no array library.
"""

from __future__ import annotations

from typing import Any

from nanotorch.autograd.function import Function
from nanotorch.autograd.grad_mode import is_grad_enabled as _is_grad_enabled
from nanotorch.creation import arange
from nanotorch.errors import (
    DeviceMismatchError,
    InvalidArgumentError,
    ShapeError,
    UnsupportedDtypeError,
)
from nanotorch.nn.linear import check_same_place
from nanotorch.nn.module import Module
from nanotorch.ops._util import broadcast_shapes
from nanotorch.ops.elementwise import abs as _abs
from nanotorch.ops.elementwise import clamp, exp, log, softplus, where
from nanotorch.ops.indexing import Gather, Take
from nanotorch.ops.reduction import amax, amin, log_softmax, softmax
from nanotorch.ops.shape import stack
from nanotorch.tensor import Tensor

# The functional ops this family exports through nanotorch.nn.functional; the op-spec
# tests derive from it (Note [Op registry] in ops/__init__.py).
OPS = (
    "mse_loss",
    "l1_loss",
    "smooth_l1_loss",
    "huber_loss",
    "cross_entropy",
    "nll_loss",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "kl_div",
)


_REDUCTIONS = ("none", "mean", "sum")
_BIG = 2**62  # beyond any class count, within int64


# ----------------------------------------------------------------------------- checks
def _legacy_reduction(size_average: bool | None, reduce: bool | None, reduction: str) -> str:
    """PyTorch's deprecated ``size_average`` / ``reduce`` flags, mapped onto ``reduction``."""
    if size_average is None and reduce is None:
        return reduction
    if reduce is False:
        return "none"
    return "sum" if size_average is False else "mean"


def _check_reduction(op: str, reduction: str, allowed: tuple[str, ...] = _REDUCTIONS) -> None:
    if reduction not in allowed:
        names = ", ".join(repr(r) for r in allowed[:-1]) + f" or {allowed[-1]!r}"
        raise ValueError(f"{op}: reduction must be {names}, got {reduction!r}")


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "none":
        return loss
    return loss.sum() if reduction == "sum" else loss.mean()


# Note [Loss target dtypes]
# ~~~~~~~~~~~~~~~~~~~~~~~~~
# A target may come in another dtype than the input: float64 labels made with NumPy beside a
# float32 model, integer 0/1 labels. PyTorch accepts most such pairs, and so does nanotorch,
# the same way: the loss is arithmetic on input and target, and that arithmetic promotes
# (Note [Type promotion] in promotion.py), so mse_loss(float32, float64) is a float64 loss
# whose gradient comes back to the input in float32. Three rules differ, each PyTorch's:
# huber_loss, soft_margin_loss and hinge_embedding_loss give the input's dtype (the target is
# cast to it); binary_cross_entropy wants one dtype ("same"); and binary_cross_entropy_with_
# logits and kl_div refuse an integer target ("floating"), the first giving the target's
# dtype (its kernel writes into a tensor of that dtype). The refusals are RuntimeErrors, as
# PyTorch's are.
def check_target(op: str, input: Tensor, target: Any, rule: str = "promote") -> None:  # noqa: A002
    """The target beside ``input``: a Tensor on its device, with a dtype ``rule`` allows
    (Note [Loss target dtypes]: "promote", "same" or "floating")."""
    if not isinstance(target, Tensor):
        raise TypeError(f"{op}: target must be a Tensor, got {type(target).__name__}")
    if target.device != input.device:
        raise DeviceMismatchError(
            f"{op}: input is on {input.device} but target is on {target.device}; move the "
            f"target with .to('{input.device}')"
        )
    if target.dtype is input.dtype:
        return
    if rule == "same" or (rule == "floating" and not target.dtype.is_floating_point):
        raise UnsupportedDtypeError(
            f"{op}: input is {input.dtype.name} but target is {target.dtype.name}; this loss "
            f"needs {'one dtype' if rule == 'same' else 'a floating target'} (as in PyTorch): "
            f"convert the target with .to(nanotorch.{input.dtype.name})"
        )


def _check_pair(
    op: str,
    input: Tensor,  # noqa: A002
    target: Tensor,
    rule: str = "promote",
) -> None:
    check_same_place(op, input)
    check_target(op, input, target, rule)
    if not input.dtype.is_floating_point:
        raise UnsupportedDtypeError(
            f"{op}: needs floating tensors, got {input.dtype!r}; call .float() first"
        )
    if tuple(input.shape) != tuple(target.shape):
        raise ShapeError(
            f"{op}: input of shape {tuple(input.shape)} and target of shape "
            f"{tuple(target.shape)} differ; this loss compares them elementwise and does not "
            f"broadcast, so reshape one to match (e.g. target.view{tuple(input.shape)})"
        )


def _check_pointwise(
    op: str,
    input: Tensor,  # noqa: A002
    target: Tensor,
    reduction: str,
    size_average: bool | None = None,
    reduce: bool | None = None,
    allowed: tuple[str, ...] = _REDUCTIONS,
    rule: str = "promote",
) -> str:
    """What every loss comparing input and target elementwise checks first: the reduction
    (legacy flags mapped onto it) and the pair (``rule``: Note [Loss target dtypes]);
    returns the reduction to apply."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(op, reduction, allowed)
    _check_pair(op, input, target, rule)
    return reduction


def _check_broadcasts_to(op: str, name: str, t: Tensor | None, shape: tuple[int, ...]) -> None:
    if t is not None and broadcast_shapes(f"{op} ({name})", tuple(t.shape), shape) != shape:
        raise ShapeError(
            f"{op}: {name} of shape {tuple(t.shape)} must broadcast to the input's shape {shape}"
        )


def _value_range(t: Tensor) -> tuple[Any, Any]:
    """(min, max) of a non-empty tensor, read with one small uncounted sync (Note [Index
    validation reads] in ops/indexing.py: a clear error is worth it)."""
    both = stack([amin(t.detach()), amax(t.detach())])
    lo, hi = both._to_host_uncounted().tolist()
    return lo, hi


# ----------------------------------------------------------------------------- regression
def mse_loss(
    input: Tensor,  # noqa: A002
    target: Tensor,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """Mean squared error: l_i = (x_i - y_i)^2, then ``reduction`` ('mean', 'sum', 'none').
    dx_i = 2 (x_i - y_i) (divided by the count for 'mean').

    >>> import nanotorch
    >>> import nanotorch.nn.functional as F
    >>> F.mse_loss(nanotorch.tensor([1.0, 2.0]), nanotorch.tensor([0.0, 0.0])).item()
    2.5
    """
    reduction = _check_pointwise("mse_loss", input, target, reduction, size_average, reduce)
    d = input - target
    return _reduce(d * d, reduction)


def l1_loss(
    input: Tensor,  # noqa: A002
    target: Tensor,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """Mean absolute error: l_i = |x_i - y_i|;  dx_i = sign(x_i - y_i) (0 where equal)."""
    reduction = _check_pointwise("l1_loss", input, target, reduction, size_average, reduce)
    return _reduce(_abs(input - target), reduction)


def smooth_l1_loss(
    input: Tensor,  # noqa: A002
    target: Tensor,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
    beta: float = 1.0,
) -> Tensor:
    """l_i = 0.5 d^2 / beta if |d| < beta else |d| - 0.5 beta, with d = x_i - y_i:
    quadratic near zero, linear (robust to outliers) beyond ``beta``; beta = 0 is L1."""
    reduction = _check_pointwise("smooth_l1_loss", input, target, reduction, size_average, reduce)
    if not isinstance(beta, (int, float)) or not beta >= 0:  # also refuses nan
        raise ValueError(f"smooth_l1_loss: beta must be non-negative, got {beta!r}")
    d = input - target
    ad = _abs(d)
    if beta == 0:
        return _reduce(ad, reduction)
    # The quadratic branch squares a copy of d zeroed where it is not used, so a huge or
    # infinite residual gives that branch's gradient 0 * 0, not 0 * inf = nan.
    near = ad < beta
    dq = where(near, d, 0.0)
    return _reduce(where(near, dq * dq * (0.5 / beta), ad - 0.5 * beta), reduction)


def huber_loss(
    input: Tensor,  # noqa: A002
    target: Tensor,
    reduction: str = "mean",
    delta: float = 1.0,
) -> Tensor:
    """l_i = 0.5 d^2 if |d| < delta else delta (|d| - 0.5 delta), d = x_i - y_i
    (``smooth_l1_loss`` times ``delta``, with beta = delta)."""
    _check_reduction("huber_loss", reduction)
    _check_pair("huber_loss", input, target)
    if not isinstance(delta, (int, float)) or not delta > 0:  # also refuses nan
        raise ValueError(f"huber_loss: delta must be positive, got {delta!r}")
    target = target.to(input.dtype)  # the input's dtype (Note [Loss target dtypes])
    d = input - target
    ad = _abs(d)
    near = ad < delta
    dq = where(near, d, 0.0)  # as in smooth_l1_loss: no 0 * inf in the unused branch
    return _reduce(where(near, dq * dq * 0.5, (ad - 0.5 * delta) * delta), reduction)


# ----------------------------------------------------------------------------- class targets
def _class_view(w: Tensor, ndim: int) -> Tensor:
    """A (C,) tensor shaped to broadcast along dim 1 of an (N, C, d1, ...) tensor."""
    return w.reshape((1, -1) + (1,) * (ndim - 2))


def _check_class_inputs(
    op: str,
    input: Tensor,  # noqa: A002
    target: Tensor,
    weight: Tensor | None,
    reduction: str,
    ignore_index: int,
) -> int:
    """Validate (input, target, weight) of a class loss; returns the number of classes."""
    _check_reduction(op, reduction)
    check_same_place(op, input, weight=weight)
    if not isinstance(target, Tensor):
        raise TypeError(f"{op}: target must be a Tensor, got {type(target).__name__}")
    if target.device != input.device:
        raise DeviceMismatchError(
            f"{op}: input is on {input.device} but target is on {target.device}; move the "
            f"target with .to('{input.device}')"
        )
    if input.ndim == 0:
        raise ShapeError(
            f"{op}: input must have at least 1 dim, (C,) or (N, C, d1, ...), got a 0-d tensor"
        )
    if not input.dtype.is_floating_point:
        raise TypeError(f"{op}: input must be floating, got {input.dtype!r}")
    n_classes = input.shape[0] if input.ndim == 1 else input.shape[1]
    if weight is not None and tuple(weight.shape) != (n_classes,):
        raise ShapeError(
            f"{op}: weight of shape {tuple(weight.shape)} must have one entry per class "
            f"({n_classes},)"
        )
    return n_classes


def _check_index_target(
    op: str,
    input: Tensor,
    target: Tensor,
    n_classes: int,
    ignore_index: int,  # noqa: A002
) -> Tensor:
    """Shape and range of class-index targets; returns them as int64."""
    if target.dtype.name not in ("int64", "int32"):
        raise TypeError(
            f"{op}: target must hold class indices (int64) or probabilities (the input's "
            f"float dtype), got {target.dtype.name}"
        )
    expected = () if input.ndim == 1 else (input.shape[0],) + tuple(input.shape[2:])
    if tuple(target.shape) != expected:
        raise ShapeError(
            f"{op}: class-index target of shape {tuple(target.shape)} does not match input of "
            f"shape {tuple(input.shape)}: expected {expected} (input (N, C, d1, ...) takes "
            "target (N, d1, ...))"
        )
    if target.dtype.name == "int32":
        target = target.long()
    if target.numel():
        both = ValidTargetRange.apply(target, ignore_index=ignore_index)
        lo, hi = both._to_host_uncounted().tolist()  # Note [Index validation reads]
        if lo <= hi and (lo < 0 or hi >= n_classes):  # lo > hi: every target is ignored
            raise IndexError(
                f"{op}: target values must be in [0, {n_classes}) or equal "
                f"ignore_index={ignore_index}; got values from {lo} to {hi}"
            )
    return target


class ValidTargetRange(Function):
    """[min, max] of the class-index targets other than ``ignore_index``, as one (2,) array:
    one op on every loss call instead of five (compare, two wheres, min, max, and a stack).
    Ignored entries must not count: they become +big for the min and -big for the max, so
    lo > hi means every target is ignored. No gradient."""

    differentiable = False

    @staticmethod
    def forward(ctx, xp, target, ignore_index):
        fast = ctx.backend.target_range(target, ignore_index, _BIG)  # direct NumPy on the cpu
        if fast is not None:
            return fast
        valid = target != ignore_index
        big = xp.asarray(_BIG, dtype=target.dtype, device=target.device)
        lo = xp.min(xp.where(valid, target, big))
        hi = xp.max(xp.where(valid, target, -big))
        return xp.stack([lo, hi])


def _target_weight_sum(
    x: Tensor, target: Tensor, weight: Tensor | None, ignore_index: int
) -> Tensor:
    """The denominator of a 'mean' class loss: sum over non-ignored targets of w[target]
    (their count without weights), as in PyTorch."""
    valid = (target != ignore_index).to(x.dtype)
    if weight is None:
        return valid.sum()
    safe = where(target != ignore_index, target, 0).reshape(-1)
    # Take directly: the range was checked already, so skip the indexing op's second read.
    return (Take.apply(weight, safe, axis=0) * valid.reshape(-1)).sum()


class CrossEntropyIndex(Function):
    """Cross-entropy with class-index targets, fused. Note [Fused cross-entropy]
    ~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
    Per element i (dim 1 holds the C classes), with logp = log_softmax(z), label smoothing
    eps and class weights w (all ones without ``weight``):

        l_i = -sum_k q_ik logp_ik,   q_ik = w_k ((1 - eps) [k = t_i] + eps / C),

    and l_i = 0 where t_i = ignore_index. This is PyTorch's loss: the smoothed part of its
    definition, -(eps / C) sum_k w_k logp_ik, is the eps / C term of q. Because the
    derivative of logp is softmax minus the identity, the gradient is the classic

        dz_ik = g_i (a_i softmax(z)_ik - q_ik),   a_i = sum_k q_ik  (= 1 without weights),

    i.e. ``softmax - one_hot`` when there are no weights and no smoothing, and for the
    weights dw_k = -sum_i g_i ((1 - eps) [k = t_i] + eps / C) logp_ik.

    Forward never forms logp or a one-hot: the loss needs only the target's shifted logit
    and log-sum-exp, logp_it = (z_it - m_i) - log s_i. When a gradient will be needed it
    also keeps softmax = e / s, which it has almost for free. A plain backward computes dz
    on arrays from that kept softmax (``raw_backward``); under ``create_graph=True`` the
    backward is built from Tensor ops and recomputes softmax(z) as an op so second
    derivatives flow through it. Saves the logits,
    the targets, the weight, (when needed) the softmax and (for 'mean') the denominator.

    The reduction is fused too: 'sum' returns L = sum_i l_i and 'mean' returns L / D with
    D = sum_i w_(t_i) over the targets that are not ignored (their count without weights).
    Each l_i then receives the same upstream gradient, g for 'sum' and g / D for 'mean', so
    the backward above runs with that 0-d value broadcast over i. D is a constant unless the
    weight requires a gradient; ``cross_entropy`` keeps 'mean' out of the op in that case.
    A reduced loss is two dispatches forward (range check, loss) instead of seven, and none in
    a plain backward.
    """

    dtype_exempt = (1,)

    @staticmethod
    def forward(ctx, xp, z, target, weight, ignore_index, smoothing, keep_softmax, reduction):
        ctx.ignore_index, ctx.smoothing = ignore_index, smoothing
        if weight is None and not smoothing and z.ndim == 2 and reduction != "none":
            # The backend's direct version of the lines below, where it has one (the cpu).
            fast = ctx.backend.cross_entropy_rows(z, target, ignore_index, keep_softmax)
            if fast is not None:
                total_loss, counted, probs = fast
                if reduction == "sum":
                    ctx.save_for_backward(z, target, weight, probs, None)
                    return total_loss
                ctx.save_for_backward(z, target, weight, probs, counted)
                return total_loss / counted
        n_classes = z.shape[1]
        shifted = z - xp.max(z, axis=1, keepdims=True)
        e = xp.exp(shifted)
        total = xp.sum(e, axis=1, keepdims=True)
        log_total = xp.log(total)
        valid = target != ignore_index
        safe = xp.where(valid, target, xp.zeros_like(target))
        picked = xp.take_along_axis(shifted, xp.expand_dims(safe, axis=1), axis=1)
        picked = xp.squeeze(picked - log_total, axis=1)  # logp at the target
        if weight is not None:
            target_weight = xp.reshape(xp.take(weight, xp.reshape(safe, (-1,))), safe.shape)
            picked = picked * target_weight
        loss = -(1.0 - smoothing) * picked
        if smoothing:
            # sum_k w_k logp_k = sum_k w_k (z_k - m) - (sum_k w_k) log s
            log_total = xp.squeeze(log_total, axis=1)
            if weight is None:
                smooth = xp.sum(shifted, axis=1) - n_classes * log_total
            else:
                w = xp.reshape(weight, (1, n_classes) + (1,) * (z.ndim - 2))
                smooth = xp.sum(shifted * w, axis=1) - xp.sum(weight) * log_total
            loss = loss - (smoothing / n_classes) * smooth
        loss = xp.where(valid, loss, xp.zeros_like(loss))
        probs = e / total if keep_softmax else None
        if reduction == "none":
            ctx.save_for_backward(z, target, weight, probs, None)
            return loss
        total_loss = xp.sum(loss)
        if reduction == "sum":
            ctx.save_for_backward(z, target, weight, probs, None)
            return total_loss
        # 'mean': divide by the summed weights of the targets that count (D in the note).
        counted = xp.astype(valid, z.dtype)
        if weight is not None:
            counted = counted * target_weight
        denominator = xp.sum(counted)
        ctx.save_for_backward(z, target, weight, probs, denominator)
        return total_loss / denominator

    @staticmethod
    def raw_backward(ctx, xp, g):  # Note [Raw backward] in autograd/function.py
        # A plain backward: dz on arrays from the kept softmax, no dispatch. A weight that
        # wants a gradient (rare) takes ``backward``'s Tensor formulas, unwrapped.
        need_weight_grad = ctx.needs_input_grad[2]
        z, target, weight, probs, denominator = ctx.saved_arrays
        if probs is None or need_weight_grad:
            z_t = ctx.saved_tensors[0]
            g_t = Tensor._make(g, z_t._device, ctx.backend, False, None)
            grads = CrossEntropyIndex.backward(ctx, g_t)
            return tuple(None if t is None else t._data for t in grads)
        if not ctx.needs_input_grad[0]:
            return None, None, None
        grad_z = _index_grad(
            ctx.backend,
            xp,
            g,
            probs,
            target,
            weight,
            denominator,
            ctx.ignore_index,
            ctx.smoothing,
        )
        return grad_z, None, None

    @staticmethod
    def backward(ctx, g):
        # The Tensor formulas: what create_graph=True records (and raw_backward's fallback).
        z, target, weight, probs, denominator = ctx.saved_tensors
        if denominator is not None:
            # 'mean': every l_i gets g / D (a 0-d g broadcasts below). D = 0 when no target
            # counts (all ignored): the loss is nan, but no logit gets a gradient, as in
            # PyTorch, so divide by 1 there rather than make inf * 0 = nan.
            g = g / where(denominator == 0, 1.0, denominator)
        eps = ctx.smoothing
        n_classes = z.shape[1]
        if probs is None or _is_grad_enabled():
            probs = softmax(z, 1)  # differentiable: the create_graph path
        valid = target != ctx.ignore_index
        safe = where(valid, target, 0)
        # Ignored elements get no gradient: fold the mask into the (N, d...) upstream grad.
        g = (g * valid.to(z.dtype)).unsqueeze(1)
        classes = arange(n_classes, device=z.device).reshape((1, n_classes) + (1,) * (z.ndim - 2))
        base = (classes == safe.unsqueeze(1)).to(z.dtype)
        if eps:
            base = base * (1.0 - eps) + eps / n_classes
        grad_z = grad_w = None
        if ctx.needs_input_grad[0]:
            if weight is None:
                grad_z = g * (probs - base)  # a_i = 1
            else:
                q = base * _class_view(weight, z.ndim)
                grad_z = g * (q.sum(1, keepdim=True) * probs - q)
        if weight is not None and ctx.needs_input_grad[2]:
            per_class = -(g * base * log_softmax(z, 1))
            grad_w = per_class.sum(tuple(d for d in range(z.ndim) if d != 1))
        return grad_z, None, grad_w


def _index_grad(
    backend: Any,
    xp: Any,
    g: Any,
    probs: Any,
    target: Any,
    weight: Any,
    denominator: Any,
    ignore_index: int,
    smoothing: float,
) -> Any:
    """dz of CrossEntropyIndex on raw arrays: g_i (a_i softmax_ik - q_ik), zero where the
    target is ignored (Note [Fused cross-entropy] defines q and a), from the softmax that
    forward kept. For a reduced loss g is 0-d (the same for every i), divided by
    ``denominator`` for 'mean'. What ``CrossEntropyIndex.raw_backward`` computes."""
    if denominator is not None:  # D = 0 (nothing counts): no gradient, see ``backward``
        g = g / xp.where(denominator == 0, xp.ones_like(denominator), denominator)
    if weight is None and not smoothing and probs.ndim == 2 and g.ndim == 0:
        fast = backend.cross_entropy_rows_grad(g, probs, target, ignore_index)
        if fast is not None:
            return fast
    n_classes = probs.shape[1]
    class_shape = (1, n_classes) + (1,) * (probs.ndim - 2)
    valid = target != ignore_index
    safe = xp.where(valid, target, xp.zeros_like(target))
    g = xp.expand_dims(g * xp.astype(valid, g.dtype), axis=1)
    classes = xp.arange(n_classes, dtype=target.dtype, device=target.device)
    q = xp.astype(xp.reshape(classes, class_shape) == xp.expand_dims(safe, axis=1), g.dtype)
    if smoothing:
        q = q * (1.0 - smoothing) + smoothing / n_classes
    if weight is None:
        return g * (probs - q)  # a_i = 1
    q = q * xp.reshape(weight, class_shape)
    return g * (xp.sum(q, axis=1, keepdims=True) * probs - q)


def _soft_target_cross_entropy(x: Tensor, y: Tensor, weight: Tensor | None, eps: float) -> Tensor:
    """l_i = -sum_k w_k y'_ik logp_ik with y' = (1 - eps) y + eps / C (a composite)."""
    n_classes = x.shape[1]
    if eps:
        y = y * (1.0 - eps) + eps / n_classes
    prod = log_softmax(x, 1) * y
    if weight is not None:
        prod = prod * _class_view(weight, x.ndim)
    return -prod.sum(1)


def cross_entropy(
    input: Tensor,  # noqa: A002
    target: Tensor,
    weight: Tensor | None = None,
    size_average: bool | None = None,
    ignore_index: int = -100,
    reduce: bool | None = None,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> Tensor:
    """Cross-entropy between logits ``input`` ((C,) or (N, C, d1, ...)) and ``target``:

    - class indices ((), or (N, d1, ...)), int64: l_i = -sum_k q_ik log_softmax(x)_ik with
      q as in Note [Fused cross-entropy]; entries equal to ``ignore_index`` contribute
      nothing, and 'mean' divides by the summed weights of the other targets;
    - probabilities (the input's shape and dtype): l_i = -sum_k w_k y'_ik log_softmax(x)_ik
      with y' = (1 - eps) y + eps / C; 'mean' divides by the number of elements N d1 ...

    >>> import nanotorch
    >>> import nanotorch.nn.functional as F
    >>> logits = nanotorch.tensor([[2.0, 0.0], [0.0, 2.0]])
    >>> round(F.cross_entropy(logits, nanotorch.tensor([0, 1])).item(), 4)
    0.1269
    """
    op = "cross_entropy"
    reduction = _legacy_reduction(size_average, reduce, reduction)
    n_classes = _check_class_inputs(op, input, target, weight, reduction, ignore_index)
    if not isinstance(label_smoothing, (int, float)) or not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"{op}: label_smoothing must be in [0, 1], got {label_smoothing!r}")
    unbatched = input.ndim == 1
    if target.dtype.is_floating_point:
        if tuple(target.shape) != tuple(input.shape):
            raise ShapeError(
                f"{op}: probability target of shape {tuple(target.shape)} does not match input "
                f"of shape {tuple(input.shape)}; probability targets have the input's shape "
                "(class-index targets drop the class dim)"
            )
        check_target(op, input, target)  # a float64 target promotes, as in PyTorch
        x, y = (input.unsqueeze(0), target.unsqueeze(0)) if unbatched else (input, target)
        loss = _soft_target_cross_entropy(x, y, weight, float(label_smoothing))
        if reduction == "none":
            return loss.squeeze(0) if unbatched else loss
        return _reduce(loss, reduction)
    target = _check_index_target(op, input, target, n_classes, ignore_index)
    x, t = (input.unsqueeze(0), target.unsqueeze(0)) if unbatched else (input, target)
    needs_grad = _is_grad_enabled() and (
        x.requires_grad or (weight is not None and weight.requires_grad)
    )
    # A weighted 'mean' whose weight needs a gradient keeps its division outside the op: the
    # denominator depends on the weight too (Note [Fused cross-entropy]).
    weight_needs_grad = weight is not None and weight.requires_grad and _is_grad_enabled()
    fused = "none" if reduction == "mean" and weight_needs_grad else reduction
    loss = CrossEntropyIndex.apply(
        x,
        t,
        weight,
        ignore_index=ignore_index,
        smoothing=float(label_smoothing),
        keep_softmax=needs_grad,
        reduction=fused,
    )
    if reduction == "none":
        return loss.squeeze(0) if unbatched else loss
    if fused == reduction:
        return loss
    return loss.sum() / _target_weight_sum(x, t, weight, ignore_index)


def nll_loss(
    input: Tensor,  # noqa: A002
    target: Tensor,
    weight: Tensor | None = None,
    size_average: bool | None = None,
    ignore_index: int = -100,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """Negative log-likelihood of log-probabilities ``input`` ((C,) or (N, C, d1, ...)):
    l_i = -w[t_i] x[i, t_i], 0 where t_i = ignore_index; 'mean' divides by the summed
    weights of the non-ignored targets. ``cross_entropy`` is ``nll_loss(log_softmax(x))``."""
    op = "nll_loss"
    reduction = _legacy_reduction(size_average, reduce, reduction)
    n_classes = _check_class_inputs(op, input, target, weight, reduction, ignore_index)
    target = _check_index_target(op, input, target, n_classes, ignore_index)
    unbatched = input.ndim == 1
    x, t = (input.unsqueeze(0), target.unsqueeze(0)) if unbatched else (input, target)
    valid = t != ignore_index
    safe = where(valid, t, 0)
    picked = Gather.apply(x, safe.unsqueeze(1), dim=1).squeeze(1)
    if weight is not None:
        picked = picked * Take.apply(weight, safe.reshape(-1), axis=0).reshape(safe.shape)
    loss = where(valid, -picked, 0.0)
    if reduction == "none":
        return loss.squeeze(0) if unbatched else loss
    if reduction == "sum":
        return loss.sum()
    return loss.sum() / _target_weight_sum(x, t, weight, ignore_index)


# ----------------------------------------------------------------------------- binary targets
def _clamped_log(x: Tensor) -> Tensor:
    """max(log x, -100), with no log(0) ever evaluated (PyTorch's clamp for BCE)."""
    positive = x > 0
    safe_log = log(where(positive, x, 1.0))
    return where(positive, clamp(safe_log, min=-100.0), -100.0)


class BinaryCrossEntropy(Function):
    """l = -(y log x + (1 - y) log(1 - x)), each log clamped at -100 as in PyTorch, so inputs
    of exactly 0 or 1 give a finite loss.
    dx = g (x - y) / max(x (1 - x), 1e-12)  (finite at 0 and 1, like PyTorch's);
    dy = g (log(1 - x) - log x) = -g logit(x), logs not clamped (+-inf at x = 0 or 1), as
    PyTorch's. Saves both inputs."""

    @staticmethod
    def forward(ctx, xp, x, y):
        ctx.save_for_backward(x, y)

        def clamped_log(v):
            positive = v > 0
            logs = xp.log(xp.where(positive, v, xp.ones_like(v)))
            return xp.where(positive, xp.maximum(logs, -100.0), -100.0)

        return -(y * clamped_log(x) + (1 - y) * clamped_log(1 - x))

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        gx = gy = None
        if ctx.needs_input_grad[0]:
            gx = g * (x - y) / clamp(x * (1 - x), min=1e-12)
        if ctx.needs_input_grad[1]:
            gy = g * (log(1 - x) - log(x))
        return gx, gy


def binary_cross_entropy(
    input: Tensor,  # noqa: A002
    target: Tensor,
    weight: Tensor | None = None,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """Binary cross-entropy of probabilities ``input`` in [0, 1]:
    l_i = -w_i (y_i log x_i + (1 - y_i) log(1 - x_i)), logs clamped at -100.
    Prefer ``binary_cross_entropy_with_logits`` on raw scores: it is stable for any logit."""
    op = "binary_cross_entropy"
    reduction = _check_pointwise(op, input, target, reduction, size_average, reduce, rule="same")
    check_same_place(op, input, weight=weight)
    _check_broadcasts_to(op, "weight", weight, tuple(input.shape))
    if input.numel():
        lo, hi = _value_range(input)
        if lo < 0 or hi > 1:
            raise InvalidArgumentError(  # a RuntimeError too, as PyTorch raises
                f"{op}: input values must be between 0 and 1 (probabilities), got values from "
                f"{lo:g} to {hi:g}; for raw scores (logits) use "
                "binary_cross_entropy_with_logits"
            )
    loss = BinaryCrossEntropy.apply(input, target)
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def binary_cross_entropy_with_logits(
    input: Tensor,  # noqa: A002
    target: Tensor,
    weight: Tensor | None = None,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
    pos_weight: Tensor | None = None,
) -> Tensor:
    """Binary cross-entropy on logits x, stable for any |x| (1e4 included):
    l_i = w_i ((1 - y_i) x_i + (1 + (p - 1) y_i) softplus(-x_i)),
    which equals -w (p y log sigmoid(x) + (1 - y) log(1 - sigmoid(x))) without ever forming
    sigmoid(x); ``pos_weight`` p (broadcast along the last dim) weighs the positive class.
    dx_i = w_i ((1 - y_i) - (1 + (p - 1) y_i) sigmoid(-x_i))."""
    op = "binary_cross_entropy_with_logits"
    reduction = _check_pointwise(
        op, input, target, reduction, size_average, reduce, rule="floating"
    )
    check_same_place(op, input, weight=weight, pos_weight=pos_weight)
    shape = tuple(input.shape)
    _check_broadcasts_to(op, "weight", weight, shape)
    _check_broadcasts_to(op, "pos_weight", pos_weight, shape)
    log_sigmoid_neg = softplus(-input)  # -log sigmoid(x) = log(1 + e^-x)
    if pos_weight is None:
        loss = (1 - target) * input + log_sigmoid_neg
    else:
        loss = (1 - target) * input + (1 + (pos_weight - 1) * target) * log_sigmoid_neg
    if weight is not None:
        loss = loss * weight
    # PyTorch's kernel writes into a tensor of the target's dtype: a float32 target gives a
    # float32 loss also for a float64 input (Note [Loss target dtypes]).
    return _reduce(loss.to(target.dtype), reduction)


# ----------------------------------------------------------------------------- distributions
def kl_div(
    input: Tensor,  # noqa: A002
    target: Tensor,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
    log_target: bool = False,
) -> Tensor:
    """Kullback-Leibler divergence KL(target || model) with ``input`` = log q (log-probabilities):
    l_i = t_i (log t_i - x_i), taken as 0 where t_i = 0; with ``log_target`` the target is
    log t too: l_i = e^(t_i) (t_i - x_i). 'batchmean' divides the sum by the batch size (the
    true KL per sample); 'mean' (PyTorch's default) divides by the number of elements."""
    op = "kl_div"
    reduction = _check_pointwise(
        op,
        input,
        target,
        reduction,
        size_average,
        reduce,
        allowed=("none", "batchmean", "sum", "mean"),
        rule="floating",
    )
    if log_target:
        loss = exp(target) * (target - input)
    else:
        positive = target > 0
        # t log t with 0 log 0 = 0, and no log(0) evaluated (so no nan in any gradient).
        xlogx = where(positive, target * log(where(positive, target, 1.0)), 0.0)
        loss = xlogx - target * input
    if reduction == "batchmean":
        return loss.sum() / input.shape[0] if input.ndim else loss.sum()
    return _reduce(loss, reduction)


# ----------------------------------------------------------------------------- modules
class _Loss(Module):
    def __init__(
        self,
        size_average: bool | None = None,
        reduce: bool | None = None,
        reduction: str = "mean",
    ) -> None:
        super().__init__()
        self.reduction = _legacy_reduction(size_average, reduce, reduction)


class _WeightedLoss(_Loss):
    """A loss whose class weights are a buffer: they move with ``.to()`` and are saved."""

    def __init__(
        self,
        weight: Tensor | None = None,
        size_average: bool | None = None,
        reduce: bool | None = None,
        reduction: str = "mean",
    ) -> None:
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)


class MSELoss(_Loss):
    """``F.mse_loss`` as a module."""

    def forward(self, input: Tensor, target: Tensor) -> Tensor:  # noqa: A002
        return mse_loss(input, target, reduction=self.reduction)


class L1Loss(_Loss):
    """``F.l1_loss`` as a module."""

    def forward(self, input: Tensor, target: Tensor) -> Tensor:  # noqa: A002
        return l1_loss(input, target, reduction=self.reduction)


class SmoothL1Loss(_Loss):
    """``F.smooth_l1_loss`` as a module."""

    def __init__(
        self, size_average=None, reduce=None, reduction: str = "mean", beta: float = 1.0
    ) -> None:
        super().__init__(size_average, reduce, reduction)
        self.beta = beta

    def forward(self, input: Tensor, target: Tensor) -> Tensor:  # noqa: A002
        return smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


class HuberLoss(_Loss):
    """``F.huber_loss`` as a module."""

    def __init__(self, reduction: str = "mean", delta: float = 1.0) -> None:
        super().__init__(reduction=reduction)
        self.delta = delta

    def forward(self, input: Tensor, target: Tensor) -> Tensor:  # noqa: A002
        return huber_loss(input, target, reduction=self.reduction, delta=self.delta)


class CrossEntropyLoss(_WeightedLoss):
    """``F.cross_entropy`` as a module (logits in, class indices or probabilities as target).

    >>> import nanotorch
    >>> from nanotorch import nn
    >>> loss_fn = nn.CrossEntropyLoss(label_smoothing=0.1)
    >>> loss_fn(nanotorch.zeros(3, 4), nanotorch.tensor([0, 1, 3])).item() > 0
    True
    """

    def __init__(
        self,
        weight: Tensor | None = None,
        size_average=None,
        ignore_index: int = -100,
        reduce=None,
        reduction: str = "mean",
        label_smoothing: float = 0.0,
    ) -> None:
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index
        self.label_smoothing = label_smoothing

    def forward(self, input: Tensor, target: Tensor) -> Tensor:  # noqa: A002
        return cross_entropy(
            input,
            target,
            self.weight,
            ignore_index=self.ignore_index,
            reduction=self.reduction,
            label_smoothing=self.label_smoothing,
        )


class NLLLoss(_WeightedLoss):
    """``F.nll_loss`` as a module (log-probabilities in)."""

    def __init__(
        self,
        weight: Tensor | None = None,
        size_average=None,
        ignore_index: int = -100,
        reduce=None,
        reduction: str = "mean",
    ) -> None:
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index

    def forward(self, input: Tensor, target: Tensor) -> Tensor:  # noqa: A002
        return nll_loss(
            input, target, self.weight, ignore_index=self.ignore_index, reduction=self.reduction
        )


class BCELoss(_WeightedLoss):
    """``F.binary_cross_entropy`` as a module (probabilities in)."""

    def forward(self, input: Tensor, target: Tensor) -> Tensor:  # noqa: A002
        return binary_cross_entropy(input, target, self.weight, reduction=self.reduction)


class BCEWithLogitsLoss(_Loss):
    """``F.binary_cross_entropy_with_logits`` as a module; ``weight`` and ``pos_weight`` are
    buffers."""

    def __init__(
        self,
        weight: Tensor | None = None,
        size_average=None,
        reduce=None,
        reduction: str = "mean",
        pos_weight: Tensor | None = None,
    ) -> None:
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)
        self.register_buffer("pos_weight", pos_weight)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:  # noqa: A002
        return binary_cross_entropy_with_logits(
            input, target, self.weight, reduction=self.reduction, pos_weight=self.pos_weight
        )


class KLDivLoss(_Loss):
    """``F.kl_div`` as a module."""

    def __init__(
        self, size_average=None, reduce=None, reduction: str = "mean", log_target: bool = False
    ) -> None:
        super().__init__(size_average, reduce, reduction)
        self.log_target = log_target

    def forward(self, input: Tensor, target: Tensor) -> Tensor:  # noqa: A002
        return kl_div(input, target, reduction=self.reduction, log_target=self.log_target)


__all__ = [
    "BCELoss",
    "BCEWithLogitsLoss",
    "CrossEntropyLoss",
    "HuberLoss",
    "KLDivLoss",
    "L1Loss",
    "MSELoss",
    "NLLLoss",
    "SmoothL1Loss",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "huber_loss",
    "kl_div",
    "l1_loss",
    "mse_loss",
    "nll_loss",
    "smooth_l1_loss",
]
