"""Reading IDX files, the format of MNIST and Fashion-MNIST (optionally gzip-compressed).

An IDX file is a 4-byte magic number ``00 00 TT DD`` (TT: element type, DD: number of dims),
DD big-endian uint32 sizes, then the values in C order, big-endian. Every way a file can be
wrong (not IDX, unknown type, truncated, unexpected rank) is a clear ``IDXFormatError`` that
names the file. Host-side; NumPy only.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np

# IDX type codes and the big-endian NumPy dtypes they name.
IDX_TYPES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


class IDXFormatError(ValueError):
    """A file is not a well-formed IDX file."""


def read_idx_bytes(path: str | Path) -> bytes:
    """The file's bytes, decompressed when it is gzip (by content, not by name)."""
    data = Path(path).read_bytes()
    return gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data


def parse_idx(payload: bytes, name: str = "<bytes>", ndim: int | None = None) -> np.ndarray:
    """Decode IDX bytes into a native-endian array; ``name`` appears in errors."""
    if len(payload) < 4 or payload[0] != 0 or payload[1] != 0:
        magic = " ".join(f"{b:02x}" for b in payload[:4])
        raise IDXFormatError(
            f"{name} is not an IDX file: its magic number is {magic}, expected 00 00 TT DD"
        )
    code, rank = payload[2], payload[3]
    if code not in IDX_TYPES:
        known = ", ".join(f"0x{c:02X}" for c in IDX_TYPES)
        raise IDXFormatError(f"{name}: unknown IDX type code 0x{code:02X} (known: {known})")
    if ndim is not None and rank != ndim:
        raise IDXFormatError(f"{name}: the file has {rank} dims, expected {ndim}")
    header = 4 + 4 * rank
    if len(payload) < header:
        raise IDXFormatError(f"{name}: the file ends inside its header ({len(payload)} bytes)")
    dims = tuple(int(d) for d in np.frombuffer(payload, ">u4", count=rank, offset=4))
    dtype = IDX_TYPES[code]
    count = int(np.prod(dims, dtype=np.int64))
    body = len(payload) - header
    if body != count * dtype.itemsize:
        raise IDXFormatError(
            f"{name}: header dims {dims} need {count} values ({count * dtype.itemsize} bytes) "
            f"but the file holds {body} bytes after its header"
        )
    values = np.frombuffer(payload, dtype, count=count, offset=header)
    return values.astype(dtype.newbyteorder("=")).reshape(dims)


def read_idx(path: str | Path, ndim: int | None = None) -> np.ndarray:
    """Read an IDX file (``.gz`` or raw) into a NumPy array, checking its header.

    >>> import gzip, tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "labels-idx1-ubyte.gz"
    >>> _ = p.write_bytes(gzip.compress(bytes([0, 0, 8, 1, 0, 0, 0, 2, 7, 3])))
    >>> read_idx(p).tolist()
    [7, 3]
    """
    return parse_idx(read_idx_bytes(path), Path(path).name, ndim)
