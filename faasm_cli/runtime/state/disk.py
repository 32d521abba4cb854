"""The durable side of local state: one directory per user under the state root.

Layout under `root/USER/`: `values/KEY` (a value, replaced atomically: written to `tmp/`, synced,
then renamed over the old one, so a crash leaves the old or the new value, never a torn one),
`appended/KEY` (length-prefixed elements added with single `O_APPEND` writes; a torn trailing
record left by a crash is ignored), `locks/KEY` (global locks, `flock`), `merge/KEY` (serialises
partial pushes of one key across processes). User and key are validated before they become paths.
This is the local stand-in for Redis: each method maps onto one Redis command or a short script.
A failing file system (permissions, disk full) is `StateUnavailable`, as an unreachable Redis is.
"""

from __future__ import annotations

import contextlib
import functools
import os
import struct
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Concatenate, ParamSpec, TypeVar

from faasm_cli.names import check_key, check_user
from faasm_cli.runtime.errors import StateUnavailable
from faasm_cli.runtime.state.locks import Lease, file_lease

P = ParamSpec("P")
R = TypeVar("R")

_RECORD_HEADER = struct.Struct("<I")
_MERGE_TIMEOUT_S = 60.0


def _storage(
    method: Callable[Concatenate[DiskBackend, P], R],
) -> Callable[Concatenate[DiskBackend, P], R]:
    """Report a file-system failure as the backend being unavailable, naming the directory."""

    def wrapped(self: DiskBackend, /, *args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return method(self, *args, **kwargs)
        except OSError as error:
            raise StateUnavailable(
                f"state storage under {self.root} failed: {error}",
                "check that the directory is writable and the disk is not full",
            ) from error

    functools.update_wrapper(wrapped, method)
    return wrapped


class DiskBackend:
    """Durable values, appended elements and global locks in files under `root`."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _folder(self, user: str, kind: str, create: bool = True) -> Path:
        folder = self.root / check_user(user) / kind
        if create:
            folder.mkdir(parents=True, exist_ok=True)
        return folder

    def _path(self, user: str, kind: str, key: str, create: bool = True) -> Path:
        """The file of `key`; only writers create folders, so reads leave no trace."""
        return self._folder(user, kind, create) / check_key(key)

    @_storage
    def load(self, user: str, key: str) -> bytes | None:
        """The stored value, or None when the key has none."""
        try:
            return self._path(user, "values", key, create=False).read_bytes()
        except FileNotFoundError:
            return None

    @_storage
    def size(self, user: str, key: str) -> int:
        """The stored value's length (0 when absent), without reading it."""
        try:
            return self._path(user, "values", key, create=False).stat().st_size
        except FileNotFoundError:
            return 0

    @_storage
    def read_range(self, user: str, key: str, offset: int, length: int) -> bytes:
        """Up to `length` bytes from `offset` (fewer past the end), without reading the rest."""
        try:
            fd = os.open(self._path(user, "values", key, create=False), os.O_RDONLY | os.O_CLOEXEC)
        except FileNotFoundError:
            return b""
        try:
            return os.pread(fd, length, offset)
        finally:
            os.close(fd)

    @_storage
    def save(self, user: str, key: str, data: bytes | bytearray | memoryview) -> None:
        """Replace the stored value atomically (tmp file, fsync, rename)."""
        target = self._path(user, "values", key)
        fd, tmp = tempfile.mkstemp(prefix=f"{key}.", suffix=".tmp", dir=self._folder(user, "tmp"))
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, target)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise

    @_storage
    def save_ranges(
        self, user: str, key: str, size: int, parts: Sequence[tuple[int, bytes]]
    ) -> None:
        """Overwrite only `parts` (offset, bytes) of the stored value, keeping the rest.

        The stored value is extended with zeros to at least `size`; concurrent partial pushes of
        the same key from other processes are serialised so neither loses the other's ranges.
        """
        lease = file_lease(self._path(user, "merge", key), _MERGE_TIMEOUT_S)
        if lease is None:
            raise TimeoutError(f"timed out merging a partial push of state key {key!r}")
        try:
            current = self.load(user, key) or b""
            merged = bytearray(max(len(current), size))
            merged[: len(current)] = current
            for offset, data in parts:
                merged[offset : offset + len(data)] = data
            self.save(user, key, merged)
        finally:
            lease.release()

    @_storage
    def append(self, user: str, key: str, data: bytes) -> None:
        """Add one element at the end of the key's appended list (one write: no interleaving)."""
        path = self._path(user, "appended", key)
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            os.write(fd, _RECORD_HEADER.pack(len(data)) + data)
        finally:
            os.close(fd)

    @_storage
    def read_appended(self, user: str, key: str, count: int) -> list[bytes]:
        """Up to `count` elements from the start of the appended list, in append order."""
        try:
            raw = self._path(user, "appended", key, create=False).read_bytes()
        except FileNotFoundError:
            return []
        elements: list[bytes] = []
        pos = 0
        while len(elements) < count and pos + _RECORD_HEADER.size <= len(raw):
            (length,) = _RECORD_HEADER.unpack_from(raw, pos)
            start = pos + _RECORD_HEADER.size
            if start + length > len(raw):
                break  # torn trailing record from a crash
            elements.append(raw[start : start + length])
            pos = start + length
        return elements

    @_storage
    def clear_appended(self, user: str, key: str) -> None:
        self._path(user, "appended", key, create=False).unlink(missing_ok=True)

    @_storage
    def lock(self, user: str, key: str, timeout: float, ttl: float) -> Lease | None:
        """The key's global lock, or None on timeout. A `flock` needs no `ttl`: the kernel
        releases it when the owner's process dies."""
        return file_lease(self._path(user, "locks", key), timeout)

    @_storage
    def delete(self, user: str, key: str) -> None:
        """Forget the key's value and appended elements (its lock file stays: it may be held)."""
        self._path(user, "values", key, create=False).unlink(missing_ok=True)
        self.clear_appended(user, key)

    @_storage
    def keys(self, user: str) -> list[str]:
        """Keys of `user` with a stored value or appended elements."""
        base = self.root / check_user(user)
        names: set[str] = set()
        for kind in ("values", "appended"):
            folder = base / kind
            if folder.is_dir():
                names.update(p.name for p in folder.iterdir())
        return sorted(names)

    def close(self) -> None:
        """Nothing to release: every method opens and closes its own files."""
