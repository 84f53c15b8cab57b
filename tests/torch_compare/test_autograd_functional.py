"""``nanotorch.autograd.functional`` against ``torch.autograd.functional``: vjp, jvp,
jacobian, hessian, hvp and vhp on small functions with one and several inputs and outputs,
their options (create_graph, strict, vectorize, strategy) and their errors."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import nanotorch as nt  # noqa: E402 - after the skip
from nanotorch.autograd import functional as F  # noqa: E402

TF = torch.autograd.functional
_rng = np.random.default_rng(31)
A = _rng.standard_normal(3)
B = _rng.standard_normal((3, 2))
V3 = _rng.standard_normal(3)
V2 = _rng.standard_normal(2)
VB = _rng.standard_normal((3, 2))


def _both(*arrays: np.ndarray) -> tuple[tuple, tuple]:
    ours = tuple(nt.tensor(a, dtype=nt.float64) for a in arrays)
    theirs = tuple(torch.tensor(a, dtype=torch.float64) for a in arrays)
    return ours, theirs


def _close(ours, theirs) -> None:
    """Same nesting (Tensor, tuple of Tensors, tuple of tuples) and the same values."""
    if isinstance(theirs, torch.Tensor):
        assert isinstance(ours, nt.Tensor), type(ours)
        assert tuple(ours.shape) == tuple(theirs.shape)
        np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-10)
        return
    assert isinstance(ours, tuple) and len(ours) == len(theirs), (ours, theirs)
    for a, b in zip(ours, theirs, strict=True):
        _close(a, b)


# func(lib, *inputs): one body for both libraries
def f_vec(lib, x):
    return lib.sin(x) * x


def f_scalar(lib, x):
    return (x**3).sum() + (lib.exp(x) * x).sum()


def f_two_in(lib, x, y):
    return (x[:, None] * y).sum(1) + lib.tanh(y).sum(1)


def f_two_out(lib, x, y):
    return x * 2.0, lib.exp(y) * x[:, None]


def f_two_scalar(lib, x, y):
    return (x[:, None] * y * y).sum() + (x**2).sum()


def _wrap(f, lib):
    return lambda *xs: f(lib, *xs)


def test_autograd_functional_vjp_matches_torch() -> None:
    (x,), (tx,) = _both(A)
    (v,), (tv,) = _both(V3)
    _close(F.vjp(_wrap(f_vec, nt), x, v), TF.vjp(_wrap(f_vec, torch), tx, tv))
    _close(F.vjp(_wrap(f_scalar, nt), x), TF.vjp(_wrap(f_scalar, torch), tx))
    (x, y), (tx, ty) = _both(A, B)
    _close(F.vjp(_wrap(f_two_in, nt), (x, y), v), TF.vjp(_wrap(f_two_in, torch), (tx, ty), tv))
    (v1, v2), (tv1, tv2) = _both(V3, VB)
    _close(
        F.vjp(_wrap(f_two_out, nt), (x, y), (v1, v2)),
        TF.vjp(_wrap(f_two_out, torch), (tx, ty), (tv1, tv2)),
    )


def test_autograd_functional_jvp_matches_torch() -> None:
    (x,), (tx,) = _both(A)
    (v,), (tv,) = _both(V3)
    _close(F.jvp(_wrap(f_vec, nt), x, v), TF.jvp(_wrap(f_vec, torch), tx, tv))
    (x, y, v1, v2), (tx, ty, tv1, tv2) = _both(A, B, V3, VB)
    _close(
        F.jvp(_wrap(f_two_out, nt), (x, y), (v1, v2)),
        TF.jvp(_wrap(f_two_out, torch), (tx, ty), (tv1, tv2)),
    )
    (s,), (ts,) = _both(np.array([0.7]))
    _close(F.jvp(_wrap(f_vec, nt), s), TF.jvp(_wrap(f_vec, torch), ts))


@pytest.mark.parametrize("vectorize", [False, True])
def test_autograd_functional_jacobian_matches_torch(vectorize: bool) -> None:
    (x, y), (tx, ty) = _both(A, B)
    for f, ins, tins in [
        (f_vec, x, tx),
        (f_scalar, x, tx),
        (f_two_in, (x, y), (tx, ty)),
        (f_two_out, (x, y), (tx, ty)),
        (f_two_out, (x, y), (tx, ty)),
    ]:
        _close(
            F.jacobian(_wrap(f, nt), ins, vectorize=vectorize),
            TF.jacobian(_wrap(f, torch), tins, vectorize=vectorize),
        )
    _close(
        F.jacobian(_wrap(f_two_in, nt), (x, y), vectorize=True, strategy="forward-mode"),
        TF.jacobian(_wrap(f_two_in, torch), (tx, ty), vectorize=True, strategy="forward-mode"),
    )


def test_autograd_functional_hessian_hvp_vhp_match_torch() -> None:
    (x, y, v1, v2), (tx, ty, tv1, tv2) = _both(A, B, V3, VB)
    _close(F.hessian(_wrap(f_scalar, nt), x), TF.hessian(_wrap(f_scalar, torch), tx))
    _close(
        F.hessian(_wrap(f_two_scalar, nt), (x, y)), TF.hessian(_wrap(f_two_scalar, torch), (tx, ty))
    )
    _close(F.hvp(_wrap(f_scalar, nt), x, v1), TF.hvp(_wrap(f_scalar, torch), tx, tv1))
    _close(F.vhp(_wrap(f_scalar, nt), x, v1), TF.vhp(_wrap(f_scalar, torch), tx, tv1))
    _close(
        F.hvp(_wrap(f_two_scalar, nt), (x, y), (v1, v2)),
        TF.hvp(_wrap(f_two_scalar, torch), (tx, ty), (tv1, tv2)),
    )
    _close(
        F.vhp(_wrap(f_two_scalar, nt), (x, y), (v1, v2)),
        TF.vhp(_wrap(f_two_scalar, torch), (tx, ty), (tv1, tv2)),
    )


def test_autograd_functional_create_graph_results_differentiate_again() -> None:
    x = nt.tensor(A, dtype=nt.float64, requires_grad=True)
    tx = torch.tensor(A, dtype=torch.float64, requires_grad=True)
    jac = F.jacobian(_wrap(f_scalar, nt), x, create_graph=True)
    tjac = TF.jacobian(_wrap(f_scalar, torch), tx, create_graph=True)
    assert jac.requires_grad
    (g,) = nt.autograd.grad((jac**2).sum(), x)
    (tg,) = torch.autograd.grad((tjac**2).sum(), tx)
    _close(g, tg)
    (v,), (tv,) = _both(V3)
    out, jv = F.jvp(_wrap(f_vec, nt), x, v, create_graph=True)
    tout, tjv = TF.jvp(_wrap(f_vec, torch), tx, tv, create_graph=True)
    assert out.requires_grad and jv.requires_grad
    (g,) = nt.autograd.grad(jv.sum(), x)
    (tg,) = torch.autograd.grad(tjv.sum(), tx)
    _close(g, tg)
    # Without create_graph the results are detached, as PyTorch's.
    out, vj = F.vjp(_wrap(f_vec, nt), x, v)
    assert not out.requires_grad and not vj.requires_grad


def test_autograd_functional_unused_input_is_zero_or_strict_error() -> None:
    (x, y), (tx, ty) = _both(A, B)

    def f(lib, a, b):
        return a * 2.0

    _close(F.jacobian(_wrap(f, nt), (x, y)), TF.jacobian(_wrap(f, torch), (tx, ty)))
    with pytest.raises(RuntimeError, match="independent of input 1"):
        F.jacobian(_wrap(f, nt), (x, y), strict=True)
    with pytest.raises(RuntimeError, match="independent of input 1"):
        TF.jacobian(_wrap(f, torch), (tx, ty), strict=True)
    with pytest.raises(RuntimeError, match="strict=True.*vectorize"):
        F.jacobian(_wrap(f, nt), (x, y), strict=True, vectorize=True)


def test_autograd_functional_bad_arguments_raise_as_torch() -> None:
    (x,), _ = _both(A)
    with pytest.raises(TypeError, match="vjp.*index 0 has type int"):
        F.vjp(lambda a: 3, x)
    with pytest.raises(RuntimeError, match="v can only be None.*single element"):
        F.vjp(_wrap(f_vec, nt), x)
    with pytest.raises(RuntimeError, match=r"vjp.*shape \(2,\).*\(3,\)"):
        F.vjp(_wrap(f_vec, nt), x, nt.zeros(2, dtype=nt.float64))
    with pytest.raises(RuntimeError, match="hessian.*single element"):
        F.hessian(_wrap(f_vec, nt), x)
    with pytest.raises(ValueError, match="strategy.*forward-mode.*reverse-mode"):
        F.jacobian(_wrap(f_vec, nt), x, strategy="sideways")
    with pytest.raises(TypeError, match="inputs given to jacobian.*Tensor or a tuple of Tensors"):
        F.jacobian(_wrap(f_vec, nt), [1.0])
