"""Argument checks shared by the ops: dims, shapes, broadcasting. Errors name the op."""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from typing import Any

from nanotorch.errors import IndexOutOfRangeError, InvalidArgumentError, ShapeError


def normalize_dim(dim: int, ndim: int, op: str) -> int:
    """``dim`` as a non-negative axis; IndexError naming the op, dim and rank otherwise."""
    if not isinstance(dim, int) or isinstance(dim, bool):
        raise TypeError(f"{op}: dim must be an int, got {dim!r}")
    lo, hi = -max(ndim, 1), max(ndim, 1) - 1
    if not lo <= dim <= hi:
        raise IndexOutOfRangeError(
            f"{op}: dim {dim} is out of range for a tensor of rank {ndim} "
            f"(expected a dim in [{lo}, {hi}])"
        )
    return dim % max(ndim, 1) if ndim else 0


def normalize_dims(dim: int | Sequence[int] | None, ndim: int, op: str) -> tuple[int, ...]:
    """All axes for ``None`` and for an empty tuple (PyTorch reads ``dim=()`` as "every
    dim"); otherwise sorted, de-duplicated, non-negative axes."""
    if dim is None or (isinstance(dim, (tuple, list)) and len(dim) == 0):
        return tuple(range(ndim))
    if isinstance(dim, (str, bytes, float)) or not isinstance(dim, (int, Sequence)):
        raise TypeError(
            f"{op}: dim must be an int or a tuple of ints, got {type(dim).__name__} {dim!r}"
        )
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    out = tuple(sorted({normalize_dim(d, ndim, op) for d in dims}))
    if len(out) != len(dims):
        raise InvalidArgumentError(f"{op}: dim {dim} names an axis twice; name each axis once")
    return out if ndim else ()


def broadcast_shapes(op: str, *shapes: tuple[int, ...]) -> tuple[int, ...]:
    """The broadcast of ``shapes`` (NumPy rules), or ShapeError naming the op and shapes."""
    ndim = max(len(s) for s in shapes)
    result = []
    for axis in range(-ndim, 0):
        size = 1
        for s in shapes:
            if len(s) >= -axis:
                d = s[axis]
                if d != 1:
                    if size != 1 and d != size:
                        listed = " and ".join(str(tuple(x)) for x in shapes)
                        raise ShapeError(
                            f"{op}: shapes {listed} cannot be broadcast together "
                            f"(size {size} vs {d} at dim {axis})"
                        )
                    size = d
        result.append(size)
    return tuple(result)


def int_arg(op: str, name: str, value: Any, minimum: int | None = 0) -> int:
    """``value`` as a Python int, for a size or a count.

    Anything with ``__index__`` is an int (NumPy integers, one-element integer tensors), as in
    PyTorch; a bool is not, and neither is a float -- ``int(2.5)`` would silently build a
    smaller tensor than asked for. TypeError for the wrong type; ShapeError (a RuntimeError
    like PyTorch's "negative dimension" error, and a ValueError) below ``minimum``.
    """
    if isinstance(value, bool):
        raise TypeError(f"{op}: {name} must be an int, got bool {value!r}")
    try:
        number = operator.index(value)
    except TypeError:
        raise TypeError(
            f"{op}: {name} must be an int, got {type(value).__name__} {value!r}"
        ) from None
    if minimum is not None and number < minimum:
        raise ShapeError(f"{op}: {name} must be >= {minimum}, got {number}")
    return number


def int_list(op: str, name: str, values: Any) -> tuple[int, ...]:
    """A sequence of ints (any sign), each checked like ``int_arg``: ``reshape(2.5, 2)`` or
    ``reshape('6')`` is a TypeError, not a silently different shape."""
    if not isinstance(values, (tuple, list)):
        raise TypeError(
            f"{op}: {name} must be a sequence of ints, got {type(values).__name__} {values!r}"
        )
    return tuple(int_arg(op, name, v, None) for v in values)


def shape_arg(op: str, args: Sequence[Any]) -> tuple[int, ...]:
    """Accept ``f(2, 3)`` and ``f((2, 3))`` like PyTorch; every size an int >= 0."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = tuple(args[0])
    shape = []
    for a in args:
        if isinstance(a, bool) or not hasattr(type(a), "__index__"):
            raise TypeError(
                f"{op}: size must be a tuple of ints, got {type(a).__name__} {a!r} in "
                f"{tuple(args)!r}"
            )
        shape.append(operator.index(a))
    if any(s < 0 for s in shape):
        bad = next(s for s in shape if s < 0)
        raise ShapeError(
            f"{op}: negative dimension {bad} in size {tuple(shape)}; sizes must be >= 0"
        )
    return tuple(shape)


def keepdim_shape(shape: tuple[int, ...], dims: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(1 if i in dims else s for i, s in enumerate(shape))


def finish_inplace(
    input: Any,  # noqa: A002
    compute: Callable[[Any], Any],
    inplace: bool,
    op: str,
) -> Any:
    """``compute(input)``; with ``inplace=True``, written into ``input`` by the one in-place
    mechanism (Note [In-place autograd] in _inplace.py) and ``input`` returned, as PyTorch's
    ``inplace=True`` activations do (Note [inplace activations] in nn/activation.py)."""
    if not inplace:
        return compute(input)
    from nanotorch import _inplace

    return _inplace.apply(input, op, compute)
