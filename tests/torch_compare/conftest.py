"""The PyTorch comparison suite: nanotorch against ``torch`` on the cpu device, op by op.

Every module here needs PyTorch. Each test module begins with
``torch = pytest.importorskip("torch")`` (before it imports the harness), so without PyTorch
each module is reported as skipped and the rest of the suite runs. The skip cannot live at
the top of this file: a skip raised while pytest imports a conftest aborts the whole run
(``test_torch_compare_skips_without_torch`` in tests/unit/test_op_registry.py pins that the
directory skips cleanly). The harness lives in ``_harness.py``; each ``test_*.py`` holds one
table of cases per op family.
"""

import pytest


@pytest.fixture
def torch():  # noqa: ANN201 - the module, for tests that want it as a fixture
    return pytest.importorskip("torch")
