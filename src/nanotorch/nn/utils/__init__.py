"""``nanotorch.nn.utils``: gradient clipping and flattening parameters into one vector; the
submodules ``parametrize`` and ``parametrizations`` and the hook-based ``weight_norm`` and
``spectral_norm`` (their modules' docstrings describe them).

These work on any tensors (``Parameter`` or plain leaves that require grad). Like the rest of
the engine this module imports no array library.

Note [Clipping without a sync]
~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
``clip_grad_norm_`` never asks the host whether clipping is needed. It computes the clip
coefficient as a 0-d tensor on the device, clamps it at 1 there, and multiplies every
gradient by it: when the norm is already small the multiplier is exactly 1. Branching on
``total_norm > max_norm`` in Python would read the norm back to the host every step (a
synchronisation that stalls an accelerator). Only ``error_if_nonfinite=True`` reads it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from nanotorch.autograd.function import Function
from nanotorch.autograd.grad_mode import no_grad
from nanotorch.creation import zeros
from nanotorch.errors import DeviceMismatchError
from nanotorch.ops import cat, clamp, isfinite, maximum
from nanotorch.tensor import Tensor

__all__ = [
    "fuse_conv_bn_eval",
    "fuse_conv_bn_weights",
    "fuse_linear_bn_eval",
    "fuse_linear_bn_weights",
    "parametrizations",
    "parametrize",
    "remove_spectral_norm",
    "remove_weight_norm",
    "spectral_norm",
    "weight_norm",
    "clip_grad_norm_",
    "clip_grad_value_",
    "clip_grads_with_norm_",
    "get_total_norm",
    "parameters_to_vector",
    "vector_to_parameters",
]

TensorOrTensors = Tensor | Iterable[Tensor]


def _as_list(parameters: TensorOrTensors) -> list[Tensor]:
    return [parameters] if isinstance(parameters, Tensor) else list(parameters)


def _norm_order(norm_type: float | str) -> float:
    try:
        p = float(norm_type)
    except (TypeError, ValueError):
        p = math.nan
    if not p > 0:
        raise ValueError(
            f"clip_grad_norm_: norm_type must be > 0 or inf, got {norm_type!r}; e.g. 2.0 "
            "(Euclidean) or 'inf' (largest absolute value)"
        )
    return p


class GradNorm(Function):
    """sum_i sum |g_i|^p over the given gradients (max |g_i| for p = inf), as a 0-d array:
    the part of ``clip_grad_norm_``'s total norm that one device holds, one op for all of
    its gradients. For p = 2 each gradient's share is a dot product of the flattened
    gradient with itself, which reads it once and makes no squared copy. Gradients are
    constants here: not differentiable. Saves nothing."""

    differentiable = False

    @staticmethod
    def forward(ctx, xp, *grads, p):
        parts = []
        for g in grads:
            flat = xp.reshape(g, (-1,))
            if p == math.inf:
                if flat.shape[0]:  # the max of nothing has no value; it adds nothing
                    parts.append(xp.max(xp.abs(flat)))
            elif p == 2.0:
                parts.append(xp.vecdot(flat, flat))
            else:
                parts.append(xp.sum(xp.abs(flat) ** p))
        if not parts:  # only empty gradients
            return xp.zeros((), dtype=grads[0].dtype, device=grads[0].device)
        both = xp.stack(parts)
        return xp.max(both) if p == math.inf else xp.sum(both)


def _total_norm(op: str, grads: list[Tensor], p: float, error_if_nonfinite: bool) -> Tensor:
    """The p-norm of ``grads`` taken together, a 0-d tensor on the first one's device."""
    first = grads[0]
    for g in grads[1:]:
        if g.dtype is not first.dtype:
            raise TypeError(
                f"{op}: gradients have dtypes {first.dtype.name} and "
                f"{g.dtype.name}; their norms cannot be combined silently, keep the parameters "
                "in one dtype"
            )
    # Sum of |g|^p (or max |g|) over the gradients of each device as one op, the partial
    # results combined on the first gradient's device.
    by_device: dict[object, list[Tensor]] = {}
    for g in grads:
        by_device.setdefault(g.device, []).append(g)
    total: Tensor | None = None
    for group in by_device.values():
        part = GradNorm.apply(*group, p=p).to(first.device)
        if total is None:
            total = part
        else:
            total = maximum(total, part) if p == math.inf else total + part
    assert total is not None
    if p != math.inf:
        total = total ** (1.0 / p)
    if error_if_nonfinite and not bool(isfinite(total)):
        raise RuntimeError(
            f"{op}: the total norm of order {p} of the gradients is non-finite "
            f"({float(total)}), so it cannot be clipped; find the nan/inf gradient, or pass "
            "error_if_nonfinite=False to scale by it anyway"
        )
    return total


@no_grad()
def clip_grad_norm_(
    parameters: TensorOrTensors,
    max_norm: float,
    norm_type: float | str = 2.0,
    error_if_nonfinite: bool = False,
    foreach: bool | None = None,
) -> Tensor:
    """Scale all gradients together so that their joint norm is at most ``max_norm``.

    The norm is taken over all gradients as if they were one vector:
    ``total = (sum_i sum |g_i|^p)^(1/p)`` (``max |g|`` for ``p = inf``). Every gradient is
    multiplied by ``min(max_norm / (total + 1e-6), 1)``, computed on the device (Note
    [Clipping without a sync]). Returns ``total`` as a 0-d tensor on the first gradient's
    device. Gradients on other devices send their partial norm there and get the
    coefficient back: explicit, counted copies of one number each. ``foreach`` is accepted
    for PyTorch's signature and ignored: there is one implementation.

    >>> import nanotorch
    >>> from nanotorch.nn.utils import clip_grad_norm_
    >>> w = nanotorch.zeros(2, requires_grad=True)
    >>> w.grad = nanotorch.tensor([3.0, 4.0])
    >>> clip_grad_norm_([w], max_norm=1.0).item()
    5.0
    >>> [round(g, 4) for g in w.grad.tolist()]
    [0.6, 0.8]
    """
    params = _as_list(parameters)
    if isinstance(max_norm, bool) or not isinstance(max_norm, (int, float)):
        raise TypeError(
            f"clip_grad_norm_: max_norm must be a Python number, got "
            f"{type(max_norm).__name__} {max_norm!r}"
        )
    if not max_norm >= 0:
        raise ValueError(
            f"clip_grad_norm_: max_norm must be >= 0, got {max_norm}; it is the largest "
            "norm the gradients may keep"
        )
    p = _norm_order(norm_type)
    grads = [q.grad for q in params if q.grad is not None]
    if not grads:
        where = params[0] if params else None
        return zeros(
            (),
            dtype=where.dtype if where is not None else None,
            device=where.device if where is not None else None,
        )
    total = _total_norm("clip_grad_norm_", grads, p, error_if_nonfinite)
    clip_coef = clamp(max_norm / (total + 1e-6), max=1.0)
    for g in grads:
        g.mul_(clip_coef.to(g.device))
    return total


@no_grad()
def get_total_norm(
    tensors: TensorOrTensors,
    norm_type: float | str = 2.0,
    error_if_nonfinite: bool = False,
    foreach: bool | None = None,
) -> Tensor:
    """The norm of order ``norm_type`` of ``tensors`` taken together as one vector (what
    ``clip_grad_norm_`` measures; pass the gradients). ``foreach`` is ignored."""
    ts = _as_list(tensors)
    if not ts:
        return zeros(())
    return _total_norm("get_total_norm", ts, _norm_order(norm_type), error_if_nonfinite)


@no_grad()
def clip_grads_with_norm_(
    parameters: TensorOrTensors,
    max_norm: float,
    total_norm: Tensor,
    foreach: bool | None = None,
) -> None:
    """Scale every gradient by min(max_norm / (total_norm + 1e-6), 1), in place: the second
    half of ``clip_grad_norm_``, for a ``total_norm`` from ``get_total_norm``."""
    coef = clamp(max_norm / (total_norm + 1e-6), max=1.0)
    for q in _as_list(parameters):
        if q.grad is not None:
            q.grad.mul_(coef.to(q.grad.device))


@no_grad()
def clip_grad_value_(
    parameters: TensorOrTensors, clip_value: float, foreach: bool | None = None
) -> None:
    """Clamp every gradient element into ``[-clip_value, clip_value]``, in place.
    ``foreach`` is accepted for PyTorch's signature and ignored (one implementation).

    >>> import nanotorch
    >>> from nanotorch.nn.utils import clip_grad_value_
    >>> w = nanotorch.zeros(3, requires_grad=True)
    >>> w.grad = nanotorch.tensor([-5.0, 0.5, 5.0])
    >>> clip_grad_value_(w, 1.0)
    >>> w.grad.tolist()
    [-1.0, 0.5, 1.0]
    """
    if not clip_value >= 0:
        raise ValueError(
            f"clip_grad_value_: clip_value must be >= 0, got {clip_value}; gradients are "
            "clamped into [-clip_value, clip_value]"
        )
    for q in _as_list(parameters):
        if q.grad is not None:
            q.grad.clamp_(-clip_value, clip_value)


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """All parameters flattened and joined into one 1-D tensor (differentiable).

    >>> import nanotorch
    >>> from nanotorch.nn.utils import parameters_to_vector
    >>> parameters_to_vector([nanotorch.ones(2, 2), nanotorch.zeros(1)]).tolist()
    [1.0, 1.0, 1.0, 1.0, 0.0]
    """
    params = _as_list(parameters)
    if not params:
        raise ValueError("parameters_to_vector: got no parameters; pass model.parameters()")
    for i, q in enumerate(params):
        if q.device != params[0].device:
            raise DeviceMismatchError(
                f"parameters_to_vector: parameter {i} is on {q.device} but parameter 0 is on "
                f"{params[0].device}; move the model to one device with .to(device) first"
            )
    return cat([q.reshape(-1) for q in params])


@no_grad()
def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Copy consecutive slices of the 1-D ``vec`` into the parameters (each keeps its own
    memory, so later changes to ``vec`` do not reach them).

    >>> import nanotorch
    >>> from nanotorch.nn.utils import vector_to_parameters
    >>> a, b = nanotorch.zeros(2), nanotorch.zeros(1)
    >>> vector_to_parameters(nanotorch.tensor([1.0, 2.0, 3.0]), [a, b])
    >>> a.tolist(), b.tolist()
    ([1.0, 2.0], [3.0])
    """
    if not isinstance(vec, Tensor):
        raise TypeError(
            f"vector_to_parameters: vec must be a Tensor, got {type(vec).__name__}; e.g. the "
            "result of parameters_to_vector"
        )
    if vec.ndim != 1:
        raise ValueError(
            f"vector_to_parameters: vec must be 1-D, got shape {vec.shape}; flatten it with "
            ".reshape(-1)"
        )
    params = _as_list(parameters)
    needed = sum(q.numel() for q in params)
    if vec.numel() != needed:
        raise ValueError(
            f"vector_to_parameters: vec has {vec.numel()} elements but the parameters have "
            f"{needed}; the vector belongs to a model of another size"
        )
    for i, q in enumerate(params):
        if vec.device != q.device:
            raise DeviceMismatchError(
                f"vector_to_parameters: vec is on {vec.device} but parameter {i} is on "
                f"{q.device}; move it with vec.to('{q.device}')"
            )
        if vec.dtype is not q.dtype:
            raise TypeError(
                f"vector_to_parameters: vec is {vec.dtype.name} but parameter {i} is "
                f"{q.dtype.name}; convert it with vec.to({q.dtype!r})"
            )
    start = 0
    for q in params:
        n = q.numel()
        q.copy_(vec[start : start + n].reshape(q.shape))
        start += n


# Parametrizations and the hook-based norms (imported last: they build on nn.Module).
from nanotorch.nn.utils import parametrizations, parametrize  # noqa: E402
from nanotorch.nn.utils.fusion import (  # noqa: E402
    fuse_conv_bn_eval,
    fuse_conv_bn_weights,
    fuse_linear_bn_eval,
    fuse_linear_bn_weights,
)
from nanotorch.nn.utils.spectral_norm import remove_spectral_norm, spectral_norm  # noqa: E402
from nanotorch.nn.utils.weight_norm import remove_weight_norm, weight_norm  # noqa: E402
