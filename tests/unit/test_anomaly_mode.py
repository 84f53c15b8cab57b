"""Anomaly detection (Note [Anomaly mode] in nanotorch/autograd/anomaly_mode.py): with it on, a
backward node that produces NaN raises a RuntimeError naming the node and the forward call
that created it; with it off, nothing is checked or recorded."""

from __future__ import annotations

import warnings

import pytest

import nanotorch as nt
from nanotorch.autograd import Function


def _nan_grad_loss(device):
    # d sqrt(x)/dx at 0 is inf, times the upstream 0 from "* 0" is nan: SqrtBackward's output.
    x = nt.tensor([0.0, 1.0], device=device, requires_grad=True)
    return x, (nt.sqrt(x) * 0.0).sum()


def test_anomaly_mode_off_lets_nan_through(device) -> None:
    x, loss = _nan_grad_loss(device)
    loss.backward()
    assert nt.isnan(x.grad).tolist() == [True, False]
    assert not nt.is_anomaly_enabled()


def test_anomaly_mode_nan_names_node_and_forward_op(device) -> None:
    with pytest.warns(UserWarning, match="Anomaly Detection has been enabled"):
        with nt.autograd.detect_anomaly():
            x, loss = _nan_grad_loss(device)
            with pytest.raises(RuntimeError) as info:
                loss.backward()
    message = str(info.value)
    assert "Function 'SqrtBackward' returned nan values in its 0th output." in message
    assert "created by the forward call of Sqrt" in message
    assert "test_anomaly_mode.py" in message and "_nan_grad_loss" in message  # where


def test_anomaly_mode_check_nan_false_records_but_does_not_check(device) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with nt.autograd.detect_anomaly(check_nan=False):
            assert nt.is_anomaly_enabled() and not nt.is_anomaly_check_nan_enabled()
            x, loss = _nan_grad_loss(device)
            loss.backward()
    assert nt.isnan(x.grad).tolist() == [True, False]


def test_anomaly_mode_graph_built_before_enabling_says_so(device) -> None:
    x, loss = _nan_grad_loss(device)
    with nt.autograd.set_detect_anomaly(True):
        with pytest.raises(RuntimeError, match="SqrtBackward.*enable anomaly detection before"):
            loss.backward()


def test_anomaly_mode_decorator_and_restoring() -> None:
    @nt.autograd.detect_anomaly(check_nan=False)
    def inside() -> tuple[bool, bool]:
        return nt.is_anomaly_enabled(), nt.is_anomaly_check_nan_enabled()

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert inside() == (True, False)
    assert (nt.is_anomaly_enabled(), nt.is_anomaly_check_nan_enabled()) == (False, True)
    nt.autograd.set_detect_anomaly(True, check_nan=False)  # a plain call switches it on
    try:
        assert nt.is_anomaly_enabled() and not nt.is_anomaly_check_nan_enabled()
        with nt.autograd.set_detect_anomaly(False):
            assert not nt.is_anomaly_enabled()
        assert nt.is_anomaly_enabled()
    finally:
        nt.autograd.set_detect_anomaly(False)
    assert not nt.is_anomaly_enabled()
    nt.set_anomaly_enabled(True)
    assert nt.is_anomaly_enabled() and nt.is_anomaly_check_nan_enabled()
    nt.set_anomaly_enabled(False)
    assert not nt.is_anomaly_enabled()


class _Broken(Function):
    @staticmethod
    def forward(ctx, xp, a):
        return a * 2

    @staticmethod
    def backward(ctx, g):
        raise ValueError("broken backward")


def test_anomaly_mode_error_in_backward_gets_the_forward_call() -> None:
    with nt.autograd.set_detect_anomaly(True):
        y = _Broken.apply(nt.tensor([1.0], requires_grad=True))
        with pytest.raises(ValueError, match="broken backward") as info:
            y.sum().backward()
    notes = "\n".join(getattr(info.value, "__notes__", []))
    assert "_BrokenBackward" in notes and "test_anomaly_mode_error_in_backward" in notes


def test_anomaly_mode_off_records_no_forward_trace() -> None:
    y = nt.tensor([1.0], requires_grad=True) * 2.0
    assert "forward_trace" not in vars(y.grad_fn)
    with nt.autograd.set_detect_anomaly(True):
        z = nt.tensor([1.0], requires_grad=True) * 2.0
    assert "Mul" in vars(z.grad_fn)["forward_trace"][0]


def test_anomaly_mode_matches_torch_message() -> None:
    torch = pytest.importorskip("torch")
    x = torch.tensor([0.0, 1.0], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with torch.autograd.detect_anomaly(), pytest.raises(RuntimeError) as info:
            (torch.sqrt(x) * 0.0).sum().backward()
    assert "Function 'SqrtBackward0' returned nan values in its 0th output." in str(info.value)
