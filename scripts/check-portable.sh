#!/usr/bin/env bash
# The shipped crates build for Windows and musl: `cargo check` of the core, local, python
# and node crates for x86_64-pc-windows-gnu and x86_64-unknown-linux-musl, with Debian's
# Rust and the standard library built from source (scripts/cross-env.sh), mingw-w64 and
# musl-tools for the C parts. Each target checks into its own target/check-<target>.
# Usage: scripts/check-portable.sh [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/cross-env.sh
cross_toolchain
export RUSTC_BOOTSTRAP=1 # `-Zbuild-std` on Debian's stable compiler

# napi's build script for windows-gnu looks for libnode.dll to link against; `cargo check`
# links nothing, so an empty stand-in lets it run (the shipped Windows addon is
# win32-x64-msvc, built by the release workflow on Windows).
stub="$PWD/target/check-libnode"
mkdir -p "$stub" && touch "$stub/libnode.dll"
export LIBNODE_PATH="$stub"

targets=("$@")
((${#targets[@]})) || targets=(x86_64-pc-windows-gnu x86_64-unknown-linux-musl)
for target in "${targets[@]}"; do
  echo "check-portable: $target"
  CARGO_TARGET_DIR="$PWD/target/check-$target" cargo check --locked -Zbuild-std=std,panic_abort \
    --target "$target" -p apigw-management -p apigw-management-local -p apigw-management-cli \
    -p apigw-management-python -p apigw-management-node
done
