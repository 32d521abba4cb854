"""Where a call runs: Faasm's rule of keeping functions where they are warm.

In order: this worker, if it has the function warm and a thread free; else the live worker that
has it warm with the most threads free, if it has one; else this worker if it has
a thread free (it becomes warm); else the live worker with the most threads free; else this
worker (the call waits in its queue). A worker's calls in flight are those queued to it and
running on it (`keys.worker_stats`).
"""

from __future__ import annotations

import json

import redis

from faasm_cli.cluster import keys
from faasm_cli.cluster.registry import text


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
            pipe.hget(keys.worker_stats(worker_id), "in_flight")
            pipe.hget(keys.WORKERS, worker_id)
        answers = pipe.execute()
    best, most_free = None, None
    for n, worker_id in enumerate(workers):
        up, in_flight, entry = answers[3 * n : 3 * n + 3]
        if not up or entry is None:
            continue
        free = int(json.loads(entry)["threads"]) - int(in_flight or 0)
        if (free > 0 or busy_too) and (most_free is None or free > most_free):
            best, most_free = worker_id, free
    return best
