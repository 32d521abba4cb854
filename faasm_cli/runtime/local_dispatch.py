"""The local `CallDispatcher`: chained calls run on this process's executor.

A top-level call that chains nothing costs the dispatcher nothing: the bookkeeping of a call tree
(its calls, who chained whom) is created on the first chain under a root and dropped when the
runtime collects the tree. Awaiting never deadlocks: whoever reaches an unstarted call first runs
it (see `executor.py`), whatever the pool size and however deep and wide the chains.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from faasm_cli.errors import FaasmError
from faasm_cli.message import Message
from faasm_cli.runtime.errors import CallFailed
from faasm_cli.runtime.executor import LocalExecutor, Task
from faasm_cli.runtime.result import CallResult, ChainedCall

if TYPE_CHECKING:
    from faasm_cli.runtime.runtime import Runtime


class _Chained:
    """A chained call: its message, the task that runs it, and once run, its result."""

    def __init__(self, message: Message, run: Callable[[], CallResult]) -> None:
        self.message = message
        self.result: CallResult | None = None
        self.task = Task(self._run)
        self._call = run

    def _run(self) -> None:
        self.result = self._call()


class _Tree:
    """The calls chained under one top-level call, and who chained whom."""

    def __init__(self) -> None:
        self.calls: dict[int, _Chained] = {}
        self.children: dict[int, list[int]] = {}


class LocalDispatcher:
    """Runs chained calls on a pool of `workers` threads, started on the first chain."""

    def __init__(self, runtime: Runtime, workers: int) -> None:
        self.runtime = runtime
        self.workers = workers
        self._executor: LocalExecutor | None = None
        self._trees: dict[int, _Tree] = {}
        self._root_of: dict[int, int] = {}
        self._lock = threading.Lock()

    def _pool(self) -> LocalExecutor:
        with self._lock:
            if self._executor is None:
                self._executor = LocalExecutor(self.workers)
            return self._executor

    def chain(self, message: Message) -> int:
        runtime = self.runtime
        if message.depth > runtime.max_chain_depth:
            raise CallFailed(f"chain depth limit of {runtime.max_chain_depth} reached")
        name = f"{message.user}/{message.function}"
        try:
            run = runtime.runner(message)
        except FaasmError as error:
            raise CallFailed(f"cannot chain to {name}: {error.message}") from None
        call_id = runtime.new_call_id()
        message = message.replaced(id=call_id)
        call = _Chained(message, lambda: run(message))
        parent = message.parent_id
        with self._lock:
            root = self._root_of.get(parent, parent)
            tree = self._trees.setdefault(root, _Tree())
            siblings = tree.children.setdefault(parent, [])
            if len(siblings) >= runtime.max_fanout:
                raise CallFailed(
                    f"fan-out limit of {runtime.max_fanout} chained calls per call reached"
                )
            siblings.append(call_id)
            tree.calls[call_id] = call
            self._root_of[call_id] = root
        self._pool().submit(call.task)
        return call_id

    def _find(self, call_id: int) -> _Chained | None:
        with self._lock:
            root = self._root_of.get(call_id)
            return None if root is None else self._trees[root].calls.get(call_id)

    def await_call(self, call_id: int) -> CallResult:
        call = self._find(call_id)
        if call is None:
            raise CallFailed(f"unknown call id {call_id}")
        self._pool().run_or_wait(call.task)
        assert call.result is not None
        return call.result

    def collect(self, root_id: int) -> list[ChainedCall]:
        # No lock to find the tree: the root has returned, so a tree it started already exists,
        # and a dict lookup is atomic. Most calls chain nothing and stop here.
        tree = self._trees.get(root_id)
        if tree is None:
            return []
        pool = self._pool()
        while True:
            with self._lock:
                pending = [c for c in tree.calls.values() if not c.task.done.is_set()]
            if not pending:
                break
            for call in pending:
                pool.run_or_wait(call.task)
        with self._lock:
            del self._trees[root_id]
            for call_id in tree.calls:
                del self._root_of[call_id]
        return _nodes(tree, root_id)

    def close(self) -> None:
        if self._executor is not None:
            self._executor.close()
        # The runtime holds this dispatcher: dropping the way back frees a closed runtime, and
        # the ~2,000 memory mappings of its engine's instance pool, at once instead of at the
        # next garbage collection (a test suite making runtimes otherwise nears vm.max_map_count).
        del self.runtime


def _nodes(tree: _Tree, parent: int) -> list[ChainedCall]:
    nodes = []
    for call_id in tree.children.get(parent, []):
        call = tree.calls[call_id]
        result = call.result
        assert result is not None
        nodes.append(ChainedCall.of(call.message, result, _nodes(tree, call_id)))
    return nodes
