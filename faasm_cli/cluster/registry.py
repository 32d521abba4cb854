"""Who is in the cluster: worker registration, heartbeats, warm functions and counters.

A worker is `HSET keys.WORKERS <id> <json>` plus `keys.alive(id)`, set with a 3 s expiry and
renewed every second: a worker whose alive key has expired is dead, whatever its entry says.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

import redis

from faasm_cli.cluster import keys

ALIVE_MS = 3000
BEAT_S = 1.0
IN_FLIGHT = ("in_flight", "here")
"""The `keys.worker_stats` fields whose sum is a worker's calls in flight: those queued to it or
claimed by it, and the sync calls it took to run itself (written by `sync_results`)."""
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WorkerInfo:
    """A worker as `faasm cluster status` shows it."""

    id: str
    host: str
    pid: int
    invoke_url: str
    threads: int
    started: float
    alive: bool = True
    warm: list[str] = field(default_factory=list)  # `<user>/<function>`, sorted
    in_flight: int = 0
    served: int = 0

    def description(self) -> str:
        """The JSON kept in `keys.WORKERS` (what does not change while the worker runs)."""
        fixed = ("host", "pid", "invoke_url", "threads", "started")
        return json.dumps({name: asdict(self)[name] for name in fixed})


def register(client: redis.Redis, worker: WorkerInfo) -> None:
    """Enter the worker (alive at once) and zero its counters."""
    with client.pipeline() as pipe:
        pipe.set(keys.alive(worker.id), 1, px=ALIVE_MS)
        pipe.hset(keys.WORKERS, worker.id, worker.description())
        pipe.hset(keys.worker_stats(worker.id), mapping={n: 0 for n in ("served", *IN_FLIGHT)})
        pipe.execute()


def deregister(client: redis.Redis, worker_id: str) -> None:
    """Remove every key of the worker (it has left, or it is dead and its calls are moved)."""
    functions = [text(name) for name in client.smembers(keys.worker_warm(worker_id))]
    with client.pipeline() as pipe:
        for name in functions:
            user, function = name.split("/", 1)
            pipe.srem(keys.warm(user, function), worker_id)
        pipe.hdel(keys.WORKERS, worker_id)
        pipe.delete(
            keys.alive(worker_id),
            keys.worker_stats(worker_id),
            keys.worker_warm(worker_id),
            keys.running(worker_id),
            keys.queue(worker_id),
        )
        pipe.execute()


def mark_warm(client: redis.Redis, worker_id: str, user: str, function: str) -> None:
    with client.pipeline() as pipe:
        pipe.sadd(keys.warm(user, function), worker_id)
        pipe.sadd(keys.worker_warm(worker_id), f"{user}/{function}")
        pipe.execute()


def mark_cold(client: redis.Redis, worker_id: str, user: str, function: str) -> None:
    with client.pipeline() as pipe:
        pipe.srem(keys.warm(user, function), worker_id)
        pipe.srem(keys.worker_warm(worker_id), f"{user}/{function}")
        pipe.execute()


def worker_ids(client: redis.Redis) -> list[str]:
    return sorted(text(name) for name in client.hkeys(keys.WORKERS))


def alive(client: redis.Redis, ids: list[str]) -> dict[str, bool]:
    """Which of the workers still renew their heartbeat."""
    if not ids:
        return {}
    with client.pipeline(transaction=False) as pipe:
        for worker_id in ids:
            pipe.exists(keys.alive(worker_id))
        return {worker_id: bool(n) for worker_id, n in zip(ids, pipe.execute(), strict=True)}


def dead_workers(client: redis.Redis) -> list[str]:
    """Registered workers whose heartbeat has expired."""
    return [worker for worker, up in alive(client, worker_ids(client)).items() if not up]


def list_workers(client: redis.Redis) -> list[WorkerInfo]:
    """Every registered worker with its liveness, warm functions and counters, by id."""
    entries = {text(k): json.loads(v) for k, v in client.hgetall(keys.WORKERS).items()}
    ids = sorted(entries)
    with client.pipeline(transaction=False) as pipe:
        for worker_id in ids:
            pipe.exists(keys.alive(worker_id))
            pipe.smembers(keys.worker_warm(worker_id))
            pipe.hgetall(keys.worker_stats(worker_id))
        answers = pipe.execute()
    workers = []
    for n, worker_id in enumerate(ids):
        up, warm, stats = answers[3 * n : 3 * n + 3]
        entry = entries[worker_id]
        workers.append(
            WorkerInfo(
                id=worker_id,
                host=str(entry["host"]),
                pid=int(entry["pid"]),
                invoke_url=str(entry["invoke_url"]),
                threads=int(entry["threads"]),
                started=float(entry["started"]),
                alive=bool(up),
                warm=sorted(text(name) for name in warm),
                in_flight=max(0, sum(int(stats.get(name.encode(), 0)) for name in IN_FLIGHT)),
                served=int(stats.get(b"served", 0)),
            )
        )
    return workers


class Heartbeat:
    """Renews the worker's alive key every second on a thread. When the key is gone (Redis
    restarted empty, or peers took the worker for dead) it enters the worker again and calls
    `rejoin` to re-add what only the worker remembers (its warm functions)."""

    def __init__(self, client: redis.Redis, worker: WorkerInfo, rejoin: Callable[[], None]) -> None:
        self._client = client
        self._worker = worker
        self._rejoin = rejoin
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name="faasm-heartbeat", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)

    def _beat(self) -> None:
        down = False
        while not self._stop.wait(BEAT_S):
            try:
                renewed = self._client.set(keys.alive(self._worker.id), 1, px=ALIVE_MS, xx=True)
                if not renewed:  # Redis lost us (restarted), or a peer took us for dead
                    register(self._client, self._worker)
                    self._rejoin()
                if down:
                    log.warning("heartbeat: Redis is back")
                    down = False
            except (redis.ConnectionError, redis.TimeoutError) as error:
                if not down:
                    log.warning("heartbeat: Redis unreachable (%s); retrying", error)
                    down = True


def text(value: bytes | str) -> str:
    """A Redis reply as text, whether or not the client decodes responses."""
    return value.decode() if isinstance(value, bytes) else value
