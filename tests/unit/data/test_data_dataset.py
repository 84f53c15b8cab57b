"""Datasets hold host (NumPy) arrays: TensorDataset, Subset and random_split."""

from __future__ import annotations

import numpy as np
import pytest

import nanotorch
from nanotorch.data import Dataset, Subset, TensorDataset, random_split


def _dataset(n: int = 10) -> TensorDataset:
    x = np.arange(n * 2, dtype=np.float32).reshape(n, 2)
    y = np.arange(n, dtype=np.int64)
    return TensorDataset(x, y)


def test_tensor_dataset_indexes_rows_of_every_array():
    ds = _dataset(5)
    assert len(ds) == 5
    x, y = ds[3]
    np.testing.assert_array_equal(x, [6.0, 7.0])
    assert y == 3


def test_tensor_dataset_get_batch_gathers_on_the_host():
    ds = _dataset(6)
    xb, yb = ds.get_batch(np.array([4, 0, 2]))
    assert isinstance(xb, np.ndarray) and isinstance(yb, np.ndarray)
    np.testing.assert_array_equal(yb, [4, 0, 2])
    np.testing.assert_array_equal(xb, [[8, 9], [0, 1], [4, 5]])


def test_tensor_dataset_accepts_cpu_tensors_and_keeps_host_arrays():
    x = nanotorch.arange(6, dtype=nanotorch.float32).reshape(3, 2)
    ds = TensorDataset(x, nanotorch.tensor([0, 1, 2]))
    assert all(isinstance(a, np.ndarray) for a in ds.arrays)
    np.testing.assert_array_equal(ds[1][0], [2.0, 3.0])


@pytest.mark.not_on("cpu")  # cpu tensors are host arrays already
def test_tensor_dataset_refuses_device_tensors_with_the_fix(device):
    x = nanotorch.zeros(3, 2, device=device)
    with pytest.raises(ValueError, match=r"TensorDataset.*" + str(device) + r".*\.cpu\(\)"):
        TensorDataset(x)


def test_tensor_dataset_refuses_arrays_of_different_lengths():
    with pytest.raises(ValueError, match=r"TensorDataset.*same length.*\[3, 4\]"):
        TensorDataset(np.zeros((3, 2)), np.zeros(4))


def test_dataset_default_get_batch_stacks_items():
    class Squares(Dataset):
        def __len__(self) -> int:
            return 5

        def __getitem__(self, index: int):
            return np.float32(index), np.int64(index * index)

    xb, yb = Squares().get_batch(np.array([1, 3]))
    np.testing.assert_array_equal(xb, [1.0, 3.0])
    np.testing.assert_array_equal(yb, [1, 9])
    assert xb.dtype == np.float32 and yb.dtype == np.int64


def test_subset_maps_indices_to_the_parent():
    sub = Subset(_dataset(10), [7, 2, 5])
    assert len(sub) == 3
    assert sub[0][1] == 7
    np.testing.assert_array_equal(sub.get_batch(np.array([2, 1]))[1], [5, 2])


def test_random_split_sizes_from_lengths_are_disjoint_and_cover():
    parts = random_split(_dataset(10), [7, 3], generator=nanotorch.Generator().manual_seed(1))
    assert [len(p) for p in parts] == [7, 3]
    seen = np.concatenate([p.indices for p in parts])
    assert sorted(seen.tolist()) == list(range(10))


def test_random_split_fractions_distribute_the_remainder():
    parts = random_split(_dataset(10), [0.5, 0.3, 0.2], generator=nanotorch.Generator())
    assert [len(p) for p in parts] == [5, 3, 2]
    parts = random_split(_dataset(11), [0.5, 0.5], generator=nanotorch.Generator())
    assert sorted(len(p) for p in parts) == [5, 6]
    assert sum(len(p) for p in parts) == 11


def test_random_split_same_generator_seed_same_split():
    a = random_split(_dataset(20), [0.8, 0.2], generator=nanotorch.Generator().manual_seed(3))
    b = random_split(_dataset(20), [0.8, 0.2], generator=nanotorch.Generator().manual_seed(3))
    c = random_split(_dataset(20), [0.8, 0.2], generator=nanotorch.Generator().manual_seed(4))
    np.testing.assert_array_equal(a[1].indices, b[1].indices)
    assert a[1].indices.tolist() != c[1].indices.tolist()


def test_random_split_default_generator_follows_manual_seed():
    nanotorch.manual_seed(5)
    a = random_split(_dataset(20), [10, 10])[0].indices
    nanotorch.manual_seed(5)
    b = random_split(_dataset(20), [10, 10])[0].indices
    np.testing.assert_array_equal(a, b)


def test_random_split_bad_lengths_name_the_problem():
    with pytest.raises(ValueError, match=r"random_split.*sum to 9.*10"):
        random_split(_dataset(10), [5, 4])
    with pytest.raises(ValueError, match=r"random_split.*fractions.*sum to 1"):
        random_split(_dataset(10), [0.5, 0.4])


def test_data_is_reachable_as_an_attribute_like_nn():
    # A fresh interpreter: here the test module's own imports already loaded nanotorch.data.
    import subprocess
    import sys

    code = "import nanotorch; print(nanotorch.data.DataLoader.__name__)"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "DataLoader"
