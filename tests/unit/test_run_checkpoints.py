"""A run's checkpoint folder: a run prunes and resumes only its own files, a fresh run never
writes into a folder holding another run's checkpoints, ``--restart`` moves them aside
(never deletes), and a lock keeps a second run out (issue: nothing lost).

The command line runs in-process here (``cli.main``), which is fast; tests/e2e covers the
same promises with real processes."""

from __future__ import annotations

import os

import pytest

import nanotorch
from nanotorch.cli import main
from nanotorch.runner import run_scenario
from nanotorch.train import Checkpointer


def _train(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(["train", "xor", "--quiet", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def _names(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("epoch-"))


def _run_id(path) -> str:
    return nanotorch.load(path)["run"]["run_id"]


def test_checkpointer_prunes_only_the_files_it_owns(tmp_path):
    """The data-loss repro at library level: another run's higher-numbered files in the same
    folder stay untouched, and this run keeps its own newest ``keep_last``."""
    run_scenario("xor", epochs=6, quiet=True, callbacks=[Checkpointer(tmp_path)])
    theirs = {n: (tmp_path / n).read_bytes() for n in _names(tmp_path)}
    assert list(theirs) == [f"epoch-000{i}.safetensors" for i in (4, 5, 6)]
    run_scenario("xor", epochs=3, seed=1, quiet=True, callbacks=[Checkpointer(tmp_path, 2)])
    assert _names(tmp_path) == [f"epoch-000{i}.safetensors" for i in (2, 3, 4, 5, 6)]
    for name, data in theirs.items():
        assert (tmp_path / name).read_bytes() == data
    assert _run_id(tmp_path / "epoch-0003.safetensors") != _run_id(
        tmp_path / "epoch-0004.safetensors"
    )


def test_checkpointer_never_overwrites_or_deletes_a_file_it_does_not_own(tmp_path):
    run_scenario("xor", epochs=2, quiet=True, callbacks=[Checkpointer(tmp_path)])
    before = {n: (tmp_path / n).read_bytes() for n in _names(tmp_path)}
    with pytest.raises(RuntimeError, match="epoch-0001.safetensors.*not written by this run"):
        run_scenario("xor", epochs=3, seed=1, quiet=True, callbacks=[Checkpointer(tmp_path, 1)])
    assert {n: (tmp_path / n).read_bytes() for n in _names(tmp_path)} == before


@pytest.mark.parametrize("problem", [PermissionError(1, "Operation not permitted"), "gone"])
def test_cli_old_checkpoint_that_cannot_be_pruned_is_a_warning_not_a_failure(
    problem, tmp_path, capsys, monkeypatch
):
    """The new checkpoint is safe on disk; an old one that cannot be deleted (an immutable
    file, or one the user removed meanwhile) is left where it is, and the run goes on."""
    import pathlib

    real = pathlib.Path.unlink
    blocked = tmp_path / "epoch-0001.safetensors"

    def unlink(self, missing_ok=False):
        if self == blocked:
            if problem == "gone":
                real(self)
                raise FileNotFoundError(2, "No such file or directory")
            raise problem
        return real(self, missing_ok)

    monkeypatch.setattr(pathlib.Path, "unlink", unlink)
    code, out, err = _train(
        capsys, "--epochs", "3", "--keep-last", "1", "--checkpoint-dir", str(tmp_path)
    )
    assert code == 0, err
    assert "after:" in out
    if problem == "gone":
        assert err == "" and _names(tmp_path) == ["epoch-0003.safetensors"]
    else:
        assert err.count("\n") == 1
        assert err.startswith(f"nanotorch: warning: could not delete {blocked}, an older ")
        assert "Operation not permitted" in err
        assert _names(tmp_path) == ["epoch-0001.safetensors", "epoch-0003.safetensors"]


@pytest.mark.skipif(not hasattr(os, "symlink") or not hasattr(os, "mkfifo"), reason="POSIX")
@pytest.mark.parametrize("kind", ["symlink", "dangling symlink", "fifo", "directory"])
def test_cli_lock_file_that_is_not_a_plain_file_is_refused_and_nothing_is_written(
    kind, tmp_path, capsys
):
    """The run writes its pid into ``.nanotorch.lock``; through a planted link that would
    overwrite whatever file the link names."""
    folder, precious = tmp_path / "ck", tmp_path / "precious.txt"
    folder.mkdir()
    precious.write_text("precious data")
    lock = folder / ".nanotorch.lock"
    if kind == "symlink":
        lock.symlink_to(precious)
    elif kind == "dangling symlink":
        lock.symlink_to(tmp_path / "created-through-the-link")
    elif kind == "fifo":
        os.mkfifo(lock)
    else:
        lock.mkdir()
    code, out, err = _train(capsys, "--epochs", "1", "--checkpoint-dir", str(folder))
    assert code == 2 and err.count("\n") == 1, err
    assert f"{lock}" in err and "not a plain file" in err and "remove it" in err
    assert precious.read_text() == "precious data"
    assert not (tmp_path / "created-through-the-link").exists()
    assert _names(folder) == []


def test_cli_checkpoint_file_given_as_the_folder_points_at_its_folder(tmp_path, capsys):
    """`--checkpoint-dir ck/epoch-0002.safetensors`: the file is named, and its folder too."""
    assert _train(capsys, "--epochs", "2", "--checkpoint-dir", str(tmp_path))[0] == 0
    ckpt = tmp_path / "epoch-0002.safetensors"
    code, _, err = _train(capsys, "--epochs", "2", "--checkpoint-dir", str(ckpt), "--resume")
    assert code == 2 and err.count("\n") == 1
    assert f"{ckpt} is a checkpoint file, not a folder; pass its folder: --checkpoint-dir " in err
    code = main(["sample", "shakespeare-gpt-tiny", "--checkpoint-dir", str(ckpt)])
    err = capsys.readouterr().err
    assert code == 2 and f"pass its folder: --checkpoint-dir {tmp_path}" in err


def test_cli_checkpoint_folder_replaced_by_a_file_mid_run_is_one_line(
    tmp_path, capsys, monkeypatch
):
    """Someone moves the folder away and leaves a file in its place during the run: the
    next save fails with one line and exit 1, like a full disk, not an internal error."""
    import shutil

    import nanotorch.cli as cli

    folder, track = tmp_path / "ck", cli._track

    def replace_folder(state):
        track(state)
        if state.epoch == 2:  # epoch 1 is saved; the folder goes before epoch 2's save
            shutil.move(folder, tmp_path / "moved")
            folder.write_text("not a folder")

    monkeypatch.setattr(cli, "_track", replace_folder)
    code, _, err = _train(capsys, "--epochs", "3", "--checkpoint-dir", str(folder))
    assert code == 1 and err.count("\n") == 1, err
    assert "could not save the checkpoint of epoch 2" in err and "internal error" not in err
    assert folder.read_text() == "not a folder"
    assert _names(tmp_path / "moved") == ["epoch-0001.safetensors"]


def test_cli_fresh_run_refuses_a_folder_with_another_runs_checkpoints(tmp_path, capsys):
    """`train xor --epochs 6 --checkpoint-dir ck && train xor --epochs 3 --seed 1 ...` used
    to delete the second run's checkpoints right after writing them."""
    ck = tmp_path / "ck"
    assert _train(capsys, "--epochs", "6", "--checkpoint-dir", str(ck))[0] == 0
    before = {n: (ck / n).read_bytes() for n in _names(ck)}
    code, out, err = _train(capsys, "--epochs", "3", "--seed", "1", "--checkpoint-dir", str(ck))
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("nanotorch: error: ")
    assert "--resume" in err and "--restart" in err and "another --checkpoint-dir" in err
    assert "before:" not in out  # refused before any training
    assert {n: (ck / n).read_bytes() for n in _names(ck)} == before


def test_cli_restart_moves_the_old_checkpoints_aside_and_keeps_them(tmp_path, capsys):
    ck = tmp_path / "ck"
    assert _train(capsys, "--epochs", "4", "--checkpoint-dir", str(ck))[0] == 0
    old = {n: (ck / n).read_bytes() for n in _names(ck)}
    code, out, err = _train(
        capsys, "--epochs", "3", "--seed", "1", "--checkpoint-dir", str(ck), "--restart"
    )
    assert code == 0, err
    assert _names(ck) == [f"epoch-000{i}.safetensors" for i in (1, 2, 3)]
    (aside,) = [p for p in ck.iterdir() if p.is_dir()]
    assert aside.name.startswith("previous-")
    assert {p.name: p.read_bytes() for p in aside.iterdir()} == old
    assert f"moved the checkpoints of the previous run to {aside}" in out


def test_cli_restart_and_resume_together_are_refused(tmp_path, capsys):
    code, _, err = _train(capsys, "--checkpoint-dir", str(tmp_path), "--restart", "--resume")
    assert code == 2 and "--restart" in err and "--resume" in err and err.count("\n") == 1


def test_cli_resume_continues_its_own_run_and_prunes_only_its_files(tmp_path, capsys):
    """A resumed run keeps the identity of the run it continues, so its pruning reaches the
    files written before the interruption."""
    run_scenario("xor", epochs=5, seed=2, quiet=True, callbacks=[Checkpointer(tmp_path, 5)])
    run_id = _run_id(tmp_path / "epoch-0002.safetensors")
    for i in (3, 4, 5):  # as if interrupted after epoch 2
        (tmp_path / f"epoch-000{i}.safetensors").unlink()
    args = ("--epochs", "5", "--seed", "2", "--checkpoint-dir", str(tmp_path), "--keep-last", "2")
    code, out, err = _train(capsys, *args, "--resume")
    assert code == 0, err
    assert f"resumed from {tmp_path / 'epoch-0002.safetensors'} at epoch 2" in out
    assert _names(tmp_path) == ["epoch-0004.safetensors", "epoch-0005.safetensors"]
    assert _run_id(tmp_path / "epoch-0005.safetensors") == run_id


def test_cli_resume_ignores_files_of_another_run_in_the_folder(tmp_path, capsys):
    """A foreign file with a higher epoch number is neither resumed from nor pruned."""
    ck, other = tmp_path / "ck", tmp_path / "other"
    assert _train(capsys, "--epochs", "4", "--checkpoint-dir", str(ck), "--keep-last", "4")[0] == 0
    for n in ("epoch-0003.safetensors", "epoch-0004.safetensors"):
        (ck / n).unlink()
    run_scenario("xor", epochs=9, seed=5, quiet=True, callbacks=[Checkpointer(other, 9)])
    foreign = (other / "epoch-0009.safetensors").read_bytes()
    (ck / "epoch-0009.safetensors").write_bytes(foreign)
    code, out, err = _train(
        capsys, "--epochs", "4", "--checkpoint-dir", str(ck), "--keep-last", "1", "--resume"
    )
    assert code == 0, err
    assert "at epoch 2" in out
    assert _names(ck) == ["epoch-0004.safetensors", "epoch-0009.safetensors"]
    assert (ck / "epoch-0009.safetensors").read_bytes() == foreign


def test_cli_second_run_in_a_locked_folder_refuses_at_once(tmp_path, capsys):
    from nanotorch.runner import CheckpointFolder

    with CheckpointFolder(tmp_path):
        code, out, err = _train(capsys, "--epochs", "2", "--checkpoint-dir", str(tmp_path))
    assert code == 2 and err.count("\n") == 1
    assert "in use by another nanotorch run" in err and "before:" not in out
    assert _names(tmp_path) == []
    # Released when the first run ends: the next run goes ahead.
    assert _train(capsys, "--epochs", "2", "--checkpoint-dir", str(tmp_path))[0] == 0


def test_cli_a_folder_named_like_a_checkpoint_is_refused_before_training(tmp_path, capsys):
    (tmp_path / "epoch-0001.safetensors").mkdir()
    code, out, err = _train(capsys, "--epochs", "2", "--checkpoint-dir", str(tmp_path))
    assert code == 2 and err.count("\n") == 1
    assert "epoch-0001.safetensors is not a file" in err and out == ""


def test_cli_folder_without_locks_or_a_failing_restart_is_one_line(tmp_path, capsys, monkeypatch):
    import errno
    import fcntl
    import os

    import nanotorch.runner as runner

    def no_locks(fd, op):
        raise OSError(errno.ENOLCK, os.strerror(errno.ENOLCK))

    real_flock = fcntl.flock
    monkeypatch.setattr(runner.fcntl, "flock", no_locks)
    code, _, err = _train(capsys, "--epochs", "1", "--checkpoint-dir", str(tmp_path / "a"))
    assert code == 2 and err.count("\n") == 1 and "cannot be locked" in err
    monkeypatch.setattr(runner.fcntl, "flock", real_flock)

    code, _, err = _train(capsys, "--epochs", "1", "--checkpoint-dir", str(tmp_path / "b"))
    assert code == 0, err

    def refuse(src, dst):
        raise OSError(errno.EACCES, os.strerror(errno.EACCES))

    monkeypatch.setattr(runner.os, "replace", refuse)
    code, _, err = _train(
        capsys, "--epochs", "1", "--checkpoint-dir", str(tmp_path / "b"), "--restart"
    )
    assert code == 2 and err.count("\n") == 1
    assert "could not move the earlier checkpoints" in err and "nothing was deleted" in err
    assert _names(tmp_path / "b") == ["epoch-0001.safetensors"]


def test_checkpointer_counts_a_file_on_disk_as_saved_when_interrupted_after_writing(
    tmp_path, monkeypatch
):
    """Ctrl-C can land between the file's atomic rename and the bookkeeping after it; the
    file is complete on disk, so the interrupted run must report that epoch as saved (the
    printed ``--resume`` command depends on it)."""
    import nanotorch.checkpoint as checkpoint

    real_save = checkpoint.save

    def save_then_interrupt(obj, path):
        real_save(obj, path)
        raise KeyboardInterrupt

    ck = Checkpointer(tmp_path)
    monkeypatch.setattr(checkpoint, "save", save_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        run_scenario("xor", epochs=2, quiet=True, callbacks=[ck])
    assert _names(tmp_path) == ["epoch-0001.safetensors"]
    assert ck.last_saved == 1


def test_checkpointer_reports_nothing_saved_when_interrupted_before_the_file_exists(
    tmp_path, monkeypatch
):
    import nanotorch.checkpoint as checkpoint

    def interrupt(obj, path):
        raise KeyboardInterrupt

    ck = Checkpointer(tmp_path)
    monkeypatch.setattr(checkpoint, "save", interrupt)
    with pytest.raises(KeyboardInterrupt):
        run_scenario("xor", epochs=2, quiet=True, callbacks=[ck])
    assert ck.last_saved is None
