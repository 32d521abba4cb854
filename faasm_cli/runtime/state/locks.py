"""Locks on state keys: a reader-writer lock within the runtime and a file lock across processes.

Every acquisition is bounded in time: a call blocked in a host function cannot be interrupted by
the runtime's timeout, so waiting forever for a lock held by a stuck call would hang the worker.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path


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


class Lease:
    """One held lock; `release` gives it back (once, however often it is called)."""

    def __init__(self, release: Callable[[], None]) -> None:
        self._release: Callable[[], None] | None = release

    @property
    def held(self) -> bool:
        return self._release is not None

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
