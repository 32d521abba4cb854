"""The embedding API: `Runtime.register` a function's wasm, `Runtime.call` it, get a `CallResult`.

One runtime owns one engine (with its epoch ticker, linker and machine-code cache), the loaded
functions with their proto-function snapshots, and the executor of chained calls. A call runs on
the caller's thread; the calls it chains run on the executor and are collected into a tree.
"""

from __future__ import annotations

import itertools
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from faasm_cli.errors import FaasmError, NotFound
from faasm_cli.message import Message
from faasm_cli.names import check_function, check_user
from faasm_cli.runtime.context import CallContext
from faasm_cli.runtime.engine import CacheStats, EpochTicker, ModuleCache, make_engine
from faasm_cli.runtime.errors import CallFailed
from faasm_cli.runtime.executor import LocalExecutor, Task
from faasm_cli.runtime.faaslet import CallLimits, Outcome, Sandbox
from faasm_cli.runtime.hostcalls.interface import EXPORT_CALL, EXPORT_START
from faasm_cli.runtime.hostcalls.linker import build_linker, entered
from faasm_cli.runtime.result import CallResult, ChainedCall
from faasm_cli.runtime.snapshot.proto import COMMAND, FRESH, LoadedFunction, Loader, initialise
from faasm_cli.runtime.state.store import LocalStateStore, StateStore

Resolver = Callable[[str, str], Path | None]
_MIB = 1 << 20


class Runtime:
    """Runs Faasm functions in-process. Use as a context manager, or call `close()`."""

    def __init__(
        self,
        cache_dir: Path | None = None,
        state_store: StateStore | None = None,
        resolver: Resolver | None = None,
        timeout: float = 60.0,
        memory_limit_mb: int = 1024,
        max_output_bytes: int = 16 * _MIB,
        workers: int | None = None,
        max_chain_depth: int = 64,
        max_fanout: int = 256,
    ) -> None:
        self.timeout = timeout
        self.max_chain_depth = max_chain_depth
        self.max_fanout = max_fanout
        self._resolver = resolver
        self._limits = CallLimits(timeout, memory_limit_mb * _MIB, max_output_bytes)
        engine = make_engine()
        self._ticker = EpochTicker(engine)
        linker, self._callbacks = build_linker(engine)
        self._cache = ModuleCache(engine, cache_dir)
        self._loader = Loader(
            engine,
            linker,
            self._cache,
            self._ticker,
            state_store or LocalStateStore(),
            self._limits,
        )
        # One worker per core: awaiters run unstarted calls themselves, so a small pool cannot
        # deadlock, and more threads than cores only contend for the GIL between short calls.
        self._executor = LocalExecutor(workers or os.cpu_count() or 1)
        self._functions: dict[tuple[str, str], LoadedFunction] = {}
        self._load_lock = threading.RLock()
        self._ids = itertools.count(1)
        self._closed = False

    # ---- lifecycle ------------------------------------------------------------------------------

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._executor.close()
            self._ticker.stop()

    def __enter__(self) -> Runtime:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def cache_stats(self) -> CacheStats:
        """How many modules this runtime compiled and how many it loaded from machine code."""
        return self._cache.stats

    # ---- functions ------------------------------------------------------------------------------

    def register(
        self, user: str, function: str, wasm: str | Path | bytes | bytearray
    ) -> LoadedFunction:
        """Load a function: check it, compile it (or load its machine code), run its zygote."""
        check_user(user)
        check_function(function)
        if isinstance(wasm, bytes | bytearray):
            data, label = bytes(wasm), f"{user}/{function}"
        else:
            path = Path(wasm)
            if not path.is_file():
                raise NotFound(
                    f"wasm file {path} does not exist",
                    f"compile it first: faasm compile {user} {function}",
                )
            data, label = path.read_bytes(), str(path)
        with self._load_lock:
            loaded = self._loader.load(user, function, data, label)
            self._functions[(user, function)] = loaded
        return loaded

    def function_info(self, user: str, function: str) -> LoadedFunction:
        """How a function runs (snapshot, fresh, command), and its zygote error if any."""
        return self._lookup(user, function)

    def _lookup(self, user: str, function: str) -> LoadedFunction:
        loaded = self._functions.get((user, function))
        if loaded is not None:
            return loaded
        with self._load_lock:
            loaded = self._functions.get((user, function))
            if loaded is not None:
                return loaded
            path = self._resolver(user, function) if self._resolver else None
            if path is None:
                known = sorted(f for u, f in self._functions if u == user)
                raise NotFound(
                    f"no function {user}/{function} in the runtime",
                    f"registered for {user}: {', '.join(known) or 'none'}",
                )
            return self.register(user, function, path)

    # ---- calls ----------------------------------------------------------------------------------

    def call(
        self,
        user: str,
        function: str,
        input_data: bytes = b"",
        idx: int = 0,
        timeout: float | None = None,
    ) -> CallResult:
        """Run one call (and every call it chains) to completion."""
        message = Message(id=0, user=user, function=function, idx=idx, input_data=input_data)
        return self.call_message(message, timeout)

    def call_message(self, message: Message, timeout: float | None = None) -> CallResult:
        """Run the call a message describes; the message's id is used if it has one."""
        check_user(message.user)
        check_function(message.function)
        loaded = self._lookup(message.user, message.function)
        limits = self._limits
        if timeout is not None:
            limits = CallLimits(timeout, limits.memory_bytes, limits.output_bytes)
        group = CallGroup(self, limits)
        call_id = message.id or self._next_id()
        result = self._execute(loaded, message.idx, message.input_data, call_id, 0, group)
        result.chained = group.finish(call_id)
        self._loader.state.flush()  # state changed by the call tree survives this process
        return result

    def _next_id(self) -> int:
        return next(self._ids) % 0x7FFFFFFF or next(self._ids)

    def _execute(
        self,
        loaded: LoadedFunction,
        idx: int,
        input_data: bytes,
        call_id: int,
        depth: int,
        group: CallGroup,
    ) -> CallResult:
        start = time.perf_counter()
        name = f"{loaded.user}/{loaded.function}"
        if loaded.zygote_error is not None:
            outcome = Outcome(1, True, loaded.zygote_error)
            return _result(outcome, call_id, start)
        if idx not in loaded.indices:
            outcome = Outcome(1, True, f"{name} has no function index {idx}")
            return _result(outcome, call_id, start)
        sandbox = Sandbox(self._loader.engine, self._ticker, group.limits, loaded.pre)
        if sandbox.failure is not None:
            return _result(sandbox.failure, call_id, start)
        ctx = sandbox.context(loaded.user, loaded.function, idx, input_data, self._loader.state)
        ctx.dispatcher, ctx.call_id, ctx.depth = group, call_id, depth
        if loaded.mode == FRESH:
            outcome = initialise(sandbox, ctx)
            if outcome.failed or outcome.return_value:
                reason = outcome.error or f"returned {outcome.return_value}"
                return _result(Outcome(1, True, f"zygote failed: {reason}"), call_id, start, ctx)
        with entered(ctx):
            if loaded.mode == COMMAND:
                outcome = sandbox.call(EXPORT_START, ctx, 0)
            else:
                outcome = sandbox.call(EXPORT_CALL, ctx, 1, idx)
        return _result(outcome, call_id, start, ctx)


def _result(
    outcome: Outcome, call_id: int, start: float, ctx: CallContext | None = None
) -> CallResult:
    return CallResult(
        output_data=ctx.output_data if ctx else b"",
        return_value=outcome.return_value,
        stdout=ctx.stdout.text() if ctx else "",
        stderr=ctx.stderr.text() if ctx else "",
        duration_s=time.perf_counter() - start,
        failed=outcome.failed,
        error=outcome.error,
        call_id=call_id,
    )


class _Chained:
    """A chained call: what to run, and once run, its result."""

    def __init__(self, call_id: int, loaded: LoadedFunction, idx: int, depth: int) -> None:
        self.call_id = call_id
        self.loaded = loaded
        self.idx = idx
        self.depth = depth
        self.result: CallResult | None = None
        self.task: Task


class CallGroup:
    """The local `CallDispatcher` of one top-level call and everything it chains."""

    def __init__(self, runtime: Runtime, limits: CallLimits) -> None:
        self.runtime = runtime
        self.limits = limits
        self._calls: dict[int, _Chained] = {}
        self._children: dict[int, list[int]] = {}
        self._lock = threading.Lock()

    def chain(self, ctx: CallContext, function: str, idx: int, input_data: bytes) -> int:
        runtime = self.runtime
        if ctx.depth + 1 > runtime.max_chain_depth:
            raise CallFailed(f"chain depth limit of {runtime.max_chain_depth} reached")
        with self._lock:
            siblings = self._children.setdefault(ctx.call_id, [])
            if len(siblings) >= runtime.max_fanout:
                raise CallFailed(
                    f"fan-out limit of {runtime.max_fanout} chained calls per call reached"
                )
        try:
            loaded = runtime._lookup(ctx.user, function)
        except FaasmError as error:
            raise CallFailed(f"cannot chain to {ctx.user}/{function}: {error.message}") from None
        if idx not in loaded.indices:
            raise CallFailed(f"cannot chain to {ctx.user}/{function}: no function index {idx}")
        call = _Chained(runtime._next_id(), loaded, idx, ctx.depth + 1)

        def run() -> None:
            call.result = runtime._execute(loaded, idx, input_data, call.call_id, call.depth, self)

        call.task = Task(run)
        with self._lock:
            siblings.append(call.call_id)
            self._calls[call.call_id] = call
        runtime._executor.submit(call.task)
        return call.call_id

    def await_call(self, ctx: CallContext, call_id: int) -> tuple[int, bytes]:
        call = self._calls.get(call_id)
        if call is None:
            raise CallFailed(f"unknown call id {call_id}")
        self.runtime._executor.run_or_wait(call.task)
        result = call.result
        assert result is not None
        if result.failed:
            return result.return_value or 1, result.output_data
        return result.return_value, result.output_data

    def finish(self, root_id: int) -> list[ChainedCall]:
        """Wait for every call of the group, then the tree of calls under `root_id`."""
        while True:
            with self._lock:
                pending = [c for c in self._calls.values() if not c.task.done.is_set()]
            if not pending:
                break
            for call in pending:
                self.runtime._executor.run_or_wait(call.task)
        return self._tree(root_id)

    def _tree(self, parent: int) -> list[ChainedCall]:
        nodes = []
        for call_id in self._children.get(parent, []):
            call = self._calls[call_id]
            result = call.result
            assert result is not None
            nodes.append(
                ChainedCall(
                    id=call_id,
                    user=call.loaded.user,
                    function=call.loaded.function,
                    idx=call.idx,
                    return_value=result.return_value,
                    duration_s=result.duration_s,
                    failed=result.failed,
                    error=result.error,
                    children=self._tree(call_id),
                )
            )
        return nodes
