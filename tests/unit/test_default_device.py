"""``set_default_device``: where factory functions put tensors when no ``device=`` is given,
as ``torch.set_default_device``. An explicit choice, so still no hidden move: tensors that
exist stay where they are, and ``from_numpy`` is the cpu's, as in PyTorch."""

from __future__ import annotations

import numpy as np
import pytest

import nanotorch as nt


@pytest.fixture
def default_strict():
    nt.set_default_device("strict:1")
    yield nt.device("strict:1")
    nt.set_default_device(None)


def test_factories_and_layers_use_the_default_device(default_strict):
    assert nt.get_default_device() == default_strict
    for t in (nt.zeros(2), nt.ones(2, 3), nt.randn(2), nt.arange(3), nt.tensor([1.0]),
              nt.full((2,), 3.0), nt.eye(2), nt.empty(2), nt.hann_window(4)):  # fmt: skip
        assert t.device == default_strict
    assert nt.nn.Linear(2, 3).weight.device == default_strict
    assert nt.as_tensor(np.ones(2)).device == default_strict  # a copy, as it must be
    assert nt.from_numpy(np.ones(2)).device == nt.device("cpu")
    assert nt.zeros(2, device="cpu").device == nt.device("cpu")  # explicit wins


def test_the_default_goes_back_to_the_cpu():
    nt.set_default_device("strict:1")
    nt.set_default_device(None)
    assert nt.get_default_device() == nt.device("cpu") and nt.zeros(1).device == nt.device("cpu")
    a = np.ones(2)
    assert nt.as_tensor(a).numpy() is a  # the cpu default shares memory again


def test_a_bad_default_device_is_refused():
    with pytest.raises((ValueError, RuntimeError), match="gpu"):
        nt.set_default_device("gpu")
    assert nt.get_default_device() == nt.device("cpu")


def test_an_unavailable_default_device_is_refused_when_set_not_at_the_first_tensor():
    if nt.cuda.is_available():
        pytest.skip("a GPU is here")
    try:
        with pytest.raises(RuntimeError, match=r"set_default_device: device cuda:0 is not avail"):
            nt.set_default_device("cuda")
        assert nt.get_default_device() == nt.device("cpu")
    finally:
        nt.set_default_device(None)


def test_a_device_as_a_context_manager_sets_the_default_inside_it():
    strict = nt.device("strict:1")
    with strict:
        assert nt.zeros(1).device == strict and nt.nn.Linear(1, 1).weight.device == strict
        with nt.device("cpu"):
            assert nt.zeros(1).device == nt.device("cpu")
        assert nt.get_default_device() == strict
    assert nt.get_default_device() == nt.device("cpu")
    with pytest.raises(RuntimeError, match="inside"), strict:
        raise RuntimeError("inside the block")
    assert nt.get_default_device() == nt.device("cpu")  # restored on an exception too
