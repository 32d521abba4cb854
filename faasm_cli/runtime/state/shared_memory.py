"""Zero-copy shared state: each value's bytes live in a memfd mapped into every guest that asks.

Faasm shares state between colocated functions by mapping the same host pages into each
instance's linear memory. We do the same: a value is a memfd (sized to whole pages); the host reads
and writes it through one `mmap` of its own, and `map_at` maps the same pages `MAP_SHARED |
MAP_FIXED` over a page-aligned region of a guest's linear memory (wasmtime reserves the whole 4 GiB
of a 32-bit memory up front, so the region's host address never moves when the guest grows its
memory). A write through any mapping is seen by every other one, with no copy.

A memfd never shrinks: a guest may have any of its pages mapped, and touching a mapped page past
the end of the file would be a SIGBUS in the guest.
"""

from __future__ import annotations

import ctypes
import errno
import mmap
import os
import weakref
from collections.abc import Iterator
from contextlib import contextmanager

PAGE_SIZE = mmap.PAGESIZE

_PROT_READ_WRITE = mmap.PROT_READ | mmap.PROT_WRITE
_MAP_FIXED = 0x10  # Linux; the mmap module does not export it
_MAP_POPULATE = getattr(mmap, "MAP_POPULATE", 0x8000)  # prefault: one call, not a fault a page
_POPULATE_MAX = 64 << 20  # beyond this, fault pages in as the guest touches them
_MAP_FAILED = ctypes.c_void_p(-1).value

_libc = ctypes.CDLL(None, use_errno=True)
_libc.mmap.restype = ctypes.c_void_p
_libc.mmap.argtypes = [
    ctypes.c_void_p,
    ctypes.c_size_t,
    ctypes.c_int,
    ctypes.c_int,
    ctypes.c_int,
    ctypes.c_long,
]
_libc.memcmp.restype = ctypes.c_int
_libc.memcmp.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t]


def round_to_pages(length: int) -> int:
    """The smallest whole number of pages holding `length` bytes (at least one page)."""
    return max(PAGE_SIZE, -(-length // PAGE_SIZE) * PAGE_SIZE)


def _map_fixed(address: int, length: int, flags: int, fd: int) -> None:
    """mmap exactly at `address`, or raise: a mapping anywhere else would be a silent bug."""
    if address % PAGE_SIZE or length % PAGE_SIZE or length <= 0:
        raise ValueError(f"mapping at {address:#x} of {length} bytes is not page aligned")
    result = _libc.mmap(address, length, _PROT_READ_WRITE, flags | _MAP_FIXED, fd, 0)
    if result is None or result == _MAP_FAILED or result != address:
        code = ctypes.get_errno()
        raise OSError(code, f"mmap at {address:#x} failed: {os.strerror(code)}")


def unmap_at(address: int, length: int) -> None:
    """Give a guest region back its own private zeroed pages, detaching it from shared state.

    The region stays valid guest memory (the instance still owns it), but later writes to it,
    e.g. a snapshot restore, no longer reach the shared value.
    """
    _map_fixed(address, length, mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS, -1)


class SharedBuffer:
    """One value's pages: a memfd the host accesses through its own mapping and guests map.

    Not thread-safe by itself: the state store serialises access to each value, so a resize never
    races a copy.
    """

    def __init__(self, name: str, capacity: int = 0) -> None:
        self._fd = os.memfd_create(f"faasm-state:{name}", os.MFD_CLOEXEC)
        self._close_fd = weakref.finalize(self, os.close, self._fd)  # also when dropped unclosed
        self._capacity = 0
        self._map: mmap.mmap | None = None
        self._view: ctypes.Array[ctypes.c_char] | None = None
        self._base = 0  # host address of the host mapping
        self.ensure_capacity(capacity)

    @property
    def capacity(self) -> int:
        """Bytes the memfd holds: a whole number of pages."""
        return self._capacity

    @property
    def closed(self) -> bool:
        return self._fd < 0

    def _host(self) -> mmap.mmap:
        if self._map is None:
            raise OSError(errno.EBADF, "shared state buffer is closed")
        return self._map

    def ensure_capacity(self, length: int) -> None:
        """Grow the memfd (never shrink it) so it holds at least `length` bytes."""
        wanted = round_to_pages(length)
        if self.closed:
            raise OSError(errno.EBADF, "shared state buffer is closed")
        if wanted <= self._capacity:
            return
        os.ftruncate(self._fd, wanted)
        self._release_host_map()
        self._map = mmap.mmap(self._fd, wanted)
        self._view = (ctypes.c_char * wanted).from_buffer(self._map)
        self._base = ctypes.addressof(self._view)
        self._capacity = wanted

    def _release_host_map(self) -> None:
        self._view = None  # drops the buffer export so the mmap can close
        self._base = 0
        if self._map is not None:
            self._map.close()
            self._map = None

    def _check(self, offset: int, length: int) -> None:
        """Reject a range outside the buffer (a closed buffer has capacity 0)."""
        if offset < 0 or length < 0 or offset + length > self._capacity:
            raise ValueError(
                f"range {offset}+{length} outside shared buffer of {self._capacity} bytes"
            )

    def read(self, offset: int, length: int) -> bytes:
        self._check(offset, length)
        return self._host()[offset : offset + length]

    @contextmanager
    def view(self, offset: int, length: int) -> Iterator[memoryview]:
        """A no-copy view of a range, for writing it to a file; released on exit."""
        self._check(offset, length)
        with memoryview(self._host()) as whole, whole[offset : offset + length] as part:
            yield part

    def write(self, offset: int, data: bytes | bytearray | memoryview) -> None:
        self._check(offset, len(data))
        self._host()[offset : offset + len(data)] = data

    def equals(self, offset: int, data: bytes) -> bool:
        """Whether the bytes at `offset` are `data` (one memcmp, no copy)."""
        self._check(offset, len(data))
        return not data or _libc.memcmp(self._base + offset, data, len(data)) == 0

    def zero(self, offset: int, length: int) -> None:
        self._check(offset, length)
        if length:
            ctypes.memset(self._base + offset, 0, length)

    def copy_out(self, offset: int, address: int, length: int) -> None:
        """memcpy `length` bytes at `offset` to a host address (e.g. guest memory): one copy."""
        self._check(offset, length)
        if length:
            ctypes.memmove(address, self._base + offset, length)

    def copy_in(self, offset: int, address: int, length: int) -> None:
        """memcpy `length` bytes from a host address (e.g. guest memory) to `offset`."""
        self._check(offset, length)
        if length:
            ctypes.memmove(self._base + offset, address, length)

    def map_at(self, address: int, length: int) -> None:
        """Map the first `length` bytes (whole pages, within capacity) at a guest's address."""
        if self.closed:
            raise OSError(errno.EBADF, "shared state buffer is closed")
        if length > self._capacity:
            raise ValueError(f"cannot map {length} bytes of a {self._capacity}-byte buffer")
        populate = _MAP_POPULATE if length <= _POPULATE_MAX else 0
        _map_fixed(address, length, mmap.MAP_SHARED | populate, self._fd)

    def close(self) -> None:
        """Drop the host's mapping and fd; pages stay alive while a guest still maps them."""
        if self.closed:
            return
        self._release_host_map()
        self._close_fd()
        self._fd = -1
        self._capacity = 0
