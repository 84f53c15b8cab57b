"""The process-group contract, the default group, and PyTorch's collective functions.

A ``ProcessGroup`` is a set of processes (ranks) that run collectives together; each backend
(``mpi.py``, ``nccl.py``) implements the same few methods on the raw arrays of the tensors it
supports. The functions at the bottom (``all_reduce``, ``broadcast``...) are PyTorch's API: they
validate their arguments, then hand the tensors to the default group (or the ``group=`` given).

Note [The default process group]
~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
nanotorch otherwise avoids process-wide state, but a process group *is* a property of the
process: MPI is started once per process and every rank must join the same collectives in the
same order. So, as in PyTorch, ``init_process_group`` stores one default group in this module
and the collectives use it unless a ``group=`` is passed. ``destroy_process_group`` drops it.

Note [Collectives work in place on host buffers]
~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
Like PyTorch, ``all_reduce``/``broadcast`` overwrite their tensor and ``all_gather``/
``reduce_scatter`` fill the outputs they are given. A backend works on the tensor's own array
(MPI reads and writes a cpu tensor's NumPy buffer directly, NCCL a cuda tensor's device
memory), so a collective copies nothing between devices and the transfer counter stays at zero.
A tensor on a device the backend cannot reach (a ``strict`` or ``cuda`` tensor under MPI) is an
error naming both, never a silent round trip through the host: the caller moves it with
``.cpu()`` / ``.to(device)``, which are counted.

This module imports no communication library; backends import theirs when a group is made.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nanotorch.tensor import Tensor


class ReduceOp(enum.Enum):
    """How ``all_reduce`` / ``reduce_scatter`` combine the ranks' values."""

    SUM = "sum"
    AVG = "avg"
    PRODUCT = "product"
    MIN = "min"
    MAX = "max"


class Work:
    """The handle of a collective started with ``async_op=True``; ``wait()`` completes it.

    ``finish`` blocks until the backend's request is done and then does the host-side end of
    the collective (dividing for AVG, copying into non-contiguous outputs); it runs once.
    """

    def __init__(self, finish: Callable[[], None] | None = None) -> None:
        self._finish = finish

    def wait(self, timeout: float | None = None) -> bool:
        if self._finish is not None:
            finish, self._finish = self._finish, None
            finish()
        return True

    def is_completed(self) -> bool:
        return self._finish is None


class ProcessGroup:
    """What a backend implements. Arguments arrive validated; methods return a ``Work``."""

    backend: str = ""
    device_types: tuple[str, ...] = ()

    def rank(self) -> int:
        raise NotImplementedError

    def home_device(self) -> str:
        """The device this rank's collectives run on ("cpu", "cuda:1")."""
        raise NotImplementedError

    def size(self) -> int:
        raise NotImplementedError

    def all_reduce(self, tensor: Tensor, op: ReduceOp) -> Work:
        raise NotImplementedError

    def broadcast(self, tensor: Tensor, src: int) -> Work:
        raise NotImplementedError

    def all_gather(self, outputs: list[Tensor], tensor: Tensor) -> Work:
        raise NotImplementedError

    def reduce_scatter(self, output: Tensor, inputs: list[Tensor], op: ReduceOp) -> Work:
        raise NotImplementedError

    def barrier(self) -> Work:
        raise NotImplementedError

    def all_gather_object(self, obj: Any) -> list[Any]:
        raise NotImplementedError

    def shutdown(self) -> None:
        """Release what the group holds (communicators, hooks)."""


_default_group: ProcessGroup | None = None  # Note [The default process group]

BACKENDS = ("mpi", "nccl")


def init_process_group(
    backend: str | None = None,
    init_method: str | None = None,
    timeout: Any = None,
    world_size: int = -1,
    rank: int = -1,
) -> None:
    """Join the default process group: every rank of the launch calls this once.

    ``backend="mpi"`` (the default) takes rank and world size from the MPI launch
    (``mpiexec -n 2 ...``) and runs collectives on cpu tensors; ``backend="nccl"`` runs them on
    cuda tensors, one GPU per rank chosen by the rank's index on its host, and exchanges its
    unique id over MPI. ``world_size``/``rank``, when given, must agree with the launch.
    ``init_method`` and ``timeout`` are accepted for PyTorch compatibility; MPI's launcher
    does the rendezvous.
    """
    global _default_group
    name = "mpi" if backend is None else str(backend).lower()
    if name not in BACKENDS:
        raise ValueError(
            f"init_process_group: unknown backend {backend!r}; nanotorch has 'mpi' (cpu tensors, "
            "processes started by mpiexec) and 'nccl' (cuda tensors)"
        )
    if _default_group is not None:
        raise RuntimeError(
            "init_process_group: trying to initialize the default process group twice; call "
            "destroy_process_group() first"
        )
    if name == "mpi":
        from nanotorch.distributed.mpi import MPIProcessGroup

        group: ProcessGroup = MPIProcessGroup()
    else:
        from nanotorch.distributed.nccl import NCCLProcessGroup

        group = NCCLProcessGroup()
    for given, actual, what in (
        (world_size, group.size(), "world_size"),
        (rank, group.rank(), "rank"),
    ):
        if given not in (-1, None) and given != actual:
            group.shutdown()
            raise ValueError(
                f"init_process_group: {what}={given} but the launch gives this process "
                f"{what} {actual}; leave {what} out to take it from the launcher"
            )
    _default_group = group


def destroy_process_group(group: ProcessGroup | None = None) -> None:
    """Leave the default group (MPI itself stays up until the process exits)."""
    global _default_group
    target = group if group is not None else _default_group
    if target is None:
        return
    target.shutdown()
    if target is _default_group:
        _default_group = None


def is_initialized() -> bool:
    return _default_group is not None


def _group(caller: str, group: ProcessGroup | None = None) -> ProcessGroup:
    if group is not None:
        return group
    if _default_group is None:
        raise RuntimeError(
            f"{caller}: the default process group has not been initialized; call "
            "nanotorch.distributed.init_process_group('mpi') first (and start the program "
            "with mpiexec -n N)"
        )
    return _default_group


def get_rank(group: ProcessGroup | None = None) -> int:
    return _group("get_rank", group).rank()


def get_world_size(group: ProcessGroup | None = None) -> int:
    return _group("get_world_size", group).size()


def get_backend(group: ProcessGroup | None = None) -> str:
    return _group("get_backend", group).backend


def get_device(group: ProcessGroup | None = None) -> str:
    """The device this rank's collectives run on: "cpu" for MPI, its GPU for NCCL."""
    return _group("get_device", group).home_device()


# ---------------------------------------------------------------- argument checks
def _check_tensor(caller: str, t: Any, g: ProcessGroup, what: str = "tensor") -> None:
    from nanotorch.tensor import Tensor

    if not isinstance(t, Tensor):
        raise TypeError(f"{caller}: {what} must be a nanotorch Tensor, got {type(t).__name__}")
    if t.device.type not in g.device_types:
        kinds = ", ".join(g.device_types)
        home = g.home_device()
        move = ".cpu()" if home == "cpu" else f".to('{home}')"
        other = " or make the group with backend='nccl'" if t.device.type == "cuda" else ""
        raise RuntimeError(
            f"{caller}: {what} is on {t.device} but the process group's backend "
            f"'{g.backend}' works on {kinds} tensors only; move it with {move} and back with "
            f".to('{t.device}') (both counted transfers){other}"
        )


def _check_op(caller: str, op: Any, t: Tensor) -> ReduceOp:
    if not isinstance(op, ReduceOp):
        raise TypeError(f"{caller}: op must be a nanotorch.distributed.ReduceOp, got {op!r}")
    if op is ReduceOp.AVG and not t.dtype.is_floating_point:
        raise RuntimeError(
            f"{caller}: ReduceOp.AVG needs a floating-point tensor, got {t.dtype!r}; reduce "
            "with SUM and divide, or convert with .to(nanotorch.float32)"
        )
    return op


def _check_same(caller: str, what: str, t: Tensor, ref: Tensor) -> None:
    if tuple(t.shape) != tuple(ref.shape) or t.dtype != ref.dtype or t.device != ref.device:
        raise ValueError(
            f"{caller}: {what} has shape {tuple(t.shape)}, {t.dtype!r} on {t.device} but the "
            f"tensor has shape {tuple(ref.shape)}, {ref.dtype!r} on {ref.device}; they must match"
        )


def _finish(work: Work, async_op: bool) -> Work | None:
    if async_op:
        return work
    work.wait()
    return None


# ---------------------------------------------------------------- collectives
def all_reduce(
    tensor: Tensor,
    op: ReduceOp = ReduceOp.SUM,
    group: ProcessGroup | None = None,
    async_op: bool = False,
) -> Work | None:
    """Reduce ``tensor`` across ranks with ``op``; every rank gets the result in place.

    Returns ``None``, or with ``async_op=True`` a ``Work`` whose ``wait()`` completes it.
    """
    g = _group("all_reduce", group)
    _check_tensor("all_reduce", tensor, g)
    return _finish(g.all_reduce(tensor, _check_op("all_reduce", op, tensor)), async_op)


def broadcast(
    tensor: Tensor, src: int, group: ProcessGroup | None = None, async_op: bool = False
) -> Work | None:
    """Overwrite ``tensor`` on every rank with rank ``src``'s."""
    g = _group("broadcast", group)
    _check_tensor("broadcast", tensor, g)
    if not isinstance(src, int) or not 0 <= src < g.size():
        raise ValueError(f"broadcast: src={src!r} is not a rank of a group of size {g.size()}")
    return _finish(g.broadcast(tensor, src), async_op)


def all_gather(
    tensor_list: list[Tensor],
    tensor: Tensor,
    group: ProcessGroup | None = None,
    async_op: bool = False,
) -> Work | None:
    """Fill ``tensor_list[k]`` with rank k's ``tensor`` on every rank."""
    g = _group("all_gather", group)
    _check_tensor("all_gather", tensor, g)
    if len(tensor_list) != g.size():
        raise ValueError(
            f"all_gather: tensor_list has {len(tensor_list)} tensors but the group has "
            f"{g.size()} ranks; pass one output tensor per rank"
        )
    for i, out in enumerate(tensor_list):
        _check_tensor("all_gather", out, g, f"tensor_list[{i}]")
        _check_same("all_gather", f"tensor_list[{i}]", out, tensor)
    return _finish(g.all_gather(list(tensor_list), tensor), async_op)


def reduce_scatter(
    output: Tensor,
    input_list: Sequence[Tensor],
    op: ReduceOp = ReduceOp.SUM,
    group: ProcessGroup | None = None,
    async_op: bool = False,
) -> Work | None:
    """Rank k's ``output`` becomes the reduction over ranks of their ``input_list[k]``."""
    g = _group("reduce_scatter", group)
    _check_tensor("reduce_scatter", output, g, "output")
    if len(input_list) != g.size():
        raise ValueError(
            f"reduce_scatter: input_list has {len(input_list)} tensors but the group has "
            f"{g.size()} ranks; pass one input tensor per rank"
        )
    for i, t in enumerate(input_list):
        _check_tensor("reduce_scatter", t, g, f"input_list[{i}]")
        _check_same("reduce_scatter", f"input_list[{i}]", t, output)
    op = _check_op("reduce_scatter", op, output)
    return _finish(g.reduce_scatter(output, list(input_list), op), async_op)


def barrier(group: ProcessGroup | None = None, async_op: bool = False) -> Work | None:
    """Return once every rank has reached the barrier."""
    return _finish(_group("barrier", group).barrier(), async_op)


def all_gather_object(object_list: list[Any], obj: Any, group: ProcessGroup | None = None) -> None:
    """Fill ``object_list[k]`` with rank k's ``obj`` (small picklable host metadata)."""
    g = _group("all_gather_object", group)
    if len(object_list) != g.size():
        raise ValueError(
            f"all_gather_object: object_list has {len(object_list)} slots but the group has "
            f"{g.size()} ranks"
        )
    object_list[:] = g.all_gather_object(obj)
