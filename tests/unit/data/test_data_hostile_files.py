"""Hostile and damaged data files: truncated or bad-CRC gzip, gzip bombs, headers that lie.
Each is one ``IDXFormatError`` naming the file, and a bomb is never inflated past what its
header declares (Note [Read the header first] in data/idx.py); through the CLI each is one
line and exit 2."""

from __future__ import annotations

import gzip
import struct
import tracemalloc
import zlib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nanotorch.cli import main
from nanotorch.data import fashion_mnist as fm
from nanotorch.data.idx import IDXFormatError, read_idx, read_idx_bytes

LABELS = "train-labels-idx1-ubyte"


def _header(dims: tuple[int, ...], code: int = 0x08) -> bytes:
    return struct.pack(">BBBB", 0, 0, code, len(dims)) + struct.pack(f">{len(dims)}I", *dims)


def _labels(n: int = 100) -> bytes:
    return _header((n,)) + bytes(i % 10 for i in range(n))


def _bomb(extra: int) -> bytes:
    """A valid-looking 100-label file followed by ``extra`` more zero bytes, compressed
    (64 MiB of zeros compress to about 64 kB)."""
    c = zlib.compressobj(9, zlib.DEFLATED, 31)  # gzip framing
    parts = [c.compress(_labels())]
    chunk = bytes(1 << 20)
    for _ in range(extra >> 20):
        parts.append(c.compress(chunk))
    return b"".join(parts) + c.flush()


def _damaged(kind: str) -> bytes:
    good = gzip.compress(_labels())
    if kind == "truncated":
        return good[: len(good) // 2]
    if kind == "bad crc":
        return good[:-8] + bytes([good[-8] ^ 0xFF]) + good[-7:]
    if kind == "bad length":
        return good[:-4] + struct.pack("<I", 12345)
    if kind == "corrupt deflate":
        return good[:12] + bytes([good[12] ^ 0x55]) + good[13:]
    if kind == "trailing garbage":
        return good + b"garbage!"
    raise AssertionError(kind)


DAMAGES = ["truncated", "bad crc", "bad length", "corrupt deflate", "trailing garbage"]


@pytest.mark.parametrize("kind", DAMAGES)
def test_read_idx_damaged_gzip_is_one_clear_error_naming_the_file(kind, tmp_path):
    path = tmp_path / f"{LABELS}.gz"
    path.write_bytes(_damaged(kind))
    with pytest.raises(IDXFormatError, match=rf"{LABELS}\.gz") as info:
        read_idx(path)
    assert "\n" not in str(info.value)


def test_read_idx_gzip_bomb_is_refused_without_inflating_it(tmp_path):
    path = tmp_path / f"{LABELS}.gz"
    path.write_bytes(_bomb(64 << 20))
    assert path.stat().st_size < 1 << 20
    tracemalloc.start()
    try:
        with pytest.raises(IDXFormatError, match=r"more data than its header declares"):
            read_idx(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4 << 20  # far below the 64 MiB it would inflate to


@pytest.mark.parametrize("gz", [True, False], ids=["gz", "raw"])
def test_read_idx_header_declaring_a_huge_size_is_refused_before_reading(gz, tmp_path):
    payload = _header((60000, 65536, 65536)) + bytes(100)
    path = tmp_path / "huge-idx3-ubyte"
    path.write_bytes(gzip.compress(payload) if gz else payload)
    with pytest.raises(IDXFormatError, match=r"huge-idx3-ubyte.*declares.*more than"):
        read_idx(path)
    with pytest.raises(IDXFormatError, match=r"more than the 1000 bytes"):
        read_idx_bytes(tmp_path / "huge-idx3-ubyte", max_bytes=1000)


@pytest.mark.parametrize("gz", [True, False], ids=["gz", "raw"])
def test_read_idx_more_or_less_data_than_declared_is_refused(gz, tmp_path):
    for payload, message in (
        (_labels() + b"\x00", "more data than its header declares"),
        (_labels()[:-1], r"dims \(100,\) need 100 values"),
        (_labels()[:6], "ends inside its header"),
    ):
        path = tmp_path / "lab-idx1-ubyte"
        path.write_bytes(gzip.compress(payload) if gz else payload)
        with pytest.raises(IDXFormatError, match=message):
            read_idx(path)


def test_read_idx_good_file_still_reads(tmp_path):
    path = tmp_path / "ok.gz"
    path.write_bytes(gzip.compress(_labels(7)))
    np.testing.assert_array_equal(read_idx(path), np.arange(7) % 10)


# ------------------------------------------------------------------------- through the CLI


def _fashion_folder(root: Path, bad: bytes) -> Path:
    """The four files in ``root/fashion-mnist``; the first one the loader reads is ``bad``."""
    folder = root / "fashion-mnist"
    folder.mkdir(parents=True)
    for name in fm.FILES:
        data = bad if name == fm.FILES[0] else gzip.compress(_header((1, 28, 28)) + bytes(784))
        (folder / f"{name}.gz").write_bytes(data)
    return folder / f"{fm.FILES[0]}.gz"


@pytest.mark.parametrize("kind", [*DAMAGES, "bomb"])
def test_cli_hostile_data_file_is_one_line_naming_it(kind, tmp_path, monkeypatch, capsys):
    bad = _bomb(8 << 20) if kind == "bomb" else _damaged(kind)
    path = _fashion_folder(tmp_path, bad)
    monkeypatch.setenv("NANOTORCH_DATA", str(tmp_path))
    code = main(["train", "fashion-mlp", "--epochs", "1", "--quiet"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("nanotorch: error: ") and err.count("\n") == 1
    assert str(path) in err


@pytest.mark.parametrize(
    ("images", "labels", "message"),
    [((2, 5, 5), 2, "not 28x28"), ((2, 28, 28), 3, "has 2 images but .* has 3 labels")],
)
def test_fashion_wrong_shapes_are_a_format_error(images, labels, message, tmp_path, monkeypatch):
    import hashlib

    folder = tmp_path / "fashion-mnist"
    folder.mkdir()
    payloads = {
        "train-images-idx3-ubyte": _header(images) + bytes(int(np.prod(images))),
        "train-labels-idx1-ubyte": _header((labels,)) + bytes(labels),
        "t10k-images-idx3-ubyte": _header(images) + bytes(int(np.prod(images))),
        "t10k-labels-idx1-ubyte": _header((labels,)) + bytes(labels),
    }
    for name, payload in payloads.items():
        (folder / f"{name}.gz").write_bytes(gzip.compress(payload))
    sums = {n: hashlib.sha256(p).hexdigest() for n, p in payloads.items()}
    monkeypatch.setattr(fm, "CONTENT_SHA256", sums)
    with pytest.raises(IDXFormatError, match=message):
        fm.FashionMNIST(root=folder)


def test_read_idx_unreadable_path_is_a_format_error_naming_it(tmp_path):
    folder = tmp_path / "images-idx3-ubyte.gz"
    folder.mkdir()  # open() fails (IsADirectoryError), as it would for a permission problem
    with pytest.raises(IDXFormatError, match=r"images-idx3-ubyte\.gz: cannot be read"):
        read_idx(folder)


# ------------------------------------------------------------------------ property: any damage


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n=st.integers(0, 300),
    gz=st.booleans(),
    cut=st.integers(0, 10_000),
    flips=st.lists(st.tuples(st.integers(0, 10_000), st.integers(1, 255)), max_size=3),
)
def test_read_idx_any_damage_is_the_exact_array_or_one_format_error(
    n, gz, cut, flips, tmp_path_factory
):
    """Whatever is cut off or flipped in a file, ``read_idx`` returns exactly the array that
    was written or raises ``IDXFormatError`` naming the file: never another exception."""
    payload = _labels(n)
    data = bytearray(gzip.compress(payload) if gz else payload)
    for where, mask in flips:
        data[where % len(data)] ^= mask
    data = data[: len(data) - cut % (len(data) + 1)]
    path = tmp_path_factory.mktemp("p") / "labels-idx1-ubyte"
    path.write_bytes(bytes(data))
    try:
        got = read_idx(path)
    except IDXFormatError as exc:
        assert str(path) in str(exc) and "\n" not in str(exc)
    else:
        assert got.tolist() == [i % 10 for i in range(n)] or (not gz and flips)
