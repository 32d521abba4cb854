"""Locks on state keys: a reader-writer lock within the runtime and a file lock across processes.

Every acquisition is bounded in time: a call blocked in a host function cannot be interrupted by
the runtime's timeout, so waiting forever for a lock held by a stuck call would hang the worker.

A held lock is a `Lease`. Global leases are designed for a shared store (Redis): each carries
an owner token and an expiry, so a lock whose owner died frees itself after its time to live;
`release` is compare-and-delete (an expired lease that someone else took is left alone) and
`renew` extends the lease only while the token still owns it. The store's `LeaseKeeper` renews
every lease it granted while the lease is held, so the time to live is short: it bounds how long
a dead holder's lock stays taken, not how long a live call may hold one. The local file lease
needs no expiry: the kernel drops a `flock` when its process dies.
"""

from __future__ import annotations

import fcntl
import math
import os
import secrets
import threading
import time
from collections.abc import Callable
from pathlib import Path

from faasm_cli.errors import FaasmError

LEASE_TTL_S = 10.0
"""How long a global lease lives unless renewed: how long the lock of a holder that died (a
killed worker) stays taken. A live holder's lease is renewed every third of it (`LeaseKeeper`)."""


class ReadWriteLock:
    """Many readers or one writer. A waiting writer blocks new readers, so writers never starve."""

    def __init__(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._readers = 0
        self._writer = False
        self._writers_waiting = 0

    def acquire_read(self, timeout: float) -> bool:
        with self._cond:
            ok = self._cond.wait_for(
                lambda: not self._writer and not self._writers_waiting, timeout
            )
            if ok:
                self._readers += 1
            return ok

    def release_read(self) -> None:
        with self._cond:
            if self._readers <= 0:
                raise RuntimeError("read lock released more often than taken")
            self._readers -= 1
            if not self._readers:
                self._cond.notify_all()

    def acquire_write(self, timeout: float) -> bool:
        with self._cond:
            self._writers_waiting += 1
            try:
                ok = self._cond.wait_for(lambda: not self._writer and not self._readers, timeout)
            finally:
                self._writers_waiting -= 1
            if ok:
                self._writer = True
            else:
                self._cond.notify_all()  # readers held back by this writer may go on
            return ok

    def release_write(self) -> None:
        with self._cond:
            if not self._writer:
                raise RuntimeError("write lock released but not held")
            self._writer = False
            self._cond.notify_all()


def new_token() -> str:
    """An owner token no other lease holds."""
    return secrets.token_hex(16)


class Lease:
    """One held lock; `release` gives it back (once, however often it is called).

    `token` names the owner; `expires_at` (monotonic seconds) is when a shared store may give
    the lock to someone else unless `renew` moved it on (inf: never, e.g. a `flock`).
    """

    def __init__(
        self,
        release: Callable[[], None],
        token: str = "",
        expires_at: float = math.inf,
        renew: Callable[[float], bool] | None = None,
    ) -> None:
        self._release: Callable[[], None] | None = release
        self.token = token or new_token()
        self.expires_at = expires_at
        self._renew = renew

    @property
    def held(self) -> bool:
        return self._release is not None and time.monotonic() < self.expires_at

    def renew(self, ttl: float) -> bool:
        """Keep the lock for `ttl` more seconds; False when it was released or lost."""
        if self._release is None:
            return False
        if self._renew is not None:
            if not self._renew(ttl):
                self._release = None
                return False
            self.expires_at = time.monotonic() + ttl
        return True

    def release(self) -> None:
        release, self._release = self._release, None
        if release is not None:
            release()


def read_lease(lock: ReadWriteLock, timeout: float) -> Lease | None:
    """A read lease, or None when the lock could not be had within `timeout` seconds."""
    return Lease(lock.release_read) if lock.acquire_read(timeout) else None


def write_lease(lock: ReadWriteLock, timeout: float) -> Lease | None:
    """A write lease, or None when the lock could not be had within `timeout` seconds."""
    return Lease(lock.release_write) if lock.acquire_write(timeout) else None


def file_lease(path: Path, timeout: float) -> Lease | None:
    """An exclusive `flock` on `path`, or None after `timeout` seconds.

    Each lease opens the file anew, so it also excludes other threads of this process (flock
    locks belong to the open file description); the kernel drops it if the process dies.
    """
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    deadline = time.monotonic() + timeout
    pause = 0.0005
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if time.monotonic() >= deadline:
                os.close(fd)
                return None
            time.sleep(pause)
            pause = min(pause * 2, 0.01)
        else:
            return Lease(lambda: os.close(fd))  # closing the fd releases the flock


class LeaseKeeper:
    """Renews every lease it keeps every third of `ttl` until the lease is released or lost.

    One thread for all of a store's leases (started with the first one), so a lease with a short
    time to live outlasts any call that holds it, and the lock of a process that died frees
    within `ttl`. A renewal the store cannot answer (`StateUnavailable`) is tried again next
    round: the lease is kept while the store comes back within its time to live.
    """

    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self._leases: dict[str, Lease] = {}
        self._cond = threading.Condition()
        self._closed = False
        self._thread: threading.Thread | None = None

    def keep(self, lease: Lease) -> Lease:
        """Renew `lease` until it is released; a lease that never expires is left alone."""
        if math.isinf(lease.expires_at):
            return lease
        with self._cond:
            if self._closed:
                raise RuntimeError("lease keeper used after close")
            idle = not self._leases  # else the thread's next round, due within ttl/3, takes it
            self._leases[lease.token] = lease
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="faasm-lease-keeper", daemon=True
                )
                self._thread.start()
            elif idle:
                self._cond.notify()
        return lease

    def close(self) -> None:
        """Stop renewing (held leases then expire after `ttl`)."""
        with self._cond:
            self._closed = True
            self._leases.clear()
            self._cond.notify()
            thread = self._thread
        if thread is not None:
            thread.join()

    def _run(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._closed or bool(self._leases))
                if self._closed:
                    return
                self._cond.wait(self.ttl / 3)
                if self._closed:
                    return
                leases = list(self._leases.values())
            lost = [lease.token for lease in leases if not self._renewed(lease)]
            with self._cond:
                for token in lost:
                    self._leases.pop(token, None)

    def _renewed(self, lease: Lease) -> bool:
        """False once the lease is released or lost (dropped); True otherwise."""
        try:
            return lease.renew(self.ttl)
        except FaasmError:
            return True
