"""PyTorch's legacy tensor constructors: ``Tensor(data)``, ``Tensor(*sizes)`` and the typed
``FloatTensor``, ``LongTensor``... classes.

Note [Legacy constructors]
~~~~~~~~~~~~~~~~~~~~~~~~~~
Older PyTorch code (and much teaching material) makes tensors with ``torch.Tensor([1, 2])``
(data, always the default float dtype), ``torch.Tensor(2, 3)`` (sizes, uninitialised) or
``torch.LongTensor([1, 2])``, tests ``isinstance(x, torch.FloatTensor)`` and reads
``x.type()`` as a string. nanotorch takes all of these, as PyTorch does, and builds the
tensor with ``nanotorch.tensor`` or ``nanotorch.empty``: ``Tensor.__new__`` calls
``construct`` here, the typed names are classes whose metaclass makes calling them construct
a tensor of their dtype and makes ``isinstance`` compare the dtype. Tensors themselves are
never instances of these classes' own type: the engine makes every tensor with
``Tensor._make``, which is not affected. New code should say ``nanotorch.tensor(data,
dtype=...)``: it takes any dtype and says what it means.
"""

from __future__ import annotations

from typing import Any

from nanotorch import dtypes as _dt
from nanotorch.tensor import Tensor

# PyTorch's names for the typed classes, by dtype name.
NAMES = {
    "float32": "FloatTensor",
    "float64": "DoubleTensor",
    "float16": "HalfTensor",
    "bfloat16": "BFloat16Tensor",
    "uint8": "ByteTensor",
    "int8": "CharTensor",
    "int16": "ShortTensor",
    "int32": "IntTensor",
    "int64": "LongTensor",
    "bool": "BoolTensor",
}
BY_NAME = {name: dtype for dtype, name in NAMES.items()}


def construct(dtype: Any, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Tensor:
    """``name(*args, **kwargs)`` with PyTorch's legacy rules: no arguments, sizes, data, or
    a tensor of that dtype (returned as it is)."""
    from nanotorch.creation import empty, tensor

    device = kwargs.pop("device", None)
    if kwargs:
        raise TypeError(
            f"{name}(): {', '.join(k + '=' for k in kwargs)} is not taken (the legacy "
            f"constructor always makes {dtype.name}); use nanotorch.tensor(data, dtype=...) "
            "or nanotorch.empty(*sizes, dtype=...)"
        )
    if not args:
        return empty(0, dtype=dtype, device=device)
    if all(type(a) is int for a in args):
        return empty(*args, dtype=dtype, device=device)
    if len(args) == 1:
        (data,) = args
        if isinstance(data, Tensor):
            if data.dtype != dtype:
                raise TypeError(
                    f"{name}(): expected a {dtype.name} tensor, got {data.dtype.name}; convert "
                    f"it with .to(nanotorch.{dtype.name})"
                )
            return data if device is None else data.to(device)
        if isinstance(data, bool | float | complex | str | bytes):
            raise TypeError(
                f"{name}(): data must be a sequence (got {type(data).__name__}), as in "
                f"PyTorch; for a 0-d tensor use nanotorch.tensor({data!r})"
            )
        return tensor(data, dtype=dtype, device=device)
    raise TypeError(
        f"{name}(): takes data (a sequence or an array) or sizes (ints), got "
        f"({', '.join(type(a).__name__ for a in args)})"
    )


class _LegacyType(type):
    """The metaclass of ``FloatTensor`` and the others: calling one constructs a tensor of
    its dtype; ``isinstance(x, FloatTensor)`` asks whether ``x`` is a float32 Tensor."""

    dtype: Any

    def __call__(cls, *args: Any, **kwargs: Any) -> Tensor:  # type: ignore[override]
        return construct(cls.dtype, cls.__name__, args, kwargs)

    def __instancecheck__(cls, obj: Any) -> bool:
        return isinstance(obj, Tensor) and obj.dtype == cls.dtype


def _make_type(dtype_name: str) -> type:
    name = NAMES[dtype_name]
    attrs = {
        "dtype": _dt.as_dtype(dtype_name),
        "__doc__": f"PyTorch's legacy ``{name}``: a {dtype_name} tensor (Note [Legacy "
        "constructors]).",
        "__module__": "nanotorch",
    }
    return _LegacyType(name, (), attrs)


FloatTensor = _make_type("float32")
DoubleTensor = _make_type("float64")
HalfTensor = _make_type("float16")
BFloat16Tensor = _make_type("bfloat16")
ByteTensor = _make_type("uint8")
CharTensor = _make_type("int8")
ShortTensor = _make_type("int16")
IntTensor = _make_type("int32")
LongTensor = _make_type("int64")
BoolTensor = _make_type("bool")


def type_name(dtype: Any) -> str:
    """``x.type()`` without an argument: ``'nanotorch.FloatTensor'`` and so on."""
    return f"nanotorch.{NAMES[dtype.name]}"


def dtype_of(spec: Any) -> Any:
    """The dtype a ``x.type(spec)`` argument names: a legacy class, its name (with a
    ``torch.`` or ``nanotorch.`` prefix, as ported code writes it), or a dtype."""
    if isinstance(spec, _LegacyType):
        return spec.dtype
    if isinstance(spec, str):
        short = spec.rsplit(".", 1)[-1]
        if short in BY_NAME:
            return _dt.as_dtype(BY_NAME[short])
    return _dt.as_dtype(spec)
