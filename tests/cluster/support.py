"""Real servers for cluster tests: a `redis-server` on a free loopback port, uvicorn in a thread."""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
import uvicorn

from faasm_cli.cluster.config import ClusterConfig
from faasm_cli.cluster.keys import WORKERS


def free_port() -> int:
    """A TCP port nothing listens on at the moment (the OS picks it)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RedisServer:
    """A real `redis-server` process (no persistence) that a test may stop and start again,
    listening on `hosts` (the first is the one `url` names)."""

    def __init__(self, workdir: Path, hosts: Sequence[str] = ("127.0.0.1",)) -> None:
        if shutil.which("redis-server") is None:
            pytest.fail("redis-server is not installed: run `apt-get install -y redis-server`")
        self.workdir = workdir
        self.hosts = tuple(hosts)
        self.port = free_port()
        self.url = self.url_at(self.hosts[0])
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        argv = ["redis-server", "--port", str(self.port), "--bind", *self.hosts, "--save", ""]
        argv += ["--appendonly", "no", "--dir", str(self.workdir)]
        if self.hosts != ("127.0.0.1",):  # else clients from any other address are refused
            argv += ["--protected-mode", "no"]
        self._process = subprocess.Popen(argv, stdout=subprocess.DEVNULL)
        client = redis.Redis.from_url(self.url)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.02)
        client.close()

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(10)
            self._process = None

    def client(self) -> redis.Redis:
        return redis.Redis.from_url(self.url)

    def url_at(self, host: str) -> str:
        """The URL a process reaching this server at `host` uses."""
        return f"redis://{host}:{self.port}/0"


@contextlib.contextmanager
def running_redis(workdir: Path, hosts: Sequence[str] = ("127.0.0.1",)) -> Iterator[RedisServer]:
    server = RedisServer(workdir, hosts)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@contextlib.contextmanager
def serve_in_thread(app: Any, port: int | None = None) -> Iterator[str]:
    """A real uvicorn server for `app` on 127.0.0.1, in a thread; yields its base URL."""
    port = port or free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"uvicorn did not start on port {port}")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


class LocalCluster:
    """An upload server and worker processes (`python -m ...`, as the launcher starts them) on
    free ports, against a given Redis, listening on `host`; every worker binds the same invoke
    port (SO_REUSEPORT) unless it is started with its own."""

    def __init__(
        self,
        redis_url: str,
        workdir: Path,
        cache_dir: Path,
        threads: int = 2,
        host: str = "127.0.0.1",
    ) -> None:
        self.config = ClusterConfig(
            redis_url=redis_url,
            host=host,
            upload_port=free_port(),
            invoke_port=free_port(),
            data_dir=workdir / "data",
            cache_dir=cache_dir,
            threads=threads,
            result_ttl_s=600.0,
        )
        self.logs = workdir / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.upload_url = self.config.upload_base
        self.invoke_url = self.config.invoke_base
        self.workers: dict[str, subprocess.Popen[bytes]] = {}
        self._server: subprocess.Popen[bytes] | None = None
        self.http = httpx.Client(timeout=60.0)

    def _spawn(
        self, module: str, name: str, config: ClusterConfig, via: Sequence[str] = ()
    ) -> subprocess.Popen[bytes]:
        log = (self.logs / f"{name}.log").open("ab")
        argv = [*via, sys.executable, "-m", module, *config.to_argv()]
        return subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)

    def start_server(self) -> None:
        self._server = self._spawn("faasm_cli.cluster.server", "upload", self.config)
        self._until(lambda: self._pings(self.upload_url), "the upload server", self._server)

    def start_worker(self, worker_id: str, via: Sequence[str] = (), **changes: Any) -> None:
        """Start a worker with the cluster's config but for `changes` (its own host, ports, Redis
        URL...), its command line prefixed by `via` (e.g. `ip netns exec NS`)."""
        config = replace(self.config, worker_id=worker_id, **changes)
        process = self._spawn("faasm_cli.cluster.worker", worker_id, config, via)
        self.workers[worker_id] = process
        client = redis.Redis.from_url(self.config.redis_url)
        try:
            self._until(lambda: bool(client.hexists(WORKERS, worker_id)), worker_id, process)
        finally:
            client.close()
        self._until(lambda: self._pings(config.invoke_base), worker_id, process)

    def kill(self, worker_id: str) -> None:
        """SIGKILL: the worker gets no chance to hand anything over."""
        process = self.workers.pop(worker_id)
        process.kill()
        process.wait(10)

    def stop(self, worker_id: str) -> int:
        """SIGTERM, as `faasm cluster down` does: the worker leaves cleanly; its exit status."""
        process = self.workers.pop(worker_id)
        process.terminate()
        return process.wait(60)

    def close(self) -> None:
        for worker_id in list(self.workers):
            self.stop(worker_id)
        if self._server is not None:
            self._server.terminate()
            self._server.wait(30)
        self.http.close()

    def log(self, name: str) -> str:
        return (self.logs / f"{name}.log").read_text(errors="replace")

    def upload(self, user: str, function: str, wasm: bytes) -> None:
        answer = self.http.put(f"{self.upload_url}/f/{user}/{function}", content=bytes(wasm))
        assert answer.status_code == 200, answer.text

    def invoke(self, **message: Any) -> httpx.Response:
        """POST a call message to the invoke port (any worker may take it)."""
        headers = {"Accept": "application/json"} if message.pop("json", False) else {}
        return self.http.post(self.invoke_url + "/", json=message, headers=headers)

    def _pings(self, base: str) -> bool:
        try:
            return self.http.get(f"{base}/ping", timeout=2).text == "PONG"
        except httpx.HTTPError:
            return False

    def _until(
        self, ready: Callable[[], bool], what: str, process: subprocess.Popen[bytes]
    ) -> None:
        deadline = time.monotonic() + 60
        while not ready():
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{what} did not start: see {self.logs}")
            time.sleep(0.05)


@contextlib.contextmanager
def local_cluster(
    redis_url: str,
    workdir: Path,
    cache_dir: Path,
    workers: int = 2,
    threads: int = 2,
    host: str = "127.0.0.1",
) -> Iterator[LocalCluster]:
    """An upload server and `workers` worker processes (ids w0, w1, ...), stopped afterwards."""
    cluster = LocalCluster(redis_url, workdir, cache_dir, threads, host)
    try:
        cluster.start_server()
        for n in range(workers):
            cluster.start_worker(f"w{n}")
        yield cluster
    finally:
        cluster.close()


def fuzz_settings(examples: int) -> Any:
    """Hypothesis settings of a bounded schemathesis run: `examples` cases per route, no
    deadline (servers under load), no health checks (slow data generation is fine)."""
    from hypothesis import HealthCheck, settings

    return settings(max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck))


def call_without_server_error(case: Any) -> None:
    """Send a generated request and fail on any 5xx, naming the request and the answer."""
    from schemathesis.checks import not_a_server_error

    response = case.call(timeout=30)
    assert response.status_code < 500, f"{case.method} {case.formatted_path}: {response.text}"
    case.validate_response(response, checks=[not_a_server_error])
