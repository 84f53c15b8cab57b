#!/usr/bin/env python3
"""One command that checks nanotorch's GPU promise and writes a single report.

    python3 scripts/gpu_check.py [--out DIR] [--parts P1,P2,...] [--budget SECONDS] [--list]

(``scripts/gpu_check.sh`` installs carried wheels, sets ``PYTHONPATH`` and calls this.)

The check is a table of parts (``PARTS``, built by ``build_parts``): each row names a command,
its time limit and what it needs (a CUDA device, a module, a registered scenario). The driver
first probes the environment in a subprocess (Python, NumPy, CuPy and what CuPy's runtime API
says about the driver and the GPUs, PyTorch, nanotorch's scenarios and modules), then runs
every selected part whose needs are met, each in its own process group with its own limit,
all inside one overall budget, and writes ``report.md``, ``report.json`` and ``logs.txt``
into ``--out``. A part that cannot run is listed with the reason; it does not fail the check.

Exit code: 0 when every part that ran passed; 1 when one failed or timed out; 2 for bad
arguments. Standard library only (it must run from a plain ``python3`` >= 3.11 on a machine
without uv); everything that needs NumPy, CuPy or nanotorch runs in a subprocess.

Adding a part is one row in ``build_parts``. See instructions/gpu.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import fnmatch
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

# The promise is "under 8 minutes"; keep a margin for the wheel install and the report.
DEFAULT_BUDGET_S = 450.0
# A part is not started with less than this left: it could only time out.
MIN_START_S = 5.0
PROBE_TIMEOUT_S = 90.0  # importing PyTorch and CuPy on a cold machine takes a while
LOG_LIMIT_CHARS = 1_000_000  # per part in logs.txt: a dozen parts stay under the 16 MiB a
# file that the GPU machine returns may hold
TAIL_LINES = 25

# Scenarios trained on cuda (and on cpu for the baseline), when `nanotorch list` shows them.
# The value caps the epochs (None: the scenario's own budget), so a long one fits the budget.
TRAIN_SCENARIOS: dict[str, int | None] = {
    "digits-mlp": None,
    "digits-cnn": None,
    "shakespeare-gpt": 1,
}

# The whole suite on cuda spreads over this many pytest-xdist workers when xdist is installed
# (each holds its own CUDA context; the machine lent here has 16 cores).
XDIST_ARGS = ["-n", "6"]

# Modules whose presence the probe reports (and a part may require).
DISTRIBUTED_MODULE = "nanotorch.distributed"


@dataclass(frozen=True)
class Part:
    """One row of the check.

    ``command`` tokens may hold ``{py}`` (this interpreter), ``{root}`` (the repository) and
    ``{work}`` (an empty scratch folder of this part, where a collector finds its files); a
    token ``{xdist}`` becomes pytest-xdist's worker options when xdist is installed.
    ``requires`` entries: ``cuda``, ``module:NAME``, ``scenario:NAME``. ``collect`` names a
    function of ``COLLECTORS`` that reads the part's results into the report.
    """

    name: str
    command: tuple[str, ...]
    timeout: float
    requires: tuple[str, ...] = ()
    collect: str | None = None
    about: str = ""


def _pytest(*args: str) -> tuple[str, ...]:
    return ("{py}", "-m", "pytest", "-q", "-p", "no:cacheprovider", *args)


def _train(scenario: str, device: str, epochs: int | None) -> tuple[str, ...]:
    cmd = ("{py}", "-m", "nanotorch", "train", scenario, "--device", device, "--quiet")
    cmd += ("--out", "{work}")
    return cmd if epochs is None else (*cmd, "--epochs", str(epochs))


def build_parts() -> list[Part]:
    """The table, in running order: what proves the most per second first.

    The budget cuts the tail, so the order is the priority: the parity test and the cuda
    training runs (seconds each), their cpu baselines, then the whole suite, then what
    repeats parts of it on more devices, the benchmarks and the collectives. The cpu training
    runs are the baseline for the cuda ones, so they need cuda too: without a GPU the cpu
    side is what CI already runs, and this check skips it.
    """
    trains = [
        Part(f"train-{scenario}-{dev}", _train(scenario, dev, epochs), 90,
             ("cuda", f"scenario:{scenario}"), "train",
             f"nanotorch train {scenario} --device {dev}")
        for dev in ("cuda", "cpu")
        for scenario, epochs in TRAIN_SCENARIOS.items()
    ]  # fmt: skip
    return [
        Part("doctor", ("{py}", "-m", "nanotorch", "doctor"), 60,
             about="versions and working devices, as nanotorch sees them"),
        Part("parity", _pytest("tests/integration/test_parity.py", "--device", "cpu,cuda"), 90,
             ("cuda",), "pytest", "fixed-seed training: loss history on cuda vs cpu"),
        *trains,
        Part("suite-cuda", _pytest("--device", "cuda", "{xdist}"), 300, ("cuda",), "pytest",
             "the whole suite with --device cuda"),
        Part("agreement", _pytest("-k", "agree", "--device", "cpu,strict:0,strict:1,cuda"),
             90, ("cuda",), "pytest", "every op spec and conv path: each device vs cpu"),
        Part("bench", ("{py}", "benchmarks/run.py", "--device", "cuda", "--malloc", "default",
                       "--repeat", "3", "--min-time", "0.1", "--json", "{work}/bench.json"),
             120, ("cuda",), "bench",
             "benchmarks/run.py on cuda: nanotorch vs the CuPy floor (and PyTorch if it imports)"),
        Part("nccl", _pytest("-k", "nccl or distributed", "--device", "cuda"), 90,
             ("cuda", f"module:{DISTRIBUTED_MODULE}"), "pytest",
             "collectives over NCCL on 2 GPUs (tests/integration/test_distributed_nccl.py) and "
             "the MPI tests; mpiexec comes from the mpi extra (carry mpi4py and mpich wheels)"),
    ]  # fmt: skip


PARTS = build_parts()


# ------------------------------------------------------------------------ selecting parts


def select_parts(parts: Sequence[Part], patterns: Sequence[str] | None) -> list[Part]:
    """The parts whose names match any of ``patterns`` (shell globs), in table order."""
    if not patterns:
        return list(parts)
    names = [p.name for p in parts]
    for pattern in patterns:
        if not fnmatch.filter(names, pattern):
            raise ValueError(
                f"--parts: {pattern!r} matches no part; the parts are: {', '.join(names)}"
            )
    return [p for p in parts if any(fnmatch.fnmatch(p.name, pat) for pat in patterns)]


# -------------------------------------------------------------------- probing the machine

# Runs in the interpreter under test (it may lack anything). Prints one JSON object.
PROBE = r"""
import datetime, importlib, importlib.metadata as md, importlib.util, json, platform, sys

modules = json.loads(sys.argv[1])
facts = {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC"),
         "python": platform.python_version(), "executable": sys.executable,
         "platform": platform.platform(), "packages": {}, "modules": {}}

def dist_version(*names):
    for name in names:
        try:
            return md.version(name)
        except md.PackageNotFoundError:
            pass
    return None

for label, names in [("numpy", ["numpy"]), ("cupy", ["cupy-cuda13x", "cupy-cuda12x", "cupy"]),
                     ("array-api-compat", ["array-api-compat"]),
                     ("array-api-strict", ["array-api-strict"]), ("pytest", ["pytest"]),
                     ("hypothesis", ["hypothesis"]), ("tqdm", ["tqdm"]),
                     ("pytest-xdist", ["pytest-xdist"]), ("torch", ["torch"])]:
    facts["packages"][label] = dist_version(*names)

def why(exc):
    return f"{type(exc).__name__}: {exc}"

cuda = {"available": False, "reason": "", "devices": []}
if importlib.util.find_spec("cupy") is None:
    cuda["reason"] = "CuPy is not installed (no module named 'cupy')"
else:
    try:
        import cupy
        cuda["cupy"] = cupy.__version__
        rt = cupy.cuda.runtime
        try:
            count = rt.getDeviceCount()
        except Exception as exc:
            count = 0
            cuda["reason"] = f"no CUDA driver or device ({why(exc)})"
        cuda["device_count"] = count
        if count == 0 and not cuda["reason"]:
            cuda["reason"] = "no CUDA device: the driver reports 0 GPUs"
        for attr, key in (("runtimeGetVersion", "runtime_version"),
                          ("driverGetVersion", "driver_version")):
            try:
                cuda[key] = getattr(rt, attr)()
            except Exception as exc:
                cuda[key] = None
        for i in range(count):
            p = rt.getDeviceProperties(i)
            name = p["name"].decode() if isinstance(p["name"], bytes) else str(p["name"])
            cuda["devices"].append({"name": name, "memory_gib": p["totalGlobalMem"] / 2**30,
                                    "compute_capability": f"{p['major']}.{p['minor']}",
                                    "multiprocessors": p["multiProcessorCount"]})
        cuda["available"] = count > 0
    except Exception as exc:
        cuda["reason"] = f"CuPy does not import or answer ({why(exc)})"
facts["cuda"] = cuda

torch_facts = {"version": None}
if importlib.util.find_spec("torch") is not None:
    try:
        import torch
        torch_facts = {"version": torch.__version__, "cuda": torch.cuda.is_available()}
    except Exception as exc:
        torch_facts = {"version": None, "reason": why(exc)}
facts["torch"] = torch_facts

facts["scenarios"] = None
try:
    import nanotorch
    facts["nanotorch"] = {"version": nanotorch.__version__, "error": None}
except Exception as exc:
    facts["nanotorch"] = {"version": None, "error": why(exc)}
try:
    from nanotorch.scenarios import list_scenarios
    facts["scenarios"] = {s.name: "" if s.available()[0] else s.available()[1]
                          for s in list_scenarios()}
except Exception as exc:
    facts["scenarios_error"] = why(exc)

for name in modules:
    try:
        facts["modules"][name] = importlib.util.find_spec(name) is not None
    except Exception as exc:  # the parent package does not import
        facts["modules"][name] = False
print(json.dumps(facts))
"""


def probe_environment(
    py: str, env: dict[str, str], modules: Sequence[str], timeout: float = PROBE_TIMEOUT_S
) -> dict[str, Any]:
    """What the interpreter under test sees; ``{"error": ...}`` when the probe fails."""
    facts: dict[str, Any]
    try:
        proc = subprocess.run(
            [py, "-c", PROBE, json.dumps(list(modules))],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout,
        )  # fmt: skip
        if proc.returncode != 0:
            tail = " | ".join(proc.stderr.strip().splitlines()[-3:])
            facts = {"error": f"the probe exited with {proc.returncode}: {tail}"}
        else:
            facts = json.loads(proc.stdout.strip().splitlines()[-1])
    except subprocess.TimeoutExpired:
        facts = {"error": f"the probe did not answer within {timeout:.0f} s"}
    facts["nvidia_smi"] = _nvidia_smi()
    facts.setdefault("date", dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC"))
    facts["host"] = platform.node()
    return facts


def _nvidia_smi() -> dict[str, Any]:
    exe = shutil.which("nvidia-smi")
    if exe is None:
        return {"error": "nvidia-smi is not on the PATH (no NVIDIA driver installed?)"}
    query = "name,driver_version,memory.total"
    try:
        proc = subprocess.run(
            [exe, f"--query-gpu={query}", "--format=csv,noheader"],
            capture_output=True, text=True, timeout=30,
        )  # fmt: skip
    except (OSError, subprocess.TimeoutExpired) as exc:
        return {"error": f"nvidia-smi failed: {type(exc).__name__}: {exc}"}
    if proc.returncode != 0:
        return {"error": f"nvidia-smi exited with {proc.returncode}: {proc.stdout.strip()}"}
    return {"gpus": [line.strip() for line in proc.stdout.splitlines() if line.strip()]}


def requirement_gap(requirement: str, facts: dict[str, Any]) -> str | None:
    """Why ``requirement`` is not met on this machine, or None when it is."""
    if "error" in facts:
        return f"the environment probe failed: {facts['error']}"
    if requirement == "cuda":
        cuda = facts["cuda"]
        return None if cuda["available"] else cuda["reason"]
    kind, _, name = requirement.partition(":")
    if kind == "module":
        if facts["modules"].get(name):
            return None
        if name == DISTRIBUTED_MODULE:
            return f"{name} does not exist yet (the distributed issue has not landed)"
        return f"module {name} is not importable here"
    if kind == "scenario":
        scenarios = facts.get("scenarios")
        if scenarios is None:
            # The registry could not be read: run the part and let its own error show,
            # rather than skip it and report a pass.
            return None
        if name not in scenarios:
            return f"scenario {name} is not registered yet (`nanotorch list` does not show it)"
        reason = scenarios[name]
        return f"scenario {name} cannot run here: {reason}" if reason else None
    raise ValueError(f"unknown requirement {requirement!r} (cuda, module:NAME, scenario:NAME)")


# --------------------------------------------------------------------------- running parts


@dataclass
class Result:
    name: str
    status: str  # passed | failed | timeout | skipped
    reason: str = ""
    seconds: float = 0.0
    returncode: int | None = None
    command: str = ""
    about: str = ""
    summary: str = ""  # one line for the table (pytest's counts, the final metric...)
    details: dict[str, Any] = field(default_factory=dict)
    output: str = ""

    def line(self) -> str:
        """The part's one line in the report and on the terminal."""
        tag = {"passed": "PASS", "failed": "FAIL", "timeout": "TIMEOUT", "skipped": "SKIP"}
        time_text = f"{self.seconds:7.1f} s" if self.status != "skipped" else " " * 9
        text = "; ".join(t for t in (self.summary, self.reason) if t)
        return f"{tag[self.status]:<8} {self.name:<28} {time_text}  {text}".rstrip()


def _kill_group(proc: subprocess.Popen[Any]) -> None:
    # The part runs in its own session, so this ends its children too (pytest's subprocess
    # tests, the benchmark workers) and nothing else.
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def run_command(
    argv: Sequence[str], timeout: float, env: dict[str, str], cwd: Path = ROOT
) -> tuple[int | None, str, float]:
    """(exit code or None on timeout, output, seconds)."""
    start = time.monotonic()
    with tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace") as log:
        proc = subprocess.Popen(
            list(argv), cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
        try:
            code: int | None = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            proc.wait()
            code = None
        log.seek(0)
        output = log.read()
    return code, output, time.monotonic() - start


def run_parts(
    parts: Sequence[Part],
    facts: dict[str, Any],
    *,
    env: dict[str, str],
    work: Path,
    budget: float = DEFAULT_BUDGET_S,
    py: str = sys.executable,
    echo: Callable[[str], None] = lambda line: None,
) -> list[Result]:
    """Run each part whose needs are met, in order, within ``budget`` seconds in all."""
    deadline = time.monotonic() + budget
    results = []
    for part in parts:
        fill = {"py": py, "root": str(ROOT), "work": str(work / part.name)}
        argv = expand_command(part.command, fill, facts)
        result = Result(part.name, "skipped", command=_shell_words(argv), about=part.about)
        gaps = [g for g in (requirement_gap(r, facts) for r in part.requires) if g]
        left = deadline - time.monotonic()
        if gaps:
            result.reason = "; ".join(gaps)
        elif left < MIN_START_S:
            result.reason = f"not started: the overall budget of {budget:.0f} s was spent"
        else:
            (work / part.name).mkdir(parents=True, exist_ok=True)
            _run_one(part, argv, min(part.timeout, left), env, result)
            if part.collect is not None:
                try:
                    COLLECTORS[part.collect](result, work / part.name)
                except Exception as exc:  # one part's odd output must not lose the report
                    result.status = "failed"
                    result.reason = "; ".join(
                        t for t in (result.reason, f"could not read its results: "
                                    f"{type(exc).__name__}: {exc}") if t
                    )  # fmt: skip
        echo(result.line())
        results.append(result)
    return results


def _run_one(
    part: Part, argv: list[str], limit: float, env: dict[str, str], result: Result
) -> None:
    try:
        code, output, seconds = run_command(argv, limit, env)
    except OSError as exc:
        result.status, result.reason = "failed", f"could not start: {exc}"
        return
    result.returncode, result.output, result.seconds = code, output, seconds
    if code is None:
        cut = " (cut to the budget left)" if limit < part.timeout else ""
        result.status, result.reason = "timeout", f"timed out after {limit:.0f} s{cut}"
    elif code == 0:
        result.status = "passed"
    else:
        result.status, result.reason = "failed", f"exit code {code}"


def expand_command(
    command: Sequence[str], values: dict[str, str], facts: dict[str, Any]
) -> list[str]:
    """The part's argv: placeholders filled, ``{xdist}`` spread over workers or dropped."""
    argv = []
    for token in command:
        if token == "{xdist}":
            # pytest-xdist is on the GPU machine, not in the project's dev group: use it when
            # it is there (the suite passes under it), run serially when it is not.
            if (facts.get("packages") or {}).get("pytest-xdist"):
                argv += XDIST_ARGS
            continue
        # Plain replacement, not str.format: a token may hold other braces (Python code).
        for key, value in values.items():
            token = token.replace("{" + key + "}", value)
        argv.append(token)
    return argv


def exit_code(results: Sequence[Result]) -> int:
    """0 when every part that ran passed (skipped parts do not count), else 1."""
    return 0 if all(r.status in ("passed", "skipped") for r in results) else 1


def _shell_words(argv: Sequence[str]) -> str:
    import shlex

    return " ".join(shlex.quote(a) for a in argv)


# ------------------------------------------------------------------ reading part results

_COUNT = re.compile(r"(\d+) (passed|failed|skipped|errors?|xfailed|xpassed|deselected)")
_PYTEST_LAST = re.compile(r"^=*\s*(no tests ran|\d+ \w+.*) in [\d.]+s")


def parse_pytest(output: str) -> dict[str, Any]:
    """pytest's own summary: the final line, its counts, skip reasons and failed test ids."""
    lines = output.splitlines()
    summary = next((ln.strip("= ").strip() for ln in reversed(lines) if _PYTEST_LAST.match(ln)),
                   None)  # fmt: skip
    counts: dict[str, int] = {}
    if summary:
        for number, word in _COUNT.findall(summary):
            counts["errors" if word.startswith("error") else word] = int(number)
    skip_reasons: list[str] = []
    if any("skipped, by reason" in ln for ln in lines):
        start = next(i for i, ln in enumerate(lines) if "skipped, by reason" in ln) + 1
        for ln in lines[start:]:
            if not re.match(r"^\s+\d+\s", ln):
                break
            skip_reasons.append(ln.strip())
    failures = [ln for ln in lines if ln.startswith(("FAILED ", "ERROR "))]
    return {"summary": summary, "counts": counts, "skip_reasons": skip_reasons,
            "failures": failures[:50], "failures_total": len(failures)}  # fmt: skip


def collect_pytest(result: Result, work: Path) -> None:
    info = parse_pytest(result.output)
    result.details["pytest"] = info
    result.summary = info["summary"] or "no pytest summary line in the output"
    if result.returncode == 5:
        result.reason = "pytest collected no tests (exit code 5)"


def collect_train(result: Result, work: Path) -> None:
    files = sorted(work.glob("*.json"))
    if not files:
        if result.status == "passed":
            result.status, result.reason = "failed", "train wrote no summary JSON"
        return
    run = json.loads(files[0].read_text())
    epochs = run["epoch_seconds"]
    rest = epochs[1:] or epochs
    train = {
        "scenario": run["scenario"],
        "device": run["device"],
        "epochs": run["epochs"],
        "first_epoch_s": epochs[0] if epochs else None,
        # The first epoch holds one-off costs (CuPy compiles each kernel on first use).
        "epoch_s_median_after_first": statistics.median(rest) if rest else None,
        "epoch_s_mean": statistics.fmean(epochs) if epochs else None,
        "wall_s": run["wall_seconds"],
        "criterion": run["criterion"],
        "success": run["success"],
        "final_test_loss": run["after"]["test_loss"],
        "final_test_metric": run["after"]["test_metric"],
    }
    result.details["train"] = train
    result.summary = (
        f"{train['epochs']} epochs, {train['epoch_s_median_after_first']:.3f} s/epoch "
        f"(first {train['first_epoch_s']:.3f} s), test metric "
        f"{train['final_test_metric']:.4f}, loss {train['final_test_loss']:.4f}"
    )
    if not run["success"] and result.status == "passed":
        full_budget = "--epochs" not in result.command
        if full_budget:
            result.status = "failed"
            result.reason = f"the target {run['criterion']} was NOT met"


def collect_bench(result: Result, work: Path) -> None:
    path = work / "bench.json"
    # The table run.py prints is the readable form; keep it as it is.
    start = next((i for i, ln in enumerate(result.output.splitlines())
                  if ln.startswith("device ")), None)  # fmt: skip
    if start is not None:
        result.details["table"] = "\n".join(result.output.splitlines()[start:])
    if path.exists():
        result.details["bench"] = json.loads(path.read_text())["results"]
        rows = [row for rec in result.details["bench"] for row in rec["rows"]]
        impls = sorted({row["impl"] for row in rows if "error" not in row})
        result.summary = f"{len(result.details['bench'])} workloads, implementations: " + (
            ", ".join(impls) or "none"
        )


COLLECTORS: dict[str, Callable[[Result, Path], None]] = {
    "pytest": collect_pytest,
    "train": collect_train,
    "bench": collect_bench,
}


# ------------------------------------------------------------------------------- report


def _cuda_version(code: int | None) -> str:
    # CUDA encodes versions as 1000 * major + 10 * minor (13000 is 13.0).
    return "unknown" if code is None else f"{code // 1000}.{code % 1000 // 10}"


def environment_lines(facts: dict[str, Any]) -> list[tuple[str, str]]:
    rows = [("date", facts.get("date", "?")), ("host", facts.get("host", "?"))]
    if "error" in facts:
        return [*rows, ("probe", f"FAILED: {facts['error']}")]
    pkgs = facts["packages"]
    cuda = facts["cuda"]
    smi = facts["nvidia_smi"]
    rows += [
        ("Python", f"{facts['python']} ({facts['executable']})"),
        ("NumPy", pkgs["numpy"] or "not installed"),
    ]
    if "cupy" in cuda:
        rows.append(("CuPy", cuda["cupy"]))
        rows.append(("CUDA runtime (CuPy)", _cuda_version(cuda.get("runtime_version"))))
        rows.append(("CUDA driver API (CuPy)", _cuda_version(cuda.get("driver_version"))))
    else:
        rows.append(("CuPy", f"not importable: {cuda['reason']}"))
        rows.append(("CUDA runtime / driver", "not read: CuPy's runtime API is not importable"))
    for i, gpu in enumerate(cuda["devices"]):
        rows.append((f"GPU cuda:{i}", f"{gpu['name']}, {gpu['memory_gib']:.1f} GiB, "
                     f"compute capability {gpu['compute_capability']}, "
                     f"{gpu['multiprocessors']} SMs"))  # fmt: skip
    if not cuda["available"]:
        rows.append(("CUDA", f"not available: {cuda['reason']}"))
    if "gpus" in smi:
        rows += [("nvidia-smi (name, driver, memory)", g) for g in smi["gpus"]]
    else:
        rows.append(("nvidia-smi", smi["error"]))
    torch = facts["torch"]
    if torch.get("version"):
        rows.append(("PyTorch", f"{torch['version']}, CUDA available: {torch['cuda']}"))
    else:
        rows.append(("PyTorch", torch.get("reason", "not installed")))
    for name in ("array-api-compat", "array-api-strict", "pytest", "hypothesis", "tqdm"):
        rows.append((name, pkgs[name] or "not installed"))
    nt = facts["nanotorch"]
    rows.append(("nanotorch", nt["version"] or f"does not import: {nt['error']}"))
    if facts.get("scenarios_error"):
        rows.append(("scenarios", f"cannot be listed: {facts['scenarios_error']}"))
    else:
        rows.append(("scenarios", ", ".join(facts["scenarios"] or {}) or "none"))
    for name, present in facts["modules"].items():
        rows.append((name, "present" if present else "does not exist yet"))
    return rows


def training_table(results: Sequence[Result]) -> list[str]:
    runs: dict[str, dict[str, dict[str, Any]]] = {}
    for r in results:
        if "train" in r.details:
            t = r.details["train"]
            runs.setdefault(t["scenario"], {})[t["device"].split(":")[0]] = t
    if not runs:
        return []
    lines = [
        "| scenario | epochs | cpu s/epoch | cuda s/epoch | cuda first epoch s | "
        "cpu / cuda | cpu final metric | cuda final metric |",
        "|---|---|---|---|---|---|---|---|",
    ]

    def cell(t: dict[str, Any] | None, key: str, spec: str) -> str:
        return "-" if t is None or t.get(key) is None else format(t[key], spec)

    for scenario, by_dev in runs.items():
        cpu, cuda = by_dev.get("cpu"), by_dev.get("cuda")
        ratio = "-"
        if cpu and cuda and cuda["epoch_s_median_after_first"]:
            ratio = f"{cpu['epoch_s_median_after_first'] / cuda['epoch_s_median_after_first']:.2f}x"
        epochs = (cuda or cpu or {}).get("epochs", "-")
        lines.append(
            f"| {scenario} | {epochs} | {cell(cpu, 'epoch_s_median_after_first', '.4f')} | "
            f"{cell(cuda, 'epoch_s_median_after_first', '.4f')} | "
            f"{cell(cuda, 'first_epoch_s', '.3f')} | {ratio} | "
            f"{cell(cpu, 'final_test_metric', '.4f')} | {cell(cuda, 'final_test_metric', '.4f')} |"
        )
    lines.append("")
    lines.append(
        "s/epoch: median over the epochs after the first (the first one compiles kernels)."
    )
    return lines


def summary_line(results: Sequence[Result], seconds: float) -> str:
    counts = {s: sum(r.status == s for r in results) for s in
              ("passed", "failed", "timeout", "skipped")}  # fmt: skip
    verdict = "PASS" if exit_code(results) == 0 else "FAIL"
    return (
        f"gpu-check {verdict}: {counts['passed']} passed, {counts['failed']} failed, "
        f"{counts['timeout']} timed out, {counts['skipped']} skipped in {seconds:.1f} s"
    )


def write_report(
    results: Sequence[Result], facts: dict[str, Any], out: Path, seconds: float
) -> list[Path]:
    """report.md (for people), report.json (everything), logs.txt (each part's output)."""
    out.mkdir(parents=True, exist_ok=True)
    md = ["# nanotorch GPU check", "", summary_line(results, seconds), ""]
    md += ["## Environment", "", "| | |", "|---|---|"]
    md += [f"| {k} | {v} |" for k, v in environment_lines(facts)]
    md += ["", "## Parts", "", "```"]
    md += [r.line() for r in results]
    md += ["```", ""]
    train = training_table(results)
    if train:
        md += ["## Training: time per epoch, cpu vs cuda", "", *train, ""]
    for r in results:
        if "table" in r.details:
            md += [f"## Benchmarks ({r.name})", "", "```", r.details["table"], "```", ""]
    md += ["## Details", ""]
    for r in results:
        md += [f"### {r.name}: {r.status}", ""]
        if r.about:
            md.append(r.about + ".")
        md += [f"`{r.command}`", ""]
        if r.reason:
            md += [f"reason: {r.reason}", ""]
        py = r.details.get("pytest")
        if py:
            md += [f"pytest: {py['summary']}", ""]
            if py["skip_reasons"]:
                md += ["skipped, by reason:", "```", *py["skip_reasons"], "```", ""]
            if py["failures"]:
                more = py["failures_total"] - len(py["failures"])
                md += ["failures:", "```", *py["failures"]]
                md += [f"... and {more} more"] if more > 0 else []
                md += ["```", ""]
        if r.status in ("failed", "timeout") and r.output:
            tail = r.output.rstrip().splitlines()[-TAIL_LINES:]
            md += [f"last {len(tail)} lines of output:", "```", *tail, "```", ""]
    md_path = out / "report.md"
    md_path.write_text("\n".join(md) + "\n", encoding="utf-8")

    payload = {
        "summary": summary_line(results, seconds),
        "exit_code": exit_code(results),
        "seconds": seconds,
        "environment": facts,
        "parts": [{k: v for k, v in vars(r).items() if k != "output"} for r in results],
    }
    json_path = out / "report.json"
    json_path.write_text(json.dumps(payload, indent=2, default=str), encoding="utf-8")

    logs = []
    for r in results:
        logs.append(f"{'=' * 30} {r.name}: {r.status} {'=' * 30}\n$ {r.command}\n")
        text = r.output if r.status != "skipped" else f"(skipped: {r.reason})\n"
        if len(text) > LOG_LIMIT_CHARS:
            text = (
                f"[first {len(text) - LOG_LIMIT_CHARS} characters cut]\n" + text[-LOG_LIMIT_CHARS:]
            )
        logs.append(text + "\n")
    log_path = out / "logs.txt"
    log_path.write_text("".join(logs), encoding="utf-8")
    return [md_path, json_path, log_path]


# ---------------------------------------------------------------------------------- main


def part_env() -> dict[str, str]:
    """This environment with ``src`` first on an absolute PYTHONPATH (the benchmark workers
    run from ``benchmarks/``, where a relative ``src`` would point nowhere)."""
    env = dict(os.environ)
    entries = [str(ROOT / "src")]
    for entry in env.get("PYTHONPATH", "").split(os.pathsep):
        if entry and str(Path(entry).resolve()) not in entries:
            entries.append(str(Path(entry).resolve()))
    env["PYTHONPATH"] = os.pathsep.join(entries)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    default_out = os.environ.get("OUT") or "artifacts/gpu-check"
    p.add_argument(
        "--out", default=default_out, help="report folder (default: $OUT or %(default)s)"
    )
    p.add_argument(
        "--parts",
        default=None,
        help="comma-separated part names or globs (default: all); see --list",
    )
    p.add_argument(
        "--budget",
        type=float,
        default=DEFAULT_BUDGET_S,
        help="seconds for all parts together (default: %(default)s)",
    )
    p.add_argument("--list", action="store_true", help="print the table of parts and exit")
    return p.parse_args(argv)  # fmt: skip


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.list:
        for part in PARTS:
            needs = ", ".join(part.requires) or "-"
            print(f"{part.name:<28} {part.timeout:>5.0f} s  needs {needs:<36} {part.about}")
        return 0
    patterns = [p.strip() for p in args.parts.split(",") if p.strip()] if args.parts else None
    try:
        parts = select_parts(PARTS, patterns)
    except ValueError as exc:
        print(f"gpu_check: error: {exc}", file=sys.stderr)
        return 2
    start = time.monotonic()
    env = part_env()
    modules = sorted({r.split(":", 1)[1] for p in PARTS for r in p.requires
                      if r.startswith("module:")})  # fmt: skip
    facts = probe_environment(sys.executable, env, modules)
    for key, value in environment_lines(facts):
        print(f"{key}: {value}")
    print()
    with tempfile.TemporaryDirectory(prefix="gpu-check-") as tmp:
        results = run_parts(
            parts, facts, env=env, work=Path(tmp), budget=args.budget - (time.monotonic() - start),
            echo=lambda line: print(line, flush=True),
        )  # fmt: skip
    seconds = time.monotonic() - start
    paths = write_report(results, facts, Path(args.out), seconds)
    print()
    print(summary_line(results, seconds))
    print("report: " + ", ".join(str(p) for p in paths))
    return exit_code(results)


if __name__ == "__main__":
    raise SystemExit(main())
