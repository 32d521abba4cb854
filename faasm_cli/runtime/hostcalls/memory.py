"""Bounds-checked access to one instance's linear memory: the `GuestMemory` of host handlers.

Every pointer and length a guest passes is checked here before a byte is touched, so a bad
pointer is a failed call naming the range, never a read outside the guest or a host crash.
Pointers arrive as signed i32 and are read as unsigned; lengths must not be negative.
"""

from __future__ import annotations

import ctypes
from typing import Any

import wasmtime

from faasm_cli.runtime.errors import CallFailed
from faasm_cli.runtime.hostcalls import _wasmtime_raw as raw
from faasm_cli.runtime.hostcalls.interface import EXPORT_ALLOC, EXPORT_MEMORY

_PAGE = 4096
_MEMORY = EXPORT_MEMORY.encode()
_ALLOC = EXPORT_ALLOC.encode()


class InstanceMemory:
    """The `memory` export of one instance (and its `__faasm_alloc`), looked up on first use so a
    call that never touches memory from the host pays nothing. Its base and size are read again
    at every access (two C calls): the guest may grow, and so move, its memory in between.
    It keeps the store and instance alive, since it holds raw addresses into them (`context`
    and `address`, the handles `_wasmtime_raw` takes; `context` is the store's)."""

    def __init__(
        self, store: wasmtime.Store, instance: wasmtime.Instance, context: int | None = None
    ) -> None:
        self._store = store
        self._instance = instance
        self.context = raw.context(store) if context is None else context
        self.address = raw.instance_address(instance)
        self._found: Any = None

    def _find(self) -> Any:
        found = raw.export_memory(self.context, self.address, _MEMORY)
        if found is None:
            raise CallFailed(f"the module does not export its {EXPORT_MEMORY}")
        self._found = found
        return found

    def size(self) -> int:
        return raw.memory_span(self.context, self._found or self._find())[1]

    def _check(self, ptr: int, length: int) -> int:
        """The host address of [ptr, ptr+length) after checking it lies inside the memory."""
        if length < 0:
            raise CallFailed(f"negative length {length}")
        ptr &= 0xFFFFFFFF
        found = self._found
        if found is None:
            found = self._find()
        base, size = raw.memory_span(self.context, found)
        if ptr + length > size:
            raise CallFailed(
                f"range [{ptr}, {ptr + length}) is outside the guest memory of {size} bytes"
            )
        return base + ptr

    def read(self, ptr: int, length: int) -> bytes:
        address = self._check(ptr, length)
        return ctypes.string_at(address, length) if length else b""

    def write(self, ptr: int, data: bytes) -> None:
        address = self._check(ptr, len(data))
        if data:
            ctypes.memmove(address, data, len(data))

    def read_cstring(self, ptr: int, max_length: int = 1024) -> str:
        ptr &= 0xFFFFFFFF
        available = min(max_length + 1, self.size() - ptr)
        if available <= 0:
            raise CallFailed(f"string pointer {ptr} is outside the guest memory")
        data = self.read(ptr, available)
        end = data.find(b"\0")
        if end < 0:
            raise CallFailed(f"string at {ptr} is not NUL-terminated within {max_length} bytes")
        return data[:end].decode("utf-8", "replace")

    def host_address(self, ptr: int, length: int) -> int:
        return self._check(ptr, length)

    def alloc(self, length: int) -> int:
        alloc = raw.export_func(self.context, self.address, _ALLOC)
        if alloc is None:
            raise CallFailed(f"the module does not export {EXPORT_ALLOC}")
        if length < 0:
            raise CallFailed(f"negative length {length}")
        rounded = (length + _PAGE - 1) // _PAGE * _PAGE
        ptr, failure = raw.call_i32(self.context, alloc, (rounded,), 1)
        if failure is not None:
            raise failure  # the guest's trap, for the caller to explain (e.g. a memory limit)
        if ptr == 0:
            raise CallFailed(f"the guest could not allocate {rounded} bytes")
        self._check(ptr, rounded)
        return ptr & 0xFFFFFFFF
