"""`faasm cluster up/down/status/logs`: the cluster as local processes, no Docker.

`start` launches `redis-server` (unless a Redis already answers at the URL), the upload server
and N workers, each writing its log under `config.logs_dir`, and records them in a state file in
the data dir: pid, the kernel's start time of that pid, argv and log. `stop` signals exactly the
recorded processes that are still those processes (same pid *and* start time), so a pid reused
by something else is never touched. It never prints: progress reaches the caller by callback.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import httpx
import redis

from faasm_cli.cluster.config import ClusterConfig
from faasm_cli.errors import ClusterUnavailable, NotFound

if TYPE_CHECKING:
    from faasm_cli.cluster.registry import WorkerInfo

STATE_FILE = "cluster.json"
READY_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 15.0
_POLL_S = 0.05
_LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1", "0.0.0.0")


@dataclass(frozen=True)
class Part:
    """One process of the cluster, as recorded when it was started."""

    name: str  # redis, upload, worker-1, ...
    pid: int
    started: int  # the kernel's start time of `pid` (clock ticks since boot)
    argv: tuple[str, ...]
    log: Path

    def alive(self) -> bool:
        """Still running and still the process that was started (not a reused pid)."""
        return _start_time(self.pid) == self.started


@dataclass(frozen=True)
class LocalCluster:
    """A cluster started by `start`: its configuration and its processes."""

    config: ClusterConfig
    parts: tuple[Part, ...]

    @property
    def workers(self) -> tuple[Part, ...]:
        return tuple(part for part in self.parts if part.name.startswith("worker-"))

    def alive(self) -> bool:
        return any(part.alive() for part in self.parts)

    def save(self) -> None:
        document = {
            "config": self.config.to_argv(),
            "parts": [{**asdict(part), "log": str(part.log)} for part in self.parts],
        }
        path = state_file(self.config.data_dir)
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps(document, indent=2))
        os.replace(temporary, path)

    @classmethod
    def load(cls, data_dir: Path) -> LocalCluster | None:
        try:
            document = json.loads(state_file(data_dir).read_text())
        except FileNotFoundError:
            return None
        config = ClusterConfig.from_argv(document["config"])
        parts = tuple(
            Part(p["name"], p["pid"], p["started"], tuple(p["argv"]), Path(p["log"]))
            for p in document["parts"]
        )
        return cls(config, parts)


def state_file(data_dir: Path) -> Path:
    return data_dir / STATE_FILE


def running(data_dir: Path) -> LocalCluster | None:
    """The cluster started from `data_dir` if any of its processes still runs; a record whose
    processes are all gone is removed."""
    cluster = LocalCluster.load(data_dir)
    if cluster is None:
        return None
    if not cluster.alive():
        state_file(data_dir).unlink(missing_ok=True)
        return None
    return cluster


def start(
    config: ClusterConfig, workers: int, on_step: Callable[[str], None] = lambda step: None
) -> LocalCluster:
    """Start Redis (unless one answers at the URL), the upload server and `workers` workers, and
    wait until every part answers. On any failure whatever was started is stopped again."""
    for directory in (config.data_dir, config.logs_dir):
        directory.mkdir(parents=True, exist_ok=True)
    _check_port_free(config.host, config.upload_port, "--upload-port")
    _check_port_free(config.host, config.invoke_port, "--invoke-port")
    parts: list[Part] = []
    try:
        if not _redis_answers(config.redis_url):
            on_step(f"starting redis-server for {config.redis_url}")
            parts.append(_spawn("redis", _redis_argv(config), config))
            _wait_for(lambda: _redis_answers(config.redis_url), parts, "Redis")
        on_step("starting the upload server and workers")
        module = [sys.executable, "-m"]
        parts.append(
            _spawn("upload", [*module, "faasm_cli.cluster.server", *config.to_argv()], config)
        )
        for number in range(1, workers + 1):
            argv = [*module, "faasm_cli.cluster.worker", *config.to_argv()]
            parts.append(_spawn(f"worker-{number}", argv, config))
        cluster = LocalCluster(config, tuple(parts))
        cluster.save()
        on_step("waiting for every part to answer")
        _wait_for(lambda: _http_answers(f"{config.upload_base}/ping"), parts, "the upload server")
        _wait_for(lambda: _workers_registered(cluster), parts, f"{workers} worker(s)")
    except BaseException:
        _terminate(parts)
        state_file(config.data_dir).unlink(missing_ok=True)
        raise
    return cluster


def stop(cluster: LocalCluster) -> list[Part]:
    """Stop the recorded processes that are still ours (workers first, Redis last) and forget
    the cluster; the parts that were stopped."""
    ours = [part for part in cluster.parts if part.alive()]
    _terminate(ours)
    state_file(cluster.config.data_dir).unlink(missing_ok=True)
    return ours


def worker_table(cluster: LocalCluster) -> list[WorkerInfo]:
    """The workers Redis knows (room 15's registry: warm functions, in-flight, served)."""
    from faasm_cli.cluster.registry import list_workers

    client = redis.Redis.from_url(cluster.config.redis_url, socket_connect_timeout=2)
    try:
        return list_workers(client)
    except redis.RedisError as problem:
        raise ClusterUnavailable(
            f"cannot read the workers from Redis at {cluster.config.redis_url}: {problem}",
            "see `faasm cluster logs`",
        ) from problem
    finally:
        client.close()


def log_lines(
    logs_dir: Path, names: Sequence[str] = (), follow: Callable[[], bool] = lambda: False
) -> Iterator[str]:
    """The parts' log lines (the last `up`'s, also after `down`), each prefixed with its part's
    name; new lines as they are written for as long as `follow()` is true."""
    logs = {log.stem: log for log in sorted(logs_dir.glob("*.log"))}
    unknown = [name for name in names if name not in logs]
    if unknown or not logs:
        raise NotFound(
            f"no log of {', '.join(unknown) or 'any part'} in {logs_dir}",
            f"parts: {', '.join(logs)}" if logs else "start a cluster with `faasm cluster up`",
        )
    chosen = {name: log for name, log in logs.items() if not names or name in names}
    width = max(len(name) for name in chosen)
    streams = {name: log.open("rb") for name, log in chosen.items()}
    try:
        while True:
            following = follow()
            for name, stream in streams.items():
                while line := stream.readline():
                    if following and not line.endswith(b"\n"):  # being written: next round
                        stream.seek(-len(line), os.SEEK_CUR)
                        break
                    yield f"{name:<{width}} | {line.decode(errors='replace').rstrip()}"
            if not following:
                return
            time.sleep(0.2)
    finally:
        for stream in streams.values():
            stream.close()


# ---- processes ----------------------------------------------------------------------------------


def _spawn(name: str, argv: list[str], config: ClusterConfig) -> Part:
    """Start one part in a session of its own (Ctrl-C in the terminal reaches only `up`, which
    stops the parts in order), its stdout and stderr in its log (a new one per `up`)."""
    log = config.logs_dir / f"{name}.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    started = _start_time(process.pid)
    if started is None:  # exited at once: reported by the readiness wait
        started = -1
    return Part(name, process.pid, started, tuple(argv), log)


def _terminate(parts: Sequence[Part]) -> None:
    """SIGTERM (graceful: workers finish their calls) in reverse start order, then SIGKILL what
    is left after STOP_TIMEOUT_S."""
    for part in reversed(parts):
        if part.alive():
            _signal(part.pid, signal.SIGTERM)
            _wait_gone(part, STOP_TIMEOUT_S)
    for part in parts:
        if part.alive():
            _signal(part.pid, signal.SIGKILL)
            _wait_gone(part, STOP_TIMEOUT_S)


def _signal(pid: int, signum: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signum)


def _wait_gone(part: Part, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while part.alive() and time.monotonic() < deadline:
        _reap(part.pid)
        time.sleep(_POLL_S)
    _reap(part.pid)


def _reap(pid: int) -> None:
    """Collect our own child's exit status (when `up` runs in the foreground it is the parent)."""
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def _start_time(pid: int) -> int | None:
    """The start time of a live (not zombie) process from /proc, or None when there is none."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2 :].split()  # after "pid (comm) "
    if fields[0] in ("Z", "X"):
        return None
    return int(fields[19])


# ---- readiness ----------------------------------------------------------------------------------


def _wait_for(ready: Callable[[], bool], parts: Sequence[Part], what: str) -> None:
    """Poll until `ready`; a part that exits meanwhile, or the deadline, is a one-line error
    naming its log."""
    deadline = time.monotonic() + READY_TIMEOUT_S
    while not ready():
        for part in parts:
            if not part.alive():
                _reap(part.pid)
                raise ClusterUnavailable(
                    f"{part.name} exited while starting: {_last_line(part.log)}",
                    f"see {part.log}",
                )
        if time.monotonic() > deadline:
            raise ClusterUnavailable(
                f"{what} did not answer within {READY_TIMEOUT_S:.0f} s",
                f"see the logs in {parts[0].log.parent}",
            )
        time.sleep(_POLL_S)


def _last_line(log: Path) -> str:
    try:
        lines = [line for line in log.read_text(errors="replace").splitlines() if line.strip()]
    except OSError:
        return "no log"
    return lines[-1].strip() if lines else "no output"


def _redis_answers(url: str) -> bool:
    client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False
    finally:
        client.close()


def _http_answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).text.strip() == "PONG"
    except httpx.HTTPError:
        return False


def _workers_registered(cluster: LocalCluster) -> bool:
    """Every started worker is registered and alive in Redis, and the invoke port answers."""
    if not _http_answers(f"{cluster.config.invoke_base}/ping"):
        return False
    live = {info.pid for info in worker_table(cluster) if info.alive}
    return all(part.pid in live for part in cluster.workers)


def _redis_argv(config: ClusterConfig) -> list[str]:
    """`redis-server` on the URL's host and port, no persistence (the cluster's data lives while
    it runs, as in Faasm's compose file); a missing binary names the package."""
    address = urlsplit(config.redis_url)
    host, port = address.hostname or "127.0.0.1", address.port or 6379
    if host not in _LOCAL_HOSTS:
        raise ClusterUnavailable(
            f"no Redis answers at {config.redis_url}, and it is not on this machine",
            "start Redis there, or leave --redis-url out to run one here",
        )
    program = shutil.which("redis-server")
    if program is None:
        raise ClusterUnavailable(
            "redis-server is not installed",
            f"run `{_redis_install_command()}` or `faasm toolchain install`",
        )
    return [program, "--port", str(port), "--bind", host, "--save", "", "--appendonly", "no"]


def _redis_install_command() -> str:
    from faasm_cli.toolchain.packages import CLUSTER_PACKAGES, apt_install_command

    return apt_install_command(CLUSTER_PACKAGES)


def _check_port_free(host: str, port: int, option: str) -> None:
    with socket.socket() as probe:
        try:
            probe.bind((host, port))
        except OSError as problem:
            raise ClusterUnavailable(
                f"port {port} on {host} is in use: {problem.strerror}",
                f"stop what listens there, or pass {option} PORT",
            ) from problem
