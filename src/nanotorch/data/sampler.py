"""Samplers: which dataset indices a DataLoader visits, and in what order.

A sampler is an iterable of indices with a length (PyTorch's ``Sampler`` protocol). The
DataLoader groups them into batches with a ``BatchSampler`` (or takes a user's
``batch_sampler`` that yields whole lists of indices). Random samplers draw from a cpu
``nanotorch.Generator`` (their ``generator=`` or the default cpu generator), so
``nanotorch.manual_seed`` repeats an order; the orders are nanotorch's own, not PyTorch's.

``DistributedSampler`` gives each rank of data-parallel training its share of a dataset's
indices (discovery/data-parallel.md): rank ``r`` of ``n`` takes ``r, r + n, r + 2n, ...`` of one
order that all ranks agree on (the same ``seed + epoch`` shuffles the same way everywhere), so
the ranks' batches together form the global batch and no sample is seen twice in an epoch.
PyTorch's padding rule: unless ``drop_last``, the order is padded with its own first indices
until it divides evenly, so every rank takes the same number of steps (a rank with one step
fewer would leave the others waiting in a collective). With ``drop_last`` the tail is cut.

Host-side like the rest of ``nanotorch.data``; it asks ``nanotorch.distributed`` for the
rank and world size only when they are not given.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence, Sized
from typing import Any

from nanotorch.creation import multinomial, randint, randperm, tensor
from nanotorch.dtypes import float64
from nanotorch.random import Generator


class Sampler:
    """Base class of samplers: subclasses implement ``__iter__`` (and usually ``__len__``).

    ``data_source`` is accepted and ignored, as PyTorch still accepts it.
    """

    def __init__(self, data_source: Sized | None = None) -> None:
        pass

    def __iter__(self) -> Iterator[Any]:
        raise NotImplementedError(f"{type(self).__name__} must implement __iter__")


class SequentialSampler(Sampler):
    """Indices ``0 .. len(data_source) - 1`` in order.

    >>> list(SequentialSampler(range(3)))
    [0, 1, 2]
    """

    def __init__(self, data_source: Sized) -> None:
        self.data_source = data_source

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


def _positive_int(owner: str, name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(
            f"{owner}: {name} should be a positive integer value, but got {name}={value!r}"
        )


class RandomSampler(Sampler):
    """Indices of ``data_source`` in random order.

    Without ``replacement`` each pass is a permutation; ``num_samples`` larger than the data
    takes whole permutations and then part of one (PyTorch's rule). With ``replacement``,
    ``num_samples`` (default ``len(data_source)``) independent uniform draws. Each iteration
    draws anew from ``generator`` or the default cpu generator.

    >>> import nanotorch
    >>> sorted(RandomSampler(range(4), generator=nanotorch.Generator().manual_seed(0)))
    [0, 1, 2, 3]
    """

    def __init__(
        self,
        data_source: Sized,
        replacement: bool = False,
        num_samples: int | None = None,
        generator: Generator | None = None,
    ) -> None:
        if not isinstance(replacement, bool):
            raise TypeError(
                f"RandomSampler: replacement should be a boolean value, but got "
                f"replacement={replacement!r}"
            )
        if num_samples is not None:
            _positive_int("RandomSampler", "num_samples", num_samples)
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator

    @property
    def num_samples(self) -> int:
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self) -> Iterator[int]:
        n, k = len(self.data_source), self.num_samples
        if self.replacement:
            drawn = randint(0, n, (k,), generator=self.generator).tolist()
            return iter(int(i) for i in drawn)
        out: list[int] = []
        while len(out) < k:
            out += [int(i) for i in randperm(n, generator=self.generator).tolist()]
        return iter(out[:k])

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given ``indices`` in random order (a new permutation each iteration).

    >>> sorted(SubsetRandomSampler([7, 3, 5]))
    [3, 5, 7]
    """

    def __init__(self, indices: Sequence[int], generator: Generator | None = None) -> None:
        self.indices = indices
        self.generator = generator

    def __iter__(self) -> Iterator[int]:
        order = randperm(len(self.indices), generator=self.generator).tolist()
        return iter(self.indices[int(i)] for i in order)

    def __len__(self) -> int:
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """``num_samples`` indices drawn with probability proportional to ``weights``.

    The weights need not sum to 1. Without ``replacement`` an index appears at most once, so
    ``num_samples`` may not exceed the number of weights (a RuntimeError when iterated, as in
    PyTorch).

    >>> import nanotorch
    >>> g = nanotorch.Generator().manual_seed(0)
    >>> set(WeightedRandomSampler([0.0, 1.0, 0.0], 3, generator=g))
    {1}
    """

    def __init__(
        self,
        weights: Sequence[float] | Any,
        num_samples: int,
        replacement: bool = True,
        generator: Generator | None = None,
    ) -> None:
        _positive_int("WeightedRandomSampler", "num_samples", num_samples)
        if not isinstance(replacement, bool):
            raise ValueError(
                f"WeightedRandomSampler: replacement should be a boolean value, but got "
                f"replacement={replacement!r}"
            )
        w = weights.detach().cpu().double() if hasattr(weights, "detach") else None
        w = tensor(weights, dtype=float64) if w is None else w
        if w.ndim != 1:
            raise ValueError(
                f"WeightedRandomSampler: weights should be a 1d sequence but given weights "
                f"have shape {tuple(w.shape)}"
            )
        self.weights = w
        self.num_samples = num_samples
        self.replacement = replacement
        self.generator = generator

    def __iter__(self) -> Iterator[int]:
        n = self.weights.shape[0]
        if not self.replacement and self.num_samples > n:
            raise RuntimeError(
                f"WeightedRandomSampler: cannot draw {self.num_samples} samples without "
                f"replacement from {n} weights; use replacement=True or num_samples <= {n}"
            )
        drawn = multinomial(
            self.weights, self.num_samples, self.replacement, generator=self.generator
        )
        return iter(int(i) for i in drawn.tolist())

    def __len__(self) -> int:
        return self.num_samples


class BatchSampler(Sampler):
    """Group the indices of ``sampler`` into lists of ``batch_size``.

    The last list may be shorter unless ``drop_last``.

    >>> list(BatchSampler(SequentialSampler(range(5)), batch_size=2, drop_last=False))
    [[0, 1], [2, 3], [4]]
    """

    def __init__(self, sampler: Iterable[int], batch_size: int, drop_last: bool) -> None:
        _positive_int("BatchSampler", "batch_size", batch_size)
        if not isinstance(drop_last, bool):
            raise ValueError(
                f"BatchSampler: drop_last should be a boolean value, but got "
                f"drop_last={drop_last!r}"
            )
        self.sampler = sampler
        self.batch_size = batch_size
        self.drop_last = drop_last

    def __iter__(self) -> Iterator[list[int]]:
        batch: list[int] = []
        for index in self.sampler:
            batch.append(index)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self) -> int:
        n = len(self.sampler)  # type: ignore[arg-type]
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)


class DistributedSampler(Sampler):
    """Yield rank ``rank``'s indices of ``dataset`` out of ``num_replicas`` ranks.

    Call ``set_epoch(epoch)`` before each epoch so ``shuffle`` draws a new order.

    >>> list(DistributedSampler(range(5), num_replicas=2, rank=1, shuffle=False))
    [1, 3, 0]
    """

    def __init__(
        self,
        dataset: Sized,
        num_replicas: int | None = None,
        rank: int | None = None,
        shuffle: bool = True,
        seed: int = 0,
        drop_last: bool = False,
    ) -> None:
        if num_replicas is None or rank is None:
            import nanotorch.distributed as dist

            if not dist.is_initialized():
                raise RuntimeError(
                    "DistributedSampler: num_replicas and rank default to the process group's, "
                    "but init_process_group has not been called; call it first or pass "
                    "num_replicas= and rank="
                )
            num_replicas = dist.get_world_size() if num_replicas is None else num_replicas
            rank = dist.get_rank() if rank is None else rank
        if num_replicas < 1:
            raise ValueError(f"DistributedSampler: num_replicas must be >= 1, got {num_replicas}")
        if not 0 <= rank < num_replicas:
            raise ValueError(
                f"DistributedSampler: invalid rank {rank}; rank should be in the interval "
                f"[0, {num_replicas - 1}]"
            )
        self.dataset = dataset
        self.num_replicas = num_replicas
        self.rank = rank
        self.shuffle = shuffle
        self.seed = seed
        self.drop_last = drop_last
        self.epoch = 0
        n = len(dataset)
        if drop_last and n % num_replicas != 0:
            self.num_samples = math.ceil((n - num_replicas) / num_replicas)
        else:
            self.num_samples = math.ceil(n / num_replicas)
        self.total_size = self.num_samples * num_replicas

    def __iter__(self) -> Iterator[int]:
        n = len(self.dataset)
        if self.shuffle:
            g = Generator()
            g.manual_seed(self.seed + self.epoch)
            indices = [int(i) for i in randperm(n, generator=g).tolist()]
        else:
            indices = list(range(n))
        if not self.drop_last:
            pad = self.total_size - len(indices)
            if pad <= len(indices):
                indices += indices[:pad]
            else:
                indices += (indices * math.ceil(pad / len(indices)))[:pad]
        else:
            indices = indices[: self.total_size]
        return iter(indices[self.rank : self.total_size : self.num_replicas])

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch
