"""The invoke endpoint on real worker processes: sync and async calls, status, JSON, failures."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from runtime_wat import output_of, spin, wat_function
from support import LocalCluster, local_cluster

from faasm_cli.config import Project
from tests.helpers import build_or_skip

# Outputs its input, then returns the input's first byte minus '0' (so "3..." returns 3).
ECHO_RV = wat_function("""
  (local $n i32)
  (local.set $n (call $read_input (i32.const 64) (i32.const 1024)))
  (call $write_output (i32.const 64) (local.get $n))
  (if (result i32) (local.get $n)
    (then (i32.sub (i32.load8_u (i32.const 64)) (i32.const 48)))
    (else (i32.const 0)))""")
# Spins for about a second before answering "done" (a call that is still RUNNING when read).
SLOW = wat_function(spin(400_000_000) + output_of(8, 4), extra='(data (i32.const 8) "done")')


@pytest.fixture(scope="module")
def cluster(
    redis_server: object, tmp_path_factory: pytest.TempPathFactory, demo_project: Project
) -> Iterator[LocalCluster]:
    hello = build_or_skip(demo_project, "demo", ["hello"])["hello"]
    url = redis_server.url  # type: ignore[attr-defined]
    redis_server.client().flushall()  # type: ignore[attr-defined]
    work = tmp_path_factory.mktemp("cluster")
    with local_cluster(url, work, work / "cache", workers=2) as running:
        running.upload("demo", "hello", hello.read_bytes())
        running.upload("demo", "echo", ECHO_RV)
        running.upload("demo", "slow", SLOW)
        yield running


def test_ping_on_the_invoke_port(cluster: LocalCluster) -> None:
    answer = cluster.http.get(cluster.invoke_url + "/ping")
    assert (answer.status_code, answer.text) == (200, "PONG")


def test_sync_hello_as_text_and_as_json(cluster: LocalCluster) -> None:
    answer = cluster.invoke(user="demo", function="hello")
    assert (answer.status_code, answer.text) == (200, "Hello faasm!\n")
    assert answer.headers["content-type"].startswith("text/plain")
    document = cluster.invoke(user="demo", function="hello", json=True).json()
    assert document["output_data"] == "Hello faasm!"
    assert (document["status"], document["return_value"], document["failed"]) == ("ok", 0, False)
    assert document["exec_host"] in {"w0", "w1"}
    assert document["id"] > 0 and document["chained"] == []
    status = cluster.invoke(status=True, id=document["id"])
    assert status.text == "SUCCESS: Hello faasm!"


def test_async_id_then_status_running_then_success(cluster: LocalCluster) -> None:
    answer = cluster.invoke(user="demo", function="slow", **{"async": True})
    assert answer.status_code == 200
    call_id = int(answer.text)
    first = cluster.invoke(status=True, id=call_id)
    assert (first.status_code, first.text) == (200, "RUNNING")
    assert cluster.invoke(status=True, id=call_id, json=True).json() == {
        "id": call_id,
        "status": "running",
    }
    deadline = time.monotonic() + 30
    while cluster.invoke(status=True, id=call_id).text == "RUNNING":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    # Reading a status consumes nothing: twice the same answer.
    assert cluster.invoke(status=True, id=call_id).text == "SUCCESS: done"
    assert cluster.invoke(status=True, id=call_id).text == "SUCCESS: done"
    document = cluster.invoke(status=True, id=call_id, json=True).json()
    assert (document["id"], document["output_data"], document["async"]) == (call_id, "done", True)


def test_async_answers_json_id(cluster: LocalCluster) -> None:
    answer = cluster.invoke(
        user="demo", function="echo", input_data="0", json=True, **{"async": True}
    )
    assert set(answer.json()) == {"id"}


def test_non_zero_return_is_a_failed_call_with_its_output(cluster: LocalCluster) -> None:
    answer = cluster.invoke(user="demo", function="echo", input_data="3 left")
    assert (answer.status_code, answer.text) == (200, "Non-zero exit code: 3\n")
    document = cluster.invoke(user="demo", function="echo", input_data="3 left", json=True).json()
    assert (document["return_value"], document["output_data"]) == (3, "3 left")
    status = cluster.invoke(status=True, id=document["id"])
    assert status.text == "FAILED: Non-zero exit code: 3"


def test_input_reaches_the_function_and_unknown_fields_are_ignored(cluster: LocalCluster) -> None:
    answer = cluster.invoke(user="demo", function="echo", input_data="0k", mpi=True, cores=4)
    assert answer.text == "0k\n"


def test_a_python_call_names_its_function_in_py_user_and_py_func(cluster: LocalCluster) -> None:
    """Faasm's message for a Python call (tests/test_python_cluster.py runs them)."""
    answer = cluster.invoke(
        user="python", function="py_func", python=True, py_user="demo", py_func="nope"
    )
    assert answer.status_code == 404
    assert answer.text == "no function demo/nope (upload it first: faasm upload --py demo nope)"


@pytest.mark.parametrize(
    ("message", "status", "line"),
    [
        (
            {"user": "demo", "function": "nope"},
            404,
            "no function demo/nope (upload it first: faasm upload demo nope)",
        ),
        ({"user": "demo"}, 400, "message has no 'function'"),
        ({"user": "../x", "function": "hello"}, 400, "invalid user name"),
        (
            {"user": "demo", "function": "hello", "input_data": 5},
            400,
            "message field 'input_data' must be a string",
        ),
        ({"status": True, "id": "x"}, 400, "a status request needs an integer id"),
        ({"status": True, "id": 987654}, 404, "no call 987654 (its result may have expired)"),
    ],
)
def test_bad_requests_are_one_line_4xx(
    cluster: LocalCluster, message: dict[str, object], status: int, line: str
) -> None:
    answer = cluster.invoke(**message)
    assert answer.status_code == status
    assert answer.text.startswith(line) and "\n" not in answer.text


def test_a_body_that_is_not_a_json_object_is_400(cluster: LocalCluster) -> None:
    for body in (b"{", b"[1]", b"\xff"):
        answer = cluster.http.post(cluster.invoke_url + "/", content=body)
        assert answer.status_code == 400, body


def test_a_function_uploaded_again_runs_its_new_version(cluster: LocalCluster) -> None:
    cluster.upload(
        "demo", "version", wat_function(output_of(8, 2), extra='(data (i32.const 8) "v1")')
    )
    for _ in range(4):  # loaded on whichever workers took these
        assert cluster.invoke(user="demo", function="version").text == "v1\n"
    cluster.upload(
        "demo", "version", wat_function(output_of(8, 2), extra='(data (i32.const 8) "v2")')
    )
    deadline = time.monotonic() + 10
    answers = set()
    while time.monotonic() < deadline and answers != {"v2\n"}:
        answers = {cluster.invoke(user="demo", function="version").text for _ in range(4)}
    assert answers == {"v2\n"}
