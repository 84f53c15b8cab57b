"""``mpiexec -n 2 nanotorch train digits-cnn --distributed``: one model trained by two
processes; only rank 0 prints and writes; ``--resume`` continues; a rank that fails ends
the job with one line naming it (discovery/data-parallel.md)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mpi_launch import mpiexec_path, needs_mpi

pytestmark = needs_mpi


def _train(*flags: str, timeout: float = 120) -> tuple[subprocess.CompletedProcess[str], float]:
    exe = mpiexec_path()
    assert exe is not None
    cmd = [exe, "-n", "2", sys.executable, "-m", "nanotorch", "train", "digits-cnn"]
    env = {**os.environ, "PYTHONWARNINGS": "ignore", "OMP_NUM_THREADS": "1"}
    start = time.monotonic()
    proc = subprocess.run(
        [*cmd, "--distributed", "--quiet", *flags],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )
    return proc, time.monotonic() - start


def test_cli_distributed_trains_once_on_two_ranks_and_resumes(tmp_path: Path) -> None:
    ckpt, out = tmp_path / "ckpt", tmp_path / "out"
    flags = ("--epochs", "2", "--checkpoint-dir", str(ckpt), "--out", str(out))
    proc, _ = _train(*flags)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # only rank 0 prints: one report, naming the split of the batch
    assert proc.stdout.count("after:") == 1 and proc.stdout.count("digits-cnn:") == 1
    assert "batch 32 (2 ranks x 16)" in proc.stdout
    first = json.loads((out / "digits-cnn.json").read_text())
    assert first["epochs"] == 2 and first["ranks"] == 2
    assert first["after"]["test_metric"] > 0.5
    assert sorted(p.name for p in ckpt.glob("epoch-*")) == [
        "epoch-0001.safetensors",
        "epoch-0002.safetensors",
    ]

    # lose the last epoch, resume it on two ranks: the same history, bit for bit
    (ckpt / "epoch-0002.safetensors").unlink()
    shutil.rmtree(out)
    proc, _ = _train(*flags, "--resume")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "resumed from" in proc.stdout and "at epoch 1" in proc.stdout
    assert json.loads((out / "digits-cnn.json").read_text())["history"] == first["history"]

    # a fresh run into that folder is refused by rank 0: the job ends at once, exit 2,
    # with one line naming the rank
    proc, elapsed = _train("--epochs", "2", "--checkpoint-dir", str(ckpt))
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert elapsed < 30
    lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("nanotorch")]
    assert len(lines) == 1, proc.stderr
    assert "rank 0 of 2" in lines[0] and "already holds checkpoints" in lines[0]


def test_cli_distributed_resume_refuses_another_number_of_ranks(tmp_path: Path) -> None:
    ckpt = tmp_path / "ckpt"
    single = subprocess.run(
        [sys.executable, "-m", "nanotorch", "train", "xor", "--epochs", "1", "--quiet"]
        + ["--checkpoint-dir", str(ckpt)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert single.returncode == 0, single.stderr
    exe = mpiexec_path()
    assert exe is not None
    proc = subprocess.run(
        [exe, "-n", "2", sys.executable, "-m", "nanotorch", "train", "xor", "--epochs", "1"]
        + ["--distributed", "--quiet", "--checkpoint-dir", str(ckpt), "--resume"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "1 rank" in proc.stderr and "2" in proc.stderr and "--distributed" in proc.stderr


@pytest.mark.parametrize("flag", ["--distributed"])
def test_cli_distributed_is_a_train_flag(flag: str) -> None:
    from nanotorch.cli import build_parser

    args = build_parser().parse_args(["train", "digits-cnn", flag])
    assert args.distributed is True
