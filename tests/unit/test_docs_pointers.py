"""Every pointer in the code and docs is true: each ``discovery/...md`` or
``instructions/...md`` path named anywhere in the repository exists, and each test that
``discovery/`` cites by name exists in ``tests/``."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCANNED = ["src", "tests", "README.md", "discovery", "instructions", "docker", "benchmarks"]
SCANNED += ["scripts"]
DOC_PATH = re.compile(r"\b(?:discovery|instructions)/\w[\w./-]*?\.md\b")
FENCE = re.compile(r"^```.*?^```", re.S | re.M)
# A name in backticks may be wrapped over lines: `test_save_file_is_readable_by_the_
#   safetensors_library`.
TICKED = re.compile(r"`([^`]+)`")
# A span that names a test, a test module or a family of them: `test_x`, `reg::test_x`,
# `tests/unit/test_x.py::test_y`, `test_optimizer_rejects_*`, `tests/unit/data/test_data_*.py`.
TEST_REF = re.compile(r"^(?:[\w./*-]*(?:/|::))?(test_\w*\*?)(?:\.py)?$")


def _text_files() -> list[Path]:
    files: list[Path] = []
    for name in SCANNED:
        path = ROOT / name
        candidates = [path] if path.is_file() else sorted(path.rglob("*"))
        for f in candidates:
            if f.is_file() and "__pycache__" not in f.parts and f.suffix not in (".pyc", ".png"):
                files.append(f)
    return files


def broken_doc_pointers(files: list[Path], root: Path = ROOT) -> list[str]:
    """``file:line: path`` for each named doc path that does not exist under ``root``."""
    broken = []
    for f in files:
        try:
            lines = f.read_text().splitlines()
        except UnicodeDecodeError:
            continue
        for number, line in enumerate(lines, 1):
            for match in DOC_PATH.finditer(line):
                if not (root / match.group(0)).is_file():
                    where = f.relative_to(root) if f.is_relative_to(root) else f
                    broken.append(f"{where}:{number}: {match.group(0)}")
    return broken


def cited_test_names(markdown: str) -> set[str]:
    """The ``test_...`` names a page cites in backticks (outside code blocks)."""
    prose = FENCE.sub("", markdown)
    names = set()
    for span in TICKED.findall(prose):
        match = TEST_REF.match(re.sub(r"\n\s*", "", span).strip())
        if match:
            names.add(match.group(1))
    return names


def missing_tests(cited: set[str], defined: set[str]) -> list[str]:
    """The cited names no test has; ``name*`` asks for at least one test so named."""
    return sorted(
        name
        for name in cited
        if not (
            any(d.startswith(name[:-1]) for d in defined) if name.endswith("*") else name in defined
        )
    )


def defined_test_names() -> set[str]:
    """Every test function and test module name under tests/."""
    names = set()
    for f in (ROOT / "tests").rglob("*.py"):
        names.add(f.stem)
        for node in ast.walk(ast.parse(f.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                names.add(node.name)
    return names


def test_docs_every_named_doc_path_exists():
    broken = broken_doc_pointers(_text_files())
    assert not broken, "pointers to missing docs:\n" + "\n".join(broken)


def test_docs_point_at_nothing_outside_the_repository():
    # The docs must make sense in a fresh clone: no ``../elsewhere`` links.
    outside = [
        f"{f.relative_to(ROOT)}:{number}"
        for f in _text_files()
        if f.suffix == ".md"
        for number, line in enumerate(f.read_text().splitlines(), 1)
        if re.search(r"(?<![\w.])\.\./", line)
    ]
    assert not outside, "docs that point outside the repository: " + ", ".join(outside)


def test_docs_pointer_check_finds_a_missing_page(tmp_path):
    missing = "discovery/" + "no-such-page.md"  # spelled in two parts: this file is scanned
    page = tmp_path / "notes.md"
    page.write_text(f"see discovery/foundations.md and\n`{missing}`\n")
    assert broken_doc_pointers([page]) == [f"{page}:2: {missing}"]


def test_docs_every_test_cited_in_discovery_exists():
    defined = defined_test_names()
    missing = [
        f"{page.name}: {name}"
        for page in sorted((ROOT / "discovery").glob("*.md"))
        for name in missing_tests(cited_test_names(page.read_text()), defined)
    ]
    assert not missing, "discovery/ cites tests that do not exist:\n" + "\n".join(missing)


def test_docs_cited_test_names_join_wrapped_names_and_skip_code():
    page = (
        "pinned by `ser::test_save_is_\n   atomic`, `tests/unit/test_a.py::test_b`, "
        "`test_rejects_*` and `tests/unit/data/test_data_*.py`; `fit(test_loader)` is code.\n"
        "```\n`test_in_a_code_block`\n```\n"
    )
    cited = cited_test_names(page)
    assert cited == {"test_save_is_atomic", "test_b", "test_rejects_*", "test_data_*"}
    assert missing_tests(cited, {"test_b", "test_rejects_twice", "test_data_x"}) == [
        "test_save_is_atomic"
    ]
