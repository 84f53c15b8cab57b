#!/usr/bin/env bash
# Check nanotorch on a CUDA machine and write one report (instructions/gpu.md).
#
#   bash scripts/gpu_check.sh [OUT_DIR] [gpu_check.py options: --parts, --budget, --list]
#
# OUT_DIR defaults to $OUT when set (the lent GPU machine returns what lands there), else
# artifacts/gpu-check. Wheels carried in .whl/ (scripts/gpu_wheels.sh) are installed first
# into $NANOTORCH_SITE (default /tmp/site), without the network ($NANOTORCH_WHEELS names
# another wheel folder). $PYTHON picks the interpreter (default python3). The logic is in scripts/gpu_check.py.
set -euo pipefail
cd "$(dirname "$0")/.."

python=${PYTHON:-python3}
out=${OUT:-artifacts/gpu-check}
if [[ $# -gt 0 && $1 != -* ]]; then
    out=$1
    shift
fi

pythonpath="$PWD/src"
wheels=${NANOTORCH_WHEELS:-.whl}
if compgen -G "$wheels/*.whl" >/dev/null; then
    site=${NANOTORCH_SITE:-/tmp/site}
    if ! "$python" -m pip --version >/dev/null 2>&1; then
        echo "gpu_check.sh: $python has no pip, so the wheels in $wheels/ cannot be" \
            "installed; set PYTHON to an interpreter with pip" >&2
        exit 2
    fi
    echo "installing $(ls "$wheels"/*.whl | wc -l) carried wheel(s) from $wheels/ into $site"
    PIP_ROOT_USER_ACTION=ignore "$python" -m pip install -q --no-index --no-deps --no-compile \
        --no-cache-dir --upgrade --target "$site" "$wheels"/*.whl
    pythonpath="$pythonpath:$site"
else
    echo "no wheels in $wheels/ (scripts/gpu_wheels.sh makes them); using what $python has"
fi
export PYTHONPATH="$pythonpath${PYTHONPATH:+:$PYTHONPATH}"

exec "$python" scripts/gpu_check.py --out "$out" "$@"
