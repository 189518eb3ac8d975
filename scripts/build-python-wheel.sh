#!/usr/bin/env bash
# Builds the release abi3 wheel against glibc 2.17 (manylinux2014, with zig), so that it
# installs on Lambda's Amazon Linux 2 (glibc 2.26) and AL2023. Output: target/wheels-python/.
# Then `bash scripts/test-python.sh tests/python/test_wheel.py` checks its glibc needs and size.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=.venv
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/python" -m pip install --disable-pip-version-check -q -r tests/python/requirements-wheel.txt
export VIRTUAL_ENV="$PWD/$VENV"
export PATH="$VIRTUAL_ENV/bin:$PATH"
rm -f target/wheels-python/apigw_management-*.whl
maturin build --profile dist --zig --compatibility manylinux2014 -o target/wheels-python
ls -l target/wheels-python/
