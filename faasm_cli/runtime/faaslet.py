"""The Faaslet: one isolated instance per call, in its own store, under the call's limits.

A store carries the limits (memory via the store limiter, time via the runtime's `Interruption`:
guard pages armed around each entry into the guest, or the epoch deadline; output via the io
handlers and the stdio capture) and WASI with no environment, no inherited stdio and no files
but the project's shared files, read-only at the paths they were uploaded to. Every way a call
can end — a return, `exit(n)`, a trap, a timeout, a refused memory grow, a host call rejecting
its arguments — becomes an `Outcome` whose message says which.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import wasmtime

from faasm_cli.message import Message
from faasm_cli.runtime.context import CallContext, CallDispatcher
from faasm_cli.runtime.hostcalls import _wasmtime_raw as raw
from faasm_cli.runtime.hostcalls.capture import Capture
from faasm_cli.runtime.hostcalls.interface import EXPORT_MEMORY
from faasm_cli.runtime.hostcalls.linker import context_stack
from faasm_cli.runtime.hostcalls.memory import InstanceMemory
from faasm_cli.runtime.hostcalls.state import release_call_resources
from faasm_cli.runtime.interrupt import GUARD, Interruption, Watch
from faasm_cli.runtime.pool import exhausted
from faasm_cli.runtime.snapshot.page_diff import Patched
from faasm_cli.runtime.snapshot.rewrite import (
    GLOBAL_EXPORT_PREFIX,
    GUARD_MEMORY_EXPORT,
    OOM_FLAG_EXPORT,
)
from faasm_cli.runtime.state.store import StateStore

_MIB = 1 << 20
_GUARD = GUARD_MEMORY_EXPORT.encode()


@dataclass(frozen=True)
class CallLimits:
    timeout_s: float
    memory_bytes: int
    output_bytes: int


@dataclass
class Outcome:
    return_value: int = 0
    failed: bool = False
    error: str | None = None


class Sandbox:
    """A fresh store with the limits and WASI of one call (or one zygote run), and its instance."""

    def __init__(
        self,
        engine: wasmtime.Engine,
        interruption: Interruption,
        limits: CallLimits,
        pre: wasmtime.InstancePre | Patched,
        shared_files: Path | None = None,
    ) -> None:
        self.limits = limits
        self.interruption = interruption
        wasi = None
        if shared_files is not None:
            wasi = wasmtime.WasiConfig()
            # Mounted at "/", so a file uploaded to P (absolute or not) opens at P; WASI resolves
            # every path inside the preopen ("..", absolute links), and nothing can be written.
            wasi.preopen_dir(str(shared_files), "/", fs_mutable=False)
        self.store = raw.new_store(engine, limits.memory_bytes, wasi)
        self._context = raw.context(self.store)
        self.deadline = interruption.limit(self.store, limits.timeout_s)
        self.instance: wasmtime.Instance | None = None
        self.memory: InstanceMemory | None = None
        self.failure: Outcome | None = None
        try:
            if isinstance(pre, Patched):
                start, diff = pre.begin()
                self.instance = raw.instantiate(self._context, start)
                if diff is not None and not diff.write(self.store, self.instance):
                    self.failure = _too_small(limits, f"{_mib(diff.memory_bytes)} of memory")
            else:
                self.instance = raw.instantiate(self._context, pre)
        except (wasmtime.Trap, wasmtime.WasmtimeError) as error:
            text = _reason(error)
            no_slot = exhausted(text)
            if no_slot is not None:
                self.failure = Outcome(1, True, no_slot)
            elif "memory" in text and ("limit" in text or "minimum" in text):
                self.failure = _too_small(limits, text)
            else:
                self.failure = Outcome(1, True, f"could not instantiate the function: {text}")

    def export(self, name: str) -> object | None:
        assert self.instance is not None
        return raw.export(self.store, self.instance, name)

    def _memory(self) -> InstanceMemory:
        """The instance's memory; it also holds the raw handles `call` needs (made once)."""
        if self.memory is None:
            assert self.instance is not None
            self.memory = InstanceMemory(self.store, self.instance, self._context)
        return self.memory

    def context(
        self,
        user: str,
        function: str,
        idx: int,
        input_data: bytes,
        state: StateStore,
        dispatcher: CallDispatcher | None = None,
        message: Message | None = None,
    ) -> CallContext:
        limit = self.limits.output_bytes
        # Positional, in field order: keywords cost a third more, on every call.
        return CallContext(
            user,
            function,
            idx,
            input_data,
            self._memory(),
            state,
            b"",
            {},
            dispatcher,
            message,
            limit,
            Capture(limit),
            Capture(limit),
        )

    def call(self, name: str, ctx: CallContext, nresults: int, *args: int) -> Outcome:
        """Call an export taking and returning i32s, and classify how it ended. Host calls see
        `ctx` while it runs; the call's state resources are released when the guest returns."""
        handles = self._memory()
        context, instance = handles.context, handles.address
        func = raw.export_func(context, instance, name.encode())
        if func is None:
            return Outcome(1, True, f"the module does not export {name}")
        base = size = 0
        if self.interruption.mode == GUARD:
            memory = raw.export_memory(context, instance, _GUARD)
            if memory is None:
                raise ValueError("the module has no guard memory: prepare it with guard=True")
            base, size = raw.memory_span(context, memory)
        # Host calls find `ctx` on this thread's stack while the guest runs (pushed here rather
        # than by a context manager around the call: a third of the cost, on every call).
        stack = context_stack()
        stack.append(ctx)
        try:
            # Disarmed before the store can be dropped: a late trip never touches freed pages.
            watch = self.interruption.arm(base, size, self.deadline)
            try:
                value, failure = raw.call_i32(context, func, args, nresults)
            finally:
                watch.disarm()
        finally:
            stack.pop()
            release_call_resources(ctx)
        if failure is None:
            return Outcome(value)
        return self._explain(failure, ctx, watch)

    def _explain(self, failure: Exception, ctx: CallContext, watch: Watch) -> Outcome:
        if isinstance(failure, wasmtime.ExitTrap):
            code = failure.code
            return Outcome(code, code != 0, f"exited with code {code}" if code else None)
        if ctx.error is not None:
            return Outcome(1, True, ctx.error)
        flag = self.export(OOM_FLAG_EXPORT)
        if isinstance(flag, wasmtime.Global) and flag.value(self.store):
            return Outcome(
                1,
                True,
                f"memory limit of {_mib(self.limits.memory_bytes)} reached (memory.grow refused)",
            )
        trap_code = failure.trap_code if isinstance(failure, wasmtime.Trap) else None
        if trap_code is wasmtime.TrapCode.MEMORY_OUT_OF_BOUNDS and watch.stopped(failure):
            if watch.early:
                return Outcome(1, True, "interrupted: the runtime stopped the call")
            return Outcome(1, True, f"timed out after {self.limits.timeout_s:g}s")
        if trap_code is wasmtime.TrapCode.INTERRUPT:
            return Outcome(1, True, f"timed out after {self.limits.timeout_s:g}s")
        if trap_code is wasmtime.TrapCode.MEMORY_OUT_OF_BOUNDS and self._shadow_stack_overflowed():
            return Outcome(
                1,
                True,
                "stack overflow: the C stack in linear memory is exhausted "
                "(out of bounds memory access)",
            )
        if trap_code is wasmtime.TrapCode.STACK_OVERFLOW:
            return Outcome(1, True, "stack overflow: call stack exhausted (wasm trap)")
        if trap_code is wasmtime.TrapCode.UNREACHABLE:
            return Outcome(
                1,
                True,
                "wasm trap: unreachable executed (abort() or a failed check in the function)",
            )
        return Outcome(1, True, f"wasm trap: {_reason(failure)}")

    def _shadow_stack_overflowed(self) -> bool:
        """Whether the C stack pointer (LLVM's `__stack_pointer`, global 0) ran below address 0
        and wrapped: how a C stack overflow shows up as an out-of-bounds access."""
        pointer = self.export(f"{GLOBAL_EXPORT_PREFIX}0")
        memory = self.export(EXPORT_MEMORY)
        if not isinstance(pointer, wasmtime.Global) or not isinstance(memory, wasmtime.Memory):
            return False
        value = pointer.value(self.store)
        return isinstance(value, int) and value & 0xFFFFFFFF > memory.data_len(self.store)


def _too_small(limits: CallLimits, needs: str) -> Outcome:
    return Outcome(
        1,
        True,
        f"memory limit of {_mib(limits.memory_bytes)} is below what the function needs ({needs})",
    )


def _mib(size: int) -> str:
    return f"{size / _MIB:g} MiB"


def _reason(error: Exception) -> str:
    """The line of a wasmtime error that says why (it puts a backtrace before the reason)."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    if not lines:
        return type(error).__name__
    reason = next((ln for ln in reversed(lines) if "wasm trap:" in ln), lines[0])
    return reason.rpartition("wasm trap:")[2].strip() or reason
