#!/usr/bin/env bash
# Builds the benchmark's artefacts: the Rust row programs (bench/rust, release, into
# bench/target), and what users install: the shipped wheel and npm package, built by the
# project's dist scripts (scripts/build-python-wheel.sh, scripts/build-node-addon.sh: the
# dist profile, glibc 2.17), the wheel installed into bench/venv/main and the package
# (`npm pack`) unpacked into bench/target/npm/apigw-management.
# A binding that does not build yet is recorded in bench/target/build-status.json and its
# rows are reported as not built; the other rows still run.
set -uo pipefail
BENCH="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$BENCH")"
TARGET="$BENCH/target"
export CARGO_TARGET_DIR="$TARGET"
# BENCH_SOURCE=head (run.sh --head) builds everything from the last commit (`git archive
# HEAD` into bench/target/src, with this bench/rust beside it) instead of the working
# tree: a consistent snapshot while others are editing the checkout.
SOURCE_DESC=""
if [ "${BENCH_SOURCE:-worktree}" = head ]; then
  rm -rf "$TARGET/src"; mkdir -p "$TARGET/src/bench"
  git -C "$ROOT" archive --format=tar HEAD | tar -x -C "$TARGET/src"
  cp -r "$BENCH/rust" "$TARGET/src/bench/rust"
  SOURCE_DESC="$(git -C "$ROOT" rev-parse --short HEAD) (git archive HEAD, working tree ignored)"
  ROOT="$TARGET/src"
  BENCH_RUST="$TARGET/src/bench/rust"
else
  BENCH_RUST="$BENCH/rust"
fi
export CARGO_TERM_COLOR=never
mkdir -p "$TARGET/logs"
STATUS="$TARGET/build-status.json"
declare -A fail=()

log() { printf '[bench build] %s\n' "$*" >&2; }
step() { # name logfile command...
  local name="$1" logf="$2"; shift 2
  log "$name"
  if ! "$@" >"$logf" 2>&1; then
    fail[$name]="build failed: $(grep -m1 -E '^error' "$logf" || tail -n 1 "$logf") (log: bench/target/logs/$(basename "$logf"))"
    log "  FAILED: ${fail[$name]}"
    return 1
  fi
}

# --- Rust rows: each program built on its own, so that features do not unify ----------
# between the project's crate and the peer's (it would change both binaries).
# A failed build removes the program, so that a stale binary is never measured.
for p in bench-ours bench-sdk; do
  step "rust-$p" "$TARGET/logs/$p.log" cargo build --release --locked --manifest-path "$BENCH_RUST/Cargo.toml" -p "$p" \
    || step "rust-$p" "$TARGET/logs/$p.log" cargo build --release --manifest-path "$BENCH_RUST/Cargo.toml" -p "$p" \
    || rm -f "$TARGET/release/$p" "$TARGET/stripped/$p"
done
for p in bench-ours bench-sdk; do
  if [ -f "$TARGET/release/$p" ]; then unset "fail[rust-$p]"; fi
done
# The size column measures stripped copies (the binaries keep symbols for profiling).
mkdir -p "$TARGET/stripped"
for p in bench-ours bench-sdk; do
  [ -f "$TARGET/release/$p" ] && strip -o "$TARGET/stripped/$p" "$TARGET/release/$p"
done

# --- The CLI, for the scale part (`apigw-management local` and `ws-clients`) -----------
if [ -f "$ROOT/cli/Cargo.toml" ]; then
  step cli "$TARGET/logs/cli.log" cargo build --release --manifest-path "$ROOT/Cargo.toml" -p apigw-management-cli --locked || true
else
  fail[cli]="not built: cli/ not in the checkout yet"
fi

# --- Python: the shipped wheel, installed into the bench venv ---------------------------
if [ -f "$ROOT/pyproject.toml" ] && [ -f "$ROOT/python/Cargo.toml" ]; then
  if step python "$TARGET/logs/python.log" bash "$ROOT/scripts/build-python-wheel.sh"; then
    whl="$(ls "$ROOT"/target/wheels-python/apigw_management-*"$(uname -m)".whl 2>/dev/null | head -n 1)"
    step python "$TARGET/logs/python-install.log" "$BENCH/venv/main/bin/python" -m pip install -q --disable-pip-version-check --force-reinstall --no-deps "$whl" \
      && step python "$TARGET/logs/python-import.log" "$BENCH/venv/main/bin/python" -c "import apigw_management; apigw_management.Client; apigw_management.AsyncClient"
  fi
else
  fail[python]="not built: pyproject.toml / python/ not in the checkout yet"
fi
if [ -n "${fail[python]:-}" ]; then
  "$BENCH/venv/main/bin/python" -m pip uninstall -q -y apigw-management >/dev/null 2>&1 || true
fi

# --- Node: the shipped addon, packed as npm publishes it and unpacked -------------------
PKG="$TARGET/npm/apigw-management"
if [ -f "$ROOT/package.json" ] && [ -f "$ROOT/node/Cargo.toml" ]; then
  rm -rf "$TARGET/npm" "$TARGET/npm-pack"
  mkdir -p "$TARGET/npm" "$TARGET/npm-pack"
  if step node "$TARGET/logs/node.log" bash "$ROOT/scripts/build-node-addon.sh" \
      && step node "$TARGET/logs/node-pack.log" bash "$ROOT/scripts/pack-npm.sh"; then
    # The main package, and beside it (where `require` finds it) the linux-x64-gnu one.
    tar -xzf "$ROOT"/target/npm/apigw-management-[0-9]*.tgz -C "$TARGET/npm" && mv "$TARGET/npm/package" "$PKG"
    mkdir -p "$TARGET/npm/node_modules"
    tar -xzf "$ROOT"/target/npm/apigw-management-linux-x64-gnu-*.tgz -C "$TARGET/npm" \
      && mv "$TARGET/npm/package" "$TARGET/npm/node_modules/apigw-management-linux-x64-gnu"
    step node "$TARGET/logs/node-require.log" node -e "const m=require('$PKG'); if(!m.Client) throw new Error('no Client export')" || rm -rf "$PKG"
  fi
else
  fail[node]="not built: package.json / node/ not in the checkout yet"
fi
[ -n "${fail[node]:-}" ] && rm -rf "$PKG"

# --- what was built: the checkout's revision and its uncommitted changes ----------------
if [ -n "$SOURCE_DESC" ]; then
  echo "$SOURCE_DESC" >"$TARGET/build-source.txt"
else
  git -C "$ROOT" rev-parse --short HEAD >"$TARGET/build-source.txt" 2>/dev/null || echo unknown >"$TARGET/build-source.txt"
  git -C "$ROOT" status --porcelain -- core python node cli local pyproject.toml package.json Cargo.lock >>"$TARGET/build-source.txt" 2>/dev/null || true
fi

# --- status -----------------------------------------------------------------------------
{
  printf '{'
  sep=''
  for k in "${!fail[@]}"; do
    printf '%s"%s": %s' "$sep" "$k" "$(printf '%s' "${fail[$k]}" | python3 -c 'import json,sys; print(json.dumps(sys.stdin.read()))')"
    sep=', '
  done
  printf '}\n'
} >"$STATUS"
log "done ($( [ ${#fail[@]} -eq 0 ] && echo 'everything built' || echo "not built: ${!fail[*]}"))"
exit 0
