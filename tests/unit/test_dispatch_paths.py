"""The cheap paths through dispatch give exactly what the general paths give.

discovery/performance.md ("Dispatch II") explains each path and what it saves. Two kinds:

- ``raw_backward`` (Note [Raw backward] in autograd/function.py): when nothing is recorded
  (``create_graph=False``), an op that offers one computes its input gradients on raw arrays,
  without dispatching Tensor ops. Compared here with the differentiable ``backward``, which
  ``create_graph=True`` still runs.
- Arithmetic operators with a Python number (Note [Python-number operands] in tensor.py) skip
  the operand checks a Tensor operand needs. Compared here with the checked path, dtypes and
  errors included.
"""

from __future__ import annotations

import operator

import pytest

import nanotorch as nt
from nanotorch.autograd.function import Function
from nanotorch.ops import elementwise
from nanotorch.ops.elementwise import Add, Div, Mul, Sub, _binary
from nanotorch.testing import assert_close


# ------------------------------------------------------------------------------ raw backward
def test_raw_backward_mul_by_a_number_dispatches_nothing(device, dispatched) -> None:
    x = nt.tensor([1.0, -2.0, 3.0], device=device, requires_grad=True)
    y = x * 2.5
    dispatched.clear()

    y.backward(nt.ones(3, device=device))

    assert dispatched == []
    assert x.grad.tolist() == [2.5, 2.5, 2.5]


def test_raw_backward_relu_dispatches_nothing(device, dispatched) -> None:
    # W1's step has two ReLUs: each plain backward was a ReluGrad dispatch.
    x = nt.tensor([1.0, -2.0, 3.0], device=device, requires_grad=True)
    y = nt.relu(x)
    dispatched.clear()

    y.backward(nt.tensor([5.0, 6.0, 7.0], device=device))

    assert dispatched == []
    assert x.grad.tolist() == [5.0, 0.0, 7.0]


def test_raw_backward_is_not_used_when_the_graph_is_recorded(device, dispatched) -> None:
    x = nt.tensor([1.0, -2.0, 3.0], device=device, requires_grad=True)
    y = x * x
    dispatched.clear()

    (g,) = nt.autograd.grad(y.sum(), x, create_graph=True)
    (gg,) = nt.autograd.grad(g.sum(), x)

    assert "Mul" in dispatched
    assert g.tolist() == [2.0, -4.0, 6.0]
    assert gg.tolist() == [2.0, 2.0, 2.0]


def _grads_both_ways(fn, inputs, device):
    """Input gradients through the raw path (plain backward) and through the differentiable
    backward (create_graph=True), with one random upstream gradient."""
    leaves = [x for x in inputs if isinstance(x, nt.Tensor) and x.requires_grad]
    out = fn(*inputs)
    g = nt.randn(*out.shape, device=device, dtype=out.dtype, generator=nt.Generator(device))
    raw = nt.autograd.grad(out, leaves, g)
    out = fn(*inputs)
    general = nt.autograd.grad(out, leaves, g, create_graph=True)
    return raw, general


CASES = {
    "mul-number": (operator.mul, [(3,), 2.5]),
    "rmul-int": (lambda a, b: b * a, [(3,), 3]),
    "mul-tensors": (operator.mul, [(2, 3), (2, 3)]),
    "mul-broadcast": (operator.mul, [(2, 3), (3,)]),
    "mul-0d": (operator.mul, [(), (4,)]),
    "div-number": (operator.truediv, [(3,), 4.0]),
    "rdiv-number": (lambda a, b: b / a, [(3,), 2.0]),
    "div-tensors": (operator.truediv, [(2, 3), (3,)]),
    "sub-tensors": (operator.sub, [(2, 3), (2, 3)]),
    "rsub-number": (lambda a, b: b - a, [(3,), 1.5]),
    "neg": (operator.neg, [(2, 3)]),
    "relu": (lambda a: nt.relu(a - 1.0), [(2, 3)]),
    "relu-0d": (lambda a: nt.relu(a - 1.0), [()]),
    "linear": (nt.nn.functional.linear, [(4, 3), (2, 3), (2,)]),
    "linear-no-bias": (nt.nn.functional.linear, [(4, 3), (2, 3)]),
    "linear-batched": (nt.nn.functional.linear, [(2, 4, 3), (5, 3), (5,)]),
    "linear-1d-input": (nt.nn.functional.linear, [(3,), (5, 3), (5,)]),
    "linear-empty-batch": (nt.nn.functional.linear, [(0, 3), (5, 3), (5,)]),
    # Only some inputs want a gradient (needs_input_grad): a constant input, or weight.
    "linear-const-input": (
        lambda w, b: nt.nn.functional.linear(nt.ones(4, 3, dtype=w.dtype, device=w.device), w, b),
        [(2, 3), (2,)],
    ),
    "linear-const-weight": (
        lambda x: nt.nn.functional.linear(x, nt.ones(2, 3, dtype=x.dtype, device=x.device)),
        [(4, 3)],
    ),
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_raw_backward_agrees_with_the_differentiable_backward(device, case, dtype) -> None:
    fn, specs = CASES[case]
    gen = nt.Generator(device).manual_seed(0)
    dt = getattr(nt, dtype)
    inputs = [
        nt.rand(*s, device=device, dtype=dt, generator=gen).add_(0.5).requires_grad_()
        if isinstance(s, tuple)
        else s
        for s in specs
    ]

    raw, general = _grads_both_ways(fn, inputs, device)

    for r, g, x in zip(raw, general, [i for i in inputs if isinstance(i, nt.Tensor)]):
        assert r.dtype == x.dtype and r.shape == x.shape and r.device == x.device
        assert_close(r, g.detach(), rtol=1e-6 if dtype == "float32" else 1e-12, atol=0)


def test_raw_backward_after_a_promoting_op_keeps_each_input_dtype(device) -> None:
    a = nt.tensor([1.0, 2.0], device=device, requires_grad=True)
    b = nt.tensor([3.0, 4.0], device=device, dtype=nt.float64, requires_grad=True)

    (a * b).sum().backward()

    assert a.grad.dtype == nt.float32 and a.grad.tolist() == [3.0, 4.0]
    assert b.grad.dtype == nt.float64 and b.grad.tolist() == [1.0, 2.0]


def test_raw_backward_keeps_hooks_and_retain_grad(device) -> None:
    x = nt.tensor([1.0, 2.0], device=device, requires_grad=True)
    y = x * 3.0
    y.retain_grad()
    y.register_hook(lambda g: g * 10.0)
    z = y * 2.0

    z.sum().backward()

    assert y.grad.tolist() == [20.0, 20.0]  # retain_grad keeps what the hook returned
    assert x.grad.tolist() == [60.0, 60.0]


def test_raw_backward_still_checks_saved_versions(device) -> None:
    x = nt.tensor([1.0, 2.0], device=device, requires_grad=True)
    w = nt.tensor([3.0, 4.0], device=device)
    y = x * w
    with nt.no_grad():
        w.add_(1.0)

    with pytest.raises(RuntimeError, match="MulBackward.*modified in place"):
        y.sum().backward()


def test_raw_backward_on_a_0d_result_gives_a_0d_tensor(device) -> None:
    x = nt.tensor(2.0, device=device, requires_grad=True)

    (x * 3.0 / 4.0).backward()

    assert x.grad.shape == () and x.grad.item() == 0.75


def test_raw_backward_second_backward_through_a_freed_graph_raises(device) -> None:
    x = nt.tensor([1.0], device=device, requires_grad=True)
    y = (x * 2.0).sum()
    y.backward()

    with pytest.raises(RuntimeError, match="retain_graph=True"):
        y.backward()


# -------------------------------------------------------------------- Python-number operands
def test_operator_with_a_python_number_skips_operand_checks(monkeypatch) -> None:
    calls: list[str] = []

    def counting(cls, a, b, op=None):
        calls.append(cls.__name__)
        return _binary(cls, a, b, op)

    monkeypatch.setattr(elementwise, "_binary", counting)
    x = nt.tensor([1.0, 2.0])

    for value in (x * 2.0, 2 * x, x + 1, 1.0 + x, x - 0.5, 3 - x, x / 4, 1.0 / x):
        assert isinstance(value, nt.Tensor)
    assert calls == []
    _ = x * x, x * True, x + True
    assert calls == ["Mul", "Mul", "Add"]  # Tensors and bools take the checked path


OPERATORS = {
    "add": (operator.add, Add, False),
    "radd": (operator.add, Add, True),
    "sub": (operator.sub, Sub, False),
    "rsub": (operator.sub, Sub, True),
    "mul": (operator.mul, Mul, False),
    "rmul": (operator.mul, Mul, True),
    "div": (operator.truediv, Div, False),
    "rdiv": (operator.truediv, Div, True),
}


def _outcome(fn):
    """What a call gives: its value, dtype, device and grad link, or its error."""
    try:
        out = fn()
    except Exception as err:  # noqa: BLE001 - the error itself is the outcome compared
        return type(err), str(err)
    return out.tolist(), out.dtype, out.device, out.requires_grad, out.grad_fn is None


@pytest.mark.parametrize("shape", [(), (3,)])
@pytest.mark.parametrize("number", [2, -3, 2.5, 0.0])
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "int32", "uint8", "bool"])
@pytest.mark.parametrize("name", sorted(OPERATORS))
def test_operator_number_path_matches_the_checked_path(device, name, dtype, number, shape):
    fn, cls, reflected = OPERATORS[name]
    x = (nt.arange(3, device=device) % 2 + 1).to(getattr(nt, dtype))
    x = x[0] if shape == () else x
    fast = (lambda: fn(number, x)) if reflected else (lambda: fn(x, number))
    checked = (lambda: _binary(cls, number, x)) if reflected else (lambda: _binary(cls, x, number))

    assert _outcome(fast) == _outcome(checked)


@pytest.mark.parametrize("name", sorted(OPERATORS))
def test_operator_number_path_records_like_the_checked_path(device, name) -> None:
    fn, cls, reflected = OPERATORS[name]
    x = nt.tensor([1.0, 2.0], device=device, requires_grad=True)
    fast = fn(1.5, x) if reflected else fn(x, 1.5)
    checked = _binary(cls, 1.5, x) if reflected else _binary(cls, x, 1.5)

    assert fast.grad_fn.name() == checked.grad_fn.name() == f"{cls.__name__}Backward"
    (g_fast,) = nt.autograd.grad(fast.sum(), x)
    (g_checked,) = nt.autograd.grad(checked.sum(), x)
    assert g_fast.tolist() == g_checked.tolist()
    with nt.no_grad():
        quiet = fn(1.5, x) if reflected else fn(x, 1.5)
    assert not quiet.requires_grad and quiet.grad_fn is None


def test_operator_number_path_on_a_parameter_and_under_a_hook(device) -> None:
    w = nt.nn.Parameter(nt.tensor([1.0, 2.0], device=device))
    seen = []
    w.register_hook(lambda g: seen.append(g.tolist()))

    (w * 2.0 + 1).sum().backward()

    assert seen == [[2.0, 2.0]] and w.grad.tolist() == [2.0, 2.0]


# ------------------------------------------------------------------ apply's common inputs
@pytest.mark.parametrize("inputs", [(), (2.0,), (2.0, 3), (True, 1.5)])
def test_apply_without_a_tensor_raises(inputs) -> None:
    with pytest.raises(TypeError, match="Mul: needs at least one Tensor input"):
        Mul.apply(*inputs)


@pytest.mark.parametrize("swap", [False, True])
def test_apply_common_inputs_keep_call_order_and_checks(device, swap) -> None:
    # ``_resolve`` settles one Tensor, two Tensors and a Tensor with a number without its
    # general loop; the order of the arrays and every check must be the general loop's.
    x = nt.tensor([8.0, 2.0], device=device)
    y = nt.tensor([2.0, 4.0], device=device, dtype=nt.float64)
    other = "strict:0" if str(device) != "strict:0" else "cpu"
    z = nt.tensor([1.0, 1.0], device=other)

    pair = (2.0, x) if swap else (x, 2.0)
    assert Div.apply(*pair).tolist() == ([0.25, 1.0] if swap else [4.0, 1.0])
    mixed = Div.apply(y, x) if swap else Div.apply(x, y)
    assert mixed.dtype == nt.float64
    assert mixed.tolist() == ([0.25, 2.0] if swap else [4.0, 0.5])
    with pytest.raises(nt.DeviceMismatchError, match="div: expected all tensors on one device"):
        Div.apply(z, x) if swap else Div.apply(x, z)
    ints = nt.tensor([3, 4], device=device)
    assert Div.apply(*((2, ints) if swap else (ints, 2))).dtype == nt.float32


def test_raw_backward_returning_too_few_gradients_raises(device) -> None:
    class Scale(Function):
        @staticmethod
        def forward(ctx, xp, a, b):
            return a * b

        @staticmethod
        def backward(ctx, g):
            return g, g

        @staticmethod
        def raw_backward(ctx, xp, g):
            return (g,)  # one short

    a = nt.ones(2, device=device, requires_grad=True)
    b = nt.ones(2, device=device, requires_grad=True)

    with pytest.raises(RuntimeError, match="ScaleBackward: raw_backward returned 1 gradients"):
        Scale.apply(a, b).sum().backward()


# Cross-entropy with class indices: its raw backward covers every option (weights that want
# a gradient take the Tensor formulas inside it).
CE_CASES = {
    "mean": {},
    "sum": {"reduction": "sum"},
    "none": {"reduction": "none"},
    "ignore-index": {"ignore_index": 1},
    "smoothing": {"label_smoothing": 0.1},
    "weight": {"weight": "const"},
    "weight-grad": {"weight": "grad"},
    "weight-grad-mean-smoothing": {"weight": "grad", "label_smoothing": 0.2},
    "spatial": {"spatial": True},
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", sorted(CE_CASES))
def test_raw_backward_cross_entropy_agrees_with_the_differentiable_backward(
    device, case, dtype
) -> None:
    opts = dict(CE_CASES[case])
    dt = getattr(nt, dtype)
    gen = nt.Generator(device).manual_seed(3)
    shape = (4, 3, 2) if opts.pop("spatial", False) else (4, 3)
    z = nt.randn(*shape, device=device, dtype=dt, generator=gen, requires_grad=True)
    target = nt.tensor(
        [[0, 2], [1, 1], [2, 0], [1, 2]] if len(shape) == 3 else [0, 1, 2, 1], device=device
    )
    leaves = [z]
    weight = opts.pop("weight", None)
    if weight is not None:
        w = nt.rand(3, device=device, dtype=dt, generator=gen).add_(0.5)
        if weight == "grad":
            w.requires_grad_()
            leaves.append(w)
        opts["weight"] = w

    def fn():
        out = nt.nn.functional.cross_entropy(z, target, **opts)
        return (
            out
            if out.ndim == 0
            else (out * nt.arange(out.numel(), device=device, dtype=dt).reshape(out.shape)).sum()
        )

    raw = nt.autograd.grad(fn(), leaves)
    general = nt.autograd.grad(fn(), leaves, create_graph=True)

    for r, g, x in zip(raw, general, leaves):
        assert r.dtype == x.dtype and r.shape == x.shape
        assert_close(r, g.detach(), rtol=1e-6 if dtype == "float32" else 1e-12, atol=1e-7)
