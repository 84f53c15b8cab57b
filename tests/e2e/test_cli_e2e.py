"""The command line in a subprocess, as a user runs it: console scripts, ``python -m``,
the plot script; exit codes, output and the PNG files it writes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from matplotlib.image import imread

from nanotorch.scenarios import scenario_names

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def _run(*argv: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    return subprocess.run(
        list(argv), capture_output=True, text=True, timeout=300, cwd=cwd or ROOT, env=env
    )


def _script(name: str) -> str:
    path = BIN / name
    if not path.exists():
        pytest.skip(f"console script {name} is not installed in {BIN}")
    return str(path)


def _assert_pngs(paths: list[Path]) -> None:
    assert paths
    for path in paths:
        image = imread(path)
        assert image.ndim == 3 and image.shape[0] > 100 and image.shape[1] > 100


def test_e2e_train_console_script_reports_accuracy():
    proc = _run(_script("nanotorch"), "train", "xor", "--seed", "0")
    assert proc.returncode == 0, proc.stderr
    assert "before:" in proc.stdout and "after:" in proc.stdout
    assert "test accuracy" in proc.stdout and "wall time" in proc.stdout
    assert "(target accuracy >= 0.95: met)" in proc.stdout


def test_e2e_python_dash_m_lists_scenarios():
    proc = _run(sys.executable, "-m", "nanotorch", "list")
    assert proc.returncode == 0, proc.stderr
    names = [line.split()[0] for line in proc.stdout.splitlines() if line.strip()]
    # Every registered scenario, in registry order (the unit tests pin the built-in names).
    assert names == scenario_names()


def test_e2e_plot_writes_readable_pngs(tmp_path):
    proc = _run(
        _script("nanotorch"),
        "plot",
        "linear",
        "moons",
        "--epochs",
        "2",
        "--out",
        str(tmp_path),
        "--quiet",
    )
    assert proc.returncode == 0, proc.stderr
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == sorted(
        [
            "linear-data.png",
            "linear-fit.png",
            "linear-curves.png",
            "moons-data.png",
            "moons-boundary.png",
            "moons-curves.png",
        ]
    )
    _assert_pngs(list(tmp_path.iterdir()))


def test_e2e_nanotorch_plot_and_script_do_the_same(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    first = _run(_script("nanotorch-plot"), "sine", "--epochs", "1", "--out", str(a))
    second = _run(
        sys.executable,
        str(ROOT / "scripts" / "plot_scenarios.py"),
        "sine",
        "--epochs",
        "1",
        "--out",
        str(b),
    )
    assert first.returncode == 0, first.stderr
    assert second.returncode == 0, second.stderr
    assert sorted(p.name for p in a.iterdir()) == sorted(p.name for p in b.iterdir())
    _assert_pngs(list(a.iterdir()) + list(b.iterdir()))


def test_e2e_doctor_exits_0_and_reports_cuda():
    proc = _run(_script("nanotorch"), "doctor")
    assert proc.returncode == 0, proc.stderr
    assert "cuda" in proc.stdout and "NumPy" in proc.stdout and "cpu: ok" in proc.stdout


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("train", "no-such-scenario"), "unknown scenario 'no-such-scenario'; choose one of:"),
        (("train", "xor", "--device", "gpu"), "unknown device 'gpu'; choose one of: cpu"),
    ],
)
def test_e2e_bad_input_exit_2_one_line_no_traceback(argv, message):
    proc = _run(_script("nanotorch"), *argv)
    assert proc.returncode == 2
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr and proc.stderr.count("\n") == 1


def test_e2e_checkpoint_dir_and_resume_reach_the_same_final_weights(tmp_path):
    """Interruption after epoch 2 is simulated by keeping only that epoch's checkpoint;
    ``--resume`` must then finish with bitwise the final checkpoint of the full run."""
    import shutil

    import numpy as np

    import nanotorch

    full, cut = tmp_path / "full", tmp_path / "cut"
    args = ["train", "moons", "--epochs", "4", "--seed", "2", "--quiet"]
    proc = _run(_script("nanotorch"), *args, "--checkpoint-dir", str(full), "--keep-last", "4")
    assert proc.returncode == 0, proc.stderr
    # The folder also holds the run's lock file, .nanotorch.lock (Note [A run owns its
    # checkpoints]).
    assert sorted(p.name for p in full.glob("epoch-*")) == [
        f"epoch-000{i}.safetensors" for i in range(1, 5)
    ]
    cut.mkdir()
    shutil.copy(full / "epoch-0002.safetensors", cut)
    proc = _run(_script("nanotorch"), *args, "--checkpoint-dir", str(cut), "--resume")
    assert proc.returncode == 0, proc.stderr
    assert "resumed from" in proc.stdout and "epoch 2" in proc.stdout
    a = nanotorch.load(full / "epoch-0004.safetensors")["model"]
    b = nanotorch.load(cut / "epoch-0004.safetensors")["model"]
    assert a.keys() == b.keys()
    for key in a:
        assert np.array_equal(a[key].numpy(), b[key].numpy()), key


def test_e2e_resume_without_a_checkpoint_exits_2(tmp_path):
    proc = _run(
        _script("nanotorch"),
        "train",
        "xor",
        "--resume",
        "--checkpoint-dir",
        str(tmp_path / "empty"),
    )
    assert proc.returncode == 2
    assert "no checkpoint" in proc.stderr and "Traceback" not in proc.stderr
    proc = _run(_script("nanotorch"), "train", "xor", "--resume")
    assert proc.returncode == 2 and "--checkpoint-dir" in proc.stderr
