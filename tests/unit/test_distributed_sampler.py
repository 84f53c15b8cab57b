"""DistributedSampler: each rank's share of the indices, with PyTorch's padding rule."""

from __future__ import annotations

import numpy as np
import pytest

from nanotorch.data import DataLoader, DistributedSampler, TensorDataset


def _parts(n: int, replicas: int, **kw: object) -> list[list[int]]:
    data = list(range(n))
    return [
        list(DistributedSampler(data, num_replicas=replicas, rank=r, **kw)) for r in range(replicas)
    ]


def test_distributed_sampler_pads_by_repeating_the_first_indices() -> None:
    parts = _parts(10, 3, shuffle=False)
    # 10 samples, 3 ranks: 4 each, the 2 missing ones are indices 0 and 1 again
    assert parts == [[0, 3, 6, 9], [1, 4, 7, 0], [2, 5, 8, 1]]
    assert all(len(p) == len(DistributedSampler(range(10), 3, 0)) for p in parts)


def test_distributed_sampler_drop_last_drops_the_tail() -> None:
    parts = _parts(10, 3, shuffle=False, drop_last=True)
    assert parts == [[0, 3, 6], [1, 4, 7], [2, 5, 8]]


def test_distributed_sampler_pads_a_dataset_smaller_than_the_ranks() -> None:
    assert _parts(2, 5, shuffle=False) == [[0], [1], [0], [1], [0]]


def test_distributed_sampler_shuffle_partitions_and_set_epoch() -> None:
    parts = _parts(12, 2, seed=3)
    assert sorted(parts[0] + parts[1]) == list(range(12))  # a partition: disjoint, complete
    assert parts == _parts(12, 2, seed=3)  # the same on every rank for a seed
    assert parts[0] != list(range(0, 12, 2))  # shuffled
    s = DistributedSampler(range(12), num_replicas=2, rank=0, seed=3)
    first = list(s)
    s.set_epoch(1)
    second = list(s)
    assert first == parts[0] and second != first


def test_distributed_sampler_feeds_a_dataloader() -> None:
    ds = TensorDataset(np.arange(10.0, dtype=np.float32))
    loader = DataLoader(ds, batch_size=2, sampler=DistributedSampler(ds, 2, 1, shuffle=False))
    assert len(loader) == 3
    assert [b[0].tolist() for b in loader] == [[1.0, 3.0], [5.0, 7.0], [9.0]]


def test_distributed_sampler_errors() -> None:
    with pytest.raises(ValueError, match="rank 2.*\\[0, 1\\]"):
        DistributedSampler(range(4), num_replicas=2, rank=2)
    with pytest.raises(RuntimeError, match="DistributedSampler.*init_process_group"):
        DistributedSampler(range(4))
    with pytest.raises(ValueError, match="DataLoader.*sampler.*shuffle"):
        DataLoader(range(4), sampler=DistributedSampler(range(4), 2, 0), shuffle=True)
