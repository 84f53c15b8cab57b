"""IDX parsing and the Fashion-MNIST loader: search, checksums, download, clear errors.

Most tests write tiny IDX files themselves; the tests on the real files are ``slow`` and skip
with the loader's own explanation when the files are absent.
"""

from __future__ import annotations

import gzip
import hashlib
import struct
from pathlib import Path

import numpy as np
import pytest

from nanotorch.data import fashion_mnist as fm
from nanotorch.data.idx import IDXFormatError, read_idx


def _idx_bytes(array: np.ndarray, type_code: int = 0x08) -> bytes:
    header = struct.pack(">BBBB", 0, 0, type_code, array.ndim)
    header += struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


def _write(path: Path, payload: bytes, gz: bool = True) -> Path:
    path.write_bytes(gzip.compress(payload) if gz else payload)
    return path


def test_read_idx_parses_images_and_labels_gz_and_raw(tmp_path):
    images = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    labels = np.array([7, 1], dtype=np.uint8)
    got = read_idx(_write(tmp_path / "img-idx3-ubyte.gz", _idx_bytes(images)))
    np.testing.assert_array_equal(got, images)
    assert got.dtype == np.uint8
    got = read_idx(_write(tmp_path / "lab-idx1-ubyte", _idx_bytes(labels), gz=False))
    np.testing.assert_array_equal(got, labels)


def test_read_idx_reads_big_endian_wider_types(tmp_path):
    values = np.array([[1, -2], [300, 70000]], dtype=np.int32)
    got = read_idx(_write(tmp_path / "w.idx", _idx_bytes(values, 0x0C), gz=False))
    np.testing.assert_array_equal(got, values)


def test_read_idx_bad_magic_names_file_and_bytes(tmp_path):
    path = _write(tmp_path / "bad.gz", b"\x01\x02\x08\x01" + b"\x00" * 8)
    with pytest.raises(IDXFormatError, match=r"bad\.gz.*not an IDX file.*magic.*01 02 08 01"):
        read_idx(path)


def test_read_idx_unknown_type_code(tmp_path):
    path = _write(tmp_path / "t.gz", b"\x00\x00\x42\x01\x00\x00\x00\x01\x00")
    with pytest.raises(IDXFormatError, match=r"t\.gz.*type code 0x42"):
        read_idx(path)


def test_read_idx_size_disagrees_with_dims(tmp_path):
    payload = _idx_bytes(np.zeros((2, 2), np.uint8))[:-1]
    with pytest.raises(IDXFormatError, match=r"dims \(2, 2\).*4 values.*3 bytes"):
        read_idx(_write(tmp_path / "short.gz", payload))


def test_read_idx_expected_dims_checked(tmp_path):
    path = _write(tmp_path / "x.gz", _idx_bytes(np.zeros((2, 5), np.uint8)))
    with pytest.raises(IDXFormatError, match=r"x\.gz.*2 dims.*expected 3"):
        read_idx(path, ndim=3)


# --------------------------------------------------------------------------- fake Fashion-MNIST
def _fake_fashion(folder: Path, n_train: int = 6, n_test: int = 4) -> dict[str, str]:
    """Write the four files with tiny contents; return their content checksums."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    parts = {
        "train-images-idx3-ubyte": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "train-labels-idx1-ubyte": np.arange(n_train, dtype=np.uint8) % 10,
        "t10k-images-idx3-ubyte": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "t10k-labels-idx1-ubyte": np.arange(n_test, dtype=np.uint8) % 10,
    }
    sums = {}
    for name, array in parts.items():
        payload = _idx_bytes(array)
        _write(folder / f"{name}.gz", payload)
        sums[name] = hashlib.sha256(payload).hexdigest()
    return sums


@pytest.fixture
def isolated(tmp_path, monkeypatch):
    """No real Fashion-MNIST anywhere the loader looks."""
    monkeypatch.delenv("NANOTORCH_DATA", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setattr(fm, "SYSTEM_DIRS", (tmp_path / "system",))
    return tmp_path


def test_fashion_missing_files_error_says_where_it_looked_and_how_to_get_them(isolated):
    with pytest.raises(fm.DatasetNotFoundError) as info:
        fm.FashionMNIST()
    message = str(info.value)
    assert "Fashion-MNIST" in message
    assert str(isolated / "system") in message
    assert str(isolated / "home" / ".cache" / "nanotorch" / "fashion-mnist") in message
    assert "apt-get install dataset-fashion-mnist" in message
    assert "download=True" in message and "NANOTORCH_DATA" in message
    assert "\n" not in message


def test_fashion_found_via_nanotorch_data_and_loaded(isolated, monkeypatch):
    sums = _fake_fashion(isolated / "env" / "fashion-mnist")
    monkeypatch.setattr(fm, "CONTENT_SHA256", sums)
    monkeypatch.setenv("NANOTORCH_DATA", str(isolated / "env"))
    train, test = fm.FashionMNIST(train=True), fm.FashionMNIST(train=False)
    assert len(train) == 6 and len(test) == 4
    xb, yb = train.get_batch(np.array([0, 5]))
    assert xb.shape == (2, 1, 28, 28) and xb.dtype == np.float32
    assert 0.0 <= xb.min() and xb.max() <= 1.0
    assert yb.tolist() == [0, 5] and yb.dtype == np.int64
    image, label = test[3]
    assert image.shape == (1, 28, 28) and label == 3
    flat = fm.FashionMNIST(train=False, flatten=True)
    assert flat.get_batch(np.array([1]))[0].shape == (1, 784)


def test_fashion_search_order_prefers_env_then_cache_then_system(isolated, monkeypatch):
    sums = _fake_fashion(isolated / "system")
    _fake_fashion(isolated / "home" / ".cache" / "nanotorch" / "fashion-mnist")
    monkeypatch.setattr(fm, "CONTENT_SHA256", sums)
    assert fm.locate() == isolated / "home" / ".cache" / "nanotorch" / "fashion-mnist"
    monkeypatch.setenv("NANOTORCH_DATA", str(isolated / "system"))
    assert fm.locate() == isolated / "system"


def test_fashion_checksum_mismatch_is_a_clear_error(isolated):
    _fake_fashion(isolated / "system")  # tiny files: not the real contents
    with pytest.raises(fm.ChecksumError) as info:
        fm.FashionMNIST()
    message = str(info.value)
    assert "train-images-idx3-ubyte.gz" in message
    assert fm.CONTENT_SHA256["train-images-idx3-ubyte"] in message
    assert "damaged" in message


def test_fashion_download_from_a_mirror_verifies_and_keeps_files(isolated, monkeypatch):
    sums = _fake_fashion(isolated / "mirror")
    monkeypatch.setattr(fm, "CONTENT_SHA256", sums)
    root = isolated / "downloaded"
    ds = fm.FashionMNIST(root=root, download=True, mirrors=[(isolated / "mirror").as_uri() + "/"])
    assert len(ds) == 6
    assert sorted(p.name for p in root.iterdir()) == sorted(f"{n}.gz" for n in sums)


def test_fashion_download_with_bad_checksum_leaves_nothing(isolated):
    _fake_fashion(isolated / "mirror")
    root = isolated / "downloaded"
    with pytest.raises(fm.ChecksumError, match="train-images-idx3-ubyte"):
        fm.FashionMNIST(root=root, download=True, mirrors=[(isolated / "mirror").as_uri() + "/"])
    assert list(root.iterdir()) == []


def test_fashion_download_unreachable_explains_how_to_get_files(isolated):
    with pytest.raises(fm.DatasetNotFoundError, match=r"could not download.*apt-get install"):
        fm.FashionMNIST(
            root=isolated / "d", download=True, mirrors=[(isolated / "nowhere").as_uri() + "/"]
        )


def test_fashion_available_reports_reason_without_raising(isolated):
    ok, reason = fm.available()
    assert not ok and "apt-get install dataset-fashion-mnist" in reason


def _real_or_skip() -> None:
    ok, reason = fm.available()
    if not ok:
        pytest.skip(reason)


@pytest.mark.slow
def test_fashion_real_files_have_the_published_shapes_and_classes():
    _real_or_skip()
    train, test = fm.FashionMNIST(train=True), fm.FashionMNIST(train=False)
    assert (len(train), len(test)) == (60000, 10000)
    assert train.images.shape == (60000, 28, 28) and train.images.dtype == np.uint8
    assert np.bincount(train.targets).tolist() == [6000] * 10
    assert np.bincount(test.targets).tolist() == [1000] * 10
    assert fm.FashionMNIST.classes[9] == "Ankle boot"
