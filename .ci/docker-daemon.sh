#!/usr/bin/env bash
# Give this machine a working Docker daemon and the faasm toolchain image.
#
# Idempotent: on a fresh Debian bookworm machine (root, Debian mirror reachable, no Docker Hub)
# it installs docker.io + debootstrap, starts dockerd, makes a base image with debootstrap and
# builds the toolchain image; on a second run every step is a quick check.
#
# Environment:
#   FAASM_BASE_IMAGE      base of the toolchain image (default faasm/bookworm-base, made here with
#                         debootstrap; any other value must already exist or be pullable)
#   FAASM_DOCKERD_LOG     dockerd's log file (default /var/log/faasm-dockerd.log)
#   FAASM_DEBIAN_MIRROR   mirror for debootstrap (default http://deb.debian.org/debian)
#   PYTHON                interpreter that has faasm_cli installed (default python3)
set -euo pipefail

BASE_IMAGE="${FAASM_BASE_IMAGE:-faasm/bookworm-base}"
DOCKERD_LOG="${FAASM_DOCKERD_LOG:-/var/log/faasm-dockerd.log}"
MIRROR="${FAASM_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
CACHE_DIR=/var/cache/faasm
BASE_TARBALL="$CACHE_DIR/bookworm-minbase.tar"
PYTHON="${PYTHON:-python3}"
READY_TIMEOUT=60
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
START=$(date +%s)

log() { echo "[docker-daemon +$(($(date +%s) - START))s] $*"; }
die() { echo "[docker-daemon] ERROR: $*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "run as root (installs packages and starts dockerd)"

# 1. Packages -------------------------------------------------------------------------------
missing=()
command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
command -v docker-compose >/dev/null 2>&1 || missing+=(docker-compose)  # docker-compose.yml's client
if [ "${#missing[@]}" -gt 0 ]; then
    log "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-get install -y -q --no-install-recommends "${missing[@]}" >/tmp/faasm-apt.log 2>&1; then
        apt-get update -q >>/tmp/faasm-apt.log 2>&1 || true
        apt-get install -y -q --no-install-recommends "${missing[@]}" >>/tmp/faasm-apt.log 2>&1 \
            || { tail -n 20 /tmp/faasm-apt.log >&2; die "apt-get install ${missing[*]} failed (log: /tmp/faasm-apt.log)"; }
    fi
else
    log "docker.io, debootstrap and docker-compose already installed"
fi

# 2. Daemon ---------------------------------------------------------------------------------
daemon_up() { timeout 10 docker info >/dev/null 2>&1; }

# start_dockerd DRIVER: start the daemon with that storage driver; 0 once it answers, 1 if it died.
start_dockerd() {
    log "starting dockerd --storage-driver=$1 (log: $DOCKERD_LOG)"
    # setsid + nohup: the daemon outlives this script and its CI step.
    setsid nohup dockerd --storage-driver="$1" --iptables=false --bridge=none \
        >>"$DOCKERD_LOG" 2>&1 </dev/null &
    local pid=$! deadline=$(($(date +%s) + READY_TIMEOUT))
    until daemon_up; do
        kill -0 "$pid" 2>/dev/null || return 1
        if [ "$(date +%s)" -ge "$deadline" ]; then
            tail -n 20 "$DOCKERD_LOG" >&2 || true
            die "dockerd (pid $pid) did not answer within ${READY_TIMEOUT}s (log: $DOCKERD_LOG)"
        fi
        sleep 1
    done
}

if daemon_up; then
    log "dockerd already running"
else
    # overlay2 is fast; vfs is the fallback where overlayfs cannot nest (slow, but works).
    if ! start_dockerd overlay2; then
        log "dockerd exited with overlay2: $(tail -n 50 "$DOCKERD_LOG" | grep -i error | tail -n 1 | cut -c1-200)"
        start_dockerd vfs || { tail -n 20 "$DOCKERD_LOG" >&2; die "dockerd does not start (log: $DOCKERD_LOG)"; }
    fi
    log "dockerd ready"
fi

# 3. Base image -----------------------------------------------------------------------------
if docker image inspect "$BASE_IMAGE" >/dev/null 2>&1; then
    log "base image $BASE_IMAGE present"
elif [ "$BASE_IMAGE" = "faasm/bookworm-base" ]; then
    mkdir -p "$CACHE_DIR"
    if [ ! -s "$BASE_TARBALL" ]; then
        log "debootstrap --variant=minbase bookworm (about a minute)"
        rootfs="$(mktemp -d /var/tmp/faasm-rootfs.XXXXXX)"
        trap 'rm -rf "$rootfs"' EXIT
        debootstrap --variant=minbase bookworm "$rootfs" "$MIRROR" >/tmp/faasm-debootstrap.log 2>&1 \
            || { tail -n 20 /tmp/faasm-debootstrap.log >&2; die "debootstrap failed (log: /tmp/faasm-debootstrap.log)"; }
        rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
        tar -C "$rootfs" -c . >"$BASE_TARBALL.tmp" && mv "$BASE_TARBALL.tmp" "$BASE_TARBALL"
        rm -rf "$rootfs"
        trap - EXIT
    else
        log "using cached rootfs $BASE_TARBALL"
    fi
    log "docker import -> $BASE_IMAGE"
    docker import "$BASE_TARBALL" "$BASE_IMAGE" >/dev/null || die "docker import failed"
else
    log "pulling base image $BASE_IMAGE"
    docker pull "$BASE_IMAGE" >/dev/null || die "base image $BASE_IMAGE is missing and cannot be pulled"
fi

# 4. Toolchain image (the tag and build args the docker backend uses) -----------------------
log "building the toolchain image on $BASE_IMAGE"
cd "$REPO_ROOT"
"$PYTHON" -m faasm_cli.toolchain.docker_backend build --base-image "$BASE_IMAGE" \
    || die "building the toolchain image failed"
log "done"
