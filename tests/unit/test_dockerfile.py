"""The CUDA image (docker/Dockerfile) stays consistent with pyproject.toml and uv.lock.

Docker cannot run on every machine that runs this suite, so the image is checked as text: the
Dockerfile is parsed into stages (continuation lines joined, ``${ARG}`` defaults substituted),
pyproject.toml with ``tomllib``. Each check returns a list of problems for a ``Project``
(the four files' contents); the real project must have none, and ``MUTATIONS`` shows that each
check fails when only ONE side changes (say, a new CUDA base image with the old CuPy extra).

What the checks pin (see docker/README.md for how the image is used):
- for every supported CUDA major (a ``cudaNN`` stage), the base image is an ``nvidia/cuda``
  runtime image of that major, and every ``uv sync`` installs the extra ``cudaNN`` whose CuPy
  wheel (``cupy-cudaNNx``) is built for the same major; every cuda extra has such a stage;
- the Python the image installs satisfies ``requires-python`` and the locked CuPy has a Linux
  wheel for it;
- the runtime image's command is ``nanotorch train --device cuda``: a console script that
  pyproject declares and a subcommand the CLI accepts; the ``test`` stage runs pytest with
  ``--device cuda``;
- every ``uv sync`` uses ``--locked`` (the image builds from uv.lock or fails);
- the image runs as a non-root user, with ``NANOTORCH_DATA=/data`` and volumes for the data
  and the artifacts;
- .dockerignore keeps the virtualenv, caches, artifacts and .git out of the build context but
  not the files the build needs.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import pytest
from packaging.specifiers import SpecifierSet
from packaging.version import Version

# tomllib is Python 3.11+; the project supports 3.10, where this module is skipped.
tomllib = pytest.importorskip("tomllib", reason="tomllib needs Python 3.11 or newer")

ROOT = Path(__file__).resolve().parents[2]
TARGETS = ("runtime", "test")  # the stages users build; runtime is the default (last) one
EXPECTED_COMMAND = {"runtime": ["nanotorch", "train", "--device", "cuda"]}
NON_ROOT_FORBIDDEN = {"", "root", "0"}


# --- the project as text -------------------------------------------------------------------


@dataclass(frozen=True)
class Project:
    dockerfile: str
    pyproject_text: str
    lock: str
    dockerignore: str
    fashion_loader: str

    @property
    def pyproject(self) -> dict:
        return tomllib.loads(self.pyproject_text)

    @classmethod
    def load(cls, root: Path = ROOT) -> Project:
        def read(rel: str) -> str:
            path = root / rel
            return path.read_text() if path.exists() else ""

        return cls(
            dockerfile=read("docker/Dockerfile"),
            pyproject_text=read("pyproject.toml"),
            lock=read("uv.lock"),
            dockerignore=read(".dockerignore"),
            fashion_loader=read("src/nanotorch/data/fashion_mnist.py"),
        )


# --- a small Dockerfile reader -------------------------------------------------------------


@dataclass
class Stage:
    name: str
    base: str  # as written, e.g. "cuda${CUDA_MAJOR}"
    instructions: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class Dockerfile:
    global_args: dict[str, str]
    stages: list[Stage]

    def stage(self, name: str) -> Stage | None:
        return next((s for s in self.stages if s.name == name), None)


def logical_lines(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs: comments dropped, ``\\`` continuations joined."""
    out: list[tuple[str, str]] = []
    buf = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue  # Docker drops comment lines, also inside a continuation
        if line.endswith("\\"):
            buf += line[:-1] + " "
            continue
        full = (buf + line).strip()
        buf = ""
        word, _, rest = full.partition(" ")
        out.append((word.upper(), rest.strip()))
    if buf.strip():
        word, _, rest = buf.strip().partition(" ")
        out.append((word.upper(), rest.strip()))
    return out


def _arg_default(spec: str) -> tuple[str, str | None]:
    name, eq, default = spec.partition("=")
    return name.strip(), (default.strip().strip("\"'") if eq else None)


def parse_dockerfile(text: str) -> Dockerfile:
    global_args: dict[str, str] = {}
    stages: list[Stage] = []
    for word, rest in logical_lines(text):
        if word == "FROM":
            parts = [p for p in rest.split() if not p.startswith("--")]
            name = parts[2] if len(parts) >= 3 and parts[1].lower() == "as" else ""
            stages.append(Stage(name=name, base=parts[0]))
        elif not stages:
            if word == "ARG":
                name, default = _arg_default(rest)
                global_args[name] = default or ""
        else:
            stages[-1].instructions.append((word, rest))
    return Dockerfile(global_args, stages)


_VAR = re.compile(r"\$\{(\w+)\}|\$(\w+)")


def expand(text: str, env: dict[str, str]) -> str:
    """Substitute ``${NAME}``/``$NAME`` known in ``env``; leave shell variables alone."""

    def sub(m: re.Match[str]) -> str:
        name = m.group(1) or m.group(2)
        return env.get(name, m.group(0))

    return _VAR.sub(sub, text)


def lineage(df: Dockerfile, target: str, args: dict[str, str]) -> tuple[str, list[Stage]]:
    """The external base image of ``target`` and its stages, root first."""
    env = df.global_args | args
    chain: list[Stage] = []
    name = target
    while (stage := df.stage(name)) is not None:
        if stage in chain:
            raise ValueError(f"stage cycle at {name}")
        chain.insert(0, stage)
        name = expand(stage.base, env)
    return name, chain


def effective(df: Dockerfile, target: str, args: dict[str, str]) -> dict:
    """What a build of ``target`` would see: base image, RUN lines, USER, ENV, CMD..."""
    image, chain = lineage(df, target, args)
    result: dict = {
        "image": image,
        "runs": [],
        "user": "",
        "env": {},
        "cmd": None,
        "entrypoint": None,
        "volumes": [],
        "workdir": "/",
    }
    for stage in chain:
        env = dict(result["env"])
        for word, rest in stage.instructions:
            if word == "ARG":
                name, default = _arg_default(rest)
                value = args.get(name, default if default is not None else None)
                if value is None:
                    value = df.global_args.get(name, "")
                env[name] = value
            elif word == "ENV":
                for name, value in re.findall(r"(\w+)=(\"[^\"]*\"|\S+)", rest):
                    env[name] = expand(value.strip('"'), env)
                    result["env"][name] = env[name]
            elif word == "RUN":
                result["runs"].append(expand(rest, env))
            elif word == "USER":
                result["user"] = expand(rest, env).split(":")[0]
            elif word == "WORKDIR":
                result["workdir"] = expand(rest, env)
            elif word == "VOLUME":
                vol = expand(rest, env)
                result["volumes"] += json.loads(vol) if vol.startswith("[") else vol.split()
            elif word in ("CMD", "ENTRYPOINT"):
                key = word.lower()
                try:
                    result[key] = json.loads(rest)
                except json.JSONDecodeError:
                    result[key] = ["/bin/sh", "-c", rest]  # shell form
                if word == "ENTRYPOINT":
                    result["cmd"] = None  # Docker resets CMD when ENTRYPOINT is set
    return result


def commands(runs: list[str], prefix: tuple[str, ...]) -> list[list[str]]:
    """Every shell command in the RUN lines that starts with ``prefix`` (e.g. uv sync)."""
    found = []
    for run in runs:
        for part in re.split(r"&&|\|\||;", run):
            words = shlex.split(part)
            words = [w for w in words if not w.startswith("--mount=")]
            if tuple(words[: len(prefix)]) == prefix:
                found.append(words)
    return found


def option_values(words: list[str], option: str) -> list[str]:
    values = []
    for i, w in enumerate(words):
        if w == option and i + 1 < len(words):
            values.append(words[i + 1])
        elif w.startswith(option + "="):
            values.append(w.split("=", 1)[1])
    return values


def supported_majors(df: Dockerfile) -> list[int]:
    return sorted(int(m[1]) for s in df.stages if (m := re.fullmatch(r"cuda(\d+)", s.name)))


# --- the checks ----------------------------------------------------------------------------

CUDA_IMAGE = re.compile(r"nvidia/cuda:(\d+)\.(\d+)(?:\.(\d+))?-runtime-ubuntu(\d+\.\d+)")


def check_structure(p: Project) -> list[str]:
    if not p.dockerfile:
        return ["docker/Dockerfile is missing"]
    df = parse_dockerfile(p.dockerfile)
    problems = []
    for target in TARGETS:
        if df.stage(target) is None:
            problems.append(f"no stage named {target!r}")
    if df.stages and df.stages[-1].name != "runtime":
        problems.append("the last stage (the default build target) must be 'runtime'")
    default = df.global_args.get("CUDA_MAJOR", "")
    if not default.isdigit() or int(default) not in supported_majors(df):
        problems.append(f"ARG CUDA_MAJOR default {default!r} has no cuda<N> stage")
    return problems


def check_cuda_majors(p: Project) -> list[str]:
    df = parse_dockerfile(p.dockerfile)
    extras = p.pyproject.get("project", {}).get("optional-dependencies", {})
    problems = []
    majors = supported_majors(df)
    if not majors:
        problems.append("no cuda<N> base-image stages")
    for extra in extras:
        if (m := re.fullmatch(r"cuda(\d+)", extra)) and int(m[1]) not in majors:
            problems.append(f"pyproject offers extra {extra!r} but the image has no stage for it")
    for major in majors:
        args = {"CUDA_MAJOR": str(major)}
        for target in TARGETS:
            if df.stage(target) is None:
                continue
            build = effective(df, target, args)
            m = CUDA_IMAGE.fullmatch(build["image"])
            if not m:
                problems.append(
                    f"{target} (CUDA_MAJOR={major}) is based on {build['image']!r}, "
                    "not an nvidia/cuda:<X.Y.Z>-runtime-ubuntu<V> image"
                )
                continue
            if int(m[1]) != major:
                problems.append(f"CUDA_MAJOR={major} builds on {build['image']} (CUDA {m[1]})")
            syncs = commands(build["runs"], ("uv", "sync"))
            if not syncs:
                problems.append(f"{target} never runs `uv sync`")
            for sync in syncs:
                cuda_extras = [e for e in option_values(sync, "--extra") if e.startswith("cuda")]
                if len(cuda_extras) != 1:
                    problems.append(f"`{' '.join(sync)}` must install exactly one cuda extra")
                    continue
                extra = cuda_extras[0]
                if extra not in extras:
                    problems.append(f"`--extra {extra}` is not in [project.optional-dependencies]")
                    continue
                cupy = [int(c) for d in extras[extra] for c in re.findall(r"cupy-cuda(\d+)x", d)]
                if cupy != [int(m[1])]:
                    problems.append(
                        f"extra {extra!r} installs CuPy for CUDA {cupy}, but "
                        f"{build['image']} is CUDA {m[1]}"
                    )
    return problems


def installed_python(p: Project) -> list[str]:
    df = parse_dockerfile(p.dockerfile)
    versions = set()
    for target in TARGETS:
        if df.stage(target) is not None:
            build = effective(df, target, {})
            for words in commands(build["runs"], ("uv", "python", "install")):
                versions.update(words[3:])
    return sorted(versions)


def check_python(p: Project) -> list[str]:
    versions = installed_python(p)
    if len(versions) != 1:
        return [f"the image must install exactly one Python (uv python install), got {versions}"]
    version = versions[0]
    problems = []
    spec = p.pyproject["project"]["requires-python"]
    if Version(version) not in SpecifierSet(spec):
        problems.append(f"the image's Python {version} does not satisfy requires-python {spec}")
    lock_spec = re.search(r'^requires-python = "([^"]+)"', p.lock, re.M)
    if not lock_spec or Version(version) not in SpecifierSet(lock_spec[1]):
        problems.append(f"uv.lock was not resolved for Python {version}")
    tag = "cp" + "".join(version.split(".")[:2])
    for extra, deps in p.pyproject["project"].get("optional-dependencies", {}).items():
        for name in (re.match(r"[A-Za-z0-9_.-]+", d)[0] for d in deps):
            if name.startswith("cupy") and not re.search(
                rf"{name.replace('-', '_')}-[^\s\"]*-{tag}-{tag}-manylinux[^\s\"]*x86_64\.whl",
                p.lock,
            ):
                problems.append(f"uv.lock has no Linux {tag} wheel of {name} (extra {extra})")
    return problems


def run_entry_point(target: str, argv: list[str]) -> subprocess.CompletedProcess[str]:
    """Call a console script's target (``module:function``) the way the script would."""
    module, _, func = target.partition(":")
    code = (
        "import sys\n"
        f"sys.argv = {['x', *argv]!r}\n"
        f"from {module} import {func}\n"
        f"sys.exit({func}())\n"
    )
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=ROOT
    )


def check_runtime_command(p: Project) -> list[str]:
    df = parse_dockerfile(p.dockerfile)
    if df.stage("runtime") is None:
        return ["no runtime stage"]
    build = effective(df, "runtime", {})
    argv = (build["entrypoint"] or []) + (build["cmd"] or [])
    if argv != EXPECTED_COMMAND["runtime"]:
        return [f"the runtime command is {argv}, expected {EXPECTED_COMMAND['runtime']}"]
    scripts = p.pyproject["project"].get("scripts", {})
    if argv[0] not in scripts:
        return [f"{argv[0]!r} is not a console script in [project.scripts]"]
    done = run_entry_point(scripts[argv[0]], [argv[1], "--help"])
    if done.returncode != 0 or "--device" not in done.stdout:
        return [
            f"`{argv[0]} {argv[1]} --help` failed or has no --device option "
            f"(rc {done.returncode}): {done.stderr.strip()[-300:]}"
        ]
    return []


def check_test_command(p: Project) -> list[str]:
    df = parse_dockerfile(p.dockerfile)
    if df.stage("test") is None:
        return ["no test stage"]
    build = effective(df, "test", {})
    argv = (build["entrypoint"] or []) + (build["cmd"] or [])
    problems = []
    if argv[:1] != ["pytest"] or option_values(argv, "--device") != ["cuda"]:
        problems.append(f"the test stage runs {argv}, expected pytest ... --device cuda")
    dev = p.pyproject.get("dependency-groups", {}).get("dev", [])
    if not any(re.match(r"pytest\b", d) for d in dev):
        problems.append("pytest is not in the dev dependency group")
    conftest = (ROOT / "tests" / "conftest.py").read_text()
    if '"--device"' not in conftest:
        problems.append("tests/conftest.py has no --device option")
    return problems


def check_locked(p: Project) -> list[str]:
    df = parse_dockerfile(p.dockerfile)
    problems = []
    for target in TARGETS:
        if df.stage(target) is None:
            problems.append(f"no {target} stage")
            continue
        build = effective(df, target, {})
        syncs = commands(build["runs"], ("uv", "sync"))
        for sync in syncs:
            if "--locked" not in sync or "--frozen" in sync:
                problems.append(f"{target}: `{' '.join(sync)}` must use --locked")
        if target == "runtime" and any("--no-dev" not in s for s in syncs):
            problems.append("the runtime image must not install the dev group (--no-dev)")
        if target == "test" and syncs and "--no-dev" in syncs[-1]:
            problems.append("the test stage must install the dev group")
        for run in build["runs"]:
            if re.search(r"\b(pip|uv pip) install\b(?! uv)|\buv lock\b|\buv add\b", run):
                problems.append(f"{target}: installs outside the lock file: {run[:80]}")
    return problems


def check_user(p: Project) -> list[str]:
    df = parse_dockerfile(p.dockerfile)
    problems = []
    for target in TARGETS:
        if df.stage(target) is None:
            problems.append(f"no {target} stage")
            continue
        build = effective(df, target, {})
        user = build["user"]
        if user in NON_ROOT_FORBIDDEN:
            problems.append(f"{target} runs as root (USER {user!r})")
        elif not any(re.search(rf"\buseradd\b.*\b{re.escape(user)}\b", r) for r in build["runs"]):
            problems.append(f"{target}: USER {user} is never created with useradd")
    return problems


def check_data_and_artifacts(p: Project) -> list[str]:
    df = parse_dockerfile(p.dockerfile)
    problems = []
    if "NANOTORCH_DATA" not in p.fashion_loader:
        problems.append("the Fashion-MNIST loader no longer reads $NANOTORCH_DATA")
    for target in TARGETS:
        if df.stage(target) is None:
            problems.append(f"no {target} stage")
            continue
        build = effective(df, target, {})
        data = build["env"].get("NANOTORCH_DATA")
        if data != "/data":
            problems.append(f"{target}: NANOTORCH_DATA is {data!r}, expected '/data'")
        artifacts = build["workdir"].rstrip("/") + "/artifacts"
        for volume in ("/data", artifacts):
            if volume not in build["volumes"]:
                problems.append(f"{target}: no VOLUME {volume}")
    return problems


def _pattern_regex(pattern: str) -> re.Pattern[str]:
    """A .dockerignore pattern as a regex: ``*`` stays in one folder, ``**`` crosses them."""
    out, i = "", 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif pattern.startswith("**", i):
            out, i = out + ".*", i + 2
        elif pattern[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif pattern[i] == "?":
            out, i = out + "[^/]", i + 1
        else:
            out, i = out + re.escape(pattern[i]), i + 1
    return re.compile(out)


def ignored(patterns: list[str], path: str) -> bool:
    """Docker's rule: a pattern that matches a folder drops all of it; the last match wins and
    ``!`` re-includes."""
    parts = path.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    result = False
    for raw in patterns:
        negate = raw.startswith("!")
        regex = _pattern_regex(raw.removeprefix("!").strip().strip("/"))
        if any(regex.fullmatch(prefix) for prefix in prefixes):
            result = not negate
    return result


MUST_IGNORE = (
    ".venv/bin/python",
    ".git/HEAD",
    "artifacts/plots/digits-mlp.png",
    ".pytest_cache/v/cache/nodeids",
    ".ruff_cache/CACHEDIR.TAG",
    ".hypothesis/examples/x",
    "src/nanotorch/__pycache__/tensor.cpython-312.pyc",
)
MUST_KEEP = (
    "pyproject.toml",
    "uv.lock",
    "README.md",
    "src/nanotorch/__init__.py",
    "src/nanotorch/data/files/digits.csv.gz",
    "tests/conftest.py",
)


def check_dockerignore(p: Project) -> list[str]:
    patterns = [
        line.strip()
        for line in p.dockerignore.splitlines()
        if line.strip() and not line.strip().startswith("#")
    ]
    problems = [
        f".dockerignore lets {path} into the image"
        for path in MUST_IGNORE
        if not ignored(patterns, path)
    ]
    problems += [
        f".dockerignore drops {path}, which the build needs"
        for path in MUST_KEEP
        if ignored(patterns, path)
    ]
    return problems


CHECKS: dict[str, Callable[[Project], list[str]]] = {
    "structure": check_structure,
    "cuda_majors": check_cuda_majors,
    "python": check_python,
    "runtime_command": check_runtime_command,
    "test_command": check_test_command,
    "locked": check_locked,
    "user": check_user,
    "data_and_artifacts": check_data_and_artifacts,
    "dockerignore": check_dockerignore,
}


# --- the tests -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def project() -> Project:
    return Project.load()


@pytest.mark.parametrize("name", list(CHECKS))
def test_dockerfile_consistent_with_project(project: Project, name: str) -> None:
    assert CHECKS[name](project) == []


def test_dockerfile_supports_cuda_12_and_13(project: Project) -> None:
    assert supported_majors(parse_dockerfile(project.dockerfile)) == [12, 13]


def _sub(attr: str, old: str, new: str) -> Callable[[Project], Project]:
    def mutate(p: Project) -> Project:
        text = getattr(p, attr)
        assert old in text, f"mutation target {old!r} not found in {attr}"
        return replace(p, **{attr: text.replace(old, new)})

    return mutate


def _re_sub(attr: str, pattern: str, new: str) -> Callable[[Project], Project]:
    def mutate(p: Project) -> Project:
        text, n = re.subn(pattern, new, getattr(p, attr), flags=re.M)
        assert n, f"mutation pattern {pattern!r} not found in {attr}"
        return replace(p, **{attr: text})

    return mutate


# One side changes, the other does not: the named check must notice.
MUTATIONS = {
    "extra renamed in pyproject": ("cuda_majors", _sub("pyproject_text", "cuda13 =", "cu13 =")),
    "extra points at the other CuPy": (
        "cuda_majors",
        _sub("pyproject_text", '"cupy-cuda13x', '"cupy-cuda12x'),
    ),
    "new extra without an image": (
        "cuda_majors",
        _sub(
            "pyproject_text", "[project.scripts]", 'cuda14 = ["cupy-cuda14x"]\n\n[project.scripts]'
        ),
    ),
    "base image of the wrong major": (
        "cuda_majors",
        _re_sub("dockerfile", r"^ARG CUDA_TAG_13=13\.", "ARG CUDA_TAG_13=12."),
    ),
    "sync of a fixed extra": (
        "cuda_majors",
        _sub("dockerfile", "--extra cuda${CUDA_MAJOR}", "--extra cuda13"),
    ),
    "Python too old for the project": (
        "python",
        _re_sub("dockerfile", r"^ARG PYTHON_VERSION=.*$", "ARG PYTHON_VERSION=3.9"),
    ),
    "Python without locked CuPy wheels": (
        "python",
        _re_sub("dockerfile", r"^ARG PYTHON_VERSION=.*$", "ARG PYTHON_VERSION=3.99"),
    ),
    "project raises requires-python": (
        "python",
        _sub("pyproject_text", 'requires-python = ">=3.10"', 'requires-python = ">=3.99"'),
    ),
    "console script renamed": (
        "runtime_command",
        _sub("pyproject_text", "nanotorch = ", "nanotorch-cli = "),
    ),
    "unknown subcommand": (
        "runtime_command",
        _sub("dockerfile", '"nanotorch", "train"', '"nanotorch", "fit"'),
    ),
    "training on the cpu": (
        "runtime_command",
        _sub("dockerfile", '"train", "--device", "cuda"', '"train", "--device", "cpu"'),
    ),
    "tests not on cuda": ("test_command", _sub("dockerfile", '"--device", "cuda"]', "]")),
    "frozen instead of locked": ("locked", _sub("dockerfile", "--locked", "--frozen")),
    "dev tools in the runtime image": ("locked", _sub("dockerfile", " --no-dev", "")),
    "root user": ("user", _re_sub("dockerfile", r"^USER .*$", "USER root")),
    "data elsewhere": ("data_and_artifacts", _sub("dockerfile", "NANOTORCH_DATA=/data", "X=1")),
    "virtualenv in the context": ("dockerignore", _re_sub("dockerignore", r"^\.venv/?$", "")),
    "readme ignored": (
        "dockerignore",
        lambda p: replace(p, dockerignore=p.dockerignore + "\n*.md"),
    ),
}


@pytest.mark.parametrize("label", list(MUTATIONS))
def test_dockerfile_check_fails_when_one_side_changes(project: Project, label: str) -> None:
    name, mutate = MUTATIONS[label]
    assert CHECKS[name](project) == []  # the real files pass ...
    assert CHECKS[name](mutate(project)), f"{name} missed: {label}"  # ... the mutant does not
