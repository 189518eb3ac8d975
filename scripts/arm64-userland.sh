#!/usr/bin/env bash
# An arm64 Debian userland with python3.11 and nodejs in target/arm64-root, for running
# the arm64 wheel and addon under qemu-user (`qemu-aarch64 -L target/arm64-root ...`):
# the packages are downloaded from Debian (`apt-get download`, with their dependencies)
# and unpacked with `dpkg -x`, so nothing of arm64 is installed into this machine, and
# the loader and libc come from the same libc6:arm64. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/cross-env.sh
cross_toolchain >/dev/null

ROOT=target/arm64-root
[[ -x "$ROOT/usr/bin/python3.11" && -x "$ROOT/usr/bin/node" ]] && exit 0
WANT=(libc6 python3.11-minimal libpython3.11-stdlib nodejs)
# Every arm64 package they need, and the architecture-independent node-* modules that
# Debian's nodejs loads.
mapfile -t pkgs < <(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts \
  --no-breaks --no-replaces --no-enhances "${WANT[@]/%/:arm64}" \
  | grep -E '^(node-[a-z0-9.+-]+|[a-z0-9.+-]+:arm64)$' | sort -u)
debs=target/arm64-debs
rm -rf "$debs" "$ROOT.tmp" && mkdir -p "$debs" "$ROOT.tmp"
(cd "$debs" && apt-get download -q "${pkgs[@]}")
for deb in "$debs"/*.deb; do dpkg -x "$deb" "$ROOT.tmp"; done
rm -rf "$ROOT" "$debs" && mv "$ROOT.tmp" "$ROOT"
qemu-aarch64 -L "$ROOT" "$ROOT/usr/bin/python3.11" -c 'import platform, ssl; print("arm64 python", platform.python_version(), platform.machine())'
qemu-aarch64 -L "$ROOT" "$ROOT/usr/bin/node" -p '`arm64 node ${process.version} ${process.arch}`'
