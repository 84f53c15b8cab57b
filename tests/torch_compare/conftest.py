"""The PyTorch comparison suite: nanotorch against ``torch`` on the cpu device, op by op.

Every module here needs PyTorch; without it the whole directory is skipped (the rest of the
suite does not depend on it). The harness lives in ``_harness.py``; each ``test_*.py`` holds
one table of cases per op family.
"""

import pytest

torch = pytest.importorskip("torch")
