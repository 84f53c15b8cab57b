"""In-place ops (``x.relu_()``, ``x[k] = v``, ``x.add_(y)``) and autograd: the one mechanism.

Every in-place method of ``Tensor`` that has an out-of-place twin is generated here from that
op (``METHODS``); the few hand-written ones in tensor.py (``add_``, ``mul_``... the
optimizers' fast paths) fall back to ``apply`` whenever autograd must record or the tensor is
a view. This module is tensor.py's helper: it reaches the ops lazily (they import tensor.py)
and, like the rest of the engine, imports no array library.

Note [In-place autograd]
~~~~~~~~~~~~~~~~~~~~~~~~
An in-place op is computed out of place, by the ordinary differentiable op, and the tensor is
then *rebased* onto the result:

1. A leaf that requires grad cannot be updated in place while grad mode is on (its ``.grad``
   would describe a value it no longer holds); PyTorch refuses it too. Under ``no_grad`` it is
   a plain update: that is how optimizers and ``nn.init`` change parameters.
2. When nothing is recorded (grad mode off, or neither the tensor nor an operand requires
   grad) the result is written into the tensor's own array, so every tensor sharing that
   array (``.detach()``, a view on a backend that shares memory) sees it, as in PyTorch.
3. When autograd records (grad mode on, and the tensor or an operand requires grad), the op
   runs on an *alias*: a second Tensor object holding the old array and the old ``grad_fn``.
   The tensor then takes the result's array and ``grad_fn``. Nodes recorded by the op saved
   the alias, whose array nobody writes, so their backward reads the old value. Nodes
   recorded *before* saved the tensor itself (or, for ops that save their output, remember
   it): the version counter bumps, and their backward raises "one of the variables needed for
   gradient computation has been modified by an inplace operation", naming the node and the
   versions (``Context._checked_saved`` in autograd/function.py), exactly where PyTorch
   raises. The old array is not overwritten on this path, so tensors that shared it keep
   the old values (a difference from PyTorch, listed in discovery/pytorch-differences.md).
4. The result must fit the tensor: the same shape (an operand may broadcast to it, not
   enlarge it) and a dtype that may be cast to the tensor's (``promotion.can_cast``): an
   integer tensor cannot hold ``sin``; a float tensor can hold ``lt``'s bools. Otherwise a
   RuntimeError names both dtypes, as PyTorch's "result type Float can't be cast to the
   desired output type Long".
Shape ops (``t_``, ``squeeze_``...) change the shape and so only follow rules 1 and 3 (a new
array, never a write).

Note [In-place on views]
~~~~~~~~~~~~~~~~~~~~~~~~
nanotorch tensors have no strides, and the array API standard leaves open whether slicing or
reshaping shares memory, so "a view" cannot mean "the same memory" on every backend. Instead
a tensor made by a view op (basic indexing ``x[0]``, ``x[1:, ::2]``; ``view``/``reshape``/
``flatten``/``squeeze``/``unsqueeze``; ``transpose``/``t``/``permute``/``movedim``;
``narrow``/``split``/``chunk``/``unbind``; ``diagonal``; ``expand``) remembers its *root*
(the tensor it was first taken from) and how to take it again (``_view = (root, regen,
overlapping)``; views of views compose their ``regen``). An in-place op on a view:

1. reads the view afresh from the root (``regen(root)``), so it sees every earlier write to
   the root or through another view;
2. computes the new values of the view out of place (Note [In-place autograd], rule 4);
3. writes them into the root at the flat positions the view covers (``regen`` applied to
   ``arange(root.numel())``), with the differentiable scatter of ``x[k] = v``
   (``ops/indexing.put_values``); the root is then updated by rules 2-3 of Note [In-place
   autograd] (the gradient flows to the untouched part of the old root and to the new
   values, PyTorch's CopySlices);
4. takes the view again from the updated root, so the view's ``grad_fn`` leads through it.
So ``x[0].add_(1)`` and ``x.diagonal().fill_(1)`` change ``x`` on every backend, recorded or
not. A view of a leaf that requires grad is refused under grad mode (PyTorch's "a view of a
leaf Variable that requires grad is being used in an in-place operation"), and an expanded
view, whose elements repeat, is refused as PyTorch refuses it ("more than one element of the
written-to tensor refers to a single memory location"). Not covered: a view taken before a
shape-changing in-place op on its root (``v = x[0]; x.t_()``) still indexes the root as it
is now; and a view read (not written) after its root was rebased by a recorded op holds the
old values until it is taken again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nanotorch.tensor import Tensor


# ------------------------------------------------------------------------------ views
def mark_view(out: Tensor, base: Tensor, regen: Callable[[Tensor], Tensor]) -> Tensor:
    """Record that ``out`` is ``regen(base)`` (Note [In-place on views]) and return it."""
    if out is base:
        return out
    parent = base._view
    if parent is None:
        out._view = (base, regen, False)
    else:
        root, before, overlapping = parent
        out._view = (root, lambda b: regen(before(b)), overlapping)
    return out


def mark_overlapping_view(out: Tensor, base: Tensor, regen: Callable[[Tensor], Tensor]) -> Tensor:
    """``mark_view`` for a view whose elements repeat (``expand``): writes through it fail."""
    out = mark_view(out, base, regen)
    if out is not base:
        root, regen_root, _ = out._view
        out._view = (root, regen_root, True)
    return out


# --------------------------------------------------------------------------- the rules
def _leaf_error(op: str, view: bool) -> RuntimeError:
    what = "a view of a leaf Variable" if view else "a leaf Variable"
    return RuntimeError(
        f"{op}: {what} that requires grad is being used in an in-place operation (its .grad "
        "would describe a value it no longer holds); update it under `with nanotorch.no_grad():`"
        " (as optimizers do), or use the out-of-place form"
    )


def _requires_grad(values: Any) -> bool:
    from nanotorch.tensor import Tensor

    for v in values:
        if isinstance(v, Tensor) and v._requires_grad:
            return True
        if isinstance(v, (list, tuple)) and _requires_grad(v):
            return True
    return False


def _alias(t: Tensor) -> Tensor:
    """A second Tensor over ``t``'s current array and node (Note [In-place autograd], 3)."""
    from nanotorch.tensor import Tensor

    return Tensor._make(t._data, t._device, t._backend, t._requires_grad, t.grad_fn)


def _fitted(op: str, t: Tensor, out: Tensor) -> Tensor:
    """``out`` checked and cast to hold in ``t`` (Note [In-place autograd], 4)."""
    if out._data.shape != t._data.shape:
        raise RuntimeError(
            f"{op}: the result has shape {tuple(out.shape)} but the tensor updated in place has "
            f"shape {tuple(t.shape)} (an operand may broadcast to the tensor, not enlarge "
            "it); use the out-of-place form"
        )
    if out._data.dtype != t._data.dtype:
        from nanotorch.promotion import can_cast, pytorch_name

        if not can_cast(out.dtype, t.dtype):
            raise RuntimeError(
                f"{op}: result type {pytorch_name(out.dtype)} can't be cast to the desired "
                f"output type {pytorch_name(t.dtype)} (a {t.dtype.name} tensor updated in place "
                f"keeps its dtype); use the out-of-place form, or convert the tensor first "
                f"with .to(nanotorch.{out.dtype.name})"
            )
        out = out.to(t.dtype)
    return out


def _write(t: Tensor, data: Any) -> None:
    """Plain update (rule 2): into ``t``'s array, so tensors sharing it see the values."""
    try:
        t._data[...] = data
    except (ValueError, TypeError):  # a read-only array (a broadcast result): replace it
        t._data = data
    t._version += 1


def _rebase(t: Tensor, out: Tensor) -> None:
    """Recorded update (rule 3): ``t`` takes ``out``'s array and node; ``retain_grad`` moves
    to the new node (the gradient kept is the new value's, as in PyTorch)."""
    old = t.grad_fn
    if old is not None and old.retain_ref is not None and out.grad_fn is not None:
        out.grad_fn.retain_ref, old.retain_ref = old.retain_ref, None
    t._data = out._data
    t.grad_fn = out.grad_fn
    t._requires_grad = out._requires_grad
    t._version += 1
    node = out.grad_fn
    if node is not None and node._out_ref is not None and node._out_ref[0]() is out:
        # The node saved its output, which is now ``t``: watch ``t``'s version instead.
        from weakref import ref

        node._out_ref = (ref(t), t._version)


def apply(t: Tensor, op: str, fn: Callable[..., Tensor], *args: Any, **kwargs: Any) -> Tensor:
    """``t`` updated in place to ``fn(t, *args, **kwargs)`` by Note [In-place autograd]."""
    backend = t._backend
    if backend.needs_context:
        with backend.context():
            return _apply(t, op, fn, args, kwargs)
    return _apply(t, op, fn, args, kwargs)


def _apply(t: Tensor, op: str, fn: Callable[..., Tensor], args: tuple, kwargs: dict) -> Tensor:
    from nanotorch.autograd.grad_mode import is_grad_enabled, no_grad

    t._refuse_inference_inplace(op)
    if t._view is not None:
        return _through_view(t, op, lambda cur: fn(cur, *args, **kwargs))
    grad_on = is_grad_enabled()
    if grad_on and t._requires_grad and t.grad_fn is None:
        raise _leaf_error(op, view=False)
    if grad_on and (t._requires_grad or _requires_grad(args) or _requires_grad(kwargs.values())):
        _rebase(t, _fitted(op, t, fn(_alias(t), *args, **kwargs)))
        return t
    with no_grad():
        out = _fitted(op, t, fn(t, *args, **kwargs))
    _write(t, out._data)
    return t


def _through_view(t: Tensor, op: str, compute: Callable[[Tensor], Tensor]) -> Tensor:
    """Steps 1-4 of Note [In-place on views]."""
    from nanotorch.autograd.grad_mode import is_grad_enabled, no_grad
    from nanotorch.creation import arange
    from nanotorch.ops.indexing import put_values

    root, regen, overlapping = t._view
    if overlapping:
        raise RuntimeError(
            f"{op}: unsupported operation: more than one element of the written-to tensor "
            f"refers to a single memory location (a tensor of shape {tuple(t.shape)} expanded "
            f"from one of shape {tuple(root.shape)}); clone() it before the in-place operation"
        )
    grad_on = is_grad_enabled()
    if grad_on and root._requires_grad and root.grad_fn is None:
        raise _leaf_error(op, view=True)
    old_root = _alias(root)
    new = _fitted(op, t, compute(regen(old_root)))
    with no_grad():
        positions = regen(arange(root.numel(), device=root.device).reshape(root.shape))
    new_root = put_values(op, old_root, positions, tuple(positions.shape), new, False)
    if grad_on and new_root._requires_grad:
        _rebase(root, new_root)
        again = regen(_alias(root))
        t.grad_fn, t._requires_grad = again.grad_fn, again._requires_grad
    else:
        _write(root, new_root._data)
        with no_grad():
            again = regen(root)
    # The view is taken again rather than written: its old array may be one a recorded op
    # saved (an alias of the root before a rebase), which must keep its values.
    t._data = again._data
    t._version += 1
    return t


def apply_shape(t: Tensor, op: str, fn: Callable[..., Tensor], *args: Any) -> Tensor:
    """``t`` becomes ``fn(t, *args)`` for an op that changes the shape (``t_``, ``squeeze_``):
    a new array, never a write (Note [In-place autograd]); a view stays a view of its root."""
    from nanotorch.autograd.grad_mode import is_grad_enabled

    t._refuse_inference_inplace(op)
    grad_on = is_grad_enabled()
    view = t._view
    root = view[0] if view is not None else t
    if grad_on and root._requires_grad and root.grad_fn is None:
        raise _leaf_error(op, view=view is not None)
    out = fn(_alias(t), *args)
    if grad_on and out._requires_grad:
        _rebase(t, out)
    else:
        t._data = out._data
        t._version += 1
    if view is not None:
        _, regen, overlapping = view
        t._view = (root, lambda b: fn(regen(b), *args), overlapping)
    return t


def setitem(t: Tensor, key: Any, value: Any) -> None:
    """``t[key] = value`` (PyTorch's CopySlices): a plain write when nothing is recorded and
    ``t`` is no view, else ``put_values`` through ``apply`` (Note [In-place autograd])."""
    from nanotorch.autograd.grad_mode import is_grad_enabled
    from nanotorch.ops import indexing
    from nanotorch.tensor import Tensor

    t._refuse_inference_inplace("__setitem__")
    if t._view is None:
        recorded = is_grad_enabled() and (
            t._requires_grad or (isinstance(value, Tensor) and value._requires_grad)
        )
        if not recorded:
            if isinstance(value, Tensor) and value.dtype is not t.dtype:
                value = value.detach().to(t.dtype)
            indexing.setitem(t, key, value)
            return
    apply(t, "__setitem__", _assigned, key, value)


def _assigned(a: Tensor, key: Any, value: Any) -> Tensor:
    """``a`` with ``value`` written at ``a[key]``, as a new, differentiable tensor."""
    from nanotorch.ops.indexing import index_put_positions, put_values
    from nanotorch.tensor import Tensor

    if isinstance(value, Tensor) and value.dtype is not a.dtype:
        value = value.to(a.dtype)
    positions, shape = index_put_positions("__setitem__", a, key)
    return put_values("__setitem__", a, positions, shape, value, False)


# ------------------------------------------------------------------- generated methods
# Note [Generated in-place methods]: ``x.<name>_(...)`` is ``apply`` over the op ``<name>``
# (with the tensor as its first argument); a name already written out on Tensor is kept.
VALUE_OPS = (
    # unary math
    "abs", "neg", "negative", "sign", "sgn", "square", "reciprocal", "sqrt",
    "rsqrt", "exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "sin", "cos", "tan",
    "asin", "acos", "atan", "sinh", "cosh", "tanh", "asinh", "acosh", "atanh", "arcsin",
    "arccos", "arctan", "arcsinh", "arccosh", "arctanh", "sigmoid", "relu", "erf", "erfc",
    "erfinv", "lgamma", "digamma", "logit", "sinc", "deg2rad", "rad2deg", "round", "floor",
    "ceil", "trunc", "fix", "frac", "nan_to_num", "clamp", "clip", "clamp_min", "clamp_max",
    # binary
    "add", "sub", "subtract", "mul", "multiply", "div", "divide", "true_divide",
    "floor_divide", "pow", "float_power", "remainder", "fmod", "atan2", "arctan2", "hypot",
    "copysign", "xlogy", "lerp", "maximum", "minimum", "fmax", "fmin", "heaviside", "ldexp",
    "gcd", "lcm", "logaddexp", "addcmul", "addcdiv",
    "eq", "ne", "lt", "le", "gt", "ge", "not_equal", "less", "less_equal", "greater",
    "greater_equal", "logical_and", "logical_or", "logical_xor", "logical_not",
    "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_not", "bitwise_left_shift",
    "bitwise_right_shift",
    # indexing, scans, norms
    "masked_fill", "index_fill", "index_add", "index_copy", "scatter", "scatter_add",
    "scatter_reduce", "index_put", "masked_scatter", "put", "cumsum", "cumprod", "renorm",
    "tril", "triu",
    # special functions
    "i0", "absolute", "mvlgamma",
)  # fmt: skip
SHAPE_OPS = ("t", "transpose", "swapaxes", "swapdims", "squeeze", "unsqueeze")


def _value_method(name: str) -> Callable[..., Any]:
    def method(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
        from nanotorch import ops

        return apply(self, name + "_", getattr(ops, name), *args, **kwargs)

    method.__name__ = method.__qualname__ = name + "_"
    method.__doc__ = f"``self = nanotorch.{name}(self, ...)`` in place (Note [In-place autograd])."
    return method


def _shape_method(name: str) -> Callable[..., Any]:
    def method(self: Tensor, *args: Any) -> Tensor:
        return apply_shape(self, name + "_", _method_call(name), *args)

    method.__name__ = method.__qualname__ = name + "_"
    method.__doc__ = f"``self = self.{name}(...)`` in place (Note [In-place autograd])."
    return method


def _method_call(name: str) -> Callable[..., Tensor]:
    """``t.<name>(*args)`` as a function of ``t`` (for shape ops that are only methods,
    such as ``swapdims``)."""

    def call(t: Tensor, *args: Any) -> Tensor:
        return getattr(t, name)(*args)

    return call


def install(cls: type, ops: Any) -> None:
    """Add the generated in-place methods to ``cls`` (Tensor); every name in the tables must
    be an op (or, for ``SHAPE_OPS``, a method), so a typo fails at import."""
    for name in VALUE_OPS:
        getattr(ops, name)
        if name + "_" not in cls.__dict__:
            setattr(cls, name + "_", _value_method(name))
    for name in SHAPE_OPS:
        getattr(cls, name)
        if name + "_" not in cls.__dict__:
            setattr(cls, name + "_", _shape_method(name))
    if "polygamma_" not in cls.__dict__:
        cls.polygamma_ = _polygamma_method(ops)


def _polygamma_method(ops: Any) -> Callable[..., Any]:
    # ``polygamma(n, input)`` takes its order first, so it is not a VALUE_OPS entry.
    def polygamma_(self: Tensor, n: int) -> Tensor:
        """``self = nanotorch.polygamma(n, self)`` in place (Note [In-place autograd])."""
        return apply(self, "polygamma_", lambda x, k: ops.polygamma(k, x), n)

    return polygamma_
