"""``nanotorch.nn.parallel``: training one model on several processes.

``DistributedDataParallel`` wraps a module so that each rank of a process group
(``nanotorch.distributed``) computes gradients on its share of the batch and the ranks average
them during backward. See discovery/data-parallel.md.
"""

from nanotorch.nn.parallel.distributed import DistributedDataParallel

__all__ = ["DistributedDataParallel"]
