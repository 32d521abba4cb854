"""Where a call runs: Faasm's rule of keeping functions where they are warm.

In order: this worker, if it has the function warm and a thread free; else the live worker that
has it warm with the most threads free, if it has one; else this worker if it has
a thread free (it becomes warm); else the live worker with the most threads free; else this
worker (the call waits in its queue). A worker's calls in flight are those queued to it and
running on it (`registry.IN_FLIGHT`).

A sync call to a function warm here needs no Redis read to be placed here: when a thread is free
the first rule keeps it; when none is, the rules keep it unless another live worker has a thread
free, which `Others` tells from its last reading (every `OTHERS_S`, on the worker's own thread).
A worker freed since then is seen up to `OTHERS_S` late: calls meanwhile wait here.
"""

from __future__ import annotations

import json
import threading

import redis

from faasm_cli.cluster import keys, registry
from faasm_cli.cluster.registry import text

OTHERS_S = 0.1
"""How often a worker reads whether any other worker has a thread free."""


def place(
    client: redis.Redis, here: str, user: str, function: str, *, warm_here: bool, free_here: bool
) -> str:
    """The id of the worker that should run a call of `user/function`."""
    if warm_here and free_here:
        return here
    best = _least_busy(client, _warm_elsewhere(client, here, user, function))
    if best is not None:
        return best
    if free_here:
        return here
    return _least_busy(client, _others(client, here)) or here


def place_elsewhere(client: redis.Redis, here: str, user: str, function: str) -> str | None:
    """A live worker other than `here` for the call (`here` is leaving): warm and free, else the
    least busy, even when none has a thread free; None when no other worker is alive."""
    best = _least_busy(client, _warm_elsewhere(client, here, user, function))
    return best or _least_busy(client, _others(client, here), busy_too=True)


def _warm_elsewhere(client: redis.Redis, here: str, user: str, function: str) -> list[str]:
    members = (text(member) for member in client.smembers(keys.warm(user, function)))
    return sorted(name for name in members if name != here)


def _others(client: redis.Redis, here: str) -> list[str]:
    return sorted(name for name in map(text, client.hkeys(keys.WORKERS)) if name != here)


def _least_busy(client: redis.Redis, workers: list[str], busy_too: bool = False) -> str | None:
    """The live worker among `workers` with the most threads free; None if none has one (or,
    `busy_too`, if none is alive)."""
    if not workers:
        return None
    with client.pipeline(transaction=False) as pipe:
        for worker_id in workers:
            pipe.exists(keys.alive(worker_id))
            pipe.hmget(keys.worker_stats(worker_id), registry.IN_FLIGHT)
            pipe.hget(keys.WORKERS, worker_id)
        answers = pipe.execute()
    best, most_free = None, None
    for n, worker_id in enumerate(workers):
        up, counts, entry = answers[3 * n : 3 * n + 3]
        if not up or entry is None:
            continue
        free = int(json.loads(entry)["threads"]) - sum(int(count or 0) for count in counts)
        if (free > 0 or busy_too) and (most_free is None or free > most_free):
            best, most_free = worker_id, free
    return best


class Others:
    """Whether another live worker has a thread free, as read every `OTHERS_S` by a thread of
    its own (until `stop`); True until the first reading and while Redis is away, which sends
    calls to `place` and its fresh reads."""

    def __init__(self, client: redis.Redis, here: str) -> None:
        self._client = client
        self._here = here
        self.free = True
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="faasm-others", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)

    def _watch(self) -> None:
        while True:
            try:
                self.free = _least_busy(self._client, _others(self._client, self._here)) is not None
            except redis.RedisError:
                self.free = True  # the queue loop reports Redis being away
            if self._stop.wait(OTHERS_S):
                return
