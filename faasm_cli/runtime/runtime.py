"""The embedding API: `Runtime.register` a function's wasm, `Runtime.call` it, get a `CallResult`.

One runtime owns one engine (with its timeout watchdog, linker and machine-code cache), the loaded
functions with their proto-function snapshots, and the executor of chained calls. A call runs on
the caller's thread; the calls it chains run on the executor and are collected into a tree.
"""

from __future__ import annotations

import functools
import itertools
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from faasm_cli.config import STATE_CACHE
from faasm_cli.errors import NotFound
from faasm_cli.message import Message
from faasm_cli.names import check_function, check_user
from faasm_cli.runtime.context import CallContext, CallDispatcher
from faasm_cli.runtime.engine import make_engine
from faasm_cli.runtime.faaslet import CallLimits, Outcome, Sandbox
from faasm_cli.runtime.hostcalls.interface import EXPORT_CALL, EXPORT_START
from faasm_cli.runtime.hostcalls.linker import build_linker
from faasm_cli.runtime.interrupt import GUARD, Interruption
from faasm_cli.runtime.local_dispatch import LocalDispatcher
from faasm_cli.runtime.pool import InstancePool
from faasm_cli.runtime.python import (
    PYTHON_SUFFIX,
    PythonFiles,
    PythonFunction,
    explain,
    load_python,
)
from faasm_cli.runtime.result import EXEC_HOST, CallResult
from faasm_cli.runtime.snapshot.cache import CacheStats, ModuleCache
from faasm_cli.runtime.snapshot.proto import COMMAND, FRESH, LoadedFunction, Loader, initialise
from faasm_cli.runtime.state.store import LocalStateStore, StateStore

Resolver = Callable[[str, str], Path | None]
DispatcherFactory = Callable[["Runtime"], CallDispatcher]
_MIB = 1 << 20


class Runtime:
    """Runs Faasm functions in-process. Use as a context manager, or call `close()`."""

    def __init__(
        self,
        cache_dir: Path | None = None,
        state_store: StateStore | Path | None = None,
        resolver: Resolver | None = None,
        timeout: float = 60.0,
        memory_limit_mb: int = 1024,
        max_output_bytes: int = 16 * _MIB,
        workers: int | None = None,
        max_chain_depth: int = 64,
        max_fanout: int = 256,
        dispatcher: DispatcherFactory | None = None,
        interruption: str = GUARD,
        instance_slots: int | None = None,
        shared_files: Path | None = None,
        python: PythonFiles | None = None,
    ) -> None:
        """`cache_dir` holds machine code, prepared modules and, unless `state_store` says
        otherwise, state (default: `config.cache_dir()`). `state_store` is a directory for the
        local store or a `StateStore` (e.g. an in-memory or Redis one; its owner closes it).
        `dispatcher(runtime)` makes what runs chained calls (default: a `LocalDispatcher` with
        `workers` threads, one per core). `interruption` is how calls stop at their timeout:
        "guard" (guard pages and a watchdog; costs nothing measurable in compute) or "epoch"
        (wasmtime's epoch checks).
        `instance_slots` is how many instances may be live at once (default: sized from the
        chain limits); `allocator` says whether the engine got that pool. 0 means no pool: each
        instance maps its memory when it starts, which is cheaper for a process that makes one
        call (reserving the pool costs ~3 ms) and slower per call after that.
        `shared_files` is a directory every call may read (not write) at the same paths: a
        file at `shared_files/data/x.txt` opens as `/data/x.txt` or `data/x.txt`.
        `python` is the built Python runtime (`toolchain.python.require_runtime()`), needed to
        register `NAME.py` functions; their calls see its stdlib, not `shared_files`."""
        self.timeout = timeout
        self.max_chain_depth = max_chain_depth
        self.max_fanout = max_fanout
        self._resolver = resolver
        self._shared_files = shared_files
        self._python = python
        self._limits = CallLimits(timeout, memory_limit_mb * _MIB, max_output_bytes)
        pool = (
            None
            if instance_slots == 0
            else InstancePool.sized(max_chain_depth, max_fanout, instance_slots)
        )
        engine, self.allocator = make_engine(interruption, pool)
        self._interruption = Interruption(engine, interruption)
        linker, self._callbacks = build_linker(engine)
        self._cache = ModuleCache(engine, cache_dir, interruption)
        self._loader = Loader(
            engine,
            linker,
            self._cache,
            self._interruption,
            self._state_store(cache_dir, state_store),
            self._limits,
        )
        # One worker per core: awaiters run unstarted calls themselves, so a small pool cannot
        # deadlock, and more threads than cores only contend for the GIL between short calls.
        self.dispatcher = (dispatcher or _local(workers or os.cpu_count() or 1))(self)
        self._functions: dict[tuple[str, str], LoadedFunction] = {}
        self._load_lock = threading.RLock()
        self._ids = itertools.count(1)
        self._closed = False

    # ---- lifecycle ------------------------------------------------------------------------------

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self.dispatcher.close()
            if self._owns_state:
                self._loader.state.close()
            self._interruption.close()

    def interrupt(self) -> None:
        """Stop every running call now; each fails as interrupted (with `interruption="epoch"`
        calls run on to their timeout)."""
        self._interruption.trip_all()

    def _state_store(self, cache_dir: Path | None, given: StateStore | Path | None) -> StateStore:
        self._owns_state = given is None or isinstance(given, Path)
        if given is None:
            return LocalStateStore(cache_dir / STATE_CACHE if cache_dir is not None else None)
        return LocalStateStore(given) if isinstance(given, Path) else given

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
            if path.suffix == PYTHON_SUFFIX:
                return self._register_python(user, function, path)
            data, label = path.read_bytes(), str(path)
        with self._load_lock:
            loaded = self._loader.load(user, function, data, label)
            self._functions[(user, function)] = loaded
        return loaded

    def _register_python(self, user: str, function: str, path: Path) -> LoadedFunction:
        if self._python is None:
            raise NotFound(
                f"{path} is a Python function and this runtime has no Python",
                "pass Runtime(python=faasm_cli.toolchain.python.require_runtime())",
            )
        with self._load_lock:
            loaded = load_python(self._loader, self._python, user, function, path)
            self._functions[(user, function)] = loaded
        return loaded

    def precompile(self, wasm: bytes, label: str = "the module") -> None:
        """Check a module and compile its machine code into the cache without loading it (no
        zygote runs): an upload server does this once, and a runtime with the same `cache_dir`
        on the host then loads the machine code instead of compiling. Raises `BadInput`
        (`MissingImports` naming every import the runtime does not provide)."""
        self._loader.compile(bytes(wasm), label)

    def forget(self, user: str, function: str) -> bool:
        """Drop a loaded function (e.g. uploaded again to a cluster): the next call resolves it
        afresh. Whether it was loaded."""
        with self._load_lock:
            return self._functions.pop((user, function), None) is not None

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
        input_data: bytes | bytearray | memoryview = b"",
        idx: int = 0,
        timeout: float | None = None,
    ) -> CallResult:
        """Run one call (and every call it chains) to completion."""
        if not isinstance(input_data, bytes | bytearray | memoryview):
            raise TypeError(
                "input_data must be bytes-like (bytes, bytearray, memoryview), "
                f"not {type(input_data).__name__}"
            )
        message = Message.submitted(
            id=self.new_call_id(),
            user=user,
            function=function,
            idx=idx,
            input_data=bytes(input_data),
            timeout_s=timeout or 0.0,
        )
        return self.call_message(message)

    def call_message(self, message: Message, timeout: float | None = None) -> CallResult:
        """Run the call a message describes, under its limits, and wait for what it chains.

        The message's id is used if it has one; a message from a cluster may be a chained call
        (parent_id, depth). State changed by the call tree is made durable before returning.
        """
        # A registered name was checked when it was registered: only a miss is checked here.
        try:
            loaded = self._functions.get((message.user, message.function))
        except TypeError:  # an unhashable name: check_user says what is wrong with it
            loaded = None
        if loaded is None:
            check_user(message.user)
            check_function(message.function)
            loaded = self._lookup(message.user, message.function)
        if timeout is not None:
            message = message.replaced(timeout_s=timeout)
        if not message.id:
            message = message.replaced(id=self.new_call_id())
        result = self._execute(loaded, message)
        result.chained = self.dispatcher.collect(message.id)
        self._loader.state.flush()  # a no-op unless the call tree changed state
        return result

    def runner(self, message: Message) -> Callable[[Message], CallResult]:
        """What a dispatcher queues: checks that `message` can run here (raises `FaasmError`
        naming what is missing) and returns the call that runs it, chained calls not awaited."""
        loaded = self._lookup(message.user, message.function)
        if message.idx not in loaded.indices:
            raise NotFound(
                f"no function index {message.idx}",
                f"{message.user}/{message.function} has {sorted(loaded.indices)}",
            )
        return functools.partial(self._execute, loaded)

    def new_call_id(self) -> int:
        """A call id unique in this runtime (positive, fits Faasm's int32 ids)."""
        return next(self._ids) % 0x7FFFFFFF or next(self._ids)

    def _limits_of(self, message: Message) -> CallLimits:
        limits = self._limits
        if message.timeout_s or message.memory_bytes or message.output_bytes:
            limits = CallLimits(
                message.timeout_s or limits.timeout_s,
                message.memory_bytes or limits.memory_bytes,
                message.output_bytes or limits.output_bytes,
            )
        return limits

    def _execute(self, loaded: LoadedFunction, message: Message) -> CallResult:
        start = time.perf_counter()
        idx = message.idx
        if isinstance(loaded, PythonFunction) and not message.python:
            # Faasm's message fields for a Python call, so results say what ran.
            message = message.replaced(python=True, py_user=loaded.user, py_func=loaded.function)
        if loaded.zygote_error is not None:
            return _result(Outcome(1, True, loaded.zygote_error), message, start)
        if idx not in loaded.indices:
            name = f"{loaded.user}/{loaded.function}"
            outcome = Outcome(1, True, f"{name} has no function index {idx}")
            return _result(outcome, message, start)
        limits = self._limits_of(message)
        sandbox = Sandbox(
            self._loader.engine,
            self._interruption,
            limits,
            loaded.pre,
            loaded.files if isinstance(loaded, PythonFunction) else self._shared_files,
        )
        if sandbox.failure is not None:
            return _result(sandbox.failure, message, start)
        ctx = sandbox.context(
            loaded.user,
            loaded.function,
            idx,
            message.input_data,
            self._loader.state,
            self.dispatcher,
            message,
        )
        if loaded.mode == FRESH:
            outcome = initialise(sandbox, ctx)
            if outcome.failed or outcome.return_value:
                reason = outcome.error or f"returned {outcome.return_value}"
                return _result(Outcome(1, True, f"zygote failed: {reason}"), message, start, ctx)
        if loaded.mode == COMMAND:
            outcome = sandbox.call(EXPORT_START, ctx, 0)
        else:
            outcome = sandbox.call(EXPORT_CALL, ctx, 1, idx)
        if outcome.failed and isinstance(loaded, PythonFunction):
            outcome, ctx.stderr = explain(outcome, ctx.stderr)
        return _result(outcome, message, start, ctx)


def _local(workers: int) -> DispatcherFactory:
    return lambda runtime: LocalDispatcher(runtime, workers)


def _result(
    outcome: Outcome, message: Message, start: float, ctx: CallContext | None = None
) -> CallResult:
    # Positional, in field order: keywords cost a third more, on every call.
    return CallResult(
        ctx.output_data if ctx else b"",
        outcome.return_value,
        ctx.stdout.text() if ctx else "",
        ctx.stderr.text() if ctx else "",
        time.perf_counter() - start,
        outcome.failed,
        outcome.error,
        message.id,
        [],  # chained: set by call_message
        message,
        EXEC_HOST,
        time.time(),
    )
