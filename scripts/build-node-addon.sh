#!/usr/bin/env bash
# Builds the Node addon that ships in an npm platform package, for one Linux target
# (default x86_64-unknown-linux-gnu; also aarch64-unknown-linux-gnu): cargo profile `dist`
# (release + fat LTO + one codegen unit + strip), linked against glibc 2.17 with zig
# (`napi build --cross-compile`, i.e. cargo-zigbuild), so that it loads on Lambda's
# Amazon Linux 2 (glibc 2.26) and AL2023. Output: npm/<platform>/apigw-management.<platform>.node
# (e.g. npm/linux-arm64-gnu/), the file that platform package ships and that
# node/native.js loads inside a checkout.
# Then scripts/pack-npm.sh packs it and tests/node/packaging.test.mjs checks it.
#
# Tools, all from the package registries and pinned: the npm devDependencies
# (package-lock.json), zig from PyPI's `ziglang` (the version in
# tests/python/requirements-wheel.txt, as scripts/build-python-wheel.sh uses) in .venv,
# cargo-zigbuild from crates.io in target/tools/ (built once, ~1.5 min), and for aarch64
# Debian's Rust with the aarch64 standard library (scripts/cross-env.sh).
# Usage: scripts/build-node-addon.sh [TARGET]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/cross-env.sh

ZIGBUILD_VERSION=0.24.1
GLIBC=2.17
TARGET=${1:-x86_64-unknown-linux-gnu}
PLATFORM=$(npm_platform "$TARGET")

command -v node >/dev/null || { echo "build-node-addon: node (20 or later) is required" >&2; exit 1; }
command -v npm >/dev/null || { echo "build-node-addon: npm is required" >&2; exit 1; }

# 1. npm tools (napi CLI), only when package-lock.json changed since the last install.
stamp=node_modules/.apigw-management-lock.sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$want" ]]; then
  npm ci --no-audit --no-fund --loglevel=error
  echo "$want" > "$stamp"
fi

# 2. zig, from the ziglang wheel; cargo-zigbuild finds it as `python3 -m ziglang`.
VENV=.venv
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
ziglang=$(grep -E '^ziglang==' tests/python/requirements-wheel.txt)
"$VENV/bin/python" -m pip install --disable-pip-version-check -q "$ziglang"

# 3. cargo-zigbuild, pinned (built by this machine's toolchain); napi would otherwise
# `cargo install` the newest one.
tools="target/tools/cargo-zigbuild-$ZIGBUILD_VERSION"
if [[ ! -x "$tools/bin/cargo-zigbuild" ]]; then
  cargo install --locked --quiet cargo-zigbuild --version "$ZIGBUILD_VERSION" --root "$tools"
fi
export PATH="$PWD/$tools/bin:$PATH"
toolchain_for "$TARGET"
export VIRTUAL_ENV="$PWD/$VENV"
export PATH="$VIRTUAL_ENV/bin:$PATH"

# 4. The addon. `--profile dist` alone: cargo rejects `--release` together with `--profile`.
# `--no-js`: napi's generated loader would overwrite node/index.js; node/native.js loads it.
out="npm/$PLATFORM"
rm -f "$out/apigw-management.$PLATFORM.node"
npx --no-install napi build --platform --profile dist --cross-compile \
  --target "$TARGET.$GLIBC" --manifest-path node/Cargo.toml --output-dir "$out" \
  --no-js --dts ../../node/napi.d.ts
ls -l "$out/apigw-management.$PLATFORM.node"
