"""Fast paths that change how an op does its work, never what it computes.

The op specs (tests/specs) check values, gradients and second derivatives; these tests pin
the structure each fast path relies on, so that a refactor which quietly undoes one shows up
here and not only as a slower benchmark (discovery/performance.md explains each one).
"""

from __future__ import annotations

import pytest

import nanotorch as nt
import nanotorch.nn.functional as F
from nanotorch.testing import assert_close


def test_linear_records_one_node_for_matmul_and_bias(device) -> None:
    x = nt.randn(4, 3, device=device, requires_grad=True)
    w = nt.randn(5, 3, device=device, requires_grad=True)
    b = nt.randn(5, device=device, requires_grad=True)

    out = F.linear(x, w, b)

    assert out.grad_fn.name() == "LinearBackward"
    assert out.grad_fn.next_nodes == (x._accumulator(), w._accumulator(), b._accumulator())


def test_linear_weight_gradient_is_row_major_like_the_weight() -> None:
    # The optimizer reads weight and gradient together; in the same (row-major) layout that
    # is one contiguous pass instead of a strided one. Only the cpu exposes array flags.
    x = nt.randn(8, 3, requires_grad=True)
    w = nt.randn(5, 3, requires_grad=True)
    b = nt.randn(5, requires_grad=True)

    F.linear(x, w, b).sum().backward()

    assert w.grad.numpy().flags.c_contiguous
    assert w.grad.shape == (5, 3) and b.grad.shape == (5,) and x.grad.shape == (8, 3)


def test_relu_gradient_is_one_op(device) -> None:
    x = nt.randn(6, device=device, requires_grad=True)
    g = nt.randn(6, device=device, requires_grad=True)

    (grad_x,) = nt.autograd.grad(nt.relu(x), x, g, create_graph=True)

    assert grad_x.grad_fn.name() == "ReluGradBackward"


def test_relu_gradient_is_differentiable_in_the_upstream_gradient(device) -> None:
    x = nt.tensor([-1.0, 2.0, -3.0, 4.0], device=device, requires_grad=True)
    g = nt.tensor([1.0, 2.0, 3.0, 4.0], device=device, requires_grad=True)
    v = nt.tensor([5.0, 6.0, 7.0, 8.0], device=device)

    (grad_x,) = nt.autograd.grad(nt.relu(x), x, g, create_graph=True)
    grad_g, grad_xx = nt.autograd.grad((grad_x * v).sum(), [g, x], allow_unused=True)

    assert grad_x.tolist() == [0.0, 2.0, 0.0, 4.0]
    assert grad_g.tolist() == [0.0, 6.0, 0.0, 8.0]
    assert grad_xx is None or grad_xx.tolist() == [0.0, 0.0, 0.0, 0.0]


def test_cross_entropy_checks_target_range_in_one_op(device, dispatched) -> None:
    x = nt.randn(6, 4, device=device)
    t = nt.tensor([0, 1, 2, 3, -100, 1], device=device)

    F.cross_entropy(x, t, ignore_index=-100)

    assert "ValidTargetRange" in dispatched
    assert dispatched.count("Where") + dispatched.count("AmaxAmin") == 0


# ----------------------------------------------------------------------------- fused reduction
# Note [Fused cross-entropy] in nn/loss.py: 'mean' and 'sum' are computed inside the fused op,
# so a training loss is two dispatches forward (range check, loss) and one backward.
_REDUCED_CASES = [
    pytest.param({}, id="mean"),
    pytest.param({"reduction": "sum"}, id="sum"),
    pytest.param({"ignore_index": 2}, id="mean-ignore"),
    pytest.param({"label_smoothing": 0.2}, id="mean-smoothing"),
    pytest.param({"weight": [0.5, 1.0, 2.0, 1.5]}, id="mean-weight"),
    pytest.param({"weight": [0.5, 1.0, 2.0, 1.5], "ignore_index": 1}, id="mean-weight-ignore"),
    pytest.param({"weight": [0.5, 1.0, 2.0, 1.5], "reduction": "sum"}, id="sum-weight"),
]


def _ce_inputs(device, kwargs):
    x = nt.randn(6, 4, device=device, dtype=nt.float64, requires_grad=True)
    t = nt.tensor([0, 1, 2, 3, 2, 1], device=device)
    kw = dict(kwargs)
    if "weight" in kw:
        kw["weight"] = nt.tensor(kw["weight"], device=device, dtype=nt.float64)
    return x, t, kw


def _ce_by_hand(x, t, kw):
    """The same reduction from reduction='none' and Tensor ops (the general path)."""
    per = F.cross_entropy(x, t, **{**kw, "reduction": "none"})
    if kw.get("reduction") == "sum":
        return per.sum()
    valid = (t != kw.get("ignore_index", -100)).to(x.dtype)
    if "weight" in kw:
        valid = valid * kw["weight"][t.clamp(min=0)]
    return per.sum() / valid.sum()


@pytest.mark.parametrize("kwargs", _REDUCED_CASES)
def test_cross_entropy_reduced_loss_and_gradients_equal_the_general_path(device, kwargs) -> None:
    x, t, kw = _ce_inputs(device, kwargs)
    g = nt.tensor(0.7, device=device, dtype=nt.float64)

    fused = F.cross_entropy(x, t, **kw)
    (grad_fused,) = nt.autograd.grad(fused, x, g)
    expected = _ce_by_hand(x, t, kw)
    (grad_expected,) = nt.autograd.grad(expected, x, g)

    assert fused.shape == ()
    assert fused.item() == pytest.approx(expected.item(), rel=1e-12)
    assert_close(grad_fused, grad_expected, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("kwargs", _REDUCED_CASES)
def test_cross_entropy_reduced_second_derivatives_equal_the_general_path(device, kwargs) -> None:
    x, t, kw = _ce_inputs(device, kwargs)
    v = nt.randn(6, 4, device=device, dtype=nt.float64)

    (gx,) = nt.autograd.grad(F.cross_entropy(x, t, **kw), x, create_graph=True)
    (hv,) = nt.autograd.grad((gx * v).sum(), x)
    (gx_ref,) = nt.autograd.grad(_ce_by_hand(x, t, kw), x, create_graph=True)
    (hv_ref,) = nt.autograd.grad((gx_ref * v).sum(), x)

    assert_close(gx, gx_ref, rtol=1e-12, atol=1e-15)
    assert_close(hv, hv_ref, rtol=1e-10, atol=1e-14)


def test_cross_entropy_mean_gradient_reaches_a_weight_that_requires_grad(device) -> None:
    # The denominator of a weighted mean depends on the weight too.
    x, t, kw = _ce_inputs(device, {"weight": [0.5, 1.0, 2.0, 1.5]})
    w = kw["weight"].requires_grad_()

    (gw,) = nt.autograd.grad(F.cross_entropy(x, t, **kw), w)
    (gw_ref,) = nt.autograd.grad(_ce_by_hand(x, t, kw), w)

    assert_close(gw, gw_ref, rtol=1e-12, atol=1e-15)


def test_cross_entropy_mean_of_only_ignored_targets_is_nan(device) -> None:
    x = nt.randn(3, 4, device=device, requires_grad=True)
    t = nt.tensor([-100, -100, -100], device=device)

    loss = F.cross_entropy(x, t)
    loss.backward()

    assert loss.isnan().item()
    assert F.cross_entropy(x, t, reduction="sum").item() == 0.0


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_cross_entropy_reduced_forward_is_two_ops(device, dispatched, reduction) -> None:
    x = nt.randn(6, 4, device=device, requires_grad=True)
    t = nt.tensor([0, 1, 2, 3, 0, 1], device=device)

    F.cross_entropy(x, t, reduction=reduction)

    assert dispatched == ["ValidTargetRange", "CrossEntropyIndex"]


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_cross_entropy_reduced_plain_backward_is_one_op(device, dispatched, reduction) -> None:
    x = nt.randn(6, 4, device=device, requires_grad=True)
    t = nt.tensor([0, 1, 2, 3, 0, 1], device=device)
    loss = F.cross_entropy(x, t, reduction=reduction)
    dispatched.clear()

    loss.backward()

    # No dispatch at all: CrossEntropyIndex.raw_backward (Note [Raw backward]).
    assert dispatched == []
    expected = nt.softmax(x.detach(), 1)
    expected[nt.arange(6, device=device), t] -= 1.0
    assert_close(x.grad, expected / (6 if reduction == "mean" else 1), rtol=1e-6, atol=1e-7)


# ----------------------------------------------------------------------------- linear backward
@pytest.mark.parametrize("x_shape", [(4, 3), (2, 4, 3)], ids=["2d", "batched"])
def test_linear_plain_backward_equals_the_composite(device, x_shape) -> None:
    x = nt.randn(*x_shape, device=device, dtype=nt.float64, requires_grad=True)
    w = nt.randn(5, 3, device=device, dtype=nt.float64, requires_grad=True)
    b = nt.randn(5, device=device, dtype=nt.float64, requires_grad=True)
    g = nt.randn(*x_shape[:-1], 5, device=device, dtype=nt.float64)

    fused = nt.autograd.grad(F.linear(x, w, b), [x, w, b], g)
    composite = nt.autograd.grad(x @ w.mT + b, [x, w, b], g)

    for got, expected in zip(fused, composite):
        assert_close(got, expected, rtol=1e-12, atol=1e-14)


def test_linear_plain_backward_dispatches_nothing(device, dispatched) -> None:
    # dx = g W, dW = g^T x and db = sum of g on arrays (Linear.raw_backward); the values are
    # checked against the composite above and in test_dispatch_paths.py.
    x = nt.randn(4, 3, device=device, requires_grad=True)
    w = nt.randn(5, 3, device=device, requires_grad=True)
    b = nt.randn(5, device=device, requires_grad=True)
    out = F.linear(x, w, b)
    dispatched.clear()

    out.backward(nt.ones(4, 5, device=device))

    assert dispatched == []
    assert_close(b.grad, nt.full((5,), 4.0, device=device), rtol=0, atol=0)


def test_linear_backward_under_create_graph_stays_differentiable(device) -> None:
    x = nt.randn(4, 3, device=device, dtype=nt.float64, requires_grad=True)
    w = nt.randn(5, 3, device=device, dtype=nt.float64, requires_grad=True)
    g = nt.randn(4, 5, device=device, dtype=nt.float64, requires_grad=True)

    (gw,) = nt.autograd.grad(F.linear(x, w), w, g, create_graph=True)
    (gg,) = nt.autograd.grad(gw.sum(), g)

    assert gw.grad_fn is not None
    assert_close(gg, x.detach().sum(1, keepdim=True).expand(4, 5), rtol=1e-12, atol=1e-14)


def test_batched_times_matrix_is_one_product_of_rows() -> None:
    # Note [Fold batch dims into rows] (ops/matmul.py): (*, n, k) @ (k, m) is one 2-D matmul.
    import importlib

    import numpy as np

    fold = importlib.import_module("nanotorch.ops.matmul")._matmul_rows
    calls = []

    class Recording:  # a backend: its namespace and its matmul hook
        xp = np

        @staticmethod
        def matmul(a, b):
            calls.append((a.shape, b.shape))
            return np.matmul(a, b)

    rng = np.random.default_rng(0)
    a, w = rng.standard_normal((2, 3, 5, 4)), rng.standard_normal((6, 4))
    out = fold(Recording, a, w.T)
    assert calls == [((30, 4), (4, 6))]
    np.testing.assert_allclose(out, a @ w.T, rtol=1e-12)
    calls.clear()
    fold(Recording, a, rng.standard_normal((2, 3, 4, 6)))  # batched @ batched: untouched
    assert calls == [((2, 3, 5, 4), (2, 3, 4, 6))]
