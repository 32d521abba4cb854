"""Fuzz the upload server from its own OpenAPI document (schemathesis): whatever the names,
headers and bodies, it answers without a 5xx. Bounded: a fixed number of examples per route."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from support import RedisServer
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
@settings(
    max_examples=EXAMPLES_PER_ROUTE,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_no_request_gets_a_server_error(case: schemathesis.Case) -> None:
    response = case.call(timeout=30)
    assert response.status_code < 500, f"{case.method} {case.formatted_path}: {response.text}"
    case.validate_response(response, checks=[not_a_server_error])
