"""Bitwise ops on integer and bool tensors: and, or, xor, not and the shifts, behind the
Tensor operators ``&``, ``|``, ``^``, ``~``, ``<<`` and ``>>`` (and their reflected forms, so
``1 << t`` works).

Note [Bitwise on bool]
~~~~~~~~~~~~~~~~~~~~~~
On bool tensors and, or, xor and not are the logical operations, so ``mask_a & mask_b`` and
``~mask`` mean what they mean in PyTorch, and on integers they act on the two's-complement
bits (``~5 == -6``). Floating tensors have no bits to speak of: every op here raises a
``TypeError`` naming the op and the dtype. Shifts take integers only. A bool tensor meeting
a Python int becomes int64 first (PyTorch's result dtype: ``mask & 1`` is an integer tensor);
a Python bool meeting an integer tensor counts as 0 or 1.

The results are piecewise constant in a sense that has no derivative, so these ops record
no graph (``differentiable = False``).

Like the rest of the engine, this module imports no array library.
"""

from __future__ import annotations

from nanotorch.autograd.function import Function
from nanotorch.dtypes import int64
from nanotorch.ops._util import broadcast_shapes
from nanotorch.tensor import Tensor

# What this family exports; nanotorch.<name> and the op-spec tests derive from it
# (Note [Op registry] in ops/__init__.py).
OPS = (
    "bitwise_and",
    "bitwise_or",
    "bitwise_xor",
    "bitwise_not",
    "bitwise_left_shift",
    "bitwise_right_shift",
)

Operand = Tensor | int | bool


class Bitwise(Function):
    """out = op(a, b) for an array-API bitwise function ``op``; no gradient."""

    differentiable = False

    @staticmethod
    def forward(ctx, xp, a, b, op):
        return getattr(xp, op)(a, b)


class BitwiseNot(Function):
    """out = ~a: every bit flipped on integers, logical not on bool; no gradient."""

    differentiable = False

    @staticmethod
    def forward(ctx, xp, a):
        return xp.bitwise_invert(a)


def _check(op: str, x: Operand, allow_bool: bool) -> None:
    if isinstance(x, Tensor):
        dtype = x.dtype
        if dtype.is_floating_point or (dtype.name == "bool" and not allow_bool):
            kinds = "integer or bool" if allow_bool else "integer"
            raise TypeError(
                f"{op}: expects {kinds} tensors, got {dtype.name}; bitwise ops have no meaning "
                "on floating point (compare first, x > 0, or convert with .long())"
            )
    elif isinstance(x, float) or not isinstance(x, int):
        raise TypeError(
            f"{op}: unsupported operand type {type(x).__name__}; use a Tensor or a Python int"
        )


def _apply(op: str, a: Operand, b: Operand, allow_bool: bool = True) -> Tensor:
    """Check both operands (Note [Bitwise on bool]) and apply the array-API function."""
    _check(op, a, allow_bool)
    _check(op, b, allow_bool)
    if isinstance(a, Tensor) and isinstance(b, Tensor):
        if a._data.shape != b._data.shape:
            broadcast_shapes(op, tuple(a.shape), tuple(b.shape))
    elif not isinstance(a, Tensor) and not isinstance(b, Tensor):
        raise TypeError(f"{op}: needs at least one Tensor operand")
    else:
        tensor, scalar = (a, b) if isinstance(a, Tensor) else (b, a)
        if tensor.dtype.name == "bool" and not isinstance(scalar, bool):
            tensor = tensor.to(int64)
        elif tensor.dtype.name != "bool":
            scalar = int(scalar)
        a, b = (tensor, scalar) if isinstance(a, Tensor) else (scalar, tensor)
    return Bitwise.apply(a, b, op=op)


def bitwise_and(input: Operand, other: Operand) -> Tensor:  # noqa: A002
    """input AND other, bit by bit (logical and on bool), broadcasting.

    >>> import nanotorch
    >>> nanotorch.bitwise_and(nanotorch.tensor([12, -1]), 10).tolist()
    [8, 10]
    """
    return _apply("bitwise_and", input, other)


def bitwise_or(input: Operand, other: Operand) -> Tensor:  # noqa: A002
    return _apply("bitwise_or", input, other)


def bitwise_xor(input: Operand, other: Operand) -> Tensor:  # noqa: A002
    return _apply("bitwise_xor", input, other)


def bitwise_not(input: Tensor) -> Tensor:  # noqa: A002
    """~input: every bit flipped (so ~x == -x - 1) on integers, logical not on bool.

    >>> import nanotorch
    >>> nanotorch.bitwise_not(nanotorch.tensor([5, -1])).tolist()
    [-6, 0]
    >>> (~nanotorch.tensor([True, False])).tolist()
    [False, True]
    """
    if not isinstance(input, Tensor):
        raise TypeError(f"bitwise_not: expects a Tensor, got {type(input).__name__}")
    _check("bitwise_not", input, allow_bool=True)
    return BitwiseNot.apply(input)


def bitwise_left_shift(input: Operand, other: Operand) -> Tensor:  # noqa: A002
    """input * 2**other on integers (bits shifted left), broadcasting.

    >>> import nanotorch
    >>> (1 << nanotorch.tensor([0, 3])).tolist()
    [1, 8]
    """
    return _apply("bitwise_left_shift", input, other, allow_bool=False)


def bitwise_right_shift(input: Operand, other: Operand) -> Tensor:  # noqa: A002
    """floor(input / 2**other) on integers (an arithmetic shift: the sign is kept)."""
    return _apply("bitwise_right_shift", input, other, allow_bool=False)
