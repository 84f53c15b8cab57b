"""``nanotorch.data``: datasets and the DataLoader, plus the datasets the scenarios train on.

Layer: above ``optim`` and below the CLI/scenarios (DESIGN.md "Layers"). Everything here is
host-side: data lives in NumPy arrays and reaches a device only through the DataLoader's one
counted copy per tensor per batch. Nothing here imports ``nn`` or ``optim``.
"""

from nanotorch.data.dataloader import (
    DataLoader,
    WorkerInfo,
    default_collate,
    default_convert,
    get_worker_info,
)
from nanotorch.data.dataset import (
    ChainDataset,
    ConcatDataset,
    Dataset,
    IterableDataset,
    StackDataset,
    Subset,
    TensorDataset,
    random_split,
)
from nanotorch.data.fashion_mnist import ChecksumError, DatasetNotFoundError, FashionMNIST
from nanotorch.data.idx import IDXFormatError, read_idx
from nanotorch.data.sampler import (
    BatchSampler,
    DistributedSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
)

__all__ = [
    "ChecksumError",
    "DatasetNotFoundError",
    "FashionMNIST",
    "IDXFormatError",
    "read_idx",
    "DataLoader",
    "Dataset",
    "DistributedSampler",
    "Subset",
    "TensorDataset",
    "default_collate",
    "random_split",
    "BatchSampler",
    "ChainDataset",
    "ConcatDataset",
    "IterableDataset",
    "RandomSampler",
    "Sampler",
    "SequentialSampler",
    "StackDataset",
    "SubsetRandomSampler",
    "WeightedRandomSampler",
    "WorkerInfo",
    "default_convert",
    "get_worker_info",
]
