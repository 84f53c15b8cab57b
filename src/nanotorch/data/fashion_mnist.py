"""Fashion-MNIST: 70,000 28x28 grey images of clothing in 10 classes (Zalando Research, MIT).

The four standard IDX files (``train-images-idx3-ubyte.gz`` ...) are found, never fetched
behind the user's back: the loader looks in ``root`` when given, otherwise in
``$NANOTORCH_DATA`` (and its ``fashion-mnist`` folder), ``~/.cache/nanotorch/fashion-mnist``
and ``/usr/share/datasets/fashion-mnist`` (Debian's ``dataset-fashion-mnist`` package). It
downloads from the dataset's official locations only with ``download=True``. Every file is
verified by the SHA-256 of its *decompressed* contents (Note [Checksums of contents]).
Host-side; NumPy and the standard library only.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from nanotorch.data.dataset import Dataset
from nanotorch.data.idx import IDXFormatError, parse_idx, read_idx_bytes

FILES = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)

# Note [Checksums of contents]
# The publisher lists MD5s of the .gz archives, but a repackaged copy (Debian recompresses
# them) has other archive bytes and the same contents. So we check the decompressed IDX
# payload. These SHA-256s are of the payloads whose MD5s are the widely published raw ones
# (train images f4a8712d7a061bf5bd6d2ca38dc4d50a, train labels 9018921c3c673c538a1fc5bad174d6f9,
# test images 8181f5470baa50b63fa0f6fddb340f0a, test labels 15d484375f8d13e6eb1aabb0c3f46965),
# i.e. the contents of the official archives (archive MD5s in OFFICIAL_ARCHIVE_MD5).
CONTENT_SHA256 = {
    "train-images-idx3-ubyte": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
    "train-labels-idx1-ubyte": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
    "t10k-images-idx3-ubyte": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
    "t10k-labels-idx1-ubyte": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
}
# The published files' payload sizes (header + values), the most read_idx_bytes inflates
# from each (Note [Read the header first] in idx.py): a bigger file is refused unread.
PAYLOAD_BYTES = {
    "train-images-idx3-ubyte": 16 + 60000 * 28 * 28,
    "train-labels-idx1-ubyte": 8 + 60000,
    "t10k-images-idx3-ubyte": 16 + 10000 * 28 * 28,
    "t10k-labels-idx1-ubyte": 8 + 10000,
}
OFFICIAL_ARCHIVE_MD5 = {
    "train-images-idx3-ubyte": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
    "train-labels-idx1-ubyte": "25c81989df183df01b3e8a0aad5dffbe",
    "t10k-images-idx3-ubyte": "bef4ecab320f06d8554ea6380940ec79",
    "t10k-labels-idx1-ubyte": "bb300cfdad3c16e7a12a480ee83cd310",
}
# The publisher's download links (its README), then its GitHub repository.
MIRRORS = (
    "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
    "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
)
SYSTEM_DIRS: tuple[Path, ...] = (Path("/usr/share/datasets/fashion-mnist"),)

HOW_TO_GET = (
    "get the files with `apt-get install dataset-fashion-mnist` (Debian/Ubuntu), or "
    "FashionMNIST(download=True) when online, or put the four files ("
    + ", ".join(f"{n}.gz" for n in FILES)
    + ") into $NANOTORCH_DATA/fashion-mnist"
)


class DatasetNotFoundError(FileNotFoundError):
    """A dataset's files are not where the loader looks; the message says how to get them."""


class ChecksumError(ValueError):
    """A data file's contents differ from the published ones."""


def cache_dir() -> Path:
    return Path.home() / ".cache" / "nanotorch" / "fashion-mnist"


def search_dirs(root: str | Path | None = None) -> list[Path]:
    """Where the loader looks, in order: ``root`` alone when given, else env, cache, system."""
    if root is not None:
        return [Path(root)]
    dirs: list[Path] = []
    env = os.environ.get("NANOTORCH_DATA")
    if env:
        dirs += [Path(env) / "fashion-mnist", Path(env)]
    return [*dirs, cache_dir(), *SYSTEM_DIRS]


def _file_in(folder: Path, name: str) -> Path | None:
    for candidate in (folder / f"{name}.gz", folder / name):
        if candidate.is_file():
            return candidate
    return None


def locate(root: str | Path | None = None) -> Path:
    """The first folder holding all four files; ``DatasetNotFoundError`` if none does."""
    dirs = search_dirs(root)
    for folder in dirs:
        if all(_file_in(folder, name) for name in FILES):
            return folder
    looked = ", ".join(str(d) for d in dirs)
    raise DatasetNotFoundError(f"Fashion-MNIST not found (looked in {looked}); {HOW_TO_GET}")


def available(root: str | Path | None = None) -> tuple[bool, str]:
    """(True, "") when the files are present, else (False, why and how to get them)."""
    try:
        locate(root)
    except DatasetNotFoundError as exc:
        return False, str(exc)
    return True, ""


def _verified_payload(path: Path, name: str) -> bytes:
    payload = read_idx_bytes(path, max_bytes=PAYLOAD_BYTES[name])
    digest = hashlib.sha256(payload).hexdigest()
    expected = CONTENT_SHA256[name]
    if digest != expected:
        raise ChecksumError(
            f"Fashion-MNIST: {path} is damaged or not the published file: the SHA-256 of its "
            f"contents is {digest}, expected {expected}; delete it and {HOW_TO_GET}"
        )
    return payload


def fetch(root: str | Path, mirrors: Sequence[str] = MIRRORS) -> Path:
    """Fetch the four archives into ``root``, verifying each before it is kept."""
    folder = Path(root)
    folder.mkdir(parents=True, exist_ok=True)
    for name in FILES:
        if _file_in(folder, name):
            continue
        target = folder / f"{name}.gz"
        partial = folder / f".{name}.gz.part"
        errors = []
        for base in mirrors:
            try:
                with urllib.request.urlopen(base + target.name, timeout=60) as response:
                    with partial.open("wb") as out:
                        shutil.copyfileobj(response, out)
                break
            except OSError as exc:
                errors.append(f"{base}: {exc}")
                partial.unlink(missing_ok=True)
        else:
            raise DatasetNotFoundError(
                f"Fashion-MNIST: could not download {target.name} ({'; '.join(errors)}); "
                f"{HOW_TO_GET}"
            )
        try:
            _verified_payload(partial, name)
        except ChecksumError:
            partial.unlink(missing_ok=True)
            raise
        partial.rename(target)
    return folder


class FashionMNIST(Dataset):
    """The Fashion-MNIST train (60,000) or test (10,000) split.

    Keeps the images as uint8 ``(N, 28, 28)`` and labels as int64; a sample or batch comes
    out as float32 in [0, 1] of shape ``(1, 28, 28)`` (or ``(784,)`` with ``flatten=True``).
    """

    classes = (
        "T-shirt/top",
        "Trouser",
        "Pullover",
        "Dress",
        "Coat",
        "Sandal",
        "Shirt",
        "Sneaker",
        "Bag",
        "Ankle boot",
    )

    def __init__(
        self,
        root: str | Path | None = None,
        train: bool = True,
        download: bool = False,
        flatten: bool = False,
        mirrors: Sequence[str] = MIRRORS,
    ) -> None:
        if download and not available(root)[0]:
            fetch(root if root is not None else cache_dir(), mirrors)
        folder = locate(root)
        prefix = "train" if train else "t10k"
        images_name, labels_name = f"{prefix}-images-idx3-ubyte", f"{prefix}-labels-idx1-ubyte"
        images_path = _file_in(folder, images_name)
        labels_path = _file_in(folder, labels_name)
        assert images_path is not None and labels_path is not None  # locate() checked
        self.root = folder
        self.train = train
        self.flatten = flatten
        self.images = parse_idx(
            _verified_payload(images_path, images_name), str(images_path), ndim=3
        )
        self.targets = parse_idx(
            _verified_payload(labels_path, labels_name), str(labels_path), ndim=1
        ).astype(np.int64)
        if self.images.shape[1:] != (28, 28):
            raise IDXFormatError(
                f"Fashion-MNIST: {images_path} holds images of shape {self.images.shape[1:]}, "
                "not 28x28; it is not a Fashion-MNIST file"
            )
        if self.images.shape[0] != self.targets.shape[0]:
            raise IDXFormatError(
                f"Fashion-MNIST: {images_path} has {self.images.shape[0]} images but "
                f"{labels_path} has {self.targets.shape[0]} labels"
            )

    def __len__(self) -> int:
        return int(self.targets.shape[0])

    def _convert(self, images: np.ndarray) -> np.ndarray:
        out = images.astype(np.float32) / np.float32(255.0)
        shape = (images.shape[0], 784) if self.flatten else (images.shape[0], 1, 28, 28)
        return out.reshape(shape)

    def __getitem__(self, index: int) -> tuple[np.ndarray, Any]:
        return self._convert(self.images[index : index + 1])[0], self.targets[index]

    def get_batch(self, indices: np.ndarray) -> tuple[np.ndarray, ...]:
        return self._convert(self.images[indices]), self.targets[indices]
