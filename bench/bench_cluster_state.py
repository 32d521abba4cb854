"""Cluster state and cold-start benchmarks: a real Redis, the upload server and three worker
processes (tests/cluster/support.py's LocalCluster), each worker on its own invoke port so that a
call goes to the worker chosen; every figure with a baseline of the same run, interleaved.

- 1 MiB of state between two workers: a sync call on worker A fills 1 MiB and pushes it, then a
  sync call on worker B pulls it and reads it back (its first and last byte are checked), against
  redis-py's SET and GET of 1 MiB; an empty sync call on each shows what a call costs without
  state, and each result's duration_s the time inside the worker.
- The first call of a freshly uploaded function (each round new wasm bytes under a new name):
  on worker A, whose cache is its own (it fetches the wasm and generates the machine code), and on
  worker C, which shares the upload server's cache as a worker on the server's host does (the
  server compiled the function at upload); each against a warm call of the same function there.

Medians; nothing is asserted but the outputs. Run: python -m bench.bench_cluster_state
"""

from __future__ import annotations

import itertools
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

from bench.bench_runtime import REPO, hello_wasm
from bench.timing import interleaved_medians, report

sys.path[:0] = [str(REPO / "tests"), str(REPO / "tests" / "cluster")]
from runtime_wat import wat_function  # noqa: E402
from support import (  # noqa: E402
    LocalCluster,
    RedisServer,
    free_port,
    local_cluster,
    running_redis,
)

MIB = 1 << 20
ROUNDS = 30
COLD_ROUNDS = 12
JSON = {"Accept": "application/json"}
_KEY = '(data (i32.const 16) "mib\\00")'
# Fills 1 MiB at 64 KiB with its first input byte, writes it to state key mib and pushes it.
PUSH = wat_function(
    f"""
  (drop (call $read_input (i32.const 0) (i32.const 1)))
  (memory.fill (i32.const 65536) (i32.load8_u (i32.const 0)) (i32.const {MIB}))
  (call $write_state (i32.const 16) (i32.const 65536) (i32.const {MIB}))
  (call $push_state (i32.const 16))
  (i32.const 0)""",
    extra=_KEY,
    pages=20,
)
# Pulls key mib, copies its 1 MiB to 64 KiB and outputs the first and the last byte.
PULL = wat_function(
    f"""
  (call $pull_state (i32.const 16) (i32.const {MIB}))
  (drop (call $read_state (i32.const 16) (i32.const 65536) (i32.const {MIB})))
  (i32.store8 (i32.const 8) (i32.load8_u (i32.const 65536)))
  (i32.store8 (i32.const 9) (i32.load8_u (i32.const {65536 + MIB - 1})))
  (call $write_output (i32.const 8) (i32.const 2))
  (i32.const 0)""",
    extra=_KEY,
    pages=20,
)
EMPTY = wat_function("(i32.const 0)")


def with_nonce(wasm: bytes, nonce: int) -> bytes:
    """The same module with a custom section holding `nonce`: new bytes, so new machine code."""
    name = b"faasm-bench-nonce"
    payload = bytes([len(name)]) + name + nonce.to_bytes(8, "little")
    return wasm + bytes([0, len(payload)]) + payload


class Caller:
    """Sync calls to one worker at its own invoke port, checked."""

    def __init__(self, cluster: LocalCluster, worker: str, port: int) -> None:
        self.cluster = cluster
        self.worker = worker
        self.url = f"http://{cluster.config.host}:{port}/"
        # Per function: each call's time inside the worker, as its result says.
        self.durations: defaultdict[str, list[float]] = defaultdict(list)

    def __call__(self, user: str, function: str, data: str = "") -> str:
        body = {"user": user, "function": function, "input_data": data}
        document = self.cluster.http.post(self.url, json=body, headers=JSON).json()
        assert not document["failed"] and document["exec_host"] == self.worker, document
        self.durations[function].append(document["duration_s"])
        return str(document["output_data"])


def state_figures(cluster: LocalCluster, redis_server: RedisServer, a: Caller, b: Caller) -> None:
    # One empty function per worker: a call of a function warm on the other would be handed over.
    for name, wasm in {"push": PUSH, "pull": PULL, "empty_a": EMPTY, "empty_b": EMPTY}.items():
        cluster.upload("bench", name, wasm)
    letters = itertools.cycle("abcdefghijklmnopqrstuvwxyz")
    pushed = [""]
    redis_client = redis_server.client()
    value = bytes(MIB)

    def push() -> None:
        pushed[0] = next(letters)
        a("bench", "push", pushed[0])

    def pull() -> None:
        assert b("bench", "pull") == pushed[0] * 2

    def raw_set() -> None:
        redis_client.set("bench:mib", value)

    def raw_get() -> None:
        assert len(redis_client.get("bench:mib") or b"") == MIB

    push_s, pull_s, set_s, get_s, empty_a, empty_b = interleaved_medians(
        [
            push,
            pull,
            raw_set,
            raw_get,
            lambda: a("bench", "empty_a"),
            lambda: b("bench", "empty_b"),
        ],
        runs=ROUNDS,
    )
    redis_client.close()
    report("push 1 MiB, a sync call on worker A", push_s, "redis-py SET 1 MiB", set_s)
    report("pull 1 MiB, a sync call on worker B", pull_s, "redis-py GET 1 MiB", get_s)
    report("push + pull (sum of medians)", push_s + pull_s, "SET + GET", set_s + get_s)
    inside = {
        name: statistics.median(caller.durations[name][-ROUNDS:])
        for name, caller in (("push", a), ("pull", b), ("empty_a", a))
    }
    print(
        f"  an empty sync call: {empty_a * 1e3:.2f} ms on A, {empty_b * 1e3:.2f} ms on B; inside "
        "the worker (duration_s): "
        + ", ".join(f"{name} {seconds * 1e3:.2f} ms" for name, seconds in inside.items()),
        flush=True,
    )


def cold_figures(cluster: LocalCluster, hello: bytes, a: Caller, c: Caller) -> None:
    uploads: list[float] = []
    names: dict[str, list[str]] = {"a": [], "c": []}
    for n in range(COLD_ROUNDS + 1):  # +1: the warm-up round
        for side, names_of in names.items():
            name = f"hello_{side}{n}"
            start = time.perf_counter()
            cluster.upload("bench", name, with_nonce(hello, n * 2 + (side == "c")))
            uploads.append(time.perf_counter() - start)
            names_of.append(name)
    fresh = {side: iter(names_of) for side, names_of in names.items()}
    last: dict[str, str] = {}

    def first(side: str, caller: Caller) -> Callable[[], None]:
        def action() -> None:
            last[side] = next(fresh[side])
            assert caller("bench", last[side]) == "Hello faasm!"

        return action

    def warm(side: str, caller: Caller) -> Callable[[], object]:
        return lambda: caller("bench", last[side])

    first_a, warm_a, first_c, warm_c = interleaved_medians(
        [first("a", a), warm("a", a), first("c", c), warm("c", c)], runs=COLD_ROUNDS
    )
    upload = statistics.median(uploads)
    print(f"  upload of demo/hello (the server compiles it): {upload * 1e3:.0f} ms (median)")
    report("first call, worker's own cache (fetch + machine code)", first_a, "warm call", warm_a)
    report(
        "first call, the upload server's cache (machine code reused)", first_c, "warm call", warm_c
    )


def uptime() -> None:
    print(subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip(), flush=True)


def main() -> None:
    uptime()
    with tempfile.TemporaryDirectory(prefix="bench-cluster-state-") as temporary:
        work = Path(temporary)
        hello = hello_wasm(work)
        with (
            running_redis(work) as server,
            local_cluster(server.url, work, work / "server", workers=0) as cluster,
        ):
            ports = {"a": free_port(), "b": free_port(), "c": free_port()}
            cluster.start_worker("a", invoke_port=ports["a"], cache_dir=work / "cache-a")
            cluster.start_worker("b", invoke_port=ports["b"], cache_dir=work / "cache-b")
            cluster.start_worker("c", invoke_port=ports["c"])  # the server's cache
            a, b, c = (Caller(cluster, worker, ports[worker]) for worker in "abc")
            print(f"3 workers x 2 threads, 2 cores; {ROUNDS} rounds, interleaved", flush=True)
            state_figures(cluster, server, a, b)
            cold_figures(cluster, hello, a, c)
    uptime()


if __name__ == "__main__":
    main()
