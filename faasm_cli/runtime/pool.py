"""The pooling instance allocator: preallocated instance slots, so a call maps no new memory.

With wasmtime's default on-demand allocator every call reserves its linear memory (4 GiB of
address space plus guards) and unmaps it when the store is dropped, which is about half the cost
of a warm call. The pool reserves every slot once per engine and recycles them (a recycled slot
keeps the snapshot's copy-on-write image mapped and only resets the pages the call dirtied).

Slots are sized from the chain limits (depth x fan-out), capped so one runtime reserves a few
TiB of address space at most. A slot admits the whole 32-bit memory (it reserves that much
anyway); the runtime's memory limit stays with each store's limiter, so a module that needs more
than the limit still fails its calls with that limit named rather than failing to load.

wasmtime aborts the process when the pool's reservation is refused (a low `ulimit -v`), so the
reservation is first probed with an inaccessible mapping of the same size, and the engine falls
back to on-demand allocation when the probe fails.
"""

from __future__ import annotations

import ctypes
import mmap
import re
import threading
from dataclasses import dataclass

import wasmtime

from faasm_cli.runtime.hostcalls import _wasmtime_raw as raw

MAX_SLOTS = 512
# An instance's memories: the function's own and the guard memory timeouts use.
MEMORIES_PER_INSTANCE = 2
WASM32_MEMORY_BYTES = 4 << 30
# What wasmtime reserves per memory slot on 64-bit hosts: 4 GiB plus its guard region, rounded up.
SLOT_RESERVATION = WASM32_MEMORY_BYTES + (64 << 20)
# How much of each memory a freed slot keeps committed, resetting it in place rather than
# through the kernel. One host page measured best for a warm call (1.5 us less than none;
# 16 KiB and more gain less, 64 KiB nothing): the first page of the guard memory holds the
# checks of a small function, and the first page of memory 0 is dirtied by most calls.
KEEP_RESIDENT_BYTES = mmap.PAGESIZE
_PROT_NONE = 0
_MAP_PRIVATE_ANONYMOUS_NORESERVE = 0x02 | 0x20 | 0x4000
_MAP_FAILED = ctypes.c_void_p(-1).value

_libc = ctypes.CDLL(None, use_errno=True)
_libc.mmap.restype = ctypes.c_void_p
_libc.mmap.argtypes = (
    ctypes.c_void_p,
    ctypes.c_size_t,
    ctypes.c_int,
    ctypes.c_int,
    ctypes.c_int,
    ctypes.c_long,
)
_libc.munmap.argtypes = (ctypes.c_void_p, ctypes.c_size_t)
_create_lock = threading.Lock()
_EXHAUSTED = re.compile(r"maximum concurrent limit of (\d+) for core instances reached")


@dataclass(frozen=True)
class InstancePool:
    """How many instances may be live at once."""

    slots: int

    @classmethod
    def sized(cls, max_chain_depth: int, max_fanout: int, slots: int | None = None) -> InstancePool:
        """`slots` if given, else room for a full-width chain at every level (depth 0 is the
        call itself), capped."""
        if slots is not None:
            return cls(max(1, slots))
        return cls(max(1, min((max_chain_depth + 1) * max_fanout, MAX_SLOTS)))

    @property
    def reservation_bytes(self) -> int:
        return self.slots * MEMORIES_PER_INSTANCE * SLOT_RESERVATION


@dataclass(frozen=True)
class Allocator:
    """Which allocator an engine got: `pooling` with its slots, or `on-demand` and why."""

    kind: str
    slots: int = 0
    reason: str = ""

    def describe(self) -> str:
        if self.kind == "pooling":
            return f"pooling ({self.slots} instance slots)"
        return f"on-demand ({self.reason})" if self.reason else "on-demand"


def build_engine(
    config: wasmtime.Config, pool: InstancePool | None
) -> tuple[wasmtime.Engine, Allocator]:
    """An engine from `config` with the pool when its address space can be reserved."""
    if pool is None:
        return wasmtime.Engine(config), Allocator("on-demand")
    with _create_lock:
        if not _can_reserve(pool.reservation_bytes):
            reason = f"reserving {pool.reservation_bytes >> 30} GiB for the pool was refused"
            return wasmtime.Engine(config), Allocator("on-demand", reason=reason)
        raw.use_pooling(
            config, pool.slots, MEMORIES_PER_INSTANCE, WASM32_MEMORY_BYTES, KEEP_RESIDENT_BYTES
        )
        return wasmtime.Engine(config), Allocator("pooling", pool.slots)


def _can_reserve(size: int) -> bool:
    """Whether `size` bytes of address space can be reserved now (nothing is committed)."""
    address = _libc.mmap(None, size, _PROT_NONE, _MAP_PRIVATE_ANONYMOUS_NORESERVE, -1, 0)
    if address is None or address == _MAP_FAILED:
        return False
    _libc.munmap(address, size)
    return True


def exhausted(error_text: str) -> str | None:
    """The message of a call refused because every slot of the pool is live, else None."""
    found = _EXHAUSTED.search(error_text)
    if found is None:
        return None
    return (
        f"no free instance slot: all {found.group(1)} slots of the instance pool are in use "
        "(raise Runtime(instance_slots=...), or max_chain_depth x max_fanout it is sized from)"
    )
