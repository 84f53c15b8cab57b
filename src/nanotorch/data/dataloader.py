"""DataLoader: the iterator that turns a dataset into device batches.

Each batch is gathered on the host (Note [Batches are built on the host] in
``data/dataset.py``) and every array of it is moved to ``device`` in one counted copy, so a
training step on an accelerator moves exactly its batch and nothing else. Host-side: may use
NumPy; must not import ``nn`` or ``optim``.

PyTorch's options map onto samplers (``data/sampler.py``): without a ``sampler`` the loader
makes a ``SequentialSampler`` or, with ``shuffle``, a ``RandomSampler``; a ``BatchSampler``
groups its indices unless the caller passes a ``batch_sampler``. An ``IterableDataset`` takes
none of these: its items are batched in the order it yields them.
"""

from __future__ import annotations

import contextvars
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from nanotorch.backend import Device
from nanotorch.backend import device as _device
from nanotorch.creation import as_tensor, randint
from nanotorch.data.dataset import IterableDataset, batch_of
from nanotorch.data.sampler import BatchSampler, RandomSampler, SequentialSampler
from nanotorch.random import Generator
from nanotorch.tensor import Tensor

# Note [In-process workers]
# PyTorch's ``num_workers`` starts processes that each hold a copy of the dataset; code
# written for it splits an IterableDataset by ``get_worker_info()`` and seeds things in
# ``worker_init_fn``. nanotorch keeps the contract and not the processes: the workers take
# turns in the calling process. Each worker is called under its ``WorkerInfo`` (a
# contextvar, so ``get_worker_info()`` is None outside), map-style batch ``b`` is built by
# worker ``b % num_workers`` and the batches of an IterableDataset come round-robin from the
# workers' own streams, as PyTorch orders them. So the batches equal PyTorch's, but nothing
# runs in parallel and the workers share one dataset object rather than copies.


@dataclass(frozen=True)
class WorkerInfo:
    """Who is running: worker ``id`` of ``num_workers``, its ``seed`` and the ``dataset``."""

    id: int
    num_workers: int
    seed: int
    dataset: Any


_worker_info: contextvars.ContextVar[WorkerInfo | None] = contextvars.ContextVar(
    "nanotorch_worker_info", default=None
)


def get_worker_info() -> WorkerInfo | None:
    """The ``WorkerInfo`` of the DataLoader worker running this code, None outside workers.

    >>> get_worker_info() is None
    True
    """
    return _worker_info.get()


def _in_worker(info: WorkerInfo | None, fn: Callable[[], Any]) -> Any:
    if info is None:
        return fn()
    token = _worker_info.set(info)
    try:
        return fn()
    finally:
        _worker_info.reset(token)


def _stack(values: list[Any]) -> np.ndarray:
    out = np.stack([np.asarray(v) for v in values])
    # Python floats arrive as float64; the framework's default float is float32.
    if out.dtype == np.float64 and not isinstance(values[0], np.ndarray | np.generic):
        out = out.astype(np.float32)
    return out


def default_collate(samples: Sequence[Any]) -> tuple[np.ndarray, ...] | dict[Any, np.ndarray]:
    """Stack a list of samples (tuples of fields, or dicts) into one host array per field.

    >>> xb, yb = default_collate([(0.5, 1), (1.5, 2)])
    >>> xb.dtype, yb.tolist()
    (dtype('float32'), [1, 2])
    """
    first = samples[0]
    if isinstance(first, Mapping):
        return {k: _stack([s[k] for s in samples]) for k in first}
    if isinstance(first, tuple | list):
        return tuple(_stack([s[k] for s in samples]) for k in range(len(first)))
    return (_stack(list(samples)),)


def default_convert(data: Any) -> Any:
    """Turn NumPy arrays and scalars in ``data`` into cpu tensors, keeping its structure.

    Dicts, lists and named tuples keep their type; a plain tuple becomes a list and arrays of
    strings or objects stay as they are, as in PyTorch.

    >>> import numpy as np
    >>> default_convert({"x": np.arange(2), "name": "a"})["x"].tolist()
    [0, 1]
    """
    if isinstance(data, np.ndarray | np.generic):
        return data if data.dtype.kind in "OSUV" else as_tensor(np.asarray(data))
    if isinstance(data, Mapping):
        return type(data)({k: default_convert(v) for k, v in data.items()})  # type: ignore[call-arg]
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(v) for v in data))
    if isinstance(data, tuple | list):
        return [default_convert(v) for v in data]
    return data


_START_METHODS = ("fork", "spawn", "forkserver")


def _check_worker_options(
    num_workers: int,
    timeout: Any,
    context: Any,
    prefetch_factor: Any,
    persistent_workers: bool,
) -> int | None:
    """PyTorch's checks of the options that concern worker processes, with its messages;
    returns the prefetch factor (PyTorch's default of 2 when there are workers)."""
    if isinstance(timeout, bool) or not isinstance(timeout, int | float):
        raise TypeError(f"DataLoader: timeout must be a number of seconds, got {timeout!r}")
    if timeout < 0:
        raise ValueError("DataLoader: timeout option should be non-negative")
    if num_workers == 0:
        if prefetch_factor is not None:
            raise ValueError(
                "DataLoader: prefetch_factor option could only be specified in "
                "multiprocessing.let num_workers > 0 to enable multiprocessing, otherwise set "
                "prefetch_factor to None."
            )
        if persistent_workers:
            raise ValueError("DataLoader: persistent_workers option needs num_workers > 0")
        if context is not None:
            raise ValueError(
                "DataLoader: multiprocessing_context can only be used with multi-process "
                "loading (num_workers > 0), but got num_workers=0"
            )
        if timeout > 0:
            raise ValueError(
                f"DataLoader: timeout={timeout} needs num_workers > 0: without workers "
                "nothing is waited for (PyTorch fails at the first batch)"
            )
        return None
    if isinstance(context, str) and context not in _START_METHODS:
        raise ValueError(
            "DataLoader: multiprocessing_context option should specify a valid start method "
            f"in {list(_START_METHODS)}, but got multiprocessing_context={context!r}"
        )
    if prefetch_factor is None:
        return 2
    if isinstance(prefetch_factor, bool) or not isinstance(prefetch_factor, int):
        raise TypeError(
            f"DataLoader: prefetch_factor must be an int (batches loaded ahead per worker), "
            f"got {type(prefetch_factor).__name__} {prefetch_factor!r}"
        )
    if prefetch_factor < 0:
        raise ValueError("DataLoader: prefetch_factor option should be non-negative")
    if prefetch_factor == 0:
        raise ValueError(
            "DataLoader: prefetch_factor must be >= 1, got 0 (each worker loads at least the "
            "batch it is working on)"
        )
    return prefetch_factor


def _accelerator_available() -> bool:
    from nanotorch import cuda

    return cuda.is_available()


def _round_robin(streams: list[Iterator[Any]]) -> Iterator[Any]:
    """One item from each worker's stream in turn, as PyTorch orders an IterableDataset's
    batches across workers; an exhausted worker drops out."""
    while streams:
        for stream in list(streams):
            try:
                yield next(stream)
            except StopIteration:
                streams.remove(stream)


class DataLoader:
    """Iterate over ``dataset`` in batches of tensors on ``device``.

    Args:
        batch_size: samples per batch (the last one may be shorter unless ``drop_last``);
            None turns batching off, as in PyTorch: each sample comes as it is, through
            ``collate_fn`` (default ``default_convert``: arrays become tensors).
        shuffle: draw a new order each epoch from ``generator`` (a cpu
            ``nanotorch.Generator``) or the default cpu generator, so ``manual_seed`` repeats it.
        sampler: an iterable of dataset indices that fixes the order (e.g.
            ``DistributedSampler``, one rank's share, or ``RandomSampler``); excludes
            ``shuffle``.
        batch_sampler: an iterable of index lists, one per batch; excludes ``batch_size``,
            ``shuffle``, ``sampler`` and ``drop_last``.
        device: where the batches go (default cpu); each tensor is one counted copy.
        collate_fn: builds a batch of host arrays from a list of samples; by default the
            dataset's ``get_batch`` gathers the rows directly.
        num_workers, worker_init_fn: PyTorch's worker contract, run in this process (Note
            [In-process workers]); ``worker_init_fn(worker_id)`` runs once per worker per
            epoch, or once for the loader's life with ``persistent_workers=True``.
        pin_memory, pin_memory_device, timeout, multiprocessing_context, prefetch_factor,
            in_order: taken and checked as PyTorch does, so code written for it runs; with
            the workers in this process they change no batch. ``pin_memory=True`` pins
            nothing (the loader's own ``device`` copy does the transfer) and warns, as
            PyTorch, when no accelerator is available.

    The parameters are PyTorch's, in its order; ``device`` is nanotorch's own.

    A batch is a tuple of tensors, or a dict of them when the samples are dicts.

    >>> import numpy as np
    >>> from nanotorch.data import TensorDataset
    >>> loader = DataLoader(TensorDataset(np.arange(5.0, dtype=np.float32)), batch_size=2)
    >>> [b[0].tolist() for b in loader]
    [[0.0, 1.0], [2.0, 3.0], [4.0]]
    """

    def __init__(
        self,
        dataset: Any,
        batch_size: int | None = 1,
        shuffle: bool | None = None,
        sampler: Iterable[int] | None = None,
        batch_sampler: Iterable[Sequence[int]] | None = None,
        num_workers: int = 0,
        collate_fn: Callable[[list[Any]], Any] | None = None,
        pin_memory: bool = False,
        drop_last: bool = False,
        timeout: float = 0,
        worker_init_fn: Callable[[int], None] | None = None,
        multiprocessing_context: Any = None,
        generator: Generator | None = None,
        *,
        prefetch_factor: int | None = None,
        persistent_workers: bool = False,
        pin_memory_device: str = "",
        in_order: bool = True,
        device: str | Device | None = None,
    ) -> None:
        iterable = isinstance(dataset, IterableDataset)
        if not iterable and (
            not hasattr(dataset, "__len__") or not hasattr(dataset, "__getitem__")
        ):
            raise TypeError(
                f"DataLoader: dataset must support len() and indexing (a Dataset) or be an "
                f"IterableDataset, got {type(dataset).__name__}; wrap arrays in "
                "TensorDataset(x, y)"
            )
        if isinstance(num_workers, bool) or not isinstance(num_workers, int) or num_workers < 0:
            raise ValueError(
                f"DataLoader: num_workers option should be non-negative; use num_workers=0 to "
                f"disable workers (got {num_workers!r})"
            )
        if worker_init_fn is not None and not callable(worker_init_fn):
            raise TypeError(
                f"DataLoader: worker_init_fn must be callable (worker_id -> None), got "
                f"{type(worker_init_fn).__name__}"
            )
        if batch_size is None:
            if drop_last:
                raise ValueError(
                    "DataLoader: batch_size=None option disables auto-batching and is "
                    "mutually exclusive with drop_last"
                )
        elif isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size <= 0:
            raise ValueError(
                f"DataLoader: batch_size must be a positive int or None (no batching), got "
                f"{batch_size!r}"
            )
        if collate_fn is not None and not callable(collate_fn):
            raise TypeError(
                f"DataLoader: collate_fn must be callable (a list of samples -> batch arrays), "
                f"got {type(collate_fn).__name__} {collate_fn!r}"
            )
        if shuffle is not None and not isinstance(shuffle, bool):
            raise TypeError(
                f"DataLoader: shuffle must be a bool or None, got {type(shuffle).__name__} "
                f"{shuffle!r}"
            )
        shuffle = bool(shuffle)  # None, PyTorch's default, is False
        for name, flag in (
            ("drop_last", drop_last),
            ("pin_memory", pin_memory),
            ("persistent_workers", persistent_workers),
            ("in_order", in_order),
        ):
            if not isinstance(flag, bool):
                raise TypeError(
                    f"DataLoader: {name} must be a bool, got {type(flag).__name__} {flag!r}"
                )
        prefetch_factor = _check_worker_options(
            num_workers, timeout, multiprocessing_context, prefetch_factor, persistent_workers
        )
        if not isinstance(pin_memory_device, str):
            raise TypeError(
                f"DataLoader: pin_memory_device must be a str, got "
                f"{type(pin_memory_device).__name__}"
            )
        if generator is not None and generator.device.type != "cpu":
            raise ValueError(
                f"DataLoader: the shuffle generator must be a cpu Generator (the order is "
                f"drawn on the host), got one on {generator.device}; use nanotorch.Generator()"
            )
        if iterable:
            for name, given in (
                ("shuffle", shuffle),
                ("sampler", sampler is not None),
                ("batch_sampler", batch_sampler is not None),
            ):
                if given:
                    raise ValueError(
                        f"DataLoader: DataLoader with IterableDataset: expected unspecified "
                        f"{name} option; the dataset's own iterator decides the order"
                    )
        if sampler is not None and shuffle:
            raise ValueError(
                "DataLoader: sampler option is mutually exclusive with shuffle; the sampler "
                "decides the order (DistributedSampler(shuffle=True) shuffles)"
            )
        if batch_sampler is not None and (
            batch_size != 1 or shuffle or sampler is not None or drop_last
        ):
            raise ValueError(
                "DataLoader: batch_sampler option is mutually exclusive with batch_size, "
                "shuffle, sampler, and drop_last; the batch_sampler decides each batch "
                f"(got batch_size={batch_size}, shuffle={shuffle}, "
                f"sampler={type(sampler).__name__}, drop_last={drop_last})"
            )
        self.dataset = dataset
        self._iterable = iterable
        if sampler is None and not iterable:
            sampler = (
                RandomSampler(dataset, generator=generator)
                if shuffle
                else SequentialSampler(dataset)
            )
        self.sampler = sampler
        self._auto_batches = batch_sampler is None
        if batch_sampler is None and not iterable:
            if batch_size is not None:
                batch_sampler = BatchSampler(sampler, batch_size, drop_last)  # type: ignore[arg-type]
        self.batch_sampler = batch_sampler
        self.num_workers = num_workers
        self.worker_init_fn = worker_init_fn
        self.pin_memory = pin_memory
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.multiprocessing_context = multiprocessing_context
        self.prefetch_factor = prefetch_factor
        self.persistent_workers = persistent_workers
        self.in_order = in_order
        self._kept_workers: list[WorkerInfo | None] | None = None
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.generator = generator
        self.drop_last = drop_last
        self.device = _device(device if device is not None else "cpu")
        self.collate_fn = collate_fn

    def __len__(self) -> int:
        if not self._auto_batches:
            return len(self.batch_sampler)  # type: ignore[arg-type]
        source: Any = self.dataset if self._iterable else self.sampler
        n = len(source)
        if self.batch_size is None:
            return n
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def _host_batch(self, indices: np.ndarray) -> Any:
        if self.collate_fn is None:
            return batch_of(self.dataset, indices)
        return self.collate_fn([self.dataset[int(i)] for i in indices])

    def _collate(self, samples: list[Any]) -> Any:
        return (self.collate_fn or default_collate)(samples)

    def _to_device(self, host: Any) -> Any:
        # as_tensor: no copy on cpu, one counted host->device copy elsewhere.
        if isinstance(host, Mapping):
            return {k: as_tensor(a, device=self.device) for k, a in host.items()}
        return tuple(as_tensor(a, device=self.device) for a in host)

    def _workers(self) -> list[WorkerInfo | None]:
        if self.num_workers == 0:
            return [None]
        if self._kept_workers is not None:  # persistent_workers: set up once, kept
            return self._kept_workers
        base = int(randint(0, 2**62, (), generator=self.generator, device="cpu").item())
        infos: list[WorkerInfo | None] = []
        for i in range(self.num_workers):
            info = WorkerInfo(i, self.num_workers, base + i, self.dataset)
            if self.worker_init_fn is not None:
                _in_worker(info, lambda i=i: self.worker_init_fn(i))  # type: ignore[misc]
            infos.append(info)
        if self.persistent_workers:
            self._kept_workers = infos
        return infos

    def _index_batches(self) -> Iterator[np.ndarray]:
        if not self._auto_batches:
            for batch in self.batch_sampler:  # type: ignore[union-attr]
                yield np.asarray(batch, dtype=np.int64).reshape(-1)
            return
        # The automatic BatchSampler's batches, sliced from one index array (cheaper).
        order = np.fromiter(iter(self.sampler), dtype=np.int64)  # type: ignore[arg-type]
        for b in range(len(self)):
            yield order[b * self.batch_size : (b + 1) * self.batch_size]

    # batch_size=None: PyTorch's loader without automatic batching. Each sample goes through
    # collate_fn (default_convert by default: arrays and NumPy scalars become tensors, the
    # structure stays) and its tensors to ``device``; the workers take turns as for batches.
    def _samples(self, workers: list[WorkerInfo | None]) -> Iterator[Any]:
        convert = self.collate_fn or default_convert
        if not self._iterable:
            for k, index in enumerate(self.sampler):  # type: ignore[arg-type]
                info = workers[k % len(workers)]
                yield self._placed(_in_worker(info, lambda i=index: convert(self.dataset[i])))
            return
        streams = [self._stream_samples(info, convert) for info in workers]
        yield from map(self._placed, _round_robin(streams))

    def _stream_samples(self, info: WorkerInfo | None, convert: Callable) -> Iterator[Any]:
        items = _in_worker(info, lambda: iter(self.dataset))
        while True:
            try:
                item = _in_worker(info, lambda: next(items))
            except StopIteration:
                return
            yield _in_worker(info, lambda item=item: convert(item))

    def _placed(self, data: Any) -> Any:
        """``data`` with every tensor in it moved to ``device`` (one counted copy each)."""
        if self.device.type == "cpu":
            return data
        if isinstance(data, Tensor):
            return data.to(self.device)
        if isinstance(data, Mapping):
            return type(data)({k: self._placed(v) for k, v in data.items()})  # type: ignore[call-arg]
        if isinstance(data, tuple) and hasattr(data, "_fields"):
            return type(data)(*(self._placed(v) for v in data))
        if isinstance(data, tuple | list):
            return type(data)(self._placed(v) for v in data)
        return data

    def _stream_batches(self, info: WorkerInfo | None) -> Iterator[Any]:
        items = _in_worker(info, lambda: iter(self.dataset))
        while True:
            chunk: list[Any] = []
            for _ in range(self.batch_size):
                try:
                    chunk.append(_in_worker(info, lambda: next(items)))
                except StopIteration:
                    break
            if not chunk or (self.drop_last and len(chunk) < self.batch_size):
                return
            yield _in_worker(info, lambda chunk=chunk: self._collate(chunk))

    def __iter__(self) -> Iterator[Any]:
        if self.pin_memory and not _accelerator_available():
            warnings.warn(
                "DataLoader: pin_memory=True but no accelerator is available, so no memory "
                "is pinned; the batches are as without it (pass pin_memory=False to silence "
                "this)",
                UserWarning,
                stacklevel=2,
            )
        workers = self._workers()
        if self.batch_size is None and self._auto_batches:
            yield from self._samples(workers)
            return
        if not self._iterable:
            for b, indices in enumerate(self._index_batches()):
                info = workers[b % len(workers)]
                yield self._to_device(_in_worker(info, lambda i=indices: self._host_batch(i)))
            return
        streams = [self._stream_batches(info) for info in workers]
        yield from map(self._to_device, _round_robin(streams))
