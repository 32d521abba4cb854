"""Call ids: unique across the cluster, positive and within int32 as Faasm's.

Every id comes from `INCR`/`INCRBY keys.CALL_IDS`. A call handed to another worker takes one at
a time; the sync calls a worker runs itself take theirs from blocks the worker reserved with one
`INCRBY` each, so they cost no round trip of their own and are still never handed out twice.
"""

from __future__ import annotations

import threading
from collections import deque

import redis

from faasm_cli.cluster import keys

MAX_CALL_ID = 0x7FFFFFFF
BLOCK = 1024
"""How many ids a worker reserves at once for its own sync calls."""


def new_call_id(client: redis.Redis) -> int:
    """One cluster-wide call id."""
    return int(client.incr(keys.CALL_IDS)) % MAX_CALL_ID or int(client.incr(keys.CALL_IDS))


class IdBlock:
    """Reserved ids, handed out without Redis (thread-safe): `take` never waits for Redis, so
    the event loop may call it; a call thread `refill`s when none is left."""

    def __init__(self, client: redis.Redis, size: int = BLOCK) -> None:
        self._client = client
        self._size = size
        self._blocks: deque[list[int]] = deque()  # [next counter value, end (excluded)]
        self._left = 0
        self._lock = threading.Lock()

    def take(self) -> int | None:
        """The next reserved id; None when none is left (`refill` first)."""
        with self._lock:
            while self._blocks:
                block = self._blocks[0]
                counter = block[0]
                block[0] += 1
                self._left -= 1
                if block[0] == block[1]:
                    self._blocks.popleft()
                if counter % MAX_CALL_ID:
                    return counter % MAX_CALL_ID
            return None

    def refill(self) -> None:
        """Reserve another block unless ids are left (RedisError if Redis is away)."""
        with self._lock:
            if self._left:
                return
        end = int(self._client.incrby(keys.CALL_IDS, self._size)) + 1
        with self._lock:
            self._blocks.append([end - self._size, end])
            self._left += self._size
