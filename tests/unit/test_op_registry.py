"""Op registration (Note [Op registry] in nanotorch/ops/__init__.py): each op family file
declares what it exports in ``OPS`` and ``ALIASES``; ``nanotorch.<name>``, ``nanotorch.ops``,
``nanotorch.nn.functional`` and the op-spec meta-tests derive from those declarations."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import nanotorch
import nanotorch.nn.functional as F
from nanotorch import ops
from nanotorch.autograd.function import Function
from nanotorch.ops import elementwise
from nanotorch.testing import Case, OpSpec, check_forward, check_grad, public_ops

TESTS = Path(__file__).resolve().parents[1]


def test_op_registry_derives_nanotorch_namespace_from_family_ops():
    families = ops.families()
    assert elementwise in families and ops.shape in families
    for family in families:
        for name in family.OPS:
            assert getattr(nanotorch, name) is getattr(family, name), name
            assert name in ops.PUBLIC_OPS
        for alias, target in getattr(family, "ALIASES", {}).items():
            assert getattr(nanotorch, alias) is getattr(family, target), alias
            assert alias not in ops.PUBLIC_OPS  # an alias shares its op's spec
    assert set(ops.PUBLIC_OPS) == {name for f in families for name in f.OPS}


def test_op_registry_derives_functional_namespace_from_nn_families():
    names = set(F.PUBLIC_OPS)
    assert {"mse_loss", "linear", "dropout", "layer_norm", "embedding"} <= names
    for name in names:
        assert name in F.__all__
        assert callable(getattr(F, name))
    # Core activations are re-exported under PyTorch's names but specified with the core ops.
    assert "relu" in F.__all__ and "relu" not in names


def test_op_registry_sum_to_is_internal_like_pytorch():
    # PyTorch has no torch.sum_to: it is the engine's un-broadcasting helper, not an op.
    assert not hasattr(nanotorch, "sum_to")
    assert "sum_to" not in ops.PUBLIC_OPS


def test_op_registry_public_ops_lists_core_and_functional_ops():
    names = public_ops()
    assert names["exp"] is nanotorch.exp
    assert names["mse_loss"] is F.mse_loss
    assert "divide" not in names  # aliases excluded


def test_op_spec_resolves_its_op_by_name_lazily():
    spec = OpSpec("no_such_op", np.negative, [Case(np.ones(2))])  # no error while collecting
    assert not spec.exists()
    with pytest.raises(LookupError, match=r"no_such_op.*OPS.*instructions/adding-an-op\.md"):
        spec.fn  # noqa: B018
    assert OpSpec("exp", np.exp, []).fn is nanotorch.exp


class _Cube(Function):
    """out = a^3;  da = 3 a^2 g.  Saves the input."""

    @staticmethod
    def forward(ctx, xp, a):
        ctx.save_for_backward(a)
        return a * a * a

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return 3 * a * a * g


def _cube(a):
    return _Cube.apply(a)


def test_op_registry_new_elementwise_op_needs_one_family_edit_and_one_spec(monkeypatch):
    # What instructions/adding-an-op.md asks for, done in place: the op and its name in the
    # family's OPS (one file), then one spec naming it. Nothing else is edited.
    monkeypatch.setattr(elementwise, "cube", _cube, raising=False)
    monkeypatch.setattr(elementwise, "OPS", (*elementwise.OPS, "cube"))
    assert public_ops()["cube"] is _cube
    spec = OpSpec("cube", lambda x: x**3, [Case(np.array([[0.5, -1.0], [2.0, 0.0]]))])
    assert spec.exists() and spec.fn is _cube
    check_forward(spec, spec.cases[0], "cpu")
    check_grad(spec, spec.cases[0], "cpu")


def test_op_spec_for_missing_op_is_one_failing_test(tmp_path):
    # Writing the spec first (instructions/adding-an-op.md step 1) in a copy of the real spec
    # harness: one test fails, naming the op and the fix; the generated tests skip, and
    # nothing fails at collection.
    shutil.copy(TESTS / "conftest.py", tmp_path / "conftest.py")
    shutil.copytree(TESTS / "specs", tmp_path / "specs")
    (tmp_path / "unit").mkdir()
    shutil.copy(TESTS / "unit" / "test_op_specs.py", tmp_path / "unit" / "test_op_specs.py")
    with open(tmp_path / "specs" / "core_ops.py", "a") as f:
        f.write(
            textwrap.dedent("""
            SPECS.append(OpSpec("cube", lambda x: x**3, unary_cases()))
            """)
        )
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--device", "cpu"]
        + ["-k", "cube or every", "unit/test_op_specs.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    out = run.stdout + run.stderr
    assert "1 failed" in out, out
    assert "test_every_spec_names_a_public_op" in out, out
    assert "'cube'" in out and "OPS" in out, out
    assert "error" not in out.split("\n")[-2], out


def test_torch_compare_skips_without_torch() -> None:
    """Without PyTorch the comparison suite is skipped module by module; a skip raised while
    pytest imports a conftest would abort the whole run instead."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    script = (
        "import sys, importlib.abc\n"
        "class Block(importlib.abc.MetaPathFinder):\n"
        "    def find_spec(self, name, path, target=None):\n"
        "        if name == 'torch' or name.startswith('torch.'):\n"
        "            raise ModuleNotFoundError(\"No module named 'torch'\", name='torch')\n"
        "sys.meta_path.insert(0, Block())\n"
        "import pytest\n"
        "sys.exit(pytest.main(['-q', '-p', 'no:cacheprovider', '-rs', 'tests/torch_compare']))\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", script], cwd=root, capture_output=True, text=True, timeout=300
    )
    assert run.returncode == 5 or run.returncode == 0, run.stdout + run.stderr
    assert "could not import 'torch'" in run.stdout, run.stdout
