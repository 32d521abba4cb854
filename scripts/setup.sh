#!/usr/bin/env bash
# Set up a Debian bookworm machine (as root) to build and run faasm functions: this package with
# its test extras, then the wasm toolchain and the cluster's redis-server from Debian's packages
# (`faasm toolchain install`, whose package lists are the ones the doctor checks). `--tests` also
# sets up what the whole test suite needs: the Python runtime (`faasm python build`) and a Docker
# daemon with the toolchain image.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "setup: installing faasm-cli with its test extras" >&2
python3 -m pip install -q --disable-pip-version-check -e '.[test]' 2>&1 \
  | grep -v -e '^WARNING: Running pip as' -e "^WARNING: Location 'file" >&2 || true
if command -v pyenv >/dev/null 2>&1; then pyenv rehash; fi

# The doctor's exit status covers the required toolchain only; redis-server (the cluster's, an
# optional check: packages.CLUSTER_TOOL_PACKAGES) is looked for separately.
if ! python3 -m faasm_cli toolchain doctor >/dev/null 2>&1 || ! command -v redis-server >/dev/null; then
  echo "setup: installing the wasm toolchain and redis-server (Debian packages)" >&2
  python3 -m faasm_cli toolchain install
fi

# The Python runtime (CPython cross-compiled to wasm, ~4 min on 2 cores) is built once into the
# cache; later runs find it up to date in seconds. Python tests skip without it (or fail under
# FAASM_TEST_PYTHON=1).
if [ "${1:-}" = "--tests" ]; then
  # The multi-host cluster test puts a worker in a network namespace of its own (ip netns).
  if ! command -v ip >/dev/null; then
    echo "setup: installing iproute2 (ip netns, for the cluster tests)" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q --no-install-recommends iproute2 >&2 \
      || { apt-get update -q >&2 && apt-get install -y -q --no-install-recommends iproute2 >&2; }
  fi
  echo "setup: building the Python runtime (faasm python build: minutes the first time)" >&2
  python3 -m faasm_cli python build
  bash .ci/docker-daemon.sh
fi
echo "setup: done" >&2
