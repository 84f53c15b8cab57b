"""``input=``: PyTorch names the tensor argument of its functions ``input``, and code written
for it passes it by keyword (``torch.sum(input=x, dim=1)``, ``F.relu(input=h)``). nanotorch's
functions take the same keyword wherever PyTorch's do."""

from __future__ import annotations

import inspect
import re

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import nanotorch as nt  # noqa: E402
import nanotorch.nn.functional as NF  # noqa: E402


def _torch_first_parameter(fn, name: str) -> str | None:
    # Python-level functions have a signature; the C++ builtins start their docstring with
    # one ("exp(input, *, out=None) -> Tensor").
    try:
        params = list(inspect.signature(fn).parameters)
        return params[0] if params else None
    except (TypeError, ValueError):
        found = re.match(rf"\s*(?:torch\.)?{re.escape(name)}\((\w+)", fn.__doc__ or "")
        return found.group(1) if found else None


def _functions_that_differ(ours_module, theirs_module) -> list[str]:
    wrong = []
    for name in sorted(dir(ours_module)):
        ours, theirs = getattr(ours_module, name), getattr(theirs_module, name, None)
        if name.startswith("_") or theirs is None or not inspect.isfunction(ours):
            continue
        if _torch_first_parameter(theirs, name) != "input":
            continue
        params = list(inspect.signature(ours).parameters)
        if not params or params[0] != "input":
            wrong.append(f"{name}({', '.join(params[:2])}...)")
    return wrong


@pytest.mark.parametrize(
    ("ours", "theirs"), [(nt, torch), (NF, torch.nn.functional)], ids=["nanotorch", "F"]
)
def test_functions_name_their_tensor_argument_input_as_pytorch(ours, theirs):
    assert _functions_that_differ(ours, theirs) == []


X = np.array([[0.5, -1.25, 2.0], [3.0, 0.25, -0.75]], dtype=np.float32)

CALLS = [
    ("exp", {}), ("log1p", {}), ("tanh", {}), ("sigmoid", {}), ("abs", {}), ("neg", {}),
    ("floor", {}), ("erf", {}), ("square", {}), ("sum", {"dim": 1}), ("mean", {"dim": 0}),
    ("amax", {"dim": 1}), ("logsumexp", {"dim": 1}), ("prod", {}), ("std", {"dim": 1}),
    ("cumsum", {"dim": 1}), ("softmax", {"dim": 1}), ("clamp", {"min": 0.0}),
    ("flatten", {}), ("reshape", {"shape": (3, 2)}), ("transpose", {"dim0": 0, "dim1": 1}),
    ("unsqueeze", {"dim": 0}), ("flip", {"dims": [1]}), ("roll", {"shifts": 1, "dims": 1}),
    ("triu", {}), ("t", {}), ("clone", {}), ("zeros_like", {}), ("isnan", {}),
]  # fmt: skip


@pytest.mark.parametrize(("name", "kwargs"), CALLS, ids=[c[0] for c in CALLS])
def test_input_keyword_gives_pytorchs_values(name, kwargs):
    expected = getattr(torch, name)(input=torch.from_numpy(X.copy()), **kwargs)
    got = getattr(nt, name)(input=nt.tensor(X), **kwargs)
    np.testing.assert_allclose(got.numpy(), expected.numpy(), rtol=1e-6)


def test_functional_takes_input_by_keyword():
    h = nt.tensor(X)
    for name in ("relu", "gelu", "silu", "softplus", "leaky_relu", "sigmoid", "tanh"):
        expected = getattr(torch.nn.functional, name)(input=torch.from_numpy(X.copy()))
        np.testing.assert_allclose(
            getattr(NF, name)(input=h).numpy(), expected.numpy(), rtol=1e-6, err_msg=name
        )


def test_both_the_tensor_and_input_is_an_error():
    with pytest.raises(TypeError, match="input"):
        nt.exp(nt.tensor(X), input=nt.tensor(X))


def test_reshape_takes_the_shape_by_keyword_as_pytorch():
    x = nt.arange(6)
    assert nt.reshape(x, shape=(3, 2)).shape == torch.reshape(torch.arange(6), shape=(3, 2)).shape
    assert x.reshape(shape=(2, 3)).shape == (2, 3)
    with pytest.raises(TypeError, match=r"reshape: got the shape twice"):
        nt.reshape(x, 2, 3, shape=(3, 2))
