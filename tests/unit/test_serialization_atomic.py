"""Atomic saves: a failed or killed save leaves the previous checkpoint as it was.

``save`` writes a temporary file beside the target, flushes and fsyncs it, renames it over the
target with ``os.replace``, then fsyncs the directory.
"""

from __future__ import annotations

import errno
import os
import signal
import stat
import subprocess
import sys
import textwrap

import pytest

import nanotorch
from nanotorch.checkpoint import api

OLD = {"w": [1.0, 2.0, 3.0], "step": 1}


def _save_old(path) -> None:
    nanotorch.save({"w": nanotorch.tensor(OLD["w"]), "step": OLD["step"]}, path)


def _assert_old_intact(path) -> None:
    got = nanotorch.load(path)
    assert got["w"].tolist() == OLD["w"] and got["step"] == OLD["step"]


@pytest.fixture
def target(tmp_path):
    """``c.safetensors`` holding the previous checkpoint, which a failed save must not harm."""
    path = tmp_path / "c.safetensors"
    _save_old(path)
    return path


def _assert_old_file_alone(target) -> None:
    """No temporary file is left beside the target, and the target is the old checkpoint."""
    assert os.listdir(target.parent) == [target.name]
    _assert_old_intact(target)


def _new_state() -> dict:
    # The first tensor outgrows the write buffer, so a failure after it leaves real bytes.
    return {"a": nanotorch.ones(100_000), "b": nanotorch.zeros(50), "step": 2}


def test_save_fsyncs_the_file_then_renames_then_fsyncs_the_directory(tmp_path, monkeypatch):
    events = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd):
        kind = "dir" if stat.S_ISDIR(os.fstat(fd).st_mode) else "file"
        events.append(("fsync", kind))
        real_fsync(fd)

    def replace(src, dst):
        events.append(("replace", os.path.dirname(os.fspath(src)), os.fspath(dst)))
        real_replace(src, dst)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    target = tmp_path / "c.safetensors"
    nanotorch.save(_new_state(), target)
    expected_dir = [("fsync", "dir")] if os.name == "posix" else []
    assert events == [("fsync", "file"), ("replace", str(tmp_path), str(target))] + expected_dir
    assert os.listdir(tmp_path) == ["c.safetensors"]


def test_save_failing_midway_keeps_the_old_file_and_removes_the_temp(tmp_path, target, monkeypatch):
    real = api._to_host
    seen = []
    sizes = []

    def fail_on_second_tensor(t):
        seen.append(t)
        if len(seen) == 2:
            # The first tensor's bytes are in the temporary file by now: a real partial write.
            (tmp,) = [p for p in tmp_path.iterdir() if p.name != "c.safetensors"]
            sizes.append(tmp.stat().st_size)
            raise RuntimeError("device lost halfway through the save")
        return real(t)

    monkeypatch.setattr(api, "_to_host", fail_on_second_tensor)
    with pytest.raises(RuntimeError, match="device lost"):
        nanotorch.save(_new_state(), target)
    assert sizes and sizes[0] >= 400_000
    _assert_old_file_alone(target)


def test_save_io_error_is_a_checkpoint_error_and_keeps_the_old_file(target, monkeypatch):

    def disk_full(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(nanotorch.CheckpointError, match=r"c\.safetensors.*No space left"):
        nanotorch.save(_new_state(), target)
    monkeypatch.undo()
    _assert_old_file_alone(target)


def test_save_interrupted_by_keyboard_interrupt_cleans_up(target, monkeypatch):

    def interrupt(t):
        raise KeyboardInterrupt

    monkeypatch.setattr(api, "_to_host", interrupt)
    with pytest.raises(KeyboardInterrupt):
        nanotorch.save(_new_state(), target)
    _assert_old_file_alone(target)


def test_save_of_an_unsupported_object_keeps_the_old_file(target):
    with pytest.raises(TypeError):
        nanotorch.save({"w": nanotorch.ones(3), "bad": object()}, target)
    _assert_old_file_alone(target)


def test_save_killed_mid_write_leaves_the_old_file_intact(tmp_path, target):
    if not hasattr(signal, "SIGKILL"):
        pytest.skip("needs SIGKILL")
    # The child writes the first (4 MB) tensor, says so, then stalls before the second one;
    # the parent kills it there, while the temporary file is half written.
    child = textwrap.dedent(
        f"""
        import sys, time
        import nanotorch
        from nanotorch.checkpoint import api
        real, calls = api._to_host, []
        def slow(t):
            calls.append(t)
            if len(calls) == 2:
                print("mid-write", flush=True)
                time.sleep(60)
            return real(t)
        api._to_host = slow
        nanotorch.save({{"a": nanotorch.ones(1_000_000), "b": nanotorch.ones(10)}},
                       {str(target)!r})
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", child], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "mid-write"
        partial = [p for p in tmp_path.iterdir() if p.name != "c.safetensors"]
        assert len(partial) == 1 and partial[0].stat().st_size >= 4_000_000
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
        proc.stdout.close()
    assert proc.returncode == -signal.SIGKILL
    _assert_old_intact(target)
    # A hard kill cannot clean up: the stray temp file is left, and it is never the target.
    leftovers = [p.name for p in tmp_path.iterdir() if p.name != "c.safetensors"]
    assert len(leftovers) == 1 and leftovers[0].startswith(".c.safetensors.")
    assert leftovers[0].endswith(".tmp")


def test_save_into_a_missing_directory_names_it(tmp_path):
    target = tmp_path / "nope" / "c.safetensors"
    with pytest.raises(nanotorch.CheckpointError, match=r"c\.safetensors.*nope.*does not exist"):
        nanotorch.save({"a": 1}, target)


def test_save_onto_a_directory_says_so(tmp_path):
    (tmp_path / "d").mkdir()
    with pytest.raises(nanotorch.CheckpointError, match=r"d.*is a directory"):
        nanotorch.save({"a": 1}, tmp_path / "d")
    assert os.listdir(tmp_path) == ["d"]


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
def test_save_creates_files_with_the_usual_permissions(tmp_path):
    # The temp file must not keep mkstemp's private 0600 mode: same bits as a plain open().
    (tmp_path / "plain").write_bytes(b"")
    nanotorch.save({"a": 1}, tmp_path / "c.safetensors")
    mode = stat.S_IMODE((tmp_path / "c.safetensors").stat().st_mode)
    assert mode == stat.S_IMODE((tmp_path / "plain").stat().st_mode)


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
@pytest.mark.parametrize("mode", [0o600, 0o640, 0o444])
def test_save_over_an_existing_file_keeps_its_permissions(target, mode):
    """A checkpoint the user made private stays private when it is saved again (the new
    file replaces the old one, so its bits would otherwise be the umask's)."""
    os.chmod(target, mode)
    nanotorch.save({"new": 2}, target)
    assert stat.S_IMODE(target.stat().st_mode) == mode
    assert nanotorch.load(target) == {"new": 2}


def test_save_under_a_file_says_the_parent_is_a_file(tmp_path):
    (tmp_path / "f").write_text("x")
    with pytest.raises(nanotorch.CheckpointError, match=r"f is a file, not a directory"):
        nanotorch.save({"a": 1}, tmp_path / "f" / "c.safetensors")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="POSIX named pipes and sockets")
@pytest.mark.parametrize("kind", ["named pipe", "socket"])
def test_save_refuses_to_replace_something_that_is_not_a_regular_file(kind, tmp_path):
    """Saving renames a new file over the path; over a pipe, socket or device (as root, even
    /dev/null) that would replace the node itself, so it is refused and left as it is."""
    import socket

    path = tmp_path / "node"
    if kind == "named pipe":
        os.mkfifo(path)
    else:
        sock = socket.socket(socket.AF_UNIX)
        sock.bind(str(path))
        sock.close()
    before = os.stat(path, follow_symlinks=False).st_mode
    for save in (nanotorch.save, nanotorch.save_safetensors):
        with pytest.raises(nanotorch.CheckpointError, match=rf"node: is a {kind}, not a regular"):
            save({"a": nanotorch.ones(1)}, path)
    assert os.stat(path, follow_symlinks=False).st_mode == before
    assert os.listdir(tmp_path) == ["node"]


def test_save_to_a_path_ending_in_a_separator_names_the_file_to_give(tmp_path):
    """``"runs/"`` names a directory: it must not quietly become a file called ``runs``."""
    with pytest.raises(nanotorch.CheckpointError, match=r"runs/: ends with '/'.*runs/checkpoint"):
        nanotorch.save({"a": 1}, str(tmp_path / "runs") + "/")
    assert os.listdir(tmp_path) == []


def test_save_into_a_read_only_directory_says_why_it_needs_write_access(target, monkeypatch):
    """The file itself may be writable: saving still needs the directory, for the temporary
    file it renames over the target. (Simulated: root ignores read-only folders.)"""
    real_open = os.open

    def read_only_dir(path, flags, *args):
        if os.path.basename(path).endswith(".tmp"):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))
        return real_open(path, flags, *args)

    monkeypatch.setattr(os, "open", read_only_dir)
    with pytest.raises(
        nanotorch.CheckpointError,
        match=r"c\.safetensors: cannot create a temporary file in .*: Permission denied; saving "
        r"writes a new file beside the target and renames it over it, so the directory must "
        r"be writable",
    ):
        nanotorch.save({"new": 2}, target)
    monkeypatch.undo()
    _assert_old_file_alone(target)


def test_save_overwrites_an_existing_checkpoint(tmp_path, target):
    nanotorch.save({"new": 2}, target)
    assert nanotorch.load(target) == {"new": 2}
    assert os.listdir(tmp_path) == ["c.safetensors"]


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_save_replaces_a_symlink_at_the_path_instead_of_following_it(tmp_path):
    # os.replace swaps the directory entry: the link itself becomes the new file, and the
    # file it pointed to keeps the old checkpoint.
    real = tmp_path / "real.safetensors"
    _save_old(real)
    link = tmp_path / "latest.safetensors"
    link.symlink_to(real)
    nanotorch.save({"new": 2}, link)
    assert not link.is_symlink()
    assert nanotorch.load(link) == {"new": 2}
    _assert_old_intact(real)


@pytest.mark.skipif(os.name != "posix", reason="directory fsync is POSIX-only")
def test_save_ignores_a_filesystem_that_refuses_to_fsync_a_directory(tmp_path, monkeypatch):
    real_fsync = os.fsync

    def fsync(fd):
        if stat.S_ISDIR(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, os.strerror(errno.EINVAL))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    nanotorch.save({"a": 1}, tmp_path / "c.safetensors")  # the file is in place regardless
    monkeypatch.undo()
    assert nanotorch.load(tmp_path / "c.safetensors") == {"a": 1}


def test_save_of_a_header_over_the_reader_limit_fails_and_keeps_the_old_file(target, monkeypatch):
    from nanotorch.checkpoint import layout

    monkeypatch.setattr(layout, "MAX_HEADER_BYTES", 1_000)  # stands in for 100 MB
    with pytest.raises(nanotorch.CheckpointError, match=r"c\.safetensors.*header.*over the 1000"):
        nanotorch.save({"losses": list(range(500))}, target)
    monkeypatch.undo()
    _assert_old_file_alone(target)


def test_save_checks_each_tensor_matches_its_header_entry(tmp_path, monkeypatch):
    # Guards the layout against a device copy that returns the wrong number of bytes.
    import numpy as np

    monkeypatch.setattr(api, "_to_host", lambda t: np.zeros(3, np.float32))
    with pytest.raises(nanotorch.CheckpointError, match=r"'w' has 12 bytes, expected 16"):
        nanotorch.save({"w": nanotorch.ones(4)}, tmp_path / "c.safetensors")
    assert os.listdir(tmp_path) == []
