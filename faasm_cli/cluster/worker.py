"""A cluster worker: one `Runtime`, its call threads, its Redis queue, and the invoke endpoint.

    python -m faasm_cli.cluster.worker <ClusterConfig options>

Calls reach a worker three ways: a sync invoke it runs itself (the function is warm here and a
thread is free, or nobody else has it warm), its queue stream (XREADGROUP; async invokes and
calls other workers handed over), and awaits of chained calls that nobody started yet. Besides,
every worker takes part in the cluster's upkeep: a heartbeat, and the reaper that moves the calls
of dead workers elsewhere. Redis going away is logged once per loop; the loops back off and
resume when it returns, and calls arriving meanwhile are refused with 503.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import signal
import socket
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from pathlib import Path
from types import FrameType
from typing import Any

import httpx
import redis
import uvicorn
from anyio import to_thread

from faasm_cli.cluster import keys, registry, results, scheduler
from faasm_cli.cluster.call_ids import IdBlock, new_call_id
from faasm_cli.cluster.config import ClusterConfig
from faasm_cli.cluster.dispatch import Node, RedisDispatcher, unavailable
from faasm_cli.cluster.redis_state import RedisBackend
from faasm_cli.cluster.sync_results import SyncResults
from faasm_cli.errors import ClusterUnavailable, NotFound
from faasm_cli.message import Message
from faasm_cli.names import check_function, check_user
from faasm_cli.runtime import ReplicatedStateStore, Runtime
from faasm_cli.runtime.executor import LocalExecutor, Task
from faasm_cli.runtime.python import PYTHON_SUFFIX, BuiltPython
from faasm_cli.runtime.result import CallResult

REAP_S = 1.0
# A function whose last sync call here was short (`Worker._run_timed`: under SHORT_CPU_S of CPU
# and SHORT_WALL_S of wall time) runs its next sync calls on the event loop.
SHORT_CPU_S = 0.001
SHORT_WALL_S = 0.01
READ_BLOCK_MS = 1000
log = logging.getLogger("faasm.worker")
# Where a function comes from, in order: its wasm, else its Python source.
_ROUTES = (("f", ".wasm"), ("p", PYTHON_SUFFIX))


class WasmFetcher:
    """Gets a function's wasm (or, when it has none, its Python source) from the upload server
    on first use, into a local file (the runtime's resolver); machine code is then found in the
    cache by the wasm's hash."""

    def __init__(self, upload_base: str) -> None:
        self.base = upload_base.rstrip("/")
        self._dir = Path(tempfile.mkdtemp(prefix="faasm-worker-"))
        self._http = httpx.Client(timeout=30.0)

    def fetch(self, user: str, function: str) -> Path | None:
        for route, suffix in _ROUTES:
            path = self._dir / user / f"{function}{suffix}"
            if path.is_file() or self._download(f"{self.base}/{route}/{user}/{function}", path):
                return path
        return None

    def _download(self, url: str, path: Path) -> bool:
        try:
            response = self._http.get(url)
        except httpx.HTTPError as error:
            raise ClusterUnavailable(
                f"the upload server at {self.base} is unreachable ({error})",
                "start it, or check the worker's --upload-url",
            ) from None
        if response.status_code == httpx.codes.NOT_FOUND:
            return False
        if response.status_code != httpx.codes.OK:
            raise ClusterUnavailable(f"GET {url} answered {response.status_code}")
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{threading.get_ident()}.part")
        partial.write_bytes(response.content)
        partial.replace(path)
        return True

    def drop(self, user: str, function: str) -> None:
        for _, suffix in _ROUTES:
            (self._dir / user / f"{function}{suffix}").unlink(missing_ok=True)

    def close(self) -> None:
        self._http.close()
        shutil.rmtree(self._dir, ignore_errors=True)


class Worker:
    """Everything of one worker process but its HTTP server (`server.invoke_app(worker)`)."""

    def __init__(self, config: ClusterConfig) -> None:
        self.config = config
        self.id = config.worker_id or f"{socket.gethostname()}-{os.getpid()}"
        self.threads = config.threads or os.cpu_count() or 1
        self.client = redis.Redis.from_url(config.redis_url, health_check_interval=5)
        self.info = registry.WorkerInfo(
            id=self.id,
            host=socket.gethostname(),
            pid=os.getpid(),
            invoke_url=config.invoke_base,
            threads=self.threads,
            started=time.time(),
        )
        self.fetcher = WasmFetcher(config.upload_base)
        self.waiter = results.ResultWaiter(self.client, {keys.FUNCTIONS_CHANNEL: self._uploaded})
        self._warm: set[tuple[str, str]] = set()
        self._short: set[tuple[str, str]] = set()  # run on the event loop (`_run_timed`)
        self._queued_here: set[int] = set()  # placed here, not yet read from the queue
        self._busy = 0
        self._sync_here = 0  # sync calls taken to run here (`_run_here`), not ended
        self._idle = threading.Condition()
        self._draining = threading.Event()
        self._stopped = threading.Event()
        self.state = ReplicatedStateStore(RedisBackend(config.redis_url))
        node = Node(
            client=self.client,
            worker_id=self.id,
            waiter=self.waiter,
            result_ttl_s=config.result_ttl_s,
            place=self._place,
            place_elsewhere=lambda message: scheduler.place_elsewhere(
                self.client, self.id, message.user, message.function
            ),
            exists=self.exists,
            ran=self._ran,
        )
        made: list[RedisDispatcher] = []

        def dispatcher(runtime: Runtime) -> RedisDispatcher:
            made.append(RedisDispatcher(runtime, node))
            return made[0]

        shared = config.shared_files_dir
        self.runtime = Runtime(
            cache_dir=config.cache_dir,
            state_store=self.state,
            resolver=self.fetcher.fetch,
            dispatcher=dispatcher,
            python=BuiltPython(config.cache_dir),
            shared_files=shared if shared.is_dir() else None,
        )
        self.dispatcher = made[0]
        self.pool = LocalExecutor(self.threads)
        self.heartbeat = registry.Heartbeat(self.client, self.info, self._rejoin)
        self.others = scheduler.Others(self.client, self.id)
        self.ids = IdBlock(self.client)
        self.sync_results = SyncResults(
            config.redis_url, self.id, config.result_ttl_s, lambda: self._sync_here
        )
        self._loops = [
            threading.Thread(target=self._read_queue, name="faasm-queue", daemon=True),
            threading.Thread(target=self._reap, name="faasm-reaper", daemon=True),
        ]

    # ---- lifecycle ------------------------------------------------------------------------------

    def start(self) -> None:
        """Join the cluster (Redis must answer now) and start taking calls."""
        try:
            self._create_group()
            registry.register(self.client, self.info)
        except redis.RedisError as error:
            raise unavailable(error) from None
        self.heartbeat.start()
        self.others.start()
        for loop in self._loops:
            loop.start()
        log.info("worker %s: %d threads, queue %s", self.id, self.threads, keys.queue(self.id))

    def drain(self) -> None:
        """Stop taking calls from the queue (SIGTERM); running calls go on."""
        self._draining.set()

    def stop(self) -> None:
        """Leave the cluster: finish running calls, hand unread ones to others, deregister."""
        self.drain()
        with self._idle:
            self._idle.wait_for(lambda: self._busy == 0)
        self._stopped.set()
        for loop in self._loops:
            loop.join(READ_BLOCK_MS / 1000 + 5)
        self.heartbeat.stop()
        self.others.stop()
        self.sync_results.close()
        try:
            if any(w.alive and w.id != self.id for w in registry.list_workers(self.client)):
                moved = self.dispatcher.move_calls(self.id, died=False)
                registry.deregister(self.client, self.id)
                log.info("worker %s left the cluster (%d queued calls handed over)", self.id, moved)
            else:  # the last one: the next worker to start takes its queue over as a dead one's
                self.client.delete(keys.alive(self.id))
                log.info("worker %s left the cluster, the last one", self.id)
        except redis.RedisError as error:
            log.warning("worker %s could not deregister: %s", self.id, error)
        self.pool.close()
        self.runtime.close()
        self.state.close()
        self.waiter.close()
        self.fetcher.close()
        self.client.close()

    # ---- calls from the invoke endpoint ---------------------------------------------------------

    def exists(self, user: str, function: str) -> bool:
        """Whether the cluster has the function (loaded here, announced, or on the server)."""
        if (user, function) in self._warm:
            return True
        if self.client.exists(keys.function_version(user, function)):
            return True
        return self.fetcher.fetch(user, function) is not None

    def check(self, message: Message) -> None:
        """Raise what makes the call impossible: a bad name (400), an unknown function (404)."""
        check_user(message.user)
        check_function(message.function)
        if not self.exists(message.user, message.function):
            python = " --py" if message.python else ""
            raise NotFound(
                f"no function {message.user}/{message.function}",
                f"upload it first: faasm upload{python} {message.user} {message.function}",
            )

    async def run_here(self, message: Message) -> CallResult | None:
        """Run a sync call on this worker if it belongs here with no Redis read: the function
        is warm here, and a thread is free or no other worker has one (`scheduler.Others`);
        its result once stored, else None at once (`call` places it; so too while Redis is
        away). The call runs on the event loop if its function is known to be short (see
        `_run_timed`): that saves two thread hand-offs, and an unexpectedly long call holds the
        loop at most until its time limit interrupts it (and is no longer short). Otherwise it
        takes a thread (or waits for one)."""
        name = (message.user, message.function)
        if name not in self._warm or self.sync_results.down:
            return None
        call_id = self.ids.take() if name in self._short else None
        if call_id is not None:
            result = self._run_timed(message.replaced(id=call_id, async_=False))
        else:
            with self._idle:
                if not self.free and self.others.free:
                    return None
                self._busy += 1
                self._sync_here += 1
            done: Future[CallResult] = Future()
            self._submit(lambda: self._run_here(message, done))
            result = await asyncio.wrap_future(done)
        await self.sync_results.store(result)
        return result

    async def call(self, message: Message) -> CallResult:
        """Run a sync call to its end: here if it belongs here, else on the worker the scheduler
        picks (waiting for its result). Redis down: ClusterUnavailable."""
        message = message.replaced(id=0, async_=False)  # numbered once placed
        target = await to_thread.run_sync(self._target, message)
        if target != self.id:
            return await to_thread.run_sync(self._call_on, target, message)
        done: Future[CallResult] = Future()
        with self._idle:
            self._sync_here += 1
        self._run(lambda: self._run_here(message, done))
        result = await asyncio.wrap_future(done)
        await self.sync_results.store(result)
        return result

    def _target(self, message: Message) -> str:
        """The worker to run a sync call (NotFound if the cluster lacks its function)."""
        try:
            self.check(message)
            return self._place(message)
        except redis.RedisError as error:
            raise unavailable(error) from None

    def _call_on(self, target: str, message: Message) -> CallResult:
        """Hand a sync call to `target` and wait for its result."""
        try:
            message = message.replaced(id=new_call_id(self.client))
            self.dispatcher.submit(message, target)
            return self._wait(message.id)
        except redis.RedisError as error:
            raise unavailable(error) from None

    def call_async(self, message: Message) -> int:
        """Queue a call on the worker the scheduler picks; its id at once."""
        try:
            self.check(message)
            message = message.replaced(id=new_call_id(self.client), async_=True)
            self.dispatcher.submit(message, self._place(message))
        except redis.RedisError as error:
            raise unavailable(error) from None
        return message.id

    def status(self, call_id: int) -> results.Status:
        try:
            return results.read_status(self.client, call_id)
        except redis.RedisError as error:
            raise unavailable(error) from None

    def _wait(self, call_id: int) -> CallResult:
        while True:
            result = self.waiter.wait(call_id, timeout=60.0)
            if result is not None:
                return result

    # ---- running --------------------------------------------------------------------------------

    @property
    def free(self) -> bool:
        """Whether a thread is free, counting the calls this worker queued for itself."""
        return self._busy + len(self._queued_here) < self.threads

    def _run_here(self, message: Message, done: Future[CallResult]) -> None:
        """A sync call placed on this worker, on one of its threads: numbered from the
        worker's block and run; `done` gets its result, to store."""
        try:
            while (call_id := self.ids.take()) is None:
                self.ids.refill()
            done.set_result(self._run_timed(message.replaced(id=call_id, async_=False)))
        except redis.RedisError as error:
            done.set_exception(unavailable(error))
        finally:
            with self._idle:
                self._sync_here -= 1

    def _run_timed(self, message: Message) -> CallResult:
        """Run a sync call, and note whether its function is short: it computed for less than
        `SHORT_CPU_S` (this thread's CPU time, which a busy machine does not stretch), ended
        within `SHORT_WALL_S` (it did not wait long, for a lock say) and chained nothing."""
        wall, cpu = time.perf_counter(), time.thread_time()
        result = self.dispatcher.run(message)
        cpu, wall = time.thread_time() - cpu, time.perf_counter() - wall
        name = (message.user, message.function)
        if cpu < SHORT_CPU_S and wall < SHORT_WALL_S and not result.chained:
            self._short.add(name)
        else:
            self._short.discard(name)
        return result

    def _place(self, message: Message) -> str:
        name = (message.user, message.function)
        target = scheduler.place(
            self.client, self.id, *name, warm_here=name in self._warm, free_here=self.free
        )
        if target == self.id and message.id:
            self._queued_here.add(message.id)
        return target

    def _run(self, action: Callable[[], object]) -> None:
        """Run `action` on a call thread (queued behind others when all are busy)."""
        with self._idle:
            self._busy += 1
        self._submit(action)

    def _submit(self, action: Callable[[], object]) -> None:
        """Run `action` on a call thread, its place in `_busy` already taken."""

        def run() -> None:
            try:
                action()
            finally:
                with self._idle:
                    self._busy -= 1
                    self._idle.notify_all()

        self.pool.submit(Task(run))

    def _ran(self, message: Message, result: CallResult) -> None:
        name = (message.user, message.function)
        if name not in self._warm and not result.failed:
            self._warm.add(name)
            try:
                registry.mark_warm(self.client, self.id, *name)
            except redis.RedisError as error:
                log.warning("could not mark %s/%s warm: %s", *name, error)

    def _uploaded(self, name: str) -> None:
        """A function was uploaded again: drop its loaded copy and wasm."""
        user, _, function = name.partition("/")
        self.runtime.forget(user, function)
        self.fetcher.drop(user, function)
        self._short.discard((user, function))
        if (user, function) in self._warm:
            self._warm.discard((user, function))
            registry.mark_cold(self.client, self.id, user, function)

    def _rejoin(self) -> None:
        log.warning("worker %s joined the cluster again (Redis lost its entry)", self.id)
        self._create_group()
        for user, function in list(self._warm):
            registry.mark_warm(self.client, self.id, user, function)

    def _create_group(self) -> None:
        try:
            self.client.xgroup_create(keys.queue(self.id), keys.QUEUE_GROUP, id="0", mkstream=True)
        except redis.ResponseError as error:
            if "BUSYGROUP" not in str(error):
                raise

    # ---- loops ----------------------------------------------------------------------------------

    def _read_queue(self) -> None:
        """Take calls from this worker's stream while threads are free."""
        down = False
        while not self._draining.is_set():
            with self._idle:
                if not self._idle.wait_for(lambda: self._busy < self.threads, timeout=0.5):
                    continue
                free = self.threads - self._busy
            try:
                answer: Any = self.client.xreadgroup(
                    keys.QUEUE_GROUP,
                    self.id,
                    {keys.queue(self.id): ">"},
                    count=free,
                    block=READ_BLOCK_MS,
                )
                for _, entries in answer or []:
                    for entry, fields in entries:
                        self._take(registry.text(entry), int(fields[b"id"]))
                if down:
                    log.warning("queue: Redis is back")
                    down = False
            except redis.ResponseError as error:
                if "NOGROUP" not in str(error):
                    raise
                self._create_group()  # Redis restarted empty
            except (redis.ConnectionError, redis.TimeoutError) as error:
                if not down:
                    log.warning("queue: Redis unreachable (%s); retrying", error)
                    down = True
                self._draining.wait(1.0)

    def _take(self, entry: str, call_id: int) -> None:
        queue = keys.queue(self.id)
        self._queued_here.discard(call_id)
        if not self.dispatcher.claim(call_id, queued_here=True):  # an awaiter took it
            with self.client.pipeline() as pipe:
                pipe.xack(queue, keys.QUEUE_GROUP, entry)
                pipe.xdel(queue, entry)
                pipe.hincrby(keys.worker_stats(self.id), "in_flight", -1)
                pipe.execute()
            return
        message = self.dispatcher.claimed_message(call_id, entry)
        if message is not None:
            awaited = message.parent_id != 0 or not message.async_  # a chained or sync call
            self._run(lambda: self.dispatcher.run_claimed(message, entry, awaited))

    def _reap(self) -> None:
        """Move the calls of dead workers to live ones (one reaper per dead worker at a time)."""
        while not self._stopped.wait(REAP_S):
            try:
                for dead in registry.dead_workers(self.client):
                    lock = self.client.lock(keys.reaping(dead), timeout=30, blocking=False)
                    if not lock.acquire():
                        continue
                    try:
                        moved = self.dispatcher.move_calls(dead, died=True)
                        registry.deregister(self.client, dead)
                        log.warning("worker %s is dead: %d of its calls moved", dead, moved)
                    finally:
                        lock.release()
            except redis.RedisError:
                continue  # the queue loop reports Redis being away


def listening_socket(host: str, port: int) -> socket.socket:
    """The invoke port, shared with every other worker on this host (SO_REUSEPORT: the kernel
    spreads connections over them), made here because uvicorn cannot set SO_REUSEPORT."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    # Inherited by accepted connections: without it a response written in two pieces waits
    # ~40 ms for the client's delayed ACK (asyncio sets it only on sockets it makes itself).
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def main(argv: Sequence[str] | None = None) -> None:
    """Run a worker until SIGTERM/SIGINT, then leave the cluster cleanly."""
    from faasm_cli.cluster.server import invoke_app

    config = ClusterConfig.from_argv(argv, prog="python -m faasm_cli.cluster.worker")
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    worker = Worker(config)
    worker.start()
    sock = listening_socket(config.host, config.invoke_port)
    server = uvicorn.Server(
        uvicorn.Config(
            invoke_app(worker), log_level="warning", lifespan="off", timeout_graceful_shutdown=60
        )
    )

    def leave(signum: int, frame: FrameType | None) -> None:
        worker.drain()  # no more calls from the queue; HTTP requests drain in uvicorn
        server.should_exit = True

    # uvicorn off the main thread leaves the signals to us: it would re-raise SIGTERM once
    # drained and end the process before the worker hands its queue over.
    signal.signal(signal.SIGTERM, leave)
    signal.signal(signal.SIGINT, leave)
    serving = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="uvicorn")
    serving.start()
    while serving.is_alive():
        serving.join(0.5)
    worker.stop()


if __name__ == "__main__":
    main()
