"""Exact resume: a run interrupted after some epochs and resumed from its checkpoint ends
with bitwise the same weights as the run that was never interrupted (same seed, cpu)."""

from __future__ import annotations

import numpy as np
import pytest

import nanotorch
from nanotorch.runner import run_scenario
from nanotorch.train import Checkpointer, latest_checkpoint

SCENARIO = "moons"  # has shuffling and an lr schedule; trains in well under a second
EPOCHS = 5


class _Interrupt(Exception):
    pass


def _weights(model) -> dict[str, bytes]:
    return {k: v.detach().cpu().numpy().tobytes() for k, v in model.state_dict().items()}


def _stop_after(epoch: int):
    def callback(state):
        if state.epoch == epoch:
            raise _Interrupt

    return callback


def _interrupted_run(tmp_path, *device, seed: int, after: int = 2):
    """Train with a Checkpointer until an interrupt after epoch ``after``; the last checkpoint."""
    with pytest.raises(_Interrupt):
        run_scenario(
            SCENARIO,
            *device,
            epochs=EPOCHS,
            seed=seed,
            quiet=True,
            callbacks=[Checkpointer(tmp_path), _stop_after(after)],
        )
    return latest_checkpoint(tmp_path)


def test_checkpointer_keeps_the_last_n(tmp_path):
    run_scenario(
        SCENARIO, epochs=EPOCHS, quiet=True, callbacks=[Checkpointer(tmp_path, keep_last=2)]
    )
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["epoch-0004.safetensors", "epoch-0005.safetensors"]
    assert latest_checkpoint(tmp_path).name == "epoch-0005.safetensors"


def test_resume_after_interruption_is_bitwise_identical(tmp_path):
    uninterrupted = run_scenario(SCENARIO, epochs=EPOCHS, seed=3, quiet=True)
    checkpoint = _interrupted_run(tmp_path, seed=3)
    assert checkpoint.name == "epoch-0002.safetensors"

    resumed = run_scenario(SCENARIO, epochs=EPOCHS, seed=3, quiet=True, resume_from=checkpoint)
    assert resumed.state.epoch == EPOCHS
    assert _weights(resumed.model) == _weights(uninterrupted.model)
    assert resumed.history.test_loss == uninterrupted.history.test_loss


def test_resume_without_restoring_state_would_differ(tmp_path):
    """The check above can fail: training the last epochs from the saved weights alone,
    without optimizer and RNG state, ends somewhere else."""
    uninterrupted = run_scenario(SCENARIO, epochs=EPOCHS, seed=3, quiet=True)
    state = nanotorch.load(_interrupted_run(tmp_path, seed=3))
    state["optimizer"]["state"] = {}
    state["rng"] = {}
    partial = run_scenario(SCENARIO, epochs=EPOCHS, seed=3, quiet=True, resume_from=state)
    assert _weights(partial.model) != _weights(uninterrupted.model)


def test_resume_refuses_a_checkpoint_of_another_run(tmp_path):
    run_scenario(SCENARIO, epochs=2, quiet=True, callbacks=[Checkpointer(tmp_path)])
    with pytest.raises(ValueError, match="scenario"):
        run_scenario("xor", epochs=2, quiet=True, resume_from=latest_checkpoint(tmp_path))
    with pytest.raises(ValueError, match="epochs"):
        run_scenario(SCENARIO, epochs=7, quiet=True, resume_from=latest_checkpoint(tmp_path))


def test_resume_checkpoint_written_on_strict1_continues_on_cpu(tmp_path):
    """A run interrupted on the stand-in accelerator can be finished on the cpu: the
    checkpoint is mapped to the resuming device with explicit copies."""
    on_strict = run_scenario(SCENARIO, "strict:1", epochs=EPOCHS, seed=1, quiet=True)
    checkpoint = _interrupted_run(tmp_path, "strict:1", seed=1)
    resumed = run_scenario(
        SCENARIO, "cpu", epochs=EPOCHS, seed=1, quiet=True, resume_from=checkpoint
    )
    assert str(next(resumed.model.parameters()).device) == "cpu"
    for (name, a), b in zip(
        resumed.model.state_dict().items(), on_strict.model.state_dict().values()
    ):
        np.testing.assert_allclose(a.numpy(), b.cpu().numpy(), rtol=1e-5, atol=1e-6, err_msg=name)


def test_latest_checkpoint_ignores_other_files(tmp_path):
    (tmp_path / "notes.txt").write_text("x")
    (tmp_path / "epoch-0003.safetensors.tmp").write_bytes(b"partial")
    assert latest_checkpoint(tmp_path) is None
    np.save(tmp_path / "epoch-x.npy", np.zeros(1))
    assert latest_checkpoint(tmp_path) is None
