"""Atomic file replacement: a reader sees the old checkpoint or the new one, never half.

Note [Atomic save]
~~~~~~~~~~~~~~~~~~
A training job that dies while writing (pre-empted, out of memory, Ctrl-C) must not destroy
the checkpoint it was replacing, which is the only way back. So ``save`` never writes the
target itself:

1. create a fresh temporary file in the target's own directory (``os.replace`` is only atomic
   within one filesystem), named ``.<name>.<random>.tmp``, with the permissions a plain
   ``open()`` would give, or those of the file it replaces (``keep_mode``: a private 0600
   checkpoint stays private);
2. write everything, ``flush`` Python's buffer and ``os.fsync`` the file, so its bytes are on
   disk before any name points at them;
3. ``os.replace`` it over the target: on POSIX and Windows the name switches in one step;
4. ``fsync`` the directory (POSIX), so the switch itself survives a power cut.

If anything fails before step 3, the temporary file is removed and the target is untouched.
A process killed outright (SIGKILL, power loss) cannot clean up, so a stray ``.tmp`` may be
left; it is never the target, and is safe to delete. What this cannot promise: atomicity on
filesystems whose rename is not atomic (some network and FUSE filesystems), and durability
where the directory cannot be fsynced (Windows; filesystems that refuse it): there the last
save may be lost in a power cut, though never half-written over the previous file by us.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
from collections.abc import Callable
from typing import BinaryIO

from nanotorch.checkpoint.layout import fail


def atomic_write(path: str, write: Callable[[BinaryIO], None]) -> None:
    """Call ``write(f)`` on a temporary file, then move it over ``path`` (Note [Atomic save])."""
    target = os.path.abspath(path)
    directory, name = os.path.split(target)
    if path.endswith(os.sep) or (os.altsep is not None and path.endswith(os.altsep)):
        fail(
            path,
            f"ends with {path[-1]!r}, so it names a directory; give the path of a file, e.g. "
            f"{os.path.join(path, 'checkpoint.safetensors')}",
        )
    problem = not_replaceable(target)
    if problem is not None:
        fail(path, problem)
    if os.path.isdir(target):
        fail(
            path,
            "is a directory; give the path of a file inside it, e.g. "
            f"{os.path.join(path, 'checkpoint.safetensors')}",
        )
    if os.path.exists(directory) and not os.path.isdir(directory):
        fail(path, f"{directory} is a file, not a directory; save into a directory")
    if not os.path.isdir(directory):
        fail(
            path,
            f"the directory {directory} does not exist; create it first "
            "(os.makedirs(..., exist_ok=True))",
        )
    tmp = os.path.join(directory, temporary_name(name, _name_max(directory)))
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(tmp, flags, 0o666)  # 0o666 minus the umask, like open()
    except OSError as exc:
        fail(
            path,
            f"cannot create a temporary file in {directory}: {exc.strerror or exc}; saving "
            "writes a new file beside the target and renames it over it, so the directory "
            "must be writable",
        )
    try:
        keep_mode(target, fd)
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            fail(
                path,
                f"saving failed and the previous file, if any, is unchanged: {exc.strerror or exc}",
                exc,
            )
        raise
    _fsync_directory(directory)


_NODE_KINDS = (
    (stat.S_ISFIFO, "named pipe"),
    (stat.S_ISSOCK, "socket"),
    (stat.S_ISCHR, "character device"),
    (stat.S_ISBLK, "block device"),
)


def not_replaceable(target: str | os.PathLike[str]) -> str | None:
    """Why an atomic replace must not happen at ``target`` (None: it may). The rename
    replaces whatever has the name: over a pipe, socket or device (``/dev/null``, run as
    root) it would replace the node itself rather than write into it."""
    try:
        mode = os.stat(target, follow_symlinks=False).st_mode
    except OSError:
        return None  # nothing there (or nothing we may look at: the write will say)
    for test, kind in _NODE_KINDS:
        if test(mode):
            return (
                f"is a {kind}, not a regular file; saving writes a new file and renames it "
                f"over the path, which would replace the {kind} itself: name a regular file"
            )
    return None


def create_temporary(target: str | os.PathLike[str]) -> tuple[int, str]:
    """A new, empty temporary file beside ``target`` for an atomic replace: an open write
    descriptor and its path. Created exclusively under a random name (``temporary_name``),
    so nothing already there, such as a planted symlink, is written through; it has the
    mode of the file it will replace (``keep_mode``). Other writers (the CLI's ``--out``,
    ``plot``'s pictures) use it the way ``atomic_write`` does."""
    problem = not_replaceable(target)
    if problem is not None:
        raise OSError(errno.EEXIST, f"{os.fspath(target)} {problem}")
    directory, name = os.path.split(os.path.abspath(target))
    tmp = os.path.join(directory, temporary_name(name, _name_max(directory)))
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        keep_mode(target, fd)
    except BaseException:
        os.close(fd)
        os.unlink(tmp)
        raise
    return fd, tmp


def keep_mode(target: str | os.PathLike[str], tmp: int | str | os.PathLike[str]) -> None:
    """Give the temporary file ``tmp`` (a descriptor or a path) the permission bits of the
    regular file at ``target`` it is about to replace, so that a file the user made private
    (0600) stays private. A new file keeps the bits a plain ``open()`` gives; a symlink at
    ``target`` is replaced, not followed, so its own bits mean nothing here."""
    try:
        st = os.stat(target, follow_symlinks=False)
    except OSError:
        return  # nothing to replace (or nothing we may look at): the umask decides
    if stat.S_ISREG(st.st_mode) and (not isinstance(tmp, int) or os.chmod in os.supports_fd):
        os.chmod(tmp, stat.S_IMODE(st.st_mode))


def _name_max(directory: str) -> int:
    """The longest file name, in bytes, the directory's filesystem allows (255 on most)."""
    try:
        return os.pathconf(directory, "PC_NAME_MAX")
    except (AttributeError, OSError, ValueError):
        return 255  # Windows has no pathconf; 255 is its limit too (in UTF-16 units)


def temporary_name(name: str, name_max: int) -> str:
    """``.<name>.<random>.tmp``, with ``name`` shortened so the whole fits in ``name_max``
    bytes. The limit counts bytes, not characters: a 255-byte name may be only 64 emoji, so
    the name is cut a character at a time until its encoding fits (never mid-character)."""
    suffix = f".{secrets.token_hex(6)}.tmp"
    room = name_max - len(os.fsencode("." + suffix))
    while name and len(os.fsencode(name)) > room:
        name = name[:-1]
    return f".{name}{suffix}"


def _fsync_directory(directory: str) -> None:
    if os.name != "posix":
        return  # Windows cannot open a directory for fsync
    fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    except OSError:
        pass  # some filesystems refuse; the file itself is already safe on disk
    finally:
        os.close(fd)
