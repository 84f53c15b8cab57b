"""In-place sequences on non-leaf tensors against PyTorch: the values after the updates and
the gradients through them (Note [In-place autograd] and Note [In-place on views] in
nanotorch/_inplace.py), plus the errors PyTorch raises for in-place misuse."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from ._harness import Case, params, run_case  # noqa: E402 - after the skip

# Inputs from this module's own generator: drawing from the harness's shared one would change
# the inputs of every module collected after this one.
_rng = np.random.default_rng(4242)


def R(*shape: int) -> np.ndarray:  # noqa: N802
    return np.asarray(_rng.standard_normal(shape))


def P(*shape: int) -> np.ndarray:  # noqa: N802
    return np.asarray(_rng.uniform(0.5, 2.0, size=shape))


def I(*shape: int) -> np.ndarray:  # noqa: E743, N802
    return np.asarray(_rng.integers(-5, 5, size=shape)).astype("int64")


def B(*shape: int) -> np.ndarray:  # noqa: N802
    return np.asarray(_rng.uniform(size=shape) < 0.5)


def _chain(L, x, w):  # noqa: ANN001, ANN202, N803
    y = x * 2.0
    y.add_(w).mul_(w)
    y.sub_(0.5, alpha=2.0).relu_()
    return y


def _views(L, x, v):  # noqa: ANN001, ANN202, N803
    y = x * 1.0
    y[0].mul_(3.0)
    y[:, 1].add_(v)
    y.view(-1)[0:2].zero_()
    y.t()[2].sigmoid_()
    return y


def _setitem_chain(L, x, v):  # noqa: ANN001, ANN202, N803
    y = x.exp()
    z = y * 1.0
    z[1] = v
    z[:, 0] = z[:, 0] * 2.0
    return z


def _shape_ops(L, x):  # noqa: ANN001, ANN202, N803
    y = x * 1.0
    y.t_()
    y.unsqueeze_(0)
    y.transpose_(0, 2)
    y.squeeze_()
    return y


def _binary(name, *args):  # noqa: ANN001, ANN202
    def f(L, x, o):  # noqa: ANN001, ANN202, N803
        y = x * 1.0
        getattr(y, name)(o, *args)
        return y

    return f


def _unary(name, *args):  # noqa: ANN001, ANN202
    def f(L, x):  # noqa: ANN001, ANN202, N803
        y = x * 1.0
        getattr(y, name)(*args)
        return y

    return f


def _on_plain(name, *args):  # noqa: ANN001, ANN202
    """A tensor that requires no grad updated with one that does."""

    def f(L, x, o):  # noqa: ANN001, ANN202, N803
        y = L.zeros(x.shape, dtype=x.dtype)
        getattr(y, name)(o * x, *args)
        return y

    return f


def _saved_then_modified(L, x):  # noqa: ANN001, ANN202, N803
    x.requires_grad_(True)  # error cases get plain inputs
    y = x * 2.0
    z = y * y
    y.add_(1.0)
    z.sum().backward()


def _int_sin(L, x):  # noqa: ANN001, ANN202, N803
    return x.sin_()


def _leaf(L, x):  # noqa: ANN001, ANN202, N803
    return x.requires_grad_(True).relu_()


def _view_of_leaf(L, x):  # noqa: ANN001, ANN202, N803
    return x.requires_grad_(True)[0].add_(1.0)


def _enlarging(L, x, o):  # noqa: ANN001, ANN202, N803
    return (x * 1.0).add_(o)


INPLACE = [
    Case("chain", _chain, [R(3, 4), R(4)]),
    Case("views", _views, [R(3, 3), R(3)]),
    Case("setitem-chain", _setitem_chain, [R(3, 4), R(4)]),
    Case("shape-ops", _shape_ops, [R(3, 4)]),
    Case(
        "diagonal-fill",
        lambda L, x: (lambda y: (y.diagonal().fill_(2.0), y)[1])(x * 1.0),
        [R(3, 3)],
    ),
    Case("unary-sin_", _unary("sin_"), [R(3, 4)]),
    Case("unary-tanh_", _unary("tanh_"), [R(3, 4)]),
    Case("unary-sqrt_", _unary("sqrt_"), [P(3, 4)]),
    Case("unary-log1p_", _unary("log1p_"), [P(3, 4)]),
    Case("unary-reciprocal_", _unary("reciprocal_"), [P(3, 4)]),
    Case("unary-square_", _unary("square_"), [R(3, 4)]),
    Case("unary-erf_", _unary("erf_"), [R(3, 4)]),
    Case("unary-clamp_", _unary("clamp_", -0.5, 0.5), [R(3, 4)]),
    Case("unary-clamp_min_", _unary("clamp_min_", 0.1), [R(3, 4)]),
    Case("unary-nan_to_num_", _unary("nan_to_num_"), [R(3, 4)]),
    Case("unary-cumsum_", _unary("cumsum_", 1), [R(3, 4)]),
    Case("unary-cumprod_", _unary("cumprod_", 0), [R(3, 4)]),
    Case("binary-pow_", _binary("pow_"), [P(3, 4), R(4)]),
    Case("binary-atan2_", _binary("atan2_"), [R(3, 4), R(3, 4)]),
    Case("binary-hypot_", _binary("hypot_"), [R(3, 4), R(3, 4)]),
    Case("binary-xlogy_", _binary("xlogy_"), [R(3, 4), P(3, 4)]),
    Case("binary-lerp_-tensor-weight", _binary("lerp_", 0.3), [R(3, 4), R(3, 4)]),
    Case(
        "lerp_-weight-tensor",
        lambda L, x, e, wt: (x * 1.0).lerp_(e, wt),
        [R(3, 4), R(3, 4), P(4)],
    ),
    Case(
        "lerp_-weight-tensor-no-grad",
        lambda L, x, e, wt: L.zeros(3, 4, dtype=x.dtype).lerp_(e.detach(), wt.detach()),
        [R(3, 4), R(3, 4), P(4)],
        grad=False,
    ),
    Case("binary-copysign_", _binary("copysign_"), [R(3, 4), R(3, 4)]),
    Case("binary-fmod_", _binary("fmod_"), [R(3, 4), P(3, 4)]),
    Case("binary-remainder_", _binary("remainder_"), [R(3, 4), P(3, 4)]),
    Case("binary-masked_fill_", _binary("masked_fill_", 0.5), [R(3, 4), B(3, 4)]),
    Case("plain-add_-of-grad-value", _on_plain("add_"), [R(3, 4), R(3, 4)]),
    Case("plain-copy_-of-grad-value", _on_plain("copy_"), [R(3, 4), R(3, 4)]),
    Case("put_", lambda L, x, i, v: (x * 1.0).put_(i, v), [R(3, 4), np.array([0, 11, -2]), R(3)]),
    Case(
        "put_-accumulate",
        lambda L, x, i, v: (x * 1.0).put_(i, v, accumulate=True),
        [R(3, 4), np.array([0, 0, 5]), R(3)],
    ),
    Case("put", lambda L, x, i, v: L.put(x, i, v), [R(2, 3), np.array([[4], [1]]), R(2, 1)]),
    Case(
        "put-out-of-range-error",
        lambda L, x, i, v: L.put(x, i, v),
        [R(3), np.array([3]), R(1)],
        error=True,
    ),
    Case("fill_diagonal_", lambda L, x: (x * 1.0).fill_diagonal_(0.5), [R(3, 3)]),
    Case("fill_diagonal_-wrap", lambda L, x: (x * 1.0).fill_diagonal_(0.5, wrap=True), [R(7, 3)]),
    Case("fill_diagonal_-3d", lambda L, x: (x * 1.0).fill_diagonal_(-1.0), [R(2, 2, 2)]),
    Case("swapdims_", lambda L, x: (x * 1.0).swapdims_(0, 1), [R(3, 4)]),
    Case(
        "index_add_",
        lambda L, x, i, v: (x * 1.0).index_add_(0, i, v),
        [R(3, 4), np.array([2, 0]), R(2, 4)],
    ),
    Case(
        "index_copy_",
        lambda L, x, i, v: (x * 1.0).index_copy_(1, i, v),
        [R(3, 4), np.array([3, 0]), R(3, 2)],
    ),
    Case(
        "scatter_",
        lambda L, x, i, v: (x * 1.0).scatter_(1, i, v),
        [R(3, 4), np.array([[1], [3], [0]]), R(3, 1)],
    ),
    Case(
        "scatter_add_",
        lambda L, x, i, v: (x * 1.0).scatter_add_(0, i, v),
        [R(3, 4), np.array([[1, 2, 0, 1]]), R(1, 4)],
    ),
    Case(
        "masked_scatter_",
        lambda L, x, m, v: (x * 1.0).masked_scatter_(m, v),
        [R(3, 4), B(3, 4), R(12)],
    ),
    Case("renorm_", lambda L, x: (x * 1.0).renorm_(2, 0, 1.0), [R(3, 4)]),
    Case("copy_-broadcast", lambda L, x, v: (x * 1.0).copy_(v), [R(3, 4), R(4)]),
    Case("fill_-tensor", lambda L, x, v: (x * 1.0).fill_(v), [R(3, 4), R()]),
    Case("relu_-functional", lambda L, x: L.relu_(x * 1.0), [R(3, 4)]),
    Case("compare-lt_", lambda L, x: (x * 1.0).lt_(0.0), [R(3, 4)], grad=False),
    Case("saved-then-modified", _saved_then_modified, [R(3)], error=True),
    Case("leaf-error", _leaf, [R(3)], error=True),
    Case("view-of-leaf-error", _view_of_leaf, [R(2, 3)], error=True),
    Case("int-sin_-error", _int_sin, [I(3)], error=True),
    Case("enlarging-error", _enlarging, [R(3), R(2, 3)], error=True),
]


@pytest.mark.parametrize(("case", "dtype"), params(INPLACE))
def test_inplace_matches_torch(case: Case, dtype: str) -> None:
    run_case(case, dtype)
