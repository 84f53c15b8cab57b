"""nn.utils.parametrize, nn.utils.parametrizations and the older nn.utils.weight_norm /
spectral_norm against PyTorch: the same state_dict keys in the same order (a parametrized
attribute lives under ``parametrizations.<name>.original``), torch's state_dict loads, and
forward values, buffers after forward (spectral norm's power iteration from torch's u and v)
and gradients agree in float32 and float64; bad input raises PyTorch's error class."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
from nn_compare import close, compare_module, copy_state

import nanotorch as nt

R = np.random.default_rng(7)
# PyTorch marks its hook-based weight_norm deprecated; it is compared here all the same.
pytestmark = pytest.mark.filterwarnings("ignore:.*weight_norm.*:FutureWarning")


def _symmetric(lib: Any) -> Any:
    class Symmetric(lib.nn.Module):
        calls = 0

        def forward(self, x):
            type(self).calls += 1
            return x.triu() + x.triu(1).T

        def right_inverse(self, a):
            return a.triu()

    return Symmetric()


def _scale(lib: Any, factor: float) -> Any:
    class Scale(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("factor", lib.tensor(factor))

        def forward(self, x):
            return x * self.factor

        def right_inverse(self, a):
            return a / self.factor

    return Scale()


def _rank_one(lib: Any) -> Any:
    class RankOne(lib.nn.Module):
        def forward(self, x, y):
            return x.unsqueeze(-1) @ y.unsqueeze(-2)

        def right_inverse(self, z):
            return z[:, 0].clone(), z[0, :].clone()

    return RankOne()


def _lib(nn: Any) -> Any:
    """The library whose ``nn`` this is (compare_module passes ``nn`` to ``make``)."""
    return nt if nn is nt.nn else torch


def _both(make: Any) -> tuple[Any, Any]:
    torch.manual_seed(0)
    return make(nt.nn), make(torch.nn)


def _keys(mod: Any) -> list[str]:
    return list(mod.state_dict())


DTYPES = ["float32", "float64"]


# ---------------------------------------------------------------------- parametrize
def test_register_parametrization_layout_values_and_grads():
    def make(nn):
        lib = _lib(nn)
        m = lib.nn.Linear(4, 4)
        lib.nn.utils.parametrize.register_parametrization(m, "weight", _symmetric(lib))
        return m

    n_mod, t_mod = _both(make)
    assert _keys(n_mod) == _keys(t_mod) == ["bias", "parametrizations.weight.original"]
    assert type(n_mod).__name__ == type(t_mod).__name__ == "ParametrizedLinear"
    assert isinstance(n_mod, nt.nn.Linear)
    for p in (nt.nn.utils.parametrize, torch.nn.utils.parametrize):
        assert p.is_parametrized(n_mod if p is nt.nn.utils.parametrize else t_mod)
        assert p.is_parametrized(n_mod if p is nt.nn.utils.parametrize else t_mod, "weight")
        assert not p.is_parametrized(n_mod if p is nt.nn.utils.parametrize else t_mod, "bias")
    assert [k for k, _ in n_mod.named_parameters()] == [k for k, _ in t_mod.named_parameters()]
    for dtype in DTYPES:
        compare_module(make, [R.standard_normal((3, 4))], dtype, train=True)


def test_parametrized_attribute_assignment_goes_through_right_inverse():
    n_mod, t_mod = _both(lambda nn: nn.Linear(3, 3))
    copy_state(t_mod, n_mod)
    nt.nn.utils.parametrize.register_parametrization(n_mod, "weight", _symmetric(nt))
    torch.nn.utils.parametrize.register_parametrization(t_mod, "weight", _symmetric(torch))
    a = R.standard_normal((3, 3))
    a = a + a.T
    n_mod.weight = nt.tensor(a.astype("float32"))
    t_mod.weight = torch.tensor(a.astype("float32"))
    close(
        n_mod.parametrizations.weight.original,
        t_mod.parametrizations.weight.original,
        "float32",
        "original after assignment",
    )
    close(n_mod.weight, t_mod.weight, "float32", "weight after assignment")
    np.testing.assert_allclose(n_mod.weight.detach().numpy(), a, rtol=1e-6)


def test_chained_parametrizations_and_buffers_in_state_dict():
    def make(nn):
        lib = _lib(nn)
        m = lib.nn.Linear(3, 3)
        lib.nn.utils.parametrize.register_parametrization(m, "weight", _symmetric(lib))
        lib.nn.utils.parametrize.register_parametrization(m, "weight", _scale(lib, 2.0))
        return m

    n_mod, t_mod = _both(make)
    assert (
        _keys(n_mod)
        == _keys(t_mod)
        == [
            "bias",
            "parametrizations.weight.original",
            "parametrizations.weight.1.factor",
        ]
    )
    for dtype in DTYPES:
        compare_module(make, [R.standard_normal((2, 3))], dtype, train=True)


def test_parametrization_of_several_tensors_and_of_a_buffer():
    def make(nn):
        lib = _lib(nn)
        m = lib.nn.BatchNorm1d(3)
        lib.nn.utils.parametrize.register_parametrization(m, "running_var", _scale(lib, 3.0))
        lin = lib.nn.Linear(3, 3)
        lib.nn.utils.parametrize.register_parametrization(lin, "weight", _rank_one(lib))
        return lib.nn.Sequential(lin, m)

    n_mod, t_mod = _both(make)
    assert _keys(n_mod) == _keys(t_mod)
    assert "0.parametrizations.weight.original0" in _keys(n_mod)
    assert "1.parametrizations.running_var.original" in _keys(n_mod)
    assert dict(n_mod.named_buffers()).keys() == dict(t_mod.named_buffers()).keys()
    for dtype in DTYPES:
        compare_module(make, [R.standard_normal((4, 3))], dtype, train=False)


@pytest.mark.parametrize("leave_parametrized", [True, False])
def test_remove_parametrizations_like_torch(leave_parametrized):
    def make(nn):
        lib = _lib(nn)
        m = lib.nn.Linear(3, 3)
        lib.nn.utils.parametrize.register_parametrization(m, "weight", _symmetric(lib))
        return m

    n_mod, t_mod = _both(make)
    copy_state(t_mod, n_mod)
    n_orig = n_mod.parametrizations.weight.original
    nt.nn.utils.parametrize.remove_parametrizations(n_mod, "weight", leave_parametrized)
    torch.nn.utils.parametrize.remove_parametrizations(t_mod, "weight", leave_parametrized)
    assert _keys(n_mod) == _keys(t_mod) == ["bias", "weight"]
    assert type(n_mod) is nt.nn.Linear and not hasattr(n_mod, "parametrizations")
    assert n_mod.weight is n_orig  # the same Parameter object, so optimizers keep it
    assert isinstance(n_mod.weight, nt.nn.Parameter)
    close(n_mod.weight, t_mod.weight, "float32", "weight after removal")


def test_remove_parametrizations_of_several_tensors():
    def make(nn):
        lib = _lib(nn)
        m = lib.nn.Linear(3, 3)
        lib.nn.utils.parametrize.register_parametrization(m, "weight", _rank_one(lib))
        return m

    n_mod, t_mod = _both(make)
    copy_state(t_mod, n_mod)
    nt.nn.utils.parametrize.remove_parametrizations(n_mod, "weight")
    torch.nn.utils.parametrize.remove_parametrizations(t_mod, "weight")
    assert _keys(n_mod) == _keys(t_mod) == ["bias", "weight"]
    close(n_mod.weight, t_mod.weight, "float32", "weight after removal")
    with pytest.raises(ValueError):
        torch.nn.utils.parametrize.remove_parametrizations(make(torch.nn), "weight", False)
    with pytest.raises(ValueError, match="leave_parametrized=False.*several tensors"):
        nt.nn.utils.parametrize.remove_parametrizations(make(nt.nn), "weight", False)


def test_cached_computes_each_parametrization_once():
    m = nt.nn.Linear(3, 3)
    sym = _symmetric(nt)
    nt.nn.utils.parametrize.register_parametrization(m, "weight", sym)
    before = type(sym).calls
    with nt.nn.utils.parametrize.cached():
        w1, w2 = m.weight, m.weight
        assert w1 is w2
    assert type(sym).calls == before + 1
    assert m.weight is not w1  # outside the context each access recomputes
    assert type(sym).calls == before + 2


def test_parametrization_errors_like_torch():
    class Flatten:
        def __init__(self, lib):
            class F(lib.nn.Module):
                def forward(self, x):
                    return x.reshape(-1)

            self.mod = F()

    for lib, match in ((torch, None), (nt, "register_parametrization.*shape.*unsafe")):
        p = lib.nn.utils.parametrize
        with pytest.raises(ValueError, match=match):
            p.register_parametrization(lib.nn.Linear(2, 2), "weight", Flatten(lib).mod)
        with pytest.raises(ValueError, match=match and "no parameter, buffer.*'kernel'"):
            p.register_parametrization(lib.nn.Linear(2, 2), "kernel", _symmetric(lib))
        with pytest.raises(ValueError, match=match and "remove_parametrizations.*'weight'"):
            p.remove_parametrizations(lib.nn.Linear(2, 2), "weight")
    m = nt.nn.Linear(2, 2)
    nt.nn.utils.parametrize.register_parametrization(m, "weight", Flatten(nt).mod, unsafe=True)
    assert tuple(m.weight.shape) == (4,)


# ---------------------------------------------------------------------- parametrizations
WN_CASES = [
    ("linear", lambda nn: nn.Linear(5, 3), {}, (4, 5)),
    ("linear-dim1", lambda nn: nn.Linear(5, 3), {"dim": 1}, (4, 5)),
    ("linear-none", lambda nn: nn.Linear(5, 3), {"dim": None}, (4, 5)),
    ("conv2d", lambda nn: nn.Conv2d(2, 3, 3), {}, (2, 2, 5, 5)),
    ("conv2d-dim2", lambda nn: nn.Conv2d(2, 3, 3), {"dim": 2}, (2, 2, 5, 5)),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    ("make", "kw", "shape"), [c[1:] for c in WN_CASES], ids=[c[0] for c in WN_CASES]
)
def test_parametrizations_weight_norm_matches_torch(make, kw, shape, dtype):
    def wrapped(nn):
        return nn.utils.parametrizations.weight_norm(make(nn), **kw)

    n_mod, t_mod = wrapped(nt.nn), wrapped(torch.nn)
    assert _keys(n_mod) == _keys(t_mod)
    assert "parametrizations.weight.original0" in _keys(n_mod)
    compare_module(wrapped, [R.standard_normal(shape)], dtype, train=True)


SN_CASES = [
    ("linear", lambda nn: nn.Linear(5, 3), {}, (4, 5)),
    ("linear-3iter", lambda nn: nn.Linear(4, 6), {"n_power_iterations": 3}, (2, 4)),
    ("conv2d", lambda nn: nn.Conv2d(2, 3, 3), {}, (2, 2, 5, 5)),
    ("convT2d", lambda nn: nn.ConvTranspose2d(2, 3, 3), {}, (2, 2, 4, 4)),
    ("conv1d-dim1", lambda nn: nn.Conv1d(3, 4, 2), {"dim": 1, "eps": 1e-6}, (2, 3, 6)),
]


@pytest.mark.parametrize("train", [True, False])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    ("make", "kw", "shape"), [c[1:] for c in SN_CASES], ids=[c[0] for c in SN_CASES]
)
def test_parametrizations_spectral_norm_matches_torch(make, kw, shape, dtype, train):
    """Torch's u and v are loaded with the state_dict, so the power iteration run by the
    forward (in training mode) starts from the same vectors; the updated u and v are
    compared as buffers after forward."""

    def wrapped(nn):
        return nn.utils.parametrizations.spectral_norm(make(nn), **kw)

    n_mod, t_mod = wrapped(nt.nn), wrapped(torch.nn)
    assert _keys(n_mod) == _keys(t_mod)
    assert _keys(n_mod)[-2:] == ["parametrizations.weight.0._u", "parametrizations.weight.0._v"]
    compare_module(wrapped, [R.standard_normal(shape)], dtype, train=train)


def test_parametrizations_spectral_norm_of_a_vector_normalises_it():
    def wrapped(nn):
        return nn.utils.parametrizations.spectral_norm(nn.LayerNorm(4))

    compare_module(wrapped, [R.standard_normal((2, 4))], "float64", train=True)


# ---------------------------------------------------------------------- the older hooks
OLD_CASES = [
    ("linear", lambda nn: nn.Linear(5, 3), {}, (4, 5)),
    ("linear-none", lambda nn: nn.Linear(5, 3), {"dim": None}, (4, 5)),
    ("conv2d-dim1", lambda nn: nn.Conv2d(2, 3, 3), {"dim": 1}, (2, 2, 5, 5)),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    ("make", "kw", "shape"), [c[1:] for c in OLD_CASES], ids=[c[0] for c in OLD_CASES]
)
def test_old_weight_norm_matches_torch(make, kw, shape, dtype):
    def wrapped(nn):
        return nn.utils.weight_norm(make(nn), **kw)

    n_mod, t_mod = wrapped(nt.nn), wrapped(torch.nn)
    assert _keys(n_mod) == _keys(t_mod)
    assert _keys(n_mod)[-2:] == ["weight_g", "weight_v"]
    compare_module(wrapped, [R.standard_normal(shape)], dtype, train=True)


def test_old_remove_weight_norm_like_torch():
    n_mod, t_mod = _both(lambda nn: nn.utils.weight_norm(nn.Linear(3, 2)))
    copy_state(t_mod, n_mod)
    nt.nn.utils.remove_weight_norm(n_mod)
    torch.nn.utils.remove_weight_norm(t_mod)
    assert _keys(n_mod) == _keys(t_mod) == ["bias", "weight"]
    close(n_mod.weight, t_mod.weight, "float32", "weight after remove_weight_norm")
    assert isinstance(n_mod.weight, nt.nn.Parameter)
    for lib, cls in ((torch, ValueError), (nt, ValueError)):
        with pytest.raises(cls):
            lib.nn.utils.remove_weight_norm(lib.nn.Linear(2, 2))
    for lib in (torch, nt):
        with pytest.raises(RuntimeError):
            lib.nn.utils.weight_norm(lib.nn.utils.weight_norm(lib.nn.Linear(2, 2)))


OLD_SN_CASES = [
    ("linear", lambda nn: nn.Linear(5, 3), {}, (4, 5)),
    ("linear-2iter", lambda nn: nn.Linear(4, 6), {"n_power_iterations": 2}, (2, 4)),
    ("conv2d", lambda nn: nn.Conv2d(2, 3, 3), {}, (2, 2, 5, 5)),
    ("convT2d", lambda nn: nn.ConvTranspose2d(2, 3, 3), {}, (2, 2, 4, 4)),
]


@pytest.mark.parametrize("train", [True, False])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    ("make", "kw", "shape"), [c[1:] for c in OLD_SN_CASES], ids=[c[0] for c in OLD_SN_CASES]
)
def test_old_spectral_norm_matches_torch(make, kw, shape, dtype, train):
    def wrapped(nn):
        return nn.utils.spectral_norm(make(nn), **kw)

    n_mod, t_mod = wrapped(nt.nn), wrapped(torch.nn)
    assert _keys(n_mod) == _keys(t_mod)
    assert _keys(n_mod)[-3:] == ["weight_orig", "weight_u", "weight_v"]
    compare_module(wrapped, [R.standard_normal(shape)], dtype, train=train)


def test_old_spectral_norm_repeated_forwards_and_removal():
    n_mod, t_mod = _both(lambda nn: nn.utils.spectral_norm(nn.Linear(4, 3)))
    copy_state(t_mod, n_mod)
    x = R.standard_normal((2, 4)).astype("float32")
    for _ in range(3):
        close(n_mod(nt.tensor(x)), t_mod(torch.tensor(x)), "float32", "output")
    close(n_mod.weight_u, t_mod.weight_u, "float32", "u after three forwards")
    nt.nn.utils.remove_spectral_norm(n_mod)
    torch.nn.utils.remove_spectral_norm(t_mod)
    assert _keys(n_mod) == _keys(t_mod) == ["bias", "weight"]
    close(n_mod.weight, t_mod.weight, "float32", "weight after removal")
    with pytest.raises(ValueError):
        torch.nn.utils.remove_spectral_norm(t_mod)
    with pytest.raises(ValueError, match="spectral_norm of 'weight' not found"):
        nt.nn.utils.remove_spectral_norm(n_mod)


def test_parametrizations_weight_norm_loads_the_old_layout_like_torch():
    """A checkpoint saved with the hook-based weight_norm (weight_g, weight_v) loads into a
    module using the parametrization, its keys renamed by a load pre-hook, as in PyTorch."""
    torch.manual_seed(0)
    old = torch.nn.utils.weight_norm(torch.nn.Linear(3, 2))
    saved = old.state_dict()
    assert list(saved) == ["bias", "weight_g", "weight_v"]
    t_new = torch.nn.utils.parametrizations.weight_norm(torch.nn.Linear(3, 2))
    n_new = nt.nn.utils.parametrizations.weight_norm(nt.nn.Linear(3, 2))
    t_new.load_state_dict(saved)
    n_new.load_state_dict({k: nt.tensor(v.detach().numpy().copy()) for k, v in saved.items()})
    close(n_new.weight, t_new.weight, "float32", "weight after loading the old layout")
    close(n_new.weight, old.weight, "float32", "the old module's weight")


# ---------------------------------------------------------------------- orthogonal
ORTH_CASES = [
    ("square-matrix_exp", lambda nn: nn.Linear(4, 4), {}, (2, 4)),
    ("square-cayley", lambda nn: nn.Linear(4, 4), {"orthogonal_map": "cayley"}, (2, 4)),
    (
        "square-householder",
        lambda nn: nn.Linear(4, 4),
        {"orthogonal_map": "householder"},
        (2, 4),
    ),
    ("tall-householder", lambda nn: nn.Linear(3, 5), {}, (2, 3)),
    ("wide-householder", lambda nn: nn.Linear(5, 3), {}, (2, 5)),
    ("wide-matrix_exp", lambda nn: nn.Linear(5, 3), {"orthogonal_map": "matrix_exp"}, (2, 5)),
    ("tall-cayley", lambda nn: nn.Linear(3, 5), {"orthogonal_map": "cayley"}, (2, 3)),
    ("batch-matrix_exp", lambda nn: nn.Conv2d(2, 3, 3), {}, (2, 2, 5, 5)),
    (
        "untrivialized-householder",
        lambda nn: nn.Linear(3, 5),
        {"orthogonal_map": "householder", "use_trivialization": False},
        (2, 3),
    ),
    (
        "untrivialized-matrix_exp",
        lambda nn: nn.Linear(4, 4),
        {"use_trivialization": False},
        (2, 4),
    ),
]
ORTH_IDS = [c[0] for c in ORTH_CASES]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("make", "kw", "shape"), [c[1:] for c in ORTH_CASES], ids=ORTH_IDS)
def test_parametrizations_orthogonal_matches_torch(make, kw, shape, dtype):
    """Torch's stored tensors (``original`` and, with trivialization, the ``base`` buffer,
    which starts from a random draw for non-square weights) are loaded; ``original`` is moved
    away from its starting point so the orthogonal map itself is exercised; outputs and the
    gradient of ``original`` agree."""

    def wrapped(nn):
        lib = _lib(nn)
        m = nn.utils.parametrizations.orthogonal(make(nn), **kw)
        original = m.parametrizations.weight.original
        bump = np.random.default_rng(1).standard_normal(tuple(original.shape)) * 0.3
        with lib.no_grad():
            original.add_(lib.tensor(bump.astype("float32")))
        return m

    n_mod, t_mod = wrapped(nt.nn), wrapped(torch.nn)
    assert _keys(n_mod) == _keys(t_mod)
    compare_module(wrapped, [R.standard_normal(shape)], dtype, train=True)


@pytest.mark.parametrize(("make", "kw"), [c[1:3] for c in ORTH_CASES], ids=ORTH_IDS)
def test_parametrizations_orthogonal_weight_is_orthogonal(make, kw):
    m = nt.nn.utils.parametrizations.orthogonal(make(nt.nn).to(nt.float64), **kw)
    if not kw.get("use_trivialization", True) and kw.get("orthogonal_map") != "householder":
        return  # no right_inverse: the weight is not orthogonal until it is assigned one
    w = m.weight.detach().numpy()
    if w.shape[-2] < w.shape[-1]:
        w = np.swapaxes(w, -1, -2)
    gram = np.swapaxes(w, -1, -2) @ w
    np.testing.assert_allclose(gram, np.broadcast_to(np.eye(w.shape[-1]), gram.shape), atol=1e-12)


def test_parametrizations_orthogonal_assignment_like_torch():
    torch.manual_seed(0)
    q = torch.linalg.qr(torch.randn(4, 4, dtype=torch.float64))[0]
    t_mod = torch.nn.utils.parametrizations.orthogonal(torch.nn.Linear(4, 4).double())
    n_mod = nt.nn.utils.parametrizations.orthogonal(nt.nn.Linear(4, 4).to(nt.float64))
    t_mod.weight = q
    n_mod.weight = nt.tensor(q.numpy().copy())
    for (k, a), (_, b) in zip(n_mod.state_dict().items(), t_mod.state_dict().items()):
        if k.startswith("parametrizations"):  # original = -I, base = q
            close(a, b, "float64", k)
    close(n_mod.weight, q, "float64", "weight after assigning an orthogonal matrix")
    tall = torch.linalg.qr(torch.randn(5, 3, dtype=torch.float64))[0]
    n_tall = nt.nn.utils.parametrizations.orthogonal(nt.nn.Linear(3, 5).to(nt.float64))
    n_tall.weight = nt.tensor(tall.numpy().copy())
    close(n_tall.weight, tall, "float64", "tall weight after assignment")


def test_parametrizations_orthogonal_errors_like_torch():
    for lib in (torch, nt):
        with pytest.raises(ValueError):
            lib.nn.utils.parametrizations.orthogonal(lib.nn.LayerNorm(3))
        with pytest.raises(ValueError):
            lib.nn.utils.parametrizations.orthogonal(lib.nn.Linear(2, 2), orthogonal_map="qr")
        with pytest.raises(ValueError):
            lib.nn.utils.parametrizations.orthogonal(lib.nn.Linear(2, 2), name="kernel")


@pytest.mark.parametrize(
    ("shape", "kw"),
    [
        ((5, 3), {"orthogonal_map": "householder", "use_trivialization": False}),
        ((3, 5), {"orthogonal_map": "householder", "use_trivialization": False}),
        ((2, 4, 4), {"orthogonal_map": "householder", "use_trivialization": False}),
        ((4, 4), {}),
        ((2, 3, 3), {"orthogonal_map": "cayley"}),
    ],
    ids=["tall-compact-qr", "wide-compact-qr", "batch-compact-qr", "square-base", "batch-base"],
)
def test_parametrizations_orthogonal_registration_stores_what_torch_stores(shape, kw):
    """Registering keeps the weight's value: without trivialization as its compact
    Householder QR (LAPACK's geqrf, diagonal replaced by signs), with it as the base (the Q of
    its QR with a positive R diagonal) and original = -I; deterministic, so compared as is."""
    w = np.random.default_rng(4).standard_normal(shape)

    def holder(lib: Any) -> Any:
        class Holder(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.weight = lib.nn.Parameter(lib.tensor(w.copy()))

        return lib.nn.utils.parametrizations.orthogonal(Holder(), **kw)

    n_mod, t_mod = holder(nt), holder(torch)
    assert _keys(n_mod) == _keys(t_mod)
    for (k, a), (_, b) in zip(n_mod.state_dict().items(), t_mod.state_dict().items()):
        close(a, b, "float64", k)
    close(n_mod.weight, t_mod.weight, "float64", "weight")


def test_assigning_a_parameter_to_a_parametrized_name_raises_like_torch():
    for lib, match in ((torch, None), (nt, "weight.*parametrized.*remove_parametrizations")):
        m = lib.nn.Linear(2, 2)
        lib.nn.utils.parametrize.register_parametrization(m, "weight", _symmetric(lib))
        with pytest.raises(KeyError, match=match):
            m.weight = lib.nn.Parameter(lib.zeros(2, 2))
