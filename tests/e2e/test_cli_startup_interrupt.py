"""A Ctrl-C or SIGTERM while the ``nanotorch`` command is still importing its modules is one
line and the CLI's exit code, never a traceback (Note [Interrupted while starting] in
src/nanotorch_launch/__init__.py).

The import is made slow on purpose (a module finder that sleeps before ``nanotorch.cli``
loads), so the signal lands inside it every time."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

_SLOW_START = """
import os, signal, sys, threading, time

class SlowCli:
    def find_spec(self, name, path=None, target=None):
        if name == "nanotorch.cli":
            time.sleep(5)
        return None

sys.meta_path.insert(0, SlowCli())
threading.Timer(0.5, os.kill, (os.getpid(), signal.{signal})).start()
import nanotorch_launch
sys.argv = ["nanotorch", "list"]
sys.exit(nanotorch_launch.{entry}())
"""


@pytest.mark.parametrize(
    ("sig", "code", "word"), [("SIGINT", 130, "interrupted"), ("SIGTERM", 143, "terminated")]
)
@pytest.mark.parametrize("entry", ["main", "plot_main"])
def test_a_signal_while_the_cli_imports_is_one_line(sig, code, word, entry) -> None:
    script = _SLOW_START.format(signal=sig, entry=entry)
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == code
    assert done.stderr == f"nanotorch: {word} while starting; nothing was done\n"
    assert done.stdout == ""


def test_the_installed_command_starts_through_the_launcher() -> None:
    script = shutil.which("nanotorch", path=str(Path(sys.executable).parent))
    if script is None:
        pytest.skip("the nanotorch console script is not installed next to this Python")
    text = Path(script).read_text(errors="replace")
    assert "nanotorch_launch" in text
    done = subprocess.run(
        [script, "list"], capture_output=True, text=True, timeout=120, env=os.environ
    )
    assert done.returncode == 0 and "xor" in done.stdout


def test_signals_are_python_s_again_once_the_cli_is_loaded() -> None:
    import nanotorch_launch

    before = signal.getsignal(signal.SIGINT)
    nanotorch_launch._load_cli()
    assert signal.getsignal(signal.SIGINT) is before
