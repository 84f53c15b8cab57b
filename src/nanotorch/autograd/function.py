"""``Function`` and ``Context``: what an op is, and how one call of it is recorded.

A ``Function`` is one differentiable op, written as a class with two static methods:

- ``forward(ctx, xp, *arrays, **params)`` computes on raw arrays of the namespace ``xp``;
- ``backward(ctx, grad_out)`` computes input gradients from Tensors, using Tensor ops, so the
  backward pass is itself recorded when ``create_graph=True`` (higher-order gradients).

``Mul.apply(x, w)`` calls it: resolve the tensors to raw arrays and one backend, check that
they agree, run ``forward``, and record a ``Context`` (PyTorch's ``ctx`` and the graph node in
one object) that the engine (engine.py) later visits. discovery/build-the-engine.md builds a
small engine on these classes; discovery/autograd-engine.md follows one backward pass.

Note [One dispatch path]
~~~~~~~~~~~~~~~~~~~~~~~~
Every differentiable op reaches arrays through ``Function.apply``. Keeping device checks,
dtype checks, backend lookup, the device's context and graph recording in that one function
means no op can forget them, and the cost of dispatch can be measured and tuned in one place.
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING, Any, ClassVar

from nanotorch.autograd import anomaly_mode as _anomaly
from nanotorch.autograd.anomaly_mode import _anomaly_mode, _ever_on
from nanotorch.autograd.grad_mode import _grad_enabled
from nanotorch.backend.quiet import QUIET as _QUIET
from nanotorch.backend.quiet import enter as _quiet
from nanotorch.backend.quiet import leave as _unquiet
from nanotorch.dtypes import dtype_from_name, get_default_dtype
from nanotorch.errors import DeviceMismatchError, UnsupportedDtypeError
from nanotorch.promotion import result_name

if TYPE_CHECKING:
    from nanotorch.tensor import Tensor

_OUTPUT = object()  # marks "the op's own output" among saved values


class Node:
    """Something the engine visits during backward.

    ``hooks`` (from ``register_hook``) and ``retain_ref`` (from ``retain_grad``) are None
    unless a user asked for them; the engine looks at them only then."""

    __slots__ = ()
    next_nodes: tuple[Node | None, ...] = ()
    input_dtypes: tuple[Any, ...] | None = None  # set only where an op promoted its inputs
    hooks: list[Any] | None = None
    retain_ref: Any = None


class AccumulateGrad(Node):
    """The node of a leaf tensor: gradients that reach it are added into ``leaf.grad``."""

    # post_hooks: Tensor.register_post_accumulate_grad_hook's callbacks, None when there are
    # none (the common case costs one attribute test per leaf per backward).
    __slots__ = ("variable", "hooks", "post_hooks")

    def __init__(self, variable: Tensor) -> None:
        self.variable = variable
        self.hooks = None
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
        "backend",
        "__dict__",  # op attributes (ctx.dim = 1), and hooks / retain_ref when a user sets them
    )

    # For a node that saved its output: (weak reference to the output Tensor, its version),
    # set only then, so other nodes pay nothing (Note [In-place autograd] in _inplace.py).
    _out_ref: tuple[Any, int] | None = None

    def __init__(self, fn: type[Function], backend: Any = None) -> None:
        self.fn = fn
        self.backend = backend
        self._to_save: tuple[Any, ...] = ()
        self._saved: tuple[Any, ...] | None = None
        self._out: Any = None  # the output's array, when forward saved the output
        self._freed = False
        # ``hooks`` and ``retain_ref`` stay Node's class-level None unless a user sets them:
        # two stores fewer on every recorded op (Note [Dispatch cost]).

    def __repr__(self) -> str:
        return f"<{self.fn.__name__}Backward>"

    def name(self) -> str:
        return f"{self.fn.__name__}Backward"

    def mark_non_differentiable(self, *outputs: Any) -> None:
        """For a custom Function of PyTorch's kind: these outputs get no gradient (an index,
        a mask), so they do not require grad."""
        self.__dict__["_non_differentiable"] = {id(t) for t in outputs}

    def set_materialize_grads(self, value: bool) -> None:
        """Accepted for PyTorch's ctx API. A recorded call has one output here, whose
        gradient always arrives as a Tensor, so there is nothing to materialize."""
        self.__dict__["_materialize_grads"] = bool(value)

    def save_for_backward(self, *values: Any) -> None:
        """Keep arrays (inputs, the output, or intermediates) for backward.

        Save inputs and the output through this method, never as attributes
        (``ctx.x = x``): saved inputs come back in ``saved_tensors`` as the input Tensors
        themselves, still linked into the graph, so a ``backward`` that uses them is
        differentiable (double backward, ``create_graph=True``), and their versions are
        checked, so an in-place change made before backward raises instead of giving a wrong
        gradient. An attribute holds a raw array: no graph link, no check. Intermediates
        (neither input nor output) come back as constants, so a backward that must be
        differentiable twice should rebuild them from inputs with Tensor ops.
        """
        self._to_save = values

    @property
    def saved_tensors(self) -> tuple[Tensor, ...]:
        """The saved values as Tensors: inputs and the output keep their graph links, so a
        backward that uses them is differentiable; intermediates are constants."""
        saved = self._checked_saved()
        # Most nodes save no output, so the stored tuple is returned as is.
        if self._out is None:
            return saved
        device, backend, requires_grad = self._out_meta
        output = Tensor._make(self._out, device, backend, requires_grad, self)
        return tuple(output if value is _OUTPUT else value for value in saved)

    @property
    def saved_arrays(self) -> tuple[Any, ...]:
        """``saved_tensors`` as raw arrays (plain values as they are), with the same checks:
        what a ``raw_backward`` reads (Note [Raw backward]). The output is not rebuilt as a
        Tensor just to be unwrapped again."""
        arrays: tuple[Any, ...] = ()
        for value in self._checked_saved():  # a loop, not a generator: one frame fewer
            if isinstance(value, Tensor):
                value = value._data
            elif value is _OUTPUT:
                value = self._out
            arrays += (value,)
        return arrays

    def _checked_saved(self) -> tuple[Any, ...]:
        """What forward saved, after checking that backward may still read it: the graph is
        not freed, and no saved input was changed in place since."""
        if self._freed:
            raise RuntimeError(_FREED_MESSAGE.format(node=self.name()))
        saved = self._saved
        if saved is None:
            return ()
        # Saved inputs carry a version, a saved output its weak reference and version
        # (Note [In-place updates] in tensor.py).
        for value, version in zip(saved, self._versions):
            if version is not None and value._version != version:
                self._raise_modified(value, version, "an input")
        if self._out_ref is not None:
            out, version = self._out_ref
            out = out()
            if out is not None and out._version != version:
                self._raise_modified(out, version, "the output")
        return saved

    def _raise_modified(self, value: Any, version: int, which: str) -> None:
        raise RuntimeError(
            f"{self.name()}: one of the variables needed for gradient computation has been "
            f"modified by an inplace operation: a tensor of shape {tuple(value.shape)} "
            f"({which} of {self.name()}) is at version {value._version}; expected version "
            f"{version} instead (modified in place before backward ran). Use an out-of-place "
            "op (x = x + y, not x += y) or clone() it first"
        )

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
    - ``promotion``: how inputs of different dtypes meet (Note [Type promotion] in
      promotion.py). None: they may not (matmul, conv: convert first, as PyTorch requires);
      ``PROMOTE``: all take the promoted dtype; ``TO_FLOAT``: the same, and an integer or bool
      result becomes the default float dtype (true division, exp, sin...).
    - ``raw_backward``: optionally, ``backward`` again on raw arrays, for passes that record
      nothing (Note [Raw backward]).
    - ``quiet``: whether forward runs with NumPy's floating-point reports off (Note [Quiet
      floating point] in backend/quiet.py): True, or ``TENSORS_ONLY`` for add, subtract
      and multiply, which skip the switch when an operand is a Python number.
    """

    dtype_exempt: ClassVar[tuple[int, ...]] = ()
    differentiable: ClassVar[bool] = True
    promotion: ClassVar[str | None] = None
    raw_backward: ClassVar[Any] = None
    quiet: ClassVar[bool | str] = True

    def __init_subclass__(cls, **kwargs: Any) -> None:
        # A subclass written as PyTorch's (forward on Tensors, without xp) gets that kind's
        # apply: Note [Two kinds of Function] in autograd/custom.py.
        super().__init_subclass__(**kwargs)
        from nanotorch.autograd import custom

        if custom.is_tensor_style(cls):
            custom.install(cls)

    @staticmethod
    def forward(ctx: Context, xp: Any, *args: Any, **params: Any) -> Any:
        raise NotImplementedError

    @staticmethod
    def backward(ctx: Context, grad_out: Tensor) -> Tensor | None | tuple[Tensor | None, ...]:
        raise NotImplementedError

    @classmethod
    def apply(cls, *inputs: Any, **params: Any) -> Tensor:
        """Run the op on ``inputs``; record it in the graph when a gradient is wanted.

        >>> import nanotorch
        >>> from nanotorch.ops.elementwise import Mul
        >>> y = Mul.apply(nanotorch.tensor([2.0], requires_grad=True), 3.0)
        >>> y.tolist(), y.grad_fn
        ([6.0], <MulBackward>)
        """
        # 1. Resolve and check: the raw arrays, the one backend they share (same device), their
        #    dtypes promoted where they differ, and whether any input wants a gradient.
        ref, arrays, requires_grad, promoted = _resolve(cls, inputs)
        backend = ref._backend
        # 2. Forward on raw arrays, in the device's context if it has one (Note [Device
        #    context]) and with NumPy's reports off (Note [Quiet floating point]).
        ctx = Context(cls, backend)
        if (quiet := cls.quiet) is TENSORS_ONLY:  # x * 0.5 skips the switch
            quiet = type(arrays[-1]) not in _NUMBERS and type(arrays[0]) not in _NUMBERS
        token = _quiet(_QUIET) if quiet else None
        try:
            if backend.needs_context:
                with backend.context():
                    raw = cls.forward(ctx, backend.xp, *arrays, **params)
            else:
                raw = cls.forward(ctx, backend.xp, *arrays, **params)
        finally:
            if token is not None:
                _unquiet(token)
        out = raw
        if type(raw) is not backend.array_type and backend.fix_result is not None:
            out = backend.fix_result(raw)
        if not (requires_grad and cls.differentiable and _grad_enabled.get()):
            return Tensor._make(out, ref._device, backend, False, None)
        # 3. Record: where each input's gradient goes, and what backward will read.
        result = Tensor._make(out, ref._device, backend, True, ctx)
        _record(ctx, inputs, promoted)
        if ctx._to_save:
            _resolve_saved(ctx, inputs, arrays, raw, out, result)
        return result


# Note [Tensor and Function import each other]
# ~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
# ``apply`` and the helpers below build Tensors, and tensor.py imports Context and
# AccumulateGrad from this module. An ``import`` statement inside ``apply`` would run the
# import machinery once per op (about 0.4 us, as long as NumPy takes to add two small
# arrays), so tensor.py binds its class to this module-level name once, right after defining
# it. Nothing can reach ``apply`` before that: calling it takes a Tensor.
if not TYPE_CHECKING:
    Tensor = None  # replaced by the class itself at the end of tensor.py


# Note [Raw backward]
# ~~~~~~~~~~~~~~~~~~~
# ``backward`` is written with Tensor ops so that it can be recorded (create_graph=True). In
# the usual pass nothing is recorded, and then each of those Tensor ops is a whole dispatch
# (checks, a Context, a Tensor) around one array operation: ``g * c`` in Mul's backward costs
# about ten times the multiply itself. An op may therefore also define
#
#     raw_backward(ctx, xp, grad_out) -> one array (or None) per input
#
# the same formulas on raw arrays, reading ``ctx.saved_arrays``. The engine calls it instead
# of ``backward`` only when the pass records nothing and the op did not promote its inputs
# (so every array has the dtype ``backward`` would see, and no backend meets mixed dtypes);
# it runs it inside the device's context and wraps each array in a Tensor. Hooks,
# ``retain_grad``, un-broadcasting, dtype casts and accumulation are the engine's and see
# Tensors as before. tests/unit/test_dispatch_paths.py checks that both give the same values.


# Note [Dispatch cost]
# ~~~~~~~~~~~~~~~~~~~~
# Every op of every model passes through ``apply``, so on small arrays it, not NumPy, sets the
# speed (benchmarks/README.md, workload "overhead"). Each step is one helper call at most:
# ``_resolve`` settles one Tensor, two Tensors of one dtype and device, or a Tensor with a
# Python number that keeps its dtype without a loop (nearly every call), and otherwise makes
# a single pass over the inputs, which leaves early when all tensors share one dtype and no
# Python scalar is among them (type promotion costs that case one attribute read;
# discovery/dtypes.md); ``_record`` and ``_resolve_saved`` run only when a graph is recorded,
# and the latter takes "forward saved exactly its inputs" without searching; the device
# context is entered only for backends that have one (a precomputed flag, not a ``with`` on
# every op). In backward, Note [Raw backward] skips the dispatch altogether.
# discovery/performance.md has the measurements behind each choice.


PROMOTE = "promote"
TENSORS_ONLY = "tensors only"  # Function.quiet: Note [Quiet floating point]
_NUMBERS = frozenset((int, float))  # the Python operands TENSORS_ONLY ops are not quiet for
TO_FLOAT = "to_float"


def _resolve(cls: type[Function], inputs: tuple[Any, ...]) -> tuple[Tensor, list[Any], bool, bool]:
    """The first Tensor, the raw arrays forward receives, whether any input requires grad,
    and whether dtypes were promoted. Raises if the tensors disagree on device, or on dtype
    for an op that does not promote.

    The calls nearly every op makes are settled here without a loop (Note [Dispatch cost]):
    one Tensor, two Tensors of one dtype on one device, or a Tensor and a Python int or float
    that leave its dtype as it is (``x * 2.0``, ``i + 1``). Anything else, errors and
    promotion included, goes to ``_resolve_any``."""
    if not 0 < len(inputs) <= 2 or cls.dtype_exempt:
        return _resolve_any(cls, inputs)
    a = inputs[-1]
    t = inputs[0]
    if len(inputs) == 2:
        if isinstance(a, Tensor):
            if isinstance(t, Tensor):  # two Tensors
                if a._device is t._device and a._data.dtype is t._data.dtype:
                    if (
                        cls.promotion is not TO_FLOAT
                        or t._backend.dtype_category.get(t._data.dtype) == 2
                    ):
                        return t, [t._data, a._data], t._requires_grad or a._requires_grad, False
                return _resolve_any(cls, inputs)
            t, a = a, t  # a number and a Tensor: check the number below
        elif not isinstance(t, Tensor):
            return _resolve_any(cls, inputs)
        kind = type(a)
        if kind is float or kind is int:
            category = t._backend.dtype_category.get(t._data.dtype)
            if category == 2 or (category == 1 and kind is int and cls.promotion is not TO_FLOAT):
                arrays = [t._data, a] if t is inputs[0] else [a, t._data]
                return t, arrays, t._requires_grad, False
    elif isinstance(a, Tensor) and (
        cls.promotion is not TO_FLOAT or a._backend.dtype_category.get(a._data.dtype) == 2
    ):
        return a, [a._data], a._requires_grad, False
    return _resolve_any(cls, inputs)


def _resolve_any(
    cls: type[Function], inputs: tuple[Any, ...]
) -> tuple[Tensor, list[Any], bool, bool]:
    """``_resolve`` in general: one pass over the inputs."""
    ref: Tensor | None = None
    ref_dtype = None
    mixed = False
    scalar_category = -1  # the highest Python scalar seen: 0 bool, 1 int, 2 float
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
                    mixed = True
            if x._requires_grad:
                requires_grad = True
            arrays.append(data)
        else:
            kind = type(x)
            if kind is float:
                scalar_category = 2
            elif kind is int:
                if scalar_category < 1:
                    scalar_category = 1
            elif kind is bool and scalar_category < 0:
                scalar_category = 0
            arrays.append(x)
    if ref is None:
        raise TypeError(f"{cls.__name__}: needs at least one Tensor input")
    # The fast exits (Note [Dispatch cost]): one dtype and no Python scalar, the common case;
    # or scalars that every array library computes in the tensor's dtype (``x * 2.0`` on a
    # float tensor, ``i + 1`` on an int one; a bool scalar only meets bool tensors there).
    if not mixed:
        promotion = cls.promotion
        if scalar_category < 0 and promotion is not TO_FLOAT:
            return ref, arrays, requires_grad, False
        category = ref._backend.dtype_category.get(ref_dtype, -1)
        if ref_dtype is None or (
            (category == 2 or promotion is not TO_FLOAT)
            and (
                scalar_category < 0
                or scalar_category == category
                or (scalar_category == 1 and category == 2)
            )
        ):
            return ref, arrays, requires_grad, False
    if cls.promotion is None:  # an op that does not promote: mixed dtypes raise
        _raise_no_promotion(cls, ref, inputs)
        return ref, arrays, requires_grad, False
    _promote(cls, ref, inputs, arrays)
    return ref, arrays, requires_grad, True


# The promoted native dtype for one combination of inputs, keyed by the op's promotion kind,
# the backend (so dtypes of different libraries never meet in one comparison), the default
# float dtype, and each input's (native dtype, has dims) or scalar type. Combinations are few
# (a handful per program), and a hit skips the table walk: the mixed case then costs about a
# third of what it would.
_PROMOTED: dict[tuple[Any, ...], tuple[Any, type]] = {}


def _promote(cls: type[Function], ref: Tensor, inputs: tuple[Any, ...], arrays: list[Any]) -> None:
    """Convert ``arrays`` in place to the promoted dtype (Note [Type promotion] in
    promotion.py): tensors by ``astype``, Python scalars to the matching Python type."""
    exempt = cls.dtype_exempt
    backend = ref._backend
    key: list[Any] = [cls.promotion, backend, get_default_dtype()]
    for i, x in enumerate(inputs):
        if i in exempt:
            key.append(None)
        elif isinstance(x, Tensor):
            key.append((x._data.dtype, x._data.ndim > 0))
        else:
            key.append(type(x))
    cached = _PROMOTED.get(tuple(key))
    if cached is None:
        cached = _PROMOTED[tuple(key)] = _promoted_dtype(cls, backend, inputs)
    native, to_python = cached
    for i, x in enumerate(inputs):
        if i in exempt:
            continue
        if isinstance(x, Tensor):
            if arrays[i].dtype != native:
                arrays[i] = backend.xp.astype(arrays[i], native)
        elif type(x) in (bool, int, float):
            arrays[i] = to_python(x)


def _promoted_dtype(cls: type[Function], backend: Any, inputs: tuple[Any, ...]) -> tuple[Any, type]:
    """The native dtype the op computes in, from promotion.py's table, and the Python type
    its scalar inputs take."""
    exempt = cls.dtype_exempt
    participants = [
        (x.dtype.name, x._data.ndim > 0) if isinstance(x, Tensor) else (x, None)
        for i, x in enumerate(inputs)
        if i not in exempt and (isinstance(x, Tensor) or type(x) in (bool, int, float))
    ]
    dtype = dtype_from_name(result_name(participants))
    if cls.promotion is TO_FLOAT and not dtype.is_floating_point:
        dtype = get_default_dtype()
    to_python = float if dtype.is_floating_point else bool if dtype.name == "bool" else int
    return backend.native_dtype(dtype), to_python


def _raise_no_promotion(cls: type[Function], ref: Tensor, inputs: tuple[Any, ...]) -> None:
    exempt = cls.dtype_exempt
    dtypes = {
        x.dtype.name for i, x in enumerate(inputs) if isinstance(x, Tensor) and i not in exempt
    }
    if len(dtypes) > 1:
        _raise_dtype_mismatch(cls, inputs)
    if any(type(x) is float for x in inputs) and not ref.dtype.is_floating_point:
        raise TypeError(
            f"{cls.__name__.lower()}: a Python float cannot be combined with a "
            f"{ref.dtype!r} tensor (that would change its dtype); "
            "convert the tensor with .float() or .double() first"
        )


def _record(ctx: Context, inputs: tuple[Any, ...], promoted: bool) -> None:
    """Link the node to where each input's gradient goes: the input's own node, or for a leaf
    its AccumulateGrad; keep the input shapes for un-broadcasting, and where dtypes were
    promoted, the input dtypes that gradients are cast back to."""
    # Tuples grown in place: for the one to three inputs of nearly every op that is cheaper
    # than three lists turned into tuples (Note [Dispatch cost]).
    next_nodes: tuple[Node | None, ...] = ()
    shapes: tuple[Any, ...] = ()
    needs: tuple[bool, ...] = ()
    for x in inputs:
        if isinstance(x, Tensor):
            shapes += (x._data.shape,)
            if x._requires_grad:
                node = x.grad_fn
                next_nodes += (node if node is not None else x._accumulator(),)
                needs += (True,)
                continue
        else:
            shapes += (None,)
        next_nodes += (None,)
        needs += (False,)
    ctx.next_nodes = next_nodes
    ctx.input_shapes = shapes
    ctx.needs_input_grad = needs
    if promoted:
        ctx.input_dtypes = tuple(x.dtype if isinstance(x, Tensor) else None for x in inputs)
    if _ever_on[0] and _anomaly_mode.get() is not None:  # Note [Anomaly mode]
        _anomaly.record_forward(ctx)


# Values that are never arrays: saved as they are, without searching the inputs for them.
_PLAIN_VALUES = (int, float, bool, complex, str, type(None))


def _refuse_inference_saved(ctx: Context) -> None:
    # Note [Inference tensors] in autograd/grad_mode.py; PyTorch refuses at the same point.
    raise RuntimeError(
        f"{ctx.name()}: Inference tensors cannot be saved for backward; an input made inside "
        "inference_mode() is used in a recorded op. Use x.clone() (outside inference_mode) "
        "for an ordinary tensor, or no_grad() instead of inference_mode()"
    )


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
    to_save = ctx._to_save
    # The common cases first, without searching: forward saved its first inputs in order
    # (all of them for Mul and Div; x and W, then the output, for Linear and LinearRelu).
    versions: list[int | None] = []
    for x, value, arr in zip(inputs, to_save, arrays):
        if value is not arr:
            break
        if isinstance(x, Tensor):
            if x._inference:
                _refuse_inference_saved(ctx)
            versions.append(x._version)
        elif value is x:  # a number forward received as it is (not promoted)
            versions.append(None)
        else:
            break
    n = len(versions)
    if n == len(to_save):
        ctx._saved = inputs if n == len(inputs) else inputs[:n]
        ctx._versions, ctx._to_save = tuple(versions), ()
        return
    saved: list[Any] = list(inputs[:n])
    for value in to_save[len(saved) :]:
        if type(value) in _PLAIN_VALUES:
            saved.append(value)
            versions.append(None)
            continue
        for x, arr in zip(inputs, arrays):
            if value is arr and isinstance(x, Tensor):
                if x._inference:
                    _refuse_inference_saved(ctx)
                saved.append(x)
                versions.append(x._version)
                break
        else:
            if value is raw_out or value is out:
                saved.append(_OUTPUT)
                ctx._out = out
                ctx._out_meta = (result._device, result._backend, True)
                ctx._out_ref = (weakref.ref(result), result._version)
            elif not hasattr(value, "shape"):
                saved.append(value)
            else:
                saved.append(Tensor._make(value, result._device, result._backend, False, None))
            versions.append(None)
    ctx._saved = tuple(saved)
    ctx._versions = tuple(versions)
    ctx._to_save = ()


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
    # A RuntimeError too, as PyTorch raises for matmul, mm, dot, conv on mixed dtypes.
    raise UnsupportedDtypeError(
        f"{cls.__name__.lower()}: expected tensors of one dtype, got {' and '.join(dtypes)}; "
        f"this op does not promote dtypes (as in PyTorch): convert one operand with "
        f".to(nanotorch.{dtypes[0]}) (or .float() / .double()) first"
    )


# PyTorch's path for the decorator: torch.autograd.function.once_differentiable.
from nanotorch.autograd.custom import once_differentiable  # noqa: E402, F401
