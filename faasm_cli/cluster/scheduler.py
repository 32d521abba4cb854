"""Where a call runs: Faasm's rule of keeping functions where they are warm.

This worker if it has the function warm and a free thread; else the live worker that has it warm
with the fewest calls in flight, if it has a thread free; else this worker, which becomes warm.
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
    warm = sorted(
        name
        for name in (text(m) for m in client.smembers(keys.warm(user, function)))
        if name != here
    )
    if not warm:
        return here
    with client.pipeline(transaction=False) as pipe:
        for worker_id in warm:
            pipe.exists(keys.alive(worker_id))
            pipe.hget(keys.worker_stats(worker_id), "in_flight")
            pipe.hget(keys.WORKERS, worker_id)
        answers = pipe.execute()
    best, fewest = here, None
    for n, worker_id in enumerate(warm):
        up, in_flight, entry = answers[3 * n : 3 * n + 3]
        if not up or entry is None:
            continue
        busy = int(in_flight or 0)
        if busy < int(json.loads(entry)["threads"]) and (fewest is None or busy < fewest):
            best, fewest = worker_id, busy
    return best
