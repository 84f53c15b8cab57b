"""CPU/device parity: the same fixed-seed training gives the same loss history everywhere.

Every device starts from identical values: the initial weights and every batch are drawn on
the HOST with NumPy (never with a device's generator, which differs per backend), loaded with
``load_state_dict`` and moved with ``.to(device)``. Then an MLP and a small CNN train for
``STEPS`` SGD steps (momentum 0.9) with ``F.cross_entropy``, and the per-step losses of each
device are compared with those of a cpu run.

Tolerance: ``rtol=1e-4`` on the losses (``atol=1e-6`` for losses near zero) and
``atol=1e-4`` on the final parameters, over ``STEPS = 20`` steps in float32. NumPy and CuPy /
cuBLAS may sum in different orders, so each float32 op can differ by a few ulps
(eps = 1.2e-7). How far can that move a loss history? Running the same 20 steps in float64
instead of float32 moves the losses of both models by at most ~1e-7 relative (measured when
this test was written), so reordering alone stays orders of magnitude below 1e-4. A real bug is
far above it: a learning rate off by only 0.5% moves the losses by 1-2% relative. On cpu itself
the run must be bit-for-bit reproducible. On cuda this assumes float32 matmuls stay float32
(CuPy's default; ``CUPY_TF32=1`` would need a looser bound).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

import nanotorch
from nanotorch import nn
from nanotorch.nn import functional as F
from nanotorch.optim import SGD

STEPS = 20
BATCH = 16
LOSS_RTOL, LOSS_ATOL = 1e-4, 1e-6
PARAM_ATOL = 1e-4


def make_mlp() -> nn.Module:
    return nn.Sequential(
        nn.Linear(12, 32), nn.Tanh(), nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 5)
    )


def make_cnn() -> nn.Module:
    # (B, 1, 8, 8) -> conv 8x8 -> pool 4x4 -> conv 4x4 -> pool 2x2 -> 8*2*2 features -> 3
    return nn.Sequential(
        nn.Conv2d(1, 4, kernel_size=3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(4, 8, kernel_size=3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(8 * 2 * 2, 3),
    )


def host_weights(model: nn.Module, seed: int) -> dict[str, np.ndarray]:
    """Scaled-normal weights and small biases for every entry of the state dict, in order."""
    rng = np.random.default_rng(seed)
    weights = {}
    for name, t in model.state_dict().items():
        shape = tuple(t.shape)
        fan_in = int(np.prod(shape[1:])) if len(shape) > 1 else 1
        scale = 1.0 / np.sqrt(fan_in) if len(shape) > 1 else 0.1
        weights[name] = (rng.standard_normal(shape) * scale).astype(np.float32)
    return weights


def host_data(
    input_shape: tuple[int, ...], classes: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """A learnable task: labels from a fixed random linear teacher of the flattened input."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((4 * BATCH, *input_shape)).astype(np.float32)
    teacher = rng.standard_normal((int(np.prod(input_shape)), classes))
    y = np.argmax(x.reshape(len(x), -1) @ teacher, axis=1).astype(np.int64)
    return x, y


def train(
    make: Callable[[], nn.Module],
    input_shape: tuple[int, ...],
    classes: int,
    device: nanotorch.Device | str,
) -> tuple[list[float], dict[str, np.ndarray]]:
    """The fixed training run on ``device``: per-step losses and the final parameters."""
    model = make().to(device)
    model.load_state_dict(host_weights(model, seed=1))
    x, y = host_data(input_shape, classes, seed=2)
    opt = SGD(model.parameters(), lr=0.1, momentum=0.9)
    losses = []
    for step in range(STEPS):
        rows = slice((step % 4) * BATCH, (step % 4 + 1) * BATCH)
        xb = nanotorch.from_numpy(x[rows]).to(device)
        yb = nanotorch.from_numpy(y[rows]).to(device)
        opt.zero_grad()
        loss = F.cross_entropy(model(xb), yb)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    final = {name: t.cpu().numpy() for name, t in model.state_dict().items()}
    return losses, final


MODELS = {
    "mlp": (make_mlp, (12,), 5),
    "cnn": (make_cnn, (1, 8, 8), 3),
}


@pytest.mark.parametrize("model_name", list(MODELS))
def test_parity_loss_history_matches_cpu(device: nanotorch.Device, model_name: str) -> None:
    make, shape, classes = MODELS[model_name]
    ref_losses, ref_params = train(make, shape, classes, "cpu")
    # The reference must be a real training run, not a flat line.
    assert all(np.isfinite(ref_losses))
    assert np.mean(ref_losses[-4:]) < 0.8 * np.mean(ref_losses[:4])

    losses, params = train(make, shape, classes, device)
    assert len(losses) == STEPS
    if device == nanotorch.device("cpu"):
        assert losses == ref_losses  # the reference itself is reproducible, bit for bit
        for name in ref_params:
            np.testing.assert_array_equal(params[name], ref_params[name], err_msg=name)
        return
    np.testing.assert_allclose(
        losses, ref_losses, rtol=LOSS_RTOL, atol=LOSS_ATOL, err_msg=f"{model_name} on {device}"
    )
    for name in ref_params:
        np.testing.assert_allclose(
            params[name], ref_params[name], rtol=0, atol=PARAM_ATOL, err_msg=f"{name} on {device}"
        )
