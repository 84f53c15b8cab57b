"""``inference_mode``: no_grad plus inference tensors, as PyTorch's (compared where torch is)."""

from __future__ import annotations

import pytest

import nanotorch


def test_inference_mode_records_nothing_and_marks_new_tensors(device):
    w = nanotorch.ones(2, requires_grad=True, device=device)
    assert not nanotorch.is_inference_mode_enabled()
    with nanotorch.inference_mode():
        assert nanotorch.is_inference_mode_enabled() and not nanotorch.is_grad_enabled()
        y = w * 2
        z = nanotorch.zeros(3, device=device)
    assert not y.requires_grad and y.grad_fn is None
    assert y.is_inference() and z.is_inference() and y.detach().is_inference()
    assert not w.is_inference() and not (y * 2).is_inference()
    assert not nanotorch.is_inference_mode_enabled() and nanotorch.is_grad_enabled()


def test_inference_mode_false_enables_grad_like_pytorch():
    torch = pytest.importorskip("torch")
    states = []
    for lib in (torch, nanotorch):
        seen = []
        with lib.inference_mode():
            with lib.inference_mode(False):
                seen.append((lib.is_grad_enabled(), lib.is_inference_mode_enabled()))
                seen.append(lib.ones(1).is_inference())
            seen.append((lib.is_grad_enabled(), lib.is_inference_mode_enabled()))
        with lib.no_grad(), lib.inference_mode(mode=False):
            seen.append(lib.is_grad_enabled())
        states.append(seen)
    assert states[0] == states[1] == [(True, False), False, (False, True), True]


def test_inference_mode_as_decorator_with_and_without_call():
    @nanotorch.inference_mode()
    def called() -> tuple[bool, bool]:
        return nanotorch.is_inference_mode_enabled(), nanotorch.ones(1).is_inference()

    @nanotorch.inference_mode
    def bare() -> bool:
        return nanotorch.is_inference_mode_enabled()

    assert called() == (True, True) and bare() is True
    assert called.__name__ == "called"
    assert not nanotorch.is_inference_mode_enabled()


def test_inference_tensor_refused_where_autograd_must_save_it_like_pytorch():
    torch = pytest.importorskip("torch")
    for lib in (torch, nanotorch):
        with lib.inference_mode():
            x = lib.ones(2)
        w = lib.ones(2, requires_grad=True)
        (w + x).sum().backward()  # add saves nothing: allowed, as in PyTorch
        with pytest.raises(RuntimeError, match=r"Inference tensors cannot be saved for backward"):
            w * x
        with pytest.raises(RuntimeError, match=r"requires_grad=True on inference tensor"):
            x.requires_grad_()
        with pytest.raises(RuntimeError, match=r"Inplace update to inference tensor outside"):
            x.add_(1)
        if lib is nanotorch:  # refused before any work (PyTorch's cpu add_ writes, then raises)
            assert x.tolist() == [1.0, 1.0]
        assert (w * x.clone()).requires_grad and not x.clone().is_inference()
        before = x.tolist()
        with lib.inference_mode():
            x.add_(1)  # inside inference mode it is an ordinary tensor
        assert x.tolist() == [v + 1 for v in before]


def test_inference_tensor_refuses_every_in_place_path_outside_inference_mode(device):
    with nanotorch.inference_mode():
        x = nanotorch.ones((2, 2), device=device)
    updates = {
        "zero_": lambda: x.zero_(),
        "fill_": lambda: x.fill_(3.0),
        "relu_": lambda: x.relu_(),
        "t_": lambda: x.t_(),
        "__setitem__": lambda: x.__setitem__(0, 5.0),
        "copy_": lambda: x.copy_(nanotorch.zeros((2, 2), device=device)),
        "mul_": lambda: x.mul_(2),
    }
    for name, update in updates.items():
        with pytest.raises(RuntimeError, match=r"Inplace update to inference tensor.*\(2, 2\)"):
            update()
        assert x.tolist() == [[1.0, 1.0], [1.0, 1.0]], name
    with nanotorch.inference_mode():
        x[0] = 5.0
    assert x.tolist() == [[5.0, 5.0], [1.0, 1.0]]
