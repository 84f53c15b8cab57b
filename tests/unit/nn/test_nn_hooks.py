"""Module hooks: forward pre-hooks, forward hooks and full backward hooks, as PyTorch defines
them: call order, removal, replacement of inputs/outputs/gradients by a hook's return."""

from __future__ import annotations

import numpy as np
import pytest

import nanotorch as nt
from nanotorch import nn


class Scale(nn.Module):
    """y = a * x (+ b): gradients are easy to work out by hand."""

    def __init__(self, a: float) -> None:
        super().__init__()
        self.a = a

    def forward(self, x, b=None):
        return x * self.a if b is None else x * self.a + b


def _t(v, device, requires_grad=False):
    return nt.tensor(v, dtype=nt.float64, device=device, requires_grad=requires_grad)


def test_forward_hooks_run_in_registration_order_and_prepend_goes_first(device):
    m, calls = Scale(2.0), []
    m.register_forward_pre_hook(lambda mod, args: calls.append("pre1"))
    m.register_forward_pre_hook(lambda mod, args: calls.append("pre0"), prepend=True)
    m.register_forward_hook(lambda mod, args, out: calls.append("post1"))
    m.register_forward_hook(lambda mod, args, out: calls.append("post2"))
    m(_t([1.0], device))
    assert calls == ["pre0", "pre1", "post1", "post2"]


def test_forward_hook_sees_module_args_and_output(device):
    m, seen = Scale(3.0), {}

    def hook(mod, args, out):
        seen.update(mod=mod, args=args, out=out.tolist())

    m.register_forward_hook(hook)
    x = _t([1.0, 2.0], device)
    m(x)
    assert seen["mod"] is m and seen["args"][0] is x and seen["out"] == [3.0, 6.0]


def test_forward_hook_return_value_replaces_the_output(device):
    m = Scale(2.0)
    m.register_forward_hook(lambda mod, args, out: out + 1)
    assert m(_t([1.0], device)).tolist() == [3.0]


def test_forward_pre_hook_return_value_replaces_the_input(device):
    m = Scale(2.0)
    m.register_forward_pre_hook(lambda mod, args: args[0] * 10)  # a single value is wrapped
    assert m(_t([1.0], device)).tolist() == [20.0]


def test_hooks_with_kwargs_see_and_replace_keyword_arguments(device):
    m, seen = Scale(2.0), []

    def pre(mod, args, kwargs):
        return args, {"b": kwargs["b"] + 1}

    m.register_forward_pre_hook(pre, with_kwargs=True)
    m.register_forward_hook(lambda mod, args, kwargs, out: seen.append(kwargs), with_kwargs=True)
    b = _t([1.0], device)
    assert m(_t([1.0], device), b=b).tolist() == [4.0]
    assert seen[0]["b"].tolist() == [2.0]


def test_hook_handle_remove_stops_the_hook_and_works_as_context_manager(device):
    m, calls = Scale(2.0), []
    handle = m.register_forward_hook(lambda mod, args, out: calls.append(1))
    m(_t([1.0], device))
    handle.remove()
    handle.remove()  # removing twice is harmless
    m(_t([1.0], device))
    assert calls == [1]
    with m.register_forward_pre_hook(lambda mod, args: calls.append(2)):
        m(_t([1.0], device))
    m(_t([1.0], device))
    assert calls == [1, 2]


def test_full_backward_hook_gets_grad_input_and_grad_output(device):
    # y = 3 x, loss = sum(w * y): grad_output = w, grad_input = 3 w.
    m, seen = Scale(3.0), []
    m.register_full_backward_hook(
        lambda mod, gin, gout: seen.append((mod, [g.tolist() for g in gin], gout[0].tolist()))
    )
    x = _t([1.0, 2.0], device, requires_grad=True)
    (m(x) * _t([1.0, 10.0], device)).sum().backward()
    assert seen == [(m, [[3.0, 30.0]], [1.0, 10.0])]
    assert x.grad.tolist() == [3.0, 30.0]


def test_full_backward_hook_return_value_replaces_grad_input(device):
    m = Scale(3.0)
    m.register_full_backward_hook(lambda mod, gin, gout: (gin[0] * 0 + 7,))
    x = _t([1.0, 2.0], device, requires_grad=True)
    m(x).sum().backward()
    assert x.grad.tolist() == [7.0, 7.0]


def test_full_backward_hook_with_two_inputs_and_one_without_grad(device):
    class Mul(nn.Module):
        def forward(self, a, k, b):
            return a * b * k

    m, seen = Mul(), []
    m.register_full_backward_hook(lambda mod, gin, gout: seen.append(gin))
    a = _t([2.0], device, requires_grad=True)
    b = _t([5.0], device)  # no grad: its grad_input entry is None
    m(a, 3.0, b).sum().backward()  # the float 3.0 is not a tensor: no entry at all
    (gin,) = seen
    assert len(gin) == 2 and gin[0].tolist() == [15.0] and gin[1] is None
    assert a.grad.tolist() == [15.0]


def test_full_backward_hook_when_no_input_requires_grad(device):
    lin, seen = nn.Linear(2, 1, dtype=nt.float64).to(device), []
    lin.register_full_backward_hook(lambda mod, gin, gout: seen.append((gin, gout[0].shape)))
    lin(_t([[1.0, 2.0]], device)).sum().backward()
    assert seen == [((None,), (1, 1))]
    assert lin.weight.grad.tolist() == [[1.0, 2.0]]


def test_full_backward_hook_wrong_count_raises(device):
    m = Scale(2.0)
    m.register_full_backward_hook(lambda mod, gin, gout: (gin[0], gin[0]))
    x = _t([1.0], device, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"backward hook returned 2 grad_input values.*1"):
        m(x).sum().backward()


def test_full_backward_hook_removed_and_skipped_under_no_grad(device):
    m, calls = Scale(2.0), []
    handle = m.register_full_backward_hook(lambda mod, gin, gout: calls.append(1))
    with nt.no_grad():
        out = m(_t([1.0], device))
    assert not out.requires_grad
    handle.remove()
    x = _t([1.0], device, requires_grad=True)
    m(x).sum().backward()
    assert calls == [] and x.grad.tolist() == [2.0]


def test_hooks_on_submodules_fire_inside_a_model(device):
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2)).to(device)
    shapes = []
    for layer in model:
        layer.register_forward_hook(lambda mod, args, out: shapes.append(out.shape))
    model(nt.zeros((5, 3), device=device))
    assert shapes == [(5, 4), (5, 4), (5, 2)]
    grads = []
    model[0].register_full_backward_hook(lambda mod, gin, gout: grads.append(gout[0].shape))
    model(nt.ones((5, 3), device=device, requires_grad=True)).sum().backward()
    assert grads == [(5, 4)]
    np.testing.assert_equal(len(shapes), 6)


def test_forward_hook_always_call_runs_when_forward_raises(device):
    class Boom(nn.Module):
        def forward(self, x):
            raise ValueError("boom")

    m, calls = Boom(), []
    m.register_forward_hook(lambda mod, args, out: calls.append("plain"))
    m.register_forward_hook(lambda mod, args, out: calls.append(out), always_call=True)
    with pytest.raises(ValueError, match="boom"):
        m(_t([1.0], device))
    assert calls == [None]
