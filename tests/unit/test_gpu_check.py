"""scripts/gpu_check.py: the table of parts, skip reasons, timeouts, exit codes and the report.

On a machine without CUDA the cuda parts must be listed as skipped with the reason; the
driver's own logic (a failing part fails the check, a hanging one is reported as a timeout)
is pinned with tiny fake parts run through ``run_parts``.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from types import ModuleType

import pytest

import nanotorch

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "gpu_check.py"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gpu_check", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["gpu_check"] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


gc = _load()
PY = sys.executable

# The probe's answer on a machine with nanotorch but no CuPy.
NO_CUDA_FACTS = {
    "cuda": {"available": False, "reason": "CuPy is not installed (no module named 'cupy')"},
    "modules": {"nanotorch.distributed": False},
    "scenarios": {"digits-mlp": "", "fashion-mlp": "data not found"},
    "nanotorch": {"version": "0.1.0", "error": None},
}
CUDA_FACTS = {**NO_CUDA_FACTS, "cuda": {"available": True, "reason": ""}}


def _part(name: str, code: str, timeout: float = 30, requires: tuple[str, ...] = ()) -> object:
    return gc.Part(name, ("{py}", "-c", code), timeout, requires)


def _alive(pid: int, wait: float = 3.0) -> bool:
    """Whether ``pid`` still runs after ``wait`` seconds (a killed orphan is reaped by init)."""
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/stat") as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
        except FileNotFoundError:
            return False
        if state == "Z":  # killed, waiting to be reaped
            return False
        time.sleep(0.05)
    return True


def _run(parts: list[object], facts: dict, tmp_path: Path, budget: float = 60) -> list:
    return gc.run_parts(parts, facts, env=gc.part_env(), work=tmp_path, budget=budget, py=PY)


def test_gpu_check_failing_part_makes_the_exit_code_nonzero(tmp_path: Path) -> None:
    ok = _part("ok", "print('fine')")
    bad = _part("bad", "import sys; print('broken'); sys.exit(3)")
    results = _run([ok, bad], CUDA_FACTS, tmp_path)
    assert [r.status for r in results] == ["passed", "failed"]
    assert results[1].returncode == 3 and results[1].reason == "exit code 3"
    assert "broken" in results[1].output
    assert gc.exit_code(results) == 1
    assert gc.exit_code(results[:1]) == 0


def test_gpu_check_skipped_parts_do_not_fail_the_check(tmp_path: Path) -> None:
    ok = _part("ok", "print('fine')")
    needs_cuda = _part("gpu", "import sys; sys.exit(1)", requires=("cuda",))
    results = _run([ok, needs_cuda], NO_CUDA_FACTS, tmp_path)
    assert [r.status for r in results] == ["passed", "skipped"]
    assert results[1].reason == "CuPy is not installed (no module named 'cupy')"
    assert results[1].returncode is None  # it never ran
    assert gc.exit_code(results) == 0


def test_gpu_check_hanging_part_is_killed_and_reported_as_timeout(tmp_path: Path) -> None:
    # The child starts a grandchild that would outlive a plain kill of the child.
    pid_file = tmp_path / "grandchild.pid"
    code = (
        "import subprocess, sys, time; "
        "p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']); "
        f"open({str(pid_file)!r}, 'w').write(str(p.pid)); "
        "print('started', flush=True); time.sleep(60)"
    )
    start = time.monotonic()
    results = _run([_part("hang", code, timeout=1.0)], CUDA_FACTS, tmp_path)
    assert time.monotonic() - start < 15
    assert not _alive(int(pid_file.read_text())), "the part's grandchild outlived the timeout"
    (r,) = results
    assert r.status == "timeout" and r.returncode is None
    assert r.reason == "timed out after 1 s"
    assert "started" in r.output
    assert gc.exit_code(results) == 1
    assert r.line().startswith("TIMEOUT")


def test_gpu_check_budget_caps_each_part_and_skips_parts_once_spent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(gc, "MIN_START_S", 0.5)
    slow = _part("slow", "import time; time.sleep(60)", timeout=60)
    later = _part("later", "print('never')")
    results = _run([slow, later], CUDA_FACTS, tmp_path, budget=1.5)
    assert results[0].status == "timeout"
    assert "cut to the budget left" in results[0].reason
    assert results[1].status == "skipped"
    assert "overall budget" in results[1].reason


@pytest.mark.parametrize(
    ("requirement", "facts", "expected"),
    [
        ("cuda", NO_CUDA_FACTS, "CuPy is not installed"),
        ("module:nanotorch.distributed", CUDA_FACTS, "nanotorch.distributed does not exist yet"),
        ("module:foo.bar", CUDA_FACTS, "module foo.bar is not importable here"),
        ("scenario:shakespeare-gpt", CUDA_FACTS, "`nanotorch list` does not show it"),
        ("scenario:fashion-mlp", CUDA_FACTS, "fashion-mlp cannot run here: data not found"),
        ("cuda", {"error": "the probe exited with 1"}, "environment probe failed"),
    ],
)
def test_gpu_check_requirement_gap_names_the_reason(
    requirement: str, facts: dict, expected: str
) -> None:
    gap = gc.requirement_gap(requirement, facts)
    assert gap is not None and expected in gap


def test_gpu_check_met_requirements_have_no_gap() -> None:
    assert gc.requirement_gap("cuda", CUDA_FACTS) is None
    assert gc.requirement_gap("scenario:digits-mlp", CUDA_FACTS) is None
    # An unreadable registry is no reason to skip: the part runs and shows the error.
    unreadable = {**CUDA_FACTS, "scenarios": None, "scenarios_error": "ImportError: tqdm"}
    assert gc.requirement_gap("scenario:digits-mlp", unreadable) is None
    with pytest.raises(ValueError, match="unknown requirement 'gpu'"):
        gc.requirement_gap("gpu", CUDA_FACTS)


def test_gpu_check_parses_pytest_summary_and_skip_reasons() -> None:
    output = "\n".join(
        [
            "..F..s",
            "FAILED tests/unit/test_x.py::test_a[cuda] - AssertionError",
            "==================== skipped, by reason ====================",
            "   421  cuda:0 unavailable: CuPy is not installed",
            "     3  slow: run with --runslow or -m slow",
            "2 failed, 433 passed, 424 skipped, 5 deselected, 2 warnings in 83.12s (0:01:23)",
        ]
    )
    info = gc.parse_pytest(output)
    assert info["counts"] == {"failed": 2, "passed": 433, "skipped": 424, "deselected": 5}
    assert info["summary"].startswith("2 failed, 433 passed")
    assert info["skip_reasons"] == [
        "421  cuda:0 unavailable: CuPy is not installed",
        "3  slow: run with --runslow or -m slow",
    ]
    assert info["failures"] == ["FAILED tests/unit/test_x.py::test_a[cuda] - AssertionError"]


def test_gpu_check_reads_training_runs_into_a_cpu_vs_cuda_table(tmp_path: Path) -> None:
    def fake_run(dev: str, seconds: list[float], metric: float) -> str:
        summary = {
            "scenario": "digits-mlp", "device": dev, "epochs": len(seconds),
            "criterion": "accuracy >= 0.97", "success": metric >= 0.97,
            "after": {"test_loss": 0.1, "test_metric": metric}, "wall_seconds": sum(seconds),
            "epoch_seconds": seconds,
        }  # fmt: skip
        return f"import json; json.dump({summary!r}, open('{{work}}/digits-mlp.json', 'w'))"

    cpu = gc.Part("train-cpu", ("{py}", "-c", fake_run("cpu", [0.5, 0.4, 0.4], 0.98)), 30,
                  collect="train")  # fmt: skip
    cuda = gc.Part("train-cuda", ("{py}", "-c", fake_run("cuda:0", [2.0, 0.1, 0.1], 0.5)), 30,
                   collect="train")  # fmt: skip
    results = _run([cpu, cuda], CUDA_FACTS, tmp_path)
    assert results[0].status == "passed"
    assert results[0].details["train"]["epoch_s_median_after_first"] == pytest.approx(0.4)
    # Trained its full budget but missed the target: a failure of the check.
    assert results[1].status == "failed" and "NOT met" in results[1].reason
    table = "\n".join(gc.training_table(results))
    assert "| digits-mlp | 3 | 0.4000 | 0.1000 | 2.000 | 4.00x | 0.9800 | 0.5000 |" in table


def test_gpu_check_unreadable_results_or_a_missing_program_fail_the_part(tmp_path: Path) -> None:
    bad_json = gc.Part(
        "train-bad", ("{py}", "-c", "open('{work}/x.json', 'w').write('{not json')"), 30,
        collect="train",
    )  # fmt: skip
    missing = gc.Part("missing", (str(tmp_path / "no-such-program"),), 30)
    later = _part("later", "print('still runs')")
    results = _run([bad_json, missing, later], CUDA_FACTS, tmp_path)
    assert results[0].status == "failed"
    assert "could not read its results: JSONDecodeError" in results[0].reason
    assert results[1].status == "failed" and "could not start" in results[1].reason
    assert results[2].status == "passed"


def test_gpu_check_unknown_part_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="'nope' matches no part; the parts are: doctor, "):
        gc.select_parts(gc.PARTS, ["nope"])
    chosen = gc.select_parts(gc.PARTS, ["train-*-cuda", "doctor"])
    assert [p.name for p in chosen][0] == "doctor"
    assert all(p.name.endswith("-cuda") for p in chosen[1:]) and len(chosen) == 4


def test_gpu_check_table_covers_the_promised_parts() -> None:
    names = {p.name for p in gc.PARTS}
    for scenario in ("digits-mlp", "digits-cnn", "shakespeare-gpt"):
        assert {f"train-{scenario}-cuda", f"train-{scenario}-cpu"} <= names
    assert {"doctor", "parity", "agreement", "bench", "nccl", "suite-cuda"} <= names
    by_name = {p.name: p for p in gc.PARTS}
    assert "module:nanotorch.distributed" in by_name["nccl"].requires
    assert "scenario:shakespeare-gpt" in by_name["train-shakespeare-gpt-cuda"].requires
    assert ("--device", "cuda") == by_name["suite-cuda"].command[-3:-1]


def test_gpu_check_command_placeholders_and_xdist_expand() -> None:
    command = ("{py}", "-m", "pytest", "{xdist}", "--out={work}/x", "-c", "{'a': 1}")
    values = {"py": "python3", "work": "/tmp/w"}
    with_xdist = {"packages": {"pytest-xdist": "3.8.0"}}
    assert gc.expand_command(command, values, with_xdist) == [
        "python3", "-m", "pytest", *gc.XDIST_ARGS, "--out=/tmp/w/x", "-c", "{'a': 1}",
    ]  # fmt: skip
    without = {"packages": {"pytest-xdist": None}}
    assert gc.expand_command(command, values, without) == [
        "python3", "-m", "pytest", "--out=/tmp/w/x", "-c", "{'a': 1}",
    ]  # fmt: skip


@pytest.mark.skipif(nanotorch.cuda.is_available(), reason="this machine has CUDA: parts run")
def test_gpu_check_command_without_cuda_skips_cuda_parts_and_writes_the_report(
    tmp_path: Path,
) -> None:
    out = tmp_path / "report"
    proc = subprocess.run(
        [PY, str(SCRIPT), "--out", str(out), "--parts", "doctor,suite-cuda,train-digits-*,nccl"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = (out / "report.md").read_text()
    lines = {ln.split()[1]: ln for ln in report.splitlines() if ln.startswith(("PASS", "SKIP"))}
    assert set(lines) == {
        "doctor", "suite-cuda", "nccl", "train-digits-mlp-cuda", "train-digits-mlp-cpu",
        "train-digits-cnn-cuda", "train-digits-cnn-cpu",
    }  # fmt: skip
    assert lines["doctor"].startswith("PASS")
    assert lines["suite-cuda"].startswith("SKIP") and "CuPy is not installed" in report
    assert lines["nccl"].startswith("SKIP") and "CuPy is not installed" in lines["nccl"]
    assert "gpu-check PASS: 1 passed, 0 failed, 0 timed out, 6 skipped" in proc.stdout
    assert "| NumPy |" in report and "| Python |" in report
    data = json.loads((out / "report.json").read_text())
    assert data["exit_code"] == 0
    assert data["environment"]["cuda"]["available"] is False
    logs = (out / "logs.txt").read_text()
    assert "devices:" in logs  # the doctor's own output
    assert "(skipped: CuPy is not installed" in logs


def test_gpu_check_command_rejects_unknown_parts(tmp_path: Path) -> None:
    proc = subprocess.run(
        [PY, str(SCRIPT), "--out", str(tmp_path), "--parts", "nope"],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 2
    assert "gpu_check: error: --parts: 'nope' matches no part" in proc.stderr


def test_gpu_check_benchmark_table_and_results_are_collected(tmp_path: Path) -> None:
    # The bench row's command on cpu at the tiny size: run.py's own table and JSON come back.
    bench = gc.Part(
        "bench-cpu",
        ("{py}", "benchmarks/run.py", "--device", "cpu", "--size", "tiny", "--workload", "mlp",
         "--impl", "numpy", "--impl", "nanotorch", "--repeat", "1", "--min-time", "0.01",
         "--warmup", "1", "--malloc", "default", "--json", "{work}/bench.json"),
        60, collect="bench",
    )  # fmt: skip
    (r,) = _run([bench], CUDA_FACTS, tmp_path)
    assert r.status == "passed", r.output
    assert r.details["table"].startswith("device cpu")
    assert "nanotorch" in r.details["table"] and "same" in r.details["table"]
    assert r.summary == "1 workloads, implementations: nanotorch, numpy"
    assert [rec["workload"] for rec in r.details["bench"]] == ["mlp"]


def test_gpu_check_parts_get_an_absolute_pythonpath_with_src_first(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The benchmark workers run from benchmarks/, where a relative "src" would point nowhere.
    monkeypatch.setenv("PYTHONPATH", "src:/tmp/site")
    monkeypatch.chdir(ROOT)
    assert gc.part_env()["PYTHONPATH"] == f"{ROOT / 'src'}:/tmp/site"


@pytest.mark.skipif(nanotorch.cuda.is_available(), reason="this machine has CUDA: parts run")
def test_gpu_check_sh_writes_to_out_or_the_folder_given(tmp_path: Path) -> None:
    # Runs from another folder: the script finds the repository by its own path.
    # No wheels to install: this interpreter already has what nanotorch needs.
    (tmp_path / "wheels").mkdir()
    env = {**os.environ, "PYTHON": PY, "NANOTORCH_WHEELS": str(tmp_path / "wheels")}
    env.pop("PYTHONPATH", None)

    def sh(*args: str, out: Path | None) -> subprocess.CompletedProcess[str]:
        run_env = {**env, "OUT": str(out)} if out else env
        return subprocess.run(
            ["bash", str(ROOT / "scripts" / "gpu_check.sh"), *args, "--parts", "parity"],
            cwd=tmp_path, env=run_env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip

    proc = sh(out=tmp_path / "from-env")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "SKIP     parity" in (tmp_path / "from-env" / "report.md").read_text()
    assert f"no wheels in {tmp_path / 'wheels'}/" in proc.stdout

    proc = sh(str(tmp_path / "given"), out=tmp_path / "from-env-2")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (tmp_path / "given" / "report.md").exists()
    assert not (tmp_path / "from-env-2").exists()


def test_gpu_check_sh_needs_pip_to_install_carried_wheels(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    (wheels / "fake-1.0-py3-none-any.whl").write_bytes(b"")
    no_pip = tmp_path / "python"  # an interpreter without pip, as uv's venvs are
    no_pip.write_text(f'#!/bin/sh\n[ "$1 $2" = "-m pip" ] && exit 1\nexec {PY} "$@"\n')
    no_pip.chmod(0o755)
    env = {**os.environ, "PYTHON": str(no_pip), "NANOTORCH_WHEELS": str(wheels)}
    proc = subprocess.run(
        ["bash", str(ROOT / "scripts" / "gpu_check.sh"), str(tmp_path / "out")],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 2
    assert "has no pip, so the wheels in" in proc.stderr and "set PYTHON" in proc.stderr
    assert not (tmp_path / "out").exists()
