"""The results of the sync calls a worker runs itself, stored in batches before they are answered.

Such a call (taken from the invoke endpoint and run at once, no queue) has no record in Redis
while it runs: its id was drawn from the worker's `IdBlock` and told to nobody before the answer,
so nobody can ask for it, and a worker that dies mid-call leaves nothing RUNNING (its client sees
the connection break). Its result must be in Redis before the answer, so that a status read
right after it finds it on any worker: one thread writes the results of every call that ended
since its last write in one pipeline (`SET keys.result EX ttl` each, unannounced: nobody awaits
them), with the worker's counters (`served`, and `here`: such calls in flight, which the
scheduler adds to the queue's `in_flight`), then answers them. Under load a write carries many
results; alone, a call waits for one round trip as before. Redis failing to take a batch answers
its calls ClusterUnavailable (the status could not be read back), and the results are written
once Redis is back, for up to `STORE_RETRY_S`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future

import redis

from faasm_cli.cluster import keys, results
from faasm_cli.cluster.dispatch import unavailable
from faasm_cli.runtime.result import CallResult

COUNTS_S = 0.1
"""How soon a change of the calls in flight here reaches Redis when no result is written."""
STORE_RETRY_S = 30.0
RETRY_S = 0.5
log = logging.getLogger(__name__)


class SyncResults:
    """The writer thread and what it has to write (`start` / `stop`)."""

    def __init__(
        self, client: redis.Redis, worker_id: str, ttl_s: float, here: Callable[[], int]
    ) -> None:
        self._client = client
        self._stats = keys.worker_stats(worker_id)
        self._ttl_ms = results.ttl_ms(ttl_s)
        self._pending: list[tuple[CallResult, Future[CallResult]]] = []
        self._retry: list[tuple[float, CallResult]] = []
        self._here = here  # such calls in flight on the worker
        self._written_here = 0
        self._served = 0
        self._wake = threading.Condition()
        self._stop = False
        self.down = False
        """Whether the last write failed: new calls take the route that reads Redis first."""
        self._thread = threading.Thread(
            target=self._write_loop, name="faasm-results-out", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Write what is pending, then end the thread."""
        with self._wake:
            self._stop = True
            self._wake.notify()
        self._thread.join(STORE_RETRY_S + 5)

    def ended(self, result: CallResult, answer: Future[CallResult]) -> None:
        """Store `result` with the next write, then give it to `answer`."""
        with self._wake:
            self._pending.append((result, answer))
            self._wake.notify()

    def _write_loop(self) -> None:
        while True:
            with self._wake:
                self._wake.wait_for(lambda: self._pending or self._stop, timeout=COUNTS_S)
                batch, self._pending = self._pending, []
                served, self._served = self._served + len(batch), 0
                stopping = self._stop
            here = self._here()
            now = time.monotonic()
            self._retry = [(deadline, r) for deadline, r in self._retry if deadline > now]
            if batch or self._retry or here != self._written_here:
                self._write(batch, served, here)
            if stopping and not self._pending:
                return

    def _write(
        self, batch: list[tuple[CallResult, Future[CallResult]]], served: int, here: int
    ) -> None:
        retried = [result for _, result in self._retry]
        try:
            with self._client.pipeline(transaction=False) as pipe:
                for result in [*retried, *(result for result, _ in batch)]:
                    pipe.set(keys.result(result.call_id), results.document(result), px=self._ttl_ms)
                if served:
                    pipe.hincrby(self._stats, "served", served)
                pipe.hset(self._stats, "here", here)
                pipe.execute()
        except (redis.ConnectionError, redis.TimeoutError) as error:
            if not self.down:
                log.warning("results: Redis unreachable (%s); retrying", error)
            self.down = True
            deadline = time.monotonic() + STORE_RETRY_S
            self._retry += [(deadline, result) for result, _ in batch]
            with self._wake:
                self._served += served
            for _, answer in batch:
                answer.set_exception(unavailable(error))
            time.sleep(RETRY_S)
            return
        if self.down:
            log.warning("results: Redis is back (%d results stored late)", len(retried))
        self.down = False
        self._retry = []
        self._written_here = here
        for result, answer in batch:
            answer.set_result(result)
