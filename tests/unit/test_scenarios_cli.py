"""The ``nanotorch`` command in-process: its output and exit codes for good and bad input."""

from __future__ import annotations

import json

import pytest

from nanotorch import cli
from nanotorch.scenarios import scenario_names


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_list_shows_every_scenario_with_its_target(capsys):
    code, out, err = _run(capsys, "list")
    assert code == 0 and err == ""
    lines = out.splitlines()
    for name in scenario_names():
        assert any(line.split()[0] == name for line in lines if line.strip())
    assert "accuracy >= 0.97" in out and "r2 >= " in out


def test_cli_train_prints_before_after_and_wall_time(capsys, tmp_path):
    code, out, err = _run(capsys, "train", "xor", "--seed", "1", "--out", str(tmp_path))
    assert code == 0, err
    assert "before:" in out and "after:" in out and "wall time" in out
    assert "test accuracy" in out
    summary = json.loads((tmp_path / "xor.json").read_text())
    assert summary["scenario"] == "xor" and summary["seed"] == 1 and summary["device"] == "cpu"
    assert len(summary["history"]["train_loss"]) == summary["epochs"]
    assert f"{100 * summary['after']['test_metric']:.2f}%" in out


def test_cli_train_epochs_override(capsys, tmp_path):
    code, _, _ = _run(capsys, "train", "xor", "--epochs", "2", "--out", str(tmp_path), "--quiet")
    assert code == 0
    assert json.loads((tmp_path / "xor.json").read_text())["epochs"] == 2


@pytest.mark.parametrize(
    ("argv", "pattern"),
    [
        (["train", "nope"], "unknown scenario 'nope'; choose one of: "),
        (["train", "xor", "--device", "gpu"], "unknown device 'gpu'; choose one of: cpu"),
        (["train", "xor", "--device", "strict:7"], "device strict:7 is not available"),
        (["plot", "xor", "nope"], "unknown scenario 'nope'"),
        (["train", "xor", "--epochs", "0"], "--epochs must be a positive"),
    ],
)
def test_cli_bad_input_is_one_line_and_exit_2(capsys, argv, pattern):
    code, out, err = _run(capsys, *argv)
    assert code == 2
    assert err.startswith("nanotorch: error: ") and pattern in err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_cli_unavailable_device_lists_the_working_ones(capsys):
    code, _, err = _run(capsys, "train", "xor", "--device", "strict:7")
    assert code == 2 and "strict:0" in err and "strict:1" in err and "cpu" in err


def test_cli_missing_dataset_is_a_clear_exit_2(capsys, monkeypatch, tmp_path):
    from nanotorch.data import fashion_mnist

    monkeypatch.delenv("NANOTORCH_DATA", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setattr(fashion_mnist, "SYSTEM_DIRS", (tmp_path / "none",))
    code, _, err = _run(capsys, "train", "fashion-mlp")
    assert code == 2 and "Fashion-MNIST not found" in err and "apt-get install" in err


def test_cli_doctor_reports_versions_devices_and_cuda(capsys):
    code, out, _ = _run(capsys, "doctor")
    assert code == 0
    for words in ("Python", "NumPy", "array-api-compat", "array-api-strict", "CuPy", "cuda"):
        assert words in out
    assert "cpu: ok" in out and "strict:1: ok" in out


def test_cli_no_command_prints_help_and_exit_2(capsys):
    code, out, err = _run(capsys)
    assert code == 2 and "train" in err and "plot" in err
