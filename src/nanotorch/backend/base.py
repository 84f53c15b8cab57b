"""The Backend protocol and the shared implementation most backends need.

A backend pairs an array-API namespace ``xp`` (obtained through ``array_api_compat``) with one
native device, and supplies the few things the standard does not: moving data to and from the
host, random numbers, and a scatter-add. Everything above this package reaches arrays only
through a backend, which is why only files in ``nanotorch/backend/`` import array libraries.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator, Sequence
from typing import Any, Protocol, runtime_checkable

import numpy as np

from nanotorch.backend.device import Device
from nanotorch.dtypes import ALL_DTYPES, DType

Array = Any  # an array of the backend's namespace; the standard has no static type for it


# The tanh GELU's constants: u = c (a + k a^3).
GELU_C = math.sqrt(2.0 / math.pi)
GELU_K = 0.044715


@runtime_checkable
class RandomSource(Protocol):
    """A backend's random-number generator state (``nanotorch.Generator`` wraps one)."""

    def random(self, shape: tuple[int, ...], dtype: DType) -> Array: ...
    def normal(self, shape: tuple[int, ...], dtype: DType) -> Array: ...
    def integers(self, low: int, high: int, shape: tuple[int, ...], dtype: DType) -> Array: ...
    def permutation(self, n: int) -> Array: ...
    def get_state(self) -> dict[str, Any]: ...
    def set_state(self, state: dict[str, Any]) -> None: ...


@runtime_checkable
class Backend(Protocol):
    """What the engine needs from an array library on one device."""

    device: Device
    xp: Any
    native_device: Any
    needs_context: bool  # whether context() does anything (Note [Device context])
    dtype_category: dict[Any, int]  # native dtype -> 0 bool, 1 integer, 2 floating

    def native_dtype(self, dtype: DType) -> Any: ...
    def dtype_of(self, array: Array) -> DType: ...
    def dtype_of_native(self, native: Any) -> DType: ...
    def from_host(self, host: np.ndarray) -> Array: ...
    def to_host(self, array: Array) -> np.ndarray: ...
    def context(self) -> contextlib.AbstractContextManager[None]: ...
    def from_dlpack(self, obj: Any) -> Array: ...
    def random_source(self, seed: int) -> RandomSource: ...
    def index_add(self, target: Array, index: Array, source: Array) -> Array: ...
    def index_reduce(self, target: Array, index: Array, source: Array, reduce: str) -> Array: ...
    def synchronize(self) -> None: ...


def _draw_float(draw: Any, shape: tuple[int, ...], dtype: DType, uniform: bool = False) -> Any:
    """``draw(shape, dtype=...)`` for the float dtypes NumPy's generators draw (float32,
    float64); float16 is drawn in float32 and rounded, with uniform draws that round up to 1
    held just below it, so [0, 1) stays half-open."""
    if dtype.name != "float16":
        return draw(shape, dtype=np.dtype(dtype.name))
    wide = draw(shape, dtype=np.float32)
    out = wide.astype(np.float16)
    if uniform:
        below_one = 1.0 - 2.0**-11  # the largest float16 under 1
        out = out.clip(None, below_one)
    return out


class HostRandom:
    """A PCG64 stream drawn on the host with NumPy.

    The cpu backend uses it as is; the strict backend uses it too and places the numbers on
    its simulated device, which is why one seed gives the same numbers on cpu and strict:N.
    """

    def __init__(self, seed: int, place: Any = None) -> None:
        self._gen = np.random.Generator(np.random.PCG64(seed))
        # ``place`` turns a host array into the backend's array (identity on cpu).
        self._place = place if place is not None else (lambda a: a)

    def random(self, shape: tuple[int, ...], dtype: DType) -> Array:
        return self._place(_draw_float(self._gen.random, shape, dtype, uniform=True))

    def normal(self, shape: tuple[int, ...], dtype: DType) -> Array:
        return self._place(_draw_float(self._gen.standard_normal, shape, dtype))

    def integers(self, low: int, high: int, shape: tuple[int, ...], dtype: DType) -> Array:
        return self._place(self._gen.integers(low, high, shape, dtype=np.dtype(dtype.name)))

    def permutation(self, n: int) -> Array:
        return self._place(self._gen.permutation(n).astype(np.int64))

    def get_state(self) -> dict[str, Any]:
        return dict(self._gen.bit_generator.state)

    def set_state(self, state: dict[str, Any]) -> None:
        self._gen.bit_generator.state = state


class CounterRandom:
    """A generator whose whole state is two integers: a seed and a count of draws.

    Draw k comes from a fresh ``make_rng(seed_k)``, where seed_k mixes (seed, k) through
    NumPy's SeedSequence. Libraries whose generator state cannot be exported (CuPy) become
    checkpointable this way: the state is ``{"seed", "draws"}``, and restoring it continues
    the same stream. ``make_rng`` returns an object with NumPy's Generator methods
    (``random``, ``standard_normal``, ``integers``), e.g. ``cupy.random.default_rng``.
    """

    def __init__(self, seed: int, make_rng: Any, context: Any = None) -> None:
        self._seed = int(seed)
        self._draws = 0
        self._make_rng = make_rng
        self._context = context if context is not None else contextlib.nullcontext

    def _next(self) -> Any:
        mixed = np.random.SeedSequence([self._seed, self._draws]).generate_state(1, np.uint64)
        self._draws += 1
        return self._make_rng(int(mixed[0]))

    def random(self, shape: tuple[int, ...], dtype: DType) -> Array:
        with self._context():
            return _draw_float(self._next().random, shape, dtype, uniform=True)

    def normal(self, shape: tuple[int, ...], dtype: DType) -> Array:
        with self._context():
            return _draw_float(self._next().standard_normal, shape, dtype)

    def integers(self, low: int, high: int, shape: tuple[int, ...], dtype: DType) -> Array:
        with self._context():
            return self._next().integers(low, high, shape, dtype=np.dtype(dtype.name))

    def permutation(self, n: int) -> Array:
        # Sorting random keys is a permutation every such library can do.
        with self._context():
            keys = self._next().random((n,), dtype=np.float64)
            return keys.argsort().astype(np.int64)

    def get_state(self) -> dict[str, Any]:
        return {"seed": self._seed, "draws": self._draws}

    def set_state(self, state: dict[str, Any]) -> None:
        self._seed = int(state["seed"])
        self._draws = int(state["draws"])


class ArrayBackend:
    """Shared behaviour of the built-in backends; subclasses set ``xp`` and the device."""

    def __init__(self, device: Device, xp: Any, native_device: Any) -> None:
        self.device = device
        self.xp = xp
        self.native_device = native_device
        # Note [Device context]: a backend that overrides context() has one to enter.
        self.needs_context = type(self).context is not ArrayBackend.context
        # Only the dtypes the library has; native_dtype explains the missing ones.
        self._to_native = {d: getattr(xp, d.name) for d in ALL_DTYPES if hasattr(xp, d.name)}
        # Arrays report dtypes in the library's own form (np.dtype('float32'), not np.float32):
        # key the reverse table on what an actual array reports.
        self._from_native = {
            xp.empty((0,), dtype=nat, device=native_device).dtype: d
            for d, nat in self._to_native.items()
        }
        # Each native dtype's category for type promotion (0 bool, 1 integer, 2 floating),
        # read on every op that meets a Python scalar (Note [Type promotion] in promotion.py).
        self.dtype_category = {
            nat: 2 if d.is_floating_point else 0 if d.name == "bool" else 1
            for nat, d in self._from_native.items()
        }

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.device}>"

    # A function applied to every op's result, or None. NumPy turns 0-d results into NumPy
    # scalars; the cpu backend sets this to turn them back into 0-d arrays. Results that are
    # already of ``array_type`` skip the call (it runs on every op: Note [Dispatch cost]).
    fix_result: Any = None
    array_type: Any = None

    def native_dtype(self, dtype: DType) -> Any:
        try:
            return self._to_native[dtype]
        except KeyError:
            raise unsupported_dtype(dtype, self.device) from None

    def dtype_of(self, array: Array) -> DType:
        return self.dtype_of_native(array.dtype)

    def dtype_of_native(self, native: Any) -> DType:
        try:
            return self._from_native[native]
        except KeyError:
            raise TypeError(
                f"nanotorch does not support arrays of dtype {native} on {self.device}; "
                f"use one of {', '.join(d.name for d in self._to_native)}"
            ) from None

    # Note [Device context]
    # ~~~~~~~~~~~~~~~~~~~~~
    # Some libraries keep a "current device" per thread: CuPy allocates and launches on it,
    # so work for cuda:1 run while GPU 0 is current would touch GPU 0. A backend for such a
    # library overrides ``context()`` to make its device current, and everything that makes
    # or changes arrays enters it: ``Function.apply`` around ``forward``, in-place Tensor
    # methods, creation functions, the seed gradient of ``backward()``, DLPack imports and
    # copies between devices. Most backends have no such state; for them ``context()`` is
    # this no-op, ``needs_context`` is False, and the per-op path skips the ``with`` (a
    # flag test is a few tens of ns; a `with` on a shared nullcontext added about 0.2 us per
    # call in a micro-benchmark, a tenth of a small op's whole dispatch).
    # discovery/devices.md follows ``a + b`` on cuda:1 through every step.
    needs_context: bool = False

    # Note [Buffer pool] (backend/pool.py): the cpu backend keeps large arrays between
    # steps. None here: strict keeps nothing, CuPy has its own pool.
    pool: Any = None

    # ------------------------------------------------------------------ fast-path hooks
    # The few array calls a training step spends its memory on. The portable versions below
    # are what the ops computed before; the cpu backend overrides them to write into arrays
    # from its pool. Same values either way (tests/unit/test_memory_reuse.py).
    def matmul(self, a: Array, b: Array) -> Array:
        """``a @ b`` (NumPy's matmul rules)."""
        return self.xp.matmul(a, b)

    def relu(self, a: Array) -> Array:
        """``max(a, 0)``; NaN stays NaN."""
        xp = self.xp
        return xp.maximum(a, xp.zeros((), dtype=a.dtype, device=a.device))

    def relu_inplace(self, a: Array) -> Array:
        """``max(a, 0)`` for an ``a`` nothing else refers to (a fresh product): written into
        ``a`` where the backend can, else a new array; returns the result."""
        return self.relu(a)

    def relu_grad(self, g: Array, mask_src: Array) -> Array:
        """``g`` where ``mask_src > 0``, else 0, as a multiply by the 0/1 mask: NumPy's
        ``where`` on a data-dependent mask is about five times slower. The standard has no
        bool * float, hence the cast. (An infinite g where the mask is 0 gives nan.)"""
        return g * self.xp.astype(mask_src > 0, g.dtype)

    # Elementwise results that die within the step (a GPT's GELU, residual adds, layer
    # norm, attention probabilities; Note [Buffer pool] in backend/pool.py). ``b`` may be a
    # Python scalar.
    def add(self, a: Array, b: Array | float) -> Array:
        """``a + b``."""
        return a + b

    def multiply(self, a: Array, b: Array | float) -> Array:
        """``a * b``."""
        return a * b

    def subtract(self, a: Array, b: Array | float) -> Array:
        """``a - b``."""
        return a - b

    def tanh(self, a: Array) -> Array:
        """``tanh(a)``."""
        return self.xp.tanh(a)

    def exp(self, a: Array) -> Array:
        """``exp(a)``."""
        return self.xp.exp(a)

    # The tanh GELU (a GPT's MLP activation) and its derivative, as two kernels: the cpu
    # computes each in one split pass over its elements (Note [GELU's sigmoid form] in
    # ops/elementwise.py, Note [Intra-op threads] in backend/threads.py).
    def gelu_tanh(self, a: Array) -> tuple[Array, Array]:
        """``(a s, s)`` with ``s = 1 / (1 + exp(-2u)) = (1 + tanh(u)) / 2``,
        ``u = c (a + k a^3)``, c = sqrt(2/pi), k = 0.044715: the tanh GELU and the factor its
        gradient needs (Note [GELU's sigmoid form] in ops/elementwise.py)."""
        # The cpu's kernel runs these operations in this order, so every backend gives the
        # same values. exp overflows to inf below a of about -10, and s = 0 is the right
        # limit; a = -inf gives nan, as in PyTorch. NumPy's warnings about either (strict
        # wraps NumPy) are noise to a user.
        with np.errstate(invalid="ignore", over="ignore"):
            t = (a * a * (-2.0 * GELU_C * GELU_K) + (-2.0 * GELU_C)) * a  # -2u
            s = 1.0 / (self.xp.exp(t) + 1.0)
            return a * s, s

    def gelu_tanh_grad(self, g: Array, a: Array, s: Array) -> Array:
        """``g (s + 2 a s (1 - s) c (1 + 3 k a^2))``, the tanh GELU's derivative times g from
        its input a and ``s`` from ``gelu_tanh`` (0.5 (1 + tanh u) = s and
        0.5 (1 - tanh^2 u) = 2 s (1 - s))."""
        with np.errstate(invalid="ignore", over="ignore"):
            du = (a * a * (6.0 * GELU_C * GELU_K) + 2.0 * GELU_C) * a
            return (du * ((1.0 - s) * s) + s) * g

    def reshape(self, a: Array, shape: tuple[int, ...]) -> Array:
        """``a`` reshaped (a view where the layout allows, else a copy)."""
        return self.xp.reshape(a, shape)

    def zeros(self, shape: tuple[int, ...], dtype: Any, like: Array) -> Array:
        """Zeros of ``shape`` and ``dtype`` on ``like``'s device."""
        return self.xp.zeros(shape, dtype=dtype, device=like.device)

    # Softmax cross-entropy over the rows of 2-D logits, without class weights or label
    # smoothing: W1's loss. None means "no fast path here": the loss then runs its portable
    # expressions (nn/loss.py: CrossEntropyIndex), which an override must match exactly.
    def cross_entropy_rows(
        self, z: Array, target: Array, ignore_index: int, keep_softmax: bool
    ) -> tuple[Array, Array, Array | None] | None:
        """(sum of the per-row losses, number of counted rows in z's dtype, softmax(z) or
        None), or None."""
        return None

    def cross_entropy_rows_grad(
        self, g: Array, probs: Array, target: Array, ignore_index: int
    ) -> Array | None:
        """``g_i (softmax_i - one_hot(t_i))``, 0 on ignored rows (g: 0-d), or None."""
        return None

    def target_range(self, target: Array, ignore_index: int, big: int) -> Array | None:
        """[min, max] of ``target`` without the ``ignore_index`` entries as a (2,) array
        (``big`` for the min and ``-big`` for the max when every entry is ignored), or None
        for the portable version (nn/loss.py: ValidTargetRange)."""
        return None

    # The in-place updates of the optimizers, on raw arrays of one dtype (the checks are the
    # caller's): each is the expression of the Tensor method it stands for, so a backend
    # that overrides them must give the same values (Note [Updates by slices]).
    def add_scaled_(self, y: Array, x: Array, alpha: float) -> None:
        """``y += x * alpha`` (``Tensor.add_(x, alpha=alpha)``)."""
        y += x * alpha if alpha != 1 else x

    def lerp_(self, y: Array, end: Array, weight: float) -> None:
        """``y += (end - y) * weight`` (``Tensor.lerp_``)."""
        y += (end - y) * weight

    def addcmul_(self, y: Array, a: Array, b: Array, value: float) -> None:
        """``y += a * b * value`` (``Tensor.addcmul_``)."""
        prod = a * b
        y += prod * value if value != 1 else prod

    def addcdiv_(self, y: Array, a: Array, b: Array, value: float) -> None:
        """``y += a / b * value`` (``Tensor.addcdiv_``)."""
        q = a / b
        y += q * value if value != 1 else q

    def sqrt(self, a: Array) -> Array:
        """A new array ``sqrt(a)``."""
        return self.xp.sqrt(a)

    @contextlib.contextmanager
    def context(self) -> Iterator[None]:
        yield

    def synchronize(self) -> None:
        return None

    def from_host(self, host: np.ndarray) -> Array:
        # Always a copy: some libraries (array_api_strict) would otherwise alias the host
        # buffer, and a "transfer" that shares memory with its source is no transfer.
        return self.xp.asarray(host, copy=True, device=self.native_device)

    def to_host(self, array: Array) -> np.ndarray:
        return np.asarray(array)

    # DLPack device types this backend imports (``registry.from_dlpack`` picks the backend
    # by the producer's ``__dlpack_device__``): 1 host memory, 2 CUDA, 3 CUDA host, 13 CUDA
    # managed. None by default: a backend opts in.
    dlpack_device_types: tuple[int, ...] = ()

    def from_dlpack(self, obj: Any) -> Array:
        """An array of this backend sharing memory with the DLPack producer ``obj``."""
        with self.context():
            return self.xp.from_dlpack(obj)

    def random_source(self, seed: int) -> RandomSource:
        return HostRandom(seed, self.from_host)

    def index_add(self, target: Array, index: Array, source: Array) -> Array:
        """Return ``target`` with ``source[i]`` added at row ``index[i]``; repeats accumulate.

        Portable fallback: a one-hot matrix (rows: indices, columns: targets) turns the
        scatter into a matmul, which sums duplicates exactly. It costs O(len(index) * rows)
        memory, so backends with a native scatter override it.
        """
        xp = self.xp
        rows = target.shape[0]
        positions = xp.arange(rows, dtype=index.dtype, device=self.native_device)
        one_hot = xp.astype(index[:, None] == positions[None, :], source.dtype)
        row_size = 1
        for s in source.shape[1:]:
            row_size *= int(s)
        # Explicit sizes: (0, -1) is ambiguous for an empty source.
        flat = xp.reshape(source, (source.shape[0], row_size))
        added = xp.matmul(xp.permute_dims(one_hot, (1, 0)), flat)
        return target + xp.reshape(added, target.shape)

    def index_reduce(self, target: Array, index: Array, source: Array, reduce: str) -> Array:
        """Return ``target`` with ``source[i]`` folded into row ``index[i]`` by ``reduce``
        (``"prod"``, ``"amax"`` or ``"amin"``); rows no index names keep their value.

        The scatter-add of ``index_add`` with another combining rule (scatter_reduce needs
        it). Portable fallback: the same one-hot matrix, used as a mask: every source row is
        spread over all target rows, replaced by the rule's identity (1, the lowest or the
        highest value) where it does not belong, and reduced over the sources. It costs
        O(len(index) * target size) memory, so backends with a native scatter override it.
        """
        xp = self.xp
        if index.shape[0] == 0:  # max/min over no sources has no value
            return xp.asarray(target, copy=True)
        rows = target.shape[0]
        positions = xp.arange(rows, dtype=index.dtype, device=self.native_device)
        belongs = index[:, None] == positions[None, :]  # (sources, rows)
        belongs = xp.reshape(belongs, belongs.shape + (1,) * (source.ndim - 1))
        spread = source[:, None, ...]
        identity = xp.asarray(
            _reduce_identity(xp, reduce, source.dtype),
            dtype=source.dtype,
            device=self.native_device,
        )
        masked = xp.where(belongs, spread, identity)
        if reduce == "prod":
            return target * xp.prod(masked, axis=0, dtype=target.dtype)
        folded = xp.max(masked, axis=0) if reduce == "amax" else xp.min(masked, axis=0)
        pick = xp.maximum if reduce == "amax" else xp.minimum
        return pick(target, folded)

    def im2col(
        self,
        x: Array,
        kernel: tuple[int, int],
        stride: tuple[int, int],
        dilation: tuple[int, int],
        grid: tuple[int, int],
    ) -> Array | None:
        """Fast-path hook for convolution's im2col: the windows of the already padded
        ``x`` (N, C, H, W) as a new array (N, C, kH*kW, OH, OW), or None for "no fast path
        here", which makes the caller use its portable code (Note [Conv fast path] in
        nanotorch/ops/conv.py). Window (oh, ow), kernel position (i, j) reads
        x[..., oh*sH + i*dH, ow*sW + j*dW]."""
        return None

    def conv_columns(
        self,
        x: Array,
        padding: tuple[tuple[int, int], tuple[int, int]],
        kernel: tuple[int, int],
        stride: tuple[int, int],
        dilation: tuple[int, int],
        grid: tuple[int, int],
    ) -> Array | None:
        """Fast-path hook for the columns a convolution consumes at once: im2col of ``x``
        (N, C, H, W) zero padded by ``padding`` ((top, bottom), (left, right)), as a new
        (N, C, kH*kW, OH, OW) array that the backend may take from memory it keeps (Note
        [Conv columns from the pool] in nanotorch/ops/conv.py); None for "no fast path"."""
        return None

    def conv_col2im(
        self,
        cols: Array,
        padding: tuple[tuple[int, int], tuple[int, int]],
        kernel: tuple[int, int],
        stride: tuple[int, int],
        dilation: tuple[int, int],
        image: tuple[int, int],
    ) -> Array | None:
        """Fast-path hook for col2im of columns (N, C, kH*kW, OH, OW) that the caller no
        longer needs into a new (N, C, H, W) image, allowed to overwrite ``cols``; None for
        "no fast path here" (Note [Conv columns from the pool] in nanotorch/ops/conv.py)."""
        return None

    def add_into(self, acc: Array, g: Array) -> bool:
        """``acc += g`` in place if the backend can tell that nothing but its one holder (a
        ``.grad`` tensor) refers to ``acc``'s memory, returning True; False, without
        touching ``acc``, otherwise. The portable answer is False: the caller then makes a
        fresh sum (Note [Accumulating into .grad] in nanotorch/autograd/engine.py)."""
        return False

    def claim(self, a: Array) -> Any:
        """A token for ``a``'s memory that ``recall`` may later turn back into ``a`` with
        its contents, if the backend's memory reuse did not hand that memory to anyone else
        in between; None when the backend keeps no memory (the portable answer). Note
        [Claims on idle buffers] in nanotorch/backend/pool.py."""
        return None

    def recall(self, claim: Any) -> Array | None:
        """The array ``claim`` stands for, unchanged since it was claimed, or None."""
        return None

    def max_pool_tiles(
        self, x: Array, kernel: tuple[int, int], grid: tuple[int, int]
    ) -> tuple[Array, Array] | None:
        """Fast-path hook for a max pool whose windows tile ``x`` (N, C, H, W) without
        overlap or padding (stride = kernel): the maxima (N, C, OH, OW) and a bool array
        (kH*kW, N, C, OH, OW) marking each window's first maximum, or None for "no fast path
        here" (Note [Tiled max pool] in nanotorch/ops/pool.py)."""
        return None

    def max_pool_route(
        self, g: Array, masks: Array, kernel: tuple[int, int], image: tuple[int, int]
    ) -> Array | None:
        """The input gradient (N, C, H, W) of a tiled max pool: ``g`` (N, C, OH, OW) written
        where ``masks`` (from ``max_pool_tiles``) marks the maximum, zero elsewhere."""
        return None


# Why a device can lack a dtype, and what to use instead (see ``unsupported_dtype``).
_MISSING_DTYPE = {
    ("strict", "float16"): (
        "array_api_strict implements only the array API standard, which has no float16",
        "use float32 there, or float16 on cpu or cuda",
    ),
    ("strict", "bfloat16"): (
        "the array API standard has no bfloat16",
        "use float32",
    ),
    ("cpu", "bfloat16"): ("NumPy has no bfloat16", "use float16 or float32"),
    ("cuda", "bfloat16"): ("CuPy has no bfloat16", "use float16 or float32"),
}


def unsupported_dtype(dtype: DType, device: Device) -> TypeError:
    """The error for a dtype a device's library lacks: it names the device, the dtype, why,
    and what to use instead (a TypeError, as PyTorch raises for such combinations)."""
    why, instead = _MISSING_DTYPE.get(
        (device.type, dtype.name), (f"its array library has no {dtype.name}", "use float32")
    )
    return TypeError(f"dtype {dtype.name} is not supported on device {device}: {why}; {instead}")


def _reduce_identity(xp: Any, reduce: str, dtype: Any) -> float | int | bool:
    """The value that leaves ``reduce`` unchanged, in ``dtype``."""
    if reduce == "prod":
        return 1
    if dtype == xp.bool:
        return reduce == "amin"
    if xp.isdtype(dtype, "integral"):
        info = xp.iinfo(dtype)
        return info.min if reduce == "amax" else info.max
    return -float("inf") if reduce == "amax" else float("inf")


def shape_tuple(shape: Sequence[int]) -> tuple[int, ...]:
    return tuple(int(s) for s in shape)
