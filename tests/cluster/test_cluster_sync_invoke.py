"""Sync calls a worker runs at once (the short path): numbered from the worker's block, nothing in
Redis but their result, stored before the answer and never announced; short functions run on the
event loop, long ones never hold it. Real Redis, real worker processes."""

from __future__ import annotations

import concurrent.futures
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis
from runtime_wat import output_of, spin, wat_function
from support import LocalCluster, local_cluster

from faasm_cli.cluster import keys

HELLO = wat_function(output_of(8, 12), extra='(data (i32.const 8) "Hello faasm!")')
CLIENT_ID = 1 << 30
# A new connection per request: the kernel picks the worker that accepts it.
FRESH = httpx.Client(limits=httpx.Limits(max_keepalive_connections=0), timeout=60.0)


@pytest.fixture
def cluster(redis_url: str, tmp_path: Path, isolated_cache: Path) -> Iterator[LocalCluster]:
    # One worker: with two, a call reaching the one without hello warm is handed to the other
    # (announced, as it is awaited) while that one has a thread free.
    with local_cluster(redis_url, tmp_path, isolated_cache / "cluster", workers=1) as running:
        running.upload("demo", "hello", HELLO)
        yield running


def _sync(cluster: LocalCluster, **extra: object) -> dict[str, object]:
    body = {"user": "demo", "function": "hello", **extra}
    answer = FRESH.post(cluster.invoke_url + "/", json=body, headers={"Accept": "application/json"})
    assert answer.status_code == 200, answer.text
    document: dict[str, object] = answer.json()
    return document


def test_warm_sync_calls_leave_only_their_result_and_are_read_back_at_once(
    cluster: LocalCluster,
) -> None:
    client = redis.Redis.from_url(cluster.config.redis_url)
    _sync(cluster)  # warm
    ids = []
    for _ in range(20):
        document = _sync(cluster, id=CLIENT_ID, input_data="ignored")  # its id is not kept
        call_id = document["id"]
        assert isinstance(call_id, int) and call_id != CLIENT_ID
        assert document["output_data"] == "Hello faasm!"
        status = FRESH.post(cluster.invoke_url + "/", json={"status": True, "id": call_id})
        assert status.text == "SUCCESS: Hello faasm!"  # stored before the answer, any worker
        # Nothing but the result: no record, no claim (nobody knew the id while it ran).
        assert not client.exists(keys.call(call_id), keys.started(call_id))
        ids.append(call_id)
    assert len(set(ids)) == len(ids)
    assert int(client.get(keys.CALL_IDS) or 0) >= max(ids)  # drawn from the cluster's counter
    assert not client.smembers(keys.running("w0"))
    stats = client.hgetall(keys.worker_stats("w0"))
    assert stats[b"served"] == b"21"  # counted before the answer, with the result
    assert stats[b"in_flight"] == b"0" and stats[b"here"] == b"0"


def test_sync_calls_run_here_are_not_announced(cluster: LocalCluster) -> None:
    _sync(cluster)  # warm
    pubsub = redis.Redis.from_url(cluster.config.redis_url).pubsub(ignore_subscribe_messages=True)
    pubsub.subscribe(keys.RESULTS_CHANNEL)
    time.sleep(0.2)
    ids = {_sync(cluster)["id"] for _ in range(10)}
    announced = []
    deadline = time.monotonic() + 1.0
    while time.monotonic() < deadline:
        event = pubsub.get_message(timeout=0.1)
        if event is not None:
            announced.append(int(event["data"]))
    pubsub.close()
    assert not ids & set(announced)


# Spins for about a second, then outputs "slow".
SLOW = wat_function(spin(1_000_000_000) + output_of(8, 4), extra='(data (i32.const 8) "slow")')


def test_a_long_function_never_holds_the_event_loop(cluster: LocalCluster) -> None:
    cluster.upload("demo", "slow", SLOW)
    _sync(cluster)  # hello is short: its next calls run on the event loop
    assert _sync(cluster, function="slow")["output_data"] == "slow"  # long: threads only
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        slow = pool.submit(_sync, cluster, function="slow")
        time.sleep(0.1)  # it is running
        for _ in range(5):
            start = time.monotonic()
            assert _sync(cluster)["output_data"] == "Hello faasm!"  # on the loop, meanwhile
            assert FRESH.get(cluster.invoke_url + "/ping").text == "PONG"
            assert time.monotonic() - start < 0.5
        assert not slow.done()  # the loop answered while the long call ran
        assert slow.result()["output_data"] == "slow"
