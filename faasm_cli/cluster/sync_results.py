"""The results of the sync calls a worker runs itself, stored in batches before they are answered.

Such a call (taken from the invoke endpoint and run at once, no queue) has no record in Redis
while it runs: its id was drawn from the worker's `IdBlock` and told to nobody before the answer,
so nobody can ask for it, and a worker that dies mid-call leaves nothing RUNNING (its client sees
the connection break). Its result must be in Redis before the answer, so that a status read
right after it finds it on any worker. The event loop writes the results of every call that
ended since its last write in one pipelined write (`SET keys.result PX ttl` each, unannounced:
nobody awaits them), with the worker's counters (`served`, and `here`: such calls in flight,
which the scheduler adds to the queue's `in_flight`), then answers them: a write starts after
the loop's current turn, so it carries every call that turn finished, and calls that end while
it is out go in the next one. No thread is involved. A write that Redis refuses answers its
calls ClusterUnavailable (the status could not be read back), and its results are written once
Redis is back, for up to `STORE_RETRY_S`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

import redis
import redis.asyncio

from faasm_cli.cluster import keys, results
from faasm_cli.cluster.dispatch import STORE_RETRY_S, unavailable
from faasm_cli.runtime.result import CallResult

COUNTS_S = 0.1
"""How soon a change of the calls in flight here reaches Redis when no result is written."""
RETRY_S = 0.5
log = logging.getLogger(__name__)


class SyncResults:
    """The pending results and the one write in progress, on the event loop that serves calls."""

    def __init__(
        self, redis_url: str, worker_id: str, ttl_s: float, here: Callable[[], int]
    ) -> None:
        self._client = redis.asyncio.Redis.from_url(redis_url)
        self._stats = keys.worker_stats(worker_id)
        self._ttl_ms = results.ttl_ms(ttl_s)
        self._here = here  # such calls in flight on the worker
        self._written_here = 0
        self._pending: list[tuple[CallResult, asyncio.Future[None]]] = []
        self._retry: list[tuple[float, CallResult]] = []
        self._connection: redis.asyncio.connection.AbstractConnection | None = None
        self._writer: asyncio.Task[None] | None = None
        self._counts: asyncio.Task[None] | None = None
        self.down = False
        """Whether the last write failed: new calls take the route that reads Redis first."""

    async def store(self, result: CallResult) -> None:
        """Return once `result` is stored (ClusterUnavailable if Redis refused it)."""
        loop = asyncio.get_running_loop()
        stored = loop.create_future()
        self._pending.append((result, stored))
        if self._writer is None:
            self._writer = loop.create_task(self._write_pending())
        if self._counts is None:
            self._counts = loop.create_task(self._keep_counts())
        await stored

    def close(self) -> None:
        """After the event loop ended: say what Redis refused and was not written since."""
        if self._retry:
            log.error("%d call results not stored: Redis unreachable", len(self._retry))

    async def _write_pending(self) -> None:
        try:
            while self._pending:
                batch, self._pending = self._pending, []
                await self._write(batch)
        finally:
            self._writer = None

    async def _keep_counts(self) -> None:
        """Write `here` when it changed and nothing else wrote it; retry refused results."""
        while True:
            await asyncio.sleep(RETRY_S if self.down else COUNTS_S)
            now = time.monotonic()
            self._retry = [(deadline, r) for deadline, r in self._retry if deadline > now]
            if self._writer is None and (self._retry or self._here() != self._written_here):
                await self._write([])

    async def _write(self, batch: list[tuple[CallResult, asyncio.Future[None]]]) -> None:
        here = self._here()
        stored = [result for _, result in self._retry] + [result for result, _ in batch]
        commands: list[tuple[str | int, ...]] = [
            ("SET", keys.result(r.call_id), results.document(r), "PX", self._ttl_ms) for r in stored
        ]
        if stored:
            commands.append(("HINCRBY", self._stats, "served", len(stored)))
        commands.append(("HSET", self._stats, "here", here))
        try:
            await self._send(commands)
        except (redis.ConnectionError, redis.TimeoutError) as error:
            if not self.down:
                log.warning("results: Redis unreachable (%s); retrying", error)
            self.down = True
            deadline = time.monotonic() + STORE_RETRY_S
            self._retry += [(deadline, result) for result, _ in batch]
            for _, answer in batch:
                if not answer.done():  # else its client left
                    answer.set_exception(unavailable(error))
            return
        if self.down:
            log.warning("results: Redis is back (%d results stored late)", len(self._retry))
        self.down = False
        self._retry = []
        self._written_here = here
        for _, answer in batch:
            if not answer.done():
                answer.set_result(None)

    async def _send(self, commands: list[tuple[str | int, ...]]) -> None:
        """Send `commands` in one write on the writer's own connection and read their replies:
        a pipeline without the client's per-call machinery (half the CPU of one for a batch of
        one; redis-py's own packing and parsing). A failure drops the connection."""
        if self._connection is None:
            pool = self._client.connection_pool
            self._connection = await pool.get_connection()  # type: ignore[no-untyped-call]
        connection = self._connection
        try:
            await connection.send_packed_command(connection.pack_commands(commands), False)
            for _ in commands:
                await connection.read_response()
        except BaseException:
            await connection.disconnect()
            raise
