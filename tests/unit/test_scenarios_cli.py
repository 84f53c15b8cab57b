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
        (["train", "xor", "--epochs", "0"], "--epochs must be an integer from 1 to"),
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


def test_cli_doctor_prints_the_cuda_state_it_is_given(capsys, monkeypatch):
    import nanotorch

    fake = {
        "cupy": "14.0.0",
        "available": True,
        "device_count": 2,
        "devices": ["NVIDIA H100", "NVIDIA H100"],
        "runtime_version": 12080,
        "driver_version": 12090,
        "reason": "",
    }
    monkeypatch.setattr(nanotorch.cuda, "state", lambda: fake)
    code, out, _ = _run(capsys, "doctor")
    assert code == 0
    assert "available: True" in out and "CuPy: 14.0.0" in out
    assert "driver version: 12090" in out and "runtime version: 12080" in out
    assert "device count: 2" in out and "cuda:1: NVIDIA H100" in out
    assert "  cuda:1:" in out  # each reported GPU is probed too


def test_cli_doctor_without_cupy_says_the_driver_was_not_checked(capsys, monkeypatch):
    import nanotorch

    fake = {
        "cupy": None,
        "available": False,
        "device_count": 0,
        "devices": [],
        "runtime_version": None,
        "driver_version": None,
        "reason": "CuPy is not installed",
    }
    monkeypatch.setattr(nanotorch.cuda, "state", lambda: fake)
    code, out, _ = _run(capsys, "doctor")
    assert code == 0 and "driver version: not checked (CuPy is not installed)" in out
    assert "reason: CuPy is not installed" in out


def test_cli_plot_names_a_scenario_twice_trains_it_once(capsys, tmp_path):
    code = cli.main(["plot", "xor", "xor", "--epochs", "1", "--quiet", "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 0
    assert out.count("xor: ") == 1, out
