"""The device seam as backend capabilities (Note [Device context] in backend/base.py).

A test-only backend, ``counting``, is NumPy under another name with two devices. It counts
how often its context is entered and records every call into its namespace made outside
that context: on CuPy such a call would run on whichever GPU is current, so a ``cuda:1``
tensor's work would touch GPU 0. The fixture registers it and unregisters it afterwards, so
no other test sees the kind.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import array_api_compat.numpy as xp_numpy
import numpy as np
import pytest

import nanotorch as nt
from nanotorch.backend import (
    ArrayBackend,
    get_backend,
    known_kinds,
    register_backend,
    unregister_backend,
)
from nanotorch.backend.numpy_backend import NumpyBackend
from nanotorch.backend.strict_backend import StrictBackend

DLPACK_TYPE = 12  # kDLExtDev: a device type no built-in backend claims


class _Watched:
    """The NumPy namespace, noting each function called while the context is not entered."""

    def __init__(self, xp: Any, backend: CountingBackend) -> None:
        self._xp = xp
        self._backend = backend

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._xp, name)
        if not callable(attr) or isinstance(attr, type):
            return attr  # dtypes and constants
        backend = self._backend

        def call(*args: Any, **kwargs: Any) -> Any:
            if backend.watching and backend.depth == 0:
                backend.outside.append(name)
            return attr(*args, **kwargs)

        return call


class CountingBackend(NumpyBackend):
    dlpack_device_types = (DLPACK_TYPE,)

    def __init__(self, device: nt.Device) -> None:
        self.entries = 0
        self.depth = 0
        self.outside: list[str] = []
        self.watching = False
        ArrayBackend.__init__(self, device, _Watched(xp_numpy, self), "cpu")
        self.watching = True

    @staticmethod
    def is_available() -> tuple[bool, str]:
        return True, ""

    @staticmethod
    def count(kind: str) -> int:
        return 2

    @contextlib.contextmanager
    def context(self) -> Iterator[None]:
        self.entries += 1
        self.depth += 1
        try:
            yield
        finally:
            self.depth -= 1


@pytest.fixture
def counting() -> Iterator[CountingBackend]:
    register_backend("counting", CountingBackend)
    try:
        backend = get_backend(nt.device("counting:1"))
        assert isinstance(backend, CountingBackend)
        yield backend
    finally:
        unregister_backend("counting")


def test_device_seam_context_flag_is_set_from_an_override(counting):
    assert counting.needs_context is True
    assert get_backend(nt.device("cpu")).needs_context is False


def test_device_seam_apply_enters_the_backend_context(counting):
    a = nt.tensor([1.0, 2.0], device="counting:1")
    b = nt.tensor([3.0, 4.0], device="counting:1")
    before = counting.entries
    c = a + b
    assert c.device == nt.device("counting:1")
    assert c.tolist() == [4.0, 6.0]
    assert counting.entries == before + 1
    assert counting.outside == []


INPLACE = {
    "add_": lambda t, o: t.add_(o),
    "sub_": lambda t, o: t.sub_(o, alpha=2),
    "mul_": lambda t, o: t.mul_(o),
    "div_": lambda t, o: t.div_(o),
    "addcmul_": lambda t, o: t.addcmul_(o, o, value=0.5),
    "addcdiv_": lambda t, o: t.addcdiv_(o, o),
    "lerp_": lambda t, o: t.lerp_(o, 0.5),
    "fill_": lambda t, o: t.fill_(1.0),
    "zero_": lambda t, o: t.zero_(),
    "copy_": lambda t, o: t.copy_(o),
    "clamp_": lambda t, o: t.clamp_(0.0, 1.0),
    "setitem": lambda t, o: t.__setitem__(0, 5.0),
    "normal_": lambda t, o: t.normal_(),
    "uniform_": lambda t, o: t.uniform_(),
}


@pytest.mark.parametrize("name", sorted(INPLACE))
def test_device_seam_in_place_methods_run_in_the_device_context(counting, name):
    t = nt.tensor([1.0, 2.0, 3.0], device="counting:1")
    o = nt.tensor([2.0, 4.0, 8.0], device="counting:1")
    before = counting.entries
    INPLACE[name](t, o)
    assert counting.entries > before, f"{name} ran outside the device's context"
    assert counting.outside == []


def test_device_seam_backward_seed_runs_in_the_device_context(counting):
    x = nt.tensor([1.0, 2.0], device="counting:1", requires_grad=True)
    y = (x * 3.0).sum()
    counting.outside.clear()
    y.backward()
    assert x.grad.tolist() == [3.0, 3.0]
    assert counting.outside == []


def test_device_seam_training_step_calls_nothing_outside_the_context(counting):
    nt.manual_seed(0)
    model = nt.nn.Sequential(nt.nn.Linear(3, 4), nt.nn.ReLU(), nt.nn.Linear(4, 2))
    model.to("counting:1")
    opt = nt.optim.SGD(model.parameters(), lr=0.1)
    x = nt.randn(5, 3, device="counting:1")
    target = nt.tensor([0, 1, 1, 0, 1], device="counting:1")
    counting.outside.clear()
    for _ in range(2):
        opt.zero_grad()
        loss = nt.nn.functional.cross_entropy(model(x), target)
        loss.backward()
        opt.step()
    assert counting.outside == []


class _Producer:
    """A DLPack producer claiming to live on device type 12, index 1."""

    def __init__(self, array: np.ndarray) -> None:
        self._array = array

    def __dlpack__(self, **kwargs: Any) -> Any:
        return self._array.__dlpack__()

    def __dlpack_device__(self) -> tuple[int, int]:
        return (DLPACK_TYPE, 1)


def test_device_seam_from_dlpack_asks_the_backend_that_claims_the_device_type(counting):
    before = counting.entries
    t = nt.from_dlpack(_Producer(np.array([1.0, 2.0], dtype=np.float32)))
    assert t.device == nt.device("counting:1")
    assert t.tolist() == [1.0, 2.0]
    assert counting.entries > before


def test_device_seam_from_dlpack_unknown_device_type_names_it():
    with pytest.raises(TypeError, match=r"from_dlpack: .*device type 12.*no registered backend"):
        nt.from_dlpack(_Producer(np.zeros(2)))


def test_device_seam_unregister_backend_removes_the_kind():
    register_backend("counting", CountingBackend)
    assert "counting" in known_kinds()
    unregister_backend("counting")
    assert "counting" not in known_kinds()
    with pytest.raises(ValueError, match="unknown device kind 'counting'"):
        nt.device("counting:1")
    with pytest.raises(ValueError, match="unregister_backend: no backend .*'counting'"):
        unregister_backend("counting")


def test_device_seam_unregister_restores_a_replaced_built_in():
    register_backend("strict", CountingBackend)
    try:
        assert isinstance(get_backend(nt.device("strict:1")), CountingBackend)
    finally:
        unregister_backend("strict")
    assert isinstance(get_backend(nt.device("strict:1")), StrictBackend)
    assert (nt.ones(2, device="strict:1") * 2).tolist() == [2.0, 2.0]


def test_device_seam_cuda_backend_declares_its_capabilities():
    # Importing the module does not import CuPy, so this runs on every machine.
    from nanotorch.backend.cupy_backend import CupyBackend

    assert CupyBackend.context is not ArrayBackend.context  # -> needs_context is True
    assert {2, 3, 13} <= set(CupyBackend.dlpack_device_types)
    assert NumpyBackend.dlpack_device_types == (1,)
    assert StrictBackend.context is ArrayBackend.context  # no current device to set
