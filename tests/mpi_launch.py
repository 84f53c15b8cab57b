"""Run a small Python program under ``mpiexec`` and collect what each rank reports.

The MPI tests cannot run inside the pytest process (MPI is started once per process and a
collective needs every rank), so each test writes a script, launches it with the ``mpiexec``
that the ``mpi`` extra installs next to the interpreter, and reads one JSON file per rank.
A timeout kills the whole launch (its own session), so a hanging collective fails the test
instead of stalling the suite.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

PRELUDE = """
import json, os, sys
OUT = sys.argv[1]


def report(rank, value):
    with open(os.path.join(OUT, f"rank{rank}.json"), "w") as f:
        json.dump(value, f)

"""


def mpiexec_path() -> str | None:
    """The mpich wheel's ``mpiexec``: beside this interpreter (a virtual environment), or in
    the ``bin/`` beside the folder mpi4py was installed into (``pip install --target``);
    else one on PATH."""
    candidates = [Path(sys.executable).parent / "mpiexec"]
    spec = importlib.util.find_spec("mpi4py")
    if spec is not None and spec.origin is not None:
        candidates.append(Path(spec.origin).parent.parent / "bin" / "mpiexec")
    for path in candidates:
        if path.exists():
            return str(path)
    return shutil.which("mpiexec")


def mpi_skip_reason() -> str | None:
    if importlib.util.find_spec("mpi4py") is None:
        return "needs mpi4py: install the mpi extra (uv sync --extra mpi)"
    if mpiexec_path() is None:
        return "needs an mpiexec: install the mpi extra (uv sync --extra mpi)"
    return None


needs_mpi = pytest.mark.skipif(mpi_skip_reason() is not None, reason=mpi_skip_reason() or "")


@dataclass
class MPIRun:
    returncode: int
    stdout: str
    stderr: str
    elapsed: float
    results: dict[int, Any] = field(default_factory=dict)


def launch(
    script: str, tmp_path: Path, n: int = 2, timeout: float = 60.0, check: bool = True
) -> MPIRun:
    """Run ``script`` on ``n`` ranks; ``check`` fails the test unless every rank reported."""
    exe = mpiexec_path()
    assert exe is not None
    path = tmp_path / "prog.py"
    path.write_text(PRELUDE + textwrap.dedent(script))
    out = tmp_path / "out"
    out.mkdir(exist_ok=True)
    env = dict(os.environ)
    # Both ranks share the machine's cores: one BLAS thread each keeps them from fighting.
    env.setdefault("OMP_NUM_THREADS", "1")
    env.setdefault("OPENBLAS_NUM_THREADS", "1")
    start = time.monotonic()
    proc = subprocess.Popen(
        [exe, "-n", str(n), sys.executable, str(path), str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,
    )
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        stdout, stderr = proc.communicate()
        pytest.fail(f"mpiexec -n {n} hung for {timeout} s\nstdout:\n{stdout}\nstderr:\n{stderr}")
    run = MPIRun(proc.returncode, stdout, stderr, time.monotonic() - start)
    for f in out.glob("rank*.json"):
        run.results[int(f.stem[4:])] = json.loads(f.read_text())
    if check and (proc.returncode != 0 or len(run.results) != n):
        pytest.fail(
            f"mpiexec -n {n} exited {proc.returncode} with {len(run.results)} reports\n"
            f"stdout:\n{stdout}\nstderr:\n{stderr}"
        )
    return run
