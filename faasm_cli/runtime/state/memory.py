"""State kept in this process only: the in-memory `StateBackend` and the store over it.

For embedding and tests that want no files (`Runtime(state_store=MemoryStateStore())`), and the
reference of the backend protocol with Redis's semantics, leases included: a global lock is an
owner token with an expiry, as `SET key token NX PX ttl` makes it; release and renew act only
while the token still owns the lock (the compare-and-delete / compare-and-expire scripts), so an
owner that died or stalled past its expiry cannot free or extend a lock someone else now holds.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence

from faasm_cli.names import check_key, check_user
from faasm_cli.runtime.state.locks import Lease, new_token
from faasm_cli.runtime.state.store import ReplicatedStateStore


class MemoryBackend:
    """Values, appended lists and expiring global locks in dictionaries."""

    def __init__(self) -> None:
        self._values: dict[tuple[str, str], bytes] = {}
        self._appended: dict[tuple[str, str], list[bytes]] = {}
        self._owners: dict[tuple[str, str], tuple[str, float]] = {}  # token, expiry
        self._cond = threading.Condition()

    @staticmethod
    def _ident(user: str, key: str) -> tuple[str, str]:
        return check_user(user), check_key(key)

    def load(self, user: str, key: str) -> bytes | None:
        with self._cond:
            return self._values.get(self._ident(user, key))

    def size(self, user: str, key: str) -> int:
        with self._cond:
            return len(self._values.get(self._ident(user, key), b""))

    def read_range(self, user: str, key: str, offset: int, length: int) -> bytes:
        with self._cond:
            return self._values.get(self._ident(user, key), b"")[offset : offset + length]

    def save(self, user: str, key: str, data: bytes | bytearray | memoryview) -> None:
        with self._cond:
            self._values[self._ident(user, key)] = bytes(data)

    def save_ranges(
        self, user: str, key: str, size: int, parts: Sequence[tuple[int, bytes]]
    ) -> None:
        ident = self._ident(user, key)
        with self._cond:
            current = self._values.get(ident, b"")
            merged = bytearray(max(len(current), size))
            merged[: len(current)] = current
            for offset, data in parts:
                merged[offset : offset + len(data)] = data
            self._values[ident] = bytes(merged)

    def append(self, user: str, key: str, data: bytes) -> None:
        with self._cond:
            self._appended.setdefault(self._ident(user, key), []).append(bytes(data))

    def read_appended(self, user: str, key: str, count: int) -> list[bytes]:
        with self._cond:
            return list(self._appended.get(self._ident(user, key), [])[:count])

    def clear_appended(self, user: str, key: str) -> None:
        with self._cond:
            self._appended.pop(self._ident(user, key), None)

    def lock(self, user: str, key: str, timeout: float, ttl: float) -> Lease | None:
        ident = self._ident(user, key)
        token = new_token()
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                now = time.monotonic()
                owner = self._owners.get(ident)
                if owner is None or owner[1] <= now:  # free, or its owner's lease expired
                    self._owners[ident] = (token, now + ttl)
                    break
                if now >= deadline:
                    return None
                self._cond.wait(min(deadline, owner[1]) - now)
        return Lease(
            lambda: self._release(ident, token),
            token,
            now + ttl,
            lambda more: self._renew(ident, token, more),
        )

    def _release(self, ident: tuple[str, str], token: str) -> None:
        with self._cond:
            owner = self._owners.get(ident)
            if owner is not None and owner[0] == token:
                del self._owners[ident]
                self._cond.notify_all()

    def _renew(self, ident: tuple[str, str], token: str, ttl: float) -> bool:
        with self._cond:
            owner = self._owners.get(ident)
            now = time.monotonic()
            if owner is None or owner[0] != token or owner[1] <= now:
                return False
            self._owners[ident] = (token, now + ttl)
            return True

    def delete(self, user: str, key: str) -> None:
        ident = self._ident(user, key)
        with self._cond:
            self._values.pop(ident, None)
            self._appended.pop(ident, None)

    def keys(self, user: str) -> list[str]:
        user = check_user(user)
        with self._cond:
            names = {k for u, k in self._values if u == user}
            names.update(k for u, k in self._appended if u == user)
        return sorted(names)

    def close(self) -> None:
        with self._cond:
            self._values.clear()
            self._appended.clear()
            self._owners.clear()


class MemoryStateStore(ReplicatedStateStore):
    """A store whose values live as long as it does: nothing is written to disk."""

    def __init__(self) -> None:
        super().__init__(MemoryBackend())
