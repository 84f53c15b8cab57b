"""Type promotion: which dtype an op computes in when its operands' dtypes differ.

Note [Type promotion]
~~~~~~~~~~~~~~~~~~~~~
nanotorch promotes as PyTorch does, so PyTorch code gets the dtypes it expects:

1. Categories order bool < integer < floating. Two dtypes promote through ``_TABLE`` below:
   within a category to the wider type (float32 + float64 -> float64), across categories to
   the higher one (int64 + float32 -> float32: the float's width wins, not the int's). Two
   integer types where neither holds the other's range meet in the next signed type
   (uint8 + int8 -> int16), and float16 + bfloat16 in float32.
2. Operands come in three tiers: tensors with dimensions, 0-d tensors, and Python scalars
   (which stand for int64, the default float dtype, or bool). Each tier is promoted within
   itself; then a lower tier changes the result only if it is of a higher *category*, and
   then at its own width (``_combine``). So ``float32 tensor + 2.0`` stays float32, an
   int32 tensor + 0.5 becomes the default float, ``int32 tensor + 2`` stays int32, a
   ``bool tensor + 1`` becomes int64, and a 0-d float64 tensor leaves a float32 tensor
   float32. A model written in float32 stays in float32 however many Python constants and
   scalar tensors it meets.
3. Some ops compute in floating point only (true division, exp, sin...): an integer or bool
   result type becomes the default float dtype (``int32 tensor / 2`` is float32).
4. In-place ops (``a.add_(b)``) compute in the promoted type and store in ``a``'s dtype,
   which is allowed unless the result's category is higher (``can_cast``): adding a float to
   an int tensor in place raises, as in PyTorch.

Which ops promote is per-op metadata, ``Function.promotion`` (autograd/function.py), checked
by ``Function.apply`` after a fast same-dtype test, so the common case pays one comparison
(discovery/performance.md has the figures). ``forward`` sees arrays already converted;
``backward`` reads saved inputs as the original tensors, in their own dtypes, and its Tensor
ops promote again. Gradients come back in each input's own dtype: the engine casts them
where it runs each backward, just before un-broadcasting (Note [Central un-broadcasting]).
discovery/dtypes.md explains why PyTorch chose these rules over NumPy's.

The table is keyed by dtype *names*, so it covers dtypes a build may not register
(float16, bfloat16 on devices without them) and needs no array library.
"""

from __future__ import annotations

from typing import Any

from nanotorch.dtypes import DType, as_dtype, dtype_from_name, get_default_dtype

# Categories: 0 bool, 1 integer, 2 floating.
_CATEGORY = {
    "bool": 0,
    "uint8": 1,
    "int8": 1,
    "int16": 1,
    "int32": 1,
    "int64": 1,
    "float16": 2,
    "bfloat16": 2,
    "float32": 2,
    "float64": 2,
}

# PyTorch's promote_types for the real dtypes; the row dtype meets the column dtype.
_TABLE_TEXT = """
        bool    uint8   int8    int16   int32   int64   float16 bfloat16 float32 float64
bool    bool    uint8   int8    int16   int32   int64   float16 bfloat16 float32 float64
uint8   uint8   uint8   int16   int16   int32   int64   float16 bfloat16 float32 float64
int8    int8    int16   int8    int16   int32   int64   float16 bfloat16 float32 float64
int16   int16   int16   int16   int16   int32   int64   float16 bfloat16 float32 float64
int32   int32   int32   int32   int32   int32   int64   float16 bfloat16 float32 float64
int64   int64   int64   int64   int64   int64   int64   float16 bfloat16 float32 float64
float16 float16 float16 float16 float16 float16 float16 float16 float32  float32 float64
bfloat16 bfloat16 bfloat16 bfloat16 bfloat16 bfloat16 bfloat16 float32 bfloat16 float32 float64
float32 float32 float32 float32 float32 float32 float32 float32 float32  float32 float64
float64 float64 float64 float64 float64 float64 float64 float64 float64  float64 float64
"""


def _parse(text: str) -> dict[tuple[str, str], str]:
    header, *rows = (line.split() for line in text.strip().splitlines())
    return {(row[0], col): cell for row in rows for col, cell in zip(header, row[1:])}


_TABLE = _parse(_TABLE_TEXT)


def _promote_names(a: str, b: str) -> str:
    return _TABLE[a, b]


def promote_types(type1: DType | str, type2: DType | str) -> DType:
    """The smallest dtype both can be converted to without leaving their category
    (PyTorch's ``torch.promote_types``).

    >>> import nanotorch
    >>> nanotorch.promote_types(nanotorch.int32, nanotorch.float32)
    nanotorch.float32
    """
    return dtype_from_name(_promote_names(_name(type1), _name(type2)))


def can_cast(from_: DType | str, to: DType | str) -> bool:
    """Whether an op may store a result of dtype ``from_`` into a tensor of dtype ``to``:
    yes unless that lowers the category (float -> int, int -> bool), as ``torch.can_cast``.

    >>> import nanotorch
    >>> nanotorch.can_cast(nanotorch.float64, nanotorch.float32)
    True
    >>> nanotorch.can_cast(nanotorch.float32, nanotorch.int32)
    False
    """
    return _CATEGORY[_name(from_)] <= _CATEGORY[_name(to)]


def result_type(*operands: Any) -> DType:
    """The dtype an op computes in for these operands (Tensors and Python numbers), by the
    rule of Note [Type promotion]; PyTorch's ``torch.result_type`` for any count of operands.

    >>> import nanotorch
    >>> nanotorch.result_type(nanotorch.tensor([1, 2], dtype=nanotorch.int32), 0.5)
    nanotorch.float32
    """
    if not operands:
        raise TypeError("result_type: needs at least one operand (a Tensor or a number)")
    participants = []
    for x in operands:
        dtype = getattr(x, "dtype", None)
        if isinstance(dtype, DType):
            participants.append((dtype.name, x.ndim > 0))
        elif isinstance(x, (bool, int, float)):
            participants.append((x, None))
        else:
            raise TypeError(
                f"result_type: operands must be Tensors or Python numbers, got {type(x).__name__}"
            )
    return dtype_from_name(result_name(participants))


def result_name(participants: list[tuple[Any, bool | None]]) -> str:
    """The promoted dtype name. Each participant is ``(dtype name, has dims)`` for a tensor,
    or ``(number, None)`` for a Python scalar."""
    tiers: list[str | None] = [None, None, None]  # dimensioned, 0-d, scalars
    for value, has_dims in participants:
        if has_dims is None:
            tier, name = 2, _scalar_name(value)
        else:
            tier, name = (0 if has_dims else 1), value
        prev = tiers[tier]
        tiers[tier] = name if prev is None else _promote_names(prev, name)
    result = _combine(tiers[0], _combine(tiers[1], tiers[2]))
    assert result is not None  # every participant lands in some tier
    return result


_PYTORCH_NAMES = {
    "bool": "Bool",
    "uint8": "Byte",
    "int8": "Char",
    "int16": "Short",
    "int32": "Int",
    "int64": "Long",
    "float16": "Half",
    "bfloat16": "BFloat16",
    "float32": "Float",
    "float64": "Double",
}


def pytorch_name(dtype: DType) -> str:
    """The name PyTorch's messages use for a dtype (``Float`` for float32)."""
    return _PYTORCH_NAMES[dtype.name]


def _combine(higher: str | None, lower: str | None) -> str | None:
    """A higher tier's dtype, changed by a lower tier's only when that is of a higher
    category (PyTorch's ``combine_categories``)."""
    if higher is None:
        return lower
    if lower is None or _CATEGORY[higher] >= _CATEGORY[lower]:
        return higher
    return _promote_names(higher, lower)


def _scalar_name(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int64"
    return get_default_dtype().name


def _name(dtype: DType | str) -> str:
    d = as_dtype(dtype)
    if d is None:
        raise TypeError("expected a nanotorch dtype, got None")
    return d.name
