"""Tests generated from the op specs (Note [Op specs]): every spec case on every device gets a
forward check against NumPy, gradcheck, gradgradcheck for smooth ops, and device agreement."""

from __future__ import annotations

import pytest

from nanotorch.testing import (
    check_device_agreement,
    check_forward,
    check_grad,
    missing_op_message,
    public_ops,
)
from specs import all_specs

SPECS = all_specs()


def _marks(spec):
    # A spec written before its op (the first step of instructions/adding-an-op.md) skips its
    # generated tests; test_every_spec_names_a_public_op is the one test that fails.
    if spec.exists():
        return ()
    reason = f"no op {spec.name!r} yet: see test_every_spec_names_a_public_op"
    return pytest.mark.skip(reason=reason)


CASES = [
    pytest.param(spec, case, id=f"{spec.name}-{case.id}", marks=_marks(spec))
    for spec in SPECS
    for case in spec.cases
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


def test_every_public_op_has_a_spec():
    # The public list is derived from each family's OPS (Note [Op registry]), so an exported
    # op cannot escape this check.
    missing = sorted(set(public_ops()) - {spec.name for spec in SPECS})
    assert not missing, f"public ops without an OpSpec in tests/specs: {missing}"


def test_every_spec_names_a_public_op():
    public = public_ops()
    unknown = sorted({spec.name for spec in SPECS} - set(public))
    assert not unknown, "\n".join(missing_op_message(name) for name in unknown)
