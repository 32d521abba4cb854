"""Global locks on Redis with short leases (issue 7: "a lock whose holder died frees itself"): a
SIGKILLed holder's lock is taken by another process within the lease's time to live, while a
live holder keeps its lock for as long as it likes, its store's keeper renewing the lease."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator

import pytest

from faasm_cli.cluster.redis_state import RedisBackend
from faasm_cli.runtime.state.locks import LEASE_TTL_S
from faasm_cli.runtime.state.memory import MemoryBackend
from faasm_cli.runtime.state.store import ReplicatedStateStore, StateError

_HOLDER = textwrap.dedent(
    """
    import sys
    from faasm_cli.cluster.redis_state import RedisBackend
    from faasm_cli.runtime.state.store import ReplicatedStateStore

    url, ttl = sys.argv[1], float(sys.argv[2])
    store = ReplicatedStateStore(RedisBackend(url), lease_ttl=ttl)
    lease = store.lock_global("demo", "k", 5)
    print("held", flush=True)
    sys.stdin.readline()
    lease.release()
    print("released", flush=True)
    store.close()
    """
)


@pytest.fixture
def holder(redis_url: str, request: pytest.FixtureRequest) -> Iterator[subprocess.Popen[str]]:
    """A process that takes demo/k's global lock (lease time to live: the test's param) and
    holds it until it reads a line."""
    child = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, redis_url, str(request.param)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "held"
        yield child
    finally:
        child.kill()
        child.wait(10)


@pytest.mark.parametrize("holder", [LEASE_TTL_S], indirect=True)
def test_the_lock_of_a_sigkilled_holder_is_taken_within_the_lease_time_to_live(
    holder: subprocess.Popen[str], redis_url: str
) -> None:
    store = ReplicatedStateStore(RedisBackend(redis_url))
    try:
        time.sleep(LEASE_TTL_S / 2)  # the holder's keeper has renewed the lease by now
        with pytest.raises(StateError, match=r"timed out after 0\.1 s waiting for the global lock"):
            store.lock_global("demo", "k", 0.1)
        holder.send_signal(signal.SIGKILL)
        holder.wait(10)
        killed = time.monotonic()
        lease = store.lock_global("demo", "k", LEASE_TTL_S + 5)
        waited = time.monotonic() - killed
        lease.release()
    finally:
        store.close()
    # Freed by Redis's expiry (the last renewal was at most a third of the time to live before
    # the kill), not by the 600 s lease this replaced, nor at once.
    assert LEASE_TTL_S / 2 < waited < LEASE_TTL_S + 1.0, waited


@pytest.mark.parametrize("holder", [1.0], indirect=True)
def test_a_live_holder_keeps_its_lock_past_several_times_to_live(
    holder: subprocess.Popen[str], redis_url: str
) -> None:
    store = ReplicatedStateStore(RedisBackend(redis_url))
    try:
        started = time.monotonic()
        with pytest.raises(StateError):
            store.lock_global("demo", "k", 4.0)  # four times the holder's time to live
        assert time.monotonic() - started > 3.9
        assert holder.stdin is not None and holder.stdout is not None
        holder.stdin.write("release\n")
        holder.stdin.flush()
        assert holder.stdout.readline().strip() == "released"
        started = time.monotonic()
        store.lock_global("demo", "k", 2.0).release()
        assert time.monotonic() - started < 0.5  # released by its holder, not expired
    finally:
        store.close()


def test_a_lock_released_by_its_call_is_not_renewed_afterwards(redis_url: str) -> None:
    backend = RedisBackend(redis_url)
    store = ReplicatedStateStore(backend, lease_ttl=0.3)
    try:
        lease = store.lock_global("demo", "k", 1)
        time.sleep(0.5)  # renewed at least once
        assert lease.held
        lease.release()
        other = backend.lock("demo", "k", 0.1, 0.3)  # taken by another owner at once
        assert other is not None
        time.sleep(0.5)  # the keeper's next rounds do not extend the other owner's lock...
        third = backend.lock("demo", "k", 0.05, 0.3)  # ...so it expired on time
        assert third is not None and not other.renew(0.3)
        third.release()
    finally:
        store.close()


def test_the_in_memory_store_keeps_held_leases_alive_too() -> None:
    store = ReplicatedStateStore(MemoryBackend(), lease_ttl=0.2)
    lease = store.lock_global("demo", "k", 1)
    taken: list[bool] = []
    rival = threading.Thread(
        target=lambda: taken.append(store.backend.lock("demo", "k", 1.0, 0.2) is not None)
    )
    rival.start()
    rival.join(5)
    assert taken == [False] and lease.held
    lease.release()
    store.close()
