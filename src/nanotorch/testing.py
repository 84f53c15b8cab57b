"""Public testing helpers: ``gradcheck``, ``gradgradcheck`` and ``assert_close``.

They are what nanotorch's own op specs use, so users can check their own ops the same way.
Gradients are checked in float64 with central differences against a *random* upstream
gradient (not ``.sum()``, which would hide transposition and axis mistakes).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from nanotorch.autograd.engine import grad as _grad
from nanotorch.tensor import Tensor


class GradcheckError(AssertionError):
    """Analytic and numeric gradients disagree; the message says where and by how much."""


def _host(t: Tensor) -> np.ndarray:
    return np.asarray(t.detach()._to_host_uncounted(), dtype=np.float64)


def _as_outputs(out: Any) -> list[Tensor]:
    return [out] if isinstance(out, Tensor) else [o for o in out if isinstance(o, Tensor)]


def _random_like(t: Tensor, rng: np.random.Generator) -> Tensor:
    from nanotorch.creation import tensor

    return tensor(rng.standard_normal(t.shape), dtype=t.dtype, device=t.device)


def _prepare(
    fn: Callable[..., Any], inputs: Sequence[Tensor] | Tensor, name: str | None
) -> tuple[list[Any], str, list[int]]:
    """The inputs as a list, the name errors use, and the indices of inputs to differentiate."""
    inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    label = name or getattr(fn, "__name__", "fn")
    diff_idx = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    return inputs, label, diff_idx


def gradcheck(
    fn: Callable[..., Any],
    inputs: Sequence[Tensor] | Tensor,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    seed: int = 0,
    name: str | None = None,
) -> bool:
    """Compare autograd's vector-Jacobian product with central finite differences.

    For a random upstream gradient v, the analytic value is ``grad(fn(x), x, v)``, and the
    numeric value for element i is ``(v . fn(x + eps e_i) - v . fn(x - eps e_i)) / 2 eps``.
    Inputs that require grad are checked; they should be float64. Returns True, or raises
    ``GradcheckError`` naming the op, the input index, the worst element and both values.

    >>> import nanotorch
    >>> x = nanotorch.randn(3, dtype=nanotorch.float64, requires_grad=True)
    >>> gradcheck(nanotorch.tanh, [x])
    True
    """
    inputs, label, diff_idx = _prepare(fn, inputs, name)
    rng = np.random.default_rng(seed)
    if not diff_idx:
        raise ValueError(f"gradcheck({label}): no input requires grad")
    for i in diff_idx:
        if inputs[i].dtype.name != "float64":
            raise ValueError(
                f"gradcheck({label}): input {i} is {inputs[i].dtype!r}; finite differences "
                "need float64 inputs"
            )
    outs = _as_outputs(fn(*inputs))
    vs = [_random_like(o, rng) for o in outs]
    diff_outs = [(o, v) for o, v in zip(outs, vs, strict=True) if o.requires_grad]
    analytic = [None] * len(inputs)
    if diff_outs:
        grads = _grad(
            [o for o, _ in diff_outs],
            [inputs[i] for i in diff_idx],
            [v for _, v in diff_outs],
            allow_unused=True,
        )
        for i, g in zip(diff_idx, grads, strict=True):
            analytic[i] = np.zeros(inputs[i].shape) if g is None else _host(g)
    else:
        for i in diff_idx:
            analytic[i] = np.zeros(inputs[i].shape)
    v_host = [_host(v) for v in vs]

    def objective() -> float:
        # Grad mode stays on: gradgradcheck's fn itself calls grad().
        res = _as_outputs(fn(*inputs))
        return float(sum(np.sum(_host(o) * v) for o, v in zip(res, v_host, strict=True)))

    for i in diff_idx:
        x = inputs[i]
        # A contiguous copy: reshape(-1) below must be a view of it, and the caller's data
        # must not be written to.
        host = np.array(_host(x), dtype=np.float64, order="C")
        numeric = np.zeros_like(host)
        flat = host.reshape(-1)
        for k in range(flat.size):
            orig = flat[k]
            for sign in (1, -1):
                flat[k] = orig + sign * eps
                _overwrite(x, host)
                value = objective()
                numeric.reshape(-1)[k] += sign * value / (2 * eps)
            flat[k] = orig
        _overwrite(x, host)
        a = analytic[i]
        err = np.abs(a - numeric) - (atol + rtol * np.abs(numeric))
        if err.size and np.max(err) > 0:
            worst = np.unravel_index(int(np.argmax(err)), err.shape)
            raise GradcheckError(
                f"gradcheck({label}): gradient of input {i} (shape {tuple(x.shape)}) is wrong "
                f"at element {tuple(int(w) for w in worst)}: analytic {a[worst]:.8g}, "
                f"numeric {numeric[worst]:.8g} (atol={atol}, rtol={rtol})"
            )
    return True


def _overwrite(x: Tensor, host: np.ndarray) -> None:
    """Put new values into a leaf without touching its version or graph (testing only)."""
    backend = x._backend
    x._data = backend.from_host(host.astype(np.float64))


def gradgradcheck(
    fn: Callable[..., Any],
    inputs: Sequence[Tensor] | Tensor,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    seed: int = 0,
    name: str | None = None,
) -> bool:
    """Check second derivatives: gradcheck of x -> grad(fn(x), x, v, create_graph=True)."""
    inputs, label, diff_idx = _prepare(fn, inputs, name)
    rng = np.random.default_rng(seed + 1)
    outs = _as_outputs(fn(*inputs))
    vs = [_random_like(o, rng) for o in outs]

    def first_grads(*xs: Tensor) -> tuple[Tensor, ...]:
        res = _as_outputs(fn(*xs))
        pairs = [(o, v) for o, v in zip(res, vs, strict=True) if o.requires_grad]
        grads = _grad(
            [o for o, _ in pairs],
            [xs[i] for i in diff_idx],
            [v for _, v in pairs],
            create_graph=True,
            allow_unused=True,
        )
        return tuple(g for g in grads if g is not None)

    return gradcheck(first_grads, inputs, eps, atol, rtol, seed, name=f"{label} (2nd order)")


def assert_close(
    actual: Any,
    expected: Any,
    *,
    allow_subclasses: bool = True,
    rtol: float | None = None,
    atol: float | None = None,
    equal_nan: bool = False,
    check_device: bool = True,
    check_dtype: bool = True,
    check_layout: bool = True,
    check_stride: bool = False,
    msg: str | Callable[[str], str] | None = None,
) -> None:
    """Assert that ``actual`` and ``expected`` are close, as ``torch.testing.assert_close``:
    |actual - expected| <= atol + rtol * |expected| elementwise.

    Tensors must agree in shape, and by default in dtype and device; with ``check_stride``
    also in strides. A tolerance left out follows the dtype: float16 1e-3 / 1e-5, float32
    1.3e-6 / 1e-5, float64 1e-7 / 1e-7, exact for integers and bools (the less precise
    operand decides); PyTorch instead refuses one tolerance without the other. NaNs are
    equal only with ``equal_nan``. Sequences and mappings are compared item by item, Python
    numbers as scalars. ``msg`` replaces the report, or edits it when callable. Unlike
    PyTorch, a tensor may also be compared with a NumPy array or nested list, by value (no
    dtype or device check then).
    Values are read on the host; that read is not counted as a transfer.
    """
    del allow_subclasses, check_layout  # every nanotorch tensor is strided, Parameters too
    options = (rtol, atol, equal_nan, check_device, check_dtype, check_stride)
    try:
        _compare(actual, expected, options, ())
    except AssertionError as failure:
        if msg is None:
            raise
        text = msg(str(failure)) if callable(msg) else msg
        raise AssertionError(text) from None


def _compare(actual: Any, expected: Any, options: tuple[Any, ...], path: tuple[Any, ...]) -> None:
    where = "".join(f"[{p!r}]" for p in path)
    prefix = f"The failure occurred for item {where}:\n\n" if path else ""
    if isinstance(actual, Mapping) and isinstance(expected, Mapping):
        if set(actual) != set(expected):
            raise AssertionError(
                f"{prefix}The keys of the mappings do not match: {sorted(map(str, actual))} "
                f"!= {sorted(map(str, expected))}"
            )
        for key in actual:
            _compare(actual[key], expected[key], options, (*path, key))
        return
    if _is_sequence(actual) and _is_sequence(expected):
        if len(actual) != len(expected):
            raise AssertionError(
                f"{prefix}The length of the sequences do not match: {len(actual)} != "
                f"{len(expected)}"
            )
        for i, (a, e) in enumerate(zip(actual, expected)):
            _compare(a, e, options, (*path, i))
        return
    try:
        _compare_values(actual, expected, options)
    except AssertionError as failure:
        raise AssertionError(f"{prefix}{failure}") from None


def _is_sequence(x: Any) -> bool:
    return isinstance(x, (list, tuple)) and not isinstance(x, str)


def _compare_values(actual: Any, expected: Any, options: tuple[Any, ...]) -> None:
    rtol, atol, equal_nan, check_device, check_dtype, check_stride = options
    scalars = all(isinstance(x, (bool, int, float, complex)) for x in (actual, expected))
    tensors = isinstance(actual, Tensor) and isinstance(expected, Tensor)
    if tensors:
        checks = [("shape", tuple(actual.shape), tuple(expected.shape))]
        if check_device:
            checks.append(("device", str(actual.device), str(expected.device)))
        if check_dtype:
            checks.append(("dtype", actual.dtype, expected.dtype))
        if check_stride:
            checks.append(("stride()", actual.stride(), expected.stride()))
        for name, a_value, e_value in checks:
            if a_value != e_value:
                raise AssertionError(
                    f"The values for attribute '{name}' do not match: {a_value} != {e_value}."
                )
    a = actual.detach()._to_host_uncounted() if isinstance(actual, Tensor) else np.asarray(actual)
    e = (
        expected.detach()._to_host_uncounted()
        if isinstance(expected, Tensor)
        else np.asarray(expected)
    )
    if a.shape != e.shape:
        raise AssertionError(
            f"The values for attribute 'shape' do not match: {a.shape} != {e.shape}."
        )
    exact = a.dtype.kind in "biu" and e.dtype.kind in "biu"
    default_rtol, default_atol = (0.0, 0.0) if exact else _default_tolerances(a.dtype, e.dtype)
    rtol = default_rtol if rtol is None else rtol
    atol = default_atol if atol is None else atol
    wide_a, wide_e = (
        a.astype(np.complex128 if a.dtype.kind == "c" else np.float64),
        e.astype(np.complex128 if e.dtype.kind == "c" else np.float64),
    )
    with np.errstate(invalid="ignore"):
        diff = np.abs(wide_a - wide_e)
        ok = diff <= atol + rtol * np.abs(wide_e)
        ok |= wide_a == wide_e  # equal infinities
        if equal_nan:
            ok |= np.isnan(wide_a) & np.isnan(wide_e)
    if ok.all():
        return
    kind = "close" if rtol or atol else "equal"
    with np.errstate(invalid="ignore", divide="ignore"):
        relative = diff / np.abs(wide_e)
    if scalars:
        raise AssertionError(
            f"Scalars are not {kind}!\n\nExpected {expected} but got {actual}.\n"
            f"Absolute difference: {float(diff)} (up to {atol} allowed)\n"
            f"Relative difference: {float(relative)} (up to {rtol} allowed)"
        )
    bad = int((~ok).sum())
    report = [
        f"Tensor-likes are not {kind}!",
        "",
        f"Mismatched elements: {bad} / {ok.size} ({100 * bad / ok.size:.1f}%)",
    ]
    for label, values, allowed in (("absolute", diff, atol), ("relative", relative, rtol)):
        masked = np.where(ok, -np.inf, np.nan_to_num(values, nan=np.inf))
        at = np.unravel_index(int(np.argmax(masked)), masked.shape)
        limit = f" (up to {allowed} allowed)" if kind == "close" else ""
        report.append(
            f"Greatest {label} difference: {_number(values[at])} at index {tuple(map(int, at))}"
            f"{limit}"
        )
    raise AssertionError("\n".join(report))


def make_tensor(
    *shape: Any,
    dtype: Any,
    device: Any,
    low: float | None = None,
    high: float | None = None,
    requires_grad: bool = False,
    noncontiguous: bool = False,
    exclude_zero: bool = False,
    memory_format: Any = None,
) -> Tensor:
    """A tensor of random values for a test, as ``torch.testing.make_tensor``: uniform in
    [low, high), by default [-9, 9) for floats, the integers -9..9 for signed integers,
    0..9 for uint8, and True/False for bool. ``exclude_zero`` replaces zeros by 1 (integers)
    or the dtype's smallest normal number (floats). Drawn from nanotorch's global generator,
    so ``manual_seed`` repeats them. ``noncontiguous`` and ``memory_format`` change nothing:
    every nanotorch tensor reads as contiguous (Note [Strides of a contiguous reading] in
    tensor.py).

    >>> import nanotorch
    >>> t = make_tensor(2, 3, dtype=nanotorch.float32, device="cpu", low=0, high=1)
    >>> tuple(t.shape), bool((t >= 0).all() and (t < 1).all())
    ((2, 3), True)
    """
    import math

    import nanotorch as nt

    del noncontiguous, memory_format
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    if any(bound is not None and math.isnan(bound) for bound in (low, high)):
        raise ValueError(f"`low` and `high` cannot be NaN, but got low={low} and high={high}")
    floating = dtype.is_floating_point
    if requires_grad and not floating:
        raise ValueError(
            "`requires_grad=True` is not supported for boolean and integral dtypes, but got "
            f"dtype={dtype!r}"
        )
    if dtype is nt.bool:
        lo, hi = 0, 2
    elif dtype is nt.uint8:
        lo, hi = 0, 10
    elif floating:
        lo, hi = -9.0, 9.0
    else:
        lo, hi = -9, 10
    lo = lo if low is None else low
    hi = hi if high is None else high
    if lo > hi or (not floating and lo >= hi and dtype is not nt.bool):
        raise ValueError(f"`low` must be less than `high`, but got {lo} >= {hi}")
    if floating:
        t = nt.rand(*shape, dtype=dtype, device=device) * (hi - lo) + lo
    elif dtype is nt.bool:
        t = nt.randint(0, 2, shape, device=device) == 1
    else:
        t = nt.randint(math.ceil(lo), math.ceil(hi), shape, dtype=dtype, device=device)
    if exclude_zero:
        replacement = nt.finfo(dtype).tiny if floating else 1
        t = nt.where(t == 0, nt.full_like(t, replacement), t)
    return t.detach().requires_grad_(requires_grad)


def _default_tolerances(a: np.dtype, e: np.dtype) -> tuple[float, float]:
    if np.float16 in (a, e):
        return 1e-3, 1e-5
    if np.float32 in (a, e) or np.complex64 in (a, e):
        return 1.3e-6, 1e-5
    return 1e-7, 1e-7


def _number(x: Any) -> str:
    value = float(x)
    return str(int(value)) if value.is_integer() and abs(value) < 2**53 else repr(value)


# ---------------------------------------------------------------------------- op specs
# Note [Op specs]
# ~~~~~~~~~~~~~~~
# Every public op declares an OpSpec: sample inputs (broadcasting pairs, 0-d and empty
# shapes, non-contiguous views), a NumPy reference, and tolerances. tests/unit/test_op_specs.py
# turns each spec into forward, gradcheck, gradgradcheck and device-agreement tests on every
# device of the fixture, and a meta-test fails when a public op has no spec. A spec names its
# op by string and finds it only when a test runs, so a spec written before its op is one
# failing test that says what to do, not an import error that stops the whole collection.


def public_ops() -> dict[str, Callable[..., Any]]:
    """Every public op by name: ``nanotorch.<op>`` and ``nanotorch.nn.functional``'s own,
    derived from the families' ``OPS`` (Note [Op registry] in nanotorch/ops/__init__.py)."""
    from nanotorch import ops
    from nanotorch.nn import functional

    return {**ops.public_ops(), **functional.public_ops()}


def missing_op_message(name: str) -> str:
    return (
        f"no public op named {name!r}: write it in its family file (src/nanotorch/ops/<family>.py,"
        f" or nn/<family>.py for a functional op) and list {name!r} in that file's OPS; see "
        "instructions/adding-an-op.md"
    )


class Case:
    """One sample call of an op: positional ``inputs`` (NumPy arrays or Python numbers) and
    keyword ``kwargs``. Floating arrays become tensors that require grad in gradient checks;
    integer and bool arrays become plain tensors (indices, masks). Inputs listed in
    ``transposed`` are passed as the transpose of a contiguous tensor (a non-contiguous view).
    """

    def __init__(
        self,
        *inputs: Any,
        id: str = "",  # noqa: A002
        transposed: tuple[int, ...] = (),
        **kwargs: Any,
    ) -> None:
        self.inputs = inputs
        self.kwargs = kwargs
        self.transposed = transposed
        shapes = "-".join(
            "x".join(map(str, np.shape(x))) or "0d" if isinstance(x, np.ndarray) else repr(x)
            for x in inputs
        )
        self.id = id or shapes or "noargs"


class OpSpec:
    """What the public op ``name`` must satisfy: ``op(*tensors, **kwargs)`` matches
    ``ref(*arrays, **kwargs)`` (NumPy, float64) on every case, and its gradients match finite
    differences. ``fn`` calls the op another way when a case cannot (``lambda x, key: x[key]``
    for indexing); by default the op is looked up by ``name`` when a test first needs it."""

    def __init__(
        self,
        name: str,
        ref: Callable[..., Any] | None,
        cases: Sequence[Case],
        *,
        fn: Callable[..., Any] | None = None,
        grad: bool = True,
        gradgrad: bool = False,
        atol: float = 1e-5,
        rtol: float = 1e-5,
        grad_atol: float = 1e-5,
        grad_rtol: float = 1e-3,
    ) -> None:
        self.name = name
        self._fn = fn
        self._op: Callable[..., Any] | None = None
        self.ref = ref
        self.cases = list(cases)
        self.grad = grad
        self.gradgrad = gradgrad
        self.atol, self.rtol = atol, rtol
        self.grad_atol, self.grad_rtol = grad_atol, grad_rtol

    def exists(self) -> bool:
        """Whether ``name`` is a public op yet."""
        return self.name in public_ops()

    @property
    def fn(self) -> Callable[..., Any]:
        """How the tests call the op; raises LookupError while the op does not exist."""
        if self._op is None:  # looked up once: gradcheck calls fn for every perturbation
            self._op = public_ops().get(self.name)
            if self._op is None:
                raise LookupError(missing_op_message(self.name))
        return self._op if self._fn is None else self._fn

    def __repr__(self) -> str:
        return f"OpSpec({self.name})"


def make_inputs(case: Case, device: Any, float_dtype: Any, requires_grad: bool) -> list[Any]:
    """Tensors for a case on ``device``: floats in ``float_dtype``, others as they are."""
    from nanotorch.creation import tensor

    made: list[Any] = []
    for i, x in enumerate(case.inputs):
        if not isinstance(x, np.ndarray):
            made.append(x)
            continue
        is_float = x.dtype.kind == "f"
        dtype = float_dtype if is_float else None
        if i in case.transposed:
            t = tensor(np.ascontiguousarray(x.T), dtype=dtype, device=device).T
        else:
            t = tensor(x, dtype=dtype, device=device)
        if is_float and requires_grad:
            if i in case.transposed:
                t = t.detach()
            t.requires_grad_(True)
        made.append(t)
    return made


def check_forward(spec: OpSpec, case: Case, device: Any) -> None:
    """The op in float32 on ``device`` agrees with the NumPy reference."""
    from nanotorch.dtypes import float32

    if spec.ref is None:
        raise ValueError(
            f"{spec.name}[{case.id}]: the spec has no NumPy reference (ref=None), so there is "
            "nothing to check the forward against; give the OpSpec a ref"
        )
    out = spec.fn(*make_inputs(case, device, float32, False), **case.kwargs)
    ref_inputs = [
        x.astype(np.float32) if isinstance(x, np.ndarray) and x.dtype.kind == "f" else x
        for x in case.inputs
    ]
    expected = spec.ref(*ref_inputs, **case.kwargs)
    outs = out if isinstance(out, (tuple, list)) else [out]
    refs = expected if isinstance(expected, (tuple, list)) else [expected]
    assert len(outs) == len(refs), f"{spec.name}: {len(outs)} outputs, reference {len(refs)}"
    for k, (o, r) in enumerate(zip(outs, refs, strict=True)):
        r = np.asarray(r)
        assert_close(
            o,
            r.astype(o._to_host_uncounted().dtype) if r.dtype.kind == "f" else r,
            rtol=spec.rtol,
            atol=spec.atol,
            equal_nan=True,
            msg=lambda report, k=k: f"{spec.name}[{case.id}] output {k}: {report}",
        )


def check_grad(spec: OpSpec, case: Case, device: Any, second_order: bool = False) -> None:
    from nanotorch.dtypes import float64

    inputs = make_inputs(case, device, float64, True)
    if not any(isinstance(x, Tensor) and x.requires_grad for x in inputs):
        raise ValueError(
            f"{spec.name}[{case.id}]: no floating input to differentiate; give the case a "
            "floating input, or mark the spec grad=False"
        )

    def fn(*xs: Any) -> Any:
        return spec.fn(*xs, **case.kwargs)

    check = gradgradcheck if second_order else gradcheck
    check(fn, inputs, atol=spec.grad_atol, rtol=spec.grad_rtol, name=f"{spec.name}[{case.id}]")


def check_device_agreement(spec: OpSpec, case: Case, device: Any) -> None:
    """The same inputs give the same float64 results on ``device`` as on cpu."""
    from nanotorch.dtypes import float64

    on_cpu = spec.fn(*make_inputs(case, "cpu", float64, False), **case.kwargs)
    on_dev = spec.fn(*make_inputs(case, device, float64, False), **case.kwargs)
    a = on_cpu if isinstance(on_cpu, (tuple, list)) else [on_cpu]
    b = on_dev if isinstance(on_dev, (tuple, list)) else [on_dev]
    for k, (x, y) in enumerate(zip(a, b, strict=True)):
        assert str(y.device) == str(device), f"{spec.name}: output {k} left {device}"
        assert_close(
            y,
            x,
            rtol=1e-10,
            atol=1e-12,
            equal_nan=True,
            check_device=False,
            msg=lambda report: f"{spec.name}[{case.id}] on {device}: {report}",
        )
