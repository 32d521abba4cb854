"""Call results in Redis: stored once with a time-to-live and announced, read without being
consumed, and waited for without polling.

A result is `SET keys.result(id) <CallResult.to_json> EX ttl` + `PUBLISH keys.RESULTS_CHANNEL id`
in the pipeline that finishes the call; the PUBLISH (which every worker reads) only when someone
may await it: a chained call, or a sync call handed to another worker. Whoever waits registers
with the process's one `ResultWaiter` first and reads the key second, so a result published in
between is not missed; a periodic re-check covers a lost wake-up (pub/sub reconnecting after
Redis restarted).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import redis

from faasm_cli.cluster import keys
from faasm_cli.cluster.registry import text
from faasm_cli.errors import NotFound
from faasm_cli.runtime.result import CallResult

RECHECK_S = 0.5
"""How often a waiter reads the result key again even without a wake-up."""

RUNNING = "RUNNING"
log = logging.getLogger(__name__)


def ttl_ms(ttl_s: float) -> int:
    """A key's time-to-live in Redis's milliseconds (at least one)."""
    return max(1, int(ttl_s * 1000))


def document(result: CallResult) -> str:
    """What `keys.result` holds."""
    return json.dumps(result.to_json())


def store(
    pipe: redis.client.Pipeline, result: CallResult, ttl_s: float, announce: bool = True
) -> None:
    """Queue the result's SET and, to `announce` it, its PUBLISH on `pipe` (the caller adds its
    own bookkeeping and executes it)."""
    pipe.set(keys.result(result.call_id), document(result), px=ttl_ms(ttl_s))
    if announce:
        pipe.publish(keys.RESULTS_CHANNEL, str(result.call_id))


def parse(raw: bytes | str | None) -> CallResult | None:
    return None if raw is None else CallResult.from_json(json.loads(raw))


def fetch(client: redis.Redis, call_id: int) -> CallResult | None:
    """The call's result if it has finished (the key is left in place)."""
    return parse(client.get(keys.result(call_id)))


def failure(result: CallResult) -> str | None:
    """Why a call counts as failed, as Faasm words it; None for a success. A function that
    returns non-zero has failed, though its result still carries its output."""
    if result.failed:
        return result.error or "failed"
    if result.return_value:
        return f"Non-zero exit code: {result.return_value}"
    return None


def status_line(result: CallResult) -> str:
    """`SUCCESS: <output>` or `FAILED: <message>`."""
    reason = failure(result)
    if reason is None:
        return "SUCCESS: " + result.output_data.decode("utf-8", "replace")
    return "FAILED: " + reason


@dataclass(frozen=True)
class Status:
    """A call's status: its result once finished, else None (RUNNING)."""

    call_id: int
    result: CallResult | None

    @property
    def line(self) -> str:
        return RUNNING if self.result is None else status_line(self.result)


def read_status(client: redis.Redis, call_id: int) -> Status:
    """The call's status, read without consuming anything; NotFound if no such call is known
    (never submitted, or its result expired)."""
    with client.pipeline(transaction=False) as pipe:
        pipe.get(keys.result(call_id))
        pipe.exists(keys.call(call_id))
        raw, submitted = pipe.execute()
    if raw is None and not submitted:
        raise NotFound(f"no call {call_id}", "its result may have expired")
    return Status(call_id, parse(raw))


class ResultWaiter:
    """Wakes the threads waiting for results: one pub/sub connection and thread per process.

    `also` maps other channels to a handler of their messages (a worker listens to
    `FUNCTIONS_CHANNEL` on the same connection). Redis going away is logged once; the thread
    reconnects with back-off and waiters keep re-checking meanwhile."""

    def __init__(
        self, client: redis.Redis, also: Mapping[str, Callable[[str], None]] | None = None
    ) -> None:
        self._client = client
        self._handlers = dict(also or {})
        self._waiting: dict[int, list[threading.Event]] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self.subscribed = threading.Event()
        self._thread = threading.Thread(target=self._listen, name="faasm-results", daemon=True)
        self._thread.start()

    @contextmanager
    def expect(self, call_id: int) -> Iterator[threading.Event]:
        """An event set when `call_id`'s result is published, registered for the block."""
        event = threading.Event()
        with self._lock:
            self._waiting.setdefault(call_id, []).append(event)
        try:
            yield event
        finally:
            with self._lock:
                events = self._waiting.get(call_id, [])
                events.remove(event)
                if not events:
                    self._waiting.pop(call_id, None)

    def wait(self, call_id: int, timeout: float | None = None) -> CallResult | None:
        """The call's result once it exists; None if `timeout` passes first."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self.expect(call_id) as woken:
            while True:
                result = fetch(self._client, call_id)
                if result is not None:
                    return result
                left = (
                    RECHECK_S if deadline is None else min(RECHECK_S, deadline - time.monotonic())
                )
                if left <= 0:
                    return None
                woken.wait(left)
                woken.clear()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)

    def _wake(self, call_id: int) -> None:
        with self._lock:
            for event in self._waiting.get(call_id, []):
                event.set()

    def _wake_all(self) -> None:
        with self._lock:
            for events in self._waiting.values():
                for event in events:
                    event.set()

    def _listen(self) -> None:
        backoff = 0.1
        down = False
        while not self._stop.is_set():
            pubsub = self._client.pubsub(ignore_subscribe_messages=True)  # type: ignore[no-untyped-call]
            try:
                pubsub.subscribe(keys.RESULTS_CHANNEL, *self._handlers)
                self.subscribed.set()
                if down:
                    log.warning("result notifications: Redis is back")
                    down, backoff = False, 0.1
                    self._wake_all()  # results stored while we were away
                while not self._stop.is_set():
                    self._dispatch(pubsub.get_message(timeout=1.0))
            except (redis.ConnectionError, redis.TimeoutError) as error:
                self.subscribed.clear()
                if not down:
                    log.warning("result notifications: Redis unreachable (%s); retrying", error)
                    down = True
                    self._wake_all()  # their next read fails at once: a clear error, not a wait
                self._stop.wait(backoff)
                backoff = min(backoff * 2, 2.0)
            finally:
                pubsub.close()

    def _dispatch(self, message: dict[str, Any] | None) -> None:
        if message is None or message.get("type") != "message":
            return
        channel = text(message["channel"])
        data = text(message["data"])
        if channel == keys.RESULTS_CHANNEL:
            if data.isdigit():
                self._wake(int(data))
            return
        handler = self._handlers.get(channel)
        if handler is not None:
            try:
                handler(data)
            except Exception:  # a handler's bug must not end every waiter's wake-ups
                log.exception("handling %s on %s failed", data, channel)
