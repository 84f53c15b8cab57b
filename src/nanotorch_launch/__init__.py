"""The ``nanotorch`` and ``nanotorch-plot`` commands' first code: Ctrl-C from the first instant.

Note [Interrupted while starting]
~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
A console script imports its entry point's module before calling it, and importing
``nanotorch.cli`` imports the ``nanotorch`` package and NumPy first: about half a second, or
more on a busy machine. A Ctrl-C (or SIGTERM) in that window used to end in Python's
traceback, since nothing of nanotorch was running yet to turn it into the CLI's one line
(Note [The CLI contract] in nanotorch/cli.py). This package is outside ``nanotorch``, so
importing it imports nothing else: its ``main`` installs handlers that end the process with
one line and the CLI's exit code (130 for Ctrl-C, 143 for SIGTERM), imports the CLI, and
hands the signals back to Python before the CLI installs its own. Nothing has been read or
written by then, so ending at once loses nothing. ``python -m nanotorch`` imports the
package before any of its code runs and keeps Python's behaviour for that first moment.
"""

from __future__ import annotations

import os
import signal
import sys
from types import FrameType

_EXIT_CODES = {signal.SIGINT: 130, signal.SIGTERM: 143}


def _stop(signum: int, frame: FrameType | None) -> None:
    what = "interrupted" if signum == signal.SIGINT else "terminated"
    try:
        sys.stderr.write(f"nanotorch: {what} while starting; nothing was done\n")
        sys.stderr.flush()
    finally:
        os._exit(_EXIT_CODES[signum])  # mid-import: no cleanup to run, nothing to save


def _load_cli() -> object:
    previous = {s: signal.signal(s, _stop) for s in _EXIT_CODES}
    try:
        import nanotorch.cli as cli
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
    return cli


def main() -> int:
    """``nanotorch``: the CLI (nanotorch/cli.py), started with Note [Interrupted while
    starting] in force."""
    return _load_cli().main()  # type: ignore[attr-defined, no-any-return]


def plot_main() -> int:
    """``nanotorch-plot``, likewise."""
    return _load_cli().plot_main()  # type: ignore[attr-defined, no-any-return]
