"""Reading IDX files, the format of MNIST and Fashion-MNIST (optionally gzip-compressed).

An IDX file is a 4-byte magic number ``00 00 TT DD`` (TT: element type, DD: number of dims),
DD big-endian uint32 sizes, then the values in C order, big-endian. Every way a file can be
wrong (not IDX, unknown type, truncated, damaged gzip, more or less data than its header
declares) is a clear ``IDXFormatError`` that names the file. Host-side; NumPy only.

Note [Read the header first]
~~~~~~~~~~~~~~~~~~~~~~~~~~~~
A data file is input from outside: a few megabytes of gzip can inflate to gigabytes (a
"gzip bomb"), and inflating it whole before looking would exhaust memory. So the reader
streams: it inflates the 4-byte magic and the dims, computes the size the header declares,
refuses a declared size above ``max_bytes``, then reads exactly that many bytes and one more.
A missing byte is a truncated file, an extra one is more data than declared: both refused,
so at most the declared size plus one byte is ever inflated. Reading to the end of the gzip
stream also checks its CRC and length, so a damaged archive is caught here too.
"""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path
from typing import BinaryIO

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
# The largest payload read_idx accepts by default; callers that know the file's size pass
# a tighter bound (Fashion-MNIST passes each file's published size).
MAX_IDX_BYTES = 1 << 31
_CHUNK = 1 << 20


class IDXFormatError(ValueError):
    """A file is not a well-formed IDX file, or its gzip data is damaged."""


def _check_magic(head: bytes, name: str, ndim: int | None = None) -> tuple[int, int]:
    """The (type code, rank) of a 4-byte IDX magic number."""
    if len(head) < 4 or head[0] != 0 or head[1] != 0:
        magic = " ".join(f"{b:02x}" for b in head[:4])
        raise IDXFormatError(
            f"{name} is not an IDX file: its magic number is {magic}, expected 00 00 TT DD"
        )
    code, rank = head[2], head[3]
    if code not in IDX_TYPES:
        known = ", ".join(f"0x{c:02X}" for c in IDX_TYPES)
        raise IDXFormatError(f"{name}: unknown IDX type code 0x{code:02X} (known: {known})")
    if ndim is not None and rank != ndim:
        raise IDXFormatError(f"{name}: the file has {rank} dims, expected {ndim}")
    return code, rank


def _read_up_to(stream: BinaryIO, n: int) -> bytes:
    """At most ``n`` bytes, fewer only at the end of the stream; in bounded chunks."""
    parts, left = [], n
    while left > 0:
        part = stream.read(min(left, _CHUNK))
        if not part:
            break
        parts.append(part)
        left -= len(part)
    return b"".join(parts)


def _read_payload(stream: BinaryIO, name: str, max_bytes: int) -> bytes:
    head = _read_up_to(stream, 4)
    _, rank = _check_magic(head, name)
    dims_raw = _read_up_to(stream, 4 * rank)
    if len(dims_raw) < 4 * rank:
        raise IDXFormatError(f"{name}: the file ends inside its header ({4 + len(dims_raw)} bytes)")
    dims = tuple(int(d) for d in np.frombuffer(dims_raw, ">u4"))
    itemsize = IDX_TYPES[head[2]].itemsize
    count = 1
    for d in dims:
        count *= d
    size = 4 + 4 * rank + count * itemsize
    if size > max_bytes:
        raise IDXFormatError(
            f"{name}: its header declares dims {dims} ({size} bytes), more than the "
            f"{max_bytes} bytes allowed; it is not a data file this reader accepts"
        )
    body = _read_up_to(stream, count * itemsize)
    if len(body) < count * itemsize:
        raise IDXFormatError(
            f"{name}: header dims {dims} need {count} values ({count * itemsize} bytes) but "
            f"the file holds {len(body)} bytes after its header"
        )
    if stream.read(1):
        raise IDXFormatError(
            f"{name}: holds more data than its header declares (dims {dims}, {size} bytes); "
            "the file is damaged or not an IDX file"
        )
    return head + dims_raw + body


def read_idx_bytes(path: str | Path, max_bytes: int = MAX_IDX_BYTES) -> bytes:
    """The file's IDX payload, decompressed when it is gzip (by content, not by name), read
    against its own header and never past ``max_bytes`` (Note [Read the header first])."""
    name = str(path)
    try:
        raw = open(path, "rb")  # noqa: SIM115 - closed by the with below
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise IDXFormatError(f"{name}: cannot be read: {exc.strerror or exc}") from None
    with raw:
        is_gzip = raw.read(2) == b"\x1f\x8b"
        raw.seek(0)
        try:
            if not is_gzip:
                return _read_payload(raw, name, max_bytes)
            with gzip.GzipFile(fileobj=raw, mode="rb") as stream:
                return _read_payload(stream, name, max_bytes)  # type: ignore[arg-type]
        except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
            raise IDXFormatError(
                f"{name}: the gzip data is damaged ({exc}); delete the file and get it again"
            ) from None
        except OSError as exc:
            raise IDXFormatError(f"{name}: cannot be read: {exc.strerror or exc}") from None


def parse_idx(payload: bytes, name: str = "<bytes>", ndim: int | None = None) -> np.ndarray:
    """Decode IDX bytes into a native-endian array; ``name`` appears in errors."""
    code, rank = _check_magic(payload, name, ndim)
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


def read_idx(
    path: str | Path, ndim: int | None = None, max_bytes: int = MAX_IDX_BYTES
) -> np.ndarray:
    """Read an IDX file (``.gz`` or raw) into a NumPy array, checking its header.

    >>> import gzip, tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "labels-idx1-ubyte.gz"
    >>> _ = p.write_bytes(gzip.compress(bytes([0, 0, 8, 1, 0, 0, 0, 2, 7, 3])))
    >>> read_idx(p).tolist()
    [7, 3]
    """
    return parse_idx(read_idx_bytes(path, max_bytes), str(path), ndim)
