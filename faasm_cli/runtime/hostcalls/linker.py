"""Binds the host interface table to handlers and builds the one linker of an engine.

Every `HOST_FUNCTIONS` entry gets a linker function from the handler dicts below; a missing
handler fails at import, so the table and the implementation cannot drift apart. The callbacks
are raw wasmtime callbacks (not wasmtime-py's `Func` trampoline): they decode i32 arguments
directly and turn a `CallFailed` into a trap without going through wasmtime-py's process-global
"last exception" slot, which is not safe when calls run on several threads at once.

The running call is found through a per-thread stack of contexts: a call pushes its context for
the time it runs wasm, and a chained call run inline by an awaiting thread pushes its own.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

import wasmtime

from faasm_cli.runtime.context import CallContext, HostHandler
from faasm_cli.runtime.errors import CallFailed
from faasm_cli.runtime.hostcalls import _wasmtime_raw as raw
from faasm_cli.runtime.hostcalls.chain import CHAIN_HANDLERS
from faasm_cli.runtime.hostcalls.interface import HOST_FUNCTIONS, IMPORT_MODULE
from faasm_cli.runtime.hostcalls.io import IO_HANDLERS
from faasm_cli.runtime.hostcalls.state import STATE_HANDLERS
from faasm_cli.runtime.hostcalls.wasi_stdio import WASI_MODULE, WASI_OVERRIDES

HANDLERS: dict[str, HostHandler] = {**IO_HANDLERS, **CHAIN_HANDLERS, **STATE_HANDLERS}
_missing = [f.name for f in HOST_FUNCTIONS if f.name not in HANDLERS]
if _missing:
    raise ImportError(f"host functions without a handler: {', '.join(_missing)}")
if any(set(f.param_types) - {"i32"} or f.result not in (None, "i32") for f in HOST_FUNCTIONS):
    raise ImportError("the binder handles i32 parameters and results only")

_local = threading.local()


def context_stack() -> list[CallContext]:
    """This thread's stack of running calls: host calls see its top. Whoever pushes a context
    pops it when the guest returns, then calls `release_call_resources`."""
    stack: list[CallContext] | None = getattr(_local, "stack", None)
    if stack is None:
        stack = _local.stack = []
    return stack


def _callback(name: str, arity: int, has_result: bool, handler: HostHandler) -> raw.RawCallback:
    """The host callback of one import (all parameters and the result are i32)."""
    read_args = raw.i32_reader(arity)

    def callback(env: Any, caller: Any, values: int, count: int) -> int:
        stack = getattr(_local, "stack", None)
        if not stack:
            return raw.trap_pointer(f"{name}: called outside a Faasm call")
        ctx = stack[-1]
        try:
            value = handler(ctx, *read_args(values))
            if has_result:
                raw.write_i32(values, value or 0)
            return 0
        except CallFailed as error:
            message = f"{name}: {error}"
        except Exception as error:  # a handler bug must fail the call, never the host
            message = f"{name}: internal error: {type(error).__name__}: {error}"
        if ctx.error is None:
            ctx.error = message
        return raw.trap_pointer(message)

    return callback


def build_linker(
    engine: wasmtime.Engine, handlers: Mapping[str, HostHandler] = HANDLERS
) -> tuple[wasmtime.Linker, list[Any]]:
    """The linker with WASI preview 1 and every Faasm import; keep the second value alive as long
    as the linker (it holds the ctypes callbacks)."""
    linker = wasmtime.Linker(engine)
    linker.define_wasi()
    linker.allow_shadowing = True
    keep: list[Any] = []
    for function in HOST_FUNCTIONS:
        keep.append(
            _define(
                linker,
                IMPORT_MODULE,
                function.name,
                len(function.params),
                function.result is not None,
                handlers[function.name],
            )
        )
    for name, arity, handler in WASI_OVERRIDES:
        keep.append(_define(linker, WASI_MODULE, name, arity, True, handler))
    return linker, keep


def _define(
    linker: wasmtime.Linker,
    module: str,
    name: str,
    arity: int,
    has_result: bool,
    handler: HostHandler,
) -> Any:
    i32 = wasmtime.ValType.i32
    ty = wasmtime.FuncType([i32() for _ in range(arity)], [i32()] if has_result else [])
    return raw.define_callback(
        linker, module, name, ty, _callback(name, arity, has_result, handler)
    )
