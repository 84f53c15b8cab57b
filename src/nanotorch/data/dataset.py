"""Datasets: indexable collections of samples held on the host.

A ``Dataset`` answers ``len(ds)`` and ``ds[i]``. nanotorch datasets keep their data as NumPy
arrays on the host (Note [Batches are built on the host]), so picking a batch is a NumPy
fancy-index and never a gather on the device. This module is host-side: it may use NumPy,
and it must not import ``nn``, ``optim`` or anything above ``data``.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from nanotorch.random import Generator
from nanotorch.tensor import Tensor

# Note [Batches are built on the host]
# A DataLoader asks the dataset for a whole batch of rows at once (``get_batch``), as NumPy
# arrays, and moves each array to the target device with one counted copy. Keeping datasets
# on the host means: no device-side gather per batch, one transfer per tensor per batch (a
# test pins the count), and datasets larger than device memory still work.


class Dataset:
    """An indexable collection of samples (PyTorch's ``Dataset`` protocol).

    Subclasses implement ``__len__`` and ``__getitem__``; they may override ``get_batch`` to
    fetch many rows in one vectorised step (``TensorDataset`` does).
    """

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must implement __len__")

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__")

    def get_batch(self, indices: np.ndarray) -> tuple[np.ndarray, ...]:
        """The samples at ``indices``, stacked into one host array per field."""
        from nanotorch.data.dataloader import default_collate

        return default_collate([self[int(i)] for i in indices])

    def __add__(self, other: Dataset) -> ConcatDataset:
        return ConcatDataset([self, other])


class IterableDataset(Dataset):
    """A stream of samples (PyTorch's ``IterableDataset``): subclasses implement ``__iter__``.

    A DataLoader batches the samples in the order the iterator yields them; it takes no
    sampler or shuffle. With ``num_workers > 0`` every worker iterates its own copy of the
    stream, so ``__iter__`` should read ``get_worker_info()`` and yield only its share
    (Note [In-process workers] in ``data/dataloader.py``).
    """

    def __iter__(self) -> Iterator[Any]:
        raise NotImplementedError(f"{type(self).__name__} must implement __iter__")

    def __len__(self) -> int:
        # TypeError, as for any object without a length, so list(ds) simply iterates.
        raise TypeError(
            f"{type(self).__name__} has no len(): a stream knows its length only if it "
            "defines __len__"
        )

    def __add__(self, other: Dataset) -> ChainDataset:  # type: ignore[override]
        return ChainDataset([self, other])


class ChainDataset(IterableDataset):
    """Iterable datasets one after another.

    >>> class Three(IterableDataset):
    ...     def __iter__(self):
    ...         return iter(range(3))
    >>> list(ChainDataset([Three(), Three()]))
    [0, 1, 2, 0, 1, 2]
    """

    def __init__(self, datasets: Iterable[Dataset]) -> None:
        self.datasets = datasets

    def __iter__(self) -> Iterator[Any]:
        for d in self.datasets:
            if not isinstance(d, IterableDataset):
                raise TypeError(
                    f"ChainDataset: only supports IterableDataset, got {type(d).__name__}; "
                    "concatenate map-style datasets with ConcatDataset"
                )
            yield from d

    def __len__(self) -> int:
        return sum(len(d) for d in self.datasets)  # type: ignore[arg-type]


class DatasetArgumentError(ValueError, AssertionError):
    """A bad argument to a dataset; PyTorch raises AssertionError for these, so both bases."""


class ConcatDataset(Dataset):
    """Map-style datasets end to end: index ``i`` falls in the first dataset whose
    ``cumulative_sizes`` entry exceeds it. ``a + b`` builds one.

    >>> import numpy as np
    >>> cat = ConcatDataset([TensorDataset(np.arange(2)), TensorDataset(np.arange(5, 8))])
    >>> len(cat), cat.cumulative_sizes, int(cat[3][0])
    (5, [2, 5], 6)
    """

    def __init__(self, datasets: Iterable[Dataset]) -> None:
        self.datasets = list(datasets)
        if not self.datasets:
            raise DatasetArgumentError(
                "ConcatDataset: datasets should not be an empty iterable; pass at least one"
            )
        for d in self.datasets:
            if isinstance(d, IterableDataset):
                raise DatasetArgumentError(
                    "ConcatDataset does not support IterableDataset; chain iterable datasets "
                    "with ChainDataset"
                )
        self.cumulative_sizes = [int(c) for c in np.cumsum([len(d) for d in self.datasets])]

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, index: int) -> Any:
        if index < 0:
            if -index > len(self):
                raise ValueError(
                    f"ConcatDataset: absolute value of index should not exceed dataset length "
                    f"(index {index}, length {len(self)})"
                )
            index += len(self)
        part = bisect.bisect_right(self.cumulative_sizes, index)
        start = self.cumulative_sizes[part - 1] if part else 0
        return self.datasets[part][index - start]


class StackDataset(Dataset):
    """Equally long datasets side by side: sample ``i`` is ``(a[i], b[i], ...)`` for
    positional datasets, ``{"x": x[i], ...}`` for keyword ones.

    >>> import numpy as np
    >>> StackDataset(x=np.arange(3), y=np.arange(5, 8))[1]
    {'x': np.int64(1), 'y': np.int64(6)}
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if args and kwargs:
            raise ValueError(
                "StackDataset: datasets were given both positionally (tuple samples) and by "
                "keyword (dict samples); use one form"
            )
        sources: Sequence[Any] | Mapping[str, Any] = args if args else kwargs
        parts = list(args) if args else list(kwargs.values())
        if not parts:
            raise ValueError("StackDataset: at least one dataset should be passed")
        lengths = [len(d) for d in parts]
        if any(n != lengths[0] for n in lengths):
            raise ValueError(
                f"StackDataset: size mismatch between datasets (lengths {lengths}); every "
                "dataset must have the same length"
            )
        self.datasets = sources
        self._length = lengths[0]

    def __len__(self) -> int:
        return self._length

    def __getitem__(self, index: int) -> Any:
        if isinstance(self.datasets, Mapping):
            return {k: d[index] for k, d in self.datasets.items()}
        return tuple(d[index] for d in self.datasets)


def _host_array(obj: Any, owner: str, index: int | None = None) -> np.ndarray:
    if index is not None and not isinstance(obj, (Tensor, np.ndarray, list, tuple)):
        raise TypeError(
            f"{owner}: array {index} is a {type(obj).__name__}, not an array or tensor; pass "
            "NumPy arrays, cpu tensors or lists of numbers"
        )
    if isinstance(obj, Tensor):
        if obj.device.type != "cpu":
            raise ValueError(
                f"{owner}: datasets hold host data, but a tensor is on {obj.device}; "
                "pass t.cpu() (or a NumPy array)"
            )
        return np.asarray(obj.detach().numpy())
    return np.asarray(obj)


class TensorDataset(Dataset):
    """Rows of equally long arrays: ``ds[i] == (a[i], b[i], ...)``.

    Takes NumPy arrays or cpu tensors and keeps NumPy arrays.

    >>> import numpy as np
    >>> ds = TensorDataset(np.zeros((4, 2), np.float32), np.arange(4))
    >>> len(ds), ds[2][1]
    (4, np.int64(2))
    """

    def __init__(self, *arrays: Any) -> None:
        if not arrays:
            raise ValueError("TensorDataset: needs at least one array")
        self.arrays = tuple(_host_array(a, "TensorDataset", i) for i, a in enumerate(arrays))
        for i, a in enumerate(self.arrays):
            if a.dtype.kind not in "biuf":
                raise TypeError(
                    f"TensorDataset: array {i} has dtype {a.dtype}; datasets hold numbers "
                    "(bool, integer or floating arrays)"
                )
            if a.ndim == 0:
                raise ValueError(
                    f"TensorDataset: array {i} is 0-d (a single value); every array needs a "
                    "first dimension that indexes the samples"
                )
        lengths = [a.shape[0] for a in self.arrays]
        for i, n in enumerate(lengths):
            if n != lengths[0]:
                raise ValueError(
                    f"TensorDataset: size mismatch: array 0 has {lengths[0]} rows but array "
                    f"{i} has {n}; every array must have the same length "
                    f"(lengths {lengths})"
                )

    def __len__(self) -> int:
        return int(self.arrays[0].shape[0])

    def __getitem__(self, index: int) -> tuple[Any, ...]:
        return tuple(a[index] for a in self.arrays)

    def get_batch(self, indices: np.ndarray) -> tuple[np.ndarray, ...]:
        return tuple(a[indices] for a in self.arrays)


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in that order."""

    def __init__(self, dataset: Dataset, indices: Sequence[int] | np.ndarray) -> None:
        self.dataset = dataset
        raw = np.asarray(indices).reshape(-1)
        if raw.size and raw.dtype.kind not in "iu":
            raise TypeError(
                f"Subset: indices must be integers, got dtype {raw.dtype} (e.g. {raw[0]!r}); "
                "a float index would be silently truncated"
            )
        self.indices = raw.astype(np.int64)
        n = len(dataset)
        if self.indices.size and not (-n <= self.indices.min() and self.indices.max() < n):
            raise IndexError(
                f"Subset: indices must be in [{-n}, {n}) for a dataset of {n} samples, got "
                f"values from {self.indices.min()} to {self.indices.max()}"
            )

    def __len__(self) -> int:
        return int(self.indices.shape[0])

    def __getitem__(self, index: int) -> Any:
        return self.dataset[int(self.indices[index])]

    def get_batch(self, indices: np.ndarray) -> tuple[np.ndarray, ...]:
        return batch_of(self.dataset, self.indices[np.asarray(indices, dtype=np.int64)])


def batch_of(dataset: Any, indices: np.ndarray) -> Any:
    """The samples of ``dataset`` at ``indices`` as one batch: its ``get_batch`` when it has
    one (a nanotorch Dataset), else its items collated, so that any object with ``len()``
    and indexing (a list of samples, a ``range``, PyTorch's map-style contract) batches."""
    get_batch = getattr(dataset, "get_batch", None)
    if get_batch is not None:
        return get_batch(indices)
    from nanotorch.data.dataloader import default_collate

    return default_collate([dataset[int(i)] for i in indices])


def _split_lengths(n: int, lengths: Sequence[int | float]) -> list[int]:
    if not isinstance(lengths, (list, tuple)):
        raise TypeError(
            f"random_split: lengths must be a sequence of counts or fractions, got "
            f"{type(lengths).__name__} {lengths!r}"
        )
    for v in lengths:
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise TypeError(f"random_split: lengths must be ints or floats, got {v!r}")
    if all(isinstance(v, int) for v in lengths):
        if any(v < 0 for v in lengths):
            raise ValueError(f"random_split: lengths must be non-negative, got {list(lengths)}")
        if sum(lengths) != n:
            raise ValueError(
                f"random_split: lengths {list(lengths)} sum to {sum(lengths)} but the dataset "
                f"has {n} samples; give lengths that sum to {n} or fractions that sum to 1"
            )
        return [int(v) for v in lengths]
    if not all(0 <= f <= 1 for f in lengths):  # also refuses nan
        raise ValueError(f"random_split: fractions {list(lengths)} must be in [0, 1]")
    if not math.isclose(sum(lengths), 1.0, abs_tol=1e-6):
        raise ValueError(
            f"random_split: fractions {list(lengths)} must be non-negative and sum to 1 "
            f"(they sum to {sum(lengths):g})"
        )
    sizes = [math.floor(n * f) for f in lengths]
    # Hand the samples lost to flooring out one at a time, first split first (PyTorch's rule).
    for i in range(n - sum(sizes)):
        sizes[i % len(sizes)] += 1
    return sizes


def random_split(
    dataset: Dataset, lengths: Sequence[int | float], generator: Generator | None = None
) -> list[Subset]:
    """Split ``dataset`` into disjoint random subsets of the given lengths (or fractions).

    The permutation comes from ``generator`` (a cpu ``nanotorch.Generator``) or the default
    cpu generator, so ``manual_seed`` makes the split repeat.

    >>> import numpy as np, nanotorch
    >>> train, test = random_split(TensorDataset(np.arange(10)), [0.8, 0.2],
    ...                            generator=nanotorch.Generator().manual_seed(0))
    >>> len(train), len(test)
    (8, 2)
    """
    from nanotorch.creation import randperm

    sizes = _split_lengths(len(dataset), lengths)
    order = randperm(len(dataset), generator=generator).numpy()
    bounds = np.cumsum([0, *sizes])
    return [Subset(dataset, order[a:b]) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
