"""Tests generated from the op specs (Note [Op specs]): every spec case on every device gets a
forward check against NumPy, gradcheck, gradgradcheck for smooth ops, and device agreement."""

from __future__ import annotations

import pytest

import nanotorch
from nanotorch.testing import check_device_agreement, check_forward, check_grad
from specs import all_specs

SPECS = all_specs()
CASES = [
    pytest.param(spec, case, id=f"{spec.name}-{case.id}") for spec in SPECS for case in spec.cases
]
GRAD_CASES = [p for p in CASES if p.values[0].grad]
GRADGRAD_CASES = [p for p in CASES if p.values[0].gradgrad]


@pytest.mark.parametrize("spec,case", CASES)
def test_op_forward_matches_numpy(spec, case, device):
    check_forward(spec, case, device)


@pytest.mark.parametrize("spec,case", GRAD_CASES)
def test_op_gradcheck(spec, case, device):
    check_grad(spec, case, device)


@pytest.mark.parametrize("spec,case", GRADGRAD_CASES)
def test_op_gradgradcheck(spec, case, device):
    check_grad(spec, case, device, second_order=True)


@pytest.mark.not_on("cpu")  # agreement is checked against cpu
@pytest.mark.parametrize("spec,case", CASES)
def test_op_device_agreement(spec, case, device):
    check_device_agreement(spec, case, device)


def _public_op_names():
    names = set(nanotorch.ops.PUBLIC_OPS)
    for module_name in ("nanotorch.nn.functional",):
        try:
            module = __import__(module_name, fromlist=["PUBLIC_OPS"])
        except ModuleNotFoundError:
            continue
        names |= set(getattr(module, "PUBLIC_OPS", ()))
    return names


def test_every_public_op_has_a_spec():
    covered = {spec.name for spec in SPECS}
    # Indexing is one op reached three ways; each way has its own spec.
    covered |= {"getitem"} if {"getitem_tensor", "getitem_mask"} <= covered else set()
    missing = sorted(_public_op_names() - covered)
    assert not missing, f"public ops without an OpSpec in tests/specs: {missing}"
