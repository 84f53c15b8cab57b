"""The comparison harness: run one case in nanotorch and in PyTorch, compare everything.

A ``Case`` names a function written once against either library (``fn(lib, *inputs)``, where
``lib`` is the ``nanotorch`` or the ``torch`` module) and its inputs as NumPy arrays. The
harness turns the inputs into tensors of each library, runs both and compares

- the structure of the result (a tensor, a tuple of tensors, a named tuple's fields, a number),
- each tensor's dtype and shape exactly, and its values with a dtype-dependent tolerance
  (NaN equal to NaN, integer and bool results exactly),
- the gradients of every floating input, after a backward pass with a random upstream
  gradient for every floating output (a ``.sum()`` would hide transpose and axis bugs).

Floating inputs written in float64 are cast to the dtype under test, so one table covers
float32 and float64; ``Fixed(array)`` keeps an input's dtype as written (mixed dtypes). A case
with ``error=True`` passes when both libraries raise and nanotorch's exception is an instance
of the built-in class PyTorch raised (RuntimeError, ValueError, TypeError, IndexError).
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest

import nanotorch as nt

torch = pytest.importorskip("torch")

# Tolerances per dtype: forward values, then gradients (which pass through more rounding).
_TOL = {
    "float32": (1e-5, 1e-6),
    "float64": (1e-10, 1e-12),
    "float16": (1e-3, 1e-3),
}
_GRAD_TOL = {"float32": (1e-4, 1e-5), "float64": (1e-8, 1e-10), "float16": (1e-2, 1e-2)}

FLOATS = ("float32", "float64")


@dataclass(frozen=True)
class Fixed:
    """An input whose dtype is kept as written (not cast to the dtype under test)."""

    array: np.ndarray
    grad: bool = True


@dataclass(frozen=True)
class NoGrad:
    """A floating input cast to the dtype under test that takes no gradient."""

    array: np.ndarray


@dataclass
class Case:
    id: str
    fn: Callable[..., Any]
    inputs: Sequence[Any] = ()
    grad: bool = True
    error: bool = False
    rtol: float | None = None
    atol: float | None = None
    grad_rtol: float | None = None
    grad_atol: float | None = None
    dtypes: tuple[str, ...] | None = None
    xfail: str | None = None
    marks: list[Any] = field(default_factory=list)

    def floating(self) -> bool:
        return any(
            isinstance(x, (np.ndarray, NoGrad))
            and np.asarray(getattr(x, "array", x)).dtype.kind == "f"
            for x in self.inputs
        )


# Variants of an op's base case (the same code path on a differently shaped input) run in
# float64 only; float32 runs on the base case, to keep the directory fast.
_VARIANTS = ("-0d", "-empty", "-transposed", "-method", "-0d-dim0", "-neg-dim", "-dim-neg")


def params(cases: Sequence[Case]) -> list[Any]:
    """pytest params: (case, dtype) per floating dtype for cases with floating inputs."""
    out = []
    seen: set[str] = set()
    for case in cases:
        assert case.id not in seen, f"duplicate case id {case.id}"
        seen.add(case.id)
        dtypes = case.dtypes or (FLOATS if case.floating() else ("-",))
        if case.dtypes is None and case.id.endswith(_VARIANTS) and dtypes == FLOATS:
            dtypes = ("float64",)
        for dtype in dtypes:
            marks = list(case.marks)
            if case.xfail:
                marks.append(pytest.mark.xfail(strict=True, reason=case.xfail))
            ident = case.id if dtype == "-" else f"{case.id}-{dtype}"
            out.append(pytest.param(case, dtype, id=ident, marks=marks))
    return out


rng = np.random.default_rng(1234)


def R(*shape: int, low: float | None = None, high: float | None = None) -> np.ndarray:
    """Random float64 values: standard normal, or uniform in [low, high)."""
    if low is None:
        return np.asarray(rng.standard_normal(shape))
    return np.asarray(rng.uniform(low, high, size=shape))


def P(*shape: int) -> np.ndarray:
    """Random positive float64 values in [0.5, 2)."""
    return np.asarray(rng.uniform(0.5, 2.0, size=shape))


def I(*shape: int, low: int = -5, high: int = 5, dtype: str = "int64") -> np.ndarray:  # noqa: E743
    return np.asarray(rng.integers(low, high, size=shape)).astype(dtype)


def B(*shape: int) -> np.ndarray:
    return np.asarray(rng.uniform(size=shape) < 0.5)


def _np_dtype(dtype: str) -> Any:
    return np.dtype(dtype)


def _prepare(case: Case, dtype: str) -> tuple[list[Any], list[Any], list[int]]:
    """The inputs as nanotorch and torch tensors, and the positions that take gradients."""
    ours, theirs, grads = [], [], []
    for i, x in enumerate(case.inputs):
        wants_grad = False
        if isinstance(x, Fixed):
            arr = np.asarray(x.array)
            wants_grad = x.grad and arr.dtype.kind == "f"
        elif isinstance(x, NoGrad):
            arr = np.asarray(x.array).astype(_np_dtype(dtype))
        elif isinstance(x, np.ndarray):
            arr = x
            if arr.dtype.kind == "f" and dtype != "-":
                arr = arr.astype(_np_dtype(dtype))
            wants_grad = arr.dtype.kind == "f"
        else:
            ours.append(x)
            theirs.append(x)
            continue
        wants_grad = wants_grad and case.grad and not case.error
        a = nt.from_numpy(np.array(arr, copy=True))
        t = torch.from_numpy(np.array(arr, copy=True))
        if wants_grad:
            a.requires_grad_(True)
            t.requires_grad_(True)
            grads.append(i)
        ours.append(a)
        theirs.append(t)
    return ours, theirs, grads


def _base_error(exc: BaseException) -> type[BaseException]:
    """The built-in exception class users catch for ``exc`` (torch's own classes derive)."""
    for klass in type(exc).__mro__:
        if klass is NotImplementedError:
            # PyTorch's "not implemented for 'Bool'" is a RuntimeError subclass; the class
            # users catch is RuntimeError.
            return RuntimeError
        if klass in (IndexError, ValueError, TypeError, RuntimeError):
            return klass
        if klass.__module__ == "builtins" and klass is not Exception:
            if issubclass(klass, Exception) and klass is not BaseException:
                return klass
    return Exception


def _dtype_name(dtype: Any) -> str:
    return str(dtype).split(".")[-1]


def _flatten(result: Any, path: str = "out") -> list[tuple[str, Any]]:
    if isinstance(result, (tuple, list)):
        items = []
        for i, r in enumerate(result):
            items += _flatten(r, f"{path}[{i}]")
        return items
    return [(path, result)]


def _fields(result: Any) -> tuple[str, ...]:
    names = getattr(result, "_fields", None)
    if names is None and isinstance(result, tuple) and hasattr(result, "n_fields"):
        names = tuple(type(result)._fields) if hasattr(type(result), "_fields") else None
    return tuple(names or ())


def _to_numpy(x: Any) -> np.ndarray:
    if isinstance(x, torch.Tensor):
        return x.detach().numpy(force=True)  # force: a ZeroTensor gradient has no buffer
    return x.detach().numpy()


def assert_same_tensor(
    ours: Any, theirs: Any, where: str, rtol: float | None, atol: float | None, grad: bool = False
) -> None:
    assert isinstance(ours, nt.Tensor), f"{where}: expected a Tensor, got {type(ours).__name__}"
    assert _dtype_name(ours.dtype) == _dtype_name(theirs.dtype), (
        f"{where}: dtype {ours.dtype} != torch {theirs.dtype}"
    )
    assert tuple(ours.shape) == tuple(theirs.shape), (
        f"{where}: shape {tuple(ours.shape)} != torch {tuple(theirs.shape)}"
    )
    a, b = _to_numpy(ours), _to_numpy(theirs)
    table = _GRAD_TOL if grad else _TOL
    default = table.get(_dtype_name(theirs.dtype), table["float64"])
    rtol = default[0] if rtol is None else rtol
    atol = default[1] if atol is None else atol
    if a.dtype.kind in "fc":
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, equal_nan=True, err_msg=where)
    else:
        np.testing.assert_array_equal(a, b, err_msg=where)


def compare_results(ours: Any, theirs: Any, rtol: float | None, atol: float | None) -> None:
    if isinstance(theirs, tuple) and hasattr(theirs, "values") and hasattr(theirs, "indices"):
        for name in ("values", "indices"):
            assert hasattr(ours, name), f"result lacks field {name!r}"
    if isinstance(theirs, torch.Tensor):
        assert_same_tensor(ours, theirs, "out", rtol, atol)
        return
    if isinstance(theirs, (tuple, list)):
        assert isinstance(ours, (tuple, list)), f"expected a sequence, got {type(ours)}"
        assert len(ours) == len(theirs), f"{len(ours)} results != torch {len(theirs)}"
        for i, (o, t) in enumerate(zip(ours, theirs)):
            if isinstance(t, torch.Tensor):
                assert_same_tensor(o, t, f"out[{i}]", rtol, atol)
            else:
                compare_results(o, t, rtol, atol)
        return
    if isinstance(theirs, torch.dtype):
        assert _dtype_name(ours) == _dtype_name(theirs), f"dtype {ours} != torch {theirs}"
        return
    if isinstance(theirs, torch.Size):
        assert tuple(ours) == tuple(theirs), f"size {ours} != torch {theirs}"
        return
    # A Python value (``.item()``, ``numel``, a bool from ``equal``): same type and value.
    assert type(ours) is type(theirs), f"{type(ours).__name__} != torch {type(theirs).__name__}"
    if isinstance(theirs, float):
        np.testing.assert_allclose(
            ours, theirs, rtol=rtol or 1e-6, atol=atol or 1e-7, equal_nan=True
        )
    else:
        assert ours == theirs


def _float_outputs(result: Any) -> list[Any]:
    return [
        r
        for _, r in _flatten(result)
        if hasattr(r, "dtype") and hasattr(r, "requires_grad") and r.requires_grad
    ]


def run_case(case: Case, dtype: str) -> None:
    """Run ``case`` in both libraries and assert they agree (see the module docstring)."""
    ours_in, theirs_in, grad_pos = _prepare(case, dtype)
    if case.error:
        with pytest.raises(Exception) as theirs_exc:
            case.fn(torch, *theirs_in)
        expected = _base_error(theirs_exc.value)
        try:
            case.fn(nt, *ours_in)
        except Exception as exc:  # noqa: BLE001 - the class is what is compared
            assert isinstance(exc, expected), (
                f"nanotorch raised {type(exc).__name__} ({exc}); torch raises "
                f"{expected.__name__} ({theirs_exc.value})"
            )
            return
        pytest.fail(f"nanotorch did not raise; torch raises {expected.__name__}")

    theirs = case.fn(torch, *theirs_in)
    ours = case.fn(nt, *ours_in)
    compare_results(ours, theirs, case.rtol, case.atol)
    if not grad_pos:
        return
    theirs_out = _float_outputs(theirs)
    ours_out = _float_outputs(ours)
    assert len(ours_out) == len(theirs_out), (
        f"{len(ours_out)} outputs require grad; torch: {len(theirs_out)}"
    )
    if not theirs_out:
        return
    # Seeded by the case, so a case sees the same upstream gradient whatever ran before it.
    draw = np.random.default_rng(zlib.crc32(f"{case.id}-{dtype}".encode()))
    upstream = [draw.standard_normal(tuple(t.shape)) for t in theirs_out]
    loss_t = sum((t * torch.from_numpy(g).to(t.dtype)).sum() for t, g in zip(theirs_out, upstream))
    loss_o = sum((o * nt.from_numpy(g).to(o.dtype)).sum() for o, g in zip(ours_out, upstream))
    loss_t.backward()
    loss_o.backward()
    for i in grad_pos:
        tg, og = theirs_in[i].grad, ours_in[i].grad
        if tg is None:
            assert og is None or not np.any(og.numpy()), f"grad of input {i}: torch has none"
            continue
        assert og is not None, f"grad of input {i} is None; torch has one"
        assert_same_tensor(og, tg, f"grad[{i}]", case.grad_rtol, case.grad_atol, grad=True)


__all__ = ["B", "Case", "Fixed", "I", "NoGrad", "P", "R", "params", "run_case"]
