"""What the op specs cannot say about ops/misc.py and its Tensor methods: gradients at kinks,
return types, errors, the new_* constructors and the in-place unary methods."""

from __future__ import annotations

import math

import numpy as np
import pytest

import nanotorch as nt


def test_xlogy_gradients_at_zero_x_follow_pytorch(device):
    # PyTorch's formulas: dx = xlogy(g, y) (log y also where x == 0; 0 where x == 0 and
    # y <= 0), dy = g x / y (nan at x = y = 0).
    x = nt.tensor([0.0, 2.0, 0.0], dtype=nt.float64, device=device, requires_grad=True)
    y = nt.tensor([0.0, 3.0, 2.0], dtype=nt.float64, device=device, requires_grad=True)
    nt.xlogy(x, y).sum().backward()
    np.testing.assert_allclose(x.grad.cpu().numpy(), [0.0, math.log(3.0), math.log(2.0)])
    np.testing.assert_allclose(y.grad.cpu().numpy(), [math.nan, 2.0 / 3.0, 0.0])


def test_sinc_gradient_at_zero_is_zero_not_nan(device):
    x = nt.tensor([0.0], dtype=nt.float64, device=device, requires_grad=True)
    nt.sinc(x).sum().backward()
    assert x.grad.cpu().numpy().tolist() == [0.0]


def test_numel_returns_a_python_int(device):
    n = nt.numel(nt.zeros(2, 3, device=device))
    assert n == 6 and type(n) is int


def test_detach_function_cuts_the_graph(device):
    x = nt.ones(2, device=device, requires_grad=True)
    d = nt.detach(x * 2)
    assert not d.requires_grad and d.grad_fn is None


def test_float_power_result_is_float64(device):
    assert nt.float_power(nt.tensor([2, 3], device=device), 2).dtype == nt.float64


def test_atleast_with_one_tensor_returns_a_tensor_and_with_several_a_tuple(device):
    a = nt.atleast_2d(nt.tensor(1.0, device=device))
    assert isinstance(a, nt.Tensor) and a.shape == (1, 1)
    both = nt.atleast_1d(nt.tensor(1.0, device=device), nt.ones(2, device=device))
    assert isinstance(both, tuple) and [t.shape for t in both] == [(1,), (2,)]


def test_row_stack_is_vstack():
    assert nt.row_stack is nt.vstack


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda: nt.gcd(nt.ones(2), nt.ones(2)), RuntimeError, "gcd: only integer"),
        (lambda: nt.lcm(nt.tensor([1]), [2]), TypeError, "lcm: input and other"),
        (lambda: nt.nanmean(nt.tensor([1, 2])), RuntimeError, "nanmean: expected a floating"),
        (lambda: nt.vsplit(nt.ones(3), 1), RuntimeError, "vsplit: expected at least a 2-dim"),
        (lambda: nt.hsplit(nt.ones(2, 5), 2), RuntimeError, "hsplit: dimension 1 of size 5"),
        (lambda: nt.tensor_split(nt.ones(3), 0), RuntimeError, "tensor_split: number of"),
        (lambda: nt.logit([0.5]), TypeError, "logit: input must be a Tensor"),
        (lambda: nt.positive(nt.tensor([True])), TypeError, "positive: not supported for bool"),
        (
            lambda: nt.addcdiv(nt.ones(2), nt.tensor([1, 2]), nt.tensor([1, 2])),
            RuntimeError,
            "addcdiv: integer division",
        ),
        (
            lambda: nt.heaviside(nt.ones(2), nt.tensor([1, 2])),
            RuntimeError,
            "heaviside: input",
        ),
    ],
)
def test_misc_ops_refuse_bad_input_naming_the_op(call, error, match):
    with pytest.raises(error, match=match):
        call()


# ----------------------------------------------------------------------------- methods
def test_misc_tensor_methods_delegate(device):
    x = nt.tensor([[-1.0, 0.25], [0.5, 2.0]], device=device)
    np.testing.assert_allclose(x.sgn().cpu().numpy(), np.sign(x.cpu().numpy()))
    np.testing.assert_allclose(x.clamp_min(0.0).cpu().numpy(), np.maximum(x.cpu().numpy(), 0))
    np.testing.assert_allclose(x.clamp_max(0.0).cpu().numpy(), np.minimum(x.cpu().numpy(), 0))
    p = nt.tensor([0.25, 0.5], device=device)
    np.testing.assert_allclose(
        p.logit().cpu().numpy(), np.log(p.cpu().numpy() / (1 - p.cpu().numpy()))
    )
    inf = nt.tensor([float("nan"), float("inf")], device=device)
    assert inf.nan_to_num(posinf=7.0).cpu().numpy().tolist() == [0.0, 7.0]
    assert x.swapaxes(0, 1).cpu().numpy().tolist() == x.cpu().numpy().T.tolist()
    assert x.swapdims(0, 1).cpu().numpy().tolist() == x.cpu().numpy().T.tolist()
    assert x.contiguous() is x and x.is_contiguous() is True
    assert x.ndimension() == 2 and x.nelement() == 4


def test_new_constructors_keep_dtype_and_device_unless_given(device):
    x = nt.ones(2, dtype=nt.float64, device=device)
    for t in (x.new_zeros(3), x.new_ones((3,)), x.new_full((3,), 2.5), x.new_empty(3)):
        assert t.shape == (3,) and t.dtype == nt.float64 and t.device == x.device
    assert x.new_zeros(2, 2).cpu().numpy().tolist() == [[0.0, 0.0], [0.0, 0.0]]
    assert x.new_full((2,), 2.5).cpu().numpy().tolist() == [2.5, 2.5]
    assert x.new_ones(2, dtype=nt.int64).dtype == nt.int64
    t = x.new_tensor([1, 2])
    assert t.dtype == nt.float64 and t.device == x.device and t.cpu().numpy().tolist() == [1.0, 2.0]
    assert x.new_tensor([1, 2], dtype=nt.int32).dtype == nt.int32
    assert nt.tensor([1, 2], device=device).type_as(x).dtype == nt.float64


@pytest.mark.parametrize(
    "name, ref",
    [
        ("abs_", np.abs),
        ("neg_", np.negative),
        ("exp_", np.exp),
        ("log_", np.log),
        ("sqrt_", np.sqrt),
        ("relu_", lambda a: np.maximum(a, 0)),
        ("sigmoid_", lambda a: 1 / (1 + np.exp(-a))),
        ("tanh_", np.tanh),
    ],
)
def test_inplace_unary_methods_update_self_and_bump_the_version(device, name, ref):
    values = np.array([0.5, 1.5, 2.0]) if name in ("log_", "sqrt_") else np.array([-1.0, 0.5])
    x = nt.tensor(values, dtype=nt.float64, device=device)
    before = x._version
    assert getattr(x, name)() is x
    np.testing.assert_allclose(x.cpu().numpy(), ref(values), rtol=1e-12)
    assert x._version == before + 1
    leaf = nt.ones(2, device=device, requires_grad=True)
    with pytest.raises(RuntimeError, match=rf"{name}: a leaf Variable that requires grad"):
        getattr(leaf, name)()


def test_inplace_unary_method_refuses_a_result_of_another_dtype(device):
    x = nt.tensor([1, 2], device=device)
    with pytest.raises(
        RuntimeError, match="exp_: result type Float can't be cast to the desired output type Long"
    ):
        x.exp_()
    assert x.abs_().dtype == nt.int64


def test_xlogy_and_float_power_take_a_python_number_on_either_side(device):
    y = nt.tensor([1.0, 4.0], device=device)
    np.testing.assert_allclose(nt.xlogy(2.0, y).cpu().numpy(), 2 * np.log([1.0, 4.0]))
    np.testing.assert_allclose(nt.xlogy(y, 0.0).cpu().numpy(), [-np.inf, -np.inf])
    out = nt.float_power(2, y)
    assert out.dtype == nt.float64 and out.cpu().numpy().tolist() == [2.0, 16.0]
