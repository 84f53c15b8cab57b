"""The device value object, the backend registry and availability."""

from __future__ import annotations

import pytest

import nanotorch
from nanotorch.backend import (
    ArrayBackend,
    get_backend,
    known_kinds,
    register_backend,
    unregister_backend,
)


def test_device_canonicalises_default_index():
    assert nanotorch.device("cuda") == nanotorch.device("cuda:0")
    assert nanotorch.device("strict") is nanotorch.device("strict:0")
    assert nanotorch.device("cpu:0") is nanotorch.device("cpu")


@pytest.mark.parametrize("spec", ["cpu", "cuda:0", "cuda:3", "strict:0", "strict:1"])
def test_device_str_round_trips(spec):
    d = nanotorch.device(spec)
    assert str(d) == spec
    assert nanotorch.device(str(d)) is d


def test_device_is_frozen():
    d = nanotorch.device("cpu")
    with pytest.raises(AttributeError):
        d.index = 3  # type: ignore[misc]


def test_device_unknown_kind_lists_known_kinds():
    with pytest.raises(ValueError) as info:
        nanotorch.device("gpu")
    message = str(info.value)
    assert "gpu" in message
    for kind in ("cpu", "cuda", "strict"):
        assert kind in message


@pytest.mark.parametrize("spec", ["cuda:-1", "cuda:x", "cpu:1"])
def test_device_bad_index_raises(spec):
    with pytest.raises(ValueError):
        nanotorch.device(spec)


def test_devices_lists_cpu_and_strict():
    names = [str(d) for d in nanotorch.devices()]
    assert names[0] == "cpu"
    assert "strict:0" in names and "strict:1" in names


def test_cuda_queries_never_raise():
    assert isinstance(nanotorch.cuda.is_available(), bool)
    assert isinstance(nanotorch.cuda.device_count(), int)
    state = nanotorch.cuda.state()
    if not state["available"]:
        assert state["reason"]


def test_unavailable_device_names_the_reason():
    if nanotorch.cuda.is_available():
        pytest.skip("cuda is available here")
    with pytest.raises(RuntimeError, match="cuda:0 is not available"):
        nanotorch.zeros(2, device="cuda")


class EchoBackend(ArrayBackend):
    """A second NumPy backend under another name, as a plug-in would be."""

    def __init__(self, device):
        import array_api_compat.numpy as xp

        super().__init__(device, xp, "cpu")

    @staticmethod
    def is_available():
        return True, ""

    @staticmethod
    def count(kind):
        return 1


@pytest.fixture
def echo():
    """Register the ``echo`` kind for one test and take it out again afterwards."""
    register_backend("echo", EchoBackend)
    try:
        yield
    finally:
        unregister_backend("echo")


def test_register_backend_plugs_in_a_new_kind(echo):
    assert "echo" in known_kinds()
    x = nanotorch.ones(3, device="echo")
    assert str(x.device) == "echo:0"
    assert (x + x).tolist() == [2.0, 2.0, 2.0]
    assert isinstance(get_backend(nanotorch.device("echo")), EchoBackend)
    with pytest.raises(nanotorch.DeviceMismatchError):
        x + nanotorch.ones(3)


def test_register_backend_fixture_leaves_no_echo_kind_behind():
    # Runs after the test above (file order): its fixture has unregistered the kind.
    assert "echo" not in known_kinds()
