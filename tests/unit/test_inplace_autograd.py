"""In-place ops recorded by autograd (Note [In-place autograd] in nanotorch/_inplace.py) and
in-place writes through views (Note [In-place on views]): gradients equal those of the
out-of-place composition, saved values changed in place are caught at backward, leaves that
require grad are refused, no_grad updates stay plain updates."""

from __future__ import annotations

import numpy as np
import pytest

import nanotorch as nt
import nanotorch.nn.functional as F
from nanotorch import nn
from nanotorch.testing import assert_close

RNG = np.random.default_rng(7)


def _leaf(device, *shape, dtype=nt.float64):
    return nt.tensor(RNG.standard_normal(shape), dtype=dtype, device=device, requires_grad=True)


def _grads(device, build):
    """The gradient of a weighted sum of ``build(x)`` with respect to ``x`` (the same x on
    every call)."""
    values = np.random.default_rng(3).standard_normal((3, 4))
    x = nt.tensor(values, dtype=nt.float64, device=device, requires_grad=True)
    out = build(x)
    w = nt.tensor(np.linspace(-1, 2, out.numel()).reshape(out.shape), device=device)
    (out * w).sum().backward()
    return out.detach().cpu().numpy(), x.grad.cpu().numpy()


INPLACE_VS_OUT = [
    ("add_", lambda y: y.add_(3.0), lambda y: y + 3.0),
    ("mul_-tensor", lambda y: y.mul_(y.detach() + 1), lambda y: y * (y.detach() + 1)),
    ("relu_", lambda y: y.relu_(), lambda y: y.relu()),
    ("sin_", lambda y: y.sin_(), lambda y: y.sin()),
    ("exp_", lambda y: y.exp_(), lambda y: y.exp()),
    ("sigmoid_", lambda y: y.sigmoid_(), lambda y: y.sigmoid()),
    ("clamp_", lambda y: y.clamp_(-0.5, 0.5), lambda y: y.clamp(-0.5, 0.5)),
    ("pow_", lambda y: y.pow_(2), lambda y: y.pow(2)),
    ("t_", lambda y: y.t_(), lambda y: y.t()),
    ("unsqueeze_", lambda y: y.unsqueeze_(0), lambda y: y.unsqueeze(0)),
    ("masked_fill_", lambda y: y.masked_fill_(y > 0, 1.0), lambda y: y.masked_fill(y > 0, 1.0)),
    ("cumsum_", lambda y: y.cumsum_(1), lambda y: y.cumsum(1)),
    (
        "setitem-row",
        lambda y: y.__setitem__(0, 5.0) or y,
        lambda y: nt.cat([nt.full((1, 4), 5.0, dtype=y.dtype, device=y.device), y[1:]]),
    ),
    ("iadd", lambda y: y.__iadd__(1.0), lambda y: y + 1.0),
]


@pytest.mark.parametrize(
    "name,inplace,outplace", INPLACE_VS_OUT, ids=[c[0] for c in INPLACE_VS_OUT]
)
def test_inplace_on_a_non_leaf_gives_the_out_of_place_gradient(device, name, inplace, outplace):
    got = _grads(device, lambda x: inplace(x * 2.0))
    want = _grads(device, lambda x: outplace(x * 2.0))
    np.testing.assert_allclose(got[0], want[0], rtol=1e-12)
    np.testing.assert_allclose(got[1], want[1], rtol=1e-12)


def test_inplace_returns_self_and_rebases_its_grad_fn(device):
    x = _leaf(device, 3)
    y = x * 2
    node = y.grad_fn
    v = y._version
    assert y.relu_() is y
    assert y.grad_fn is not node and y.grad_fn is not None
    assert y._version == v + 1
    assert y.requires_grad


def test_inplace_value_that_requires_grad_makes_a_plain_tensor_require_grad(device):
    w = _leaf(device, 3)
    buf = nt.zeros(3, dtype=nt.float64, device=device)
    buf.add_(w * 3)
    assert buf.requires_grad and not buf.is_leaf
    buf.sum().backward()
    np.testing.assert_allclose(w.grad.cpu().numpy(), [3.0, 3.0, 3.0])


def test_setitem_gradient_flows_to_the_old_value_and_the_assigned_value(device):
    x = _leaf(device, 4)
    v = _leaf(device, 2)
    y = x * 1.0
    y[1:3] = v * 10
    y.sum().backward()
    np.testing.assert_allclose(x.grad.cpu().numpy(), [1.0, 0.0, 0.0, 1.0])
    np.testing.assert_allclose(v.grad.cpu().numpy(), [10.0, 10.0])


def test_setitem_with_an_index_tensor_records_the_write(device):
    x = _leaf(device, 4)
    y = x * 1.0
    y[nt.tensor([0, 3], device=device)] = 0.0
    y.sum().backward()
    np.testing.assert_allclose(x.grad.cpu().numpy(), [0.0, 1.0, 1.0, 0.0])


def test_inplace_on_a_value_saved_for_backward_is_caught_naming_op_and_versions(device):
    x = _leaf(device, 3)
    y = x * 2
    z = y * y  # Mul saves y
    y.add_(1)
    with pytest.raises(RuntimeError, match=r"MulBackward.*modified by an inplace.*version 1.*0"):
        z.sum().backward()


def test_inplace_on_a_saved_output_is_caught(device):
    x = _leaf(device, 3)
    y = x.exp()  # Exp saves its output
    y.mul_(2)
    with pytest.raises(RuntimeError, match=r"ExpBackward.*modified by an inplace"):
        y.sum().backward()


def test_inplace_on_a_leaf_that_requires_grad_is_refused(device):
    x = _leaf(device, 3)
    with pytest.raises(
        RuntimeError, match=r"relu_: a leaf Variable that requires grad.*in-place.*no_grad"
    ):
        x.relu_()
    with pytest.raises(RuntimeError, match=r"add_: a leaf Variable"):
        x.add_(1)
    with pytest.raises(RuntimeError, match=r"__setitem__: a leaf Variable"):
        x[0] = 1.0


def test_inplace_on_a_leaf_under_no_grad_is_a_plain_update(device):
    x = _leaf(device, 3)
    alias = x.detach()
    with nt.no_grad():
        x.mul_(0).add_(2).sqrt_()
        x[0] = 7.0
    assert x.is_leaf and x.requires_grad
    np.testing.assert_allclose(alias.cpu().numpy(), [7.0, np.sqrt(2), np.sqrt(2)])


def test_inplace_dtype_rule_names_both_dtypes(device):
    i = nt.tensor([1, 2, 3], device=device)
    with pytest.raises(RuntimeError, match=r"sin_.*Float.*Long"):
        i.sin_()
    f = nt.tensor([1.0, -2.0], device=device)
    assert f.lt_(0).tolist() == [0.0, 1.0]
    assert f.dtype is nt.float32


def test_inplace_result_of_another_shape_is_refused(device):
    y = _leaf(device, 3) * 1
    with pytest.raises(RuntimeError, match=r"add_.*\(2, 3\).*\(3,\)"):
        y.add_(nt.ones(2, 3, dtype=nt.float64, device=device))


# ------------------------------------------------------------------------------- views
def test_inplace_through_a_basic_index_view_reaches_the_base(device):
    x = nt.zeros(2, 3, device=device)
    x[0].add_(1)
    x[:, 1].mul_(0).add_(5)
    x.view(6)[5].fill_(9)
    x.t()[2].sub_(1)
    assert x.tolist() == [[1.0, 5.0, 0.0], [0.0, 5.0, 8.0]]


def test_inplace_through_a_view_of_a_non_leaf_records_into_the_base(device):
    x = _leaf(device, 2, 3)
    y = x * 1.0
    row = y[1]
    row.mul_(3)
    assert row.tolist() == pytest.approx((x[1] * 3).tolist())
    (y * y).sum().backward()
    want = 2 * x.detach().cpu().numpy() * np.array([[1.0], [9.0]])
    np.testing.assert_allclose(x.grad.cpu().numpy(), want)


def test_setitem_through_a_view_reaches_the_base(device):
    x = nt.zeros(2, 3, device=device)
    x[1][2] = 4.0
    x.reshape(3, 2)[0] = 1.0
    assert x.tolist() == [[1.0, 1.0, 0.0], [0.0, 0.0, 4.0]]


def test_diagonal_fill_reaches_the_base(device):
    x = nt.zeros(3, 3, device=device)
    x.diagonal().fill_(1.0)
    assert x.tolist() == nt.eye(3).tolist()


def test_inplace_on_a_view_of_a_leaf_that_requires_grad_is_refused(device):
    x = _leaf(device, 2, 3)
    with pytest.raises(RuntimeError, match=r"add_: a view of a leaf Variable that requires grad"):
        x[0].add_(1)


def test_inplace_on_an_expanded_view_is_refused(device):
    x = nt.zeros(3, device=device)
    with pytest.raises(RuntimeError, match=r"add_.*more than one element.*clone"):
        x.expand(2, 3).add_(1)


def test_a_view_reads_the_base_after_writing_through_another_view(device):
    x = nt.zeros(4, device=device)
    y = x * 1.0  # a non-leaf: recorded writes give it a new array
    a = y[:2]
    y[1:3].add_(1)
    a.add_(10)
    assert y.tolist() == [10.0, 11.0, 1.0, 0.0]


# ------------------------------------------------------------------------- functional
def test_functional_inplace_activations_write_into_a_non_leaf(device):
    x = _leaf(device, 5)
    for fn, ref in [
        (nt.relu_, F.relu),
        (F.relu_, F.relu),
        (F.elu_, F.elu),
        (lambda t: F.leaky_relu_(t, 0.2), lambda t: F.leaky_relu(t, 0.2)),
        (F.hardtanh_, F.hardtanh),
        (lambda t: F.threshold_(t, 0.1, 2.0), lambda t: F.threshold(t, 0.1, 2.0)),
        (F.selu_, F.selu),
        (F.celu_, F.celu),
    ]:
        y = x * 1.0
        assert fn(y) is y
        assert y.tolist() == pytest.approx(ref(x).tolist())


def test_inplace_module_writes_into_its_non_leaf_input_and_keeps_the_gradient(device):
    x = _leaf(device, 5)
    h = x * 2.0
    out = nn.ReLU(inplace=True)(h)
    assert out is h
    out.sum().backward()
    np.testing.assert_allclose(x.grad.cpu().numpy(), 2.0 * (x.detach().cpu().numpy() > 0))


def test_generated_inplace_methods_match_their_out_of_place_ops(device):
    base = nt.tensor([[0.3, -1.2, 2.5], [1.5, 0.7, -0.4]], dtype=nt.float64, device=device)
    for name in [
        "abs",
        "floor",
        "ceil",
        "round",
        "trunc",
        "frac",
        "reciprocal",
        "square",
        "rsqrt",
        "log1p",
        "expm1",
        "erf",
        "atan",
        "tan",
        "sign",
        "neg",
    ]:
        a = base.abs() + 0.1 if name in ("rsqrt", "log1p") else base
        got = a.clone()
        assert getattr(got, name + "_")() is got
        np.testing.assert_allclose(got.cpu().numpy(), getattr(a, name)().cpu().numpy())


# ------------------------------------------------------------ put, fill_diagonal_, swapdims_
def test_put_writes_source_at_flat_indices_and_put__updates_in_place(device):
    x = nt.zeros(2, 3, device=device)
    idx = nt.tensor([[0, -1]], device=device)
    src = nt.tensor([[1.0, 2.0]], device=device)
    assert nt.put(x, idx, src).tolist() == [[1.0, 0.0, 0.0], [0.0, 0.0, 2.0]]
    assert x.put(idx, src, accumulate=True).tolist() == [[1.0, 0.0, 0.0], [0.0, 0.0, 2.0]]
    assert (
        x.put_(
            nt.tensor([1, 1], device=device), nt.tensor([3.0, 4.0], device=device), accumulate=True
        )
        is x
    )
    assert x.tolist() == [[0.0, 7.0, 0.0], [0.0, 0.0, 0.0]]


def test_put_gradient_reaches_the_untouched_input_and_the_source(device):
    x = _leaf(device, 2, 2)
    s = _leaf(device, 2)
    y = x * 1.0
    y.put_(nt.tensor([3, 0], device=device), s * 5)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.cpu().numpy(), [[0.0, 1.0], [1.0, 0.0]])
    np.testing.assert_allclose(s.grad.cpu().numpy(), [5.0, 5.0])


def test_put_refuses_bad_indices_and_sizes(device):
    # PyTorch's classes: IndexError for a position or a count that does not fit,
    # RuntimeError for a non-integer index.
    x = nt.zeros(3, device=device)
    with pytest.raises(IndexError, match=r"put: index 5 is out of bounds.*size 3"):
        nt.put(x, nt.tensor([5], device=device), nt.tensor([1.0], device=device))
    with pytest.raises(IndexError, match=r"put: index .* and source .* same number of elements"):
        nt.put(x, nt.tensor([0], device=device), nt.tensor([1.0, 2.0], device=device))
    with pytest.raises(RuntimeError, match=r"put: index must be an int64 tensor"):
        nt.put(x, nt.tensor([0.0], device=device), nt.tensor([1.0], device=device))


def test_fill_diagonal_sets_the_main_diagonal_and_wraps_tall_matrices(device):
    x = nt.zeros(5, 2, device=device)
    assert x.fill_diagonal_(1.0) is x
    assert x.tolist() == [[1, 0], [0, 1], [0, 0], [0, 0], [0, 0]]
    y = nt.zeros(5, 2, device=device).fill_diagonal_(2.0, wrap=True)
    assert y.tolist() == [[2, 0], [0, 2], [0, 0], [2, 0], [0, 2]]
    z = nt.zeros(2, 2, 2, device=device).fill_diagonal_(3.0)
    assert z[0, 0, 0].item() == 3.0 and z[1, 1, 1].item() == 3.0 and z.sum().item() == 6.0
    with pytest.raises(RuntimeError, match=r"fill_diagonal_: .*all dimensions.*\(2, 3, 2\)"):
        nt.zeros(2, 3, 2, device=device).fill_diagonal_(1.0)


def test_fill_diagonal_on_a_non_leaf_keeps_the_off_diagonal_gradient(device):
    x = _leaf(device, 3, 3)
    y = x * 2.0
    y.fill_diagonal_(0.0)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.cpu().numpy(), 2.0 * (1 - np.eye(3)))


def test_swapdims_and_swapaxes_in_place(device):
    x = nt.zeros(2, 3, device=device)
    assert x.swapdims_(0, 1) is x and x.shape == (3, 2)
    assert x.swapaxes_(0, 1).shape == (2, 3)


def test_retain_grad_follows_the_tensor_through_an_inplace_op(device):
    x = _leaf(device, 3)
    y = x * 2.0
    y.retain_grad()
    y.mul_(3.0)
    (y * 5.0).sum().backward()
    np.testing.assert_allclose(y.grad.cpu().numpy(), [5.0, 5.0, 5.0])  # the new value's
    np.testing.assert_allclose(x.grad.cpu().numpy(), [30.0, 30.0, 30.0])


def test_writes_through_a_view_of_a_leaf_under_no_grad_keep_it_a_leaf(device):
    w = nt.zeros(2, 3, device=device, requires_grad=True)
    with nt.no_grad():
        w[0].fill_(1.0)
        w.t()[2].add_(2.0)
    assert w.is_leaf and w.requires_grad and w.grad_fn is None
    assert w.tolist() == [[1.0, 1.0, 3.0], [0.0, 0.0, 2.0]]


def test_a_plain_write_through_a_view_leaves_values_saved_by_a_recorded_op_intact(device):
    x = _leaf(device, 2, 3)
    w = _leaf(device, 3)
    y = x * 1.0
    row = y[0]  # on cpu its array shares memory with y's array at this point
    y.mul_(w)  # recorded: Mul keeps y's old array for w's gradient
    with nt.no_grad():
        row.fill_(0.0)
    assert y[0].tolist() == [0.0, 0.0, 0.0]
    y.sum().backward()
    np.testing.assert_allclose(w.grad.cpu().numpy(), x.detach().sum(0).cpu().numpy())


@pytest.mark.parametrize(
    "name, args, out_of_place",
    [
        ("i0_", (), lambda x: nt.i0(x)),
        ("absolute_", (), lambda x: nt.absolute(x)),
        ("mvlgamma_", (2,), lambda x: nt.mvlgamma(x, 2)),
        ("polygamma_", (1,), lambda x: nt.polygamma(1, x)),
    ],
)
def test_special_function_inplace_forms_match_their_ops(device, name, args, out_of_place):
    # The ops came after the in-place tables; each form records like the others.
    base = nt.tensor([1.5, 2.0, 3.25], device=device, dtype=nt.float64, requires_grad=True)
    y = base * 1.0
    assert getattr(y, name)(*args) is y
    y.sum().backward()
    expected_base = nt.tensor([1.5, 2.0, 3.25], device=device, dtype=nt.float64, requires_grad=True)
    out_of_place(expected_base * 1.0).sum().backward()
    assert_close(y.detach(), out_of_place(expected_base.detach()), rtol=1e-12, atol=0)
    assert_close(base.grad, expected_base.grad, rtol=1e-12, atol=0)
