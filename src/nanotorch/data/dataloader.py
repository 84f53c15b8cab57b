"""DataLoader: the iterator that turns a dataset into device batches.

Each batch is gathered on the host (Note [Batches are built on the host] in
``data/dataset.py``) and every array of it is moved to ``device`` in one counted copy, so a
training step on an accelerator moves exactly its batch and nothing else. Host-side: may use
NumPy; must not import ``nn`` or ``optim``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import numpy as np

from nanotorch.backend import Device
from nanotorch.backend import device as _device
from nanotorch.creation import as_tensor, randperm
from nanotorch.random import Generator, default_generator
from nanotorch.tensor import Tensor


def _stack(values: list[Any]) -> np.ndarray:
    out = np.stack([np.asarray(v) for v in values])
    # Python floats arrive as float64; the framework's default float is float32.
    if out.dtype == np.float64 and not isinstance(values[0], np.ndarray | np.generic):
        out = out.astype(np.float32)
    return out


def default_collate(samples: Sequence[Any]) -> tuple[np.ndarray, ...]:
    """Stack a list of samples (tuples of fields) into one host array per field.

    >>> xb, yb = default_collate([(0.5, 1), (1.5, 2)])
    >>> xb.dtype, yb.tolist()
    (dtype('float32'), [1, 2])
    """
    first = samples[0]
    if isinstance(first, tuple | list):
        return tuple(_stack([s[k] for s in samples]) for k in range(len(first)))
    return (_stack(list(samples)),)


class DataLoader:
    """Iterate over ``dataset`` in batches of tensors on ``device``.

    Args:
        batch_size: samples per batch (the last one may be shorter unless ``drop_last``).
        shuffle: draw a new order each epoch from ``generator`` (a cpu
            ``nanotorch.Generator``) or the default cpu generator, so ``manual_seed`` repeats it.
        sampler: an iterable of dataset indices that fixes the order (e.g.
            ``DistributedSampler``, one rank's share); excludes ``shuffle``.
        device: where the batches go (default cpu); each tensor is one counted copy.
        collate_fn: builds a batch of host arrays from a list of samples; by default the
            dataset's ``get_batch`` gathers the rows directly.

    >>> import numpy as np
    >>> from nanotorch.data import TensorDataset
    >>> loader = DataLoader(TensorDataset(np.arange(5.0, dtype=np.float32)), batch_size=2)
    >>> [b[0].tolist() for b in loader]
    [[0.0, 1.0], [2.0, 3.0], [4.0]]
    """

    def __init__(
        self,
        dataset: Any,
        batch_size: int = 1,
        shuffle: bool = False,
        *,
        generator: Generator | None = None,
        drop_last: bool = False,
        sampler: Iterable[int] | None = None,
        device: str | Device | None = None,
        collate_fn: Callable[[list[Any]], Sequence[np.ndarray]] | None = None,
    ) -> None:
        if not hasattr(dataset, "__len__") or not hasattr(dataset, "__getitem__"):
            raise TypeError(
                f"DataLoader: dataset must support len() and indexing (a Dataset), got "
                f"{type(dataset).__name__}; wrap arrays in TensorDataset(x, y)"
            )
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size <= 0:
            raise ValueError(f"DataLoader: batch_size must be a positive int, got {batch_size!r}")
        if collate_fn is not None and not callable(collate_fn):
            raise TypeError(
                f"DataLoader: collate_fn must be callable (a list of samples -> batch arrays), "
                f"got {type(collate_fn).__name__} {collate_fn!r}"
            )
        for name, flag in (("shuffle", shuffle), ("drop_last", drop_last)):
            if not isinstance(flag, bool):
                raise TypeError(
                    f"DataLoader: {name} must be a bool, got {type(flag).__name__} {flag!r}"
                )
        if generator is not None and generator.device.type != "cpu":
            raise ValueError(
                f"DataLoader: the shuffle generator must be a cpu Generator (the order is "
                f"drawn on the host), got one on {generator.device}; use nanotorch.Generator()"
            )
        if sampler is not None and shuffle:
            raise ValueError(
                "DataLoader: sampler option is mutually exclusive with shuffle; the sampler "
                "decides the order (DistributedSampler(shuffle=True) shuffles)"
            )
        self.dataset = dataset
        self.sampler = sampler
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.generator = generator
        self.drop_last = drop_last
        self.device = _device(device if device is not None else "cpu")
        self.collate_fn = collate_fn

    def __len__(self) -> int:
        source: Any = self.sampler if self.sampler is not None else self.dataset
        n = len(source)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def _order(self) -> np.ndarray:
        if self.sampler is not None:
            return np.fromiter(iter(self.sampler), dtype=np.int64)
        n = len(self.dataset)
        if not self.shuffle:
            return np.arange(n, dtype=np.int64)
        gen = self.generator if self.generator is not None else default_generator("cpu")
        return randperm(n, generator=gen).numpy()

    def _host_batch(self, indices: np.ndarray) -> Sequence[np.ndarray]:
        if self.collate_fn is None:
            return self.dataset.get_batch(indices)
        return self.collate_fn([self.dataset[int(i)] for i in indices])

    def __iter__(self) -> Iterator[tuple[Tensor, ...]]:
        order = self._order()
        for b in range(len(self)):
            indices = order[b * self.batch_size : (b + 1) * self.batch_size]
            # as_tensor: no copy on cpu, one counted host->device copy elsewhere.
            yield tuple(as_tensor(a, device=self.device) for a in self._host_batch(indices))
