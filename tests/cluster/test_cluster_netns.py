"""A worker on another host (issue 7, point 8): a worker process in its own network namespace,
joined to this host by a veth pair with loopback-range addresses, joins the cluster by the Redis
and upload URLs alone, serves calls and state, and when its link is cut mid-call every call it
had finishes on the workers left. Real Redis, real worker processes, real kernel namespaces."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import redis
from runtime_wat import SLOW_ECHO, wat_function
from support import LocalCluster, local_cluster, running_redis

from faasm_cli.cluster import keys, registry
from faasm_cli.cluster.worker import REAP_S

NS_WORKER = "wns"
NS_THREADS = 3
JSON = {"Accept": "application/json"}
# Reads state key ns_in (up to 4 KiB), outputs it and writes it to ns_out, pushed.
STATE_COPY = wat_function(
    """
  (local $n i32)
  (local.set $n (call $read_state (i32.const 16) (i32.const 1024) (i32.const 4096)))
  (call $write_state (i32.const 32) (i32.const 1024) (local.get $n))
  (call $push_state (i32.const 32))
  (call $write_output (i32.const 1024) (local.get $n))
  (i32.const 0)""",
    extra='(data (i32.const 16) "ns_in\\00") (data (i32.const 32) "ns_out\\00")',
)


@dataclass(frozen=True)
class Netns:
    """A network namespace joined to this host by a veth pair: `host_addr` on the host's end
    (`host_link`), `ns_addr` on the namespace's."""

    name: str
    host_link: str
    host_addr: str
    ns_addr: str

    @property
    def prefix(self) -> list[str]:
        """What runs a command inside the namespace."""
        return ["ip", "netns", "exec", self.name]

    def cut(self) -> None:
        """Take the host's end of the link down: the namespace is unreachable both ways."""
        _ip("link", "set", self.host_link, "down")


def _ip(*argv: str) -> None:
    done = subprocess.run(["ip", *argv], capture_output=True, text=True)
    assert done.returncode == 0, f"ip {' '.join(argv)}: {done.stderr.strip()}"


def _free_subnet() -> int:
    """The third byte x of a 127.100.x.0/30 no interface of this host has an address in."""
    used = subprocess.run(["ip", "-o", "-4", "addr"], capture_output=True, text=True).stdout
    return next(x for x in range(256) if f" 127.100.{x}." not in used)


@pytest.fixture
def netns() -> Iterator[Netns]:
    """A namespace made for the test, and removed with its link whatever happens."""
    if shutil.which("ip") is None:
        pytest.fail("`ip` is not installed: run `apt-get install -y iproute2`")
    if os.geteuid() != 0:
        pytest.skip("ip netns needs root (CAP_NET_ADMIN)")
    tag = os.getpid()
    x = _free_subnet()
    space = Netns(f"faasm-t{tag}", f"fh{tag}", f"127.100.{x}.1", f"127.100.{x}.2")
    ns_link = f"fn{tag}"
    added = subprocess.run(["ip", "netns", "add", space.name], capture_output=True, text=True)
    refused = ("not permitted", "permission denied")
    if added.returncode != 0 and any(word in added.stderr.lower() for word in refused):
        pytest.skip(f"ip netns is not permitted here: {added.stderr.strip()}")
    try:
        assert added.returncode == 0, f"ip netns add: {added.stderr.strip()}"
        _ip("link", "add", space.host_link, "type", "veth", "peer", "name", ns_link)
        _ip("link", "set", ns_link, "netns", space.name)
        _ip("addr", "add", f"{space.host_addr}/30", "dev", space.host_link)
        _ip("link", "set", space.host_link, "up")
        inside = ["-n", space.name]
        _ip(*inside, "addr", "add", f"{space.ns_addr}/30", "dev", ns_link)
        _ip(*inside, "link", "set", ns_link, "up")
        _ip(*inside, "link", "set", "lo", "up")
        # 127/8 is routed off the loopback device only where route_localnet allows it.
        Path(f"/proc/sys/net/ipv4/conf/{space.host_link}/route_localnet").write_text("1")
        for device in ("all", ns_link):  # /proc/sys/net is the writer's namespace's
            setting = f"/proc/sys/net/ipv4/conf/{device}/route_localnet"
            subprocess.run([*space.prefix, "sh", "-c", f"echo 1 > {setting}"], check=True)
        yield space
    finally:
        subprocess.run(["ip", "link", "del", space.host_link], capture_output=True)
        subprocess.run(["ip", "netns", "del", space.name], capture_output=True)


@pytest.fixture
def cluster(netns: Netns, tmp_path: Path, isolated_cache: Path) -> Iterator[LocalCluster]:
    """Redis, the upload server and workers w0, w1 on the host's end of the link; worker `wns`
    in the namespace, with its own data and cache dirs, knowing only the two URLs."""
    with (
        running_redis(tmp_path, ("127.0.0.1", netns.host_addr)) as server,
        local_cluster(
            server.url, tmp_path, isolated_cache / "cluster", workers=2, host=netns.host_addr
        ) as running,
    ):
        running.upload("demo", "state_copy", STATE_COPY)
        running.upload("demo", "spin", SLOW_ECHO)
        try:
            running.start_worker(
                NS_WORKER,
                via=netns.prefix,
                host=netns.ns_addr,
                threads=NS_THREADS,
                redis_url=server.url_at(netns.host_addr),
                upload_url=running.upload_url,
                data_dir=tmp_path / "ns-data",
                cache_dir=tmp_path / "ns-cache",
            )
            yield running
        finally:
            if NS_WORKER in running.workers:  # it may be cut off from Redis: no clean leave
                running.kill(NS_WORKER)


def _ns_url(cluster: LocalCluster, netns: Netns) -> str:
    return f"http://{netns.ns_addr}:{cluster.config.invoke_port}/"


def test_a_worker_in_another_namespace_serves_calls_and_state(
    cluster: LocalCluster, netns: Netns, tmp_path: Path
) -> None:
    http = cluster.http
    with redis.Redis.from_url(cluster.config.redis_url) as client:
        entry = {worker.id: worker for worker in registry.list_workers(client)}
    assert entry[NS_WORKER].invoke_url == _ns_url(cluster, netns).rstrip("/")
    assert entry[NS_WORKER].alive and entry["w0"].alive

    value = f"put on the host at {time.time()}".encode()
    put = http.put(f"{cluster.upload_url}/s/demo/ns_in", content=value)
    assert put.status_code == 200, put.text
    document = http.post(
        _ns_url(cluster, netns), json={"user": "demo", "function": "state_copy"}, headers=JSON
    ).json()
    assert (document["failed"], document["exec_host"]) == (False, NS_WORKER), document
    assert document["output_data"] == value.decode()
    assert http.get(f"{cluster.upload_url}/s/demo/ns_out").content == value

    # The machine code was made in the namespace worker's own cache, the wasm fetched over HTTP.
    assert list((tmp_path / "ns-cache").rglob("*")), "the ns worker cached nothing"
    body = {"user": "demo", "function": "state_copy", "async": True}
    call_id = int(http.post(_ns_url(cluster, netns), json=body).text)
    deadline = time.monotonic() + 30
    while (status := cluster.invoke(status=True, id=call_id).text) == "RUNNING":
        assert time.monotonic() < deadline, f"call {call_id} still RUNNING"
        time.sleep(0.05)
    assert status == f"SUCCESS: {value.decode()}"
    assert cluster.invoke(status=True, id=call_id, json=True).json()["exec_host"] == NS_WORKER


def test_calls_of_a_worker_whose_link_is_cut_finish_on_the_other_workers(
    cluster: LocalCluster, netns: Netns, request: pytest.FixtureRequest
) -> None:
    http = cluster.http
    client = redis.Redis.from_url(cluster.config.redis_url)
    request.addfinalizer(client.close)
    warm = http.post(
        _ns_url(cluster, netns),
        json={"user": "demo", "function": "spin", "input_data": "warm"},
        headers=JSON,
    ).json()
    assert (warm["output_data"], warm["exec_host"]) == ("warm", NS_WORKER), warm
    # Warm there with threads free: the namespace worker is where the scheduler puts them.
    ids = [
        int(
            http.post(
                _ns_url(cluster, netns),
                json={"user": "demo", "function": "spin", "input_data": f"call {n}", "async": True},
            ).text
        )
        for n in range(NS_THREADS)
    ]
    deadline = time.monotonic() + 30
    while {int(n) for n in client.smembers(keys.running(NS_WORKER))} != set(ids):
        assert time.monotonic() < deadline, "the ns worker never ran all its calls"
        time.sleep(0.01)

    netns.cut()
    cut_at = time.monotonic()
    bound_s = registry.ALIVE_MS / 1000 + REAP_S + 20
    statuses: dict[int, str] = {}
    while left := [i for i in ids if i not in statuses]:
        assert time.monotonic() - cut_at < bound_s, f"RUNNING {bound_s} s after the cut: {left}"
        for call_id in left:
            status = cluster.invoke(status=True, id=call_id).text
            if status != "RUNNING":
                statuses[call_id] = status
        time.sleep(0.1)
    assert [statuses[i] for i in ids] == [f"SUCCESS: call {n}" for n in range(len(ids))]
    hosts = {cluster.invoke(status=True, id=i, json=True).json()["exec_host"] for i in ids}
    assert hosts <= {"w0", "w1"}, hosts
    assert not client.hexists(keys.WORKERS, NS_WORKER), "the cut-off worker is still registered"
    with pytest.raises(httpx.TransportError):
        http.get(_ns_url(cluster, netns) + "ping", timeout=1)
