"""``DistributedDataParallel``: average gradients across ranks, in buckets, during backward.

Note [Gradient buckets]
~~~~~~~~~~~~~~~~~~~~~~~
Each rank holds the whole model and computes gradients on its share of the global batch.
Averaging those gradients over the ranks gives the gradient of the mean loss over the global
batch (discovery/data-parallel.md), so every rank takes the same optimizer step and the
replicas stay identical.

One all-reduce per parameter pays a collective's fixed cost (latency, a call into MPI) many
times; one all-reduce for the whole model must wait for the last gradient. Buckets sit in
between: parameters are grouped, in *reverse* order of registration (backward produces the
last layer's gradients first), into flat buffers of about ``bucket_cap_mb``. A
post-accumulate-grad hook on every parameter counts the bucket's arrivals; when a bucket is
complete its gradients are copied into one flat tensor and a non-blocking all-reduce (AVG) is
started while backward goes on computing earlier layers' gradients: communication overlaps
computation. Buckets are launched strictly in index order, so every rank issues the same
collectives in the same order even if its hooks fire in another. When the last bucket is out,
the hook waits for all of them and points each ``.grad`` at its averaged slice.

A parameter that gets no gradient leaves its bucket incomplete; the next forward raises,
naming it (as PyTorch's DDP does without ``find_unused_parameters``).

Sits in ``nn`` but talks through ``nanotorch.distributed`` only: no communication library and
no array library is imported here.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import nanotorch.distributed as dist
from nanotorch.autograd.grad_mode import no_grad
from nanotorch.distributed.process_group import ProcessGroup, ReduceOp, Work
from nanotorch.nn.module import Module
from nanotorch.nn.parameter import Parameter
from nanotorch.ops.shape import cat
from nanotorch.tensor import Tensor


class _Bucket:
    __slots__ = ("params", "names", "arrived", "work", "flat")

    def __init__(self) -> None:
        self.params: list[Parameter] = []
        self.names: list[str] = []
        self.arrived: set[int] = set()
        self.work: Work | None = None
        self.flat: Tensor | None = None


class DistributedDataParallel(Module):
    """Wrap ``module`` for data-parallel training over the default process group.

    Args:
        module: the model; every rank must build the same architecture.
        broadcast_buffers: copy rank 0's buffers (BatchNorm running statistics) to every rank
            at the start of each forward.
        bucket_cap_mb: the size of a gradient bucket in MiB (Note [Gradient buckets]).
        process_group: the group to use (default: the one ``init_process_group`` made).

    Construction broadcasts rank 0's parameters and buffers, so ranks may start from
    different random weights. ``no_sync()`` skips the averaging for gradient accumulation.
    """

    def __init__(
        self,
        module: Module,
        device_ids: list[Any] | None = None,
        output_device: Any = None,
        broadcast_buffers: bool = True,
        process_group: ProcessGroup | None = None,
        bucket_cap_mb: float = 25.0,
    ) -> None:
        super().__init__()
        if not isinstance(module, Module):
            raise TypeError(
                f"DistributedDataParallel: module must be an nn.Module, got {type(module).__name__}"
            )
        if process_group is None and not dist.is_initialized():
            raise RuntimeError(
                "DistributedDataParallel: the default process group has not been initialized; "
                "call nanotorch.distributed.init_process_group('mpi') first"
            )
        if bucket_cap_mb < 0:
            raise ValueError(
                f"DistributedDataParallel: bucket_cap_mb must be >= 0, got {bucket_cap_mb}"
            )
        self.module = module
        self.broadcast_buffers = broadcast_buffers
        self.bucket_cap_mb = bucket_cap_mb
        self.process_group = process_group
        self.require_backward_grad_sync = True
        named = [(n, p) for n, p in module.named_parameters() if p.requires_grad]
        self._check_same_model()
        self._sync_module_states()
        self._buckets = self._make_buckets(named)
        self._next_bucket = 0
        bucket_of: dict[int, _Bucket] = {}
        for b in self._buckets:
            for p in b.params:
                bucket_of[id(p)] = b
        self._handles = [
            p.register_post_accumulate_grad_hook(self._make_hook(bucket_of[id(p)]))
            for _, p in named
        ]

    # ------------------------------------------------------------ construction
    def _world(self) -> int:
        return dist.get_world_size(self.process_group)

    def _check_same_model(self) -> None:
        """Gather every rank's (name, shape, dtype) list; any difference is an error on all."""
        sig = [
            (kind, n, tuple(t.shape), t.dtype.name)
            for kind, items in (
                ("parameter", self.module.named_parameters()),
                ("buffer", self.module.named_buffers()),
            )
            for n, t in items
        ]
        sigs: list[Any] = [None] * self._world()
        dist.all_gather_object(sigs, sig, group=self.process_group)
        ref = sigs[0]
        for rank, other in enumerate(sigs):
            if other == ref:
                continue
            detail = f"it has {len(other)} parameters and buffers, rank 0 has {len(ref)}"
            for a, b in zip(other, ref):
                if a != b:
                    detail = (
                        f"{a[0]} '{a[1]}' has shape {a[2]} ({a[3]}) on rank {rank} but rank 0 "
                        f"has {b[0]} '{b[1]}' with shape {b[2]} ({b[3]})"
                    )
                    break
            raise RuntimeError(
                f"DistributedDataParallel: rank {rank}'s model differs from rank 0's: {detail}; "
                "every rank must build the same model"
            )

    def _sync_module_states(self) -> None:
        with no_grad():
            for t in [*self.module.parameters(), *self.module.buffers()]:
                dist.broadcast(t, 0, group=self.process_group)

    def _make_buckets(self, named: list[tuple[str, Parameter]]) -> list[_Bucket]:
        cap = self.bucket_cap_mb * 1024 * 1024
        buckets: list[_Bucket] = []
        size = 0.0
        for name, p in reversed(named):
            nbytes = p.numel() * p.dtype.itemsize
            last = buckets[-1] if buckets else None
            if (
                last is None
                or size >= cap
                or last.params[0].dtype != p.dtype
                or last.params[0].device != p.device
            ):
                buckets.append(_Bucket())
                size = 0.0
            buckets[-1].params.append(p)
            buckets[-1].names.append(name)
            size += nbytes
        return buckets

    # ------------------------------------------------------------ backward
    def _make_hook(self, bucket: _Bucket) -> Any:
        def hook(param: Tensor) -> None:
            if not self.require_backward_grad_sync:
                return
            bucket.arrived.add(id(param))
            if len(bucket.arrived) == len(bucket.params):
                self._launch_ready()

        return hook

    def _launch_ready(self) -> None:
        # In index order only (Note [Gradient buckets]): the collectives must match across ranks.
        while self._next_bucket < len(self._buckets):
            b = self._buckets[self._next_bucket]
            if len(b.arrived) < len(b.params) or b.work is not None:
                return
            with no_grad():
                b.flat = cat([p.grad.detach().reshape(-1) for p in b.params])  # type: ignore[union-attr]
                b.work = dist.all_reduce(
                    b.flat, op=ReduceOp.AVG, group=self.process_group, async_op=True
                )
            self._next_bucket += 1
        self._finish_reduction()

    def _finish_reduction(self) -> None:
        for b in self._buckets:
            assert b.work is not None and b.flat is not None
            b.work.wait()
            offset = 0
            for p in b.params:
                n = p.numel()
                p.grad = b.flat[offset : offset + n].reshape(p.shape)
                offset += n
            b.work, b.flat = None, None
            b.arrived.clear()
        self._next_bucket = 0

    @contextlib.contextmanager
    def no_sync(self) -> Iterator[None]:
        """Backward passes inside accumulate gradients locally; the first one outside
        averages the accumulated ``.grad``."""
        previous = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = previous

    # ------------------------------------------------------------ forward
    def _check_previous_reduction(self) -> None:
        missing = [
            n
            for b in self._buckets
            if b.arrived
            for n, p in zip(b.names, b.params)
            if id(p) not in b.arrived
        ]
        if not missing and not any(b.arrived for b in self._buckets):
            return
        for b in self._buckets:
            if b.work is not None:
                b.work.wait()
            b.work, b.flat = None, None
            b.arrived.clear()
        self._next_bucket = 0
        raise RuntimeError(
            "DistributedDataParallel: the previous backward did not finish averaging "
            f"gradients: parameter(s) {', '.join(missing)} got no gradient, so their bucket "
            "never completed. Every parameter must take part in the loss on every rank; "
            "leave unused parameters out of the module or set requires_grad=False on them"
        )

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        self._check_previous_reduction()
        if self.broadcast_buffers:
            with no_grad():
                for b in self.module.buffers():
                    dist.broadcast(b, 0, group=self.process_group)
        return self.module(*args, **kwargs)
