"""The cluster fixtures start what they say: a real Redis, emptied between tests."""

from __future__ import annotations

import redis


def test_redis_is_real_and_empty(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    assert client.dbsize() == 0
    client.set("faasm:probe", b"1")
    assert client.get("faasm:probe") == b"1"
    assert client.info("server")["redis_version"].startswith("7.")
