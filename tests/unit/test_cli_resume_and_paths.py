"""Before any training: ``--resume`` refuses anything but this run's full state, and every
output path is checked (Note [The CLI contract]). In-process (``cli.main``) for speed."""

from __future__ import annotations

import copy
import errno
import os
import shutil
import signal
import stat
import subprocess
import sys

import pytest

import nanotorch
from nanotorch.cli import main
from nanotorch.runner import run_scenario
from nanotorch.train import Checkpointer

CKPT = "epoch-0002.safetensors"


@pytest.fixture(scope="module")
def good_state(tmp_path_factory):
    """The loaded checkpoint of epoch 2 of ``xor --epochs 4 --seed 0``."""
    folder = tmp_path_factory.mktemp("good")
    run_scenario("xor", epochs=2, quiet=True, callbacks=[Checkpointer(folder)])
    state = nanotorch.load(folder / CKPT)
    state["run"]["epochs"] = 4  # as if from a 4-epoch run interrupted after epoch 2
    return state


def _mutations():
    def drop(key):
        return lambda s: s.pop(key)

    def setter(path, value):
        def apply(s):
            target = s
            for key in path[:-1]:
                target = target[key]
            target[path[-1]] = value(target[path[-1]]) if callable(value) else value

        return apply

    first = "0.weight"
    return {
        "bare dict of tensors": lambda s: (s.clear(), s.update(w=nanotorch.ones(2))),
        "epoch beyond budget": setter(["epoch"], 1_000_000),
        "negative epoch": setter(["epoch"], -1),
        "epoch a string": setter(["epoch"], "2"),
        "epoch a float": setter(["epoch"], 2.0),
        "no model": drop("model"),
        "no optimizer": drop("optimizer"),
        "no rng": drop("rng"),
        "no history": drop("history"),
        "no run": drop("run"),
        "run not a dict": setter(["run"], [1, 2]),
        "run without scenario": lambda s: s["run"].pop("scenario"),
        "other scenario": setter(["run", "scenario"], "moons"),
        "other seed": setter(["run", "seed"], 7),
        "other budget": setter(["run", "epochs"], 9),
        "history too short": setter(["history", "test_loss"], [0.5]),
        "history of strings": setter(["history", "lr"], ["a", "b"]),
        "history of another metric": setter(["history", "metric"], "r2"),
        "history a list": setter(["history"], [1, 2]),
        "model entry missing": lambda s: s["model"].pop(first),
        "model entry extra": setter(["model", "extra.weight"], nanotorch.ones(1)),
        "model weight wrong shape": setter(["model", first], nanotorch.zeros(3, 3)),
        "model weight wrong dtype": setter(["model", first], lambda t: t.double()),
        "model weight not a tensor": setter(["model", first], [[1.0]]),
        "model a list": setter(["model"], [1]),
        "optimizer a string": setter(["optimizer"], "adam"),
        "optimizer without groups": lambda s: s["optimizer"].pop("param_groups"),
        "optimizer two groups": setter(["optimizer", "param_groups"], lambda g: g + g),
        "optimizer lr a string": lambda s: s["optimizer"]["param_groups"][0].update(lr="fast"),
        "optimizer lr negative": lambda s: s["optimizer"]["param_groups"][0].update(lr=-1.0),
        "optimizer lr nan": lambda s: s["optimizer"]["param_groups"][0].update(lr=float("nan")),
        "optimizer params an int": lambda s: s["optimizer"]["param_groups"][0].update(params=7),
        "optimizer state for a missing param": setter(
            ["optimizer", "state"], lambda st: {**st, 99: next(iter(st.values()))}
        ),
        "optimizer moment wrong shape": lambda s: next(
            iter(s["optimizer"]["state"].values())
        ).update(exp_avg=nanotorch.zeros(5)),
        "rng a list": setter(["rng"], [1]),
        "rng state garbage": setter(["rng", "cpu"], {"state": "garbage"}),
        "scheduler where there is none": setter(["scheduler"], {"last_epoch": 3}),
        "epoch other than its name": lambda s: (
            s.update(epoch=1),
            [
                s["history"][k].pop()
                for k in ("epoch", "train_loss", "test_loss", "test_metric", "lr")
            ],
        ),
    }


MUTATIONS = _mutations()


@pytest.mark.parametrize("name", list(MUTATIONS))
def test_cli_resume_refuses_a_state_that_is_not_this_runs(name, good_state, tmp_path, capsys):
    state = copy.deepcopy(good_state)
    MUTATIONS[name](state)
    nanotorch.save(state, tmp_path / CKPT)
    code = main(
        ["train", "xor", "--epochs", "4", "--quiet", "--checkpoint-dir", str(tmp_path), "--resume"]
    )
    out, err = capsys.readouterr()
    assert code == 2, (out, err)
    assert err.startswith("nanotorch: error: ") and err.count("\n") == 1, err
    assert "resume" in err or CKPT in err
    assert "resumed from" not in out and "before:" not in out


def test_cli_resume_accepts_the_unmodified_state(good_state, tmp_path, capsys):
    """The table above is against this: the same file, unchanged, resumes."""
    nanotorch.save(good_state, tmp_path / CKPT)
    code = main(
        ["train", "xor", "--epochs", "4", "--quiet", "--checkpoint-dir", str(tmp_path), "--resume"]
    )
    out, err = capsys.readouterr()
    assert code == 0, err
    assert f"resumed from {tmp_path / CKPT} at epoch 2" in out


def test_cli_resume_refuses_a_damaged_newest_file(good_state, tmp_path, capsys):
    nanotorch.save(good_state, tmp_path / CKPT)
    (tmp_path / "epoch-0003.safetensors").write_bytes(b"\x00" * 40)
    code = main(
        ["train", "xor", "--epochs", "4", "--quiet", "--checkpoint-dir", str(tmp_path), "--resume"]
    )
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    assert "epoch-0003.safetensors" in err and "move that file out" in err


def test_cli_resume_skips_a_damaged_older_file_and_says_so(good_state, tmp_path, capsys):
    """A damaged file older than the newest checkpoint costs nothing: the run resumes from
    the newest, names the damaged file in one warning line, and leaves it in place."""
    nanotorch.save(good_state, tmp_path / CKPT)
    junk = tmp_path / "epoch-0001.safetensors"
    junk.write_bytes(b"\x00" * 40)
    code = main(
        ["train", "xor", "--epochs", "4", "--quiet", "--checkpoint-dir", str(tmp_path), "--resume"]
    )
    out, err = capsys.readouterr()
    assert code == 0, err
    assert f"resumed from {tmp_path / CKPT} at epoch 2" in out
    assert err.count("\n") == 1 and err.startswith("nanotorch: warning: skipped ")
    assert f"{junk}: " in err and "is damaged" in err
    assert junk.read_bytes() == b"\x00" * 40  # not ours to delete


def test_cli_resume_refuses_a_damaged_file_newer_than_its_checkpoint(good_state, tmp_path, capsys):
    """Between this run's newest checkpoint and another run's: it may be this run's newest."""
    nanotorch.save(good_state, tmp_path / CKPT)
    (tmp_path / "epoch-0003.safetensors").write_bytes(b"\x00" * 40)
    other = copy.deepcopy(good_state)
    other["run"]["seed"], other["epoch"] = 7, 4
    nanotorch.save(other, tmp_path / "epoch-0004.safetensors")
    code = main(
        ["train", "xor", "--epochs", "4", "--quiet", "--checkpoint-dir", str(tmp_path), "--resume"]
    )
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    assert "epoch-0003.safetensors" in err and f"newer than {CKPT}" in err
    assert "move that file out" in err


def test_cli_python_warnings_are_one_line_each(capsys, monkeypatch):
    """A warning (NumPy's overflow in a diverging run, a deprecation) is one line on stderr,
    not Python's two (file:line and the source line), and does not change the exit code."""
    import warnings

    import nanotorch.cli as cli

    real = cli.cmd_list

    def noisy(args):
        warnings.warn("overflow encountered in exp", RuntimeWarning, stacklevel=1)
        return real(args)

    monkeypatch.setattr(cli, "cmd_list", noisy)
    code = main(["list"])
    out, err = capsys.readouterr()
    assert code == 0 and "xor" in out
    assert err == "nanotorch: warning: overflow encountered in exp (RuntimeWarning)\n"


# ------------------------------------------------------------------------------ output paths


def _bad_path_cases(tmp_path):
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    return {
        "a file": (str(a_file), "is a file, not a folder"),
        "under a file": (str(a_file / "sub"), "cannot be written"),
        "empty": ("", "must not be empty"),
        "name too long": (str(tmp_path / ("n" * 300)), "cannot be written"),
    }


@pytest.mark.parametrize("case", ["a file", "under a file", "empty", "name too long"])
@pytest.mark.parametrize(
    "argv",
    [
        ("train", "xor", "--epochs", "1", "--out"),
        ("train", "xor", "--epochs", "1", "--checkpoint-dir"),
        ("plot", "xor", "--epochs", "1", "--out"),
    ],
    ids=["train-out", "train-checkpoint-dir", "plot-out"],
)
def test_cli_bad_output_path_refused_before_training(argv, case, tmp_path, capsys):
    value, message = _bad_path_cases(tmp_path)[case]
    code = main([*argv, value])
    out, err = capsys.readouterr()
    assert code == 2 and err.count("\n") == 1 and message in err, err
    assert argv[-1] in err
    assert "before:" not in out and "xor: XOR" not in out


def test_cli_read_only_folder_refused_before_training(tmp_path, capsys, monkeypatch):
    """As root a chmod does not stop writes, so the probe's failure is simulated; the real
    read-only case runs in test_cli_read_only_folder_for_real when not root."""
    import nanotorch.runner as runner

    def read_only(directory):
        raise OSError(errno.EROFS, os.strerror(errno.EROFS))

    monkeypatch.setattr(runner, "probe_write", read_only)
    for argv in (("--out", str(tmp_path / "o")), ("--checkpoint-dir", str(tmp_path / "c"))):
        code = main(["train", "xor", "--epochs", "1", *argv])
        out, err = capsys.readouterr()
        assert code == 2 and "Read-only file system" in err and err.count("\n") == 1
        assert out == ""


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_cli_read_only_folder_for_real(tmp_path, capsys):
    tmp_path.chmod(0o555)
    try:
        code = main(["train", "xor", "--epochs", "1", "--checkpoint-dir", str(tmp_path)])
    finally:
        tmp_path.chmod(0o755)
    assert code == 2 and "cannot be written" in capsys.readouterr().err


def test_cli_result_file_blocked_by_a_folder_refused_before_training(tmp_path, capsys):
    (tmp_path / "xor.json").mkdir()
    (tmp_path / "xor-curves.png").mkdir()
    for argv in (("train", "xor"), ("plot", "xor")):
        code = main([*argv, "--epochs", "1", "--out", str(tmp_path)])
        out, err = capsys.readouterr()
        assert code == 2 and "is a folder, but the run writes a file" in err
        assert out == ""


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="POSIX named pipes")
def test_cli_result_file_that_is_a_pipe_is_refused_before_training(tmp_path, capsys):
    """The result is renamed over its path, which would replace a pipe (or, as root, a
    device) of that name instead of writing into it."""
    os.mkfifo(tmp_path / "xor.json")
    os.mkfifo(tmp_path / "xor-data.png")
    for argv in (("train", "xor"), ("plot", "xor")):
        code = main([*argv, "--epochs", "1", "--out", str(tmp_path)])
        out, err = capsys.readouterr()
        assert code == 2 and err.count("\n") == 1 and out == ""
        assert "is a named pipe, not a regular file" in err and "--out" in err
    assert all(stat.S_ISFIFO(os.stat(p).st_mode) for p in tmp_path.iterdir())


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
def test_cli_out_keeps_the_permissions_of_the_result_it_replaces(tmp_path, capsys):
    result = tmp_path / "xor.json"
    result.write_text("{}")
    os.chmod(result, 0o600)
    assert main(["train", "xor", "--epochs", "1", "--quiet", "--out", str(tmp_path)]) == 0
    assert stat.S_IMODE(result.stat().st_mode) == 0o600
    assert '"scenario": "xor"' in result.read_text()
    picture = tmp_path / "xor-data.png"
    picture.write_bytes(b"old")
    os.chmod(picture, 0o600)
    assert main(["plot", "xor", "--epochs", "1", "--quiet", "--out", str(tmp_path)]) == 0
    assert stat.S_IMODE(picture.stat().st_mode) == 0o600
    assert picture.read_bytes().startswith(b"\x89PNG")


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_cli_out_and_plot_never_write_through_a_link_at_a_temporary_name(
    tmp_path, capsys, monkeypatch
):
    """The temporary files beside results are created afresh (exclusive, random names): a
    link planted where a predictable name would be cannot redirect the write."""
    precious = tmp_path / "precious.txt"
    precious.write_text("precious data")
    out = tmp_path / "out"
    out.mkdir()
    monkeypatch.setattr(os, "getpid", lambda: 4242)
    for name in ("xor.json", "xor-data.png", "xor-boundary.png", "xor-curves.png"):
        (out / f".{name}.4242.tmp").symlink_to(precious)
    assert main(["train", "xor", "--epochs", "1", "--quiet", "--out", str(out)]) == 0
    assert main(["plot", "xor", "--epochs", "1", "--quiet", "--out", str(out)]) == 0
    assert precious.read_text() == "precious data"
    assert '"scenario": "xor"' in (out / "xor.json").read_text()
    assert (out / "xor-data.png").read_bytes().startswith(b"\x89PNG")


def test_cli_save_failure_mid_run_keeps_earlier_checkpoints(tmp_path, capsys, monkeypatch):
    """ENOSPC on the third save: one line, exit 1, epochs 1 and 2 intact, no temp file."""
    import nanotorch.checkpoint.api as api

    real_write, calls = api.write, []

    def write(f, *args):
        calls.append(1)
        if len(calls) == 3:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_write(f, *args)

    monkeypatch.setattr(api, "write", write)
    code = main(["train", "xor", "--epochs", "5", "--quiet", "--checkpoint-dir", str(tmp_path)])
    out, err = capsys.readouterr()
    assert code == 1 and err.count("\n") == 1
    assert "could not save the checkpoint of epoch 3" in err
    assert "No space left on device" in err and "intact" in err and "--resume" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        ".nanotorch.lock",
        "epoch-0001.safetensors",
        "epoch-0002.safetensors",
    ]
    assert nanotorch.load(tmp_path / "epoch-0002.safetensors")["epoch"] == 2
    monkeypatch.setattr(api, "write", real_write)
    resumed = main(
        ["train", "xor", "--epochs", "5", "--quiet", "--checkpoint-dir", str(tmp_path), "--resume"]
    )
    assert resumed == 0 and "at epoch 2" in capsys.readouterr().out


def test_cli_save_failure_on_the_first_epoch_says_how_to_start_again(tmp_path, capsys, monkeypatch):
    import shlex

    import nanotorch.checkpoint.api as api

    def full(f, *args):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(api, "write", full)
    code = main(["train", "xor", "--epochs", "3", "--quiet", "--checkpoint-dir", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1
    assert "could not save the checkpoint of epoch 1" in err and "No space left" in err
    head, command = err.strip().split("; once there is room, start again with: ")
    assert head.endswith("nothing of this run was saved")
    assert sorted(p.name for p in tmp_path.iterdir()) == [".nanotorch.lock"]
    monkeypatch.undo()  # room again
    assert main(shlex.split(command)[1:]) == 0


def test_cli_ctrl_c_in_process_names_the_epoch_and_the_command(tmp_path, capsys, monkeypatch):
    import nanotorch.cli as cli

    track = cli._track

    def interrupt(state):
        track(state)
        if state.epoch == 2:  # after epoch 2 ends, before its checkpoint is saved
            raise KeyboardInterrupt

    monkeypatch.setattr(cli, "_track", interrupt)
    code = main(["train", "xor", "--epochs", "5", "--checkpoint-dir", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 130
    assert err == (
        "nanotorch: interrupted at epoch 1; continue with: nanotorch train xor --epochs 5 "
        f"--checkpoint-dir {tmp_path} --resume\n"
    )
    code = main(["train", "xor", "--epochs", "5"])
    assert code == 130
    assert capsys.readouterr().err.startswith(
        "nanotorch: interrupted at epoch 2; nothing was saved: pass --checkpoint-dir"
    )


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash to read the command")
@pytest.mark.parametrize("name", ["two  spaces\tand a tab", "a new\nline", "it's"])
def test_cli_continue_command_names_the_exact_folder(name, tmp_path, capsys, monkeypatch):
    """The one-line message must not change the command it prints: whitespace inside a
    quoted path is kept, and a newline is written as $'\\n' (bash, zsh), not as a space."""
    import nanotorch.cli as cli

    track = cli._track

    def interrupt(state):
        track(state)
        if state.epoch == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr(cli, "_track", interrupt)
    folder = tmp_path / name
    assert main(["train", "xor", "--epochs", "5", "--checkpoint-dir", str(folder)]) == 130
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    command = err.split("continue with: ", 1)[1].rstrip("\n")
    words = subprocess.run(
        ["bash", "-c", f"printf '%s\\0' {command}"], capture_output=True, text=True, check=True
    ).stdout.split("\0")[:-1]
    assert words[words.index("--checkpoint-dir") + 1] == str(folder)


def test_cli_ctrl_c_while_a_resume_loads_points_back_at_the_same_checkpoint(
    good_state, tmp_path, capsys, monkeypatch
):
    import nanotorch.runner as runner

    nanotorch.save(good_state, tmp_path / CKPT)

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(runner, "prepare_run", interrupted)
    argv = ["train", "xor", "--epochs", "4", "--checkpoint-dir", str(tmp_path), "--resume"]
    assert main(argv) == 130
    assert capsys.readouterr().err == (
        "nanotorch: interrupted at epoch 2; continue with: nanotorch train xor --epochs 4 "
        f"--checkpoint-dir {tmp_path} --resume\n"
    )


def test_plot_failing_write_leaves_no_partial_picture(tmp_path, capsys, monkeypatch):
    """A full disk while a PNG is written: one line, exit 1, and no truncated file."""
    from matplotlib.figure import Figure

    def half_then_full(self, path, **kwargs):
        with open(path, "wb") as f:
            f.write(b"\x89PNG half")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(Figure, "savefig", half_then_full)
    code = main(["plot", "xor", "--epochs", "1", "--quiet", "--out", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1
    assert "xor trained but its pictures could not be written" in err
    assert "No space left on device" in err
    assert list(tmp_path.iterdir()) == []


@pytest.fixture
def restore_signals():
    saved = {n: signal.getsignal(n) for n in (signal.SIGINT, signal.SIGTERM)}
    yield
    for signum, handler in saved.items():
        signal.signal(signum, handler)


@pytest.mark.parametrize(
    ("first", "second", "code", "word"),
    [
        (signal.SIGINT, signal.SIGINT, 130, "interrupted"),
        (signal.SIGINT, signal.SIGTERM, 130, "interrupted"),
        (signal.SIGTERM, signal.SIGINT, 143, "terminated"),
    ],
)
def test_cli_second_signal_while_the_first_is_reported_changes_nothing(
    first, second, code, word, tmp_path, capsys, monkeypatch, restore_signals
):
    """An impatient user presses Ctrl-C twice: the second arrives while the first is being
    reported, and must not turn the one-line report into a traceback."""
    import nanotorch.cli as cli

    track, hint = cli._track, cli._continue_hint

    def signal_self(state):
        track(state)
        if state.epoch == 2:
            os.kill(os.getpid(), first)

    def impatient(stopped):
        os.kill(os.getpid(), second)  # handled at once, in the middle of the report
        return hint(stopped)

    monkeypatch.setattr(cli, "_track", signal_self)
    monkeypatch.setattr(cli, "_continue_hint", impatient)
    try:
        got = main(["train", "xor", "--epochs", "5", "--checkpoint-dir", str(tmp_path)])
    except KeyboardInterrupt:
        pytest.fail("the second signal escaped main() as a KeyboardInterrupt (a traceback)")
    err = capsys.readouterr().err
    assert got == code
    assert err == (
        f"nanotorch: {word} at epoch 1; continue with: nanotorch train xor --epochs 5 "
        f"--checkpoint-dir {tmp_path} --resume\n"
    )
    # The process is on its way out: a signal during its shutdown is ignored too.
    assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_IGN


def test_cli_without_a_signal_main_restores_the_signal_handlers(capsys):
    before = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    assert main(["list"]) == 0
    assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == before


def test_cli_ctrl_c_while_the_command_starts_up_is_one_line(capsys, monkeypatch):
    """Ctrl-C while main() imports what it needs (the first fraction of a second)."""
    import types

    class Interrupting(types.ModuleType):
        def __getattr__(self, name):
            if name.startswith("__"):  # what repr() and the import system look up
                raise AttributeError(name)
            raise KeyboardInterrupt

    monkeypatch.setitem(sys.modules, "nanotorch.runner", Interrupting("nanotorch.runner"))
    try:
        got = main(["list"])
    except KeyboardInterrupt:
        pytest.fail("a Ctrl-C during start-up escaped main() as a KeyboardInterrupt")
    assert got == 130
    assert capsys.readouterr().err == "nanotorch: interrupted\n"
