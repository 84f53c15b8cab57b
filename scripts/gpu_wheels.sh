#!/usr/bin/env bash
# Download the wheels a lent GPU machine lacks into .whl/ (git-ignored), for gpu_check.sh.
#
#   bash scripts/gpu_wheels.sh [NAME ...]
#
# That machine has Python 3.12, NumPy, CuPy, pytest, hypothesis, tqdm, matplotlib and
# safetensors but no network; of what nanotorch imports at run and test time it lacks only
# the three packages below (the machine's package list is in instructions/gpu.md;
# threadpoolctl is what ``set_num_threads`` uses for the BLAS threads). Versions come from
# uv.lock, so the GPU run tests what CI tests. All are pure Python; the platform
# flags only keep pip from choosing by this machine's own tags.
set -euo pipefail
cd "$(dirname "$0")/.."

python=${PYTHON:-python3}
if [[ $# -gt 0 ]]; then
    packages=("$@")
else
    packages=(array-api-compat array-api-strict threadpoolctl)
fi

locked_version() {
    "$python" - "$1" <<'PY'
import sys, tomllib

name = sys.argv[1]
with open("uv.lock", "rb") as f:
    versions = [p["version"] for p in tomllib.load(f)["package"] if p["name"] == name]
if not versions:
    sys.exit(f"gpu_wheels: {name} is not in uv.lock; name a locked package")
# Several entries differ by Python marker; the newest is the one for Python >= 3.11.
print(max(versions, key=lambda v: tuple(int(x) for x in v.split(".") if x.isdigit())))
PY
}

mkdir -p .whl
for name in "${packages[@]}"; do
    version=$(locked_version "$name")
    # One version of each: two of the same package stop the whole install there.
    rm -f .whl/"${name//-/_}"-*.whl
    "$python" -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 \
        --implementation cp --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 \
        --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
        --platform manylinux1_x86_64 -d .whl "$name==$version"
done
ls -l .whl/
