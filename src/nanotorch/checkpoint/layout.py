"""The safetensors byte layout: writing it, and reading it back without trusting it.

A file is::

    8 bytes      N, the header length, unsigned little-endian
    N bytes      a JSON object: {"__metadata__": {str: str}, name: {"dtype": "F32",
                 "shape": [2, 3], "data_offsets": [begin, end]}, ...}, space-padded to 8 bytes
    the rest     the tensors' raw little-endian bytes; offsets count from here

This module knows bytes, JSON and NumPy only: no Tensor, no device. ``api.py`` decides what
goes in and what comes out. It is separate so that every check a hostile or damaged file must
pass sits in one place.

Note [Never trust a header]
~~~~~~~~~~~~~~~~~~~~~~~~~~~
Every number in a header is checked against the file's real size before it is used to seek,
read or allocate: a header that claims 2**60 bytes costs nothing to refuse. Every tensor must
fit the data section, and together the tensors must tile it exactly, in any header order, with
no overlap, gap or trailing byte (the rule the reference ``safetensors`` library enforces, so
both accept the same files). Every failure is a ``CheckpointError`` naming the path and the
problem; nothing from ``json``, ``struct`` or NumPy escapes.
"""

from __future__ import annotations

import json
import os
import stat
import struct
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, BinaryIO, NoReturn

import numpy as np

from nanotorch.errors import CheckpointError

# The reference library refuses headers over 100 MB; we do too, so our files stay readable
# there and a corrupt length never makes us read a huge block.
MAX_HEADER_BYTES = 100_000_000
# NumPy 1.x arrays have at most 32 dimensions, NumPy 2.x at most 64.
MAX_NDIM = 64 if int(np.__version__.split(".")[0]) >= 2 else 32

# safetensors dtype code -> NumPy dtype (little-endian, as the format stores it).
CODE_TO_NUMPY: dict[str, np.dtype] = {
    "F16": np.dtype("<f2"),
    "F32": np.dtype("<f4"),
    "F64": np.dtype("<f8"),
    "U8": np.dtype("u1"),
    "I8": np.dtype("i1"),
    "I16": np.dtype("<i2"),
    "I32": np.dtype("<i4"),
    "I64": np.dtype("<i8"),
    "BOOL": np.dtype("?"),
}
# nanotorch dtype name -> safetensors dtype code.
NAME_TO_CODE = {
    "float16": "F16",
    "float32": "F32",
    "float64": "F64",
    "uint8": "U8",
    "int8": "I8",
    "int16": "I16",
    "int32": "I32",
    "int64": "I64",
    "bool": "BOOL",
}
METADATA = "__metadata__"


def fail(path: str, problem: str, cause: BaseException | None = None) -> NoReturn:
    """Raise the CheckpointError every check uses: ``<path>: <problem>``."""
    raise CheckpointError(f"{path}: {problem}") from cause


# ---------------------------------------------------------------------------- writing


@dataclass(frozen=True)
class PendingTensor:
    """A tensor to write: its header entry now, its bytes later (``fetch`` is called once,
    while writing, so only one tensor at a time needs to sit in host memory)."""

    name: str
    code: str
    shape: tuple[int, ...]
    fetch: Callable[[], np.ndarray]

    @property
    def nbytes(self) -> int:
        return _count(self.shape) * CODE_TO_NUMPY[self.code].itemsize


def write(
    f: BinaryIO, path: str, tensors: Sequence[PendingTensor], metadata: dict[str, str]
) -> None:
    """Write the whole file to ``f``; tensors are laid out in the order given."""
    header: dict[str, Any] = {METADATA: metadata} if metadata else {}
    offset = 0
    for t in tensors:
        header[t.name] = {
            "dtype": t.code,
            "shape": list(t.shape),
            "data_offsets": [offset, offset + t.nbytes],
        }
        offset += t.nbytes
    # Strict JSON (allow_nan=False): other languages must be able to parse the header.
    text = json.dumps(header, separators=(",", ":"), allow_nan=False).encode("utf-8")
    text += b" " * (-len(text) % 8)  # pad so the data starts 8-byte aligned
    if len(text) > MAX_HEADER_BYTES:
        fail(
            path,
            f"the header would be {len(text)} bytes, over the {MAX_HEADER_BYTES}-byte "
            "limit readers enforce; store long lists of numbers as tensors instead",
        )
    f.write(struct.pack("<Q", len(text)))
    f.write(text)
    for t in tensors:
        host = np.ascontiguousarray(t.fetch(), dtype=CODE_TO_NUMPY[t.code])
        if host.nbytes != t.nbytes:  # the tensor changed shape while we were writing
            fail(path, f"tensor {t.name!r} has {host.nbytes} bytes, expected {t.nbytes}")
        f.write(host.reshape(-1).view(np.uint8).data)


# ---------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class StoredTensor:
    """One header entry, checked: ``begin``/``end`` are offsets into the data section."""

    name: str
    code: str
    shape: tuple[int, ...]
    begin: int
    end: int


class Reader:
    """An open, validated file: ``tensors`` (in file order), ``metadata``, and ``read``."""

    def __init__(self, path: str, f: BinaryIO, size: int) -> None:
        self.path = path
        self._f = f
        if size == 0:
            fail(path, "the file is empty (0 bytes); it is not a checkpoint")
        if size < 8:
            fail(
                path,
                f"the file has only {size} bytes, too short for the 8-byte header length;"
                " it is truncated or not a checkpoint",
            )
        first = _read_exactly(f, path, 8)
        (n,) = struct.unpack("<Q", first)
        foreign = _foreign_format(first) if n > min(size - 8, MAX_HEADER_BYTES) else None
        if foreign is not None:
            fail(path, foreign)
        if n > size - 8:
            fail(
                path,
                f"header length {n} is larger than the {size - 8} bytes that follow it: "
                "the file is truncated or is not a safetensors checkpoint",
            )
        if n > MAX_HEADER_BYTES:
            fail(
                path,
                f"header length {n} exceeds the limit of {MAX_HEADER_BYTES} bytes; the "
                "file is corrupt or not a checkpoint",
            )
        if n == 0:
            fail(path, "the header is empty (length 0); the file is not a checkpoint")
        self._data_start = 8 + n
        header = parse_json(path, "header", _read_exactly(f, path, n))
        if not isinstance(header, dict):
            fail(path, "the header must be a JSON object mapping tensor names to entries")
        self.metadata = _check_metadata(path, header.pop(METADATA, None))
        self.tensors = _check_entries(path, header, size - self._data_start)

    def read(self, t: StoredTensor) -> np.ndarray:
        """The tensor's values as a fresh, writable NumPy array in native byte order."""
        nbytes = t.end - t.begin
        self._f.seek(self._data_start + t.begin)
        try:
            buf = _buffer(nbytes)
        except MemoryError:
            fail(
                self.path,
                f"tensor {t.name!r} needs {nbytes} bytes, more memory than can be allocated "
                "here; load it on a machine with more memory (or the file claims sizes it "
                "should not)",
            )
        got = self._f.readinto(memoryview(buf)) if nbytes else 0
        if got != nbytes:
            fail(
                self.path,
                f"tensor {t.name!r}: the file ended while reading it (it shrank "
                "after it was opened?)",
            )
        if t.code == "BOOL" and nbytes and int(buf.max()) > 1:
            fail(
                self.path,
                f"tensor {t.name!r} of dtype BOOL holds bytes other than 0 and 1; "
                "the file is corrupt",
            )
        array = buf.view(CODE_TO_NUMPY[t.code]).reshape(t.shape)
        if not array.dtype.isnative:  # big-endian hosts
            array = array.astype(array.dtype.newbyteorder("="))
        return array


@contextmanager
def open_reader(path: str) -> Iterator[Reader]:
    """Open ``path`` and validate its header (Note [Never trust a header])."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        fail(path, "no such file")
    except OSError as exc:
        fail(path, f"cannot read it: {exc.strerror or exc}")
    if stat.S_ISDIR(info.st_mode):
        fail(path, "is a directory, not a checkpoint file; pass the path of the file itself")
    if not stat.S_ISREG(info.st_mode):
        fail(path, "is not a regular file (a pipe or device?); checkpoints are regular files")
    try:
        f = open(path, "rb")  # noqa: SIM115 - closed below
    except OSError as exc:
        fail(path, f"cannot open it: {exc.strerror or exc}")
    with f:
        yield Reader(path, f, os.fstat(f.fileno()).st_size)


def parse_json(path: str, what: str, raw: bytes | str) -> Any:
    """Strict JSON: no NaN/Infinity literals, no duplicate keys, bounded nesting."""
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError:
            fail(path, f"the {what} is not UTF-8 text; the file is not a checkpoint")
    try:
        return json.loads(raw, object_pairs_hook=_no_duplicates, parse_constant=_no_constant)
    except RecursionError:
        fail(path, f"the {what} is nested too deeply to be a checkpoint")
    except ValueError as exc:  # JSONDecodeError, duplicates, over-long integers
        fail(path, f"the {what} is not valid JSON ({exc})")


_CONVERT = (
    "nanotorch never unpickles (loading a pickle can run any code). Convert a state dict "
    "where PyTorch is installed: safetensors.torch.save_file(torch.load(path, "
    "weights_only=True), 'model.safetensors'), then read it with nanotorch.load_safetensors"
)


def _foreign_format(first: bytes) -> str | None:
    """What a file is, when its first bytes say it is a common format that is not ours.
    Asked only when those bytes, read as a header length, cannot be one (a real header may
    be 0x0280 bytes long, which starts like a pickle)."""
    if first.startswith(b"PK\x03\x04"):
        return (
            f"is a zip archive (what torch.save writes), not a safetensors checkpoint; {_CONVERT}"
        )
    if first[0] == 0x80 and 2 <= first[1] <= 5:
        return (
            "is a Python pickle (what torch.save wrote before PyTorch 1.6, or pickle.dump), "
            f"not a safetensors checkpoint; {_CONVERT}"
        )
    if first.startswith(b"\x93NUMPY"):
        return (
            "is a NumPy .npy file, not a safetensors checkpoint; read it with numpy.load and "
            "make a tensor with nanotorch.from_numpy"
        )
    return None


def _buffer(nbytes: int) -> np.ndarray:
    """Room for one tensor's bytes (a seam, so tests can run out of memory)."""
    return np.empty(nbytes, dtype=np.uint8)


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            # Two readers could keep different copies; refuse rather than guess.
            raise ValueError(f"duplicate key {key!r}")
        out[key] = value
    return out


def _no_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not standard JSON")


def _read_exactly(f: BinaryIO, path: str, n: int) -> bytes:
    data = f.read(n)
    if len(data) != n:
        fail(path, "the file ended early; it is truncated")
    return data


def _check_metadata(path: str, meta: Any) -> dict[str, str]:
    if meta is None:
        return {}
    if not isinstance(meta, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in meta.items()
    ):
        fail(path, f"{METADATA} must be a JSON object mapping strings to strings")
    return meta


def _is_int(x: Any) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def _count(shape: Sequence[int]) -> int:
    n = 1
    for s in shape:
        n *= s
    return n


def _check_entries(path: str, header: dict[str, Any], data_size: int) -> list[StoredTensor]:
    found = []
    for name, entry in header.items():
        where = f"tensor {name!r}"
        if not isinstance(entry, dict) or not {"dtype", "shape", "data_offsets"} <= entry.keys():
            fail(path, f"{where}: the entry must be an object with dtype, shape and data_offsets")
        code, shape, offsets = entry["dtype"], entry["shape"], entry["data_offsets"]
        if not isinstance(code, str) or code not in CODE_TO_NUMPY:
            fail(
                path,
                f"{where} has dtype {code!r}, which nanotorch does not read (supported: "
                f"{', '.join(CODE_TO_NUMPY)})",
            )
        if not isinstance(shape, list) or not all(_is_int(s) and s >= 0 for s in shape):
            fail(path, f"{where}: shape {shape!r} must be a list of non-negative integers")
        if len(shape) > MAX_NDIM:
            fail(path, f"{where}: shape has {len(shape)} dimensions; at most {MAX_NDIM} work")
        itemsize = CODE_TO_NUMPY[code].itemsize
        # Even an empty array must have a size NumPy can represent.
        if _count([max(s, 1) for s in shape]) * itemsize > sys.maxsize:
            fail(path, f"{where}: shape {shape} is too large for an array")
        if (
            not isinstance(offsets, list)
            or len(offsets) != 2
            or not all(_is_int(o) and o >= 0 for o in offsets)
            or offsets[0] > offsets[1]
        ):
            fail(
                path,
                f"{where}: data_offsets {offsets!r} must be [begin, end], two integers "
                "with 0 <= begin <= end",
            )
        begin, end = offsets
        need = _count(shape) * itemsize
        if end - begin != need:
            fail(
                path,
                f"{where}: shape {shape} of dtype {code} needs {need} bytes but "
                f"data_offsets {offsets} span {end - begin}",
            )
        if end > data_size:
            fail(
                path,
                f"{where} ends at byte {end}, beyond the end of the data section "
                f"({data_size} bytes): the file is truncated or corrupt",
            )
        found.append(StoredTensor(name, code, tuple(shape), begin, end))
    found.sort(key=lambda t: (t.begin, t.end))
    covered, last = 0, None
    for t in found:
        if t.begin < covered:
            fail(path, f"tensors {last.name!r} and {t.name!r} overlap in the data section")
        if t.begin > covered:
            fail(
                path,
                f"bytes {covered} to {t.begin} of the data section belong to no tensor; "
                "the header is corrupt",
            )
        covered, last = t.end, t
    if covered != data_size:
        fail(
            path,
            f"{data_size - covered} bytes after the last tensor belong to no tensor; the "
            "file is corrupt or was appended to",
        )
    return found
