"""The main job's layers (DESIGN "Layers"): the fit loop knows no scenario. ``train`` is
imported in a fresh interpreter and must not pull in ``scenarios`` or ``runner``; its source
must not name them either (a lazy import inside a function would escape the first check)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import nanotorch.train

ABOVE_THE_LOOP = ("nanotorch.scenarios", "nanotorch.runner", "nanotorch.cli", "nanotorch.plots")


def test_train_does_not_import_scenarios_in_a_fresh_interpreter():
    code = (
        "import sys, nanotorch.train; "
        f"print([m for m in sys.modules if m.startswith({ABOVE_THE_LOOP!r})])"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


def test_train_source_names_no_module_above_it():
    tree = ast.parse(Path(nanotorch.train.__file__).read_text())
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module)
        elif isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
    assert not {m for m in imported if m.startswith(ABOVE_THE_LOOP)}
