"""Module hooks: what ``Module.__call__`` does when a hook is registered.

``Module.__call__`` is ``forward`` and nothing else until a hook is registered; then it hands
over to ``call_with_hooks`` here, so the plain path stays one line for learners and one dict
check for speed.

Note [Module hooks]
~~~~~~~~~~~~~~~~~~~
PyTorch's three hook kinds, run in this order around ``forward``:

1. forward pre-hooks ``hook(module, args)`` (or ``hook(module, args, kwargs)`` with
   ``with_kwargs=True``): a non-None return replaces the inputs (a single value is wrapped
   in a tuple; with kwargs the return is ``(args, kwargs)``);
2. forward hooks ``hook(module, args, output)`` (or ``hook(module, args, kwargs, output)``):
   a non-None return replaces the output; with ``always_call=True`` a hook also runs (with
   output None) when ``forward`` raises;
3. full backward hooks ``hook(module, grad_input, grad_output)``, called once during backward
   when the gradients with respect to the module's positional tensor inputs are known:
   ``grad_input`` has one entry per positional Tensor argument (None where it does not
   require grad), ``grad_output`` one per Tensor output. A non-None return (a tuple of the
   same length) replaces ``grad_input``.

Backward hooks are wired with identity Functions, as PyTorch wires them: the inputs that
require grad are joined into one flat tensor that passes through an identity (then split back
into the arguments ``forward`` sees), and each output passes through another. The engine
calls a tensor hook when that identity's gradient is complete (``Tensor.register_hook``): the
output side records ``grad_output``; the input side, which the engine reaches only after all
of the module's outputs, splits the joined gradient into ``grad_input``, runs the module's
hooks and joins their answer back. Joining makes "all input gradients at once" a single
event even for several inputs. When no input requires grad, the hooks run from the output
side with ``grad_input`` all None. Hooks are dicts keyed by a handle id, so
``handle.remove()`` and ``prepend=True`` are dict operations. Under ``no_grad`` (or when
nothing requires grad) no backward wiring is added.

This module imports no array library.
"""

from __future__ import annotations

import itertools
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from nanotorch.autograd.function import Function
from nanotorch.autograd.grad_mode import is_grad_enabled
from nanotorch.tensor import Tensor

if TYPE_CHECKING:
    from nanotorch.nn.module import Module

_ids = itertools.count()

# Names of the hook dicts a Module carries (created in Module.__init__): the forward and
# backward hooks of Note [Module hooks], and the state-dict hooks of Note [State-dict hooks]
# in nn/module.py.
HOOK_DICTS = (
    "_forward_pre_hooks",
    "_forward_hooks",
    "_backward_hooks",
    "_state_dict_pre_hooks",
    "_state_dict_hooks",
    "_load_state_dict_pre_hooks",
    "_load_state_dict_post_hooks",
)


class RemovableHandle:
    """Returned by the ``register_*_hook`` methods: ``remove()`` takes the hook out (again
    is harmless); usable as a context manager that removes it on exit."""

    def __init__(self, hooks: OrderedDict[int, Any]) -> None:
        self.id = next(_ids)
        self._hooks = hooks

    def remove(self) -> None:
        self._hooks.pop(self.id, None)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.remove()


def add_hook(hooks: OrderedDict[int, Any], entry: Any, prepend: bool) -> RemovableHandle:
    handle = RemovableHandle(hooks)
    hooks[handle.id] = entry
    if prepend:
        hooks.move_to_end(handle.id, last=False)
    return handle


class _HookIdentity(Function):
    """out = a; da = g. A node whose output gradient the module hooks can watch."""

    @staticmethod
    def forward(ctx, xp, a):
        return a

    @staticmethod
    def backward(ctx, g):
        return g


def call_with_hooks(module: Module, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """``module(*args, **kwargs)`` with its hooks (Note [Module hooks])."""
    for hook, with_kwargs in list(module._forward_pre_hooks.values()):
        if with_kwargs:
            res = hook(module, args, kwargs)
            if res is not None:
                if not (isinstance(res, tuple) and len(res) == 2):
                    raise RuntimeError(
                        "forward pre-hook must return None or a tuple of (new_args, "
                        f"new_kwargs), but got {res!r}"
                    )
                args, kwargs = res
        else:
            res = hook(module, args)
            if res is not None:
                args = res if isinstance(res, tuple) else (res,)
    backward_hooks = [h for h, _ in module._backward_hooks.values()]
    state = None
    if backward_hooks and is_grad_enabled():
        state = _BackwardState(module, backward_hooks)
        args = state.wrap_inputs(args)
    try:
        output = module.forward(*args, **kwargs)
    except Exception:
        # Hooks registered with always_call=True still run (with output None), as in PyTorch.
        for hook, with_kwargs, always in list(module._forward_hooks.values()):
            if always:
                _ = hook(module, args, kwargs, None) if with_kwargs else hook(module, args, None)
        raise
    for hook, with_kwargs, _always in list(module._forward_hooks.values()):
        res = hook(module, args, kwargs, output) if with_kwargs else hook(module, args, output)
        if res is not None:
            output = res
    if state is not None:
        output = state.wrap_outputs(output)
    return output


class _BackwardState:
    """One forward call's backward-hook bookkeeping (Note [Module hooks])."""

    def __init__(self, module: Module, hooks: list[Callable[..., Any]]) -> None:
        self.module = module
        self.hooks = hooks
        self.tensor_args = 0  # positional Tensor arguments: the length of grad_input
        self.slots: list[int] = []  # their positions among those, for the joined inputs
        self.shapes: list[tuple[int, ...]] = []
        self.grad_outputs: list[Tensor | None] = []
        self.pending_outputs = 0

    # ------------------------------------------------------------------ input side
    def wrap_inputs(self, args: tuple[Any, ...]) -> tuple[Any, ...]:
        from nanotorch.ops.shape import cat

        tensors = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        self.tensor_args = len(tensors)
        grad = [i for i in tensors if args[i].requires_grad]
        if not grad:
            return args
        self.slots = [tensors.index(i) for i in grad]
        self.shapes = [tuple(args[i].shape) for i in grad]
        parts = [args[i] for i in grad]
        if len({(p.dtype, p.device) for p in parts}) > 1:
            raise NotImplementedError(
                f"{type(self.module).__name__}: full backward hooks need the inputs that "
                "require grad to share one dtype and device, got "
                f"{[(str(p.dtype), str(p.device)) for p in parts]}"
            )
        joined = parts[0] if len(parts) == 1 else cat([p.reshape(-1) for p in parts])
        joined = _HookIdentity.apply(joined)
        joined.register_hook(self._on_input_grad)
        if len(parts) == 1:
            pieces = [joined]
        else:
            pieces, start = [], 0
            for shape in self.shapes:
                size = 1
                for s in shape:
                    size *= s
                pieces.append(joined[start : start + size].reshape(shape))
                start += size
        new = list(args)
        for i, piece in zip(grad, pieces):
            new[i] = piece
        return tuple(new)

    def _on_input_grad(self, g: Tensor) -> Tensor:
        from nanotorch.ops.shape import cat

        grad_input: list[Tensor | None] = [None] * self.tensor_args
        if len(self.slots) == 1:
            grad_input[self.slots[0]] = g
        else:
            start = 0
            for slot, shape in zip(self.slots, self.shapes):
                size = 1
                for s in shape:
                    size *= s
                grad_input[slot] = g[start : start + size].reshape(shape)
                start += size
        result = self._run_hooks(tuple(grad_input))
        from nanotorch.creation import zeros

        filled = [
            result[slot]
            if result[slot] is not None
            else zeros(shape, dtype=g.dtype, device=g.device)  # a None answer: no gradient
            for slot, shape in zip(self.slots, self.shapes)
        ]
        if len(filled) == 1:
            return filled[0]
        return cat([f.reshape(-1) for f in filled])

    # ------------------------------------------------------------------ output side
    def wrap_outputs(self, output: Any) -> Any:
        single = isinstance(output, Tensor)
        outs = [output] if single else list(output) if isinstance(output, (tuple, list)) else []
        self.grad_outputs = [None] * sum(isinstance(o, Tensor) for o in outs)
        wrapped, k = [], 0
        for o in outs:
            if isinstance(o, Tensor) and o.requires_grad:
                o = _HookIdentity.apply(o)
                o.register_hook(self._output_hook(k))
                self.pending_outputs += 1
            if isinstance(o, Tensor):
                k += 1
            wrapped.append(o)
        if single:
            return wrapped[0]
        return type(output)(wrapped) if isinstance(output, (tuple, list)) else output

    def _output_hook(self, k: int) -> Callable[[Tensor], None]:
        def record(g: Tensor) -> None:
            self.grad_outputs[k] = g
            self.pending_outputs -= 1
            if not self.slots and self.pending_outputs == 0:
                # No input requires grad: PyTorch runs the hooks here, grad_input all None.
                self._run_hooks((None,) * self.tensor_args)

        return record

    def _run_hooks(self, grad_input: tuple[Tensor | None, ...]) -> tuple[Tensor | None, ...]:
        grad_output = tuple(self.grad_outputs)
        for hook in self.hooks:
            out = hook(self.module, grad_input, grad_output)
            if out is None:
                continue
            out = tuple(out) if isinstance(out, (tuple, list)) else (out,)
            if len(out) != len(grad_input):
                raise RuntimeError(
                    f"{type(self.module).__name__}: backward hook returned {len(out)} "
                    f"grad_input values, but the module has {len(grad_input)} tensor "
                    "inputs; return one gradient (or None) per tensor input"
                )
            grad_input = out
        return grad_input
