"""Fixtures of the cluster tests: one real Redis per session, flushed after each test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from support import RedisServer, running_redis


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    with running_redis(tmp_path_factory.mktemp("redis")) as server:
        yield server


@pytest.fixture
def redis_url(redis_server: RedisServer) -> Iterator[str]:
    """The URL of a real, empty Redis; emptied again after the test."""
    client = redis_server.client()
    client.flushall()
    yield redis_server.url
    client.flushall()
    client.close()
