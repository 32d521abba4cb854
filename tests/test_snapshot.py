"""Proto-functions: the zygote runs once, every call starts from its snapshot, nothing leaks."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import wasmtime
from runtime_wat import wat_function

from faasm_cli.runtime import Runtime
from faasm_cli.runtime.snapshot import rewrite as mr
from faasm_cli.runtime.snapshot import wasm_binary as wb

# The zygote sets $g to 10 and writes 77 at 70000 (page 2: memory grows from 1 to 2 pages);
# each call bumps both and returns g * 1000 + the byte.
STATEFUL = wat_function(
    """
  (global.set $g (i32.add (global.get $g) (i32.const 1)))
  (i32.store8 (i32.const 70000) (i32.add (i32.load8_u (i32.const 70000)) (i32.const 1)))
  (i32.add (i32.mul (global.get $g) (i32.const 1000)) (i32.load8_u (i32.const 70000)))""",
    zygote="""(global.set $g (i32.const 10))
      (drop (memory.grow (i32.const 1)))
      (i32.store8 (i32.const 70000) (i32.const 77))
      (i32.const 0)""",
    pages=1,
)


@pytest.fixture
def rt(tmp_path: Path) -> Iterator[Runtime]:
    with Runtime(cache_dir=tmp_path) as runtime:
        yield runtime


def test_calls_start_from_the_zygote_state(rt: Runtime) -> None:
    rt.register("demo", "s", STATEFUL)
    assert rt.function_info("demo", "s").mode == "snapshot"
    values = [rt.call("demo", "s").return_value for _ in range(5)]
    assert values == [11078] * 5


def test_zygote_runs_once_per_runtime(rt: Runtime) -> None:
    # The zygote spins ~0.3 s; five calls in much less prove it did not run per call.
    slow = wat_function(
        "(global.get $g)",
        zygote="""
      (local $i i32)
      (loop $l
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $l (i32.lt_u (local.get $i) (i32.const 300000000))))
      (global.set $g (i32.const 5)) (i32.const 0)""",
    )
    start = time.perf_counter()
    rt.register("demo", "slow", slow)
    zygote_s = time.perf_counter() - start
    start = time.perf_counter()
    assert [rt.call("demo", "slow").return_value for _ in range(5)] == [5] * 5
    assert time.perf_counter() - start < zygote_s


def test_mutable_globals_of_every_type_are_restored(rt: Runtime) -> None:
    module = wat_function(
        """
      (global.set $a (i64.add (global.get $a) (i64.const 1)))
      (global.set $b (f64.add (global.get $b) (f64.const 1)))
      (i32.add (i32.wrap_i64 (global.get $a)) (i32.trunc_f64_s (global.get $b)))""",
        zygote="(global.set $a (i64.const 40)) (global.set $b (f64.const 1.5)) (i32.const 0)",
        extra="(global $a (mut i64) (i64.const 0)) (global $b (mut f64) (f64.const 0))",
    )
    rt.register("demo", "g", module)
    assert [rt.call("demo", "g").return_value for _ in range(3)] == [43] * 3


def test_zygote_that_traps_fails_every_call(rt: Runtime) -> None:
    rt.register("demo", "z", wat_function("(i32.const 0)", zygote="(unreachable)"))
    for _ in range(2):
        result = rt.call("demo", "z")
        assert result.failed and result.error is not None
        assert result.error.startswith("zygote failed: wasm trap: unreachable")
    rt.register("demo", "ok", wat_function("(i32.const 3)"))
    assert rt.call("demo", "ok").return_value == 3


def test_zygote_returning_non_zero_fails_every_call(rt: Runtime) -> None:
    rt.register("demo", "z", wat_function("(i32.const 0)", zygote="(i32.const 5)"))
    assert rt.call("demo", "z").error == "zygote failed: returned 5"


def test_passive_data_falls_back_to_fresh_instances(rt: Runtime) -> None:
    module = wat_function(
        """
      (global.set $g (i32.add (global.get $g) (i32.const 1)))
      (global.get $g)""",
        zygote="(memory.init $p (i32.const 0) (i32.const 0) (i32.const 1)) (i32.const 0)",
        extra='(data $p "x")',
    )
    info = rt.register("demo", "p", module)
    assert info.mode == "fresh"
    assert info.note == "no snapshot: the module uses passive data segments"
    assert [rt.call("demo", "p").return_value for _ in range(2)] == [1, 1]


def test_snapshot_module_holds_only_non_zero_pages() -> None:
    memory = bytearray(3 * mr.PAGE)
    memory[10:13] = b"abc"
    memory[2 * mr.PAGE + 5] = 9
    assert mr.memory_segments(bytes(memory)) == [(10, b"abc"), (2 * mr.PAGE + 5, b"\x09")]


def test_prepare_hooks_memory_grow_and_exports_globals() -> None:
    prepared = mr.prepare(STATEFUL)
    assert prepared.snapshot_blocker is None
    assert [i for i, _ in prepared.mutable_globals] == [0]
    module = wasmtime.Module(wasmtime.Engine(), prepared.wasm)
    names = {e.name for e in module.exports}
    assert {mr.OOM_FLAG_EXPORT, f"{mr.GLOBAL_EXPORT_PREFIX}0"} <= names
    sections = wb.read_sections(prepared.wasm)
    code = wb.find(sections, wb.CODE)
    assert code is not None
    bodies = wb.read_bodies(code.payload)
    grows = [
        op
        for body in bodies[:-1]
        for _, _, op, _ in wb.instructions(body)
        if op == wb.OP_MEMORY_GROW
    ]
    assert grows == []  # only the hook itself grows memory


@pytest.mark.parametrize("value", [0, 1, 63, 64, 127, 128, -1, -64, -65, 2**31 - 1, -(2**31)])
def test_leb128_round_trip(value: int) -> None:
    assert wb.Reader(wb.sleb(value)).sleb() == value
    if value >= 0:
        assert wb.Reader(wb.uleb(value)).u32() == value


def test_truncated_module_is_a_format_error() -> None:
    with pytest.raises(wb.WasmFormatError):
        wb.read_sections(STATEFUL[:-3])


def _memories(wasm: bytes) -> list[wb.Limits]:
    section = wb.find(wb.read_sections(wasm), wb.MEMORY)
    assert section is not None
    count, reader = wb.items(section.payload)
    return [wb.read_limits(reader) for _ in range(count)]


def test_snapshot_bakes_memory_0_and_carries_the_guard_memory() -> None:
    prepared = mr.prepare(STATEFUL)
    assert _memories(prepared.wasm) == [wb.Limits(0, 1, None), wb.Limits(1, 1, 1)]
    image = bytearray(2 * mr.PAGE)
    image[70000] = 77
    snapshot = mr.snapshot_module(prepared, bytes(image), {0: 10})
    assert _memories(snapshot) == [wb.Limits(0, 2, None), wb.Limits(1, 1, 1)]
    store = wasmtime.Store(wasmtime.Engine())
    module = wasmtime.Module(store.engine, snapshot)
    exports = {e.name: e.type for e in module.exports}
    guard = exports[mr.GUARD_MEMORY_EXPORT]
    assert isinstance(guard, wasmtime.MemoryType)
    assert (guard.limits.min, guard.limits.max) == (1, 1)


def test_prepare_for_epochs_keeps_a_single_memory() -> None:
    assert _memories(mr.prepare(STATEFUL, guard=False).wasm) == [wb.Limits(0, 1, None)]


def test_snapshot_of_a_guarded_module_runs_from_the_zygote_state(tmp_path: Path) -> None:
    with Runtime(cache_dir=tmp_path, interruption="epoch") as epochs:
        epochs.register("demo", "s", STATEFUL)
        expected = epochs.call("demo", "s").return_value
    with Runtime(cache_dir=tmp_path) as guarded:
        guarded.register("demo", "s", STATEFUL)
        assert guarded.function_info("demo", "s").mode == "snapshot"
        assert [guarded.call("demo", "s").return_value for _ in range(3)] == [expected] * 3
    assert expected == 11078
