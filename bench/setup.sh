#!/usr/bin/env bash
# Installs what the benchmark needs, idempotently: nginx and wrk from Debian's packages,
# the Python peers in venvs under bench/venv/, the JS peers (and napi's CLI) with npm in
# bench/js/. Safe to run again: each step is skipped when already done.
set -euo pipefail
BENCH="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PY="${PYTHON:-python3}"

log() { printf '[bench setup] %s\n' "$*" >&2; }

# --- Debian packages --------------------------------------------------------------------
need_apt=()
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need_apt+=(nginx-light)
command -v wrk >/dev/null 2>&1 || need_apt+=(wrk)
[ -x /usr/bin/time ] || need_apt+=(time)
command -v taskset >/dev/null 2>&1 || need_apt+=(util-linux)
if [ "${#need_apt[@]}" -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    log "need ${need_apt[*]} (apt-get as root)"; exit 1
  fi
  log "apt-get install ${need_apt[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
  # Debian starts the packaged nginx on port 80; the bench runs its own instance.
  if command -v systemctl >/dev/null 2>&1; then systemctl disable --now nginx >/dev/null 2>&1 || true; fi
  if [ -f /run/nginx.pid ]; then kill "$(cat /run/nginx.pid)" 2>/dev/null || true; fi
fi

# --- Python venvs -----------------------------------------------------------------------
mkvenv() { # dir requirements-file
  local dir="$1" req="$2" stamp="$1/.installed"
  if [ -f "$stamp" ] && cmp -s "$req" "$stamp"; then return; fi
  log "venv $dir"
  [ -x "$dir/bin/python" ] || "$PY" -m venv "$dir"
  "$dir/bin/python" -m pip install -q --disable-pip-version-check -r "$req"
  cp "$req" "$stamp"
}
mkvenv "$BENCH/venv/main" "$BENCH/py/requirements-main.txt"
mkvenv "$BENCH/venv/aiobotocore" "$BENCH/py/requirements-aiobotocore.txt"

# --- npm --------------------------------------------------------------------------------
if [ ! -f "$BENCH/js/node_modules/.installed" ] || ! cmp -s "$BENCH/js/package-lock.json" "$BENCH/js/node_modules/.installed"; then
  log "npm ci in bench/js"
  (cd "$BENCH/js" && if [ -f package-lock.json ]; then npm ci --no-audit --no-fund --loglevel=error; else npm install --no-audit --no-fund --loglevel=error; fi)
  cp "$BENCH/js/package-lock.json" "$BENCH/js/node_modules/.installed"
fi
log "dependencies ready"
