"""The embedded runtime: run Faasm functions in-process on wasmtime.

    from faasm_cli.runtime import Runtime
    with Runtime() as rt:
        rt.register("demo", "hello", "build/func/demo/hello.wasm")
        result = rt.call("demo", "hello")

Everything an embedder or a cluster worker needs is importable from here: the runtime and its
results, the call message, the seams (`CallDispatcher`, `StateStore`, `StateBackend`) with
their local implementations, limits, and the errors a call or a backend raises.
"""

from faasm_cli.message import Message
from faasm_cli.runtime.context import CallDispatcher
from faasm_cli.runtime.errors import CallFailed, StateUnavailable
from faasm_cli.runtime.faaslet import CallLimits
from faasm_cli.runtime.local_dispatch import LocalDispatcher
from faasm_cli.runtime.result import CallResult, ChainedCall
from faasm_cli.runtime.runtime import Runtime
from faasm_cli.runtime.snapshot.cache import CacheStats
from faasm_cli.runtime.snapshot.proto import LoadedFunction
from faasm_cli.runtime.state.locks import Lease
from faasm_cli.runtime.state.memory import MemoryStateStore
from faasm_cli.runtime.state.store import (
    LocalStateStore,
    ReplicatedStateStore,
    StateBackend,
    StateError,
    StateStore,
)

__all__ = [
    "CacheStats",
    "CallDispatcher",
    "CallFailed",
    "CallLimits",
    "CallResult",
    "ChainedCall",
    "Lease",
    "LoadedFunction",
    "LocalDispatcher",
    "LocalStateStore",
    "MemoryStateStore",
    "Message",
    "ReplicatedStateStore",
    "Runtime",
    "StateBackend",
    "StateError",
    "StateStore",
    "StateUnavailable",
]
