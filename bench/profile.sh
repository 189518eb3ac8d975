#!/usr/bin/env bash
# Profiles the Rust per-call path (callgrind instruction counts; perf cpu-clock samples
# where perf works) of the release binaries, which keep their symbols; writes
# bench/target/profile/PROFILE.md.
set -euo pipefail
BENCH="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
export CARGO_TARGET_DIR="$BENCH/target" AWS_EC2_METADATA_DISABLED=true
command -v valgrind >/dev/null || { apt-get update -qq && apt-get install -y -qq valgrind >/dev/null; }
[ -x /usr/bin/perf ] || apt-get install -y -qq linux-perf >/dev/null 2>&1 || true
[ -x /usr/sbin/nginx ] || bash "$BENCH/setup.sh"
for p in bench-ours bench-sdk; do
  cargo build -q --release --manifest-path "$BENCH/rust/Cargo.toml" -p "$p"
done
exec python3 "$BENCH/profile.py"
