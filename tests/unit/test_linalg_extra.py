"""Tensor methods and argument errors of the linalg_extra family (nanotorch/ops/linalg_extra.py);
the forward and gradient checks live in tests/specs/linalg_extra_ops.py."""

from __future__ import annotations

import numpy as np
import pytest

import nanotorch as nt
from nanotorch.errors import ShapeError


def _t(*shape: int) -> nt.Tensor:
    return nt.tensor(np.arange(np.prod(shape), dtype=np.float64).reshape(shape) / 7 - 1)


def test_tensor_methods_delegate_to_the_functions():
    a, b, v = _t(2, 3), _t(3, 4), _t(3)
    np.testing.assert_allclose(a.mm(b).numpy(), nt.mm(a, b).numpy())
    np.testing.assert_allclose(a.mv(v).numpy(), nt.mv(a, v).numpy())
    np.testing.assert_allclose(v.dot(v).numpy(), nt.dot(v, v).numpy())
    np.testing.assert_allclose(v.outer(v).numpy(), nt.outer(v, v).numpy())
    np.testing.assert_allclose(
        _t(2, 4).addmm(a, b, beta=2, alpha=3).numpy(),
        nt.addmm(_t(2, 4), a, b, beta=2, alpha=3).numpy(),
    )
    np.testing.assert_allclose(
        _t(2, 2, 3).bmm(_t(2, 3, 1)).numpy(), nt.bmm(_t(2, 2, 3), _t(2, 3, 1)).numpy()
    )
    np.testing.assert_allclose(
        _t(2, 3).cross(_t(2, 3) ** 2).numpy(), nt.cross(_t(2, 3), _t(2, 3) ** 2).numpy()
    )
    assert _t(3, 3).trace().item() == pytest.approx(nt.trace(_t(3, 3)).item())
    np.testing.assert_allclose(_t(2, 5).diff(2, 1).numpy(), nt.diff(_t(2, 5), 2, 1).numpy())
    np.testing.assert_allclose(
        _t(3, 4).renorm(2, 0, 1.0).numpy(), nt.renorm(_t(3, 4), 2, 0, 1.0).numpy()
    )
    mm = _t(3, 4).aminmax(dim=1)
    assert mm.min.tolist() == nt.amin(_t(3, 4), 1).tolist()
    assert mm.max.tolist() == nt.amax(_t(3, 4), 1).tolist()


def test_aminmax_is_a_named_tuple_and_takes_axis():
    out = nt.aminmax(_t(2, 3), axis=0, keepdims=True)
    assert out._fields == ("min", "max")
    assert tuple(out.min.shape) == (1, 3)


def test_aminmax_over_a_nonempty_dim_of_an_empty_tensor():
    out = nt.aminmax(nt.zeros(0, 3), dim=1)
    assert tuple(out.min.shape) == (0,) and tuple(out.max.shape) == (0,)


def test_cross_default_dim_is_the_first_of_size_3():
    a, b = _t(3, 3), _t(3, 3) ** 2
    np.testing.assert_allclose(nt.cross(a, b).numpy(), np.cross(a.numpy(), b.numpy(), axis=0))


def test_bincount_dtypes():
    idx = nt.tensor([0, 2, 2])
    assert nt.bincount(idx).dtype == nt.int64
    assert nt.bincount(idx, nt.tensor([0.5, 1.0, 2.0])).tolist() == [0.5, 0.0, 3.0]
    assert nt.bincount(idx, nt.tensor([1.0, 2.0, 3.0], dtype=nt.float32)).dtype == nt.float32
    as_double = nt.bincount(idx, nt.tensor([1, 2, 3]))
    assert as_double.dtype == nt.float64
    assert as_double.tolist() == [1.0, 0.0, 5.0]


@pytest.mark.parametrize(
    "call, exc, words",
    [
        (lambda: nt.addmm(_t(2, 4), _t(2, 3), _t(2, 4)), ShapeError, ["addmm", "(2, 3)", "(2, 4)"]),
        (lambda: nt.addmm(_t(3, 4), _t(2, 3), _t(3, 4)), ShapeError, ["addmm", "(3, 4)", "(2, 4)"]),
        (
            lambda: nt.baddbmm(_t(2, 2), _t(2, 2, 3), _t(3, 3, 2)),
            ShapeError,
            ["baddbmm", "(3, 3, 2)"],
        ),
        (
            lambda: nt.addbmm(_t(2, 2), _t(2, 3), _t(2, 3, 2)),
            ShapeError,
            ["addbmm", "3-D", "(2, 3)"],
        ),
        (lambda: nt.mv(_t(2, 3), _t(4)), ShapeError, ["mv", "(2, 3)", "(4,)"]),
        (lambda: nt.cross(_t(2, 4), _t(2, 4)), ShapeError, ["cross", "size 3", "(2, 4)"]),
        (lambda: nt.cross(_t(3, 2), _t(3, 2), dim=1), ShapeError, ["cross", "dim 1", "(3, 2)"]),
        (lambda: nt.cdist(_t(3, 2), _t(3, 4)), ShapeError, ["cdist", "(3, 2)", "(3, 4)"]),
        (lambda: nt.cdist(_t(3, 2), _t(3, 2), p=-1.0), RuntimeError, ["cdist", "p", "-1.0"]),
        (lambda: nt.trace(_t(3)), ShapeError, ["trace", "2-D", "(3,)"]),
        (lambda: nt.fliplr(_t(3)), ShapeError, ["fliplr", "(3,)"]),
        (lambda: nt.rot90(_t(2, 2), 1, (0, 0)), RuntimeError, ["rot90", "(0, 0)"]),
        (lambda: nt.diff(nt.tensor(1.0)), ShapeError, ["diff", "0-d"]),
        (lambda: nt.block_diag(_t(2, 2, 2)), ShapeError, ["block_diag", "(2, 2, 2)"]),
        (lambda: nt.trapezoid(_t(3, 4), _t(5)), ShapeError, ["trapezoid", "5", "(3, 4)"]),
        (lambda: nt.renorm(_t(3, 4), 0, 0, 1.0), RuntimeError, ["renorm", "p"]),
        (lambda: nt.aminmax(_t(0, 3)), RuntimeError, ["aminmax", "(0, 3)"]),
        (lambda: nt.aminmax(_t(0, 3), dim=0), RuntimeError, ["aminmax", "dim 0", "(0, 3)"]),
        (lambda: nt.bincount(_t(3)), RuntimeError, ["bincount", "integer", "float64"]),
        (lambda: nt.bincount(nt.tensor([1, -1])), RuntimeError, ["bincount", "non-negative"]),
        (lambda: nt.histc(nt.tensor([1, 2])), RuntimeError, ["histc", "floating", "int64"]),
        (lambda: nt.histc(_t(3), 4, 2.0, 1.0), RuntimeError, ["histc", "min=2.0", "max=1.0"]),
    ],
)
def test_bad_input_names_op_and_shapes(call, exc, words):
    with pytest.raises(exc) as info:
        call()
    for w in words:
        assert w in str(info.value), (w, str(info.value))


@pytest.mark.parametrize("p", [2.0, 3.0])
def test_cdist_gradient_is_finite_at_zero_distance(p):
    x = _t(3, 2).detach().requires_grad_(True)
    nt.cdist(x, x, p=p).sum().backward()
    assert np.isfinite(x.grad.numpy()).all()
    # The zero diagonal contributes no gradient: the same as summing the off-diagonal only.
    y = x.detach().requires_grad_(True)
    d = nt.cdist(y, y, p=p)
    (d * (1 - nt.eye(3, dtype=d.dtype))).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), y.grad.numpy())


def test_renorm_gradient_is_finite_for_a_zero_slice():
    x = nt.tensor([[0.0, 0.0], [3.0, 4.0]], requires_grad=True)
    nt.renorm(x, 2, 0, 1.0).sum().backward()
    assert np.isfinite(x.grad.numpy()).all()
    np.testing.assert_allclose(x.grad.numpy()[0], [1.0, 1.0])
