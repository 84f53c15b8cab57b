"""DataLoader: batching on the host, shuffling from a Generator, one transfer per tensor."""

from __future__ import annotations

import numpy as np
import pytest

import nanotorch
from nanotorch.data import DataLoader, TensorDataset


def _dataset(n: int = 10) -> TensorDataset:
    x = np.arange(n * 3, dtype=np.float32).reshape(n, 3)
    y = np.arange(n, dtype=np.int64)
    return TensorDataset(x, y)


def _labels(loader: DataLoader) -> list[list[int]]:
    return [y.cpu().tolist() for _, y in loader]


def test_dataloader_batches_in_order_without_shuffle(device):
    loader = DataLoader(_dataset(10), batch_size=4, device=device)
    assert len(loader) == 3
    batches = list(loader)
    assert [tuple(x.shape) for x, _ in batches] == [(4, 3), (4, 3), (2, 3)]
    assert all(x.device == device and y.device == device for x, y in batches)
    assert batches[0][0].dtype == nanotorch.float32
    assert batches[0][1].dtype == nanotorch.int64
    assert _labels(loader) == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]


def test_dataloader_drop_last_drops_the_short_batch():
    loader = DataLoader(_dataset(10), batch_size=4, drop_last=True)
    assert len(loader) == 2
    assert _labels(loader) == [[0, 1, 2, 3], [4, 5, 6, 7]]


def test_dataloader_shuffle_same_seed_same_order():
    def order(seed: int) -> list[list[int]]:
        gen = nanotorch.Generator().manual_seed(seed)
        return _labels(DataLoader(_dataset(10), batch_size=3, shuffle=True, generator=gen))

    assert order(1) == order(1)
    assert order(1) != order(2)
    assert sorted(sum(order(1), [])) == list(range(10))


def test_dataloader_shuffle_draws_a_new_order_each_epoch():
    gen = nanotorch.Generator().manual_seed(0)
    loader = DataLoader(_dataset(10), batch_size=10, shuffle=True, generator=gen)
    assert _labels(loader) != _labels(loader)


def test_dataloader_shuffle_default_generator_follows_manual_seed():
    nanotorch.manual_seed(7)
    a = _labels(DataLoader(_dataset(10), batch_size=5, shuffle=True))
    nanotorch.manual_seed(7)
    b = _labels(DataLoader(_dataset(10), batch_size=5, shuffle=True))
    assert a == b


def test_dataloader_refuses_a_generator_off_the_host():
    with pytest.raises(ValueError, match=r"DataLoader.*generator.*cpu.*strict:1"):
        DataLoader(_dataset(), shuffle=True, generator=nanotorch.Generator("strict:1"))


def test_dataloader_refuses_bad_batch_size():
    with pytest.raises(ValueError, match=r"DataLoader.*batch_size.*positive.*0"):
        DataLoader(_dataset(), batch_size=0)


def test_dataloader_one_counted_transfer_per_tensor_per_batch():
    dev = nanotorch.device("strict:1")
    loader = DataLoader(_dataset(10), batch_size=4, device=dev)
    nanotorch.reset_transfer_stats()
    batches = list(loader)
    stats = nanotorch.transfer_stats()
    # 3 batches x (inputs, labels), each one host->device copy and nothing else.
    assert stats.count == 6
    assert stats.by_direction == {"host->strict:1": {"count": 6, "bytes": 10 * 3 * 4 + 10 * 8}}
    assert len(batches) == 3


def test_dataloader_on_cpu_moves_nothing():
    nanotorch.reset_transfer_stats()
    list(DataLoader(_dataset(10), batch_size=4, shuffle=True))
    assert nanotorch.transfer_stats().count == 0


def test_dataloader_custom_collate_gets_item_list():
    def collate(samples):
        xs = np.stack([s[0] for s in samples]) * 2
        return (xs,)

    (xb,) = next(iter(DataLoader(_dataset(4), batch_size=2, collate_fn=collate)))
    assert xb.tolist() == [[0.0, 2.0, 4.0], [6.0, 8.0, 10.0]]


def test_dataloader_python_scalars_become_default_dtypes():
    from nanotorch.data import default_collate

    xb, yb = default_collate([(0.5, 1), (1.5, 2)])
    assert xb.dtype == np.float32 and yb.dtype == np.int64
