"""``save``/``load`` for whole checkpoints, ``save_safetensors``/``load_safetensors`` for flat
name -> tensor files that other frameworks read.

This is where tensors meet files: values leave a device through the counted ``.cpu()`` copy
and arrive on one through the counted ``.to(device)``, so ``transfer_stats()`` sees every
byte (Note [Checkpoint transfers]). The byte layout lives in ``layout.py``, the nested
structure in ``structure.py``, the atomic replace in ``atomic.py``.

Note [Checkpoint transfers]
~~~~~~~~~~~~~~~~~~~~~~~~~~~
Saving a tensor on an accelerator is one ``t.detach().cpu()`` (one counted copy per tensor);
loading one is ``from_numpy`` on the host followed by ``.to(device)`` (one counted copy). We
never reach a backend's ``to_host`` directly: a checkpoint is a real host round trip and
shows up as one in ``transfer_stats()``.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
from collections.abc import Callable, Iterator, Mapping
from typing import Any, BinaryIO

import numpy as np

from nanotorch.backend import Device, availability, available_devices
from nanotorch.backend import device as _device
from nanotorch.checkpoint.atomic import atomic_write
from nanotorch.checkpoint.layout import (
    METADATA,
    NAME_TO_CODE,
    PendingTensor,
    Reader,
    StoredTensor,
    fail,
    open_reader,
    parse_json,
    write,
)
from nanotorch.checkpoint.structure import Decoder, Encoder, TensorRef, fill
from nanotorch.creation import from_numpy
from nanotorch.tensor import Tensor

# Metadata keys that make a safetensors file a nanotorch checkpoint.
FORMAT_KEY = "nanotorch.checkpoint"
FORMAT_VERSION = "1"
STRUCTURE_KEY = "nanotorch.structure"

PathLike = str | os.PathLike[str]
DeviceLike = str | Device
MapLocation = None | DeviceLike | Mapping[str, DeviceLike] | Callable[[Tensor, str], Tensor]


def save(obj: Any, path: PathLike | BinaryIO) -> None:
    """Save ``obj`` (tensors, state dicts, optimizer states, nested dicts/lists/tuples of
    them with numbers, strings, bools and None) to ``path``, atomically; or to a binary
    file object (``io.BytesIO``, a file opened ``"wb"``), written at its position, as
    ``torch.save`` does (atomicity is then the caller's: it is their stream).

    The file is a safetensors file: any safetensors reader sees the tensors, named by their
    place in ``obj`` (``optim.state.0.exp_avg``). No pickle: loading runs no code.

    >>> import os, tempfile, nanotorch
    >>> with tempfile.TemporaryDirectory() as d:
    ...     path = os.path.join(d, "ckpt.safetensors")
    ...     nanotorch.save({"w": nanotorch.ones(2), "betas": (0.9, 0.999)}, path)
    ...     ckpt = nanotorch.load(path)
    >>> ckpt["w"].tolist(), ckpt["betas"]
    ([1.0, 1.0], (0.9, 0.999))
    """
    stream = path if hasattr(path, "write") else None
    path = _stream_name(stream, "save") if stream is not None else _fspath(path, "save")
    if stream is not None:
        _check_mode(stream, path, "save", "writable", "writing", "wb")
    encoder = Encoder(path)
    structure = encoder.encode(obj)
    try:
        text = json.dumps(structure, separators=(",", ":"), allow_nan=False)
    except ValueError as exc:  # an int too long for Python's int -> str limit
        raise ValueError(f"{path}: cannot encode the structure: {exc}") from None
    tensors = [_pending(path, name, t) for name, t in encoder.tensors]
    metadata = {FORMAT_KEY: FORMAT_VERSION, STRUCTURE_KEY: text}
    if stream is not None:
        write(stream, path, tensors, metadata)
    else:
        atomic_write(path, lambda f: write(f, path, tensors, metadata))


def load(
    path: PathLike | BinaryIO,
    map_location: MapLocation = None,
    *,
    weights_only: bool | None = None,
) -> Any:
    """Load what ``save`` wrote, from a path or a binary file object (read from its
    position to its end). ``map_location`` says where tensors go:

    - ``None``: each back onto the device it was saved from (``CheckpointError`` if that
      device is not available here, suggesting ``map_location="cpu"``);
    - a device or string (``"cpu"``, ``nanotorch.device("strict:1")``): all of them there;
    - a dict ``{"cuda:0": "cpu"}``: by the device each was saved from; others stay put;
    - a callable ``f(tensor, saved_device) -> Tensor``: it gets each tensor on the cpu.

    ``weights_only`` is accepted for code written for ``torch.load`` and changes nothing: a
    nanotorch checkpoint is JSON and raw tensor bytes, so loading never runs code, whatever
    the value (PyTorch's ``weights_only=True`` guarantee, always). A pickle, including what
    ``torch.save`` writes, is refused with how to convert it.

    Every problem with the file is a ``nanotorch.CheckpointError`` naming the path.
    """
    stream = path if hasattr(path, "read") else None
    path = _stream_name(stream, "load") if stream is not None else _fspath(path, "load")
    if stream is not None:
        _check_mode(stream, path, "load", "readable", "reading", "rb")
    if weights_only is not None and not isinstance(weights_only, bool):
        raise TypeError(
            f"load: weights_only must be True, False or None, got {weights_only!r} (it changes "
            "nothing: loading a nanotorch checkpoint never runs code)"
        )
    place = _placement(path, map_location)
    with open_reader(path) if stream is None else _stream_reader(stream, path) as reader:
        meta = reader.metadata
        version = meta.get(FORMAT_KEY)
        if version is None:
            fail(
                path,
                "holds no nanotorch structure: it is a plain safetensors file of named "
                "tensors; read it with nanotorch.load_safetensors(path)",
            )
        if version != FORMAT_VERSION:
            fail(
                path,
                f"checkpoint format version {version!r} is not {FORMAT_VERSION!r}, the "
                "one this nanotorch reads; a newer nanotorch may have written it",
            )
        if STRUCTURE_KEY not in meta:
            fail(path, f"no {STRUCTURE_KEY!r} entry in its metadata; the file is damaged")
        decoder = Decoder(path)
        raw = parse_json(path, "structure", meta[STRUCTURE_KEY])
        try:
            obj = decoder.decode(raw)
        except RecursionError:
            fail(path, "the structure is nested too deeply")
        stored = {t.name: t for t in reader.tensors}
        # Check every reference and every target device before reading any data.
        plan: list[tuple[TensorRef, StoredTensor, Device | None]] = []
        for ref in decoder.refs:
            entry = stored.get(ref.name)
            if entry is None:
                fail(
                    path,
                    f"the structure refers to tensor {ref.name!r} (at {ref.where}), "
                    "which is not in the file",
                )
            if ref.requires_grad and entry.code not in ("F32", "F64"):
                fail(
                    path,
                    f"tensor {ref.name!r} is marked requires_grad but has dtype "
                    f"{entry.code}; only floating tensors can require gradients",
                )
            plan.append((ref, entry, place(ref)))
        loaded = {}
        for ref, entry, target in plan:
            loaded[id(ref)] = _materialize(path, reader.read(entry), ref, target, map_location)
    return fill(obj, loaded)


def load_structure(path: PathLike) -> Any:
    """What ``load`` would return, with each tensor left as a placeholder (a ``TensorRef``
    naming it), read from the header alone: no tensor data is read. Cheap enough to ask
    every checkpoint in a folder which run wrote it (``runner.CheckpointFolder``).

    Every problem with the file is a ``nanotorch.CheckpointError`` naming the path.
    """
    path = _fspath(path, "load_structure")
    with open_reader(path) as reader:
        meta = reader.metadata
        if meta.get(FORMAT_KEY) != FORMAT_VERSION or STRUCTURE_KEY not in meta:
            fail(path, "is not a nanotorch checkpoint of this format version")
        raw = parse_json(path, "structure", meta[STRUCTURE_KEY])
        try:
            return Decoder(path).decode(raw)
        except RecursionError:
            fail(path, "the structure is nested too deeply")


def save_safetensors(
    tensors: Mapping[str, Tensor], path: PathLike, metadata: Mapping[str, str] | None = None
) -> None:
    """Save a flat ``{name: tensor}`` dict as a plain safetensors file (atomically), with
    optional string -> string ``metadata``; tensors are laid out in the dict's order."""
    path = _fspath(path, "save_safetensors")
    if not isinstance(tensors, Mapping):
        raise TypeError(
            f"{path}: save_safetensors takes a dict of name -> Tensor, got {type(tensors).__name__}"
        )
    pending = []
    for name, t in tensors.items():
        if not isinstance(name, str):
            raise TypeError(f"{path}: tensor name {name!r} must be a str")
        if name == METADATA:
            raise ValueError(
                f"{path}: the name {METADATA!r} is reserved by the safetensors "
                "format; rename that tensor"
            )
        if not isinstance(t, Tensor):
            raise TypeError(f"{path}: the value for {name!r} is a {type(t).__name__}, not a Tensor")
        pending.append(_pending(path, name, t))
    meta: dict[str, str] = {}
    if metadata is not None:
        if not isinstance(metadata, Mapping):
            raise TypeError(
                f"{path}: metadata must be a dict of str -> str, got {type(metadata).__name__}"
            )
        for key, value in metadata.items():
            if not isinstance(key, str) or not isinstance(value, str):
                raise TypeError(
                    f"{path}: metadata entry {key!r}: {value!r} is not "
                    "str -> str; safetensors metadata maps strings to strings"
                )
            meta[key] = value
    atomic_write(path, lambda f: write(f, path, pending, meta))


def load_safetensors(path: PathLike, device: DeviceLike | None = None) -> dict[str, Tensor]:
    """Read a safetensors file (ours or another framework's) into ``{name: tensor}`` on
    ``device`` (default ``cpu``), in file order. F16, F32, F64, U8, I8, I16, I32, I64 and
    BOOL are supported."""
    path = _fspath(path, "load_safetensors")
    target = _target(path, "cpu" if device is None else device, "device")
    with open_reader(path) as reader:
        return {t.name: from_numpy(reader.read(t)).to(target) for t in reader.tensors}


# ---------------------------------------------------------------------------- helpers


def _fspath(path: Any, fn: str) -> str:
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(
            f"{fn}: path must be a str, an os.PathLike or a binary file object, got "
            f"{type(path).__name__}"
        )
    return os.fsdecode(os.fspath(path))


def _stream_name(stream: Any, fn: str) -> str:
    """What messages call a file object: its file name if it has one, else its type."""
    if isinstance(stream, io.TextIOBase):
        raise TypeError(
            f"{fn}: {type(stream).__name__} is a text stream; checkpoints are bytes: use "
            "io.BytesIO or open the file in binary mode ('wb' / 'rb')"
        )
    name = getattr(stream, "name", None)
    return name if isinstance(name, str) else f"<{type(stream).__name__}>"


def _check_mode(stream: Any, name: str, fn: str, ask: str, what: str, mode: str) -> None:
    # A file opened the wrong way would fail inside with io's bare "write"/"read".
    able = getattr(stream, ask, None)
    if able is not None and not able():
        raise TypeError(f"{fn}: {name} is not open for {what}; open it with {mode!r}")


@contextlib.contextmanager
def _stream_reader(stream: Any, name: str) -> Iterator[Reader]:
    # The rest of the stream, from where it stands (``torch.load`` reads from there too),
    # read into memory once: the reader seeks by offsets counted from the header.
    data = stream.read()
    if not isinstance(data, bytes | bytearray | memoryview):
        raise TypeError(f"load: {name} gave {type(data).__name__}, not bytes; open it in 'rb'")
    yield Reader(name, io.BytesIO(data), len(data))


def _to_host(t: Tensor) -> np.ndarray:
    """The tensor's values in host memory, via the counted copy (Note [Checkpoint transfers])."""
    return t.detach().cpu().numpy()


def _pending(path: str, name: str, t: Tensor) -> PendingTensor:
    code = NAME_TO_CODE.get(t.dtype.name)
    if code is None:
        raise TypeError(
            f"{path}: tensor {name!r} has dtype {t.dtype.name}, which checkpoints "
            f"cannot store (supported: {', '.join(NAME_TO_CODE)})"
        )
    # Looked up at call time, so tests can stand in for the copy to simulate failures.
    return PendingTensor(name, code, tuple(t.shape), lambda: _to_host(t))


def _available() -> str:
    return ", ".join(str(d) for d in available_devices())


def _target(path: str, spec: Any, what: str) -> Device:
    """A device the caller asked for, which must exist here."""
    try:
        dev = _device(spec)
    except (TypeError, ValueError) as exc:
        fail(path, f"{what} {spec!r} is not a device: {exc}")
    ok, reason = availability(dev)
    if not ok:
        fail(
            path,
            f"{what} asks for {dev}, which is not available here: {reason}. "
            f"Available: {_available()}",
        )
    return dev


def _saved_device(path: str, ref: TensorRef) -> Device:
    """The device a tensor was saved from, which must exist here (map_location=None)."""
    try:
        dev = _device(ref.device)
    except ValueError:
        fail(
            path,
            f"tensor {ref.name!r} was saved from device {ref.device!r}, which this "
            f"nanotorch does not know; pass map_location='cpu' or a dict such as "
            f"map_location={{{ref.device!r}: 'cpu'}}",
        )
    ok, reason = availability(dev)
    if not ok:
        fail(
            path,
            f"tensor {ref.name!r} was saved from {dev}, which is not available here "
            f"({reason}); pass map_location='cpu' to load it on the cpu (available: "
            f"{_available()})",
        )
    return dev


def _canonical(spec: Any) -> str:
    """``"cuda"`` and ``"cuda:0"`` name the same device; unknown kinds stay as written."""
    try:
        return str(_device(spec))
    except (TypeError, ValueError):
        return str(spec)


def _placement(path: str, map_location: MapLocation) -> Callable[[TensorRef], Device | None]:
    """Validate ``map_location`` once; return ref -> target device (None: ask the callable)."""
    if map_location is None:
        return lambda ref: _saved_device(path, ref)
    if isinstance(map_location, (str, Device)):
        dev = _target(path, map_location, "map_location")
        return lambda ref: dev
    if isinstance(map_location, Mapping):
        table = {}
        for key, value in map_location.items():
            if not isinstance(key, (str, Device)) or not isinstance(value, (str, Device)):
                raise TypeError(
                    f"load: a map_location dict maps saved device strings to "
                    f"devices, got {key!r}: {value!r}"
                )
            table[_canonical(key)] = _target(path, value, "map_location")
        return lambda ref: table.get(_canonical(ref.device)) or _saved_device(path, ref)
    if callable(map_location):
        return lambda ref: None
    raise TypeError(
        f"load: map_location must be None, a device, a str, a dict or a callable, "
        f"got {type(map_location).__name__}"
    )


def _materialize(
    path: str, host: np.ndarray, ref: TensorRef, target: Device | None, map_location: Any
) -> Tensor:
    t = from_numpy(host)  # a fresh array read from the file: the cpu tensor owns it
    if target is None:
        t = map_location(t, ref.device)
        if not isinstance(t, Tensor):
            raise TypeError(
                f"{path}: map_location returned {type(t).__name__} for tensor "
                f"{ref.name!r}; it must return a Tensor"
            )
    else:
        t = t.to(target)
    if ref.requires_grad:
        t.requires_grad_(True)
    return t
