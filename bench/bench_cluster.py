"""Cluster call benchmarks: a local cluster (`launcher.start`: redis-server, the upload server,
3 worker processes of 2 call threads on one SO_REUSEPORT invoke port), each figure with a
baseline of the same run.

- sync invoke of demo/hello, calls/s with 32 concurrent connections (`wrk`, 5 s), against a bare
  uvicorn process (same uvicorn, same settings, one process) answering a constant: 3 runs of
  each, in turn, medians;
- sync invoke latency p50/p99 (one client, in turn), against an embedded `Runtime.call`;
- async invoke + status polled at once until SUCCESS, against faasmctl's 2 s sleep before its
  first poll;
- one call chaining 100 calls and awaiting them, spread over the 3 workers, against the same
  tree in an embedded runtime.

Medians; nothing is asserted. Run: python -m bench.bench_cluster
"""

from __future__ import annotations

import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from bench.bench_runtime import TREE, _tree, hello_wasm
from bench.timing import median_seconds
from faasm_cli.cluster import launcher
from faasm_cli.cluster.config import ClusterConfig
from faasm_cli.runtime import Runtime

CLIENTS = 32
WRK_SECONDS = 5
WRK_RUNS = 3
WORKERS = 3
THREADS = 2
FAASMCTL_FIRST_POLL_S = 2.0
# The baseline server: uvicorn with an ASGI app that answers a constant, nothing else.
CONSTANT_APP = """
async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    while (await receive()).get("more_body"):
        pass
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"Hello faasm!\\n"})
"""
WRK_POST = """
wrk.method = "POST"
wrk.body = '{"user": "demo", "function": "hello"}'
wrk.headers["Content-Type"] = "application/json"
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wrk_rate(url: str, script: Path) -> float:
    """Requests per second `wrk` reaches with `CLIENTS` connections (non-2xx counted as none)."""
    argv = ["wrk", "-t2", f"-c{CLIENTS}", f"-d{WRK_SECONDS}s", "-s", str(script), url]
    out = subprocess.run(argv, check=True, capture_output=True, text=True).stdout
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    seconds = float(re.search(r"requests in ([\d.]+)s", out).group(1))  # type: ignore[union-attr]
    return (total - int(bad.group(1) if bad else 0)) / seconds


def percentiles(action: Callable[[], object], runs: int) -> tuple[float, float]:
    for _ in range(20):
        action()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        samples.append(time.perf_counter() - start)
    cuts = statistics.quantiles(samples, n=100)
    return statistics.median(samples), cuts[98]


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="bench-cluster-"))
    hello = hello_wasm(work)
    config = ClusterConfig(
        redis_url=f"redis://127.0.0.1:{free_port()}/0",
        upload_port=free_port(),
        invoke_port=free_port(),
        data_dir=work / "data",
        cache_dir=work / "cache",
        result_ttl_s=600.0,
        threads=THREADS,
    )
    cluster = launcher.start(config, workers=WORKERS)
    constant_port = free_port()
    constant_app = work / "constant_app.py"
    constant_app.write_text(CONSTANT_APP)
    uvicorn_argv = [sys.executable, "-m", "uvicorn", "constant_app:app", "--app-dir", str(work)]
    constant = subprocess.Popen(
        [*uvicorn_argv, "--port", str(constant_port), "--log-level", "warning"]
    )
    http = httpx.Client(timeout=60.0)
    try:
        for name, wasm in {"hello": hello, "tree": TREE}.items():
            http.put(f"{config.upload_base}/f/demo/{name}", content=bytes(wasm)).raise_for_status()
        invoke = config.invoke_base + "/"
        while True:
            try:
                http.get(f"http://127.0.0.1:{constant_port}/")
                break
            except httpx.TransportError:
                time.sleep(0.05)
        script = work / "post.lua"
        script.write_text(WRK_POST)
        print(
            f"{CLIENTS} connections, {WRK_SECONDS} s each, {WORKERS} workers x {THREADS} "
            f"threads, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}"
        )
        wrk_rate(invoke, script)  # warm every worker
        ours, bare = [], []
        for _ in range(WRK_RUNS):  # in turn, so that both meet the same load
            ours.append(wrk_rate(invoke, script))
            bare.append(wrk_rate(f"http://127.0.0.1:{constant_port}/", script))
        ours_rate, bare_rate = statistics.median(ours), statistics.median(bare)
        print(
            f"sync invoke demo/hello: {ours_rate:.0f} calls/s; bare uvicorn constant: "
            f"{bare_rate:.0f} req/s; ratio {ours_rate / bare_rate:.2f}x (medians of {WRK_RUNS}; "
            f"runs {', '.join(f'{o:.0f}/{b:.0f}' for o, b in zip(ours, bare, strict=True))}; "
            f"load average {os.getloadavg()[0]:.1f})",
            flush=True,
        )

        def sync_call() -> None:
            assert http.post(invoke, json={"user": "demo", "function": "hello"}).text

        p50, p99 = percentiles(sync_call, 500)
        with Runtime(cache_dir=work / "embedded") as runtime:
            runtime.register("demo", "hello", hello)
            runtime.register("demo", "tree", TREE)
            e50, e99 = percentiles(lambda: runtime.call("demo", "hello"), 500)
            local_tree = median_seconds(
                lambda: runtime.call("demo", "tree", _tree(100, 1)), runs=10
            )
        print(
            f"sync invoke latency: p50 {p50 * 1e3:.2f} ms, p99 {p99 * 1e3:.2f} ms; embedded "
            f"Runtime.call: p50 {e50 * 1e3:.3f} ms, p99 {e99 * 1e3:.3f} ms; "
            f"ratio p50 {p50 / e50:.0f}x",
            flush=True,
        )

        def async_round_trip() -> None:
            body = {"user": "demo", "function": "hello", "async": True}
            call_id = int(http.post(invoke, json=body).text)
            while not http.post(invoke, json={"status": True, "id": call_id}).text.startswith(
                "SUCCESS"
            ):
                pass

        round_trip = median_seconds(async_round_trip, runs=50, warmup=5)
        print(
            f"async invoke + status until SUCCESS: {round_trip * 1e3:.2f} ms (median); "
            f"faasmctl's first poll alone: {FAASMCTL_FIRST_POLL_S * 1e3:.0f} ms; "
            f"{FAASMCTL_FIRST_POLL_S / round_trip:.0f}x sooner",
            flush=True,
        )

        tree_body = {"user": "demo", "function": "tree", "input_data": _tree(100, 1).decode()}
        hosts: set[str] = set()

        def chained() -> None:
            headers = {"Accept": "application/json"}
            document = http.post(invoke, json=tree_body, headers=headers).json()
            assert document["return_value"] == 101, document
            hosts.update(
                http.post(invoke, json={"status": True, "id": c["id"]}, headers=headers).json()[
                    "exec_host"
                ]
                for c in document["chained"][:: len(document["chained"]) // 10]
            )

        chained()
        cluster_tree = median_seconds(
            lambda: http.post(invoke, json=tree_body).raise_for_status(), runs=10
        )
        print(
            f"1 call chaining 100 awaited calls over {WORKERS} workers: "
            f"{cluster_tree * 1e3:.1f} ms (median; sampled calls ran on {len(hosts)} workers); "
            f"embedded runtime: {local_tree * 1e3:.2f} ms; ratio {cluster_tree / local_tree:.1f}x",
            flush=True,
        )
        print(json.dumps({"workers": [w.__dict__ for w in launcher.worker_table(cluster)]}))
    finally:
        http.close()
        constant.terminate()
        constant.wait(10)
        launcher.stop(cluster)


if __name__ == "__main__":
    main()
