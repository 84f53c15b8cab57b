"""Samplers, iterable/concatenated datasets and ``nanotorch.utils.data`` (PyTorch's API).

Orders need not match PyTorch's for one seed (nanotorch draws from its own generators), but
lengths, index sets, batching and the errors for bad arguments do.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterator

import numpy as np
import pytest

import nanotorch
from nanotorch.data import DataLoader, TensorDataset
from nanotorch.utils import data as ud


def _ds(n: int = 10) -> TensorDataset:
    return TensorDataset(np.arange(n, dtype=np.int64))


def _labels(loader: DataLoader) -> list[list[int]]:
    return [b[0].tolist() for b in loader]


def test_utils_data_reexports_the_data_package():
    import nanotorch.data as nd

    for name in (
        "DataLoader",
        "Dataset",
        "TensorDataset",
        "Subset",
        "random_split",
        "default_collate",
        "DistributedSampler",
    ):
        assert getattr(ud, name) is getattr(nd, name)
    names = (
        "Sampler",
        "SequentialSampler",
        "RandomSampler",
        "SubsetRandomSampler",
        "WeightedRandomSampler",
        "BatchSampler",
        "IterableDataset",
        "ChainDataset",
        "ConcatDataset",
        "StackDataset",
        "get_worker_info",
        "default_convert",
    )
    for name in names:
        assert getattr(ud, name) is getattr(nd, name)
    torch_data = pytest.importorskip("torch").utils.data
    for name in names:
        assert hasattr(torch_data, name)
    assert isinstance(ud.DistributedSampler(range(4), 2, 0), ud.Sampler)


def test_sequential_sampler_yields_every_index_in_order():
    s = ud.SequentialSampler(range(5))
    assert list(s) == [0, 1, 2, 3, 4] and len(s) == 5


def test_random_sampler_is_a_permutation_repeatable_by_generator():
    def draw(seed: int) -> list[int]:
        return list(ud.RandomSampler(range(20), generator=nanotorch.Generator().manual_seed(seed)))

    assert sorted(draw(0)) == list(range(20))
    assert draw(0) == draw(0) and draw(0) != draw(1)
    nanotorch.manual_seed(3)
    a = list(ud.RandomSampler(range(20)))
    nanotorch.manual_seed(3)
    assert list(ud.RandomSampler(range(20))) == a


def test_random_sampler_num_samples_and_replacement():
    g = nanotorch.Generator().manual_seed(0)
    # Without replacement and more samples than data: whole permutations, then part of one.
    s = ud.RandomSampler(range(4), num_samples=10, generator=g)
    out = list(s)
    assert len(s) == 10 and len(out) == 10
    assert sorted(out[:4]) == [0, 1, 2, 3] and sorted(out[4:8]) == [0, 1, 2, 3]
    assert len(set(out[8:])) == 2
    r = ud.RandomSampler(range(3), replacement=True, num_samples=300, generator=g)
    drawn = list(r)
    assert len(r) == 300 and len(drawn) == 300 and set(drawn) == {0, 1, 2}
    assert len(ud.RandomSampler(range(7), replacement=True)) == 7


def test_random_sampler_refuses_bad_arguments_like_pytorch():
    torch = pytest.importorskip("torch")
    cases = [
        ({"replacement": 1}, TypeError, r"replacement should be a boolean.*1"),
        ({"num_samples": 0}, ValueError, r"num_samples should be a positive integer.*0"),
        ({"num_samples": 2.5}, ValueError, r"num_samples.*2\.5"),
    ]
    for kwargs, cls, pattern in cases:
        with pytest.raises(cls):
            torch.utils.data.RandomSampler(range(3), **kwargs)
        with pytest.raises(cls, match=r"RandomSampler: " + pattern):
            ud.RandomSampler(range(3), **kwargs)


def test_subset_random_sampler_permutes_the_given_indices():
    g = nanotorch.Generator().manual_seed(1)
    s = ud.SubsetRandomSampler([5, 7, 9, 11], generator=g)
    assert len(s) == 4 and sorted(s) == [5, 7, 9, 11]


def test_weighted_random_sampler_follows_the_weights():
    g = nanotorch.Generator().manual_seed(0)
    s = ud.WeightedRandomSampler([0.0, 1.0, 3.0], num_samples=4000, generator=g)
    counts = Counter(s)
    assert len(s) == 4000 and counts[0] == 0
    assert 2.5 < counts[2] / counts[1] < 3.5
    no_rep = list(ud.WeightedRandomSampler([1, 1, 1, 1, 1.0], 5, replacement=False, generator=g))
    assert sorted(no_rep) == [0, 1, 2, 3, 4]
    assert all(isinstance(i, int) for i in no_rep)


def test_weighted_random_sampler_refuses_bad_arguments_like_pytorch():
    torch = pytest.importorskip("torch")
    cases = [
        (([1.0, 2.0], 0), {}, ValueError, r"num_samples should be a positive integer.*0"),
        (([1.0, 2.0], 2), {"replacement": 1}, ValueError, r"replacement should be a bool"),
        (([[1.0, 2.0]], 2), {}, ValueError, r"weights should be a 1d sequence.*\(1, 2\)"),
    ]
    for args, kwargs, cls, pattern in cases:
        with pytest.raises(cls):
            torch.utils.data.WeightedRandomSampler(*args, **kwargs)
        with pytest.raises(cls, match=r"WeightedRandomSampler: " + pattern):
            ud.WeightedRandomSampler(*args, **kwargs)
    with pytest.raises(RuntimeError):
        list(torch.utils.data.WeightedRandomSampler([1.0, 2.0], 3, replacement=False))
    with pytest.raises(RuntimeError, match=r"WeightedRandomSampler: .*3 samples.*2 weights"):
        list(ud.WeightedRandomSampler([1.0, 2.0], 3, replacement=False))


@pytest.mark.parametrize("drop_last", [False, True])
def test_batch_sampler_groups_indices_like_pytorch(drop_last):
    torch = pytest.importorskip("torch")
    ours = ud.BatchSampler(ud.SequentialSampler(range(10)), 3, drop_last)
    theirs = torch.utils.data.BatchSampler(
        torch.utils.data.SequentialSampler(range(10)), 3, drop_last
    )
    assert list(ours) == list(theirs)
    assert len(ours) == len(theirs)
    assert list(ud.BatchSampler([4, 2, 0], 2, False)) == [[4, 2], [0]]


def test_batch_sampler_refuses_bad_arguments_like_pytorch():
    torch = pytest.importorskip("torch")
    for bs, dl, pattern in [
        (0, False, r"batch_size should be a positive integer.*0"),
        (True, False, r"batch_size.*True"),
        (2, 1, r"drop_last should be a boolean.*1"),
    ]:
        with pytest.raises(ValueError):
            torch.utils.data.BatchSampler(range(4), bs, dl)
        with pytest.raises(ValueError, match=r"BatchSampler: " + pattern):
            ud.BatchSampler(range(4), bs, dl)


def test_dataloader_takes_the_new_samplers():
    g = nanotorch.Generator().manual_seed(0)
    loader = DataLoader(_ds(10), batch_size=4, sampler=ud.RandomSampler(range(10), generator=g))
    got = _labels(loader)
    assert len(loader) == 3 and [len(b) for b in got] == [4, 4, 2]
    assert sorted(sum(got, [])) == list(range(10))
    # A batch_sampler decides every batch, including its size.
    bs = ud.BatchSampler(ud.SequentialSampler(range(10)), 4, drop_last=True)
    loader = DataLoader(_ds(10), batch_sampler=bs)
    assert len(loader) == 2 and _labels(loader) == [[0, 1, 2, 3], [4, 5, 6, 7]]
    assert _labels(DataLoader(_ds(10), batch_sampler=[[9, 0], [3]])) == [[9, 0], [3]]


def test_dataloader_default_sampler_attributes_match_pytorch():
    loader = DataLoader(_ds(10), batch_size=4)
    assert isinstance(loader.sampler, ud.SequentialSampler)
    assert isinstance(loader.batch_sampler, ud.BatchSampler)
    assert loader.batch_sampler.batch_size == 4
    assert isinstance(DataLoader(_ds(10), shuffle=True).sampler, ud.RandomSampler)


def test_dataloader_refuses_conflicting_sampler_options_like_pytorch():
    torch = pytest.importorskip("torch")
    tds = torch.utils.data.TensorDataset(torch.arange(10))
    bs = [[0, 1]]
    bad = [
        {"sampler": range(10), "shuffle": True},
        {"batch_sampler": bs, "batch_size": 2},
        {"batch_sampler": bs, "shuffle": True},
        {"batch_sampler": bs, "sampler": range(10)},
        {"batch_sampler": bs, "drop_last": True},
        {"num_workers": -1},
    ]
    patterns = (
        [
            r"sampler option is mutually exclusive with shuffle",
            r"batch_sampler option is mutually exclusive with batch_size, shuffle, "
            r"sampler, and drop_last",
        ]
        + [r"batch_sampler option is mutually exclusive"] * 3
        + [r"num_workers option should be non-negative"]
    )
    for kwargs, pattern in zip(bad, patterns, strict=True):
        with pytest.raises(ValueError, match=pattern):
            torch.utils.data.DataLoader(tds, **kwargs)
        with pytest.raises(ValueError, match=r"DataLoader: " + pattern):
            DataLoader(_ds(10), **kwargs)


class _Count(ud.IterableDataset):
    """Yields start..stop-1, split between workers as PyTorch's docs show."""

    def __init__(self, start: int, stop: int) -> None:
        self.start, self.stop = start, stop

    def __iter__(self) -> Iterator[int]:
        info = ud.get_worker_info()
        if info is None:
            return iter(range(self.start, self.stop))
        per = math.ceil((self.stop - self.start) / info.num_workers)
        lo = self.start + info.id * per
        return iter(range(lo, min(lo + per, self.stop)))


def test_dataloader_batches_an_iterable_dataset():
    assert _labels(DataLoader(_Count(0, 7), batch_size=3)) == [[0, 1, 2], [3, 4, 5], [6]]
    assert _labels(DataLoader(_Count(0, 7), batch_size=3, drop_last=True)) == [[0, 1, 2], [3, 4, 5]]
    assert ud.get_worker_info() is None


def test_dataloader_splits_an_iterable_dataset_between_workers_like_pytorch():
    torch = pytest.importorskip("torch")

    class TorchCount(torch.utils.data.IterableDataset):
        def __iter__(self):
            info = torch.utils.data.get_worker_info()
            per = math.ceil(7 / info.num_workers)
            return iter(range(info.id * per, min(info.id * per + per, 7)))

    theirs = [
        b.tolist() for b in torch.utils.data.DataLoader(TorchCount(), batch_size=2, num_workers=2)
    ]
    seen: list[tuple[int, int]] = []

    def init(worker_id: int) -> None:
        info = ud.get_worker_info()
        seen.append((worker_id, info.num_workers))

    ours = _labels(DataLoader(_Count(0, 7), batch_size=2, num_workers=2, worker_init_fn=init))
    assert ours == theirs == [[0, 1], [4, 5], [2, 3], [6]]
    assert seen == [(0, 2), (1, 2)]
    assert ud.get_worker_info() is None


def test_dataloader_workers_keep_the_map_style_order():
    ids: list[int] = []

    class Spy(TensorDataset):
        def __getitem__(self, index: int):
            ids.append(ud.get_worker_info().id)
            return super().__getitem__(index)

    loader = DataLoader(
        Spy(np.arange(6)),
        batch_size=2,
        num_workers=3,
        collate_fn=lambda s: (np.stack([x[0] for x in s]),),
    )
    assert _labels(loader) == [[0, 1], [2, 3], [4, 5]]
    assert ids == [0, 0, 1, 1, 2, 2]


def test_dataloader_refuses_sampler_options_with_an_iterable_dataset_like_pytorch():
    torch = pytest.importorskip("torch")

    class T(torch.utils.data.IterableDataset):
        def __iter__(self):
            return iter(range(3))

    for key, value in (("shuffle", True), ("sampler", [0]), ("batch_sampler", [[0]])):
        pattern = rf"DataLoader with IterableDataset: expected unspecified {key} option"
        with pytest.raises(ValueError, match=pattern):
            torch.utils.data.DataLoader(T(), **{key: value})
        with pytest.raises(ValueError, match=r"DataLoader: " + pattern):
            DataLoader(_Count(0, 3), **{key: value})


def test_concat_dataset_indexes_across_its_parts():
    a, b = _ds(3), TensorDataset(np.arange(10, 14))
    cat = ud.ConcatDataset([a, b])
    assert len(cat) == 7 and cat.cumulative_sizes == [3, 7]
    assert [int(cat[i][0]) for i in range(7)] == [0, 1, 2, 10, 11, 12, 13]
    assert int(cat[-1][0]) == 13 and int((a + b)[4][0]) == 11
    assert isinstance(a + b, ud.ConcatDataset)
    with pytest.raises(ValueError, match=r"ConcatDataset: .*absolute value of index.*8"):
        cat[-8]
    with pytest.raises(ValueError, match=r"ConcatDataset: datasets should not be an empty"):
        ud.ConcatDataset([])
    with pytest.raises(ValueError, match=r"ConcatDataset does not support IterableDataset"):
        ud.ConcatDataset([a, _Count(0, 2)])
    assert _labels(DataLoader(cat, batch_size=4)) == [[0, 1, 2, 10], [11, 12, 13]]


def test_chain_dataset_chains_iterable_datasets():
    chain = ud.ChainDataset([_Count(0, 2), _Count(5, 7)])
    assert list(chain) == [0, 1, 5, 6]
    assert list(_Count(0, 1) + _Count(3, 4)) == [0, 3]
    assert _labels(DataLoader(chain, batch_size=3)) == [[0, 1, 5], [6]]


def test_stack_dataset_zips_datasets_as_tuple_or_dict():
    st = ud.StackDataset(_ds(3), TensorDataset(np.arange(10, 13)))
    assert len(st) == 3 and tuple(int(v[0]) for v in st[1]) == (1, 11)
    sd = ud.StackDataset(x=np.arange(3), y=np.arange(5, 8))
    assert {k: int(v) for k, v in sd[2].items()} == {"x": 2, "y": 7}
    (batch,) = list(DataLoader(sd, batch_size=3))
    assert batch["x"].tolist() == [0, 1, 2] and batch["y"].tolist() == [5, 6, 7]
    with pytest.raises(ValueError, match=r"StackDataset: size mismatch.*3.*4"):
        ud.StackDataset(_ds(3), _ds(4))
    with pytest.raises(ValueError, match=r"StackDataset: .*both"):
        ud.StackDataset(_ds(3), y=_ds(3))
    with pytest.raises(ValueError, match=r"StackDataset: at least one dataset"):
        ud.StackDataset()


def test_default_convert_turns_arrays_into_tensors_and_keeps_the_rest():
    out = ud.default_convert({"a": np.arange(3), "b": [np.float32(1.5), "s"], "c": (2,)})
    assert isinstance(out["a"], nanotorch.Tensor) and out["a"].tolist() == [0, 1, 2]
    assert isinstance(out["b"][0], nanotorch.Tensor) and out["b"][1] == "s"
    assert out["c"] == [2]  # PyTorch turns a plain tuple into a list here
    strings = np.array(["x"])
    assert ud.default_convert(strings) is strings


def test_dataloader_takes_pytorchs_parameters_in_pytorchs_order():
    import inspect

    torch = pytest.importorskip("torch")
    theirs = list(inspect.signature(torch.utils.data.DataLoader.__init__).parameters)
    ours = [p for p in inspect.signature(DataLoader.__init__).parameters if p != "device"]
    assert ours == theirs
    # Positionally, as PyTorch: (dataset, batch_size, shuffle, sampler, batch_sampler,
    # num_workers, collate_fn, pin_memory, drop_last)
    loader = DataLoader(_ds(5), 2, False, None, None, 0, None, False, True)
    assert loader.drop_last is True
    assert _labels(loader) == [[0, 1], [2, 3]]
    assert _labels(DataLoader(_ds(3), shuffle=None)) == [[0], [1], [2]]


def test_dataloader_refuses_worker_options_without_workers_like_pytorch():
    torch = pytest.importorskip("torch")
    tds = torch.utils.data.TensorDataset(torch.arange(10))
    bad = [
        ({"prefetch_factor": 2}, r"prefetch_factor option could only be specified in "
         r"multiprocessing"),
        ({"persistent_workers": True}, r"persistent_workers option needs num_workers > 0"),
        ({"timeout": -1}, r"timeout option should be non-negative"),
        ({"multiprocessing_context": "spawn"}, r"multiprocessing_context can only be used "
         r"with multi-process loading \(num_workers > 0\), but got num_workers=0"),
        ({"num_workers": 2, "prefetch_factor": -1}, r"prefetch_factor option should be "
         r"non-negative"),
        ({"num_workers": 2, "multiprocessing_context": "bogus"}, r"multiprocessing_context "
         r"option should specify a valid start method in \['fork', 'spawn', 'forkserver'\]"),
    ]  # fmt: skip
    for kwargs, pattern in bad:
        with pytest.raises(ValueError, match=pattern):
            torch.utils.data.DataLoader(tds, **kwargs)
        with pytest.raises(ValueError, match=r"DataLoader: " + pattern):
            DataLoader(_ds(10), **kwargs)


def test_dataloader_refuses_what_pytorch_only_refuses_when_iterating():
    # PyTorch accepts these and fails with an AssertionError or TypeError at the first
    # batch; nanotorch says so where the loader is made.
    with pytest.raises(ValueError, match=r"DataLoader: timeout=1 needs num_workers > 0"):
        DataLoader(_ds(4), timeout=1)
    with pytest.raises(ValueError, match=r"DataLoader: prefetch_factor must be >= 1, got 0"):
        DataLoader(_ds(4), num_workers=2, prefetch_factor=0)
    with pytest.raises(TypeError, match=r"DataLoader: prefetch_factor must be an int"):
        DataLoader(_ds(4), num_workers=2, prefetch_factor=1.5)
    for name in ("pin_memory", "persistent_workers", "in_order"):
        with pytest.raises(TypeError, match=rf"DataLoader: {name} must be a bool"):
            DataLoader(_ds(4), num_workers=1, **{name: "yes"})
    with pytest.raises(TypeError, match=r"DataLoader: shuffle must be a bool or None"):
        DataLoader(_ds(4), shuffle="yes")


def test_dataloader_keeps_the_worker_options_it_takes():
    loader = DataLoader(
        _ds(6), batch_size=2, num_workers=2, pin_memory=False, timeout=5.0,
        multiprocessing_context="fork", prefetch_factor=3, persistent_workers=True,
        pin_memory_device="", in_order=False,
    )  # fmt: skip
    assert (loader.num_workers, loader.timeout, loader.prefetch_factor) == (2, 5.0, 3)
    assert loader.persistent_workers is True and loader.in_order is False
    assert loader.multiprocessing_context == "fork" and loader.pin_memory is False
    assert _labels(loader) == [[0, 1], [2, 3], [4, 5]]
    # PyTorch's default: two batches in flight per worker.
    assert DataLoader(_ds(4), num_workers=2).prefetch_factor == 2
    assert DataLoader(_ds(4)).prefetch_factor is None


def test_persistent_workers_are_set_up_once_for_every_epoch():
    def count_inits(**kwargs):
        calls: list[int] = []
        seeds: list[int] = []

        def init(worker_id: int) -> None:
            calls.append(worker_id)
            seeds.append(ud.get_worker_info().seed)

        loader = DataLoader(_ds(4), batch_size=2, num_workers=2, worker_init_fn=init, **kwargs)
        epochs = [_labels(loader) for _ in range(3)]
        assert epochs == [[[0, 1], [2, 3]]] * 3
        return calls, seeds

    calls, _ = count_inits()
    assert calls == [0, 1] * 3  # a fresh set of workers each epoch, as PyTorch
    calls, seeds = count_inits(persistent_workers=True)
    assert calls == [0, 1]  # the same workers all along
    assert len(set(seeds)) == 2


def test_pin_memory_without_an_accelerator_warns_as_pytorch_and_changes_nothing():
    loader = DataLoader(_ds(4), batch_size=2, pin_memory=True)
    with pytest.warns(UserWarning, match=r"pin_memory=True.*no accelerator"):
        batches = _labels(loader)
    assert batches == [[0, 1], [2, 3]]


def test_batch_size_none_yields_samples_unbatched_like_pytorch():
    torch = pytest.importorskip("torch")
    x, y = np.arange(4), np.arange(4) * 10
    ours = DataLoader(TensorDataset(x, y), batch_size=None)
    theirs = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(torch.tensor(x), torch.tensor(y)), batch_size=None
    )
    assert len(ours) == len(theirs) == 4
    assert ours.batch_sampler is None and isinstance(ours.sampler, ud.SequentialSampler)
    got = [[t.tolist() for t in sample] for sample in ours]
    assert (
        got
        == [[t.tolist() for t in sample] for sample in theirs]
        == [[0, 0], [1, 10], [2, 20], [3, 30]]
    )
    assert all(s[0].shape == () for s in ours)  # no batch dim
    # collate_fn sees one sample at a time; dicts and plain numbers as default_convert does
    assert [
        t.item() for t in DataLoader(_ds(3), batch_size=None, collate_fn=lambda s: s[0] * 2)
    ] == [0, 2, 4]
    dicts = list(DataLoader([{"a": np.ones(2)}, {"a": np.zeros(2)}], batch_size=None))
    assert [d["a"].tolist() for d in dicts] == [[1.0, 1.0], [0.0, 0.0]]
    assert list(DataLoader([1.5, 2.5], batch_size=None)) == [1.5, 2.5]
    shuffled = [s[0].item() for s in DataLoader(_ds(5), batch_size=None, shuffle=True)]
    assert sorted(shuffled) == [0, 1, 2, 3, 4]


def test_batch_size_none_with_an_iterable_dataset_and_workers():
    ours = list(DataLoader(_Count(0, 5), batch_size=None, num_workers=2))
    assert ours == [0, 3, 1, 4, 2]  # round-robin over the two workers' halves, as PyTorch
    # (Python ints stay ints: default_convert changes only arrays and NumPy scalars)
    assert len(DataLoader(_ds(3), batch_size=None, num_workers=2)) == 3


def test_batch_size_none_refuses_drop_last_like_pytorch():
    torch = pytest.importorskip("torch")
    pattern = (
        r"batch_size=None option disables auto-batching and is mutually exclusive with drop_last"
    )
    with pytest.raises(ValueError, match=pattern):
        torch.utils.data.DataLoader(torch.arange(3), batch_size=None, drop_last=True)
    with pytest.raises(ValueError, match="DataLoader: " + pattern):
        DataLoader(_ds(3), batch_size=None, drop_last=True)


def test_batch_size_none_moves_each_sample_to_the_device(device):
    loader = DataLoader(TensorDataset(np.arange(3.0)), batch_size=None, device=device)
    samples = list(loader)
    assert [s[0].device for s in samples] == [device] * 3
    assert [s[0].item() for s in samples] == [0.0, 1.0, 2.0]
    dicts = list(DataLoader([{"a": np.ones(2)}], batch_size=None, device=device))
    assert dicts[0]["a"].device == device


def test_dataloader_batches_any_sequence_of_samples_like_pytorch():
    # A plain list, a range split by random_split: anything with len() and indexing, as
    # PyTorch's map-style datasets are (no nanotorch Dataset base class needed).
    torch = pytest.importorskip("torch")
    samples = [(np.full(2, float(i), dtype=np.float32), i) for i in range(5)]
    ours = [[t.tolist() for t in b] for b in DataLoader(samples, batch_size=2)]
    theirs = [[t.tolist() for t in b] for b in torch.utils.data.DataLoader(samples, batch_size=2)]
    assert ours == theirs
    first, _ = ud.random_split(range(10), [6, 4], generator=nanotorch.Generator().manual_seed(0))
    got = sorted(v for b in DataLoader(first, batch_size=4) for v in b[0].tolist())
    assert len(got) == 6 and set(got) <= set(range(10))
