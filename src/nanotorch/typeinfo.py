"""``finfo`` and ``iinfo``: the numeric limits of nanotorch's dtypes, as PyTorch reports them.

Computed from each format's layout (mantissa bits and exponent range for the IEEE formats,
the bit width for the integers), so no array library is needed, and a dtype a device lacks
(bfloat16 on NumPy) still has its limits.

>>> import nanotorch
>>> nanotorch.finfo(nanotorch.float16).max
65504.0
>>> nanotorch.iinfo(nanotorch.int8).min
-128
"""

from __future__ import annotations

import math
from typing import Any

from nanotorch import dtypes as _dt
from nanotorch.dtypes import DType

# Explicit mantissa bits, largest and smallest normal exponent of each floating format.
_FLOAT_LAYOUTS = {
    "float16": (10, 15, -14),
    "bfloat16": (7, 127, -126),
    "float32": (23, 127, -126),
    "float64": (52, 1023, -1022),
}


class finfo:  # noqa: N801 - PyTorch's name
    """Limits of a floating dtype (the default dtype when none is given): ``bits``, ``eps``
    (the gap after 1.0), ``max``, ``min``, ``tiny`` (= ``smallest_normal``) and
    ``resolution`` (10 ** -decimal digits)."""

    def __init__(self, dtype: DType | None = None) -> None:
        dt = _dt.get_default_dtype() if dtype is None else _as_dtype("finfo", dtype)
        if dt.name not in _FLOAT_LAYOUTS:
            raise TypeError(
                f"finfo: needs a floating dtype, got {dt!r}; use nanotorch.iinfo for integers"
            )
        mantissa, emax, emin = _FLOAT_LAYOUTS[dt.name]
        self.bits = dt.itemsize * 8
        self.eps = 2.0**-mantissa
        self.max = (2.0 - self.eps) * 2.0**emax
        self.min = -self.max
        self.tiny = self.smallest_normal = 2.0**emin
        self.resolution = 10.0 ** -math.floor(mantissa * math.log10(2))
        self.dtype = dt.name

    def __repr__(self) -> str:
        return (
            f"finfo(resolution={self.resolution}, min={self.min:g}, max={self.max:g}, "
            f"eps={self.eps:g}, smallest_normal={self.tiny:g}, tiny={self.tiny:g}, "
            f"dtype={self.dtype})"
        )


class iinfo:  # noqa: N801 - PyTorch's name
    """Limits of an integer dtype: ``bits``, ``max``, ``min``."""

    def __init__(self, dtype: DType) -> None:
        dt = _as_dtype("iinfo", dtype)
        if dt.is_floating_point:
            raise TypeError(
                f"iinfo: needs an integer dtype, got {dt!r}; use nanotorch.finfo for floats"
            )
        if dt is _dt.bool_:
            raise TypeError("iinfo: bool is not an integer dtype here, as in PyTorch")
        self.bits = dt.itemsize * 8
        if dt.is_signed:
            self.min, self.max = -(2 ** (self.bits - 1)), 2 ** (self.bits - 1) - 1
        else:
            self.min, self.max = 0, 2**self.bits - 1
        self.dtype = dt.name

    def __repr__(self) -> str:
        return f"iinfo(min={self.min}, max={self.max}, dtype={self.dtype})"


def _as_dtype(op: str, dtype: Any) -> DType:
    if not isinstance(dtype, DType):
        raise TypeError(f"{op}: expects a nanotorch dtype, got {dtype!r}")
    return dtype
