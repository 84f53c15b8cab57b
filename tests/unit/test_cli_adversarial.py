"""Bad values for every flag of every subcommand: each is exit 2, exactly one line on
stderr (``nanotorch: error: ...`` naming the flag or value), nothing on stdout, no traceback
(Note [The CLI contract]). In-process (``cli.main``), so the whole table takes seconds."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nanotorch.cli import EXIT_CODES, main

HUGE = str(10**30)

BAD = {
    # train: numbers
    "epochs zero": (["train", "xor", "--epochs", "0"], "--epochs"),
    "epochs negative": (["train", "xor", "--epochs", "-3"], "--epochs"),
    "epochs huge": (["train", "xor", "--epochs", HUGE], "--epochs"),
    "epochs text": (["train", "xor", "--epochs", "ten"], "--epochs"),
    "epochs float": (["train", "xor", "--epochs", "1.5"], "--epochs"),
    "epochs exponent": (["train", "xor", "--epochs", "1e3"], "--epochs"),
    "epochs empty": (["train", "xor", "--epochs", ""], "--epochs"),
    "epochs missing value": (["train", "xor", "--epochs"], "--epochs"),
    "seed text": (["train", "xor", "--seed", "abc"], "--seed"),
    "seed float": (["train", "xor", "--seed", "0.5"], "--seed"),
    "seed above 2**64": (["train", "xor", "--seed", str(2**64)], "--seed"),
    "seed below -2**63": (["train", "xor", "--seed", str(-(2**63) - 1)], "--seed"),
    "keep-last zero": (["train", "xor", "--keep-last", "0"], "--keep-last"),
    "keep-last negative": (["train", "xor", "--keep-last", "-1"], "--keep-last"),
    "keep-last huge": (["train", "xor", "--keep-last", HUGE], "--keep-last"),
    "keep-last text": (["train", "xor", "--keep-last", "all"], "--keep-last"),
    # train: names
    "unknown scenario": (["train", "no-such"], "unknown scenario 'no-such'"),
    "empty scenario": (["train", ""], "unknown scenario ''"),
    "path as scenario": (["train", "../../etc/passwd"], "unknown scenario"),
    "scenario with newline": (["train", "xor\nmoons"], "unknown scenario"),
    "two scenarios": (["train", "xor", "moons"], "unrecognized arguments: moons"),
    "unknown device": (["train", "xor", "--device", "gpu"], "unknown device 'gpu'"),
    "empty device": (["train", "xor", "--device", ""], "unknown device ''"),
    "device bad index": (["train", "xor", "--device", "cuda:x"], "unknown device 'cuda:x'"),
    "device negative index": (["train", "xor", "--device", "cuda:-1"], "device"),
    "strict device absent": (["train", "xor", "--device", "strict:9"], "strict:9"),
    "upper-case device": (["train", "xor", "--device", "CPU"], "device"),
    "unknown flag": (["train", "xor", "--lr", "0.1"], "unrecognized arguments: --lr"),
    # A flag is spelled out: a prefix would silently change meaning once a longer flag exists.
    "shortened flag": (
        ["train", "xor", "--epoch", "1"],
        "unrecognized arguments: --epoch 1; did you mean --epochs? (see `nanotorch train --help`)",
    ),
    "shortened flag with =": (["train", "xor", "--check=ck"], "did you mean --checkpoint-dir?"),
    "misspelt flag": (["train", "xor", "--seeed", "1"], "did you mean --seed?"),
    "plot flag of train": (["plot", "xor", "--keep-last", "2"], "`nanotorch plot --help`"),
    "sample shortened flag": (
        ["sample", "shakespeare-gpt-tiny", "--checkpoint-dir", "x", "--temp", "1"],
        "did you mean --temperature?",
    ),
    "resume without folder": (["train", "xor", "--resume"], "--checkpoint-dir"),
    "restart without folder": (["train", "xor", "--restart"], "--checkpoint-dir"),
    "resume and restart": (
        ["train", "xor", "--resume", "--restart", "--checkpoint-dir", "x"],
        "pick one",
    ),
    "checkpoint-dir missing value": (["train", "xor", "--checkpoint-dir"], "--checkpoint-dir"),
    "out missing value": (["train", "xor", "--out"], "--out"),
    # plot
    "plot unknown scenario": (["plot", "xor", "nope"], "unknown scenario 'nope'"),
    "plot epochs zero": (["plot", "xor", "--epochs", "0"], "--epochs"),
    "plot epochs text": (["plot", "xor", "--epochs", "x"], "--epochs"),
    "plot seed huge": (["plot", "xor", "--seed", str(2**70)], "--seed"),
    "plot unknown device": (["plot", "xor", "--device", "tpu"], "unknown device 'tpu'"),
    "plot empty out": (["plot", "xor", "--out", ""], "--out"),
    "plot checkpoint flag": (["plot", "xor", "--checkpoint-dir", "x"], "unrecognized"),
    # list, doctor, the top level
    "list extra argument": (["list", "xor"], "unrecognized arguments: xor"),
    "list with a flag": (["list", "--epochs", "3"], "unrecognized arguments"),
    "doctor extra argument": (["doctor", "now"], "unrecognized arguments: now"),
    "doctor with a flag": (["doctor", "--device", "cpu"], "unrecognized arguments"),
    "no command": ([], "choose a command"),
    "unknown command": (["fly"], "invalid choice: 'fly'"),
    "unknown top flag": (["--bogus"], "--bogus"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_cli_bad_value_is_exit_2_and_one_line(case, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # relative paths some cases name stay in tmp_path
    argv, fragment = BAD[case]
    code = main(argv)
    out, err = capsys.readouterr()
    assert code == 2, (out, err)
    assert out == ""
    assert err.startswith("nanotorch: error: ") and err.count("\n") == 1, err
    assert fragment in err and "Traceback" not in err


@pytest.mark.parametrize("seed", ["-1", str(-(2**63)), str(2**64 - 1)])
def test_cli_seed_accepts_the_whole_pytorch_range(seed, capsys):
    """Negative seeds work as in PyTorch (seed mod 2**64), so -1 is 2**64 - 1."""
    code = main(["train", "xor", "--epochs", "1", "--seed", seed, "--quiet"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert f"seed {seed}:" in out


def test_cli_negative_seed_is_the_same_run_as_its_value_mod_2_64(capsys):
    main(["train", "xor", "--epochs", "2", "--seed", "-1", "--quiet"])
    negative = capsys.readouterr().out.splitlines()[2:4]
    main(["train", "xor", "--epochs", "2", "--seed", str(2**64 - 1), "--quiet"])
    assert capsys.readouterr().out.splitlines()[2:4] == negative


def test_cli_paths_with_odd_characters_work(tmp_path, capsys):
    odd = tmp_path / "we ird\tname ✓ 'q' $HOME"
    argv = ["train", "xor", "--epochs", "1", "--quiet", "--out", str(odd)]
    code = main([*argv, "--checkpoint-dir", str(odd / "ck")])
    assert code == 0, capsys.readouterr().err
    assert (odd / "xor.json").is_file() and (odd / "ck" / "epoch-0001.safetensors").is_file()


def test_cli_error_about_a_path_with_a_newline_stays_one_line(tmp_path, capsys):
    blocker = tmp_path / "two\nlines"
    blocker.write_text("x")
    assert main(["train", "xor", "--out", str(blocker)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "is a file, not a folder" in err


def test_cli_help_documents_the_exit_codes(capsys):
    for argv in (["--help"], ["train", "--help"], ["sample", "--help"], ["plot", "--help"]):
        assert main(argv) == 0
        out = capsys.readouterr().out
        assert EXIT_CODES in out
        for code in ("0", "1", "2", "130", "143"):
            assert f"\n  {code} " in out


def test_cli_internal_error_is_one_line_exit_1(capsys, monkeypatch):
    import nanotorch.cli as cli

    def broken(args):
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(cli, "cmd_list", broken)
    assert main(["list"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "internal error: ZeroDivisionError: boom" in err


@pytest.mark.parametrize(
    ("value", "shows"),
    [("1", True), ("yes", True), ("0", False), ("", False), ("false", False), (" off ", False)],
)
def test_cli_nanotorch_traceback_reads_its_value(value, shows, capsys, monkeypatch):
    """NANOTORCH_TRACEBACK=1 lets an internal error's traceback through; 0, false, off, no
    or empty keep the one line (a set variable is not enough: =0 means off)."""
    import nanotorch.cli as cli

    def broken(args):
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(cli, "cmd_list", broken)
    monkeypatch.setenv("NANOTORCH_TRACEBACK", value)
    if shows:
        with pytest.raises(ZeroDivisionError, match="boom"):
            main(["list"])
    else:
        assert main(["list"]) == 1
        assert "internal error: ZeroDivisionError: boom" in capsys.readouterr().err


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    flag=st.sampled_from(["--epochs", "--seed", "--keep-last", "--device", "--checkpoint-dir"]),
    value=st.text(st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"))
    | st.integers(-(2**70), 2**70).map(str),
)
def test_cli_any_text_for_a_flag_is_exit_2_and_one_line(flag, value, tmp_path_factory):
    """Any text for a flag: exit 2 with one line and nothing on stdout. ``--out`` names a
    file, so a value that is valid still ends in one refusal before any training."""
    import contextlib
    import io

    blocker = tmp_path_factory.mktemp("out") / "a-file"
    blocker.write_text("x")
    argv = ["train", "xor", f"{flag}={value}", "--out", str(blocker)]
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    assert code == 2, err.getvalue()
    assert out.getvalue() == ""
    assert err.getvalue().startswith("nanotorch: error: ") and err.getvalue().count("\n") == 1


def test_cli_version_prints_the_version_and_exits_0(capsys):
    import nanotorch

    assert main(["--version"]) == 0
    out, err = capsys.readouterr()
    assert out == f"nanotorch {nanotorch.__version__}\n" and err == ""


def test_cli_paths_starting_with_a_tilde_mean_the_home_folder(tmp_path, capsys, monkeypatch):
    """`--out=~/res` reaches the program unexpanded (the shell expands ~ only at the start
    of a word), so the command expands it, rather than making a folder called `~`."""
    home, work = tmp_path / "home", tmp_path / "work"
    home.mkdir()
    work.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(work)
    argv = ["train", "xor", "--epochs", "1", "--quiet", "--out=~/res", "--checkpoint-dir=~/ck"]
    assert main(argv) == 0, capsys.readouterr().err
    assert (home / "res" / "xor.json").is_file()
    assert (home / "ck" / "epoch-0001.safetensors").is_file()
    assert list(work.iterdir()) == []
    assert main(["plot", "xor", "--epochs", "1", "--quiet", "--out=~/pics"]) == 0
    assert (home / "pics" / "xor-data.png").is_file()
