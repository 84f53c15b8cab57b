"""``nanotorch sample`` in-process: a trained language model continues a prompt; every bad
input is one line and exit 2 (the same table runs in a subprocess in
tests/e2e/test_cli_sample_e2e.py, marked slow)."""

from __future__ import annotations

import pytest

from nanotorch import cli


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def folders(tmp_path_factory) -> dict[str, str]:
    base = tmp_path_factory.mktemp("sample")
    gpt, xor = base / "gpt", base / "xor"
    assert (
        cli.main(
            [
                "train",
                "shakespeare-gpt-tiny",
                "--epochs",
                "1",
                "--quiet",
                "--checkpoint-dir",
                str(gpt),
            ]
        )
        == 0
    )
    assert cli.main(["train", "xor", "--epochs", "1", "--quiet", "--checkpoint-dir", str(xor)]) == 0
    (base / "empty").mkdir()
    return {"gpt": str(gpt), "xor": str(xor), "empty": str(base / "empty")}


def test_cli_sample_prints_the_prompt_and_its_continuation(capsys, folders):
    capsys.readouterr()
    argv = ["sample", "shakespeare-gpt-tiny", "--checkpoint-dir", folders["gpt"]]
    code, out, err = _run(capsys, *argv, "--prompt", "KING:", "--length", "40", "--seed", "1")
    assert code == 0 and err == ""
    assert out.startswith("KING:") and 30 <= len(out.rstrip("\n")) <= 45
    again = _run(capsys, *argv, "--prompt", "KING:", "--length", "40", "--seed", "1")[1]
    other = _run(capsys, *argv, "--prompt", "KING:", "--length", "40", "--seed", "2")[1]
    assert again == out != other
    # --length 0 prints the prompt alone; greedy decoding (top-k 1) ignores the seed.
    assert _run(capsys, *argv, "--prompt", "KING:", "--length", "0")[1] == "KING:\n"
    greedy = [_run(capsys, *argv, "--top-k", "1", "--seed", s)[1] for s in ("1", "2")]
    assert greedy[0] == greedy[1]


BAD = [
    (["--checkpoint-dir", "{empty}"], "no checkpoint (epoch-NNNN.safetensors) in"),
    (["--checkpoint-dir", "{empty}/missing"], "is not a folder; train one with: nanotorch"),
    (["--checkpoint-dir", ""], "--checkpoint-dir must not be empty"),
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
        ["--checkpoint-dir", "{gpt}", "--temperature", "inf"],
        "--temperature must be a number from 0.001 to 1000",
    ),
    # Extremes float32 logits cannot be divided by (1e-320 is 0 there, 1e300 infinite).
    (
        ["--checkpoint-dir", "{gpt}", "--temperature", "1e-320"],
        "--temperature must be a number from",
    ),
    (
        ["--checkpoint-dir", "{gpt}", "--temperature", "1e300"],
        "--temperature must be a number from",
    ),
    (["--checkpoint-dir", "{gpt}", "--temperature", "1e-4"], "--temperature must be a number from"),
    (["--checkpoint-dir", "{gpt}", "--top-k", "0"], "--top-k must be a positive integer"),
    (["--checkpoint-dir", "{gpt}", "--length", "-1"], "--length must be an integer from 0"),
    (["--checkpoint-dir", "{gpt}", "--length", "100001"], "--length must be an integer from 0"),
    (["--checkpoint-dir", "{gpt}", "--device", "gpu"], "unknown device 'gpu'"),
    ([], "the following arguments are required: --checkpoint-dir"),
]


@pytest.mark.parametrize(("argv", "message"), BAD, ids=[m[:28] for _, m in BAD])
def test_cli_sample_bad_input_is_one_line_and_exit_2(capsys, folders, argv, message):
    capsys.readouterr()
    argv = [a.format(x="{}", **folders) for a in argv]
    code, out, err = _run(capsys, "sample", "shakespeare-gpt-tiny", *argv)
    assert code == 2 and out == ""
    assert len(err.splitlines()) == 1 and err.startswith("nanotorch: error: ")
    assert message in err


def test_cli_sample_other_scenarios_checkpoint_names_both(capsys, folders):
    capsys.readouterr()
    code, _, err = _run(capsys, "sample", "shakespeare-gpt", "--checkpoint-dir", folders["gpt"])
    assert code == 2
    assert "are of shakespeare-gpt-tiny, not shakespeare-gpt" in err
    assert "nanotorch train shakespeare-gpt --checkpoint-dir" in err


def test_cli_sample_of_a_model_that_is_no_language_model_lists_those_that_are(capsys, folders):
    capsys.readouterr()
    code, _, err = _run(capsys, "sample", "digits-mlp", "--checkpoint-dir", folders["xor"])
    assert code == 2
    assert "'digits-mlp' is not a language model; sample from one of: shakespeare-gpt" in err
    assert "shakespeare-lstm" in err


def test_cli_sample_skips_a_damaged_older_checkpoint(capsys, folders, tmp_path):
    import shutil

    folder = tmp_path / "gpt"
    shutil.copytree(folders["gpt"], folder)
    (folder / "epoch-0000.safetensors").write_bytes(b"not a checkpoint")
    code, out, err = _run(capsys, "sample", "shakespeare-gpt-tiny", "--checkpoint-dir", str(folder))
    assert code == 0 and out
    assert err.count("\n") == 1 and err.startswith("nanotorch: warning: skipped ")
    assert "epoch-0000.safetensors" in err


@pytest.mark.parametrize(
    ("vocab", "message"),
    [
        ("ab\n", "holds a vocabulary of 3 characters, but shakespeare-gpt-tiny's model has"),
        ("aab\n", "its vocabulary is not valid: CharTokenizer: chars must not repeat"),
    ],
    ids=["too short", "repeats a character"],
)
def test_cli_sample_checkpoint_whose_vocabulary_does_not_fit_is_exit_2(
    capsys, folders, tmp_path, vocab, message
):
    """The vocabulary is read from the checkpoint, so a damaged or foreign one must be a
    clear refusal naming the file, not an index error while decoding."""
    import pathlib

    import nanotorch

    newest = sorted(pathlib.Path(folders["gpt"]).glob("epoch-*.safetensors"))[-1]
    state = nanotorch.load(newest)
    state["run"]["vocab"] = vocab
    folder = tmp_path / "gpt"
    folder.mkdir()
    nanotorch.save(state, folder / newest.name)
    code, out, err = _run(capsys, "sample", "shakespeare-gpt-tiny", "--checkpoint-dir", str(folder))
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith(f"nanotorch: error: {folder / newest.name}")
    assert message in err
