"""Bounds-checked access to one instance's linear memory: the `GuestMemory` of host handlers.

Every pointer and length a guest passes is checked here before a byte is touched, so a bad
pointer is a failed call naming the range, never a read outside the guest or a host crash.
Pointers arrive as signed i32 and are read as unsigned; lengths must not be negative.
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable

import wasmtime

from faasm_cli.runtime.errors import CallFailed
from faasm_cli.runtime.hostcalls.interface import EXPORT_ALLOC, EXPORT_MEMORY

_PAGE = 4096


class InstanceMemory:
    """The `memory` export of one instance (and its `__faasm_alloc`), looked up on first use so a
    call that never touches memory from the host pays nothing."""

    def __init__(self, store: wasmtime.Store, export: Callable[[str], object | None]) -> None:
        self._store = store
        self._export = export
        self._found: wasmtime.Memory | None = None

    @property
    def _memory(self) -> wasmtime.Memory:
        if self._found is None:
            memory = self._export(EXPORT_MEMORY)
            if not isinstance(memory, wasmtime.Memory):
                raise CallFailed(f"the module does not export its {EXPORT_MEMORY}")
            self._found = memory
        return self._found

    def size(self) -> int:
        return self._memory.data_len(self._store)

    def _check(self, ptr: int, length: int) -> int:
        """The host address of [ptr, ptr+length) after checking it lies inside the memory."""
        if length < 0:
            raise CallFailed(f"negative length {length}")
        ptr &= 0xFFFFFFFF
        size = self._memory.data_len(self._store)
        if ptr + length > size:
            raise CallFailed(
                f"range [{ptr}, {ptr + length}) is outside the guest memory of {size} bytes"
            )
        base = ctypes.addressof(self._memory.data_ptr(self._store).contents)
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
        raw = self.read(ptr, available)
        end = raw.find(b"\0")
        if end < 0:
            raise CallFailed(f"string at {ptr} is not NUL-terminated within {max_length} bytes")
        return raw[:end].decode("utf-8", "replace")

    def host_address(self, ptr: int, length: int) -> int:
        return self._check(ptr, length)

    def alloc(self, length: int) -> int:
        alloc = self._export(EXPORT_ALLOC)
        if not isinstance(alloc, wasmtime.Func):
            raise CallFailed(f"the module does not export {EXPORT_ALLOC}")
        if length < 0:
            raise CallFailed(f"negative length {length}")
        rounded = (length + _PAGE - 1) // _PAGE * _PAGE
        ptr = alloc(self._store, rounded)
        if not isinstance(ptr, int) or ptr == 0:
            raise CallFailed(f"the guest could not allocate {rounded} bytes")
        self._check(ptr, rounded)
        return ptr & 0xFFFFFFFF
