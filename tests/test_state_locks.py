"""State locks: the reader-writer lock within a runtime and the global lock across processes."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from faasm_cli.runtime.state.locks import ReadWriteLock
from faasm_cli.runtime.state.memory import MemoryBackend, MemoryStateStore
from faasm_cli.runtime.state.store import (
    LocalStateStore,
    ReplicatedStateStore,
    StateBackend,
    StateError,
)


@pytest.fixture
def store(tmp_path: Path) -> ReplicatedStateStore:
    """tests/cluster/test_cluster_state_contract.py runs the tests using it over Redis."""
    return LocalStateStore(tmp_path / "state")


@pytest.fixture
def expiring_backend() -> StateBackend:
    """A backend whose leases expire (the disk's `flock` never does); Redis in the cluster."""
    return MemoryBackend()


def test_readers_share_and_writers_exclude() -> None:
    lock = ReadWriteLock()
    assert lock.acquire_read(0.1)
    assert lock.acquire_read(0.1)
    assert not lock.acquire_write(0.05)
    lock.release_read()
    assert not lock.acquire_write(0.05)
    lock.release_read()
    assert lock.acquire_write(0.1)
    assert not lock.acquire_read(0.05)
    assert not lock.acquire_write(0.05)
    lock.release_write()
    assert lock.acquire_read(0.1)
    lock.release_read()


def test_a_waiting_writer_holds_back_new_readers() -> None:
    lock = ReadWriteLock()
    assert lock.acquire_read(0.1)
    got_write = threading.Event()

    def writer() -> None:
        if lock.acquire_write(5):
            got_write.set()
            lock.release_write()

    thread = threading.Thread(target=writer)
    thread.start()
    time.sleep(0.05)
    assert not lock.acquire_read(0.05)  # would starve the writer
    lock.release_read()
    thread.join(5)
    assert got_write.is_set()
    assert lock.acquire_read(0.1)


def test_releasing_an_unheld_lock_is_an_error() -> None:
    lock = ReadWriteLock()
    with pytest.raises(RuntimeError):
        lock.release_read()
    with pytest.raises(RuntimeError):
        lock.release_write()


def test_store_lock_timeouts_name_the_key(tmp_path: Path) -> None:
    store = LocalStateStore(tmp_path / "state")
    write = store.lock_write("demo", "k", 0.1)
    with pytest.raises(
        StateError,
        match=r"timed out after 0\.05 s waiting for the read lock "
        r"of state key 'k'",
    ):
        store.lock_read("demo", "k", 0.05)
    write.release()
    write.release()  # a lease releases once however often it is called
    read = store.lock_read("demo", "k", 0.1)
    assert store.lock_read("demo", "other", 0.1).held
    read.release()
    assert not read.held


def test_global_lock_excludes_threads_of_one_process(store: ReplicatedStateStore) -> None:
    lease = store.lock_global("demo", "k", 0.1)
    outcome: list[str] = []
    thread = threading.Thread(target=lambda: outcome.append(_try_global(store, 0.1)))
    thread.start()
    thread.join(5)
    assert outcome == ["timed out"]
    lease.release()
    assert _try_global(store, 0.5) == "locked"
    assert store.lock_global("demo", "other", 0.1).held  # per key


def _try_global(store: ReplicatedStateStore, timeout: float) -> str:
    try:
        store.lock_global("demo", "k", timeout).release()
    except StateError:
        return "timed out"
    return "locked"


_HOLDER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from faasm_cli.runtime.state.store import LocalStateStore
    lease = LocalStateStore(Path(sys.argv[1])).lock_global("demo", "k", 5)
    print("locked", flush=True)
    time.sleep(float(sys.argv[2]))
    lease.release()
    print("released", flush=True)
    time.sleep(60)
    """
)


def _holder(root: Path, hold_s: float) -> subprocess.Popen[str]:
    child = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(root), str(hold_s)], stdout=subprocess.PIPE, text=True
    )
    assert child.stdout is not None and child.stdout.readline().strip() == "locked"
    return child


def test_global_lock_excludes_another_process_until_it_releases(tmp_path: Path) -> None:
    root = tmp_path / "state"
    child = _holder(root, 0.6)
    try:
        store = LocalStateStore(root)
        with pytest.raises(StateError, match="waiting for the global lock of state key 'k'"):
            store.lock_global("demo", "k", 0.1)
        start = time.monotonic()
        lease = store.lock_global("demo", "k", 10)
        waited = time.monotonic() - start
        assert child.stdout is not None and child.stdout.readline().strip() == "released"
        assert 0.2 < waited < 5
        lease.release()
    finally:
        child.kill()
        child.wait(10)


def test_global_lock_of_a_killed_process_is_released(tmp_path: Path) -> None:
    root = tmp_path / "state"
    child = _holder(root, 60)
    store = LocalStateStore(root)
    with pytest.raises(StateError):
        store.lock_global("demo", "k", 0.05)
    child.kill()
    child.wait(10)
    store.lock_global("demo", "k", 2).release()


def test_a_lease_of_a_dead_owner_expires_and_its_late_release_frees_nothing(
    expiring_backend: StateBackend,
) -> None:
    backend = expiring_backend
    dead = backend.lock("demo", "k", timeout=1, ttl=0.2)  # its owner never releases it
    assert dead is not None and dead.held
    start = time.monotonic()
    assert backend.lock("demo", "k", timeout=0.05, ttl=5) is None
    taken = backend.lock("demo", "k", timeout=2, ttl=5)
    assert taken is not None and 0.15 < time.monotonic() - start < 1.5
    assert not dead.held and taken.token != dead.token
    dead.release()  # compare-and-delete: the lock is someone else's now
    assert backend.lock("demo", "k", timeout=0.05, ttl=5) is None
    assert not dead.renew(5)
    taken.release()
    again = backend.lock("demo", "k", timeout=0.05, ttl=5)
    assert again is not None
    again.release()


def test_renewing_keeps_a_lease_past_its_first_expiry(expiring_backend: StateBackend) -> None:
    backend = expiring_backend
    lease = backend.lock("demo", "k", timeout=1, ttl=0.2)
    assert lease is not None
    for _ in range(4):
        time.sleep(0.1)
        assert lease.renew(0.2)
    assert lease.held
    assert backend.lock("demo", "k", timeout=0.05, ttl=1) is None
    lease.release()
    assert not lease.held and not lease.renew(1)


def test_global_leases_carry_distinct_owner_tokens(store: ReplicatedStateStore) -> None:
    for each in (store, MemoryStateStore()):
        first = each.lock_global("demo", "k", 1)
        first.release()
        second = each.lock_global("demo", "k", 1)
        assert first.token and second.token and first.token != second.token
        assert second.held and second.renew(10)
        second.release()
        assert not second.held
