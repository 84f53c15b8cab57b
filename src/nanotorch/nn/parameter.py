"""``Parameter``: a Tensor that a ``Module`` registers as trainable state.

A Parameter is an ordinary leaf Tensor (``isinstance(p, nanotorch.Tensor)`` holds, every op
accepts it) whose type alone tells ``Module.__setattr__`` to file it under ``_parameters``
(Note [Module registration] in nn/module.py). It adds no slots and no behaviour beyond that,
so ops on a Parameter return plain Tensors.

Note [Uninitialized parameters]
~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
A lazy module (nn/lazy.py) does not know its weights' shapes until it sees an input.
``UninitializedParameter`` and ``UninitializedBuffer`` stand in for them: real Tensor objects,
so a module registers them, ``.to()`` moves them and an optimizer can hold them, whose array is
an empty placeholder carrying only the dtype and device. Reading their shape (and so almost
any use) raises, as PyTorch's do. ``materialize(shape)`` gives the same object a real array of
that shape and turns its class into ``Parameter`` (or ``Tensor``), so every reference to it
(the module's, an optimizer's) sees the materialised tensor: no state has to be re-pointed.

Like the rest of the engine, this module imports no array library.
"""

from __future__ import annotations

from typing import Any

from nanotorch.tensor import Tensor


def _sharing(cls: type, data: Tensor | None, name: str) -> tuple[Any, Tensor]:
    """A new ``cls`` over ``data``'s array (an empty tensor for None), outside any graph;
    also ``data``, resolved. Parameter and Buffer both start this way."""
    if data is None:
        from nanotorch.creation import empty

        data = empty(0)
    if not isinstance(data, Tensor):
        raise TypeError(
            f"{name}: data must be a Tensor, got {type(data).__name__}; wrap it first: "
            f"nn.{name}(nanotorch.tensor(data))"
        )
    return cls._make(data._data, data._device, data._backend, False, None), data


class Parameter(Tensor):
    """A leaf tensor that requires grad (by default) and is registered by modules.

    ``Parameter(data)`` shares ``data``'s memory but starts a new graph: it is always a leaf,
    even when ``data`` was computed from other tensors.

    >>> import nanotorch
    >>> from nanotorch import nn
    >>> w = nn.Parameter(nanotorch.zeros(2, 3))
    >>> w.requires_grad, w.is_leaf, isinstance(w, nanotorch.Tensor)
    (True, True, True)
    """

    # Tensor uses __slots__; an empty tuple keeps instances free of a __dict__, so a Parameter
    # is exactly as heavy as a Tensor.
    __slots__ = ()

    def __new__(cls, data: Tensor | None = None, requires_grad: bool = True) -> Parameter:
        param, _ = _sharing(cls, data, "Parameter")
        if requires_grad:
            param.requires_grad_(True)
        return param  # type: ignore[return-value]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Everything happens in __new__; Tensor.__init__ refuses direct construction.
        pass

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


class Buffer(Tensor):
    """A tensor that a ``Module`` registers as a buffer when assigned to one of its
    attributes (``module.running = nn.Buffer(t, persistent=False)``), as ``register_buffer``
    does. Like ``Parameter`` it shares ``data``'s memory, starts a new graph and keeps
    ``data.requires_grad``; ``persistent`` says whether ``state_dict`` saves it. Ops on a
    Buffer return plain Tensors. (PyTorch's ``nn.Buffer(t)`` returns a plain ``torch.Tensor``
    marked as a buffer; here it is an instance of this subclass, so ``isinstance`` answers the
    same.)

    >>> import nanotorch
    >>> from nanotorch import nn
    >>> m = nn.Module()
    >>> m.count = nn.Buffer(nanotorch.zeros(1), persistent=False)
    >>> [name for name, _ in m.named_buffers()], list(m.state_dict())
    (['count'], [])
    """

    __slots__ = ("persistent",)

    def __new__(cls, data: Tensor | None = None, *, persistent: bool = True) -> Buffer:
        buf, data = _sharing(cls, data, "Buffer")
        if data.requires_grad:
            buf.requires_grad_(True)
        buf.persistent = bool(persistent)
        return buf  # type: ignore[return-value]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass  # everything happens in __new__, as for Parameter

    def __deepcopy__(self, memo: dict[int, Any]) -> Buffer:
        out = super().__deepcopy__(memo)
        out.persistent = self.persistent  # a slot Tensor's copy does not know about
        return out  # type: ignore[return-value]


_UNINIT_MESSAGE = (
    "Can't access the shape of an uninitialized parameter or buffer. Call `forward` of the "
    "lazy module with a dummy batch (or load a state_dict) to initialize it first"
)


# What may be read from an uninitialized placeholder: its settings, moves, materialize.
# Everything else public raises (below), as PyTorch's placeholders do.
_ALLOWED = frozenset(
    {
        "cls_to_become",
        "cpu",
        "cuda",
        "data",
        "detach",
        "device",
        "dim",
        "double",
        "dtype",
        "float",
        "grad",
        "grad_fn",
        "half",
        "is_cuda",
        "is_floating_point",
        "is_leaf",
        "materialize",
        "ndim",
        "numel",
        "requires_grad",
        "requires_grad_",
        "shape",
        "size",
        "to",
    }
)


def _use_error(what: str) -> ValueError:
    return ValueError(
        f"Attempted to use an uninitialized parameter in {what}. Call `forward` of the lazy "
        "module with a dummy batch (or load a state_dict) to initialize its parameters first"
    )


def _refuse(name: str) -> Any:
    def refused(self: Any, *args: Any, **kwargs: Any) -> Any:
        raise _use_error(name)

    refused.__name__ = name
    return refused


class UninitializedTensorMixin:
    """What an uninitialized parameter and buffer share (Note [Uninitialized parameters]).
    Reading the shape raises RuntimeError and any other use (arithmetic, indexing, a
    method) ValueError, as in PyTorch; an op function handed one directly (``nanotorch.add(p,
    1)``) is not intercepted, but every op that looks at its argument's shape is."""

    __slots__ = ()
    cls_to_become: type = Tensor

    def __getattribute__(self, name: str) -> Any:
        if name[0] != "_" and name not in _ALLOWED:
            raise _use_error(f"Tensor.{name}")
        return object.__getattribute__(self, name)

    for _name in (
        "__add__ __radd__ __sub__ __rsub__ __mul__ __rmul__ __truediv__ __rtruediv__ "
        "__floordiv__ __rfloordiv__ __mod__ __rmod__ __pow__ __rpow__ __matmul__ __rmatmul__ "
        "__neg__ __pos__ __abs__ __getitem__ __setitem__ __iter__ __lt__ __le__ __gt__ __ge__ "
        "__and__ __or__ __xor__ __invert__ __float__ __int__ __bool__ __index__ __iadd__ "
        "__isub__ __imul__ __itruediv__"
    ).split():
        locals()[_name] = _refuse(_name)
    del _name

    @property
    def shape(self) -> tuple[int, ...]:
        raise RuntimeError(_UNINIT_MESSAGE)

    @property
    def ndim(self) -> int:
        raise RuntimeError(_UNINIT_MESSAGE)

    def size(self, dim: int | None = None) -> Any:
        raise RuntimeError(_UNINIT_MESSAGE)

    def numel(self) -> int:
        raise RuntimeError(_UNINIT_MESSAGE)

    def __len__(self) -> int:
        raise RuntimeError(_UNINIT_MESSAGE)

    @property
    def data(self) -> Any:
        raise RuntimeError(_UNINIT_MESSAGE)

    def detach(self) -> Any:
        # A state_dict entry of an uninitialized module is the placeholder itself, as in
        # PyTorch: there are no values to share.
        return self

    def materialize(self, shape: Any, device: Any = None, dtype: Any = None) -> None:
        """Give this object an uninitialised array of ``shape`` (on its device, in its dtype,
        unless given) and make it a ``cls_to_become``, in place."""
        from nanotorch.creation import empty

        t: Any = self
        made = empty(
            tuple(shape),
            dtype=dtype if dtype is not None else t.dtype,
            device=device if device is not None else t.device,
        )
        t._data, t._device, t._backend = made._data, made._device, made._backend
        t._version += 1
        object.__setattr__(self, "__class__", self.cls_to_become)

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"


def _placeholder(device: Any, dtype: Any) -> Tensor:
    from nanotorch.creation import empty

    return empty(0, device=device, dtype=dtype)


class UninitializedParameter(UninitializedTensorMixin, Parameter):
    """A Parameter whose shape is not known yet (Note [Uninitialized parameters]).

    >>> from nanotorch import nn
    >>> p = nn.parameter.UninitializedParameter()
    >>> p.materialize((2, 3))
    >>> type(p).__name__, p.shape, p.requires_grad
    ('Parameter', (2, 3), True)
    """

    __slots__ = ()
    cls_to_become = Parameter

    def __new__(
        cls, requires_grad: bool = True, device: Any = None, dtype: Any = None
    ) -> UninitializedParameter:
        return Parameter.__new__(cls, _placeholder(device, dtype), requires_grad)  # type: ignore[return-value]


class UninitializedBuffer(UninitializedTensorMixin, Tensor):
    """A buffer whose shape is not known yet (Note [Uninitialized parameters])."""

    __slots__ = ()
    cls_to_become = Tensor

    def __new__(
        cls, requires_grad: bool = False, device: Any = None, dtype: Any = None
    ) -> UninitializedBuffer:
        held = _placeholder(device, dtype)
        return cls._make(held._data, held._device, held._backend, requires_grad, None)  # type: ignore[return-value]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass


def is_lazy(t: Any) -> bool:
    """Whether ``t`` is an uninitialized parameter or buffer."""
    return isinstance(t, UninitializedTensorMixin)


__all__ = ["Buffer", "Parameter", "UninitializedBuffer", "UninitializedParameter", "is_lazy"]
