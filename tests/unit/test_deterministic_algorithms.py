"""``use_deterministic_algorithms``: the flag, its checks, and the one cuda path it guards."""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import pytest

import nanotorch
from nanotorch.determinism import alert_not_deterministic


@pytest.fixture
def restore_flag() -> Iterator[None]:
    yield
    nanotorch.use_deterministic_algorithms(False)


def test_deterministic_flag_round_trips_like_pytorch(restore_flag):
    torch = pytest.importorskip("torch")
    seen = []
    for lib in (torch, nanotorch):
        states = [
            (
                lib.are_deterministic_algorithms_enabled(),
                lib.is_deterministic_algorithms_warn_only_enabled(),
            )
        ]
        lib.use_deterministic_algorithms(True, warn_only=True)
        states.append(
            (
                lib.are_deterministic_algorithms_enabled(),
                lib.is_deterministic_algorithms_warn_only_enabled(),
            )
        )
        lib.use_deterministic_algorithms(True)
        states.append(
            (
                lib.are_deterministic_algorithms_enabled(),
                lib.is_deterministic_algorithms_warn_only_enabled(),
            )
        )
        lib.use_deterministic_algorithms(False)
        states.append(
            (
                lib.are_deterministic_algorithms_enabled(),
                lib.is_deterministic_algorithms_warn_only_enabled(),
            )
        )
        seen.append(states)
    assert seen[0] == seen[1] == [(False, False), (True, True), (True, False), (False, False)]


def test_deterministic_flag_refuses_non_bools_like_pytorch(restore_flag):
    torch = pytest.importorskip("torch")
    for args, kwargs, name in (((1,), {}, "mode"), ((True,), {"warn_only": 1}, "warn_only")):
        with pytest.raises(TypeError):
            torch.use_deterministic_algorithms(*args, **kwargs)
        with pytest.raises(TypeError, match=rf"use_deterministic_algorithms: {name} must be bool"):
            nanotorch.use_deterministic_algorithms(*args, **kwargs)
    assert not nanotorch.are_deterministic_algorithms_enabled()


def test_deterministic_alert_raises_or_warns_only_for_float_scatter_on_cuda(restore_flag):
    cuda = nanotorch.device("cuda")
    alert_not_deterministic("index_add", cuda, nanotorch.float32)  # flag off: silent
    nanotorch.use_deterministic_algorithms(True)
    for dev, dtype in (
        (nanotorch.device("cpu"), nanotorch.float32),
        (nanotorch.device("strict:1"), nanotorch.float32),
        (cuda, nanotorch.int64),
    ):
        alert_not_deterministic("index_add", dev, dtype)  # deterministic there: silent
    with pytest.raises(
        RuntimeError,
        match=r"index_add.*cuda:0.*float32.*does not have a "
        r"deterministic implementation.*warn_only=True",
    ):
        alert_not_deterministic("index_add", cuda, nanotorch.float32)
    nanotorch.use_deterministic_algorithms(True, warn_only=True)
    with pytest.warns(UserWarning, match=r"index_add.*does not have a deterministic"):
        alert_not_deterministic("index_add", cuda, nanotorch.float32)


def test_deterministic_mode_changes_nothing_off_cuda(device, restore_flag):
    w = nanotorch.randn(5, 3, device=device, requires_grad=True)
    idx = nanotorch.tensor([1, 1, 4, 1], device=device)
    nanotorch.use_deterministic_algorithms(True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        if device.type == "cuda":
            with pytest.raises(RuntimeError, match=r"deterministic implementation"):
                nanotorch.nn.functional.embedding(idx, w).sum().backward()
            return
        nanotorch.nn.functional.embedding(idx, w).sum().backward()
    assert w.grad[:, 0].cpu().tolist() == [0.0, 3.0, 0.0, 0.0, 1.0]
