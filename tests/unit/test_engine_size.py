"""The engine stays readable in one sitting (discovery/build-the-engine.md).

``run_backward`` and ``Function.apply`` are the first code a learner reads after the
walkthrough; features (hooks, retain_grad, grad() capture, de-aliasing, saved-tensor
resolution) live in helpers beside them. These tests keep both short.
"""

from __future__ import annotations

import inspect

import pytest

from nanotorch.autograd import engine
from nanotorch.autograd.function import Function

LIMIT = 40


@pytest.mark.parametrize(
    "name, fn",
    [("run_backward", engine.run_backward), ("Function.apply", Function.apply)],
)
def test_engine_core_functions_fit_in_forty_lines(name, fn):
    lines = inspect.getsource(fn).rstrip("\n").splitlines()
    assert len(lines) <= LIMIT, f"{name} is {len(lines)} lines; keep it at most {LIMIT}"


def test_engine_function_module_opens_with_what_a_function_is():
    import nanotorch.autograd.function as function

    doc = function.__doc__ or ""
    first_paragraph = doc.strip().split("\n\n")[0]
    assert "Function" in first_paragraph and "import" not in first_paragraph.lower()
    source = inspect.getsource(function)
    # The import-cost note sits next to the code that uses the bound class, not at the top.
    assert source.index("Note [Tensor and Function import each other]") > source.index(
        "class Context"
    )
