#!/usr/bin/env bash
# Install a CPU build of PyTorch into the project's environment, for the tests and benchmarks
# that compare with it. PyTorch is deliberately not in pyproject.toml: PyPI's default Linux
# wheel pulls several GB of CUDA libraries. This takes a CPU wheel from a local folder
# (TORCH_WHEEL_DIR, default /opt/wheels) matching this Python; exits 1 when there is none.
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${TORCH_WHEEL_DIR:-/opt/wheels}"
tag="$(uv run --no-sync python -c 'import sys; print(f"cp{sys.version_info[0]}{sys.version_info[1]}")')"
wheel="$(ls "$dir"/torch-*+cpu-"$tag"-"$tag"-*x86_64.whl 2>/dev/null | sort -V | tail -1 || true)"
if [ -z "$wheel" ]; then
    echo "install_torch_cpu: no CPU torch wheel for $tag in $dir" >&2
    exit 1
fi
uv pip install --quiet "$wheel"
uv run --no-sync python -c 'import torch; print("install_torch_cpu: torch", torch.__version__)'
