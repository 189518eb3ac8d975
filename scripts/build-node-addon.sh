#!/usr/bin/env bash
# Builds the Node addon that ships in the npm package: linux x64, cargo profile `dist`
# (release + fat LTO + one codegen unit + strip), linked against glibc 2.17 with zig
# (`napi build --cross-compile`, i.e. cargo-zigbuild), so that it loads on Lambda's
# Amazon Linux 2 (glibc 2.26) and AL2023. Output: node/apigw-management.linux-x64-gnu.node,
# the name node/native.js falls back to when no debug build (node/apigw-management.node)
# is present, and the only addon package.json's `files` ships.
# Then `bash scripts/test-node.sh` runs tests/node/packaging.test.mjs on it (glibc floor,
# package size, require and one post from the packed package).
#
# Tools, all from the package registries and pinned: the npm devDependencies
# (package-lock.json), zig from PyPI's `ziglang` (the version in
# tests/python/requirements-wheel.txt, as scripts/build-python-wheel.sh uses) in .venv,
# and cargo-zigbuild from crates.io in target/tools/ (built once, ~1.5 min).
set -euo pipefail
cd "$(dirname "$0")/.."

ZIGBUILD_VERSION=0.24.1
GLIBC=2.17
TARGET=x86_64-unknown-linux-gnu

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
export VIRTUAL_ENV="$PWD/$VENV"
export PATH="$VIRTUAL_ENV/bin:$PATH"

# 3. cargo-zigbuild, pinned; napi would otherwise `cargo install` the newest one.
tools="target/tools/cargo-zigbuild-$ZIGBUILD_VERSION"
if [[ ! -x "$tools/bin/cargo-zigbuild" ]]; then
  cargo install --locked --quiet cargo-zigbuild --version "$ZIGBUILD_VERSION" --root "$tools"
fi
export PATH="$PWD/$tools/bin:$PATH"

# 4. The addon. `--profile dist` alone: cargo rejects `--release` together with `--profile`.
# `--no-js`: napi's generated loader would overwrite node/index.js; node/native.js loads it.
rm -f "node/apigw-management.linux-x64-gnu.node"
npx --no-install napi build --platform --profile dist --cross-compile \
  --target "$TARGET.$GLIBC" --manifest-path node/Cargo.toml --output-dir node \
  --no-js --dts napi.d.ts
ls -l node/apigw-management.linux-x64-gnu.node
