"""Turning host data (Python numbers, nested lists, NumPy arrays) into NumPy arrays.

Creation functions above the seam hand their ``data`` argument here; the result is placed on
a device by ``transfer.from_host_counted``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nanotorch.dtypes import DType, bool_, float64, get_default_dtype, int64

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


def as_host_array(data: Any, dtype: DType | None) -> tuple[np.ndarray, DType]:
    """Convert ``data`` to a NumPy array of a supported dtype (a copy when it must change)."""
    from_python = not isinstance(data, (np.ndarray, np.generic))
    try:
        host = np.asarray(data)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"tensor(): cannot build an array from this data: {exc}") from None
    if host.dtype == object:
        raise TypeError(
            f"tensor(): data must be numbers or nested sequences of equal length, "
            f"got {type(data).__name__}"
        )
    target = dtype if dtype is not None else infer_dtype(host, from_python)
    if dtype is None and from_python and host.dtype.kind == "f" and target is not float64:
        pass
    if host.dtype != np.dtype(target.name):
        host = host.astype(target.name)
    return host, target


def is_host_array(obj: Any) -> bool:
    return isinstance(obj, (np.ndarray, np.generic))


def from_dlpack_host_or_cuda(obj: Any) -> tuple[Any, str, int]:
    """Import a DLPack-capable object; returns (array, device kind, index)."""
    dev_type, dev_id = obj.__dlpack_device__()
    if int(dev_type) == 1:  # kDLCPU
        return np.from_dlpack(obj), "cpu", 0
    if int(dev_type) in (2, 3, 13):  # kDLCUDA, kDLCUDAHost, kDLCUDAManaged
        import cupy

        with cupy.cuda.Device(int(dev_id)):
            return cupy.from_dlpack(obj), "cuda", int(dev_id)
    raise TypeError(f"from_dlpack: unsupported DLPack device type {dev_type}")


def format_values(host: np.ndarray, prefix: str, suffix: str) -> str:
    """``tensor([[1., 2.], [3., 4.]], dtype=float32, device='cpu')`` with wrapped rows."""
    body = np.array2string(
        np.asarray(host), separator=", ", prefix=prefix, threshold=1000, edgeitems=3
    )
    return f"{prefix}{body}, {suffix})"
