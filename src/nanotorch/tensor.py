"""``Tensor``: an array, the device it lives on, and its link into the autograd graph.

A Tensor holds a raw array of its backend's namespace (``_data``), the ``Device`` and the
``Backend`` serving it, ``requires_grad``, ``grad`` and ``grad_fn`` (the node that made it).
Arithmetic operators and methods delegate to the functional ops in ``nanotorch.ops``; this
module holds no math of its own. Host access is explicit: ``.numpy()`` (cpu only),
``.item()``, ``.tolist()`` and ``float()`` are the named sync points.
"""

from __future__ import annotations

import functools
import math
import weakref
from collections.abc import Callable, Sequence
from typing import Any

from nanotorch import dtypes as _dt
from nanotorch._dim_args import dim_aliases
from nanotorch.autograd import function as _function
from nanotorch.autograd.function import AccumulateGrad, Context
from nanotorch.backend import Backend, Device, get_backend, record_sync
from nanotorch.backend import device as _device
from nanotorch.backend import quiet as _quiet
from nanotorch.dtypes import DType


def _in_device_context(method: Callable[..., Any]) -> Callable[..., Any]:
    """Run an in-place method inside its tensor's device context (Note [Device context] in
    backend/base.py): ``x.add_(y)`` on cuda:1 must compute on GPU 1, not on the current one.
    Backends without a context skip the ``with``. NumPy's floating-point reports are off
    meanwhile, as in every op (Note [Quiet floating point] in backend/quiet.py)."""

    @functools.wraps(method)
    def run(self: Tensor, *args: Any, **kwargs: Any) -> Any:
        backend = self._backend
        token = _quiet.enter(_quiet.QUIET)
        try:
            if backend.needs_context:
                with backend.context():
                    return method(self, *args, **kwargs)
            return method(self, *args, **kwargs)
        finally:
            _quiet.leave(token)

    return run


class RemovableHandle:
    """Returned by ``register_hook``; ``remove()`` takes the hook out again."""

    def __init__(self, hooks: list[Any], hook: Any) -> None:
        self._hooks = hooks
        self._hook = hook

    def remove(self) -> None:
        if self._hook in self._hooks:
            self._hooks.remove(self._hook)


class Tensor:
    """A multi-dimensional array on one device, with optional gradient tracking.

    Make tensors with ``nanotorch.tensor``, ``zeros``, ``randn``...; the constructor is
    internal.

    >>> import nanotorch
    >>> x = nanotorch.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    >>> x.shape, x.dtype, x.device
    ((2, 2), nanotorch.float32, device('cpu'))
    """

    __slots__ = (
        "_data",
        "_device",
        "_backend",
        "_requires_grad",
        "_grad",
        "grad_fn",
        "_version",
        "_accum",
        "_view",
        "_inference",
        "__weakref__",
    )
    # Make NumPy defer to Tensor's reflected operators (ndarray * Tensor -> Tensor.__rmul__).
    __array_priority__ = 1000

    @classmethod
    def _make(
        cls,
        data: Any,
        device: Device,
        backend: Backend,
        requires_grad: bool = False,
        grad_fn: Context | None = None,
    ) -> Tensor:
        """Wrap an array without copying or checking (the engine's fast path)."""
        t = object.__new__(cls)
        t._data = data
        t._device = device
        t._backend = backend
        t._requires_grad = requires_grad
        t._grad = None
        t.grad_fn = grad_fn
        t._version = 0
        t._accum = None
        t._view = None  # (root, regen, overlapping) for a view (Note [In-place on views])
        # Note [Inference tensors]; the list read spares the ContextVar until inference mode
        # has been used at all.
        t._inference = _inference_ever_on[0] and _inference_enabled.get()
        return t

    def __new__(cls, *args: Any, **kwargs: Any) -> Tensor:
        # PyTorch's legacy constructor, Tensor(data) / Tensor(*sizes) (Note [Legacy
        # constructors] in legacy.py); the engine makes tensors with _make, not through here.
        from nanotorch.legacy import construct

        return construct(_dt.get_default_dtype(), "Tensor", args, kwargs)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass  # everything happens in __new__

    # ------------------------------------------------------------------ metadata
    @property
    def data(self) -> Tensor:
        """The same values detached from the graph (shares memory)."""
        return self.detach()

    @data.setter
    def data(self, value: Tensor) -> None:
        if tuple(value.shape) != tuple(self.shape) or value._device is not self._device:
            raise ValueError(
                f"data setter: new value has shape {tuple(value.shape)} on {value.device}, "
                f"tensor has shape {tuple(self.shape)} on {self.device}"
            )
        self._data = value._data
        self._version += 1

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self._data.shape)

    def size(self, dim: int | None = None) -> tuple[int, ...] | int:
        if dim is None:
            return self.shape
        from nanotorch.ops._util import normalize_dim

        return self.shape[normalize_dim(dim, self.ndim, "size")]

    @property
    def ndim(self) -> int:
        return len(self._data.shape)

    def dim(self) -> int:
        return self.ndim

    @property
    def dtype(self) -> DType:
        return self._backend.dtype_of(self._data)

    @property
    def device(self) -> Device:
        return self._device

    @property
    def is_cuda(self) -> bool:
        return self._device.type == "cuda"

    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        self.requires_grad_(value)

    @property
    def grad(self) -> Tensor | None:
        """The gradient that backward accumulated here (None until then).

        Assigning one is checked as PyTorch checks it: a Tensor of this tensor's shape, dtype
        and device, or None; an optimizer would otherwise broadcast a wrong-shaped gradient
        into its update."""
        return self._grad

    @grad.setter
    def grad(self, value: Tensor | None) -> None:
        if value is not None:
            self._check_assigned_grad(value)
        self._grad = value

    def _check_assigned_grad(self, value: Any) -> None:
        if not isinstance(value, Tensor):
            raise TypeError(
                f".grad: expected a Tensor or None, got {type(value).__name__}; wrap the values "
                f"with nanotorch.tensor(..., dtype=nanotorch.{self.dtype.name}, "
                f"device='{self.device}')"
            )
        if value is self:
            raise RuntimeError(".grad: a tensor cannot be assigned as its own grad")
        if value._device is not self._device:
            raise RuntimeError(
                f".grad: the assigned gradient is on {value.device} but the tensor is on "
                f"{self.device}; move it with .to('{self.device}')"
            )
        if value._data.dtype != self._data.dtype:
            raise RuntimeError(
                f".grad: the assigned gradient has dtype {value.dtype.name} but the tensor has "
                f"dtype {self.dtype.name}; convert it with .to(nanotorch.{self.dtype.name})"
            )
        if value._data.shape != self._data.shape:
            raise RuntimeError(
                f".grad: the assigned gradient has shape {value.shape} but the tensor has shape "
                f"{self.shape}; a gradient has the shape of its tensor"
            )

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    def numel(self) -> int:
        n = 1
        for s in self._data.shape:
            n *= int(s)
        return n

    def element_size(self) -> int:
        return self.dtype.itemsize

    @property
    def itemsize(self) -> int:
        return self.dtype.itemsize

    @property
    def nbytes(self) -> int:
        return self.numel() * self.dtype.itemsize

    def get_device(self) -> int:
        """The device index; -1 on cpu, as in PyTorch."""
        return -1 if self.device.type == "cpu" else self.device.index

    def is_complex(self) -> bool:
        return False  # nanotorch has no complex dtypes

    def is_signed(self) -> bool:
        return self.dtype.is_signed

    # nanotorch's dtypes are real: no lazy conjugation or negation bits, no imaginary part.
    def is_conj(self) -> bool:
        return False

    def is_neg(self) -> bool:
        return False

    @property
    def real(self) -> Tensor:
        return self

    @property
    def imag(self) -> Tensor:
        return _ops_imag(self)

    # Note [Strides of a contiguous reading]
    # nanotorch tensors carry no strides the user can see, and every tensor counts as
    # contiguous (``is_contiguous``): ``stride`` reports the row-major strides of its shape,
    # which is how ``as_strided`` reads a tensor, so ``x.as_strided(x.shape, x.stride())``
    # is ``x``. A transposed PyTorch tensor reports its memory's strides instead.
    def stride(self, dim: int | None = None) -> tuple[int, ...] | int:
        strides = [1] * self.ndim
        for d in range(self.ndim - 2, -1, -1):
            strides[d] = strides[d + 1] * max(self.shape[d + 1], 1)
        if dim is None:
            return tuple(strides)
        from nanotorch.ops._util import normalize_dim

        return strides[normalize_dim(dim, self.ndim, "stride")]

    def storage_offset(self) -> int:
        return 0

    def dim_order(self) -> tuple[int, ...]:
        return tuple(range(self.ndim))

    @property
    def is_cpu(self) -> bool:
        return self.device.type == "cpu"

    # Layouts and modes nanotorch does not have: every tensor is dense, real, unquantized,
    # on a real device, and made outside any inference mode.
    @property
    def is_meta(self) -> bool:
        return False

    @property
    def is_sparse(self) -> bool:
        return False

    @property
    def is_quantized(self) -> bool:
        return False

    @property
    def is_nested(self) -> bool:
        return False

    @property
    def is_mkldnn(self) -> bool:
        return False

    def to_dense(self) -> Tensor:
        return self

    def is_same_size(self, other: Tensor) -> bool:
        return tuple(self.shape) == tuple(other.shape)

    def is_nonzero(self) -> bool:
        """The truth of a one-element tensor (PyTorch raises for any other size)."""
        if self.numel() != 1:
            from nanotorch.errors import InvalidArgumentError

            raise InvalidArgumentError(
                f"is_nonzero: expects a tensor with exactly one element, got shape {self.shape}"
            )
        return bool(self.item())

    def is_floating_point(self) -> bool:
        return self.dtype.is_floating_point

    def __len__(self) -> int:
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return int(self._data.shape[0])

    def __repr__(self) -> str:
        # Reading values for display is a sync point too, but not a transfer the user asked
        # for, so it is not counted.
        # The values print by PyTorch's rules and set_printoptions (nanotorch/printing.py).
        from nanotorch.printing import tensor_repr

        extras = [f"dtype={self.dtype.name}", f"device='{self.device}'"]
        if self.grad_fn is not None:
            extras.append(f"grad_fn={self.grad_fn!r}")
        elif self._requires_grad:
            extras.append("requires_grad=True")
        return tensor_repr(self._to_host_uncounted(), extras)

    # ------------------------------------------------------------------ autograd
    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set ``requires_grad`` in place on a leaf; only floating tensors can require grad."""
        if requires_grad and self._inference and not _inference_enabled.get():
            raise RuntimeError(
                "requires_grad_: Setting requires_grad=True on inference tensor outside "
                "InferenceMode is not allowed; use x.clone() (outside inference_mode) to get "
                "an ordinary tensor (Note [Inference tensors])"
            )
        if requires_grad and not self.dtype.is_floating_point:
            raise RuntimeError(
                f"only floating-point tensors can require gradients, got {self.dtype!r}; "
                "convert with .float() first"
            )
        if not requires_grad and self.grad_fn is not None:
            raise RuntimeError(
                "requires_grad_(False) on a non-leaf tensor; use .detach() to cut it from the graph"
            )
        self._requires_grad = bool(requires_grad)
        return self

    def _accumulator(self) -> AccumulateGrad:
        if self._accum is None:
            self._accum = AccumulateGrad(self)
        return self._accum

    def detach(self) -> Tensor:
        """A new tensor with the same data (shared) and no graph."""
        out = Tensor._make(self._data, self._device, self._backend, False, None)
        out._inference |= self._inference  # a view of an inference tensor is one
        return out

    def is_inference(self) -> bool:
        """Whether this tensor was made inside ``inference_mode()`` (Note [Inference
        tensors])."""
        return self._inference

    def _refuse_inference_inplace(self, op: str) -> None:
        if self._inference and not _inference_enabled.get():
            raise RuntimeError(
                f"{op}: Inplace update to inference tensor outside InferenceMode is not "
                f"allowed (tensor of shape {self.shape}, {self.dtype.name}); make an "
                "ordinary tensor with x.clone() first (Note [Inference tensors])"
            )

    def detach_(self) -> Tensor:
        self.grad_fn = None
        self._requires_grad = False
        return self

    def retain_grad(self) -> None:
        """Keep ``.grad`` for this non-leaf tensor after backward (leaves always keep it)."""
        if not self._requires_grad:
            raise RuntimeError("retain_grad() on a tensor that does not require grad")
        if self.grad_fn is not None:
            self.grad_fn.retain_ref = weakref.ref(self)

    @property
    def retains_grad(self) -> bool:
        return self.grad_fn is not None and self.grad_fn.retain_ref is not None

    def register_hook(self, hook: Callable[[Tensor], Tensor | None]) -> RemovableHandle:
        """Call ``hook(grad)`` when this tensor's gradient is computed; a returned tensor
        replaces the gradient."""
        if not self._requires_grad:
            raise RuntimeError("register_hook on a tensor that does not require grad")
        # A leaf's hooks live on its AccumulateGrad node, a non-leaf's on its grad_fn: the
        # engine finds both on the node it visits.
        node = self.grad_fn if self.grad_fn is not None else self._accumulator()
        if node.hooks is None:
            node.hooks = []
        hooks = node.hooks
        hooks.append(hook)
        return RemovableHandle(hooks, hook)

    def register_post_accumulate_grad_hook(self, hook: Callable[[Tensor], None]) -> RemovableHandle:
        """Call ``hook(self)`` each time backward has added into this leaf's ``.grad``.

        ``register_hook`` sees the incoming gradient before it is added; this one sees the
        accumulated ``.grad`` (DistributedDataParallel starts a bucket's all-reduce here).
        """
        name = "register_post_accumulate_grad_hook"
        if not self._requires_grad:
            raise RuntimeError(f"{name} on a tensor that does not have requires_grad=True")
        if self.grad_fn is not None:
            raise RuntimeError(
                f"{name}: only a leaf tensor accumulates into .grad, and this one was made by "
                f"{type(self.grad_fn).__name__}; register it on the leaf (a Parameter)"
            )
        node = self._accumulator()
        if node.post_hooks is None:
            node.post_hooks = []
        node.post_hooks.append(hook)
        return RemovableHandle(node.post_hooks, hook)

    def backward(
        self,
        gradient: Tensor | None = None,
        retain_graph: bool | None = None,
        create_graph: bool = False,
        inputs: Sequence[Tensor] | None = None,
    ) -> None:
        """Accumulate the gradient of this tensor into every leaf's ``.grad``.

        >>> import nanotorch
        >>> x = nanotorch.tensor(3.0, requires_grad=True)
        >>> (x * x).backward()
        >>> x.grad.item()
        6.0
        """
        from nanotorch.autograd.engine import backward

        backward(self, gradient, retain_graph, create_graph, inputs)

    # ------------------------------------------------------------------ devices and dtypes
    def to(self, *args: Any, **kwargs: Any) -> Tensor:
        """``.to(device)``, ``.to(dtype)`` or ``.to(device, dtype)``. Returns ``self`` when
        nothing changes; a device change is the one counted, differentiable copy."""
        target_device, target_dtype = _parse_to_args(args, kwargs)
        out = self
        if target_dtype is not None and target_dtype is not self.dtype:
            from nanotorch.ops.copy import cast

            out = cast(out, target_dtype)
        if target_device is not None and target_device is not self._device:
            from nanotorch.ops.copy import to_device

            out = to_device(out, target_device)
        return out

    def cpu(self) -> Tensor:
        return self.to("cpu")

    def cuda(self, index: int = 0) -> Tensor:
        return self.to(_device("cuda", index))

    def float(self) -> Tensor:
        return self.to(_dt.float32)

    def double(self) -> Tensor:
        return self.to(_dt.float64)

    def long(self) -> Tensor:
        return self.to(_dt.int64)

    def int(self) -> Tensor:
        return self.to(_dt.int32)

    def bool(self) -> Tensor:
        return self.to(_dt.bool_)

    def type(self, dtype: Any = None, non_blocking: bool = False) -> Any:
        """Without ``dtype``: the legacy type name (``'nanotorch.FloatTensor'``); with one
        (a dtype, a legacy class such as ``nanotorch.LongTensor``, or its name): this tensor
        in that dtype (itself when it already is)."""
        from nanotorch import legacy

        if dtype is None:
            return legacy.type_name(self.dtype)
        return self.to(legacy.dtype_of(dtype))

    def _to_host_uncounted(self) -> Any:
        return self._backend.to_host(self._data)

    def numpy(self) -> Any:
        """The data as a NumPy array sharing memory (cpu tensors only, like PyTorch)."""
        if self._device.type != "cpu":
            raise RuntimeError(
                f"numpy(): tensor is on {self.device}; NumPy arrays live on the host. "
                "Call .cpu() first (an explicit, counted copy): t.cpu().numpy()"
            )
        if self._requires_grad:
            raise RuntimeError(
                "numpy(): tensor requires grad; call .detach().numpy() to read its values"
            )
        return self._data

    def item(self) -> float | int | bool:
        """The single value as a Python number (a sync point on accelerators)."""
        if self.numel() != 1:
            from nanotorch.errors import InvalidArgumentError

            raise InvalidArgumentError(
                f"item(): only one-element tensors can be converted to a Python number, "
                f"got shape {tuple(self.shape)}"
            )
        record_sync(self._backend, self._data)
        return self._to_host_uncounted().reshape(()).item()

    def tolist(self) -> Any:
        record_sync(self._backend, self._data)
        return self._to_host_uncounted().tolist()

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __bool__(self) -> bool:
        return bool(self.item())

    def __index__(self) -> int:
        if self.dtype.is_floating_point or self.numel() != 1:
            raise TypeError("only integer tensors of a single element can be used as an index")
        return int(self.item())

    def __dlpack__(self, *args: Any, **kwargs: Any) -> Any:
        return self._data.__dlpack__(*args, **kwargs)

    def __dlpack_device__(self) -> tuple[int, int]:
        return self._data.__dlpack_device__()

    def __hash__(self) -> int:
        return id(self)

    def __deepcopy__(self, memo: dict[int, Any]) -> Tensor:
        """A leaf with its own copy of the data on the same device (``copy.deepcopy(model)``
        for EMA or target networks). Parameters stay Parameters; the graph is not copied."""
        if self.grad_fn is not None:
            raise RuntimeError(
                "deepcopy: only leaf tensors can be deep-copied; call .detach() first"
            )
        with self._backend.context():
            data = self._backend.xp.asarray(self._data, copy=True)
        out = type(self)._make(data, self._device, self._backend, self._requires_grad, None)
        if self.grad is not None:
            out.grad = self.grad.__deepcopy__(memo)
        memo[id(self)] = out
        return out

    def __iter__(self) -> Any:
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(len(self)))

    # ------------------------------------------------------------------ operators
    # Each delegates to the functional op of the same name in nanotorch.ops (imported at the
    # bottom of this module, since the ops themselves build Tensors).
    #
    # Note [Python-number operands]
    # ~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
    # ``x * 2.0`` and ``y + 1`` are the commonest arithmetic there is (scaling, epsilons,
    # W3's whole chain). What ``ops.elementwise._binary`` checks first (one operand is a
    # Tensor, the other a number, the shapes broadcast) holds by construction for a Tensor
    # and a Python ``float`` or ``int``, so the four arithmetic operators hand such an
    # operand straight to the op's Function: two Python calls fewer per op. Everything that
    # decides the result (device, dtype promotion, grad mode, recording) is
    # ``Function.apply``'s, the same for both paths. ``bool`` (``type(True) is bool``), NumPy
    # scalars and Tensors take the checked path. tests/unit/test_dispatch_paths.py compares
    # the two on every device, dtype and operand order.
    def __add__(self, other: Any) -> Tensor:
        if type(other) in _NUMBER_TYPES:
            return _Add.apply(self, other)
        return _ops.add(self, other)

    def __radd__(self, other: Any) -> Tensor:
        if type(other) in _NUMBER_TYPES:
            return _Add.apply(other, self)
        return _ops.add(other, self)

    def __sub__(self, other: Any) -> Tensor:
        if type(other) in _NUMBER_TYPES:
            return _Sub.apply(self, other)
        return _ops.sub(self, other)

    def __rsub__(self, other: Any) -> Tensor:
        if type(other) in _NUMBER_TYPES:
            return _Sub.apply(other, self)
        return _ops.sub(other, self)

    def __mul__(self, other: Any) -> Tensor:
        if type(other) in _NUMBER_TYPES:
            return _Mul.apply(self, other)
        return _ops.mul(self, other)

    def __rmul__(self, other: Any) -> Tensor:
        if type(other) in _NUMBER_TYPES:
            return _Mul.apply(other, self)
        return _ops.mul(other, self)

    def __truediv__(self, other: Any) -> Tensor:
        if type(other) in _NUMBER_TYPES:
            return _Div.apply(self, other)
        return _ops.div(self, other)

    def __rtruediv__(self, other: Any) -> Tensor:
        if type(other) in _NUMBER_TYPES:
            return _Div.apply(other, self)
        return _ops.div(other, self)

    def __floordiv__(self, other: Any) -> Tensor:
        return _ops.floor_divide(self, other)

    def __rfloordiv__(self, other: Any) -> Tensor:
        return _ops.floor_divide(other, self)

    def __mod__(self, other: Any) -> Tensor:
        return _ops.remainder(self, other)

    def __rmod__(self, other: Any) -> Tensor:
        return _ops.remainder(other, self)

    def __pow__(self, other: Any) -> Tensor:
        return _ops.pow(self, other)

    def __rpow__(self, other: Any) -> Tensor:
        return _ops.pow(other, self)

    def __matmul__(self, other: Tensor) -> Tensor:
        return _ops.matmul(self, other)

    def __rmatmul__(self, other: Tensor) -> Tensor:
        return _ops.matmul(other, self)

    def __neg__(self) -> Tensor:
        return _ops.neg(self)

    def __pos__(self) -> Tensor:
        return self

    def __abs__(self) -> Tensor:
        return _ops.abs(self)

    def __eq__(self, other: Any) -> Tensor:  # type: ignore[override]
        return _ops.eq(self, other)

    def __ne__(self, other: Any) -> Tensor:  # type: ignore[override]
        return _ops.ne(self, other)

    def __lt__(self, other: Any) -> Tensor:
        return _ops.lt(self, other)

    def __le__(self, other: Any) -> Tensor:
        return _ops.le(self, other)

    def __gt__(self, other: Any) -> Tensor:
        return _ops.gt(self, other)

    def __ge__(self, other: Any) -> Tensor:
        return _ops.ge(self, other)

    # Bitwise on integers, logical on bool (Note [Bitwise on bool] in ops/bitwise.py).
    def __and__(self, other: Any) -> Tensor:
        return _ops.bitwise_and(self, other)

    def __rand__(self, other: Any) -> Tensor:
        return _ops.bitwise_and(other, self)

    def __or__(self, other: Any) -> Tensor:
        return _ops.bitwise_or(self, other)

    def __ror__(self, other: Any) -> Tensor:
        return _ops.bitwise_or(other, self)

    def __xor__(self, other: Any) -> Tensor:
        return _ops.bitwise_xor(self, other)

    def __rxor__(self, other: Any) -> Tensor:
        return _ops.bitwise_xor(other, self)

    def __invert__(self) -> Tensor:
        return _ops.bitwise_not(self)

    def __lshift__(self, other: Any) -> Tensor:
        return _ops.bitwise_left_shift(self, other)

    def __rlshift__(self, other: Any) -> Tensor:
        return _ops.bitwise_left_shift(other, self)

    def __rshift__(self, other: Any) -> Tensor:
        return _ops.bitwise_right_shift(self, other)

    def __rrshift__(self, other: Any) -> Tensor:
        return _ops.bitwise_right_shift(other, self)

    def __getitem__(self, key: Any) -> Tensor:
        return _ops.getitem(self, key)

    # ------------------------------------------------------------------ in-place updates
    # Note [In-place updates]
    # ~~~~~~~~~~~~~~~~~~~~~~~
    # Every in-place update bumps ``_version``; a tensor saved for backward remembers its
    # version, and backward raises if it changed (Context.saved_tensors). The hand-written
    # methods below (``add_``, ``mul_``, ``fill_``...) are the plain updates optimizers and
    # initialisers make under no_grad, written straight into the array; whenever autograd
    # must record the update, or the tensor is a view, they hand over to ``_inplace.apply``
    # (Note [In-place autograd] and Note [In-place on views] in _inplace.py), which also
    # generates every other ``op_`` method from its out-of-place op.
    def _check_inplace(self, op: str) -> None:
        """Refuse the plain update paths (samplers, optimizer fast paths) a tensor that
        requires grad while grad mode is on."""
        if self._requires_grad and _is_grad_enabled():
            if self.grad_fn is None:
                raise _inplace._leaf_error(op, view=False)
            raise RuntimeError(
                f"{op}: in-place update of a tensor that requires grad while grad mode is on; "
                "wrap it in `with nanotorch.no_grad():` or use the out-of-place form"
            )

    def _records_inplace(self, *operands: Any) -> bool:
        """Whether an in-place update must go through ``_inplace.apply``: a view, or grad
        mode on with this tensor or an operand requiring grad."""
        # Grad mode is read last: an optimizer's state buffers and gradients require no
        # grad, so their updates cost no call beyond this one (Note [Dispatch cost]).
        if self._inference:
            self._refuse_inference_inplace("in-place op")
        if self._view is not None:
            return True
        if self._requires_grad:
            return _is_grad_enabled()
        for o in operands:
            if isinstance(o, Tensor) and o._requires_grad:
                return _is_grad_enabled()
        return False

    def _inplace_operand(self, op: str, other: Any, to_float: bool = False) -> Any:
        """``other`` as what ``self``'s array can be updated with in place: on the same
        device, broadcastable to ``self``'s shape, and converted to ``self``'s dtype when the
        promoted result may be stored there (Note [Type promotion] in promotion.py)."""
        if not isinstance(other, Tensor):
            # Fast exit for the optimizers' ``p.mul_(0.9)``: a float tensor takes any number.
            if type(other) in (int, float) and self.dtype.is_floating_point:
                return other
            return self._inplace_cast(op, other, to_float)
        if other._device is not self._device:
            from nanotorch.errors import DeviceMismatchError

            raise DeviceMismatchError(
                f"{op}: tensor is on {self.device} but the operand is on {other.device}; "
                f"call .to('{self.device}') on the operand first"
            )
        if other._data.shape != self._data.shape:
            from nanotorch.ops._util import broadcast_shapes

            if broadcast_shapes(op, self.shape, other.shape) != self.shape:
                raise RuntimeError(
                    f"{op}: operand of shape {other.shape} cannot be broadcast to the "
                    f"tensor's shape {self.shape}"
                )
        if other._data.dtype != self._data.dtype or (to_float and not self.dtype.is_floating_point):
            return self._inplace_cast(op, other, to_float)
        return other._data

    def _inplace_cast(self, op: str, other: Any, to_float: bool) -> Any:
        """The operand converted to this tensor's dtype, or PyTorch's RuntimeError when the
        promoted result's category is higher than the tensor's (float into int)."""
        from nanotorch.dtypes import get_default_dtype
        from nanotorch.promotion import can_cast, pytorch_name, result_type

        result = result_type(self, other)
        if to_float and not result.is_floating_point:
            result = get_default_dtype()
        if not can_cast(result, self.dtype):
            raise RuntimeError(
                f"{op}: result type {pytorch_name(result)} can't be cast to the desired output "
                f"type {pytorch_name(self.dtype)} (a {self.dtype.name} tensor updated in place "
                f"keeps its dtype); use the out-of-place form, or convert the tensor first "
                f"with .to(nanotorch.{result.name})"
            )
        if isinstance(other, Tensor):
            return self._backend.xp.astype(other._data, self._data.dtype)
        if self.dtype.is_floating_point:
            return float(other)
        return bool(other) if self.dtype.name == "bool" else int(other)

    def _set_data(self, data: Any) -> Tensor:
        self._data = data
        self._version += 1
        return self

    @_in_device_context
    def add_(self, other: Any, *, alpha: float = 1) -> Tensor:
        if self._records_inplace(other):
            if not isinstance(other, Tensor) and alpha != 1:
                other, alpha = other * alpha, 1  # add() scales only tensors by alpha
            return _inplace.apply(self, "add_", _ops.add, other, alpha=alpha)
        o = self._inplace_operand("add_", other)
        if alpha != 1:
            o = o * alpha
        self._data += o
        self._version += 1
        return self

    def sub_(self, other: Any, *, alpha: float = 1) -> Tensor:
        return self.add_(other, alpha=-alpha)

    @_in_device_context
    def mul_(self, other: Any) -> Tensor:
        if self._records_inplace(other):
            return _inplace.apply(self, "mul_", _ops.mul, other)
        self._data *= self._inplace_operand("mul_", other)
        self._version += 1
        return self

    @_in_device_context
    def div_(self, other: Any) -> Tensor:
        if self._records_inplace(other):
            return _inplace.apply(self, "div_", _ops.div, other)
        self._data /= self._inplace_operand("div_", other, to_float=True)
        self._version += 1
        return self

    @_in_device_context
    def addcmul_(self, a: Tensor, b: Tensor, *, value: float = 1) -> Tensor:
        if self._records_inplace(a, b):
            return _inplace.apply(self, "addcmul_", _ops.addcmul, a, b, value=value)
        prod = self._inplace_operand("addcmul_", a) * self._inplace_operand("addcmul_", b)
        self._data += prod * value if value != 1 else prod
        self._version += 1
        return self

    @_in_device_context
    def addcdiv_(self, a: Tensor, b: Tensor, *, value: float = 1) -> Tensor:
        if self._records_inplace(a, b):
            return _inplace.apply(self, "addcdiv_", _ops.addcdiv, a, b, value=value)
        q = self._inplace_operand("addcdiv_", a) / self._inplace_operand("addcdiv_", b)
        self._data += q * value if value != 1 else q
        self._version += 1
        return self

    @_in_device_context
    def lerp_(self, end: Tensor, weight: Any) -> Tensor:
        if self._records_inplace(end, weight) or isinstance(weight, Tensor):
            return _inplace.apply(self, "lerp_", _ops.lerp, end, weight)
        self._data += (self._inplace_operand("lerp_", end) - self._data) * weight
        self._version += 1
        return self

    def zero_(self) -> Tensor:
        return self.fill_(0)

    @_in_device_context
    def fill_(self, value: Any) -> Tensor:
        if self._records_inplace(value) or isinstance(value, Tensor):
            return _inplace.apply(self, "fill_", _filled, value)
        _check_fits(value, self.dtype, "fill_")
        self._data[...] = value
        self._version += 1
        return self

    @_in_device_context
    def copy_(self, src: Tensor) -> Tensor:
        """Copy values from ``src`` (same device, broadcastable shape; dtype is converted)."""
        if not isinstance(src, Tensor):
            raise TypeError(f"copy_: source must be a Tensor, got {type(src).__name__}")
        if self._records_inplace(src):
            return _inplace.apply(self, "copy_", _copied, src)
        if src._device is not self._device:
            from nanotorch.errors import DeviceMismatchError

            raise DeviceMismatchError(
                f"copy_: source is on {src.device} but the tensor is on {self.device}; call "
                f".to('{self.device}') on the source first"
            )
        data = src._data
        if data.dtype != self._data.dtype:
            data = self._backend.xp.astype(data, self._data.dtype)
        self._data[...] = data
        self._version += 1
        return self

    def clamp_(self, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002
        return _inplace.apply(self, "clamp_", _ops.clamp, min, max)

    def normal_(self, mean: float = 0.0, std: float = 1.0, *, generator: Any = None) -> Tensor:
        from nanotorch.creation import randn

        self._check_inplace("normal_")
        _check_real("normal_", mean=mean, std=std)
        if not std >= 0:  # also refuses nan
            raise ValueError(f"normal_: std must be >= 0, got std={std}")
        noise = randn(self.shape, generator=generator, dtype=self.dtype, device=self.device)._data
        # Scaled in place: ``noise`` is a fresh array no one else holds, and ``noise * std +
        # mean`` would allocate two more of the parameter's size (3x a 64 MB weight at
        # init, a peak that outlives the moment in the process's memory).
        noise *= std
        noise += mean
        return self._set_data(noise)

    def uniform_(self, a: float = 0.0, b: float = 1.0, *, generator: Any = None) -> Tensor:
        from nanotorch.creation import rand

        self._check_inplace("uniform_")
        _check_real("uniform_", a=a, b=b)
        if not a <= b:  # also refuses nan
            raise ValueError(
                f"uniform_: needs a <= b for the range [a, b), got a={a}, b={b}; swap them"
            )
        u = rand(self.shape, generator=generator, dtype=self.dtype, device=self.device)._data
        u *= b - a  # in place, as in normal_
        u += a
        return self._set_data(u)

    @_in_device_context
    def __setitem__(self, key: Any, value: Any) -> None:
        """``self[key] = value`` in place: basic keys write directly, advanced keys (index
        tensors, lists, masks) through ``put_values`` (Note [Advanced indexing] in
        ops/indexing.py)."""
        if isinstance(value, Tensor):
            if value._device is not self._device:
                from nanotorch.errors import DeviceMismatchError

                raise DeviceMismatchError(
                    f"__setitem__: value is on {value.device} but the tensor is on "
                    f"{self.device}; call .to('{self.device}') on the value first"
                )
        elif isinstance(value, (bool, int, float)):
            _check_fits(value, self.dtype, "__setitem__")
        _inplace.setitem(self, key, value)

    def __iadd__(self, other: Any) -> Tensor:
        return self.add_(other)

    def __isub__(self, other: Any) -> Tensor:
        return self.sub_(other)

    def __imul__(self, other: Any) -> Tensor:
        return self.mul_(other)

    def __itruediv__(self, other: Any) -> Tensor:
        return self.div_(other)

    # ------------------------------------------------------------------ methods
    def clone(self) -> Tensor:
        return _ops.clone(self)

    def add(self, other: Any, *, alpha: float = 1) -> Tensor:
        return _ops.add(self, other, alpha=alpha)

    def sub(self, other: Any, *, alpha: float = 1) -> Tensor:
        return _ops.sub(self, other, alpha=alpha)

    def mul(self, other: Any) -> Tensor:
        return _ops.mul(self, other)

    def div(self, other: Any, *, rounding_mode: str | None = None) -> Tensor:
        return _ops.div(self, other, rounding_mode=rounding_mode)

    def pow(self, exponent: Any) -> Tensor:
        return _ops.pow(self, exponent)

    def matmul(self, other: Tensor) -> Tensor:
        return _ops.matmul(self, other)

    def neg(self) -> Tensor:
        return _ops.neg(self)

    def square(self) -> Tensor:
        return _ops.square(self)

    def exp(self) -> Tensor:
        return _ops.exp(self)

    def log(self) -> Tensor:
        return _ops.log(self)

    def log1p(self) -> Tensor:
        return _ops.log1p(self)

    def expm1(self) -> Tensor:
        return _ops.expm1(self)

    def sqrt(self) -> Tensor:
        return _ops.sqrt(self)

    def rsqrt(self) -> Tensor:
        return _ops.rsqrt(self)

    def abs(self) -> Tensor:
        return _ops.abs(self)

    def sign(self) -> Tensor:
        return _ops.sign(self)

    def sin(self) -> Tensor:
        return _ops.sin(self)

    def cos(self) -> Tensor:
        return _ops.cos(self)

    def tanh(self) -> Tensor:
        return _ops.tanh(self)

    def sigmoid(self) -> Tensor:
        return _ops.sigmoid(self)

    def relu(self) -> Tensor:
        return _ops.relu(self)

    def clamp(self, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002
        return _ops.clamp(self, min, max)

    clip = clamp

    def maximum(self, other: Tensor) -> Tensor:
        return _ops.maximum(self, other)

    def minimum(self, other: Tensor) -> Tensor:
        return _ops.minimum(self, other)

    def eq(self, other: Any) -> Tensor:
        return _ops.eq(self, other)

    def ne(self, other: Any) -> Tensor:
        return _ops.ne(self, other)

    def lt(self, other: Any) -> Tensor:
        return _ops.lt(self, other)

    def le(self, other: Any) -> Tensor:
        return _ops.le(self, other)

    def gt(self, other: Any) -> Tensor:
        return _ops.gt(self, other)

    def ge(self, other: Any) -> Tensor:
        return _ops.ge(self, other)

    def logical_not(self) -> Tensor:
        return _ops.logical_not(self)

    def isnan(self) -> Tensor:
        return _ops.isnan(self)

    @dim_aliases
    def sum(self, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:
        return _ops.sum(self, dim, keepdim, dtype=dtype)

    @dim_aliases
    def mean(self, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:
        return _ops.mean(self, dim, keepdim, dtype=dtype)

    @dim_aliases
    def var(
        self,
        dim: Any = None,
        unbiased: Any = None,
        keepdim: bool = False,
        *,
        correction: Any = None,
    ) -> Tensor:
        return _ops.var(self, dim, unbiased, keepdim, correction=correction)

    @dim_aliases
    def std(
        self,
        dim: Any = None,
        unbiased: Any = None,
        keepdim: bool = False,
        *,
        correction: Any = None,
    ) -> Tensor:
        return _ops.std(self, dim, unbiased, keepdim, correction=correction)

    @dim_aliases
    def prod(self, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:
        return _ops.prod(self, dim, keepdim, dtype=dtype)

    @dim_aliases
    def max(self, dim: Any = None, keepdim: bool = False) -> Any:
        return _ops.max(self, dim, keepdim)

    @dim_aliases
    def min(self, dim: Any = None, keepdim: bool = False) -> Any:
        return _ops.min(self, dim, keepdim)

    @dim_aliases
    def amax(self, dim: Any = None, keepdim: bool = False) -> Tensor:
        return _ops.amax(self, dim, keepdim)

    @dim_aliases
    def amin(self, dim: Any = None, keepdim: bool = False) -> Tensor:
        return _ops.amin(self, dim, keepdim)

    @dim_aliases
    def argmax(self, dim: Any = None, keepdim: bool = False) -> Tensor:
        return _ops.argmax(self, dim, keepdim)

    @dim_aliases
    def argmin(self, dim: Any = None, keepdim: bool = False) -> Tensor:
        return _ops.argmin(self, dim, keepdim)

    @dim_aliases
    def logsumexp(self, dim: Any = None, keepdim: bool = False) -> Tensor:
        return _ops.logsumexp(self, dim, keepdim)

    @dim_aliases
    def softmax(self, dim: int = -1, dtype: Any = None) -> Tensor:
        return _ops.softmax(self, dim, dtype)

    @dim_aliases
    def log_softmax(self, dim: int = -1, dtype: Any = None) -> Tensor:
        return _ops.log_softmax(self, dim, dtype)

    def reshape(self, *shape: Any, **kwargs: Any) -> Tensor:
        return _ops.reshape(self, *_sizes("reshape", "shape", shape, kwargs))

    def view(self, *shape: Any, **kwargs: Any) -> Tensor:
        return _ops.reshape(self, *_sizes("view", "size", shape, kwargs))

    def view_as(self, other: Tensor) -> Tensor:
        return _ops.reshape(self, other.shape)

    def reshape_as(self, other: Tensor) -> Tensor:
        return _ops.reshape(self, other.shape)

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        return _ops.flatten(self, start_dim, end_dim)

    def unflatten(self, dim: int, sizes: Any) -> Tensor:
        return _ops.unflatten(self, dim, sizes)

    @dim_aliases
    def squeeze(self, dim: Any = None) -> Tensor:
        return _ops.squeeze(self, dim)

    @dim_aliases
    def unsqueeze(self, dim: int) -> Tensor:
        return _ops.unsqueeze(self, dim)

    def transpose(self, dim0: int, dim1: int) -> Tensor:
        return _ops.transpose(self, dim0, dim1)

    def permute(self, *dims: Any, **kwargs: Any) -> Tensor:
        return _ops.permute(self, *_sizes("permute", "dims", dims, kwargs))

    def t(self) -> Tensor:
        return _ops.t(self)

    @property
    def T(self) -> Tensor:  # noqa: N802 - PyTorch's name
        return _ops.permute(self, tuple(reversed(range(self.ndim)))) if self.ndim > 1 else self

    @property
    def mT(self) -> Tensor:  # noqa: N802 - PyTorch's name
        return _ops.matrix_transpose(self)

    # nanotorch's dtypes are real, so the conjugate transposes are the transposes.
    @property
    def H(self) -> Tensor:  # noqa: N802 - PyTorch's name
        if self.ndim not in (0, 2):
            from nanotorch.errors import ShapeError

            raise ShapeError(
                f"tensor.H: only for matrices (2-D tensors), got shape {self.shape}; use .mH "
                "for a batch of matrices"
            )
        return _ops.t(self)

    @property
    def mH(self) -> Tensor:  # noqa: N802 - PyTorch's name
        return _ops.adjoint(self)

    def adjoint(self) -> Tensor:
        return _ops.adjoint(self)

    def select(self, dim: int, index: Any) -> Tensor:
        return _ops.select(self, dim, index)

    def ravel(self) -> Tensor:
        return _ops.ravel(self)

    def split_with_sizes(self, split_sizes: Any, dim: int = 0) -> tuple:
        return _ops.split_with_sizes(self, split_sizes, dim)

    def sum_to_size(self, *size: Any) -> Tensor:
        """The sum of this tensor down to ``size``, a shape it broadcasts from (the leading
        dims and the dims where ``size`` has 1 are summed)."""
        from nanotorch.errors import ShapeError
        from nanotorch.ops.reduction import sum_to

        shape = tuple(size[0]) if len(size) == 1 and isinstance(size[0], (tuple, list)) else size
        lead = self.ndim - len(shape)
        if lead < 0 or any(
            s != 1 and s != n for s, n in zip(shape, self.shape[lead:], strict=True)
        ):
            raise ShapeError(
                f"sum_to_size: size {tuple(shape)} is not expandable to the tensor's size "
                f"{self.shape}; each entry must be 1 or the tensor's size there"
            )
        return sum_to(self, tuple(int(s) for s in shape))

    def expand(self, *shape: Any, **kwargs: Any) -> Tensor:
        return _ops.expand(self, *_sizes("expand", "size", shape, kwargs))

    def expand_as(self, other: Tensor) -> Tensor:
        return _ops.expand_as(self, other)

    def broadcast_to(self, shape: Any) -> Tensor:
        return _ops.broadcast_to(self, shape)

    @dim_aliases
    def split(self, split_size: Any, dim: int = 0) -> tuple:
        return _ops.split(self, split_size, dim)

    @dim_aliases
    def chunk(self, chunks: int, dim: int = 0) -> tuple:
        return _ops.chunk(self, chunks, dim)

    @dim_aliases
    def unbind(self, dim: int = 0) -> tuple:
        return _ops.unbind(self, dim)

    def flip(self, dims: Any) -> Tensor:
        return _ops.flip(self, dims)

    @dim_aliases
    def gather(self, dim: int, index: Tensor) -> Tensor:
        return _ops.gather(self, dim, index)

    @dim_aliases
    def index_select(self, dim: int, index: Tensor) -> Tensor:
        return _ops.index_select(self, dim, index)

    def nonzero(self, *, as_tuple: bool = False) -> Any:
        return _ops.nonzero(self, as_tuple=as_tuple)

    # --- scatter methods (ops/scatter.py) ---
    def _update_from(self, op: str, fn: Callable[..., Tensor], *args: Any, **kw: Any) -> Tensor:
        """The in-place form of an out-of-place op (Note [In-place autograd] in _inplace.py)."""
        return _inplace.apply(self, op, fn, *args, **kw)

    def scatter(self, dim: int, index: Tensor, src: Any = None, **kw: Any) -> Tensor:
        return _ops.scatter(self, dim, index, src, **kw)

    def scatter_(self, dim: int, index: Tensor, src: Any = None, **kw: Any) -> Tensor:
        return self._update_from("scatter_", _ops.scatter, dim, index, src, **kw)

    def scatter_add(self, dim: int, index: Tensor, src: Tensor) -> Tensor:
        return _ops.scatter_add(self, dim, index, src)

    def scatter_add_(self, dim: int, index: Tensor, src: Tensor) -> Tensor:
        return self._update_from("scatter_add_", _ops.scatter_add, dim, index, src)

    def scatter_reduce(
        self, dim: int, index: Tensor, src: Tensor, reduce: str, **kw: Any
    ) -> Tensor:
        return _ops.scatter_reduce(self, dim, index, src, reduce, **kw)

    def scatter_reduce_(
        self, dim: int, index: Tensor, src: Tensor, reduce: str, **kw: Any
    ) -> Tensor:
        return self._update_from(
            "scatter_reduce_", _ops.scatter_reduce, dim, index, src, reduce, **kw
        )

    def index_add(self, dim: int, index: Tensor, source: Tensor, **kw: Any) -> Tensor:
        return _ops.index_add(self, dim, index, source, **kw)

    def index_add_(self, dim: int, index: Tensor, source: Tensor, **kw: Any) -> Tensor:
        return self._update_from("index_add_", _ops.index_add, dim, index, source, **kw)

    def index_copy(self, dim: int, index: Tensor, source: Tensor) -> Tensor:
        return _ops.index_copy(self, dim, index, source)

    def index_copy_(self, dim: int, index: Tensor, source: Tensor) -> Tensor:
        return self._update_from("index_copy_", _ops.index_copy, dim, index, source)

    def index_fill(self, dim: int, index: Tensor, value: Any) -> Tensor:
        return _ops.index_fill(self, dim, index, value)

    def index_fill_(self, dim: int, index: Tensor, value: Any) -> Tensor:
        return self._update_from("index_fill_", _ops.index_fill, dim, index, value)

    def index_put(self, indices: Any, values: Any, accumulate: bool = False) -> Tensor:
        return _ops.index_put(self, indices, values, accumulate)

    def index_put_(self, indices: Any, values: Any, accumulate: bool = False) -> Tensor:
        return self._update_from("index_put_", _ops.index_put, indices, values, accumulate)

    def fill_diagonal_(self, fill_value: Any, wrap: bool = False) -> Tensor:
        """Set the main diagonal (``i, i, ..., i``) to ``fill_value`` in place; all dims must
        be equal beyond 2-D. A tall matrix's diagonal restarts every ``cols + 1`` rows with
        ``wrap=True``, as in PyTorch."""
        return _inplace.apply(self, "fill_diagonal_", _diagonal_filled, fill_value, wrap)

    def masked_fill(self, mask: Tensor, value: Any) -> Tensor:
        return _ops.masked_fill(self, mask, value)

    def masked_fill_(self, mask: Tensor, value: Any) -> Tensor:
        return self._update_from("masked_fill_", _ops.masked_fill, mask, value)

    def masked_scatter(self, mask: Tensor, source: Tensor) -> Tensor:
        return _ops.masked_scatter(self, mask, source)

    def masked_scatter_(self, mask: Tensor, source: Tensor) -> Tensor:
        return self._update_from("masked_scatter_", _ops.masked_scatter, mask, source)

    def masked_select(self, mask: Tensor) -> Tensor:
        return _ops.masked_select(self, mask)

    def take(self, index: Tensor) -> Tensor:
        return _ops.take(self, index)

    def take_along_dim(self, indices: Tensor, dim: int | None = None) -> Tensor:
        return _ops.take_along_dim(self, indices, dim)

    # --- shape_extra methods (ops/shape_extra.py) ---
    def repeat(self, *sizes: Any, **kwargs: Any) -> Tensor:
        return _ops.repeat(self, *_sizes("repeat", "repeats", sizes, kwargs))

    def tile(self, *dims: Any, **kwargs: Any) -> Tensor:
        dims = _sizes("tile", "dims", dims, kwargs)
        return _ops.tile(self, dims[0] if len(dims) == 1 else dims)

    def repeat_interleave(self, repeats: Any = None, dim: int | None = None, **kw: Any) -> Tensor:
        return _ops.repeat_interleave(self, repeats, dim, **kw)

    def roll(self, shifts: Any, dims: Any = None) -> Tensor:
        return _ops.roll(self, shifts, dims)

    def tril(self, diagonal: int = 0) -> Tensor:
        return _ops.tril(self, diagonal)

    def tril_(self, diagonal: int = 0) -> Tensor:
        return self._update_from("tril_", _ops.tril, diagonal)

    def triu(self, diagonal: int = 0) -> Tensor:
        return _ops.triu(self, diagonal)

    def triu_(self, diagonal: int = 0) -> Tensor:
        return self._update_from("triu_", _ops.triu, diagonal)

    def diag(self, diagonal: int = 0) -> Tensor:
        return _ops.diag(self, diagonal)

    def diagonal(self, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
        return _ops.diagonal(self, offset, dim1, dim2)

    def diag_embed(self, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
        return _ops.diag_embed(self, offset, dim1, dim2)

    def movedim(self, source: Any, destination: Any) -> Tensor:
        return _ops.movedim(self, source, destination)

    moveaxis = movedim

    def narrow(self, dim: int, start: Any, length: int) -> Tensor:
        return _ops.narrow(self, dim, start, length)

    def unfold(self, dimension: int, size: int, step: int) -> Tensor:
        """Windows of ``size`` along ``dimension``, ``step`` apart, as a new last dim
        (not ``F.unfold``, the im2col of images)."""
        return _ops.shape_extra.unfold_windows(self, dimension, size, step)

    # --- math methods (ops/math.py) ---
    def tan(self) -> Tensor:
        return _ops.tan(self)

    def asin(self) -> Tensor:
        return _ops.asin(self)

    def acos(self) -> Tensor:
        return _ops.acos(self)

    def atan(self) -> Tensor:
        return _ops.atan(self)

    def atan2(self, other: Any) -> Tensor:
        return _ops.atan2(self, other)

    def sinh(self) -> Tensor:
        return _ops.sinh(self)

    def cosh(self) -> Tensor:
        return _ops.cosh(self)

    def asinh(self) -> Tensor:
        return _ops.asinh(self)

    def acosh(self) -> Tensor:
        return _ops.acosh(self)

    def atanh(self) -> Tensor:
        return _ops.atanh(self)

    arcsin, arccos, arctan, arctan2 = asin, acos, atan, atan2
    arcsinh, arccosh, arctanh = asinh, acosh, atanh

    def floor(self) -> Tensor:
        return _ops.floor(self)

    def ceil(self) -> Tensor:
        return _ops.ceil(self)

    def round(self, *, decimals: int = 0) -> Tensor:
        return _ops.round(self, decimals=decimals)

    def trunc(self) -> Tensor:
        return _ops.trunc(self)

    fix = trunc

    def frac(self) -> Tensor:
        return _ops.frac(self)

    def log2(self) -> Tensor:
        return _ops.log2(self)

    def log10(self) -> Tensor:
        return _ops.log10(self)

    def exp2(self) -> Tensor:
        return _ops.exp2(self)

    def erf(self) -> Tensor:
        return _ops.erf(self)

    def erfc(self) -> Tensor:
        return _ops.erfc(self)

    def erfinv(self) -> Tensor:
        return _ops.erfinv(self)

    def reciprocal(self) -> Tensor:
        return _ops.reciprocal(self)

    def copysign(self, other: Any) -> Tensor:
        return _ops.copysign(self, other)

    def logaddexp(self, other: Any) -> Tensor:
        return _ops.logaddexp(self, other)

    def lerp(self, end: Tensor, weight: Any) -> Tensor:
        return _ops.lerp(self, end, weight)

    def fmod(self, other: Any) -> Tensor:
        return _ops.fmod(self, other)

    def hypot(self, other: Any) -> Tensor:
        return _ops.hypot(self, other)

    def isclose(
        self, other: Any, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False
    ) -> Tensor:
        return _ops.isclose(self, other, rtol=rtol, atol=atol, equal_nan=equal_nan)

    def allclose(
        self, other: Any, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False
    ) -> bool:
        return _ops.allclose(self, other, rtol=rtol, atol=atol, equal_nan=equal_nan)

    def equal(self, other: Tensor) -> bool:
        return _ops.equal(self, other)

    # --- bitwise methods (ops/bitwise.py) ---
    def bitwise_and(self, other: Any) -> Tensor:
        return _ops.bitwise_and(self, other)

    def bitwise_or(self, other: Any) -> Tensor:
        return _ops.bitwise_or(self, other)

    def bitwise_xor(self, other: Any) -> Tensor:
        return _ops.bitwise_xor(self, other)

    def bitwise_not(self) -> Tensor:
        return _ops.bitwise_not(self)

    def bitwise_left_shift(self, other: Any) -> Tensor:
        return _ops.bitwise_left_shift(self, other)

    def bitwise_right_shift(self, other: Any) -> Tensor:
        return _ops.bitwise_right_shift(self, other)

    # --- scan methods (ops/scan.py) ---
    # NumPy's axis=/keepdims= names work here as in the ops (Note [dim/axis aliases]).
    @dim_aliases
    def all(self, dim: Any = None, keepdim: bool = False) -> Tensor:
        return _ops.all(self, dim, keepdim)

    @dim_aliases
    def any(self, dim: Any = None, keepdim: bool = False) -> Tensor:
        return _ops.any(self, dim, keepdim)

    @dim_aliases
    def count_nonzero(self, dim: Any = None) -> Tensor:
        return _ops.count_nonzero(self, dim)

    @dim_aliases
    def cumsum(self, dim: int, *, dtype: Any = None) -> Tensor:
        return _ops.cumsum(self, dim, dtype=dtype)

    @dim_aliases
    def cumprod(self, dim: int, *, dtype: Any = None) -> Tensor:
        return _ops.cumprod(self, dim, dtype=dtype)

    @dim_aliases
    def cummax(self, dim: int) -> Any:
        return _ops.cummax(self, dim)

    @dim_aliases
    def cummin(self, dim: int) -> Any:
        return _ops.cummin(self, dim)

    @dim_aliases
    def logcumsumexp(self, dim: int) -> Tensor:
        return _ops.logcumsumexp(self, dim)

    @dim_aliases
    def median(self, dim: Any = None, keepdim: bool = False) -> Any:
        return _ops.median(self, dim, keepdim)

    @dim_aliases
    def mode(self, dim: int = -1, keepdim: bool = False) -> Any:
        return _ops.mode(self, dim, keepdim)

    @dim_aliases
    def norm(
        self, p: Any = "fro", dim: Any = None, keepdim: bool = False, dtype: Any = None
    ) -> Tensor:
        return _ops.norm(self, p, dim, keepdim, dtype)

    # --- sorting methods (ops/sorting.py) ---
    @dim_aliases
    def sort(self, dim: int = -1, descending: bool = False, *, stable: bool = False) -> Any:
        return _ops.sort(self, dim, descending, stable=stable)

    @dim_aliases
    def argsort(self, dim: int = -1, descending: bool = False, *, stable: bool = False) -> Tensor:
        return _ops.argsort(self, dim, descending, stable=stable)

    @dim_aliases
    def topk(self, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> Any:  # noqa: A002
        return _ops.topk(self, k, dim, largest, sorted)

    @dim_aliases
    def kthvalue(self, k: int, dim: int = -1, keepdim: bool = False) -> Any:
        return _ops.kthvalue(self, k, dim, keepdim)

    @dim_aliases
    def unique(
        self,
        sorted: bool = True,  # noqa: A002
        return_inverse: bool = False,
        return_counts: bool = False,
        dim: int | None = None,
    ) -> Any:
        return _ops.unique(self, sorted, return_inverse, return_counts, dim)

    # --- random methods (creation.py, Note [Sampling through generators]) ---
    def bernoulli(self, p: Any = None, *, generator: Any = None) -> Tensor:
        from nanotorch.creation import bernoulli

        return bernoulli(self, p, generator=generator)

    def multinomial(
        self, num_samples: int, replacement: bool = False, *, generator: Any = None
    ) -> Tensor:
        from nanotorch.creation import multinomial

        return multinomial(self, num_samples, replacement, generator=generator)

    def bernoulli_(self, p: Any = 0.5, *, generator: Any = None) -> Tensor:
        """Fill with 1 (probability ``p``, a number or a tensor) or 0, in place."""
        from nanotorch.creation import bernoulli

        self._check_inplace("bernoulli_")
        if not isinstance(p, Tensor):
            if not 0 <= p <= 1:
                raise RuntimeError(f"bernoulli_: p must be in [0, 1], got {p}")
        with _no_grad():
            if isinstance(p, Tensor):
                drawn = bernoulli(p.detach().expand(self.shape), generator=generator)
            else:
                drawn = bernoulli(self.detach(), p, generator=generator)
        return self._set_data(drawn.to(self.dtype)._data)

    def exponential_(self, lambd: float = 1.0, *, generator: Any = None) -> Tensor:
        """Fill with exponential samples of rate ``lambd`` (mean 1 / lambd), in place."""
        if not lambd > 0:
            raise RuntimeError(f"exponential_: lambd must be > 0, got {lambd}")
        u = self._uniform_draw("exponential_", generator)
        # 1 - u lies in (0, 1], so the log is finite (Note [Sampling through generators]).
        return self._set_data(-self._backend.xp.log1p(-u) / lambd)

    def _uniform_draw(self, op: str, generator: Any) -> Any:
        """Uniform [0, 1) draws shaped like this floating tensor, for the in-place samplers."""
        from nanotorch.creation import rand

        self._check_inplace(op)
        if not self.dtype.is_floating_point:
            raise TypeError(f"{op}: needs a floating tensor, got {self.dtype!r}")
        return rand(self.shape, generator=generator, dtype=self.dtype, device=self.device)._data

    def log_normal_(self, mean: float = 1.0, std: float = 2.0, *, generator: Any = None) -> Tensor:
        """Fill with exp(N(mean, std^2)) samples, in place."""
        if not std > 0:
            raise RuntimeError(f"log_normal_: std must be > 0, got {std}")
        self.normal_(mean, std, generator=generator)
        return self._set_data(self._backend.xp.exp(self._data))

    def geometric_(self, p: float, *, generator: Any = None) -> Tensor:
        """Fill with the number of Bernoulli(p) trials up to the first success (1, 2, ...)."""
        if not 0 < p <= 1:
            raise RuntimeError(f"geometric_: p must be in (0, 1], got {p}")
        u = self._uniform_draw("geometric_", generator)
        xp = self._backend.xp
        if p == 1:
            return self._set_data(xp.ones_like(u))
        # Inverse CDF: P(K > k) = (1 - p)^k, so K = floor(log(1 - u) / log(1 - p)) + 1.
        return self._set_data(xp.floor(xp.log1p(-u) / math.log1p(-p)) + 1)

    def cauchy_(self, median: float = 0.0, sigma: float = 1.0, *, generator: Any = None) -> Tensor:
        """Fill with Cauchy(median, sigma) samples (inverse CDF), in place."""
        if not sigma > 0:
            raise RuntimeError(f"cauchy_: sigma must be > 0, got {sigma}")
        u = self._uniform_draw("cauchy_", generator)
        xp = self._backend.xp
        return self._set_data(median + sigma * xp.tan(math.pi * (u - 0.5)))

    def random_(self, from_: int = 0, to: int | None = None, *, generator: Any = None) -> Tensor:
        """Fill with integers uniform in [from_, to), in place; ``random_(to)`` draws from
        [0, to); with no bounds, from [0, 2^mantissa] for floats (every such integer is
        exact) or [0, max] of an integer dtype."""
        from nanotorch.creation import randint

        self._check_inplace("random_")
        if to is None and from_ != 0:
            from_, to = 0, from_
        if to is None:
            bits = {"float16": 11, "float32": 24, "float64": 53}.get(self.dtype.name)
            to = 2**bits + 1 if bits else 2 ** (8 * self.dtype.itemsize - 1)
        if to <= from_:
            raise RuntimeError(f"random_: need from < to, got from={from_}, to={to}")
        drawn = randint(from_, to, self.shape, generator=generator, device=self.device)
        return self._set_data(self._backend.xp.astype(drawn._data, self._data.dtype))

    # --- dtype methods (dtypes.py: float16, uint8, int8, int16, bfloat16) ---
    def half(self) -> Tensor:
        return self.to(_dt.float16)

    def bfloat16(self) -> Tensor:
        return self.to(_dt.bfloat16)

    def byte(self) -> Tensor:
        return self.to(_dt.uint8)

    def char(self) -> Tensor:
        return self.to(_dt.int8)

    def short(self) -> Tensor:
        return self.to(_dt.int16)

    # --- linalg_extra methods (ops/linalg_extra.py) ---
    def addmm(self, mat1: Tensor, mat2: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
        return _ops.addmm(self, mat1, mat2, beta=beta, alpha=alpha)

    def bmm(self, mat2: Tensor) -> Tensor:
        return _ops.bmm(self, mat2)

    def outer(self, vec2: Tensor) -> Tensor:
        return _ops.outer(self, vec2)

    def dot(self, other: Tensor) -> Tensor:
        return _ops.dot(self, other)

    def mv(self, vec: Tensor) -> Tensor:
        return _ops.mv(self, vec)

    def mm(self, mat2: Tensor) -> Tensor:
        return _ops.mm(self, mat2)

    def cross(self, other: Tensor, dim: int | None = None) -> Tensor:
        return _ops.cross(self, other, dim)

    def trace(self) -> Tensor:
        return _ops.trace(self)

    @dim_aliases
    def diff(
        self,
        n: int = 1,
        dim: int = -1,
        prepend: Tensor | None = None,
        append: Tensor | None = None,
    ) -> Tensor:
        return _ops.diff(self, n, dim, prepend, append)

    def renorm(self, p: float, dim: int, maxnorm: float) -> Tensor:
        return _ops.renorm(self, p, dim, maxnorm)

    @dim_aliases
    def aminmax(self, *, dim: int | None = None, keepdim: bool = False) -> Any:
        return _ops.aminmax(self, dim=dim, keepdim=keepdim)

    def where(self, condition: Tensor, other: Any) -> Tensor:
        return _ops.where(condition, self, other)

    # --- misc methods (ops/misc.py) ---
    def sgn(self) -> Tensor:
        return _ops.sgn(self)

    def logit(self, eps: float | None = None) -> Tensor:
        return _ops.logit(self, eps)

    def nan_to_num(
        self, nan: float = 0.0, posinf: float | None = None, neginf: float | None = None
    ) -> Tensor:
        return _ops.nan_to_num(self, nan, posinf, neginf)

    def clamp_min(self, min: Any) -> Tensor:  # noqa: A002
        return _ops.clamp_min(self, min)

    def clamp_max(self, max: Any) -> Tensor:  # noqa: A002
        return _ops.clamp_max(self, max)

    def _new(self, make: Callable[..., Tensor], size: Any, dtype: Any, device: Any, **kw: Any):
        """A ``make``d tensor with this one's dtype and device unless others are given."""
        return make(
            *size,
            dtype=self.dtype if dtype is None else dtype,
            device=self.device if device is None else device,
            **kw,
        )

    def new_zeros(self, *size: Any, dtype: Any = None, device: Any = None) -> Tensor:
        from nanotorch.creation import zeros

        return self._new(zeros, size, dtype, device)

    def new_ones(self, *size: Any, dtype: Any = None, device: Any = None) -> Tensor:
        from nanotorch.creation import ones

        return self._new(ones, size, dtype, device)

    def new_empty(self, *size: Any, dtype: Any = None, device: Any = None) -> Tensor:
        from nanotorch.creation import empty

        return self._new(empty, size, dtype, device)

    def new_full(
        self, size: Sequence[int], fill_value: Any, *, dtype: Any = None, device: Any = None
    ) -> Tensor:
        from nanotorch.creation import full

        return full(
            size,
            fill_value,
            dtype=self.dtype if dtype is None else dtype,
            device=self.device if device is None else device,
        )

    def new_empty_strided(
        self, size: Any, stride: Any, *, dtype: Any = None, device: Any = None
    ) -> Tensor:
        """``new_empty(size)``: the strides are not kept (Note [Strides of a contiguous
        reading])."""
        return self.new_empty(size, dtype=dtype, device=device)

    def new_tensor(self, data: Any, *, dtype: Any = None, device: Any = None) -> Tensor:
        from nanotorch.creation import tensor

        return tensor(
            data,
            dtype=self.dtype if dtype is None else dtype,
            device=self.device if device is None else device,
        )

    def type_as(self, other: Tensor) -> Tensor:
        return self.to(other.dtype)

    def swapaxes(self, axis0: int, axis1: int) -> Tensor:
        return self.transpose(axis0, axis1)

    def swapdims(self, dim0: int, dim1: int) -> Tensor:
        return self.transpose(dim0, dim1)

    def contiguous(self) -> Tensor:
        # Arrays here carry no strides a user can see: every tensor already counts as
        # contiguous, and PyTorch returns self in that case.
        return self

    def is_contiguous(self) -> bool:
        return True

    def ndimension(self) -> int:
        return self.ndim

    def nelement(self) -> int:
        return self.numel()

    def _unary_(self, op: str, fn: Callable[[Tensor], Tensor]) -> Tensor:
        """``self`` overwritten by ``fn(self)`` (Note [In-place autograd] in _inplace.py)."""
        return _inplace.apply(self, op, fn)

    def abs_(self) -> Tensor:
        return self._unary_("abs_", _ops.abs)

    def neg_(self) -> Tensor:
        return self._unary_("neg_", _ops.neg)

    def exp_(self) -> Tensor:
        return self._unary_("exp_", _ops.exp)

    def log_(self) -> Tensor:
        return self._unary_("log_", _ops.log)

    def sqrt_(self) -> Tensor:
        return self._unary_("sqrt_", _ops.sqrt)

    def relu_(self) -> Tensor:
        return self._unary_("relu_", _ops.relu)

    def sigmoid_(self) -> Tensor:
        return self._unary_("sigmoid_", _ops.sigmoid)

    def tanh_(self) -> Tensor:
        return self._unary_("tanh_", _ops.tanh)


def _filled(t: Tensor, value: Any) -> Tensor:
    """``t``'s shape filled with ``value`` (a number or a 0-d tensor): ``fill_``'s result."""
    if isinstance(value, Tensor):
        if value.ndim:
            raise RuntimeError(
                f"fill_: only supports a 0-dimension value tensor, got shape {value.shape}"
            )
        return _overwrites(t, _ops.clone(value.to(t.dtype).expand(t.shape)))
    from nanotorch.creation import full

    _check_fits(value, t.dtype, "fill_")
    return _overwrites(t, full(t.shape, value, dtype=t.dtype, device=t.device))


def _diagonal_filled(t: Tensor, value: Any, wrap: bool) -> Tensor:
    """``t`` with its main diagonal set to ``value``: ``fill_diagonal_``'s result, written
    through the flat positions of the diagonal (``put_values`` in ops/indexing.py)."""
    from nanotorch.creation import tensor
    from nanotorch.ops.indexing import put_values

    shape = t.shape
    if t.ndim < 2:
        raise RuntimeError(f"fill_diagonal_: needs at least 2 dimensions, got shape {shape}")
    if t.ndim > 2 and len(set(shape)) != 1:
        raise RuntimeError(
            f"fill_diagonal_: all dimensions of a tensor with more than 2 must have the same "
            f"length, got shape {shape}"
        )
    # The step between diagonal elements in the flattened tensor is the sum of the strides.
    step, stride = 0, 1
    for size in reversed(shape):
        step += stride
        stride *= size
    numel = stride
    if t.ndim == 2 and wrap:
        count = -(-numel // step) if numel else 0
    else:
        count = min(shape)
    positions = tensor([i * step for i in range(count)], device=t.device).long()
    return put_values("fill_diagonal_", t, positions, (count,), value, False)


def _copied(t: Tensor, src: Tensor) -> Tensor:
    """``src`` converted to ``t``'s dtype and broadcast to its shape: ``copy_``'s result (a
    fresh array, never ``src``'s own)."""
    return _overwrites(t, _ops.clone(src.to(t.dtype).expand(t.shape)))


def _overwrites(t: Tensor, new: Tensor) -> Tensor:
    """``new``, linked to ``t`` with a zero gradient when ``t`` requires grad: an overwrite
    still passes (zero) gradient to the old value, as PyTorch's ``fill_`` and ``copy_`` do."""
    if not t._requires_grad:
        return new
    from nanotorch.creation import ones

    return _ops.where(ones(t.shape, dtype=_dt.bool_, device=t.device), new, t)


def _check_fits(value: Any, dtype: DType, op: str) -> None:
    """A Python number written into an integer tensor must fit its dtype (Note [No silent
    integer overflow] in backend/host.py); NumPy's own refusal names no op."""
    import numbers

    if isinstance(value, (str, bytes)) or value is None:
        raise TypeError(f"{op}: value must be a number, got {type(value).__name__} {value!r}")
    if isinstance(value, numbers.Real):
        from nanotorch.backend.host import check_integer_value

        check_integer_value(value, dtype, op)


def _check_real(op: str, **values: Any) -> None:
    import numbers

    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise TypeError(
                f"{op}: {name} must be a Python number, got {type(value).__name__} {value!r}"
            )


def _parse_to_args(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, Any]:
    target_device = kwargs.pop("device", None)
    target_dtype = kwargs.pop("dtype", None)
    if kwargs:
        raise TypeError(f"to() got unexpected keyword arguments {sorted(kwargs)}")
    for a in args:
        if isinstance(a, DType):
            target_dtype = a
        elif isinstance(a, (str, Device)):
            target_device = a
        elif isinstance(a, Tensor):
            target_device, target_dtype = a.device, a.dtype
        else:
            raise TypeError(f"to() takes a device, a dtype or a tensor, got {a!r}")
    if target_device is not None:
        if isinstance(target_device, str):
            _refuse_dtype_name_as_device(target_device)
        target_device = _device(target_device)
        get_backend(target_device)  # fail early, with the reason, if it is unavailable
    return target_device, _dt.as_dtype(target_dtype)


# Dtype names PyTorch users may type that nanotorch lacks; with its own names, a string given
# to ``.to`` that is one of these was meant as a dtype, not a device.
_FOREIGN_DTYPE_NAMES = frozenset(
    "float16 half bfloat16 int8 int16 short uint8 uint16 uint32 uint64 complex64 complex128 "
    "cfloat cdouble bool_".split()
)


def _refuse_dtype_name_as_device(name: str) -> None:
    """PyTorch reads a string given to ``.to`` as a device, so ``x.to('float16')`` is an
    error there too; say what was meant instead of "unknown device kind"."""
    from nanotorch.errors import InvalidArgumentError

    try:
        dtype = _dt.dtype_from_name(name)
    except ValueError:
        dtype = None
    if dtype is not None:
        raise InvalidArgumentError(
            f"to: {name!r} is not a device; to change the dtype pass nanotorch.{dtype.name} "
            f"(a dtype object), e.g. x.to(nanotorch.{dtype.name})"
        )
    if name in _FOREIGN_DTYPE_NAMES:
        known = ", ".join(d.name for d in _dt.ALL_DTYPES)
        raise InvalidArgumentError(
            f"to: {name!r} is not a device; it looks like a dtype, but nanotorch has no "
            f"{name} (its dtypes: {known}); pass one of those, e.g. x.to(nanotorch.float32)"
        )


# Note [Delegating methods]
# ~~~~~~~~~~~~~~~~~~~~~~~~~
# Most Tensor methods are the op of the same name with the tensor as its first argument
# (``x.lgamma()`` is ``nanotorch.lgamma(x)``). Those without extra behaviour are generated
# from this list instead of being written out one by one; a name already defined on the
# class (a method with its own signature or docstring) is never replaced.
_DELEGATED_METHODS = (
    "lgamma",
    "digamma",
    "sinc",
    "deg2rad",
    "rad2deg",
    "isinf",
    "isfinite",
    "isposinf",
    "isneginf",
    "signbit",
    "fmax",
    "fmin",
    "xlogy",
    "float_power",
    "logical_and",
    "logical_or",
    "logical_xor",
    "heaviside",
    "remainder",
    "floor_divide",
    "nansum",
    "nanmean",
    "nanmedian",
    "msort",
    "unique_consecutive",
    "gcd",
    "lcm",
    "ldexp",
    "addcmul",
    "addcdiv",
    "kron",
    "rot90",
    "fliplr",
    "flipud",
    "argwhere",
    "det",
    "inverse",
    "logdet",
    "slogdet",
    "positive",
    "true_divide",
    "subtract",
    "multiply",
    "divide",
    "negative",
    "not_equal",
    "greater",
    "greater_equal",
    "less",
    "less_equal",
    "arctan2",
    "diagflat",
    "tensor_split",
    "hsplit",
    "vsplit",
    "nan_to_num",
    "trunc",
    "fix",
    "count_nonzero",
    "var_mean",
    "tril",
    "triu",
    "sgn",
    "cummax",
    "cummin",
    "logcumsumexp",
    "bincount",
    "histc",
    "index_put",
    "dsplit",
    "unsafe_split",
    "unsafe_chunk",
    "unsafe_split_with_sizes",
    "narrow_copy",
    "select_scatter",
    "slice_scatter",
    "diagonal_scatter",
    "index_reduce",
    "put",
    "as_strided",
    "as_strided_scatter",
    "conj",
    "conj_physical",
    "resolve_conj",
    "resolve_neg",
    "isreal",
    "nonzero_static",
    "masked_select",
    "clamp_min",
    "clamp_max",
    "erfc",
    "erfinv",
    "exp2",
    "expm1",
    "log1p",
    "logaddexp",
    "logit",
    "hypot",
    "square",
    "frac",
    "isclose",
    "isnan",
    "outer",
    "squeeze",
    "unsqueeze",
    "addbmm",
    "baddbmm",
    # ops/math_breadth.py
    "quantile",
    "nanquantile",
    "logaddexp2",
    "dist",
    "vdot",
    "inner",
    "addmv",
    "addr",
    "matrix_power",
    # ops/numeric.py
    "cov",
    "corrcoef",
    "histogram",
    "isreal",
    "frexp",
    "nextafter",
    # ops/special_functions.py (polygamma is written out: its order comes first)
    "i0",
    "mvlgamma",
    "igamma",
    "igammac",
    # ops/linalg_solvers.py
    "matrix_exp",
    "lu",
    "lu_solve",
    "triangular_solve",
    "cholesky_solve",
    "cholesky_inverse",
    "qr",
    "cholesky",
    "svd",
    "pinverse",
    "ger",
    "absolute",
    "angle",
)


def _sizes(method: str, keyword: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """The sizes of ``x.reshape(2, 3)``-style methods, also given as PyTorch's keyword
    (``x.reshape(shape=(2, 3))``, ``x.view(size=...)``, ``x.permute(dims=...)``)."""
    if not kwargs:
        return args
    if set(kwargs) != {keyword} or args:
        raise TypeError(
            f"{method}(): takes sizes as arguments or as {keyword}=, got "
            f"{len(args)} arguments and keywords {sorted(kwargs)}"
        )
    return (kwargs[keyword],)


def _delegate(name: str) -> Callable[..., Any]:
    def method(self: Tensor, *args: Any, **kwargs: Any) -> Any:
        return getattr(_ops, name)(self, *args, **kwargs)

    method.__name__ = method.__qualname__ = name
    method.__doc__ = f"``nanotorch.{name}(self, ...)`` (Note [Delegating methods])."
    return method


def _polygamma_method(self: Tensor, n: int) -> Tensor:
    """``x.polygamma(n)`` is ``nanotorch.polygamma(n, x)``: the order comes first in the
    function and second in the method, as in PyTorch."""
    return _ops.polygamma(n, self)


def _install_delegated_methods() -> None:
    if "polygamma" not in Tensor.__dict__:
        _polygamma_method.__name__ = _polygamma_method.__qualname__ = "polygamma"
        Tensor.polygamma = _polygamma_method  # type: ignore[attr-defined]
    for name in _DELEGATED_METHODS:
        if name not in Tensor.__dict__:  # a hand-written method keeps its own signature
            getattr(_ops, name)  # a name here that is not an op fails at import, loudly
            setattr(Tensor, name, _delegate(name))


__all__ = ["Tensor"]

# Note [Tensor and Function import each other] (autograd/function.py): hand the class over.
_function.Tensor = Tensor

# Imported last: the ops build Tensors, so they need this module's class to exist first.
from nanotorch import _inplace  # noqa: E402
from nanotorch import ops as _ops  # noqa: E402
from nanotorch.autograd.grad_mode import _inference_enabled, _inference_ever_on  # noqa: E402
from nanotorch.autograd.grad_mode import is_grad_enabled as _is_grad_enabled  # noqa: E402
from nanotorch.autograd.grad_mode import no_grad as _no_grad  # noqa: E402
from nanotorch.ops.elementwise import Add as _Add  # noqa: E402
from nanotorch.ops.elementwise import Div as _Div  # noqa: E402
from nanotorch.ops.elementwise import Mul as _Mul  # noqa: E402
from nanotorch.ops.elementwise import Sub as _Sub  # noqa: E402
from nanotorch.ops.shape_breadth import imag as _ops_imag  # noqa: E402

# Note [Python-number operands]: the operand types the operators pass straight to apply.
_NUMBER_TYPES = (float, int)

_install_delegated_methods()
_inplace.install(Tensor, _ops)
