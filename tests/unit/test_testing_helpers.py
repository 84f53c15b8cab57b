"""The spec checks in nanotorch.testing never pass by checking nothing: a spec case with
nothing to compare or differentiate, or outputs that do not pair up, is an error."""

from __future__ import annotations

import numpy as np
import pytest

import nanotorch as nt
from nanotorch.testing import Case, OpSpec, check_device_agreement, check_forward, check_grad


def test_testing_check_forward_without_reference_raises():
    spec = OpSpec("exp", None, [Case(np.ones(2))])
    with pytest.raises(ValueError, match=r"exp\[.*\]: .*no NumPy reference.*ref"):
        check_forward(spec, spec.cases[0], "cpu")


def test_testing_check_grad_without_a_floating_input_raises():
    spec = OpSpec("one_hot", None, [Case(np.array([0, 2]), num_classes=3)])
    with pytest.raises(ValueError, match=r"one_hot\[.*\]: no floating input.*grad=False"):
        check_grad(spec, spec.cases[0], "cpu")


def test_testing_check_forward_raises_when_outputs_and_references_differ_in_number():
    spec = OpSpec("split", lambda x, split_size_or_sections: [x], [Case(np.ones(4), 2)])
    with pytest.raises(AssertionError, match=r"split: 2 outputs, reference 1"):
        check_forward(spec, spec.cases[0], "cpu")


def test_testing_device_agreement_raises_when_output_counts_differ():
    def fn(x):
        return (x, x) if x.device.type == "cpu" else (x,)

    spec = OpSpec("clone", np.copy, [Case(np.ones(2))], fn=fn)
    with pytest.raises(ValueError, match="zip"):
        check_device_agreement(spec, spec.cases[0], nt.device("strict:1"))
