"""Type promotion as PyTorch does it (Note [Type promotion] in src/nanotorch/promotion.py):
the public helpers, a property test against the rule as stated, ops that promote, gradients
in each input's own dtype, in-place refusals, and the float-only ops."""

from __future__ import annotations

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import nanotorch as nt
from nanotorch.dtypes import ALL_DTYPES

ALL_NAMES = [
    "bool",
    "uint8",
    "int8",
    "int16",
    "int32",
    "int64",
    "float16",
    "bfloat16",
    "float32",
    "float64",
]
PRESENT = {d.name for d in ALL_DTYPES}


def _on_device(name: str, device: str) -> bool:
    """Whether ``device``'s library has dtype ``name`` (and this build registers it)."""
    from nanotorch.backend import get_backend

    if name not in PRESENT:
        return False
    try:
        get_backend(nt.device(device)).native_dtype(_dtype(name))
    except TypeError:
        return False
    return True


def _dtype(name: str) -> nt.DType:
    if name not in PRESENT:
        pytest.skip(f"dtype {name} is not registered in this build")
    return getattr(nt, "bool_" if name == "bool" else name)


# ----------------------------------------------------------------------------- the reference
# Written from the rule's statement, independently of the table in promotion.py.
def _category(name: str) -> int:
    if name == "bool":
        return 0
    return 2 if name.startswith(("float", "bfloat")) else 1


def _int_range(name: str) -> tuple[int, int]:
    bits = int(name.removeprefix("uint").removeprefix("int"))
    if name.startswith("uint"):
        return 0, 2**bits - 1
    return -(2 ** (bits - 1)), 2 ** (bits - 1) - 1


def ref_promote(a: str, b: str) -> str:
    ca, cb = _category(a), _category(b)
    if ca != cb:
        return a if ca > cb else b
    if ca == 0:
        return "bool"
    if ca == 1:
        lo = min(_int_range(a)[0], _int_range(b)[0])
        hi = max(_int_range(a)[1], _int_range(b)[1])
        # The narrowest signed-or-unsigned integer holding both ranges.
        for cand in ["uint8", "int8", "int16", "int32", "int64"]:
            clo, chi = _int_range(cand)
            if clo <= lo and hi <= chi:
                return cand
        return "int64"
    if {a, b} == {"float16", "bfloat16"}:
        return "float32"
    width = {"float16": 2, "bfloat16": 2, "float32": 4, "float64": 8}
    return a if width[a] >= width[b] else b


def ref_result(
    dimmed: list[str], zero_d: list[str], scalars: list[object], default: str = "float32"
) -> str:
    """Tensors with dims, then 0-d tensors, then Python scalars; a lower tier counts only
    when its category is higher, and then at its own width."""

    def fold(names: list[str]) -> str | None:
        out = None
        for n in names:
            out = n if out is None else ref_promote(out, n)
        return out

    def scalar_name(v: object) -> str:
        if isinstance(v, bool):
            return "bool"
        return "int64" if isinstance(v, int) else default

    result = None
    for tier in (fold(dimmed), fold(zero_d), fold([scalar_name(s) for s in scalars])):
        if tier is None:
            continue
        if result is None or _category(tier) > _category(result):
            result = tier if result is None else ref_promote(result, tier)
    assert result is not None
    return result


# ----------------------------------------------------------------------------- helpers
@pytest.mark.parametrize("a", ALL_NAMES)
@pytest.mark.parametrize("b", ALL_NAMES)
def test_table_matches_rule_for_every_pair(a, b):
    from nanotorch import promotion

    assert promotion._promote_names(a, b) == ref_promote(a, b)
    assert promotion._promote_names(a, b) == promotion._promote_names(b, a)


def test_promote_types_examples():
    assert nt.promote_types(nt.float32, nt.float64) is nt.float64
    assert nt.promote_types(nt.int32, nt.int64) is nt.int64
    assert nt.promote_types(nt.int64, nt.float32) is nt.float32
    assert nt.promote_types(nt.bool_, nt.int32) is nt.int32
    assert nt.promote_types("int32", "float64") is nt.float64


def test_promote_types_small_ints_and_halves():
    _dtype("uint8"), _dtype("int8")
    assert nt.promote_types(_dtype("uint8"), _dtype("int8")) is _dtype("int16")
    assert nt.promote_types(_dtype("float16"), _dtype("bfloat16")) is nt.float32


def test_can_cast():
    assert nt.can_cast(nt.float64, nt.float32)
    assert nt.can_cast(nt.int64, nt.int32)
    assert nt.can_cast(nt.int32, nt.float32)
    assert nt.can_cast(nt.bool_, nt.int64)
    assert not nt.can_cast(nt.float32, nt.int32)
    assert not nt.can_cast(nt.int32, nt.bool_)
    assert not nt.can_cast(nt.float64, nt.bool_)


def test_default_dtype_helpers_exist():
    assert nt.get_default_dtype() is nt.float32
    nt.set_default_dtype(nt.float64)
    try:
        assert nt.result_type(nt.tensor([1, 2], dtype=nt.int32), 0.5) is nt.float64
    finally:
        nt.set_default_dtype(nt.float32)


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (("int32", 1), 0.5, "float32"),
        (("float32", 1), 2.0, "float32"),
        (("int32", 1), 2, "int32"),
        (("bool", 1), 1, "int64"),
        (("bool", 1), True, "bool"),
        (("float32", 1), ("float64", 1), "float64"),
        (("int32", 1), ("int64", 1), "int64"),
        (("int64", 1), ("float32", 1), "float32"),
        (("float32", 1), ("float64", 0), "float32"),
        (("int32", 1), ("float32", 0), "float32"),
        (("int32", 1), ("float64", 0), "float64"),  # a 0-d of higher category keeps its width
        (("int32", 1), ("int64", 0), "int32"),
        (("int32", 0), ("int64", 0), "int64"),
        (("int32", 0), 2.5, "float32"),
    ],
)
def test_result_type_examples(a, b, expected):
    def make(spec):
        if not isinstance(spec, tuple):
            return spec
        name, ndim = spec
        t = nt.zeros((2,) * ndim, dtype=_dtype(name))
        return t

    assert nt.result_type(make(a), make(b)) is _dtype(expected)


def test_result_type_rejects_other_objects():
    with pytest.raises(TypeError, match="result_type: operands must be"):
        nt.result_type(nt.tensor([1.0]), "x")


# ----------------------------------------------------------------------------- property test
kinds = st.sampled_from(["dim", "zero", "int", "float", "bool"])


@settings(max_examples=150, deadline=None)
@given(
    a=st.sampled_from(sorted(PRESENT)),
    b=st.sampled_from(sorted(PRESENT)),
    kind=kinds,
    device=st.sampled_from(["cpu", "strict:1"]),
)
def test_property_result_type_and_add_follow_the_rule(a, b, kind, device):
    """For a dimensioned tensor of dtype a and a second operand (a tensor with dims, a 0-d
    tensor, or a Python scalar), result_type matches the reference and an actual add (and
    mul) produces that dtype and the values of the sum in that dtype."""
    # Only pairs the device can hold (bfloat16 nowhere NumPy is the backend, float16 not on
    # strict); the table itself is checked for every pair above.
    names = [a] + ([b] if kind in ("dim", "zero") else [])
    assume(all(_on_device(name, device) for name in names))
    ta = nt.ones((3,), dtype=_dtype(a), device=device)
    if kind == "dim":
        other: object = nt.ones((3,), dtype=_dtype(b), device=device)
        expected = ref_result([a, b], [], [])
    elif kind == "zero":
        other = nt.ones((), dtype=_dtype(b), device=device)
        expected = ref_result([a], [b], [])
    else:
        other = {"int": 2, "float": 0.5, "bool": True}[kind]
        expected = ref_result([a], [], [other])
    assert nt.result_type(ta, other).name == expected
    if expected == "bool":
        assert nt.logical_or(ta, other).dtype.name == "bool"
        return
    out = ta + other
    assert out.dtype.name == expected
    assert (other + ta).dtype.name == expected
    want = 1 + (float(other) if not isinstance(other, nt.Tensor) else 1.0)
    assert out.tolist() == [want] * 3


# ----------------------------------------------------------------------------- ops
def test_mixed_float_add_promotes_on_every_device(device):
    a = nt.tensor([1.0, 2.0], dtype=nt.float32, device=device)
    b = nt.tensor([0.5, 0.25], dtype=nt.float64, device=device)
    out = a + b
    assert out.dtype is nt.float64
    assert out.tolist() == [1.5, 2.25]


def test_int_plus_float_scalar_gives_default_float(device):
    a = nt.tensor([1, 2], dtype=nt.int32, device=device)
    out = a + 0.5
    assert out.dtype is nt.float32
    assert out.tolist() == [1.5, 2.5]
    assert (0.5 * a).dtype is nt.float32


def test_bool_plus_int_gives_int64(device):
    m = nt.tensor([True, False], device=device)
    out = m + 1
    assert out.dtype is nt.int64
    assert out.tolist() == [2, 1]


@pytest.mark.parametrize(
    "make",
    [
        lambda a, b: a / b,
        lambda a, b: a / 2,
        lambda a, b: 3 / a,
        lambda a, b: nt.div(a, b),
    ],
)
def test_integer_true_division_gives_default_float(device, make):
    a = nt.tensor([3, 4], dtype=nt.int32, device=device)
    b = nt.tensor([2, 8], dtype=nt.int64, device=device)
    out = make(a, b)
    assert out.dtype is nt.float32


def test_integer_division_values(device):
    a = nt.tensor([3, -4], dtype=nt.int32, device=device)
    assert (a / 2).tolist() == [1.5, -2.0]
    nt.set_default_dtype(nt.float64)
    try:
        assert (a / 2).dtype is nt.float64
    finally:
        nt.set_default_dtype(nt.float32)


@pytest.mark.parametrize("op", ["exp", "log", "sqrt", "sin", "cos", "tanh", "sigmoid", "tan"])
@pytest.mark.parametrize("dtype", ["int32", "int64", "bool"])
def test_float_only_unary_on_integers_gives_default_float(device, op, dtype):
    a = nt.tensor([1, 2], device=device).to(_dtype(dtype))
    out = getattr(nt, op)(a)
    assert out.dtype is nt.float32
    ref = getattr(nt, op)(a.to(nt.float32))
    assert out.tolist() == ref.tolist()


def test_comparison_promotes_and_returns_bool(device):
    a = nt.tensor([1, 2, 3], dtype=nt.int32, device=device)
    b = nt.tensor([1.0, 2.5, 2.0], dtype=nt.float64, device=device)
    out = a < b
    assert out.dtype is nt.bool_
    assert out.tolist() == [False, True, False]
    assert (a == 2.0).tolist() == [False, True, False]
    assert (a < 1.5).tolist() == [True, False, False]


@pytest.mark.parametrize(
    "op",
    [
        lambda a, b: nt.maximum(a, b),
        lambda a, b: nt.minimum(a, b),
        lambda a, b: nt.where(a > 1, a, b),
        lambda a, b: nt.cat([a, b]),
        lambda a, b: nt.stack([a, b]),
        lambda a, b: nt.atan2(a, b),
        lambda a, b: nt.copysign(a, b),
        lambda a, b: nt.fmod(a, b),
        lambda a, b: nt.remainder(a, b),
        lambda a, b: nt.floor_divide(a, b),
        lambda a, b: nt.lerp(a, b, 0.5),
        lambda a, b: a**b,
        lambda a, b: a - b,
        lambda a, b: a * b,
    ],
)
def test_binary_ops_promote(device, op):
    a = nt.tensor([1.0, 2.0], dtype=nt.float32, device=device)
    b = nt.tensor([3.0, 0.5], dtype=nt.float64, device=device)
    out = op(a, b)
    assert out.dtype is nt.float64
    ref = op(a.to(nt.float64), b)
    assert out.tolist() == ref.tolist()


def test_matmul_still_refuses_mixed_dtypes(device):
    a = nt.ones((2, 2), dtype=nt.float32, device=device)
    b = nt.ones((2, 2), dtype=nt.float64, device=device)
    with pytest.raises(TypeError, match="matmul: expected tensors of one dtype"):
        a @ b


# ----------------------------------------------------------------------------- gradients
def test_gradients_come_back_in_each_inputs_dtype(device):
    a = nt.tensor([1.0, 2.0], dtype=nt.float32, device=device, requires_grad=True)
    b = nt.tensor([3.0, 4.0], dtype=nt.float64, device=device, requires_grad=True)
    out = a * b
    assert out.dtype is nt.float64
    out.sum().backward()
    assert a.grad.dtype is nt.float32 and b.grad.dtype is nt.float64
    assert a.grad.tolist() == [3.0, 4.0] and b.grad.tolist() == [1.0, 2.0]


def test_gradient_dtype_with_broadcasting_and_zero_d(device):
    a = nt.tensor(2.0, dtype=nt.float64, device=device, requires_grad=True)
    b = nt.tensor([[1.0, 2.0]], dtype=nt.float32, device=device, requires_grad=True)
    out = a * b + b
    assert out.dtype is nt.float32  # the 0-d float64 does not widen the float32 tensor
    out.sum().backward()
    assert a.grad.dtype is nt.float64 and a.grad.shape == ()
    assert a.grad.item() == 3.0
    assert b.grad.dtype is nt.float32 and b.grad.tolist() == [[3.0, 3.0]]


def test_gradient_against_int_operand(device):
    w = nt.tensor([0.5, 1.5], device=device, requires_grad=True)
    k = nt.tensor([2, 3], dtype=nt.int64, device=device)
    (w * k).sum().backward()
    assert w.grad.dtype is nt.float32 and w.grad.tolist() == [2.0, 3.0]


def test_double_backward_through_a_promoted_op(device):
    a = nt.tensor([3.0], dtype=nt.float32, device=device, requires_grad=True)
    b = nt.tensor([2.0], dtype=nt.float64, device=device)
    y = (a * a * b).sum()
    (ga,) = nt.autograd.grad(y, a, create_graph=True)
    assert ga.dtype is nt.float32 and ga.tolist() == [12.0]
    (gga,) = nt.autograd.grad(ga.sum(), a)
    assert gga.dtype is nt.float32 and gga.tolist() == [4.0]


# ----------------------------------------------------------------------------- in place
def test_inplace_keeps_own_dtype(device):
    a = nt.tensor([1.0, 2.0], dtype=nt.float32, device=device)
    a.add_(nt.tensor([0.5, 0.5], dtype=nt.float64, device=device))
    assert a.dtype is nt.float32 and a.tolist() == [1.5, 2.5]
    i = nt.tensor([1, 2], dtype=nt.int32, device=device)
    i.add_(nt.tensor([5, 5], dtype=nt.int64, device=device))
    assert i.dtype is nt.int32 and i.tolist() == [6, 7]
    f = nt.tensor([1.0, 2.0], dtype=nt.float64, device=device)
    f.mul_(nt.tensor([2, 3], dtype=nt.int32, device=device))
    assert f.dtype is nt.float64 and f.tolist() == [2.0, 6.0]


@pytest.mark.parametrize(
    "update",
    [
        lambda t, dev: t.add_(0.5),
        lambda t, dev: t.add_(nt.tensor([1.0, 1.0], device=dev)),
        lambda t, dev: t.mul_(nt.tensor([1.0, 1.0], device=dev)),
        lambda t, dev: t.div_(2),
    ],
)
def test_inplace_refuses_higher_category(device, update):
    t = nt.tensor([1, 2], dtype=nt.int32, device=device)
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired"):
        update(t, device)
    assert t.tolist() == [1, 2]


def test_clamp_of_an_int_tensor_with_float_bounds_promotes(device):
    # PyTorch promotes input and bounds: clamp(int tensor, 0.5) is float32 with 0.5 kept.
    i = nt.tensor([0, 2], dtype=nt.int32, device=device)
    out = nt.clamp(i, 0.5)
    assert out.dtype is nt.float32 and out.tolist() == [0.5, 2.0]
    assert nt.clamp(i, max=1.5).tolist() == [0.0, 1.5]
    assert nt.clamp(i, 1, 1).dtype is nt.int32


def test_clamp_in_place_refuses_float_bounds_on_int(device):
    i = nt.tensor([0, 2], dtype=nt.int32, device=device)
    with pytest.raises(RuntimeError, match="clamp_: result type Float can't be cast"):
        i.clamp_(0.5)
    assert i.clamp_(1).tolist() == [1, 2] and i.dtype is nt.int32
