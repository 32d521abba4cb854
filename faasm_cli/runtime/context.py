"""What a host call sees of the call that made it.

Host-call handlers (io, chaining, state) are plain functions `handler(ctx, *args)` keyed by their
name in `host_interface.HOST_FUNCTIONS`. They reach guest memory only through `GuestMemory`, which
bounds-checks every access, and report a failure by raising `CallFailed`: the runtime turns it into
a failed call carrying that message, and the next call runs normally.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from faasm_cli.message import Message
from faasm_cli.runtime.hostcalls.capture import Capture

if TYPE_CHECKING:
    from faasm_cli.runtime.result import CallResult, ChainedCall
    from faasm_cli.runtime.state.store import StateStore


class GuestMemory(Protocol):
    """Bounds-checked access to one instance's linear memory (raises CallFailed when out)."""

    def read(self, ptr: int, length: int) -> bytes: ...

    def write(self, ptr: int, data: bytes) -> None: ...

    def read_cstring(self, ptr: int, max_length: int = 1024) -> str: ...

    def size(self) -> int: ...

    def host_address(self, ptr: int, length: int) -> int:
        """The host virtual address of guest bytes [ptr, ptr+length), for zero-copy mapping."""
        ...

    def alloc(self, length: int) -> int:
        """Guest memory from the guest's own allocator: 4 KiB-aligned, 4 KiB-rounded, zeroed."""
        ...


@dataclass(slots=True)
class CallContext:
    """Per-call data the host functions work on. One per running call, on its own thread.
    Slotted: the runtime makes one per call, and its fields are all it holds."""

    user: str
    function: str
    idx: int
    input_data: bytes
    memory: GuestMemory
    state: StateStore
    output_data: bytes = b""
    # Per-call scratch owned by handler groups (e.g. state pointers mapped in this call).
    scratch: dict[str, Any] = field(default_factory=dict)
    # Chaining: who runs chained calls, and the message of this call (id, depth, limits).
    dispatcher: CallDispatcher | None = None
    message: Message | None = None
    max_output_bytes: int = 1 << 30
    # The guest's stdout and stderr (WASI fd 1 and 2), bounded.
    stdout: Capture = field(default_factory=lambda: Capture(1 << 20))
    stderr: Capture = field(default_factory=lambda: Capture(1 << 20))
    # The first host-call failure of this call; the runtime reports it as the call's error.
    error: str | None = None


class CallDispatcher(Protocol):
    """Runs chained calls: locally a thread pool (`local_dispatch.LocalDispatcher`), in a cluster
    the scheduler (messages through Redis). Refusals (limits, unknown function) raise
    `CallFailed` with the message the calling function fails with."""

    def chain(self, message: Message) -> int:
        """Start the call `message` describes (parent_id, depth and limits set); its id at once."""
        ...

    def await_call(self, call_id: int) -> CallResult:
        """Block until `call_id` finishes; its result."""
        ...

    def collect(self, root_id: int) -> list[ChainedCall]:
        """Wait for every call chained under `root_id`, then their tree ([] if it chained none).
        The runtime calls it once per top-level call; the dispatcher may then forget the tree."""
        ...

    def close(self) -> None:
        """Stop running chained calls (called once, by `Runtime.close`)."""
        ...


HostHandler = Callable[..., int | None]
