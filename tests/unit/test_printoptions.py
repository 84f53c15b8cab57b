"""``set_printoptions`` and the tensor repr: PyTorch's number formatting, side by side."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

import nanotorch

torch = pytest.importorskip("torch")


@pytest.fixture(autouse=True)
def default_options() -> Iterator[None]:
    yield
    nanotorch.set_printoptions(profile="default")
    torch.set_printoptions(profile="default")


def _body(text: str) -> str:
    """The values part of a repr: ``tensor(`` and the trailing keyword suffixes cut off."""
    text = re.sub(r",\s*(dtype|device|size)=.*\)$", "", text, flags=re.S)
    return text.removeprefix("tensor(").removesuffix(")")


VALUES: list[Any] = [
    [1.0, 2.5, 3.14159265],
    [1e-8, 1.0],
    [[1.0, 2.0], [3.0, 4.0]],
    [-1.5, 0.0, 1e5, float("nan"), float("inf")],
    [[1.0, 2e9], [-3.0, 4.0]],
    [True, False],
    [3, -120, 7],
    2.5,
    [],
    np.linspace(-3, 7, 2000).astype(np.float32),
    np.arange(60, dtype=np.int64).reshape(3, 4, 5),
    (np.arange(2 * 600, dtype=np.float32).reshape(2, 600) / 7),
]


def _pair(v: Any) -> tuple[Any, Any]:
    return nanotorch.tensor(v), torch.tensor(v)


@pytest.mark.parametrize("index", range(len(VALUES)))
def test_printoptions_default_repr_numbers_match_pytorch(index):
    ours, theirs = _pair(VALUES[index])
    assert _body(repr(ours)) == _body(repr(theirs))


OPTIONS = [
    {"precision": 2},
    {"precision": 6, "sci_mode": True},
    {"sci_mode": False},
    {"threshold": 5, "edgeitems": 1},
    {"threshold": 5, "edgeitems": 0},
    {"linewidth": 30},
    {"profile": "short"},
    {"profile": "full", "linewidth": 200},
]


@pytest.mark.parametrize(
    "options", OPTIONS, ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items())
)
def test_printoptions_change_the_repr_as_in_pytorch(options):
    nanotorch.set_printoptions(**options)
    torch.set_printoptions(**options)
    for v in VALUES:
        ours, theirs = _pair(v)
        assert _body(repr(ours)) == _body(repr(theirs)), v
        assert _body(str(ours)) == _body(str(theirs)), v


def test_printoptions_keep_nanotorchs_suffix_and_wrap_it_like_pytorch():
    t = nanotorch.tensor([1.0, 2.0], dtype=nanotorch.float64, requires_grad=True)
    assert repr(t) == "tensor([1., 2.], dtype=float64, device='cpu', requires_grad=True)"
    assert repr(nanotorch.zeros(0, 3)) == "tensor([], size=(0, 3), dtype=float32, device='cpu')"
    nanotorch.set_printoptions(linewidth=30)
    # PyTorch wraps its own suffixes the same way: 'tensor([1., 2.],\n       dtype=torch...'
    assert repr(t) == (
        "tensor([1., 2.],\n       dtype=float64,\n       device='cpu',\n       requires_grad=True)"
    )


def test_printoptions_refuse_bad_values():
    with pytest.raises(ValueError, match=r"set_printoptions: profile.*'long'.*default"):
        nanotorch.set_printoptions(profile="long")
    with pytest.raises(TypeError, match=r"set_printoptions: precision must be an int"):
        nanotorch.set_printoptions(precision=2.5)
    nanotorch.set_printoptions(threshold=math.inf)
    assert "..." not in repr(nanotorch.zeros(5000))
