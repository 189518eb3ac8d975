#!/usr/bin/env bash
# The Node suite, as `make test` runs it: install the pinned npm tools, rebuild the addon
# (debug, so a stale build is never tested), run tests/node with node's test runner
# (which also type-checks a usage file with `tsc --strict`). Idempotent; fast on re-runs.
set -euo pipefail
cd "$(dirname "$0")/.."

command -v node >/dev/null || { echo "test-node: node (20 or later) is required" >&2; exit 1; }
command -v npm >/dev/null || { echo "test-node: npm is required" >&2; exit 1; }

# 1. npm ci, only when package-lock.json changed since the last install.
stamp=node_modules/.apigw-management-lock.sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$want" ]]; then
  npm ci --no-audit --no-fund --loglevel=error
  echo "$want" > "$stamp"
fi

# 2. The addon: a debug build of node/ (cargo's incremental build makes a re-run quick).
npx --no-install napi build --manifest-path node/Cargo.toml --output-dir node --dts napi.d.ts

# 3. The tests: dummy credentials, explicit region, no instance metadata, no user config.
export AWS_EC2_METADATA_DISABLED=true
export AWS_ACCESS_KEY_ID=AKIDLOCAL
export AWS_SECRET_ACCESS_KEY=local-secret
export AWS_REGION=us-east-1
export AWS_DEFAULT_REGION=us-east-1
export AWS_CONFIG_FILE=/nonexistent/apigw-management/config
export AWS_SHARED_CREDENTIALS_FILE=/nonexistent/apigw-management/credentials
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_ENDPOINT_URL AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI || true
export NO_PROXY=127.0.0.1,localhost
export AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE=1
# Arguments: test files and node --test options instead of the whole suite.
if (($#)); then
  exec node --test --test-timeout=900000 "$@"
fi
exec node --test --test-timeout=120000 tests/node/
