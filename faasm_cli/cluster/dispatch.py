"""The cluster's `CallDispatcher`: chained calls go through Redis to whichever worker the
scheduler picks, and every call a worker runs is claimed, run and finished here.

A call is claimed by winning `SET keys.started(id) NX` (a Lua script also adds it to the worker's
`running` set and counts it in flight, in one step, so a dead worker's claims are always found).
A call ends with one script: its result stored as `results.store` does (announced only when
someone may await it), its claim and count released, its stream entry acknowledged. A sync
call a worker runs at once is neither claimed nor finished here: `run` runs it and the worker
stores its result with others (`sync_results`).
Awaiting never deadlocks: the awaiter reads the result, else claims the call and runs it on its
own thread, else waits for the PUBLISH of its result. A call's result carries its own chained
tree (the worker that ran it collected it), so `collect` needs only the direct children.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import redis

from faasm_cli.cluster import keys, results
from faasm_cli.cluster.call_ids import new_call_id
from faasm_cli.cluster.registry import text
from faasm_cli.errors import ClusterUnavailable, FaasmError
from faasm_cli.message import Message
from faasm_cli.runtime.errors import CallFailed
from faasm_cli.runtime.result import CallResult, ChainedCall

if TYPE_CHECKING:
    from faasm_cli.runtime.runtime import Runtime

STORE_RETRY_S = 30.0
MAX_ATTEMPTS = 3  # a call whose worker died this often fails
log = logging.getLogger(__name__)

_CLAIM = """
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  redis.call('SADD', KEYS[2], ARGV[3])
  redis.call('HINCRBY', KEYS[3], 'in_flight', ARGV[4])
  return 1
end
return 0
"""
# KEYS: result, running set, stats hash, queue stream. ARGV: result JSON, ttl ms, call id, the
# channel to announce the result on ('' for none), stream entry ('' for none), queue group.
_FINISH = """
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('SREM', KEYS[2], ARGV[3])
redis.call('HINCRBY', KEYS[3], 'in_flight', -1)
redis.call('HINCRBY', KEYS[3], 'served', 1)
if ARGV[5] ~= '' then
  redis.call('XACK', KEYS[4], ARGV[6], ARGV[5])
  redis.call('XDEL', KEYS[4], ARGV[5])
end
if ARGV[4] ~= '' then
  redis.call('PUBLISH', ARGV[4], ARGV[3])
end
return 1
"""


@dataclass(frozen=True)
class Node:
    """What the dispatcher needs of the worker it serves."""

    client: redis.Redis
    worker_id: str
    waiter: results.ResultWaiter
    result_ttl_s: float
    place: Callable[[Message], str]  # the worker to run a call
    place_elsewhere: Callable[[Message], str | None]  # another live worker, if any
    exists: Callable[[str, str], bool]  # whether the cluster has the function
    ran: Callable[[Message, CallResult], None]  # told after each call this worker ran


def unavailable(error: redis.RedisError) -> ClusterUnavailable:
    return ClusterUnavailable(f"Redis is unreachable ({error})", "retry once it is back")


def failed_result(message: Message, error: str, exec_host: str) -> CallResult:
    """A call that could not run (or whose worker kept dying), as a failed result."""
    return CallResult(
        return_value=1,
        failed=True,
        error=error,
        call_id=message.id,
        request=message,
        exec_host=exec_host,
        finish_timestamp=time.time(),
    )


class RedisDispatcher:
    """Chains, awaits and collects calls across the cluster; runs the calls this worker claims."""

    def __init__(self, runtime: Runtime, node: Node) -> None:
        self.runtime = runtime
        self.node = node
        self._claim = node.client.register_script(_CLAIM)
        self._end = node.client.register_script(_FINISH)
        self._lock = threading.Lock()
        self._active: dict[int, Message] = {}  # calls running on this worker
        self._chained: dict[int, Message] = {}  # calls chained here and not collected yet
        self._children: dict[int, list[int]] = {}  # parent id -> ids it chained
        self._results: dict[int, CallResult] = {}  # awaited results, until collected

    # ---- submitting and claiming ----------------------------------------------------------------

    def submit(self, message: Message, target: str) -> None:
        """Queue the call on `target`'s stream (its message kept under `keys.call`); it counts
        in `target`'s calls in flight from now until it ends."""
        ttl = results.ttl_ms(self.node.result_ttl_s)
        with self.node.client.pipeline() as pipe:
            pipe.set(keys.call(message.id), json.dumps(message.to_json()), px=ttl)
            pipe.xadd(keys.queue(target), {"id": message.id})
            pipe.hincrby(keys.worker_stats(target), "in_flight", 1)
            pipe.execute()

    def claim(self, call_id: int, queued_here: bool = False) -> bool:
        """Win the call for this worker (False: someone started it already). A call taken from
        this worker's own queue already counts in its calls in flight."""
        worker = self.node.worker_id
        key_names = [keys.started(call_id), keys.running(worker), keys.worker_stats(worker)]
        ttl = results.ttl_ms(self.node.result_ttl_s)
        counted = 0 if queued_here else 1
        won = self._claim(keys=key_names, args=[worker, ttl, call_id, counted])
        return bool(won == 1)

    def claimed_message(self, call_id: int, entry: str) -> Message | None:
        """The message of a call claimed from the queue; None (and the claim undone) when it
        expired meanwhile."""
        raw = self.node.client.get(keys.call(call_id))
        if raw is not None:
            return Message.from_json(json.loads(raw))
        worker = self.node.worker_id
        with self.node.client.pipeline() as pipe:
            pipe.srem(keys.running(worker), call_id)
            pipe.hincrby(keys.worker_stats(worker), "in_flight", -1)
            pipe.xack(keys.queue(worker), keys.QUEUE_GROUP, entry)
            pipe.xdel(keys.queue(worker), entry)
            pipe.execute()
        return None

    def move_calls(self, worker_id: str, died: bool) -> int:
        """Hand the unfinished calls of `worker_id` (queued, and if it `died`, running) to live
        workers (not to this one if it is `worker_id`, leaving); how many moved. A call whose
        worker died `MAX_ATTEMPTS` times fails instead. The stream keeps what was read and not
        acknowledged, the `running` set what was started: together every call the worker had,
        so none is lost (it may run twice)."""
        client = self.node.client
        entries: Any = client.xrange(keys.queue(worker_id))
        queued = [int(fields[b"id"]) for _, fields in entries]
        running = [int(n) for n in client.smembers(keys.running(worker_id))]
        moved = 0
        for call_id in dict.fromkeys(queued + running):
            with client.pipeline(transaction=False) as pipe:
                pipe.exists(keys.result(call_id))
                pipe.get(keys.started(call_id))
                pipe.get(keys.call(call_id))
                done, owner, raw = pipe.execute()
            if done or raw is None or (owner is not None and text(owner) != worker_id):
                continue  # finished, expired, or running elsewhere (an awaiter took it)
            message = Message.from_json(json.loads(raw))
            if owner is not None and died:
                tries = int(client.incr(keys.attempts(call_id)))
                client.pexpire(keys.attempts(call_id), results.ttl_ms(self.node.result_ttl_s))
                if tries >= MAX_ATTEMPTS:
                    reason = f"its worker died {tries} times"
                    with client.pipeline() as pipe:
                        results.store(
                            pipe, failed_result(message, reason, worker_id), self.node.result_ttl_s
                        )
                        pipe.execute()
                    continue
            target = self.node.place(message)
            if worker_id == self.node.worker_id:
                target = self.node.place_elsewhere(message) or target
            client.delete(keys.started(call_id))
            self.submit(message, target)
            moved += 1
        return moved

    def run_claimed(
        self, message: Message, entry: str | None = None, awaited: bool = True
    ) -> CallResult:
        """Run a call this worker claimed, store its result and finish its bookkeeping (the
        stream `entry` it came from is acknowledged and deleted). The result is announced
        (PUBLISH, read by every worker) only when someone may be `awaited` on it."""
        result = self.run(message)
        self._finish(result, entry, awaited)
        return result

    def run(self, message: Message) -> CallResult:
        """Run a call on this thread; its result, stored by the caller. A call that cannot run
        is a failed result, never an exception: whoever awaits it must get an answer."""
        with self._lock:
            self._active[message.id] = message
        try:
            result = self.runtime.call_message(message)
        except FaasmError as error:
            result = failed_result(message, str(error), self.node.worker_id)
        except Exception as error:  # a bug: still an answer for whoever awaits the call
            log.exception("call %s failed inside the worker", message.id)
            result = failed_result(message, f"internal error: {error!r}", self.node.worker_id)
        finally:
            with self._lock:
                del self._active[message.id]
        result.exec_host = self.node.worker_id
        self.node.ran(message, result)
        return result

    def _finish(self, result: CallResult, entry: str | None, announce: bool) -> None:
        node = self.node
        worker = node.worker_id
        key_names = [
            keys.result(result.call_id),
            keys.running(worker),
            keys.worker_stats(worker),
            keys.queue(worker),
        ]
        args: list[str | int] = [
            results.document(result),
            results.ttl_ms(node.result_ttl_s),
            result.call_id,
            keys.RESULTS_CHANNEL if announce else "",
            entry or "",
            keys.QUEUE_GROUP,
        ]
        deadline = time.monotonic() + STORE_RETRY_S
        while True:
            try:
                self._end(keys=key_names, args=args)
                return
            except (redis.ConnectionError, redis.TimeoutError) as error:
                if time.monotonic() > deadline:
                    log.error(
                        "result of call %s lost: Redis unreachable (%s)", result.call_id, error
                    )
                    return
                time.sleep(0.5)

    # ---- CallDispatcher -------------------------------------------------------------------------

    def chain(self, message: Message) -> int:
        runtime = self.runtime
        name = f"{message.user}/{message.function}"
        if message.depth > runtime.max_chain_depth:
            raise CallFailed(f"chain depth limit of {runtime.max_chain_depth} reached")
        parent = self._active.get(message.parent_id)
        if parent is None or parent.user != message.user:
            raise CallFailed(f"cannot chain to another user's function ({name!r})")
        with self._lock:
            if len(self._children.get(message.parent_id, ())) >= runtime.max_fanout:
                raise CallFailed(
                    f"fan-out limit of {runtime.max_fanout} chained calls per call reached"
                )
        try:
            if not self.node.exists(message.user, message.function):
                raise CallFailed(f"cannot chain to {name}: no function {name} in the cluster")
            message = message.replaced(id=new_call_id(self.node.client))
            self.submit(message, self.node.place(message))
        except redis.RedisError as error:
            raise CallFailed(f"cannot chain to {name}: {unavailable(error)}") from None
        except FaasmError as error:
            raise CallFailed(f"cannot chain to {name}: {error.message}") from None
        with self._lock:
            self._children.setdefault(message.parent_id, []).append(message.id)
            self._chained[message.id] = message
        return message.id

    def await_call(self, call_id: int) -> CallResult:
        with self._lock:
            message = self._chained.get(call_id)
            result = self._results.get(call_id)
        if message is None:
            raise CallFailed(f"unknown call id {call_id}")
        if result is None:
            result = self._run_or_wait(message)
            with self._lock:
                self._results[call_id] = result
        return result

    def collect(self, root_id: int) -> list[ChainedCall]:
        with self._lock:
            children = self._children.pop(root_id, None)
        if children is None:
            return []
        nodes = []
        for call_id in children:
            with self._lock:
                message = self._chained.pop(call_id)
                result = self._results.pop(call_id, None)
            if result is None:
                result = self._run_or_wait(message)
            nodes.append(ChainedCall.of(message, result, result.chained))
        return nodes

    def close(self) -> None:
        """Nothing of its own to stop: the worker owns the threads and connections."""

    def _run_or_wait(self, message: Message) -> CallResult:
        """The call's result: stored already, or run here if nobody started it, or waited for
        (however deep and wide the chains, every awaited call is running somewhere)."""
        try:
            with self.node.waiter.expect(message.id) as woken:
                while True:
                    result = results.fetch(self.node.client, message.id)
                    if result is not None:
                        return result
                    if self.claim(message.id):
                        return self.run_claimed(message)
                    woken.wait(results.RECHECK_S)
                    woken.clear()
        except redis.RedisError as error:
            return failed_result(message, str(unavailable(error)), self.node.worker_id)
