"""Timeouts by guard pages: every loop stops at its deadline, within a tight bound, on every
thread, and nothing of a stopped call leaks into the next one. Also the epoch fallback.

These tests pin wasmtime behaviour that is not a documented API (a fault on a protected guard
memory is an out-of-bounds trap, the loads Cranelift keeps): they must pass on every upgrade.
"""

from __future__ import annotations

import ctypes
import faulthandler
import mmap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import wasmtime
from runtime_wat import wat_function

from faasm_cli.config import Project
from faasm_cli.errors import BadInput
from faasm_cli.runtime import Runtime
from faasm_cli.runtime.engine import engine_settings
from faasm_cli.runtime.interrupt import Watchdog
from faasm_cli.runtime.snapshot import rewrite as mr
from faasm_cli.runtime.snapshot import wasm_binary as wb
from tests.helpers import build_or_skip

TIMEOUT = 0.2
# A call that times out ends within this window (a slower stop, e.g. a timer 5x late, fails).
BOUND = (TIMEOUT, TIMEOUT + 0.3)

# A 64-bit LCG in a local: no call, no memory access in the loop.
REGISTER_LOOP = """
  (local $s i64)
  (local.set $s (i64.const 1))
  (loop $l
    (local.set $s (i64.add (i64.mul (local.get $s) (i64.const 6364136223846793005))
                           (i64.const 1442695040888963407)))
    (br_if $l (i64.ne (local.get $s) (i64.const 0))))
  (i32.const 0)"""
# Counts to `n` in a register, then returns 7.
COUNT_TO = """
  (local $i i32)
  (loop $l
    (local.set $i (i32.add (local.get $i) (i32.const 1)))
    (br_if $l (i32.lt_u (local.get $i) (i32.const {n}))))
  (i32.const 7)"""
SPIN = wat_function(REGISTER_LOOP)
# Function index 1 spins (a chained call enters it through __faasm_call(1)).
SPIN_FUNC = f'(func $spin (export "_faasm_func_1") (result i32) {REGISTER_LOOP})'
CHAIN_1 = "(call $chain_this (i32.const 1) (i32.const 0) (i32.const 0))"
TIMED_OUT = f"timed out after {TIMEOUT:g}s"
I64_CONST = 0x42


@pytest.fixture(autouse=True)
def no_hang() -> Iterator[None]:
    """A loop the mechanism fails to stop would hang the suite: end the process instead."""
    faulthandler.dump_traceback_later(60, exit=True)
    yield
    faulthandler.cancel_dump_traceback_later()


@pytest.fixture
def rt(tmp_path: Path) -> Iterator[Runtime]:
    with Runtime(cache_dir=tmp_path, timeout=10.0) as runtime:
        runtime.register("demo", "spin", SPIN)
        runtime.register("demo", "count", wat_function(COUNT_TO.format(n=1000)))
        yield runtime


def _timed(rt: Runtime, function: str, idx: int = 0) -> tuple[str | None, float]:
    start = time.perf_counter()
    result = rt.call("demo", function, idx=idx, timeout=TIMEOUT)
    return result.error, time.perf_counter() - start


def _in_bound(elapsed: float) -> bool:
    return BOUND[0] <= elapsed < BOUND[1]


# ---- the mechanism ------------------------------------------------------------------------------


def test_engine_compiles_no_epoch_checks_by_default() -> None:
    assert dict(engine_settings())["epoch_interruption"] is False
    assert dict(engine_settings("epoch"))["epoch_interruption"] is True


def test_unknown_interruption_is_refused(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="unknown interruption mechanism 'fuel'"):
        Runtime(cache_dir=tmp_path, interruption="fuel")


def _guard_loads(body: bytes, guard_memory: int) -> list[int]:
    """The constant addresses of the i32.loads from `guard_memory` in a function body."""
    addresses = []
    last_const = None
    for start, end, op, _ in wb.instructions(body):
        if op == wb.OP_I32_CONST:
            last_const = wb.Reader(body, start + 1, end).sleb()
        elif op == wb.OP_I32_LOAD:
            reader = wb.Reader(body, start + 1, end)
            align = reader.u32()
            memory = reader.u32() if align & wb.MEMARG_HAS_MEMORY else 0
            if memory == guard_memory:
                assert last_const is not None
                addresses.append(last_const + reader.u32())
    return addresses


def test_prepare_checks_each_entry_and_loop_at_distinct_offsets() -> None:
    # Two nested loops and a loop-free function: 3 sites, then 1 site.
    module = wat_function(
        "(loop $a (loop $b (br_if $b (i32.const 0))) (br_if $a (i32.const 0))) (i32.const 0)",
        extra="(func $flat (result i32) (i32.const 1))",
    )
    prepared = mr.prepare(module)
    sections = wb.read_sections(prepared.wasm)
    memory_section = wb.find(sections, wb.MEMORY)
    assert memory_section is not None
    count, reader = wb.items(memory_section.payload)
    limits = [wb.read_limits(reader) for _ in range(count)]
    assert limits[1] == wb.Limits(1, 1, 1)  # one page, not growable: fits any pool slot
    code = wb.find(sections, wb.CODE)
    assert code is not None
    bodies = wb.read_bodies(code.payload)
    # zygote, __faasm_call, $flat, then the memory.grow hook (no check: it never loops).
    assert [_guard_loads(body, 1) for body in bodies] == [[0], [0, 4, 8], [0], []]
    exports = {e.name: e for e in wb.read_exports(wb.find(sections, wb.EXPORT).payload)}  # type: ignore[union-attr]
    assert exports[mr.GUARD_MEMORY_EXPORT] == wb.Export(mr.GUARD_MEMORY_EXPORT, wb.KIND_MEMORY, 1)


def test_prepare_without_guard_adds_no_memory() -> None:
    prepared = mr.prepare(SPIN, guard=False)
    module = wasmtime.Module(wasmtime.Engine(), prepared.wasm)
    assert mr.GUARD_MEMORY_EXPORT not in {e.name for e in module.exports}


def test_guard_memory_grows_with_the_largest_function() -> None:
    loops = "(loop (br_if 0 (i32.const 0)))" * 20000
    prepared = mr.prepare(wat_function(f"{loops} (i32.const 0)"))
    memory_section = wb.find(wb.read_sections(prepared.wasm), wb.MEMORY)
    assert memory_section is not None
    _, reader = wb.items(memory_section.payload)
    wb.read_limits(reader)
    # 20001 sites x 4 bytes = 80004 bytes: two 64 KiB pages, every offset distinct.
    assert wb.read_limits(reader) == wb.Limits(1, 2, 2)


# ---- timeouts -----------------------------------------------------------------------------------


def test_register_only_loop_times_out_within_the_bound(rt: Runtime) -> None:
    error, elapsed = _timed(rt, "spin")
    assert error == TIMED_OUT
    assert _in_bound(elapsed), elapsed


def test_loop_touching_memory_times_out_within_the_bound(rt: Runtime) -> None:
    rt.register(
        "demo",
        "mem",
        wat_function("(loop $l (i32.store (i32.const 64) (i32.const 1)) (br $l)) (i32.const 0)"),
    )
    error, elapsed = _timed(rt, "mem")
    assert error == TIMED_OUT
    assert _in_bound(elapsed), elapsed


def test_endless_tail_calls_stop_at_the_function_entry_check(rt: Runtime) -> None:
    # No loop at all: only the entry check of $f can stop it.
    rt.register(
        "demo",
        "tail",
        wat_function("(return_call $f)", extra="(func $f (result i32) (return_call $f))"),
    )
    error, elapsed = _timed(rt, "tail")
    assert error == TIMED_OUT
    assert _in_bound(elapsed), elapsed


def test_a_call_after_a_timeout_runs_normally(rt: Runtime) -> None:
    for _ in range(3):
        assert _timed(rt, "spin")[0] == TIMED_OUT
        # The same guard checks pass again: the pages were made accessible before reuse.
        result = rt.call("demo", "count")
        assert (result.failed, result.return_value) == (False, 7)


def test_a_call_that_finishes_in_time_is_not_stopped(rt: Runtime) -> None:
    rt.register("demo", "long", wat_function(COUNT_TO.format(n=20_000_000)))
    result = rt.call("demo", "long", timeout=5.0)
    assert (result.failed, result.return_value) == (False, 7)


def test_concurrent_instances_each_time_out(rt: Runtime) -> None:
    outcomes: list[tuple[str | None, float]] = []

    def one() -> None:
        outcomes.append(_timed(rt, "spin"))

    threads = [threading.Thread(target=one) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [error for error, _ in outcomes] == [TIMED_OUT] * 4
    assert all(_in_bound(elapsed) for _, elapsed in outcomes), outcomes


def test_chained_calls_on_worker_threads_time_out(rt: Runtime) -> None:
    # idx 0 chains three calls of idx 1 (which spins) and returns; they run on the executor.
    chains = f"(drop {CHAIN_1})" * 3
    module = wat_function(
        f"(if (i32.eqz (local.get $idx)) (then {chains} (return (i32.const 0)))) (call $spin)",
        extra=SPIN_FUNC,
    )
    rt.register("demo", "fan", module)
    start = time.perf_counter()
    result = rt.call("demo", "fan", timeout=TIMEOUT)
    elapsed = time.perf_counter() - start
    assert not result.failed
    assert [c.error for c in result.chained] == [TIMED_OUT] * 3
    assert all(_in_bound(c.duration_s) for c in result.chained), result.chained
    # Two workers by default on this machine, three spins: at most two rounds.
    assert elapsed < 2 * BOUND[1]


def test_awaited_chained_loop_times_out_and_the_caller_goes_on(rt: Runtime) -> None:
    module = wat_function(
        f"(if (i32.eqz (local.get $idx)) (then (return (call $await_call {CHAIN_1}))))"
        " (call $spin)",
        extra=SPIN_FUNC,
    )
    rt.register("demo", "awaits", module)
    result = rt.call("demo", "awaits", timeout=TIMEOUT)
    assert (result.failed, result.return_value) == (False, 1)
    assert [c.error for c in result.chained] == [TIMED_OUT]


def test_snapshot_and_fresh_modules_time_out(rt: Runtime) -> None:
    # A zygote that writes memory: the snapshot restores it copy-on-write.
    rt.register(
        "demo",
        "snap",
        wat_function(
            REGISTER_LOOP, zygote="(i32.store (i32.const 70000) (i32.const 9)) (i32.const 0)"
        ),
    )
    rt.register("demo", "fresh", wat_function(REGISTER_LOOP, extra='(data $p "x")'))
    assert rt.function_info("demo", "snap").mode == "snapshot"
    assert rt.function_info("demo", "fresh").mode == "fresh"
    for name in ("snap", "fresh"):
        error, elapsed = _timed(rt, name)
        assert error == TIMED_OUT
        assert _in_bound(elapsed), (name, elapsed)


def test_looping_zygote_times_out_at_load(tmp_path: Path) -> None:
    with Runtime(cache_dir=tmp_path, timeout=TIMEOUT) as rt:
        start = time.perf_counter()
        rt.register("demo", "z", wat_function("(i32.const 0)", zygote=REGISTER_LOOP))
        assert _in_bound(time.perf_counter() - start)
        assert rt.call("demo", "z").error == f"zygote failed: {TIMED_OUT}"


def test_genuine_out_of_bounds_is_not_a_timeout(rt: Runtime) -> None:
    rt.register("demo", "oob", wat_function("(i32.load (i32.const 0x7ffffff0))"))
    for _ in range(2):
        result = rt.call("demo", "oob")
        assert result.error == "wasm trap: out of bounds memory access"
        assert _timed(rt, "spin")[0] == TIMED_OUT


def test_runtime_interrupt_stops_running_calls(rt: Runtime) -> None:
    results = []
    thread = threading.Thread(target=lambda: results.append(rt.call("demo", "spin")))
    start = time.perf_counter()
    thread.start()
    time.sleep(0.1)
    rt.interrupt()
    thread.join(2.0)
    assert not thread.is_alive()
    assert time.perf_counter() - start < 0.5
    assert results[0].error == "interrupted: the runtime stopped the call"
    assert rt.call("demo", "count").return_value == 7


def test_pooled_slots_come_back_unprotected(tmp_path: Path) -> None:
    # Two slots: every call after a timeout reuses the slot (and guard memory) it tripped.
    with Runtime(cache_dir=tmp_path, instance_slots=2) as rt:
        assert rt.allocator.kind == "pooling"
        rt.register("demo", "spin", SPIN)
        rt.register("demo", "count", wat_function(COUNT_TO.format(n=1000)))
        for _ in range(3):
            error, elapsed = _timed(rt, "spin")
            assert error == TIMED_OUT
            assert _in_bound(elapsed), elapsed
            assert [rt.call("demo", "count").return_value for _ in range(4)] == [7] * 4


# ---- the watchdog's protocol, on pages of our own -----------------------------------------------


def _protection(address: int) -> str:
    """The permissions /proc/self/maps lists for the mapping holding `address`."""
    for line in Path("/proc/self/maps").read_text().splitlines():
        span, perms = line.split()[:2]
        low, high = (int(part, 16) for part in span.split("-"))
        if low <= address < high:
            return perms[:3]
    raise AssertionError(f"0x{address:x} is not mapped")


@pytest.fixture
def pages() -> Iterator[int]:
    region = mmap.mmap(-1, 2 * mmap.PAGESIZE)
    address = ctypes.addressof(ctypes.c_char.from_buffer(region))
    yield address
    # (the exported buffer keeps the mapping alive; it is unmapped when the process ends)


@pytest.fixture
def watchdog() -> Iterator[Watchdog]:
    dog = Watchdog()
    yield dog
    dog.close()


def test_watchdog_trips_at_the_deadline_and_disarm_restores(watchdog: Watchdog, pages: int) -> None:
    watch = watchdog.arm(pages, 2 * mmap.PAGESIZE, time.monotonic() + 0.05)
    assert _protection(pages) == "rw-"
    time.sleep(0.15)
    assert (watch.tripped, watch.early, _protection(pages)) == (True, False, "---")
    watch.disarm()
    assert _protection(pages) == "rw-"


def test_watchdog_never_trips_a_disarmed_watch(watchdog: Watchdog, pages: int) -> None:
    watch = watchdog.arm(pages, mmap.PAGESIZE, time.monotonic() + 0.05)
    watch.disarm()
    time.sleep(0.15)
    assert (watch.tripped, _protection(pages)) == (False, "rw-")


def test_watchdog_trip_is_early_and_a_second_disarm_is_harmless(
    watchdog: Watchdog, pages: int
) -> None:
    watch = watchdog.arm(pages, mmap.PAGESIZE, time.monotonic() + 60)
    watchdog.trip_all()
    assert (watch.tripped, watch.early, _protection(pages)) == (True, True, "---")
    watch.disarm()
    watch.disarm()
    assert _protection(pages) == "rw-"


def test_watchdog_refuses_unaligned_pages(watchdog: Watchdog, pages: int) -> None:
    with pytest.raises(ValueError, match="page-aligned"):
        watchdog.arm(pages + 8, mmap.PAGESIZE, time.monotonic() + 1)


def test_watchdog_keeps_its_heap_small(watchdog: Watchdog, pages: int) -> None:
    for _ in range(1000):
        watchdog.arm(pages, mmap.PAGESIZE, time.monotonic() + 60).disarm()
    assert len(watchdog._heap) <= 64 + 1


# ---- the epoch fallback -------------------------------------------------------------------------


def test_epoch_fallback_times_out(tmp_path: Path) -> None:
    with Runtime(cache_dir=tmp_path, interruption="epoch") as rt:
        rt.register("demo", "spin", SPIN)
        rt.register("demo", "count", wat_function(COUNT_TO.format(n=1000)))
        error, elapsed = _timed(rt, "spin")
        assert error == TIMED_OUT
        assert _in_bound(elapsed), elapsed
        assert rt.call("demo", "count").return_value == 7


# ---- the demo functions, built with the real toolchain ------------------------------------------


@pytest.fixture(scope="module")
def loops(demo_project: Project) -> dict[str, Path]:
    return build_or_skip(demo_project, "demo", ("infinite_loop", "infinite_loop_registers"))


@pytest.mark.parametrize("interruption", ["guard", "epoch"])
@pytest.mark.parametrize("name", ["infinite_loop", "infinite_loop_registers"])
def test_demo_loops_time_out(
    loops: dict[str, Path], tmp_path: Path, name: str, interruption: str
) -> None:
    with Runtime(cache_dir=tmp_path, interruption=interruption) as rt:
        rt.register("demo", name, loops[name])
        assert rt.function_info("demo", name).mode == "snapshot"
        for _ in range(2):
            error, elapsed = _timed(rt, name)
            assert error == TIMED_OUT
            assert _in_bound(elapsed), elapsed


def test_register_demo_loop_has_no_memory_access_in_its_loop(loops: dict[str, Path]) -> None:
    # What makes it the hard case: the LCG's loop is arithmetic and a branch, nothing else.
    multiplier = bytes([I64_CONST]) + wb.sleb(6364136223846793005)
    sections = wb.read_sections(loops["infinite_loop_registers"].read_bytes())
    code = wb.find(sections, wb.CODE)
    assert code is not None
    lcg_loops = []
    for body in wb.read_bodies(code.payload):
        steps = list(wb.instructions(body))
        for index in (i for i, step in enumerate(steps) if step[2] == wb.OP_LOOP):
            inner = steps[index + 1 :]
            inner = inner[: [op for _, _, op, _ in inner].index(wb.OP_END)]
            if inner and multiplier in body[inner[0][0] : inner[-1][1]]:
                lcg_loops.append([op for _, _, op, _ in inner])
    assert len(lcg_loops) == 1
    assert [op for op in lcg_loops[0] if 0x28 <= op <= 0x3E or op in (wb.OP_CALL, 0x11)] == []
