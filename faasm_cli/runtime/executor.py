"""The local executor of chained calls: a pool of big-stack threads that never deadlocks.

A chained call is a `Task` queued to the pool. Whoever gets to it first runs it: a worker that
dequeues it, or a thread that awaits it while it has not started yet (the awaiting thread claims
it and runs it inline). So every awaited call is either running somewhere or run by its awaiter,
whatever the pool size and however deep and wide the chains. Wasm runs without the GIL
(wasmtime-py calls through ctypes), so calls on different threads run in parallel.

Inline runs nest on the awaiting thread's stack, so workers get large stacks; a foreign thread
(the caller of `Runtime.call`) runs only a few levels inline and otherwise waits for the pool.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable

WORKER_STACK_BYTES = 256 << 20
FOREIGN_INLINE_DEPTH = 4
_PENDING, _RUNNING, _DONE = 0, 1, 2
_stack_size_lock = threading.Lock()
_local = threading.local()


class Task:
    """One call to run once, by whichever thread claims it first."""

    def __init__(self, action: Callable[[], None]) -> None:
        self._action = action
        self._state = _PENDING
        self._lock = threading.Lock()
        self.done = threading.Event()

    def claim(self) -> bool:
        with self._lock:
            if self._state != _PENDING:
                return False
            self._state = _RUNNING
            return True

    def run_claimed(self) -> None:
        try:
            self._action()
        finally:
            self._state = _DONE
            self.done.set()


class LocalExecutor:
    def __init__(self, workers: int) -> None:
        self._queue: queue.SimpleQueue[Task | None] = queue.SimpleQueue()
        self._threads = []
        with _stack_size_lock:
            previous = threading.stack_size(WORKER_STACK_BYTES)
            try:
                for n in range(workers):
                    thread = threading.Thread(
                        target=self._work, name=f"faasm-worker-{n}", daemon=True
                    )
                    thread.start()
                    self._threads.append(thread)
            finally:
                threading.stack_size(previous)

    def submit(self, task: Task) -> None:
        self._queue.put(task)

    def run_or_wait(self, task: Task) -> None:
        """Run `task` here if nobody started it (and this thread's stack allows), else wait."""
        if task.done.is_set():
            return
        depth = getattr(_local, "inline_depth", 0)
        allowed = getattr(_local, "worker", False) or depth < FOREIGN_INLINE_DEPTH
        if allowed and task.claim():
            _local.inline_depth = depth + 1
            try:
                task.run_claimed()
            finally:
                _local.inline_depth = depth
            return
        task.done.wait()

    def _work(self) -> None:
        _local.worker = True
        while True:
            task = self._queue.get()
            if task is None:
                return
            if task.claim():
                task.run_claimed()

    def close(self) -> None:
        for _ in self._threads:
            self._queue.put(None)
        for thread in self._threads:
            thread.join()
