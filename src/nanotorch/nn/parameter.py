"""``Parameter``: a Tensor that a ``Module`` registers as trainable state.

A Parameter is an ordinary leaf Tensor (``isinstance(p, nanotorch.Tensor)`` holds, every op
accepts it) whose type alone tells ``Module.__setattr__`` to file it under ``_parameters``
(Note [Module registration] in nn/module.py). It adds no slots and no behaviour beyond that,
so ops on a Parameter return plain Tensors.

Like the rest of the engine, this module imports no array library.
"""

from __future__ import annotations

from typing import Any

from nanotorch.tensor import Tensor


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
        if data is None:
            from nanotorch.creation import empty

            data = empty(0)
        if not isinstance(data, Tensor):
            raise TypeError(
                f"Parameter: data must be a Tensor, got {type(data).__name__}; wrap it first: "
                "nn.Parameter(nanotorch.tensor(data))"
            )
        param = cls._make(data._data, data._device, data._backend, False, None)
        if requires_grad:
            param.requires_grad_(True)
        return param  # type: ignore[return-value]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Everything happens in __new__; Tensor.__init__ refuses direct construction.
        pass

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


__all__ = ["Parameter"]
