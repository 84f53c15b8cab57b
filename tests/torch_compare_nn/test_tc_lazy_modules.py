"""The ``Lazy*`` modules against PyTorch's: before the first forward their state_dict holds
uninitialized parameters and buffers under the eager class's keys; the first forward infers
the input size, materialises them and turns the module into the eager class, after which
torch's state_dict loads unchanged and outputs, running statistics and the gradients of
inputs and parameters agree in train and eval mode, float32 and float64."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch
from nn_compare import compare_module

import nanotorch as nt

R = np.random.default_rng(5)


def randn(*shape: int) -> np.ndarray:
    return R.standard_normal(shape)


# name, the lazy module (built from either library's nn), an input, the eager class it becomes,
# the attribute that holds the inferred size.
CASES: list[tuple[str, Callable[[Any], Any], np.ndarray, str, str]] = [
    ("LazyLinear", lambda nn: nn.LazyLinear(3), randn(2, 5, 4), "Linear", "in_features"),
    (
        "LazyLinear-nobias-1d",
        lambda nn: nn.LazyLinear(3, bias=False),
        randn(4),
        "Linear",
        "in_features",
    ),
    (
        "LazyConv1d",
        lambda nn: nn.LazyConv1d(4, 3, stride=2),
        randn(2, 2, 7),
        "Conv1d",
        "in_channels",
    ),
    (
        "LazyConv2d-groups-unbatched",
        lambda nn: nn.LazyConv2d(4, 3, padding=1, groups=2),
        randn(4, 5, 5),
        "Conv2d",
        "in_channels",
    ),
    (
        "LazyConv3d-nobias",
        lambda nn: nn.LazyConv3d(2, 2, bias=False),
        randn(1, 3, 3, 3, 4),
        "Conv3d",
        "in_channels",
    ),
    (
        "LazyConvTranspose1d",
        lambda nn: nn.LazyConvTranspose1d(3, 3, stride=2),
        randn(2, 2, 4),
        "ConvTranspose1d",
        "in_channels",
    ),
    (
        "LazyConvTranspose2d-groups",
        lambda nn: nn.LazyConvTranspose2d(4, 3, stride=2, padding=1, output_padding=1, groups=2),
        randn(1, 4, 3, 3),
        "ConvTranspose2d",
        "in_channels",
    ),
    (
        "LazyConvTranspose3d",
        lambda nn: nn.LazyConvTranspose3d(2, 2, stride=2),
        randn(1, 3, 2, 2, 2),
        "ConvTranspose3d",
        "in_channels",
    ),
    (
        "LazyBatchNorm1d",
        lambda nn: nn.LazyBatchNorm1d(),
        randn(6, 3),
        "BatchNorm1d",
        "num_features",
    ),
    (
        "LazyBatchNorm1d-3d-noaffine",
        lambda nn: nn.LazyBatchNorm1d(affine=False, momentum=None),
        randn(4, 3, 5),
        "BatchNorm1d",
        "num_features",
    ),
    (
        "LazyBatchNorm2d",
        lambda nn: nn.LazyBatchNorm2d(eps=1e-3),
        randn(3, 2, 4, 4),
        "BatchNorm2d",
        "num_features",
    ),
    (
        "LazyBatchNorm3d-nostats",
        lambda nn: nn.LazyBatchNorm3d(track_running_stats=False),
        randn(2, 2, 3, 3, 3),
        "BatchNorm3d",
        "num_features",
    ),
    (
        "LazyInstanceNorm1d",
        lambda nn: nn.LazyInstanceNorm1d(),
        randn(2, 3, 6),
        "InstanceNorm1d",
        "num_features",
    ),
    (
        "LazyInstanceNorm2d-plain",
        lambda nn: nn.LazyInstanceNorm2d(affine=False, track_running_stats=False),
        randn(2, 3, 4, 4),
        "InstanceNorm2d",
        "num_features",
    ),
    (
        "LazyInstanceNorm3d",
        lambda nn: nn.LazyInstanceNorm3d(momentum=0.3),
        randn(2, 2, 3, 3, 3),
        "InstanceNorm3d",
        "num_features",
    ),
]
IDS = [c[0] for c in CASES]


def _lib(nn: Any) -> Any:
    return torch if nn is torch.nn else nt


def _materialised(make: Callable[[Any], Any], x: np.ndarray) -> Callable[[Any], Any]:
    """``make`` followed by one forward on zeros of ``x``'s shape (the inference step)."""

    def build(nn: Any) -> Any:
        m = make(nn)
        m(_lib(nn).zeros(*x.shape))
        return m

    return build


@pytest.mark.parametrize(("make", "x", "eager", "attr"), [c[1:] for c in CASES], ids=IDS)
def test_lazy_module_state_before_forward_matches_torch(make, x, eager, attr):
    t_mod, n_mod = make(torch.nn), make(nt.nn)
    t_sd, n_sd = t_mod.state_dict(), n_mod.state_dict()
    assert list(n_sd) == list(t_sd)
    assert [type(v).__name__ for v in n_sd.values()] == [type(v).__name__ for v in t_sd.values()]
    # False only where there is nothing to materialise (an instance norm without affine
    # parameters or running statistics).
    assert n_mod.has_uninitialized_params() is t_mod.has_uninitialized_params()
    assert getattr(n_mod, attr) == getattr(t_mod, attr) == 0
    assert type(n_mod).__name__ == type(t_mod).__name__


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(("make", "x", "eager", "attr"), [c[1:] for c in CASES], ids=IDS)
def test_lazy_module_first_forward_becomes_the_eager_class(make, x, eager, attr, dtype):
    t_mod, n_mod = make(torch.nn).to(getattr(torch, dtype)), make(nt.nn).to(getattr(nt, dtype))
    t_mod(torch.tensor(x.astype(dtype)))
    n_mod(nt.tensor(x.astype(dtype)))
    assert type(n_mod) is getattr(nt.nn, eager)
    assert type(t_mod) is getattr(torch.nn, eager)
    # PyTorch leaves the size at 0 where nothing was materialised; nanotorch records it.
    assert getattr(n_mod, attr) == (getattr(t_mod, attr) or x.shape[1])
    t_sd, n_sd = t_mod.state_dict(), n_mod.state_dict()
    assert list(n_sd) == list(t_sd)
    for k in t_sd:
        assert tuple(n_sd[k].shape) == tuple(t_sd[k].shape), k
        assert n_sd[k].dtype.name == str(t_sd[k].dtype).removeprefix("torch."), k
        assert type(n_sd[k]).__name__ == "Tensor"
    for name, p in n_mod.named_parameters():
        assert type(p) is nt.nn.Parameter and p.requires_grad, name


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("train", [True, False], ids=["train", "eval"])
@pytest.mark.parametrize(("make", "x", "eager", "attr"), [c[1:] for c in CASES], ids=IDS)
def test_lazy_module_after_forward_matches_torch(make, x, eager, attr, train, dtype):
    compare_module(_materialised(make, x), [x], dtype, train)


@pytest.mark.parametrize(("make", "x", "eager", "attr"), [c[1:] for c in CASES], ids=IDS)
def test_lazy_module_loads_an_eager_state_dict(make, x, eager, attr):
    # torch's eager module's state materialises a fresh lazy module (PyTorch's load hook).
    t_mod = _materialised(make, x)(torch.nn).double()
    n_mod = make(nt.nn)
    n_mod.load_state_dict({k: nt.tensor(v.numpy().copy()) for k, v in t_mod.state_dict().items()})
    assert not n_mod.has_uninitialized_params()
    t_mod.eval()
    n_mod.eval()
    out = n_mod.double()(nt.tensor(x))
    np.testing.assert_allclose(
        out.detach().numpy(), t_mod(torch.tensor(x)).detach().numpy(), 1e-10, 1e-12
    )
    assert type(n_mod) is getattr(nt.nn, eager)


def test_lazy_uninitialized_parameter_access_raises_like_torch():
    for lib in (torch, nt):
        m = lib.nn.LazyLinear(3)
        with pytest.raises(RuntimeError, match="uninitialized parameter"):
            m.weight.shape  # noqa: B018
    assert repr(nt.nn.LazyLinear(3).weight) == repr(torch.nn.LazyLinear(3).weight)
    assert repr(nt.nn.LazyLinear(3)) == repr(torch.nn.LazyLinear(3))


def test_lazy_conv_groups_must_divide_inferred_channels_like_torch():
    for lib in (torch, nt):
        with pytest.raises(ValueError, match="in_channels"):
            lib.nn.LazyConv2d(4, 3, groups=2)(lib.zeros(1, 3, 5, 5))


def test_lazy_batchnorm_wrong_rank_raises_like_torch():
    for lib in (torch, nt):
        with pytest.raises(ValueError, match="4D input"):
            lib.nn.LazyBatchNorm2d()(lib.zeros(2, 3, 4))


def test_lazy_module_factory_dtype_is_kept():
    m = nt.nn.LazyLinear(2, dtype=nt.float64)
    m(nt.zeros(1, 3, dtype=nt.float64))
    assert m.weight.dtype is nt.float64 and m.bias.dtype is nt.float64


@pytest.mark.parametrize("rule", ["SGD", "Adam"])
def test_optimizer_built_before_materialisation_steps_the_materialised_params(rule):
    # As in PyTorch: the optimizer holds the parameter objects, which materialise in place.
    x = randn(4, 5)
    t_mod, n_mod = torch.nn.LazyLinear(3), nt.nn.LazyLinear(3)
    t_opt = getattr(torch.optim, rule)(t_mod.parameters(), lr=0.1)
    n_opt = getattr(nt.optim, rule)(n_mod.parameters(), lr=0.1)
    t_mod(torch.zeros(1, 5))
    n_mod(nt.zeros(1, 5))
    n_mod.load_state_dict({k: nt.tensor(v.numpy().copy()) for k, v in t_mod.state_dict().items()})
    assert [id(p) for p in n_opt.param_groups[0]["params"]] == [id(p) for p in n_mod.parameters()]
    for _ in range(2):
        t_opt.zero_grad()
        n_opt.zero_grad()
        (t_mod(torch.tensor(x, dtype=torch.float32)) ** 2).sum().backward()
        (n_mod(nt.tensor(x, dtype=nt.float32)) ** 2).sum().backward()
        t_opt.step()
        n_opt.step()
    for (k, a), (_, b) in zip(n_mod.state_dict().items(), t_mod.state_dict().items()):
        np.testing.assert_allclose(a.numpy(), b.numpy(), 2e-5, 2e-6, err_msg=k)
