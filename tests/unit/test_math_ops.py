"""The elementwise math family (ops/math.py) beyond what its specs check: the accuracy of
erf, erfc and erfinv (Note [erf without the standard]), PyTorch's dtype and gradient rules,
return types, aliases, Tensor methods and argument errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

import nanotorch as nt
from nanotorch.testing import assert_close
from specs.math_ops import np_erfinv


def _grad(fn, *xs):
    out = fn(*xs)
    return nt.autograd.grad(out.sum(), xs, allow_unused=True)


# ----------------------------------------------------------------------------- accuracy
def test_erf_is_accurate_to_float64_resolution(device):
    x = np.concatenate([np.linspace(-6, 6, 4001), np.geomspace(1e-300, 0.5, 200)])
    got = nt.erf(nt.tensor(x, dtype=nt.float64, device=device)).cpu().numpy()
    ref = np.array([math.erf(v) for v in x])
    assert got[x == 0].tolist() == [0.0]
    nonzero = x != 0
    assert np.max(np.abs(got - ref)[nonzero] / np.abs(ref[nonzero])) < 1e-15


def test_erf_float32_uses_a_shorter_series_within_its_bound(device):
    x = np.linspace(-8, 8, 4001).astype(np.float32)
    got = nt.erf(nt.tensor(x, device=device)).cpu().numpy().astype(np.float64)
    ref = np.array([math.erf(float(v)) for v in x])
    nonzero = ref != 0
    assert np.max(np.abs(got - ref)[nonzero] / np.abs(ref[nonzero])) < 4e-7


def test_erfc_keeps_relative_accuracy_in_the_tail(device):
    x = np.concatenate([np.linspace(-6, 6, 2001), np.linspace(6, 26, 501)])
    got = nt.erfc(nt.tensor(x, dtype=nt.float64, device=device)).cpu().numpy()
    ref = np.array([math.erfc(v) for v in x])
    rel = np.abs(got - ref) / ref
    assert np.max(rel[x <= 6]) < 1e-14
    assert np.max(rel) < 1e-12


def test_erfinv_inverts_erf_to_float64_resolution(device):
    y = np.concatenate(
        [np.linspace(-0.999, 0.999, 2001), 1 - np.geomspace(1e-15, 0.5, 300), [1e-200, -1e-9]]
    )
    got = nt.erfinv(nt.tensor(y, dtype=nt.float64, device=device)).cpu().numpy()
    ref = np_erfinv(y)
    nonzero = ref != 0
    assert np.max(np.abs(got[nonzero] - ref[nonzero]) / np.abs(ref[nonzero])) < 1e-14


def test_erfinv_edges_follow_pytorch(device):
    y = nt.tensor([-1.0, 1.0, 1.5, -2.0, math.nan, 0.0], dtype=nt.float64, device=device)
    got = nt.erfinv(y).tolist()
    assert got[:2] == [-math.inf, math.inf]
    assert all(math.isnan(v) for v in got[2:5])
    assert got[5] == 0.0


def test_gelu_uses_the_shared_erf(device):
    # Exact GELU is x Phi(x) with Phi from the one erf kernel, so it agrees with math.erf
    # to float64 resolution (a separate low-accuracy copy would be off by ~1e-7).
    x = np.linspace(-5, 5, 101)
    got = nt.nn.functional.gelu(nt.tensor(x, dtype=nt.float64, device=device)).cpu().numpy()
    ref = 0.5 * x * (1 + np.array([math.erf(v / math.sqrt(2)) for v in x]))
    np.testing.assert_allclose(got, ref, rtol=1e-14, atol=1e-15)


# ----------------------------------------------------------------------------- dtypes
def test_math_float_ops_give_integer_inputs_the_default_float(device):
    x = nt.tensor([1, 2, 3], device=device)
    for op in (nt.tan, nt.log2, nt.exp2, nt.erf, nt.reciprocal, nt.atan):
        out = op(x)
        assert out.dtype is nt.float32, op.__name__
        assert_close(out, op(x.float()))
    assert nt.atan2(x, x).dtype is nt.float32
    assert nt.reciprocal(nt.tensor([2], device=device)).tolist() == [0.5]


def test_rounding_keeps_integer_dtype_and_copies(device):
    x = nt.tensor([-3, 0, 7], dtype=nt.int32, device=device)
    for op in (nt.floor, nt.ceil, nt.trunc, nt.round):
        out = op(x)
        assert out.dtype is nt.int32 and out.tolist() == [-3, 0, 7]
        out[0] = 100  # a copy: writing to the result leaves the input alone
        assert x.tolist() == [-3, 0, 7]


def test_round_decimals_on_integers_raises_naming_the_op(device):
    with pytest.raises(TypeError, match=r"round: decimals=-1 needs a floating-point.*int64"):
        nt.round(nt.tensor([15, 25], device=device), decimals=-1)


def test_round_decimals_must_be_an_int():
    with pytest.raises(TypeError, match="round: decimals must be an int, got 1.5"):
        nt.round(nt.tensor([1.0]), decimals=1.5)


def test_frac_rejects_integers():
    with pytest.raises(TypeError, match="frac: expects a floating-point tensor.*int64"):
        nt.frac(nt.tensor([1, 2]))


# ----------------------------------------------------------------------------- gradients
def test_rounding_ops_have_zero_gradient_not_none(device):
    x = nt.tensor([-1.5, 0.3, 2.7], dtype=nt.float64, device=device, requires_grad=True)
    for op in (nt.floor, nt.ceil, nt.trunc, nt.round, lambda t: nt.round(t, decimals=1)):
        (g,) = _grad(op, x)
        assert g.tolist() == [0.0, 0.0, 0.0]


def test_copysign_gradient_is_zero_at_zero_and_for_the_sign_source(device):
    a = nt.tensor([0.0, 2.0, -3.0], dtype=nt.float64, device=device, requires_grad=True)
    b = nt.tensor([-1.0, -1.0, 1.0], dtype=nt.float64, device=device, requires_grad=True)
    ga, gb = _grad(nt.copysign, a, b)
    assert ga.tolist() == [0.0, -1.0, -1.0]
    assert gb is None or gb.tolist() == [0.0, 0.0, 0.0]


def test_fmod_gradient_wrt_other_is_minus_truncated_quotient(device):
    a = nt.tensor([7.5, -7.5], dtype=nt.float64, device=device, requires_grad=True)
    b = nt.tensor([2.0, 2.0], dtype=nt.float64, device=device, requires_grad=True)
    ga, gb = _grad(nt.fmod, a, b)
    assert ga.tolist() == [1.0, 1.0]
    assert gb.tolist() == [-3.0, 3.0]


def test_fmod_takes_the_sign_of_the_dividend_unlike_remainder(device):
    a = nt.tensor([-7.0, 7.0, -7.0], device=device)
    b = nt.tensor([2.0, -2.0, -2.0], device=device)
    assert nt.fmod(a, b).tolist() == [-1.0, 1.0, -1.0]
    assert nt.remainder(a, b).tolist() == [1.0, -1.0, -1.0]
    assert nt.fmod(nt.tensor([-7, 7], device=device), 3).tolist() == [-1, 1]


def test_lerp_weight_tensor_gets_its_gradient(device):
    start = nt.tensor([1.0, 2.0], dtype=nt.float64, device=device, requires_grad=True)
    end = nt.tensor([3.0, -2.0], dtype=nt.float64, device=device, requires_grad=True)
    w = nt.tensor([0.25, 0.5], dtype=nt.float64, device=device, requires_grad=True)
    gs, ge, gw = _grad(nt.lerp, start, end, w)
    assert gs.tolist() == [0.75, 0.5]
    assert ge.tolist() == [0.25, 0.5]
    assert gw.tolist() == [2.0, -4.0]


# ----------------------------------------------------------------------------- closeness
def test_allclose_returns_a_python_bool(device):
    a = nt.tensor([1.0, 2.0], device=device)
    assert nt.allclose(a, a + 1e-7) is True
    assert nt.allclose(a, a + 1.0) is False
    assert a.allclose(a) is True


def test_isclose_infinities_and_nan_follow_pytorch(device):
    a = nt.tensor([math.inf, math.inf, 1.0, math.nan], device=device)
    b = nt.tensor([math.inf, -math.inf, math.inf, math.nan], device=device)
    assert nt.isclose(a, b).tolist() == [True, False, False, False]
    assert nt.isclose(a, b, equal_nan=True).tolist() == [True, False, False, True]
    assert nt.isclose(a, math.inf).tolist() == [True, True, False, False]


def test_isclose_rejects_negative_tolerances():
    with pytest.raises(RuntimeError, match="isclose: rtol and atol must be non-negative.*-1"):
        nt.isclose(nt.tensor([1.0]), nt.tensor([1.0]), rtol=-1)


def test_isclose_output_is_bool_without_gradient(device):
    x = nt.tensor([1.0, 2.0], device=device, requires_grad=True)
    out = nt.isclose(x, x)
    assert out.dtype is nt.bool and not out.requires_grad


# ----------------------------------------------------------------------------- api
def test_numpy_names_are_aliases():
    assert nt.arcsin is nt.asin and nt.arccos is nt.acos and nt.arctan is nt.atan
    assert nt.arctan2 is nt.atan2 and nt.arcsinh is nt.asinh and nt.arccosh is nt.acosh
    assert nt.arctanh is nt.atanh and nt.fix is nt.trunc


@pytest.mark.parametrize(
    "name",
    ["tan", "asin", "acos", "atan", "sinh", "cosh", "asinh", "atanh", "floor", "ceil"]
    + ["trunc", "frac", "log2", "log10", "exp2", "erf", "erfc", "erfinv", "reciprocal"]
    + ["round", "arcsin", "fix"],
)
def test_unary_tensor_methods_match_the_functions(name, device):
    x = nt.tensor([0.25, 0.5, 0.75], dtype=nt.float64, device=device)
    assert_close(getattr(x, name)(), getattr(nt, name)(x))


def test_binary_tensor_methods_match_the_functions(device):
    x = nt.tensor([0.25, -0.5, 0.75], dtype=nt.float64, device=device)
    y = nt.tensor([1.5, 2.0, -0.5], dtype=nt.float64, device=device)
    for name in ("atan2", "copysign", "logaddexp", "fmod", "hypot", "isclose"):
        assert_close(getattr(x, name)(y), getattr(nt, name)(x, y))
    assert_close(x.lerp(y, 0.3), nt.lerp(x, y, 0.3))
    assert_close(x.round(decimals=1), nt.round(x, decimals=1))
    assert_close((x + 2).acosh(), nt.acosh(x + 2))


def test_lerp_checks_its_arguments():
    a = nt.tensor([1.0, 2.0])
    with pytest.raises(TypeError, match="lerp: weight must be a float or a Tensor, got str"):
        nt.lerp(a, a, "half")
    with pytest.raises(RuntimeError, match=r"lerp.*\(2,\).*\(3,\)"):
        nt.lerp(a, nt.tensor([1.0, 2.0, 3.0]), 0.5)


def test_math_ops_reject_non_tensors_naming_the_op():
    with pytest.raises(TypeError, match="erfinv: expected a Tensor, got list"):
        nt.erfinv([0.5])
