"""What only the Redis backend has to show: its keys, dead holders' locks, Redis going away and
coming back, streamed values, and two workers' stores exchanging a value."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Iterator

import pytest
import redis
from support import RedisServer, free_port

from faasm_cli.cluster import keys
from faasm_cli.cluster.redis_state import RedisBackend, redacted
from faasm_cli.errors import BadConfig, FaasmError, InvalidName
from faasm_cli.runtime.errors import CallFailed, StateUnavailable
from faasm_cli.runtime.state.store import ReplicatedStateStore

MIB = 1 << 20


@pytest.fixture
def backend(redis_url: str) -> Iterator[RedisBackend]:
    opened = RedisBackend(redis_url)
    yield opened
    opened.close()


@pytest.fixture
def client(redis_server: RedisServer, redis_url: str) -> Iterator[redis.Redis]:
    opened = redis_server.client()
    yield opened
    opened.close()


# ---- keys and users ------------------------------------------------------------------------------


def test_values_and_lists_live_under_their_users_keys(
    backend: RedisBackend, client: redis.Redis
) -> None:
    backend.save("alice", "v.1", b"alice's")
    backend.append("alice", "log", b"entry")
    backend.save("bob", "v.1", b"bob's")
    assert client.get("faasm:state:alice:v.1") == b"alice's"
    assert client.lrange("faasm:append:alice:log", 0, -1) == [b"entry"]
    assert (backend.keys("alice"), backend.keys("bob"), backend.keys("carol")) == (
        ["log", "v.1"],
        ["v.1"],
        [],
    )
    assert backend.load("bob", "v.1") == b"bob's" and backend.load("carol", "v.1") is None


@pytest.mark.parametrize(
    ("user", "key"), [("alice:v", "1"), ("al*", "v.1"), ("alice", "v:1"), ("alice", "*")]
)
def test_names_that_could_reach_other_keys_are_rejected(
    backend: RedisBackend, user: str, key: str
) -> None:
    backend.save("alice", "v.1", b"secret")
    attempts: list[Callable[[], object]] = [
        lambda: backend.load(user, key),
        lambda: backend.save(user, key, b"x"),
        lambda: backend.write_chunks(user, key, [b"x"]),
        lambda: backend.read_chunks(user, key),
        lambda: backend.lock(user, key, 0.1, 1),
    ]
    if user != "alice":
        attempts.append(lambda: backend.keys(user))
    for attempt in attempts:
        with pytest.raises(InvalidName):
            attempt()
    assert backend.load("alice", "v.1") == b"secret"


def test_partial_pushes_keep_a_longer_value_and_zero_extend_a_shorter_one(
    backend: RedisBackend,
) -> None:
    backend.save("demo", "v", b"0123456789")
    backend.save_ranges("demo", "v", 4, [(0, b"ab"), (8, b"X")])
    assert backend.load("demo", "v") == b"ab234567X9"
    backend.save_ranges("demo", "v", 14, [(1, b"c")])
    assert backend.load("demo", "v") == b"ac234567X9\0\0\0\0"
    backend.save_ranges("demo", "new", 6, [(2, b"z")])
    assert backend.load("demo", "new") == b"\0\0z\0\0\0"
    assert backend.read_range("demo", "new", 2, 0) == b""
    assert backend.read_range("demo", "new", 1, 100) == b"\0z\0\0\0"
    assert backend.read_appended("demo", "none", 0) == []


# ---- locks ---------------------------------------------------------------------------------------

_HOLDER = textwrap.dedent(
    """
    import sys, time
    from faasm_cli.cluster.redis_state import RedisBackend
    lease = RedisBackend(sys.argv[1]).lock("demo", "k", 5, float(sys.argv[2]))
    print(lease.token, flush=True)
    time.sleep(600)
    """
)


def test_a_lock_whose_holder_was_killed_frees_itself_after_its_ttl(
    backend: RedisBackend, redis_url: str
) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, redis_url, "1.5"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None
        token = holder.stdout.readline().strip()
        assert len(token) == 32
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait(10)
        killed = time.monotonic()
        assert backend.lock("demo", "k", 0.2, 5) is None  # still held: it has not expired yet
        lease = backend.lock("demo", "k", 5, 5)
        freed = time.monotonic() - killed
    finally:
        holder.kill()
        holder.wait(10)
    assert lease is not None and lease.token != token
    assert 0.5 < freed < 3.0, freed
    lease.release()


def test_a_lease_can_be_released_by_another_thread(backend: RedisBackend) -> None:
    lease = backend.lock("demo", "k", 1, 10)
    assert lease is not None
    thread = threading.Thread(target=lease.release)
    thread.start()
    thread.join(5)
    again = backend.lock("demo", "k", 0.05, 10)
    assert again is not None
    again.release()


# ---- Redis down and back -------------------------------------------------------------------------


def test_redis_stopped_is_state_unavailable_then_the_same_backend_works_again(
    redis_server: RedisServer, redis_url: str
) -> None:
    backend = RedisBackend(redis_url)
    store = ReplicatedStateStore(backend)
    store.set("demo", "k", b"before")
    store.push("demo", "k")
    redis_server.stop()
    try:
        for attempt in (
            lambda: backend.load("demo", "k"),
            lambda: store.push("demo", "k"),
            lambda: store.lock_global("demo", "k", 1),
            lambda: store.append("demo", "log", b"x"),
            lambda: backend.keys("demo"),
        ):
            with pytest.raises(StateUnavailable) as caught:
                attempt()
            error = caught.value
            assert isinstance(error, CallFailed) and isinstance(error, FaasmError)
            assert error.message.startswith(f"Redis at {redis_url} failed: ")
            assert "connecting to 127.0.0.1" in error.message
            assert "\n" not in str(error)
            assert error.hint == "start Redis (`faasm cluster up`) or fix the cluster's Redis URL"
    finally:
        redis_server.start()
    # A restarted Redis (no persistence) is empty; the same objects carry on.
    assert backend.load("demo", "k") is None
    store.push("demo", "k")
    assert backend.load("demo", "k") == b"before"
    store.lock_global("demo", "k", 1).release()
    backend.close()


def test_a_url_keeps_its_password_out_of_messages() -> None:
    assert redacted("redis://user:s3cret@10.0.0.1:6380/2") == "redis://user:***@10.0.0.1:6380/2"
    assert redacted("redis://127.0.0.1:6379/0") == "redis://127.0.0.1:6379/0"
    port = free_port()
    unreachable = RedisBackend(f"redis://:s3cret@127.0.0.1:{port}/0")
    with pytest.raises(StateUnavailable) as caught:
        unreachable.size("demo", "k")
    assert "s3cret" not in str(caught.value)
    assert str(caught.value).startswith(f"Redis at redis://:***@127.0.0.1:{port}/0 failed: ")


def test_bad_urls_and_text_clients_are_config_errors(redis_url: str) -> None:
    with pytest.raises(BadConfig) as caught:
        RedisBackend("http://127.0.0.1:6379")
    assert caught.value.message.startswith("invalid Redis URL 'http://127.0.0.1:6379': ")
    assert caught.value.hint == "use redis://HOST:PORT/DB"
    text_client = redis.Redis.from_url(redis_url, decode_responses=True)
    with pytest.raises(BadConfig, match="decodes responses to text"):
        RedisBackend(text_client)
    text_client.close()


def test_close_closes_only_what_the_backend_opened(client: redis.Redis) -> None:
    given = RedisBackend(client)
    assert given.url == f"redis://127.0.0.1:{client.connection_pool.connection_kwargs['port']}/0"
    given.save("demo", "k", b"v")
    given.close()
    assert client.get(keys.state("demo", "k")) == b"v"  # the caller's client still works


# ---- streams for the upload server ---------------------------------------------------------------


def test_chunks_are_written_and_read_back_in_pieces(
    backend: RedisBackend, client: redis.Redis
) -> None:
    parts = [bytes([i]) * (MIB // 2 + i) for i in range(7)]
    assert backend.write_chunks("demo", "big", iter(parts)) == sum(map(len, parts))
    assert client.ttl(keys.state("demo", "big")) == -1  # the scratch key's expiry did not stay
    pieces = backend.read_chunks("demo", "big", chunk_size=MIB)
    assert pieces is not None
    received = list(pieces)
    assert [len(p) for p in received[:-1]] == [MIB] * (len(received) - 1)
    assert b"".join(received) == b"".join(parts)
    assert client.keys("faasm:state-tmp:*") == []  # the read's snapshot is gone
    assert backend.keys("demo") == ["big"]


def test_small_empty_and_absent_values_read_back(backend: RedisBackend) -> None:
    assert backend.read_chunks("demo", "absent") is None
    assert backend.write_chunks("demo", "small", [b"ab", b"", b"c"]) == 3
    assert list(backend.read_chunks("demo", "small") or ["missing"]) == [b"abc"]
    assert backend.write_chunks("demo", "empty", []) == 0
    assert list(backend.read_chunks("demo", "empty") or ["missing"]) == []
    assert backend.keys("demo") == ["empty", "small"]


def test_a_failed_upload_leaves_the_old_value_and_no_scratch_key(
    backend: RedisBackend, client: redis.Redis
) -> None:
    backend.save("demo", "k", b"old")

    def broken() -> Iterator[bytes]:
        yield b"new" * 1000
        raise ConnectionResetError("client went away")

    with pytest.raises(ConnectionResetError):
        backend.write_chunks("demo", "k", broken())
    assert backend.load("demo", "k") == b"old"
    assert client.keys("faasm:state-tmp:*") == []


def test_a_read_in_pieces_sees_one_version_while_writers_replace_the_value(
    backend: RedisBackend,
) -> None:
    size = 4 * MIB
    backend.write_chunks("demo", "v", [b"A" * size])
    stop = threading.Event()

    def writer() -> None:
        i = 0
        while not stop.is_set():
            fill = b"B" if i % 2 else b"A"
            backend.write_chunks("demo", "v", (fill * MIB for _ in range(4)))
            i += 1

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        seen: set[bytes] = set()
        for _ in range(20):
            pieces = backend.read_chunks("demo", "v", chunk_size=MIB // 4)
            assert pieces is not None
            data = b"".join(pieces)
            assert len(data) == size and data.count(data[:1]) == size  # never two versions
            seen.add(data[:1])
    finally:
        stop.set()
        thread.join(10)
    assert seen <= {b"A", b"B"}


# ---- two workers ---------------------------------------------------------------------------------


def test_two_workers_stores_push_and_pull_a_mebibyte(redis_url: str) -> None:
    first = ReplicatedStateStore(RedisBackend(redis_url))
    second = ReplicatedStateStore(RedisBackend(redis_url))
    value = bytes(range(256)) * (MIB // 256)
    first.set("demo", "mib", value)
    first.push("demo", "mib")
    assert second.get("demo", "mib") == value
    second.write("demo", "mib", MIB, MIB - 4, b"tail")
    second.push_partial("demo", "mib")
    first.pull("demo", "mib")
    assert first.get("demo", "mib") == value[:-4] + b"tail"
    first.close()
    second.close()
