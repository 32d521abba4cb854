"""Issue 7's state headline at the runtime level: 200 calls of demo/increment (a counter in state
incremented under the global lock) spread over 3 worker processes, each with its own `Runtime`
over `ReplicatedStateStore(RedisBackend(url))`, end at exactly 200."""

from __future__ import annotations

import itertools
import struct
import subprocess
import sys
import textwrap

import redis
from helpers import build_or_skip

from faasm_cli.cluster import keys
from faasm_cli.config import Project
from faasm_cli.runtime import Runtime
from faasm_cli.runtime.state.memory import MemoryStateStore

CALLS = 200
WORKERS = 3
COUNTER_KEY = "incr_example"  # the key func/demo/increment.cpp counts in

_WORKER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from faasm_cli.cluster.redis_state import RedisBackend
    from faasm_cli.runtime import Runtime
    from faasm_cli.runtime.state.store import ReplicatedStateStore

    url, wasm, calls = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
    store = ReplicatedStateStore(RedisBackend(url))
    with Runtime(state_store=store, resolver=lambda user, function: wasm, timeout=60) as runtime:
        runtime.function_info("demo", "increment")  # loaded before the start line
        print("ready", flush=True)
        sys.stdin.readline()
        for _ in range(calls):
            result = runtime.call("demo", "increment")
            if result.failed or result.return_value != 0:
                print("failed", result.error, result.stdout, flush=True)
                sys.exit(1)
            print(result.output_data.decode(), flush=True)
    store.close()
    """
)


def test_200_increments_under_the_global_lock_over_3_workers_end_at_200(
    demo_project: Project, redis_url: str
) -> None:
    wasm = build_or_skip(demo_project, "demo", ["increment"])["increment"]
    with Runtime(state_store=MemoryStateStore(), timeout=60) as compiler:
        compiler.precompile(wasm.read_bytes())  # machine code once, in the shared cache dir
    shares = [CALLS // WORKERS + (i < CALLS % WORKERS) for i in range(WORKERS)]
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", _WORKER, redis_url, str(wasm), str(share)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for share in shares
    ]
    try:
        for worker in workers:
            assert worker.stdout is not None and worker.stdout.readline().strip() == "ready"
        for worker in workers:  # all start together, so the calls interleave
            assert worker.stdin is not None
            worker.stdin.write("go\n")
            worker.stdin.flush()
        counts = [worker.communicate(timeout=300)[0].split() for worker in workers]
    finally:
        for worker in workers:
            worker.kill()
            worker.wait(10)
    assert [worker.returncode for worker in workers] == [0] * WORKERS, counts
    assert [len(c) for c in counts] == shares
    seen = sorted(int(c) for worker_counts in counts for c in worker_counts)
    assert seen == list(range(1, CALLS + 1))  # every count once: no increment was lost
    gaps = [any(int(b) - int(a) > 1 for a, b in itertools.pairwise(c)) for c in counts]
    assert any(gaps)  # the workers' calls interleaved, so the lock was contended
    client = redis.Redis.from_url(redis_url)
    stored = client.get(keys.state("demo", COUNTER_KEY))
    client.close()
    assert stored is not None and struct.unpack("<i", stored) == (CALLS,)
