"""Chained calls across real worker processes: spread over workers, awaited without deadlock,
their tree in the JSON result, and confined to the calling user's functions."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import redis
from runtime_wat import CHAIN_DEPTH, wat_function
from support import LocalCluster, RedisServer, local_cluster
from test_chaining import PAIR, TREE, chain_named, tree_input

from faasm_cli.cluster.registry import list_workers

THREADS = 2
WORKERS = 3


@pytest.fixture(scope="module")
def cluster(
    redis_server: RedisServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LocalCluster]:
    redis_server.client().flushall()
    work = tmp_path_factory.mktemp("cluster")
    with local_cluster(
        redis_server.url, work, work / "cache", workers=WORKERS, threads=THREADS
    ) as running:
        for name, wasm in {"pair": PAIR, "tree": TREE, "depth": CHAIN_DEPTH}.items():
            running.upload("demo", name, wasm)
        running.upload("demo", "callee", wat_function("(i32.const 42)"))
        running.upload("demo", "caller", chain_named("callee"))
        running.upload("alice", "secret", wat_function("(i32.const 7)"))
        yield running


def _tree_ids(node: dict[str, object]) -> list[int]:
    ids = []
    for child in node["chained"]:  # type: ignore[attr-defined]
        ids += [child["id"], *_tree_ids(child)]
    return ids


def test_chained_call_result_and_tree_in_json(cluster: LocalCluster) -> None:
    document = cluster.invoke(user="demo", function="pair", json=True).json()
    assert (document["output_data"], document["return_value"]) == ("\x02\x04\x06", 5)
    [child] = document["chained"]
    assert (child["function"], child["func_ptr"], child["return_value"]) == ("pair", 1, 5)
    assert child["status"] == "ok" and child["chained"] == []
    status = cluster.invoke(status=True, id=child["id"], json=True).json()
    assert status["output_data"] == "\x02\x04\x06" and status["parent_id"] == document["id"]


def test_chained_calls_spread_over_workers(cluster: LocalCluster) -> None:
    hosts: set[str] = set()
    for _ in range(5):
        document = cluster.invoke(
            user="demo", function="tree", input_data=tree_input(6, 1).decode(), json=True
        ).json()
        assert document["return_value"] == 7
        ids = _tree_ids(document)
        assert len(ids) == 6
        for call_id in ids:
            hosts.add(cluster.invoke(status=True, id=call_id, json=True).json()["exec_host"])
    assert len(hosts) > 1, hosts
    client = redis.Redis.from_url(cluster.config.redis_url)
    workers = list_workers(client)
    assert {w.id for w in workers} == {f"w{n}" for n in range(WORKERS)}
    assert all(w.alive and w.threads == THREADS and w.pid > 0 for w in workers)
    assert sum("demo/tree" in w.warm for w in workers) > 1
    assert sum(w.served for w in workers) >= 35


def test_awaits_deeper_and_wider_than_every_thread_do_not_deadlock(cluster: LocalCluster) -> None:
    slots = WORKERS * THREADS
    start = time.monotonic()
    deep = cluster.invoke(
        user="demo", function="depth", input_data=(4 * slots).to_bytes(4, "little").decode()
    )
    wide = cluster.invoke(
        user="demo", function="tree", input_data=tree_input(3, 4).decode(), json=True
    ).json()
    assert deep.text.startswith("Non-zero exit code: 24")  # returns its depth
    assert (wide["failed"], wide["return_value"]) == (False, 1 + 3 + 9 + 27 + 81)
    assert len(_tree_ids(wide)) == 3 + 9 + 27 + 81
    assert time.monotonic() - start < 120


def test_a_function_chains_a_function_of_its_own_user(cluster: LocalCluster) -> None:
    document = cluster.invoke(user="demo", function="caller", json=True).json()
    assert document["return_value"] == 42
    assert [c["function"] for c in document["chained"]] == ["callee"]


def test_a_function_cannot_chain_another_users_function(cluster: LocalCluster) -> None:
    cluster.upload("demo", "thief", chain_named("alice/secret"))
    cluster.upload("demo", "guess", chain_named("secret"))  # demo has no `secret`
    thief = cluster.invoke(user="demo", function="thief", json=True).json()
    assert thief["failed"] and "cannot chain to another user's function" in thief["error"]
    guess = cluster.invoke(user="demo", function="guess", json=True).json()
    assert guess["failed"]
    assert "cannot chain to demo/secret: no function demo/secret in the cluster" in guess["error"]
