"""Calls survive what a cluster meets: a worker SIGKILLed mid-call, a thousand async calls, a
worker leaving with SIGTERM, Redis restarted under load. Real Redis, real worker processes."""

from __future__ import annotations

import concurrent.futures
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis
from runtime_wat import SLOW_ECHO, output_of, wat_function
from support import LocalCluster, RedisServer, local_cluster

from faasm_cli.cluster import keys

# Outputs its input.
ECHO = wat_function("""
  (call $write_output (i32.const 64) (call $read_input (i32.const 64) (i32.const 1024)))
  (i32.const 0)""")
HELLO = wat_function(output_of(8, 12), extra='(data (i32.const 8) "Hello faasm!")')


@pytest.fixture
def cluster(redis_url: str, tmp_path: Path, isolated_cache: Path) -> Iterator[LocalCluster]:
    with local_cluster(redis_url, tmp_path, isolated_cache / "cluster", workers=3) as running:
        for name, wasm in {"echo": ECHO, "slow": SLOW_ECHO, "hello": HELLO}.items():
            running.upload("demo", name, wasm)
        yield running


# A new connection per request: the kernel picks the worker that accepts it.
FRESH = httpx.Client(limits=httpx.Limits(max_keepalive_connections=0), timeout=60.0)


def _submit(cluster: LocalCluster, function: str, data: str) -> int:
    answer = FRESH.post(
        cluster.invoke_url + "/",
        json={"user": "demo", "function": function, "input_data": data, "async": True},
    )
    assert answer.status_code == 200, answer.text
    return int(answer.text)


def _results(cluster: LocalCluster, ids: list[int], bound_s: float) -> dict[int, dict[str, object]]:
    """Every call's result document, waiting at most `bound_s` for all of them to end."""
    client = redis.Redis.from_url(cluster.config.redis_url)
    deadline = time.monotonic() + bound_s
    done: dict[int, dict[str, object]] = {}
    while len(done) < len(ids):
        for call_id in ids:
            if call_id not in done and client.exists(keys.result(call_id)):
                done[call_id] = cluster.invoke(status=True, id=call_id, json=True).json()
        if len(done) < len(ids):
            left = [i for i in ids if i not in done]
            assert time.monotonic() < deadline, f"{len(left)} calls still RUNNING: {left[:10]}"
            time.sleep(0.1)
    return done


def test_a_worker_killed_mid_calls_loses_none_of_them(cluster: LocalCluster) -> None:
    ids = [_submit(cluster, "slow", f"call {n}") for n in range(24)]
    client = redis.Redis.from_url(cluster.config.redis_url)
    deadline = time.monotonic() + 30
    while not client.scard(keys.running("w1")):
        assert time.monotonic() < deadline, "w1 never ran a call"
        time.sleep(0.01)
    victims = {int(n) for n in client.smembers(keys.running("w1"))}
    cluster.kill("w1")
    results = _results(cluster, ids, bound_s=60)
    for call_id, document in results.items():
        assert document["failed"] is False, document
        assert document["output_data"] == f"call {ids.index(call_id)}"
        if call_id in victims:  # run again by a live worker
            assert document["exec_host"] in {"w0", "w2"}
    assert not client.hexists(keys.WORKERS, "w1")  # the reaper removed the dead worker
    assert "worker w1 is dead" in cluster.log("w0") + cluster.log("w2")


def test_a_call_whose_worker_keeps_dying_fails_after_three_attempts(
    cluster: LocalCluster,
) -> None:
    client = redis.Redis.from_url(cluster.config.redis_url)
    call_id = _submit(cluster, "slow", "doomed")
    for attempt in range(3):
        deadline = time.monotonic() + 30
        while True:  # until a live worker runs it
            owner = (client.get(keys.started(call_id)) or b"").decode()
            if owner in cluster.workers and client.sismember(keys.running(owner), call_id):
                break
            assert time.monotonic() < deadline, f"attempt {attempt} never started"
            time.sleep(0.005)
        cluster.kill(owner)
        cluster.start_worker(f"{owner}-again{attempt}")
    document = _results(cluster, [call_id], bound_s=30)[call_id]
    assert document["failed"] is True
    assert document["error"] == "its worker died 3 times"
    assert cluster.invoke(status=True, id=call_id).text == "FAILED: its worker died 3 times"


def test_a_thousand_async_calls_give_a_thousand_results(cluster: LocalCluster) -> None:
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        ids = list(pool.map(lambda n: _submit(cluster, "echo", f"n={n}"), range(1000)))
    assert len(set(ids)) == 1000
    results = _results(cluster, ids, bound_s=120)
    outputs = [results[call_id]["output_data"] for call_id in ids]
    assert outputs == [f"n={n}" for n in range(1000)]  # 0 lost, 0 duplicated, none mixed up
    assert {document["exec_host"] for document in results.values()} == {"w0", "w1", "w2"}


def test_a_worker_stopped_with_sigterm_hands_its_queue_over(cluster: LocalCluster) -> None:
    ids = [_submit(cluster, "slow", f"q{n}") for n in range(18)]
    assert cluster.stop("w2") == 0
    results = _results(cluster, ids, bound_s=60)
    assert all(document["failed"] is False for document in results.values())
    client = redis.Redis.from_url(cluster.config.redis_url)
    assert not client.hexists(keys.WORKERS, "w2") and not client.exists(keys.queue("w2"))
    assert "w2 left the cluster" in cluster.log("w2")


def test_redis_restarted_under_load(cluster: LocalCluster, redis_server: RedisServer) -> None:
    def call() -> httpx.Response:
        return FRESH.post(cluster.invoke_url + "/", json={"user": "demo", "function": "hello"})

    assert call().text == "Hello faasm!\n"
    loading = threading.Event()
    seen: list[int] = []

    def load() -> None:  # sync calls all along, through the stop and the start
        while not loading.is_set():
            seen.append(call().status_code)

    loader = threading.Thread(target=load)
    loader.start()
    time.sleep(0.3)
    redis_server.stop()
    try:
        down = [call() for _ in range(5)]
        for answer in down:
            assert answer.status_code == 503, answer.text
            assert answer.text.startswith("Redis is unreachable (") and "\n" not in answer.text
    finally:
        redis_server.start()
    deadline = time.monotonic() + 30
    while True:  # the same worker processes serve again, with nothing restarted
        answer = call()
        if answer.status_code == 200:
            break
        assert time.monotonic() < deadline, answer.text
        time.sleep(0.2)
    assert answer.text == "Hello faasm!\n"
    time.sleep(0.3)
    loading.set()
    loader.join(30)
    assert set(seen) == {200, 503} and seen[-1] == 200  # served, refused clearly, served again
    ids = [_submit(cluster, "echo", f"after {n}") for n in range(30)]
    results = _results(cluster, ids, bound_s=30)
    assert [results[i]["output_data"] for i in ids] == [f"after {n}" for n in range(30)]
    assert all(process.poll() is None for process in cluster.workers.values())
