"""``nn.Linear`` followed by ``nn.ReLU`` inside a ``Sequential`` runs as one op
(Note [Linear and ReLU fused] in nn/container.py): the same values and gradients, to the
bit, as the two modules one after the other, on every device; and no fusion wherever a user
could tell the difference (hooks, subclasses, a replaced ``forward``).
"""

from __future__ import annotations

import numpy as np
import pytest

import nanotorch as nt
from nanotorch import nn
from nanotorch.testing import gradcheck, gradgradcheck


def _pair(device, bias: bool = True, inplace: bool = False, dtype=nt.float32):  # type: ignore[no-untyped-def]
    nt.manual_seed(0)
    lin = nn.Linear(7, 5, bias=bias).to(device, dtype)
    return lin, nn.ReLU(inplace=inplace)


def _run(model, x0: np.ndarray, g0: np.ndarray, device):  # type: ignore[no-untyped-def]
    x = nt.tensor(x0, device=device, requires_grad=True)
    out = model(x)
    out.backward(nt.tensor(g0, device=device))
    grads = [p.grad.cpu().numpy() for p in model.parameters()]
    return [out.detach().cpu().numpy(), x.grad.cpu().numpy(), *grads]


def _unfused(lin, relu):  # type: ignore[no-untyped-def]
    # The two modules called one after the other: what Sequential computed before fusing.
    def model(x):  # type: ignore[no-untyped-def]
        return relu(lin(x))

    model.parameters = lin.parameters  # type: ignore[attr-defined]
    return model


@pytest.mark.parametrize("shape", [(4, 7), (2, 3, 7), (7,), (0, 7)])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("inplace", [False, True])
def test_fused_equals_the_two_modules(device, shape, bias, inplace) -> None:
    rng = np.random.default_rng(1)
    x0 = rng.standard_normal(shape).astype(np.float32)
    x0.reshape(-1)[:3] = 0.0  # ties at the kink: ReLU's gradient there is 0
    g0 = rng.standard_normal((*shape[:-1], 5)).astype(np.float32)
    lin, relu = _pair(device, bias, inplace)
    fused = _run(nn.Sequential(lin, relu), x0, g0, device)
    for p in lin.parameters():
        p.grad = None
    plain = _run(_unfused(lin, relu), x0, g0, device)
    for a, b in zip(fused, plain, strict=True):
        np.testing.assert_array_equal(a, b)


def test_the_pair_is_one_op_forward_and_backward(device, dispatched) -> None:
    model = nn.Sequential(*_pair(device), nn.Linear(5, 3).to(device), nn.ReLU())
    x = nt.randn(4, 7, device=device, requires_grad=True)
    dispatched.clear()
    out = model(x)
    assert dispatched == ["LinearRelu", "LinearRelu"]
    assert repr(out.grad_fn) == "<LinearReluBackward>"
    seed = nt.ones(4, 3, device=device)
    dispatched.clear()
    out.backward(seed)
    assert dispatched == []  # a plain backward of the pairs dispatches nothing


def test_fused_gradients_check_twice(device) -> None:
    lin, relu = _pair(device, dtype=nt.float64)
    model = nn.Sequential(lin, relu)
    x = nt.randn(3, 7, device=device, dtype=nt.float64, requires_grad=True)
    params = (x, lin.weight, lin.bias)

    def f(x, w, b):  # type: ignore[no-untyped-def]
        with nt.no_grad():
            lin.weight.copy_(w)
            lin.bias.copy_(b)
        return nt.relu(nt.nn.functional.linear(x, w, b))

    assert gradcheck(lambda x: model(x), (x,))
    assert gradgradcheck(lambda x: model(x) ** 2, (x,))
    assert gradcheck(f, params)


def test_a_hook_on_either_module_turns_fusion_off(device, dispatched) -> None:
    lin, relu = _pair(device)
    seen: list[tuple[int, ...]] = []
    handle = lin.register_forward_hook(lambda m, args, out: seen.append(tuple(out.shape)))
    model = nn.Sequential(lin, relu)
    model(nt.randn(2, 7, device=device))
    assert seen == [(2, 5)]
    assert "LinearRelu" not in dispatched
    handle.remove()
    dispatched.clear()
    relu.register_forward_pre_hook(lambda m, args: seen.append(tuple(args[0].shape)))
    model(nt.randn(3, 7, device=device))
    assert seen[-1] == (3, 5)
    assert "LinearRelu" not in dispatched


def test_subclasses_and_replaced_forwards_are_not_fused(device, dispatched) -> None:
    class MyReLU(nn.ReLU):
        def forward(self, input):  # type: ignore[no-untyped-def]
            return super().forward(input) * 2

    lin, _ = _pair(device)
    x = nt.ones(1, 7, device=device)
    plain = nn.functional.relu(lin(x)) * 2
    dispatched.clear()
    out = nn.Sequential(lin, MyReLU())(x)
    assert "LinearRelu" not in dispatched
    np.testing.assert_array_equal(out.detach().cpu().numpy(), plain.detach().cpu().numpy())

    relu = nn.ReLU()
    relu.forward = lambda input: input  # type: ignore[method-assign]
    dispatched.clear()
    out = nn.Sequential(lin, relu)(x)
    assert "LinearRelu" not in dispatched
    np.testing.assert_array_equal(out.detach().cpu().numpy(), lin(x).detach().cpu().numpy())


def test_fused_output_edited_in_place_raises_on_backward(device) -> None:
    model = nn.Sequential(*_pair(device))
    x = nt.randn(2, 7, device=device, requires_grad=True)
    out = model(x)
    out.add_(1.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.sum().backward()


def test_fused_errors_name_linear(device) -> None:
    model = nn.Sequential(*_pair(device))
    with pytest.raises(RuntimeError, match=r"linear: input of shape \(2, 6\)"):
        model(nt.randn(2, 6, device=device))
