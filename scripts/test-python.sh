#!/usr/bin/env bash
# Builds the Python extension fresh into the project's venv and runs the Python suite.
# Needs only python3 (3.9+) with venv, pip and a Rust toolchain; installs the rest.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=.venv
REQ=tests/python/requirements.txt
PY="$VENV/bin/python"

if [ ! -x "$PY" ]; then
    python3 -m venv "$VENV"
fi
# Install the pinned tools only when the requirements changed since the last install.
stamp="$VENV/.apigw-requirements.sha256"
want="$(sha256sum "$REQ" | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    "$PY" -m pip install --disable-pip-version-check -q -r "$REQ"
    echo "$want" > "$stamp"
fi

# Always rebuild (incremental with cargo) so a stale extension is never tested.
# `maturin develop` installs into the active venv: activate it for this script.
export VIRTUAL_ENV="$PWD/$VENV"
export PATH="$VIRTUAL_ENV/bin:$PATH"
maturin develop

# Never reach AWS: dummy static credentials, explicit region, no instance metadata.
export AWS_EC2_METADATA_DISABLED=true
export AWS_ACCESS_KEY_ID=AKIDLOCAL
export AWS_SECRET_ACCESS_KEY=local-secret
export AWS_REGION=us-east-1
export AWS_DEFAULT_REGION=us-east-1
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_ENDPOINT_URL AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI || true
export AWS_CONFIG_FILE=/dev/null
export AWS_SHARED_CREDENTIALS_FILE=/dev/null

# Arguments: test files and pytest options instead of the whole suite.
if (($#)); then
    exec "$PY" -m pytest -q "$@"
fi
exec "$PY" -m pytest -q tests/python
