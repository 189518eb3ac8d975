#!/usr/bin/env bash
# Builds the release abi3 wheel for one Linux target (default x86_64-unknown-linux-gnu;
# also aarch64-unknown-linux-gnu) against glibc 2.17 with zig: manylinux2014, so it
# installs on Lambda's Amazon Linux 2 (glibc 2.26) and AL2023. The profile (`dist`),
# compatibility and the files shipped are pyproject.toml's [tool.maturin], so this is
# `maturin build --zig`. Output: target/wheels-python/.
# Then tests/python/test_wheel.py checks each wheel's glibc needs and size.
# Usage: scripts/build-python-wheel.sh [TARGET]
set -euo pipefail
cd "$(dirname "$0")/.."
TARGET=${1:-x86_64-unknown-linux-gnu}
VENV=.venv
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/python" -m pip install --disable-pip-version-check -q -r tests/python/requirements-wheel.txt
source scripts/cross-env.sh
toolchain_for "$TARGET"
export VIRTUAL_ENV="$PWD/$VENV"
export PATH="$VIRTUAL_ENV/bin:$PATH"
arch=${TARGET%%-*}
rm -f target/wheels-python/apigw_management-*-"manylinux"*"$arch".whl
maturin build --zig --target "$TARGET" -o target/wheels-python
ls -l target/wheels-python/
