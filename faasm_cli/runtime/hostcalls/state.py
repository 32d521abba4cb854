"""The state host calls: one handler per `group == "state"` entry of `HOST_FUNCTIONS`.

Handlers turn guest pointers into bounds-checked host addresses and let the store copy straight
between guest memory and the shared value (one memcpy), or map the value's pages into the guest
for the pointer calls. What a call holds (pointer mappings, locks) is tracked in its
`ctx.scratch`, and the runtime must call `release_call_resources(ctx)` when the call ends, before
the instance's memory is restored or reused, so a call that forgets to unlock (or traps) never
keeps a lock, and a snapshot restore never writes into shared state.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import ParamSpec, TypeVar

from faasm_cli.errors import FaasmError
from faasm_cli.names import check_key
from faasm_cli.runtime.context import CallContext, HostHandler
from faasm_cli.runtime.errors import CallFailed
from faasm_cli.runtime.state.locks import Lease
from faasm_cli.runtime.state.shared_memory import round_to_pages
from faasm_cli.runtime.state.store import LOCK_TIMEOUT_S, check_range

_SCRATCH_KEY = "state"

P = ParamSpec("P")
R = TypeVar("R")


@dataclass
class _Mapping:
    """A value's pages mapped into this call's memory at `ptr` (guest) / `address` (host)."""

    key: str
    ptr: int
    length: int
    address: int
    total: int


@dataclass
class _CallState:
    """What one call holds: mappings (newest per key first served) and locks."""

    mappings: list[_Mapping] = field(default_factory=list)
    by_key: dict[str, _Mapping] = field(default_factory=dict)
    reads: dict[str, tuple[Lease, int]] = field(default_factory=dict)
    writes: dict[str, Lease] = field(default_factory=dict)
    globals: dict[str, Lease] = field(default_factory=dict)


def _held(ctx: CallContext) -> _CallState:
    state = ctx.scratch.get(_SCRATCH_KEY)
    if state is None:
        state = ctx.scratch[_SCRATCH_KEY] = _CallState()
    assert isinstance(state, _CallState)
    return state


def release_call_resources(ctx: CallContext) -> list[tuple[int, int]]:
    """Release every lock the call holds and detach its state mappings.

    The runtime calls this once per call when the guest has finished (also after a trap or a
    timeout), before the instance's memory is restored or the instance is reused. Returns the
    guest ranges (ptr, length) that were mapped: they now hold private zero pages, so a restore
    that resets only dirtied pages must treat them as dirty.
    """
    scratch = ctx.scratch
    if not scratch:  # the call touched no state (most calls): nothing to release
        return []
    held = scratch.pop(_SCRATCH_KEY, None)
    if not isinstance(held, _CallState):
        return []
    leases = [lease for lease, _ in held.reads.values()]
    for lease in [*leases, *held.writes.values(), *held.globals.values()]:
        lease.release()
    for mapping in held.mappings:
        ctx.state.unmap_shared(ctx.user, mapping.key, mapping.address, mapping.length)
    return [(m.ptr, m.length) for m in held.mappings]


def _state_call(handler: Callable[P, R]) -> Callable[P, R]:
    """Report bad names and host failures as failed calls with their message."""

    @functools.wraps(handler)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return handler(*args, **kwargs)
        except CallFailed:
            raise
        except FaasmError as error:
            raise CallFailed(str(error)) from error
        except OSError as error:
            raise CallFailed(f"state host call failed: {error}") from error

    return wrapped


def _key(ctx: CallContext, key_ptr: int) -> str:
    return check_key(ctx.memory.read_cstring(key_ptr))


def _address(ctx: CallContext, ptr: int, length: int) -> int:
    """Host address of checked guest bytes (no access at all for an empty range, nor for a
    negative one: the store rejects that with the range in its message)."""
    return ctx.memory.host_address(ptr, length) if length > 0 else 0


# -- values ---------------------------------------------------------------------------------


@_state_call
def read_state(ctx: CallContext, key: int, buf: int, length: int) -> int:
    name = _key(ctx, key)
    check_range(name, length, 0, length)
    return ctx.state.read_to(ctx.user, name, 0, length, _address(ctx, buf, length))


@_state_call
def read_state_size(ctx: CallContext, key: int) -> int:
    return ctx.state.size(ctx.user, _key(ctx, key))


@_state_call
def write_state(ctx: CallContext, key: int, buf: int, length: int) -> None:
    name = _key(ctx, key)
    check_range(name, length, 0, length)
    ctx.state.set_from(ctx.user, name, _address(ctx, buf, length), length)


@_state_call
def read_state_offset(
    ctx: CallContext, key: int, total: int, off: int, buf: int, length: int
) -> None:
    name = _key(ctx, key)
    ctx.state.read_to(ctx.user, name, off, length, _address(ctx, buf, length), total)


@_state_call
def write_state_offset(
    ctx: CallContext, key: int, total: int, off: int, buf: int, length: int
) -> None:
    name = _key(ctx, key)
    ctx.state.write_from(ctx.user, name, total, off, _address(ctx, buf, length), length)


# -- pointers into shared state -------------------------------------------------------------


def _pointer(ctx: CallContext, name: str, total: int, off: int, length: int) -> int:
    """Map the value into the call's memory once (per key and size) and point into it."""
    size = ctx.state.size(ctx.user, name)
    check_range(name, total, off, length, size)
    total = max(total, size)  # an existing value is mapped whole, whatever total says
    if total <= 0:
        raise CallFailed(f"state key {name!r}: a pointer needs a total length above 0")
    held = _held(ctx)
    mapping = held.by_key.get(name)
    if mapping is None or mapping.total < total:
        size = round_to_pages(total)
        try:
            ptr = ctx.memory.alloc(size)
        except CallFailed:
            raise
        except Exception as error:  # the guest's allocator trapped, e.g. at the memory limit
            reason = str(error).strip().splitlines()[-1:] or [type(error).__name__]
            raise CallFailed(
                f"state key {name!r}: the guest could not allocate {size} bytes to map the "
                f"value ({reason[0].strip()})"
            ) from error
        address = ctx.memory.host_address(ptr, size)
        ctx.state.map_shared(ctx.user, name, total, address)
        mapping = _Mapping(name, ptr, size, address, total)
        held.mappings.append(mapping)
        held.by_key[name] = mapping
    return mapping.ptr + off


@_state_call
def read_state_ptr(ctx: CallContext, key: int, total: int) -> int:
    return _pointer(ctx, _key(ctx, key), total, 0, total)


@_state_call
def read_state_offset_ptr(ctx: CallContext, key: int, total: int, off: int, length: int) -> int:
    return _pointer(ctx, _key(ctx, key), total, off, length)


# -- dirty flags, push and pull -------------------------------------------------------------


@_state_call
def flag_state_dirty(ctx: CallContext, key: int, total: int) -> None:
    ctx.state.flag_dirty(ctx.user, _key(ctx, key), total, 0, total)


@_state_call
def flag_state_offset_dirty(ctx: CallContext, key: int, total: int, off: int, length: int) -> None:
    ctx.state.flag_dirty(ctx.user, _key(ctx, key), total, off, length)


@_state_call
def push_state(ctx: CallContext, key: int) -> None:
    ctx.state.push(ctx.user, _key(ctx, key))


@_state_call
def push_state_partial(ctx: CallContext, key: int) -> None:
    ctx.state.push_partial(ctx.user, _key(ctx, key))


@_state_call
def push_state_partial_mask(ctx: CallContext, key: int, mask_key: int) -> None:
    ctx.state.push_partial_mask(ctx.user, _key(ctx, key), _key(ctx, mask_key))


@_state_call
def pull_state(ctx: CallContext, key: int, total: int) -> None:
    name = _key(ctx, key)
    check_range(name, total, 0, 0)
    ctx.state.pull(ctx.user, name)


# -- appended elements ----------------------------------------------------------------------


@_state_call
def append_state(ctx: CallContext, key: int, buf: int, length: int) -> None:
    name = _key(ctx, key)
    check_range(name, length, 0, length)
    ctx.state.append(ctx.user, name, ctx.memory.read(buf, length) if length else b"")


@_state_call
def read_appended_state(ctx: CallContext, key: int, buf: int, length: int, n: int) -> None:
    name = _key(ctx, key)
    check_range(name, length, 0, length)
    data = b"".join(ctx.state.read_appended(ctx.user, name, n))
    if len(data) > length:
        raise CallFailed(
            f"state key {name!r}: {n} appended elements hold {len(data)} bytes, "
            f"more than the buffer's {length}"
        )
    if length:
        ctx.memory.write(buf, data + bytes(length - len(data)))


@_state_call
def clear_appended_state(ctx: CallContext, key: int) -> None:
    ctx.state.clear_appended(ctx.user, _key(ctx, key))


# -- locks ----------------------------------------------------------------------------------


@_state_call
def lock_state_global(ctx: CallContext, key: int) -> None:
    name = _key(ctx, key)
    held = _held(ctx)
    if name in held.globals:
        raise CallFailed(f"this call already holds the global lock of state key {name!r}")
    held.globals[name] = ctx.state.lock_global(ctx.user, name, LOCK_TIMEOUT_S)


@_state_call
def unlock_state_global(ctx: CallContext, key: int) -> None:
    name = _key(ctx, key)
    lease = _held(ctx).globals.pop(name, None)
    if lease is None:
        raise CallFailed(f"this call does not hold the global lock of state key {name!r}")
    lease.release()


@_state_call
def lock_state_read(ctx: CallContext, key: int) -> None:
    name = _key(ctx, key)
    held = _held(ctx)
    if name in held.writes:
        raise CallFailed(f"this call holds the write lock of state key {name!r} already")
    if name in held.reads:
        lease, count = held.reads[name]
        held.reads[name] = (lease, count + 1)  # re-entrant: never queue behind a writer
        return
    held.reads[name] = (ctx.state.lock_read(ctx.user, name, LOCK_TIMEOUT_S), 1)


@_state_call
def unlock_state_read(ctx: CallContext, key: int) -> None:
    name = _key(ctx, key)
    held = _held(ctx)
    if name not in held.reads:
        raise CallFailed(f"this call does not hold a read lock of state key {name!r}")
    lease, count = held.reads.pop(name)
    if count > 1:
        held.reads[name] = (lease, count - 1)
    else:
        lease.release()


@_state_call
def lock_state_write(ctx: CallContext, key: int) -> None:
    name = _key(ctx, key)
    held = _held(ctx)
    if name in held.writes:
        raise CallFailed(f"this call already holds the write lock of state key {name!r}")
    if name in held.reads:
        raise CallFailed(
            f"this call holds a read lock of state key {name!r}: release it before writing"
        )
    held.writes[name] = ctx.state.lock_write(ctx.user, name, LOCK_TIMEOUT_S)


@_state_call
def unlock_state_write(ctx: CallContext, key: int) -> None:
    name = _key(ctx, key)
    lease = _held(ctx).writes.pop(name, None)
    if lease is None:
        raise CallFailed(f"this call does not hold the write lock of state key {name!r}")
    lease.release()


STATE_HANDLERS: dict[str, HostHandler] = {
    f"__faasm_{handler.__name__}": handler
    for handler in (
        read_state,
        read_state_size,
        write_state,
        read_state_offset,
        write_state_offset,
        read_state_ptr,
        read_state_offset_ptr,
        flag_state_dirty,
        flag_state_offset_dirty,
        push_state,
        push_state_partial,
        push_state_partial_mask,
        pull_state,
        append_state,
        read_appended_state,
        clear_appended_state,
        lock_state_global,
        unlock_state_global,
        lock_state_read,
        unlock_state_read,
        lock_state_write,
        unlock_state_write,
    )
}
"""Handlers of the state imports, keyed by import name (`HOST_FUNCTIONS` entries of group state)."""
