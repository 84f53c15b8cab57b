"""The dtypes nanotorch speaks of, independent of any array library.

A ``DType`` is a small value object (``nanotorch.float32``...). Each backend maps it to its
own native dtype, so a tensor reports the same ``dtype`` on every device. This module imports
no array library: it sits below the backend seam.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, eq=False)
class DType:
    """A nanotorch dtype. Compared by identity: there is exactly one object per dtype."""

    name: str
    itemsize: int
    is_floating_point: bool
    is_signed: bool = True

    def __repr__(self) -> str:
        return f"nanotorch.{self.name}"

    def __reduce__(self) -> str:
        # Pickle-free code does not need this, but copy/deepcopy should keep identity.
        return self.name


float16 = DType("float16", 2, True)
bfloat16 = DType("bfloat16", 2, True)
float32 = DType("float32", 4, True)
float64 = DType("float64", 8, True)
uint8 = DType("uint8", 1, False, is_signed=False)
int8 = DType("int8", 1, False)
int16 = DType("int16", 2, False)
int32 = DType("int32", 4, False)
int64 = DType("int64", 8, False)
bool_ = DType("bool", 1, False, is_signed=False)

# Every dtype nanotorch names. A device need not have them all: float16 is outside the array
# API standard (so strict:N lacks it) and NumPy and CuPy have no bfloat16. A backend maps
# the ones its library has and refuses the others with an error that names the device and
# what to use instead (``ArrayBackend.native_dtype``).
ALL_DTYPES: tuple[DType, ...] = (
    float16, bfloat16, float32, float64, uint8, int8, int16, int32, int64, bool_,
)  # fmt: skip
_BY_NAME = {d.name: d for d in ALL_DTYPES}
# Aliases PyTorch users type without thinking.
_BY_NAME.update(
    {
        "float": float32,
        "double": float64,
        "half": float16,
        "long": int64,
        "int": int32,
        "short": int16,
    }
)

_default_float: list[DType] = [float32]


def dtype_from_name(name: str) -> DType:
    """Look a dtype up by name (``"float32"``, ``"long"``...); raise a clear ValueError."""
    try:
        return _BY_NAME[name]
    except KeyError:
        known = ", ".join(d.name for d in ALL_DTYPES)
        raise ValueError(f"unknown dtype {name!r}; known dtypes: {known}") from None


def as_dtype(dtype: DType | str | None) -> DType | None:
    if dtype is None or isinstance(dtype, DType):
        return dtype
    if isinstance(dtype, str):
        return dtype_from_name(dtype)
    raise TypeError(
        f"expected a nanotorch dtype such as nanotorch.float32, got {dtype!r} "
        f"({type(dtype).__name__})"
    )


def get_default_dtype() -> DType:
    """The dtype of new floating tensors made from Python floats (float32 unless changed).

    >>> import nanotorch
    >>> nanotorch.get_default_dtype()
    nanotorch.float32
    """
    return _default_float[0]


def set_default_dtype(dtype: DType) -> None:
    """Set the default floating dtype (float32 or float64)."""
    dtype = as_dtype(dtype)
    if dtype is None or not dtype.is_floating_point:
        raise TypeError(f"set_default_dtype needs a floating dtype, got {dtype!r}")
    _default_float[0] = dtype
