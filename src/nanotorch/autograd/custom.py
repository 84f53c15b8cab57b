"""PyTorch's kind of custom Function: ``forward(ctx, *inputs)`` on Tensors.

Note [Two kinds of Function]
~~~~~~~~~~~~~~~~~~~~~~~~~~~~
nanotorch's own ops subclass ``Function`` with ``forward(ctx, xp, *arrays)``: raw arrays in,
a raw array out, so that one op is one array call and the engine records it
(discovery/autograd-engine.md). Code written for PyTorch subclasses
``torch.autograd.Function`` differently: ``forward(ctx, *inputs)`` receives the Tensors
themselves (and any other arguments), runs with grad mode off and returns a Tensor built with
Tensor ops; ``backward(ctx, *grad_outputs)`` returns one gradient per input, None for
non-tensors; PyTorch 2's form moves the ctx work into ``setup_context(ctx, inputs,
output)`` and drops ``ctx`` from ``forward``. Both kinds live under one class: a subclass
whose ``forward`` does not take ``xp`` second (or that defines ``setup_context``) is
PyTorch's kind, and ``__init_subclass__`` gives it this module's ``apply``. Nothing changes
for the array kind, and its ``apply`` pays nothing for the other.

The PyTorch kind's ``apply`` sets ``ctx.needs_input_grad`` before ``forward`` (PyTorch's
ctx has it there too), runs ``forward`` under ``no_grad``, and, when an input requires grad
and grad mode is on, wraps the result in a new Tensor whose ``grad_fn`` is the ctx and
records the inputs as any op does. What ``forward`` saved is resolved as for the array kind:
inputs keep their version (an in-place change before backward raises), the output is kept
as its array and rebuilt on demand (no reference cycle), anything else is kept as it is.
``backward`` is wrapped once to check what it returns: as many gradients as ``forward``
had arguments (extra trailing Nones allowed), each a Tensor or None, with PyTorch's
message otherwise. Not built: several outputs from one recorded call (the engine keeps one
gradient per node; such a ``forward`` is refused with a NotImplementedError, and runs
unrecorded under ``no_grad``), ``mark_dirty`` and forward-mode ``jvp``.
"""

from __future__ import annotations

import functools
import weakref
from collections.abc import Callable
from typing import Any

from nanotorch.autograd import function as _fn
from nanotorch.autograd.grad_mode import _grad_enabled, no_grad


def _has_setup_context(cls: type) -> bool:
    return any("setup_context" in vars(k) for k in cls.__mro__ if k is not _fn.Function)


def is_tensor_style(cls: type) -> bool:
    """Whether ``cls`` is PyTorch's kind of Function (Note [Two kinds of Function])."""
    if _has_setup_context(cls):
        return True
    code = getattr(cls.forward, "__code__", None)
    if code is None:
        return False
    return not (code.co_argcount >= 2 and code.co_varnames[1] == "xp")


def install(cls: type) -> None:
    """Give a PyTorch-kind subclass its ``apply`` and a checked ``backward``."""
    cls.apply = classmethod(_apply)  # type: ignore[attr-defined]
    cls._setup_context_form = _has_setup_context(cls)  # type: ignore[attr-defined]
    backward = cls.backward  # type: ignore[attr-defined]
    if getattr(backward, "_checked_backward", False):
        return  # a subclass of a class already installed

    @functools.wraps(backward)
    def checked(ctx: Any, *grads: Any) -> tuple[Any, ...]:
        return _check_gradients(ctx, backward(ctx, *grads))

    checked._checked_backward = True  # type: ignore[attr-defined]
    cls.backward = staticmethod(checked)  # type: ignore[attr-defined]


def _check_gradients(ctx: Any, returned: Any) -> tuple[Any, ...]:
    grads = tuple(returned) if isinstance(returned, tuple | list) else (returned,)
    expected = len(ctx.next_nodes)
    if len(grads) > expected and all(g is None for g in grads[expected:]):
        grads = grads[:expected]
    if len(grads) != expected:
        raise RuntimeError(
            f"function {ctx.name()} returned an incorrect number of gradients (expected "
            f"{expected}, got {len(grads)}): backward returns one gradient per argument of "
            "forward, None for those that need none"
        )
    for i, g in enumerate(grads):
        if g is not None and not isinstance(g, _fn.Tensor):
            raise TypeError(
                f"function {ctx.name()} returned a gradient of type {type(g).__name__} at "
                f"index {i}; each gradient must be a Tensor or None"
            )
    return grads


def _apply(cls: type, *args: Any, **kwargs: Any) -> Any:
    """Run a PyTorch-kind Function on ``args``; record it when an input requires grad."""
    tensor = _fn.Tensor
    first = next((a for a in args if isinstance(a, tensor)), None)
    if first is None:
        raise TypeError(
            f"{cls.__name__}.apply: needs at least one Tensor argument, got "
            f"({', '.join(type(a).__name__ for a in args)})"
        )
    ctx = _fn.Context(cls, first._backend)
    ctx.needs_input_grad = tuple(isinstance(a, tensor) and a._requires_grad for a in args)
    with no_grad():
        if cls._setup_context_form:  # type: ignore[attr-defined]
            out = cls.forward(*args, **kwargs)  # type: ignore[attr-defined]
            cls.setup_context(ctx, args, out)  # type: ignore[attr-defined]
        else:
            out = cls.forward(ctx, *args, **kwargs)  # type: ignore[attr-defined]
    if not (any(ctx.needs_input_grad) and _grad_enabled.get()):
        return out
    single = out
    if isinstance(out, tuple | list):
        if len(out) != 1:
            raise NotImplementedError(
                f"{cls.__name__}.apply: forward returned {len(out)} outputs; a recorded "
                "custom Function has one output here (the engine keeps one gradient per "
                "node). Return one tensor, or write one Function per output"
            )
        single = out[0]
    if not isinstance(single, tensor):
        raise TypeError(
            f"{cls.__name__}.apply: forward must return a Tensor, got {type(single).__name__}"
        )
    if id(single) in ctx.__dict__.get("_non_differentiable", ()) or not single.is_floating_point():
        return out
    result = tensor._make(single._data, single._device, single._backend, True, ctx)
    _fn._record(ctx, args, False)
    _resolve_saved(ctx, single, result)
    return (result,) if single is not out else result


def _resolve_saved(ctx: Any, out: Any, result: Any) -> None:
    saved: list[Any] = []
    versions: list[int | None] = []
    for value in ctx._to_save:
        version = None
        if value is out or value is result:
            value = _fn._OUTPUT
            ctx._out = result._data
            ctx._out_meta = (result._device, result._backend, True)
            ctx._out_ref = (weakref.ref(result), result._version)
        elif isinstance(value, _fn.Tensor):
            if value._inference:
                _fn._refuse_inference_saved(ctx)
            version = value._version
        saved.append(value)
        versions.append(version)
    ctx._saved, ctx._versions, ctx._to_save = tuple(saved), tuple(versions), ()


def once_differentiable(backward: Callable[..., Any]) -> Callable[..., Any]:
    """Run a custom Function's ``backward`` with grad mode off, as PyTorch's decorator of
    that name: its gradients are not differentiable again."""

    @functools.wraps(backward)
    def wrapper(ctx: Any, *grads: Any) -> Any:
        with no_grad():
            return backward(ctx, *grads)

    return wrapper
