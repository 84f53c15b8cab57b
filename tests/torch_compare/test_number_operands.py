"""A Python number operand of ``*`` and ``/`` is kept, not saved (Note [A number operand is
not saved] in ops/elementwise.py): gradients, double backward and PyTorch's in-place rule."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import nanotorch as nt  # noqa: E402

X = np.array([0.5, -2.0, 3.0], dtype=np.float32)

CASES = {
    "x * 3": lambda x: x * 3.0,
    "3 * x": lambda x: 3.0 * x,
    "x * 2 (int)": lambda x: x * 2,
    "x / 4": lambda x: x / 4.0,
    "4 / x": lambda x: 4.0 / x,
    "mul(x, 3)": lambda x: x.mul(3.0),
    "chain": lambda x: ((x * 0.5) / 3.0 * 2.0) / 0.25,
}


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("create_graph", [False, True])
def test_gradients_through_number_operands_match_pytorch(name, create_graph):
    f = CASES[name]
    x, tx = nt.tensor(X, requires_grad=True), torch.tensor(X, requires_grad=True)
    (g,) = nt.autograd.grad((f(x) * f(x)).sum(), x, create_graph=create_graph)
    (tg,) = torch.autograd.grad((f(tx) * f(tx)).sum(), tx, create_graph=create_graph)
    np.testing.assert_allclose(g.detach().numpy(), tg.detach().numpy(), rtol=1e-6)
    if create_graph:  # the second derivative goes through the kept number as well
        (gg,) = nt.autograd.grad(g.sum(), x)
        (tgg,) = torch.autograd.grad(tg.sum(), tx)
        np.testing.assert_allclose(gg.numpy(), tgg.numpy(), rtol=1e-5)


def test_changing_the_tensor_after_multiplying_it_by_a_number_is_allowed_as_in_pytorch():
    def run(lib):
        w = lib.tensor(X, requires_grad=True)
        x = w * 1.0  # a non-leaf that can be changed in place
        y = x * 2.0  # keeps 2.0, not x
        z = x / 4.0
        x.add_(1.0)
        (y.sum() + z.sum()).backward()
        return w.grad.numpy()

    np.testing.assert_allclose(run(nt), run(torch))


def test_changing_a_saved_tensor_operand_still_raises():
    w = nt.tensor(X, requires_grad=True)
    x = w * 1.0
    y = x * x  # two tensors: both saved
    x.add_(1.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_a_second_backward_through_a_number_operand_node_fails_clearly():
    x = nt.tensor(X, requires_grad=True)
    y = (x * 3.0).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.backward()
