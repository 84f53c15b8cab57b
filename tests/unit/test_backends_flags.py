"""``nanotorch.backends`` and the matmul-precision setting: PyTorch's switches, taken so
that training scripts written for it run; none changes a result here."""

from __future__ import annotations

import pytest

import nanotorch as nt


def test_backends_switches_exist_with_pytorchs_defaults_and_can_be_set():
    b = nt.backends
    assert (b.cudnn.benchmark, b.cudnn.deterministic, b.cudnn.enabled) == (False, False, True)
    assert b.cudnn.is_available() is False and b.cudnn.version() is None
    assert b.mps.is_available() is False and b.mps.is_built() is False
    assert b.cuda.matmul.allow_tf32 is False
    b.cudnn.benchmark = True
    b.cuda.matmul.allow_tf32 = True
    try:
        assert b.cudnn.benchmark is True and b.cuda.matmul.allow_tf32 is True
    finally:
        b.cudnn.benchmark = False
        b.cuda.matmul.allow_tf32 = False


def test_backends_refuse_a_misspelt_switch():
    with pytest.raises(AttributeError, match=r"cudnn has no switch 'benchmrk'"):
        nt.backends.cudnn.benchmrk = True


def test_float32_matmul_precision_is_kept_and_checked():
    assert nt.get_float32_matmul_precision() == "highest"
    nt.set_float32_matmul_precision("high")
    try:
        assert nt.get_float32_matmul_precision() == "high"
    finally:
        nt.set_float32_matmul_precision("highest")
    with pytest.raises(RuntimeError, match=r"set_float32_matmul_precision: .*'highest'"):
        nt.set_float32_matmul_precision("fast")
