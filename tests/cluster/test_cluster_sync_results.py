"""What a worker's own sync calls need of Redis: ids from reserved blocks, and results stored in
batches before they are answered (also across a Redis restart). Real Redis."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
import redis
from support import RedisServer

from faasm_cli.cluster import keys
from faasm_cli.cluster.call_ids import MAX_CALL_ID, IdBlock, new_call_id
from faasm_cli.cluster.sync_results import RETRY_S, SyncResults
from faasm_cli.errors import ClusterUnavailable
from faasm_cli.message import Message
from faasm_cli.runtime.result import CallResult


def _take(block: IdBlock) -> int:
    while (call_id := block.take()) is None:
        block.refill()
    return call_id


def test_ids_from_blocks_and_single_ids_never_collide(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    first, second = IdBlock(client, size=8), IdBlock(client, size=8)
    assert first.take() is None  # nothing reserved yet: the caller refills, off the loop
    ids = []
    for _ in range(30):
        ids += [_take(first), _take(second), new_call_id(client)]
    assert len(set(ids)) == len(ids) == 90
    assert min(ids) >= 1 and int(client.get(keys.CALL_IDS) or 0) >= max(ids)


def test_block_ids_stay_within_int32_and_skip_zero(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    client.set(keys.CALL_IDS, MAX_CALL_ID - 3)
    block = IdBlock(client, size=8)
    assert [_take(block) for _ in range(7)] == [MAX_CALL_ID - 2, MAX_CALL_ID - 1, 1, 2, 3, 4, 5]


def _result(call_id: int) -> CallResult:
    message = Message(user="demo", function="hello", id=call_id)
    return CallResult(
        return_value=0, output_data=b"out %d" % call_id, call_id=call_id, request=message
    )


def test_results_are_stored_with_the_counters_before_they_are_answered(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    writer = SyncResults(redis_url, "w0", ttl_s=60.0, here=lambda: 3)

    async def store_all() -> None:
        await asyncio.gather(*(writer.store(_result(n)) for n in range(1, 6)))

    asyncio.run(store_all())
    for n in range(1, 6):
        document = json.loads(client.get(keys.result(n)) or b"{}")
        assert document["output_data"] == f"out {n}"
        assert 0 < client.pttl(keys.result(n)) <= 60_000
    assert client.hgetall(keys.worker_stats("w0")) == {b"served": b"5", b"here": b"3"}


def test_a_refused_write_answers_unavailable_and_is_stored_once_redis_is_back(
    redis_url: str, redis_server: RedisServer
) -> None:
    writer = SyncResults(redis_url, "w0", ttl_s=60.0, here=lambda: 0)

    async def outage() -> None:
        await writer.store(_result(1))  # connected
        redis_server.stop()
        try:
            with pytest.raises(ClusterUnavailable, match=r"^Redis is unreachable \("):
                await writer.store(_result(2))
            assert writer.down
        finally:
            redis_server.start()
        deadline = time.monotonic() + 10
        while writer.down:  # retried every RETRY_S until Redis takes it
            assert time.monotonic() < deadline, "never stored after Redis came back"
            await asyncio.sleep(RETRY_S / 5)

    asyncio.run(outage())
    client = redis.Redis.from_url(redis_url)
    document = json.loads(client.get(keys.result(2)) or b"{}")
    assert document["output_data"] == "out 2"  # Redis restarted empty: stored late, not lost
