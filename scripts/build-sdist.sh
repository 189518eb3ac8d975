#!/usr/bin/env bash
# Builds the sdist (`maturin sdist`: the Python package with the Rust sources of the
# crates it needs) into target/wheels-python/. tests/python/test_sdist.py installs it
# from source into a fresh venv.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=.venv
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/python" -m pip install --disable-pip-version-check -q -r tests/python/requirements-wheel.txt
rm -f target/wheels-python/apigw_management-*.tar.gz
"$VENV/bin/maturin" sdist -o target/wheels-python
