"""``nanotorch sample`` and the sample that ``nanotorch train`` prints for a language model,
in a subprocess as a user runs them: text out, exit 0; any bad input one line and exit 2."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

# A subprocess costs seconds under load; the same table runs in-process, fast, in
# tests/unit/test_cli_sample.py.
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
VOCAB = set("\n !&',-.:;?") | set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")


def _run(*argv: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONWARNINGS": "ignore", "OPENBLAS_NUM_THREADS": "1"}
    return subprocess.run(
        [sys.executable, "-m", "nanotorch", *argv],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
        env=env,
    )


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> dict[str, Path | str]:
    """A one-epoch shakespeare-gpt-tiny checkpoint, and an xor one (another scenario)."""
    base = tmp_path_factory.mktemp("sample")
    gpt, xor = base / "gpt", base / "xor"
    proc = _run("train", "shakespeare-gpt-tiny", "--epochs", "1", "--checkpoint-dir", str(gpt))
    assert proc.returncode == 0, proc.stderr
    assert _run("train", "xor", "--epochs", "1", "--checkpoint-dir", str(xor)).returncode == 0
    (base / "empty").mkdir()
    return {"gpt": gpt, "xor": xor, "empty": base / "empty", "train_stdout": proc.stdout}


def test_e2e_train_of_a_language_model_ends_with_a_sample(trained):
    out = str(trained["train_stdout"])
    assert "test nll" in out and "(target nll <= 2.6" in out
    head, sample = out.split("sample (200 characters, seed 0):\n", 1)
    assert sample.startswith("ROMEO:\n")
    assert len(sample.rstrip("\n")) >= 150 and set(sample) <= VOCAB


def test_e2e_sample_continues_the_prompt_repeatably(trained):
    argv = ["sample", "shakespeare-gpt-tiny", "--checkpoint-dir", str(trained["gpt"])]
    a = _run(*argv, "--prompt", "KING:", "--length", "60", "--top-k", "5", "--seed", "3")
    assert a.returncode == 0 and a.stderr == ""
    assert a.stdout.startswith("KING:") and len(a.stdout.rstrip("\n")) <= 65
    assert len(a.stdout) >= 40 and set(a.stdout) <= VOCAB
    b = _run(*argv, "--prompt", "KING:", "--length", "60", "--top-k", "5", "--seed", "3")
    c = _run(*argv, "--prompt", "KING:", "--length", "60", "--top-k", "5", "--seed", "4")
    assert a.stdout == b.stdout != c.stdout


BAD = [
    (["--checkpoint-dir", "{empty}"], "no checkpoint (epoch-NNNN.safetensors) in"),
    (["--checkpoint-dir", "{empty}/missing"], "is not a folder; train one with: nanotorch"),
    (["--checkpoint-dir", "{xor}"], "are of xor, not shakespeare-gpt-tiny"),
    (["--checkpoint-dir", "{gpt}", "--prompt", "Zoë"], "--prompt: 'ë' not in the vocabulary"),
    (["--checkpoint-dir", "{gpt}", "--prompt", "{x}"], "--prompt: '{}' not in the vocabulary"),
    (
        ["--checkpoint-dir", "{gpt}", "--temperature", "0"],
        "--temperature must be a number from 0.001 to 1000",
    ),
    (
        ["--checkpoint-dir", "{gpt}", "--temperature", "-1"],
        "--temperature must be a number from 0.001 to 1000",
    ),
    (
        ["--checkpoint-dir", "{gpt}", "--temperature", "nan"],
        "--temperature must be a number from 0.001 to 1000",
    ),
    (["--checkpoint-dir", "{gpt}", "--top-k", "0"], "--top-k must be a positive integer"),
    (["--checkpoint-dir", "{gpt}", "--top-k", "-2"], "--top-k must be a positive integer"),
    (["--checkpoint-dir", "{gpt}", "--length", "-1"], "--length must be an integer from 0"),
    (["--checkpoint-dir", "{gpt}", "--seed", "x"], "argument --seed: invalid int value"),
    ([], "the following arguments are required: --checkpoint-dir"),
]


@pytest.mark.parametrize(("argv", "message"), BAD, ids=[m[:28] for _, m in BAD])
def test_e2e_sample_bad_input_is_one_line_and_exit_2(trained, argv, message):
    argv = [
        a.format(empty=trained["empty"], xor=trained["xor"], gpt=trained["gpt"], x="{}")
        for a in argv
    ]
    proc = _run("sample", "shakespeare-gpt-tiny", *argv)
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout == ""
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("nanotorch: error: "), proc.stderr
    assert message in lines[0]


def test_e2e_sample_from_a_scenario_that_is_not_a_language_model_exits_2(trained):
    proc = _run("sample", "xor", "--checkpoint-dir", str(trained["xor"]))
    assert proc.returncode == 2
    assert proc.stderr.strip() == (
        "nanotorch: error: scenario 'xor' is not a language model; sample from one of: "
        "shakespeare-gpt, shakespeare-gpt-tiny, shakespeare-lstm"
    )
