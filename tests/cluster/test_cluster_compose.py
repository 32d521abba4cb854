"""docker-compose.yml against the real Docker daemon: `up --scale worker=3` serves Faasm's API,
Python functions included.

Runs with FAASM_TEST_DOCKER=1 (CI sets it; `bash .ci/docker-daemon.sh` gives a daemon); skips
without it. The image is built (or found up to date) by the fixture with the host's Python
runtime (`faasm python build`; without one the image is built without Python and the Python test
skips, or fails under FAASM_TEST_PYTHON=1), the compose project gets its own name and free host
ports, and is taken down with its volumes afterwards.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from helpers import build_or_skip
from python_support import BUILT_IN, built_runtime
from support import free_port

from faasm_cli.config import MACHINE_CODE_CACHE, Project
from faasm_cli.toolchain.python import installed_runtime

pytestmark = pytest.mark.docker

REPO = Path(__file__).resolve().parents[2]
REQUIRED = os.environ.get("FAASM_TEST_DOCKER") == "1"
WORKERS = 3
FIRST_PYTHON_CALL_S = 600
"""A worker's first Python call compiles CPython's machine code (6-7 MB of wasm) in the
container: 20-25 s measured on the 2-core machine at load 7-13; the bound leaves room."""
IMAGE_CACHE = "/var/cache/faasm"  # the image's FAASM_CACHE_DIR (deploy/cluster.Dockerfile)


@dataclass
class Compose:
    project: str
    upload: str
    invoke: str

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        argv = ["docker-compose", "-p", self.project, "-f", str(REPO / "docker-compose.yml")]
        return subprocess.run(
            [*argv, *args], cwd=REPO, capture_output=True, text=True, check=check, timeout=300
        )


def _wait_for(url: str, deadline: float) -> None:
    while True:
        try:
            if httpx.get(url, timeout=2).text == "PONG":
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"{url} did not answer PONG")
        time.sleep(0.5)


@pytest.fixture(scope="module")
def compose() -> Iterator[Compose]:
    if not REQUIRED:
        pytest.skip(
            "set FAASM_TEST_DOCKER=1 with a running Docker daemon (bash .ci/docker-daemon.sh)"
        )
    # The image takes the runtime from the developer's (or CI's) cache, not the session's.
    without = [] if installed_runtime(BUILT_IN) else ["--without-python"]
    build = subprocess.run(
        [sys.executable, "-m", "faasm_cli.cluster.image", "build", *without],
        env={**os.environ, "FAASM_CACHE_DIR": str(BUILT_IN)},
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert build.returncode == 0, build.stderr
    upload_port, invoke_port = free_port(), free_port()
    cluster = Compose(
        f"faasmtest{uuid.uuid4().hex[:8]}",
        f"http://127.0.0.1:{upload_port}",
        f"http://127.0.0.1:{invoke_port}",
    )
    env = {
        **os.environ,
        "FAASM_UPLOAD_PORT": str(upload_port),
        "FAASM_INVOKE_PORT": str(invoke_port),
    }
    argv = ["docker-compose", "-p", cluster.project, "-f", str(REPO / "docker-compose.yml")]
    up = subprocess.run(
        [*argv, "up", "-d", "--scale", f"worker={WORKERS}"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    try:
        assert up.returncode == 0, up.stderr
        deadline = time.monotonic() + 120
        _wait_for(f"{cluster.upload}/ping", deadline)
        _wait_for(f"{cluster.invoke}/ping", deadline)
        yield cluster
    finally:
        logs = cluster.run("logs", "--no-color", check=False).stdout
        down = cluster.run("down", "-v", "--remove-orphans", check=False)
        assert down.returncode == 0, down.stderr + logs[-4000:]


def _workers_registered(compose: Compose) -> int:
    count = compose.run("exec", "-T", "redis", "redis-cli", "HLEN", "faasm:workers").stdout
    return int(count.strip() or 0)


def test_scaled_workers_serve_faasm_api(compose: Compose, demo_project: Project) -> None:
    wasm = build_or_skip(demo_project, "demo", ["hello"])["hello"]
    upload = httpx.put(f"{compose.upload}/f/demo/hello", content=wasm.read_bytes(), timeout=120)
    assert upload.status_code == 200, upload.text

    deadline = time.monotonic() + 30
    while _workers_registered(compose) < WORKERS:
        assert time.monotonic() < deadline, "not every worker registered in Redis"
        time.sleep(0.5)
    assert _workers_registered(compose) == WORKERS

    for _ in range(6):  # through nginx, round-robin over the workers
        answer = httpx.post(compose.invoke, json={"user": "demo", "function": "hello"}, timeout=60)
        assert answer.status_code == 200
        assert answer.text == "Hello faasm!\n"

    result = httpx.post(
        compose.invoke,
        json={"user": "demo", "function": "hello"},
        headers={"Accept": "application/json"},
        timeout=60,
    ).json()
    assert result["output_data"] == "Hello faasm!"
    assert result["return_value"] == 0
    assert result["exec_host"]


def test_state_round_trip_through_upload_server(compose: Compose) -> None:
    put = httpx.put(f"{compose.upload}/s/user123/my_key", content=b"your data", timeout=30)
    assert put.status_code == 200, put.text
    got = httpx.get(f"{compose.upload}/s/user123/my_key", timeout=30)
    assert (got.status_code, got.content) == (200, b"your data")


def test_machine_code_is_kept_in_its_volume(compose: Compose, demo_project: Project) -> None:
    wasm = build_or_skip(demo_project, "demo", ["hello"])["hello"]
    httpx.put(f"{compose.upload}/f/demo/hello", content=wasm.read_bytes(), timeout=120)
    modules = f"{IMAGE_CACHE}/{MACHINE_CODE_CACHE}"
    listing = compose.run("exec", "-T", "upload", "find", modules, "-type", "f")
    assert listing.stdout.strip(), "no machine code in the machine-code volume"
    volumes = subprocess.run(
        ["docker", "volume", "ls", "-q"], capture_output=True, text=True, check=True
    ).stdout.split()
    assert f"{compose.project}_machine-code" in volumes


def test_python_hello_through_the_balancer(compose: Compose) -> None:
    runtime = built_runtime()  # the one the image carries
    source = (REPO / "func" / "python" / "hello.py").read_bytes()
    put = httpx.put(f"{compose.upload}/p/python/hello", content=source, timeout=60)
    assert put.status_code == 200, put.text
    message = {
        "user": "python",
        "function": "hello",
        "python": True,
        "py_user": "python",
        "py_func": "hello",
    }
    expected = f"Hello from Python {runtime.version} on wasi!\n"
    first = httpx.post(compose.invoke, json=message, timeout=FIRST_PYTHON_CALL_S)
    assert (first.status_code, first.text) == (200, expected)
    for _ in range(2 * WORKERS):  # round-robin over the workers, each of which may load it
        answer = httpx.post(
            compose.invoke,
            json=message,
            headers={"Accept": "application/json"},
            timeout=FIRST_PYTHON_CALL_S,
        )
        assert answer.status_code == 200, answer.text
        result = answer.json()
        assert (result["output_data"], result["return_value"]) == (expected.strip(), 0)
