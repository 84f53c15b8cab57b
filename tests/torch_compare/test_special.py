"""``nanotorch.special`` against ``torch.special``: every function nanotorch builds gives
PyTorch's values and gradients in float64, and the list of functions nanotorch does not build
is exactly the one discovery/pytorch-differences.md names."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import nanotorch as nt  # noqa: E402 - after the skip

_rng = np.random.default_rng(77)
X = _rng.standard_normal((3, 4)) * 2
P = _rng.uniform(0.02, 0.98, (3, 4))
POS = _rng.uniform(0.2, 3.0, (3, 4))

CASES = [
    ("erf", [X], (), {}),
    ("erfc", [X], (), {}),
    ("erfinv", [P * 2 - 1], (), {}),
    ("erfcx", [X], (), {}),
    ("expit", [X], (), {}),
    ("logit", [P], (), {}),
    ("logit", [P], (), {"eps": 0.1}),
    ("gammaln", [POS], (), {}),
    ("digamma", [POS], (), {}),
    ("psi", [POS], (), {}),
    ("multigammaln", [POS + 2], (3,), {}),
    ("i0", [X], (), {}),
    ("i0e", [X], (), {}),
    ("i1", [X], (), {}),
    ("i1e", [X], (), {}),
    ("modified_bessel_i0", [X], (), {}),
    ("modified_bessel_i1", [X], (), {}),
    ("ndtr", [X], (), {}),
    ("ndtri", [P], (), {}),
    ("log_ndtr", [X * 5], (), {}),
    ("xlogy", [X, POS], (), {}),
    ("xlog1py", [X, POS], (), {}),
    ("entr", [np.array([-1.0, 0.0, 0.5, 2.0])], (), {}),
    ("sinc", [X], (), {}),
    ("round", [X * 10], (), {}),
    ("round", [X * 10], (), {"decimals": 1}),
    ("softmax", [X], (1,), {}),
    ("log_softmax", [X], (0,), {}),
    ("logsumexp", [X], (1,), {}),
    ("logsumexp", [X], (0,), {"keepdim": True}),
    ("expm1", [X], (), {}),
    ("exp2", [X], (), {}),
    ("log1p", [POS], (), {}),
    ("spherical_bessel_j0", [X * 3], (), {}),
    ("gammainc", [POS, POS.T.copy().reshape(3, 4)], (), {}),
    ("gammaincc", [POS, POS.T.copy().reshape(3, 4)], (), {}),
]


@pytest.mark.parametrize(
    "name,inputs,args,kwargs", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)]
)
def test_special_matches_torch_special(name, inputs, args, kwargs) -> None:
    # PyTorch has no derivative for these (nanotorch has: discovery/pytorch-differences.md).
    no_torch_grad = ("modified_bessel_i0", "modified_bessel_i1", "spherical_bessel_j0")
    with_grad = name not in ("round", "gammainc", "gammaincc", "entr", *no_torch_grad)
    ours = [nt.tensor(a, dtype=nt.float64, requires_grad=with_grad) for a in inputs]
    theirs = [torch.tensor(a, dtype=torch.float64, requires_grad=with_grad) for a in inputs]
    out = getattr(nt.special, name)(*ours, *args, **kwargs)
    ref = getattr(torch.special, name)(*theirs, *args, **kwargs)
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), rtol=1e-7, atol=1e-10)
    if with_grad:
        g = _rng.standard_normal(tuple(ref.shape))
        out.backward(nt.tensor(g, dtype=nt.float64))
        ref.backward(torch.tensor(g, dtype=torch.float64))
        for a, b in zip(ours, theirs, strict=True):
            np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-6, atol=1e-9)


def test_special_polygamma_and_tails_match_torch() -> None:
    x = np.array([0.3, 1.0, 4.5])
    for n in (0, 1, 3):
        np.testing.assert_allclose(
            nt.special.polygamma(n, nt.tensor(x, dtype=nt.float64)).numpy(),
            torch.special.polygamma(n, torch.tensor(x, dtype=torch.float64)).numpy(),
            rtol=1e-8,
        )
    far = np.array([-35.0, -20.0, 30.0, 1e3])
    for name in ("log_ndtr", "erfcx"):
        np.testing.assert_allclose(
            getattr(nt.special, name)(nt.tensor(far, dtype=nt.float64)).numpy(),
            getattr(torch.special, name)(torch.tensor(far, dtype=torch.float64)).numpy(),
            rtol=1e-10,
        )


def test_special_names_every_torch_special_function_or_documents_it() -> None:
    from pathlib import Path

    theirs = {
        n
        for n, f in vars(torch.special).items()
        if callable(f) and not n.startswith("_") and getattr(f, "__module__", "") != "typing"
    } - {"Tensor"}
    missing = sorted(n for n in theirs if not hasattr(nt.special, n))
    doc = (Path(__file__).parents[2] / "discovery" / "pytorch-differences.md").read_text()
    undocumented = [n for n in missing if f"`special.{n}`" not in doc]
    assert undocumented == [], f"list these in discovery/pytorch-differences.md: {undocumented}"
