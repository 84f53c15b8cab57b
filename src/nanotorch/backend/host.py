"""Turning host data (Python numbers, nested lists, NumPy arrays) into NumPy arrays.

Creation functions above the seam hand their ``data`` argument here; the result is placed on
a device by ``transfer.from_host_counted``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from nanotorch.dtypes import DType, bool_, get_default_dtype, int64
from nanotorch.errors import IntegerOverflowError

_NUMPY_TO_DTYPE = {
    np.dtype("float16"): "float16",
    np.dtype("float32"): "float32",
    np.dtype("float64"): "float64",
    np.dtype("uint8"): "uint8",
    np.dtype("int8"): "int8",
    np.dtype("int16"): "int16",
    np.dtype("int32"): "int32",
    np.dtype("int64"): "int64",
    np.dtype("bool"): "bool",
}


def infer_dtype(host: np.ndarray, from_python: bool) -> DType:
    """PyTorch's rule: Python floats become the default float dtype, ints int64, bools bool;
    NumPy arrays keep their dtype (other integer widths become int64; other kinds are
    refused)."""
    from nanotorch.dtypes import dtype_from_name

    kind = host.dtype.kind
    if from_python:
        if kind == "b":
            return bool_
        if kind in "iu":
            return int64
        if kind == "f":
            return get_default_dtype()
    name = _NUMPY_TO_DTYPE.get(host.dtype)
    if name is None:
        if kind in "iu" and host.dtype.itemsize <= 8:
            return int64
        raise TypeError(
            f"cannot make a tensor from data of dtype {host.dtype}; nanotorch supports "
            "float16, float32, float64, uint8, int8, int16, int32, int64 and bool"
        )
    return dtype_from_name(name)


def integer_limits(dtype: DType) -> tuple[int, int]:
    """The smallest and largest value of an integer dtype (uint8 is the one unsigned one)."""
    bits = 8 * dtype.itemsize
    if dtype.name.startswith("uint"):
        return 0, 2**bits - 1
    return -(2 ** (bits - 1)), 2 ** (bits - 1) - 1


def check_integer_value(value: Any, dtype: DType, op: str) -> None:
    """Refuse a Python number that ``dtype`` (an integer dtype) cannot hold: nan, inf, or a
    value outside its range. See Note [No silent integer overflow]."""
    if dtype.is_floating_point or dtype is bool_ or isinstance(value, bool):
        return
    if isinstance(value, float) and not math.isfinite(value):
        raise IntegerOverflowError(
            f"{op}: cannot convert {value} to {dtype.name}; integers have no nan or inf"
        )
    lo, hi = integer_limits(dtype)
    if isinstance(value, (int, float)) and not lo <= value < hi + 1:
        raise IntegerOverflowError(
            f"{op}: value {value} is out of range for {dtype.name} (it cannot be converted "
            f"without overflow); {dtype.name} holds [{lo}, {hi}]"
        )


# Note [No silent integer overflow]
# ~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
# NumPy turns 2**63 into uint64, 2**70 into an object array, and ``astype`` wraps
# out-of-range integers (and turns nan into INT64_MIN) without a word. A tensor that silently
# holds -1 where the user wrote 2**64 - 1 is a wrong answer, so host data is checked against
# the target integer dtype before it is converted: every value must be finite and within the
# dtype's range, else an IntegerOverflowError (a RuntimeError like PyTorch's, and an
# OverflowError like Python's) names the op, the value and the range. The check is one
# min/max pass over host memory, made only when the target dtype is an integer.
# nanotorch has no unsigned dtypes: unsigned NumPy arrays become int64 when every value fits.


def _check_host_integers(host: np.ndarray, dtype: DType, op: str) -> None:
    if dtype.is_floating_point or dtype is bool_ or host.size == 0:
        return
    kind = host.dtype.kind
    if kind == "f":
        bad = host[~np.isfinite(host)]
        if bad.size:
            check_integer_value(float(bad.flat[0]), dtype, op)
        values = (float(host.min()), float(host.max()))
    elif kind in "iu":
        values = (int(host.min()), int(host.max()))
    else:
        return
    for v in values:
        check_integer_value(v, dtype, op)


def _scan_python_ints(data: Any) -> tuple[int | None, bool]:
    """The first Python int in nested ``data`` outside int64's range (or None), and whether
    ``data`` holds any float (then, as in PyTorch, the tensor is floating and any int fits)."""
    wide, saw_float = None, False
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, (list, tuple)):
            stack.extend(reversed(item))
        elif isinstance(item, float):
            saw_float = True
        elif isinstance(item, int) and not isinstance(item, bool) and wide is None:
            if not -(2**63) <= item < 2**63:
                wide = item
    return wide, saw_float


def _may_hold_wide_ints(host: np.ndarray) -> bool:
    # NumPy makes Python ints beyond int64 into uint64, float64 or object arrays; only then
    # is the (Python-speed) scan of the nested data needed.
    if host.dtype == object or host.dtype.kind == "u":
        return True
    if host.dtype.kind == "f" and host.size:
        return bool(np.nanmax(np.abs(np.where(np.isfinite(host), host, 0))) >= 2.0**63)
    return False


def as_host_array(data: Any, dtype: DType | None, op: str = "tensor") -> tuple[np.ndarray, DType]:
    """Convert ``data`` to a NumPy array of a supported dtype (a copy when it must change)."""
    from_python = not isinstance(data, (np.ndarray, np.generic))
    try:
        host = np.asarray(data)
    except OverflowError:
        host = np.asarray(data, dtype=object)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{op}: cannot build an array from this data: {exc}") from None
    if from_python and _may_hold_wide_ints(host):
        wide, saw_float = _scan_python_ints(data)
        if wide is not None:
            if dtype is not None and not dtype.is_floating_point:
                check_integer_value(wide, dtype, op)
            elif dtype is None and not saw_float:
                check_integer_value(wide, int64, op)
            # A floating tensor holds any int (rounded), as PyTorch's does.
            host = np.asarray(data, dtype=np.float64)
    if host.dtype.kind in "USV":
        raise TypeError(
            f"{op}: cannot make a tensor from {type(data).__name__} data (NumPy reads it as "
            f"{host.dtype}); pass numbers"
        )
    if host.dtype == object:
        raise TypeError(
            f"{op}: data must be numbers or nested sequences of equal length, "
            f"got {type(data).__name__}"
        )
    target = dtype if dtype is not None else infer_dtype(host, from_python)
    _check_host_integers(host, target, op)
    if host.dtype != np.dtype(target.name):
        host = host.astype(target.name)
    return host, target


def is_host_array(obj: Any) -> bool:
    return isinstance(obj, (np.ndarray, np.generic))


def format_values(host: np.ndarray, prefix: str, suffix: str) -> str:
    """``tensor([[1., 2.], [3., 4.]], dtype=float32, device='cpu')`` with wrapped rows."""
    body = np.array2string(
        np.asarray(host), separator=", ", prefix=prefix, threshold=1000, edgeitems=3
    )
    return f"{prefix}{body}, {suffix})"
