"""Results in a real Redis: stored with a TTL and announced, read without being consumed, waited
for through pub/sub."""

from __future__ import annotations

import threading
import time

import pytest
import redis

from faasm_cli.cluster import keys, results
from faasm_cli.errors import NotFound
from faasm_cli.message import Message
from faasm_cli.runtime.result import CallResult, ChainedCall


def _result(call_id: int, **fields: object) -> CallResult:
    request = Message(id=call_id, user="demo", function="hello", input_data=b"in")
    values: dict[str, object] = {"output_data": b"out", "call_id": call_id, "request": request}
    values.update(fields)
    return CallResult(**values)  # type: ignore[arg-type]


def _store(client: redis.Redis, result: CallResult, ttl_s: float = 60) -> None:
    with client.pipeline() as pipe:
        results.store(pipe, result, ttl_s)
        pipe.execute()


def test_result_json_round_trips_with_its_tree() -> None:
    leaf = ChainedCall(9, "demo", "g", 1, 2, 0.1, True, "trap")
    result = _result(7, output_data=b"\xff\x00", return_value=3, stdout="o", finish_timestamp=5.0)
    result.chained = [ChainedCall(8, "demo", "f", 0, 0, 0.2, False, None, [leaf])]
    parsed = CallResult.from_json(result.to_json())
    assert parsed.to_json() == result.to_json()
    assert parsed.chained[0].children[0].error == "trap"
    assert parsed.output_data == b"\xff\x00"


def test_status_reads_leave_the_result(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    client.set(keys.call(5), "{}")
    assert results.read_status(client, 5).line == "RUNNING"
    _store(client, _result(5))
    assert results.read_status(client, 5).line == "SUCCESS: out"
    assert results.read_status(client, 5).line == "SUCCESS: out"
    _store(client, _result(6, return_value=4))
    assert results.read_status(client, 6).line == "FAILED: Non-zero exit code: 4"
    _store(client, _result(7, failed=True, error="out of memory", return_value=1))
    assert results.read_status(client, 7).line == "FAILED: out of memory"
    with pytest.raises(NotFound, match="no call 8"):
        results.read_status(client, 8)


def test_results_expire(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    _store(client, _result(5), ttl_s=0.05)
    time.sleep(0.2)
    with pytest.raises(NotFound):
        results.read_status(client, 5)


def test_waiter_wakes_on_publish_not_on_recheck(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    waiter = results.ResultWaiter(client)
    try:
        assert waiter.subscribed.wait(5)
        assert waiter.wait(11, timeout=0.05) is None
        timer = threading.Timer(0.05, _store, (redis.Redis.from_url(redis_url), _result(11)))
        start = time.monotonic()
        timer.start()
        result = waiter.wait(11, timeout=5)
        elapsed = time.monotonic() - start
        assert result is not None and result.output_data == b"out"
        assert elapsed < results.RECHECK_S  # woken by the PUBLISH, not the periodic re-check
    finally:
        waiter.close()


def test_waiter_passes_other_channels_to_their_handler(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    seen: list[str] = []
    got = threading.Event()
    waiter = results.ResultWaiter(
        client, {keys.FUNCTIONS_CHANNEL: lambda data: (seen.append(data), got.set())}
    )
    try:
        assert waiter.subscribed.wait(5)
        client.publish(keys.FUNCTIONS_CHANNEL, "demo/hello")
        assert got.wait(5)
        assert seen == ["demo/hello"]
    finally:
        waiter.close()
