"""Custom autograd Functions written as PyTorch's documentation writes them.

``forward(ctx, *inputs)`` receives the Tensors (not raw arrays) and runs with grad off;
``backward(ctx, *grad_outputs)`` returns one gradient per input. nanotorch's own ops use
the array form ``forward(ctx, xp, *arrays)`` (discovery/autograd-engine.md); a subclass
whose ``forward`` does not take ``xp`` second is PyTorch's kind (Note [Two kinds of
Function] in autograd/function.py). Each case runs the same class body on both libraries.
"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import nanotorch as nt  # noqa: E402

X = np.array([[0.5, -1.5, 2.0], [-0.25, 1.0, -3.0]], dtype=np.float32)


def _classes(lib):
    class Exp(lib.autograd.Function):
        @staticmethod
        def forward(ctx, i):
            result = i.exp()
            ctx.save_for_backward(result)  # the output
            return result

        @staticmethod
        def backward(ctx, grad_output):
            (result,) = ctx.saved_tensors
            return grad_output * result

    class MyReLU(lib.autograd.Function):
        @staticmethod
        def forward(ctx, input):  # noqa: A002
            ctx.save_for_backward(input)
            return input.clamp(min=0)

        @staticmethod
        def backward(ctx, grad_output):
            (input,) = ctx.saved_tensors  # noqa: A001
            grad_input = grad_output.clone()
            grad_input[input < 0] = 0
            return grad_input

    class Scale(lib.autograd.Function):  # a non-tensor argument, and needs_input_grad
        @staticmethod
        def forward(ctx, x, w, factor):
            ctx.factor = factor
            ctx.seen_in_forward = ctx.needs_input_grad
            ctx.save_for_backward(x, w)
            return x * w * factor

        @staticmethod
        def backward(ctx, g):
            x, w = ctx.saved_tensors
            gx = g * w * ctx.factor if ctx.needs_input_grad[0] else None
            gw = (g * x * ctx.factor).sum(0) if ctx.needs_input_grad[1] else None
            return gx, gw, None

    class Cube(lib.autograd.Function):  # differentiable backward: double backward works
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x * x

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 3 * x * x * g

    class Square(lib.autograd.Function):  # PyTorch 2's form: forward without ctx
        @staticmethod
        def forward(x):
            return x * x

        @staticmethod
        def setup_context(ctx, inputs, output):
            (x,) = inputs
            ctx.save_for_backward(x)

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 2 * x * g

    return {"Exp": Exp, "MyReLU": MyReLU, "Scale": Scale, "Cube": Cube, "Square": Square}


def _run(lib, name, create_graph=False):
    fns = _classes(lib)
    x = lib.tensor(X, requires_grad=True)
    if name == "Scale":
        w = lib.tensor(X[0], requires_grad=True)
        y = fns["Scale"].apply(x, w, 0.5)
        y.sum().backward()
        return [x.grad, w.grad, y], y.grad_fn
    y = fns[name].apply(x)
    (g,) = lib.autograd.grad((y * y).sum(), x, create_graph=create_graph)
    out = [g, y]
    if create_graph:
        (gg,) = lib.autograd.grad(g.sum(), x)
        out.append(gg)
    return out, y.grad_fn


@pytest.mark.parametrize("name", ["Exp", "MyReLU", "Scale", "Cube", "Square"])
def test_a_pytorch_style_function_gives_pytorchs_values_and_gradients(name):
    ours, node = _run(nt, name)
    theirs, _ = _run(torch, name)
    for a, b in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-5)
    assert node is not None and name in repr(node) and "Backward" in repr(node)


@pytest.mark.parametrize("name", ["Cube", "Square", "Exp"])
def test_double_backward_through_a_pytorch_style_function(name):
    ours, _ = _run(nt, name, create_graph=True)
    theirs, _ = _run(torch, name, create_graph=True)
    for a, b in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-5)


def test_needs_input_grad_is_known_in_forward():
    scale = _classes(nt)["Scale"]
    x, w = nt.tensor(X, requires_grad=True), nt.tensor(X[0])
    y = scale.apply(x, w, 2.0)
    assert y.grad_fn.seen_in_forward == (True, False, False)
    y.sum().backward()
    assert w.grad is None and x.grad is not None


def test_no_graph_without_a_tensor_that_requires_grad_or_under_no_grad():
    exp = _classes(nt)["Exp"]
    y = exp.apply(nt.tensor(X))
    assert not y.requires_grad and y.grad_fn is None
    with nt.no_grad():
        z = exp.apply(nt.tensor(X, requires_grad=True))
    assert not z.requires_grad
    np.testing.assert_allclose(z.numpy(), np.exp(X), rtol=1e-6)


def test_forward_runs_with_grad_off_as_in_pytorch():
    seen = []

    class Spy(nt.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            seen.append(nt.is_grad_enabled())
            y = x * 2
            seen.append(y.requires_grad)
            return y

        @staticmethod
        def backward(ctx, g):
            return g * 2

    Spy.apply(nt.tensor(X, requires_grad=True))
    assert seen == [False, False]


def test_wrong_number_of_gradients_is_an_error_naming_the_function():
    class Two(nt.autograd.Function):
        @staticmethod
        def forward(ctx, a, b):
            return a * b

        @staticmethod
        def backward(ctx, g):
            return g  # one gradient for two inputs

    a, b = nt.tensor(X, requires_grad=True), nt.tensor(X, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"TwoBackward returned an incorrect number of "
                       r"gradients \(expected 2, got 1\)"):  # fmt: skip
        Two.apply(a, b).sum().backward()


def test_a_saved_input_changed_in_place_raises_at_backward():
    cube = _classes(nt)["Cube"]
    w = nt.tensor(X, requires_grad=True)
    x = w * 1.0
    y = cube.apply(x)
    x.add_(1.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_mark_non_differentiable_and_several_outputs():
    class Positive(nt.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            mask = x > 0
            ctx.mark_non_differentiable(mask)
            return mask

        @staticmethod
        def backward(ctx, g):
            return None

    mask = Positive.apply(nt.tensor(X, requires_grad=True))
    assert not mask.requires_grad

    class Pair(nt.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2, x * 3

        @staticmethod
        def backward(ctx, g1, g2):
            return g1 * 2 + g2 * 3

    with nt.no_grad():  # nothing recorded: the outputs come back as forward made them
        a, b = Pair.apply(nt.tensor(X, requires_grad=True))
    np.testing.assert_allclose(b.numpy(), X * 3)
    with pytest.raises(NotImplementedError, match=r"Pair.apply: forward returned 2 outputs"):
        Pair.apply(nt.tensor(X, requires_grad=True))


def test_once_differentiable_runs_backward_without_recording():
    from nanotorch.autograd.function import once_differentiable

    class Cube(nt.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x * x

        @staticmethod
        @once_differentiable
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 3 * x * x * g

    x = nt.tensor(X, requires_grad=True)
    (g,) = nt.autograd.grad(Cube.apply(x).sum(), x, create_graph=True)
    np.testing.assert_allclose(g.numpy(), 3 * X * X, rtol=1e-6)
    assert not g.requires_grad  # nothing was recorded inside backward


def test_set_materialize_grads_is_accepted_and_the_gradient_still_arrives():
    class Twice(nt.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.set_materialize_grads(False)
            return x * 2

        @staticmethod
        def backward(ctx, g):
            assert g is not None  # one output: its gradient is always a Tensor
            return g * 2

    x = nt.tensor(X, requires_grad=True)
    Twice.apply(x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.full_like(X, 2.0))
