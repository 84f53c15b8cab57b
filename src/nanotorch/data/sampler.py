"""``DistributedSampler``: the share of a dataset's indices that one rank trains on.

With data-parallel training (discovery/data-parallel.md) every rank runs its own DataLoader;
the sampler gives rank ``r`` of ``n`` the indices ``r, r + n, r + 2n, ...`` of one order that
all ranks agree on (the same ``seed + epoch`` shuffles the same way everywhere), so the ranks'
batches together form the global batch and no sample is seen twice in an epoch.

PyTorch's padding rule: unless ``drop_last``, the order is padded with its own first indices
until it divides evenly, so every rank takes the same number of steps (a rank with one step
fewer would leave the others waiting in a collective). With ``drop_last`` the tail is cut.

Host-side like the rest of ``nanotorch.data``; it asks ``nanotorch.distributed`` for the
rank and world size only when they are not given.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sized

from nanotorch.creation import randperm
from nanotorch.random import Generator


class DistributedSampler:
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
