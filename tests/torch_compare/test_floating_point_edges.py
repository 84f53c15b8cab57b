"""Floating-point edge values give IEEE results without warnings, as in PyTorch.

``log(0)`` is -inf, ``0 / 0`` is nan and ``exp(1000)`` is inf in PyTorch, silently. NumPy
computes the same values but also warns ("divide by zero encountered in log"), and a program
(or a test suite) that turns warnings into errors would then fail inside nanotorch. So ops run
with NumPy's floating-point reports off (Note [Quiet floating point] in autograd/function.py),
forward and backward, while the caller's own NumPy code keeps its settings.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import nanotorch as nt  # noqa: E402

EDGES = np.array([0.0, -0.0, -1.0, 1e30, -np.inf, np.inf, np.nan, 1000.0], dtype=np.float32)

UNARY = ["log", "log1p", "log2", "log10", "sqrt", "rsqrt", "reciprocal", "exp", "expm1",
         "exp2", "sinh", "cosh", "acos", "asin", "acosh", "atanh", "lgamma", "digamma",
         "erfinv", "tan", "square", "sigmoid", "tanh"]  # fmt: skip


@pytest.mark.parametrize("name", UNARY)
def test_unary_ops_at_edge_values_match_pytorch_without_warnings(name):
    x = nt.tensor(EDGES, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = getattr(nt, name)(x)
        y.sum().backward()
    tx = torch.tensor(EDGES, requires_grad=True)
    ty = getattr(torch, name)(tx)
    ty.sum().backward()
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-5, equal_nan=True)
    # Outside the function's domain (forward nan: acosh(-1), digamma's poles) the
    # gradient's value is an artefact of the formula; only its silence is compared there.
    inside = ~np.isnan(ty.detach().numpy())
    np.testing.assert_allclose(
        x.grad.numpy()[inside], tx.grad.numpy()[inside], rtol=1e-4, equal_nan=True
    )


@pytest.mark.parametrize("op", ["div", "mul", "sub", "add", "pow", "atan2", "remainder"])
def test_binary_ops_at_edge_values_match_pytorch_without_warnings(op):
    a = np.repeat(EDGES, len(EDGES))
    b = np.tile(EDGES, len(EDGES))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = getattr(nt, op)(nt.tensor(a), nt.tensor(b))
    expected = getattr(torch, op)(torch.tensor(a), torch.tensor(b))
    np.testing.assert_allclose(got.numpy(), expected.numpy(), rtol=1e-5, equal_nan=True)


def test_masked_softmax_and_log_of_probabilities_stay_quiet():
    scores = nt.tensor([[0.0, -np.inf], [-np.inf, -np.inf]], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        p = nt.softmax(scores, dim=1)
        (p * nt.log(p)).sum().backward()  # entropy: 0 * log(0) is nan, as in PyTorch
        (scores / 0.0).sum()
    expected = torch.softmax(torch.tensor([[0.0, -np.inf], [-np.inf, -np.inf]]), dim=1)
    np.testing.assert_allclose(p.detach().numpy(), expected.numpy(), equal_nan=True)


def test_the_callers_numpy_settings_are_left_as_they_were():
    with np.errstate(divide="raise"):
        nt.log(nt.tensor([0.0]))  # quiet inside the op ...
        with pytest.raises(FloatingPointError):
            np.log(np.array([0.0]))  # ... and the caller's NumPy still raises
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        nt.log(nt.tensor([0.0]))
        with pytest.raises(RuntimeWarning, match="divide by zero"):
            np.log(np.array([0.0]))


def test_a_tensor_and_a_number_keep_numpys_reports_in_add_sub_and_mul():
    # The cheapest ops skip the switch for a Python number operand (its only reports are
    # overflow and inf * 0): Note [Quiet floating point].
    big = nt.tensor([3e38])
    with pytest.warns(RuntimeWarning, match="overflow"):
        big * 10.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        big * nt.tensor([10.0])  # two tensors: quiet


def test_in_place_ops_optimizers_and_clipping_stay_quiet_and_match_pytorch():
    def run(lib, nn, optim, clip):
        x = lib.tensor([1.0, 0.0, -1.0])
        x.div_(0.0)
        y = lib.tensor([float("inf"), 1.0, 0.0])
        y.mul_(lib.tensor([0.0, 2.0, float("inf")]))
        p = nn.Parameter(lib.ones(3))
        opt = optim.Adam([p], lr=0.1)
        p.grad = lib.tensor([float("inf"), float("nan"), 1.0])
        opt.step()
        q = nn.Parameter(lib.ones(2))
        q.grad = lib.tensor([float("inf"), 1.0])
        total = clip([q], 1.0)
        return [t.detach().numpy() for t in (x, y, p, q.grad, total)]

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ours = run(nt, nt.nn, nt.optim, nt.nn.utils.clip_grad_norm_)
    theirs = run(torch, torch.nn, torch.optim, torch.nn.utils.clip_grad_norm_)
    for a, b in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6, equal_nan=True)
