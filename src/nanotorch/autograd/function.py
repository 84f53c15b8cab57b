"""``Function`` and ``Context``: how one op call is computed and recorded.

An op is a ``Function`` subclass with two static methods:

- ``forward(ctx, xp, *arrays, **params)`` computes on raw arrays of the namespace ``xp``;
- ``backward(ctx, grad_out)`` computes input gradients from Tensors, using Tensor ops, so the
  backward pass is itself recorded when ``create_graph=True`` (higher-order gradients).

``Function.apply`` is the one place that resolves the backend, checks devices and dtypes,
runs ``forward`` and records the graph. See Note [One dispatch path].

Note [One dispatch path]
~~~~~~~~~~~~~~~~~~~~~~~~
Every differentiable op reaches arrays through ``Function.apply``. Keeping device checks,
dtype checks, backend lookup and graph recording in that one function means no op can forget
them, and the cost of dispatch can be measured and tuned in one place.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from nanotorch.autograd.grad_mode import _grad_enabled
from nanotorch.errors import DeviceMismatchError

if TYPE_CHECKING:
    from nanotorch.tensor import Tensor

# Note [Tensor and Function import each other]
# ~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
# tensor.py imports Context and AccumulateGrad from this module, and ``Function.apply`` needs
# the Tensor class on every call. An ``import`` statement inside ``apply`` would run the import
# machinery once per op (about 0.4 us, as long as NumPy takes to add two small arrays), so
# tensor.py binds its class to the module-level name ``Tensor`` here, once, right after
# defining it. Nothing can reach ``apply`` before that: calling it takes a Tensor.

_OUTPUT = object()  # marks "the op's own output" among saved values


class Node:
    """Something the engine visits during backward."""

    __slots__ = ()
    next_nodes: tuple[Node | None, ...] = ()


class AccumulateGrad(Node):
    """The node of a leaf tensor: gradients that reach it are added into ``leaf.grad``."""

    # post_hooks: Tensor.register_post_accumulate_grad_hook's callbacks, None when there are
    # none (the common case costs one attribute test per leaf per backward).
    __slots__ = ("variable", "post_hooks")

    def __init__(self, variable: Tensor) -> None:
        self.variable = variable
        self.post_hooks: list[Any] | None = None

    def __repr__(self) -> str:
        return "<AccumulateGrad>"


class Context(Node):
    """One recorded call of a Function; PyTorch's ``ctx`` and the graph node in one object.

    Ops may store plain attributes on it (``ctx.dim = 1``); tensors needed by backward go
    through ``save_for_backward`` so that in-place changes to them are detected.
    """

    __slots__ = (
        "fn",
        "next_nodes",
        "input_shapes",
        "needs_input_grad",
        "_to_save",
        "_saved",
        "_versions",
        "_out",
        "_out_meta",
        "_freed",
        "hooks",
        "retain_ref",
        "backend",
        "__dict__",
    )

    def __init__(self, fn: type[Function], backend: Any = None) -> None:
        self.fn = fn
        self.backend = backend
        self._to_save: tuple[Any, ...] = ()
        self._saved: tuple[Any, ...] | None = None
        self._out: Any = None  # the output's array, when forward saved the output
        self._freed = False
        self.hooks: list[Any] | None = None
        self.retain_ref: Any = None

    def __repr__(self) -> str:
        return f"<{self.fn.__name__}Backward>"

    def name(self) -> str:
        return f"{self.fn.__name__}Backward"

    def save_for_backward(self, *values: Any) -> None:
        """Keep arrays (inputs, the output, or intermediates) for backward."""
        self._to_save = values

    @property
    def saved_tensors(self) -> tuple[Tensor, ...]:
        """The saved values as Tensors: inputs and the output keep their graph links, so a
        backward that uses them is differentiable; intermediates are constants."""
        if self._freed:
            raise RuntimeError(_FREED_MESSAGE.format(node=self.name()))
        saved = self._saved
        if saved is None:
            return ()
        # Only saved inputs carry a version (Note [In-place updates] in tensor.py); the output
        # is rebuilt here. Most nodes save no output, so the stored tuple is returned as is.
        for value, version in zip(saved, self._versions):
            if version is not None and value._version != version:
                raise RuntimeError(
                    f"{self.name()}: a tensor of shape {value.shape} saved for backward was "
                    f"modified in place (version {version} -> {value._version}) before "
                    "backward ran; use an out-of-place op (x = x + y, not x += y) or clone() it "
                    "first"
                )
        if self._out is None:
            return saved
        device, backend, requires_grad = self._out_meta
        output = Tensor._make(self._out, device, backend, requires_grad, self)
        return tuple(output if value is _OUTPUT else value for value in saved)

    def release(self) -> None:
        """Free what backward needed; a second backward through this node then fails clearly."""
        self._saved = None
        self._to_save = ()
        self._out = None
        self._freed = True


_FREED_MESSAGE = (
    "{node}: trying to backward through the graph a second time (or to read saved tensors "
    "after they were freed). Pass retain_graph=True to the first backward() or grad() call "
    "if you need to backward through the graph again."
)


class Function:
    """Base class of every differentiable op. Subclasses define ``forward`` and ``backward``.

    Class attributes:
    - ``dtype_exempt``: input positions whose dtype need not match the others (index and
      mask tensors); all other tensor inputs must share one dtype.
    - ``differentiable``: False for ops whose output carries no gradient (argmax, compare).
    """

    dtype_exempt: ClassVar[tuple[int, ...]] = ()
    differentiable: ClassVar[bool] = True

    @staticmethod
    def forward(ctx: Context, xp: Any, *args: Any, **params: Any) -> Any:
        raise NotImplementedError

    @staticmethod
    def backward(ctx: Context, grad_out: Tensor) -> Tensor | None | tuple[Tensor | None, ...]:
        raise NotImplementedError

    @classmethod
    def apply(cls, *inputs: Any, **params: Any) -> Tensor:
        # Note [Dispatch cost]
        # ~~~~~~~~~~~~~~~~~~~~
        # Every op of every model passes through here, so on small arrays this function, not
        # NumPy, sets the speed (benchmarks/README.md, workload "overhead"). It is written as
        # one pass over the inputs, with no per-call imports and no helper calls on the common
        # path; discovery/performance.md has the measurements behind each choice.

        # 1. Find the tensors; all must share one device, and (outside dtype_exempt) a dtype.
        #    The same pass collects the raw arrays that forward receives.
        ref: Tensor | None = None
        ref_dtype = None
        has_float_scalar = False
        requires_grad = False
        arrays = []
        exempt = cls.dtype_exempt
        for i, x in enumerate(inputs):
            if isinstance(x, Tensor):
                data = x._data
                if ref is None:
                    ref = x
                elif x._device is not ref._device:
                    _raise_device_mismatch(cls, inputs)
                if i not in exempt:
                    # Array libraries hand out one dtype object per dtype, so ``is`` settles
                    # almost every comparison before the slower ``!=``.
                    if ref_dtype is None:
                        ref_dtype = data.dtype
                    elif data.dtype is not ref_dtype and data.dtype != ref_dtype:
                        _raise_dtype_mismatch(cls, inputs)
                if x._requires_grad:
                    requires_grad = True
                arrays.append(data)
            else:
                if type(x) is float:
                    has_float_scalar = True
                arrays.append(x)
        if ref is None:
            raise TypeError(f"{cls.__name__}: needs at least one Tensor input")
        backend = ref._backend
        if has_float_scalar and ref_dtype is not None and not _is_floating(backend, ref_dtype):
            raise TypeError(
                f"{cls.__name__}: a Python float cannot be combined with a "
                f"{backend.dtype_of(ref._data)!r} tensor (that would change its dtype); "
                "convert the tensor with .float() or .double() first"
            )
        requires_grad = requires_grad and cls.differentiable and _grad_enabled.get()

        # 2. Compute on raw arrays (inside the device's context: a no-op except on cuda).
        ctx = Context(cls, backend)
        if backend.device.type == "cuda":
            with backend.context():
                out = cls.forward(ctx, backend.xp, *arrays, **params)
        else:
            out = cls.forward(ctx, backend.xp, *arrays, **params)
        raw_out = out
        if backend.fix_result is not None and type(out) is not backend.array_type:
            out = backend.fix_result(out)
        if not requires_grad:
            return Tensor._make(out, ref._device, backend, False, None)

        # 3. Record: where each input's gradient goes, and what backward will read.
        next_nodes = []
        shapes = []
        needs = []
        for x in inputs:
            if isinstance(x, Tensor):
                shapes.append(x._data.shape)
                if x._requires_grad:
                    node = x.grad_fn
                    next_nodes.append(node if node is not None else x._accumulator())
                    needs.append(True)
                    continue
            else:
                shapes.append(None)
            next_nodes.append(None)
            needs.append(False)
        ctx.next_nodes = tuple(next_nodes)
        ctx.input_shapes = tuple(shapes)
        ctx.needs_input_grad = tuple(needs)
        result = Tensor._make(out, ref._device, backend, True, ctx)
        if ctx._to_save:
            _resolve_saved(ctx, inputs, arrays, raw_out, out, result)
        return result


# Values that are never arrays: saved as they are, without searching the inputs for them.
_PLAIN_VALUES = (int, float, bool, complex, str, type(None))


def _resolve_saved(
    ctx: Context,
    inputs: tuple[Any, ...],
    arrays: list[Any],
    raw_out: Any,
    out: Any,
    result: Tensor,
) -> None:
    """Turn the arrays forward saved into what backward reads: the input Tensors themselves
    (with their version, to catch in-place edits), the output (rebuilt on demand, so the node
    does not hold its own output and form a cycle), or constant Tensors for intermediates."""
    saved = []
    versions = []
    for value in ctx._to_save:
        if type(value) in _PLAIN_VALUES:
            saved.append(value)
            versions.append(None)
            continue
        for x, arr in zip(inputs, arrays):
            if value is arr and isinstance(x, Tensor):
                saved.append(x)
                versions.append(x._version)
                break
        else:
            if value is raw_out or value is out:
                saved.append(_OUTPUT)
                ctx._out = out
                ctx._out_meta = (result._device, result._backend, True)
            elif not hasattr(value, "shape"):
                saved.append(value)
            else:
                saved.append(Tensor._make(value, result._device, result._backend, False, None))
            versions.append(None)
    ctx._saved = tuple(saved)
    ctx._versions = tuple(versions)
    ctx._to_save = ()


def _is_floating(backend: Any, native_dtype: Any) -> bool:
    return backend.dtype_of_native(native_dtype).is_floating_point


def _describe(x: Any) -> str:
    if isinstance(x, Tensor):
        return f"Tensor(shape={tuple(x.shape)}, dtype={x.dtype.name}, device={x.device})"
    return repr(x)


def _raise_device_mismatch(cls: type[Function], inputs: tuple[Any, ...]) -> None:
    devices = []
    for x in inputs:
        if isinstance(x, Tensor) and str(x.device) not in devices:
            devices.append(str(x.device))
    raise DeviceMismatchError(
        f"{cls.__name__.lower()}: expected all tensors on one device, got {' and '.join(devices)} "
        f"({', '.join(_describe(x) for x in inputs if isinstance(x, Tensor))}). nanotorch never "
        f"moves data implicitly: call .to('{devices[0]}') (or .to('{devices[1]}')) on one "
        "operand first"
    )


def _raise_dtype_mismatch(cls: type[Function], inputs: tuple[Any, ...]) -> None:
    dtypes = []
    for x in inputs:
        if isinstance(x, Tensor) and x.dtype.name not in dtypes:
            dtypes.append(x.dtype.name)
    raise TypeError(
        f"{cls.__name__.lower()}: expected tensors of one dtype, got {' and '.join(dtypes)}. "
        f"nanotorch does not promote silently: convert one operand with .to(nanotorch."
        f"{dtypes[0]}) (or .float() / .double()) first"
    )
