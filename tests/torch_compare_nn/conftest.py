"""Side-by-side checks of nanotorch's nn, losses, optimizers and schedulers against PyTorch.

The whole directory is skipped when PyTorch is not importable; CI installs a CPU build
(scripts/install_torch_cpu.sh). Deliberate differences are xfail(strict=True) with a reason and
are listed in discovery/pytorch-differences.md."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
