"""The pooling instance allocator: its size, the error when its slots run out, and the fallback
to on-demand allocation when the host refuses the address space it reserves."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from runtime_wat import CHAIN_DEPTH, output_of, wat_function

from faasm_cli.runtime import Runtime
from faasm_cli.runtime.pool import MAX_SLOTS, InstancePool

REPO = Path(__file__).resolve().parent.parent


def _levels(n: int) -> bytes:
    return n.to_bytes(4, "little")


def test_slots_come_from_the_chain_limits_with_a_cap() -> None:
    assert InstancePool.sized(2, 3).slots == 9  # depths 0, 1, 2 each three wide
    assert InstancePool.sized(64, 256).slots == MAX_SLOTS
    assert InstancePool.sized(64, 256, slots=7).slots == 7
    assert InstancePool.sized(0, 0).slots == 1


def test_a_runtime_gets_the_pool(tmp_path: Path) -> None:
    with Runtime(cache_dir=tmp_path, max_chain_depth=3, max_fanout=4) as rt:
        assert (rt.allocator.kind, rt.allocator.slots) == ("pooling", 16)
        assert rt.allocator.describe() == "pooling (16 instance slots)"
        rt.register("demo", "hi", wat_function(output_of(0, 2), extra='(data (i32.const 0) "hi")'))
        assert rt.call("demo", "hi").output_data == b"hi"


def test_no_slots_means_no_pool_and_any_number_of_instances(tmp_path: Path) -> None:
    """instance_slots=0 (what a one-call CLI process asks for): on-demand allocation, with no
    bound on live instances (four here, all alive at once); the machine code is the pooled
    runtime's, so the two share the cache."""
    with Runtime(cache_dir=tmp_path) as pooled:
        pooled.register("demo", "depth", CHAIN_DEPTH)
    with Runtime(cache_dir=tmp_path, instance_slots=0) as rt:
        assert rt.allocator.describe() == "on-demand"
        rt.register("demo", "depth", CHAIN_DEPTH)
        assert rt.cache_stats.compiled == 0
        result = rt.call("demo", "depth", input_data=_levels(3))
        assert (result.failed, result.return_value) == (False, 3)


def test_running_out_of_slots_fails_the_call_that_found_none(tmp_path: Path) -> None:
    with Runtime(cache_dir=tmp_path, instance_slots=2) as rt:
        rt.register("demo", "depth", CHAIN_DEPTH)
        assert rt.allocator.slots == 2
        # The call and its child hold both slots while the grandchild wants one.
        result = rt.call("demo", "depth", input_data=_levels(2))
        grandchild = result.chained[0].children[0]
        assert grandchild.failed
        assert grandchild.error == (
            "no free instance slot: all 2 slots of the instance pool are in use "
            "(raise Runtime(instance_slots=...), or max_chain_depth x max_fanout it is sized from)"
        )
        assert not result.chained[0].failed
        # Slots come back when calls end: a chain that fits runs.
        fits = rt.call("demo", "depth", input_data=_levels(1))
        assert (fits.failed, fits.return_value) == (False, 1)


SCRIPT = """
import resource, sys, tempfile
from pathlib import Path
sys.path.insert(0, {tests!r})
resource.setrlimit(resource.RLIMIT_AS, ({limit}, {limit}))
from faasm_cli.runtime import Runtime
from runtime_wat import output_of, wat_function
with tempfile.TemporaryDirectory() as scratch:
    with Runtime(cache_dir=Path(scratch), instance_slots={slots}) as rt:
        rt.register("demo", "hi", wat_function(output_of(0, 2), extra='(data (i32.const 0) "hi")'))
        result = rt.call("demo", "hi")
        print(rt.allocator.describe(), result.output_data, result.error)
"""
AS_LIMIT = 40 << 30  # room for on-demand instances (~8 GiB each), not for a 512-slot pool


def _run_limited(slots: int | None) -> str:
    script = SCRIPT.format(tests=str(REPO / "tests"), limit=AS_LIMIT, slots=slots)
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.mark.parametrize(
    ("slots", "expected"),
    [
        (
            None,
            "on-demand (reserving 4160 GiB for the pool was refused) b'hi' None",
        ),
        (2, "pooling (2 instance slots) b'hi' None"),
    ],
)
def test_a_refused_reservation_falls_back_to_on_demand(slots: int | None, expected: str) -> None:
    assert _run_limited(slots) == expected


def _memory_mappings() -> int:
    with open("/proc/self/maps") as maps:
        return sum(1 for _ in maps)


def test_a_closed_runtime_gives_its_pool_back_without_a_garbage_collection(
    tmp_path: Path,
) -> None:
    import gc

    gc.disable()
    try:
        before = _memory_mappings()
        for _ in range(5):
            with Runtime(cache_dir=tmp_path) as runtime:
                assert runtime.allocator.kind == "pooling"
            del runtime
        grown = _memory_mappings() - before
    finally:
        gc.enable()
    assert grown < 200, f"{grown} memory mappings still held by 5 closed runtimes"
