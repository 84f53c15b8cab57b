"""Draw every scenario's data, fit and learning curves: the same as ``nanotorch plot``.

Usage: ``uv run python scripts/plot_scenarios.py [SCENARIO ...] [--out artifacts/plots]``.
"""

from nanotorch.cli import plot_main

if __name__ == "__main__":
    raise SystemExit(plot_main())
