"""The MPI process group: collectives on cpu tensors through mpi4py.

mpi4py is imported when the group is made, never when nanotorch is imported: importing
``mpi4py.MPI`` starts MPI, which a program that never trains on several processes should not
pay for (and ``nanotorch.distributed.is_available()`` must answer without starting it).

Every collective is MPI's non-blocking form (``Iallreduce``, ``Ibcast``...) on the tensor's
NumPy buffer (Note [Collectives work in place on host buffers] in process_group.py); the
blocking API simply waits at once. A non-contiguous tensor is reduced in a contiguous copy
that ``wait()`` writes back.

Note [A failing rank ends the job]
~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
If one rank raises and exits normally, the others wait forever in their next collective (and
the failing rank itself hangs in MPI's finalize, waiting for them). So joining an MPI group
installs a ``sys.excepthook`` that prints the traceback and one line naming the rank, then
calls ``MPI.COMM_WORLD.Abort``: mpiexec then kills every rank and exits within seconds. A rank
killed by a signal needs nothing from us: mpiexec sees it die and tears the job down.
``abort(code)`` does the same for a program that wants to exit with an error code.
"""

from __future__ import annotations

import sys
import time
from types import TracebackType
from typing import TYPE_CHECKING, Any

import numpy as np

from nanotorch.distributed.process_group import ProcessGroup, ReduceOp, Work

if TYPE_CHECKING:
    from nanotorch.tensor import Tensor


def _mpi() -> Any:
    try:
        from mpi4py import MPI
    except ImportError as e:
        raise RuntimeError(
            "init_process_group('mpi'): mpi4py is not installed; install the mpi extra "
            "(uv sync --extra mpi) and start the program with mpiexec -n N"
        ) from e
    return MPI


def _contiguous(t: Tensor) -> np.ndarray:
    """The buffer MPI works on: the tensor's own array when MPI can write into it."""
    a = t._data
    if isinstance(a, np.ndarray) and a.flags.c_contiguous and a.flags.writeable:
        return a
    return np.array(a, copy=True, order="C")


def _write_back(t: Tensor, buf: np.ndarray) -> None:
    a = t._data
    if buf is not a:
        if isinstance(a, np.ndarray) and a.flags.writeable:
            a[...] = buf  # keeps views of a non-contiguous tensor's base in step
        else:
            t._data = buf.reshape(t.shape)
    t._version += 1


class MPIProcessGroup(ProcessGroup):
    """All processes of the MPI launch (``COMM_WORLD``), on cpu tensors."""

    backend = "mpi"
    device_types = ("cpu",)

    def __init__(self, comm: Any = None) -> None:
        MPI = _mpi()
        self._MPI = MPI
        # A duplicate keeps nanotorch's messages apart from any other MPI use in the program.
        self.comm = (comm if comm is not None else MPI.COMM_WORLD).Dup()
        self._ops = {
            ReduceOp.SUM: MPI.SUM,
            ReduceOp.AVG: MPI.SUM,  # then divided by the size in wait()
            ReduceOp.PRODUCT: MPI.PROD,
            ReduceOp.MIN: MPI.MIN,
            ReduceOp.MAX: MPI.MAX,
        }
        self._previous_hook = sys.excepthook
        sys.excepthook = self._abort_on_exception  # Note [A failing rank ends the job]

    def home_device(self) -> str:
        return "cpu"

    def rank(self) -> int:
        return int(self.comm.Get_rank())

    def size(self) -> int:
        return int(self.comm.Get_size())

    def _abort_on_exception(
        self, kind: type[BaseException], value: BaseException, tb: TracebackType | None
    ) -> None:
        self._previous_hook(kind, value, tb)
        abort(1, f"{kind.__name__}: {value}")

    def shutdown(self) -> None:
        if sys.excepthook == self._abort_on_exception:
            sys.excepthook = self._previous_hook
        if self.comm is not None:
            self.comm.Free()
            self.comm = None

    # ------------------------------------------------------------ collectives
    def all_reduce(self, tensor: Tensor, op: ReduceOp) -> Work:
        buf = _contiguous(tensor)
        req = self.comm.Iallreduce(self._MPI.IN_PLACE, buf, op=self._ops[op])

        def finish() -> None:
            req.Wait()
            if op is ReduceOp.AVG:
                buf[...] /= self.size()
            _write_back(tensor, buf)

        return Work(finish)

    def broadcast(self, tensor: Tensor, src: int) -> Work:
        buf = _contiguous(tensor)
        req = self.comm.Ibcast(buf, root=src)

        def finish() -> None:
            req.Wait()
            _write_back(tensor, buf)

        return Work(finish)

    def all_gather(self, outputs: list[Tensor], tensor: Tensor) -> Work:
        send = _contiguous(tensor)
        recv = np.empty((self.size(), *send.shape), dtype=send.dtype)
        req = self.comm.Iallgather(send, recv)

        def finish() -> None:
            req.Wait()
            for out, part in zip(outputs, recv):
                _write_back(out, part)

        return Work(finish)

    def reduce_scatter(self, output: Tensor, inputs: list[Tensor], op: ReduceOp) -> Work:
        send = np.stack([np.asarray(t._data) for t in inputs])
        buf = _contiguous(output)
        req = self.comm.Ireduce_scatter_block(send, buf, op=self._ops[op])

        def finish() -> None:
            req.Wait()
            if op is ReduceOp.AVG:
                buf[...] /= self.size()
            _write_back(output, buf)

        return Work(finish)

    def barrier(self) -> Work:
        return Work(self.comm.Ibarrier().Wait)

    def all_gather_object(self, obj: Any) -> list[Any]:
        return list(self.comm.allgather(obj))


_FORWARD_PAUSE_S = 0.25


def abort(code: int = 1, reason: str = "", announce: bool = True) -> None:
    """End every rank of the MPI job now with exit status ``code``; unless ``announce`` is
    False (the caller has said why already), print one line that names this rank.

    For a rank that has failed: returning normally would leave the other ranks waiting in
    their next collective (Note [A failing rank ends the job]).
    """
    from mpi4py import MPI

    world = MPI.COMM_WORLD
    if announce:
        detail = f": {reason}" if reason else ""
        print(
            f"nanotorch.distributed: rank {world.Get_rank()} of {world.Get_size()} "
            f"failed{detail}; aborting the job",
            file=sys.stderr,
            flush=True,
        )
    # mpiexec forwards each rank's output to its own asynchronously; an Abort right after
    # the write can kill the job before the last lines (this one) are forwarded. A short
    # pause lets them through and still ends the job within seconds.
    time.sleep(_FORWARD_PAUSE_S)
    world.Abort(code)
