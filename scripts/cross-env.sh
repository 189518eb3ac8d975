# Sourced by the build and check scripts for targets other than this machine's (linux
# x86_64): Debian's Rust (rustc-web, cargo-web) with the aarch64 standard library
# (libstd-rust-web-dev:arm64) and the standard library's source for `-Zbuild-std`
# (rust-web-src, for musl and Windows), qemu-user to run arm64 programs, musl-tools and
# mingw-w64 for the C parts. Installed from Debian's packages once (apt-get, as root).
# Debian's cargo and rustc are put first on PATH through target/cross/bin, so the
# machine's own toolchain stays the default everywhere else; their builds go to
# target/cross.

CROSS_PACKAGES=(rustc-web cargo-web libstd-rust-web-dev:arm64 rust-web-src
  gcc-aarch64-linux-gnu qemu-user musl-tools gcc-mingw-w64-x86-64 binutils)

cross_toolchain() {
  local missing=() p sudo=
  [[ $(id -u) == 0 ]] || sudo=sudo
  for p in "${CROSS_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
  done
  if ((${#missing[@]})); then
    echo "cross-env: installing ${missing[*]}" >&2
    $sudo dpkg --add-architecture arm64
    $sudo apt-get update -q
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
  fi
  mkdir -p target/cross/bin
  ln -sf /usr/bin/cargo target/cross/bin/cargo
  ln -sf /usr/bin/rustc target/cross/bin/rustc
  ln -sf /usr/bin/rustdoc target/cross/bin/rustdoc
  export PATH="$PWD/target/cross/bin:$PATH"
  export RUSTC=/usr/bin/rustc CARGO_TARGET_DIR="$PWD/target/cross"
  unset RUSTUP_TOOLCHAIN
}

# The npm platform name of a Rust target triple, as napi-rs names them.
npm_platform() {
  case "$1" in
    x86_64-unknown-linux-gnu) echo linux-x64-gnu ;;
    aarch64-unknown-linux-gnu) echo linux-arm64-gnu ;;
    x86_64-unknown-linux-musl) echo linux-x64-musl ;;
    aarch64-unknown-linux-musl) echo linux-arm64-musl ;;
    *) echo "cross-env: no npm platform for $1" >&2; return 1 ;;
  esac
}

# Picks the toolchain for TARGET: this machine's own when it is the host or rustup has
# the target installed (as on the release workflow's runners), else Debian's
# (cross_toolchain), which has a prebuilt standard library for aarch64-linux-gnu only:
# for other targets BUILD_STD is set to the cargo flags that build it from source.
toolchain_for() {
  BUILD_STD=()
  local host
  host=$(rustc -vV | sed -n 's/^host: //p')
  if [[ "$1" == "$host" ]] || { command -v rustup >/dev/null && rustup target list --installed 2>/dev/null | grep -qx "$1"; }; then
    return 0
  fi
  cross_toolchain
  if [[ "$1" != aarch64-unknown-linux-gnu ]]; then
    export RUSTC_BOOTSTRAP=1 # `-Zbuild-std` on Debian's stable compiler
    BUILD_STD=(-Zbuild-std=std,panic_abort)
  fi
}
