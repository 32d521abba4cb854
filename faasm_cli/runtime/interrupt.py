"""Stopping a call at its deadline: guard pages and a watchdog (default), or epochs (fallback).

Guard pages: `prepare` puts a dead load from a small guard memory at every function entry and
loop header. One watchdog thread per runtime keeps a heap of the running calls' deadlines; at a
deadline it makes that call's guard pages inaccessible (`mprotect(PROT_NONE)`), so the call's next
check faults, and wasmtime's signal handler turns the fault into an out-of-bounds trap. The cost
while a call runs is one load per loop iteration; the flag `Watch.tripped` (and the faulting
address, inside the guard memory) tells a timeout from a genuine out-of-bounds access.
The watchdog and the call share one lock: the call disarms its watch (restoring the pages if they
were tripped) before its store is dropped, so a late trip can never protect memory that has been
freed or handed to another instance.

This relies on wasmtime behaviour that is not a documented API (wasm loads keep their trap
metadata, a fault in a guard memory is reported as a trap); wasmtime is pinned and
tests/test_interrupt.py checks it. Epochs (`EPOCH`) stay as the fallback: wasmtime checks an
epoch counter at every loop header and function entry (a load and a compare-and-branch), and a
ticker thread advances it.
"""

from __future__ import annotations

import _thread
import ctypes
import heapq
import itertools
import math
import os
import re
import threading
import time
from collections.abc import Callable

import wasmtime

from faasm_cli.errors import BadInput

GUARD, EPOCH = "guard", "epoch"
INTERRUPTIONS = (GUARD, EPOCH)
EPOCH_TICK_S = 0.005
PROT_NONE, PROT_READ_WRITE = 0, 3

_libc = ctypes.CDLL(None, use_errno=True)
_libc.mprotect.argtypes = (ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int)
_libc.mprotect.restype = ctypes.c_int
_HOST_PAGE = os.sysconf("SC_PAGE_SIZE")
_FAULT = re.compile(
    r"memory fault at wasm address 0x([0-9a-f]+) in linear memory of size 0x([0-9a-f]+)"
)


def check_interruption(mode: str) -> str:
    if mode not in INTERRUPTIONS:
        raise BadInput(
            f"unknown interruption mechanism {mode!r}", f"use one of: {', '.join(INTERRUPTIONS)}"
        )
    return mode


def start_thread(run: Callable[[], None]) -> _thread.LockType:
    """Run `run` on a new daemon thread; the lock returned is released when it returns (acquire
    it to join). Unlike `threading.Thread.start` this does not wait until the new thread has
    been scheduled, which on a loaded machine costs milliseconds of a one-call process."""
    exited = _thread.allocate_lock()
    exited.acquire()

    def main() -> None:
        try:
            run()
        finally:
            exited.release()

    _thread.start_new_thread(main, ())
    return exited


def _protect(address: int, length: int, prot: int) -> None:
    if _libc.mprotect(address, length, prot) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"mprotect of the guard pages failed: {os.strerror(errno)}")


class Watch:
    """One call's guard pages under the watchdog, from `Watchdog.arm` until `disarm`."""

    __slots__ = ("_watchdog", "address", "armed", "deadline", "early", "length", "tripped")

    def __init__(self, watchdog: Watchdog | None, address: int, length: int, deadline: float):
        self._watchdog = watchdog
        self.address = address
        self.length = length
        self.deadline = deadline
        self.armed = watchdog is not None
        self.tripped = False
        self.early = False  # tripped by `trip_all` before the deadline, not by the deadline

    def disarm(self) -> None:
        """The call is over: no trip from now on, and the pages are accessible again."""
        watchdog = self._watchdog
        if watchdog is not None:
            with watchdog.lock:
                if self.armed:
                    self.armed = False
                    watchdog.running -= 1
                    if self.tripped:
                        _protect(self.address, self.length, PROT_READ_WRITE)

    def stopped(self, failure: Exception) -> bool:
        """Whether `failure` is this watch's trip: the flag is set and the fault hit the guard
        memory (an address inside it, in a memory of its size)."""
        if not self.tripped:
            return False
        found = _FAULT.search(str(failure))
        return found is not None and (
            int(found.group(1), 16) < self.length and int(found.group(2), 16) == self.length
        )


class Watchdog:
    """One thread that trips each armed call's guard pages when its deadline passes.

    Every armed call is in the heap (with the calls disarmed since, until they reach its head or
    are swept): arming is one push and disarming one flag, both under `lock`, a plain lock so
    that taking it is one C call (the condition shares it)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self._cond = threading.Condition(self.lock)
        self._heap: list[tuple[float, int, Watch]] = []
        self.running = 0  # armed calls
        self._order = itertools.count()
        self._closed = False
        self._exited = start_thread(self._run)

    def arm(self, address: int, length: int, deadline: float) -> Watch:
        """Watch the guard pages at `address` (page-aligned, `length` bytes) until `deadline`
        (`time.monotonic()` seconds)."""
        if (address | length) % _HOST_PAGE:
            raise ValueError(f"guard pages must be page-aligned (0x{address:x}, {length})")
        watch = Watch(self, address, length, deadline)
        heap = self._heap
        with self.lock:
            self.running += 1
            heapq.heappush(heap, (deadline, next(self._order), watch))
            if heap[0][2] is watch:
                self._cond.notify()
            if len(heap) > 2 * self.running + 64:
                # Disarmed calls stay in the heap until their deadline; drop them in one go.
                heap[:] = [entry for entry in heap if entry[2].armed]
                heapq.heapify(heap)
        return watch

    def trip_all(self) -> None:
        """Stop every running call now (each fails as interrupted)."""
        with self.lock:
            for _, _, watch in self._heap:
                if watch.armed and not watch.tripped:
                    watch.early = True
                    self._trip(watch)

    def _trip(self, watch: Watch) -> None:
        # The pages are mapped while the watch is armed (the call disarms before its store is
        # dropped, under this lock), so mprotect cannot hit memory that was freed or reused.
        _protect(watch.address, watch.length, PROT_NONE)
        watch.tripped = True

    def _run(self) -> None:
        with self._cond:
            while not self._closed:
                now = time.monotonic()
                # Also drop finished calls at the head, so the next wait is for a running one.
                while self._heap and (self._heap[0][0] <= now or not self._heap[0][2].armed):
                    watch = heapq.heappop(self._heap)[2]
                    if watch.armed and not watch.tripped:
                        self._trip(watch)
                self._cond.wait(self._heap[0][0] - now if self._heap else None)

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify()
        self._exited.acquire()


class EpochTicker:
    """One thread per engine advancing the epoch, so a store's deadline is wall-clock time."""

    def __init__(self, engine: wasmtime.Engine, tick_s: float = EPOCH_TICK_S) -> None:
        self.engine = engine
        self.tick_s = tick_s
        self._start = time.monotonic()
        self._done = 0  # ticks given to the engine; the clock's count may be ahead of it
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="faasm-epoch", daemon=True)
        self._thread.start()

    def _due(self) -> int:
        return int((time.monotonic() - self._start) / self.tick_s)

    def ticks_for(self, seconds: float) -> int:
        """Ticks from the engine's epoch now until `seconds` have surely passed: the next tick
        may come at once, and ticks the thread still owes (it woke late) will come at once."""
        return math.ceil(seconds / self.tick_s) + 1 + max(0, self._due() - self._done)

    def _run(self) -> None:
        # The epoch follows the clock, not the number of wake-ups: on a loaded machine a wake-up
        # comes late, and counting them would stretch every deadline.
        while not self._stop.wait(self.tick_s):
            due = self._due()
            for _ in range(due - self._done):
                self.engine.increment_epoch()
            self._done = max(self._done, due)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def _unwatched(address: int, length: int, deadline: float) -> Watch:
    return Watch(None, 0, 0, deadline)


class Interruption:
    """How one runtime stops its calls at their deadlines, whichever mechanism it runs."""

    def __init__(self, engine: wasmtime.Engine, mode: str = GUARD) -> None:
        self.mode = check_interruption(mode)
        self._watchdog = Watchdog() if mode == GUARD else None
        self._ticker = EpochTicker(engine) if mode == EPOCH else None
        # Watch a call about to run until it disarms: arm(guard memory's host address, its
        # length, deadline). With epochs the span is unused, the store's deadline does the work.
        # The watchdog's own method, not a wrapper around it: this runs on every call.
        self.arm: Callable[[int, int, float], Watch] = (
            self._watchdog.arm if self._watchdog is not None else _unwatched
        )

    def limit(self, store: wasmtime.Store, timeout_s: float) -> float:
        """Put a new store under `timeout_s`; the deadline in `time.monotonic()` seconds."""
        if self._ticker is not None:
            store.set_epoch_deadline(self._ticker.ticks_for(timeout_s))
        return time.monotonic() + timeout_s

    def trip_all(self) -> None:
        """Stop every running call now. Guard pages only: with epochs calls run to their
        deadline."""
        if self._watchdog is not None:
            self._watchdog.trip_all()

    def close(self) -> None:
        if self._watchdog is not None:
            self._watchdog.close()
        if self._ticker is not None:
            self._ticker.stop()
