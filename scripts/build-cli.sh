#!/usr/bin/env bash
# Builds the CLI as one static musl executable for a Linux target (default
# x86_64-unknown-linux-musl; also aarch64-unknown-linux-musl): cargo profile `release`, the
# standard library from rustup, or here built from source (`-Zbuild-std`, Debian's
# rust-web-src: Debian ships no prebuilt musl standard library), zig as C compiler and linker with its own musl
# (cargo-zigbuild). Runs on any Linux of that architecture, Alpine and Lambda included.
# Output: target/cli/apigw-management-<target>.
# Usage: scripts/build-cli.sh [TARGET]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/cross-env.sh

ZIGBUILD_VERSION=0.24.1
TARGET=${1:-x86_64-unknown-linux-musl}

VENV=.venv
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
ziglang=$(grep -E '^ziglang==' tests/python/requirements-wheel.txt)
"$VENV/bin/python" -m pip install --disable-pip-version-check -q "$ziglang"
tools="target/tools/cargo-zigbuild-$ZIGBUILD_VERSION"
if [[ ! -x "$tools/bin/cargo-zigbuild" ]]; then
  cargo install --locked --quiet cargo-zigbuild --version "$ZIGBUILD_VERSION" --root "$tools"
fi
export PATH="$PWD/$tools/bin:$PATH"
toolchain_for "$TARGET"
export VIRTUAL_ENV="$PWD/$VENV"
export PATH="$VIRTUAL_ENV/bin:$PATH"

cargo zigbuild --locked "${BUILD_STD[@]}" --release --target "$TARGET" -p apigw-management-cli
mkdir -p target/cli
cp "${CARGO_TARGET_DIR:-target}/$TARGET/release/apigw-management" "target/cli/apigw-management-$TARGET"
ls -l "target/cli/apigw-management-$TARGET"
