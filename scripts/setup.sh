#!/usr/bin/env bash
# Set up a Debian bookworm machine (as root) to build and run faasm functions:
# the wasm toolchain from Debian's packages, then this package with its test extras.
# `--docker` also starts a Docker daemon and builds the container toolchain image.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  clang-19 lld-19 llvm-19 wasi-libc libclang-rt-19-dev-wasm32
  libc++-19-dev-wasm32 libc++abi-19-dev-wasm32 cmake ninja-build make
  gcc g++ binutils
)

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

echo "setup: installing faasm-cli with its test extras" >&2
python3 -m pip install -q --disable-pip-version-check -e '.[test]' 2>&1 | grep -v -e '^WARNING: Running pip as' -e "^WARNING: Location 'file" >&2 || true
if command -v pyenv >/dev/null 2>&1; then pyenv rehash; fi

if [ "${1:-}" = "--docker" ]; then
  bash .ci/docker-daemon.sh
fi
echo "setup: done" >&2
