"""A rank that dies ends the whole MPI job within seconds, never a hang.

Note [A failing rank ends the job] (src/nanotorch/distributed/mpi.py): an exception aborts
the job through the excepthook that ``init_process_group('mpi')`` installs; a rank killed by
a signal is noticed by mpiexec, which tears the others down.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mpi_launch import launch, needs_mpi

pytestmark = needs_mpi

FAIL = """
import os, signal
import nanotorch
import nanotorch.distributed as dist

dist.init_process_group("mpi")
if dist.get_rank() == 1:
    if "{how}" == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    raise ValueError("boom on purpose")
dist.all_reduce(nanotorch.ones(3))  # rank 0 waits here for a rank that will never come
report(0, "rank 0 passed a collective it should never have finished")
"""


@pytest.mark.parametrize("how", ["exception", "kill"])
def test_failing_rank_ends_the_job_within_seconds(tmp_path: Path, how: str) -> None:
    run = launch(FAIL.replace("{how}", how), tmp_path, timeout=30, check=False)
    assert run.returncode != 0
    assert run.results == {}
    assert run.elapsed < 15
    if how == "exception":
        assert "ValueError: boom on purpose" in run.stderr
        assert "nanotorch.distributed: rank 1 of 2 failed: ValueError: boom on purpose" in (
            run.stderr
        )
