"""Fuzz the upload server from its own OpenAPI document (schemathesis): whatever the names,
headers and bodies, it answers without a 5xx. Bounded: a fixed number of examples per route."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from support import RedisServer, call_without_server_error, fuzz_settings
from upload_support import running_upload_server

EXAMPLES_PER_ROUTE = 100
# The raw bodies the routes document (wasm, Python source) are bytes like octet-stream.
schemathesis.serializer.alias(
    ["application/wasm", "text/x-python", "text/x-python; charset=utf-8"],
    "application/octet-stream",
)


@pytest.fixture(scope="module")
def upload_schema(
    tmp_path_factory: pytest.TempPathFactory, redis_server: RedisServer
) -> Iterator[schemathesis.BaseSchema]:
    root = tmp_path_factory.mktemp("fuzz")
    with running_upload_server(root, redis_server.url, max_body_bytes=1 << 16) as (_, url):
        yield schemathesis.openapi.from_url(f"{url}/openapi.json")


schema = schemathesis.pytest.from_fixture("upload_schema")


@pytest.mark.timeout(300)
@schema.parametrize()
@fuzz_settings(EXAMPLES_PER_ROUTE)
def test_no_request_gets_a_server_error(case: schemathesis.Case) -> None:
    call_without_server_error(case)
