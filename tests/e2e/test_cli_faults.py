"""Faults with real processes: two runs on one folder, a killed run, Ctrl-C and SIGTERM, a
full disk, a closed or full standard output (Note [The CLI contract], Note [A run owns its
checkpoints]). Each run is the tiny ``xor`` scenario, so the file stays fast."""

from __future__ import annotations

import json
import os
import re
import resource
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import nanotorch
from nanotorch.runner import run_scenario

ROOT = Path(__file__).resolve().parents[2]
NANOTORCH = [sys.executable, "-m", "nanotorch"]
ENV = {**os.environ, "PYTHONWARNINGS": "ignore"}


def _run(*argv: str, **kwargs) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*NANOTORCH, *argv], capture_output=True, text=True, timeout=120, env=ENV, **kwargs
    )


def _start(*argv: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*NANOTORCH, *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV
    )


def _epochs(folder: Path) -> list[int]:
    return sorted(int(p.name[6:10]) for p in folder.glob("epoch-*.safetensors"))


def _wait_for_epoch_after(folder: Path, epoch: int, proc: subprocess.Popen[str]) -> int:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        found = [e for e in _epochs(folder) if e > epoch]
        if found:
            return max(found)
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.02)
    raise AssertionError(f"no checkpoint after epoch {epoch} in {folder}")


def _one_line(stderr: str) -> str:
    assert "Traceback" not in stderr
    assert stderr.count("\n") == 1, stderr
    return stderr.strip()


def test_e2e_two_runs_on_one_folder_and_a_killed_run(tmp_path):
    """The second run refuses at once; the first is then SIGKILLed, and its lock does not
    block the run that continues it, which is then stopped with SIGTERM (exit 143)."""
    ck = tmp_path / "ck"
    args = ("train", "xor", "--epochs", "100000", "--checkpoint-dir", str(ck), "--quiet")
    first = _start(*args)
    try:
        _wait_for_epoch_after(ck, 0, first)
        # (A fresh second run is refused the same way: runck::test_cli_second_run_in_a_...)
        started = time.monotonic()
        second = _run(*args, "--resume")
        assert second.returncode == 2
        line = _one_line(second.stderr)
        assert f"is in use by another nanotorch run (pid {first.pid})" in line
        assert time.monotonic() - started < 30  # refused at once, not after waiting
        first.kill()
        first.wait(timeout=30)
        last = max(_epochs(ck))
        nanotorch.load(ck / f"epoch-{last:04d}.safetensors")  # a killed run leaves whole files
        third = _start(*args, "--resume")
        try:
            _wait_for_epoch_after(ck, last, third)
            third.send_signal(signal.SIGTERM)
            _, err = third.communicate(timeout=60)
        finally:
            third.kill()
        assert third.returncode == 143
        line = _one_line(err)
        assert re.fullmatch(r"nanotorch: terminated at epoch \d+; continue with: .* --resume", line)
    finally:
        first.kill()
        first.wait(timeout=30)


def test_e2e_ctrl_c_prints_the_resume_command_and_resuming_is_exact(tmp_path):
    ck = tmp_path / "my ck"  # a space: the printed command must quote it
    proc = _start("train", "xor", "--epochs", "80", "--seed", "3", "--checkpoint-dir", str(ck))
    try:
        _wait_for_epoch_after(ck, 0, proc)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 130
    match = re.fullmatch(
        r"nanotorch: interrupted at epoch (\d+); continue with: (.*)", _one_line(err)
    )
    assert match, err
    epoch, command = int(match.group(1)), shlex.split(match.group(2))
    assert command[:2] == ["nanotorch", "train"] and command[-1] == "--resume"
    assert epoch in _epochs(ck)
    resumed = _run(*command[1:])
    assert resumed.returncode == 0, resumed.stderr
    assert f"at epoch {epoch}" in resumed.stdout
    final = nanotorch.load(ck / "epoch-0080.safetensors")["model"]
    uninterrupted = run_scenario("xor", epochs=80, seed=3, quiet=True).model.state_dict()
    for key, value in uninterrupted.items():
        assert np.array_equal(final[key].numpy(), value.numpy()), key


@pytest.mark.parametrize(
    "signals",
    [(signal.SIGINT, signal.SIGINT), (signal.SIGTERM, signal.SIGINT)],
    ids=["ctrl-c twice", "sigterm then ctrl-c"],
)
def test_e2e_a_second_signal_right_after_the_first_changes_nothing(tmp_path, signals):
    """Note [One interruption]: the second signal lands while the first is handled (most of
    the time; the in-process test_cli_second_signal_while_the_first_is_reported_... pins it
    exactly). Whichever is handled first decides the exit code."""
    ck = tmp_path / "ck"
    proc = _start("train", "xor", "--epochs", "100000", "--checkpoint-dir", str(ck), "--quiet")
    try:
        _wait_for_epoch_after(ck, 0, proc)
        proc.send_signal(signals[0])
        time.sleep(0.0002)
        proc.send_signal(signals[1])
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    match = re.fullmatch(
        r"nanotorch: (interrupted|terminated) at epoch \d+; continue with: .*", _one_line(err)
    )
    assert match, err
    assert proc.returncode == {"interrupted": 130, "terminated": 143}[match.group(1)]
    for epoch in _epochs(ck):  # every checkpoint left is whole
        nanotorch.load(ck / f"epoch-{epoch:04d}.safetensors")


@pytest.mark.parametrize(
    ("argv", "name", "value"),
    [
        (["train", "xor"], "TQDM_MININTERVAL", "abc"),  # tqdm fails while it is imported
        (["plot", "xor", "--out", "pics"], "TQDM_POSITION", "x"),  # ... or making a bar
        (["list"], "TQDM_MININTERVAL", "abc"),
        (["plot", "xor", "--out", "pics"], "MPLBACKEND", "bogus"),  # matplotlib, for plot
    ],
)
def test_e2e_bad_library_environment_variable_is_exit_2(argv, name, value, tmp_path):
    """The progress bar (tqdm) reads TQDM_* variables, matplotlib MPL* ones; a bad one is bad
    input, named, and refused before anything is written. (A subprocess: both libraries
    read them when imported.)"""
    extra = [] if argv == ["list"] else ["--epochs", "1", "--quiet"]
    result = subprocess.run(
        [*NANOTORCH, *argv, *extra],
        capture_output=True,
        text=True,
        timeout=120,
        env={**ENV, name: value},
        cwd=tmp_path,
    )
    assert result.returncode == 2 and result.stdout == ""
    line = _one_line(result.stderr)
    assert line.startswith(f"nanotorch: error: environment variable {name}={value!r} not ")
    assert f"unset {name}" in line
    assert list(tmp_path.iterdir()) == []


def _fsize_limit(limit: int):
    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit is EFBIG
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


def test_e2e_full_disk_while_saving_stops_with_one_line(tmp_path):
    """The folder passes the write probe, the first checkpoint (about 9 kB) does not fit."""
    ck = tmp_path / "ck"
    proc = subprocess.run(
        [*NANOTORCH, "train", "xor", "--epochs", "3", "--checkpoint-dir", str(ck)],
        capture_output=True,
        text=True,
        timeout=120,
        env=ENV,
        preexec_fn=_fsize_limit(4000),
    )
    assert proc.returncode == 1
    line = _one_line(proc.stderr)
    assert "could not save the checkpoint of epoch 1" in line and "File too large" in line
    assert sorted(p.name for p in ck.iterdir()) == [".nanotorch.lock"]  # no stray temp file


def test_e2e_closed_stdout_keeps_out_and_prints_no_traceback(tmp_path):
    out = tmp_path / "res"
    script = (
        f"{shlex.join(NANOTORCH)} train xor --epochs 2 --out {shlex.quote(str(out))} "
        f"2>{shlex.quote(str(tmp_path / 'err'))} | head -1; exit ${{PIPESTATUS[0]}}"
    )
    proc = subprocess.run(
        ["bash", "-c", script], capture_output=True, text=True, timeout=120, env=ENV
    )
    assert proc.stdout.startswith("xor: ") and proc.stdout.count("\n") == 1
    assert (tmp_path / "err").read_text() == ""
    assert proc.returncode == 0
    assert json.loads((out / "xor.json").read_text())["epochs"] == 2


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full here")
def test_e2e_stdout_to_dev_full_gives_one_line_and_exit_1(tmp_path):
    out = tmp_path / "res"
    with open("/dev/full", "w") as full:
        proc = subprocess.run(
            [*NANOTORCH, "train", "xor", "--epochs", "2", "--out", str(out)],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
            env=ENV,
        )
    assert proc.returncode == 1
    assert "cannot write to standard output (No space left on device)" in _one_line(proc.stderr)
    assert json.loads((out / "xor.json").read_text())["epochs"] == 2


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full here")
@pytest.mark.parametrize("argv", [["list"], ["--help"]], ids=["list", "help"])
def test_e2e_other_commands_to_dev_full_give_one_line_and_exit_1(argv):
    with open("/dev/full", "w") as full:
        proc = subprocess.run(
            [*NANOTORCH, *argv], stdout=full, stderr=subprocess.PIPE, text=True, timeout=120
        )
    assert proc.returncode == 1
    assert _one_line(proc.stderr) == (
        "nanotorch: error: cannot write to standard output (No space left on device)"
    )


def test_e2e_stdout_closed_at_start_or_unencodable_paths_still_finish(tmp_path):
    """`>&-` (no standard output at all) is a closed pipe: exit 0 and the files written; a
    path the output encoding cannot show is printed with escapes, not a crash."""
    out = tmp_path / "r\udcffé"  # a non-UTF-8 byte (surrogate-escaped) and an accent
    proc = subprocess.run(
        [*NANOTORCH, "train", "xor", "--epochs", "1", "--quiet", "--out", str(out)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        timeout=120,
        env=ENV,
        preexec_fn=lambda: os.close(1),
    )
    assert proc.returncode == 0 and proc.stderr == ""
    assert (out / "xor.json").is_file()
    proc = subprocess.run(
        [*NANOTORCH, "train", "xor", "--epochs", "1", "--quiet", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**ENV, "PYTHONIOENCODING": "ascii"},
    )
    assert proc.returncode == 0, proc.stderr
    assert "wrote " in proc.stdout and "\\udcff" in proc.stdout
