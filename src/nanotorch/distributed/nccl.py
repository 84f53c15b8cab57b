"""The NCCL process group: collectives on cuda tensors through CuPy's NCCL bindings.

Each rank drives one GPU: the one whose index is the rank's position among the ranks on its
host (its *local rank*), so ``mpiexec -n 8`` on an 8-GPU node gives every process its own
device. NCCL needs all ranks to share a unique id before they can talk; rank 0 makes it and
MPI broadcasts it, so the ``nccl`` backend is launched by mpiexec like the ``mpi`` one (and
a failing rank ends the job the same way, Note [A failing rank ends the job] in mpi.py).

NCCL calls are asynchronous on a CUDA stream; here they go on the current stream of the
tensor's device, so later kernels on that stream see the result without any host wait.
``Work.wait()`` synchronizes the stream, so the host may read the result afterwards. NCCL has
no AVG on older versions; AVG is a SUM followed by a division on the same stream.

CuPy and mpi4py are imported when the group is made, never at ``import nanotorch``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nanotorch.distributed.process_group import ProcessGroup, ReduceOp, Work

if TYPE_CHECKING:
    from nanotorch.tensor import Tensor


class NCCLProcessGroup(ProcessGroup):
    backend = "nccl"
    device_types = ("cuda",)

    def __init__(self) -> None:
        try:
            import cupy
            from cupy.cuda import nccl
        except Exception as e:  # ImportError, or CuPy present without its NCCL library
            raise RuntimeError(
                "init_process_group('nccl'): CuPy with NCCL is not available "
                f"({type(e).__name__}: {e}); install a cuda extra (uv sync --extra cuda12) on a "
                "machine with NVIDIA GPUs, or use backend='mpi' for cpu tensors"
            ) from e
        try:
            from nanotorch.distributed.mpi import MPIProcessGroup
        except ImportError as e:  # pragma: no cover - mpi.py itself always imports
            raise RuntimeError(str(e)) from e
        # The MPI group does the unique-id exchange, object collectives and the abort hook.
        self._host = MPIProcessGroup()
        self._cupy = cupy
        self._nccl = nccl
        world = self._host.comm
        local = world.Split_type(self._host._MPI.COMM_TYPE_SHARED)
        self.local_rank = int(local.Get_rank())
        local.Free()
        count = cupy.cuda.runtime.getDeviceCount()
        self.device_index = self.local_rank % count
        cupy.cuda.Device(self.device_index).use()
        uid = nccl.get_unique_id() if self._host.rank() == 0 else None
        uid = world.bcast(uid, root=0)
        self.comm = nccl.NcclCommunicator(self._host.size(), uid, self._host.rank())
        self._ops = {
            ReduceOp.SUM: nccl.NCCL_SUM,
            ReduceOp.AVG: nccl.NCCL_SUM,
            ReduceOp.PRODUCT: nccl.NCCL_PROD,
            ReduceOp.MIN: nccl.NCCL_MIN,
            ReduceOp.MAX: nccl.NCCL_MAX,
        }
        self._types = {
            "float16": nccl.NCCL_FLOAT16,
            "float32": nccl.NCCL_FLOAT32,
            "float64": nccl.NCCL_FLOAT64,
            "int8": nccl.NCCL_INT8,
            "uint8": nccl.NCCL_UINT8,
            "int32": nccl.NCCL_INT32,
            "int64": nccl.NCCL_INT64,
        }

    def home_device(self) -> str:
        return f"cuda:{self.device_index}"

    def rank(self) -> int:
        return self._host.rank()

    def size(self) -> int:
        return self._host.size()

    def shutdown(self) -> None:
        if self.comm is not None:
            self.comm.destroy()
            self.comm = None
        self._host.shutdown()

    # ------------------------------------------------------------ helpers
    def _array(self, t: Tensor) -> Any:
        if t.device.index != self.device_index:
            raise RuntimeError(
                f"nccl: tensor is on {t.device} but this rank's NCCL communicator drives "
                f"cuda:{self.device_index}; move it with .to('cuda:{self.device_index}')"
            )
        a = t._data
        return a if a.flags.c_contiguous else self._cupy.ascontiguousarray(a)

    def _dtype(self, a: Any) -> int:
        name = str(a.dtype)
        if name not in self._types:
            raise TypeError(f"nccl: dtype {name} has no NCCL type; convert to float32 first")
        return self._types[name]

    def _stream(self) -> int:
        return int(self._cupy.cuda.get_current_stream().ptr)

    def _done(self, tensor: Tensor, buf: Any, avg: bool = False) -> Work:
        if avg:
            buf /= self.size()
        if buf is not tensor._data:
            tensor._data[...] = buf
        tensor._version += 1
        return Work(self._cupy.cuda.get_current_stream().synchronize)

    # ------------------------------------------------------------ collectives
    def all_reduce(self, tensor: Tensor, op: ReduceOp) -> Work:
        with self._cupy.cuda.Device(self.device_index):
            a = self._array(tensor)
            self.comm.allReduce(
                a.data.ptr, a.data.ptr, a.size, self._dtype(a), self._ops[op], self._stream()
            )
            return self._done(tensor, a, op is ReduceOp.AVG)

    def broadcast(self, tensor: Tensor, src: int) -> Work:
        with self._cupy.cuda.Device(self.device_index):
            a = self._array(tensor)
            self.comm.bcast(a.data.ptr, a.size, self._dtype(a), src, self._stream())
            return self._done(tensor, a)

    def all_gather(self, outputs: list[Tensor], tensor: Tensor) -> Work:
        cp = self._cupy
        with cp.cuda.Device(self.device_index):
            a = self._array(tensor)
            recv = cp.empty((self.size(), *a.shape), dtype=a.dtype)
            self.comm.allGather(a.data.ptr, recv.data.ptr, a.size, self._dtype(a), self._stream())
            for out, part in zip(outputs, recv):
                out._data[...] = part
                out._version += 1
            return Work(cp.cuda.get_current_stream().synchronize)

    def reduce_scatter(self, output: Tensor, inputs: list[Tensor], op: ReduceOp) -> Work:
        cp = self._cupy
        with cp.cuda.Device(self.device_index):
            send = cp.stack([self._array(t) for t in inputs])
            a = self._array(output)
            self.comm.reduceScatter(
                send.data.ptr, a.data.ptr, a.size, self._dtype(a), self._ops[op], self._stream()
            )
            return self._done(output, a, op is ReduceOp.AVG)

    def barrier(self) -> Work:
        cp = self._cupy
        with cp.cuda.Device(self.device_index):
            one = cp.ones(1, dtype=cp.float32)
            self.comm.allReduce(
                one.data.ptr,
                one.data.ptr,
                1,
                self._nccl.NCCL_FLOAT32,
                self._nccl.NCCL_SUM,
                self._stream(),
            )
            cp.cuda.get_current_stream().synchronize()
        return Work()

    def all_gather_object(self, obj: Any) -> list[Any]:
        return self._host.all_gather_object(obj)
