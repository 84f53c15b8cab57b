"""Parametrizations and the hook-based weight/spectral norms on every device: the same
state gives the same forward and gradients as on the cpu, buffers stay on the module's
device, and an optimizer built before ``register_parametrization`` keeps updating the
stored tensor."""

from __future__ import annotations

import numpy as np
import pytest

import nanotorch as nt
from nanotorch import nn
from nanotorch.nn.utils import parametrizations, parametrize

WRAPS = {
    "weight_norm": lambda m: parametrizations.weight_norm(m),
    "spectral_norm": lambda m: parametrizations.spectral_norm(m),
    "old_weight_norm": lambda m: nn.utils.weight_norm(m, dim=None),
    "old_spectral_norm": lambda m: nn.utils.spectral_norm(m, n_power_iterations=2),
    "orthogonal_householder": lambda m: parametrizations.orthogonal(m),
    "orthogonal_matrix_exp": lambda m: parametrizations.orthogonal(m, "weight", "matrix_exp"),
    "orthogonal_cayley": lambda m: parametrizations.orthogonal(m, "weight", "cayley"),
    "orthogonal_compact_qr": lambda m: parametrizations.orthogonal(
        m, orthogonal_map="householder", use_trivialization=False
    ),
}


def _run(device, wrap, state=None):
    nt.manual_seed(3)
    m = wrap(nn.Linear(4, 3).to(nt.float64).to(device))  # registered on the device
    if state is not None:
        m.load_state_dict(state)
    x = nt.tensor(np.linspace(-1, 1, 8).reshape(2, 4), device=device)
    out = m(x)
    out.sum().backward()
    grads = {k: p.grad.detach().to("cpu").numpy() for k, p in m.named_parameters()}
    return m, out.detach().to("cpu").numpy(), grads


@pytest.mark.parametrize("name", list(WRAPS))
def test_norms_agree_with_cpu_on_every_device(device, name):
    first, _, _ = _run("cpu", WRAPS[name])
    state = {k: v.numpy().copy() for k, v in first.state_dict().items()}
    _, ref_out, ref_grads = _run("cpu", WRAPS[name], {k: nt.tensor(v) for k, v in state.items()})
    m, out, grads = _run(device, WRAPS[name], {k: nt.tensor(v) for k, v in state.items()})
    np.testing.assert_allclose(out, ref_out, rtol=1e-12)
    assert grads.keys() == ref_grads.keys()
    for k, g in ref_grads.items():
        np.testing.assert_allclose(grads[k], g, rtol=1e-10, atol=1e-12)
    for _, b in m.named_buffers():
        assert b.device == device


def test_optimizer_built_before_parametrization_updates_the_original():
    m = nn.Linear(2, 2)
    w = m.weight
    opt = nt.optim.SGD(m.parameters(), lr=0.1)

    class Double(nn.Module):
        def forward(self, x):
            return 2 * x

    parametrize.register_parametrization(m, "weight", Double())
    assert m.parametrizations.weight.original is w
    before = w.detach().numpy().copy()
    m(nt.ones(1, 2)).sum().backward()
    opt.step()
    assert not np.allclose(w.detach().numpy(), before)
    parametrize.remove_parametrizations(m, "weight", leave_parametrized=False)
    assert m.weight is w


def test_parametrized_module_deep_copies_but_does_not_pickle():
    import copy
    import pickle

    m = parametrizations.spectral_norm(nn.Linear(3, 2))
    twin = copy.deepcopy(m)
    assert type(twin) is type(m) and parametrize.is_parametrized(twin, "weight")
    assert twin.parametrizations.weight.original is not m.parametrizations.weight.original
    np.testing.assert_array_equal(twin.weight.detach().numpy(), m.weight.detach().numpy())
    with pytest.raises(RuntimeError, match="state_dict"):
        pickle.dumps(m)
