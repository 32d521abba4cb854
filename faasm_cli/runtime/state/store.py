"""Key/value state of functions, scoped per user: the store interface and the local store.

`StateStore` is what the state host calls need; the cluster implements it over Redis. The store
in this module keeps a local replica of each value in shared memory (`SharedBuffer`, so guest
pointers and host copies are the same bytes) and synchronises it with a durable `StateBackend`:
push makes it durable, pull refreshes it, and `flush` (called by the runtime after each top-level
call) persists whatever changed. `LocalStateStore` uses files under the cache dir as the backend,
so the next CLI process sees the values; a Redis backend plugs into the same replica layer.

A key that does not exist reads as zeros of the requested length and has size 0. An offset range
must fit in the value as it exists (as Faasm bounds it, whatever total length the guest declares)
or in that total length (which sizes a new value and grows a shorter one); anything else is a
`StateError`.
"""

from __future__ import annotations

import bisect
import ctypes
import re
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

from faasm_cli import config
from faasm_cli.errors import BadInput
from faasm_cli.names import check_key, check_user
from faasm_cli.runtime.errors import CallFailed
from faasm_cli.runtime.state.disk import DiskBackend
from faasm_cli.runtime.state.locks import (
    LEASE_TTL_S,
    Lease,
    LeaseKeeper,
    ReadWriteLock,
    read_lease,
    write_lease,
)
from faasm_cli.runtime.state.shared_memory import SharedBuffer, round_to_pages, unmap_at

MAX_VALUE_BYTES = 1 << 30
"""Largest value a function may create: bounds host memory and disk a guest can claim."""

LOCK_TIMEOUT_S = 60.0
"""How long a host call waits for a state lock before the call fails (it cannot be interrupted)."""


class StateError(CallFailed, BadInput):
    """A state request that cannot be served: a failed call for a guest, an error for the CLI."""


class StateBackend(Protocol):
    """Durable storage behind the local replicas (files locally, Redis in the cluster).

    Each method is one Redis command or a short script (noted below). A backend that cannot be
    reached or fails raises `StateUnavailable`: the call fails with its message.
    """

    def load(self, user: str, key: str) -> bytes | None:
        """The whole value, None when absent (GET)."""
        ...

    def size(self, user: str, key: str) -> int:
        """The value's length, 0 when absent, without loading it (STRLEN)."""
        ...

    def read_range(self, user: str, key: str, offset: int, length: int) -> bytes:
        """Up to `length` bytes from `offset`, fewer past the end (GETRANGE)."""
        ...

    def save(self, user: str, key: str, data: bytes | bytearray | memoryview) -> None:
        """Replace the value (SET)."""
        ...

    def save_ranges(
        self, user: str, key: str, size: int, parts: Sequence[tuple[int, bytes]]
    ) -> None:
        """Overwrite only `parts` (offset, bytes), zero-extending to `size` (SETRANGE each)."""
        ...

    def append(self, user: str, key: str, data: bytes) -> None:
        """Add an element to the key's appended list (RPUSH)."""
        ...

    def read_appended(self, user: str, key: str, count: int) -> list[bytes]:
        """Up to `count` elements from the start of the list (LRANGE)."""
        ...

    def clear_appended(self, user: str, key: str) -> None:
        """Drop the appended list (DEL)."""
        ...

    def lock(self, user: str, key: str, timeout: float, ttl: float) -> Lease | None:
        """The key's global lock within `timeout` s, else None. The lease has an owner token
        and frees itself `ttl` s after its last renewal even if its owner died (SET NX PX);
        release deletes it only while the token still owns it (compare-and-delete script)."""
        ...

    def delete(self, user: str, key: str) -> None:
        """Forget the value and its appended list (DEL)."""
        ...

    def keys(self, user: str) -> list[str]:
        """Keys of `user` with a value or appended elements (SCAN)."""
        ...

    def close(self) -> None:
        """Release connections and files; the backend is not used afterwards."""
        ...


class StateStore(Protocol):
    """Everything the state host calls, the CLI and the runtime ask of a state store.

    `total` is the length of the whole value as the guest declares it; ranges are checked
    against it. Addresses are host addresses of already bounds-checked guest memory.
    """

    def get(self, user: str, key: str) -> bytes:
        """The whole value (empty when absent)."""
        ...

    def set(self, user: str, key: str, data: bytes) -> None:
        """Replace the whole value."""
        ...

    def size(self, user: str, key: str) -> int:
        """The value's length (0 when absent)."""
        ...

    def read(self, user: str, key: str, total: int, offset: int, length: int) -> bytes: ...

    def write(self, user: str, key: str, total: int, offset: int, data: bytes) -> None: ...

    def read_to(
        self,
        user: str,
        key: str,
        offset: int,
        length: int,
        address: int,
        total: int | None = None,
    ) -> int:
        """Copy a range to `address` (zeros past the value's end); returns the value's size."""
        ...

    def set_from(self, user: str, key: str, address: int, length: int) -> None:
        """Replace the whole value with `length` bytes at `address`."""
        ...

    def write_from(
        self, user: str, key: str, total: int, offset: int, address: int, length: int
    ) -> None:
        """Write `length` bytes at `address` to `offset` of a value of `total` bytes."""
        ...

    def map_shared(self, user: str, key: str, total: int, address: int) -> None:
        """Map the value (at least `total` bytes) at `address`, page aligned, whole pages."""
        ...

    def unmap_shared(self, user: str, key: str, address: int, length: int) -> None:
        """Undo `map_shared`: the region gets private zero pages, its writes are kept."""
        ...

    def flag_dirty(self, user: str, key: str, total: int, offset: int, length: int) -> None:
        """Mark a range as changed (for writes the store cannot see, e.g. through pointers)."""
        ...

    def push(self, user: str, key: str) -> None:
        """Make the whole value durable."""
        ...

    def push_partial(self, user: str, key: str) -> None:
        """Make only the changed ranges durable, keeping others' writes to the rest."""
        ...

    def push_partial_mask(self, user: str, key: str, mask_key: str) -> None:
        """Make durable only the bytes whose byte in value `mask_key` (same size) is non-zero."""
        ...

    def pull(self, user: str, key: str) -> None:
        """Refresh the local value from the durable one (dropping unpushed local changes)."""
        ...

    def flush(self) -> None:
        """Persist every value changed since it was last made durable."""
        ...

    def append(self, user: str, key: str, data: bytes) -> None: ...

    def read_appended(self, user: str, key: str, count: int) -> list[bytes]:
        """The first `count` appended elements; fewer existing is a StateError."""
        ...

    def clear_appended(self, user: str, key: str) -> None: ...

    def lock_global(self, user: str, key: str, timeout: float) -> Lease:
        """The key's lock across every process (and thread) using the same store."""
        ...

    def lock_read(self, user: str, key: str, timeout: float) -> Lease: ...

    def lock_write(self, user: str, key: str, timeout: float) -> Lease: ...

    def delete(self, user: str, key: str) -> None: ...

    def keys(self, user: str) -> list[str]: ...

    def close(self) -> None:
        """Flush and release local resources."""
        ...


_NONZERO = re.compile(rb"[^\x00]+")
"""Runs of non-zero mask bytes: the ranges a masked partial push writes."""


def check_range(key: str, total: int, offset: int, length: int, size: int = 0) -> None:
    """Reject a range that is negative or fits neither in the value as it exists (`size`
    bytes: Faasm bounds offsets by that, whatever total the guest declares) nor in the `total`
    bytes the guest declares (which sizes a new value, and grows one; Faasm would fail there)."""
    if total > MAX_VALUE_BYTES:
        raise StateError(
            f"state key {key!r}: total length {total} exceeds the limit of {MAX_VALUE_BYTES} bytes"
        )
    if total < 0 or offset < 0 or length < 0 or offset + length > max(total, size):
        bound = f"{size} bytes" if 0 <= total < size else f"total length {total}"
        raise StateError(
            f"state key {key!r}: offset {offset} length {length} is outside the value's {bound}"
        )


class _DirtyRanges:
    """Byte ranges changed since the last push: sorted, disjoint, merged when they touch."""

    def __init__(self) -> None:
        self.whole = False
        self.spans: list[tuple[int, int]] = []

    def __bool__(self) -> bool:
        return self.whole or bool(self.spans)

    def add(self, start: int, end: int) -> None:
        if self.whole or end <= start:
            return
        spans = self.spans
        i = bisect.bisect_left(spans, (start, start))
        if i and spans[i - 1][1] >= start:
            i -= 1
            start = spans[i][0]
        j = i
        while j < len(spans) and spans[j][0] <= end:
            end = max(end, spans[j][1])
            j += 1
        spans[i:j] = [(start, end)]

    def mark_whole(self) -> None:
        self.whole = True
        self.spans.clear()

    def clear(self) -> None:
        self.whole = False
        self.spans.clear()


class _Value:
    """The local replica of one value; `with value:` holds its lock. `size` <= capacity.

    Writes through guest pointers are invisible to the store, so a value mapped since its last
    save counts as changed (`touched`); `clean` keeps the durable bytes from when the first
    mapping was made, so a value that was only read through pointers is not written again.
    """

    def __init__(self, name: str, data: bytes | None) -> None:
        self.lock = threading.Lock()
        self.buffer = SharedBuffer(name, len(data or b""))
        self.size = 0
        self.exists = data is not None
        self.dirty = _DirtyRanges()
        self.mapped = 0  # live guest mappings
        self.touched = False  # a mapping existed since the last save
        self.clean: bytes | None = None
        if data:
            self.buffer.write(0, data)
            self.size = len(data)

    def __enter__(self) -> _Value:
        self.lock.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.lock.release()

    @property
    def unsaved(self) -> bool:
        return self.exists and (bool(self.dirty) or self.touched or self.mapped > 0)

    def mapping_added(self) -> None:
        if not self.mapped and not self.touched and not self.dirty and self.exists:
            self.clean = self.buffer.read(0, self.size)  # in sync with the backend now
        self.mapped += 1
        self.touched = True

    def unchanged(self) -> bool:
        """True when only pointer access happened since the last save and no byte changed."""
        if self.dirty or self.clean is None or len(self.clean) != self.size:
            return False
        return self.buffer.equals(0, self.clean)

    def resize(self, size: int, overwritten: bool = False) -> None:
        """Set the length, zeroing bytes that leave the value and those that enter it unless
        the caller is about to overwrite them (so no stale bytes ever show)."""
        self.buffer.ensure_capacity(size)
        if size < self.size:
            self.buffer.zero(size, self.size - size)
        elif not overwritten:
            self.buffer.zero(self.size, size - self.size)
        self.size = size
        self.exists = True

    def grow_to(self, size: int) -> None:
        if size > self.size:
            self.resize(size)

    def read_to(self, offset: int, length: int, address: int) -> None:
        present = max(0, min(length, self.size - offset))
        if present:
            self.buffer.copy_out(offset, address, present)
        if present < length:
            ctypes.memset(address + present, 0, length - present)

    def saved(self) -> None:
        self.dirty.clear()
        self.touched = self.mapped > 0
        self.clean = self.buffer.read(0, self.size) if self.mapped else None


class ReplicatedStateStore:
    """A `StateStore` keeping values in shared memory, synchronised with a durable backend."""

    def __init__(self, backend: StateBackend, lease_ttl: float = LEASE_TTL_S) -> None:
        self.backend = backend
        self._keeper = LeaseKeeper(lease_ttl)  # global leases live while held, ttl after
        self._values: dict[tuple[str, str], _Value] = {}
        self._rwlocks: dict[tuple[str, str], ReadWriteLock] = {}
        self._lock = threading.Lock()
        # Set by every change a flush may have to persist, so a call tree that changed no state
        # costs `flush` one attribute read.
        self._changed = False

    # -- replicas -------------------------------------------------------------------------

    def _replica(self, user: str, key: str) -> _Value:
        """The key's replica, loaded on first use. Use as `with self._replica(...) as value:`."""
        value = self._values.get((user, key))  # present means validated
        if value is not None:
            return value
        ident = (check_user(user), check_key(key))
        with self._lock:
            value = self._values.get(ident)
            if value is None:
                value = _Value(f"{user}/{key}", self.backend.load(user, key))
                self._values[ident] = value
            return value

    def _persist(self, user: str, key: str, value: _Value, partial: bool) -> None:
        """Write the replica to the backend: only its dirty ranges if `partial` allows it."""
        if not value.exists:
            return
        if partial and not value.dirty.whole:
            parts = [
                (start, value.buffer.read(start, min(end, value.size) - start))
                for start, end in value.dirty.spans
                if start < value.size
            ]
            if parts:
                self.backend.save_ranges(user, key, value.size, parts)
            value.dirty.clear()
            value.clean = None  # the durable bytes changed: `unchanged` can no longer tell
            return
        with value.buffer.view(0, value.size) as data:
            self.backend.save(user, key, data)
        value.saved()

    # -- whole values -----------------------------------------------------------------------

    def get(self, user: str, key: str) -> bytes:
        with self._replica(user, key) as value:
            return value.buffer.read(0, value.size)

    def _replace(
        self, user: str, key: str, length: int, fill: Callable[[SharedBuffer], None]
    ) -> None:
        check_range(key, length, 0, length)
        self._changed = True
        with self._replica(user, key) as value:
            value.resize(length, overwritten=True)
            fill(value.buffer)
            value.dirty.mark_whole()

    def set(self, user: str, key: str, data: bytes) -> None:
        self._replace(user, key, len(data), lambda buffer: buffer.write(0, data))

    def set_from(self, user: str, key: str, address: int, length: int) -> None:
        self._replace(user, key, length, lambda buffer: buffer.copy_in(0, address, length))

    def size(self, user: str, key: str) -> int:
        value = self._values.get((user, key))
        if value is None:
            return self.backend.size(check_user(user), check_key(key))
        with value:
            return value.size

    # -- ranges -----------------------------------------------------------------------------

    def read_to(
        self,
        user: str,
        key: str,
        offset: int,
        length: int,
        address: int,
        total: int | None = None,
    ) -> int:
        value = self._values.get((user, key))
        if total is None:  # a whole-value read: zeros past the end
            check_range(key, offset + length, offset, length)
        else:
            size = self.backend.size(user, key) if value is None else value.size
            check_range(key, total, offset, length, size)
        if value is None:  # not replicated here: read only the range, as GETRANGE would
            data = self.backend.read_range(check_user(user), check_key(key), offset, length)
            ctypes.memmove(address, data, len(data))
            if len(data) < length:
                ctypes.memset(address + len(data), 0, length - len(data))
            return self.backend.size(user, key)
        with value:
            value.read_to(offset, length, address)
            return value.size

    def read(self, user: str, key: str, total: int, offset: int, length: int) -> bytes:
        check_range(key, total, offset, length, self.size(user, key))  # before allocating
        out = bytearray(length)
        target = (ctypes.c_char * length).from_buffer(out)
        self.read_to(user, key, offset, length, ctypes.addressof(target), total)
        del target  # releases the export of `out`
        return bytes(out)

    def _patch(
        self,
        user: str,
        key: str,
        total: int,
        offset: int,
        length: int,
        fill: Callable[[SharedBuffer], None],
    ) -> None:
        self._changed = True
        with self._replica(user, key) as value:
            check_range(key, total, offset, length, value.size)
            value.grow_to(total)
            fill(value.buffer)
            value.dirty.add(offset, offset + length)

    def write(self, user: str, key: str, total: int, offset: int, data: bytes) -> None:
        self._patch(user, key, total, offset, len(data), lambda b: b.write(offset, data))

    def write_from(
        self, user: str, key: str, total: int, offset: int, address: int, length: int
    ) -> None:
        self._patch(user, key, total, offset, length, lambda b: b.copy_in(offset, address, length))

    # -- shared pages -----------------------------------------------------------------------

    def map_shared(self, user: str, key: str, total: int, address: int) -> None:
        check_range(key, total, 0, total)
        if total <= 0:
            raise StateError(f"state key {key!r}: a pointer needs a total length above 0")
        self._changed = True
        with self._replica(user, key) as value:
            value.grow_to(total)
            try:
                value.buffer.map_at(address, round_to_pages(total))
            except (OSError, ValueError) as error:
                raise StateError(f"could not map state key {key!r}: {error}") from error
            value.mapping_added()

    def unmap_shared(self, user: str, key: str, address: int, length: int) -> None:
        unmap_at(address, length)
        value = self._values.get((user, key))
        if value is not None:
            with value:
                value.mapped = max(0, value.mapped - 1)

    # -- durability -------------------------------------------------------------------------

    def flag_dirty(self, user: str, key: str, total: int, offset: int, length: int) -> None:
        self._changed = True
        with self._replica(user, key) as value:
            check_range(key, total, offset, length, value.size)
            value.grow_to(total)
            value.dirty.add(offset, offset + length)

    def push(self, user: str, key: str) -> None:
        with self._replica(user, key) as value:
            self._persist(user, key, value, partial=False)

    def push_partial(self, user: str, key: str) -> None:
        with self._replica(user, key) as value:
            self._persist(user, key, value, partial=True)

    def push_partial_mask(self, user: str, key: str, mask_key: str) -> None:
        mask = self.get(user, mask_key)
        with self._replica(user, key) as value:
            if len(mask) != value.size:
                raise StateError(
                    f"state key {key!r} has {value.size} bytes but its mask {mask_key!r} has "
                    f"{len(mask)}: a mask must be the same size as the value"
                )
            parts = [
                (m.start(), value.buffer.read(m.start(), m.end() - m.start()))
                for m in _NONZERO.finditer(mask)
            ]
            if parts:
                self.backend.save_ranges(user, key, value.size, parts)
            value.dirty.clear()
            value.clean = None  # the durable bytes changed: `unchanged` can no longer tell

    def pull(self, user: str, key: str) -> None:
        with self._replica(user, key) as value:
            data = self.backend.load(user, key)
            if data is None:
                return
            value.resize(len(data), overwritten=True)
            value.buffer.write(0, data)
            value.saved()

    def flush(self) -> None:
        if not self._changed:
            return
        self._changed = False
        with self._lock:
            items = list(self._values.items())
        for (user, key), value in items:
            with value:
                if value.mapped:  # pointer writes stay invisible until it is unmapped
                    self._changed = True
                if not value.unsaved:
                    continue
                if value.unchanged():
                    value.touched = value.mapped > 0
                    continue
                whole = value.touched or value.mapped > 0
                self._persist(user, key, value, partial=not whole)

    # -- appended elements ------------------------------------------------------------------

    def append(self, user: str, key: str, data: bytes) -> None:
        check_range(key, len(data), 0, len(data))
        self.backend.append(user, key, data)

    def read_appended(self, user: str, key: str, count: int) -> list[bytes]:
        if count < 0:
            raise StateError(f"state key {key!r}: cannot read {count} appended elements")
        elements = self.backend.read_appended(user, key, count)
        if len(elements) < count:
            raise StateError(
                f"state key {key!r} has {len(elements)} appended elements, {count} requested"
            )
        return elements

    def clear_appended(self, user: str, key: str) -> None:
        self.backend.clear_appended(user, key)

    # -- locks ------------------------------------------------------------------------------

    def _rwlock(self, user: str, key: str) -> ReadWriteLock:
        ident = (check_user(user), check_key(key))
        with self._lock:
            return self._rwlocks.setdefault(ident, ReadWriteLock())

    @staticmethod
    def _granted(lease: Lease | None, kind: str, key: str, timeout: float) -> Lease:
        if lease is None:
            raise StateError(
                f"timed out after {timeout:g} s waiting for the {kind} lock of state key {key!r}"
            )
        return lease

    def lock_global(self, user: str, key: str, timeout: float) -> Lease:
        lease = self.backend.lock(user, key, timeout, self._keeper.ttl)
        return self._keeper.keep(self._granted(lease, "global", key, timeout))

    def lock_read(self, user: str, key: str, timeout: float) -> Lease:
        lease = read_lease(self._rwlock(user, key), timeout)
        return self._granted(lease, "read", key, timeout)

    def lock_write(self, user: str, key: str, timeout: float) -> Lease:
        lease = write_lease(self._rwlock(user, key), timeout)
        return self._granted(lease, "write", key, timeout)

    # -- administration ---------------------------------------------------------------------

    def delete(self, user: str, key: str) -> None:
        ident = (check_user(user), check_key(key))
        with self._lock:
            self._values.pop(ident, None)  # a call still using the old replica writes to it alone
        self.backend.delete(user, key)

    def keys(self, user: str) -> list[str]:
        check_user(user)
        with self._lock:
            local = {k for (u, k), v in self._values.items() if u == user and v.exists}
        return sorted(local.union(self.backend.keys(user)))

    def close(self) -> None:
        self.flush()
        with self._lock:
            values, self._values = list(self._values.values()), {}
        for value in values:
            with value:
                value.buffer.close()
        self._keeper.close()
        self.backend.close()


class LocalStateStore(ReplicatedStateStore):
    """The embedded runtime's store: replicas in memory, durable values in files under `root`."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = root if root is not None else config.cache_dir() / config.STATE_CACHE
        super().__init__(DiskBackend(self.root))
