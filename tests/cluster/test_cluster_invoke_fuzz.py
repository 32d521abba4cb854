"""Fuzz the invoke endpoint of a real worker process from its own OpenAPI document
(schemathesis): whatever the message, it answers without a 5xx and the worker keeps serving.
Bounded: a fixed number of examples per route."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
import schemathesis
from support import (
    LocalCluster,
    RedisServer,
    call_without_server_error,
    fuzz_settings,
    local_cluster,
)

from faasm_cli.config import Project
from tests.helpers import build_or_skip

EXAMPLES_PER_ROUTE = 150


@pytest.fixture(scope="module")
def fuzzed_cluster(
    redis_server: RedisServer, tmp_path_factory: pytest.TempPathFactory, demo_project: Project
) -> Iterator[LocalCluster]:
    hello = build_or_skip(demo_project, "demo", ["hello"])["hello"]
    redis_server.client().flushall()
    work = tmp_path_factory.mktemp("fuzz-invoke")
    with local_cluster(redis_server.url, work, work / "cache", workers=1) as running:
        running.upload("demo", "hello", hello.read_bytes())
        yield running


@pytest.fixture(scope="module")
def invoke_schema(fuzzed_cluster: LocalCluster) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_url(f"{fuzzed_cluster.invoke_url}/openapi.json")


schema = schemathesis.pytest.from_fixture("invoke_schema")


@pytest.mark.timeout(300)
@schema.parametrize()
@fuzz_settings(EXAMPLES_PER_ROUTE)
def test_no_message_gets_a_server_error(case: schemathesis.Case) -> None:
    call_without_server_error(case)


def test_the_worker_still_serves_after_the_fuzzing(fuzzed_cluster: LocalCluster) -> None:
    answer = httpx.post(
        fuzzed_cluster.invoke_url + "/", json={"user": "demo", "function": "hello"}, timeout=30
    )
    assert (answer.status_code, answer.text) == (200, "Hello faasm!\n")
